"""``"gmg"``: kronlap's matrix-free geometric multigrid, from the grid's axes."""

from __future__ import annotations

import numpy as np
import scipy.sparse.linalg as spla

from .._memory import check_memory
from .._validation import check_choice, check_count
from .registry import Method, register
from .system import negated, on_grid, solve_parts

__all__ = ["GMGMethod", "check_gmg_cycle", "geometric_hierarchy"]

# "auto" with a coefficient takes gmg from these sizes on (by dimension),
# where it measured faster than the pyamg path (benchmarks/RESULTS.md; small
# 3D grids pay the 27 probes of the Galerkin setup).
_AUTO_MIN_SIZE = {1: 128 * 128, 2: 128 * 128, 3: 48**3}

# "auto" leaves a coefficient on three or more axes to the pyamg path (which
# takes Ruge-Stuben there) when it is rough from cell to cell (more than half
# of the faces jump by a factor 2) over a contrast max a / min a of at least
# this: gmg's coarse points, fixed by the grid, miss the random clusters of
# such media and its iterations grow with the contrast, while Ruge-Stuben's
# follow them (benchmarks/RESULTS.md, "Rough coefficients": from this contrast
# on it measured faster, up to 2.5 times at 1e6).
_AUTO_ROUGH_CONTRAST_3D = 3e4
_CYCLES = (None, "V", "W", "F", "VW")  # as kronlap.GeometricMultigrid's


def check_gmg_cycle(cycle) -> None:
    """Validate ``cycle`` for the geometric multigrid (shared with ``method="cg"``)."""
    check_choice(cycle, "cycle", _CYCLES)


def _check_gmg_memory(grid, has_coeff):
    # Grid-sized float64 arrays at the measured peak (benchmarks/RESULTS.md):
    # CG vectors, the single-precision cycle's operator copy, iterate,
    # right-hand side, residual and smoother buffers, coarse levels; with a
    # coefficient also face weights in both precisions, interpolation
    # weights, the Galerkin probes and coarse stencils.
    arrays = 13 + (8 * grid.ndim + 8 if has_coeff else 0)
    check_memory(8.0 * arrays * grid.size, f"a geometric multigrid for {grid.size} points")


def _better_left_to_amg(problem) -> bool:
    """A 3D coefficient rough from cell to cell at high contrast, whose AMG hierarchy fits."""
    from ..coefficients import rough_fraction
    from ..multigrid.geometric.solver import ROUGH_NEIGHBOUR_CONTRAST
    from .amg import check_amg_memory

    a = problem.coeff
    if problem.grid.ndim < 3 or float(a.max()) < _AUTO_ROUGH_CONTRAST_3D * float(a.min()):
        return False
    if rough_fraction(a, ROUGH_NEIGHBOUR_CONTRAST) <= 0.5:
        return False
    try:
        check_amg_memory(problem.unknowns, problem.grid.ndim)
    except MemoryError:
        return False
    return True


def geometric_hierarchy(problem, **options):
    """A :class:`kronlap.GeometricMultigrid` for ``problem`` (no mask)."""
    from ..multigrid import GeometricMultigrid

    _check_gmg_memory(problem.grid, problem.coeff is not None or not problem.plain)
    coeff = problem.coeff if problem.separable_coeff is None else problem.separable_coeff
    shift = problem.shift if problem.separable_shift is None else problem.separable_shift
    return GeometricMultigrid(problem.grid, shift=shift, coeff=coeff, **options)


@register
class GMGMethod(Method):
    """Geometric multigrid: CG around Gauss-Seidel cycles, Galerkin levels for a coefficient.

    The hierarchy comes from the grid's axes; nothing is assembled. See
    :class:`kronlap.GeometricMultigrid` for the cycle, precision and
    coarse-level choices, all reported in ``info``.
    """

    name = "gmg"
    coeff = True
    iterative = True
    warm_start = True
    options = {"accel": "auto", "cycle": None, "precision": None, "maxiter": None}

    @classmethod
    def check_options(cls, problem, given):
        options = super().check_options(problem, given)
        accel = check_choice(options["accel"], "accel", ("auto", "cg", None))
        options["accel"] = "cg" if accel == "auto" else accel
        check_gmg_cycle(options["cycle"])
        check_choice(options["precision"], "precision", (None, "single", "double"))
        options["maxiter"] = check_count(options["maxiter"], "maxiter", allow_none=True)
        return options

    @classmethod
    def suits(cls, problem, given):
        least = _AUTO_MIN_SIZE.get(problem.grid.ndim, 48**3)
        # pyamg's FGMRES is the multigrid path's only
        if problem.coeff is None or problem.grid.size < least or given.get("accel") == "fgmres":
            return False
        return not _better_left_to_amg(problem)

    def __init__(self, problem, *, accel, cycle, precision, maxiter):
        from ..multigrid.krylov import MAXITER

        super().__init__(problem)
        self.multigrid = mg = geometric_hierarchy(
            problem,
            tol=problem.tol,
            maxiter=maxiter or MAXITER,
            accel=accel,
            cycle=cycle,
            precision=precision,
        )
        self.info = {**mg.info, "accel": accel}
        n, shape = problem.grid.size, problem.grid.shape

        def matvec(x):
            x = x.reshape(shape)
            if np.iscomplexobj(x):
                return (mg.apply(x.real) + 1j * mg.apply(x.imag)).ravel()
            return mg.apply(x).ravel()

        self.matrix = spla.LinearOperator((n, n), matvec=matvec, dtype=np.float64)

    def _solve_flat(self, b, x0=None):
        shape = self.problem.grid.shape
        start = None if x0 is None else x0.reshape(shape)
        x, iterations, residual = self.multigrid.solve(b.reshape(shape), start)
        return x.ravel(), iterations, residual

    def solve(self, rhs, values, overwrite, x0=None):
        start = None if x0 is None else x0.reshape(-1)
        b = negated(rhs)
        if self.multigrid.volumes is not None:
            b *= self.multigrid.volumes.ravel()  # S = -V (L - shift): b = -V f
        x, iterations, residual = solve_parts(self._solve_flat, self.matrix, b, start)
        return on_grid(x, self.problem.grid.shape, rhs.dtype), iterations, residual
