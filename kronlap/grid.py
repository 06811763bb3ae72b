"""Tensor-product grids with per-axis, per-side boundary conditions."""

from __future__ import annotations

import numbers
from collections.abc import Sequence

import numpy as np

__all__ = ["Grid", "normalize_bc", "side_kind", "BC_KINDS"]

BC_KINDS = ("dirichlet", "neumann", "periodic", "robin")

# Offset of the first/last unknown from the boundary, in units of h:
# vertex-centred Dirichlet, cell-centred Neumann and Robin (a Robin side is
# a Neumann side whose flux depends on the boundary value).
_SIDE_OFFSET = {"dirichlet": 1.0, "neumann": 0.5, "robin": 0.5}


def side_kind(side) -> str:
    """The kind of a normalized side: its name, ``"robin"`` for ``("robin", k)``.

    Examples
    --------
    >>> side_kind("neumann"), side_kind(("robin", 2.0))
    ('neumann', 'robin')
    """
    return side if isinstance(side, str) else side[0]


def _is_robin_spec(spec) -> bool:
    """True for a Robin side spec ``("robin", k)`` (not a pair of two names)."""
    return (
        isinstance(spec, Sequence)
        and not isinstance(spec, str)
        and len(spec) == 2
        and isinstance(spec[0], str)
        and spec[0].strip().lower() == "robin"
    )


def _side_kind(kind, name: str):
    """One normalized side: a name, or ``("robin", k)`` with a finite float ``k``.

    ``("robin", 0)`` is a Neumann side and normalizes to ``"neumann"``.
    """
    if _is_robin_spec(kind):
        k = kind[1]
        if not isinstance(k, numbers.Real) or isinstance(k, (bool, np.bool_)):
            raise TypeError(
                f"{name}: the Robin coefficient k in ('robin', k) must be a real number, "
                f"got {k!r}"
            )
        if not np.isfinite(k):
            raise ValueError(
                f"{name}: the Robin coefficient k in ('robin', k) must be a finite number, "
                f"got {k!r}"
            )
        return "neumann" if k == 0 else ("robin", float(k))
    if not isinstance(kind, str):
        raise TypeError(
            f"{name} must be a boundary-condition name (one of {BC_KINDS[:3]}) or "
            f"('robin', k), got {kind!r}"
        )
    key = kind.strip().lower()
    if key == "robin":
        raise ValueError(
            f"{name}: a Robin side needs its coefficient: write ('robin', k) for "
            f"du/dn + k u = g, got {kind!r}"
        )
    if key not in BC_KINDS:
        raise ValueError(
            f"{name} must be one of {BC_KINDS[:3]}, ('robin', k), or a (low, high) pair of "
            f"them, got {kind!r}"
        )
    return key


def normalize_bc(spec, name: str = "bc") -> tuple:
    """Turn one axis' boundary-condition spec into a ``(low, high)`` pair.

    Parameters
    ----------
    spec : str, ("robin", k) or a pair of those
        ``"dirichlet"``, ``"neumann"``, ``"periodic"`` (case-insensitive),
        ``("robin", k)`` (``du/dn + k u = g`` with the outward normal, ``k``
        a finite number), or a ``(low, high)`` pair of sides such as
        ``("dirichlet", ("robin", 2.0))``. One side applies to both ends.
    name : str
        Argument name used in error messages.

    Returns
    -------
    tuple
        The normalized ``(low, high)`` pair: names, and ``("robin", float(k))``
        for a Robin side (``("robin", 0)`` is ``"neumann"``).

    Raises
    ------
    ValueError
        Unknown name, a pair of the wrong length, ``"periodic"`` paired
        with another kind, or a Robin coefficient that is not finite.
    TypeError
        A spec that is neither a string nor a pair, or a Robin coefficient
        that is not a real number.

    Examples
    --------
    >>> normalize_bc("Neumann")
    ('neumann', 'neumann')
    >>> normalize_bc(("dirichlet", ("robin", 2)))
    ('dirichlet', ('robin', 2.0))
    """
    if isinstance(spec, str) or _is_robin_spec(spec):
        kind = _side_kind(spec, name)
        return (kind, kind)
    if not isinstance(spec, Sequence) or len(spec) != 2:
        raise (ValueError if isinstance(spec, Sequence) else TypeError)(
            f"{name} must be a boundary-condition name or a (low, high) pair, "
            f"got {spec!r}"
        )
    low = _side_kind(spec[0], f"{name}[0]")
    high = _side_kind(spec[1], f"{name}[1]")
    if (low == "periodic") != (high == "periodic"):
        raise ValueError(
            f"{name}: 'periodic' cannot be paired with another kind, got {spec!r}"
        )
    return (low, high)


def _is_axis_spec(spec) -> bool:
    """True if ``spec`` describes one axis (a side, or a pair of sides)."""
    return (
        isinstance(spec, str)
        or _is_robin_spec(spec)
        or (
            isinstance(spec, Sequence)
            and len(spec) == 2
            and all(isinstance(s, str) or _is_robin_spec(s) for s in spec)
        )
    )


class Grid:
    """A tensor-product grid of unknowns on the box ``[0, L0] x [0, L1] x ...``.

    Parameters
    ----------
    shape : int or sequence of int
        Number of unknowns per axis (each ``>= 1``).
    lengths : float or sequence of float, optional
        Length ``L`` of the domain ``[0, L]`` on each axis (default 1.0).
    bc : str, pair, or sequence of those, optional
        One boundary-condition spec for all axes, or one per axis. A spec is
        a side (``"dirichlet"``, ``"neumann"``, ``"periodic"``, or
        ``("robin", k)`` meaning ``du/dn + k u = g`` with the outward normal)
        or a ``(low, high)`` pair of sides such as
        ``("dirichlet", ("robin", 2.0))``. A sequence of ``ndim`` specs is
        read per axis, so on a 2D grid ``("dirichlet", "neumann")`` means
        Dirichlet on axis 0 and Neumann on axis 1; write
        ``[("dirichlet", "neumann")] * 2`` for that pair on both axes.
    coords : sequence of (None or array_like), optional, keyword-only
        Stretched axes: one entry per axis, ``None`` for a uniform axis or
        the positions of its unknowns, strictly increasing inside the
        domain (``0 < x_0 < ... < x_{n-1} < L``; ``0 <= x_0`` on a periodic
        axis). The operator there is the symmetric second-order
        finite-volume one (see :func:`kronlap.differences.axis_operator`).

    Attributes
    ----------
    shape, ndim, size : tuple of int, int, int
    lengths : tuple of float
    bc : tuple of pairs
        Normalized ``(low, high)`` pair per axis: names, and
        ``("robin", k)`` with a float ``k`` (``("robin", 0)`` is
        ``"neumann"``).
    h : tuple of float
        Spacing per axis: ``L / (n - 1 + a + b)`` with side offsets ``a, b``
        equal to 1 (Dirichlet) or 1/2 (Neumann, Robin); ``L / n`` for
        periodic. On a stretched axis this is the spacing a uniform axis
        would have, a reference scale only.
    coords : tuple of ndarray
        Positions of the unknowns per axis, ``x_i = (i + a) h``
        (``x_i = i h`` for periodic), or the given ones on a stretched axis.
    stretched : tuple of bool
        Whether each axis has given (non-uniform) positions.

    Raises
    ------
    TypeError
        ``shape`` or ``lengths`` not numbers, ``bc`` not a spec or a
        sequence of specs, a Robin coefficient that is not a real number.
    ValueError
        An axis with ``n < 1``, a non-positive or non-finite length, the
        wrong number of lengths, specs or coordinate arrays, an unknown bc
        name, ``"periodic"`` paired with another kind, a Robin coefficient
        that is not finite (or so negative that ``1 + k d <= 0``, ``d`` the
        distance from the side to its nearest unknown), or stretched
        positions that do not increase or leave the domain.

    Examples
    --------
    >>> g = Grid((3, 4), lengths=(1.0, 2.0), bc=["dirichlet", ("neumann", "dirichlet")])
    >>> g.h
    (0.25, 0.4444444444444444)
    >>> g.coords[0]
    array([0.25, 0.5 , 0.75])
    >>> g.bc
    (('dirichlet', 'dirichlet'), ('neumann', 'dirichlet'))
    >>> Grid(4, bc=("dirichlet", ("robin", 2))).bc
    (('dirichlet', ('robin', 2.0)),)
    >>> Grid(3, coords=[[0.1, 0.2, 0.6]]).stretched
    (True,)
    """

    def __init__(self, shape, lengths=1.0, bc="dirichlet", *, coords=None):
        self.shape = _normalize_shape(shape)
        ndim = len(self.shape)
        self.lengths = _normalize_lengths(lengths, ndim)
        if isinstance(bc, str) or _is_robin_spec(bc) or (ndim != 2 and _is_axis_spec(bc)):
            self.bc = (normalize_bc(bc, "bc"),) * ndim
        elif isinstance(bc, Sequence):
            # A sequence of ndim specs is per axis; for a 2D grid this is how
            # ("dirichlet", "neumann") reads (axis 0, axis 1), not as a pair.
            if len(bc) != ndim:
                raise ValueError(
                    f"bc must be one spec or a sequence of {ndim} specs (one per "
                    f"axis), got {len(bc)} specs: {bc!r}"
                )
            self.bc = tuple(normalize_bc(s, f"bc[{k}]") for k, s in enumerate(bc))
        else:
            raise TypeError(
                f"bc must be a boundary-condition name, a (low, high) pair, or a "
                f"sequence of those, got {bc!r}"
            )
        self.h = tuple(
            _spacing(n, length, pair)
            for n, length, pair in zip(self.shape, self.lengths, self.bc)
        )
        finfo = np.finfo(float)
        for axis, h in enumerate(self.h):
            # Every operator scales by 1/h**2: both it and h**2 must be normal numbers.
            if not finfo.tiny <= h * h <= finfo.max / 4:
                raise ValueError(
                    f"lengths[{axis}]={self.lengths[axis]!r} gives the spacing h={h:.3g}, "
                    f"whose square is outside float64's range; rescale the problem"
                )
        self._coords = _normalize_coords(coords, self.shape, self.lengths, self.bc)
        for axis in range(ndim):
            for side in (0, 1):
                _check_robin_distance(self, axis, side)

    @property
    def ndim(self) -> int:
        """Number of axes."""
        return len(self.shape)

    @property
    def size(self) -> int:
        """Number of unknowns, the product of :attr:`shape`."""
        return int(np.prod(self.shape, dtype=np.int64))

    @property
    def periodic(self) -> tuple[bool, ...]:
        """Whether each axis is periodic."""
        return tuple(pair[0] == "periodic" for pair in self.bc)

    @property
    def stretched(self) -> tuple[bool, ...]:
        """Whether each axis has given, non-uniform positions (``coords=``)."""
        return tuple(x is not None for x in self._coords)

    @property
    def is_singular(self) -> bool:
        """True if the Laplacian has the constants as null space.

        That is the case when every axis is periodic or Neumann-Neumann.
        """
        return all(pair[0] == pair[1] in ("periodic", "neumann") for pair in self.bc)

    @property
    def coords(self) -> tuple[np.ndarray, ...]:
        """Positions of the unknowns, one 1D array per axis (see the class notes)."""
        return tuple(
            (np.arange(n) + _low_offset(pair)) * h if x is None else x.copy()
            for n, h, pair, x in zip(self.shape, self.h, self.bc, self._coords)
        )

    def mesh(self) -> tuple[np.ndarray, ...]:
        """Coordinate arrays of shape ``self.shape``, ``indexing="ij"``.

        Returns
        -------
        tuple of ndarray
            ``np.meshgrid(*self.coords, indexing="ij")``: entry ``k`` holds
            the axis-``k`` coordinate of every unknown.

        Examples
        --------
        >>> x, y = Grid((2, 3), bc="periodic").mesh()
        >>> x.shape
        (2, 3)
        """
        return tuple(np.meshgrid(*self.coords, indexing="ij"))

    def _key(self):
        stretch = tuple(None if x is None else x.tobytes() for x in self._coords)
        return (self.shape, self.lengths, self.bc, stretch)

    def __eq__(self, other):
        if not isinstance(other, Grid):
            return NotImplemented
        return self._key() == other._key()

    def __hash__(self):
        return hash(self._key())

    def __repr__(self):
        extra = ""
        if any(self.stretched):
            axes = [k for k, s in enumerate(self.stretched) if s]
            extra = f", stretched axes {axes}"
        return f"Grid(shape={self.shape}, lengths={self.lengths}, bc={self.bc}{extra})"


def _normalize_coords(coords, shape, lengths, bc):
    """Validate ``coords=``: per axis None or strictly increasing positions inside the domain."""
    ndim = len(shape)
    if coords is None:
        return (None,) * ndim
    if isinstance(coords, np.ndarray) or not isinstance(coords, Sequence):
        raise TypeError(
            f"coords must be a sequence of {ndim} entries (None or a 1D array of "
            f"positions per axis), got {type(coords).__name__}"
        )
    if len(coords) != ndim:
        raise ValueError(
            f"coords must have one entry per axis ({ndim}), got {len(coords)}"
        )
    out = []
    for axis, (x, n, length, pair) in enumerate(zip(coords, shape, lengths, bc)):
        if x is None:
            out.append(None)
            continue
        arr = real_vector(x, n, f"coords[{axis}]", f"a 1D array of shape[{axis}]={n} positions")
        arr.flags.writeable = False
        if not np.all(np.isfinite(arr)):
            raise ValueError(f"coords[{axis}] contains NaN or inf")
        if n > 1 and not np.all(np.diff(arr) > 0):
            raise ValueError(f"coords[{axis}] must increase strictly, got {arr!r}")
        low_ok = arr[0] >= 0 if pair[0] == "periodic" else arr[0] > 0
        if not (low_ok and arr[-1] < length):
            interval = "[0, L)" if pair[0] == "periodic" else "(0, L)"
            raise ValueError(
                f"coords[{axis}] must lie inside the domain {interval} with "
                f"L = lengths[{axis}] = {length!r}, got positions from {arr[0]!r} to {arr[-1]!r}"
            )
        out.append(arr)
    return tuple(out)


def real_vector(value, n: int, name: str, expected: str) -> np.ndarray:
    """``value`` as a new float64 array of shape ``(n,)``; else an error naming ``name``.

    A dtype that is not real (bool, complex, object) is a ``TypeError``; a
    wrong shape a ``ValueError`` saying what was ``expected``.

    Examples
    --------
    >>> real_vector([1, 2], 2, "x", "two numbers")
    array([1., 2.])
    """
    arr = np.asarray(value)
    if arr.dtype == bool or not np.issubdtype(arr.dtype, np.number) or np.iscomplexobj(arr):
        raise TypeError(f"{name} must be real numbers, got dtype {arr.dtype}")
    if arr.shape != (n,):
        raise ValueError(f"{name} must be {expected}, got shape {arr.shape}")
    return np.array(arr, dtype=np.float64)


def _check_robin_distance(grid, axis, side):
    """Refuse ``1 + k d <= 0`` on a Robin side (``d``: side to its nearest unknown)."""
    kind = grid.bc[axis][side]
    if isinstance(kind, str):
        return
    k = kind[1]
    x = grid.coords[axis]
    d = x[0] if side == 0 else grid.lengths[axis] - x[-1]
    if not 1.0 + k * d > 0:
        raise ValueError(
            f"bc of axis {axis}, side {side}: the Robin coefficient k={k!r} makes 1 + k d "
            f"= {1.0 + k * d:.3g} <= 0 (d = {d:.3g}, the distance from the side to its "
            f"nearest unknown); the discrete condition is singular there: refine the grid "
            f"or check the sign of k (du/dn + k u = g, outward normal)"
        )


def _low_offset(pair) -> float:
    return 0.0 if pair[0] == "periodic" else _SIDE_OFFSET[side_kind(pair[0])]


def _spacing(n: int, length: float, pair) -> float:
    if pair[0] == "periodic":
        return length / n
    offsets = _SIDE_OFFSET[side_kind(pair[0])] + _SIDE_OFFSET[side_kind(pair[1])]
    return length / (n - 1 + offsets)


def _normalize_shape(shape) -> tuple[int, ...]:
    if isinstance(shape, numbers.Integral) and not isinstance(shape, bool):
        shape = (shape,)
    try:
        items = tuple(shape)
    except TypeError:
        raise TypeError(
            f"shape must be an int or a sequence of ints, got {shape!r}"
        ) from None
    if not items:
        raise ValueError("shape must have at least one axis, got ()")
    for n in items:
        if not isinstance(n, numbers.Integral) or isinstance(n, bool):
            raise TypeError(f"shape must contain ints, got {shape!r}")
        if n < 1:
            raise ValueError(f"shape entries must be >= 1, got {tuple(items)}")
    return tuple(int(n) for n in items)


def _normalize_lengths(lengths, ndim: int) -> tuple[float, ...]:
    if isinstance(lengths, numbers.Real) and not isinstance(lengths, bool):
        items = (lengths,) * ndim
    else:
        try:
            items = tuple(lengths)
        except TypeError:
            raise TypeError(
                f"lengths must be a float or a sequence of floats, got {lengths!r}"
            ) from None
        if len(items) != ndim:
            raise ValueError(
                f"lengths must be one float or {ndim} floats (one per axis), "
                f"got {len(items)}"
            )
    out = []
    for length in items:
        if not isinstance(length, numbers.Real) or isinstance(length, bool):
            raise TypeError(f"lengths must contain real numbers, got {lengths!r}")
        if not np.isfinite(length) or length <= 0:
            raise ValueError(
                f"lengths must be positive and finite, got {tuple(items)}"
            )
        out.append(float(length))
    return tuple(out)
