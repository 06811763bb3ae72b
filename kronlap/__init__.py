"""kronlap: sparse PDE solves on rectangular grids built on Kronecker sums.

The grid Laplacian is the Kronecker sum of 1D second differences,
``L = A0 (x) I (x) I + I (x) A1 (x) I + I (x) I (x) A2``; it is assembled,
diagonalized (FFT / DST / DCT per axis) and solved from those 1D pieces.

Subpackages: :mod:`kronlap.spectral` (per-axis transforms, eigenvalues,
the spectral solver), :mod:`kronlap.multigrid` (pyamg's algebraic and
kronlap's geometric multigrid), :mod:`kronlap.solvers` (the
:class:`PoissonSolver` facade and its method registry), :mod:`kronlap.image`,
:mod:`kronlap.distributed` (MPI) and :mod:`kronlap.compare` (tools).
``import kronlap`` loads what a Poisson solve needs; pyamg, matplotlib,
mpi4py and the comparison tools load when they are used.
"""

from .coefficients import diffusion
from .convolution import circulant, circulant_eigenvalues, cyclic_convolve
from .grid import Grid
from .heat import solve_heat
from .operators import kron_product, kron_sum, laplacian, second_difference
from .solvers import (
    ConvergenceError,
    ConvergenceWarning,
    PoissonSolver,
    solve_poisson,
)
from .spectral import AxisTransform, axis_eigenvalues, eigenvalues

__version__ = "0.1.0"

__all__ = [
    "AxisTransform",
    "ConvergenceError",
    "ConvergenceWarning",
    "GeometricMultigrid",
    "Grid",
    "PoissonSolver",
    "amg_hierarchy",
    "axis_eigenvalues",
    "circulant",
    "circulant_eigenvalues",
    "cyclic_convolve",
    "diffusion",
    "eigenvalues",
    "kron_product",
    "kron_sum",
    "laplacian",
    "second_difference",
    "solve_heat",
    "solve_poisson",
]

# Public names whose modules load on first use (PEP 562): multigrid brings pyamg.
_LAZY = {"GeometricMultigrid": "multigrid", "amg_hierarchy": "multigrid"}
_SUBPACKAGES = ("compare", "distributed", "image", "multigrid")


def __getattr__(name):
    import importlib

    if name in _LAZY:
        value = getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
    elif name in _SUBPACKAGES:
        value = importlib.import_module(f".{name}", __name__)
    else:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(_LAZY) | set(_SUBPACKAGES))
