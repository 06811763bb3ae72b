"""Foundation benchmark: spectral solve vs the bare transform pair; assembly.

Prints, measured in one run (median of ``--repeat`` runs each):

* a reused ``PoissonSolver``'s solve time divided by the time of the bare
  full transform pair on the same array (``dstn``+``idstn`` type 1 for
  Dirichlet, ``dctn``+``idctn`` type 2 for Neumann, ``rfftn``+``irfftn`` for
  periodic), for 2048^2, 2047^2 and 256^3. Targets: <= 1.0 for
  Dirichlet/Neumann, <= 1.2 for periodic.
* the time to assemble the 2048^2 Laplacian as CSR against
  ``pyamg.gallery.poisson`` and ``scipy.sparse.kronsum``.

Run: ``python benchmarks/bench_foundation.py [--small] [--repeat N]``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

import numpy as np
import pyamg
import scipy.fft as fft
import scipy.sparse as sp

import kronlap as kl


def median_time(fn, repeat):
    return median_times([fn], repeat)[0]


def median_times(fns, repeat):
    """Median time of each of ``fns``, run in turn so that load hits all alike."""
    for fn in fns:
        fn()  # warm up: page faults, plans
    times = [[] for _ in fns]
    for _ in range(repeat):
        for fn, record in zip(fns, times):
            start = time.perf_counter()
            fn()
            record.append(time.perf_counter() - start)
    return [statistics.median(record) for record in times]


def bare_pair(bc, x, workers):
    if bc == "dirichlet":
        return fft.idstn(fft.dstn(x, type=1, workers=workers), type=1, workers=workers)
    if bc == "neumann":
        return fft.idctn(fft.dctn(x, type=2, workers=workers), type=2, workers=workers)
    return fft.irfftn(fft.rfftn(x, workers=workers), s=x.shape, workers=workers)


def bench_solve(shapes, repeat, workers, fft_backend=None):
    print(f"{'shape':>16} {'bc':>10} {'solve [s]':>10} {'pair [s]':>10} {'ratio':>7} "
          f"{'target':>7}  strategy")
    rng = np.random.default_rng(0)
    for shape in shapes:
        f = rng.standard_normal(shape)
        for bc in ("dirichlet", "neumann", "periodic"):
            grid = kl.Grid(shape, bc=bc)
            rhs = f - f.mean() if grid.is_singular else f
            solver = kl.PoissonSolver(grid, workers=workers, fft_backend=fft_backend)
            t_solve, t_pair = median_times(
                [lambda s=solver, r=rhs: s.solve(r), lambda b=bc, r=rhs: bare_pair(b, r, workers)],
                repeat,
            )
            target = 1.2 if bc == "periodic" else 1.0
            axis = solver.info["tridiagonal_axis"]
            strategy = "transforms" if axis is None else f"tridiagonal sweeps on axis {axis}"
            ratio = t_solve / t_pair
            flag = "ok" if ratio <= target else "MISSED"
            print(f"{str(shape):>16} {bc:>10} {t_solve:10.4f} {t_pair:10.4f} {ratio:7.2f} "
                  f"{target:7.1f}  {strategy} [{flag}]")


def bench_assembly(n, repeat):
    grid = kl.Grid((n, n), lengths=n + 1.0)  # h = 1, same matrix as pyamg's (negated)
    t_ours = median_time(lambda: kl.laplacian(grid), repeat)
    t_pyamg = median_time(lambda: pyamg.gallery.poisson((n, n), format="csr"), repeat)
    T = sp.diags_array([-1.0, 2.0, -1.0], offsets=[-1, 0, 1], shape=(n, n))
    t_kronsum = median_time(lambda: sp.kronsum(T, T, format="csr"), repeat)
    assert abs(kl.laplacian(grid) + pyamg.gallery.poisson((n, n), format="csr")).max() == 0
    print(f"assembly {n}x{n} CSR: kronlap {t_ours:.3f} s, pyamg.gallery.poisson "
          f"{t_pyamg:.3f} s (ratio {t_ours / t_pyamg:.2f}), scipy.sparse.kronsum "
          f"{t_kronsum:.3f} s (ratio {t_ours / t_kronsum:.2f})")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", action="store_true", help="quick run on small grids")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--workers", type=int, default=os.cpu_count())
    parser.add_argument("--fft-backend", choices=["scipy", "pyfftw"], default="scipy",
                        help="backend of the solver's transforms (the pair stays scipy's)")
    args = parser.parse_args(argv)
    if args.small:
        shapes, n = [(256, 256), (255, 255), (32, 32, 32)], 256
    else:
        shapes, n = [(2048, 2048), (2047, 2047), (256, 256, 256)], 2048
    print(f"kronlap {kl.__version__}, numpy {np.__version__}, {os.cpu_count()} CPUs, "
          f"workers={args.workers}, median of {args.repeat}")
    if args.fft_backend == "pyfftw":
        import pyfftw

        # Global pyFFTW settings belong to the caller, here the benchmark.
        pyfftw.interfaces.cache.enable()
        pyfftw.interfaces.cache.set_keepalive_time(600)
        pyfftw.config.PLANNER_EFFORT = "FFTW_MEASURE"
    print(f"solver transforms: {args.fft_backend}; bare pair: scipy.fft")
    bench_solve(shapes, args.repeat, args.workers, args.fft_backend)
    bench_assembly(n, args.repeat)


if __name__ == "__main__":
    main()
