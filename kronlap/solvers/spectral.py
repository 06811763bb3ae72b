"""``"fft"`` and ``"eig"``: fast diagonalization by the per-axis transforms or eigenvectors."""

from __future__ import annotations

from .._validation import check_workers
from ..spectral import SpectralSolver
from .problem import check_tridiagonal_axis
from .registry import Method, register

__all__ = ["FFTMethod", "EigMethod"]


def _resolve_fft_backend(fft_backend):
    if fft_backend is None or fft_backend == "scipy":
        return None
    if fft_backend == "pyfftw":
        try:
            import pyfftw.interfaces.scipy_fft as backend
        except ImportError:
            raise ValueError(
                "fft_backend='pyfftw' needs pyFFTW: pip install 'kronlap[fast]'"
            ) from None
        return backend
    if isinstance(fft_backend, str) or not hasattr(fft_backend, "__ua_function__"):
        raise ValueError(
            f"fft_backend must be None, 'scipy', 'pyfftw' or a scipy.fft backend, got "
            f"{fft_backend!r}"
        )
    return fft_backend


class _Diagonalization(Method):
    gpu = True
    indefinite = True
    zero_mean = True  # the constant mode's coefficient is set to zero
    orders = (2, 4)
    dense = False

    def __init__(self, problem, *, tridiagonal_axis=None, workers=None, fft_backend=None):
        super().__init__(problem)
        self.solver = SpectralSolver(
            problem.grid,
            problem.shift,
            dense=self.dense,
            tridiagonal_axis=tridiagonal_axis,
            workers=workers,
            fft_backend=_resolve_fft_backend(fft_backend),
            xp=problem.xp,
            order=problem.order,
            operators=problem.operators,
        )
        self.solver.prepare()
        self.info = {
            "transforms": tuple(
                "tridiagonal" if t is None else t.kind for t in self.solver.axes
            ),
            "tridiagonal_axis": self.solver.tridiagonal_axis,
        }

    def solve(self, rhs, values, overwrite):
        return self.solver.solve(rhs, overwrite=overwrite), None, None


@register
class FFTMethod(_Diagonalization):
    """Per-axis fast transforms: FFT (periodic), DST-I (Dirichlet), DCT-II (Neumann).

    An axis with mixed sides uses its dense 1D eigenvectors; one
    non-periodic axis may be solved by batched tridiagonal sweeps instead
    (Hockney's method), chosen by ``tridiagonal_axis``.
    """

    name = "fft"
    options = {"tridiagonal_axis": "auto", "workers": None, "fft_backend": None}

    @classmethod
    def check_options(cls, problem, given):
        options = super().check_options(problem, given)
        check_tridiagonal_axis(options["tridiagonal_axis"], problem.grid, problem.shift)
        options["workers"] = check_workers(options["workers"])
        return options


@register
class EigMethod(_Diagonalization):
    """Dense 1D eigendecompositions on every axis: works for any separable operator."""

    name = "eig"
    dense = True
