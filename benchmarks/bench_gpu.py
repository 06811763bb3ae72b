"""GPU benchmark: spectral solve on the GPU vs the bare cuFFT pair, and vs the CPU solve.

Prints, measured in one run (median of ``--repeat`` runs each, the GPU
timed between device synchronizations, data already on the device):

* the GPU spectral solve (``kronlap.spectral.SpectralSolver`` on cupy, and
  the public ``PoissonSolver(..., backend="cupy").solve`` with its input
  checks) divided by the bare cuFFT pair ``rfftn`` + ``irfftn`` on the same
  array, for 2D 4096^2 and 3D 256^3 and each boundary kind. Target
  <= 1.5. Dirichlet axes pay for the DST-I, an ``rfft`` of the odd
  extension of twice the length, as scipy's pocketfft does on the CPU;
* the CPU solve (``PoissonSolver``, scipy.fft with all cores) divided by
  the GPU solve: the speedup.

Run: ``python benchmarks/bench_gpu.py [--small] [--repeat N] [--dtype float32]``.
Without cupy or a visible GPU it says so and exits with status 1.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

import numpy as np

import kronlap as kl
from kronlap.spectral import SpectralSolver


def gpu_or_exit():
    """cupy and cupyx.scipy.fft, or exit with a message saying what is missing."""
    try:
        import cupy
    except ImportError:
        sys.exit("bench_gpu: cupy is not installed (pip install 'kronlap[gpu]'); nothing measured")
    if not cupy.is_available():
        sys.exit("bench_gpu: no CUDA GPU is visible to cupy; nothing measured")
    import cupyx.scipy.fft

    return cupy, cupyx.scipy.fft


def median_times(fns, repeat, synchronize):
    """Median wall time of each of ``fns``, run in turn, each between synchronizations."""
    for fn in fns:
        fn()  # warm up: cuFFT plans, kernels compiled, memory pool filled
    synchronize()
    times = [[] for _ in fns]
    for _ in range(repeat):
        for fn, record in zip(fns, times):
            synchronize()
            start = time.perf_counter()
            fn()
            synchronize()
            record.append(time.perf_counter() - start)
    return [statistics.median(record) for record in times]


def public_solver(grid, cupy):
    """``PoissonSolver`` on the GPU, or None where solvers.py has no ``backend`` yet."""
    try:
        return kl.PoissonSolver(grid, backend="cupy")
    except TypeError:
        return None


def bench(shapes, repeat, dtype, cupy, cufft):
    synchronize = cupy.cuda.Device().synchronize
    print(
        f"{'shape':>14} {'bc':>10} {'core [s]':>9} {'public [s]':>10} {'pair [s]':>9} "
        f"{'ratio':>6} {'target':>6} {'CPU [s]':>8} {'speedup':>8}"
    )
    rng = np.random.default_rng(0)
    for shape in shapes:
        host = rng.standard_normal(shape).astype(dtype)
        for bc in ("dirichlet", "neumann", "periodic"):
            grid = kl.Grid(shape, bc=bc)
            f_host = host - host.mean() if grid.is_singular else host
            f = cupy.asarray(f_host)
            core = SpectralSolver(grid, xp=cupy)
            public = public_solver(grid, cupy)
            fns = [
                lambda s=core, x=f: s.solve(x),
                lambda x=f: cufft.irfftn(cufft.rfftn(x), s=x.shape),
            ]
            if public is not None:
                fns.append(lambda s=public, x=f: s.solve(x))
            t_core, t_pair, *t_public = median_times(fns, repeat, synchronize)
            cpu = kl.PoissonSolver(grid, workers=-1)
            (t_cpu,) = median_times(
                [lambda s=cpu, x=f_host: s.solve(x)], max(1, repeat // 2), lambda: None
            )
            reference = cpu.solve(f_host)
            error = float(abs(cupy.asnumpy(core.solve(f)) - reference).max())
            scale = float(abs(reference).max())
            ratio = t_core / t_pair
            flag = "ok" if ratio <= 1.5 else "MISSED"
            public_text = f"{t_public[0]:10.4f}" if t_public else f"{'n/a':>10}"
            print(
                f"{str(shape):>14} {bc:>10} {t_core:9.4f} {public_text} {t_pair:9.4f} "
                f"{ratio:6.2f} {1.5:6.1f} {t_cpu:8.3f} {t_cpu / t_core:7.1f}x  [{flag}] "
                f"max|GPU-CPU|/max|u| = {error / scale:.1e}"
            )
            del core, public, f
            cupy.get_default_memory_pool().free_all_blocks()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", action="store_true", help="quick run on small grids")
    parser.add_argument("--repeat", type=int, default=10)
    parser.add_argument("--dtype", choices=["float64", "float32"], default="float64")
    args = parser.parse_args(argv)
    cupy, cufft = gpu_or_exit()
    shapes = [(512, 512), (64, 64, 64)] if args.small else [(4096, 4096), (256, 256, 256)]
    device = cupy.cuda.runtime.getDeviceProperties(cupy.cuda.Device().id)["name"].decode()
    print(
        f"kronlap {kl.__version__}, cupy {cupy.__version__}, GPU {device}, "
        f"{os.cpu_count()} CPUs for the CPU solve, {args.dtype}, median of {args.repeat}"
    )
    print(
        "core: SpectralSolver(xp=cupy).solve; public: PoissonSolver(backend='cupy').solve "
        "(adds input checks); pair: cupyx rfftn + irfftn; ratio = core / pair; "
        "speedup = CPU / core"
    )
    bench(shapes, args.repeat, np.dtype(args.dtype), cupy, cufft)


if __name__ == "__main__":
    main()
