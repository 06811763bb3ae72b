"""The ``kronlap`` command: ``demo``, ``compare`` and ``scaling``."""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time
from pathlib import Path

from ..grid import Grid
from .comparison import (
    KRONLAP_METHODS,
    PEER_METHODS,
    check_comparison_memory,
    compare,
    format_table,
    manufactured_problem,
    scaling,
)

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


def _argument(convert, accept, expected: str):
    """An argparse type: ``convert(text)`` unless ``accept`` refuses it (naming ``expected``)."""

    def parse(text: str):
        try:
            value = convert(text)
        except ValueError:
            value = None
        if value is None or not accept(value):
            raise argparse.ArgumentTypeError(f"expected {expected}, got {text!r}")
        return value

    return parse


_positive_int = _argument(int, lambda n: n >= 1, "a positive integer")
# Unknowns per axis of a scaling run: the comparison needs at least 2.
_grid_size = _argument(int, lambda n: n >= 2, "an integer >= 2")
_finite_float = _argument(float, math.isfinite, "a finite number")


def _tolerance(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not 0 < value < 1:
        raise argparse.ArgumentTypeError(
            f"expected a relative residual target in (0, 1), such as 1e-10, got {text!r}"
        )
    return value


class _UsageError(Exception):
    """A bad argument found after parsing: ``argument OPTION: what was expected``."""

    def __init__(self, option: str, message: str):
        super().__init__(f"argument {option}: {message}")


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
    demo.add_argument("--scaling-sizes", type=_grid_size, nargs="+",
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
    cmp_.add_argument("--shift", type=_finite_float, default=0.0,
                      help="solve (Delta_h - S) u = f")
    cmp_.add_argument("--coeff", choices=["none", "smooth"], default="none",
                      help="variable coefficient div(a grad u) with a smooth a")
    cmp_.add_argument("--repeat", type=_positive_int, default=3,
                      help="solves per method; the median is reported")
    cmp_.add_argument("--tol", type=_tolerance, default=1e-10,
                      help="relative residual target, in (0, 1) (default 1e-10)")
    cmp_.add_argument("--json", type=Path, help="write the records to this JSON file "
                      "(its directory must exist)")
    cmp_.add_argument("--plot", type=Path, help="write a bar chart of the times here "
                      "(format from the extension; none: .png)")

    scale = sub.add_parser("scaling", help="time against unknowns, with fitted slopes")
    scale.add_argument("--sizes", type=_grid_size, nargs="+",
                       default=[63, 127, 255, 511, 1023],
                       help="unknowns per axis (default 2**k - 1: h = 2**-k on Dirichlet "
                       "axes, where the DST-I has its fast length 2**(k+1))")
    scale.add_argument("--dim", type=int, choices=[1, 2, 3], default=2)
    scale.add_argument("--bc", type=_bc_spec, default="dirichlet",
                       help="KIND or LOW:HIGH for every axis")
    scale.add_argument("--methods", nargs="+", choices=ALL_METHODS,
                       default=["fft", "multigrid", "gmg", "cg", "direct", "pyamg"],
                       metavar="METHOD")
    scale.add_argument("--json", type=Path, help="write the records to this JSON file "
                       "(its directory must exist)")
    scale.add_argument("--plot", type=Path, help="write the log-log plot here "
                       "(format from the extension; none: .png)")
    for sub_parser in (demo, cmp_, scale):
        sub_parser.set_defaults(command_parser=sub_parser)
    return parser


def _grid_bc(bcs, ndim):
    if len(bcs) == 1:
        return bcs[0] if isinstance(bcs[0], str) else [bcs[0]] * ndim
    if len(bcs) != ndim:
        raise _UsageError("--bc", f"expected 1 or {ndim} specs (one per axis), got {len(bcs)}")
    return list(bcs)


def _make_grid(shape, bc, option="--bc") -> Grid:
    try:
        return Grid(tuple(shape), bc=bc)
    except (ValueError, TypeError) as exc:
        raise _UsageError(option, str(exc)) from None


def _directory_problem(path: Path) -> str | None:
    """Why files cannot be made in the directory ``path``, or None."""
    if not path.exists():
        return f"directory {path} does not exist"
    if not path.is_dir():
        return f"{path} is not a directory"
    if not os.access(path, os.W_OK | os.X_OK):
        return f"directory {path} is not writable"
    return None


def _check_output_file(path: Path, option: str) -> Path:
    """Refuse, before any work, a file that cannot be written: a directory, no parent."""
    if path.is_dir():
        raise _UsageError(option, f"{path} is a directory; expected a file name")
    problem = _directory_problem(path.parent)
    if problem:
        raise _UsageError(option, f"cannot write {path}: {problem}")
    return path


def _check_plot(path: Path | None, option: str = "--plot") -> Path | None:
    """The file a plot will be written to (``.png`` added to a bare name), checked."""
    if path is None:
        return None
    from .plotting import output_path

    try:
        real = output_path(path)
    except ValueError as exc:
        raise _UsageError(option, str(exc)) from None
    return _check_output_file(real, option)


def _check_output_dir(path: Path, option: str, names=()) -> None:
    """A directory that exists or can be made, with no directory where a file goes."""
    if path.exists() and not path.is_dir():
        raise _UsageError(option, f"{path} exists and is not a directory; expected an "
                          "output directory")
    if path.is_dir():
        problem = _directory_problem(path)
        if problem:
            raise _UsageError(option, problem)
        for name in names:
            if (path / name).is_dir():
                raise _UsageError(option, f"{path / name} is a directory, where the demo "
                                  "writes a file")
        return
    ancestor = path.parent
    while not ancestor.exists() and ancestor != ancestor.parent:
        ancestor = ancestor.parent
    problem = _directory_problem(ancestor)
    if problem:
        raise _UsageError(option, f"cannot create {path}: {problem}")


def _check_memory(grid: Grid, option: str, coeff=None) -> None:
    try:
        check_comparison_memory(grid, coeff)
    except MemoryError as exc:
        raise _UsageError(option, str(exc)) from None


def _write_json(records, path: Path):
    path.write_text(json.dumps(records, indent=2))
    print(f"wrote {path}")


def _all_failed(records, args, what="every method failed") -> int:
    if any(r["status"] == "ok" for r in records):
        return 0
    print(f"{args.command_parser.prog}: error: {what}; the reasons are listed above, "
          "nothing was written", file=sys.stderr)
    return 1


def _print_slopes(slopes):
    print("fitted slope of log(time) against log(unknowns) over the largest sizes "
          "(1: linear, a little above 1: N log N, 1.5: N^1.5):")
    for method, slope in slopes.items():
        print(f"  {method:<10} {slope:5.2f}")


def _prepare_compare(args):
    """Every check of ``compare`` that can be made before the work."""
    args.grid = _make_grid(args.shape, _grid_bc(args.bc, len(args.shape)))
    args.coeff = None if args.coeff == "none" else args.coeff
    if args.json is not None:
        _check_output_file(args.json, "--json")
    args.plot = _check_plot(args.plot)
    _check_memory(args.grid, "--shape", args.coeff)


def _run_compare(args) -> int:
    from . import plotting

    grid = args.grid
    print(f"{grid}, shift={args.shift}, coeff={args.coeff}, median of {args.repeat} solve(s)")
    records = compare(grid, args.methods, shift=args.shift, coeff=args.coeff,
                      repeat=args.repeat, tol=args.tol, progress=sys.stderr.isatty())
    print(format_table(records))
    if _all_failed(records, args):
        return 1
    if args.json:
        _write_json(records, args.json)
    if args.plot:
        written = plotting.plot_comparison(records, args.plot, title=f"grid {grid.shape}")
        print(f"wrote {written}")
    return 0


def _prepare_scaling(args):
    largest = _make_grid((max(args.sizes),) * args.dim, args.bc)
    if args.json is not None:
        _check_output_file(args.json, "--json")
    args.plot = _check_plot(args.plot)
    _check_memory(largest, "--sizes")


def _run_scaling(args) -> int:
    from . import plotting

    records, slopes = scaling(args.sizes, args.dim, args.methods, bc=args.bc,
                              progress=sys.stderr.isatty())
    for record in records:
        if record["status"] != "ok":
            print(f"{record['method']} on {record['shape']}: not run: {record['reason']}")
    if _all_failed(records, args, "every method failed at every size"):
        return 1
    _print_slopes(slopes)
    if args.json:
        _write_json(records, args.json)
    if args.plot:
        written = plotting.plot_scaling(records, slopes, args.plot,
                                        title=f"{args.dim}D {args.bc}: setup + solve time")
        print(f"wrote {written}")
    return 0


DEMO_FILES = ("compare.json", "compare.png", "solution.png", "scaling.png")


def _prepare_demo(args):
    _check_output_dir(args.out, "--out", DEMO_FILES)
    _check_memory(Grid((args.size, args.size), bc=DEMO_BC), "--size")
    _check_memory(Grid((max(args.scaling_sizes),) * 2), "--scaling-sizes")


def _run_demo(args) -> int:
    from ..solvers import solve_poisson
    from . import plotting

    start = time.perf_counter()
    out = args.out
    out.mkdir(parents=True, exist_ok=True)
    grid = Grid((args.size, args.size), bc=DEMO_BC)
    print(f"kronlap demo: Delta u = f on the unit square, {grid.shape} unknowns, "
          f"Dirichlet on x = 0, 1 and y = 0, Neumann on y = 1, exact solution known")
    records = compare(grid, list(ALL_METHODS), repeat=3, progress=sys.stderr.isatty())
    print(format_table(records))
    if _all_failed(records, args):
        return 1
    print("(* fastest; residual = ||b - A u|| / ||b||; max error against the exact "
          "solution is the second-order discretization error, the same for every "
          "method that solved the system)")
    _write_json(records, out / "compare.json")
    written = plotting.plot_comparison(records, out / "compare.png", title=f"grid {grid.shape}")
    print(f"wrote {written}")

    f, boundary, exact, _ = manufactured_problem(grid)
    u = solve_poisson(f, grid, boundary=boundary)
    written = plotting.plot_solution(grid, u, exact, out / "solution.png",
                                     title="kronlap.solve_poisson")
    print(f"wrote {written}")

    records, slopes = scaling(args.scaling_sizes, 2, ["fft", "gmg", "multigrid", "direct"],
                              bc="dirichlet", progress=sys.stderr.isatty())
    _print_slopes(slopes)
    written = plotting.plot_scaling(records, slopes, out / "scaling.png",
                                    title="2D Dirichlet Poisson: setup + solve time")
    print(f"wrote {written}")
    print(f"demo finished in {time.perf_counter() - start:.1f} s")
    return 0


def main(argv=None) -> int:
    """Entry point of the ``kronlap`` command; returns the exit status.

    Bad arguments (values, output paths, a grid too large for the memory
    available) are refused before any work: one ``error:`` line and exit
    status 2, as argparse does. A run in which every method failed ends
    with exit status 1.
    """
    parser = _parser()
    args = parser.parse_args(argv)
    commands = {
        "demo": (_prepare_demo, _run_demo),
        "compare": (_prepare_compare, _run_compare),
        "scaling": (_prepare_scaling, _run_scaling),
    }
    prepare, run = commands[args.command]
    try:
        prepare(args)
    except _UsageError as exc:
        args.command_parser.error(str(exc))
    try:
        return run(args)
    except (ValueError, TypeError) as exc:
        args.command_parser.error(str(exc))


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
