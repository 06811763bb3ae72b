"""
Heat in a box: a hot wall, a cold wall, insulated sides and a hot spot
======================================================================

Solve ``u_t = kappa Delta_h u`` on the unit cube with Dirichlet data
``u = 1`` on the face ``x = 0`` and ``u = 0`` on ``x = 1``, insulated faces
(Neumann, ``du/dn = 0``) in ``y`` and ``z``, from a cold box holding a hot
spot. The exact propagator uses a DST-I along ``x`` and a DCT-II along ``y``
and ``z``, and the steady state ``u_s`` with the boundary data (here
``u_s = 1 - x`` exactly); Crank-Nicolson steps are compared with it.

Run as ``python examples/heat_3d.py [--size 48] [--dt 0.002] [--out DIR]``;
it prints the errors and writes slices through the box at several times
into ``DIR`` (default ``heat_3d_output``).
"""

import argparse
import time
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

import kronlap as kl

parser = argparse.ArgumentParser(description="Heat in a box, hot and cold walls.")
parser.add_argument("--out", type=Path, default=Path("heat_3d_output"), help="folder")
parser.add_argument("--size", type=int, default=48, help="unknowns per side")
parser.add_argument("--dt", type=float, default=0.002, help="Crank-Nicolson step")
# parse_known_args: a notebook kernel passes arguments of its own.
args, _ = parser.parse_known_args()
args.out.mkdir(parents=True, exist_ok=True)

# %%
# The box
# -------
#
# One boundary kind per axis; the walls' temperatures go in ``boundary``.

n = args.size
grid = kl.Grid((n, n, n), lengths=1.0, bc=["dirichlet", "neumann", "neumann"])
boundary = {(0, 0): 1.0, (0, 1): 0.0}  # hot wall at x = 0, cold wall at x = 1
X, Y, Z = grid.mesh()
u0 = 2.0 * np.exp(-((X - 0.65) ** 2 + (Y - 0.4) ** 2 + (Z - 0.5) ** 2) / (2 * 0.08**2))
times = np.array([0.0, 0.004, 0.02, 0.08, 1.0])

# %%
# Exact propagator and Crank-Nicolson
# -----------------------------------
#
# The Crank-Nicolson error is largest just after the start, where the cold
# box meets the hot wall in a jump: its grid-scale modes are damped only
# weakly by Crank-Nicolson, while the exact propagator has no time error.
# At ``t = 1`` the box has reached its steady state ``1 - x``.

start = time.perf_counter()
exact = kl.solve_heat(u0, grid, times, boundary=boundary)
exact_time = time.perf_counter() - start
start = time.perf_counter()
stepped = kl.solve_heat(
    u0, grid, times, method="crank_nicolson", dt=args.dt, boundary=boundary
)
stepped_time = time.perf_counter() - start
error = np.abs(stepped - exact).max(axis=(1, 2, 3))
steady_gap = np.abs(exact[-1] - (1.0 - X)).max()
print(f"grid {grid.shape}, bc {grid.bc}")
print(f"exact propagator: {exact_time:.3f} s for {len(times)} times")
print(f"Crank-Nicolson:   {stepped_time:.3f} s, dt = {args.dt}")
for t, e in zip(times, error):
    print(f"  t = {t:<6g} max |CN - exact| = {e:.3e}")
print(f"at t = {times[-1]:g}: max |u - (1 - x)| = {steady_gap:.3e} (steady state)")

# %%
# Slices through the box
# ----------------------
#
# Top two rows: the exact solution on a slice at constant ``z`` and at
# constant ``y``; bottom row: ``u`` along ``x`` through the hot spot, both
# ways, and the steady state.

x, y, z = grid.coords
mid_y, mid_z = np.argmin(np.abs(y - 0.4)), n // 2
fig, axes = plt.subplots(
    3, len(times), figsize=(3.2 * len(times), 9), constrained_layout=True
)
for k, t in enumerate(times):
    top = axes[0, k].imshow(
        exact[k][:, :, mid_z].T,
        origin="lower",
        extent=(0, 1, 0, 1),
        cmap="inferno",
        vmin=0.0,
        vmax=2.0,
    )
    axes[0, k].set_title(f"t = {t:g}: z = {z[mid_z]:.2f} slice")
    axes[0, k].set_xlabel("x")
    axes[0, k].set_ylabel("y")
    axes[1, k].imshow(
        exact[k][:, mid_y, :].T,
        origin="lower",
        extent=(0, 1, 0, 1),
        cmap="inferno",
        vmin=0.0,
        vmax=2.0,
    )
    axes[1, k].set_title(f"t = {t:g}: y = {y[mid_y]:.2f} slice")
    axes[1, k].set_xlabel("x")
    axes[1, k].set_ylabel("z")
    axes[2, k].plot(x, exact[k][:, mid_y, mid_z], label="exact")
    axes[2, k].plot(x, stepped[k][:, mid_y, mid_z], "--", label="Crank-Nicolson")
    axes[2, k].plot(x, 1.0 - x, ":", color="gray", label="steady state 1 - x")
    axes[2, k].set_ylim(-0.05, 2.05)
    axes[2, k].set_xlabel("x")
    axes[2, k].set_title(f"u along x, |CN - exact| <= {error[k]:.1e}")
axes[2, 0].set_ylabel("u")
axes[2, 0].legend(fontsize=8)
fig.colorbar(top, ax=axes[:2, :], label="temperature u", shrink=0.8)
fig.suptitle(
    "3D heat flow: hot wall u = 1 at x = 0, cold wall u = 0 at x = 1, insulated in y "
    "and z, hot spot inside"
)
path = args.out / "heat_3d_slices.png"
fig.savefig(path, dpi=80)
plt.close(fig)
print(f"wrote {path}")
