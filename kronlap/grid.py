"""Tensor-product grids with per-axis, per-side boundary conditions."""

from __future__ import annotations

import numbers
from collections.abc import Sequence

import numpy as np

__all__ = ["Grid", "normalize_bc", "BC_KINDS"]

BC_KINDS = ("dirichlet", "neumann", "periodic")

# Offset of the first/last unknown from the boundary, in units of h:
# vertex-centred Dirichlet, cell-centred Neumann.
_SIDE_OFFSET = {"dirichlet": 1.0, "neumann": 0.5}


def _side_kind(kind, name: str) -> str:
    if not isinstance(kind, str):
        raise TypeError(
            f"{name} must be a boundary-condition name (one of {BC_KINDS}), "
            f"got {kind!r}"
        )
    key = kind.strip().lower()
    if key not in BC_KINDS:
        raise ValueError(
            f"{name} must be one of {BC_KINDS} or a (low, high) pair of them, "
            f"got {kind!r}"
        )
    return key


def normalize_bc(spec, name: str = "bc") -> tuple[str, str]:
    """Turn one axis' boundary-condition spec into a ``(low, high)`` pair.

    Parameters
    ----------
    spec : str or (str, str)
        ``"dirichlet"``, ``"neumann"``, ``"periodic"`` (case-insensitive), or
        a ``(low, high)`` pair such as ``("dirichlet", "neumann")``.
    name : str
        Argument name used in error messages.

    Returns
    -------
    tuple of str
        The normalized ``(low, high)`` pair.

    Raises
    ------
    ValueError
        Unknown name, a pair of the wrong length, or ``"periodic"`` paired
        with another kind.
    TypeError
        A spec that is neither a string nor a pair.

    Examples
    --------
    >>> normalize_bc("Neumann")
    ('neumann', 'neumann')
    >>> normalize_bc(("dirichlet", "neumann"))
    ('dirichlet', 'neumann')
    """
    if isinstance(spec, str):
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
    """True if ``spec`` describes one axis (a name or a pair of names)."""
    return isinstance(spec, str) or (
        isinstance(spec, Sequence)
        and len(spec) == 2
        and all(isinstance(s, str) for s in spec)
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
        ``"dirichlet"``, ``"neumann"``, ``"periodic"`` or a ``(low, high)``
        pair such as ``("dirichlet", "neumann")``. A sequence of ``ndim``
        specs is read per axis, so on a 2D grid ``("dirichlet", "neumann")``
        means Dirichlet on axis 0 and Neumann on axis 1; write
        ``[("dirichlet", "neumann")] * 2`` for that pair on both axes.

    Attributes
    ----------
    shape, ndim, size : tuple of int, int, int
    lengths : tuple of float
    bc : tuple of (str, str)
        Normalized ``(low, high)`` pair per axis.
    h : tuple of float
        Spacing per axis: ``L / (n - 1 + a + b)`` with side offsets ``a, b``
        equal to 1 (Dirichlet) or 1/2 (Neumann); ``L / n`` for periodic.
    coords : tuple of ndarray
        Positions of the unknowns per axis, ``x_i = (i + a) h``
        (``x_i = i h`` for periodic).

    Raises
    ------
    TypeError
        ``shape`` or ``lengths`` not numbers, or ``bc`` not a spec or a
        sequence of specs.
    ValueError
        An axis with ``n < 1``, a non-positive or non-finite length, the
        wrong number of lengths or specs, an unknown bc name, or
        ``"periodic"`` paired with another kind.

    Examples
    --------
    >>> g = Grid((3, 4), lengths=(1.0, 2.0), bc=["dirichlet", ("neumann", "dirichlet")])
    >>> g.h
    (0.25, 0.4444444444444444)
    >>> g.coords[0]
    array([0.25, 0.5 , 0.75])
    >>> g.bc
    (('dirichlet', 'dirichlet'), ('neumann', 'dirichlet'))
    """

    def __init__(self, shape, lengths=1.0, bc="dirichlet"):
        self.shape = _normalize_shape(shape)
        ndim = len(self.shape)
        self.lengths = _normalize_lengths(lengths, ndim)
        if isinstance(bc, str) or (ndim != 2 and _is_axis_spec(bc)):
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
    def is_singular(self) -> bool:
        """True if the Laplacian has the constants as null space.

        That is the case when every axis is periodic or Neumann-Neumann.
        """
        return all(pair[0] == pair[1] != "dirichlet" for pair in self.bc)

    @property
    def coords(self) -> tuple[np.ndarray, ...]:
        """Positions of the unknowns, one 1D array per axis (see the class notes)."""
        return tuple(
            (np.arange(n) + _low_offset(pair)) * h
            for n, h, pair in zip(self.shape, self.h, self.bc)
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

    def __eq__(self, other):
        if not isinstance(other, Grid):
            return NotImplemented
        return (self.shape, self.lengths, self.bc) == (
            other.shape,
            other.lengths,
            other.bc,
        )

    def __hash__(self):
        return hash((self.shape, self.lengths, self.bc))

    def __repr__(self):
        return f"Grid(shape={self.shape}, lengths={self.lengths}, bc={self.bc})"


def _low_offset(pair) -> float:
    return 0.0 if pair[0] == "periodic" else _SIDE_OFFSET[pair[0]]


def _spacing(n: int, length: float, pair) -> float:
    if pair[0] == "periodic":
        return length / n
    return length / (n - 1 + _SIDE_OFFSET[pair[0]] + _SIDE_OFFSET[pair[1]])


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
