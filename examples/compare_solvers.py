"""
kronlap's solvers against pyamg and scipy
=========================================

Every kronlap method and its peers (pyamg's Ruge-Stuben and smoothed
aggregation solvers, scipy's ``spsolve`` and ``cg``) solve one manufactured
problem through :func:`kronlap.compare.compare`, which reports for each its
setup and solve time, iterations, residual, error against the exact
solution and peak memory; ``*`` marks the fastest method that reached the
tolerance.

Run as ``python examples/compare_solvers.py [--n 256] [--bc neumann]
[--out DIR]``; it prints the table and writes ``compare_solvers.png`` into
``DIR`` (default ``out``). This page was built with ``--n 128`` to keep the
documentation build short; the times on it are from the machine that built
it, whatever else that machine was doing.
"""

import argparse
from pathlib import Path

import kronlap as kl
from kronlap.compare import PEER_METHODS, compare, format_table, plot_comparison

parser = argparse.ArgumentParser(description="kronlap against pyamg and scipy.")
parser.add_argument("--out", type=Path, default=Path("out"), help="output folder")
parser.add_argument("--n", type=int, default=256, help="unknowns per axis")
parser.add_argument("--bc", default="dirichlet", help="boundary condition, all axes")
parser.add_argument("--shift", type=float, default=0.0)
# parse_known_args: a notebook kernel passes arguments of its own.
args, _ = parser.parse_known_args()
args.out.mkdir(parents=True, exist_ok=True)

# %%
# The comparison
# --------------
#
# Each method runs three times (``repeat=3``, the median time is kept), in
# a process of its own, so that its peak memory is its own.

grid = kl.Grid((args.n, args.n), bc=args.bc)
print(f"grid {grid.shape}, bc {args.bc}, shift {args.shift}")
records = compare(grid, shift=args.shift, repeat=3)
print(format_table(records))

# %%
# Time relative to the fastest peer
# ---------------------------------

peers = [r for r in records if r["method"] in PEER_METHODS and r["status"] == "ok"]
if peers:
    best = min(peers, key=lambda r: r["setup_time"] + r["solve_time"])
    best_total = best["setup_time"] + best["solve_time"]
    print(f"time relative to the fastest peer ({best['method']}, {best_total:.4f} s):")
    for r in records:
        if r["status"] == "ok":
            total = r["setup_time"] + r["solve_time"]
            print(f"  {r['method']:<10} {total / best_total:8.2f}")

# %%
# The chart
# ---------
#
# Setup, solve and their sum per method, on a log axis.

path = plot_comparison(
    records,
    args.out / "compare_solvers.png",
    title=f"{grid.shape} {args.bc}, shift {args.shift}",
)
print(f"wrote {path}")
