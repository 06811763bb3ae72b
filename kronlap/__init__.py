"""kronlap: sparse PDE solves on rectangular grids built on Kronecker sums.

The grid Laplacian is the Kronecker sum of 1D second differences,
``L = A0 (x) I (x) I + I (x) A1 (x) I + I (x) I (x) A2``; it is assembled,
diagonalized (FFT / DST / DCT per axis) and solved from those 1D pieces.
"""

from . import image as image
from .coefficients import diffusion
from .convolution import circulant, circulant_eigenvalues, cyclic_convolve
from .gmg import GeometricMultigrid
from .grid import Grid
from .heat import solve_heat
from .multigrid import amg_hierarchy
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
