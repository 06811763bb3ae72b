"""
Poisson on a grid spread over MPI ranks
=======================================

Each MPI rank holds one block of the grid and :class:`kronlap.distributed.PoissonSolver`
solves the whole problem, the ranks exchanging data between the per-axis
transforms. Run it with, for example::

    mpiexec -n 2 python examples/distributed_poisson.py --shape 256 256 256

The manufactured solution ``u = x0 + prod_k sin(pi x_k)`` on the unit box
with Dirichlet sides has ``Delta u = -d pi^2 prod_k sin(pi x_k)`` and
boundary values ``x0``: 0 and 1 on the sides ``x0 = 0`` and ``x0 = 1``,
the ramp ``x0`` on the others (each rank passes its part of those
faces); the discrete solution matches it to ``O(h^2)``. Rank 0 prints the
decomposition, the times (slowest rank) and the largest error over the
grid. Needs ``pip install 'kronlap[mpi]'`` (see :doc:`/distributed`).

Where the documentation is built with mpi4py-fft installed, this page runs
the script in one process, without ``mpiexec``: one rank holding the whole
128**3 grid. Built without it, the page shows the code only.
"""

from __future__ import annotations

import argparse
import resource
import time

import numpy as np
from mpi4py import MPI

import kronlap as kl
from kronlap.distributed import PoissonSolver


def main(argv=None):
    parser = argparse.ArgumentParser(description="Poisson spread over MPI ranks.")
    parser.add_argument("--shape", type=int, nargs="+", default=[128, 128, 128])
    parser.add_argument(
        "--decomposition", choices=["auto", "slab", "pencil"], default="auto"
    )
    parser.add_argument(
        "--planner",
        default="FFTW_MEASURE",
        help="FFTW planner effort (FFTW_ESTIMATE plans instantly)",
    )
    parser.add_argument("--solves", type=int, default=3, help="solves to time")
    args = parser.parse_args(argv)
    comm = MPI.COMM_WORLD

    grid = kl.Grid(tuple(args.shape), bc="dirichlet")
    start = time.perf_counter()
    solver = PoissonSolver(
        grid, comm=comm, decomposition=args.decomposition, planner_effort=args.planner
    )
    setup = time.perf_counter() - start

    mesh = solver.local_mesh()
    bump = np.prod([np.sin(np.pi * x) for x in mesh], axis=0)
    exact = mesh[0] + bump
    f = -grid.ndim * np.pi**2 * bump
    boundary = {(0, 1): 1.0}  # u = x0 on the boundary: 1 on the side x0 = 1, ...
    for axis in range(1, grid.ndim):  # ... and the ramp x0 on the sides it crosses
        ramp = mesh[0].take(0, axis=axis)  # this rank's part of the face
        boundary[(axis, 0)] = boundary[(axis, 1)] = ramp
    del mesh

    times = []
    for _ in range(args.solves):
        comm.Barrier()
        start = time.perf_counter()
        u = solver.solve(f, boundary=boundary)
        times.append(time.perf_counter() - start)
    error = comm.allreduce(float(np.abs(u - exact).max()), op=MPI.MAX)
    setup = comm.allreduce(setup, op=MPI.MAX)
    solve = comm.allreduce(min(times), op=MPI.MAX)
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    peak = comm.allreduce(peak_kib, op=MPI.MAX)
    if comm.Get_rank() == 0:
        print(
            f"grid {grid.shape} dirichlet, {comm.Get_size()} ranks, "
            f"{solver.decomposition} decomposition, process grid {solver.process_grid}"
        )
        print(
            f"setup {setup:.3f} s, solve {solve:.3f} s "
            f"(best of {args.solves}, slowest rank), "
            f"peak memory per rank {peak / 2**20:.2f} GiB"
        )
        print(f"max |u - exact| = {error:.3e} (h^2 = {max(grid.h) ** 2:.3e})")
    solver.close()


if __name__ == "__main__":
    main()
