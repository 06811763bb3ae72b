"""One axis' 1D operator: second differences with any sides, spacing, coefficient and shift.

Every N-D operator of kronlap is built from one 1D operator per axis. On a
uniform axis without coefficient that is :func:`second_difference`; in
general (:func:`axis_operator`) it is the symmetric finite-volume operator

    (A u)_i = (F_{i+1/2} - F_{i-1/2}) / V_i - s_i u_i,
    F_{i+1/2} = a_{i+1/2} (u_{i+1} - u_i) / (x_{i+1} - x_i),

with ``V_i`` the width of the control volume of unknown ``i`` (from the
midpoint with its left neighbour to the midpoint with its right one),
``a`` a coefficient varying along the axis and ``s`` a shift. At a side the
flux comes from the boundary condition:

* Dirichlet (value ``g`` at the boundary node): ``F = a_b (g - u_0) / d``
  with ``d`` the distance from the node to the first unknown;
* Neumann (``du/dn = q``, outward normal): ``F = a_b q``;
* Robin (``du/dn + k u = g``): with the boundary value extrapolated as
  ``u_b = u_0 + d du/dn``, ``du/dn = (g - k u_0) / (1 + k d)`` and
  ``F = a_b (g - k u_0) / (1 + k d)``: second order, and Neumann for
  ``k = 0``.

So ``A = V^-1 K`` with ``K`` symmetric tridiagonal (circulant on a periodic
axis): ``A`` is symmetric in the inner product weighted by ``V``, which is
what makes fast diagonalization (the generalized eigenproblem
``K v = lam V v``), conjugate gradients and Galerkin multigrid work on the
volume-weighted system ``V A``. On a uniform axis ``V = h``, ``K`` is the
familiar ``tridiag(1, -2, 1) / h``, and ``A`` is the second difference.
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from ._validation import check_count, check_positive
from .convolution import circulant
from .grid import Grid, normalize_bc, real_vector, side_kind

__all__ = [
    "AxisOperator",
    "axis_operator",
    "axis_operators",
    "has_constant_null_space",
    "is_separable",
    "plain_operator",
    "second_difference",
]


def second_difference(n: int, h: float = 1.0, bc="dirichlet", *, format="csr"):
    """1D discrete Laplacian ``(u[i-1] - 2 u[i] + u[i+1]) / h**2``.

    Parameters
    ----------
    n : int
        Number of unknowns (``>= 1``).
    h : float, optional
        Grid spacing (positive).
    bc : str, ("robin", k) or a (low, high) pair, optional
        ``"dirichlet"`` (first/last diagonal entry ``-2``), ``"neumann"``
        (``-1``), ``"periodic"`` (circulant, ``1`` in the corners),
        ``("robin", k)`` (``-1 - k h / (1 + k h / 2)``: ``du/dn + k u = g``
        on the face half a cell beyond, see :func:`axis_operator`), or a
        ``(low, high)`` pair of the non-periodic sides.
    format : str, optional
        Sparse format of the result (default ``"csr"``).

    Returns
    -------
    scipy.sparse.sparray
        The ``(n, n)`` matrix: Strang's ``-K, -T, -B, -C`` scaled by
        ``1/h**2``. It is negative semidefinite for ``k >= 0``.

    Raises
    ------
    TypeError
        ``n`` is not an int, or ``bc`` is neither a side nor a pair.
    ValueError
        ``n < 1``, non-positive ``h``, or an unknown ``bc``.

    See Also
    --------
    scipy.sparse.linalg.LaplacianNd : the same matrices for ``h = 1``.
    axis_operator : the general 1D operator of a grid axis.

    Examples
    --------
    >>> second_difference(4, bc=("dirichlet", "neumann")).toarray()
    array([[-2.,  1.,  0.,  0.],
           [ 1., -2.,  1.,  0.],
           [ 0.,  1., -2.,  1.],
           [ 0.,  0.,  1., -1.]])
    >>> second_difference(2, bc=("robin", 1.0)).toarray()
    array([[-1.66666667,  1.        ],
           [ 1.        , -1.66666667]])
    """
    n = check_count(n, "n")
    h = check_positive(h, "h")
    low, high = normalize_bc(bc, "bc")
    scale = 1.0 / float(h) ** 2
    main = np.full(n, -2.0 * scale)
    off = np.full(n - 1, scale)
    if low == "periodic":
        # Circulant: the neighbours of the ends wrap around. For n = 1 the
        # node is its own neighbour on both sides; for n = 2 the two stencil
        # neighbours coincide, so the couplings add up.
        if n == 1:
            return sp.csr_array(np.zeros((1, 1))).asformat(format)
        first_col = np.zeros(n)
        first_col[0] = -2.0 * scale
        first_col[1] += scale
        first_col[-1] += scale
        return circulant(first_col, sparse=True, format=format)
    for side, end in ((low, 0), (high, -1)):
        if side_kind(side) != "dirichlet":
            main[end] += scale  # Neumann: no flux through the face
        if side_kind(side) == "robin":
            main[end] -= _robin_conductance(side[1], 0.5 * h) / h
    return sp.diags_array([off, main, off], offsets=[-1, 0, 1], format=format)


def _robin_conductance(k: float, d: float) -> float:
    """``k / (1 + k d)``: the outward flux per unit of ``u_0`` through a Robin side."""
    return k / (1.0 + k * d)


@dataclass(frozen=True, eq=False)
class AxisOperator:
    """The 1D operator ``A = diag(1/volumes) K - diag(shift)`` of one grid axis.

    Made by :func:`axis_operator`. Quantities are relative to the axis'
    reference spacing ``h`` (:attr:`Grid.h`): ``volumes`` are the control
    volume widths over ``h`` (all 1 on a uniform axis) and ``faces`` the
    entries of ``K`` over ``h``, so on a uniform axis without coefficient
    ``faces`` holds ``1/h**2`` (0 on a Neumann side).

    Attributes
    ----------
    n : int
    h : float
        The reference spacing.
    pair : tuple
        The normalized ``(low, high)`` sides.
    faces : ndarray, shape (n + 1,)
        Face weights: ``faces[i]`` couples unknowns ``i - 1`` and ``i``;
        ``faces[0]`` and ``faces[n]`` join the end unknowns to the sides
        (the wrap-around face, twice, on a periodic axis).
    volumes : ndarray, shape (n,)
    shift : ndarray of shape (n,) or None
        The separable shift ``s`` (``None``: none).
    data_weights : (float, float)
        ``f[end] -= weight * g`` moves a side's boundary data ``g`` to the
        right-hand side (0 on a periodic axis).
    plain : bool
        True when ``A`` is exactly :func:`second_difference` (a uniform
        axis, no coefficient, no shift): the fast transforms apply.
    """

    n: int
    h: float
    pair: tuple
    faces: np.ndarray
    volumes: np.ndarray
    shift: np.ndarray | None
    data_weights: tuple
    plain: bool

    @property
    def periodic(self) -> bool:
        return self.pair[0] == "periodic"

    def symmetric(self, format: str = "csr"):
        """``diag(volumes) A``: symmetric, ``K / h - diag(volumes * shift)``.

        Examples
        --------
        >>> op = axis_operator(Grid(3, coords=[[0.2, 0.4, 0.8]]), 0)
        >>> S = op.symmetric().toarray()
        >>> bool((S == S.T).all())
        True
        """
        if self.plain:
            return second_difference(self.n, self.h, self.pair, format=format)
        n, w = self.n, self.faces
        if self.periodic:
            left, right = np.arange(n), (np.arange(n) + 1) % n
            weights = w[1:]
        else:
            left, right = np.arange(n - 1), np.arange(1, n)
            weights = w[1:-1]
        main = np.zeros(n)
        np.subtract.at(main, left, weights)
        np.subtract.at(main, right, weights)
        if not self.periodic:
            main[0] -= w[0]
            main[-1] -= w[-1]
        if self.shift is not None:
            main -= self.volumes * self.shift
        rows = np.concatenate([np.arange(n), left, right])
        cols = np.concatenate([np.arange(n), right, left])
        vals = np.concatenate([main, weights, weights])
        return sp.coo_array((vals, (rows, cols)), shape=(n, n)).asformat(format)

    def matrix(self, format: str = "csr"):
        """``A`` itself: the 1D operator at the unknowns (not symmetric on a stretched axis).

        Examples
        --------
        >>> g = Grid(4, bc=("dirichlet", "neumann"))
        >>> bool((axis_operator(g, 0).matrix() != second_difference(4, g.h[0], g.bc[0])).nnz == 0)
        True
        """
        if self.plain:
            return second_difference(self.n, self.h, self.pair, format=format)
        S = self.symmetric(format="csr")
        if not np.all(self.volumes == 1.0):
            S = sp.diags_array(1.0 / self.volumes) @ S
        return S.asformat(format)


def axis_operator(grid: Grid, axis: int, coeff=None, shift=None) -> AxisOperator:
    """The 1D operator of axis ``axis`` of ``grid``, with a coefficient and shift along it.

    Parameters
    ----------
    grid : Grid
        Spacing (uniform or the stretched positions of ``grid.coords``) and
        sides.
    axis : int
    coeff : None, float, array_like of shape (n,) or callable, optional
        The coefficient ``a(x)`` of ``d/dx (a du/dx)`` along the axis. An
        array holds its values at the unknowns: an interior face takes the
        harmonic mean of its two unknowns (exact for a coefficient that
        jumps between them) and a side face the value of the unknown next to
        it (so a Neumann or Robin flux is first order where ``a`` varies
        there; give a callable to avoid that). A callable is evaluated at
        the faces themselves, ``coeff(x_faces)``: second order everywhere.
    shift : None, float, array_like of shape (n,) or callable, optional
        The shift ``s(x) >= 0`` subtracted along the axis: a value per
        unknown, or ``shift(x)`` of the positions of the unknowns.

    Returns
    -------
    AxisOperator

    Raises
    ------
    TypeError, ValueError
        A coefficient or shift that is not real, has the wrong length, or
        is not positive (coefficient) / non-negative (shift) and finite.

    Examples
    --------
    On a uniform Robin axis without coefficient it is the second difference:

    >>> g = Grid(4, bc=("dirichlet", ("robin", 2.0)))
    >>> op = axis_operator(g, 0)
    >>> op.plain, op.data_weights
    (True, (20.25, 3.681818181818182))

    A stretched axis is symmetric in the volume-weighted inner product:

    >>> import numpy as np
    >>> op = axis_operator(Grid(3, coords=[[0.1, 0.3, 0.8]]), 0, coeff=lambda x: 1 + x)
    >>> op.volumes.round(3)
    array([0.6, 1.4, 1.4])
    """
    n, h, pair = grid.shape[axis], grid.h[axis], grid.bc[axis]
    a = _axis_values(coeff, grid, axis, f"coeff[{axis}]", positive=True)
    s = _axis_values(shift, grid, axis, f"shift[{axis}]", positive=False)
    if s is not None and not np.any(s):
        s = None
    if not grid.stretched[axis] and a is None and s is None:
        return plain_operator(n, h, pair)
    x = grid.coords[axis]
    length = grid.lengths[axis]
    periodic = pair[0] == "periodic"
    # Face positions and the gaps they bridge; the control-volume edges.
    mids = 0.5 * (x[:-1] + x[1:])
    if periodic:
        wrap = 0.5 * (x[-1] + x[0] + length)  # the wrap-around face, beyond x[-1]
        edges = np.concatenate([[wrap - length], mids, [wrap]])
        gaps = np.concatenate([[x[0] + length - x[-1]], np.diff(x), [x[0] + length - x[-1]]])
        face_x = np.concatenate([[wrap % length], mids, [wrap % length]])
    else:
        dirichlet = [side_kind(side) == "dirichlet" for side in pair]
        low_face = 0.5 * x[0] if dirichlet[0] else 0.0
        high_face = 0.5 * (x[-1] + length) if dirichlet[1] else length
        edges = np.concatenate([[low_face], mids, [high_face]])
        gaps = np.concatenate([[x[0]], np.diff(x), [length - x[-1]]])
        face_x = edges
    if grid.stretched[axis]:
        volumes = np.diff(edges) / h
    else:
        gaps, volumes = _uniform_gaps(n, h, pair), np.ones(n)
    face_a = _face_values(coeff, a, face_x, n, periodic, f"coeff[{axis}]")
    return _finish(n, h, pair, face_a, gaps, volumes, s)


def plain_operator(n: int, h: float, pair) -> AxisOperator:
    """The operator of a uniform axis without coefficient or shift: :func:`second_difference`.

    Examples
    --------
    >>> plain_operator(3, 0.5, ("dirichlet", "neumann")).faces
    array([4., 4., 4., 0.])
    """
    return _finish(n, h, pair, np.ones(n + 1), _uniform_gaps(n, h, pair), np.ones(n), None)


def _uniform_gaps(n, h, pair):
    """Distances bridged by the faces of a uniform axis: ``h``, ``h/2`` to a cell-centred side."""
    gaps = np.full(n + 1, h)
    if pair[0] != "periodic":
        for face, side in ((0, pair[0]), (n, pair[1])):
            if side_kind(side) != "dirichlet":
                gaps[face] = 0.5 * h
    return gaps


def _finish(n, h, pair, face_a, gaps, volumes, shift) -> AxisOperator:
    """The operator from face coefficients, gaps and volumes: the sides' fluxes and data."""
    # K / h: a / gap / h. On a uniform axis without coefficient these are
    # the very numbers second_difference and fold_boundary use: 1 / h**2,
    # 1 / h (Neumann data), k / (1 + k h/2) / h (Robin).
    faces = face_a / (gaps * h)
    weights = [0.0, 0.0]
    if pair[0] != "periodic":
        for end, (side, face, cell) in enumerate(((pair[0], 0, 0), (pair[1], n, n - 1))):
            kind, d, volume = side_kind(side), gaps[face], volumes[cell] * h
            if kind == "dirichlet":
                weights[end] = faces[face] / volumes[cell]
            elif kind == "neumann":
                faces[face] = 0.0
                weights[end] = face_a[face] / volume
            else:
                faces[face] = face_a[face] * _robin_conductance(side[1], d) / h
                weights[end] = face_a[face] / ((1.0 + side[1] * d) * volume)
    plain = shift is None and bool(np.all(face_a == 1.0)) and bool(np.all(volumes == 1.0))
    return AxisOperator(n, h, pair, faces, volumes, shift, tuple(map(float, weights)), plain)


def axis_operators(grid: Grid, coeff=None, shift=None) -> tuple[AxisOperator, ...]:
    """One :class:`AxisOperator` per axis; ``coeff``/``shift`` separable lists or None.

    Examples
    --------
    >>> ops = axis_operators(Grid((3, 4)), coeff=[2.0, np.arange(1.0, 5.0)])
    >>> [op.plain for op in ops]
    [False, False]
    """
    coeffs = [None] * grid.ndim if coeff is None else list(coeff)
    shifts = [None] * grid.ndim if shift is None else list(shift)
    return tuple(
        axis_operator(grid, axis, coeffs[axis], shifts[axis]) for axis in range(grid.ndim)
    )


def has_constant_null_space(operators, shift: float = 0.0) -> bool:
    """Whether ``sum_k A_k - shift`` annihilates the constants: the singular case.

    Every axis periodic or Neumann-Neumann, no separable shift on any axis,
    and ``shift == 0`` (:attr:`Grid.is_singular` with the shifts taken into
    account).

    Examples
    --------
    >>> g = Grid((4, 4), bc="neumann")
    >>> has_constant_null_space(axis_operators(g)), has_constant_null_space(axis_operators(g), 1.0)
    (True, False)
    >>> has_constant_null_space(axis_operators(g, shift=[0.0, 1.0]))
    False
    """
    return shift == 0.0 and all(
        op.pair[0] == op.pair[1] in ("periodic", "neumann") and op.shift is None
        for op in operators
    )


def is_separable(value, grid: Grid) -> bool:
    """Whether a ``coeff`` or ``shift`` reads as separable: one entry per axis.

    A list or tuple of ``grid.ndim`` entries, each a number, a callable or
    a 1D sequence, is separable (an entry of the wrong length is then an
    error naming it), unless it is a nested list of ``grid.shape``, a value
    for the whole grid, as is anything else (an ndarray above all). Where
    both readings fit (a list of two 2-lists on a 2 x 2 grid) it is
    separable: pass an ndarray for the full array.

    Examples
    --------
    >>> g = Grid((3, 4))
    >>> is_separable([1.0, np.ones(4)], g), is_separable(np.ones((3, 4)), g)
    (True, False)
    >>> is_separable([[1.0] * 5, [2.0] * 5], Grid((2, 5)))  # a 2 x 5 array
    False
    """
    if not isinstance(value, (list, tuple)) or len(value) != grid.ndim:
        return False
    lengths = []
    for entry in value:
        if callable(entry) or isinstance(entry, numbers.Number):
            lengths.append(None)
        elif isinstance(entry, (Sequence, np.ndarray)) and np.ndim(entry) == 1:
            lengths.append(len(entry))
        else:
            return False
    if all(m in (None, n) for m, n in zip(lengths, grid.shape)):
        return True
    try:
        return np.shape(value) != grid.shape
    except ValueError:  # ragged: not an array of any shape
        return True


def _axis_values(value, grid, axis, name, *, positive):
    """Validate one separable entry; its values at the unknowns (float64) or None."""
    if value is None:
        return None
    n = grid.shape[axis]
    if callable(value):
        arr = np.asarray(value(grid.coords[axis]))
        source = f"{name}(x)"
        if arr.ndim == 0:
            arr = np.full(n, arr)
    else:
        if isinstance(value, (bool, np.bool_)):
            raise TypeError(f"{name} must be a number, a 1D array or a callable, got {value!r}")
        arr = np.asarray(value)
        source = name
        if arr.ndim == 0:
            arr = np.full(n, arr)
    arr = real_vector(
        arr, n, source, f"a number or a 1D array of the axis' length grid.shape[{axis}]={n}"
    )
    ok = np.isfinite(arr) & ((arr > 0) if positive else (arr >= 0))
    if not ok.all():
        first = int(np.flatnonzero(~ok)[0])
        what = "positive" if positive else "non-negative"
        raise ValueError(
            f"{source} must be {what} and finite; {int((~ok).sum())} of {n} values are "
            f"not (first at index {first}: {arr[first]!r})"
        )
    return arr


def _face_values(coeff, a, face_x, n, periodic, name):
    """The coefficient on the ``n + 1`` faces (see :func:`axis_operator`)."""
    if a is None:
        return np.ones(n + 1)
    if callable(coeff):
        values = np.asarray(coeff(face_x))
        if values.ndim != 0 and values.shape != face_x.shape:
            raise ValueError(
                f"{name}(x) must return one value per position: called with the {n + 1} face "
                f"positions it returned shape {values.shape}"
            )
        values = np.broadcast_to(values.astype(np.float64), face_x.shape).copy()
        bad = ~(np.isfinite(values) & (values > 0))
        if bad.any():
            first = int(np.flatnonzero(bad)[0])
            raise ValueError(
                f"{name}(x) must be positive and finite at the faces too (the sides and the "
                f"midpoints between unknowns); at x={face_x[first]!r} it is {values[first]!r}"
            )
        return values
    from .coefficients import harmonic_mean

    inner = harmonic_mean(a[:-1], a[1:])
    if periodic:
        wrap = harmonic_mean(a[-1:], a[:1])
        return np.concatenate([wrap, inner, wrap])
    return np.concatenate([a[:1], inner, a[-1:]])
