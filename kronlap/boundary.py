"""Boundary data: validation and folding into the right-hand side."""

from __future__ import annotations

import numbers

import numpy as np

from .backend import get_array_module
from .grid import Grid

__all__ = ["fold_boundary"]


def _check_boundary(boundary, grid: Grid):
    """Validate a ``{(axis, side): value}`` dict; return ``[(axis, side, value)]``."""
    if boundary is None:
        return []
    if not isinstance(boundary, dict):
        raise TypeError(
            f"boundary must be None or a dict {{(axis, side): value}}, got "
            f"{type(boundary).__name__}"
        )
    items = []
    for key, value in boundary.items():
        if (
            not isinstance(key, tuple)
            or len(key) != 2
            or not all(isinstance(k, numbers.Integral) for k in key)
        ):
            raise ValueError(f"boundary keys must be (axis, side) int pairs, got {key!r}")
        axis, side = int(key[0]), int(key[1])
        if not -grid.ndim <= axis < grid.ndim:
            raise ValueError(f"boundary key {key!r}: axis must be in [0, {grid.ndim}), got {axis}")
        axis %= grid.ndim
        if side not in (0, 1):
            raise ValueError(f"boundary key {key!r}: side must be 0 (low) or 1 (high), got {side}")
        kind = grid.bc[axis][side]
        if kind == "periodic":
            raise ValueError(f"boundary key {key!r}: axis {axis} is periodic and has no boundary")
        face = grid.shape[:axis] + grid.shape[axis + 1 :]
        arr = np.asarray(value)
        if not (np.issubdtype(arr.dtype, np.number) or arr.dtype == bool):
            raise TypeError(f"boundary[{key!r}] must be numeric, got dtype {arr.dtype}")
        if arr.ndim != 0 and arr.shape != face:
            raise ValueError(
                f"boundary[{key!r}] must be a scalar or an array of the face's shape "
                f"{face}, got shape {arr.shape}"
            )
        if not np.all(np.isfinite(arr)):
            raise ValueError(f"boundary[{key!r}] contains NaN or inf")
        items.append((axis, side, kind, arr))
    return items


def fold_boundary(rhs: np.ndarray, grid: Grid, boundary) -> np.ndarray:
    """Move boundary data to the right-hand side of ``Delta_h u = f``, in place.

    A Dirichlet value ``g`` (``u`` on the boundary) gives
    ``f_first -= g / h**2``; a Neumann value ``q`` (the *outward* normal
    derivative ``du/dn``) gives ``f_first -= q / h``; likewise at the last
    unknown for the high side.

    Parameters
    ----------
    rhs : ndarray of shape ``grid.shape``
        Modified in place and returned.
    grid : Grid
    boundary : dict or None
        ``{(axis, side): value}``, ``side`` 0 (low) or 1 (high), ``value`` a
        scalar or an array of the face's shape (``grid.shape`` without
        ``axis``).

    Returns
    -------
    ndarray
        ``rhs``.

    Examples
    --------
    >>> import numpy as np
    >>> g = Grid(3, lengths=4.0)              # h = 1
    >>> fold_boundary(np.zeros(3), g, {(0, 0): 1.0, (0, 1): 2.0})
    array([-1.,  0., -2.])
    """
    for axis, side, kind, value in _check_boundary(boundary, grid):
        h = grid.h[axis]
        scale = 1.0 / h**2 if kind == "dirichlet" else 1.0 / h
        index = [slice(None)] * grid.ndim
        index[axis] = 0 if side == 0 else -1
        # The data as an array of rhs' module (cupy rhs: moved to the GPU).
        rhs[tuple(index)] -= scale * get_array_module(rhs).asarray(value)
    return rhs
