"""Boundary data: validation and folding into the right-hand side."""

from __future__ import annotations

import numbers

import numpy as np

from .backend import get_array_module
from .differences import axis_operators
from .grid import Grid

__all__ = ["check_boundary", "fold_boundary", "split_complex"]


def check_boundary(boundary, grid: Grid):
    """Validate a ``{(axis, side): value}`` dict; return ``[(axis, side, value)]``."""
    if boundary is None:
        return []
    if not isinstance(boundary, dict):
        raise TypeError(
            f"boundary must be None or a dict {{(axis, side): value}}, got "
            f"{type(boundary).__name__}"
        )
    items = []
    seen = {}  # (axis, side) -> the key that named it
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
        if (axis, side) in seen:
            # A negative axis counts from the end: (-2, 0) and (0, 0) are one
            # face of a 2D grid, and its data would be applied twice.
            raise ValueError(
                f"boundary face given twice: keys {seen[(axis, side)]!r} and {key!r} both "
                f"name axis {axis}, side {side}; give each face once"
            )
        seen[(axis, side)] = key
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


def fold_boundary(
    rhs: np.ndarray, grid: Grid, boundary, *, promote: bool = False, operators=None
) -> np.ndarray:
    """Move boundary data to the right-hand side of ``Delta_h u = f``, in place.

    A Dirichlet value ``g`` (``u`` on the boundary) gives
    ``f_first -= g / h**2``; a Neumann value ``q`` (the *outward* normal
    derivative ``du/dn``) gives ``f_first -= q / h``; a Robin value ``g``
    (``du/dn + k u = g``) gives ``f_first -= g / ((1 + k h/2) h)``; likewise
    at the last unknown for the high side. On a stretched axis or with a
    separable coefficient the weights are those of the axis' operator
    (:attr:`kronlap.differences.AxisOperator.data_weights`).

    Parameters
    ----------
    rhs : ndarray of shape ``grid.shape``
        Modified in place and returned (unless promoted, see ``promote``).
    grid : Grid
    boundary : dict or None
        ``{(axis, side): value}``, ``side`` 0 (low) or 1 (high), ``value`` a
        scalar or an array of the face's shape (``grid.shape`` without
        ``axis``). A negative ``axis`` counts from the end; each face may
        be named once.
    promote : bool, optional
        What to do with complex data and a real ``rhs``, which cannot hold
        it in place. ``False`` (default): raise ``TypeError``. ``True``:
        leave ``rhs`` unchanged and return a new complex array (``complex64``
        for a float32 ``rhs``, else ``complex128``, as numpy promotes a real
        array with a complex scalar) with the data folded in; the caller
        must then use the return value.
    operators : sequence of AxisOperator, optional
        The 1D operators whose boundary weights apply (default: those of
        ``grid`` without coefficient or shift).

    Returns
    -------
    ndarray
        ``rhs``, or its complex copy when promoted.

    Raises
    ------
    TypeError
        ``boundary`` is not a dict or holds non-numeric data; complex data
        for a real ``rhs`` without ``promote``.
    ValueError
        A bad key (axis or side out of range, a periodic side, a face named
        twice, e.g. ``(0, 0)`` and ``(-2, 0)`` on a 2D grid), a value of the
        wrong shape, or NaN or inf.

    Examples
    --------
    >>> import numpy as np
    >>> g = Grid(3, lengths=4.0)              # h = 1
    >>> fold_boundary(np.zeros(3), g, {(0, 0): 1.0, (0, 1): 2.0})
    array([-1.,  0., -2.])
    >>> fold_boundary(np.zeros(3), g, {(0, 0): 1j}, promote=True)
    array([0.-1.j, 0.+0.j, 0.+0.j])
    """
    items = check_boundary(boundary, grid)
    xp = get_array_module(rhs)
    if not xp.iscomplexobj(rhs):
        complex_keys = [(axis, side) for axis, side, _, value in items if np.iscomplexobj(value)]
        if complex_keys:
            if not promote:
                raise TypeError(
                    f"boundary[{complex_keys[0]!r}] is complex but the right-hand side f is "
                    f"real ({rhs.dtype}) and cannot hold it; pass a complex f "
                    f"(e.g. f.astype(complex)) or real boundary data"
                )
            rhs = rhs.astype(np.result_type(rhs.dtype, np.complex64))
    if items and operators is None:
        operators = axis_operators(grid)
    for axis, side, _kind, value in items:
        scale = operators[axis].data_weights[side]
        index = [slice(None)] * grid.ndim
        index[axis] = 0 if side == 0 else -1
        # The data as an array of rhs' module (cupy rhs: moved to the GPU).
        rhs[tuple(index)] -= scale * xp.asarray(value)
    return rhs


def split_complex(boundary, grid: Grid):
    """Real and imaginary parts of validated boundary data, or ``None`` if all data are real.

    Returns ``(real_part, imag_part)``, two dicts with the keys normalized
    to ``(axis, side)`` with ``0 <= axis < grid.ndim``: by linearity, a
    problem with complex data is the real problem with ``real_part`` plus
    ``1j`` times the one with ``imag_part``.
    """
    items = check_boundary(boundary, grid)
    if not any(np.iscomplexobj(value) for *_, value in items):
        return None
    real = {(axis, side): np.real(value) for axis, side, _, value in items}
    imag = {(axis, side): np.imag(value) for axis, side, _, value in items}
    return real, imag
