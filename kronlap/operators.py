"""1D second differences and their Kronecker sums: the grid Laplacian."""

from __future__ import annotations

import numbers

import numpy as np
import scipy.sparse as sp

from .convolution import circulant
from .grid import Grid, normalize_bc

__all__ = ["second_difference", "kron_sum", "kron_product", "laplacian"]


def second_difference(n: int, h: float = 1.0, bc="dirichlet", *, format="csr"):
    """1D discrete Laplacian ``(u[i-1] - 2 u[i] + u[i+1]) / h**2``.

    Parameters
    ----------
    n : int
        Number of unknowns (``>= 1``).
    h : float, optional
        Grid spacing (positive).
    bc : str or (str, str), optional
        ``"dirichlet"`` (first/last diagonal entry ``-2``), ``"neumann"``
        (``-1``), ``"periodic"`` (circulant, ``1`` in the corners), or a
        ``(low, high)`` pair of ``"dirichlet"``/``"neumann"``.
    format : str, optional
        Sparse format of the result (default ``"csr"``).

    Returns
    -------
    scipy.sparse.sparray
        The ``(n, n)`` matrix: Strang's ``-K, -T, -B, -C`` scaled by
        ``1/h**2``. It is negative semidefinite.

    Raises
    ------
    ValueError
        ``n < 1``, non-positive ``h``, or an unknown ``bc``.

    See Also
    --------
    scipy.sparse.linalg.LaplacianNd : the same matrices for ``h = 1``.

    Examples
    --------
    >>> second_difference(4, bc=("dirichlet", "neumann")).toarray()
    array([[-2.,  1.,  0.,  0.],
           [ 1., -2.,  1.,  0.],
           [ 0.,  1., -2.,  1.],
           [ 0.,  0.,  1., -1.]])
    """
    if not isinstance(n, numbers.Integral) or isinstance(n, bool):
        raise TypeError(f"n must be an int, got {n!r}")
    if n < 1:
        raise ValueError(f"n must be >= 1, got {n}")
    if not isinstance(h, numbers.Real) or not np.isfinite(h) or h <= 0:
        raise ValueError(f"h must be a positive finite number, got {h!r}")
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
    if low == "neumann":
        main[0] += scale
    if high == "neumann":
        main[-1] += scale
    return sp.diags_array([off, main, off], offsets=[-1, 0, 1], format=format)


def _as_square_sparse(mat, name: str):
    if sp.issparse(mat):
        out = sp.coo_array(mat)
    else:
        arr = np.asarray(mat)
        if arr.ndim != 2:
            raise ValueError(f"{name} must be a 2D matrix, got shape {arr.shape}")
        out = sp.coo_array(arr)
    if out.shape[0] != out.shape[1]:
        raise ValueError(f"{name} must be square, got shape {out.shape}")
    return out


def kron_product(*mats, format="csr"):
    """Kronecker product ``A0 (x) A1 (x) ... (x) A_{N-1}`` as a sparse array.

    Parameters
    ----------
    *mats : sparse or dense 2D matrices
        One or more factors (need not be square).
    format : str, optional
        Sparse format of the result (default ``"csr"``).

    Returns
    -------
    scipy.sparse.sparray

    Examples
    --------
    >>> import numpy as np
    >>> A, B = np.eye(2), np.array([[0, 1], [1, 0]])
    >>> np.array_equal(kron_product(A, B).toarray(), np.kron(A, B))
    True
    """
    if not mats:
        raise ValueError("kron_product needs at least one matrix")
    factors = []
    for k, mat in enumerate(mats):
        arr = mat if sp.issparse(mat) else np.asarray(mat)
        if arr.ndim != 2:
            raise ValueError(f"mats[{k}] must be a 2D matrix, got shape {arr.shape}")
        factors.append(sp.coo_array(arr))
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

    Notes
    -----
    The sum is assembled in one vectorized pass, without sorting: factors
    with few diagonals (second differences, periodic or not) go through DIA
    storage, since diagonal ``o`` of factor ``k`` is diagonal
    ``o * stride_k`` of the sum; other factors go through ordered COO
    triplets.

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
    factors = [_as_square_sparse(m, f"mats[{k}]") for k, m in enumerate(mats)]
    sizes = tuple(f.shape[0] for f in factors)
    dtype = np.result_type(*(f.dtype for f in factors))
    banded = [sp.dia_array(f) for f in factors]
    n_diagonals = sum(b.offsets.size for b in banded)
    nnz = sum(f.nnz * (np.prod(sizes, dtype=np.int64) // f.shape[0]) for f in factors)
    if n_diagonals * np.prod(sizes, dtype=np.int64) <= 2 * nnz + np.prod(sizes):
        out = _kron_sum_banded(banded, sizes, dtype)
    else:
        out = _kron_sum_scattered(factors, sizes, dtype)
    return out if format == "csr" else out.asformat(format)


def _kron_sum_banded(banded, sizes, dtype):
    """Kronecker sum of factors with few diagonals, through DIA storage.

    Diagonal ``o`` of factor ``k`` becomes diagonal ``o * stride_k`` of the
    sum, and these never coincide for different ``(k, o)`` except ``o = 0``
    (``|o| < n_k``). scipy's compiled DIA-to-CSR pass then writes canonical
    CSR directly.
    """
    total = int(np.prod(sizes, dtype=np.int64))
    strides = [int(np.prod(sizes[k + 1 :], dtype=np.int64)) for k in range(len(sizes))]
    offsets = sorted(
        {int(o) * s for b, s in zip(banded, strides) for o in b.offsets} | {0}
    )
    row_of = {o: i for i, o in enumerate(offsets)}
    data = np.zeros((len(offsets), total), dtype=dtype)
    for k, (b, stride) in enumerate(zip(banded, strides)):
        n = sizes[k]
        view_shape = (total // (n * stride), n, stride)
        for o, values in zip(b.offsets, b.data):
            # DIA data are column-indexed: data[d, j] = A[j - o, j]. Slots
            # outside the 1D matrix may hold anything, and in the sum they
            # would land on real entries of neighbouring blocks: zero them.
            # scipy may also store fewer than n columns (the rest are zero).
            o = int(o)
            column = np.zeros(n, dtype=dtype)
            valid = slice(max(0, o), min(n, n + o, values.size))
            column[valid] = values[valid]
            target = data[row_of[o * stride]].reshape(view_shape)
            target += column[None, :, None]
    return sp.dia_array((data, offsets), shape=(total, total)).tocsr()


def _kron_sum_scattered(factors, sizes, dtype):
    """Kronecker sum of general sparse factors, from sorted COO triplets.

    In a row with grid multi-index ``(i_0, ..., i_{d-1})`` the entry of
    ``A_k`` in column ``c`` sits at offset ``(c - i_k) * stride_k``; since
    ``|c - i_k| < n_k`` these never collide between axes and are ordered by
    axis. The row's sorted columns are therefore the strictly lower entries
    of ``A_0, A_1, ...``, the summed diagonal, then the strictly upper
    entries of ``..., A_1, A_0``; emitting triplets in that order lets
    scipy's stable COO-to-CSR bucket pass produce canonical CSR without a
    sort.
    """
    total = int(np.prod(sizes, dtype=np.int64))
    idx_dtype = np.int32 if total < 2**31 else np.int64
    strides = [int(np.prod(sizes[k + 1 :], dtype=np.int64)) for k in range(len(sizes))]
    lower, upper = [], []
    diagonal = np.zeros((), dtype=dtype)
    for k, factor in enumerate(factors):
        factor = factor.tocsr()
        factor.sum_duplicates()  # canonical: sorted columns within each row
        coo = factor.tocoo()
        r, c, v = coo.row, coo.col, coo.data
        n, stride = sizes[k], strides[k]
        outer = total // (n * stride)
        for part, keep in ((lower, c < r), (upper, c > r)):
            part.append(_embed(r[keep], c[keep], v[keep], n, stride, outer, idx_dtype))
        shape = [1] * len(sizes)
        shape[k] = n
        diagonal = diagonal + factor.diagonal().astype(dtype).reshape(shape)

    diag_index = np.arange(total, dtype=idx_dtype)
    pieces = lower + [(diag_index, diag_index, np.broadcast_to(diagonal, sizes).ravel())]
    pieces += upper[::-1]
    rows = np.concatenate([p[0] for p in pieces])
    cols = np.concatenate([p[1] for p in pieces])
    vals = np.concatenate([np.asarray(p[2], dtype=dtype) for p in pieces])
    out = sp.coo_array((vals, (rows, cols)), shape=(total, total)).tocsr()
    out.has_canonical_format = True
    return out


def _embed(r, c, v, n, stride, outer, idx_dtype):
    """Triplets of ``kron(I_outer, A, I_stride)`` for the entries ``(r, c, v)``.

    Ordered by row, then by the order of ``(r, c)`` within a row.
    """
    base = (
        np.arange(outer, dtype=idx_dtype)[:, None, None] * (n * stride)
        + np.arange(stride, dtype=idx_dtype)[None, None, :]
    )
    rows = (base + (r.astype(idx_dtype) * stride)[None, :, None]).ravel()
    shift = np.repeat(
        np.tile((c.astype(idx_dtype) - r.astype(idx_dtype)) * stride, outer), stride
    )
    vals = np.broadcast_to(v[None, :, None], (outer, v.size, stride)).ravel()
    return rows, rows + shift, vals


def laplacian(grid: Grid, format="csr"):
    """Discrete Laplacian ``Delta_h`` on ``grid``: the Kronecker sum of 1D ones.

    Parameters
    ----------
    grid : Grid
        Shape, spacings and boundary conditions.
    format : str, optional
        Sparse format of the result (default ``"csr"``).

    Returns
    -------
    scipy.sparse.sparray
        ``(grid.size, grid.size)``, ordered like ``u.ravel()`` for a grid
        function ``u`` of shape ``grid.shape``.

    Raises
    ------
    TypeError
        ``grid`` is not a :class:`Grid`.

    Examples
    --------
    >>> L = laplacian(Grid((3, 3), lengths=4.0))
    >>> L.shape, L[4, 4]
    ((9, 9), np.float64(-4.0))
    """
    grid = _check_grid(grid)
    return kron_sum(
        *(
            second_difference(n, h, pair)
            for n, h, pair in zip(grid.shape, grid.h, grid.bc)
        ),
        format=format,
    )


def _check_grid(grid) -> Grid:
    if not isinstance(grid, Grid):
        raise TypeError(f"grid must be a kronlap.Grid, got {type(grid).__name__}")
    return grid
