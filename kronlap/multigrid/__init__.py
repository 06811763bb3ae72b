"""Multigrid for the problems without a fast diagonalization: coefficients and masks.

Two hierarchies: pyamg's algebraic multigrid on the assembled matrix
(:mod:`~kronlap.multigrid.amg`: Ruge-Stuben or smoothed aggregation, as the
preconditioner of a Krylov method) and kronlap's matrix-free geometric
multigrid (:mod:`~kronlap.multigrid.geometric`); both stop on stagnation
and return their best iterate through :mod:`~kronlap.multigrid.krylov`.
"""

from .amg import (
    ACCELERATORS,
    AMG_CHOICES,
    AMG_KINDS,
    MultigridSolver,
    amg_hierarchy,
    amg_options,
    choose_amg,
    neighbour_contrast,
)
from .geometric import CYCLES, GeometricMultigrid
from .krylov import (
    STAGNATION_GAIN,
    STAGNATION_WINDOW,
    BestIterate,
    conjugate_gradients,
    project_constants,
    restart_on_true_residual,
)

__all__ = [
    "ACCELERATORS",
    "AMG_CHOICES",
    "AMG_KINDS",
    "BestIterate",
    "CYCLES",
    "GeometricMultigrid",
    "MultigridSolver",
    "STAGNATION_GAIN",
    "STAGNATION_WINDOW",
    "amg_hierarchy",
    "amg_options",
    "choose_amg",
    "conjugate_gradients",
    "neighbour_contrast",
    "project_constants",
    "restart_on_true_residual",
]
