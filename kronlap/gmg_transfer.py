"""1D pieces of the geometric multigrid hierarchy: coarse axes and transfer operators.

Every axis of a :class:`~kronlap.Grid` is coarsened on its own, by the
grid conventions of DESIGN.md: a coarse axis has the same length and
boundary kinds and fewer unknowns, so its 1D operator is
:func:`~kronlap.second_difference` at the coarse spacing. Interpolation is
linear in the coordinates of the unknowns, with the boundary kind deciding
what lies beyond the last unknown (zero at a Dirichlet node, the constant
at a Neumann face, the other end on a periodic axis), and restriction is
its transpose scaled by ``h / H``. On nested grids (vertex-centred
Dirichlet with odd ``n``, cell-centred Neumann or periodic with even ``n``)
this is the classical linear interpolation with full weighting; on others
(even Dirichlet ``n``, mixed sides) it interpolates between non-nested
grids, which keeps every level a grid of the same kind.

The N-D transfers are Kronecker products of these 1D matrices, applied
along one axis at a time by :class:`AxisMap` (array operations only, so the
cycle runs on numpy or cupy). They serve operators that are Kronecker
sums (a constant coefficient); with a varying one the hierarchy is built
by :mod:`kronlap.gmg_galerkin` instead.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from .backend import get_array_module
from .grid import Grid

__all__ = [
    "coarse_size",
    "interpolation",
    "restriction",
    "resistance_average",
    "AxisMap",
]


def coarse_size(n: int, pair) -> int:
    """Number of unknowns of the coarse axis below an axis of ``n`` unknowns.

    Vertex-centred (Dirichlet-Dirichlet) axes keep every other interior
    node, ``(n - 1) // 2``; cell-centred (Neumann, periodic, mixed) axes
    merge pairs of cells, ``n // 2``.

    Examples
    --------
    >>> coarse_size(63, ("dirichlet", "dirichlet")), coarse_size(64, ("neumann", "neumann"))
    (31, 32)
    """
    if pair == ("dirichlet", "dirichlet"):
        return (n - 1) // 2
    return n // 2


def _axis_grid(n: int, length: float, pair) -> Grid:
    return Grid(n, lengths=length, bc=[pair])


def interpolation(n: int, m: int, length: float, pair) -> sp.csr_array:
    """``(n, m)`` linear interpolation from an ``m``-point to an ``n``-point axis.

    Both axes span ``[0, length]`` with boundary kinds ``pair`` and unknowns
    placed as in :class:`~kronlap.Grid`. Beyond the outermost coarse unknown
    the coarse function is 0 at a Dirichlet boundary node, constant up to a
    Neumann face, and wraps around on a periodic axis.

    Examples
    --------
    >>> interpolation(3, 1, 1.0, ("dirichlet", "dirichlet")).toarray()
    array([[0.5],
           [1. ],
           [0.5]])
    """
    left, right, t = _interpolation_stencil(n, m, length, pair)
    rows = np.r_[np.arange(n), np.arange(n)]
    cols = np.r_[left, right]
    vals = np.r_[1.0 - t, t]
    keep = (cols >= 0) & (vals != 0)
    P = sp.csr_array((vals[keep], (rows[keep], cols[keep])), shape=(n, m))
    P.sum_duplicates()
    return P


def _interpolation_stencil(n: int, m: int, length: float, pair):
    """Per fine unknown: its two coarse neighbours and the linear weight of the right one.

    Returns ``(left, right, t)``: fine unknown ``i`` (moved onto the
    outermost coarse unknown beyond a Neumann side) lies between coarse
    unknowns ``left[i]`` and ``right[i]`` (-1: a Dirichlet boundary, value
    0), and linear interpolation gives ``right`` the weight ``t[i]``.
    """
    fine = _axis_grid(n, length, pair).coords[0]
    coarse = _axis_grid(m, length, pair).coords[0]
    low, high = pair
    positions, index = list(coarse), list(range(m))
    if low == "periodic":
        positions = [coarse[-1] - length, *positions, coarse[0] + length]
        index = [m - 1, *index, 0]
    else:
        if low == "dirichlet":
            positions, index = [0.0, *positions], [-1, *index]
        if high == "dirichlet":
            positions, index = [*positions, length], [*index, -1]
        # Constant beyond a Neumann side: interpolate at the outermost unknown.
        fine = np.clip(fine, positions[0], positions[-1])
    positions, index = np.asarray(positions), np.asarray(index)
    if len(positions) == 1:
        left = right = np.zeros(n, dtype=int)
        t = np.zeros(n)
    else:
        left = np.clip(np.searchsorted(positions, fine, side="right") - 1, 0, len(positions) - 2)
        right = left + 1
        t = (fine - positions[left]) / (positions[right] - positions[left])
    return index[left], index[right], t


def restriction(n: int, m: int, length: float, pair) -> sp.csr_array:
    """``(m, n)`` restriction ``(h / H) P^T`` with ``P`` from :func:`interpolation`.

    The scaling makes it an average (rows sum to 1 away from Dirichlet
    sides), so the coarse equation keeps the scale of the operator.

    Examples
    --------
    >>> restriction(3, 1, 1.0, ("dirichlet", "dirichlet")).toarray()
    array([[0.25, 0.5 , 0.25]])
    """
    h = _axis_grid(n, length, pair).h[0]
    H = _axis_grid(m, length, pair).h[0]
    return sp.csr_array(interpolation(n, m, length, pair).T * (h / H))


def _face_segments(n: int, length: float, pair):
    """Start and end of the path each face of an axis bridges (``n + 1`` faces).

    Face ``k`` joins unknown ``k - 1`` to unknown ``k``; faces 0 and ``n``
    join the outermost unknowns to the boundary (empty on a Neumann side).
    On a periodic axis face 0 joins the last unknown to the first, and face
    ``n`` repeats face 0.
    """
    x = _axis_grid(n, length, pair).coords[0]
    low, high = pair
    if low == "periodic":
        start = np.r_[x[-1] - length, x[:-1], x[-1]]
        end = np.r_[x[0], x[1:], x[0] + length]
        return start, end
    start = np.r_[0.0 if low == "dirichlet" else x[0], x]
    end = np.r_[x, length if high == "dirichlet" else x[-1]]
    return start, end


def resistance_average(n: int, m: int, length: float, pair) -> sp.csr_array:
    """``(m + 1, n + 1)`` weights that average face resistivities onto coarse faces.

    A coarse face bridges the path between two coarse unknowns (or a coarse
    unknown and a Dirichlet boundary); the fine faces tile that path. Its
    resistance ``len / a`` is the sum of the fine ones over the overlap, so
    ``1 / a_coarse = sum_k (overlap_k / len) / a_k``: row ``J`` holds
    ``overlap_k / len``. Rows of faces without flux (Neumann sides) are
    empty. Face ``n`` (``m``) of a periodic axis repeats face 0.

    Examples
    --------
    Two fine faces in series make one coarse face:

    >>> resistance_average(3, 1, 1.0, ("dirichlet", "dirichlet")).toarray()
    array([[0.5, 0.5, 0. , 0. ],
           [0. , 0. , 0.5, 0.5]])
    """
    coarse_start, coarse_end = _face_segments(m, length, pair)
    faces = m if pair[0] == "periodic" else m + 1
    overlap = _overlaps(coarse_start[:faces], coarse_end[:faces], n, length, pair)
    total = overlap.sum(axis=1)
    scale = np.divide(1.0, total, out=np.zeros_like(total), where=total > 0)
    F = sp.diags_array(scale) @ overlap
    if pair[0] == "periodic":
        F = sp.vstack([F, F[[0]]])  # coarse face m repeats coarse face 0
    return sp.csr_array(F)


def _overlaps(start, end, n: int, length: float, pair) -> sp.csr_array:
    """``(len(start), n + 1)`` lengths shared by ``[start_r, end_r]`` and the fine faces' paths.

    Paths as in :func:`_face_segments`; on a periodic axis the intervals
    wrap around and face ``n`` (a repeat of face 0) gets no column entries.
    Only a window of fine faces around each interval is examined, so the
    work is linear in the axis length.
    """
    fine_start, fine_end = _face_segments(n, length, pair)
    periodic = pair[0] == "periodic"
    if periodic:
        fine_start, fine_end = fine_start[:-1], fine_end[:-1]
    count = len(fine_start)
    rows = len(start)
    fine_len = np.maximum(fine_end - fine_start, 0.0)
    span = np.maximum(end - start, 0.0)
    width = int(np.ceil(span.max(initial=0.0) / fine_len[fine_len > 0].min())) + 4
    if width >= count:
        candidates = np.broadcast_to(np.arange(count), (rows, count))
    else:
        first = np.searchsorted(fine_end, start) - 2
        candidates = (first[:, None] + np.arange(width)) % count
    shifts = np.array([-length, 0.0, length] if periodic else [0.0])
    lo = np.maximum(fine_start[candidates][..., None] + shifts, start[:, None, None])
    hi = np.minimum(fine_end[candidates][..., None] + shifts, end[:, None, None])
    overlap = np.maximum(hi - lo, 0.0).sum(axis=2)
    overlap[overlap <= 1e-12 * np.maximum(span, 1e-300)[:, None]] = 0.0
    r, slot = np.nonzero(overlap)
    return sp.csr_array((overlap[r, slot], (r, candidates[r, slot])), shape=(rows, n + 1))


class AxisMap:
    """A sparse 1D matrix applied along one axis of an N-D array, by gathers.

    Row ``i`` of the matrix becomes up to ``K`` (index, weight) pairs, so
    ``y = sum_k w[:, k] * take(x, idx[:, k], axis)``: array operations only,
    the same on numpy and cupy. Missing entries point at index 0 with
    weight 0.

    Parameters
    ----------
    matrix : sparse matrix, shape ``(m, n)``
    xp : module
        Array module (``numpy`` or ``cupy``) for the index and weight arrays.
    dtype : {numpy.float64, numpy.float32}, optional
        Floating-point type of the weights.

    Examples
    --------
    >>> import numpy as np
    >>> M = AxisMap(restriction(3, 1, 1.0, ("dirichlet", "dirichlet")), np)
    >>> M.apply(np.ones((2, 3)), axis=1)
    array([[1.],
           [1.]])
    """

    def __init__(self, matrix, xp, dtype=np.float64):
        A = sp.csr_array(matrix)
        A.sum_duplicates()
        m, n = A.shape
        counts = np.diff(A.indptr)
        K = max(int(counts.max()) if m else 0, 1)
        idx = np.zeros((K, m), dtype=np.intp)
        w = np.zeros((K, m))
        for k in range(K):
            rows = np.flatnonzero(counts > k)
            idx[k, rows] = A.indices[A.indptr[rows] + k]
            w[k, rows] = A.data[A.indptr[rows] + k]
        self.shape = (m, n)
        self._index = [xp.asarray(i) for i in idx]
        self._weight = [xp.asarray(v, dtype=dtype) for v in w]

    def apply(self, x, axis: int):
        """The matrix applied along ``axis`` of ``x`` (a new array)."""
        view = [1] * x.ndim
        view[axis] = self.shape[0]
        take = get_array_module(x).take
        y = None
        for index, weight in zip(self._index, self._weight):
            term = take(x, index, axis=axis)
            term *= weight.reshape(view) if weight.ndim == 1 else weight
            if y is None:
                y = term
            else:
                y += term
        return y
