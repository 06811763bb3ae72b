"""kronlap's matrix-free geometric multigrid on the grid's Kronecker structure.

:mod:`~kronlap.multigrid.geometric.solver` holds the hierarchy and its
cycles (:class:`GeometricMultigrid`); :mod:`~kronlap.multigrid.geometric.stencil`
the constant- and variable-coefficient stencils and their smoothers;
:mod:`~kronlap.multigrid.geometric.transfer` the per-axis interpolation and
restriction; :mod:`~kronlap.multigrid.geometric.galerkin` the
operator-dependent interpolation and Galerkin coarse levels of a varying
coefficient.
"""

from .solver import CYCLES, GeometricMultigrid

__all__ = ["CYCLES", "GeometricMultigrid"]
