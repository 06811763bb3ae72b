r"""
Fourth order from Kronecker products
====================================

Solve :math:`\Delta u = f` on the unit square with Dirichlet data, where

.. math::

    u = \operatorname{Im} e^{(1/2 + i\pi) x + (1 + 2i) y + 0.3 i}
      = e^{x/2 + y} \sin(\pi x + 2 y + 0.3),

once with the 5-point Laplacian (order 2) and once with the compact
9-point scheme (order 4), whose operator adds Kronecker *products* of the
same 1D second differences to their sum. Both are solved by the same
sine transforms, and the plot shows the error against the number of
unknowns: slope -1 for order 2 (error :math:`\propto h^2`), slope -2 for
order 4 (error :math:`\propto h^4`).

Run as ``python examples/fourth_order.py [--sizes 16 32 ...] [--out DIR]``;
it prints the errors and observed orders and writes ``fourth_order.png``
into ``DIR`` (default ``out``).
"""

import argparse
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

import kronlap as kl

parser = argparse.ArgumentParser(description="Order 2 against order 4: convergence plot.")
parser.add_argument("--out", type=Path, default=Path("out"), help="output folder")
parser.add_argument(
    "--sizes", type=int, nargs="+", default=[16, 32, 64, 128, 256, 512], help="unknowns per axis"
)
# parse_known_args: a notebook kernel passes arguments of its own.
args, _ = parser.parse_known_args()
args.out.mkdir(parents=True, exist_ok=True)


# %%
# The exact solution
# ------------------
#
# ``u`` is the imaginary part of an exponential ``E``, so its Laplacian is
# the imaginary part of ``z**2 E`` with ``z**2`` the sum of the squared
# exponents per axis.

EXPONENTS = (0.5 + 1j * np.pi, 1.0 + 2j)


def exact(x, y):
    return np.exp(EXPONENTS[0] * x + EXPONENTS[1] * y + 0.3j).imag


def laplacian_of_exact(x, y):
    z2 = sum(e * e for e in EXPONENTS)
    return (z2 * np.exp(EXPONENTS[0] * x + EXPONENTS[1] * y + 0.3j)).imag


# %%
# Both solves
# -----------
#
# Both are :func:`kronlap.solve_poisson`. With ``order=4`` it builds the
# compact right-hand side ``M f`` with every boundary term
# (:func:`kronlap.compact.compact_rhs`) and divides by the compact
# eigenvalues in the same transformed basis.


def errors(n):
    """Max errors of the order-2 and order-4 solutions on an n x n grid."""
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
    u2 = kl.solve_poisson(f, grid, boundary=boundary)
    u4 = kl.solve_poisson(f, grid, boundary=boundary, order=4)
    return np.abs(u2 - u).max(), np.abs(u4 - u).max()


sizes = np.array(sorted(args.sizes))
results = np.array([errors(n) for n in sizes])
unknowns = sizes.astype(float) ** 2

# %%
# Observed orders
# ---------------
#
# The slope of log(error) against log(unknowns), fitted over all sizes;
# with ``h = 1/(n + 1)`` the order in ``h`` is about minus twice the slope.

slopes = [np.polyfit(np.log(unknowns), np.log(results[:, p]), 1)[0] for p in range(2)]
spacing = 1.0 / (sizes + 1)
orders = [np.polyfit(np.log(spacing), np.log(results[:, p]), 1)[0] for p in range(2)]
for n, (e2, e4) in zip(sizes, results):
    print(f"n = {n:5d}: order 2 error {e2:.3e}, order 4 error {e4:.3e}")
for p, slope, order in zip((2, 4), slopes, orders):
    print(f"order {p}: slope {slope:.2f} against unknowns, observed order {order:.2f}")

# %%
# The convergence plot
# --------------------

fig, ax = plt.subplots(figsize=(6, 4.5), constrained_layout=True)
for p, slope, order, marker in zip(range(2), slopes, orders, "os"):
    ax.loglog(
        unknowns,
        results[:, p],
        marker=marker,
        label=f"order {2 * (p + 1)}: slope {slope:.2f} (error ~ $h^{{{order:.2f}}}$)",
    )
ax.set_xlabel("unknowns $n^2$")
ax.set_ylabel("max error")
ax.set_title("5-point Laplacian against the compact 9-point scheme")
ax.grid(True, which="both", alpha=0.3)
ax.legend()
path = args.out / "fourth_order.png"
fig.savefig(path, dpi=120)
plt.close(fig)
print(f"wrote {path}")
