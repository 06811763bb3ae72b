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
from ._validation import check_count, check_grid, check_real, check_tolerance, check_workers
from .backend import (
    array_module,
    check_backend,
    get_array_module,
    sparse_matrix,
    sparse_modules,
    to_backend,
)
from .boundary import fold_boundary
from .coefficients import coefficient_array, diffusion, fold_diffusion_boundary
from .gmg import CYCLES, GMG_ACCELERATORS, GeometricMultigrid
from .grid import Grid
from .multigrid import (
    ACCELERATORS,
    AMG_KINDS,
    STAGNATION_WINDOW,
    MultigridSolver,
    _project_constants,
    _restart_on_true_residual,
)
from .operators import laplacian
from .spectral import SpectralSolver, check_regular_shift

__all__ = [
    "PoissonSolver",
    "solve_poisson",
    "ConvergenceError",
    "ConvergenceWarning",
    "METHODS",
]

METHODS = ("auto", "fft", "eig", "multigrid", "gmg", "cg", "direct")

# "auto" with a coefficient: gmg from these sizes on (by dimension). Setup +
# solve to 1e-8, pyamg (RS + CG) time over gmg time (Galerkin levels,
# single-precision cycle), 2-core machine, fastest of 2 in one process:
# 4 x 4 checkerboard of 1 and 100: 64^2 0.86, 128^2 1.9, 256^2 2.0, 1024^2
# 3.4 (benchmarks/bench_gmg.py), 16^3 0.27, 32^3 0.61, 48^3 1.31, 64^3 1.97,
# 128^3 2.9; a random value in [1, 1000] in every cell: 64^2 1.3, 128^2
# 1.2, 256^2 3.8, 16^3 0.25, 32^3 0.65, 48^3 1.25, 64^3 1.5, 128^3 2.6.
# (Small 3D grids pay the 27 probes of the Galerkin setup.)
_GMG_AUTO_MIN_SIZE = {1: 128 * 128, 2: 128 * 128, 3: 48**3}


class ConvergenceError(RuntimeError):
    """An iterative solve stopped before reaching the requested tolerance.

    The message gives the method, the relative residual reached, the
    iteration count and ``tol``.

    Examples
    --------
    >>> import numpy as np
    >>> import kronlap as kl
    >>> g = kl.Grid((64, 64))
    >>> try:
    ...     kl.solve_poisson(np.ones(g.shape), g, method="cg", preconditioner=None, maxiter=2)
    ... except kl.ConvergenceError as error:
    ...     print(str(error).split(" reached")[0], "after 2 iterations" in str(error))
    method='cg' True
    """


class ConvergenceWarning(RuntimeWarning):
    """Warning counterpart of :class:`ConvergenceError` (``on_nonconvergence="warn"``).

    Examples
    --------
    >>> import warnings
    >>> import numpy as np
    >>> import kronlap as kl
    >>> g = kl.Grid((64, 64))
    >>> solver = kl.PoissonSolver(g, method="gmg", maxiter=1, on_nonconvergence="warn")
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     u = solver.solve(np.ones(g.shape))
    >>> caught[0].category.__name__, solver.info["iterations"]
    ('ConvergenceWarning', 1)
    """


class PoissonSolver:
    """Solver for ``(Delta_h - shift) u = f`` on a grid, set up once.

    With ``coeff`` the operator is ``div(a grad) - shift``
    (:func:`kronlap.diffusion`); with ``mask`` the unknowns are the masked
    points only, the others held at ``mask_values``.
    The setup (transforms and eigenvalues, a sparse factorization, a
    multigrid hierarchy) is done here and reused by every :meth:`solve`, the
    way ``scipy.sparse.linalg.splu`` or a pyamg hierarchy is.

    Parameters
    ----------
    grid : Grid
        Shape, lengths and boundary conditions.
    shift : float, optional
        ``s`` in ``(Delta_h - s I) u = f``; ``s >= 0`` is screened Poisson or
        an implicit heat step. Negative values (Helmholtz-like, indefinite)
        are accepted by ``"fft"``, ``"eig"`` and ``"direct"``.
    method : str, optional
        ``"auto"`` (the fastest exact path: ``"fft"``; with ``coeff``,
        ``"gmg"`` on grids of 128^2 (2D) or 48^3 (3D) points or more, where it
        measured faster,
        else ``"multigrid"``; ``"multigrid"`` with ``mask``), ``"fft"`` (per-axis
        FFT / DST-I / DCT-II; dense eigenvectors on mixed-side axes; one
        non-periodic axis may be solved by batched tridiagonal sweeps),
        ``"eig"`` (dense 1D eigendecompositions on every axis), ``"direct"``
        (sparse LU of the assembled operator, SuperLU with minimum-degree
        ordering on ``A + A^T``), ``"cg"`` (conjugate gradients on
        ``-(Delta_h - s)``, Jacobi, incomplete-LU or AMG preconditioned; see
        ``preconditioner``), ``"multigrid"`` (pyamg algebraic multigrid,
        hierarchy built once, as the preconditioner of CG; see ``amg``),
        ``"gmg"`` (kronlap's matrix-free geometric multigrid,
        :class:`kronlap.GeometricMultigrid`: the hierarchy comes from the
        grid's axes, nothing is assembled; CG around single-precision
        Gauss-Seidel V-cycles, with ``coeff`` Galerkin coarse levels and
        VW-cycles, see ``accel`` and ``cycle``; no ``mask``).
        ``"fft"`` and ``"eig"`` need the constant-coefficient Laplacian on
        the full grid and refuse ``coeff`` and ``mask``.
    coeff : float, array_like or callable, optional
        Diffusion coefficient ``a > 0``: the operator becomes
        ``div(a grad) - shift`` (:func:`kronlap.diffusion`). A scalar, an
        array of ``grid.shape``, or a callable ``coeff(*grid.mesh())``.
        Boundary data are scaled by the coefficient of the adjacent cell
        (:func:`kronlap.coefficients.fold_diffusion_boundary`).
    mask : array_like of bool, optional
        ``grid.shape`` array, ``True`` where ``u`` is unknown. The system is
        the grid operator restricted to those points; the others are held at
        ``mask_values`` and enter the right-hand side through their
        couplings to the unknowns.
    mask_values : float or array_like, optional
        Values of ``u`` outside ``mask`` (scalar or ``grid.shape`` array,
        entries inside the mask ignored); 0 by default. :meth:`solve` can
        override them per right-hand side.
    tol : float, optional
        Relative residual ``||f - A u|| / ||f||`` that ``"cg"`` and
        ``"multigrid"`` must reach (``f`` with boundary data and mask
        couplings folded in).
    maxiter : int, optional
        Iteration cap: for ``"cg"`` (default ``10 * grid.size``), for
        ``"multigrid"`` and ``"gmg"`` the number of (accelerated) cycles
        (default 200).
    preconditioner : {"jacobi", "ilu", "amg", "gmg", None}, optional
        Preconditioner for ``"cg"`` (default ``"jacobi"``). ``"ilu"`` is
        ``scipy.sparse.linalg.spilu``, an incomplete LU that is not exactly
        symmetric, so CG with it may stall; use it to compare. ``"amg"`` is
        one V-cycle of the ``amg`` hierarchy (scipy's CG around it);
        ``"gmg"`` one cycle of :class:`kronlap.GeometricMultigrid` (not with
        ``mask``).
    amg : {"rs", "sa"}, optional
        ``"multigrid"`` and ``preconditioner="amg"``: Ruge-Stuben (default,
        measured fastest on these grids) or smoothed-aggregation AMG; see
        :func:`kronlap.multigrid.amg_options`.
    amg_options : dict, optional
        pyamg keyword arguments overriding kronlap's tuned ones.
    accel : {"auto", "cg", "fgmres", None}, optional
        ``"multigrid"`` and ``"gmg"``: Krylov method around the cycle
        (``"fgmres"`` is pyamg's only); ``None`` runs plain cycles.
        ``"auto"`` (default) is ``"cg"``. For ``"gmg"`` CG runs the cycle
        in single precision, which made it faster than plain
        (double-precision) V-cycles even where both take 9 iterations:
        1024^2 Dirichlet 0.26 s against 0.34 s, 100 against 92 MiB
        (``benchmarks/bench_gmg.py``).
    cycle : {None, "V", "W", "F", "VW"}, optional
        ``"gmg"`` and ``preconditioner="gmg"``: the multigrid cycle; None
        (default) is :class:`kronlap.GeometricMultigrid`'s choice.
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
    backend : {None, "numpy", "cupy"}, optional
        Array library of the solves (``None``: numpy). ``"cupy"`` runs
        ``"fft"`` and ``"eig"`` (cuFFT transforms, dense eigenbases as
        matrix products) and ``"cg"`` (``cupyx.scipy.sparse``, Jacobi or no
        preconditioner, no ``mask``) on the GPU; :meth:`solve` moves numpy
        input there and returns cupy arrays. Hockney's tridiagonal sweep
        (``tridiagonal_axis``) is a CPU path: on the GPU ``"auto"``
        transforms every axis. Other methods raise ``ValueError``; see
        :func:`kronlap.backend.check_backend`.

    Attributes
    ----------
    grid : Grid
    shift : float
    method : str
        The method in use (``"auto"`` resolved).
    info : dict
        ``method``, ``setup_time``, ``unknowns``, and for the last solve
        ``solve_time``, ``iterations`` (``None`` for exact methods) and
        ``residual`` (relative residual, computed by iterative methods;
        ``None`` otherwise). With an AMG hierarchy also ``amg``, ``levels``
        and ``operator_complexity``; with a geometric one (``"gmg"``)
        ``levels``, ``shapes`` and ``grid_complexity``.

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
    >>> A = kl.laplacian(g) - 1.0 * kl.kron_sum(np.eye(64), np.zeros((64, 64)))
    >>> bool(np.allclose(A @ u.ravel(), f.ravel()))
    True
    >>> solver.info["method"]
    'fft'

    A coefficient that jumps by 100x, solved by multigrid:

    >>> a = np.where(g.mesh()[0] < 0.5, 1.0, 100.0)
    >>> solver = kl.PoissonSolver(g, coeff=a)
    >>> u = solver.solve(f)
    >>> solver.info["method"], bool(solver.info["residual"] <= 1e-10)
    ('multigrid', True)
    >>> bool(np.allclose(kl.diffusion(g, a) @ u.ravel(), f.ravel()))
    True
    """

    def __init__(
        self,
        grid: Grid,
        shift: float = 0.0,
        method: str = "auto",
        *,
        coeff=None,
        mask=None,
        mask_values=None,
        tol: float = 1e-10,
        maxiter: int | None = None,
        preconditioner: str | None = "jacobi",
        amg: str = "rs",
        amg_options: dict | None = None,
        accel: str | None = "auto",
        cycle: str | None = None,
        on_nonconvergence: str = "raise",
        tridiagonal_axis="auto",
        workers: int | None = None,
        fft_backend=None,
        backend: str | None = None,
    ):
        self.grid = check_grid(grid)
        self.shift = check_real(shift, "shift")
        start = time.perf_counter()
        self._coeff = None if coeff is None else coefficient_array(self.grid, coeff)
        self._mask = _check_mask(mask, self.grid)
        if mask_values is not None and self._mask is None:
            raise ValueError("mask_values needs a mask (mask=None was given)")
        self._mask_values = _check_mask_values(mask_values, self.grid, self._mask)
        given = [name for name, value in (("coeff", coeff), ("mask", mask)) if value is not None]
        self.method = _check_method(
            method, self.grid, given, gmg_ok=accel != "fgmres" and self.shift >= 0
        )
        self.backend = check_backend(backend, method=self.method)
        xp = array_module(self.backend)
        if (
            xp is not np
            and self.method == "cg"
            and (self._mask is not None or preconditioner not in ("jacobi", None))
        ):
            raise ValueError(
                "method='cg' on the GPU takes preconditioner='jacobi' or None and no mask; "
                "use backend='numpy' for the others"
            )
        self.tol = check_tolerance(tol)
        maxiter = check_count(maxiter, "maxiter", allow_none=True)
        workers = check_workers(workers)
        if on_nonconvergence not in ("raise", "warn"):
            raise ValueError(
                f"on_nonconvergence must be 'raise' or 'warn', got {on_nonconvergence!r}"
            )
        self.on_nonconvergence = on_nonconvergence
        # A mask that leaves out any point pins the solution there: the
        # restricted operator is then definite.
        self.singular = (
            self.grid.is_singular
            and self.shift == 0.0
            and (self._mask is None or bool(self._mask.all()))
        )
        if workers is None:
            workers = -1
        if self.method in ("multigrid", "gmg", "cg"):
            if self.shift < 0:
                raise ValueError(
                    f"method={self.method!r} needs shift >= 0 (a definite operator), got "
                    f"{self.shift}"
                )
            if self.method == "cg" and preconditioner not in ("jacobi", "ilu", "amg", "gmg", None):
                raise ValueError(
                    f"preconditioner must be 'jacobi', 'ilu', 'amg', 'gmg' or None, got "
                    f"{preconditioner!r}"
                )
            uses_gmg = self.method == "gmg" or (self.method == "cg" and preconditioner == "gmg")
            if uses_gmg and self._mask is not None:
                what = "method='gmg'" if self.method == "gmg" else "preconditioner='gmg'"
                raise ValueError(
                    f"{what} works on the full grid and cannot take mask; use "
                    f"method='multigrid', 'cg' (jacobi/ilu/amg) or 'direct'"
                )
            if accel == "auto":
                accel = "cg"
            if self.method == "gmg" and accel not in GMG_ACCELERATORS:
                raise ValueError(
                    f"accel must be one of {GMG_ACCELERATORS} for method='gmg', got {accel!r}"
                )
            if cycle not in (None, *CYCLES):
                raise ValueError(f"cycle must be None or one of {CYCLES}, got {cycle!r}")
            if amg not in AMG_KINDS:
                raise ValueError(f"amg must be one of {AMG_KINDS}, got {amg!r}")
            if accel not in ACCELERATORS:
                raise ValueError(f"accel must be 'auto' or one of {ACCELERATORS}, got {accel!r}")
            if amg_options is not None and not isinstance(amg_options, dict):
                raise TypeError(
                    f"amg_options must be a dict of pyamg keyword arguments, got {amg_options!r}"
                )
        self._system = None
        amg_info = {}
        gmg_options = {"shift": self.shift, "coeff": self._coeff, "cycle": cycle}
        if self.shift < 0 and self._coeff is None and self._mask is None:
            # The same refusal from every method that takes an indefinite
            # shift: the eigenvalues of the full-grid Laplacian are known.
            check_regular_shift(self.grid, self.shift)
        if self.method in ("fft", "eig"):
            _check_tridiagonal_axis(tridiagonal_axis, self.grid, self.shift)
            self._impl = SpectralSolver(
                self.grid,
                self.shift,
                dense=self.method == "eig",
                tridiagonal_axis=tridiagonal_axis if self.method == "fft" else None,
                workers=workers,
                fft_backend=_resolve_fft_backend(fft_backend),
                xp=xp,
            )
            self._impl.prepare()
        elif self.method == "gmg":
            _check_gmg_memory(self.grid, self._coeff is not None)
            self._impl = _GeometricSolver(
                GeometricMultigrid(
                    self.grid,
                    tol=self.tol,
                    maxiter=maxiter or 200,
                    accel=accel,
                    **gmg_options,
                )
            )
            amg_info = _gmg_info(self._impl.multigrid)
        else:
            unknowns = self.grid.size if self._mask is None else int(self._mask.sum())
            if self.method == "direct":
                _check_direct_memory(self.grid.ndim, unknowns)
            else:
                # Matrix, hierarchy, interpolation and pyamg's setup copies:
                # measured 500 (2D) and 760 (3D) bytes per unknown at peak.
                check_memory(
                    110.0 * (2 * self.grid.ndim + 1) * unknowns,
                    f"an AMG hierarchy for {unknowns} unknowns",
                )
            self._system = _System(self.grid, self.shift, self._coeff, self._mask)
            spd = self._system.matrix
            if self.method == "direct":
                self._impl = _DirectSolver(spd, self.singular)
            elif self.method == "multigrid":
                self._impl = _MultigridSolver(
                    MultigridSolver(
                        spd,
                        amg,
                        tol=self.tol,
                        maxiter=maxiter or 200,
                        accel=accel,
                        singular=self.singular,
                        ndim=self.grid.ndim,
                        options=amg_options,
                    )
                )
                amg_info = self._impl.multigrid.info
            else:
                hierarchy = None
                if preconditioner == "gmg":
                    hierarchy = GeometricMultigrid(self.grid, **gmg_options)
                    amg_info = _gmg_info(hierarchy)
                if preconditioner == "amg":
                    hierarchy = MultigridSolver(
                        spd,
                        amg,
                        singular=self.singular,
                        ndim=self.grid.ndim,
                        options=amg_options,
                    )
                    amg_info = hierarchy.info
                self._impl = _CGSolver(
                    spd,
                    self.tol,
                    maxiter or 10 * unknowns,
                    preconditioner,
                    hierarchy,
                    self.singular,
                    xp,
                    longest_axis=max(self.grid.shape),
                )
        self.info = {
            "method": self.method,
            "setup_time": time.perf_counter() - start,
            "unknowns": self.grid.size if self._mask is None else int(self._mask.sum()),
            **amg_info,
            "solve_time": None,
            "iterations": None,
            "residual": None,
        }

    def solve(
        self,
        f,
        boundary=None,
        *,
        mask_values=None,
        project: bool = False,
        overwrite_f: bool = False,
    ):
        """Solve ``(Delta_h - shift) u = f`` (or ``(div(a grad) - shift) u = f``).

        Parameters
        ----------
        f : array_like of shape ``grid.shape``
            Right-hand side; real or complex, float32 or float64 (integers
            are read as float64). Not modified unless ``overwrite_f``.
        boundary : dict, optional
            ``{(axis, side): value}`` with ``side`` 0 (low) or 1 (high) and
            ``value`` a scalar or an array of the face's shape: ``u`` on a
            Dirichlet side, the outward normal derivative on a Neumann side.
            Homogeneous (zero) data by default. With ``coeff``, each value
            is scaled by the coefficient of the adjacent cell: ``a g / h**2``
            and ``a q / h`` move to the right-hand side.
        mask_values : float or array_like, optional
            Values outside the mask for this solve (default: the solver's
            ``mask_values``). Only with a mask.
        project : bool, optional
            Singular problems only (every axis periodic or Neumann-Neumann,
            ``shift == 0``): remove the mean of the right-hand side (boundary
            fluxes included) instead of raising when it is not zero.
        overwrite_f : bool, optional
            Allow ``f`` to be used as workspace.

        Returns
        -------
        ndarray of shape ``grid.shape``
            ``u``, of the dtype of ``f`` (float64 for integer input; complex
            if ``mask_values`` is). For a singular problem, the solution with
            zero mean. With a mask, ``mask_values`` outside it.

        Raises
        ------
        TypeError
            ``f``, ``boundary`` or ``mask_values`` is not numeric (or
            ``boundary`` not a dict).
        ValueError
            Wrong shape, NaN or inf, bad boundary data, bad ``mask_values``,
            or (singular problems) a right-hand side whose mean is not zero.
        RuntimeError
            ``f`` is a cupy array and this solver runs on the CPU.
        ConvergenceError
            ``"cg"``, ``"multigrid"`` or ``"gmg"`` did not reach ``tol``.

        Examples
        --------
        ``u = x (1 - x) + y`` on the unit square has ``Delta u = -2``; with
        its boundary values the five-point stencil reproduces it exactly:

        >>> import numpy as np
        >>> import kronlap as kl
        >>> g = kl.Grid((31, 31))
        >>> x, y = g.mesh()
        >>> solver = kl.PoissonSolver(g, method="gmg")
        >>> side = g.coords[0] * (1 - g.coords[0])
        >>> boundary = {(0, 0): g.coords[1], (0, 1): g.coords[1], (1, 0): side, (1, 1): side + 1}
        >>> u = solver.solve(np.full(g.shape, -2.0), boundary)
        >>> bool(np.allclose(u, x * (1 - x) + y))
        True
        """
        f = to_backend(f, self.backend)
        rhs = _check_rhs(f, self.grid)
        if mask_values is not None:
            if self._mask is None:
                raise ValueError("mask_values needs a mask (the solver has mask=None)")
            values = _check_mask_values(mask_values, self.grid, self._mask)
        else:
            values = self._mask_values
        # Copy only when the right-hand side must change (boundary data, a
        # projection) and the caller's array is not ours to change.
        # A read-only array (np.broadcast_to, a memory map) is not workspace.
        owned = overwrite_f and rhs is f and getattr(rhs.flags, "writeable", True)
        if boundary is not None or (self.singular and project):
            if not owned:
                rhs, owned = rhs.copy(), True
            if self._coeff is None:
                rhs = fold_boundary(rhs, self.grid, boundary, promote=True)
            else:
                rhs = fold_diffusion_boundary(
                    rhs, self.grid, self._coeff, boundary, promote=True
                )
        if self.singular:
            _enforce_compatibility(rhs, project)
        start = time.perf_counter()
        # An overflow shows in the result, which is checked below: one clear error
        # instead of numpy's warnings from deep inside a transform.
        with np.errstate(over="ignore", invalid="ignore"):
            if isinstance(self._impl, SpectralSolver):
                u, iterations, residual = self._impl.solve(rhs, overwrite=owned), None, None
            elif isinstance(self._impl, _GeometricSolver):
                x, iterations, residual = _solve_parts(self._impl, _negated(rhs))
                u = _on_grid(x, self.grid.shape, rhs.dtype)
            else:
                b = self._system.restrict(rhs, values)
                x, iterations, residual = _solve_parts(self._impl, b)
                u = self._system.expand(x, values, rhs.dtype)
        if self.singular and not isinstance(self._impl, SpectralSolver):
            u -= u.mean()  # the spectral path returns zero mean by construction
        if _has_nonfinite(u):
            raise ValueError(
                f"the solution overflowed to inf or NaN in {u.dtype} (max |f| = "
                f"{float(abs(rhs).max()):.3g}); scale f and the boundary data down and the "
                f"answer up by the same factor"
            )
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
    coeff=None,
    mask=None,
    mask_values=None,
    **options,
):
    """Solve ``(Delta_h - shift) u = f`` on ``grid``; ``shift >= 0`` is screened Poisson.

    ``Delta_h`` is :func:`kronlap.laplacian` of ``grid``, or
    ``div(a grad)`` (:func:`kronlap.diffusion`) with ``coeff=a``; boundary
    data enter through ``boundary``; ``mask`` restricts the unknowns to part
    of the grid. This sets up a :class:`PoissonSolver` and solves once;
    build the solver yourself to reuse the setup.

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
    method : {"auto", "fft", "eig", "multigrid", "gmg", "cg", "direct"}, optional
        See :class:`PoissonSolver`.
    tol : float, optional
        Relative residual for iterative methods.
    backend : {None, "numpy", "cupy"}, optional
        Array library; ``None`` follows ``f`` (a cupy array runs on the
        GPU); ``"cupy"`` moves numpy ``f`` to the GPU, ``"numpy"`` moves cupy
        ``f`` to the host. See :class:`PoissonSolver` for the GPU methods.
    project : bool, optional
        Singular problems: project the mean of ``f`` away instead of raising.
    coeff : float, array_like or callable, optional
        Diffusion coefficient ``a > 0`` (array of ``grid.shape``, scalar, or
        ``coeff(*grid.mesh())``); see :class:`PoissonSolver`.
    mask : array_like of bool, optional
        ``True`` where ``u`` is unknown; other points are held at
        ``mask_values`` (default 0).
    mask_values : float or array_like, optional
        Values of ``u`` outside ``mask``.
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

    Poisson on a disk inside the unit square, ``u`` given outside it. The
    quadratic ``u = r0**2 - r**2`` has ``Delta u = -4`` and the five-point
    stencil differentiates it exactly, so holding ``u`` at its values
    outside the disk reproduces it inside:

    >>> g = kl.Grid((65, 65))
    >>> x, y = g.mesh()
    >>> exact = 0.4**2 - (x - 0.5) ** 2 - (y - 0.5) ** 2
    >>> disk = exact > 0
    >>> u = kl.solve_poisson(np.full(g.shape, -4.0), g, mask=disk, mask_values=exact)
    >>> bool(np.allclose(u, exact))
    True
    """
    solver = PoissonSolver(
        grid,
        shift,
        method,
        backend=check_backend(backend, f),
        tol=tol,
        coeff=coeff,
        mask=mask,
        mask_values=mask_values,
        **options,
    )
    return solver.solve(f, boundary, project=project)


class _System:
    """``S = -(L - shift)``, positive (semi)definite, restricted to the unknowns.

    ``L`` is :func:`laplacian` or :func:`diffusion`; with a mask, ``matrix``
    holds the rows and columns of the masked points and ``coupling`` the
    columns of the fixed points, which move to the right-hand side.
    ``(L - s) u = f`` becomes ``S x = restrict(f)``.
    """

    def __init__(self, grid, shift, coeff, mask):
        A = laplacian(grid) if coeff is None else diffusion(grid, coeff)
        A.data *= -1.0  # in place: no second copy of a large matrix
        if shift:
            A = (A + shift * sp.eye_array(grid.size, format="csr")).tocsr()
        self.shape = grid.shape
        if mask is None:
            self.matrix, self.coupling, self.inside, self.outside = A, None, None, None
        else:
            flat = mask.ravel()
            self.inside, self.outside = np.flatnonzero(flat), np.flatnonzero(~flat)
            rows = A[self.inside]
            self.matrix = rows[:, self.inside].tocsr()
            self.coupling = rows[:, self.outside].tocsr()

    def restrict(self, rhs, values):
        """``-f`` at the unknowns, minus the couplings to the fixed values: a new flat array."""
        if self.inside is None:
            return _negated(rhs)
        flat = rhs.reshape(-1)
        b = np.negative(
            flat[self.inside], dtype=np.result_type(flat.dtype, values.dtype, np.float64)
        )
        if values.ndim:
            b -= self.coupling @ values.reshape(-1)[self.outside]
        elif values != 0:
            b -= values * self.coupling.sum(axis=1)
        return b

    def expand(self, x, values, dtype):
        """Grid array with ``x`` at the unknowns and ``values`` elsewhere."""
        if self.inside is None:
            return _on_grid(x, self.shape, dtype)
        u = np.empty(self.shape, dtype=_solution_dtype(dtype, x))
        u[...] = values
        u.reshape(-1)[self.inside] = x
        return u


def _negated(rhs):
    """``-f`` as a new flat array, at least double precision: every grid point an unknown."""
    flat = rhs.reshape(-1)
    return np.negative(flat, dtype=np.promote_types(flat.dtype, np.float64))


def _solution_dtype(dtype, x):
    """The solution's dtype: ``dtype`` (the right-hand side's), widened by a complex ``x``."""
    return np.result_type(dtype, x.dtype) if np.iscomplexobj(x) else dtype


def _on_grid(x, shape, dtype):
    """The flat solution of every grid point as a grid array (no copy where types agree)."""
    return x.reshape(shape).astype(_solution_dtype(dtype, x), copy=False)


def _solve_parts(impl, b):
    """Run a real solver on a real or complex right-hand side (real and imaginary parts)."""
    if not np.iscomplexobj(b):
        return impl.solve(b)
    re, it_re, res_re = impl.solve(b.real.copy())
    im, it_im, res_im = impl.solve(b.imag.copy())
    x = re + 1j * im
    if res_re is None:
        return x, None, None
    norm_b = np.linalg.norm(b)
    residual = float(np.linalg.norm(b - impl.matrix @ x) / norm_b) if norm_b else 0.0
    return x, it_re + it_im, residual


def _check_direct_memory(ndim, n):
    if ndim == 1:
        fill = 3.0 * n
    elif ndim == 2:
        fill = 5.0 * n * max(1.0, math.log2(max(n, 2)))
    else:
        fill = 0.7 * n ** (5.0 / 3.0)
    check_memory(24.0 * fill, f"a sparse LU factorization of {n} unknowns")


class _DirectSolver:
    """Sparse LU of the system matrix, kept for every solve.

    A singular problem is made regular by grounding the first unknown
    (deleting its row and column); the caller then removes the mean.
    """

    def __init__(self, matrix, singular):
        self.matrix = matrix
        A = matrix.tocsc()
        self.grounded = singular
        if singular:
            A = A[1:, 1:]
        self._lu = spla.splu(A, permc_spec="MMD_AT_PLUS_A") if A.shape[0] else None

    def solve(self, b):
        start = 1 if self.grounded else 0
        x = np.zeros_like(b)
        if self._lu is not None:
            x[start:] = self._lu.solve(b[start:])
        return x, None, None


class _CGSolver:
    """Preconditioned conjugate gradients on the positive (semi)definite system.

    scipy's, or on the GPU ``cupyx.scipy.sparse.linalg``'s on a copy of the
    matrix there (``xp`` is cupy; Jacobi or no preconditioner).
    """

    def __init__(
        self, matrix, tol, maxiter, preconditioner, hierarchy, singular, xp=np, longest_axis=1
    ):
        _, self._linalg = sparse_modules(xp)
        matrix = sparse_matrix(matrix, xp)
        self.matrix, self.tol, self.maxiter = matrix, tol, maxiter
        if preconditioner == "jacobi":
            inv_diag = 1.0 / matrix.diagonal()
            M = self._linalg.LinearOperator(
                matrix.shape, matvec=lambda x: inv_diag * x, dtype=matrix.dtype
            )
        elif preconditioner == "ilu":
            # CG needs a symmetric preconditioner. SuperLU's defaults (COLAMD
            # on A alone, partial pivoting) give an ILU far from symmetric,
            # with which CG did not converge in 10 N iterations on 64^2; a
            # symmetric ordering without pivoting keeps it nearly symmetric
            # (|u^T M v - v^T M u| / u^T M u ~ 5e-4): 5 to 8 iterations to
            # 1e-10 from 64^2 to 256^2.
            M = _incomplete_lu(matrix, singular)
        elif preconditioner in ("amg", "gmg"):
            M = hierarchy.aspreconditioner()
        else:
            M = None
        if singular and M is not None and preconditioner not in ("amg", "gmg"):
            # Keep CG in the range (zero mean), where the matrix is definite.
            M = _project_constants(M, self._linalg.LinearOperator)
        self.M = M
        # Stagnation (the best true residual not halving in `window` iterations,
        # checked every 10th: a true residual costs one matvec, up to half an
        # iteration) ends a solve. With a multigrid cycle CG halves it every few
        # iterations; without one its residual can stay near ||b|| until
        # information has crossed the grid (up to 3 longest axes with a rough
        # coefficient).
        if preconditioner in ("amg", "gmg"):
            self.window = STAGNATION_WINDOW
        else:
            self.window = max(STAGNATION_WINDOW, 10 * longest_axis)

    def solve(self, b):
        def run(x0, budget, best):
            x, _ = self._linalg.cg(
                self.matrix, b, x0=x0, rtol=self.tol, maxiter=budget, M=self.M, callback=best
            )
            return x, best.calls

        return _restart_on_true_residual(
            run,
            self.matrix,
            b,
            self.tol,
            self.maxiter,
            monitored=True,
            window=self.window,
            stride=10,
        )


def _incomplete_lu(matrix, singular):
    """An incomplete LU of ``matrix`` as a LinearOperator, nearly symmetric for CG.

    A singular (semidefinite) matrix has no LU: as in the direct solver,
    the first unknown is grounded (its row and column dropped) and the
    preconditioner returns 0 there. Positive definite on the zero-mean
    vectors, where the caller's projection keeps CG.
    """
    start = 1 if singular else 0
    ilu = spla.spilu(
        matrix.tocsc()[start:, start:],
        permc_spec="MMD_AT_PLUS_A",
        diag_pivot_thresh=0.0,
        options={"SymmetricMode": True},
    )
    if not singular:
        return spla.LinearOperator(matrix.shape, matvec=ilu.solve, dtype=matrix.dtype)

    def matvec(x):
        x = np.ravel(x)
        out = np.zeros_like(x)
        out[1:] = ilu.solve(x[1:])
        return out

    return spla.LinearOperator(matrix.shape, matvec=matvec, dtype=matrix.dtype)


class _GeometricSolver:
    """Adapter: :class:`kronlap.GeometricMultigrid` on flat vectors, in the solver interface."""

    def __init__(self, multigrid):
        self.multigrid = multigrid
        n = multigrid.grid.size
        shape = multigrid.grid.shape

        def matvec(x):
            x = x.reshape(shape)
            if np.iscomplexobj(x):
                return (multigrid.apply(x.real) + 1j * multigrid.apply(x.imag)).ravel()
            return multigrid.apply(x).ravel()

        self.matrix = spla.LinearOperator((n, n), matvec=matvec, dtype=np.float64)

    def solve(self, b):
        x, iterations, residual = self.multigrid.solve(b.reshape(self.multigrid.grid.shape))
        return x.ravel(), iterations, residual


def _gmg_info(multigrid):
    return {key: multigrid.info[key] for key in ("levels", "shapes", "grid_complexity")}


def _check_gmg_memory(grid, has_coeff):
    # Measured peaks (benchmarks/bench_gmg.py): 12 grid-sized float64
    # arrays per point for the Laplacian (CG vectors, the single-precision
    # cycle's operator copy, iterate, right-hand side, residual and smoother
    # buffers, coarse levels), 34 in 2D with a coefficient (face weights in
    # both precisions and their per-colour copies, interpolation weights,
    # the Galerkin probes and 9-point coarse stencils, the coefficient).
    arrays = 13 + (8 * grid.ndim + 8 if has_coeff else 0)
    check_memory(8.0 * arrays * grid.size, f"a geometric multigrid for {grid.size} points")


class _MultigridSolver:
    """Adapter: :class:`kronlap.multigrid.MultigridSolver` in the solver interface."""

    def __init__(self, multigrid):
        self.multigrid = multigrid
        self.matrix = multigrid.matrix

    def solve(self, b):
        return self.multigrid.solve(b)


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


def _check_method(method, grid, given=(), gmg_ok=True) -> str:
    """Resolve ``"auto"``; refuse the spectral methods for ``coeff``/``mask`` (``given``).

    ``"auto"`` with ``coeff`` (no ``mask``) takes ``"gmg"`` on grids of at
    least ``_GMG_AUTO_MIN_SIZE[ndim]`` points, where it measured faster than
    pyamg (and ``gmg_ok``: options it accepts); ``"multigrid"`` otherwise.
    """
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, got {method!r}")
    if method == "auto":
        if not given:
            return "fft"
        least = _GMG_AUTO_MIN_SIZE.get(grid.ndim, 48**3)
        if list(given) == ["coeff"] and gmg_ok and grid.size >= least:
            return "gmg"
        return "multigrid"
    if given and method in ("fft", "eig"):
        names = " and ".join(given)
        raise ValueError(
            f"method={method!r} diagonalizes the constant-coefficient Laplacian on the full "
            f"grid and cannot take {names}; use method='multigrid' (or 'auto'), 'cg' or "
            f"'direct'"
        )
    return method


def _check_mask(mask, grid: Grid):
    """Validate ``mask``; return a private bool copy or None."""
    if mask is None:
        return None
    arr = np.asarray(mask)
    if arr.dtype != bool:
        raise TypeError(
            f"mask must be a boolean array (True = unknown), got dtype {arr.dtype}; "
            f"compare or cast explicitly, e.g. mask=(m != 0)"
        )
    if arr.shape != grid.shape:
        raise ValueError(f"mask must have shape grid.shape={grid.shape}, got {arr.shape}")
    if not arr.any():
        raise ValueError("mask must have at least one True point (an unknown), got none")
    return np.array(arr, dtype=bool, order="C")


def _check_mask_values(values, grid: Grid, mask=None) -> np.ndarray:
    """Validate ``mask_values``: a finite scalar or array of ``grid.shape``.

    Entries inside ``mask`` are ignored, as documented: they may be anything
    (NaN included) and are zeroed in the returned copy.
    """
    if values is None:
        return np.zeros(())
    arr = np.asarray(values)
    if arr.dtype == bool or not np.issubdtype(arr.dtype, np.number):
        raise TypeError(f"mask_values must be numeric, got dtype {arr.dtype}")
    if arr.ndim != 0 and arr.shape != grid.shape:
        raise ValueError(
            f"mask_values must be a scalar or an array of grid.shape={grid.shape}, got shape "
            f"{arr.shape}"
        )
    dtype = np.complex128 if np.iscomplexobj(arr) else np.float64
    values = np.array(arr, dtype=dtype)
    if values.ndim and mask is not None:
        values[mask] = 0
    if not np.all(np.isfinite(values)):
        raise ValueError("mask_values contains NaN or inf outside the mask")
    return values


def _check_rhs(f, grid: Grid) -> np.ndarray:
    """Validate ``f`` (numpy or cupy); return it, or a float32/float64/complex C-ordered copy."""
    xp = get_array_module(f)
    arr = xp.asarray(f)
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
    if _has_nonfinite(arr):
        raise ValueError("f contains NaN or inf")
    with np.errstate(over="ignore", invalid="ignore"):
        total = arr.sum()
    if not xp.isfinite(total):
        # Finite entries whose sum overflows: every transform and norm of the
        # solve would overflow too and return NaN.
        raise ValueError(
            f"f is too large to solve in {np.dtype(dtype).name}: "
            f"its entries are finite (max |f| = {float(abs(arr).max()):.3g}) but their sum "
            f"overflows; scale f down and the answer up by the same factor"
        )
    if dtype != arr.dtype or not arr.flags.c_contiguous:
        return xp.array(arr, dtype=dtype, order="C")
    return arr


def _has_nonfinite(arr) -> bool:
    """Whether ``arr`` (numpy or cupy) has a NaN or inf entry.

    A sum is NaN or inf if any entry is (one pass, no temporary); only then
    look closer, since a sum of finite entries can also overflow.
    """
    xp = get_array_module(arr)
    with np.errstate(over="ignore", invalid="ignore"):
        total = arr.sum()
    return not bool(xp.isfinite(total)) and not bool(xp.all(xp.isfinite(arr)))


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
    _check_zero_mean(mean, scale, rhs.size, rhs.real.dtype)


def _check_tridiagonal_axis(value, grid, shift: float = 0.0) -> None:
    """``"auto"``, None or a non-periodic axis (an int, not a bool) of ``grid``.

    An axis is refused for a negative ``shift``: the sweep eliminates
    without pivoting, which is stable only for the definite operator.
    """
    if value not in ("auto", None) and not (
        isinstance(value, numbers.Integral)
        and not isinstance(value, bool)
        and 0 <= value < grid.ndim
        and grid.bc[value][0] != "periodic"
    ):
        raise ValueError(
            f"tridiagonal_axis must be 'auto', None or a non-periodic axis in "
            f"[0, {grid.ndim}), got {value!r}"
        )
    if value not in ("auto", None) and shift < 0:
        raise ValueError(
            f"tridiagonal_axis={value!r} needs shift >= 0: the tridiagonal sweep does not "
            f"pivot, which is stable only for a definite operator, and shift={shift} makes it "
            f"indefinite; pass tridiagonal_axis='auto' or None to transform every axis"
        )


def _check_zero_mean(mean, scale, size: int, dtype, where: str = "") -> None:
    """Refuse a mean above the rounding of a sum of ``size`` terms of magnitude ``scale``.

    Shared by the serial and the distributed solvers (``where`` names the
    domain the mean was taken over, for the message).
    """
    eps = np.finfo(dtype).eps
    if abs(mean) > 4.0 * math.sqrt(size) * eps * scale:
        raise ValueError(
            f"f is incompatible with this singular problem (every axis periodic or "
            f"Neumann-Neumann, shift=0): its mean{where}, boundary fluxes included, is "
            f"{complex(mean) if np.iscomplexobj(mean) else float(mean):.6g} "
            f"(max |f| = {scale:.6g}) but must be zero; fix the data or pass "
            f"project=True to remove the mean"
        )
