"""Eigenvalues of the 1D second differences and of their Kronecker sums."""

from __future__ import annotations

import numpy as np
import scipy.linalg
import scipy.sparse as sp

from .._memory import check_memory
from .._validation import check_grid
from ..convolution import circulant_eigenvalues
from ..differences import axis_operators
from ..grid import Grid
from ..operators import check_order, compact_weights, second_difference

__all__ = [
    "axis_eigenpairs",
    "axis_eigenvalues",
    "check_regular_shift",
    "compact_eigenvalues",
    "compact_line_coefficients",
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
    if not (isinstance(low, str) and isinstance(high, str)):
        return _dense_eigenvalues(second_difference(n, h, pair, format="dia"))
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


def _dense_eigenvalues(mat) -> np.ndarray:
    lam = scipy.linalg.eigvalsh_tridiagonal(mat.diagonal(0), mat.diagonal(1))
    return lam[::-1].copy()


def axis_eigenpairs(op, *, vectors: bool = True):
    """Dense eigenvalues and eigenvectors of one axis' operator ``A = V^-1 K``.

    ``K`` symmetric and ``V`` diagonal positive make this the generalized
    symmetric eigenproblem ``K x = lam V x``, solved as the standard one of
    ``V^-1/2 K V^-1/2 = Q diag(lam) Q^T`` (tridiagonal, or dense on a
    periodic axis): ``A = X diag(lam) X^-1`` with ``X = V^-1/2 Q`` and
    ``X^-1 = Q^T V^1/2``.

    Parameters
    ----------
    op : kronlap.differences.AxisOperator
    vectors : bool, optional
        False: the eigenvalues only.

    Returns
    -------
    lam : ndarray, shape (n,)
        In decreasing order (the constant mode, if any, first).
    inverse, forward : ndarray, shape (n, n)
        ``X`` and ``X^-1`` (``forward`` is ``inverse.T`` for unit volumes);
        only with ``vectors``.

    Raises
    ------
    MemoryError
        An eigenbasis whose ``3 n**2`` doubles clearly exceed free memory.

    Examples
    --------
    >>> import kronlap as kl
    >>> op = kl.differences.axis_operator(kl.Grid(5, coords=[[.1, .2, .4, .7, .8]]), 0)
    >>> lam, X, Xinv = axis_eigenpairs(op)
    >>> A = op.matrix().toarray()
    >>> bool(np.allclose(A @ X, X * lam)), bool(np.allclose(Xinv @ X, np.eye(5)))
    (True, True)
    """
    n = op.n
    root = np.sqrt(op.volumes)
    S = op.symmetric()
    if not np.all(root == 1.0):
        D = sp.diags_array(1.0 / root)
        S = D @ S.tocsr() @ D
    if not vectors:
        if op.periodic:
            return scipy.linalg.eigvalsh(S.toarray())[::-1].copy()
        return _dense_eigenvalues(sp.dia_array(S))
    check_memory(3 * 8.0 * n * n, f"a dense eigenbasis of an axis with {n} points")
    if op.periodic:
        lam, q = scipy.linalg.eigh(S.toarray())
    else:
        S = sp.dia_array(S)
        lam, q = scipy.linalg.eigh_tridiagonal(S.diagonal(0), S.diagonal(1))
    lam, q = lam[::-1].copy(), np.ascontiguousarray(q[:, ::-1])
    if np.all(root == 1.0):
        return lam, q, q.T
    return lam, q / root[:, None], np.ascontiguousarray(q.T * root[None, :])


def operator_eigenvalues(op) -> np.ndarray:
    """The eigenvalues of one axis' operator: closed form where known, else dense."""
    if op.plain:
        return axis_eigenvalues(op.n, op.h, op.pair)
    return axis_eigenpairs(op, vectors=False)


def eigenvalues(grid: Grid, *, order: int = 2) -> np.ndarray:
    """Eigenvalues of ``laplacian(grid, order=order)`` as an array of shape ``grid.shape``.

    Entry ``(k0, k1, ...)`` is ``lam0[k0] + lam1[k1] + ...``, the sum of
    the 1D eigenvalues of :func:`axis_eigenvalues`, laid out in the order
    of each axis' fast transform (FFT order on periodic axes). With
    ``order=4`` it is the eigenvalue of the compact operator on the same
    eigenvector, ``sum_k lam_k + sum_{j<k} (h_j**2 + h_k**2)/12 lam_j lam_k``
    (see :func:`compact_eigenvalues`).

    Parameters
    ----------
    grid : Grid
    order : {2, 4}, optional
        4: the compact scheme; Dirichlet and periodic axes only.

    Returns
    -------
    ndarray
        All eigenvalues are ``<= 0``.

    Raises
    ------
    TypeError
        ``grid`` is not a :class:`Grid`; ``order`` is not an int.
    ValueError
        ``order`` is not 2 or 4, or 4 on a grid the compact scheme does not
        treat (see :func:`kronlap.compact.check_order`).

    Examples
    --------
    >>> eigenvalues(Grid(4, lengths=4.0, bc="periodic"))
    array([ 0., -2., -4., -2.])
    >>> eigenvalues(Grid((2, 2), lengths=3.0)).round(6)
    array([[-2., -4.],
           [-4., -6.]])
    >>> eigenvalues(Grid((2, 2), lengths=3.0), order=4).round(6)
    array([[-1.833333, -3.5     ],
           [-3.5     , -4.5     ]])
    """
    grid = check_grid(grid)
    order = check_order(order, grid)
    per_axis = [operator_eigenvalues(op) for op in axis_operators(grid)]
    if order == 4:
        lam4, _ = compact_eigenvalues(per_axis, compact_weights(grid))
        return lam4 + np.zeros(grid.shape)
    return eigenvalue_sum(per_axis) + np.zeros(grid.shape)


def compact_eigenvalues(per_axis, weights, xp=np):
    """Eigenvalues ``(lam4, m)`` of the compact scheme's ``L4`` and ``M``: the product rule.

    ``L4 = sum_k A_k + sum_{j<k} (w_j + w_k) A_j (x) A_k`` and
    ``M = I + sum_k w_k A_k`` share the eigenvectors of the Laplacian (the
    Kronecker products of the 1D ones), so on mode ``(k0, k1, ...)``

    * ``m = 1 + sum_k w_k lam_k``,
    * ``lam4 = sum_k lam_k + sum_{j<k} (w_j + w_k) lam_j lam_k
      = (sum_k lam_k) m - sum_k w_k lam_k**2``,

    the second form using only Kronecker sums of 1D arrays (one pointwise
    product more than the order-2 sum). The one place where the order-4
    eigenvalues are formed, for :func:`eigenvalues` and the spectral solver.

    Parameters
    ----------
    per_axis : sequence of 1D arrays or None
        Eigenvalues of each axis' second difference, in its transform's
        order (or the part of them a caller holds); ``None`` for an axis
        left out (it contributes nothing: the operator of the other axes).
    weights : sequence of float
        ``w_k = h_k**2 / 12`` (:func:`kronlap.compact.compact_weights`).
    xp : module, optional
        Array module of the result.

    Returns
    -------
    lam4, m : ndarray
        Float64, broadcastable to ``(len(lam0), len(lam1), ...)``.

    Examples
    --------
    One axis: ``L4 = A`` and ``M = I + w A``:

    >>> lam4, m = compact_eigenvalues([np.array([0.0, -4.0])], [1 / 12])
    >>> lam4, m
    (array([ 0., -4.]), array([1.        , 0.66666667]))
    """
    lam_sum = eigenvalue_sum(per_axis, xp)
    mass = 1.0 + eigenvalue_sum(_scaled(per_axis, weights), xp)
    squares = eigenvalue_sum(_scaled(per_axis, weights, power=2), xp)
    return lam_sum * mass - squares, mass


def compact_line_coefficients(per_axis, weights, axis: int, shift: float, xp=np):
    """``(alpha, beta)`` of the compact system along one untransformed axis.

    With every axis but ``axis`` transformed, ``L4 - shift M`` acts on each
    line along ``axis`` as ``alpha A + beta I``, ``A`` that axis' second
    difference:

    * ``alpha = 1 - shift w_a + sum_{j != a} (w_j + w_a) lam_j``,
    * ``beta = lam4' - shift m'``, the compact eigenvalues of the other axes.

    Both are broadcastable arrays with size 1 along ``axis``; the entry of
    ``per_axis`` at ``axis`` is ignored.

    Examples
    --------
    >>> alpha, beta = compact_line_coefficients(
    ...     [np.array([-1.0, -2.0]), None], [1 / 12, 1 / 12], axis=1, shift=0.0)
    >>> alpha.ravel(), beta.ravel()
    (array([0.83333333, 0.66666667]), array([-1., -2.]))
    """
    others = [None if k == axis else lam for k, lam in enumerate(per_axis)]
    lam4, mass = compact_eigenvalues(others, weights, xp)
    w = weights[axis]
    coupled = [
        None if lam is None else (wj + w) * np.asarray(lam) for wj, lam in zip(weights, others)
    ]
    alpha = 1.0 - shift * w + eigenvalue_sum(coupled, xp)
    return alpha, lam4 - shift * mass


def _scaled(per_axis, weights, power=1):
    return [
        None if lam is None else w * np.asarray(lam) ** power for w, lam in zip(weights, per_axis)
    ]


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


def check_regular_shift(grid: Grid, shift: float, *, order: int = 2, operators=None) -> None:
    """Refuse a ``shift`` that is, to rounding, an eigenvalue of ``laplacian(grid)``.

    ``(Delta_h - shift) u = f`` is then singular (or so ill-conditioned that
    its answer is rounding noise): raise ``ValueError``, whatever method
    would solve it. The nearest eigenvalue is found from the 1D eigenvalues
    (sums over all axes but the last, then a binary search along the last),
    without forming the ``grid.size`` spectrum.

    With ``order=4`` the operator is ``L4 - shift M`` (the compact scheme),
    singular where ``shift = lam4 / m`` for a mode with ``m > 0``; these
    ratios are not a Kronecker sum, so they are formed for every mode.
    ``operators`` (the axes' 1D operators with a separable coefficient or
    shift) replace the grid's own.

    Examples
    --------
    >>> g = Grid((16, 12))
    >>> lam = float(np.sort(eigenvalues(g).ravel())[96])
    >>> check_regular_shift(g, lam)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: shift=... is an eigenvalue of the Laplacian to rounding ...
    >>> check_regular_shift(g, lam + 1.0)
    >>> lam4, m = compact_eigenvalues(
    ...     [axis_eigenvalues(n, h, p) for n, h, p in zip(g.shape, g.h, g.bc)],
    ...     compact_weights(g))
    >>> check_regular_shift(g, float((lam4 / m)[3, 5]), order=4)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: shift=... is an eigenvalue of the order-4 (compact) Laplacian ...
    """
    ops = axis_operators(grid) if operators is None else operators
    per_axis = [operator_eigenvalues(op) for op in ops]
    if order == 4:
        lam4, mass = compact_eigenvalues(per_axis, compact_weights(grid))
        lam4, mass = np.broadcast_arrays(lam4, mass)
        # m = 0 only on 3D modes at the Nyquist frequency of every axis, where
        # lam4 < 0: no shift makes those vanish.
        ratio = lam4[mass > 0] / mass[mass > 0]
        gap = float(abs(ratio - shift).min())
        scale = float(abs(ratio).max()) + abs(shift)
        what = "the order-4 (compact) Laplacian"
        operator = "(L4 - shift M)"
    else:
        partial = np.zeros(1)
        for lam in per_axis[:-1]:
            partial = np.add.outer(partial, lam).ravel()
        last = np.sort(per_axis[-1])
        target = shift - partial
        right = np.clip(np.searchsorted(last, target), 0, last.size - 1)
        left = np.clip(right - 1, 0, last.size - 1)
        gap = float(np.minimum(abs(last[right] - target), abs(last[left] - target)).min())
        scale = float(sum(abs(lam).max() for lam in per_axis)) + abs(shift)
        what = "the Laplacian"
        operator = "(Delta_h - shift)"
    if gap <= _SINGULAR_ULPS * np.finfo(float).eps * scale:
        raise ValueError(
            f"shift={shift!r} is an eigenvalue of {what} to rounding (nearest at "
            f"distance {gap:.3g}, spectrum scale {scale:.3g}): {operator} is singular"
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
