"""Batched tridiagonal sweeps along one axis (Hockney's method) and when they pay off."""

from __future__ import annotations

import numpy as np

from ..differences import axis_operators
from ..grid import Grid
from ..operators import second_difference

__all__ = ["TridiagonalSweep", "sweep_axis", "sweepable"]


def _fft_cost(length: int) -> float:
    """Rough FFT cost per point for one transform length (sum of prime factors).

    Mixed-radix FFTs cost about ``n * sum(p)`` over the prime factors ``p``
    of ``n``; pocketfft switches to Bluestein's algorithm (a few power-of-two
    FFTs of length about ``2 n``) when that is cheaper.
    """
    cost, m, p = 0, length, 2
    while p * p <= m:
        while m % p == 0:
            cost, m = cost + p, m // p
        p += 1
    if m > 1:
        cost += m
    bluestein = 6 * np.log2(4 * length)
    return float(min(cost, bluestein))


# Cost model for choosing the tridiagonal axis, in nanoseconds: one 1D
# transform costs about _FFT_NS_PER_COST * _fft_cost(length) per point, a
# dense eigenbasis product _DENSE_NS_PER_N * n per point, and the Thomas sweep
# _THOMAS_NS_PER_POINT per point plus _THOMAS_NS_PER_STEP per step along the
# axis (Python overhead). Only the ratios between the constants matter for
# the choice; their calibration (machine, libraries) is recorded in
# benchmarks/RESULTS.md.
_FFT_NS_PER_COST = 0.17
_DENSE_NS_PER_N = 0.018
_THOMAS_NS_PER_POINT = 2.0
_THOMAS_NS_PER_STEP = 2600.0


def sweepable(op) -> bool:
    """Whether :class:`TridiagonalSweep` solves along an axis with operator ``op``.

    A non-periodic axis whose Robin sides, if any, have ``k >= 0``, so
    that the lines stay diagonally dominant M-matrices (a coefficient is
    positive and a separable shift non-negative by construction).
    """
    return op.pair[0] != "periodic" and all(
        isinstance(side, str) or side[1] >= 0 for side in op.pair
    )


def sweep_axis(grid: Grid, shift: float, points: float, *, operators=None):
    """The axis whose transform pair over ``points`` points costs most above a sweep, or None.

    The cost model above; ``points`` is the number of grid points one
    process transforms (the whole grid, or one rank's share of it).
    ``operators``: the axes' 1D operators, if not the plain ones of
    ``grid`` (only :func:`sweepable` axes are swept).
    """
    if shift < 0:
        return None  # indefinite: the unpivoted Thomas sweep may break down
    ops = axis_operators(grid) if operators is None else operators
    best_saving, best_axis = 0.0, None
    for axis, (n, pair, op) in enumerate(zip(grid.shape, grid.bc, ops)):
        if not sweepable(op) or n < 3:
            continue
        if pair[0] != pair[1] or not isinstance(pair[0], str) or not op.plain:
            per_point = _DENSE_NS_PER_N * n
        else:
            per_point = _FFT_NS_PER_COST * _fft_cost(_transform_length(n, pair))
        transform_pair = 2.0 * per_point * points
        sweep = _THOMAS_NS_PER_POINT * points + _THOMAS_NS_PER_STEP * n
        if transform_pair - sweep > best_saving:
            best_saving, best_axis = transform_pair - sweep, axis
    return best_axis


def _transform_length(n: int, pair) -> int:
    if pair == ("dirichlet", "dirichlet"):
        return 2 * (n + 1)  # DST-I is an odd extension to this length
    return n


class TridiagonalSweep:
    """Batched tridiagonal solves along one axis, factored once.

    Along ``axis`` the operator is ``T + c I`` with ``T`` the 1D second
    difference (off-diagonals ``e = 1/h**2``) and ``c`` the summed
    eigenvalues of the other axes minus the shift, one value per line.
    Gaussian elimination without pivoting is stable since ``-(T + c I)`` is
    a diagonally dominant M-matrix for ``c <= 0``. With pivots ``p_i`` and
    ``q_i = e / p_i``, the solve is ``z_i = g_i / p_i - q_i z_{i-1}`` forward
    and ``x_i = z_i - q_i x_{i+1}`` backward, a vectorized row operation on
    every line at once.

    In the singular case (Neumann-Neumann axis, every other axis periodic or
    Neumann-Neumann, no shift) the line of the constant modes, line 0, is
    singular: its last pivot vanishes. That line is solved with its last
    unknown grounded (``q = 0`` there), which is consistent for a compatible
    right-hand side, and then shifted to zero mean, which makes the whole
    solution zero-mean.

    An axis that is not plain (stretched, or with a separable coefficient
    or shift; ``operator``) has lines ``A + c I`` with ``A = V^-1 S``:
    they are solved as the symmetric ``(S + c V) x = V g``, whose
    off-diagonals vary along the axis (:class:`_GeneralSweep`).
    """

    def __init__(self, grid, axis, total, dtype, singular=False, operator=None):
        self._general = None
        if operator is not None and not operator.plain:
            self._general = _GeneralSweep(operator, axis, total, dtype, singular)
            return
        n, h, pair = grid.shape[axis], grid.h[axis], grid.bc[axis]
        mat = second_difference(n, h, pair, format="dia")
        diag, e = mat.diagonal(0), 1.0 / h**2
        lines = np.moveaxis(total, axis, 0)[0]
        q = np.empty((n,) + lines.shape)
        with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
            pivot = diag[0] + lines
            q[0] = e / pivot
            for i in range(1, n):
                pivot = diag[i] + lines - e * q[i - 1]
                q[i] = e / pivot
        self.singular_line = (slice(None),) + (0,) * lines.ndim if singular else None
        if singular:
            q[(-1,) + (0,) * lines.ndim] = 0.0
        self.axis, self.e = axis, e
        self.q = q.astype(dtype)

    def solve(self, g):
        """Solve in place along ``axis``; returns ``g``."""
        if self._general is not None:
            return self._general.solve(g)
        x = np.moveaxis(g, self.axis, 0)
        q = self.q
        x *= q
        x *= 1.0 / self.e
        tmp = np.empty_like(x[0])
        for i in range(1, x.shape[0]):
            np.multiply(q[i], x[i - 1], out=tmp)
            x[i] -= tmp
        for i in range(x.shape[0] - 2, -1, -1):
            np.multiply(q[i], x[i + 1], out=tmp)
            x[i] -= tmp
        if self.singular_line is not None:
            x[self.singular_line] -= x[self.singular_line].mean()
        return g


class _GeneralSweep:
    """Batched solves of ``(S + c V) x = V g`` along one axis (see :class:`TridiagonalSweep`).

    ``S`` is the axis' symmetric tridiagonal operator and ``V`` its control
    volumes; with pivots ``p_i`` (per line) and off-diagonals ``o_i``, the
    solve is ``z_i = (V_i g_i - o_{i-1} z_{i-1}) / p_i`` forward and
    ``x_i = z_i - (o_i / p_i) x_{i+1}`` backward. The singular line is
    grounded at its last unknown and shifted to zero volume-weighted mean.
    """

    def __init__(self, op, axis, total, dtype, singular):
        S = op.symmetric(format="dia")
        diag, off = S.diagonal(0), S.diagonal(1)
        volumes = op.volumes
        n = op.n
        lines = np.moveaxis(total, axis, 0)[0]
        inv = np.empty((n,) + lines.shape)
        with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
            pivot = diag[0] + lines * volumes[0]
            inv[0] = 1.0 / pivot
            for i in range(1, n):
                pivot = diag[i] + lines * volumes[i] - off[i - 1] ** 2 * inv[i - 1]
                inv[i] = 1.0 / pivot
        self.singular_line = (slice(None),) + (0,) * lines.ndim if singular else None
        if singular:
            inv[(-1,) + (0,) * lines.ndim] = 0.0
        self.axis, self.off = axis, off
        self.volumes = volumes.reshape((n,) + (1,) * lines.ndim)
        self.inv = inv.astype(dtype)

    def solve(self, g):
        """Solve in place along ``axis``; returns ``g``."""
        x = np.moveaxis(g, self.axis, 0)
        inv, off = self.inv, self.off
        x *= self.volumes
        tmp = np.empty_like(x[0])
        x[0] *= inv[0]
        for i in range(1, x.shape[0]):
            np.multiply(x[i - 1], off[i - 1], out=tmp)
            x[i] -= tmp
            x[i] *= inv[i]
        for i in range(x.shape[0] - 2, -1, -1):
            np.multiply(x[i + 1], off[i] * inv[i], out=tmp)
            x[i] -= tmp
        if self.singular_line is not None:
            line = x[self.singular_line]
            weights = self.volumes.reshape(-1)
            line -= (line * weights).sum() / weights.sum()
        return g
