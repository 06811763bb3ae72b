"""Galerkin coarse levels of the geometric multigrid for a varying coefficient.

With a coefficient that jumps, rediscretized coarse operators and linear
interpolation no longer see the same problem, and multigrid slows down
(a stationary V-cycle on a checkerboard coefficient converges slowly;
see ``benchmarks/RESULTS.md``). This module builds the
hierarchy the robust way, in the spirit of Alcouffe, Brandt, Dendy and
Painter's black-box multigrid (SIAM J. Sci. Stat. Comput. 2, 1981),
still matrix-free on the structured grid:

* **Coarse points** are every other fine point along each coarsened axis
  (starting next to a Dirichlet side, else at the first point), so the
  coarse grid is a subset of the fine one on any grid size and boundary.
* **Operator-dependent interpolation.** A fine point whose index is fine
  (not coarse) along the axes ``D`` takes its value from its neighbours
  along ``D`` through its own equation, with the stencil collapsed
  (summed) along the other axes: ``u_i = -sum_o C'_o u_{i+o} / C'_0``.
  Points with one fine axis are interpolated first, then two, and so on,
  each from values already known. Across a jump this keeps the flux
  continuous, as the true error does. Positive off-diagonal entries
  (Galerkin levels of a rough coefficient have them) are first lumped
  into the diagonal, so that the weights lie in ``[0, 1]`` and the
  interpolation keeps the constants.
* **Galerkin coarse operators** ``S_c = P^T S P``, a ``3^ndim``-point
  stencil on every coarse level (9 points in 2D, 27 in 3D), found by
  probing: ``P^T S P`` applied to ``3^ndim`` indicator vectors (more on a
  periodic axis whose length is not a multiple of 3) separates every
  stencil entry.
* **Smoothing** by Gauss-Seidel in ``2^ndim`` colours (the parity of each
  index): points of one colour are never neighbours of each other in a
  ``3^ndim``-point stencil, so each colour is updated at once.

Everything is slicing and elementwise arithmetic on the array module of
the data, as in :mod:`kronlap.multigrid.geometric.stencil`; scratch arrays come from the
caller's :class:`~kronlap.multigrid.geometric.stencil.Workspace`, so one hierarchy serves
concurrent callers.
"""

from __future__ import annotations

import itertools

import numpy as np

from ...backend import to_backend
from .stencil import PaddedLayout, Workspace

__all__ = ["FullStencil", "OperatorInterpolation", "coarse_start", "galerkin_operator"]


def _offsets(ndim: int):
    return list(itertools.product((-1, 0, 1), repeat=ndim))


def _shifted(block, offset):
    """The slices ``block`` (of a padded array) moved by ``offset``."""
    return tuple(slice(s.start + o, s.stop + o, s.step) for s, o in zip(block, offset))


def _unpadded(block):
    return tuple(slice(s.start - 1, s.stop - 1, s.step) for s in block)


def _at(xp, coefficient, shape, points):
    """``coefficient`` (broadcast against ``shape``) at ``points``, as a new contiguous array."""
    full = xp.broadcast_to(xp.asarray(coefficient), shape)
    return xp.ascontiguousarray(full[points])


def _safe_inverse(xp, x):
    positive = x > 0
    return xp.where(positive, 1.0 / xp.where(positive, x, 1.0), 0.0)


def _attractive(xp, coefficients, ndim):
    """The stencil with its positive off-diagonal entries lumped into the diagonal.

    ``C_o`` becomes ``min(C_o, 0)`` and ``C_0`` gains ``sum_o max(C_o, 0)``:
    row sums, and so the constants in the null space, are kept, and the
    collapsed diagonals of :class:`OperatorInterpolation` are then at least
    the collapsed couplings they divide, so its weights lie in ``[0, 1]``
    and sum to 1 where the row sum is 0. Galerkin levels of a rough
    coefficient have positive corner entries (a few percent of them, up to
    several times the diagonal); collapsed as they are, they make
    near-zero or negative denominators, weights in the hundreds, or zero
    weights that lose the constants (see ``benchmarks/RESULTS.md``). Like
    the classical AMG rule for positive couplings. Entries that are not
    positive anywhere come back as they are, not copied.
    """
    centre = (0,) * ndim
    lumped = dict(coefficients)
    diagonal = coefficients[centre]
    for offset, c in coefficients.items():
        if offset == centre or not bool(xp.any(xp.asarray(c) > 0)):
            continue
        diagonal = diagonal + xp.maximum(c, 0.0)
        lumped[offset] = xp.minimum(c, 0.0)
    lumped[centre] = diagonal
    return lumped


def coarse_start(pair) -> int:
    """Index of the first fine point kept by a coarse axis: 1 after a Dirichlet side, else 0.

    Examples
    --------
    >>> coarse_start(("dirichlet", "dirichlet")), coarse_start(("periodic", "periodic"))
    (1, 0)
    """
    return 1 if pair[0] == "dirichlet" else 0


class FullStencil(PaddedLayout):
    """A ``3^ndim``-point operator ``(S u)_i = sum_o C_o[i] u_{i + o}``, matrix-free.

    Parameters
    ----------
    coefficients : dict
        ``{offset: C_o}``, offsets in ``{-1, 0, 1}^ndim`` (missing ones are
        zero), each ``C_o`` an array of ``shape`` that is zero where
        ``i + o`` leaves a non-periodic axis. ``C_0`` is the diagonal.
    shape : tuple of int
    periodic : tuple of bool
    xp : module
    dtype : {numpy.float64, numpy.float32}, optional

    Examples
    --------
    >>> import numpy as np
    >>> import kronlap as kl
    >>> from kronlap.multigrid.geometric.stencil import StencilOperator
    >>> g = kl.Grid((5, 4), bc=["dirichlet", "periodic"])
    >>> fine = StencilOperator.from_grid(g, shift=1.0)
    >>> C = {o: np.broadcast_to(c, g.shape) for o, c in fine.coefficients().items()}
    >>> S = FullStencil(C, g.shape, g.periodic, np)
    >>> bool(np.allclose(S.dense(), fine.dense()))
    True
    """

    def __init__(self, coefficients, shape, periodic, xp, dtype=np.float64):
        self.dtype = np.dtype(dtype)
        self.shape = tuple(int(n) for n in shape)
        self.ndim = len(self.shape)
        self.size = int(np.prod(self.shape, dtype=np.int64))
        self.periodic = tuple(bool(p) for p in periodic)
        self.xp = xp
        centre = (0,) * self.ndim
        self._coefficients = {
            o: xp.ascontiguousarray(xp.broadcast_to(xp.asarray(c, dtype=self.dtype), self.shape))
            for o, c in coefficients.items()
        }
        self.diag = self._coefficients[centre]
        self.inv_diag = _safe_inverse(xp, self.diag)
        inside = tuple(slice(1, 1 + n) for n in self.shape)
        self._terms = [
            (_shifted(inside, o), c) for o, c in self._coefficients.items() if o != centre
        ]
        self._colours = self._plan_colours()

    def coefficients(self) -> dict:
        """The stencil as ``{offset: C_o}`` (arrays of the grid shape; not copies)."""
        return dict(self._coefficients)

    def _plan_colours(self):
        """Per parity pattern: its points, ``1 / C_0`` there and ``-C_o / C_0`` per neighbour."""
        xp = self.xp
        colours = []
        for parity in itertools.product((0, 1), repeat=self.ndim):
            if any(p >= n for p, n in zip(parity, self.shape)):
                continue
            block = tuple(slice(1 + p, 1 + n, 2) for p, n in zip(parity, self.shape))
            points = _unpadded(block)
            inverse = xp.ascontiguousarray(self.inv_diag[points])
            neighbours = [
                (_shifted(block, o), -c[points] * inverse)
                for o, c in self._coefficients.items()
                if any(o)
            ]
            colours.append((block, points, inverse, neighbours))
        return colours

    def _colour_arrays(self, workspace, shape):
        """The update and scratch arrays of a colour of ``shape``, from ``workspace``."""

        def make():
            return self.xp.empty(shape, dtype=self.dtype)

        return workspace.get(("sum", shape), make), workspace.get(("term", shape), make)

    def apply_padded(self, u_pad, out=None, workspace=None):
        """``S u`` for the padded ``u_pad`` (ghosts up to date), into ``out`` if given.

        ``workspace``: a :class:`~kronlap.multigrid.geometric.stencil.Workspace` for the
        scratch array (without one, a new array).
        """
        xp = self.xp
        if out is None:
            out = xp.empty(self.shape, dtype=self.dtype)
        if workspace is None:
            workspace = Workspace()
        work = workspace.get("grid", lambda: xp.empty(self.shape, dtype=self.dtype))
        xp.multiply(self.diag, self.interior(u_pad), out=out)
        for neighbour, c in self._terms:
            xp.multiply(c, u_pad[neighbour], out=work)
            out += work
        return out

    def smooth(self, u_pad, b, reverse=False, zero=False, scaled_b=None, workspace=None):
        """One Gauss-Seidel sweep over the ``2^ndim`` colours, in place (reversed if ``reverse``).

        ``zero`` says that ``u_pad`` is zero (ghosts included), which saves
        the neighbour sums of the first colour. (``scaled_b`` is accepted
        for the interface of :class:`~kronlap.multigrid.geometric.stencil.StencilOperator`
        and not used: the colours fold ``1 / C_0`` in, and
        :meth:`~kronlap.multigrid.geometric.stencil.PaddedLayout.scaled_rhs` makes none.)
        ``workspace`` (a :class:`~kronlap.multigrid.geometric.stencil.Workspace`) holds the
        scratch arrays; colours of one shape share them, one colour being
        done after another.
        """
        xp = self.xp
        if workspace is None:
            workspace = Workspace()
        colours = self._colours[::-1] if reverse else self._colours
        for k, (block, points, inverse, neighbours) in enumerate(colours):
            buffer, scratch = self._colour_arrays(workspace, inverse.shape)
            self.refresh(u_pad)
            xp.multiply(b[points], inverse, out=buffer)
            if not (zero and k == 0):  # else every neighbour is still 0
                for neighbour, weight in neighbours:
                    xp.multiply(weight, u_pad[neighbour], out=scratch)
                    buffer += scratch
            u_pad[block] = buffer
        self.refresh(u_pad)

    def dense(self) -> np.ndarray:
        """The operator as a dense numpy matrix (for the coarsest level)."""
        N = self.size
        index = np.arange(N).reshape(self.shape)
        S = np.zeros((N, N))
        for offset, c in self._coefficients.items():
            target = index
            valid = np.ones(self.shape, dtype=bool)
            for d, (o, n) in enumerate(zip(offset, self.shape)):
                position = np.arange(n) + o
                view = [1] * self.ndim
                view[d] = n
                if self.periodic[d]:
                    position %= n
                else:
                    valid &= ((position >= 0) & (position < n)).reshape(view)
                    position = np.clip(position, 0, n - 1)
                target = np.take(target, position, axis=d)
            np.add.at(S, (index[valid], target[valid]), to_backend(c, "numpy")[valid])
        return S


class OperatorInterpolation:
    """Operator-dependent interpolation ``P`` from a coarse subset grid, and ``P^T``.

    Parameters
    ----------
    fine : PaddedLayout
        The fine operator (its shape, periodic axes and ghost handling).
    coefficients : dict
        The fine stencil ``{offset: C_o}`` (arrays broadcasting against
        the fine shape), as :meth:`FullStencil.coefficients` or
        :meth:`kronlap.multigrid.geometric.stencil.StencilOperator.coefficients`.
    starts : sequence of int or None
        Per axis, the first fine index kept by the coarse grid (every other
        one from there), or None for an axis that is not coarsened.

    Attributes
    ----------
    coarse_shape : tuple of int

    Examples
    --------
    With a constant coefficient the weights are the linear ones:

    >>> import numpy as np
    >>> import kronlap as kl
    >>> from kronlap.multigrid.geometric.stencil import StencilOperator
    >>> fine = StencilOperator.from_grid(kl.Grid(5))
    >>> P = OperatorInterpolation(fine, fine.coefficients(), [1])
    >>> P.coarse_shape
    (2,)
    >>> P.prolong(np.array([1.0, 1.0]))
    array([0.5, 1. , 1. , 1. , 0.5])

    Notes
    -----
    The interpolation holds no arrays that it writes: :meth:`prolong`,
    :meth:`restrict` and :meth:`residual_buffer` work in the caller's
    :class:`~kronlap.multigrid.geometric.stencil.Workspace` (a fresh one if none is given),
    whose arrays they return as views.
    """

    def __init__(self, fine, coefficients, starts):
        xp = self.xp = fine.xp
        self.fine = fine
        shape = fine.shape
        self.coarse_block = tuple(
            slice(1, 1 + n) if s is None else slice(1 + s, 1 + n, 2) for n, s in zip(shape, starts)
        )
        self.coarse_shape = tuple(
            len(range(*b.indices(n + 2))) for b, n in zip(self.coarse_block, shape)
        )
        axes = [d for d, s in enumerate(starts) if s is not None]
        centre = (0,) * fine.ndim
        coefficients = _attractive(xp, coefficients, fine.ndim)
        self.classes = []
        for k in range(1, len(axes) + 1):
            for fine_axes in itertools.combinations(axes, k):
                block = tuple(
                    slice(2 - starts[d], 1 + n, 2) if d in fine_axes else self.coarse_block[d]
                    for d, n in enumerate(shape)
                )
                points = _unpadded(block)
                if any(len(range(*s.indices(n))) == 0 for s, n in zip(points, shape)):
                    continue

                def collapsed(offset, fine_axes=fine_axes, points=points):
                    """``C'_offset``: the stencil summed over the axes outside ``fine_axes``."""
                    total, found = 0.0, False
                    for o in _offsets(fine.ndim):
                        if all(o[d] == offset[d] for d in fine_axes) and o in coefficients:
                            total = total + _at(xp, coefficients[o], shape, points)
                            found = True
                    return total if found else None

                inverse = _safe_inverse(xp, collapsed(centre))
                terms = []
                for offset in _offsets(fine.ndim):
                    if not any(offset) or any(
                        offset[d] for d in range(fine.ndim) if d not in fine_axes
                    ):
                        continue
                    c = collapsed(offset)
                    if c is None:
                        continue
                    weight = -c * inverse
                    if bool(xp.any(weight != 0)):
                        terms.append((_shifted(block, offset), weight))
                self.classes.append((block, terms))
        # One scratch array, seen by every class in its block's shape.
        self._class_shapes = [
            tuple(len(range(*s.indices(n))) for s, n in zip(_unpadded(block), shape))
            for block, _ in self.classes
        ]

    def _class_scratch(self, workspace):
        """Per class, a scratch array of its block's shape: views of one array in ``workspace``."""

        def make():
            sizes = [int(np.prod(s)) for s in self._class_shapes]
            flat = self.xp.empty(max(sizes, default=0), dtype=self.fine.dtype)
            return [flat[:size].reshape(s) for size, s in zip(sizes, self._class_shapes)]

        return workspace.get("classes", make)

    def _restrict_pad(self, workspace):
        # Zero ghosts on entry to restrict, which folds them back to zero.
        return workspace.get("restrict", self.fine.padded)

    def residual_buffer(self, workspace=None):
        """The fine array :meth:`restrict` reads without a copy (the residual goes there).

        A view into ``workspace`` (a :class:`~kronlap.multigrid.geometric.stencil.Workspace`),
        the same array on every call with that workspace.
        """
        if workspace is None:
            workspace = Workspace()
        return workspace.get("residual", lambda: self.fine.interior(self._restrict_pad(workspace)))

    def prolong(self, e, workspace=None):
        """``P e`` for a coarse array ``e``: a view into ``workspace``, valid until next use."""
        return self.fine.interior(self.prolong_padded(e, workspace))

    def prolong_padded(self, e, workspace=None):
        """``P e`` in a padded fine array of ``workspace``, ghosts up to date (until next use)."""
        xp = self.xp
        if workspace is None:
            workspace = Workspace()
        pad = workspace.get("prolong", self.fine.padded)
        pad[self.coarse_block] = e
        for (block, terms), scratch in zip(self.classes, self._class_scratch(workspace)):
            self.fine.refresh(pad)
            pad[block] = 0.0
            for neighbour, weight in terms:
                pad[block] += xp.multiply(weight, pad[neighbour], out=scratch)
        self.fine.refresh(pad)
        return pad

    def restrict(self, r, out=None, workspace=None):
        """``P^T r`` for a fine array ``r``, into the coarse array ``out`` (new if None).

        ``r`` may be :meth:`residual_buffer` of ``workspace`` (no copy).
        """
        xp = self.xp
        if workspace is None:
            workspace = Workspace()
        pad = self._restrict_pad(workspace)
        residual = self.residual_buffer(workspace)
        if r is not residual:
            residual[...] = r
        scratches = self._class_scratch(workspace)
        for (block, terms), scratch in zip(reversed(self.classes), reversed(scratches)):
            values = pad[block]
            for neighbour, weight in terms:
                pad[neighbour] += xp.multiply(weight, values, out=scratch)
            self.fine.fold(pad)
        if out is None:
            return xp.ascontiguousarray(pad[self.coarse_block])
        out[...] = pad[self.coarse_block]
        return out


def _probe_colours(m: int, periodic: bool) -> np.ndarray:
    """Colours of a coarse axis such that any three consecutive points differ.

    ``i mod 3``, with the last ``m mod 3`` points of a periodic axis given
    colours of their own (3 and 4), so the condition holds across the wrap.
    """
    colour = np.arange(m) % 3
    tail = m % 3
    if periodic and tail:
        colour[m - tail :] = 3 + np.arange(tail)
    return colour


def galerkin_operator(fine, interpolation: OperatorInterpolation) -> FullStencil:
    """``P^T S P`` as a :class:`FullStencil`, by probing.

    Each probe is the indicator of one colour class of coarse points
    (:func:`_probe_colours` per axis); ``P^T S P`` has a ``3^ndim``-point
    stencil, and the neighbours of a coarse point have distinct colours,
    so entry ``(i, i + o)`` is the probe of ``i + o``'s colour, read at ``i``.

    Parameters
    ----------
    fine : StencilOperator or FullStencil
        ``S``, with ``apply``.
    interpolation : OperatorInterpolation

    Returns
    -------
    FullStencil
        On ``interpolation.coarse_shape``, with ``fine``'s periodic axes.

    Examples
    --------
    >>> import numpy as np
    >>> import kronlap as kl
    >>> from kronlap.multigrid.geometric.stencil import StencilOperator
    >>> g = kl.Grid((7, 6), bc=["dirichlet", "periodic"])
    >>> a = np.random.default_rng(0).uniform(1.0, 10.0, g.shape)
    >>> fine = StencilOperator.from_grid(g, coeff=a)
    >>> P = OperatorInterpolation(fine, fine.coefficients(), [1, 0])
    >>> coarse = galerkin_operator(fine, P)
    >>> columns = [P.prolong(e.reshape(P.coarse_shape)).ravel().copy() for e in np.eye(9)]
    >>> Pm = np.column_stack(columns)
    >>> bool(np.allclose(coarse.dense(), Pm.T @ fine.dense() @ Pm))
    True
    """
    xp = fine.xp
    shape = interpolation.coarse_shape
    ndim = len(shape)
    colours = [_probe_colours(m, p and m >= 3) for m, p in zip(shape, fine.periodic)]
    counts = tuple(int(c.max()) + 1 for c in colours)
    probes = xp.empty(counts + shape, dtype=fine.dtype)
    fine_work, transfer_work = Workspace(), Workspace()
    for colour in itertools.product(*(range(k) for k in counts)):
        indicator = np.ones(shape)
        for d, (c, col) in enumerate(zip(colour, colours)):
            view = [1] * ndim
            view[d] = shape[d]
            indicator = indicator * (col == c).reshape(view)
        pad = interpolation.prolong_padded(xp.asarray(indicator, dtype=fine.dtype), transfer_work)
        residual = interpolation.residual_buffer(transfer_work)
        fine.apply_padded(pad, out=residual, workspace=fine_work)
        probes[colour] = interpolation.restrict(residual, workspace=transfer_work)
    positions = [
        xp.asarray(np.arange(m).reshape([m if e == d else 1 for e in range(ndim)]))
        for d, m in enumerate(shape)
    ]
    coefficients = {}
    for offset in _offsets(ndim):
        index, valid = [], np.ones(shape, dtype=bool)
        for d, (o, m, col) in enumerate(zip(offset, shape, colours)):
            target = np.arange(m) + o
            view = [1] * ndim
            view[d] = m
            if fine.periodic[d]:
                # On a periodic axis of one or two points, the offsets that
                # reach the same point are one entry: kept at 0 and +1 only.
                if m < 3 and not (o == 0 or (o == 1 and m == 2)):
                    valid = valid & np.zeros(view, dtype=bool)
                target %= m
            else:
                valid = valid & ((target >= 0) & (target < m)).reshape(view)
                target = np.clip(target, 0, m - 1)
            index.append(xp.asarray(col[target].reshape(view)))
        c = probes[tuple(index) + tuple(positions)] * xp.asarray(valid)
        if any(offset) and not bool(xp.any(c != 0)):
            continue
        coefficients[offset] = c
    return FullStencil(coefficients, shape, fine.periodic, xp, fine.dtype)
