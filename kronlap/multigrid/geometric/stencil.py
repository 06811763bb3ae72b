"""Matrix-free ``2 ndim + 1``-point operators for the geometric multigrid levels.

A level operator is ``S = -(div(a grad) - shift)`` on a grid, held as one
array of face weights per axis, ``W_d = a_face / h_d**2``: face ``k`` of
axis ``d`` joins unknowns ``k - 1`` and ``k``, faces ``0`` and ``n_d`` join
the outermost unknowns to the boundary (zero weight on a Neumann side) and
on a periodic axis face ``n_d`` repeats face 0. Then

    (S u)_i = diag_i u_i - sum_d (W_d[i] u_{i - e_d} + W_d[i + e_d] u_{i + e_d}),
    diag_i = shift + sum_d (W_d[i] + W_d[i + e_d]),

with ``u = 0`` beyond the boundary. For the constant-coefficient Laplacian
each ``W_d`` is a 1D array broadcast along the other axes (its interior
entries all equal, so the operator is the Kronecker sum of the 1D second
differences and the neighbour sums need no weights). Unknowns live in an
array padded by one ghost layer per side (0, or the opposite edge on a
periodic axis), so every neighbour is a slice: the operator, the residual
and the red-black Gauss-Seidel smoother are array operations only and run
unchanged on numpy and cupy.

Operators hold no arrays that their operations write: the scratch arrays
come from a :class:`Workspace` the caller passes (or a fresh one), so
callers with workspaces of their own, such as threads sharing one
multigrid hierarchy, never write to the same memory.
"""

from __future__ import annotations

import itertools

import numpy as np

from ...backend import to_backend
from ...coefficients import face_weights, separable_shift, volume_weights

__all__ = ["PaddedLayout", "StencilOperator", "Workspace"]


class Workspace:
    """Scratch arrays of one caller, each made on first use and reused after.

    Every operation of an operator or transfer that needs scratch takes a
    workspace; two callers with different workspaces can use one operator
    at the same time. One workspace serves one operator (or transfer) at a
    time: the keys are that object's own names for its arrays.

    Examples
    --------
    >>> import numpy as np
    >>> work = Workspace()
    >>> a = work.get("buffer", lambda: np.zeros(3))
    >>> work.get("buffer", lambda: np.ones(3)) is a
    True
    """

    __slots__ = ("_arrays",)

    def __init__(self):
        self._arrays = {}

    def get(self, key, make):
        """The array stored under ``key``; made by ``make()`` the first time."""
        array = self._arrays.get(key)
        if array is None:
            array = self._arrays[key] = make()
        return array


def _grid_face_weights(grid, coeff, divisor=1.0, operators=None):
    """Face weights ``W_d`` (see the module notes) of ``-V div(coeff grad) / divisor`` on ``grid``.

    :func:`kronlap.coefficients.face_weights`: a coefficient with one value
    everywhere scales the constant-coefficient weights, which stay 1D (a
    Kronecker sum). ``divisor`` (a power of 2) scales exactly.
    """
    weights = face_weights(grid, coeff, operators)
    for axis, n in enumerate(grid.shape):
        if grid.periodic[axis] and n == 1:
            # a one-point periodic axis couples a point to itself
            weights[axis] = weights[axis] * 0.0
        weights[axis] = weights[axis] / divisor
    return weights


class PaddedLayout:
    """Unknowns of a grid held with one ghost layer per side.

    Subclasses set ``shape``, ``ndim``, ``periodic``, ``xp`` and ``dtype``. A ghost
    holds 0 beyond a Dirichlet or Neumann side (the operators weight it by
    the boundary face, or by 0) and the opposite edge on a periodic axis
    (:meth:`refresh`), so every neighbour of an unknown is a slice.
    """

    @staticmethod
    def _along(axis, item, base):
        index = list(base)
        index[axis] = item
        return tuple(index)

    def padded(self):
        """A zero array of the grid shape plus one ghost layer per side."""
        return self.xp.zeros(tuple(n + 2 for n in self.shape), dtype=self.dtype)

    def interior(self, u_pad):
        """The unknowns inside a padded array (a view)."""
        return u_pad[(slice(1, -1),) * self.ndim]

    def refresh(self, u_pad):
        """Copy the opposite edges into the ghost layers of periodic axes."""
        for d, wrap in enumerate(self.periodic):
            if wrap:
                n = self.shape[d]
                full = (slice(None),) * self.ndim
                u_pad[self._along(d, 0, full)] = u_pad[self._along(d, n, full)]
                u_pad[self._along(d, n + 1, full)] = u_pad[self._along(d, 1, full)]

    def fold(self, u_pad):
        """The transpose of :meth:`refresh`: add periodic ghosts onto the opposite edges.

        Ghosts are zero afterwards, on every axis.
        """
        full = (slice(None),) * self.ndim
        for d, wrap in enumerate(self.periodic):
            n = self.shape[d]
            if wrap:
                u_pad[self._along(d, n, full)] += u_pad[self._along(d, 0, full)]
                u_pad[self._along(d, 1, full)] += u_pad[self._along(d, n + 1, full)]
            u_pad[self._along(d, 0, full)] = 0.0
            u_pad[self._along(d, n + 1, full)] = 0.0

    def residual(self, u_pad, b, out=None, workspace=None):
        """``b - S u`` for the padded ``u_pad`` (ghosts up to date), into ``out`` if given."""
        out = self.apply_padded(u_pad, out, workspace)
        out *= -1.0
        out += b
        return out

    def smoothed_residual(self, u_pad, b, out=None, scaled_b=None, workspace=None):
        """``b - S u`` right after a forward sweep of ``smooth`` (here: :meth:`residual`)."""
        return self.residual(u_pad, b, out, workspace)

    def scaled_rhs(self, b, out):
        """``b / diag`` into ``out`` for the sweeps of one cycle, or None if they need none."""
        return None

    def apply(self, u, out=None, workspace=None):
        """``S u`` for an unpadded array ``u`` of the grid shape, into ``out`` if given.

        ``workspace`` (a :class:`Workspace`) keeps the padded copy of ``u``
        for the next call; without one, each call makes its own.
        """
        if workspace is None:
            workspace = Workspace()
        u_pad = workspace.get("padded", self.padded)
        self.interior(u_pad)[...] = u
        self.refresh(u_pad)
        return self.apply_padded(u_pad, out, workspace)

    def _grid_array(self, workspace):
        """A scratch array of the grid shape from ``workspace`` (a new one if None)."""

        def make():
            return self.xp.empty(self.shape, dtype=self.dtype)

        return make() if workspace is None else workspace.get("grid", make)


class StencilOperator(PaddedLayout):
    """``S = -(div(a grad) - shift)`` on a grid, from face weights, matrix-free.

    Parameters
    ----------
    shape : tuple of int
        Grid shape.
    weights : list of arrays
        ``W_d`` per axis: ``shape[d] + 1`` entries along axis ``d``, and
        along every other axis either ``shape[e]`` entries or 1 (broadcast).
    shift : float
    periodic : tuple of bool
        Which axes wrap around.
    xp : module
        ``numpy`` or ``cupy``; ``weights`` are moved there.
    dtype : {numpy.float64, numpy.float32}, optional
        Floating-point type of the weights and of every array the operator
        makes.

    Examples
    --------
    >>> import numpy as np
    >>> import kronlap as kl
    >>> g = kl.Grid((5, 4), bc=["dirichlet", "periodic"])
    >>> S = StencilOperator.from_grid(g, shift=2.0)
    >>> u = np.random.default_rng(0).standard_normal(g.shape)
    >>> A = 2.0 * np.eye(g.size) - kl.laplacian(g).toarray()
    >>> bool(np.allclose(S.apply(u), (A @ u.ravel()).reshape(g.shape)))
    True
    """

    def __init__(self, shape, weights, shift, periodic, xp, dtype=np.float64):
        self.dtype = np.dtype(dtype)
        self.shape = tuple(int(n) for n in shape)
        self.ndim = len(self.shape)
        self.size = int(np.prod(self.shape, dtype=np.int64))
        self.shift = float(shift) if np.ndim(shift) == 0 else xp.asarray(shift, dtype=self.dtype)
        self.periodic = tuple(bool(p) for p in periodic)
        self.xp = xp
        self.weights = [xp.asarray(w, dtype=self.dtype) for w in weights]
        self.uniform = [self._uniform_value(d) for d in range(self.ndim)]
        self._common = self.uniform[0] if len(set(self.uniform)) == 1 else None
        full = (slice(None),) * self.ndim
        self._low = [self.weights[d][self._along(d, slice(0, -1), full)] for d in range(self.ndim)]
        self._high = [
            self.weights[d][self._along(d, slice(1, None), full)] for d in range(self.ndim)
        ]
        diag_shape = np.broadcast_shapes(
            np.shape(self.shift), *(w.shape for w in self._low + self._high)
        )
        diag = xp.zeros(diag_shape, dtype=self.dtype)
        diag += self.shift
        for low, high in zip(self._low, self._high):
            diag += low
            diag += high
        if diag.size > 1 and bool(xp.all(diag == diag.ravel()[0])):
            diag = diag.ravel()[0].copy()  # constant: a 0-d array streams faster
        positive = diag > 0
        self.diag = diag
        # Zero only on a one-point singular grid, which is solved directly.
        self.inv_diag = xp.where(positive, 1.0 / xp.where(positive, diag, 1.0), 0.0)
        # The red-black sweep plan, made on first use (smoothers only). It is
        # read-only: two threads that both make it make equal plans.
        self._planned = None
        self._exact_colours = not any(wrap and n % 2 for wrap, n in zip(self.periodic, self.shape))

    @classmethod
    def from_grid(
        cls, grid, shift=0.0, coeff=None, xp=np, dtype=np.float64, divisor=1.0, operators=None
    ):
        """The operator ``-V (L - shift) / divisor`` of ``grid``, ``L`` its Laplacian or diffusion.

        ``L`` is :func:`~kronlap.laplacian`, or :func:`~kronlap.diffusion`
        with ``coeff`` (a validated array of ``grid.shape``, or one number
        for a constant coefficient). ``divisor`` (a positive number; a power
        of 2 scales exactly) divides the face weights and the shift, so that
        a single-precision copy can hold an operator whose entries lie
        beyond its range. ``operators``, the axes' 1D operators
        (:func:`kronlap.differences.axis_operators`), bring a separable
        coefficient and shift; ``V`` is the product of their control
        volumes (1 unless an axis is stretched).
        """
        if coeff is not None:
            coeff = to_backend(coeff, "numpy")
        weights = _grid_face_weights(grid, coeff, divisor, operators)
        if operators is not None:
            extra = separable_shift(operators)
            shift = shift if extra is None else extra + shift
            volumes = volume_weights(operators)
            if volumes is not None:
                shift = volumes * shift
        return cls(grid.shape, weights, shift / divisor, grid.periodic, xp, dtype)

    def astype(self, dtype):
        """The same operator with weights (and every array it makes) of type ``dtype``."""
        return StencilOperator(self.shape, self.weights, self.shift, self.periodic, self.xp, dtype)

    # -- layout -------------------------------------------------------------

    def _uniform_value(self, axis):
        """The common weight of axis ``axis`` if its faces need no per-face weights."""
        w = self.weights[axis]
        if w.size != w.shape[axis]:
            return None
        w = to_backend(w, "numpy").ravel()
        inner = w if self.periodic[axis] else w[1:-1]
        if inner.size == 0:
            value = float(w.max())
        else:
            value = float(inner[0])
            if not np.all(inner == value):
                return None
        ends = (w[0], w[-1])
        if all(end == value or end == 0.0 for end in ends):
            return value
        return None

    @property
    def _sublattices(self):
        if self._planned is None:
            self._planned = self._plan_sublattices()
        return self._planned

    def _plan_sublattices(self):
        """Slices for the red-black sweeps: one entry per parity pattern, by colour."""
        colours = ([], [])
        for parity in itertools.product((0, 1), repeat=self.ndim):
            if any(p >= n for p, n in zip(parity, self.shape)):
                continue
            centre = tuple(slice(1 + p, 1 + n, 2) for p, n in zip(parity, self.shape))
            points = tuple(slice(p, n, 2) for p, n in zip(parity, self.shape))

            def on(array, parity=parity):
                if array.ndim == 0:
                    return ()
                return tuple(
                    slice(None) if array.shape[e] == 1 else slice(p, n, 2)
                    for e, (p, n) in enumerate(zip(parity, self.shape))
                )

            # The neighbour sum comes unweighted when one weight is common;
            # when every axis is weighted, 1 / diag goes into the weights.
            factor = self.inv_diag[on(self.inv_diag)]
            factor = factor * (1.0 if self._common is None else self._common)
            folded = all(c is None for c in self.uniform)
            neighbours = []
            for d, (p, n) in enumerate(zip(parity, self.shape)):
                minus = self._along(d, slice(p, n, 2), centre)
                plus = self._along(d, slice(2 + p, 2 + n, 2), centre)
                w = self.weights[d]
                low = w[self._along(d, slice(p, n, 2), on(w))]
                high = w[self._along(d, slice(p + 1, n + 1, 2), on(w))]
                if folded:  # new contiguous arrays, streamed every sweep
                    low, high = low * factor, high * factor
                neighbours.append((minus, plus, low, high))
            sub_shape = tuple(len(range(p, n, 2)) for p, n in zip(parity, self.shape))
            entry = (centre, points, None if folded else factor, neighbours, sub_shape)
            colours[sum(parity) % 2].append(entry)
        return colours

    # -- operations ---------------------------------------------------------

    def _sublattice_arrays(self, workspace, shape):
        """The neighbour sum's output and scratch arrays for a sublattice of ``shape``.

        From ``workspace``; the sublattices of a sweep are done one after
        another, so those of one shape share their arrays. The scratch is
        None where the sum needs none (one common weight).
        """

        def make():
            return self.xp.empty(shape, dtype=self.dtype)

        buffer = workspace.get(("sum", shape), make)
        if self._common is not None:
            return buffer, None
        return buffer, workspace.get(("term", shape), make)

    def _neighbour_sum(self, u_pad, sites, out, scratch=None):
        """``sum_d (W_low u_minus + W_high u_plus)`` at ``sites``, into ``out``.

        Returns a scale factor: with one common uniform weight ``c`` the
        sum is left unweighted and ``c`` returned, else 1.0. ``scratch``
        (shaped like ``out``) saves a temporary per weighted term.
        """
        common = self._common
        first = True
        for d, (minus, plus, low, high) in enumerate(sites):
            c = self.uniform[d]
            if c is not None and common is not None:
                if first:
                    self.xp.add(u_pad[minus], u_pad[plus], out=out)
                else:
                    out += u_pad[minus]
                    out += u_pad[plus]
            elif c is not None:
                if first:
                    self.xp.add(u_pad[minus], u_pad[plus], out=out)
                    out *= c
                else:
                    out += c * (u_pad[minus] + u_pad[plus])
            else:
                if first:
                    self.xp.multiply(low, u_pad[minus], out=out)
                elif scratch is None:
                    out += low * u_pad[minus]
                else:
                    self.xp.multiply(low, u_pad[minus], out=scratch)
                    out += scratch
                if scratch is None:
                    out += high * u_pad[plus]
                else:
                    self.xp.multiply(high, u_pad[plus], out=scratch)
                    out += scratch
            first = False
        return 1.0 if common is None else common

    def _full_sites(self):
        centre = (slice(1, -1),) * self.ndim
        return [
            (
                self._along(d, slice(0, -2), centre),
                self._along(d, slice(2, None), centre),
                self._low[d],
                self._high[d],
            )
            for d in range(self.ndim)
        ]

    def apply_padded(self, u_pad, out=None, workspace=None):
        """``S u`` for the padded ``u_pad`` (ghosts up to date), into ``out`` if given.

        ``workspace``: a :class:`Workspace` for the scratch array a
        per-face weighted operator needs (without one, a new array).
        """
        if out is None:
            out = self.xp.empty(self.shape, dtype=self.dtype)
        work = None if self._common is not None else self._grid_array(workspace)
        scale = self._neighbour_sum(u_pad, self._full_sites(), out, work)
        out *= -scale
        if work is None:
            out += self.diag * self.interior(u_pad)
        else:
            out += self.xp.multiply(self.diag, self.interior(u_pad), out=work)
        return out

    def smooth(self, u_pad, b, reverse=False, zero=False, scaled_b=None, workspace=None):
        """One red-black Gauss-Seidel sweep on ``S u = b``, in place (black first if ``reverse``).

        Points of one colour have neighbours of the other colour only, so a
        colour is updated at once. (On a periodic axis of odd length the
        two ends share a colour; they are then updated together, Jacobi
        fashion.) ``zero`` says that ``u_pad`` is zero (ghosts included),
        which saves the neighbour sums of the first colour; ``scaled_b``,
        if given, is ``b / diag`` (shared by the sweeps of one cycle);
        ``workspace`` (a :class:`Workspace`) holds the scratch arrays.
        """
        if scaled_b is None:
            scaled_b = b * self.inv_diag
        if workspace is None:
            workspace = Workspace()
        colours = (1, 0) if reverse else (0, 1)
        for colour in colours:
            self.refresh(u_pad)
            for centre, points, factor, sites, sub_shape in self._sublattices[colour]:
                if zero and colour == colours[0]:
                    u_pad[centre] = scaled_b[points]  # every neighbour is still 0
                    continue
                buffer, scratch = self._sublattice_arrays(workspace, sub_shape)
                self._neighbour_sum(u_pad, sites, buffer, scratch)
                if factor is not None:
                    buffer *= factor
                self.xp.add(buffer, scaled_b[points], out=u_pad[centre])
        self.refresh(u_pad)

    def scaled_rhs(self, b, out):
        """``b / diag`` into ``out``: shared by the sweeps and the residual of one cycle."""
        return self.xp.multiply(b, self.inv_diag, out=out)

    def smoothed_residual(self, u_pad, b, out=None, scaled_b=None, workspace=None):
        """``b - S u`` right after a forward sweep of :meth:`smooth`, into ``out`` if given.

        The sweep leaves the colour it updated last (black) with a zero
        residual, so only the red points are computed: half the work of
        :meth:`residual`. (Not so on a periodic axis of odd length, whose
        ends share a colour: there the full residual is computed.)
        """
        if not self._exact_colours:
            return self.residual(u_pad, b, out, workspace)
        xp = self.xp
        if out is None:
            out = xp.empty(self.shape, dtype=self.dtype)
        if scaled_b is None:
            scaled_b = b * self.inv_diag
        if workspace is None:
            workspace = Workspace()
        for _, points, _, _, _ in self._sublattices[1]:
            out[points] = 0.0
        for centre, points, factor, sites, sub_shape in self._sublattices[0]:
            buffer, scratch = self._sublattice_arrays(workspace, sub_shape)
            self._neighbour_sum(u_pad, sites, buffer, scratch)
            if factor is not None:
                buffer *= factor
            buffer += scaled_b[points]
            buffer -= u_pad[centre]
            buffer *= self.diag if self.diag.ndim == 0 else self.diag[points]
            out[points] = buffer
        return out

    # -- hierarchy ----------------------------------------------------------

    def dense(self) -> np.ndarray:
        """The operator as a dense numpy matrix (for the coarsest level)."""
        N = self.size
        index = np.arange(N).reshape(self.shape)
        S = np.zeros((N, N))
        diag = np.broadcast_to(to_backend(self.diag, "numpy"), self.shape).ravel()
        S[np.arange(N), np.arange(N)] = diag
        for d, n in enumerate(self.shape):
            high = np.broadcast_to(to_backend(self._high[d], "numpy"), self.shape)
            if self.periodic[d]:
                rows, cols, w = index, np.roll(index, -1, axis=d), high
            else:
                cut = self._along(d, slice(0, n - 1), (slice(None),) * self.ndim)
                after = self._along(d, slice(1, n), (slice(None),) * self.ndim)
                rows, cols, w = index[cut], index[after], high[cut]
            np.add.at(S, (rows.ravel(), cols.ravel()), -w.ravel())
            np.add.at(S, (cols.ravel(), rows.ravel()), -w.ravel())
        return S

    def coefficients(self) -> dict:
        """The stencil as ``{offset: coefficient}``: ``(S u)_i = sum_o C_o[i] u_{i + o}``.

        Offsets are tuples in ``{-1, 0, 1}^ndim``; coefficients broadcast
        against the grid shape (they may be 0-d or 1D-like). Neighbours
        beyond a boundary are the ghosts of :class:`PaddedLayout`.
        """
        coefficients = {(0,) * self.ndim: self.diag}
        for d in range(self.ndim):
            for step, weight in ((-1, self._low[d]), (1, self._high[d])):
                offset = tuple(step if e == d else 0 for e in range(self.ndim))
                coefficients[offset] = -weight
        return coefficients
