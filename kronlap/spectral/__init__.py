"""Per-axis diagonalizers of the grid Laplacian and its eigenvalues.

Every 1D second difference is diagonalized by a known transform:

===============================  ==========================  ===============
axis                             transform                   eigenvalue k
===============================  ==========================  ===============
periodic                         FFT (convolution rule)      DFT of 1st col.
dirichlet-dirichlet              DST-I                       -4/h² sin²(π(k+1)/(2(n+1)))
neumann-neumann                  DCT-II / DCT-III            -4/h² sin²(πk/(2n))
mixed (dirichlet with neumann)   dense eigenvectors          -4/h² sin²(π(2k+1)/(2(2n+1)))
===============================  ==========================  ===============

and the Laplacian, a Kronecker sum, is diagonalized by applying them along
every axis; its eigenvalues are the sums of the 1D ones. The same
transforms diagonalize the compact fourth-order operator (Kronecker
products of the same 1D matrices): :func:`compact_eigenvalues`.
"""

from .axis import AxisTransform, transform_kind
from .eigen import (
    axis_eigenvalues,
    check_regular_shift,
    compact_eigenvalues,
    compact_line_coefficients,
    eigenvalue_sum,
    eigenvalues,
    inverse_eigenvalues,
    singular_shift_error,
)
from .propagator import heat_frames
from .solver import SpectralSolver
from .sweep import TridiagonalSweep, sweep_axis, sweepable

__all__ = [
    "AxisTransform",
    "SpectralSolver",
    "TridiagonalSweep",
    "axis_eigenvalues",
    "check_regular_shift",
    "compact_eigenvalues",
    "compact_line_coefficients",
    "eigenvalue_sum",
    "eigenvalues",
    "heat_frames",
    "inverse_eigenvalues",
    "singular_shift_error",
    "sweep_axis",
    "sweepable",
    "transform_kind",
]
