"""``"multigrid"``: pyamg's algebraic multigrid on the assembled system, inside a Krylov method."""

from __future__ import annotations

from .._memory import check_memory
from .._validation import check_choice, check_count
from .direct import AssembledMethod
from .registry import register

__all__ = ["AMGMethod", "algebraic_hierarchy", "check_amg_memory", "check_amg_options"]

# as kronlap.multigrid.AMG_CHOICES, without importing pyamg
_AMG_CHOICES = ("auto", "rs", "sa")


def check_amg_options(options: dict) -> None:
    """Validate ``amg`` and ``amg_options`` (shared with ``method="cg"``)."""
    check_choice(options["amg"], "amg", _AMG_CHOICES)
    if options["amg_options"] is not None and not isinstance(options["amg_options"], dict):
        raise TypeError(
            f"amg_options must be a dict of pyamg keyword arguments, got "
            f"{options['amg_options']!r}"
        )


def check_amg_memory(unknowns: int, ndim: int) -> None:
    # Matrix, hierarchy, interpolation and pyamg's setup copies: see
    # benchmarks/RESULTS.md for the measured peaks per unknown.
    check_memory(110.0 * (2 * ndim + 1) * unknowns, f"an AMG hierarchy for {unknowns} unknowns")


def algebraic_hierarchy(problem, matrix, amg, amg_options, **solver_options):
    """A :class:`kronlap.multigrid.MultigridSolver` for ``matrix`` of ``problem``."""
    from ..multigrid import MultigridSolver

    return MultigridSolver(
        matrix,
        amg,
        singular=problem.singular,
        ndim=problem.grid.ndim,
        options=amg_options,
        **solver_options,
    )


@register
class AMGMethod(AssembledMethod):
    """pyamg algebraic multigrid (Ruge-Stuben or smoothed aggregation), hierarchy built once.

    ``amg="auto"`` (the default) chooses the hierarchy by the problem
    (:func:`kronlap.multigrid.choose_amg`): Ruge-Stuben for a smooth or
    piecewise-constant coefficient, smoothed aggregation for one that is
    rough from cell to cell; unless ``maxiter`` is given (default budget
    :data:`kronlap.multigrid.krylov.MAXITER` iterations, ended earlier by
    stagnation), a solve that misses ``tol`` rebuilds with another
    hierarchy and solves again before the facade raises. ``"rs"`` and
    ``"sa"`` force a kind (no fallback). The
    hierarchy preconditions CG (``accel="cg"``, the default), pyamg's
    FGMRES, or runs as plain cycles (``accel=None``). ``info`` holds the
    kind (``amg``), what was asked (``amg_choice``), why (``amg_reason``),
    the measured ``neighbour_contrast``, the ``strength`` measure, the
    ``cycle`` and ``accel``.
    """

    name = "multigrid"
    iterative = True
    warm_start = True
    options = {
        "amg": "auto",
        "amg_options": None,
        "accel": "auto",
        "cycle": None,
        "maxiter": None,
    }

    @classmethod
    def check_options(cls, problem, given):
        options = super().check_options(problem, given)
        check_amg_options(options)
        accel = check_choice(options["accel"], "accel", ("auto", "cg", "fgmres", None))
        options["accel"] = "cg" if accel == "auto" else accel
        check_choice(options["cycle"], "cycle", (None, "V", "W", "F"))
        options["maxiter"] = check_count(options["maxiter"], "maxiter", allow_none=True)
        return options

    def __init__(self, problem, *, amg, amg_options, accel, cycle, maxiter):
        from ..multigrid.krylov import MAXITER

        check_amg_memory(problem.unknowns, problem.grid.ndim)
        super().__init__(problem)
        self.multigrid = algebraic_hierarchy(
            problem,
            self.matrix,
            amg,
            amg_options,
            tol=problem.tol,
            maxiter=maxiter or MAXITER,
            accel=accel,
            cycle=cycle or "V",
            # a maxiter given is a hard budget: no second solve beyond it
            fallback=amg == "auto" and maxiter is None,
        )
        self.info = {
            **self.multigrid.info,
            "accel": accel,
            "cycle": cycle or "V",
            "cycle_reason": "cycle given" if cycle else "V: the default (cycle=None)",
        }

    def solve_flat(self, b, x0=None):
        result = self.multigrid.solve(b, x0)
        # A fallback rebuilds the hierarchy during the solve: report the new one.
        self.info.update(self.multigrid.info)
        return result
