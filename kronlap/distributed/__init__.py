"""Poisson and heat solves on grids spread over MPI ranks (mpi4py-fft, PETSc).

Each rank keeps one block of the grid; :class:`PoissonSolver` solves
``(Delta_h - shift) u = f`` for the whole grid by the per-axis fast
transforms of the serial ``method="fft"`` (FFT, DST-I, DCT-II, dense
eigenvectors on mixed-side axes, optionally tridiagonal sweeps along one
axis), run by ``mpi4py_fft.PFFT`` with slab or pencil decompositions and
all-to-all transposes between the axes; with a coefficient or a mask
(``method="multigrid"``) by PETSc's conjugate gradients and algebraic
multigrid on a DMDA (:mod:`kronlap.distributed.multigrid`, petsc4py).
Boundary conditions, ``shift``, boundary data and the singular case follow
:class:`kronlap.PoissonSolver` exactly; :func:`solve_heat` is the exact heat
propagator of :func:`kronlap.solve_heat`.

This module is the public namespace; the code lives in
``solver`` (:class:`PoissonSolver`, scatter and gather),
``multigrid`` (the PETSc path),
``heat`` (:func:`solve_heat`) and ``transform``
(:class:`~kronlap.distributed.transform.DistributedTransform`: which
transform each axis gets, the stages and process grid, the eigenvalues).

Run a script with ``mpiexec -n 4 python script.py``; every rank calls the
same functions with the same grid and options, and its own block of the
data::

    import numpy as np
    import kronlap as kl
    from kronlap.distributed import PoissonSolver

    grid = kl.Grid((256, 256, 256), bc="dirichlet")
    solver = PoissonSolver(grid)                  # collective: plans, transposes
    x, y, z = solver.local_mesh()                 # this rank's block of the grid
    u_local = solver.solve(np.ones(solver.local_shape))

Install with ``pip install 'kronlap[mpi]'`` (mpi4py, the ``mpich`` wheel,
mpi4py-fft; FFTW headers first, ``apt-get install libfftw3-dev``), and
``kronlap[petsc]`` for the multigrid path (PETSc builds from source; see
``docs/distributed.md``). This module imports without them; building a
solver needs them.
"""

from __future__ import annotations

from .heat import HEAT_METHODS, solve_heat
from .solver import METHODS, PoissonSolver, solve_poisson

__all__ = ["PoissonSolver", "solve_poisson", "solve_heat", "METHODS", "HEAT_METHODS"]
