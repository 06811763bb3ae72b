"""Compare kronlap's solvers with pyamg and scipy on one problem, through the library API.

Prints the comparison table and the ratio of each method's total time
(setup + solve) to the fastest peer's, and writes a bar chart.

Run as ``python examples/compare_solvers.py --out DIR [--n 256] [--bc neumann]``.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import kronlap as kl
from kronlap.compare import PEER_METHODS, compare, format_table
from kronlap.plotting import plot_comparison


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("out"), help="output directory")
    parser.add_argument("--n", type=int, default=256, help="unknowns per axis")
    parser.add_argument("--bc", default="dirichlet", help="boundary condition, all axes")
    parser.add_argument("--shift", type=float, default=0.0)
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)

    grid = kl.Grid((args.n, args.n), bc=args.bc)
    records = compare(grid, shift=args.shift, repeat=3)
    print(format_table(records))

    peers = [r for r in records if r["method"] in PEER_METHODS and r["status"] == "ok"]
    if peers:
        best = min(peers, key=lambda r: r["setup_s"] + r["solve_s"])
        best_total = best["setup_s"] + best["solve_s"]
        print(f"\ntime relative to the fastest peer ({best['method']}, {best_total:.4f} s):")
        for r in records:
            if r["status"] == "ok":
                print(f"  {r['method']:<10} {(r['setup_s'] + r['solve_s']) / best_total:8.2f}")
    path = args.out / "compare_solvers.png"
    plot_comparison(records, path, title=f"{grid.shape} {args.bc}, shift {args.shift}")
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
