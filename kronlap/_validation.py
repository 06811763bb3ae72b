"""Shared argument checks: a wrong type is a ``TypeError``, a bad value a ``ValueError``.

Every message names the argument and says what was expected. The public
functions of kronlap call these at their boundary; internal code trusts
its inputs.
"""

from __future__ import annotations

import numbers

import numpy as np

from .backend import get_array_module
from .grid import Grid


def check_real(value, name: str) -> float:
    """A finite real number (not a bool): ``float(value)``.

    Examples
    --------
    >>> check_real(2, "shift")
    2.0
    >>> check_real("a", "shift")
    Traceback (most recent call last):
    ...
    TypeError: shift must be a real number, got 'a'
    """
    number = _real_number(value, name)
    if not np.isfinite(number):
        raise ValueError(f"{name} must be finite, got {value!r}")
    return number


def _real_number(value, name: str) -> float:
    if not isinstance(value, numbers.Real) or isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be a real number, got {value!r}")
    return float(value)


def check_positive(value, name: str) -> float:
    """A positive finite real number (not a bool).

    Examples
    --------
    >>> check_positive(0.5, "dt")
    0.5
    >>> check_positive(0, "dt")
    Traceback (most recent call last):
    ...
    ValueError: dt must be positive and finite, got 0
    """
    number = _real_number(value, name)
    if not (np.isfinite(number) and number > 0):
        raise ValueError(f"{name} must be positive and finite, got {value!r}")
    return number


def check_nonnegative(value, name: str) -> float:
    """A finite real number ``>= 0`` (not a bool).

    Examples
    --------
    >>> check_nonnegative(0, "t")
    0.0
    >>> check_nonnegative(-1.0, "t")
    Traceback (most recent call last):
    ...
    ValueError: t must be >= 0 and finite, got -1.0
    """
    number = _real_number(value, name)
    if not (np.isfinite(number) and number >= 0):
        raise ValueError(f"{name} must be >= 0 and finite, got {value!r}")
    return number


def check_tolerance(value, name: str = "tol") -> float:
    """A relative tolerance: a real number in the open interval (0, 1).

    Examples
    --------
    >>> check_tolerance(1e-8)
    1e-08
    >>> check_tolerance(1.5)
    Traceback (most recent call last):
    ...
    ValueError: tol must be a relative tolerance in (0, 1), got 1.5
    """
    if not isinstance(value, numbers.Real) or isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be a real number in (0, 1), got {value!r}")
    if not 0 < value < 1:
        raise ValueError(f"{name} must be a relative tolerance in (0, 1), got {value!r}")
    return float(value)


def check_count(value, name: str, *, allow_none: bool = False, minimum: int = 1):
    """An int (not a bool) of at least ``minimum``, or None where allowed.

    Examples
    --------
    >>> check_count(3, "maxiter")
    3
    >>> check_count(True, "maxiter")
    Traceback (most recent call last):
    ...
    TypeError: maxiter must be an int, got True
    """
    if value is None and allow_none:
        return None
    if not isinstance(value, numbers.Integral) or isinstance(value, (bool, np.bool_)):
        what = "an int or None" if allow_none else "an int"
        raise TypeError(f"{name} must be {what}, got {value!r}")
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value!r}")
    return int(value)


def check_choice(value, name: str, choices) -> object:
    """One of ``choices``: a value of none of their types is a ``TypeError``, else ``ValueError``.

    Examples
    --------
    >>> check_choice("warn", "on_nonconvergence", ("raise", "warn"))
    'warn'
    >>> check_choice(3, "on_nonconvergence", ("raise", "warn"))
    Traceback (most recent call last):
    ...
    TypeError: on_nonconvergence must be one of ('raise', 'warn'), got 3
    """
    choices = tuple(choices)
    if not any(isinstance(value, type(choice)) for choice in choices):
        raise TypeError(f"{name} must be one of {choices!r}, got {value!r}")
    if not any(value is choice or (type(value) is type(choice) and value == choice)
               for choice in choices):
        raise ValueError(f"{name} must be one of {choices!r}, got {value!r}")
    return value


def check_workers(value):
    """``workers`` for ``scipy.fft``: None or a non-zero int (negative counts from the CPUs).

    Examples
    --------
    >>> check_workers(None), check_workers(-1)
    (None, -1)
    """
    if value is None:
        return None
    if not isinstance(value, numbers.Integral) or isinstance(value, (bool, np.bool_)):
        raise TypeError(f"workers must be an int or None, got {value!r}")
    if value == 0:
        raise ValueError("workers must be a non-zero int (negative counts back from the CPUs)")
    return int(value)


def check_grid(grid):
    """A :class:`kronlap.Grid`, else ``TypeError``.

    Examples
    --------
    >>> check_grid("not a grid")
    Traceback (most recent call last):
    ...
    TypeError: grid must be a kronlap.Grid, got str
    """
    if not isinstance(grid, Grid):
        raise TypeError(f"grid must be a kronlap.Grid, got {type(grid).__name__}")
    return grid


def check_times(t) -> tuple[np.ndarray, bool]:
    """Output times: a real number or a non-decreasing 1D array of them, all >= 0.

    Returns the times as a float64 array and whether ``t`` was a scalar.

    Examples
    --------
    >>> check_times(0.5)
    (array([0.5]), True)
    """
    arr = np.asarray(t)
    if arr.dtype == bool or not (
        np.issubdtype(arr.dtype, np.integer) or np.issubdtype(arr.dtype, np.floating)
    ):
        raise TypeError(f"t must be a real number or a 1D array of them, got {t!r}")
    if arr.ndim > 1:
        raise ValueError(f"t must be a scalar or a 1D array, got shape {arr.shape}")
    times = arr.astype(np.float64).reshape(-1)
    if not np.all(np.isfinite(times)):
        raise ValueError("t contains NaN or inf")
    if np.any(times < 0):
        raise ValueError(f"t must be >= 0, got min(t) = {times.min()}")
    if np.any(np.diff(times) < 0):
        raise ValueError("t must be non-decreasing")
    return times, arr.ndim == 0


def check_standard_grid(grid: Grid, where: str) -> None:
    """Refuse Robin sides and stretched axes where ``where`` takes neither.

    Examples
    --------
    >>> check_standard_grid(Grid(4, bc=("robin", 1.0)), "the demo")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: the demo takes ... but grid axis 0 has a Robin side; use kronlap.PoissonSolver
    """
    for axis, pair in enumerate(grid.bc):
        if not all(isinstance(side, str) for side in pair):
            problem = "a Robin side"
        elif grid.stretched[axis]:
            problem = "stretched positions (coords=)"
        else:
            continue
        raise ValueError(
            f"{where} takes Dirichlet, Neumann and periodic sides on uniform axes, but "
            f"grid axis {axis} has {problem}; use kronlap.PoissonSolver"
        )


def check_grid_array(f, grid: Grid, name: str = "f") -> np.ndarray:
    """Validate ``f`` (numpy or cupy); return it, or a float32/float64/complex C-ordered copy.

    ``name`` is the argument named in the errors (``"f"``, ``"x0"``).
    """
    xp = get_array_module(f)
    arr = xp.asarray(f)
    if arr.dtype == bool or not np.issubdtype(arr.dtype, np.number):
        raise TypeError(f"{name} must be a numeric array, got dtype {arr.dtype}")
    if arr.shape != grid.shape:
        raise ValueError(f"{name} must have shape grid.shape={grid.shape}, got {arr.shape}")
    if arr.dtype in (np.float32, np.float64, np.complex64, np.complex128):
        dtype = arr.dtype
    elif np.iscomplexobj(arr):
        dtype = np.complex128
    else:
        dtype = np.float64
    if has_nonfinite(arr):
        raise ValueError(f"{name} contains NaN or inf")
    with np.errstate(over="ignore", invalid="ignore"):
        total = arr.sum()
    if not xp.isfinite(total):
        # Finite entries whose sum overflows: every transform and norm of the
        # solve would overflow too and return NaN.
        raise ValueError(
            f"{name} is too large to solve in {np.dtype(dtype).name}: "
            f"its entries are finite (max |f| = {float(abs(arr).max()):.3g}) but their sum "
            f"overflows; scale it down and the answer up by the same factor"
        )
    if dtype != arr.dtype or not arr.flags.c_contiguous:
        return xp.array(arr, dtype=dtype, order="C")
    return arr


def has_nonfinite(arr) -> bool:
    """Whether ``arr`` (numpy or cupy) has a NaN or inf entry.

    A sum is NaN or inf if any entry is (one pass, no temporary); only then
    look closer, since a sum of finite entries can also overflow.
    """
    xp = get_array_module(arr)
    with np.errstate(over="ignore", invalid="ignore"):
        total = arr.sum()
    return not bool(xp.isfinite(total)) and not bool(xp.all(xp.isfinite(arr)))
