"""1D second differences and their Kronecker sums: the grid Laplacian."""

from __future__ import annotations

import numbers
from itertools import combinations

import numpy as np
import scipy.sparse as sp

from ._validation import check_grid
from .differences import axis_operators, second_difference
from .grid import Grid, side_kind

__all__ = [
    "axis_matrices",
    "second_difference",
    "kron_sum",
    "kron_product",
    "laplacian",
    "check_order",
    "compact_laplacian",
    "compact_weights",
]


def _as_sparse_factor(mat, name: str, square: bool):
    """Validate one factor of a Kronecker sum or product; return it as a COO array.

    Refused: a dtype that is not a number (bool and object included: scipy
    would AND the entries of a bool factor, or fail inside its sums), a
    factor that is not 2D, an empty one, and (for a sum) a non-square one.
    """
    arr = mat if sp.issparse(mat) else np.asarray(mat)
    if arr.dtype == bool or not np.issubdtype(arr.dtype, np.number):
        hint = "; convert it, e.g. with .astype(float)" if arr.dtype == bool else ""
        raise TypeError(
            f"{name} must be a numeric (integer, float or complex) matrix, got dtype "
            f"{arr.dtype}{hint}"
        )
    if arr.ndim != 2:
        raise ValueError(f"{name} must be a 2D matrix, got shape {arr.shape}")
    if 0 in arr.shape:
        raise ValueError(f"{name} must not be empty, got shape {arr.shape}")
    if square and arr.shape[0] != arr.shape[1]:
        raise ValueError(f"{name} must be square, got shape {arr.shape}")
    return sp.coo_array(arr)


def kron_product(*mats, format="csr"):
    """Kronecker product ``A0 (x) A1 (x) A2 (x) ...`` of the factors, as a sparse array.

    Parameters
    ----------
    *mats : sparse or dense 2D matrices
        One or more factors (need not be square).
    format : str, optional
        Sparse format of the result (default ``"csr"``).

    Returns
    -------
    scipy.sparse.sparray

    Raises
    ------
    TypeError
        A factor whose dtype is not numeric (bool included).
    ValueError
        No factor, or a factor that is not 2D or is empty.

    Examples
    --------
    >>> import numpy as np
    >>> A, B = np.eye(2), np.array([[0, 1], [1, 0]])
    >>> np.array_equal(kron_product(A, B).toarray(), np.kron(A, B))
    True
    """
    if not mats:
        raise ValueError("kron_product needs at least one matrix")
    factors = [_as_sparse_factor(m, f"mats[{k}]", square=False) for k, m in enumerate(mats)]
    out = factors[0]
    for factor in factors[1:]:
        out = sp.kron(out, factor, format="coo")
    return out.asformat(format)


def kron_sum(*mats, format="csr"):
    """Kronecker sum ``A0 (+) A1 (+) ...``: ``A_k`` acting on axis ``k``.

    For three factors this is
    ``kron(A0, I, I) + kron(I, A1, I) + kron(I, I, A2)``, so ``A0`` acts on
    axis 0 (the slowest index) of a C-ordered grid array. This reads like
    the axes and is the **reverse** of ``scipy.sparse.kronsum(A, B)``, which
    is ``kron(I, A) + kron(B, I)``.

    Parameters
    ----------
    *mats : sparse or dense square matrices
        One or more factors; factor ``k`` has the size of axis ``k``.
    format : str, optional
        Sparse format of the result (default ``"csr"``).

    Returns
    -------
    scipy.sparse.sparray
        Of size ``prod(n_k)``.

    Raises
    ------
    TypeError
        A factor whose dtype is not numeric (bool included).
    ValueError
        No factor, or a factor that is not a square 2D matrix, or is empty
        (``0 x 0``).

    Notes
    -----
    The sum is assembled as canonical CSR without sorting, one axis at a
    time: ``kron(A0, I) + kron(I, B)`` with ``B`` the sum of the remaining
    factors. Rows of ``A0`` that look alike relative to their diagonal (the
    interior rows of a second difference) share one block-row template that
    is broadcast over the whole run of block rows, so the cost is a few
    passes over the result's memory. Diagonal entries are always stored,
    zeros included.

    Examples
    --------
    >>> import numpy as np
    >>> A, B = np.diag([1.0, 2.0]), np.diag([10.0, 20.0, 30.0])
    >>> K = kron_sum(A, B).toarray()
    >>> np.array_equal(K, np.kron(A, np.eye(3)) + np.kron(np.eye(2), B))
    True
    """
    if not mats:
        raise ValueError("kron_sum needs at least one matrix")
    factors = [_as_sparse_factor(m, f"mats[{k}]", square=True) for k, m in enumerate(mats)]
    dtype = np.result_type(*(f.dtype for f in factors))
    total = int(np.prod([f.shape[0] for f in factors], dtype=np.int64))
    idx_dtype = np.int32 if total < 2**31 and _kron_sum_nnz(factors) < 2**31 else np.int64
    factors = [_with_diagonal(f, dtype, idx_dtype) for f in factors]
    out = factors[-1]
    for factor in reversed(factors[:-1]):
        out = _kron_sum_pair(factor, out, idx_dtype)
    return out if format == "csr" else out.asformat(format)


def _kron_sum_nnz(factors) -> int:
    """Upper bound on the stored entries of the Kronecker sum."""
    sizes = [f.shape[0] for f in factors]
    total = int(np.prod(sizes, dtype=np.int64))
    return sum((f.nnz + f.shape[0]) * (total // f.shape[0]) for f in factors)


def _with_diagonal(mat, dtype, idx_dtype):
    """Canonical CSR copy of ``mat`` that stores every diagonal entry.

    Zeros on the diagonal are kept as explicit entries, so that the
    diagonal of the other factors can be added in place.
    """
    coo = sp.coo_array(mat)
    n = coo.shape[0]
    diag = np.arange(n)
    rows = np.concatenate([coo.row, diag])
    cols = np.concatenate([coo.col, diag])
    vals = np.concatenate([coo.data.astype(dtype), np.zeros(n, dtype=dtype)])
    out = sp.csr_array((vals, (rows, cols)), shape=(n, n))
    out.sum_duplicates()
    out.indices = out.indices.astype(idx_dtype)
    out.indptr = out.indptr.astype(idx_dtype)
    return out


def _kron_sum_pair(A, B, idx_dtype):
    """``kron(A, I_m) + kron(I_n, B)`` for canonical CSR ``A``, ``B`` (diagonals stored).

    Block row ``i`` of the result (rows ``i*m .. i*m+m-1``) is ``B`` shifted
    to block column ``i``, with ``A[i, i]`` added on its diagonal, plus
    ``A[i, c] I`` in block column ``c`` for the off-diagonal entries of row
    ``i`` of ``A``. Row ``i*m + r`` therefore holds, in sorted order, the
    entries of ``A`` left of the diagonal (columns ``c*m + r``), row ``r``
    of ``B``, then those right of the diagonal. Block rows whose row of
    ``A`` looks the same relative to the diagonal (all interior rows of a
    second difference) share one template, which is written for the whole
    run of block rows in one broadcast: the result is canonical CSR without
    any sort, in a few passes over its memory.
    """
    n, m = A.shape[0], B.shape[0]
    dtype = np.result_type(A.dtype, B.dtype)
    b_counts = np.diff(B.indptr)
    b_rows = np.repeat(np.arange(m, dtype=idx_dtype), b_counts)
    b_diag = np.flatnonzero(B.indices == b_rows)  # one stored diagonal per row

    templates, runs = {}, []
    for i in range(n):
        start, stop = A.indptr[i], A.indptr[i + 1]
        cols, vals = A.indices[start:stop], A.data[start:stop]
        key = (tuple(cols - i), tuple(vals.tolist()))
        if runs and runs[-1][0] == key and runs[-1][2] == i:
            runs[-1][2] = i + 1
        else:
            runs.append([key, i, i + 1])
        if key not in templates:
            t_indptr, t_indices, t_data = _block_row_template(
                cols - i, vals, B, b_rows, b_diag, dtype
            )
            templates[key] = (t_indptr.astype(idx_dtype), t_indices.astype(idx_dtype), t_data)

    block_nnz = np.empty(n, dtype=np.int64)
    for key, first, stop in runs:
        block_nnz[first:stop] = templates[key][2].size
    starts = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(block_nnz, out=starts[1:])
    nnz = int(starts[-1])
    indptr = np.empty(n * m + 1, dtype=idx_dtype)
    indices = np.empty(nnz, dtype=idx_dtype)
    data = np.empty(nnz, dtype=dtype)
    indptr[-1] = nnz
    for key, first, stop in runs:
        t_indptr, t_indices, t_data = templates[key]
        count, size = stop - first, t_data.size
        block_columns = (np.arange(first, stop, dtype=idx_dtype) * m)[:, None]
        span = slice(int(starts[first]), int(starts[stop]))
        # Written straight into place: no temporaries of the result's size.
        np.add(t_indices, block_columns, out=indices[span].reshape(count, size))
        np.copyto(data[span].reshape(count, size), t_data)
        np.add(t_indptr, starts[first:stop, None].astype(idx_dtype),
               out=indptr[first * m : stop * m].reshape(count, m))
    out = sp.csr_array((data, indices, indptr), shape=(n * m, n * m))
    out.has_sorted_indices = True
    out.has_canonical_format = True
    return out


def _block_row_template(offsets, vals, B, b_rows, b_diag, dtype):
    """CSR pieces of one block row, columns relative to its own block column.

    ``offsets``/``vals``: the row of ``A`` as column offsets from its
    diagonal and values (sorted, diagonal included).
    """
    m = B.shape[0]
    lower, upper = offsets < 0, offsets > 0
    p, q = int(lower.sum()), int(upper.sum())
    diag_value = vals[offsets == 0].sum()
    width = p + q
    counts = np.diff(B.indptr) + width
    t_indptr = np.zeros(m, dtype=np.int64)
    np.cumsum(counts[:-1], out=t_indptr[1:])
    size = B.nnz + m * width
    t_indices = np.empty(size, dtype=np.int64)
    t_data = np.empty(size, dtype=dtype)
    rows = np.arange(m)
    # Row r's B entries come after r * width extra entries and its p lower ones.
    b_pos = np.arange(B.nnz) + b_rows * width + p
    t_indices[b_pos] = B.indices
    b_vals = B.data.astype(dtype, copy=True)
    b_vals[b_diag] += diag_value
    t_data[b_pos] = b_vals
    for j, (offset, value) in enumerate(zip(offsets[lower], vals[lower])):
        pos = B.indptr[:-1] + rows * width + j
        t_indices[pos] = offset * m + rows
        t_data[pos] = value
    for j, (offset, value) in enumerate(zip(offsets[upper], vals[upper])):
        pos = B.indptr[1:] + rows * width + p + j
        t_indices[pos] = offset * m + rows
        t_data[pos] = value
    return t_indptr, t_indices, t_data


def laplacian(grid: Grid, format="csr", *, order: int = 2):
    """Discrete Laplacian ``Delta_h`` on ``grid``: the Kronecker sum of 1D ones.

    With ``order=4`` it is the compact fourth-order ("Mehrstellen")
    operator ``L4 = sum_k A_k + sum_{j<k} (h_j**2 + h_k**2)/12 A_j (x) A_k``
    of the 1D second differences ``A_k``: Kronecker products as well as
    sums. It goes with the right-hand side ``M f`` of
    :func:`kronlap.compact.compact_rhs`.

    Parameters
    ----------
    grid : Grid
        Shape, spacings and boundary conditions.
    format : str, optional
        Sparse format of the result (default ``"csr"``).
    order : {2, 4}, optional
        2: the ``(2 ndim + 1)``-point Laplacian (default). 4: the compact
        9-point (3D: 19-point) operator; Dirichlet and periodic axes only,
        1 to 3 of them.

    Returns
    -------
    scipy.sparse.sparray
        ``(grid.size, grid.size)``, ordered like ``u.ravel()`` for a grid
        function ``u`` of shape ``grid.shape``.

    Raises
    ------
    TypeError
        ``grid`` is not a :class:`Grid`; ``order`` is not an int.
    ValueError
        ``order`` is not 2 or 4; ``order=4`` on a grid with a Neumann or
        Robin side (the message names the axis) or more than 3 axes.

    See Also
    --------
    compact_laplacian : the ``order=4`` operator.

    Examples
    --------
    >>> L = laplacian(Grid((3, 3), lengths=4.0))
    >>> L.shape, L[4, 4]
    ((9, 9), np.float64(-4.0))
    >>> round(float(laplacian(Grid((3, 3), lengths=4.0), order=4)[4, 4]), 12)
    -3.333333333333
    """
    grid = check_grid(grid)
    if check_order(order, grid) == 4:
        return compact_laplacian(grid, format=format)
    return kron_sum(*axis_matrices(grid), format=format)


#: The orders of accuracy kronlap's finite differences offer.
ORDERS = (2, 4)

#: The side kinds on which the compact scheme keeps its fourth order.
_COMPACT_SIDES = ("dirichlet", "periodic")


def check_order(order, grid: Grid | None = None) -> int:
    """Validate ``order``: 2, or 4 on a grid of 1 to 3 Dirichlet or periodic axes.

    Parameters
    ----------
    order : int
        2 (the standard 3-point second differences) or 4 (the compact scheme).
    grid : Grid, optional
        For ``order=4``: every side must be Dirichlet or periodic, and the
        grid must have at most 3 axes.

    Returns
    -------
    int

    Raises
    ------
    TypeError
        ``order`` is not an int (a bool or ``"4"`` included).
    ValueError
        ``order`` is not 2 or 4, or ``order=4`` on a grid it cannot treat:
        a Neumann, Robin or mixed side or a stretched axis (the message
        names the axis), or more than 3 axes.

    Examples
    --------
    >>> check_order(4, Grid((8, 8), bc=["dirichlet", "periodic"]))
    4
    >>> check_order(3)
    Traceback (most recent call last):
    ...
    ValueError: order must be 2 or 4, got 3
    >>> check_order(4, Grid(8, bc=("dirichlet", "neumann")))  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: order=4 needs Dirichlet or periodic sides, but grid axis 0 has ...
    """
    if not isinstance(order, numbers.Integral) or isinstance(order, (bool, np.bool_)):
        raise TypeError(f"order must be an int (2 or 4), got {order!r}")
    if order not in ORDERS:
        raise ValueError(f"order must be 2 or 4, got {order!r}")
    order = int(order)
    if order == 4 and grid is not None:
        for axis, pair in enumerate(grid.bc):
            if any(side_kind(side) not in _COMPACT_SIDES for side in pair):
                raise ValueError(
                    f"order=4 needs Dirichlet or periodic sides, but grid axis {axis} has "
                    f"{pair!r}: the compact scheme is not fourth order at a Neumann or Robin "
                    f"side; use order=2 there"
                )
        if any(grid.stretched):
            axis = grid.stretched.index(True)
            raise ValueError(
                f"order=4 needs uniform axes, but grid axis {axis} is stretched (coords=): "
                f"the compact scheme is fourth order on uniform spacing only; use order=2"
            )
        if grid.ndim > 3:
            # sum_k lam_k (1 + sum_{j != k} w_j lam_j) can vanish or change sign
            # once three other axes each contribute down to -1/3.
            raise ValueError(
                f"order=4 is implemented for grids of 1 to 3 axes, got grid.ndim={grid.ndim}"
            )
    return order


def compact_weights(grid: Grid) -> tuple[float, ...]:
    """The weights ``w_k = h_k**2 / 12`` of the compact scheme, one per axis.

    Examples
    --------
    >>> compact_weights(Grid((3, 1), lengths=(2.0, 1.0)))
    (0.020833333333333332, 0.020833333333333332)
    """
    return tuple(h * h / 12.0 for h in grid.h)


def axis_matrices(grid: Grid) -> list:
    """The 1D operator of every axis of ``grid`` as CSR (:func:`axis_operators`' matrices).

    Examples
    --------
    >>> [A.shape for A in axis_matrices(Grid((2, 3)))]
    [(2, 2), (3, 3)]
    """
    return [op.matrix() for op in axis_operators(grid)]


def compact_laplacian(grid: Grid, format="csr"):
    """The compact fourth-order Laplacian ``L4 = sum_k A_k + sum_{j<k} (w_j + w_k) A_j (x) A_k``.

    ``A_k`` is the 1D second difference of axis ``k`` and ``w_k = h_k**2 / 12``.
    In 2D this is the 9-point Mehrstellen stencil, in 3D the 19-point one;
    in 1D ``L4 = A``. It is the operator of ``laplacian(grid, order=4)``.

    Parameters
    ----------
    grid : Grid
        Dirichlet or periodic axes (see :func:`check_order`).
    format : str, optional
        Sparse format of the result (default ``"csr"``).

    Returns
    -------
    scipy.sparse.sparray
        ``(grid.size, grid.size)``, symmetric negative semidefinite.

    Raises
    ------
    TypeError
        ``grid`` is not a :class:`Grid`.
    ValueError
        A side the compact scheme does not treat (see :func:`check_order`).

    Examples
    --------
    The 9-point stencil for ``h = 1``: ``-10/3`` in the middle, ``2/3`` beside
    it, ``1/6`` on the diagonals:

    >>> L4 = compact_laplacian(Grid((3, 3), lengths=4.0))
    >>> (L4[[4], :].toarray().reshape(3, 3) * 6).round(12)
    array([[  1.,   4.,   1.],
           [  4., -20.,   4.],
           [  1.,   4.,   1.]])
    """
    grid = check_grid(grid)
    check_order(4, grid)
    mats = axis_matrices(grid)
    weights = compact_weights(grid)
    total = kron_sum(*mats)
    for j, k in combinations(range(grid.ndim), 2):
        factors = [sp.eye_array(n, format="csr") for n in grid.shape]
        factors[j], factors[k] = mats[j], mats[k]
        total = total + (weights[j] + weights[k]) * kron_product(*factors)
    return total.asformat(format)
