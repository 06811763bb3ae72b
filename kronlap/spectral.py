"""Per-axis diagonalizers of the grid Laplacian and its eigenvalues.

Every 1D second difference is diagonalized by a known transform:

===============================  ==========================  ===============
axis                             transform                   eigenvalue k
===============================  ==========================  ===============
periodic                         FFT (convolution rule)      DFT of 1st col.
dirichlet-dirichlet              DST-I                       -4/h² sin²(π(k+1)/(2(n+1)))
neumann-neumann                  DCT-II / DCT-III            -4/h² sin²(πk/(2n))
mixed (dirichlet with neumann)   dense eigenvectors          -4/h² sin²(π(2k+1)/(2(2n+1)))
===============================  ==========================  ===============

and the Laplacian, a Kronecker sum, is diagonalized by applying them along
every axis; its eigenvalues are the sums of the 1D ones.
"""

from __future__ import annotations

import contextlib

import numpy as np
import scipy.fft
import scipy.linalg

from ._memory import check_memory
from .backend import fft_transforms
from .convolution import circulant_eigenvalues
from .grid import Grid
from .operators import _check_grid, second_difference

__all__ = ["eigenvalues", "axis_eigenvalues", "AxisTransform"]


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
    grid = _check_grid(grid)
    total = np.zeros(grid.shape)
    for axis, (n, h, pair) in enumerate(zip(grid.shape, grid.h, grid.bc)):
        shape = [1] * grid.ndim
        shape[axis] = n
        total += axis_eigenvalues(n, h, pair).reshape(shape)
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


class AxisTransform:
    """Diagonalizer of one axis' second difference, ``A = V diag(lam) V^-1``.

    Parameters
    ----------
    n : int
        Number of unknowns on the axis.
    h : float
        Grid spacing.
    pair : tuple of str
        Normalized ``(low, high)`` boundary pair, as in :attr:`Grid.bc`.
    dense : bool, optional
        Use the dense eigenvectors of ``A`` (from ``eigh``) instead of the
        fast transform. Mixed-side axes always do.
    xp : module, optional
        Array module of the data, ``numpy`` (default) or ``cupy``: the
        transforms come from :func:`kronlap.backend.fft_transforms` and a
        dense eigenbasis, computed on the host, is moved there once.

    Attributes
    ----------
    kind : {"fft", "dst1", "dct2", "dense"}
    lam : ndarray
        Eigenvalues in the order of :meth:`forward`'s output.

    Notes
    -----
    ``forward`` applies ``V^-1`` along one axis of an N-D array, ``inverse``
    applies ``V``. For the ``"fft"`` kind they are ``fft``/``ifft``;
    callers that want the real-to-complex ``rfft`` on a periodic axis use
    :meth:`forward_real` and :meth:`inverse_real`.

    Raises
    ------
    MemoryError
        A dense eigenbasis (``dense=True`` or mixed sides) whose ``3 n**2``
        doubles clearly exceed the free memory; refused before allocating.

    Examples
    --------
    The sine transform (DST-I) diagonalizes the Dirichlet second difference:

    >>> import numpy as np
    >>> import kronlap as kl
    >>> t = AxisTransform(5, 1.0, ("dirichlet", "dirichlet"))
    >>> t.kind
    'dst1'
    >>> A = kl.second_difference(5, 1.0, "dirichlet").toarray()
    >>> x = np.arange(5.0)
    >>> bool(np.allclose(t.forward(A @ x, axis=0), t.lam * t.forward(x, axis=0)))
    True
    >>> bool(np.allclose(t.inverse(t.forward(x, axis=0), axis=0), x))
    True
    """

    def __init__(self, n: int, h: float, pair, *, dense: bool = False, xp=None):
        self.n, self.h, self.pair = n, h, pair
        self.xp = np if xp is None else xp
        self._fft = fft_transforms(self.xp)
        self._bases = {}  # the dense eigenbasis on self.xp, per real dtype
        low, high = pair
        if dense or low != high:
            self.kind = "dense"
            self._vectors, self.lam = _dense_eigenbasis(n, h, pair)
        else:
            # The kind names the transform pair of _transforms: kind, "i" + kind.
            self.kind = {"periodic": "fft", "dirichlet": "dst1", "neumann": "dct2"}[low]
            self.lam = axis_eigenvalues(n, h, pair)

    def forward(self, x, axis: int, workers=None, overwrite: bool = False):
        """Apply ``V^-1`` along ``axis``: the coefficients of ``x`` in the eigenvectors.

        Parameters
        ----------
        x : ndarray
            Real or complex array.
        axis : int
            Axis of ``x`` of length ``n``.
        workers : int, optional
            Threads for ``scipy.fft``.
        overwrite : bool, optional
            Allow ``x`` to be used as workspace (fast transforms only).

        Returns
        -------
        ndarray
            Same shape as ``x``; mode ``k`` belongs to ``lam[k]``. Complex for
            the ``"fft"`` kind. Scaled as ``scipy.fft``'s unnormalized
            forward transforms, so only ``inverse(forward(x))`` is the
            identity.

        Examples
        --------
        >>> import numpy as np
        >>> t = AxisTransform(4, 0.25, ("periodic", "periodic"))
        >>> t.forward(np.ones(4), axis=0)
        array([4.+0.j, 0.+0.j, 0.+0.j, 0.+0.j])
        """
        if self.kind == "dense":
            return _apply_along_axis(self._basis(x).T, x, axis, self.xp)
        return getattr(self._fft, self.kind)(x, axis, workers, overwrite)

    def inverse(self, x, axis: int, workers=None):
        """Apply ``V`` along ``axis``: the inverse of :meth:`forward`.

        ``x`` is used as workspace for the fast kinds (``scipy.fft`` with
        ``overwrite_x=True``): pass a copy to keep it.

        Parameters
        ----------
        x : ndarray
            Coefficients, as returned by :meth:`forward`; may be overwritten.
        axis : int
            Axis of ``x`` of length ``n``.
        workers : int, optional
            Threads for ``scipy.fft``.

        Returns
        -------
        ndarray
            Same shape as ``x``.

        Examples
        --------
        >>> import numpy as np
        >>> t = AxisTransform(3, 1.0, ("neumann", "neumann"))
        >>> t.inverse(t.forward(np.array([1.0, 2.0, 4.0]), axis=0), axis=0)
        array([1., 2., 4.])
        """
        if self.kind == "dense":
            return _apply_along_axis(self._basis(x), x, axis, self.xp)
        return getattr(self._fft, "i" + self.kind)(x, axis, workers, overwrite=True)

    def forward_real(self, x, axis: int, workers=None):
        """``rfft`` along ``axis``: the non-negative Fourier modes of real data.

        Parameters
        ----------
        x : ndarray
            Real array.
        axis : int
            Periodic axis of ``x`` of length ``n``.
        workers : int, optional
            Threads for ``scipy.fft``.

        Returns
        -------
        ndarray
            Complex, of length ``n // 2 + 1`` along ``axis``; mode ``k``
            belongs to ``lam_real[k]``.

        Examples
        --------
        >>> import numpy as np
        >>> t = AxisTransform(4, 0.25, ("periodic", "periodic"))
        >>> t.forward_real(np.array([1.0, 0.0, -1.0, 0.0]), axis=0)
        array([0.+0.j, 2.+0.j, 0.+0.j])
        """
        return self._fft.rfft(x, axis, workers)

    def inverse_real(self, x, axis: int, workers=None):
        """``irfft`` along ``axis``: the inverse of :meth:`forward_real`.

        Parameters
        ----------
        x : ndarray
            Complex coefficients of length ``n // 2 + 1`` along ``axis``;
            used as workspace (``overwrite_x=True``).
        axis : int
            Periodic axis.
        workers : int, optional
            Threads for ``scipy.fft``.

        Returns
        -------
        ndarray
            Real, of length ``n`` along ``axis``.

        Examples
        --------
        >>> import numpy as np
        >>> t = AxisTransform(4, 0.25, ("periodic", "periodic"))
        >>> x = np.array([1.0, 0.0, -1.0, 0.0])
        >>> t.inverse_real(t.forward_real(x, axis=0), axis=0)
        array([ 1.,  0., -1.,  0.])
        """
        return self._fft.irfft(x, self.n, axis, workers, overwrite=True)

    @property
    def lam_real(self) -> np.ndarray:
        """Eigenvalues of the modes that ``rfft`` keeps."""
        return self.lam[: self.n // 2 + 1]

    def _basis(self, x):
        """The dense eigenbasis on ``xp`` in the precision of ``x`` (made once per dtype)."""
        dtype = x.real.dtype
        if dtype not in self._bases:
            self._bases[dtype] = self.xp.asarray(self._vectors.astype(dtype, copy=False))
        return self._bases[dtype]

    def __repr__(self):
        return f"AxisTransform(n={self.n}, pair={self.pair}, kind={self.kind!r})"


def _dense_eigenbasis(n, h, pair):
    """Orthonormal eigenvectors and eigenvalues of the 1D second difference.

    Ordered by increasing magnitude of the eigenvalue, as the fast
    transforms are.
    """
    check_memory(3 * 8.0 * n * n, f"a dense eigenbasis of an axis with {n} points")
    if pair[0] == "periodic":
        lam, vectors = scipy.linalg.eigh(second_difference(n, h, pair).toarray())
    else:
        mat = second_difference(n, h, pair, format="dia")
        lam, vectors = scipy.linalg.eigh_tridiagonal(mat.diagonal(0), mat.diagonal(1))
    return np.ascontiguousarray(vectors[:, ::-1]), lam[::-1].copy()


def _apply_along_axis(matrix, x, axis, xp):
    """``y[..., i, ...] = sum_j matrix[i, j] x[..., j, ...]`` along ``axis``."""
    moved = xp.moveaxis(x, axis, -1)
    return xp.moveaxis(moved @ matrix.T, -1, axis)


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


# Cost model for choosing the tridiagonal axis, in nanoseconds, measured with
# scipy 1.17 / pocketfft and OpenBLAS on 2 cores: one 1D transform costs about
# _FFT_NS_PER_COST * _fft_cost(length) per point, a dense eigenbasis product
# _DENSE_NS_PER_N * n per point, and the Thomas sweep _THOMAS_NS_PER_POINT per
# point plus _THOMAS_NS_PER_STEP per step along the axis (Python overhead).
_FFT_NS_PER_COST = 0.17
_DENSE_NS_PER_N = 0.018
_THOMAS_NS_PER_POINT = 2.0
_THOMAS_NS_PER_STEP = 2600.0


def _sweep_axis(grid: Grid, shift: float, points: float):
    """The axis whose transform pair over ``points`` points costs most above a sweep, or None.

    The cost model above; ``points`` is the number of grid points one
    process transforms (the whole grid, or one rank's share of it).
    """
    if shift < 0:
        return None  # indefinite: the unpivoted Thomas sweep may break down
    best_saving, best_axis = 0.0, None
    for axis, (n, pair) in enumerate(zip(grid.shape, grid.bc)):
        if pair[0] == "periodic" or n < 3:
            continue
        if pair[0] != pair[1]:
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


class SpectralSolver:
    """Solve ``(Delta_h - shift) u = f`` by fast diagonalization.

    Transform along every axis with its :class:`AxisTransform`, divide by
    the summed eigenvalues minus ``shift``, transform back. Optionally one
    non-periodic axis is not transformed: the problem then splits into
    independent tridiagonal systems along it, one per mode of the other
    axes (Hockney's method, as in FISHPACK), solved by a batched Thomas
    sweep that is factored once here.

    Parameters
    ----------
    grid : Grid
    shift : float
    dense : bool
        Use dense 1D eigenvectors on every axis (``method="eig"``).
    tridiagonal_axis : int, "auto" or None
        Axis handled by tridiagonal solves; ``"auto"`` picks the mixed-side
        axis or the one whose transform is most expensive, and ``None``
        transforms every axis.
    workers : int or None
        Threads for ``scipy.fft``.
    fft_backend : object or None
        A ``scipy.fft`` backend (e.g. ``pyfftw.interfaces.scipy_fft``) that
        the transforms run under, through ``scipy.fft.set_backend``;
        ``None`` uses scipy's own. numpy only.
    xp : module or None
        Array module of the data: ``numpy`` (default) or ``cupy``. The
        setup (eigenvalues, dense eigenbases, inverse eigenvalues) is
        computed on the host and moved to ``xp`` once; every solve then
        stays on ``xp``. On the GPU the tridiagonal sweep, a Python loop of
        small steps, is not used: ``"auto"`` transforms every axis.

    Notes
    -----
    The singular case (every axis periodic or Neumann-Neumann and
    ``shift == 0``) has one zero eigenvalue, the constant mode; its
    coefficient is set to zero, which returns the zero-mean solution.
    """

    def __init__(
        self,
        grid: Grid,
        shift: float = 0.0,
        *,
        dense: bool = False,
        tridiagonal_axis="auto",
        workers=None,
        fft_backend=None,
        xp=None,
    ):
        self.grid, self.shift, self.workers = grid, float(shift), workers
        self.fft_backend = fft_backend
        self.xp = np if xp is None else xp
        self.singular = grid.is_singular and self.shift == 0.0
        on_host = self.xp is np
        if not on_host and fft_backend is not None:
            raise ValueError("fft_backend is a scipy.fft (CPU) option; leave it None on the GPU")
        if tridiagonal_axis == "auto":
            on_sweep = not dense and on_host
            tridiagonal_axis = self._pick_tridiagonal_axis() if on_sweep else None
        elif tridiagonal_axis is not None and not on_host:
            raise ValueError(
                "tridiagonal_axis (Hockney's tridiagonal sweep) runs on the CPU only; "
                "pass tridiagonal_axis='auto' or None on the GPU"
            )
        self.tridiagonal_axis = tridiagonal_axis
        self.axes = [
            None if axis == tridiagonal_axis else AxisTransform(n, h, pair, dense=dense, xp=xp)
            for axis, (n, h, pair) in enumerate(zip(grid.shape, grid.h, grid.bc))
        ]
        # The periodic axis transformed last with rfft (real data only): the
        # fastest-varying one, as scipy.fft.rfftn does.
        fft_axes = [k for k, t in enumerate(self.axes) if t is not None and t.kind == "fft"]
        self.real_fft_axis = fft_axes[-1] if fft_axes else None
        # Real-to-real transforms first, then rfft, then complex FFTs: the
        # data stay real, and half as large, for as long as possible.
        self._order = sorted(
            (k for k, t in enumerate(self.axes) if t is not None),
            key=lambda k: 0 if self.axes[k].kind != "fft" else 1 if k == self.real_fft_axis else 2,
        )
        self._denominators = {}  # per layout and dtype, made on first use (or prepare)

    def _pick_tridiagonal_axis(self):
        """The non-periodic axis whose transform pair costs most over a sweep, if any.

        A rough cost model, calibrated on a 2-core x86 machine (see
        ``_FFT_NS_PER_COST`` and friends): the transform pair of an axis
        against the batched Thomas sweep along it, whose Python-level loop
        over the axis costs a few microseconds per step and so only pays off
        on large grids or expensive transforms (dense eigenvectors, DST-I
        lengths with large prime factors such as 2 (256 + 1) = 2 * 257).
        """
        return _sweep_axis(self.grid, self.shift, self.grid.size)

    def eigenvalue_sum(self, real: bool):
        """Summed 1D eigenvalues, broadcastable against :meth:`forward`'s output.

        Axes left to tridiagonal sweeps contribute nothing (size-1 entry).
        ``real`` selects the layout of real input (``rfft`` on one axis).
        An array of the solver's module ``xp`` (float64), summed there from
        the 1D eigenvalues: only those cross to the device.
        """
        return self._eigenvalue_sum(real, self.xp)

    def _eigenvalue_sum(self, real: bool, xp):
        total = xp.zeros((1,) * len(self.axes))
        for axis, t in enumerate(self.axes):
            if t is None:
                continue
            lam = t.lam_real if real and axis == self.real_fft_axis else t.lam
            shape = [1] * len(self.axes)
            shape[axis] = lam.size
            total = total + xp.asarray(lam).reshape(shape)
        return total

    def forward(self, x, overwrite: bool = False):
        """Coefficients of ``x`` in the eigenbasis; ``x`` is kept unless ``overwrite``."""
        real = not self.xp.iscomplexobj(x)
        if not self._order and not overwrite:
            return x.copy()
        with self._backend():
            for axis in self._order:
                t = self.axes[axis]
                if real and axis == self.real_fft_axis:
                    x = t.forward_real(x, axis, self.workers)
                else:
                    x = t.forward(x, axis, self.workers, overwrite=overwrite)
                overwrite = True  # later transforms work on our own intermediate
        return x

    def _backend(self):
        if self.fft_backend is None:
            return contextlib.nullcontext()
        return scipy.fft.set_backend(self.fft_backend)

    def inverse(self, coeffs, real: bool):
        """Grid values from eigenbasis coefficients; real output if ``real``."""
        with self._backend():
            for axis in reversed(self._order):
                t = self.axes[axis]
                if real and axis == self.real_fft_axis:
                    coeffs = t.inverse_real(coeffs, axis, self.workers)
                else:
                    coeffs = t.inverse(coeffs, axis, self.workers)
        return coeffs.real if real and self.xp.iscomplexobj(coeffs) else coeffs

    def apply_function(self, x, function):
        """``phi(Delta_h) x`` for an elementwise ``function`` of the eigenvalues.

        Needs every axis transformed (``tridiagonal_axis=None``). The shift
        is not included: ``function`` sees the eigenvalues of ``Delta_h``.
        ``x`` may be overwritten.
        """
        if self.tridiagonal_axis is not None:
            raise ValueError("apply_function needs tridiagonal_axis=None")
        real = not self.xp.iscomplexobj(x)
        coeffs = self.forward(x, overwrite=True)
        coeffs *= function(self.eigenvalue_sum(real)).astype(coeffs.real.dtype, copy=False)
        return self.inverse(coeffs, real).astype(x.dtype, copy=False)

    def prepare(self) -> None:
        """Set up the solve of the common case, real double-precision data, now.

        A solver that will solve (not only propagate, as the heat and image
        functions do) pays its setup here, and a singular ``shift`` is
        refused here, at construction, instead of at the first solve.
        """
        self._operator(real=True, dtype=np.float64)

    def _operator(self, real: bool, dtype):
        """Inverse eigenvalues, or the factored tridiagonal sweeps, per layout."""
        key = (real, np.dtype(dtype).char)
        if key not in self._denominators:
            total = self._eigenvalue_sum(real, np) - self.shift
            if self.tridiagonal_axis is None:
                if self.shift < 0:
                    check_regular_shift(self.grid, self.shift)
                with np.errstate(divide="ignore", over="ignore"):
                    inverse = 1.0 / np.broadcast_to(total, total.shape)
                if self.singular:
                    inverse.flat[0] = 0.0
                elif not np.all(np.isfinite(inverse)):
                    # a positive shift below the smallest normal number, on a grid whose
                    # Laplacian has the eigenvalue 0
                    raise ValueError(
                        f"shift={self.shift!r} is an eigenvalue of the Laplacian to rounding: "
                        f"(Delta_h - shift) is singular"
                    )
                self._denominators[key] = self.xp.asarray(inverse.astype(dtype))
            else:
                self._denominators[key] = _ThomasSweep(
                    self.grid, self.tridiagonal_axis, total, dtype, self.singular
                )
        return self._denominators[key]

    def solve(self, rhs, overwrite: bool = False):
        """Return ``u`` with ``(Delta_h - shift) u = rhs``; zero mean if singular.

        ``rhs`` is used as workspace only if ``overwrite``.
        """
        real = not self.xp.iscomplexobj(rhs)
        coeffs = self.forward(rhs, overwrite)
        op = self._operator(real, coeffs.real.dtype)
        if isinstance(op, _ThomasSweep):
            coeffs = op.solve(coeffs)
        else:
            coeffs *= op
        return self.inverse(coeffs, real).astype(rhs.dtype, copy=False)


class _ThomasSweep:
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
    """

    def __init__(self, grid, axis, total, dtype, singular=False):
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
