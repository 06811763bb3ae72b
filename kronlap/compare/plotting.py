"""Figures for the command line: solution and error, solver scaling."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np


def _pyplot():
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    return plt


def output_path(path) -> Path:
    """The file a figure saved to ``path`` lands in, checked before any work.

    As matplotlib's ``savefig`` does, the extension names the format and a
    name without one gets ``rcParams["savefig.format"]`` (``.png``) added;
    the plotting functions here save to exactly this path and return it.

    Parameters
    ----------
    path : str or path-like

    Returns
    -------
    Path
        ``path``, with the default extension added where it had none.

    Raises
    ------
    ValueError
        The extension is not a format matplotlib can write.

    Examples
    --------
    >>> output_path("out/chart").as_posix()
    'out/chart.png'
    >>> output_path("chart.svg").as_posix()
    'chart.svg'
    """
    import matplotlib
    from matplotlib.backend_bases import FigureCanvasBase

    text = os.fspath(path)
    extension = os.path.splitext(text)[1][1:]
    if not extension:
        return Path(f"{text}.{matplotlib.rcParams['savefig.format']}")
    formats = FigureCanvasBase.get_supported_filetypes()
    if extension.lower() not in formats:
        raise ValueError(
            f"cannot write a figure as {extension!r} ({text}): expected a name ending in "
            f"one of {', '.join('.' + f for f in sorted(formats))}, or no extension (png)"
        )
    return Path(text)


def _save(fig, path) -> Path:
    path = output_path(path)
    fig.savefig(path, dpi=110, format=path.suffix[1:].lower())
    return path


def plot_solution(grid, u, exact, path, title="kronlap"):
    """Save ``u`` and ``u - exact`` side by side (2D grids); return the path written.

    ``path`` as :func:`output_path` reads it (no extension: ``.png`` added).
    """
    plt = _pyplot()
    fig, axes = plt.subplots(1, 2, figsize=(10, 4.2), constrained_layout=True)
    extent = (0, grid.lengths[0], 0, grid.lengths[1])
    error = u - exact
    im = axes[0].imshow(u.T, origin="lower", extent=extent, cmap="viridis")
    axes[0].set_title(f"{title}: solution u")
    fig.colorbar(im, ax=axes[0], label="u")
    limit = float(np.abs(error).max()) or 1.0
    im = axes[1].imshow(error.T, origin="lower", extent=extent, cmap="RdBu_r",
                        vmin=-limit, vmax=limit)
    axes[1].set_title(f"error u - u_exact (max {limit:.1e})")
    fig.colorbar(im, ax=axes[1], label="error")
    for ax in axes:
        ax.set_xlabel("x (axis 0)")
        ax.set_ylabel("y (axis 1)")
    try:
        return _save(fig, path)
    finally:
        plt.close(fig)


def plot_scaling(records, slopes, path, title="time against unknowns"):
    """Log-log plot of setup + solve time against unknowns; return the path written."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(7, 5), constrained_layout=True)
    methods = list(dict.fromkeys(r["method"] for r in records))
    for method in methods:
        rows = [r for r in records if r["method"] == method and r["status"] == "ok"]
        if not rows:
            continue
        n = [r["unknowns"] for r in rows]
        t = [r["setup_time"] + r["solve_time"] for r in rows]
        label = method + (f" (slope {slopes[method]:.2f})" if method in slopes else "")
        ax.loglog(n, t, "o-", label=label)
    all_n = sorted({r["unknowns"] for r in records})
    if len(all_n) >= 2:
        ok = [r for r in records if r["status"] == "ok"]
        anchor = min(r["setup_time"] + r["solve_time"] for r in ok) if ok else 1e-3
        ref = np.array(all_n, dtype=float)
        for power, style in ((1.0, ":"), (1.5, "--")):
            ax.loglog(ref, anchor * (ref / ref[0]) ** power, "k" + style, alpha=0.5,
                      label=f"N^{power:g} (reference)")
    ax.set_xlabel("unknowns N")
    ax.set_ylabel("setup + solve time [s]")
    ax.set_title(title)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8)
    try:
        return _save(fig, path)
    finally:
        plt.close(fig)


def plot_comparison(records, path, title="solvers"):
    """Setup, solve and total time per method on a log axis; return the path written."""
    rows = [r for r in records if r["status"] == "ok"]
    if not rows:
        raise ValueError("no method ran (no record has status 'ok'): nothing to plot")
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(8, 0.5 * len(rows) + 1.5), constrained_layout=True)
    names = [("* " if r.get("fastest") else "") + r["method"] for r in rows]
    y = np.arange(len(rows))
    # Two decades below the fastest total; shorter bars (a peer's trivial
    # setup, none at all for pyamg.solve) get a note instead of a sliver.
    left = min(r["setup_time"] + r["solve_time"] for r in rows) / 100
    bars = ((-0.27, "setup", "tab:blue"), (0.0, "solve", "tab:orange"))
    for offset, label, color in bars:
        key = f"{label}_time"
        drawn = [i for i, r in enumerate(rows) if r[key] >= left]
        ax.barh(y[drawn] + offset, [rows[i][key] for i in drawn], height=0.27,
                label=label, color=color)
        for i in sorted(set(range(len(rows))) - set(drawn)):
            note = "not separate" if rows[i][key] <= 0 else f"< {left:.0e} s"
            ax.text(left * 1.15, i + offset, f"{label}: {note}", va="center", fontsize=7)
    ax.barh(y + 0.27, [r["setup_time"] + r["solve_time"] for r in rows], height=0.27,
            label="setup + solve", color="tab:gray")
    ax.set_yticks(y, names)
    ax.set_xscale("log")
    ax.set_xlim(left=left)
    ax.set_xlabel("time [s] (log scale)")
    ax.set_title(title + "  (* fastest)")
    ax.invert_yaxis()
    ax.legend(fontsize=8)
    ax.grid(True, axis="x", which="both", alpha=0.3)
    try:
        return _save(fig, path)
    finally:
        plt.close(fig)
