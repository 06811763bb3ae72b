"""Solving ``(Delta_h - shift) u = f``: the :class:`PoissonSolver` facade and its methods.

The facade checks what is common to every method (grid, shift, tolerance,
coefficient, mask, boundary data, the singular-problem rule, the
convergence policy) and asks the registry (:mod:`~kronlap.solvers.registry`)
for the method: one class per method, each in its own module, declaring the
options it takes and what it can solve.

===============  ================================  ================
method           module                            class
===============  ================================  ================
``"fft"``        :mod:`kronlap.solvers.spectral`   ``FFTMethod``
``"eig"``        :mod:`kronlap.solvers.spectral`   ``EigMethod``
``"direct"``     :mod:`kronlap.solvers.direct`     ``DirectMethod``
``"cg"``         :mod:`kronlap.solvers.cg`         ``CGMethod``
``"multigrid"``  :mod:`kronlap.solvers.amg`        ``AMGMethod``
``"gmg"``        :mod:`kronlap.solvers.gmg`        ``GMGMethod``
===============  ================================  ================
"""

from . import amg, cg, direct, gmg, spectral  # noqa: F401 (each registers its methods)
from .errors import ConvergenceError, ConvergenceWarning
from .facade import PoissonSolver, solve_poisson
from .problem import check_tridiagonal_axis, check_zero_mean
from .registry import REGISTRY, Method, taking
from .system import shifted_operator

METHODS = ("auto", *sorted(REGISTRY))

__all__ = [
    "ConvergenceError",
    "ConvergenceWarning",
    "METHODS",
    "Method",
    "PoissonSolver",
    "REGISTRY",
    "check_tridiagonal_axis",
    "check_zero_mean",
    "shifted_operator",
    "solve_poisson",
    "taking",
]
