"""
A hot spot cooling in a plate with cold walls
=============================================

Solve ``u_t = kappa Delta_h u`` on the unit square with ``u = 0`` on the
walls (Dirichlet), from a Gaussian hot spot, twice: with the exact spectral
propagator ``exp(t kappa Delta_h)`` (a DST-I on both axes, no time steps)
and with Crank-Nicolson steps, and see how far apart they are.

Run as ``python examples/heat_2d.py [--size 128] [--frames 40] [--out DIR]``;
it prints the timings and errors and writes the frames as one PNG and as an
animated GIF into ``DIR`` (default ``heat_2d_output``).
"""

import argparse
import time
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.animation import FuncAnimation, PillowWriter

import kronlap as kl

parser = argparse.ArgumentParser(description="A hot spot cooling in a cold plate.")
parser.add_argument("--out", type=Path, default=Path("heat_2d_output"), help="folder")
parser.add_argument("--size", type=int, default=128, help="unknowns per side")
parser.add_argument("--frames", type=int, default=40, help="frames of the animation")
parser.add_argument("--t-end", type=float, default=0.05, help="final time")
parser.add_argument(
    "--steps-per-frame", type=int, default=5, help="Crank-Nicolson steps a frame (mean)"
)
# parse_known_args: a notebook kernel passes arguments of its own.
args, _ = parser.parse_known_args()
args.out.mkdir(parents=True, exist_ok=True)

# %%
# The plate and the hot spot
# --------------------------
#
# Frames are denser early on, when the spot changes fastest. The
# Crank-Nicolson run takes steps of ``dt`` and a shorter last step where a
# frame time is not a multiple of ``dt``.

kappa = 1.0
grid = kl.Grid((args.size, args.size), lengths=1.0, bc="dirichlet")
X, Y = grid.mesh()
u0 = np.exp(-((X - 0.35) ** 2 + (Y - 0.6) ** 2) / (2 * 0.05**2))
times = args.t_end * np.linspace(0.0, 1.0, args.frames) ** 2
dt = args.t_end / (args.frames * args.steps_per_frame)

# %%
# Exact propagator and Crank-Nicolson
# -----------------------------------

start = time.perf_counter()
exact = kl.solve_heat(u0, grid, times, kappa=kappa, method="exact")
exact_time = time.perf_counter() - start
start = time.perf_counter()
stepped = kl.solve_heat(u0, grid, times, kappa=kappa, method="crank_nicolson", dt=dt)
stepped_time = time.perf_counter() - start
error = np.abs(stepped - exact).max(axis=(1, 2))
print(f"grid {grid.shape}, h = {grid.h[0]:.4g}, {args.frames} frames, t <= {args.t_end}")
print(f"exact propagator:  {exact_time:.3f} s")
print(f"Crank-Nicolson:    {stepped_time:.3f} s, dt = {dt:.3g}")
print(f"max |CN - exact| over all frames: {error.max():.3e} (peak of u0 is 1)")

# %%
# Crank-Nicolson is second order in time: at the last frame, in whole
# steps, halving ``dt`` divides its error by four.

end_errors = []
for step in (dt, dt / 2):
    end = kl.solve_heat(
        u0, grid, times[-1], kappa=kappa, method="crank_nicolson", dt=step
    )
    end_errors.append(np.abs(end - exact[-1]).max())
print(
    f"at t = {times[-1]:.3g} in whole steps: error {end_errors[0]:.3e} with dt, "
    f"{end_errors[1]:.3e} with dt/2 (ratio {end_errors[0] / end_errors[1]:.2f}; "
    f"4 for second order)"
)

# %%
# Frames, the hottest point, and the gap between the two
# ------------------------------------------------------

extent = (0.0, 1.0, 0.0, 1.0)
picks = np.unique(np.linspace(0, len(times) - 1, 6).round().astype(int))
fig, axes = plt.subplots(2, 4, figsize=(16, 7), constrained_layout=True)
for ax, k in zip(axes[:, :3].flat, picks):
    shown = ax.imshow(exact[k].T, origin="lower", extent=extent, cmap="inferno", vmin=0)
    fig.colorbar(shown, ax=ax, shrink=0.85)
    ax.set_title(f"t = {times[k]:.4f}, max u = {exact[k].max():.3f}")
    ax.set_xlabel("x")
    ax.set_ylabel("y")
peak = axes[0, 3]
peak.plot(times, exact.max(axis=(1, 2)), label="exact")
peak.plot(times, stepped.max(axis=(1, 2)), "--", label="Crank-Nicolson")
peak.set_yscale("log")
peak.set_xlabel("t")
peak.set_title("hottest point, max u")
peak.legend()
gap = axes[1, 3]
gap.semilogy(times[1:], error[1:], "o-", markersize=3)
gap.set_xlabel("t")
gap.set_title(f"max |CN - exact|, dt = {dt:.1e}")
fig.suptitle(
    "Hot spot in a plate with cold walls (u = 0 on the boundary), exact propagator "
    "exp(t Delta_h) u0; each frame on its own color scale"
)
frames_path = args.out / "heat_2d_frames.png"
fig.savefig(frames_path, dpi=90)
plt.close(fig)
print(f"wrote {frames_path}")

# %%
# The animation
# -------------
#
# It shows the shape, ``u / max u``; the title gives the scale. The layout
# is computed once, for the first frame, and then kept.

fig, ax = plt.subplots(figsize=(4.6, 4), constrained_layout=True)
shown = ax.imshow(
    exact[0].T, origin="lower", extent=extent, cmap="inferno", vmin=0, vmax=1
)
fig.colorbar(shown, ax=ax, label="u / max u")
title = ax.set_title(f"t = {times[0]:.4f}, max u = {exact[0].max():.3f}")
fig.canvas.draw()
fig.set_layout_engine("none")


def draw(k):
    shown.set_data(exact[k].T / exact[k].max())
    title.set_text(f"t = {times[k]:.4f}, max u = {exact[k].max():.3f}")
    return shown, title


animation = FuncAnimation(fig, draw, frames=len(times))
gif_path = args.out / "heat_2d.gif"
animation.save(gif_path, writer=PillowWriter(fps=8), dpi=60)
plt.close(fig)
print(f"wrote {gif_path}")
