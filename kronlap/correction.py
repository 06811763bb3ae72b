"""Fourth order by deferred correction: one extra second-order solve for any separable operator.

The compact scheme (:mod:`kronlap.compact`) is fourth order for the
Laplacian with Dirichlet and periodic sides. Every other separable operator
(Neumann and Robin sides, stretched axes, a coefficient and a shift varying
along each axis) reaches fourth order the way FISHPACK's SEPX4 does, by
deferred (defect) correction: with ``L2`` the second-order operator and
``L4`` a fourth-order accurate one,

    L2 u2 = f2,    L2 d = f4 - L4 u2,    u4 = u2 + d,

where ``f2`` and ``f4`` carry the boundary data of each. The error of
``u2`` is smooth, ``C h**2 + O(h**4)``, so ``L4 u2 - f4 = L4 (u2 - u)`` is
``L2`` of that error to ``O(h**4)`` and ``d`` removes it: ``u4`` is fourth
order at the cost of a second solve with the same solver.

``L4`` is separable like ``L2``: on each axis, at each unknown ``x_i``,
``(a u')' - s u`` is evaluated from the polynomial through the 7 nearest
unknowns and, near a side, that side's condition (a value, a normal
derivative, or a Robin combination, with its data): ``a p'' + a' p' - s p``
at ``x_i``, exact for polynomials of degree 6. ``a'`` comes from a
fourth-order central difference of the coefficient, which must therefore
be a number or a callable (values at the unknowns are not enough).
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from .grid import Grid, side_kind

__all__ = ["AxisCorrection", "axis_corrections", "fourth_order_apply", "fourth_order_defect"]

#: Unknowns per local polynomial (degree 6, more with a side's condition).
_POINTS = 7


class AxisCorrection:
    """The fourth-order 1D operator ``A4 u = D u + b_low g_low + b_high g_high`` of one axis.

    Parameters
    ----------
    grid : Grid
    axis : int
    coeff : None, number or callable
        The separable coefficient ``a(x)`` of this axis.
    shift : None, number, array of shape (n,) or callable
        The separable shift ``s(x)`` of this axis (values at the unknowns
        are exact here).

    Attributes
    ----------
    matrix : scipy.sparse.csr_array, shape (n, n)
        ``D``.
    data : (ndarray or None, ndarray or None)
        ``b_low``, ``b_high``: how each side's Dirichlet data enter (zeros
        for a Neumann or Robin side; None on a periodic axis).
    side_rows : [ndarray or None, ndarray or None]
        Weights giving ``du/dn + k u`` at a Neumann or Robin side from the
        unknowns (None for other sides).

    Examples
    --------
    Exact for polynomials of degree 6: ``u = x**4`` has ``u'' = 12 x**2``.

    >>> import numpy as np
    >>> import kronlap as kl
    >>> g = kl.Grid(12, bc=("dirichlet", "neumann"))
    >>> (x,) = g.coords
    >>> A4 = AxisCorrection(g, 0)
    >>> lap = A4.matrix @ x**4 + A4.data[0] * 0.0  # u = 0 at the Dirichlet side
    >>> bool(np.allclose(lap, 12 * x**2))
    True
    >>> bool(np.isclose(A4.side_rows[1] @ x**4, 4.0))  # du/dn = 4 at x = 1
    True
    """

    def __init__(self, grid: Grid, axis: int, coeff=None, shift=None):
        n, pair = grid.shape[axis], grid.bc[axis]
        length, h = grid.lengths[axis], grid.h[axis]
        x = grid.coords[axis]
        periodic = pair[0] == "periodic"
        a, slope = _coefficient_and_slope(coeff, x, h, length, periodic)
        s = _shift_values(shift, x)
        rows, cols, vals = [], [], []
        data = [np.zeros(n), np.zeros(n)] if not periodic else [None, None]
        for i in range(n):
            nodes, columns, conditions = _stencil(i, n, x, length, pair, periodic)
            w1, w2, wc = _derivative_weights(x[i], nodes, conditions, length)
            row = a[i] * w2 + slope[i] * w1
            rows.extend([i] * len(columns))
            cols.extend(columns)
            vals.extend(row)
            for (side, _kind, _k), weight_1, weight_2 in zip(conditions, wc[0], wc[1]):
                data[side][i] = a[i] * weight_2 + slope[i] * weight_1
            if s is not None:
                rows.append(i)
                cols.append(i)
                vals.append(-s[i])
        self.matrix = sp.coo_array((vals, (rows, cols)), shape=(n, n)).tocsr()
        self.data = tuple(data)
        # Rows giving du/dn + k u at a Neumann or Robin side, to fourth order,
        # from the unknowns next to it.
        self.side_rows = [None, None]
        if not periodic:
            for side, spec in enumerate(pair):
                if side_kind(spec) == "dirichlet":
                    continue
                count = min(_POINTS, n)
                columns = np.arange(count) if side == 0 else np.arange(n - count, n)
                position = 0.0 if side == 0 else length
                row = np.zeros(n)
                row[columns] = _side_weights(position, x[columns], side, _condition(side, spec))
                self.side_rows[side] = row


def _coefficient_and_slope(coeff, x, h, length, periodic):
    """``a`` and ``a'`` at the unknowns (a fourth-order central difference of a callable)."""
    n = x.size
    if coeff is None or np.ndim(coeff) == 0 and not callable(coeff):
        value = 1.0 if coeff is None else float(coeff)
        return np.full(n, value), np.zeros(n)
    if not callable(coeff):
        raise ValueError(
            "order=4 with a separable coefficient needs each entry a number or a callable "
            "of the coordinate: its derivative enters the fourth-order operator, and "
            "values at the unknowns do not give it to fourth order"
        )
    step = np.full(n, h / 8.0)
    if not periodic:
        # keep x +- 2 step inside the domain
        step = np.minimum(step, np.minimum(x, length - x) / 2.5)

    def a_at(points):
        return np.broadcast_to(np.asarray(coeff(points), dtype=np.float64), points.shape)

    a = a_at(x).copy()
    slope = (
        a_at(x - 2 * step) - 8 * a_at(x - step) + 8 * a_at(x + step) - a_at(x + 2 * step)
    ) / (12 * step)
    return a, slope


def _shift_values(shift, x):
    if shift is None:
        return None
    if callable(shift):
        values = np.broadcast_to(np.asarray(shift(x), dtype=np.float64), x.shape)
    else:
        values = np.broadcast_to(np.asarray(shift, dtype=np.float64), x.shape)
    return None if not np.any(values) else values


def _stencil(i, n, x, length, pair, periodic):
    """Positions and columns of the unknowns around ``i``, and the side conditions in reach.

    A condition is ``(side, kind, k)``: ``side`` 0 (low, at 0) or 1 (high,
    at ``length``).
    """
    if periodic:
        half = min(_POINTS // 2, (n - 1) // 2)
        offsets = np.arange(-half, half + 1)
        columns = (i + offsets) % n
        nodes = x[columns] + length * np.floor_divide(i + offsets, n)
        return nodes, columns, []
    count = min(_POINTS, n)
    start = min(max(i - count // 2, 0), n - count)
    columns = np.arange(start, start + count)
    conditions = []
    # A Dirichlet side's value is one more point of the polynomial. A
    # Neumann or Robin side is not imposed: the second-order solution meets
    # it only to O(h**2), and its residual is corrected as boundary data
    # (see AxisCorrection.side_rows).
    if start == 0 and side_kind(pair[0]) == "dirichlet":
        conditions.append(_condition(0, pair[0]))
    if start + count == n and side_kind(pair[1]) == "dirichlet":
        conditions.append(_condition(1, pair[1]))
    return x[columns], columns, conditions


def _condition(side, spec):
    kind = side_kind(spec)
    return (side, kind, 0.0 if isinstance(spec, str) else spec[1])


def _derivative_weights(center, nodes, conditions, length):
    """Weights of ``p'(center)`` and ``p''(center)`` on the node values and the conditions' data.

    ``p`` interpolates the node values and satisfies the conditions (a side
    at ``0`` or ``length``; see :func:`_condition_row`), in the local
    variable ``t = (x - center) / r`` with ``r`` the stencil's half-width,
    which keeps the Vandermonde system well conditioned. Returns
    ``(w1, w2, (c1, c2))``: node weights and per-condition weights.
    """
    sides = [0.0 if side == 0 else length for side, _, _ in conditions]
    r = float(np.max(np.abs(np.concatenate([nodes, sides]) - center)))
    t = (nodes - center) / r
    size = t.size + len(conditions)
    powers = np.arange(size)
    rows = [t[:, None] ** powers[None, :]]
    for (side, kind, k), position in zip(conditions, sides):
        rows.append(_condition_row(side, kind, k, (position - center) / r, r, powers))
    M = np.vstack(rows)
    # p'(center) = c_1 / r and p''(center) = 2 c_2 / r**2, with c = M^-1 data.
    e = np.zeros((size, 2))
    e[1, 0], e[2, 1] = 1.0 / r, 2.0 / r**2
    weights = np.linalg.solve(M.T, e)
    w1, w2 = weights[: t.size, 0], weights[: t.size, 1]
    c1, c2 = weights[t.size :, 0], weights[t.size :, 1]
    return w1, w2, (c1, c2)


def _side_weights(position, nodes, side, condition):
    """Weights of ``dp/dn + k p`` at the side ``position`` on the node values of ``p``."""
    _, kind, k = condition
    r = float(np.max(np.abs(nodes - position)))
    t = (nodes - position) / r
    powers = np.arange(t.size)
    M = t[:, None] ** powers[None, :]
    target = _condition_row(side, kind, k, 0.0, r, powers)
    return np.linalg.solve(M.T, target)


def _condition_row(side, kind, k, tb, r, powers):
    """The row of a side's condition on the coefficients of ``p(t) = sum c_j t**j``.

    Dirichlet ``p = g``; Neumann ``dp/dn = g``; Robin ``dp/dn + k p = g``,
    the outward normal pointing down at the low side, up at the high one.
    """
    value = tb**powers
    if kind == "dirichlet":
        return value
    slope = np.zeros(powers.size)
    slope[1:] = powers[1:] * tb ** (powers[1:] - 1) / r
    normal = -slope if side == 0 else slope
    return normal + k * value


def fourth_order_defect(corrections, u, f, boundary, shift=0.0):
    """The defects of ``u`` in the fourth-order equations: ``(f - L4 u, side residuals)``.

    ``L4 u`` includes the Dirichlet data and ``- shift u`` (a number; the
    separable shifts are the corrections'); the side residuals are
    ``g - (du/dn + k u)`` on each Neumann or Robin side, the data that
    correct ``u`` there.

    Parameters
    ----------
    corrections : sequence of AxisCorrection
    u, f : ndarray
    boundary : dict
        ``{(axis, side): value}`` with normalized keys (validated data).
    shift : float, optional

    Examples
    --------
    The exact solution of a problem whose solution is a polynomial of
    degree 6 or less has no defect:

    >>> import numpy as np
    >>> import kronlap as kl
    >>> g = kl.Grid((9, 8), bc=["neumann", "dirichlet"])
    >>> x, y = g.mesh()
    >>> u, f = x**3 * y, 6 * x * y
    >>> data = {(0, 0): 0.0, (0, 1): 3 * g.coords[1], (1, 0): 0.0, (1, 1): g.coords[0] ** 3}
    >>> defect, residuals = fourth_order_defect(axis_corrections(g), u, f, data)
    >>> bool(np.abs(defect).max() < 1e-9), bool(np.abs(residuals[(0, 1)]).max() < 1e-12)
    (True, True)
    """
    residuals = {}
    for axis, correction in enumerate(corrections):
        for side, row in enumerate(correction.side_rows):
            if row is None:
                continue
            measured = np.moveaxis(u, axis, -1) @ row
            residuals[(axis, side)] = boundary.get((axis, side), 0.0) - measured
    defect = f - fourth_order_apply(corrections, u, boundary)
    if shift:
        defect += shift * u  # L4 u - shift u
    return defect, residuals


def fourth_order_apply(corrections, u, boundary):
    """``L4 u`` plus the Dirichlet sides' data terms: ``sum_k A4_k u`` along each axis.

    Parameters
    ----------
    corrections : sequence of AxisCorrection
    u : ndarray
    boundary : dict
        ``{(axis, side): value}`` with normalized keys (validated data).

    Examples
    --------
    >>> import numpy as np
    >>> import kronlap as kl
    >>> g = kl.Grid((6, 7))
    >>> x, y = g.mesh()
    >>> xs, ys = g.coords
    >>> data = {(0, 0): ys**2, (0, 1): 1 + ys**2, (1, 0): xs**2, (1, 1): 1 + xs**2}
    >>> lap = fourth_order_apply(axis_corrections(g), x**2 + y**2, data)
    >>> bool(np.allclose(lap, 4.0))
    True
    """
    out = np.zeros(u.shape, dtype=np.result_type(u.dtype, np.float64))
    for axis, correction in enumerate(corrections):
        moved = np.moveaxis(u, axis, -1)
        flat = moved.reshape(-1, moved.shape[-1])
        applied = (correction.matrix @ flat.T).T.reshape(moved.shape)
        target = np.moveaxis(out, axis, -1)
        target += applied
        for side, weights in enumerate(correction.data):
            value = boundary.get((axis, side))
            if weights is not None and value is not None:
                target += np.asarray(value)[..., None] * weights
    return out


def axis_corrections(grid, coeff=None, shift=None):
    """One :class:`AxisCorrection` per axis, for separable lists ``coeff`` and ``shift``.

    Examples
    --------
    >>> import kronlap as kl
    >>> [c.matrix.shape for c in axis_corrections(kl.Grid((5, 9)), coeff=[1.0, lambda x: 1 + x])]
    [(5, 5), (9, 9)]
    """
    coeffs = [None] * grid.ndim if coeff is None else list(coeff)
    shifts = [None] * grid.ndim if shift is None else list(shift)
    return [AxisCorrection(grid, k, coeffs[k], shifts[k]) for k in range(grid.ndim)]
