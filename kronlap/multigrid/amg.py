"""Algebraic multigrid (pyamg) for the grid operators, as a Krylov-accelerated solver.

The hierarchy is built once on the symmetric positive (semi)definite matrix
``-(L - shift)`` of a grid operator ``L`` (:func:`kronlap.laplacian` or
:func:`kronlap.diffusion`, possibly restricted to a mask) and reused as the
preconditioner of conjugate gradients for every right-hand side.

The hierarchy is chosen by the problem (``amg="auto"``, the default).
Ruge-Stuben (classical) AMG for smooth or piecewise-constant coefficients
(constant or smooth, checkerboards, inclusions, channels, layers), where it
needs the fewest iterations and the cheapest setup; smoothed aggregation
for coefficients that are rough from cell to cell (a random value in every
cell) on one or two axes, where Ruge-Stuben's iteration count grows with
the grid while smoothed aggregation's stays nearly flat. On three axes
Ruge-Stuben (with direct interpolation) needs the fewest iterations on
rough coefficients too, and sets up several times faster: it is taken there
whatever the coefficient. They are told apart by the median
contrast between consecutive collinear couplings of the matrix
(:func:`neighbour_contrast`): 1 for a smooth or piecewise-constant
coefficient (it changes on few faces), above :data:`ROUGH_CONTRAST` for a
rough one. A solve that still misses ``tol`` rebuilds the hierarchy and
solves again before giving up (:meth:`MultigridSolver.solve`).

On 3D seven-point stencils the distance-two part of classical
interpolation dominates the setup; direct interpolation converges a little
slower but sets up much faster, so it is used from three axes on. CG around
the V-cycle matters most for rough coefficients, where it needs several
times fewer iterations than plain V-cycles. The measurements behind these
choices are in ``benchmarks/RESULTS.md``.
"""

from __future__ import annotations

import math
import threading

import numpy as np
import pyamg
import scipy.linalg
import scipy.sparse as sp
import scipy.sparse.linalg as spla
from pyamg import krylov

from .._validation import check_count
from .krylov import MAXITER, project_constants, restart_on_true_residual

__all__ = [
    "AMG_KINDS",
    "AMG_CHOICES",
    "ACCELERATORS",
    "ROUGH_CONTRAST",
    "EVOLUTION_STRENGTH",
    "CONTRAST_SAMPLE",
    "amg_options",
    "amg_hierarchy",
    "choose_amg",
    "neighbour_contrast",
    "MultigridSolver",
]

AMG_KINDS = ("rs", "sa")
AMG_CHOICES = ("auto", *AMG_KINDS)
ACCELERATORS = ("cg", "fgmres", None)

# amg="auto": smoothed aggregation when the median contrast between
# consecutive collinear couplings exceeds this. Measured (benchmarks/RESULTS.md):
# 1.00 for constant, smooth and piecewise-constant coefficients (checkerboard,
# inclusions, channels, layers) from 64^2 on, 1.13-1.27 for a smooth
# coefficient spanning 6 decades, 1.36 for a random log-uniform coefficient
# of contrast 10 (where both kinds need 10-12 iterations), 1.72, 2.1, 2.5
# and 3.7 for contrasts 1e2, 1e3, 1e4 and 1e6, where Ruge-Stuben's iterations
# grow with the grid and smoothed aggregation's do not.
ROUGH_CONTRAST = 1.5

# pyamg's evolution strength of connection (its defaults, spelled out): the
# fallback's hierarchy when plain smoothed aggregation misses tol. With it
# smoothed aggregation needs fewer iterations than with pyamg's default
# symmetric measure on rough coefficients, but its setup costs several
# times as much, and in total time it did not reliably win
# (benchmarks/RESULTS.md, "Rough coefficients"): amg="auto" does not start
# with it.
EVOLUTION_STRENGTH = ("evolution", {"k": 2, "proj_type": "l2", "epsilon": 4.0})

# neighbour_contrast measures at most this many rows (a seeded random
# sample): enough that the sample's median stays well inside the gaps
# between the medians above (benchmarks/RESULTS.md).
CONTRAST_SAMPLE = 1 << 16

# pyamg keyword arguments that only one kind takes: amg="auto" with one of
# them in ``options`` takes that kind.
_ONLY = {
    "rs": frozenset({"CF", "interpolation"}),
    "sa": frozenset(
        {"B", "BH", "symmetry", "aggregate", "smooth", "improve_candidates", "diagonal_dominance"}
    ),
}

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


def neighbour_contrast(matrix, *, sample: int = CONTRAST_SAMPLE) -> tuple[float, int]:
    """Median contrast between consecutive collinear couplings of a grid matrix.

    For every pair of couplings ``(r, c)`` and ``(c, 2c - r)`` of ``matrix``
    (the two faces of cell ``c`` on one axis of a grid operator: the same
    index offset on both sides of ``c``), the ratio of the larger to the
    smaller magnitude; the median over all such pairs (of the rows
    measured: see ``sample``). It does not see the
    grid spacing (both faces of a pair lie on the same axis) nor a shift
    (the diagonal), only how the coefficient changes from face to face:
    1 for a constant, smooth or piecewise-constant coefficient (it jumps on
    few faces), about 1.7 to 4 for a random log-uniform value in every cell
    of contrast 1e2 to 1e6. With a mask the offsets of the restricted
    matrix match only for some pairs (always along the last axis): only
    those are measured.

    Parameters
    ----------
    matrix : sparse matrix or ndarray
        Square, a grid operator ordered like ``u.ravel()``.
    sample : int, optional
        A matrix with more rows than this is measured on ``sample`` rows
        drawn at random (with a fixed seed, so the answer is reproducible):
        the median of some 10^5 pairs is within about 2% of the whole
        matrix's, inside the gaps that :func:`choose_amg` reads it across,
        at a cost that no longer grows with the grid.

    Returns
    -------
    (float, int)
        The median contrast (1.0 when there is no pair) and the number of
        pairs measured.

    Examples
    --------
    >>> import numpy as np
    >>> import kronlap as kl
    >>> g = kl.Grid((32, 32))
    >>> neighbour_contrast(kl.diffusion(g, 1.0 + g.mesh()[0]))[0] < 1.1
    True
    >>> a = 1000.0 ** np.random.default_rng(0).random(g.shape)
    >>> neighbour_contrast(kl.diffusion(g, a))[0] > 1.5
    True
    """
    sample = check_count(sample, "sample")
    A = sp.csr_array(matrix)
    if not A.has_canonical_format:
        A = A.copy()
        A.sum_duplicates()  # sorted columns, one entry per position
    n = A.shape[0]
    rows = np.arange(n, dtype=np.int64)
    if n > sample:
        rows = np.sort(np.random.default_rng(0).choice(n, size=sample, replace=False))
    # Every stored entry (r, c) of the rows measured, with c > r.
    starts = A.indptr[rows].astype(np.int64)
    counts = A.indptr[rows + 1] - starts
    first_out = np.cumsum(counts) - counts
    positions = np.arange(int(counts.sum()), dtype=np.int64)
    positions += np.repeat(starts - first_out, counts)
    r = np.repeat(rows, counts)
    c = A.indices[positions].astype(np.int64)
    first = np.abs(A.data[positions])
    keep = (c > r) & (first != 0) & (2 * c - r < n)
    r, c, first = r[keep], c[keep], first[keep]
    # The entry (c, 2c - r): searched in row c, whose columns are sorted.
    target = 2 * c - r
    lo, hi = A.indptr[c].astype(np.int64), A.indptr[c + 1].astype(np.int64)
    second = np.zeros_like(first)
    last = max(A.nnz - 1, 0)
    for k in range(int((hi - lo).max(initial=0))):
        p = np.minimum(lo + k, last)
        match = (lo + k < hi) & (A.indices[p] == target)
        second[match] = np.abs(A.data[p[match]])
    found = second != 0
    if not np.any(found):
        return 1.0, 0
    ratio = np.abs(np.log(first[found] / second[found]))
    return float(np.exp(np.median(ratio))), int(np.count_nonzero(found))


def choose_amg(
    matrix, options: dict | None = None, ndim: int = 2
) -> tuple[str, str, float | None]:
    """The hierarchy ``amg="auto"`` takes for ``matrix``: ``(kind, reason, contrast)``.

    ``"rs"`` (Ruge-Stuben) for a smooth or piecewise-constant operator and
    for every operator of ``ndim >= 3`` axes (where Ruge-Stuben with direct
    interpolation measured fewest iterations on rough coefficients too),
    ``"sa"`` (smoothed aggregation, pyamg's defaults) for a rough one on one
    or two axes: median neighbour contrast (:func:`neighbour_contrast`)
    above :data:`ROUGH_CONTRAST`.
    pyamg ``options`` that only one kind takes (``interpolation``, ``CF``;
    ``aggregate``, ``smooth``, ...) choose that kind. ``contrast`` is the
    measured median (None when options chose).

    Examples
    --------
    >>> import kronlap as kl
    >>> choose_amg(-kl.laplacian(kl.Grid((16, 16))))
    ('rs', 'smooth or piecewise-constant operator: median neighbour contrast 1.00 <= 1.5', 1.0)
    >>> choose_amg(-kl.laplacian(kl.Grid((16, 16))), {"aggregate": "standard"})[:2]
    ('sa', "amg_options {'aggregate'} are smoothed-aggregation options")
    """
    given = set(options or ())
    for kind in AMG_KINDS:
        only = sorted(given & _ONLY[kind])
        if only and not given & _ONLY[_other(kind)]:
            name = "Ruge-Stuben" if kind == "rs" else "smoothed-aggregation"
            return kind, f"amg_options {set(only)} are {name} options", None
    contrast, _ = neighbour_contrast(matrix)
    if ndim >= 3:
        reason = (
            f"{ndim} axes: Ruge-Stuben (direct interpolation) needs the fewest iterations on "
            f"smooth and rough coefficients alike (median neighbour contrast {contrast:.2f})"
        )
        return "rs", reason, contrast
    if contrast > ROUGH_CONTRAST:
        reason = f"rough coefficient: median neighbour contrast {contrast:.2f} > {ROUGH_CONTRAST}"
        return "sa", reason, contrast
    reason = (
        f"smooth or piecewise-constant operator: median neighbour contrast {contrast:.2f} "
        f"<= {ROUGH_CONTRAST}"
    )
    return "rs", reason, contrast


def _other(kind: str) -> str:
    return "sa" if kind == "rs" else "rs"


def _resolve(matrix, amg: str, options: dict | None, ndim: int):
    """``(kind, info)`` for ``amg`` in :data:`AMG_CHOICES`."""
    if amg not in AMG_CHOICES:
        raise ValueError(f"amg must be one of {AMG_CHOICES}, got {amg!r}")
    if amg != "auto":
        return amg, {"amg_choice": amg, "amg_reason": f"amg={amg!r} given"}
    kind, reason, contrast = choose_amg(matrix, options, ndim)
    return kind, {"amg_choice": "auto", "amg_reason": reason, "neighbour_contrast": contrast}


def _strength_name(kwargs: dict, kind: str) -> str:
    strength = kwargs.get("strength", "classical" if kind == "rs" else "symmetric")
    return strength[0] if isinstance(strength, tuple) else str(strength)


def amg_hierarchy(matrix, amg: str = "auto", *, ndim: int = 2, options: dict | None = None):
    """Build a pyamg multilevel hierarchy for a symmetric positive (semi)definite matrix.

    Parameters
    ----------
    matrix : sparse matrix
        Square, symmetric, positive definite or semidefinite (e.g.
        ``-laplacian(grid)``).
    amg : {"auto", "rs", "sa"}, optional
        ``"auto"`` (default): chosen by :func:`choose_amg`, Ruge-Stuben for
        a smooth or piecewise-constant operator, smoothed aggregation for a
        rough one; ``"rs"``: Ruge-Stuben; ``"sa"``: smoothed aggregation
        (pyamg's defaults).
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

    Notes
    -----
    The kind built is the hierarchy's ``kronlap_amg`` attribute, and why
    its ``kronlap_reason``.

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
    if options is not None and not isinstance(options, dict):
        raise TypeError(f"options must be a dict of pyamg keyword arguments, got {options!r}")
    A = sp.csr_array(matrix, dtype=np.float64)
    if A.shape[0] != A.shape[1]:
        raise ValueError(f"matrix must be square, got shape {A.shape}")
    kind, info = _resolve(A, amg, options, ndim)
    hierarchy = _build(A, kind, ndim, dict(options or {}))
    hierarchy.kronlap_amg, hierarchy.kronlap_reason = kind, info["amg_reason"]
    return hierarchy


def _build(A, kind: str, ndim: int, overrides: dict):
    kwargs = {**amg_options(kind, ndim), **overrides}
    if kind == "rs":
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
    amg : {"auto", "rs", "sa"}, optional
        ``"auto"`` (default): chosen from the matrix by :func:`choose_amg`
        (Ruge-Stuben, or smoothed aggregation for a rough operator);
        ``"rs"``: Ruge-Stuben; ``"sa"``: smoothed aggregation with pyamg's
        defaults. See :func:`amg_options`.
    tol : float, optional
        Relative residual to reach.
    maxiter : int, optional
        Total number of Krylov iterations (V-cycles) allowed (default
        :data:`~kronlap.multigrid.krylov.MAXITER`).
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
    fallback : bool, optional
        Whether a solve that misses ``tol`` rebuilds with the other kind and
        solves again (see :meth:`solve`); default: with ``amg="auto"``.

    Attributes
    ----------
    matrix : scipy.sparse.csr_array
        ``S``.
    scale : float
        The power of two (often 1) ``S`` is divided by for the hierarchy.
    hierarchy : pyamg.multilevel.MultilevelSolver
        Built on ``S / scale``.
    info : dict
        ``amg`` (the kind in use, ``"rs"`` or ``"sa"``), ``amg_choice``
        (what was asked: ``"auto"``, ``"rs"``, ``"sa"``), ``amg_reason``
        (why this kind), ``neighbour_contrast`` (the measured median, with
        ``"auto"``), ``strength`` (strength-of-connection measure),
        ``cycle``, ``levels``, ``operator_complexity``, and ``fallback``
        (None, or what missed ``tol`` and what was rebuilt).

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
        amg: str = "auto",
        *,
        tol: float = 1e-10,
        maxiter: int = MAXITER,
        accel: str | None = "cg",
        cycle: str = "V",
        singular: bool = False,
        ndim: int = 2,
        options: dict | None = None,
        fallback: bool | None = None,
    ):
        if accel not in ACCELERATORS:
            raise ValueError(f"accel must be one of {ACCELERATORS}, got {accel!r}")
        if cycle not in ("V", "W", "F"):
            raise ValueError(f"cycle must be 'V', 'W' or 'F', got {cycle!r}")
        if options is not None and not isinstance(options, dict):
            raise TypeError(f"options must be a dict of pyamg keyword arguments, got {options!r}")
        maxiter = check_count(maxiter, "maxiter")
        self.matrix = sp.csr_array(matrix, dtype=np.float64)
        if self.matrix.shape[0] != self.matrix.shape[1]:
            raise ValueError(f"matrix must be square, got shape {self.matrix.shape}")
        self.scale = _power_of_two_scale(self.matrix)
        self._scaled = self.matrix / self.scale if self.scale != 1.0 else self.matrix
        self.tol, self.maxiter, self.cycle = float(tol), int(maxiter), cycle
        self.singular = bool(singular)
        self._ndim, self._options = ndim, dict(options or {})
        kind, choice = _resolve(self._scaled, amg, options, ndim)
        self.fallback = amg == "auto" if fallback is None else bool(fallback)
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
        self._lock = threading.Lock()
        self.info = {"amg": kind, **choice, "fallback": None}
        self._use(kind, {})

    def _use(self, kind: str, extra: dict) -> None:
        """Build the ``kind`` hierarchy (``extra`` under the caller's options) and use it."""
        hierarchy = self._hierarchy(kind, extra)
        self.hierarchy = hierarchy
        self.info.update(
            amg=kind,
            strength=_strength_name({**extra, **self._options}, kind),
            cycle=self.cycle,
            levels=len(hierarchy.levels),
            operator_complexity=float(hierarchy.operator_complexity()),
        )

    def _hierarchy(self, kind: str, extra: dict):
        hierarchy = _build(self._scaled, kind, self._ndim, {**extra, **self._options})
        if self.singular:
            coarsest = hierarchy.levels[-1].A
            hierarchy.coarse_solver = pyamg.coarse_grid_solver(_null_space_free_inverse(coarsest))
        hierarchy.kronlap_amg = kind
        return hierarchy

    def solve(self, b: np.ndarray, x0=None):
        """Solve ``S x = b``; return ``(x, iterations, relative residual)``.

        ``x0`` is an initial guess (default zero); the answer is never worse
        than it.

        ``b`` is a real 1D array; the residual is the true one,
        ``||b - S x|| / ||b||``, and may exceed ``tol`` if ``maxiter`` ran
        out or the iteration stagnated (its best residual did not halve in
        ``STAGNATION_WINDOW`` iterations, as at round-off); ``x`` is the
        iterate with the smallest true residual seen. The caller decides
        what to do about a missed ``tol``.

        With ``fallback`` (the default for ``amg="auto"``), a solve that
        misses ``tol`` rebuilds the hierarchy (smoothed aggregation with the
        evolution strength measure; Ruge-Stuben if that was the one that
        missed), keeps it for later solves, and solves again from the initial
        guess (zero by default);
        ``info["fallback"]`` says so, the iterations are those of both
        solves and ``x`` the better one.
        """
        b = np.asarray(b, dtype=np.float64)
        hierarchy = self.hierarchy
        x, iterations, residual = self._solve_with(hierarchy, b, x0)
        if residual <= self.tol or not self.fallback:
            return x, iterations, residual
        with self._lock:
            if self.hierarchy is hierarchy:  # not yet replaced by another thread
                failed = f"{self.info['amg']!r} ({self.info['strength']} strength)"
                # The most robust other hierarchy: smoothed aggregation with the
                # evolution measure, or Ruge-Stuben if that was what failed.
                if self.info["amg"] == "sa" and self.info["strength"] == "evolution":
                    kind, extra = "rs", {}
                else:
                    kind, extra = "sa", {"strength": EVOLUTION_STRENGTH}
                self._use(kind, extra)
                self.info["fallback"] = (
                    f"{failed} reached residual {residual:.2e} after {iterations} "
                    f"iterations, short of tol={self.tol:.1e}: rebuilt with {kind!r} "
                    f"({self.info['strength']} strength)"
                )
            hierarchy = self.hierarchy
        y, more, second = self._solve_with(hierarchy, b, x0)
        if second <= residual:
            x, residual = y, second
        return x, iterations + more, residual

    def _solve_with(self, hierarchy, b, x0=None):
        A = hierarchy.levels[0].A  # S / scale
        b_scaled = b / self.scale

        def run(x0, budget, best):
            history = []
            callback = None
            if self._watch:

                def callback(x):
                    best(x, history[-1] / best.norm_b)

            x = hierarchy.solve(
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
        # S x = b and (S / scale) x = b / scale have the same solution: x0 as it is
        return restart_on_true_residual(
            run, A, b_scaled, self.tol, self.maxiter, rounds, monitored=True, x0=x0
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
