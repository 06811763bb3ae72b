"""The spectral solver: transform along every axis, divide by the eigenvalues, transform back."""

from __future__ import annotations

import contextlib

import numpy as np
import scipy.fft

from ..differences import axis_operators, has_constant_null_space
from ..grid import Grid
from ..operators import check_order, compact_weights
from .axis import AxisTransform
from .eigen import (
    axis_eigenvalues,
    check_regular_shift,
    compact_eigenvalues,
    compact_line_coefficients,
    eigenvalue_sum,
    inverse_eigenvalues,
    singular_shift_error,
)
from .sweep import TridiagonalSweep, sweep_axis, sweepable

__all__ = ["SpectralSolver"]

# The order-4 sweep divides each line by alpha (see SpectralSolver._compact_sweep_ok);
# alpha >= 1/3 for any shift >= 0 that is small against 1/h**2 on equal spacings.
_MIN_LINE_SCALE = 0.05


class _ScaledSweep:
    """The order-4 lines ``alpha (A + c I) x = g``: scale ``g`` by ``1/alpha``, then sweep."""

    def __init__(self, sweep, inverse_alpha):
        self.sweep, self.inverse_alpha = sweep, inverse_alpha

    def solve(self, g):
        g *= self.inverse_alpha
        return self.sweep.solve(g)


class SpectralSolver:
    """Solve ``(Delta_h - shift) u = f`` by fast diagonalization.

    Transform along every axis with its :class:`AxisTransform`, divide by
    the summed eigenvalues minus ``shift``, transform back. With
    ``order=4`` the system is the compact scheme's ``(L4 - shift M) u = b``
    (``b`` from :func:`kronlap.compact.compact_rhs`), and the division is by
    ``lam4 - shift m`` (:func:`compact_eigenvalues`): the same transforms,
    one pointwise product more in the setup. Optionally one
    non-periodic axis is not transformed: the problem then splits into
    independent tridiagonal systems along it, one per mode of the other
    axes (Hockney's method, as in FISHPACK), solved by a batched Thomas
    sweep that is factored once here.

    Parameters
    ----------
    grid : Grid
    shift : float
    order : {2, 4}
        4: solve the compact scheme's system ``(L4 - shift M) u = rhs``
        (Dirichlet and periodic axes only). Along a swept axis its lines
        are ``alpha (A + c I)``: the same sweep after a division by
        ``alpha``, used when ``shift >= 0`` and ``alpha`` is safely
        positive (``shift * h**2`` not large).
    dense : bool
        Use dense 1D eigenvectors on every axis (``method="eig"``).
    tridiagonal_axis : int, "auto" or None
        Axis handled by tridiagonal solves; ``"auto"`` picks the mixed-side
        axis or the one whose transform is most expensive, and ``None``
        transforms every axis. With ``order=4``, ``"auto"`` falls back to
        ``None`` and an axis is refused where the sweep is unsafe (see
        ``order``).
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
        order: int = 2,
        dense: bool = False,
        tridiagonal_axis="auto",
        workers=None,
        fft_backend=None,
        xp=None,
        operators=None,
    ):
        self.grid, self.shift, self.workers = grid, float(shift), workers
        self.order = check_order(order, grid)
        self.fft_backend = fft_backend
        self.xp = np if xp is None else xp
        self.operators = axis_operators(grid) if operators is None else tuple(operators)
        self.singular = has_constant_null_space(self.operators, self.shift)
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
        elif tridiagonal_axis is not None and not sweepable(self.operators[tridiagonal_axis]):
            raise ValueError(
                f"tridiagonal_axis={tridiagonal_axis!r} cannot be swept: the sweep takes "
                f"Robin sides with k >= 0 only (the lines must stay diagonally dominant); "
                f"pass tridiagonal_axis='auto' or None"
            )
        elif tridiagonal_axis is not None and not self._compact_sweep_ok(tridiagonal_axis):
            raise ValueError(
                f"tridiagonal_axis={tridiagonal_axis!r} cannot be swept with order=4 and "
                f"shift={self.shift!r}: the compact scheme's lines along it are not "
                f"alpha (A + c I) with alpha safely positive; pass tridiagonal_axis=None"
            )
        self.tridiagonal_axis = tridiagonal_axis
        self.axes = [
            None
            if axis == tridiagonal_axis
            else AxisTransform(n, h, pair, dense=dense, xp=xp, operator=op)
            for axis, (n, h, pair, op) in enumerate(
                zip(grid.shape, grid.h, grid.bc, self.operators)
            )
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
        axis = sweep_axis(self.grid, self.shift, self.grid.size, operators=self.operators)
        return axis if axis is None or self._compact_sweep_ok(axis) else None

    def _compact_sweep_ok(self, axis) -> bool:
        """Whether the sweep along ``axis`` is safe for this solver's scheme.

        Order 2: always (the caller checks the axis). Order 4: each line is
        ``alpha (A + (beta/alpha) I)`` (:func:`compact_line_coefficients`),
        and the sweep divides by ``alpha``; with ``alpha`` bounded away
        from 0 (a large shift times ``h**2`` makes it small or negative)
        and ``shift >= 0``, ``beta/alpha <= 0`` and the unpivoted Thomas
        sweep is as stable as for order 2.
        """
        if self.order == 2:
            return True
        alpha, _ = compact_line_coefficients(
            self._host_axis_eigenvalues(skip=axis), compact_weights(self.grid), axis, self.shift
        )
        return self.shift >= 0 and float(np.min(alpha)) >= _MIN_LINE_SCALE

    def _host_axis_eigenvalues(self, skip):
        return [
            None if k == skip else axis_eigenvalues(n, h, pair)
            for k, (n, h, pair) in enumerate(zip(self.grid.shape, self.grid.h, self.grid.bc))
        ]

    def eigenvalue_sum(self, real: bool):
        """Summed 1D eigenvalues, broadcastable against :meth:`forward`'s output.

        Axes left to tridiagonal sweeps contribute nothing (size-1 entry).
        ``real`` selects the layout of real input (``rfft`` on one axis).
        An array of the solver's module ``xp`` (float64), summed there from
        the 1D eigenvalues: only those cross to the device.
        """
        return self._eigenvalue_sum(real, self.xp)

    def _eigenvalue_sum(self, real: bool, xp):
        return eigenvalue_sum(self._axis_eigenvalues(real), xp)

    def _axis_eigenvalues(self, real: bool):
        """Each axis' 1D eigenvalues in its layout (``None`` for a swept axis)."""
        return [
            None if t is None else t.lam_real if real and axis == self.real_fft_axis else t.lam
            for axis, t in enumerate(self.axes)
        ]

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
        is not included: ``function`` sees the eigenvalues of ``Delta_h``
        (the order-2 ones; an ``order=4`` solver refuses).
        ``x`` may be overwritten.
        """
        if self.order != 2:
            raise ValueError("apply_function needs an order=2 solver")
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
            line_scale = None
            if self.order == 4 and self.tridiagonal_axis is None:
                lam4, mass = compact_eigenvalues(
                    self._axis_eigenvalues(real), compact_weights(self.grid)
                )
                total = lam4 - self.shift * mass
            elif self.order == 4:
                # Lines alpha A + beta I = alpha (A + (beta / alpha) I): the sweep of
                # A + c I with c = beta / alpha, after dividing the data by alpha.
                alpha, beta = compact_line_coefficients(
                    self._axis_eigenvalues(real),
                    compact_weights(self.grid),
                    self.tridiagonal_axis,
                    self.shift,
                )
                total, line_scale = beta / alpha, (1.0 / alpha).astype(dtype)
            else:
                total = self._eigenvalue_sum(real, np) - self.shift
            if self.tridiagonal_axis is None:
                if self.shift < 0:
                    check_regular_shift(self.grid, self.shift, order=self.order)
                inverse = inverse_eigenvalues(total, constant_mode=self.singular)
                if not np.all(np.isfinite(inverse)):
                    # a positive shift below the smallest normal number, on a grid whose
                    # Laplacian has the eigenvalue 0
                    raise singular_shift_error(self.shift)
                self._denominators[key] = self.xp.asarray(inverse.astype(dtype))
            else:
                sweep = TridiagonalSweep(
                    self.grid,
                    self.tridiagonal_axis,
                    total,
                    dtype,
                    self.singular,
                    operator=self.operators[self.tridiagonal_axis],
                )
                self._denominators[key] = (
                    sweep if line_scale is None else _ScaledSweep(sweep, line_scale)
                )
        return self._denominators[key]

    def solve(self, rhs, overwrite: bool = False):
        """Return ``u`` with ``(Delta_h - shift) u = rhs``; zero mean if singular.

        With ``order=4``: ``(L4 - shift M) u = rhs``, ``rhs`` being the
        compact right-hand side (:func:`kronlap.compact.compact_rhs`).

        ``rhs`` is used as workspace only if ``overwrite``.
        """
        real = not self.xp.iscomplexobj(rhs)
        coeffs = self.forward(rhs, overwrite)
        op = self._operator(real, coeffs.real.dtype)
        if isinstance(op, (TridiagonalSweep, _ScaledSweep)):
            coeffs = op.solve(coeffs)
        else:
            coeffs *= op
        return self.inverse(coeffs, real).astype(rhs.dtype, copy=False)
