"""The problem a solver is set up for, and the checks of what a solve is given.

A :class:`Problem` holds what every method needs: the grid, the shift, the
coefficient and mask (validated, private copies), the array module, whether
the operator is singular. The functions below check the right-hand side,
the mask and its values, and the singular-problem rule; the serial and the
distributed solvers share them.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass

import numpy as np

from .._validation import check_grid_array as check_rhs
from .._validation import has_nonfinite
from ..coefficients import volume_weights, weighted_mean
from ..differences import axis_operators, has_constant_null_space
from ..grid import Grid

__all__ = [
    "Problem",
    "check_mask",
    "check_mask_values",
    "check_rhs",
    "check_tridiagonal_axis",
    "check_zero_mean",
    "enforce_compatibility",
    "has_nonfinite",
]


@dataclass(frozen=True)
class Problem:
    """``(L - shift) u = f`` on ``grid``: ``L`` the Laplacian, or ``div(a grad)`` with ``coeff``.

    Attributes
    ----------
    grid : Grid
    shift : float
    coeff : ndarray or None
        The coefficient at every grid point (:func:`kronlap.coefficient_array`).
    mask : ndarray of bool or None
        ``True`` at the unknowns.
    xp : module
        ``numpy`` or ``cupy``: where the solves run.
    tol : float
        Relative residual iterative methods must reach.
    order : int
        2, or 4 for the compact scheme ``(L4 - shift M) u = M f``.
    separable_coeff, separable_shift : list or None
        A separable coefficient or shift as given: one entry per axis.
    operators : tuple of AxisOperator
        The axes' 1D operators (:func:`kronlap.differences.axis_operators`),
        made from the grid and the separable terms: the sides and spacing of
        each axis, and its coefficient and shift.
    """

    grid: Grid
    shift: float
    coeff: object
    mask: object
    xp: object
    tol: float
    order: int = 2
    separable_coeff: object = None
    separable_shift: object = None

    def __post_init__(self):
        operators = axis_operators(self.grid, self.separable_coeff, self.separable_shift)
        object.__setattr__(self, "operators", operators)

    @property
    def singular(self) -> bool:
        """Every axis periodic or Neumann-Neumann, no shift, every point unknown."""
        return has_constant_null_space(self.operators, self.shift) and (
            self.mask is None or bool(self.mask.all())
        )

    @property
    def volumes(self):
        """The control-volume weights ``V`` (stretched axes), or None where all are 1.

        The volume-weighted system ``V (L - shift) u = V f`` is symmetric;
        a singular problem's compatibility condition and zero mean are
        weighted by ``V`` too.
        """
        return volume_weights(self.operators)

    @property
    def plain(self) -> bool:
        """Whether every axis' operator is its second difference (uniform, no separable terms)."""
        return all(op.plain for op in self.operators)

    @property
    def unknowns(self) -> int:
        return self.grid.size if self.mask is None else int(self.mask.sum())


def check_mask(mask, grid: Grid):
    """Validate ``mask``; return a private bool copy or None."""
    if mask is None:
        return None
    arr = np.asarray(mask)
    if arr.dtype != bool:
        raise TypeError(
            f"mask must be a boolean array (True = unknown), got dtype {arr.dtype}; "
            f"compare or cast explicitly, e.g. mask=(m != 0)"
        )
    if arr.shape != grid.shape:
        raise ValueError(f"mask must have shape grid.shape={grid.shape}, got {arr.shape}")
    if not arr.any():
        raise ValueError("mask must have at least one True point (an unknown), got none")
    return np.array(arr, dtype=bool, order="C")


def check_mask_values(values, grid: Grid, mask=None) -> np.ndarray:
    """Validate ``mask_values``: a finite scalar or array of ``grid.shape``.

    Entries inside ``mask`` are ignored, as documented: they may be anything
    (NaN included) and are zeroed in the returned copy.
    """
    if values is None:
        return np.zeros(())
    arr = np.asarray(values)
    if arr.dtype == bool or not np.issubdtype(arr.dtype, np.number):
        raise TypeError(f"mask_values must be numeric, got dtype {arr.dtype}")
    if arr.ndim != 0 and arr.shape != grid.shape:
        raise ValueError(
            f"mask_values must be a scalar or an array of grid.shape={grid.shape}, got shape "
            f"{arr.shape}"
        )
    dtype = np.complex128 if np.iscomplexobj(arr) else np.float64
    values = np.array(arr, dtype=dtype)
    if values.ndim and mask is not None:
        values[mask] = 0
    if not np.all(np.isfinite(values)):
        raise ValueError("mask_values contains NaN or inf outside the mask")
    return values


def enforce_compatibility(rhs, project: bool, volumes=None) -> None:
    """Singular problems: the right-hand side must have zero mean (weighted by ``volumes``).

    On a grid with stretched axes the condition is ``sum V f = 0``, the
    discrete integral of ``f`` over the control volumes ``V``.
    """
    mean = rhs.mean() if volumes is None else weighted_mean(rhs, volumes)
    if project:
        rhs -= mean
        return
    # Rounding in a (pairwise) sum of N terms stays well below sqrt(N) eps
    # times their largest magnitude. Reductions without BLAS: a BLAS norm
    # can stall on busy machines.
    if np.iscomplexobj(rhs):
        scale = float(np.abs(rhs).max())
    else:
        scale = max(abs(float(rhs.max())), abs(float(rhs.min())))
    check_zero_mean(mean, scale, rhs.size, rhs.real.dtype)


def check_tridiagonal_axis(value, grid, shift: float = 0.0) -> None:
    """``"auto"``, None or a non-periodic axis (an int, not a bool) of ``grid``.

    An axis is refused for a negative ``shift``: the sweep eliminates
    without pivoting, which is stable only for the definite operator.
    """
    if value not in ("auto", None) and not (
        isinstance(value, numbers.Integral)
        and not isinstance(value, bool)
        and 0 <= value < grid.ndim
        and grid.bc[value][0] != "periodic"
    ):
        raise ValueError(
            f"tridiagonal_axis must be 'auto', None or a non-periodic axis in "
            f"[0, {grid.ndim}), got {value!r}"
        )
    if value not in ("auto", None) and shift < 0:
        raise ValueError(
            f"tridiagonal_axis={value!r} needs shift >= 0: the tridiagonal sweep does not "
            f"pivot, which is stable only for a definite operator, and shift={shift} makes it "
            f"indefinite; pass tridiagonal_axis='auto' or None to transform every axis"
        )


def check_zero_mean(mean, scale, size: int, dtype, where: str = "") -> None:
    """Refuse a mean above the rounding of a sum of ``size`` terms of magnitude ``scale``.

    Shared by the serial and the distributed solvers (``where`` names the
    domain the mean was taken over, for the message).
    """
    eps = np.finfo(dtype).eps
    if abs(mean) > 4.0 * math.sqrt(size) * eps * scale:
        raise ValueError(
            f"f is incompatible with this singular problem (every axis periodic or "
            f"Neumann-Neumann, shift=0): its mean{where}, boundary fluxes included, is "
            f"{complex(mean) if np.iscomplexobj(mean) else float(mean):.6g} "
            f"(max |f| = {scale:.6g}) but must be zero; fix the data or pass "
            f"project=True to remove the mean"
        )
