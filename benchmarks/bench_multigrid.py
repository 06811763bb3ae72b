"""Multigrid benchmark: kronlap's pyamg path against plain pyamg, time and memory.

For each problem, solve to a relative residual of 1e-8 (setup + solve, one
random right-hand side) with

* ``kronlap``: ``PoissonSolver(grid, method="multigrid", coeff=a)`` end to
  end, *including* assembling the matrix (Ruge-Stuben AMG + CG, tuned);
* kronlap variants that show what the tuning buys: pyamg's default
  Ruge-Stuben options with plain V-cycles (no Krylov), CG with classical
  interpolation in 3D, and smoothed aggregation + CG;
* ``pyamg.solve(A, b, tol=1e-8)``, the black-box solver with its defaults;
* ``pyamg.smoothed_aggregation_solver(A).solve(b, tol=1e-8)``, defaults.

The pyamg baselines get the assembled matrix for free (not timed). Each
run is a fresh process; its memory peak is the growth of the peak resident
set size during setup + solve (``/proc/self/clear_refs``), or the
tracemalloc peak where that is not available. Ratios are baseline time
divided by kronlap time (> 1: kronlap is faster).

Problems: 2D 1024^2 Dirichlet Poisson, 3D 128^3 Dirichlet Poisson, and 2D
1024^2 ``div(a grad u)`` with ``a`` jumping between 1 and 100 on a 4 x 4
checkerboard. ``--small`` divides the sizes (256^2, 32^3) for a quick run.

Run: ``python benchmarks/bench_multigrid.py [--small] [--repeat N]``.
"""

from __future__ import annotations

import argparse
import os
import platform
import time

import numpy as np
from multigrid_problems import PROBLEMS, TOL, coefficient, fastest, pyamg_solve, report

from kronlap.compare import PeakMemory

# name -> (label, PoissonSolver keyword arguments) for the kronlap runs.
KRONLAP = {
    "kronlap": ("kronlap multigrid (RS + CG, tuned)", {}),
    "kronlap_untuned": (
        "kronlap, pyamg RS defaults, V-cycles only",
        {"amg_options": {"interpolation": "classical"}, "accel": None},
    ),
    "kronlap_classical": (
        "kronlap RS + CG, classical interpolation",
        {"amg_options": {"interpolation": "classical"}},
    ),
    "kronlap_sa": ("kronlap SA + CG", {"amg": "sa"}),
}
BASELINES = {
    "pyamg_solve": "pyamg.solve(A, b) defaults",
    "pyamg_sa": "pyamg.smoothed_aggregation_solver(A).solve(b)",
}


def worker(problem, solver, shape):
    """One measurement in this (fresh) process; prints a JSON line."""
    import pyamg

    import kronlap as kl

    grid = kl.Grid(shape)
    a = coefficient(grid, problem)
    b = np.random.default_rng(0).standard_normal(grid.shape)
    if solver in KRONLAP:
        options = dict(KRONLAP[solver][1])
        with PeakMemory() as memory:
            start = time.perf_counter()
            poisson = kl.PoissonSolver(grid, method="multigrid", coeff=a, tol=TOL, **options)
            u = poisson.solve(b)
            elapsed = time.perf_counter() - start
        A = -(kl.laplacian(grid) if a is None else kl.diffusion(grid, a))
        info = poisson.info
        report(A, b, u.ravel(), elapsed, info["setup_time"], info["iterations"], memory)
        return
    A = -(kl.laplacian(grid) if a is None else kl.diffusion(grid, a))
    if solver == "pyamg_solve":
        x, elapsed, iterations, memory = pyamg_solve(A, b)
        report(A, b, x, elapsed, None, iterations, memory)
        return
    history = []
    with PeakMemory() as memory:
        start = time.perf_counter()
        ml = pyamg.smoothed_aggregation_solver(A)
        setup = time.perf_counter() - start
        x = ml.solve(-b.ravel(), tol=TOL, residuals=history)
        elapsed = time.perf_counter() - start
    report(A, b, x, elapsed, setup, len(history) - 1, memory)


def measure(problem, solver, shape, repeat):
    return fastest(__file__, [problem, solver, *shape], repeat, f"{problem}/{solver}")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", action="store_true", help="quick run on smaller grids")
    parser.add_argument("--repeat", type=int, default=1, help="runs per entry (min is kept)")
    parser.add_argument("--problems", nargs="+", choices=list(PROBLEMS), default=list(PROBLEMS))
    parser.add_argument("--worker", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        problem, solver, *shape = args.worker
        worker(problem, solver, tuple(int(n) for n in shape))
        return

    import pyamg
    import scipy

    print(
        f"kronlap multigrid benchmark: {platform.processor() or platform.machine()}, "
        f"{os.cpu_count()} CPUs, numpy {np.__version__}, scipy {scipy.__version__}, "
        f"pyamg {pyamg.__version__}; tol {TOL:g}, min of {args.repeat} run(s), fresh "
        f"process each"
    )
    for problem in args.problems:
        spec = PROBLEMS[problem]
        shape = spec["small"] if args.small else spec["shape"]
        size = "x".join(map(str, shape))
        title = spec["title"] + (", a in {1, 100}" if problem == "jump" else "")
        print(f"\n{title}, {size} ({int(np.prod(shape)):,} unknowns)")
        names = ["kronlap", "kronlap_untuned", "kronlap_sa"]
        if len(shape) == 3:
            names.insert(2, "kronlap_classical")
        names += list(BASELINES)
        results = {name: measure(problem, name, shape, args.repeat) for name in names}
        ours = results["kronlap"]["time"]
        print(
            f"  {'solver':50s} {'time s':>7s} {'setup s':>7s} {'iters':>5s} "
            f"{'residual':>8s} {'peak MiB':>8s} {'vs kronlap':>10s}"
        )
        for name in names:
            run = results[name]
            label = KRONLAP[name][0] if name in KRONLAP else BASELINES[name]
            setup = "-" if run["setup"] is None else f"{run['setup']:.2f}"
            missed = " (missed tol)" if run["residual"] > TOL else ""
            print(
                f"  {label:50s} {run['time']:7.2f} {setup:>7s} {run['iterations']:5d} "
                f"{run['residual']:8.1e} {run['memory'] / 2**20:8.0f} "
                f"{run['time'] / ours:9.2f}x{missed}"
            )
        for name, target in (("pyamg_solve", 3.0), ("pyamg_sa", 1.0)):
            ratio = results[name]["time"] / ours
            verdict = "met" if ratio >= target else "MISSED"
            if results[name]["residual"] > TOL:
                verdict += f"; the baseline stopped at residual {results[name]['residual']:.1e}"
            print(
                f"  kronlap is {ratio:.2f}x faster than {BASELINES[name]} "
                f"(target >= {target:g}x: {verdict})"
            )
    print(
        f"\nmemory: {results['kronlap']['memory_method']} during setup + solve; kronlap's "
        f"includes assembling the matrix, the pyamg baselines' does not"
    )


if __name__ == "__main__":
    main()
