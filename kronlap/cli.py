"""The ``kronlap`` command: ``demo``, ``compare`` and ``scaling``."""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from .compare import (
    KRONLAP_METHODS,
    PEER_METHODS,
    compare,
    format_table,
    manufactured_problem,
    scaling,
)
from .grid import Grid

ALL_METHODS = KRONLAP_METHODS + PEER_METHODS
DEMO_BC = ["dirichlet", ("dirichlet", "neumann")]


def _bc_spec(text: str):
    """``dirichlet`` or ``low:high`` (e.g. ``dirichlet:neumann``) for one axis."""
    parts = text.lower().split(":")
    if len(parts) == 1:
        return parts[0]
    if len(parts) == 2:
        return tuple(parts)
    raise argparse.ArgumentTypeError(f"bad boundary condition {text!r}: use KIND or LOW:HIGH")


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text}")
    return value


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="kronlap",
        description="Poisson solvers on rectangular grids built on Kronecker sums.",
    )
    sub = parser.add_subparsers(dest="command", required=True)

    demo = sub.add_parser("demo", help="solve a 2D Poisson problem with every method, "
                          "print the comparison, write pictures")
    demo.add_argument("--out", type=Path, default=Path("kronlap-demo"),
                      help="output directory (default: kronlap-demo)")
    demo.add_argument("--size", type=_positive_int, default=256,
                      help="unknowns per axis of the compared problem (default 256)")
    demo.add_argument("--scaling-sizes", type=_positive_int, nargs="+",
                      default=[63, 127, 255, 511, 1023],
                      help="sizes for the scaling plot (2**k - 1: fast DST-I)")

    cmp_ = sub.add_parser("compare", help="run solvers on one problem and compare them")
    cmp_.add_argument("--shape", type=_positive_int, nargs="+", default=[256, 256],
                      help="grid shape (default 256 256)")
    cmp_.add_argument("--bc", type=_bc_spec, nargs="+", default=["dirichlet"],
                      help="one spec for all axes or one per axis: KIND or LOW:HIGH, "
                      "KIND in dirichlet, neumann, periodic")
    cmp_.add_argument("--methods", nargs="+", choices=ALL_METHODS, default=list(ALL_METHODS),
                      metavar="METHOD", help=f"among {', '.join(ALL_METHODS)} (default all)")
    cmp_.add_argument("--shift", type=float, default=0.0, help="solve (Delta_h - S) u = f")
    cmp_.add_argument("--coeff", choices=["none", "smooth"], default="none",
                      help="variable coefficient div(a grad u) with a smooth a")
    cmp_.add_argument("--repeat", type=_positive_int, default=3,
                      help="solves per method; the median is reported")
    cmp_.add_argument("--tol", type=float, default=1e-10, help="relative residual target")
    cmp_.add_argument("--json", type=Path, help="write the records to this JSON file")
    cmp_.add_argument("--plot", type=Path, help="write a bar chart of the times here")

    scale = sub.add_parser("scaling", help="time against unknowns, with fitted slopes")
    scale.add_argument("--sizes", type=_positive_int, nargs="+",
                       default=[63, 127, 255, 511, 1023],
                       help="unknowns per axis (default 2**k - 1: h = 2**-k on Dirichlet "
                       "axes, where the DST-I has its fast length 2**(k+1))")
    scale.add_argument("--dim", type=int, choices=[1, 2, 3], default=2)
    scale.add_argument("--bc", type=_bc_spec, default="dirichlet",
                       help="KIND or LOW:HIGH for every axis")
    scale.add_argument("--methods", nargs="+", choices=ALL_METHODS,
                       default=["fft", "multigrid", "gmg", "cg", "direct", "pyamg"],
                       metavar="METHOD")
    scale.add_argument("--json", type=Path, help="write the records to this JSON file")
    scale.add_argument("--plot", type=Path, help="write the log-log plot here")
    return parser


def _grid_bc(bcs, ndim):
    if len(bcs) == 1:
        return bcs[0] if isinstance(bcs[0], str) else [bcs[0]] * ndim
    if len(bcs) != ndim:
        raise ValueError(f"--bc needs 1 or {ndim} specs, got {len(bcs)}")
    return list(bcs)


def _write_json(records, path: Path):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(records, indent=2))
    print(f"wrote {path}")


def _print_slopes(slopes):
    print("fitted slope of log(time) against log(unknowns) over the largest sizes "
          "(1: linear, a little above 1: N log N, 1.5: N^1.5):")
    for method, slope in slopes.items():
        print(f"  {method:<10} {slope:5.2f}")


def _run_compare(args):
    from . import plotting

    grid = Grid(tuple(args.shape), bc=_grid_bc(args.bc, len(args.shape)))
    coeff = None if args.coeff == "none" else args.coeff
    print(f"{grid}, shift={args.shift}, coeff={coeff}, median of {args.repeat} solve(s)")
    records = compare(grid, args.methods, shift=args.shift, coeff=coeff,
                      repeat=args.repeat, tol=args.tol, progress=sys.stderr.isatty())
    print(format_table(records))
    if args.json:
        _write_json(records, args.json)
    if args.plot:
        plotting.plot_comparison(records, args.plot, title=f"grid {grid.shape}")
        print(f"wrote {args.plot}")


def _run_scaling(args):
    from . import plotting

    records, slopes = scaling(args.sizes, args.dim, args.methods, bc=args.bc,
                              progress=sys.stderr.isatty())
    for record in records:
        if record["status"] != "ok":
            print(f"{record['method']} on {record['shape']}: not run: {record['reason']}")
    _print_slopes(slopes)
    if args.json:
        _write_json(records, args.json)
    if args.plot:
        args.plot.parent.mkdir(parents=True, exist_ok=True)
        plotting.plot_scaling(records, slopes, args.plot,
                              title=f"{args.dim}D {args.bc}: setup + solve time")
        print(f"wrote {args.plot}")


def _run_demo(args):
    from . import plotting
    from .solvers import solve_poisson

    start = time.perf_counter()
    out = args.out
    out.mkdir(parents=True, exist_ok=True)
    grid = Grid((args.size, args.size), bc=DEMO_BC)
    print(f"kronlap demo: Delta u = f on the unit square, {grid.shape} unknowns, "
          f"Dirichlet on x = 0, 1 and y = 0, Neumann on y = 1, exact solution known")
    records = compare(grid, list(ALL_METHODS), repeat=3, progress=sys.stderr.isatty())
    print(format_table(records))
    print("(* fastest; residual = ||b - A u|| / ||b||; max error against the exact "
          "solution is the second-order discretization error, the same for every "
          "method that solved the system)")
    _write_json(records, out / "compare.json")
    plotting.plot_comparison(records, out / "compare.png", title=f"grid {grid.shape}")
    print(f"wrote {out / 'compare.png'}")

    f, boundary, exact, _ = manufactured_problem(grid)
    u = solve_poisson(f, grid, boundary=boundary)
    plotting.plot_solution(grid, u, exact, out / "solution.png",
                           title="kronlap.solve_poisson")
    print(f"wrote {out / 'solution.png'}")

    records, slopes = scaling(args.scaling_sizes, 2, ["fft", "gmg", "multigrid", "direct"],
                              bc="dirichlet", progress=sys.stderr.isatty())
    _print_slopes(slopes)
    plotting.plot_scaling(records, slopes, out / "scaling.png",
                          title="2D Dirichlet Poisson: setup + solve time")
    print(f"wrote {out / 'scaling.png'}")
    print(f"demo finished in {time.perf_counter() - start:.1f} s")


def main(argv=None) -> int:
    """Entry point of the ``kronlap`` command; returns the exit status."""
    parser = _parser()
    args = parser.parse_args(argv)
    runners = {"demo": _run_demo, "compare": _run_compare, "scaling": _run_scaling}
    try:
        runners[args.command](args)
    except (ValueError, TypeError) as exc:
        parser.error(str(exc))
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
