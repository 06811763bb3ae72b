"""The compact fourth-order ("Mehrstellen") scheme: products as well as sums.

With ``A_k`` the 1D second difference of axis ``k`` (acting on that axis)
and ``w_k = h_k**2 / 12``, the compact scheme for ``(Delta - shift) u = f`` is

    (L4 - shift M) u = M f,
    L4 = sum_k A_k + sum_{j<k} (w_j + w_k) A_j (x) A_k,
    M  = I + sum_k w_k A_k.

Both are Kronecker sums and products of the very matrices of the
second-order Laplacian, so the per-axis transforms diagonalize them too:
their eigenvalues are ``lam4 = sum lam_k + sum_{j<k} (w_j + w_k) lam_j lam_k``
and ``m = 1 + sum w_k lam_k``. In 1D ``L4 = A`` and ``M = I + w A``.

This module gathers the scheme's pieces: ``L4`` (:func:`compact_laplacian`,
assembled with the other Kronecker operators in :mod:`kronlap.operators`
and re-exported here with :func:`check_order` and :func:`compact_weights`),
``M`` (:func:`compact_mass`) and the right-hand side ``M f`` with every
boundary term of the scheme (:func:`compact_rhs`); the spectral solver
divides by ``lam4 - shift m``. Dirichlet and periodic axes only: the
scheme's boundary rows are fourth order there, and :func:`check_order`
refuses the others.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from ._validation import check_grid, check_grid_array, check_real
from .backend import get_array_module
from .boundary import check_boundary
from .grid import Grid
from .operators import (
    axis_matrices,
    check_order,
    compact_laplacian,
    compact_weights,
    kron_sum,
)

__all__ = [
    "check_order",
    "compact_laplacian",
    "compact_mass",
    "compact_rhs",
    "compact_weights",
]


def compact_mass(grid: Grid, format="csr"):
    """The compact scheme's right-hand side operator ``M = I + sum_k (h_k**2 / 12) A_k``.

    The scheme for ``(Delta - shift) u = f`` is ``(L4 - shift M) u = M f``.

    Parameters
    ----------
    grid : Grid
        Dirichlet or periodic axes (see :func:`check_order`).
    format : str, optional
        Sparse format of the result (default ``"csr"``).

    Returns
    -------
    scipy.sparse.sparray
        ``(grid.size, grid.size)``, symmetric; its eigenvalues
        ``1 + sum_k w_k lam_k`` lie in ``[1 - ndim/3, 1]``.

    Raises
    ------
    TypeError
        ``grid`` is not a :class:`Grid`.
    ValueError
        A side the compact scheme does not treat (see :func:`check_order`).

    Examples
    --------
    >>> (compact_mass(Grid(3, lengths=4.0)).toarray() * 12).round(12)
    array([[10.,  1.,  0.],
           [ 1., 10.,  1.],
           [ 0.,  1., 10.]])
    """
    grid = check_grid(grid)
    check_order(4, grid)
    weights = compact_weights(grid)
    terms = [w * A for w, A in zip(weights, axis_matrices(grid))]
    terms[0] = terms[0] + sp.eye_array(grid.shape[0], format="csr")
    return kron_sum(*terms, format=format)


# Lagrange weights that extrapolate the polynomial through the values at
# distances 1, 2, ..., p from a boundary node to the node itself (distance 0):
# the binomial coefficients with alternating signs, exact for degree p - 1.
_EXTRAPOLATION = {
    1: (1.0,),
    2: (2.0, -1.0),
    3: (3.0, -3.0, 1.0),
    4: (4.0, -6.0, 4.0, -1.0),
    5: (5.0, -10.0, 10.0, -5.0, 1.0),
    6: (6.0, -15.0, 20.0, -15.0, 6.0, -1.0),
}


def _extrapolate(values, axis: int, side: int, points: int):
    """Polynomial extrapolation of ``values`` along ``axis`` to the node beyond side ``side``.

    Uses the ``points`` values nearest to that side (fewer if the axis is
    shorter): exact for polynomials of degree ``points - 1``, so
    ``O(h**points)`` for smooth data.
    """
    n = values.shape[axis]
    weights = _EXTRAPOLATION[min(n, points)]
    total = 0
    for distance, weight in enumerate(weights):
        index = [slice(None)] * values.ndim
        index[axis] = distance if side == 0 else n - 1 - distance
        total = total + weight * values[tuple(index)]
    return total


def compact_rhs(f, grid: Grid, *, shift=0.0, boundary=None):
    """Right-hand side ``M f`` of the compact scheme ``(L4 - shift M) u = M f``, boundary included.

    Returns a new array ``b`` such that the values ``u`` at the unknowns of
    the compact discretization of ``(Delta - shift) u = f`` with Dirichlet
    data ``boundary`` solve ``(L4 - shift M) u = b``, where ``L4`` is
    :func:`compact_laplacian` and ``M`` :func:`compact_mass` (the matrices
    of the unknowns alone). ``b`` holds

    * ``M f`` with ``f`` at the unknowns, plus the terms of ``M`` that reach
      the boundary nodes just beyond the unknowns, where ``f`` is not given:
      there ``f`` is extrapolated from the 6 nearest unknowns by the quintic
      ``f_b = 6 f_1 - 15 f_2 + 20 f_3 - 15 f_4 + 6 f_5 - f_6`` (from fewer
      on a shorter axis);
    * minus ``(L4 - shift M)`` applied to the Dirichlet data: the 9-point
      (3D: 19-point) stencil reaches the faces, and in its diagonal terms
      the edges where two faces meet (in 2D the corners). The values there,
      not given (a face's data covers its unknowns only), are the average
      of the two faces' data extrapolated to the edge by the quintic
      through the 6 nearest values of each.

    Periodic axes need none of this.

    Parameters
    ----------
    f : ndarray of shape ``grid.shape``
        The right-hand side at the unknowns (numpy or cupy); not modified.
    grid : Grid
        Dirichlet or periodic axes, 1 to 3 of them.
    shift : float, optional
        The ``s`` of ``(Delta - s) u = f``.
    boundary : dict or None, optional
        Dirichlet data ``{(axis, side): value}``: the values of ``u`` on a
        face, a scalar or an array of the face's shape (``grid.shape``
        without ``axis``). Faces not named have ``u = 0``.

    Returns
    -------
    ndarray
        A new array of ``grid.shape``; float64 unless ``f`` or the data are
        float32 or complex.

    Raises
    ------
    TypeError
        ``grid`` is not a Grid; ``f``, ``shift`` or ``boundary`` of a wrong type.
    ValueError
        ``f`` of the wrong shape or with NaN or inf; a side the compact
        scheme does not treat; bad boundary keys or values.

    Notes
    -----
    Accuracy at the boundary: an extrapolated ``f_b`` is off by ``O(h**6)``
    and enters the first row with weight ``w_k / h_k**2 = 1/12``, so that
    row's truncation error stays ``O(h**4)``, the order of every other row
    (a cubic, ``O(h**4)``, would do as well asymptotically; the quintic
    gives cleaner rates on coarse grids). An edge value enters the rows
    next to the edge with weight ``(w_j + w_k) / (h_j**2 h_k**2)``, which
    is ``O(h**-2)``; quintic extrapolation is off by ``O(h**6)``, so those
    rows keep an ``O(h**4)`` truncation error. (A cubic one would leave
    ``O(h**2)`` there, which still costs only ``O(h**4)`` in the solution,
    those rows being few, but with a constant that triples the largest
    error of a smooth 2D problem.)

    Examples
    --------
    ``u = x**2`` on ``[0, 1]`` solves ``u'' = 2``; the compact scheme is
    exact for it:

    >>> import scipy.sparse.linalg as spla
    >>> g = Grid(7)
    >>> b = compact_rhs(np.full(7, 2.0), g, boundary={(0, 1): 1.0})
    >>> u = spla.spsolve(compact_laplacian(g).tocsc(), b)
    >>> bool(np.allclose(u, g.coords[0] ** 2))
    True
    """
    grid = check_grid(grid)
    check_order(4, grid)
    shift = check_real(shift, "shift")
    f = check_grid_array(f, grid)
    items = check_boundary(boundary, grid)
    xp = get_array_module(f)
    dtype = np.result_type(f.dtype, *(value.dtype for *_, value in items))
    if not np.issubdtype(dtype, np.inexact):
        dtype = np.float64

    out = _apply_mass(f.astype(dtype, copy=False), grid)
    dirichlet = [k for k in range(grid.ndim) if not grid.periodic[k]]
    faces = _face_data(items, grid, xp, dtype)
    for k in dirichlet:
        for side in (0, 1):
            layer = _layer(grid.ndim, k, side)
            # M reaches the boundary node, where f is extrapolated.
            f_beyond = _extrapolate(f, k, side, _EXTRAPOLATION_POINTS)
            out[layer] += f_beyond.astype(dtype, copy=False) / 12.0
            if faces:
                out[layer] -= _face_coupling(faces, grid, k, side, shift, xp, dtype)
    return out


def _layer(ndim: int, axis: int, side: int):
    index = [slice(None)] * ndim
    index[axis] = 0 if side == 0 else -1
    return tuple(index)


def _apply_mass(f, grid: Grid):
    """``M f`` with ``f = 0`` beyond the unknowns (periodic axes wrap).

    ``w_k A_k`` has ``1/12`` off its diagonal on every axis whatever ``h_k``,
    so ``M f = (1 - ndim/6) f + (sum of the 2 ndim neighbours) / 12``.
    """
    out = f * (1.0 - grid.ndim / 6.0)  # a new array: f is not modified
    twelfth = f / 12.0
    for k in range(grid.ndim):
        below = [slice(None)] * grid.ndim
        above = [slice(None)] * grid.ndim
        below[k], above[k] = slice(None, -1), slice(1, None)
        below, above = tuple(below), tuple(above)
        out[above] += twelfth[below]
        out[below] += twelfth[above]
        if grid.periodic[k]:
            first, last = _layer(grid.ndim, k, 0), _layer(grid.ndim, k, 1)
            out[first] += twelfth[last]
            out[last] += twelfth[first]
    return out


def _face_data(items, grid: Grid, xp, dtype):
    """``{(axis, side): array of the face's shape}`` for the faces given."""
    faces = {}
    for axis, side, _, value in items:
        face_shape = grid.shape[:axis] + grid.shape[axis + 1 :]
        data = xp.asarray(value).astype(dtype, copy=False)
        faces[(axis, side)] = xp.broadcast_to(data, face_shape)
    return faces


def _face(faces, grid: Grid, axis: int, side: int, xp, dtype):
    face_shape = grid.shape[:axis] + grid.shape[axis + 1 :]
    if (axis, side) in faces:
        return faces[(axis, side)]
    return xp.zeros(face_shape, dtype=dtype)


def _edge_value(faces, grid: Grid, k, s, j, t, xp, dtype):
    """Dirichlet values where face ``(k, s)`` meets face ``(j, t)``, ``k != j``.

    The average of both faces' data extrapolated (quintic) to the edge; an
    array over the remaining axes, in increasing order.
    """
    points = _EXTRAPOLATION_POINTS
    from_k = _extrapolate(_face(faces, grid, k, s, xp, dtype), j - (j > k), t, points)
    from_j = _extrapolate(_face(faces, grid, j, t, xp, dtype), k - (k > j), s, points)
    return 0.5 * (from_k + from_j)


# Quintic extrapolation (error O(h**6)) of f and of the edge values of the
# data. An edge value enters the rows next to the edge with weight O(h**-2),
# so a cubic one (O(h**4)) leaves an O(h**2) truncation error there and
# triples the largest error of a smooth 2D problem (it sits at the corners);
# a cubic f (weight 1/12) keeps the order but makes the observed rates on
# coarse 3D grids erratic (5.8, 5.1, 3.5, 3.7 from 16 to 64 points).
_EXTRAPOLATION_POINTS = 6


def _face_coupling(faces, grid: Grid, k: int, side: int, shift: float, xp, dtype):
    """Row terms of ``(L4 - shift M)`` at the unknowns next to face ``(k, side)``.

    Only terms with ``A_k`` reach across the face: ``A_k`` couples the layer
    to the face with ``1/h_k**2``, ``(w_j + w_k) A_j (x) A_k`` couples it to
    the face's neighbours along ``j`` (the edge where ``j`` leaves the
    grid), and ``shift w_k A_k`` with ``shift/12``. An edge is counted once:
    it belongs to the face of the lower axis, so faces of higher axes leave
    their edges with lower axes at 0 here.
    """
    others = [j for j in range(grid.ndim) if j != k]
    weights = compact_weights(grid)
    data = _face(faces, grid, k, side, xp, dtype)
    # The face plane, extended by one node on both sides of every Dirichlet
    # axis (the edges); the corners of that extension are never reached.
    pad = [(0, 0) if grid.periodic[j] else (1, 1) for j in others]
    plane = xp.zeros(tuple(n + a + b for n, (a, b) in zip(data.shape, pad)), dtype=dtype)
    inner = tuple(slice(a, a + n) for n, (a, _) in zip(data.shape, pad))
    plane[inner] = data
    for position, j in enumerate(others):
        if grid.periodic[j] or j < k:
            continue
        for t in (0, 1):
            edge = list(inner)
            edge[position] = 0 if t == 0 else -1
            plane[tuple(edge)] = _edge_value(faces, grid, k, side, j, t, xp, dtype)

    total = (1.0 / grid.h[k] ** 2 - shift / 12.0) * plane[inner]
    for position, j in enumerate(others):
        coupling = (weights[j] + weights[k]) / (grid.h[j] ** 2 * grid.h[k] ** 2)
        total = total + coupling * _second_difference_along(plane, position, inner, pad)
    return total


def _second_difference_along(plane, position: int, inner, pad):
    """``u[i-1] - 2 u[i] + u[i+1]`` along one axis of ``plane``, at its inner nodes.

    An axis padded by one node on each side reads its neighbours there; an
    unpadded (periodic) axis wraps around.
    """
    index = list(inner)
    if pad[position] == (1, 1):
        n = plane.shape[position] - 2
        below, middle, above = list(index), list(index), list(index)
        below[position], above[position] = slice(0, n), slice(2, n + 2)
        middle[position] = slice(1, n + 1)
        return plane[tuple(below)] - 2 * plane[tuple(middle)] + plane[tuple(above)]
    xp = get_array_module(plane)
    centre = plane[tuple(index)]
    return xp.roll(centre, 1, axis=position) - 2 * centre + xp.roll(centre, -1, axis=position)
