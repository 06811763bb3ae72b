"""Multigrid on rough coefficients: iterations and time of every multigrid path.

``div(a grad u) = 1`` with Dirichlet sides on the unit square (cube), solved
to a relative residual of 1e-8 by

* ``gmg``: ``PoissonSolver(grid, method="gmg", coeff=a)``, kronlap's geometric
  multigrid (setup + solve);
* ``pyamg-path``: ``PoissonSolver(grid, method="multigrid", coeff=a)``, which
  chooses its pyamg hierarchy by the problem (``amg="auto"``);
* ``sa`` and ``rs``: plain ``pyamg.smoothed_aggregation_solver`` and
  ``pyamg.ruge_stuben_solver`` with their defaults, then ``ml.solve(b,
  accel="cg")``,

on random log-uniform coefficients (``a = contrast**U(0, 1)`` per cell, contrast
1e2, 1e3, 1e4, 1e6) and geometric media: sinuous channels of ``a = 1e3``,
random inclusions of ``a = 1e4``, and a layered medium of 1 and 1e3 (effective
anisotropy about 250). Every measurement runs in a fresh process (best of
``--repeat``); a run past ``--timeout`` or one that misses the tolerance is
reported as such. The last column is the time of plain SA over gmg's.

Run ``python benchmarks/bench_rough.py`` for the issue's sizes (2D 64^2 to
2048^2, 3D 32^3 to 192^3: hours on two cores), or choose with ``--dims``,
``--sizes2d``, ``--sizes3d``, ``--problems`` and ``--solvers``.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time

import numpy as np

TOL = 1e-8
PROBLEMS = ("rand1e2", "rand1e3", "rand1e4", "rand1e6", "channels", "inclusions", "layered")
SOLVERS = ("gmg", "pyamg-path", "sa", "rs")


def coefficient(name: str, shape, seed: int = 0) -> np.ndarray:
    """The cell values of ``a`` for problem ``name`` on a grid of ``shape`` (unit cube)."""
    import kronlap as kl

    mesh = kl.Grid(shape).mesh()
    rng = np.random.default_rng(seed)
    ndim = len(shape)
    if name.startswith("rand"):
        return float(name[4:]) ** rng.random(shape)
    if name == "channels":
        a = np.ones(shape)
        for k in range(8):
            phase = 2 * np.pi * rng.random()
            centre = (k + 0.5) / 8 + 0.03 * np.sin(4 * np.pi * mesh[1] + phase)
            distance = np.abs(mesh[0] - centre)
            if ndim == 3:
                other = rng.random() + 0.03 * np.cos(2 * np.pi * mesh[1] + phase)
                distance = np.maximum(distance, np.abs(mesh[2] - other))
            a[distance < 1 / 128] = 1e3
        return a
    if name == "inclusions":
        a = np.ones(shape)
        for _ in range(120 if ndim == 2 else 300):
            centre = rng.random(ndim)
            radius = (0.01 + 0.03 * rng.random()) * (2 if ndim == 3 else 1)
            inside = sum((x - c) ** 2 for x, c in zip(mesh, centre)) < radius**2
            a[inside] = 1e4
        return a
    if name == "layered":
        layer = np.searchsorted(np.sort(rng.random(63)), mesh[0])
        return np.where(layer % 2 == 0, 1.0, 1e3)
    raise ValueError(f"problem must be one of {PROBLEMS}, got {name!r}")


def measure(solver: str, problem: str, shape) -> dict:
    """One setup + solve in this process; iterations, time and the true residual."""
    import kronlap as kl

    grid = kl.Grid(shape)
    a = coefficient(problem, shape)
    f = np.ones(shape)
    start = time.perf_counter()
    if solver in ("gmg", "pyamg-path"):
        method = "gmg" if solver == "gmg" else "multigrid"
        poisson = kl.PoissonSolver(
            grid, method=method, coeff=a, tol=TOL, on_nonconvergence="warn"
        )
        u = poisson.solve(f).ravel()
        iterations, chosen = poisson.info["iterations"], poisson.info.get("amg", "")
    else:
        import pyamg

        factory = pyamg.smoothed_aggregation_solver if solver == "sa" else pyamg.ruge_stuben_solver
        S = (-kl.diffusion(grid, a)).tocsr()
        ml = factory(S)
        history = []
        u = -ml.solve(f.ravel(), tol=TOL, accel="cg", maxiter=500, residuals=history)
        iterations, chosen = len(history) - 1, ""
    elapsed = time.perf_counter() - start
    A = kl.diffusion(grid, a)
    residual = float(np.linalg.norm(f.ravel() - A @ u) / np.linalg.norm(f))
    return {"time": elapsed, "iterations": iterations, "residual": residual, "chosen": chosen}


def fresh(solver, problem, shape, repeat, timeout):
    """The fastest of ``repeat`` measurements, each in a new process (None on timeout)."""
    best = None
    for _ in range(repeat):
        command = [sys.executable, __file__, "--worker", solver, problem, *map(str, shape)]
        try:
            done = subprocess.run(
                command, capture_output=True, text=True, timeout=timeout, check=True
            )
        except subprocess.TimeoutExpired:
            return None
        except subprocess.CalledProcessError as error:
            return {"error": error.stderr.strip().splitlines()[-1]}
        record = json.loads(done.stdout.strip().splitlines()[-1])
        if best is None or record["time"] < best["time"]:
            best = record
    return best


def _cell(record) -> str:
    if record is None:
        return "timeout"
    if "error" in record:
        return "error"
    flag = "" if record["residual"] <= 2 * TOL else " (missed tol)"
    return f"{record['iterations']:>4} it {record['time']:8.2f} s{flag}"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--worker", nargs="+", help=argparse.SUPPRESS)
    parser.add_argument("--dims", type=int, nargs="+", default=[2, 3])
    parser.add_argument("--sizes2d", type=int, nargs="+", default=[64, 128, 256, 512, 1024, 2048])
    parser.add_argument("--sizes3d", type=int, nargs="+", default=[32, 48, 64, 128, 192])
    parser.add_argument("--problems", nargs="+", default=list(PROBLEMS), choices=PROBLEMS)
    parser.add_argument("--solvers", nargs="+", default=list(SOLVERS), choices=SOLVERS)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--timeout", type=float, default=1800.0)
    parser.add_argument("--json", help="also write the records to this file")
    args = parser.parse_args(argv)
    if args.worker:
        solver, problem, *shape = args.worker
        print(json.dumps(measure(solver, problem, tuple(int(n) for n in shape))))
        return 0
    records = []
    header = f"{'problem':<11} {'grid':>12} " + " ".join(f"{s:>24}" for s in args.solvers)
    print(header + ("   SA / gmg" if {"sa", "gmg"} <= set(args.solvers) else ""))
    for ndim in args.dims:
        sizes = args.sizes2d if ndim == 2 else args.sizes3d
        for problem in args.problems:
            for n in sizes:
                shape = (n,) * ndim
                row = {
                    s: fresh(s, problem, shape, args.repeat, args.timeout) for s in args.solvers
                }
                records.append({"problem": problem, "shape": shape, **row})
                line = f"{problem:<11} {'x'.join(map(str, shape)):>12} "
                line += " ".join(f"{_cell(row[s]):>24}" for s in args.solvers)
                sa, gmg = row.get("sa"), row.get("gmg")
                if sa and gmg and "time" in sa and "time" in gmg:
                    line += f"   {sa['time'] / gmg['time']:8.2f}x"
                print(line, flush=True)
    if args.json:
        with open(args.json, "w") as file:
            json.dump(records, file, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
