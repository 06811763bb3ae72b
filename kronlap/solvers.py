"""``PoissonSolver`` and ``solve_poisson``: method dispatch, setup once, solve many."""

from __future__ import annotations

import math
import numbers
import time
import warnings

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla

from ._memory import check_memory
from .backend import check_backend
from .boundary import fold_boundary
from .grid import Grid
from .operators import _check_grid, laplacian
from .spectral import SpectralSolver

__all__ = [
    "PoissonSolver",
    "solve_poisson",
    "ConvergenceError",
    "ConvergenceWarning",
    "METHODS",
]

METHODS = ("auto", "fft", "eig", "multigrid", "cg", "direct")


class ConvergenceError(RuntimeError):
    """An iterative solve stopped before reaching the requested tolerance."""


class ConvergenceWarning(RuntimeWarning):
    """Warning counterpart of :class:`ConvergenceError`."""


class PoissonSolver:
    """Solver for ``(Delta_h - shift) u = f`` on a grid, set up once.

    The setup (transforms and eigenvalues, a sparse factorization, a
    preconditioner) is done here and reused by every :meth:`solve`, the way
    ``scipy.sparse.linalg.splu`` or a pyamg hierarchy is.

    Parameters
    ----------
    grid : Grid
        Shape, lengths and boundary conditions.
    shift : float, optional
        ``s`` in ``(Delta_h - s I) u = f``; ``s >= 0`` is screened Poisson or
        an implicit heat step. Negative values (Helmholtz-like, indefinite)
        are accepted by ``"fft"``, ``"eig"`` and ``"direct"``.
    method : str, optional
        ``"auto"`` (the fastest exact path: ``"fft"``), ``"fft"`` (per-axis
        FFT / DST-I / DCT-II; dense eigenvectors on mixed-side axes; one
        non-periodic axis may be solved by batched tridiagonal sweeps),
        ``"eig"`` (dense 1D eigendecompositions on every axis), ``"direct"``
        (sparse LU of the assembled Laplacian, SuperLU with minimum-degree
        ordering on ``A + A^T``), ``"cg"`` (conjugate gradients on
        ``-(Delta_h - s)``, Jacobi or incomplete-LU preconditioned; see
        ``preconditioner``). ``"multigrid"`` is not available in this
        version.
    tol : float, optional
        Relative residual ``||f - A u|| / ||f||`` that ``"cg"`` must reach.
    maxiter : int, optional
        Iteration cap for ``"cg"`` (default ``10 * grid.size``).
    preconditioner : {"jacobi", "ilu", None}, optional
        Preconditioner for ``"cg"`` (default ``"jacobi"``). ``"ilu"`` is
        ``scipy.sparse.linalg.spilu``, an incomplete LU that is not exactly
        symmetric, so CG with it may stall; use it to compare.
    on_nonconvergence : {"raise", "warn"}, optional
        What a missed ``tol`` does: raise :class:`ConvergenceError` (default)
        or warn with :class:`ConvergenceWarning` and return the iterate.
    tridiagonal_axis : int, "auto" or None, optional
        ``"fft"`` only: axis solved by batched tridiagonal sweeps instead of
        a transform (Hockney's method); ``"auto"`` picks the mixed-side axis
        or the one with the slowest transform, ``None`` transforms all axes.
    workers : int, optional
        Threads for ``scipy.fft`` (default: all CPUs).
    fft_backend : {None, "scipy", "pyfftw"} or scipy.fft backend, optional
        ``"fft"``/``"eig"`` only: the ``scipy.fft`` backend the transforms run
        under (``scipy.fft.set_backend``). ``"pyfftw"`` uses
        ``pyfftw.interfaces.scipy_fft`` (``pip install kronlap[fast]``); it
        pays off once pyFFTW's plan cache is on and its planner measures
        (``pyfftw.interfaces.cache.enable()``,
        ``pyfftw.config.PLANNER_EFFORT = "FFTW_MEASURE"``), settings that
        are global and therefore left to the caller. Default: scipy's own.

    Attributes
    ----------
    grid : Grid
    shift : float
    method : str
        The method in use (``"auto"`` resolved).
    info : dict
        ``method``, ``setup_time``, and for the last solve ``solve_time``,
        ``iterations`` (``None`` for exact methods) and ``residual``
        (relative residual, computed by iterative methods; ``None``
        otherwise).

    Raises
    ------
    TypeError, ValueError
        Bad grid, shift, method or options.
    MemoryError
        The method's working memory clearly exceeds what the machine has
        (estimated before allocating).

    See Also
    --------
    solve_poisson : one-shot wrapper.

    Examples
    --------
    >>> import numpy as np
    >>> import kronlap as kl
    >>> g = kl.Grid((64, 64), bc="dirichlet")
    >>> solver = kl.PoissonSolver(g, shift=1.0)
    >>> f = np.ones(g.shape)
    >>> u = solver.solve(f)
    >>> A = kl.laplacian(g) - 1.0 * kl.kron_sum(np.eye(64), np.eye(64))
    >>> bool(np.allclose(A @ u.ravel(), f.ravel()))
    True
    >>> solver.info["method"]
    'fft'
    """

    def __init__(
        self,
        grid: Grid,
        shift: float = 0.0,
        method: str = "auto",
        *,
        tol: float = 1e-10,
        maxiter: int | None = None,
        preconditioner: str | None = "jacobi",
        on_nonconvergence: str = "raise",
        tridiagonal_axis="auto",
        workers: int | None = None,
        fft_backend=None,
    ):
        self.grid = _check_grid(grid)
        self.shift = _check_shift(shift)
        self.method = _check_method(method, self.grid)
        self.tol = _check_positive(tol, "tol")
        if maxiter is not None:
            if not isinstance(maxiter, numbers.Integral) or maxiter < 1:
                raise ValueError(f"maxiter must be a positive int or None, got {maxiter!r}")
        if on_nonconvergence not in ("raise", "warn"):
            raise ValueError(
                f"on_nonconvergence must be 'raise' or 'warn', got {on_nonconvergence!r}"
            )
        self.on_nonconvergence = on_nonconvergence
        self.singular = self.grid.is_singular and self.shift == 0.0
        if workers is None:
            workers = -1
        start = time.perf_counter()
        if self.method in ("fft", "eig"):
            if tridiagonal_axis not in ("auto", None) and not (
                isinstance(tridiagonal_axis, numbers.Integral)
                and 0 <= tridiagonal_axis < self.grid.ndim
                and self.grid.bc[tridiagonal_axis][0] != "periodic"
            ):
                raise ValueError(
                    f"tridiagonal_axis must be 'auto', None or a non-periodic axis in "
                    f"[0, {self.grid.ndim}), got {tridiagonal_axis!r}"
                )
            self._impl = SpectralSolver(
                self.grid,
                self.shift,
                dense=self.method == "eig",
                tridiagonal_axis=tridiagonal_axis if self.method == "fft" else None,
                workers=workers,
                fft_backend=_resolve_fft_backend(fft_backend),
            )
        elif self.method == "direct":
            self._impl = _DirectSolver(self.grid, self.shift, self.singular)
        else:
            if self.shift < 0:
                raise ValueError(
                    f"method='cg' needs shift >= 0 (a definite operator), got {self.shift}"
                )
            if preconditioner not in ("jacobi", "ilu", None):
                raise ValueError(
                    f"preconditioner must be 'jacobi', 'ilu' or None, got {preconditioner!r}"
                )
            self._impl = _CGSolver(
                self.grid, self.shift, self.tol, maxiter or 10 * self.grid.size, preconditioner
            )
        self.info = {
            "method": self.method,
            "setup_time": time.perf_counter() - start,
            "solve_time": None,
            "iterations": None,
            "residual": None,
        }

    def solve(self, f, boundary=None, *, project: bool = False, overwrite_f: bool = False):
        """Solve ``(Delta_h - shift) u = f`` with the set-up method.

        Parameters
        ----------
        f : array_like of shape ``grid.shape``
            Right-hand side; real or complex, float32 or float64 (integers
            are read as float64). Not modified unless ``overwrite_f``.
        boundary : dict, optional
            ``{(axis, side): value}`` with ``side`` 0 (low) or 1 (high) and
            ``value`` a scalar or an array of the face's shape: ``u`` on a
            Dirichlet side, the outward normal derivative on a Neumann side.
            Homogeneous (zero) data by default.
        project : bool, optional
            Singular problems only (every axis periodic or Neumann-Neumann,
            ``shift == 0``): remove the mean of the right-hand side (boundary
            fluxes included) instead of raising when it is not zero.
        overwrite_f : bool, optional
            Allow ``f`` to be used as workspace.

        Returns
        -------
        ndarray of shape ``grid.shape``
            ``u``, of the dtype of ``f`` (float64 for integer input). For a
            singular problem, the solution with zero mean.

        Raises
        ------
        ValueError
            Wrong shape, NaN or inf, bad boundary data, or (singular
            problems) a right-hand side whose mean is not zero.
        ConvergenceError
            ``"cg"`` did not reach ``tol``.
        """
        check_backend(None, f)
        rhs = _check_rhs(f, self.grid)
        # Copy only when the right-hand side must change (boundary data, a
        # projection) and the caller's array is not ours to change.
        owned = overwrite_f and rhs is f
        if boundary is not None or (self.singular and project):
            if not owned:
                rhs, owned = rhs.copy(), True
            fold_boundary(rhs, self.grid, boundary)
        if self.singular:
            _enforce_compatibility(rhs, project)
        start = time.perf_counter()
        if isinstance(self._impl, SpectralSolver):
            u, iterations, residual = self._impl.solve(rhs, overwrite=owned), None, None
        else:
            u, iterations, residual = self._impl.solve(rhs)
        if self.singular and not isinstance(self._impl, SpectralSolver):
            u -= u.mean()  # the spectral path returns zero mean by construction
        self.info.update(
            solve_time=time.perf_counter() - start, iterations=iterations, residual=residual
        )
        if residual is not None and not residual <= self.tol:
            message = (
                f"method={self.method!r} reached relative residual {residual:.3e} after "
                f"{iterations} iterations, short of tol={self.tol:.1e}"
            )
            if self.on_nonconvergence == "raise":
                raise ConvergenceError(message)
            warnings.warn(message, ConvergenceWarning, stacklevel=2)
        return u

    def __repr__(self):
        return f"PoissonSolver({self.grid!r}, shift={self.shift}, method={self.method!r})"


def solve_poisson(
    f,
    grid: Grid,
    *,
    shift: float = 0.0,
    boundary=None,
    method: str = "auto",
    tol: float = 1e-10,
    backend: str | None = None,
    project: bool = False,
    **options,
):
    """Solve ``(Delta_h - shift) u = f`` on ``grid``; ``shift >= 0`` is screened Poisson.

    ``Delta_h`` is :func:`kronlap.laplacian` of ``grid``; boundary data
    enter through ``boundary``. This sets up a :class:`PoissonSolver` and
    solves once; build the solver yourself to reuse the setup.

    Parameters
    ----------
    f : array_like of shape ``grid.shape``
        Right-hand side (numpy; real or complex).
    grid : Grid
    shift : float, optional
        ``s`` in ``(Delta_h - s I) u = f``.
    boundary : dict, optional
        ``{(axis, side): value}``: Dirichlet values or outward normal
        derivatives (Neumann) per face; see :meth:`PoissonSolver.solve`.
    method : {"auto", "fft", "eig", "multigrid", "cg", "direct"}, optional
        See :class:`PoissonSolver`.
    tol : float, optional
        Relative residual for iterative methods.
    backend : {None, "numpy", "cupy"}, optional
        Array library; ``None`` follows ``f``. This version runs on numpy.
    project : bool, optional
        Singular problems: project the mean of ``f`` away instead of raising.
    **options
        Passed to :class:`PoissonSolver`.

    Returns
    -------
    ndarray of shape ``grid.shape``

    Raises
    ------
    TypeError, ValueError
        Bad input (the message names the argument).
    RuntimeError
        ``backend="cupy"`` where it cannot run.
    ConvergenceError
        An iterative method missed ``tol``.

    Examples
    --------
    ``u = x (1 - x)`` has ``u'' = -2`` and is reproduced exactly:

    >>> import numpy as np
    >>> import kronlap as kl
    >>> g = kl.Grid(7)
    >>> u = kl.solve_poisson(np.full(7, -2.0), g)
    >>> x = g.coords[0]
    >>> bool(np.allclose(u, x * (1 - x)))
    True
    """
    check_backend(backend, f)
    solver = PoissonSolver(grid, shift, method, tol=tol, **options)
    return solver.solve(f, boundary, project=project)


class _DirectSolver:
    """Sparse LU of ``Delta_h - shift``, kept for every solve.

    A singular problem is made regular by grounding the first unknown
    (deleting its row and column); the caller then removes the mean.
    """

    def __init__(self, grid, shift, singular):
        n = grid.size
        if grid.ndim == 1:
            fill = 3.0 * n
        elif grid.ndim == 2:
            fill = 5.0 * n * max(1.0, math.log2(n))
        else:
            fill = 0.7 * n ** (5.0 / 3.0)
        check_memory(24.0 * fill, f"a sparse LU factorization of {grid.size} unknowns")
        A = laplacian(grid, format="csc")
        if shift:
            A = (A - shift * sp.eye_array(n, format="csc")).tocsc()
        self.grounded = singular
        if singular:
            A = A[1:, 1:]
        self._lu = spla.splu(A, permc_spec="MMD_AT_PLUS_A") if A.shape[0] else None

    def solve(self, rhs):
        flat = rhs.reshape(-1).astype(np.promote_types(rhs.dtype, np.float64), copy=False)
        start = 1 if self.grounded else 0
        u = np.zeros_like(flat)
        if self._lu is not None:
            if np.iscomplexobj(flat):
                u[start:] = self._lu.solve(flat[start:].real) + 1j * self._lu.solve(
                    flat[start:].imag
                )
            else:
                u[start:] = self._lu.solve(flat[start:])
        return u.reshape(rhs.shape).astype(rhs.dtype, copy=False), None, None


class _CGSolver:
    """Preconditioned conjugate gradients on ``-(Delta_h - shift)`` (SPD)."""

    def __init__(self, grid, shift, tol, maxiter, preconditioner):
        A = -laplacian(grid)
        if shift:
            A = (A + shift * sp.eye_array(grid.size, format="csr")).tocsr()
        self.A, self.tol, self.maxiter = A, tol, maxiter
        if preconditioner == "jacobi":
            inv_diag = 1.0 / A.diagonal()
            self.M = spla.LinearOperator(A.shape, matvec=lambda x: inv_diag * x, dtype=A.dtype)
        elif preconditioner == "ilu":
            ilu = spla.spilu(A.tocsc())
            self.M = spla.LinearOperator(A.shape, matvec=ilu.solve, dtype=A.dtype)
        else:
            self.M = None

    def _solve_real(self, b):
        count = [0]

        def callback(_):
            count[0] += 1

        norm_b = np.linalg.norm(b)
        if norm_b == 0:
            return np.zeros_like(b), 0, 0.0
        x, _ = spla.cg(
            self.A, -b, rtol=self.tol, maxiter=self.maxiter, M=self.M, callback=callback
        )
        residual = float(np.linalg.norm(b + self.A @ x) / norm_b)
        return x, count[0], residual

    def solve(self, rhs):
        flat = rhs.reshape(-1).astype(np.promote_types(rhs.dtype, np.float64))
        if np.iscomplexobj(flat):
            re, it_re, res_re = self._solve_real(flat.real.copy())
            im, it_im, res_im = self._solve_real(flat.imag.copy())
            u = re + 1j * im
            iterations = it_re + it_im
            residual = float(np.linalg.norm(flat + self.A @ u) / np.linalg.norm(flat))
        else:
            u, iterations, residual = self._solve_real(flat)
        return u.reshape(rhs.shape).astype(rhs.dtype, copy=False), iterations, residual


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


def _check_shift(shift) -> float:
    if not isinstance(shift, numbers.Real) or isinstance(shift, bool):
        raise TypeError(f"shift must be a real number, got {shift!r}")
    if not np.isfinite(shift):
        raise ValueError(f"shift must be finite, got {shift!r}")
    return float(shift)


def _check_positive(value, name) -> float:
    if not isinstance(value, numbers.Real) or not value > 0 or not np.isfinite(value):
        raise ValueError(f"{name} must be a positive finite number, got {value!r}")
    return float(value)


def _check_method(method, grid) -> str:
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, got {method!r}")
    if method == "multigrid":
        raise ValueError(
            "method='multigrid' (pyamg) is not available in this version of kronlap; "
            "use 'fft', 'eig', 'direct' or 'cg'"
        )
    return "fft" if method == "auto" else method


def _check_rhs(f, grid: Grid) -> np.ndarray:
    """Validate ``f``; return it, or a float32/float64/complex C-ordered copy."""
    arr = np.asarray(f)
    if arr.dtype == bool or not np.issubdtype(arr.dtype, np.number):
        raise TypeError(f"f must be a numeric array, got dtype {arr.dtype}")
    if arr.shape != grid.shape:
        raise ValueError(f"f must have shape grid.shape={grid.shape}, got {arr.shape}")
    if arr.dtype in (np.float32, np.float64, np.complex64, np.complex128):
        dtype = arr.dtype
    elif np.iscomplexobj(arr):
        dtype = np.complex128
    else:
        dtype = np.float64
    # A sum is NaN or inf if any entry is (one pass, no temporary); only then
    # look closer, since a finite sum can also overflow.
    if not np.isfinite(arr.sum()) and not np.all(np.isfinite(arr)):
        raise ValueError("f contains NaN or inf")
    if dtype != arr.dtype or not arr.flags.c_contiguous:
        return np.array(arr, dtype=dtype, order="C")
    return arr


def _enforce_compatibility(rhs, project: bool) -> None:
    """Singular problems: the right-hand side must have zero mean."""
    mean = rhs.mean()
    if project:
        rhs -= mean
        return
    # Rounding in a (pairwise) sum of N terms stays well below sqrt(N) eps
    # times their largest magnitude. Reductions without BLAS: a BLAS norm
    # can stall on busy machines.
    if np.iscomplexobj(rhs):
        scale = float(np.abs(rhs).max())
    else:
        scale = max(abs(float(rhs.max())), abs(float(rhs.min())))
    eps = np.finfo(rhs.real.dtype).eps
    if abs(mean) > 4.0 * math.sqrt(rhs.size) * eps * scale:
        raise ValueError(
            f"f is incompatible with this singular problem (every axis periodic or "
            f"Neumann-Neumann, shift=0): its mean, boundary fluxes included, is "
            f"{complex(mean) if np.iscomplexobj(mean) else float(mean):.6g} "
            f"(max |f| = {scale:.6g}) but must be zero; fix the data or pass "
            f"project=True to remove the mean"
        )
