"""Order 2 against order 4: error and solve time from 64^2 to 2048^2.

A smooth 2D Dirichlet problem with boundary data on the unit square,
``u = exp(x/2 + y) sin(pi x + 2 y + 0.3)``, solved with the 5-point
Laplacian (order 2) and the compact 9-point scheme (order 4) by the
spectral method. For each size it prints the max error of both and the
best of ``--repeat`` solve times (a solver set up once; the time of a
solve includes folding the boundary data into the right-hand side, and
for order 4 building ``M f``), run in turn so that load hits both alike,
and at the end the ratio of the order-4 to the order-2 solve time at the
largest size. Targets (issue): order 4 reaches error <= 1e-9 at 256^2
(order 2: about 3e-5), and its solve costs at most 1.3x the order-2 solve
at 2048^2.

Then FISHPACK's SEPX4 test problem (tsepx4.f: ``(x+1)^2 u_xx + 2(x+1) u_x
- x u + u_yy = g``, Robin sides in x, Dirichlet in y, ``u = (xy)^3 + 1``),
which kronlap solves as a separable coefficient and shift, at second order
and at fourth order by deferred correction, from h = 1/16 to 1/256: the
relative errors beside those tsepx4.f prints for h = 1/32 (1.5985e-4 and
1.8575e-6), and the solve times.

Run: ``python benchmarks/bench_fourth_order.py [--sizes 64 128 ...] [--repeat 3]``.
"""

from __future__ import annotations

import argparse
import time
from functools import partial

import numpy as np

import kronlap as kl

EXPONENTS = (0.5 + 1j * np.pi, 1.0 + 2j)


def exact(x, y):
    return np.exp(EXPONENTS[0] * x + EXPONENTS[1] * y + 0.3j).imag


def laplacian_of_exact(x, y):
    z2 = sum(e * e for e in EXPONENTS)
    return (z2 * np.exp(EXPONENTS[0] * x + EXPONENTS[1] * y + 0.3j)).imag


def make_solver(grid, order):
    """The spectral solver of ``order`` (the facade, as a user calls it)."""
    return kl.PoissonSolver(grid, method="fft", order=order)


def best_times(fns, repeat):
    """Best time of each of ``fns``, run in turn so that load hits all alike."""
    times = [[] for _ in fns]
    for _ in range(repeat):
        for fn, record in zip(fns, times):
            start = time.perf_counter()
            fn()
            record.append(time.perf_counter() - start)
    return [min(record) for record in times]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[64, 128, 256, 512, 1024, 2048])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    print(
        f"{'n':>6} {'error 2':>10} {'error 4':>10} {'solve 2 [s]':>12} {'solve 4 [s]':>12} "
        f"{'ratio':>6}"
    )
    ratio = None
    for n in args.sizes:
        grid = kl.Grid((n, n))
        x, y = grid.mesh()
        xs, ys = grid.coords
        boundary = {
            (0, 0): exact(0.0, ys),
            (0, 1): exact(1.0, ys),
            (1, 0): exact(xs, 0.0),
            (1, 1): exact(xs, 1.0),
        }
        f, u = laplacian_of_exact(x, y), exact(x, y)
        solvers = [make_solver(grid, order) for order in (2, 4)]
        errors = [np.abs(s.solve(f, boundary=boundary) - u).max() for s in solvers]
        times = best_times([partial(s.solve, f, boundary=boundary) for s in solvers], args.repeat)
        ratio = times[1] / times[0]
        print(
            f"{n:>6} {errors[0]:>10.2e} {errors[1]:>10.2e} {times[0]:>12.4f} "
            f"{times[1]:>12.4f} {ratio:>6.2f}"
        )
    print(f"order-4 / order-2 solve time at {args.sizes[-1]}^2: {ratio:.2f} (target <= 1.3)")
    sepx4(args.repeat)


def sepx4(repeat):
    """FISHPACK's SEPX4 problem at second and fourth order (deferred correction)."""
    print()
    print("FISHPACK SEPX4 problem (tsepx4.f prints 1.5985e-04 and 1.8575e-06 at h = 1/32)")
    print(
        f"{'1/h':>6} {'error 2':>10} {'error 4':>10} {'corrections':>11} "
        f"{'solve 2 [s]':>12} {'solve 4 [s]':>12}"
    )
    for m in (16, 32, 64, 128, 256):
        grid = kl.Grid((m, m - 1), bc=[(("robin", -1.0), ("robin", 1.0)), "dirichlet"])
        x, y = grid.mesh()
        u = (x * y) ** 3 + 1
        f = (x + 1) ** 2 * 6 * x * y**3 + 2 * (x + 1) * 3 * x**2 * y**3 - x * u + 6 * x**3 * y
        xs, ys = grid.coords
        boundary = {(0, 0): -np.ones_like(ys), (0, 1): 4 * ys**3 + 1}
        boundary.update({(1, 0): 1.0, (1, 1): xs**3 + 1})
        options = {"coeff": [lambda s: (s + 1) ** 2, 1.0], "shift": [lambda s: s, 0.0]}
        solvers = [kl.PoissonSolver(grid, order=order, **options) for order in (2, 4)]
        errors = [np.abs((s.solve(f, boundary=boundary) - u) / u).max() for s in solvers]
        times = best_times([partial(s.solve, f, boundary=boundary) for s in solvers], repeat)
        print(
            f"{m:>6} {errors[0]:>10.2e} {errors[1]:>10.2e} "
            f"{solvers[1].info['corrections']:>11} {times[0]:>12.4f} {times[1]:>12.4f}"
        )


if __name__ == "__main__":
    main()
