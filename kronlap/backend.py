"""Array-library selection: one code path for numpy (and, later, cupy)."""

from __future__ import annotations

import importlib.util

import numpy as np

__all__ = ["get_array_module", "check_backend"]

BACKENDS = ("numpy", "cupy")


def _is_cupy_array(x) -> bool:
    return type(x).__module__.split(".")[0] == "cupy"


def get_array_module(x):
    """The array module (``numpy``) that ``x`` belongs to."""
    if _is_cupy_array(x):
        import cupy

        return cupy
    return np


def check_backend(backend, f=None) -> str:
    """Validate ``backend`` and the array it applies to; return its name.

    Raises
    ------
    ValueError
        Unknown backend name.
    RuntimeError
        The GPU was asked for (``backend="cupy"`` or a cupy array) but cupy
        is not installed, no GPU is visible, or this version of kronlap has
        no GPU path.
    """
    if backend is None:
        backend = "cupy" if f is not None and _is_cupy_array(f) else "numpy"
    if backend not in BACKENDS:
        raise ValueError(f"backend must be None, 'numpy' or 'cupy', got {backend!r}")
    if backend == "cupy":
        if importlib.util.find_spec("cupy") is None:
            raise RuntimeError(
                "backend='cupy' needs cupy: pip install 'kronlap[gpu]', or use "
                "backend='numpy'"
            )
        import cupy

        if not cupy.is_available():
            raise RuntimeError(
                "backend='cupy' needs a visible CUDA GPU and none was found; use "
                "backend='numpy'"
            )
        raise RuntimeError(
            "this version of kronlap has no GPU path yet; pass numpy arrays and "
            "backend='numpy'"
        )
    if f is not None and _is_cupy_array(f):
        raise RuntimeError(
            "backend='numpy' was asked for but f is a cupy array; use cupy.asnumpy(f)"
        )
    return backend
