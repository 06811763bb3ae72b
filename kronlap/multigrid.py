"""Algebraic multigrid (pyamg) for the grid operators, as a Krylov-accelerated solver.

The hierarchy is built once on the symmetric positive (semi)definite matrix
``-(L - shift)`` of a grid operator ``L`` (:func:`kronlap.laplacian` or
:func:`kronlap.diffusion`, possibly restricted to a mask) and reused as the
preconditioner of conjugate gradients for every right-hand side.

Default options, measured on a shared 2-core x86_64 machine for Dirichlet
Poisson to a relative residual of 1e-8 (setup + solve, random right-hand
side, best of 3; ``benchmarks/bench_multigrid.py``):

===============  ======================  ==========================
grid             Ruge-Stuben + CG        smoothed aggregation + CG
===============  ======================  ==========================
1024 x 1024      1.2 s (5 iterations)    2.9 s (10 iterations)
128 x 128 x 128  5.0 s (8 iterations)    8.0 s (10 iterations)
===============  ======================  ==========================

so Ruge-Stuben (classical) AMG is the default. On 3D seven-point stencils
the distance-two part of classical interpolation dominates the setup;
direct interpolation costs one more iteration and about half the setup
(5.0 s against 7.3 s in total), so it is used from three axes on. CG
around the V-cycle matters most for rough coefficients: with ``a``
jumping by 100x on a 1024^2 grid it needs 12 iterations where plain
V-cycles need 43 (2.0 s against 4.2 s).
"""

from __future__ import annotations

import collections
import math
import numbers

import numpy as np
import pyamg
import scipy.linalg
import scipy.sparse as sp
import scipy.sparse.linalg as spla
from pyamg import krylov

from .backend import get_array_module

__all__ = ["AMG_KINDS", "ACCELERATORS", "amg_options", "amg_hierarchy", "MultigridSolver"]

AMG_KINDS = ("rs", "sa")
ACCELERATORS = ("cg", "fgmres", None)

# fgmres keeps every Krylov vector until it restarts; this bounds that memory.
_FGMRES_RESTART = 40

# Stagnation: an iterative solve stops when its best relative residual has not
# improved by STAGNATION_GAIN over the last STAGNATION_WINDOW iterations. The
# slowest steady solve measured here, plain Ruge-Stuben V-cycles on a 128^2
# coefficient with log-uniform contrast 1e3, halves its residual every 20 to
# 25 cycles (CG around them: every 5); at round-off the best residual stalls
# or the iteration diverges (pyamg's CG restarted at 1e-15 grows to 1e10).
STAGNATION_WINDOW = 50
STAGNATION_GAIN = 2.0


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


def _project_constants(M, linear_operator=spla.LinearOperator):
    """``r -> P M P r`` with ``P`` the projection onto mean-free vectors.

    The preconditioner of a singular system whose null space is the
    constants, kept in the range (where the matrix is definite), as a
    ``linear_operator`` (scipy's, or cupyx's for a cupy ``M``).
    """

    def apply(r):
        z = M @ (r - r.mean())
        return z - z.mean()

    return linear_operator(M.shape, matvec=apply, dtype=M.dtype)


project_constants = _project_constants  # the name kronlap.solvers_new imports


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


class _Stagnated(Exception):
    """Raised by :class:`_BestIterate` from inside a Krylov run to end it."""


class _BestIterate:
    """The best iterate of one iterative solve, and its stagnation test.

    Shared by every iterative solve here: the restart loop
    (:func:`_restart_on_true_residual`) and, as the per-iteration callback of
    a run, pyamg's iterations and scipy's CG. ``x`` is the iterate with the
    smallest *true* relative residual ``||b - A x|| / ||b||`` seen so far and
    ``residual`` that residual. Within a run, iterates are ranked by the
    residual the method reports (pyamg's recursive one) or, without one, by
    the true residual every ``stride``-th iteration; the best of a run (one
    copy, kept as ``candidate``) and its last iterate get their true residual
    when the run ends. The solve has stagnated when the best residual is not
    ``gain`` times smaller than it was ``window`` iterations before (the
    starting guess, zero, counts as relative residual 1 at iteration 0).
    """

    def __init__(
        self, matrix, b, norm_b, *, window=STAGNATION_WINDOW, gain=STAGNATION_GAIN, stride=1
    ):
        self._xp = get_array_module(b)
        self.matrix, self.b, self.norm_b = matrix, b, norm_b
        self.window, self.gain, self.stride = int(window), float(gain), max(int(stride), 1)
        self.x, self.residual = None, math.inf
        self.iterations = 0  # iterations of the runs that have ended
        self._start_run()
        self._marks = collections.deque([(0, 1.0)])  # (iteration, best residual then)

    def _start_run(self):
        self.calls = 0  # iterations of the current run
        self._candidate, self._estimate, self._candidate_at = None, math.inf, -1

    def true_residual(self, x) -> float:
        return float(self._xp.linalg.norm(self.b - self.matrix @ x)) / self.norm_b

    def __call__(self, x, residual=None):
        """Callback after every iteration of a run; raises :class:`_Stagnated` to end it.

        ``residual``: the method's own relative residual of ``x``, if it has
        one; else the true residual is computed every ``stride``-th call.
        ``x`` is copied only when it is the best of the run so far.
        """
        self.calls += 1
        if residual is None:
            if self.calls % self.stride:
                return
            residual = self.true_residual(x)
        if residual < min(self._estimate, self.residual):
            self._candidate, self._estimate, self._candidate_at = x.copy(), residual, self.calls
        if self._stagnated(min(self._estimate, self.residual)):
            raise _Stagnated

    def end_run(self, x, done) -> bool:
        """Rank the run's best and last iterate (``x``; None if the run was stopped).

        Returns whether the solve has stagnated.
        """
        xp, candidate = self._xp, self._candidate
        if x is not None and candidate is not None and self._candidate_at == self.calls:
            if bool(xp.array_equal(x, candidate)):
                candidate = None  # the last iterate was the run's best: one residual
        for y in (candidate, x):
            if y is None:
                continue
            r = self.true_residual(y)
            if self.x is None or r < self.residual or math.isnan(self.residual):
                self.x, self.residual = y, r
        self.iterations += done
        self._start_run()
        return self._stagnated(self.residual)

    def _stagnated(self, best) -> bool:
        now, marks = self.iterations + self.calls, self._marks
        marks.append((now, best))
        while len(marks) > 1 and marks[1][0] <= now - self.window:
            marks.popleft()
        then, before = marks[0]
        return then <= now - self.window and not best * self.gain <= before


def _restart_on_true_residual(
    run,
    matrix,
    b,
    tol,
    maxiter,
    rounds=None,
    *,
    monitored=False,
    window=STAGNATION_WINDOW,
    stride=1,
):
    """Krylov runs from the best iterate until the *true* relative residual meets ``tol``.

    Krylov methods stop on a recurrence residual, which drifts from
    ``||b - A x||`` near round-off; a final true residual just above ``tol``
    gets a warm restart instead of an error. ``run(x0, budget)`` returns
    ``(x, iterations)``; with ``monitored=True`` it is called as
    ``run(x0, budget, best)`` and calls ``best(x)`` (or ``best(x, residual)``
    with its own relative residual of ``x``) after every iteration, which
    keeps the best iterate and ends the run on stagnation (see
    :class:`_BestIterate`; ``window`` and ``stride`` are its). The loop ends
    at ``tol``, after ``maxiter`` iterations in all, when a run makes no
    iteration, after ``rounds`` runs, or when the best residual stagnates
    (no improvement by ``STAGNATION_GAIN`` in ``window`` iterations).
    Returns ``(x, iterations, residual)`` for the iterate with the smallest
    true residual seen (never a worse one), that residual, and the
    iterations run; zeros for ``b = 0``.
    """
    xp = get_array_module(b)
    norm_b = float(xp.linalg.norm(b))
    if norm_b == 0.0:
        return xp.zeros_like(b), 0, 0.0
    best = _BestIterate(matrix, b, norm_b, window=window, stride=stride)
    runs = 0
    while rounds is None or runs < rounds:
        x0 = None if best.x is None else best.x.copy()
        budget = maxiter - best.iterations
        stagnated = False
        try:
            x, done = run(x0, budget, best) if monitored else run(x0, budget)
        except _Stagnated:
            x, done, stagnated = None, best.calls, True
        stagnated = best.end_run(x, done) or stagnated
        runs += 1
        if best.residual <= tol or best.iterations >= maxiter or done == 0 or stagnated:
            break
    return best.x, best.iterations, best.residual


restart_on_true_residual = _restart_on_true_residual  # the name kronlap.solvers_new imports


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
        projected = _project_constants(M)
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
        if not isinstance(maxiter, numbers.Integral) or maxiter < 1:
            raise ValueError(f"maxiter must be a positive int, got {maxiter!r}")
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
        return _restart_on_true_residual(
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
        return _project_constants(M) if self.singular else M
