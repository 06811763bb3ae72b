"""Algebraic multigrid (pyamg) for the grid operators, as a Krylov-accelerated solver.

The hierarchy is built once on the symmetric positive (semi)definite matrix
``-(L - shift)`` of a grid operator ``L`` (:func:`kronlap.laplacian` or
:func:`kronlap.diffusion`, possibly restricted to a mask) and reused as the
preconditioner of conjugate gradients for every right-hand side.

Ruge-Stuben (classical) AMG is the default: on Dirichlet Poisson in 2D and
3D it sets up and solves faster than smoothed aggregation, in fewer
iterations. On 3D seven-point stencils the distance-two part of classical
interpolation dominates the setup; direct interpolation converges a little
slower but sets up much faster, so it is used from three axes on. CG around
the V-cycle matters most for rough coefficients, where it needs several
times fewer iterations than plain V-cycles. The measurements behind these
choices are in ``benchmarks/RESULTS.md``.
"""

from __future__ import annotations

import math

import numpy as np
import pyamg
import scipy.linalg
import scipy.sparse as sp
import scipy.sparse.linalg as spla
from pyamg import krylov

from .._validation import check_count
from .krylov import project_constants, restart_on_true_residual

__all__ = ["AMG_KINDS", "ACCELERATORS", "amg_options", "amg_hierarchy", "MultigridSolver"]

AMG_KINDS = ("rs", "sa")
ACCELERATORS = ("cg", "fgmres", None)

# fgmres keeps every Krylov vector until it restarts; this bounds that memory.
_FGMRES_RESTART = 40

def amg_options(amg: str = "rs", ndim: int = 2) -> dict:
    """kronlap's pyamg keyword arguments for a grid operator with ``ndim`` axes.

    Parameters
    ----------
    amg : {"rs", "sa"}, optional
        Ruge-Stuben (classical) or smoothed-aggregation AMG.
    ndim : int, optional
        Number of grid axes (the stencil has ``2 * ndim + 1`` points).

    Returns
    -------
    dict
        Keyword arguments for ``pyamg.ruge_stuben_solver`` or
        ``pyamg.smoothed_aggregation_solver``; a new dict on every call.

    Raises
    ------
    ValueError
        Unknown ``amg``.

    Notes
    -----
    Ruge-Stuben: classical strength (``theta = 0.25``), RS splitting,
    symmetric Gauss-Seidel pre- and post-smoothing (so the V-cycle is a
    symmetric preconditioner for CG), classical interpolation for one or two
    axes and direct interpolation from three axes on (see the module notes).
    Smoothed aggregation: pyamg's defaults (symmetric strength, standard
    aggregation, Jacobi-smoothed prolongation, block Gauss-Seidel), which
    measured as fast as the variants tried.

    Examples
    --------
    >>> amg_options("rs", 3)["interpolation"]
    'direct'
    """
    if amg not in AMG_KINDS:
        raise ValueError(f"amg must be one of {AMG_KINDS}, got {amg!r}")
    smoother = ("gauss_seidel", {"sweep": "symmetric"})
    if amg == "rs":
        return {
            "strength": ("classical", {"theta": 0.25}),
            "CF": ("RS", {"second_pass": False}),
            "interpolation": "classical" if ndim <= 2 else "direct",
            "presmoother": smoother,
            "postsmoother": smoother,
        }
    return {}


def amg_hierarchy(matrix, amg: str = "rs", *, ndim: int = 2, options: dict | None = None):
    """Build a pyamg multilevel hierarchy for a symmetric positive (semi)definite matrix.

    Parameters
    ----------
    matrix : sparse matrix
        Square, symmetric, positive definite or semidefinite (e.g.
        ``-laplacian(grid)``).
    amg : {"rs", "sa"}, optional
        Ruge-Stuben (default) or smoothed aggregation.
    ndim : int, optional
        Number of grid axes, used to pick options (:func:`amg_options`).
    options : dict, optional
        pyamg keyword arguments that override :func:`amg_options`.

    Returns
    -------
    pyamg.multilevel.MultilevelSolver

    Raises
    ------
    ValueError
        Unknown ``amg``, or a matrix that is not square.
    TypeError
        ``options`` is not a dict.

    Examples
    --------
    >>> import numpy as np
    >>> import kronlap as kl
    >>> A = -kl.laplacian(kl.Grid((64, 64)))
    >>> ml = kl.amg_hierarchy(A)
    >>> b = np.ones(A.shape[0])
    >>> x = ml.solve(b, tol=1e-10, accel="cg")
    >>> bool(np.linalg.norm(b - A @ x) <= 1e-10 * np.linalg.norm(b))
    True
    """
    kwargs = amg_options(amg, ndim)
    if options is not None:
        if not isinstance(options, dict):
            raise TypeError(f"options must be a dict of pyamg keyword arguments, got {options!r}")
        kwargs.update(options)
    A = sp.csr_array(matrix, dtype=np.float64)
    if A.shape[0] != A.shape[1]:
        raise ValueError(f"matrix must be square, got shape {A.shape}")
    if amg == "rs":
        return pyamg.ruge_stuben_solver(A, **kwargs)
    return pyamg.smoothed_aggregation_solver(A, **kwargs)


def _null_space_free_inverse(coarsest):
    """Coarse solver for a singular hierarchy: pseudo-inverse without the null vector.

    The Galerkin coarse matrices inherit the fine matrix's one-dimensional
    null space. pyamg's default ``pinv`` cuts singular values relative to
    the largest one, so a coarsest matrix of size 1 (its only entry a
    rounding-level ``1e-14``, which happens with smoothed aggregation) is
    inverted to ``1e14`` and stationary V-cycles diverge. Dropping the
    smallest eigenvalue is exact here, whatever its rounding.
    """
    w, V = scipy.linalg.eigh(coarsest.toarray())
    inverse = np.zeros_like(w)
    inverse[1:] = 1.0 / w[1:]
    pseudo_inverse = (V * inverse) @ V.T

    def solve(_, b):
        return pseudo_inverse @ b

    return solve


def _power_of_two_scale(A) -> float:
    """What to divide ``A`` by for pyamg: 1, or a power of two near its largest diagonal entry.

    pyamg's classical interpolation compares sums of entries with absolute
    thresholds (``1e-15 |a_ik a_kj|``) and prints "Inner denominator was
    zero." from compiled code (not redirectable from Python) for entries
    above about 1e15 (a 32^2 grid of length 1e-7, a coefficient of 1e13).
    Outside ``[2^-20, 2^40]`` the hierarchy is built on ``A / s`` instead,
    ``s`` the power of two nearest the largest diagonal magnitude; dividing
    by a power of two is exact, so the true residuals are those of ``A``.
    Inside, ``A`` is used as it is (no copy of the matrix).
    """
    diagonal = float(np.abs(A.diagonal()).max(initial=0.0))
    if not np.isfinite(diagonal) or diagonal == 0.0 or 2.0**-20 <= diagonal <= 2.0**40:
        return 1.0
    return float(2.0 ** round(math.log2(diagonal)))


def _mean_free(krylov_method):
    """Wrap a pyamg Krylov method so that it stays orthogonal to the constants.

    For a singular matrix with the constants as null space, a V-cycle
    returns a (large) constant component that makes CG see a "negative"
    curvature and stop; projecting the constants out of the residual and of
    the preconditioned residual keeps the iteration in the range, where the
    matrix is definite.
    """

    def accelerated(
        A, b, x0=None, tol=1e-5, maxiter=None, M=None, callback=None, residuals=None, **kwargs
    ):
        projected = project_constants(M)
        return krylov_method(
            A,
            b,
            x0=x0,
            tol=tol,
            maxiter=maxiter,
            M=projected,
            callback=callback,
            residuals=residuals,
            **kwargs,
        )

    return accelerated


class MultigridSolver:
    """Krylov-accelerated AMG for ``S x = b``, ``S`` symmetric positive (semi)definite.

    The hierarchy is built here, once, on ``S / scale`` (``scale`` 1, or for
    entries beyond ``[2^-20, 2^40]`` the power of two nearest the largest
    diagonal entry, which keeps pyamg's absolute thresholds meaningful and
    changes no residual); :meth:`solve` runs V-cycle
    preconditioned CG (or FGMRES, or plain V-cycles) to a relative residual
    ``||b - S x|| / ||b|| <= tol``, checked on the true residual. It stops
    early on stagnation (the best residual not halving in
    ``STAGNATION_WINDOW`` iterations, as below round-off) and returns the
    iterate with the smallest true residual seen.

    Parameters
    ----------
    matrix : sparse matrix
        ``S``: symmetric, positive definite, or semidefinite with exactly
        the constants as null space (then pass ``singular=True`` and a
        right-hand side with zero mean).
    amg : {"rs", "sa"}, optional
        Ruge-Stuben (default) or smoothed aggregation; see
        :func:`amg_options`.
    tol : float, optional
        Relative residual to reach.
    maxiter : int, optional
        Total number of Krylov iterations (V-cycles) allowed.
    accel : {"cg", "fgmres", None}, optional
        Krylov accelerator; ``None`` runs stationary V-cycles.
    cycle : {"V", "W", "F"}, optional
        Multigrid cycle.
    singular : bool, optional
        The constants are the null space of ``S``: keep the iteration
        orthogonal to them.
    ndim : int, optional
        Number of grid axes (picks options).
    options : dict, optional
        pyamg keyword arguments overriding :func:`amg_options`.

    Attributes
    ----------
    matrix : scipy.sparse.csr_array
        ``S``.
    scale : float
        The power of two (often 1) ``S`` is divided by for the hierarchy.
    hierarchy : pyamg.multilevel.MultilevelSolver
        Built on ``S / scale``.
    info : dict
        ``amg``, ``levels``, ``operator_complexity``.

    Examples
    --------
    >>> import numpy as np
    >>> import kronlap as kl
    >>> S = -kl.laplacian(kl.Grid((32, 32), bc="periodic"))
    >>> solver = MultigridSolver(S, singular=True, tol=1e-12)
    >>> b = np.random.default_rng(0).standard_normal(S.shape[0])
    >>> x, iterations, residual = solver.solve(b - b.mean())
    >>> bool(residual <= 1e-12), iterations < 20
    (True, True)
    """

    def __init__(
        self,
        matrix,
        amg: str = "rs",
        *,
        tol: float = 1e-10,
        maxiter: int = 200,
        accel: str | None = "cg",
        cycle: str = "V",
        singular: bool = False,
        ndim: int = 2,
        options: dict | None = None,
    ):
        if accel not in ACCELERATORS:
            raise ValueError(f"accel must be one of {ACCELERATORS}, got {accel!r}")
        if cycle not in ("V", "W", "F"):
            raise ValueError(f"cycle must be 'V', 'W' or 'F', got {cycle!r}")
        maxiter = check_count(maxiter, "maxiter")
        self.matrix = sp.csr_array(matrix, dtype=np.float64)
        self.scale = _power_of_two_scale(self.matrix)
        scaled = self.matrix / self.scale if self.scale != 1.0 else self.matrix
        self.hierarchy = amg_hierarchy(scaled, amg, ndim=ndim, options=options)
        self.tol, self.maxiter, self.cycle = float(tol), int(maxiter), cycle
        self.singular = bool(singular)
        if self.singular:
            coarsest = self.hierarchy.levels[-1].A
            self.hierarchy.coarse_solver = pyamg.coarse_grid_solver(
                _null_space_free_inverse(coarsest)
            )
        if accel is None:
            self._accel = None
        else:
            method = getattr(krylov, accel)
            self._accel = _mean_free(method) if self.singular else method
        self._chunk = _FGMRES_RESTART if accel == "fgmres" else self.maxiter
        # fgmres would solve its Hessenberg system for every callback: its
        # runs are watched from the restart loop only (its residual is
        # monotone within a run).
        self._watch = accel != "fgmres"
        self.info = {
            "amg": amg,
            "levels": len(self.hierarchy.levels),
            "operator_complexity": float(self.hierarchy.operator_complexity()),
        }

    def solve(self, b: np.ndarray):
        """Solve ``S x = b``; return ``(x, iterations, relative residual)``.

        ``b`` is a real 1D array; the residual is the true one,
        ``||b - S x|| / ||b||``, and may exceed ``tol`` if ``maxiter`` ran
        out or the iteration stagnated (its best residual did not halve in
        ``STAGNATION_WINDOW`` iterations, as at round-off); ``x`` is the
        iterate with the smallest true residual seen. The caller decides
        what to do about a missed ``tol``.
        """
        b = np.asarray(b, dtype=np.float64)
        A = self.hierarchy.levels[0].A  # S / scale
        b_scaled = b / self.scale

        def run(x0, budget, best):
            history = []
            callback = None
            if self._watch:

                def callback(x):
                    best(x, history[-1] / best.norm_b)

            x = self.hierarchy.solve(
                b_scaled,
                x0=x0,
                tol=self.tol,
                maxiter=min(self._chunk, budget),
                cycle=self.cycle,
                accel=self._accel,
                residuals=history,
                callback=callback,
            )
            return x, max(len(history) - 1, 0)

        rounds = max(4, self.maxiter // self._chunk + 1)
        return restart_on_true_residual(
            run, A, b_scaled, self.tol, self.maxiter, rounds, monitored=True
        )

    def aspreconditioner(self):
        """The V-cycle as a ``LinearOperator`` for ``S`` (mean-free for singular matrices)."""
        M = self.hierarchy.aspreconditioner(cycle=self.cycle)
        if self.scale != 1.0:
            cycle, scale = M, self.scale  # a cycle for S / scale approximates scale S^-1
            M = spla.LinearOperator(
                cycle.shape, matvec=lambda r: cycle @ (r / scale), dtype=cycle.dtype
            )
        return project_constants(M) if self.singular else M
