"""Geometric multigrid benchmark: ``method="gmg"`` against the pyamg paths, time and memory.

For each problem, solve to a relative residual of 1e-8 (setup + solve, one
random right-hand side) with

* ``gmg``: ``PoissonSolver(grid, method="gmg", coeff=a)`` end to end
  (matrix-free Kronecker geometric multigrid with its defaults: CG around
  single-precision V(1,1) cycles; with ``coeff``, Galerkin coarse levels
  and the VW cycle);
* ``gmg_plain``: plain double-precision V(1,1) cycles, ``accel=None``
  (constant coefficients only);
* ``multigrid``: ``PoissonSolver(grid, method="multigrid", coeff=a)``,
  kronlap's pyamg path, *including* assembling the matrix;
* ``pyamg_solve``: ``pyamg.solve(A, b, tol=1e-8)``, the black-box solver,
  given the assembled matrix for free (not timed).

Each run is a fresh process (the minimum time of ``--repeat`` runs is
kept, except for ``pyamg.solve``, which runs once); its memory peak is the growth of the peak
resident set size during setup + solve (``/proc/self/clear_refs``), or the
tracemalloc peak where that is not available. Ratios are the other
solver's time (or memory) divided by gmg's (> 1: gmg is faster or
smaller). A last table prints gmg's iteration counts from 64^2 to 1024^2, for the
Dirichlet Poisson problem and for the checkerboard coefficient.

Problems: 2D 1024^2 Dirichlet Poisson, 3D 128^3 Dirichlet Poisson, and 2D
1024^2 ``div(a grad u)`` with ``a`` jumping between 1 and ``--contrast``
(default 100, as in ``bench_multigrid.py``) on a 4 x 4 checkerboard.
``--small`` divides the sizes (256^2, 32^3) for a quick run.

Run: ``python benchmarks/bench_gmg.py [--small] [--contrast C] [--repeat N]``.
"""

from __future__ import annotations

import argparse
import os
import platform
import time

import numpy as np
from multigrid_problems import PROBLEMS, TOL, coefficient, fastest, pyamg_solve, report

from kronlap.compare import PeakMemory

SOLVERS = {
    "gmg": "kronlap gmg (defaults, matrix-free)",
    "gmg_plain": "kronlap gmg, accel=None (plain V-cycles)",
    "multigrid": "kronlap multigrid (pyamg RS + CG, assembly)",
    "pyamg_solve": "pyamg.solve(A, b), A given",
}


def worker(problem, solver, shape, contrast):
    """One measurement in this (fresh) process; prints a JSON line."""
    import kronlap as kl

    grid = kl.Grid(shape)
    a = coefficient(grid, problem, contrast)
    b = np.random.default_rng(0).standard_normal(grid.shape)
    # Warm up imports and thread pools on a small grid, outside the measurement.
    small = kl.Grid((8,) * grid.ndim)
    kl.PoissonSolver(small, method="gmg" if solver.startswith("gmg") else "multigrid").solve(
        np.ones(small.shape)
    )
    if solver == "pyamg_solve":
        A = -(kl.laplacian(grid) if a is None else kl.diffusion(grid, a))
        x, elapsed, iterations, memory = pyamg_solve(A, b)
        report(A, b, x, elapsed, None, iterations, memory)
        return
    options = {"method": "gmg" if solver.startswith("gmg") else "multigrid"}
    if solver == "gmg_plain":
        options["accel"] = None
    with PeakMemory() as memory:
        start = time.perf_counter()
        poisson = kl.PoissonSolver(grid, coeff=a, tol=TOL, **options)
        u = poisson.solve(b)
        elapsed = time.perf_counter() - start
    info = poisson.info
    A = -(kl.laplacian(grid) if a is None else kl.diffusion(grid, a))
    report(A, b, u.ravel(), elapsed, info["setup_time"], info["iterations"], memory)


def measure(problem, solver, shape, contrast, repeat):
    return fastest(
        __file__,
        [problem, solver, contrast, *shape],
        1 if solver == "pyamg_solve" else repeat,
        f"{problem}/{solver}",
    )


def iteration_table(sizes, contrast):
    import kronlap as kl

    print(
        f"\ngmg iterations to 1e-8 (Dirichlet; CG + single-precision V(1,1), plain V(1,1); "
        f"checkerboard a in {{1, {contrast:g}}}: defaults)"
    )
    for n in sizes:
        grid = kl.Grid((n, n))
        b = np.random.default_rng(0).standard_normal(grid.shape)
        counts = []
        jumps = coefficient(grid, "jump", contrast)
        for accel, coeff in (("cg", None), (None, None), ("cg", jumps)):
            solver = kl.PoissonSolver(grid, method="gmg", tol=TOL, accel=accel, coeff=coeff)
            solver.solve(b)
            counts.append(solver.info["iterations"])
        print(
            f"  {n:5d}^2: {counts[0]:3d} CG iterations, {counts[1]:3d} V-cycles; "
            f"checkerboard {counts[2]:3d} CG iterations"
        )


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", action="store_true", help="quick run on smaller grids")
    parser.add_argument(
        "--contrast", type=float, default=100.0, help="coefficient jump of the 'jump' problem"
    )
    parser.add_argument(
        "--repeat", type=int, default=3, help="runs per entry, fastest kept (pyamg.solve: 1)"
    )
    parser.add_argument("--problems", nargs="+", choices=list(PROBLEMS), default=list(PROBLEMS))
    parser.add_argument("--worker", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        problem, solver, contrast, *shape = args.worker
        worker(problem, solver, tuple(int(n) for n in shape), float(contrast))
        return

    import pyamg
    import scipy

    print(
        f"kronlap gmg benchmark: {platform.processor() or platform.machine()}, "
        f"{os.cpu_count()} CPUs, numpy {np.__version__}, scipy {scipy.__version__}, "
        f"pyamg {pyamg.__version__}; tol {TOL:g}, fastest of {args.repeat} run(s), fresh "
        f"process each"
    )
    memory_method = None
    for problem in args.problems:
        spec = PROBLEMS[problem]
        shape = spec["small"] if args.small else spec["shape"]
        size = "x".join(map(str, shape))
        title = spec["title"] + (f", a in {{1, {args.contrast:g}}}" if problem == "jump" else "")
        print(f"\n{title}, {size} ({int(np.prod(shape)):,} unknowns)")
        names = [name for name in SOLVERS if not (problem == "jump" and name == "gmg_plain")]
        results = {
            name: measure(problem, name, shape, args.contrast, args.repeat) for name in names
        }
        ours = results["gmg"]
        memory_method = ours["memory_method"]
        print(
            f"  {'solver':45s} {'time s':>7s} {'setup s':>7s} {'iters':>5s} "
            f"{'residual':>8s} {'peak MiB':>8s} {'time/gmg':>8s} {'mem/gmg':>8s}"
        )
        for name in names:
            run = results[name]
            setup = "-" if run["setup"] is None else f"{run['setup']:.2f}"
            missed = " (missed tol)" if run["residual"] > TOL else ""
            print(
                f"  {SOLVERS[name]:45s} {run['time']:7.2f} {setup:>7s} {run['iterations']:5d} "
                f"{run['residual']:8.1e} {run['memory'] / 2**20:8.0f} "
                f"{run['time'] / ours['time']:7.2f}x "
                f"{run['memory'] / max(ours['memory'], 1):7.2f}x{missed}"
            )
        ratio = results["multigrid"]["time"] / ours["time"]
        verdict = "met" if ratio >= 3.0 else "MISSED"
        print(
            f"  gmg is {ratio:.2f}x faster than kronlap's pyamg path (target >= 3x: {verdict}); "
            f"peak memory {ours['memory'] / 2**20:.0f} MiB against "
            f"{results['multigrid']['memory'] / 2**20:.0f} (pyamg path) and "
            f"{results['pyamg_solve']['memory'] / 2**20:.0f} (pyamg.solve)"
        )
    iteration_table((64, 128, 256) if args.small else (64, 128, 256, 512, 1024), args.contrast)
    print(
        f"\nmemory: {memory_method} during setup + solve; gmg's and the pyamg path's include "
        f"building the operator, pyamg.solve's does not"
    )


if __name__ == "__main__":
    main()
