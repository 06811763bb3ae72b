r"""
Poisson with Dirichlet and Neumann data
=======================================

Solve :math:`\Delta u = -2 y` on the unit square, whose exact solution is

.. math::

    u = \frac{\sin(\pi x) \sinh(\pi y)}{\sinh \pi} + x y (1 - x),

imposed with Dirichlet data (the values of ``u``) on three sides and its
outward normal derivative (Neumann data) on the top side ``y = 1``. The
fast solver reproduces the discrete problem to round-off, so what is left
is the second-order truncation error of the 5-point Laplacian: it drops
four-fold when ``n`` doubles.

Run as ``python examples/poisson_2d.py [--n 256] [--out DIR]``; it prints
the error and writes ``poisson_2d.png`` into ``DIR`` (default ``out``).
"""

import argparse
import time
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

import kronlap as kl

parser = argparse.ArgumentParser(description="Poisson with Dirichlet and Neumann data.")
parser.add_argument("--out", type=Path, default=Path("out"), help="output folder")
parser.add_argument("--n", type=int, default=256, help="unknowns per axis")
# parse_known_args: a notebook kernel passes arguments of its own.
args, _ = parser.parse_known_args()
args.out.mkdir(parents=True, exist_ok=True)


# %%
# The exact solution and its derivative in ``y``
# ----------------------------------------------
#
# On the top side the outward normal is ``+y``, so the Neumann datum there
# is ``du/dy``.


def exact(x, y):
    return np.sin(np.pi * x) * np.sinh(np.pi * y) / np.sinh(np.pi) + x * y * (1 - x)


def exact_dy(x, y):
    return np.pi * np.sin(np.pi * x) * np.cosh(np.pi * y) / np.sinh(np.pi) + x * (1 - x)


# %%
# The solve
# ---------
#
# One :class:`kronlap.Grid` carries the boundary kinds: Dirichlet on both
# sides of axis 0, Dirichlet below and Neumann above on axis 1. The values
# go in ``boundary={(axis, side): value}``, one value per point of the face.


def solve(n):
    """Grid, numerical and exact solution on an n x n grid."""
    grid = kl.Grid((n, n), bc=["dirichlet", ("dirichlet", "neumann")])
    x, y = grid.mesh()
    xs, ys = grid.coords
    boundary = {
        (0, 0): exact(0.0, ys),  # x = 0
        (0, 1): exact(1.0, ys),  # x = 1
        (1, 0): exact(xs, 0.0),  # y = 0
        (1, 1): exact_dy(xs, 1.0),  # y = 1: outward normal derivative du/dy
    }
    u = kl.solve_poisson(-2.0 * y, grid, boundary=boundary)
    return grid, u, exact(x, y)


start = time.perf_counter()
grid, u, ref = solve(args.n)
elapsed = time.perf_counter() - start
error = np.abs(u - ref).max()

# %%
# Second order: the same problem on a grid half as fine has four times the
# error.

_, u_half, ref_half = solve(args.n // 2)
ratio = np.abs(u_half - ref_half).max() / error
print(
    f"grid {grid.shape}, solved in {elapsed:.3f} s; max error {error:.2e} "
    f"(error ratio n/2 -> n: {ratio:.2f}, second order gives 4)"
)

# %%
# The solution and its error
# --------------------------

fig, axes = plt.subplots(1, 2, figsize=(10, 4.2), constrained_layout=True)
extent = (0, 1, 0, 1)
im = axes[0].imshow(u.T, origin="lower", extent=extent, cmap="viridis")
axes[0].set_title("u (kronlap.solve_poisson)")
fig.colorbar(im, ax=axes[0])
im = axes[1].imshow((u - ref).T, origin="lower", extent=extent, cmap="RdBu_r")
axes[1].set_title(f"u - u_exact (max {error:.1e})")
fig.colorbar(im, ax=axes[1])
for ax in axes:
    ax.set_xlabel("x")
    ax.set_ylabel("y")
path = args.out / "poisson_2d.png"
fig.savefig(path, dpi=120)
plt.close(fig)
print(f"wrote {path}")
