"""1D pieces of the geometric multigrid hierarchy: coarse axes and transfer operators.

Every axis of a :class:`~kronlap.Grid` is coarsened on its own, by the
grid conventions of :class:`~kronlap.Grid`: a coarse axis has the same length and
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
by :mod:`kronlap.multigrid.geometric.galerkin` instead.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from ...backend import get_array_module
from ...grid import Grid

__all__ = [
    "coarse_size",
    "interpolation",
    "restriction",
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
