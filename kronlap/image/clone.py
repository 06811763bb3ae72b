"""Poisson image editing: paste a region's gradients, not its pixels."""

from __future__ import annotations

import numbers

import numpy as np

from ..grid import Grid
from ..solvers import PoissonSolver
from .smoothing import as_float_image, pixel_grid

__all__ = ["seamless_clone"]


def seamless_clone(source, target, mask, offset) -> np.ndarray:
    """Paste ``source[mask]`` into ``target`` by solving ``Delta u = div(grad source)`` there.

    Poisson image editing (Perez, Gangnet and Blake 2003): in the pasted
    region ``Omega`` the result ``u`` has the Laplacian of the source,
    while on the pixels around ``Omega`` it takes the target's values
    (Dirichlet data). The source's gradients (its texture and details)
    come through, its overall colour and brightness follow the target's,
    and no seam shows. Discretely, for each pixel ``p`` in ``Omega`` with
    neighbours ``N_p`` inside the target (5-point stencil, spacing one
    pixel),

        ``sum_{q in N_p} (u_q - u_p) = sum_{q in N_p} (s_q - s_p)``,

    with ``u_q`` the target's value for ``q`` outside ``Omega``. Source
    differences across the source's own border are taken as zero, and the
    target's border is a Neumann (no-flux) border. A rectangular region
    is solved by the spectral solver (the DST, or dense eigenvectors along
    an axis whose region touches the target's border); any other shape by
    the masked multigrid solver on the region's bounding box.

    Parameters
    ----------
    source : array_like
        Gray ``(h, w)`` or color ``(h, w, C)`` image to take the region
        from; integers are read as ``[0, 1]`` floats.
    target : array_like
        Gray ``(H, W)`` or color ``(H, W, C)`` image to paste into, with
        as many channels as ``source``.
    mask : array_like of bool, shape (h, w)
        True on the pixels of ``source`` to paste.
    offset : pair of int
        ``(row, col)`` of the source's top-left corner in the target
        (may be negative if the masked pixels still land inside the target).

    Returns
    -------
    ndarray of float64
        Same shape as ``target``; equal to it outside the pasted region.

    Raises
    ------
    TypeError
        Non-numeric images, a ``mask`` that is not boolean, an ``offset``
        that is not a pair of ints.
    ValueError
        Bad image shapes, NaN or inf, channel counts that differ, a
        ``mask`` of another shape than the source's, an ``offset`` that
        puts a masked pixel outside the target.
    ConvergenceError
        The multigrid solve of a non-rectangular region missed its
        tolerance (1e-10).

    See Also
    --------
    kronlap.solve_poisson : the Poisson solver, with ``mask`` for irregular regions.

    Examples
    --------
    A bright square pasted into a darker picture keeps its edges but takes
    the picture's brightness at its border:

    >>> import numpy as np
    >>> from kronlap import image
    >>> target = np.full((32, 32), 0.2)
    >>> source = np.full((12, 12), 0.9)
    >>> source[4:8, 4:8] = 1.0                     # a detail to carry over
    >>> mask = np.zeros((12, 12), dtype=bool)
    >>> mask[1:-1, 1:-1] = True
    >>> out = image.seamless_clone(source, target, mask, (10, 10))
    >>> round(float(out[11, 11]), 6)               # the border takes the target's 0.2
    0.2
    >>> bool(abs(out[16, 16] - out[11, 11] - 0.1) < 0.05)   # the detail survives
    True

    Cloning an image into itself changes nothing:

    >>> photo = np.random.default_rng(0).random((20, 24))
    >>> region = np.zeros(photo.shape, dtype=bool)
    >>> region[3:15, 5:20] = True
    >>> bool(np.allclose(image.seamless_clone(photo, photo, region, (0, 0)), photo))
    True
    """
    src = as_float_image(source, "source")
    tgt = as_float_image(target, "target")
    if not (isinstance(src, np.ndarray) and isinstance(tgt, np.ndarray)):
        raise TypeError("source and target must be numpy arrays (seamless_clone has no GPU path)")
    if src.shape[2:] != tgt.shape[2:]:
        raise ValueError(
            f"source and target must have the same channels, got shapes {src.shape} "
            f"and {tgt.shape}"
        )
    region = _check_mask(mask, src.shape[:2])
    row, col = _check_offset(offset)
    rows, cols = np.nonzero(region)
    out = tgt.copy()
    if rows.size == 0:
        return out
    rows, cols = rows + row, cols + col
    height, width = tgt.shape[:2]
    if rows.min() < 0 or cols.min() < 0 or rows.max() >= height or cols.max() >= width:
        raise ValueError(
            f"offset={offset!r} puts the masked region (rows {rows.min()}..{rows.max()}, "
            f"cols {cols.min()}..{cols.max()}) outside the target of {height} x {width} pixels"
        )
    # The bounding box of Omega, one pixel wider where the target goes on: the ring
    # around Omega (its Dirichlet data) is then inside the box.
    top, left = max(rows.min() - 1, 0), max(cols.min() - 1, 0)
    bottom, right = min(rows.max() + 2, height), min(cols.max() + 2, width)
    omega = np.zeros((bottom - top, right - left), dtype=bool)
    omega[rows - top, cols - left] = True
    box_target = tgt[top:bottom, left:right]
    box_source, covered = _source_on_box(src, (top - row, left - col), omega.shape)
    at_border = (
        rows.min() == 0,
        rows.max() == height - 1,
        cols.min() == 0,
        cols.max() == width - 1,
    )

    def layers(a):
        return [a] if a.ndim == 2 else [a[..., c] for c in range(a.shape[2])]

    rhs = [
        _guidance(s, covered, omega) - _known_neighbours(t, omega)
        for s, t in zip(layers(box_source), layers(box_target))
    ]
    inner = np.ix_(*(np.flatnonzero(omega.any(axis=1 - k)) for k in (0, 1)))
    if omega[inner].all():
        solutions = _solve_rectangle(rhs, inner, at_border, box_target)
    else:
        solver = PoissonSolver(pixel_grid(omega.shape), mask=omega, mask_values=0.0)
        solutions = [solver.solve(f) for f in rhs]
    for u, t in zip(solutions, layers(out[top:bottom, left:right])):
        t[omega] = u[omega]
    return out


def _check_mask(mask, shape) -> np.ndarray:
    region = np.asarray(mask)
    if region.dtype != bool:
        raise TypeError(f"mask must be a bool array, got dtype {region.dtype}")
    if region.shape != tuple(shape):
        raise ValueError(f"mask must have the source's shape {tuple(shape)}, got {region.shape}")
    return region


def _check_offset(offset) -> tuple[int, int]:
    if (
        not isinstance(offset, (tuple, list, np.ndarray))
        or len(offset) != 2
        or not all(
            isinstance(v, numbers.Integral) and not isinstance(v, (bool, np.bool_)) for v in offset
        )
    ):
        raise TypeError(f"offset must be a pair of ints (row, col), got {offset!r}")
    return int(offset[0]), int(offset[1])


def _source_on_box(src: np.ndarray, corner, shape):
    """The source's pixels on the box (box pixel ``(i, j)`` is source ``corner + (i, j)``)."""
    values = np.zeros(shape + src.shape[2:])
    covered = np.zeros(shape, dtype=bool)
    r0, c0 = corner
    rs = slice(max(r0, 0), min(r0 + shape[0], src.shape[0]))
    cs = slice(max(c0, 0), min(c0 + shape[1], src.shape[1]))
    box_rows = slice(rs.start - r0, rs.stop - r0)
    box_cols = slice(cs.start - c0, cs.stop - c0)
    values[box_rows, box_cols] = src[rs, cs]
    covered[box_rows, box_cols] = True
    return values, covered


def _neighbour_pairs(shape):
    """``(p, q)`` slices of the box for the four neighbours ``q`` of ``p`` inside the box."""
    yield (slice(1, None), slice(None)), (slice(None, -1), slice(None))
    yield (slice(None, -1), slice(None)), (slice(1, None), slice(None))
    yield (slice(None), slice(1, None)), (slice(None), slice(None, -1))
    yield (slice(None), slice(None, -1)), (slice(None), slice(1, None))


def _guidance(source: np.ndarray, covered: np.ndarray, omega: np.ndarray) -> np.ndarray:
    """``sum_q (s_q - s_p)`` over neighbours inside the box whose source pixel exists."""
    out = np.zeros(omega.shape)
    for p, q in _neighbour_pairs(omega.shape):
        both = covered[p] & covered[q]
        out[p] += np.where(both, source[q] - source[p], 0.0)
    out[~omega] = 0.0
    return out


def _known_neighbours(target: np.ndarray, omega: np.ndarray) -> np.ndarray:
    """``sum_q t_q`` over the neighbours ``q`` of each pixel that lie outside ``Omega``."""
    known = np.where(omega, 0.0, target)
    out = np.zeros(omega.shape)
    for p, q in _neighbour_pairs(omega.shape):
        out[p] += known[q]
    out[~omega] = 0.0
    return out


def _solve_rectangle(rhs, inner, at_border, box_target):
    """The region is the rectangle ``inner`` of the box: a spectral Poisson solve on it.

    A side of the rectangle inside the target is Dirichlet (its ring's
    values are in ``rhs``), one on the target's border is Neumann (no
    neighbour there); the offsets put the unknowns one pixel apart.
    """
    shape = (inner[0].size, inner[1].size)
    top, bottom, left, right = at_border
    sides = [
        ("neumann" if top else "dirichlet", "neumann" if bottom else "dirichlet"),
        ("neumann" if left else "dirichlet", "neumann" if right else "dirichlet"),
    ]
    offsets = [sum(1.0 if s == "dirichlet" else 0.5 for s in pair) for pair in sides]
    lengths = [n - 1 + offset for n, offset in zip(shape, offsets)]
    grid = Grid(shape, lengths=lengths, bc=sides)
    solver = PoissonSolver(grid)
    singular = all(s == "neumann" for pair in sides for s in pair)
    solutions = []
    layers = (
        [box_target]
        if box_target.ndim == 2
        else [box_target[..., c] for c in range(box_target.shape[2])]
    )
    for f, t in zip(rhs, layers):
        full = np.zeros(f.shape)
        if singular:
            # No Dirichlet data: u is fixed up to a constant; keep the target's mean.
            u = solver.solve(f[inner], project=True)
            u += t[inner].mean() - u.mean()
        else:
            u = solver.solve(f[inner])
        full[inner] = u
        solutions.append(full)
    return solutions
