"""Strong and weak scaling of kronlap.distributed.PoissonSolver on this machine.

``python benchmarks/bench_distributed.py`` launches ``mpiexec -n P`` for
P = 1, 2, 4 (one thread per rank; more ranks than cores oversubscribe and
are reported as such) and prints, for each run, the solve time of the
slowest rank (best of 7 solves after FFTW_MEASURE planning), the speedup
and parallel efficiency against one rank, and the ratio of the run to the
serial ``kronlap.PoissonSolver`` (``method="fft"``, ``workers=1``) on the
same grid, timed by rank 0 of the same run right after. Each worker also measures the
all-to-all bandwidth per rank (``MPI_Alltoall`` of a buffer the size of
its coefficient block) and the data moved per solve, the numbers
``docs/distributed.md`` extrapolates from.

The layout column names the decomposition and process grid, and ``T<k>``
where axis ``k`` is solved by tridiagonal sweeps instead of a transform.
Strong scaling keeps the grid (periodic 128^3, Dirichlet 127^3); weak
scaling keeps 64 x 128 x 128 points per rank. Options: ``--ranks``,
``--repeat``. Needs ``pip install 'kronlap[mpi]'``.

``--path multigrid`` runs the PETSc multigrid path instead
(``method="multigrid"``: CG + GAMG to 1e-8 on ``div(a grad u) = 1``, Dirichlet
sides, a checkerboard coefficient of contrast 100 on 8 tiles per axis):
strong scaling on 1024^2 and 128^3, weak scaling at 256 x 512 points per
rank, with the iterations per rank count and the serial ``method="gmg"``
solve on the same problem (rank 0, right after). Needs
``pip install 'kronlap[petsc]'``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import sysconfig
import time
from pathlib import Path

import numpy as np

import kronlap as kl


def worker(shape, bc, repeat):
    """Run under mpiexec: time the distributed solve; rank 0 prints one JSON line."""
    from mpi4py import MPI

    from kronlap.distributed import PoissonSolver

    comm = MPI.COMM_WORLD
    grid = kl.Grid(shape, bc=bc)
    start = time.perf_counter()
    solver = PoissonSolver(grid, comm=comm, planner_effort="FFTW_MEASURE")
    setup = comm.allreduce(time.perf_counter() - start, op=MPI.MAX)
    f = np.random.default_rng(comm.Get_rank()).standard_normal(solver.local_shape)
    if grid.is_singular:
        f -= comm.allreduce(f.sum()) / grid.size
    times = [_slowest_rank(comm, lambda: solver.solve(f)) for _ in range(repeat)]
    coefficients = solver._transform.coefficients
    size = comm.Get_size()
    # One all-to-all of a coefficient-sized block: what one transpose moves.
    largest = comm.allreduce(coefficients.nbytes, op=MPI.MAX)
    send = np.ones(max(1, largest // (8 * size)) * size)
    recv = np.empty_like(send)
    bandwidth = []
    for _ in range(5):
        elapsed = _slowest_rank(comm, lambda: comm.Alltoall(send, recv))
        bandwidth.append(send.nbytes * (size - 1) / size / elapsed if size > 1 else 0.0)
    transposes = sum(1 for p in solver.process_grid if p > 1)  # per transform, each way
    moved = comm.allreduce(coefficients.nbytes, op=MPI.SUM) * 2 * transposes
    solver.close()
    # The serial solver on the same grid, timed in this run right after: on a
    # shared machine, times taken far apart are not comparable.
    serial = serial_time(shape, bc, repeat) if comm.Get_rank() == 0 else None
    comm.Barrier()
    if comm.Get_rank() == 0:
        print(
            json.dumps(
                {
                    "ranks": size,
                    "shape": list(shape),
                    "bc": bc,
                    "setup": setup,
                    "solve": min(times),
                    "serial": serial,
                    "decomposition": solver.decomposition,
                    "process_grid": list(solver.process_grid),
                    "sweeps": solver.tridiagonal_axis,
                    "alltoall_GBps_per_rank": float(np.median(bandwidth)) / 1e9,
                    "bytes_moved_per_solve": moved * (size - 1) / size,
                }
            )
        )


def checkerboard(*mesh):
    """Contrast 100 on alternate tiles of an 8-per-axis board."""
    parity = sum(np.floor(x * 8).astype(int) for x in mesh) % 2
    return np.where(parity == 1, 100.0, 1.0)


def multigrid_worker(shape, repeat):
    """Run under mpiexec: time the PETSc multigrid path; rank 0 prints one JSON line."""
    from mpi4py import MPI

    from kronlap.distributed import PoissonSolver

    comm = MPI.COMM_WORLD
    grid = kl.Grid(shape)
    comm.Barrier()
    start = time.perf_counter()
    solver = PoissonSolver(grid, method="multigrid", coeff=checkerboard, tol=1e-8, comm=comm)
    comm.Barrier()
    setup = comm.allreduce(time.perf_counter() - start, op=MPI.MAX)
    f = np.ones(solver.local_shape)
    times = [_slowest_rank(comm, lambda: solver.solve(f)) for _ in range(repeat)]
    record = {
        "ranks": comm.Get_size(),
        "shape": list(shape),
        "process_grid": list(solver.process_grid),
        "setup": setup,
        "solve": min(times),
        "iterations": solver.info["iterations"],
        "residual": solver.info["residual"],
    }
    solver.close()
    if comm.Get_rank() == 0:
        serial = kl.PoissonSolver(grid, method="gmg", coeff=checkerboard, tol=1e-8)
        full = np.ones(shape)
        best = min(_timed(lambda: serial.solve(full)) for _ in range(max(1, repeat // 2)))
        record.update(serial=best, serial_iterations=serial.info["iterations"])
        print(json.dumps(record), flush=True)


def _timed(call):
    start = time.perf_counter()
    call()
    return time.perf_counter() - start


def _slowest_rank(comm, call):
    """``call()``'s time on the slowest rank, the ranks starting together."""
    from mpi4py import MPI

    comm.Barrier()
    return comm.allreduce(_timed(call), op=MPI.MAX)


def _scaling(runs, cores, weak):
    """Per run: ``(run, ranks, speedup, note)``, the speedup over the first run's solve."""
    base = runs[0]["solve"]
    for run in runs:
        ranks = run["ranks"]
        speedup = base / run["solve"] * (ranks if weak else 1)
        yield run, ranks, speedup, " (oversubscribed)" if ranks > cores else ""


def _speedup_meaning(weak):
    return "weak scaling: speedup = P t(1) / t(P)" if weak else "speedup = t(1) / t(P)"


def multigrid_report(title, runs, cores, weak):
    print(f"\n{title}")
    print(
        f"{'ranks':>5} {'grid':>14} {'procs':>7} {'setup s':>8} {'solve s':>8} {'its':>4} "
        f"{'speedup':>8} {'effic.':>7} {'gmg s':>7} {'gmg its':>7} {'vs gmg':>7}"
    )
    for run, ranks, speedup, note in _scaling(runs, cores, weak):
        print(
            f"{ranks:>5} {'x'.join(map(str, run['shape'])):>14} "
            f"{'x'.join(map(str, run['process_grid'])):>7} {run['setup']:8.3f} "
            f"{run['solve']:8.3f} {run['iterations']:4d} {speedup:8.2f} {speedup / ranks:7.2f} "
            f"{run['serial']:7.3f} {run['serial_iterations']:7d} "
            f"{run['solve'] / run['serial']:7.2f}{note}"
        )
    versus = "vs gmg = t(P) / serial method='gmg' solve time on the same grid"
    print(f"({_speedup_meaning(weak)}; {versus})")


def serial_time(shape, bc, repeat):
    grid = kl.Grid(shape, bc=bc)
    solver = kl.PoissonSolver(grid, method="fft", workers=1)
    f = np.random.default_rng(0).standard_normal(shape)
    if grid.is_singular:
        f -= f.mean()
    return min(_timed(lambda: solver.solve(f)) for _ in range(repeat))


def launch(ranks, shape, bc, repeat, path="spectral"):
    scripts = Path(sysconfig.get_path("scripts"))
    mpiexec = str(scripts / "mpiexec") if (scripts / "mpiexec").exists() else "mpiexec"
    env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1")
    command = [
        mpiexec,
        "-n",
        str(ranks),
        sys.executable,
        __file__,
        "--worker",
        "--shape",
        *map(str, shape),
        "--bc",
        bc,
        "--repeat",
        str(repeat),
        "--path",
        path,
    ]
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def report(title, runs, cores, weak):
    print(f"\n{title}")
    print(
        f"{'ranks':>5} {'grid':>16} {'layout':>17} {'setup s':>8} {'solve s':>8} "
        f"{'speedup':>8} {'effic.':>7} {'vs serial':>9} {'a2a GB/s':>9} {'MB moved':>9}"
    )
    for run, ranks, speedup, note in _scaling(runs, cores, weak):
        layout = f"{run['decomposition']} {'x'.join(map(str, run['process_grid']))}"
        if run["sweeps"] is not None:
            layout += f" T{run['sweeps']}"  # tridiagonal sweeps along this axis
        print(
            f"{ranks:>5} {'x'.join(map(str, run['shape'])):>16} {layout:>17} "
            f"{run['setup']:8.3f} {run['solve']:8.4f} {speedup:8.2f} {speedup / ranks:7.2f} "
            f"{run['solve'] / run['serial']:9.2f} {run['alltoall_GBps_per_rank']:9.2f} "
            f"{run['bytes_moved_per_solve'] / 1e6:9.1f}{note}"
        )
    versus = "vs serial = t(P) / kronlap.PoissonSolver time on the same grid, 1 thread"
    print(f"({_speedup_meaning(weak)}; {versus})")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--shape", type=int, nargs="+", help=argparse.SUPPRESS)
    parser.add_argument("--bc", default="periodic", help=argparse.SUPPRESS)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--ranks", type=int, nargs="+", default=[1, 2, 4])
    parser.add_argument("--path", choices=["spectral", "multigrid"], default="spectral")
    args = parser.parse_args(argv)
    if args.worker:
        if args.path == "multigrid":
            multigrid_worker(tuple(args.shape), args.repeat)
        else:
            worker(tuple(args.shape), args.bc, args.repeat)
        return
    cores = os.cpu_count()
    if args.path == "multigrid":
        print(f"kronlap.distributed multigrid (PETSc) on {cores} cores (machine shared)")
        for title, shapes, weak in [
            ("strong scaling, checkerboard 1024^2", [(1024, 1024)] * len(args.ranks), False),
            ("strong scaling, checkerboard 128^3", [(128, 128, 128)] * len(args.ranks), False),
            (
                "weak scaling, checkerboard, 256 x 512 per rank",
                [(256 * p, 512) for p in args.ranks],
                True,
            ),
        ]:
            runs = [
                launch(p, shape, "dirichlet", args.repeat, "multigrid")
                for p, shape in zip(args.ranks, shapes)
            ]
            multigrid_report(title, runs, cores, weak)
        return
    print(f"kronlap.distributed scaling on {cores} cores (machine shared; one run each)")
    for title, bc, shapes, weak in [
        ("strong scaling, periodic 128^3", "periodic", [(128, 128, 128)] * len(args.ranks), False),
        (
            "strong scaling, dirichlet 127^3",
            "dirichlet",
            [(127, 127, 127)] * len(args.ranks),
            False,
        ),
        (
            "weak scaling, periodic, 64 x 128 x 128 per rank",
            "periodic",
            [(64 * p, 128, 128) for p in args.ranks],
            True,
        ),
    ]:
        runs = [launch(p, shape, bc, args.repeat) for p, shape in zip(args.ranks, shapes)]
        report(title, runs, cores, weak)


if __name__ == "__main__":
    main()
