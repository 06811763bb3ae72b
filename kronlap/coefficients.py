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
from .grid import Grid

__all__ = ["diffusion", "coefficient_array", "fold_diffusion_boundary", "harmonic_mean"]


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


def _face_difference(n: int, pair):
    """``(faces, n)`` 1D difference ``D`` from cell values to face gradients (times ``h``).

    Faces, in order: the low boundary face if that side is Dirichlet, the
    ``n - 1`` interior faces, the high boundary face if Dirichlet. Neumann
    boundary faces carry no flux and have no row. A periodic axis has ``n``
    faces, face ``i`` between cells ``i`` and ``i + 1 (mod n)``.
    """
    low, high = pair
    if low == "periodic":
        rows = np.arange(n)
        # n == 1: the cell is its own neighbour and the +1 and -1 cancel.
        return sp.csr_array(
            (np.r_[-np.ones(n), np.ones(n)], (np.r_[rows, rows], np.r_[rows, (rows + 1) % n])),
            shape=(n, n),
        )
    first = 1 if low == "dirichlet" else 0
    faces = first + (n - 1) + (1 if high == "dirichlet" else 0)
    interior = np.arange(n - 1)
    rows = [first + interior, first + interior]
    cols = [interior, interior + 1]
    vals = [-np.ones(n - 1), np.ones(n - 1)]
    if low == "dirichlet":
        rows.append([0])
        cols.append([0])
        vals.append([1.0])
    if high == "dirichlet":
        rows.append([faces - 1])
        cols.append([n - 1])
        vals.append([-1.0])
    return sp.csr_array(
        (np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))), shape=(faces, n)
    )


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


def _face_coefficients(a: np.ndarray, axis: int, pair) -> np.ndarray:
    """Coefficient on every face of ``axis``, in the row order of :func:`_face_difference`."""
    low, high = pair
    moved = np.moveaxis(a, axis, -1)
    if low == "periodic":
        faces = harmonic_mean(moved, np.roll(moved, -1, axis=-1))
    else:
        parts = [harmonic_mean(moved[..., :-1], moved[..., 1:])]
        if low == "dirichlet":
            parts.insert(0, moved[..., :1])
        if high == "dirichlet":
            parts.append(moved[..., -1:])
        faces = np.concatenate(parts, axis=-1)
    return np.moveaxis(faces, -1, axis)


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
    gradients (times ``h_d``); ``G_d = I (x) D_d (x) I`` embeds it with
    :func:`kron_product` (written out by index arithmetic for speed), and

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
    a = coefficient_array(grid, coeff)
    total = None
    for axis, (n, h, pair) in enumerate(zip(grid.shape, grid.h, grid.bc)):
        before = int(np.prod(grid.shape[:axis], dtype=np.int64))
        after = int(np.prod(grid.shape[axis + 1 :], dtype=np.int64))
        G = _embed_axis(_face_difference(n, pair), before, after)
        # Same scale factor as second_difference, so that a == 1 reproduces
        # laplacian() bit for bit.
        weights = _face_coefficients(a, axis, pair).ravel() * (1.0 / float(h) ** 2)
        WG = G.copy()
        WG.data *= np.repeat(weights, np.diff(G.indptr))
        term = G.T.tocsr() @ WG
        total = term if total is None else total + term
    out = -total.tocsr()
    out.eliminate_zeros()
    out.sort_indices()
    return out.asformat(format)


def _embed_axis(D, before: int, after: int):
    """``kron(I_before, D, I_after)`` as CSR, by index arithmetic.

    Equal to ``kron_product(eye(before), D, eye(after))``; the entry
    ``D[r, c]`` lands at row ``(o * m + r) * after + s`` and column
    ``(o * n + c) * after + s`` for every outer index ``o`` and inner index
    ``s``. Written out because ``scipy.sparse.kron`` with an identity factor
    is slower on large grids (see ``benchmarks/RESULTS.md``).
    """
    D = sp.coo_array(D)
    m, n = D.shape
    idx = np.int32 if before * max(m, n) * after < 2**31 else np.int64
    outer = np.arange(before, dtype=idx)[:, None, None]
    inner = np.arange(after, dtype=idx)[None, None, :]
    rows = ((outer * m + D.row.astype(idx)[None, :, None]) * after + inner).ravel()
    cols = ((outer * n + D.col.astype(idx)[None, :, None]) * after + inner).ravel()
    vals = np.broadcast_to(D.data[None, :, None], (before, D.nnz, after)).ravel()
    return sp.csr_array((vals, (rows, cols)), shape=(before * m * after, before * n * after))


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
