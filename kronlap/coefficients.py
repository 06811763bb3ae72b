"""Variable-coefficient diffusion ``div(a grad u)``, assembled from 1D differences.

With ``D_d`` the 1D difference from cell values to face values on axis
``d`` and ``G_d = I (x) D_d (x) I`` its Kronecker embedding, the operator is

    L = - sum_d G_d^T diag(a on the faces of axis d) G_d / h_d**2,

symmetric, negative semidefinite and conservative (the flux through a face
leaves one cell and enters its neighbour). With ``a == 1`` it is exactly
:func:`kronlap.laplacian`.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from ._validation import check_grid
from .boundary import check_boundary, fold_boundary
from .differences import axis_operators, is_separable
from .grid import Grid
from .operators import kron_sum

__all__ = [
    "coefficient_array",
    "diffusion",
    "face_weights",
    "fold_diffusion_boundary",
    "harmonic_mean",
    "nd_face_coefficients",
    "rough_fraction",
    "separable_shift",
    "symmetric_diffusion",
    "volume_weights",
    "weighted_mean",
]


def coefficient_array(grid: Grid, coeff) -> np.ndarray:
    """Validate a diffusion coefficient and return it as a float64 array of ``grid.shape``.

    Parameters
    ----------
    grid : Grid
    coeff : float, array_like or callable
        A positive scalar; a positive finite real array of ``grid.shape``; or
        a callable ``coeff(*grid.mesh())`` returning such an array (or
        something that broadcasts to ``grid.shape``).

    Returns
    -------
    ndarray of shape ``grid.shape``, float64
        A new array (never a view of the caller's data).

    Raises
    ------
    TypeError
        ``coeff`` is not numeric and real (bool and complex are refused).
    ValueError
        Wrong shape, or a value that is NaN, inf, zero or negative.

    Examples
    --------
    >>> g = Grid((2, 3))
    >>> coefficient_array(g, lambda x, y: 1.0 + x).shape
    (2, 3)
    >>> coefficient_array(g, 2.0)[0]
    array([2., 2., 2.])
    """
    grid = check_grid(grid)
    if callable(coeff):
        arr = np.asarray(coeff(*grid.mesh()))
        source = "coeff(*grid.mesh())"
        if arr.shape != grid.shape:
            try:
                arr = np.broadcast_to(arr, grid.shape)
            except ValueError:
                raise ValueError(
                    f"{source} must return an array of grid.shape={grid.shape} (or one "
                    f"that broadcasts to it), got shape {arr.shape}"
                ) from None
    else:
        if isinstance(coeff, bool) or coeff is None:
            raise TypeError(
                f"coeff must be a positive number, an array of grid.shape or a callable, "
                f"got {coeff!r}"
            )
        arr = np.asarray(coeff)
        source = "coeff"
        if arr.ndim != 0 and arr.shape != grid.shape:
            raise ValueError(
                f"coeff must be a scalar or an array of grid.shape={grid.shape}, got shape "
                f"{arr.shape}"
            )
    if arr.dtype == bool or not np.issubdtype(arr.dtype, np.number):
        raise TypeError(f"{source} must be real and numeric, got dtype {arr.dtype}")
    if np.iscomplexobj(arr):
        raise TypeError(f"{source} must be real (a diffusion coefficient), got dtype {arr.dtype}")
    out = np.array(np.broadcast_to(arr, grid.shape), dtype=np.float64, order="C")
    bad = ~(np.isfinite(out) & (out > 0))
    if bad.any():
        first = tuple(int(i) for i in np.argwhere(bad)[0])
        raise ValueError(
            f"{source} must be positive and finite everywhere; {int(bad.sum())} of "
            f"{out.size} values are not (first at index {first}: {out[first]!r})"
        )
    return out


def harmonic_mean(a0: np.ndarray, a1: np.ndarray) -> np.ndarray:
    """``2 a0 a1 / (a0 + a1)`` elementwise: the coefficient of a face between two cells.

    Examples
    --------
    >>> harmonic_mean(np.array([1.0, 3.0]), np.array([1.0, 1.0]))
    array([1. , 1.5])
    """
    # a0 * (2 a1 / (a0 + a1)) neither overflows like 2 a0 a1 / (a0 + a1) nor
    # loses exactness for a0 == a1 (the ratio is exactly 1). One temporary.
    mean = np.add(a0, a1)
    np.divide(a1, mean, out=mean)
    mean *= 2.0
    mean *= a0
    return mean


def nd_face_coefficients(a: np.ndarray, axis: int, periodic: bool) -> np.ndarray:
    """The coefficient ``a`` (cell values) on the ``n + 1`` faces of ``axis``.

    Interior faces take the harmonic mean of their two cells; the side faces
    the value of the end cell next to them, or on a periodic axis the
    harmonic mean across the wrap-around face (face ``n`` repeats face 0).
    Slices are taken along ``axis`` in place: a moved axis would be read
    with a large stride.

    Examples
    --------
    >>> nd_face_coefficients(np.array([1.0, 3.0]), 0, False)
    array([1. , 1.5, 3. ])
    """

    def along(item):
        return a[_on_axis(a.ndim, axis, item)]

    first, last = along(slice(0, 1)), along(slice(-1, None))
    inner = harmonic_mean(along(slice(0, -1)), along(slice(1, None)))
    if periodic:
        wrap = harmonic_mean(last, first)
        return np.concatenate([wrap, inner, wrap], axis=axis)
    return np.concatenate([first, inner, last], axis=axis)


def face_weights(grid: Grid, coeff=None, operators=None) -> list:
    """Face weights ``W_d`` of the volume-weighted operator, one array per axis.

    ``W_d`` has ``n_d + 1`` entries along axis ``d`` (the faces of
    :class:`~kronlap.differences.AxisOperator`: face ``i`` joins unknowns
    ``i - 1`` and ``i``, faces 0 and ``n_d`` join the ends to the sides)
    and broadcasts against the grid along the others. It is the product of
    the axis' 1D face weights (spacing, sides, separable coefficient), the
    coefficient ``coeff`` on the faces (an array of ``grid.shape``;
    :func:`nd_face_coefficients`) and the control-volume widths of the other
    axes (stretched axes only). The operator is then
    ``V^-1 sum_d D_d^T W_d D_d`` with ``V`` :func:`volume_weights`, which
    for ``coeff=None`` on a uniform grid is :func:`kronlap.laplacian`.

    Parameters
    ----------
    grid : Grid
    coeff : ndarray of grid.shape or None
        A validated coefficient array (:func:`coefficient_array`); one with
        a single value everywhere keeps the weights 1D.
    operators : sequence of AxisOperator, optional
        The axes' 1D operators (default:
        :func:`kronlap.differences.axis_operators`).

    Examples
    --------
    >>> [w.ravel().tolist() for w in face_weights(Grid((2, 1), lengths=3.0, bc="neumann"))]
    [[0.0, 0.4444444444444444, 0.0], [0.0, 0.0]]
    """
    ops = axis_operators(grid) if operators is None else operators
    scale = 1.0
    if coeff is not None and np.all(coeff == coeff.flat[0]):
        scale, coeff = float(coeff.flat[0]), None
    weights = []
    for d, op in enumerate(ops):
        w = _along_axis(op.faces, d, grid.ndim)
        if scale != 1.0:
            w = w * scale
        for j, other in enumerate(ops):
            if j != d and not np.all(other.volumes == 1.0):
                w = w * _along_axis(other.volumes, j, grid.ndim)
        if coeff is not None:
            w = nd_face_coefficients(coeff, d, op.periodic) * w
        weights.append(w)
    return weights


def volume_weights(operators):
    """``V``: the product of the axes' control-volume widths (over ``h``), or None if all 1.

    The volume-weighted operator ``V (L - s)`` is symmetric; on a grid
    without stretched axes ``V`` is 1 and None is returned.

    Examples
    --------
    >>> volume_weights(axis_operators(Grid((2, 2)))) is None
    True
    """
    ndim = len(operators)
    total = None
    for d, op in enumerate(operators):
        if not np.all(op.volumes == 1.0):
            v = _along_axis(op.volumes, d, ndim)
            total = v if total is None else total * v
    if total is None:
        return None
    return np.broadcast_to(total, tuple(op.n for op in operators))


def weighted_mean(u, volumes):
    """``sum V u / sum V``: the mean of a grid function over the control volumes ``V``.

    Examples
    --------
    >>> weighted_mean(np.array([1.0, 4.0]), np.array([3.0, 1.0]))
    np.float64(1.75)
    """
    return (u * volumes).sum() / float(np.sum(volumes))


def separable_shift(operators):
    """``sum_k s_k(x_k)`` of the axes' separable shifts as a broadcastable array, or None.

    Examples
    --------
    >>> ops = axis_operators(Grid((2, 3)), shift=[1.0, [0.0, 1.0, 2.0]])
    >>> separable_shift(ops)
    array([[1., 2., 3.],
           [1., 2., 3.]])
    """
    ndim = len(operators)
    total = None
    for d, op in enumerate(operators):
        if op.shift is not None:
            s = _along_axis(op.shift, d, ndim)
            total = s if total is None else total + s
    return total


def rough_fraction(a: np.ndarray, ratio: float = 2.0) -> float:
    """The fraction of faces whose two cells' coefficients differ by more than ``ratio``.

    Over the interior faces of every axis (periodic wrap-around faces left
    out); 0 for a grid of one point. Above 1/2, the median contrast between
    neighbouring cells exceeds ``ratio``: a coefficient that is rough from
    cell to cell, not one that jumps across a few interfaces.

    Examples
    --------
    >>> rough_fraction(np.array([1.0, 1.0, 10.0, 10.0]))
    0.3333333333333333
    >>> rough_fraction(100.0 ** np.random.default_rng(0).random((64, 64))) > 0.5
    True
    """
    jumps, faces = 0, 0
    for axis in range(a.ndim):
        if a.shape[axis] < 2:
            continue
        low = a[_on_axis(a.ndim, axis, slice(0, -1))]
        high = a[_on_axis(a.ndim, axis, slice(1, None))]
        jumps += int(np.count_nonzero((high > ratio * low) | (low > ratio * high)))
        faces += low.size
    return jumps / faces if faces else 0.0


def _on_axis(ndim: int, axis: int, item) -> tuple:
    """The index that takes ``item`` (an int or slice) along ``axis`` and everything else."""
    index = [slice(None)] * ndim
    index[axis] = item
    return tuple(index)


def _along_axis(values, axis, ndim):
    view = [1] * ndim
    view[axis] = values.shape[0]
    return values.reshape(view)


def diffusion(grid: Grid, coeff, *, format: str = "csr"):
    """Discrete ``div(a grad u)`` on ``grid``, with the sign and scaling of :func:`laplacian`.

    Parameters
    ----------
    grid : Grid
        Shape, spacings and boundary conditions.
    coeff : float, array_like or callable
        The coefficient ``a`` at the unknowns: a positive scalar, a positive
        finite real array of ``grid.shape``, or a callable of the coordinate
        arrays, ``coeff(*grid.mesh())``.
    format : str, optional
        Sparse format of the result (default ``"csr"``).

    Returns
    -------
    scipy.sparse.sparray
        ``(grid.size, grid.size)``, symmetric and negative semidefinite,
        ordered like ``u.ravel()``. ``diffusion(grid, 1)`` equals
        ``laplacian(grid)``.

    Raises
    ------
    TypeError
        ``grid`` is not a :class:`Grid`; ``coeff`` is not real and numeric.
    ValueError
        ``coeff`` has the wrong shape or a value that is not positive and
        finite.

    See Also
    --------
    laplacian : the constant-coefficient case.
    fold_diffusion_boundary : boundary data for this operator.

    Notes
    -----
    On axis ``d`` the 1D difference ``D_d`` maps cell values to face
    gradients (times ``h_d``), ``G_d = I (x) D_d (x) I`` embeds it in the
    grid (see :func:`kron_product`), and

    .. math:: L = -\\sum_d G_d^T \\operatorname{diag}(a_{face}) G_d / h_d^2.

    An interior face takes the harmonic mean ``2 a_i a_j / (a_i + a_j)``
    of its two cells (exact for a coefficient that jumps between cells: the
    two half-cells act like resistors in series). A Dirichlet boundary face
    (a node ``h`` beyond the last unknown) takes the adjacent cell's value;
    a Neumann face carries no flux and has no term; a periodic axis wraps.
    Boundary data enter the right-hand side scaled by the same face value,
    see :func:`fold_diffusion_boundary`.

    Examples
    --------
    >>> import numpy as np
    >>> import kronlap as kl
    >>> g = kl.Grid(3, lengths=4.0)                    # h = 1
    >>> kl.diffusion(g, [1.0, 3.0, 3.0]).toarray()
    array([[-2.5,  1.5,  0. ],
           [ 1.5, -4.5,  3. ],
           [ 0. ,  3. , -6. ]])
    >>> g = kl.Grid((4, 5), bc=["periodic", ("dirichlet", "neumann")])
    >>> bool(abs(kl.diffusion(g, 1.0) - kl.laplacian(g)).max() == 0)
    True
    """
    grid = check_grid(grid)
    if is_separable(coeff, grid):
        ops = axis_operators(grid, coeff=coeff)
        return kron_sum(*(op.matrix() for op in ops), format=format)
    a = coefficient_array(grid, coeff)
    S, volumes = symmetric_diffusion(grid, a)
    if volumes is not None:
        S = sp.diags_array(1.0 / volumes.ravel()) @ S
    return S.asformat(format)


def symmetric_diffusion(grid: Grid, coeff=None, operators=None, *, shift=None):
    """``(S, V)``: the volume-weighted operator ``S = V (div(a grad) - shift)`` as CSR, and ``V``.

    ``S = -sum_d D_d^T diag(W_d) D_d - V shift`` with ``D_d`` the face
    differences of axis ``d`` embedded in the grid and ``W_d``
    :func:`face_weights`; symmetric and, for a non-negative shift and
    non-negative Robin coefficients, negative semidefinite. ``V`` is
    :func:`volume_weights` (None: 1 everywhere, and ``S`` is the operator
    itself). ``coeff`` is a validated array of ``grid.shape`` or None;
    ``operators`` the axes' 1D operators (they carry a separable
    coefficient; their shifts are left out); ``shift`` None, a number or
    an array broadcasting against the grid.

    Examples
    --------
    >>> import kronlap as kl
    >>> g = kl.Grid((3, 4), coords=[None, [0.1, 0.2, 0.5, 0.7]])
    >>> S, V = symmetric_diffusion(g)
    >>> bool(abs(S - S.T).max() == 0), V.shape
    (True, (3, 4))
    >>> S, _ = symmetric_diffusion(kl.Grid(3, lengths=4.0), shift=1.0)
    >>> S.toarray()
    array([[-3.,  1.,  0.],
           [ 1., -3.,  1.],
           [ 0.,  1., -3.]])

    Notes
    -----
    The matrix is written row by row from the stencil rather than
    multiplied out: face ``i`` of axis ``d`` (weight ``w_i``, joining cells
    ``i - 1`` and ``i``) adds ``w_i`` to the two couplings and subtracts
    it from the two diagonals, a boundary face only from the end cell's
    diagonal. Each row lists its neighbours along the axes in the order of
    their columns (wrapped periodic neighbours are sorted in afterwards),
    so that CSR comes out without a sort or a sparse product.
    """
    ops = axis_operators(grid) if operators is None else operators
    volumes = volume_weights(ops)
    shape, size, ndim = grid.shape, grid.size, grid.ndim
    axes = [d for d in range(ndim) if not (ops[d].periodic and shape[d] == 1)]
    slots = 2 * len(axes) + 1
    index_type = np.int32 if slots * size < 2**31 else np.int64
    cells = np.arange(size, dtype=index_type).reshape(shape)
    # Slot k of row i: columns i - stride_0 < ... < i < ... < i + stride_0,
    # the lower neighbours by axis, the diagonal, the upper ones in reverse.
    columns = np.empty(shape + (slots,), dtype=index_type)
    values = np.empty(shape + (slots,))
    counts = np.full(shape, slots, dtype=index_type)
    centre = len(axes)
    diagonal = values[..., centre]
    diagonal[...] = 0.0 if shift is None else -np.broadcast_to(shift, shape)
    if volumes is not None and shift is not None:
        diagonal *= volumes
    columns[..., centre] = cells
    stride = np.cumprod((1,) + shape[:0:-1])[::-1]
    weights = face_weights(grid, coeff, ops)

    def at(axis, item):
        return _on_axis(ndim, axis, item)

    wrapped = False
    for k, axis in enumerate(axes):
        n, step = shape[axis], int(stride[axis])
        faces = np.broadcast_to(weights[axis], shape[:axis] + (n + 1,) + shape[axis + 1 :])
        low, high = values[..., k], values[..., slots - 1 - k]
        low[...] = faces[at(axis, slice(0, n))]
        high[...] = faces[at(axis, slice(1, n + 1))]
        columns[..., k] = cells - step
        columns[..., slots - 1 - k] = cells + step
        first, last = at(axis, 0), at(axis, n - 1)
        if ops[axis].periodic:
            # Face n joins cell n - 1 to cell 0 (faces 0 and n are one face).
            low[first] = faces[at(axis, n)]
            columns[..., k][first] += n * step
            columns[..., slots - 1 - k][last] -= n * step
            wrapped = True
        else:
            # The end cells' boundary faces have no neighbour: no entry.
            columns[..., k][first] = -1
            columns[..., slots - 1 - k][last] = -1
            counts[first] -= 1
            counts[last] -= 1
        diagonal -= low
        diagonal -= high
    indptr = np.zeros(size + 1, dtype=index_type)
    np.cumsum(counts, out=indptr[1:])
    columns, values = columns.reshape(-1), values.reshape(-1)
    if indptr[-1] < columns.size:
        present = columns >= 0
        columns, values = columns[present], values[present]
    S = sp.csr_array((values, columns, indptr), shape=(size, size))
    if wrapped:
        S.has_canonical_format = False
        S.sum_duplicates()  # sorts the wrapped columns in; a periodic pair of 2 cells sums
    else:
        S.has_canonical_format = True
    if not np.all(S.data):
        S.eliminate_zeros()
    return S, volumes


def fold_diffusion_boundary(
    rhs: np.ndarray, grid: Grid, coeff, boundary, *, promote: bool = False
) -> np.ndarray:
    """Move boundary data to the right-hand side of ``div(a grad u) = f``, in place.

    Like :func:`kronlap.boundary.fold_boundary`, with each value scaled by
    the coefficient of the boundary face, taken from the adjacent cell: a
    Dirichlet value ``g`` gives ``f_first -= a_first * g / h**2``, a Neumann
    value ``q`` (outward normal derivative ``du/dn``, so the outward flux is
    ``a_first * q``) gives ``f_first -= a_first * q / h``; likewise at the
    high side.

    Parameters
    ----------
    rhs : ndarray of shape ``grid.shape``
        Modified in place and returned.
    grid : Grid
    coeff : float, array_like or callable
        As in :func:`diffusion`.
    boundary : dict or None
        ``{(axis, side): value}``, ``side`` 0 (low) or 1 (high), ``value`` a
        scalar or an array of the face's shape.
    promote : bool, optional
        Complex data with a real ``rhs``: return a new complex array (as
        :func:`kronlap.boundary.fold_boundary`) instead of raising.

    Returns
    -------
    ndarray
        ``rhs``, or its complex promotion.

    Notes
    -----
    Only cell values of ``a`` are known, so the boundary face takes the
    adjacent cell's. For Dirichlet data that keeps the scheme second-order
    accurate. For a non-zero Neumann flux where ``a`` varies across the
    boundary cell it is first order (the flux is off by ``a' h q / 2``
    in a layer one cell thick); if ``a`` is known on the boundary, pass
    ``q * a_boundary / a_cell`` to make it second order again.

    Examples
    --------
    >>> import numpy as np
    >>> g = Grid(3, lengths=4.0)                       # h = 1
    >>> fold_diffusion_boundary(np.zeros(3), g, [2.0, 1.0, 5.0], {(0, 0): 1.0, (0, 1): 1.0})
    array([-2.,  0., -5.])
    """
    items = check_boundary(boundary, grid)
    if not items:
        return rhs
    a = coefficient_array(grid, coeff)
    scaled = {}
    for axis, side, _kind, value in items:
        face = np.take(a, 0 if side == 0 else -1, axis=axis)
        scaled[(axis, side)] = face * value
    return fold_boundary(rhs, grid, scaled, promote=promote)
