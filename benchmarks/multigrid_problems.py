"""Problems and fresh-process measurements shared by bench_multigrid.py and bench_gmg.py."""

import json
import subprocess
import sys
import time

import numpy as np

from kronlap.compare import PeakMemory

TOL = 1e-8

PROBLEMS = {
    "2d": {"title": "2D Dirichlet Poisson", "shape": (1024, 1024), "small": (256, 256)},
    "3d": {"title": "3D Dirichlet Poisson", "shape": (128, 128, 128), "small": (32, 32, 32)},
    "jump": {
        "title": "2D div(a grad u), 4x4 checkerboard",
        "shape": (1024, 1024),
        "small": (256, 256),
    },
}


def coefficient(grid, problem, contrast=100.0):
    """``a`` of ``problem``: None, or 1 and ``contrast`` on a 4 x 4 checkerboard."""
    if problem != "jump":
        return None
    x, y = grid.mesh()
    return np.where((np.floor(4 * x) + np.floor(4 * y)) % 2 == 0, contrast, 1.0)


def pyamg_solve(A, b):
    """``pyamg.solve(A, -b)`` to ``TOL``, timed, ``A`` given.

    Returns ``(x, elapsed, iterations, memory)``.
    """
    import pyamg

    history = []
    with PeakMemory() as memory:
        start = time.perf_counter()
        x = pyamg.solve(A, -b.ravel(), tol=TOL, verb=False, residuals=history)
        elapsed = time.perf_counter() - start
    return x, elapsed, len(history) - 1, memory


def report(A, b, x, elapsed, setup, iterations, memory):
    """Print one measurement as the JSON line that :func:`fastest` reads.

    Every run solves ``A x = -b`` with the positive definite ``A = -L``.
    """
    residual = np.linalg.norm(-b.ravel() - A @ x) / np.linalg.norm(b)
    print(
        json.dumps(
            {
                "time": elapsed,
                "setup": setup,
                "iterations": iterations,
                "residual": float(residual),
                "memory": memory.peak,
                "memory_method": memory.method,
            }
        )
    )


def fastest(script, arguments, repeat, label):
    """Run ``script --worker arguments`` ``repeat`` times, each in a fresh process; the fastest."""
    runs = []
    for _ in range(repeat):
        done = subprocess.run(
            [sys.executable, script, "--worker", *map(str, arguments)],
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            raise RuntimeError(f"{label} failed:\n{done.stderr}")
        runs.append(json.loads(done.stdout.strip().splitlines()[-1]))
    return min(runs, key=lambda run: run["time"])
