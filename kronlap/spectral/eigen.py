"""Eigenvalues of the 1D second differences and of their Kronecker sums."""

from __future__ import annotations

import numpy as np

from .._validation import check_grid
from ..convolution import circulant_eigenvalues
from ..grid import Grid
from ..operators import second_difference

__all__ = [
    "axis_eigenvalues",
    "check_regular_shift",
    "eigenvalue_sum",
    "eigenvalues",
    "inverse_eigenvalues",
    "singular_shift_error",
]


def axis_eigenvalues(n: int, h: float, pair) -> np.ndarray:
    """Eigenvalues of ``second_difference(n, h, pair)`` in transform order.

    Periodic axes give FFT order (the DFT of the circulant's first column),
    Dirichlet-Dirichlet the DST-I modes ``k = 1..n``, Neumann-Neumann the
    DCT-II modes ``k = 0..n-1``, mixed sides the modes
    ``sin((k + 1/2) pi (i + a) / (n + 1/2))`` in order of increasing
    magnitude.

    Parameters
    ----------
    n : int
        Number of unknowns on the axis.
    h : float
        Grid spacing.
    pair : tuple of str
        Normalized ``(low, high)`` boundary pair, as in :attr:`Grid.bc`.

    Returns
    -------
    ndarray, shape (n,)
        The eigenvalues, all ``<= 0``; real.

    See Also
    --------
    eigenvalues : their sums over the axes of a grid.

    Examples
    --------
    Neumann-Neumann: the DCT-II modes, starting with the constant (0):

    >>> axis_eigenvalues(4, 1.0, ("neumann", "neumann")).round(6)
    array([-0.      , -0.585786, -2.      , -3.414214])

    Periodic: the DFT of the circulant's first column ``[-2, 1, 0, ..., 1]``:

    >>> axis_eigenvalues(6, 1.0, ("periodic", "periodic"))
    array([ 0., -1., -3., -4., -3., -1.])
    """
    low, high = pair
    k = np.arange(n)
    if low == "periodic":
        first_col = second_difference(n, h, "periodic")[:, [0]].toarray().ravel()
        return circulant_eigenvalues(first_col)
    if low == high == "dirichlet":
        angle = np.pi * (k + 1) / (2 * (n + 1))
    elif low == high == "neumann":
        angle = np.pi * k / (2 * n)
    else:
        angle = np.pi * (2 * k + 1) / (2 * (2 * n + 1))
    return -4.0 / h**2 * np.sin(angle) ** 2


def eigenvalues(grid: Grid) -> np.ndarray:
    """Eigenvalues of ``laplacian(grid)`` as an array of shape ``grid.shape``.

    Entry ``(k0, k1, ...)`` is ``lam0[k0] + lam1[k1] + ...``, the sum of
    the 1D eigenvalues of :func:`axis_eigenvalues`, laid out in the order
    of each axis' fast transform (FFT order on periodic axes).

    Parameters
    ----------
    grid : Grid

    Returns
    -------
    ndarray
        All eigenvalues are ``<= 0``.

    Raises
    ------
    TypeError
        ``grid`` is not a :class:`Grid`.

    Examples
    --------
    >>> eigenvalues(Grid(4, lengths=4.0, bc="periodic"))
    array([ 0., -2., -4., -2.])
    >>> eigenvalues(Grid((2, 2), lengths=3.0)).round(6)
    array([[-2., -4.],
           [-4., -6.]])
    """
    grid = check_grid(grid)
    per_axis = [axis_eigenvalues(n, h, pair) for n, h, pair in zip(grid.shape, grid.h, grid.bc)]
    return eigenvalue_sum(per_axis) + np.zeros(grid.shape)


def eigenvalue_sum(per_axis, xp=np):
    """``lam0[k0] + lam1[k1] + ...`` as a broadcastable array: the Kronecker-sum rule.

    The one place where 1D eigenvalues become the N-D ones, for the serial,
    distributed and GPU solvers alike.

    Parameters
    ----------
    per_axis : sequence of 1D arrays or None
        Eigenvalues of each axis in the order its transform lays them out
        (or the part of them a caller holds); ``None`` for an axis that is
        not transformed, which contributes nothing (a size-1 entry).
    xp : module, optional
        Array module of the result; only the 1D arrays cross to it.

    Returns
    -------
    ndarray
        Float64, of shape ``(len(lam0), len(lam1), ...)`` with 1 for ``None``.

    Examples
    --------
    >>> eigenvalue_sum([np.array([0.0, -1.0]), None, np.array([-2.0, -3.0])])
    array([[[-2., -3.]],
    <BLANKLINE>
           [[-3., -4.]]])
    """
    ndim = len(per_axis)
    total = xp.zeros((1,) * ndim)
    for axis, lam in enumerate(per_axis):
        if lam is None:
            continue
        shape = [1] * ndim
        shape[axis] = len(lam)
        total = total + xp.asarray(lam).reshape(shape)
    return total


# A shift is (numerically) an eigenvalue when it lies within this many
# rounding units of the spectrum's scale from one: the eigenvalues themselves
# are only known to a few units, so no solve can be trusted there.
_SINGULAR_ULPS = 1024


def check_regular_shift(grid: Grid, shift: float) -> None:
    """Refuse a ``shift`` that is, to rounding, an eigenvalue of ``laplacian(grid)``.

    ``(Delta_h - shift) u = f`` is then singular (or so ill-conditioned that
    its answer is rounding noise): raise ``ValueError``, whatever method
    would solve it. The nearest eigenvalue is found from the 1D eigenvalues
    (sums over all axes but the last, then a binary search along the last),
    without forming the ``grid.size`` spectrum.

    Examples
    --------
    >>> g = Grid((16, 12))
    >>> lam = float(np.sort(eigenvalues(g).ravel())[96])
    >>> check_regular_shift(g, lam)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: shift=... is an eigenvalue of the Laplacian to rounding ...
    >>> check_regular_shift(g, lam + 1.0)
    """
    per_axis = [axis_eigenvalues(n, h, pair) for n, h, pair in zip(grid.shape, grid.h, grid.bc)]
    partial = np.zeros(1)
    for lam in per_axis[:-1]:
        partial = np.add.outer(partial, lam).ravel()
    last = np.sort(per_axis[-1])
    target = shift - partial
    right = np.clip(np.searchsorted(last, target), 0, last.size - 1)
    left = np.clip(right - 1, 0, last.size - 1)
    gap = float(np.minimum(abs(last[right] - target), abs(last[left] - target)).min())
    scale = float(sum(abs(lam).max() for lam in per_axis)) + abs(shift)
    if gap <= _SINGULAR_ULPS * np.finfo(float).eps * scale:
        raise ValueError(
            f"shift={shift!r} is an eigenvalue of the Laplacian to rounding (nearest at "
            f"distance {gap:.3g}, spectrum scale {scale:.3g}): (Delta_h - shift) is singular"
        )


def inverse_eigenvalues(shifted, *, scale: float = 1.0, constant_mode: bool = False):
    """``scale / (lam - shift)`` for the shifted eigenvalues ``lam - shift``.

    The one division of every spectral solve, serial, distributed and GPU.
    ``constant_mode`` (a singular problem whose constant mode is entry
    ``(0, 0, ...)`` here) sets that entry to 0, which returns the zero-mean
    solution. Entries that overflow are inf: the caller checks them (see
    :func:`singular_shift_error`).

    Examples
    --------
    >>> inverse_eigenvalues(np.array([0.0, -2.0, -4.0]), constant_mode=True)
    array([ 0.  , -0.5 , -0.25])
    """
    with np.errstate(divide="ignore", over="ignore"):
        inverse = scale / np.broadcast_to(shifted, np.shape(shifted))
    if constant_mode:
        inverse[(0,) * inverse.ndim] = 0.0
    return inverse


def singular_shift_error(shift) -> ValueError:
    """The error for a shift at which ``(Delta_h - shift)`` is singular to rounding."""
    return ValueError(
        f"shift={shift!r} is an eigenvalue of the Laplacian to rounding: (Delta_h - shift) is "
        f"singular"
    )
