"""Kronecker geometric multigrid: a matrix-free, structured multigrid for grid operators.

On a tensor-product grid the hierarchy follows from the axes. Every axis is
coarsened on its own (:mod:`kronlap.multigrid.geometric.transfer`): Dirichlet axes keep
every other interior node, ``(n - 1) // 2``, the others halve, ``n // 2``
(nested where ``n`` allows, otherwise interpolating between non-nested
grids of the same kind), and an axis that is already short, or whose
spacing is more than 1.5 times the finest one, waits (semi-coarsening).
Interpolation is linear in the coordinates, restriction its transpose
scaled by ``h / H``, both Kronecker products of 1D matrices applied one
axis at a time. The coarse operator of the Kronecker sum
``sum_d I (x) A_d (x) I`` is the Kronecker sum of the coarse 1D operators,
``sum_d I (x) R_d A_d P_d (x) I``: the Galerkin product with the 1D mass
matrices ``R_e P_e`` lumped, so that every level stays a
``2 ndim + 1``-point operator (on nested vertex-centred axes
``R_d A_d P_d`` is exactly the coarse second difference). With a
varying coefficient (not separable) the hierarchy is algebraic in the
black-box-multigrid way, still matrix-free (:mod:`kronlap.multigrid.geometric.galerkin`):
coarse points are every other fine point, interpolation follows the
operator's own stencil, and every coarse level is the Galerkin product
``P^T S P``, a ``3^ndim``-point stencil. Red-black Gauss-Seidel smooths
``2 ndim + 1``-point levels, Gauss-Seidel in ``2^ndim`` colours the
others; the coarsest grid is solved with a dense inverse (on the
mean-free vectors if the problem is singular). Under conjugate gradients
the cycle runs in single precision by default, which halves the bytes
it moves. Everything in the cycle is slicing, gathers and elementwise
arithmetic on the array module of the data, so the same code runs on
numpy and cupy. The hierarchy is read-only once built; each solve works in
a workspace of its own, so threads can share one instance. The levels hold
the operator divided by a power of 2 near its largest entry, so that the
cycle sees numbers of order 1 whatever the units of coefficient and lengths.

Iterative solves (CG around the cycle, or plain cycles) keep their best
iterate and stop when it stagnates, through the rule shared with the pyamg
and CG paths (:mod:`kronlap.multigrid.krylov`).

The iteration count does not grow with the grid size, with a constant or
a jumping coefficient; against kronlap's pyamg path (``method="multigrid"``)
the hierarchy is faster and smaller on large grids. Timings, memory and
iteration counts: ``benchmarks/bench_gmg.py`` and ``benchmarks/RESULTS.md``.
"""

from __future__ import annotations

import contextlib
import math
import threading

import numpy as np
import scipy.linalg
import scipy.sparse.linalg as spla

from ..._validation import check_count, check_grid, check_nonnegative, check_tolerance
from ...backend import array_module, check_backend, to_backend
from ...coefficients import coefficient_array, rough_fraction, volume_weights
from ...differences import axis_operators, has_constant_null_space, is_separable
from ...grid import Grid
from ..krylov import conjugate_gradients, restart_on_true_residual, vector_norm
from .galerkin import OperatorInterpolation, coarse_start, galerkin_operator
from .stencil import StencilOperator, Workspace
from .transfer import (
    AxisMap,
    coarse_size,
    interpolation,
    restriction,
)

__all__ = ["GeometricMultigrid", "CYCLES"]

CYCLES = ("V", "W", "F", "VW")
PRECISIONS = {"double": np.float64, "single": np.float32}
# The default cycle is single precision up to this coefficient contrast
# (max a / min a). Beyond it, rounding in the Galerkin sums (7 digits)
# swamps the weak coefficients: a coarsest level can lose its positive
# definiteness and CG can stall short of tol = 1e-10 (benchmarks/RESULTS.md).
SINGLE_PRECISION_MAX_CONTRAST = 1e4
# A coefficient is rough when more than half of the faces join cells whose
# values differ by more than this factor (a median neighbour contrast above
# it): a log-uniform value per cell of contrast 1e3 has a median of about
# 7.6, a checkerboard or a smooth coefficient one of about 1.
ROUGH_NEIGHBOUR_CONTRAST = 2.0
GMG_ACCELERATORS = ("cg", None)


def _power_of_two_below(x: float) -> float:
    """The power of 2 in ``(x / 2, x]`` for a positive finite ``x``: dividing by it is exact."""
    return math.ldexp(1.0, math.frexp(x)[1] - 1)


def _largest_magnitude(x, name: str) -> float:
    """``max |x|`` without a temporary; ValueError naming ``name`` if ``x`` has NaN or inf."""
    high, low = float(x.max()), float(x.min())
    if not (np.isfinite(high) and np.isfinite(low)):
        raise ValueError(f"{name} must be finite (no NaN or inf)")
    return max(high, -low)


def _operator_scale(grid, shift: float, a) -> float:
    """The power of 2 at or below ``shift + 2 max(a) sum_d 1 / h_d**2``, which bounds diag(S).

    Every level is built divided by it, so that the cycle, in single
    precision too, works with entries of order 1 whatever the units of the
    coefficient and the lengths (``a = 1e-300``, ``1e40`` or ``h = 1e-22``
    lie beyond float32's range). A power of 2 divides exactly: the
    iterates are those of the unscaled operator.
    """
    largest = 1.0 if a is None else float(a.max())
    h_min = min(grid.h)
    axes = sum((h_min / h) ** 2 for h in grid.h)  # in [1, ndim]; no overflow on the way
    bound = shift + 2.0 * (largest / h_min) * (axes / h_min)
    if not np.isfinite(bound):
        raise ValueError(
            f"the operator's diagonal (up to shift + 2 max(coeff) sum 1 / h**2 = {bound}) "
            "overflows float64: scale coeff, shift or lengths"
        )
    return _power_of_two_below(bound) if bound > 0 else 1.0


class _Level:
    """One grid of the hierarchy: its operator, transfer to the next coarser grid (read-only)."""

    def __init__(self, operator, lengths, bc):
        self.operator = operator
        self.lengths, self.bc = lengths, bc
        # restrict(r, out, workspace) and prolong(e, workspace), set when a
        # coarser level is added
        self.transfer = None

    @property
    def shape(self):
        return self.operator.shape


class _LevelWork:
    """What a cycle writes on one level, for one caller: iterate, right-hand side, scratch."""

    def __init__(self, level):
        S = level.operator
        self.u = S.padded()
        self.b = S.xp.zeros(S.shape, dtype=S.dtype)
        self.scaled_b = S.xp.zeros_like(self.b)  # b / diag, for the smoother
        self.scratch = Workspace()  # of level.operator
        self.transfer = Workspace()  # of level.transfer
        # The residual, where the transfer reads it.
        self.r = None if level.transfer is None else level.transfer.residual_buffer(self.transfer)


class _Workspace:
    """Every array that one solve, or one preconditioner application, writes.

    The hierarchy itself is read-only once built: each caller works in a
    workspace of its own (see :meth:`GeometricMultigrid._workspace`).
    """

    def __init__(self, multigrid):
        self.levels = [_LevelWork(level) for level in multigrid.levels]
        # Scratch of the Krylov method's operator; the finest level's when
        # the two are one operator (double precision): used one after the other.
        same = multigrid._operator is multigrid.levels[0].operator
        self.krylov = self.levels[0].scratch if same else Workspace()


class _Product:
    """``operator @ x`` for an unpadded ``x`` of the grid shape, a new array.

    The ``matrix`` of :class:`~kronlap.multigrid.krylov.BestIterate`'s true
    residuals. ``workspace`` holds the padded copy of ``x`` (a fresh one
    per product if None).
    """

    def __init__(self, operator, workspace=None):
        self.operator, self.workspace = operator, workspace

    def __matmul__(self, x):
        return self.operator.apply(x, workspace=self.workspace)


class _AxisTransfer:
    """Transfers that are Kronecker products of 1D maps, applied one axis at a time."""

    def __init__(self, fine):
        self.fine = fine
        self.restrict_maps, self.prolong_maps = [], []  # (axis, AxisMap) pairs

    def residual_buffer(self, workspace):
        """A fine array of ``workspace`` for the residual that :meth:`restrict` will read."""
        fine = self.fine
        return workspace.get("residual", lambda: fine.xp.empty(fine.shape, dtype=fine.dtype))

    def restrict(self, r, out, workspace=None):
        """``R r`` into ``out`` (each 1D map makes its own array: no scratch needed)."""
        for axis, R in self.restrict_maps:
            r = R.apply(r, axis)
        out[...] = r
        return out

    def prolong(self, e, workspace=None):
        """``P e``, a new array."""
        for axis, P in reversed(self.prolong_maps):
            e = P.apply(e, axis)
        return e


def _geometry_bc(bc):
    """The sides as the levels' geometry sees them: Robin is cell-centred, like Neumann."""
    return tuple(
        tuple(side if isinstance(side, str) else "neumann" for side in pair) for pair in bc
    )


class GeometricMultigrid:
    """Matrix-free geometric multigrid for ``S u = b``, ``S = -(div(a grad) - shift)``.

    ``S`` is the positive (semi)definite negative of :func:`kronlap.laplacian`
    (or of :func:`kronlap.diffusion` with ``coeff``) minus ``shift``; the
    hierarchy is built once from the grid's axes and reused by every
    :meth:`solve`, as the preconditioner of conjugate gradients (default)
    or as a stationary iteration. On a grid with stretched axes ``S`` is
    the volume-weighted, symmetric operator ``-V (L - shift)``
    (:attr:`volumes`): pass ``b = V f`` to solve ``(L - shift) u = f``.

    Parameters
    ----------
    grid : Grid
        Any sides (Robin too), uniform or stretched axes.
    shift : float or list, optional
        ``s >= 0``, or a separable shift: one entry per axis (a number, a
        1D array of that axis' length, or a callable of its coordinates),
        ``s_0(x_0) + s_1(x_1) + ...``.
    coeff : float, array_like, callable or list, optional
        Diffusion coefficient ``a > 0`` as in :func:`kronlap.diffusion`
        (host data; moved to the array module of ``backend``): an array
        of ``grid.shape``, or a separable list with one entry per axis
        (:func:`kronlap.differences.axis_operator`). Anything but the plain
        Laplacian gets Galerkin coarse levels.
    tol : float, optional
        Relative residual ``||b - S u|| / ||b||`` to reach.
    maxiter : int, optional
        Cycles (or CG iterations) allowed; a solve stops earlier when it
        stagnates (see Notes: Stopping).
    cycle : {None, "V", "W", "F", "VW"}, optional
        ``"F"`` (an F-cycle followed by a V-cycle on each coarse grid) is
        not symmetric and needs ``accel=None``. ``"VW"`` corrects the
        finest grid once, as a V-cycle does, from W-cycles on the coarser
        ones: close to the W-cycle's convergence for nearly the V-cycle's
        cost. None (default): ``"VW"`` with a varying coefficient that is
        not rough (fewer CG iterations than ``"V"``, and faster than
        either ``"V"`` or ``"W"`` on a large checkerboard; see
        ``benchmarks/RESULTS.md``), else ``"V"``: on a rough coefficient
        (more than half of the faces join cells whose coefficients differ
        by more than a factor 2) the W-cycles below the finest grid save
        no iterations.
    accel : {"cg", None}, optional
        Conjugate gradients around the cycle (default), or plain cycles.
    presmooth, postsmooth : int, optional
        Red-black Gauss-Seidel sweeps before and after the coarse-grid
        correction. With ``accel="cg"`` post-smoothing runs the colours in
        reverse, so that the cycle is symmetric, a valid CG
        preconditioner; plain cycles keep the order, which converges
        faster. None (default): 2 each with a varying coefficient (errors
        that the operator-dependent interpolation misses sit on single
        cells and small clusters of them, and a second sweep removes them:
        on a rough coefficient it keeps the CG iterations nearly flat in
        the grid size, on a checkerboard it saves a third of them at about
        the same time), else 1. Given for one, the other defaults to it.
    coarsest_size : int, optional
        Stop coarsening once a grid has at most this many points; that
        grid is solved with a dense (pseudo-)inverse. None (default): 256
        with a varying coefficient (the coarsest Galerkin grids of a
        checkerboard resolve its tiles poorly, which costs CG
        iterations), else 64.
    precision : {None, "single", "double"}, optional
        Floating-point precision of the cycle. The Krylov method, its
        operator and the solution are always double precision; a
        single-precision cycle preconditions them as well and moves half
        the bytes (the preconditioner's rounding, about 1e-7, does not
        limit the accuracy of CG). None (default): ``"single"`` with
        ``accel="cg"`` and a coefficient contrast ``max a / min a`` of at
        most 1e4, else ``"double"``; plain cycles need ``"double"``.
    backend : {None, "numpy", "cupy"}, optional
        Array module of the hierarchy and of the right-hand sides.

    Attributes
    ----------
    singular : bool
        Every axis is periodic or Neumann-Neumann and ``shift == 0``: the
        constants are the null space; iterates are kept mean-free.
    scale : float
        The power of 2 that every level's operator is divided by (see
        Notes: Scaling): ``levels[k].operator`` is ``S_k / scale``.
    info : dict
        ``levels``, ``shapes`` (grid shape per level), ``grid_complexity``
        (points on all levels over points on the finest), ``cycle``,
        ``smoother``, ``coarse_operators`` (``"rediscretized"`` or
        ``"galerkin"``), ``precision``, ``rough_faces`` (the fraction of
        faces across which the coefficient jumps by more than a factor 2;
        0 without a varying coefficient) and ``reason``: per choice made
        by default (``"hierarchy"``, ``"cycle"``, ``"smoother"``,
        ``"precision"``), why; a choice given by the caller says so.

    Raises
    ------
    TypeError, ValueError
        Bad grid, shift, coefficient or option.
    RuntimeError
        ``backend="cupy"`` without cupy or a GPU.

    Notes
    -----
    **Scaling.** The hierarchy is built for ``S / s``, ``s`` the power of 2
    at or below ``shift + 2 max(a) sum_d 1 / h_d**2`` (a bound on the
    diagonal), and each right-hand side is divided by the power of 2 at
    or below its largest magnitude. The cycle, in single precision too,
    then works with numbers of order 1 whatever the units: ``a = 1e-300``
    or ``1e40``, or lengths of ``1e-20``, whose ``S`` lies outside
    float32's range. Powers of 2 divide exactly, so the iterates, the
    answer and the reported relative residual are those of ``S u = b``.

    **Stopping.** A solve ends at ``tol``, after ``maxiter`` iterations, or
    when its best relative residual has not improved by
    :data:`~kronlap.multigrid.krylov.STAGNATION_GAIN` over
    :data:`~kronlap.multigrid.krylov.STAGNATION_WINDOW` iterations (as
    below round-off), by the rule of
    :class:`~kronlap.multigrid.krylov.BestIterate` that the pyamg and CG
    paths share. It returns the best iterate it has seen, never a later,
    worse one, with that iterate's true residual. Plain cycles rank their
    iterates by the true residual, which they compute anyway; CG ranks
    them by its recursive residual, as the true one would cost an operator
    application per iteration, and gets the true residual of each run's
    best and last iterate when the run ends, restarting from the best
    while that misses ``tol``. Keeping the best costs one copy of the
    iterate.

    **Thread safety.** Concurrent calls of :meth:`solve`,
    :meth:`precondition`, :meth:`apply` and the operator of
    :meth:`aspreconditioner` on one instance, from several threads, are
    safe and give the answers of serial calls. The hierarchy is read-only
    once built; everything a solve or a cycle writes (iterates,
    residuals, transfer and smoother scratch) lives in a workspace that
    the call takes for itself from a pool of idle ones, making a new one
    when all are in use, and returns at the end. A serial caller reuses
    one workspace (made at setup), so a solve makes no large temporaries
    per iteration; ``k`` concurrent callers hold ``k`` workspaces, each
    about the memory of the hierarchy's vectors.

    Examples
    --------
    >>> import numpy as np
    >>> import kronlap as kl
    >>> g = kl.Grid((65, 64), bc=["dirichlet", "periodic"])
    >>> mg = kl.GeometricMultigrid(g, shift=1.0)
    >>> b = np.random.default_rng(0).standard_normal(g.shape)
    >>> u, iterations, residual = mg.solve(b)
    >>> S = 1.0 * np.eye(g.size) - kl.laplacian(g).toarray()
    >>> bool(np.allclose(S @ u.ravel(), b.ravel())), residual <= 1e-10
    (True, True)
    >>> mg.info["shapes"][:3]
    [(65, 64), (32, 32), (15, 16)]
    """

    def __init__(
        self,
        grid: Grid,
        *,
        shift: float = 0.0,
        coeff=None,
        tol: float = 1e-10,
        maxiter: int = 100,
        cycle: str | None = None,
        accel: str | None = "cg",
        presmooth: int | None = None,
        postsmooth: int | None = None,
        coarsest_size: int | None = None,
        precision: str | None = None,
        backend: str | None = None,
    ):
        grid = check_grid(grid)
        separable = {
            "coeff": coeff if is_separable(coeff, grid) else None,
            "shift": shift if is_separable(shift, grid) else None,
        }
        shift = 0.0 if separable["shift"] is not None else check_nonnegative(shift, "shift")
        if separable["coeff"] is not None:
            coeff = None
        operators = axis_operators(grid, **separable)
        tol = check_tolerance(tol)
        maxiter = check_count(maxiter, "maxiter")
        presmooth = check_count(presmooth, "presmooth", minimum=0, allow_none=True)
        postsmooth = check_count(postsmooth, "postsmooth", minimum=0, allow_none=True)
        coarsest_size = check_count(coarsest_size, "coarsest_size", allow_none=True)
        given_sweeps = presmooth is not None or postsmooth is not None
        if presmooth is None:
            presmooth = postsmooth
        if postsmooth is None:
            postsmooth = presmooth
        if given_sweeps and presmooth != postsmooth and accel == "cg":
            raise ValueError(
                f"accel='cg' needs a symmetric cycle: presmooth == postsmooth, got "
                f"{presmooth} and {postsmooth}"
            )
        if cycle == "F" and accel == "cg":
            raise ValueError(
                "accel='cg' needs a symmetric cycle: cycle='V' or 'W', got cycle='F' "
                "(use accel=None for F-cycles)"
            )
        if cycle not in (None, *CYCLES):
            raise ValueError(f"cycle must be None or one of {CYCLES}, got {cycle!r}")
        if accel not in GMG_ACCELERATORS:
            raise ValueError(f"accel must be one of {GMG_ACCELERATORS}, got {accel!r}")
        if precision not in (None, *PRECISIONS):
            raise ValueError(f"precision must be one of {tuple(PRECISIONS)}, got {precision!r}")
        if precision == "single" and accel != "cg":
            raise ValueError(
                "precision='single' needs accel='cg': plain cycles in single precision "
                "cannot reach tol below about 1e-6 (use precision='double')"
            )
        self.xp = xp = array_module(check_backend(backend))
        self.grid = grid
        self.shift = float(shift)
        self.tol, self.maxiter = float(tol), int(maxiter)
        self.accel = accel
        self.singular = has_constant_null_space(operators, self.shift)
        volumes = volume_weights(operators)
        self.volumes = None if volumes is None else xp.asarray(np.ascontiguousarray(volumes))
        plain = all(op.plain for op in operators) and all(
            isinstance(side, str) for pair in grid.bc for side in pair
        )
        a = None if coeff is None else coefficient_array(grid, coeff)
        reason = {}
        if precision is None and not plain:
            precision = "double"
            reason["precision"] = "Robin sides, stretched axes or a separable coefficient"
        elif precision is None:
            contrast = 1.0 if a is None else float(a.max() / a.min())
            single = accel == "cg" and contrast <= SINGLE_PRECISION_MAX_CONTRAST
            precision = "single" if single else "double"
            if accel != "cg":
                reason["precision"] = "plain cycles need double precision"
            else:
                relation = "<=" if single else ">"
                reason["precision"] = (
                    f"coefficient contrast {contrast:.3g} {relation} "
                    f"{SINGLE_PRECISION_MAX_CONTRAST:g}"
                )
        else:
            reason["precision"] = "precision given"
        self.precision = precision
        # Every operator is S / scale (see Notes: Scaling). The operator of
        # the Krylov method is always double precision; the cycle's, in
        # single precision, is a second copy.
        self.scale = _operator_scale(grid, self.shift, a)
        self._operator = StencilOperator.from_grid(
            grid, self.shift, a, xp, divisor=self.scale, operators=None if plain else operators
        )
        fine = self._operator
        if precision == "single":
            fine = self._operator.astype(PRECISIONS[precision])
        # Levels know the sides only for their geometry (spacing, where the
        # coarse points sit): a Robin side is cell-centred like a Neumann one.
        self.levels = [_Level(fine, grid.lengths, _geometry_bc(grid.bc))]
        # A varying coefficient gets Galerkin levels; a constant one (a
        # number, or an array of one value) rediscretized levels scaled by
        # it; anything but the plain Laplacian (Robin sides, stretched axes,
        # separable terms) Galerkin levels too.
        self._galerkin = galerkin = not plain or any(c is None for c in fine.uniform)
        self._constant = None if a is None or galerkin else float(a.flat[0])
        varying = galerkin and a is not None
        rough_faces = (
            rough_fraction(to_backend(a, "numpy"), ROUGH_NEIGHBOUR_CONTRAST) if varying else 0.0
        )
        rough = rough_faces > 0.5
        jumps = (
            f"{rough_faces:.0%} of the faces jump by more than a factor "
            f"{ROUGH_NEIGHBOUR_CONTRAST:g}"
        )
        if not plain:
            reason["hierarchy"] = (
                "Robin sides, stretched axes or separable terms: Galerkin levels, "
                "operator-dependent interpolation"
            )
        elif galerkin:
            reason["hierarchy"] = (
                "varying coefficient: Galerkin levels, operator-dependent interpolation"
            )
        else:
            reason["hierarchy"] = (
                "constant coefficient: rediscretized levels, linear interpolation"
            )
        if cycle is None:
            cycle = "VW" if galerkin and not rough else "V"
            if not galerkin:
                reason["cycle"] = "constant coefficient"
            elif rough:
                reason["cycle"] = f"rough coefficient ({jumps}): W-cycles below save nothing"
            else:
                reason["cycle"] = f"piecewise smooth coefficient ({jumps})"
        else:
            reason["cycle"] = "cycle given"
        if given_sweeps:
            reason["smoother"] = "presmooth, postsmooth given"
        else:
            presmooth = postsmooth = 2 if galerkin else 1
            reason["smoother"] = (
                "varying coefficient: 2 sweeps" if galerkin else "constant coefficient: 1 sweep"
            )
        self.presmooth, self.postsmooth = int(presmooth), int(postsmooth)
        if coarsest_size is None:
            coarsest_size = 256 if galerkin else 64
        self.cycle = cycle
        while self.levels[-1].operator.size > coarsest_size:
            if not self._coarsen(self.levels[-1]):
                break
        self._coarsest_inverse = xp.asarray(
            self._dense_inverse(self.levels[-1].operator), dtype=fine.dtype
        )
        sizes = [level.operator.size for level in self.levels]
        self.info = {
            "levels": len(self.levels),
            "shapes": [level.shape for level in self.levels],
            "grid_complexity": float(sum(sizes) / sizes[0]),
            "cycle": cycle,
            "smoother": f"red-black Gauss-Seidel ({presmooth}, {postsmooth})",
            "coarse_operators": "galerkin"
            if galerkin and len(self.levels) > 1
            else "rediscretized",
            "precision": precision,
            "rough_faces": rough_faces,
            "reason": reason,
        }
        # Workspaces not in use (see Notes: Thread safety); the first is made
        # now, so that setup allocates what a serial solve needs.
        self._lock = threading.Lock()
        self._idle = [_Workspace(self)]

    # -- setup --------------------------------------------------------------

    def _coarsen(self, level) -> bool:
        """Append the next coarser level below ``level``; False if no axis coarsens."""
        operator = level.operator
        galerkin = self._galerkin
        shape, lengths, bc = level.shape, level.lengths, level.bc
        spacing = Grid(shape, lengths=lengths, bc=bc).h
        if galerkin:
            # Subset coarsening; a periodic axis keeps at least 3 points, so
            # that the coarse stencil's neighbours are distinct points.
            candidates = [
                d for d in range(len(shape)) if shape[d] >= (6 if bc[d][0] == "periodic" else 2)
            ]
        else:
            candidates = [d for d in range(len(shape)) if coarse_size(shape[d], bc[d]) >= 2]
        if not candidates:
            return False
        # Point smoothers smooth only along strongly coupled (short-spacing)
        # axes; coarsen those, and the others once their spacing catches up.
        finest = min(spacing[d] for d in candidates)
        axes = [d for d in candidates if spacing[d] <= 1.5 * finest]
        if galerkin:
            starts = [coarse_start(bc[d]) if d in axes else None for d in range(len(shape))]
            level.transfer = OperatorInterpolation(operator, operator.coefficients(), starts)
            coarse = galerkin_operator(operator, level.transfer)
            self.levels.append(_Level(coarse, lengths, bc))
            return True
        coarse_shape = list(shape)
        for d in axes:
            coarse_shape[d] = coarse_size(shape[d], bc[d])
        coarse_grid = Grid(tuple(coarse_shape), lengths=lengths, bc=bc)
        level.transfer = transfer = _AxisTransfer(operator)
        for d in axes:
            n, m, length, pair = shape[d], coarse_shape[d], lengths[d], bc[d]
            transfer.restrict_maps.append(
                (d, AxisMap(restriction(n, m, length, pair), self.xp, operator.dtype))
            )
            transfer.prolong_maps.append(
                (d, AxisMap(interpolation(n, m, length, pair), self.xp, operator.dtype))
            )
        # Rediscretized on the coarse grid: the Kronecker sum of the coarse
        # 1D operators, which on nested vertex-centred axes is R_d A_d P_d.
        coarse = StencilOperator.from_grid(
            coarse_grid, self.shift, self._constant, self.xp, operator.dtype, self.scale
        )
        self.levels.append(_Level(coarse, lengths, bc))
        return True

    def _dense_inverse(self, operator) -> np.ndarray:
        """Inverse of the coarsest matrix; on the mean-free range if the problem is singular.

        A singular matrix ``S`` (null space: the constants) gets the
        rank-one term ``c 1 1^T / N``: ``S + c 1 1^T / N`` is positive
        definite and agrees with ``S`` on mean-free vectors, where its
        inverse is the pseudo-inverse of ``S``.
        """
        S = operator.dense()
        if self.singular:
            S += float(np.mean(np.diag(S)) or 1.0) / S.shape[0]
        try:
            factor = scipy.linalg.cho_factor(S, lower=True)
        except np.linalg.LinAlgError:
            # Rounding in the Galerkin products (single precision, extreme
            # contrasts) can leave S slightly indefinite: invert it on the
            # eigenvectors whose eigenvalues are clearly positive.
            values, vectors = scipy.linalg.eigh((S + S.T) / 2)
            keep = values > np.finfo(operator.dtype).eps * S.shape[0] * values.max()
            return (vectors[:, keep] / values[keep]) @ vectors[:, keep].T
        return scipy.linalg.cho_solve(factor, np.eye(S.shape[0]))

    # -- cycle --------------------------------------------------------------

    @contextlib.contextmanager
    def _workspace(self):
        """A workspace of the caller's own for one solve or cycle (see Notes: Thread safety)."""
        with self._lock:
            work = self._idle.pop() if self._idle else None
        if work is None:
            work = _Workspace(self)
        yield work
        # Not reached if the caller raised: a workspace left mid-cycle is dropped.
        with self._lock:
            self._idle.append(work)

    def _cycle(self, index: int, kind: str, work: _Workspace, zero: bool = True) -> None:
        """Improve ``work.levels[index].u`` for ``S u = work.levels[index].b`` by one cycle.

        ``zero``: ``work.levels[index].u`` is zero on entry.
        """
        level, mine = self.levels[index], work.levels[index]
        S = level.operator
        if index == len(self.levels) - 1:
            u = self._coarsest_inverse @ mine.b.reshape(-1)
            S.interior(mine.u)[...] = u.reshape(S.shape)
            S.refresh(mine.u)
            return
        scratch = mine.scratch
        scaled_b = S.scaled_rhs(mine.b, out=mine.scaled_b)
        for sweep in range(self.presmooth):
            S.smooth(
                mine.u, mine.b, zero=zero and sweep == 0, scaled_b=scaled_b, workspace=scratch
            )
        if self.presmooth:
            r = S.smoothed_residual(
                mine.u, mine.b, out=mine.r, scaled_b=scaled_b, workspace=scratch
            )
        else:
            r = S.residual(mine.u, mine.b, out=mine.r, workspace=scratch)
        coarse, below = self.levels[index + 1], work.levels[index + 1]
        level.transfer.restrict(r, out=below.b, workspace=mine.transfer)
        if self.singular:
            below.b -= below.b.mean()
        below.u.fill(0.0)
        if kind == "V":
            self._cycle(index + 1, "V", work)
        elif kind == "VW":
            self._cycle(index + 1, "W", work)
        elif kind == "W":
            self._cycle(index + 1, "W", work)
            self._cycle(index + 1, "W", work, zero=False)
        else:
            self._cycle(index + 1, "F", work)
            self._cycle(index + 1, "V", work, zero=False)
        correction = level.transfer.prolong(
            coarse.operator.interior(below.u), workspace=mine.transfer
        )
        S.interior(mine.u)[...] += correction
        S.refresh(mine.u)
        # CG needs a symmetric cycle: post-smoothing runs the colours in
        # reverse. Plain cycles converge faster with the same order, which
        # does not repeat the last colour at the start of the next cycle.
        for _ in range(self.postsmooth):
            S.smooth(
                mine.u, mine.b, reverse=self.accel == "cg", scaled_b=scaled_b, workspace=scratch
            )

    def precondition(self, r):
        """One cycle from zero on ``S e = r``: the multigrid preconditioner applied to ``r``.

        Safe to call from several threads at once (see Notes: Thread safety).

        Parameters
        ----------
        r : array of ``grid.shape``
            Residual (numpy, or cupy with ``backend="cupy"``); for a
            singular problem its mean is removed first.

        Returns
        -------
        array of ``grid.shape``
            ``e``, a new double-precision array (mean-free for a singular
            problem), whatever ``precision`` the cycle runs in.

        Raises
        ------
        ValueError
            ``r`` has NaN or inf.

        Examples
        --------
        >>> import numpy as np
        >>> import kronlap as kl
        >>> mg = kl.GeometricMultigrid(kl.Grid((63, 63)))
        >>> r = np.random.default_rng(0).standard_normal((63, 63))
        >>> e = mg.precondition(r)
        >>> float(np.linalg.norm(r - mg.apply(e)) / np.linalg.norm(r)) < 0.3
        True
        """
        r = self.xp.asarray(r)
        peak = _largest_magnitude(r, "r")
        if peak == 0.0:
            return self.xp.zeros(self.levels[0].shape, dtype=np.float64)
        # The cycle sees r / unit (largest magnitude in [1, 2)) and inverts
        # S / scale; both divisions are by powers of 2, undone exactly here.
        unit = _power_of_two_below(peak)
        with self._workspace() as work:
            e = self._precondition(r, work, 1.0 / unit).astype(np.float64)
        e *= unit / self.scale
        return e

    def _precondition(self, r, work, factor=1.0):
        """One cycle on ``(S / scale) e = factor r`` in ``work``: a view of its finest level.

        The view is valid until ``work``'s next cycle; ``factor r`` is formed
        in the precision of ``r``, before the cycle's rounds it.
        """
        top = work.levels[0]
        self.xp.multiply(r, factor, out=top.b)
        if self.singular:
            top.b -= top.b.mean()
        top.u.fill(0.0)
        self._cycle(0, self.cycle, work)
        e = self.levels[0].operator.interior(top.u)
        if self.singular:
            e -= e.mean()
        return e

    def aspreconditioner(self) -> spla.LinearOperator:
        """One cycle as a ``scipy.sparse.linalg.LinearOperator`` on flat numpy vectors.

        Returns
        -------
        scipy.sparse.linalg.LinearOperator
            ``r -> precondition(r)`` on ``grid.size`` vectors; symmetric
            positive definite (with ``accel="cg"``), for scipy's Krylov
            solvers. Safe to share between threads, as :meth:`precondition`.

        Examples
        --------
        >>> import numpy as np
        >>> import scipy.sparse.linalg as spla
        >>> import kronlap as kl
        >>> g = kl.Grid((48, 48))
        >>> M = kl.GeometricMultigrid(g).aspreconditioner()
        >>> b = np.ones(g.size)
        >>> x, info = spla.cg(-kl.laplacian(g), b, M=M, rtol=1e-10)
        >>> info
        0
        """
        shape = self.levels[0].shape
        n = self.levels[0].operator.size

        def apply(r):
            e = self.precondition(self.xp.asarray(r).reshape(shape))
            return to_backend(e, "numpy").ravel()

        return spla.LinearOperator((n, n), matvec=apply, dtype=np.float64)

    # -- solve --------------------------------------------------------------

    def apply(self, u):
        """The operator ``S = -(div(a grad) - shift)`` applied to ``u``, matrix-free.

        Parameters
        ----------
        u : array of ``grid.shape``
            Real (numpy, or cupy with ``backend="cupy"``).

        Returns
        -------
        array of ``grid.shape``
            ``S u``, a new array.

        Examples
        --------
        >>> import numpy as np
        >>> import kronlap as kl
        >>> g = kl.Grid((5, 4), bc=["neumann", "periodic"])
        >>> u = np.random.default_rng(0).standard_normal(g.shape)
        >>> Su = kl.GeometricMultigrid(g, shift=2.0).apply(u)
        >>> bool(np.allclose(Su.ravel(), 2.0 * u.ravel() - kl.laplacian(g) @ u.ravel()))
        True
        """
        Su = self._operator.apply(u)
        Su *= self.scale
        return Su

    def solve(self, b, x0=None):
        """Solve ``S u = b`` by CG around the cycle (or by plain cycles).

        Safe to call from several threads at once (see Notes: Thread safety).

        Parameters
        ----------
        b : array of ``grid.shape``
            Real right-hand side (numpy, or cupy with ``backend="cupy"``);
            for a singular problem it must have zero mean.
        x0 : array of ``grid.shape``, optional
            Initial guess (default zero); the answer is never worse than it.

        Returns
        -------
        u : array of ``grid.shape``
            The solution (zero mean for a singular problem).
        iterations : int
            CG iterations or cycles run.
        residual : float
            The true relative residual ``||b - S u|| / ||b||`` of ``u``, the
            best iterate seen; above ``tol`` if ``maxiter`` ran out or the
            iteration stagnated (see Notes: Stopping; the caller decides
            what to do about that).

        Raises
        ------
        ValueError
            ``b`` does not have the grid's shape, or has NaN or inf.

        Examples
        --------
        >>> import numpy as np
        >>> import kronlap as kl
        >>> g = kl.Grid((64, 64), bc="periodic")
        >>> b = np.random.default_rng(1).standard_normal(g.shape)
        >>> u, iterations, residual = kl.GeometricMultigrid(g).solve(b - b.mean())
        >>> residual <= 1e-10, abs(float(u.mean())) < 1e-12
        (True, True)
        """
        xp = self.xp
        b = xp.asarray(b, dtype=np.float64)
        if b.shape != self.levels[0].shape:
            raise ValueError(f"b must have shape {self.levels[0].shape}, got {b.shape}")
        peak = _largest_magnitude(b, "b")
        if peak == 0.0:
            return xp.zeros_like(b), 0, 0.0
        # Solved: (S / scale) u' = b / unit, unit a power of 2 that brings
        # max |b / unit| into [1, 2); u = u' unit / scale (see Notes: Scaling).
        unit = _power_of_two_below(peak)
        start = None
        if x0 is not None:
            start = xp.asarray(x0, dtype=np.float64)
            if start.shape != b.shape:
                raise ValueError(f"x0 must have shape {b.shape}, got {start.shape}")
            start = start * (self.scale / unit)  # u' of the scaled system
        with self._workspace() as work:
            if self.accel == "cg":
                u, iterations, residual = self._solve_cg(b, 1.0 / unit, work, start)
            else:
                u, iterations, residual = self._solve_stationary(b, 1.0 / unit, work, start)
        u *= unit / self.scale
        return u, iterations, residual

    def _solve_stationary(self, b, factor, work, start=None):
        """Plain cycles on ``(S / scale) u = factor b``: ``(u, iterations, residual)``.

        Iterates are ranked by their true residual, which the loop computes
        for its test against ``tol`` anyway; ``u`` is a new array.
        """
        top = work.levels[0]
        S = self.levels[0].operator  # double precision: plain cycles need it
        residual_buffer = self.xp.empty_like(b)
        self.xp.multiply(b, factor, out=top.b)
        u = S.interior(top.u)

        def run(x0, budget, best):
            # One run (rounds=1 below), from zero or from the initial guess.
            top.u.fill(0.0)
            if x0 is not None:
                u[...] = x0
                S.refresh(top.u)
            done = 0
            while done < budget:
                self._cycle(0, self.cycle, work, zero=done == 0 and x0 is None)
                done += 1
                if self.singular:
                    u[...] -= u.mean()
                    S.refresh(top.u)
                r = S.residual(top.u, top.b, out=residual_buffer, workspace=top.scratch)
                residual = vector_norm(r, residual_buffer) / best.norm_b
                best(u, residual)
                if residual <= self.tol:
                    break
            return u, done

        # No workspace for the true residuals of the run's end: a padded
        # array kept in the pooled workspace would outlive the solve.
        x, iterations, residual = restart_on_true_residual(
            run, _Product(S), top.b, self.tol, self.maxiter, rounds=1, monitored=True, x0=start
        )
        if x is u:  # the last cycle's iterate, still in the workspace
            x = u.copy()
        return x, iterations, residual

    def _solve_cg(self, b, factor, work, start=None):
        """CG around the cycle on ``(S / scale) x = factor b``: ``(x, iterations, residual)``.

        CG runs rank their iterates by the recursive residual, which CG
        updates anyway (the true one would cost an operator apply per
        iteration); :func:`~kronlap.multigrid.krylov.restart_on_true_residual`
        computes the true residual of each run's best and last iterate and
        restarts from the best while it misses ``tol``. ``x`` is a new array.
        """
        xp = self.xp
        S = self._operator
        scratch = work.krylov
        rhs = xp.multiply(b, factor)
        p_pad = S.padded()  # the search direction, padded so that S p needs no copy

        def apply_direction(out):
            S.refresh(p_pad)
            return S.apply_padded(p_pad, out, workspace=scratch)

        run = conjugate_gradients(
            lambda v, out: S.apply(v, out=out, workspace=scratch),
            lambda r, out: self._precondition(r, work),
            rhs,
            self.tol,
            singular=self.singular,
            direction=S.interior(p_pad),
            apply_direction=apply_direction,
        )
        x, iterations, residual = restart_on_true_residual(
            run, _Product(S, scratch), rhs, self.tol, self.maxiter, monitored=True, x0=start
        )
        if self.singular:
            x -= x.mean()
        return x, iterations, residual
