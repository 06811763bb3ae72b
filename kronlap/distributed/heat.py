"""The distributed exact heat propagator: :func:`kronlap.solve_heat` on each rank's block.

See :mod:`kronlap.distributed` for the public names and how to run them.
"""

from __future__ import annotations

import numpy as np

from .._validation import check_grid, check_positive, check_times
from ..boundary import fold_boundary
from ..grid import Grid
from ..spectral import heat_frames
from .solver import PoissonSolver, _check_local_array, _collective, _mpi

__all__ = ["solve_heat", "HEAT_METHODS"]

HEAT_METHODS = ("auto", "exact")


def solve_heat(
    u0,
    grid: Grid,
    t,
    *,
    kappa: float = 1.0,
    method: str = "auto",
    boundary=None,
    comm=None,
    **options,
) -> np.ndarray:
    """Solve ``u_t = kappa Delta_h u``, ``u(0) = u0``, on ranks' blocks; return ``u(t)``.

    The distributed :func:`kronlap.solve_heat` with ``method="exact"``:
    ``u(t) = u_s + exp(t kappa Delta_h) (u0 - u_s)`` through the per-axis
    transforms, with the steady state ``u_s`` of the boundary data (on a
    singular grid with unbalanced fluxes, the mean grows linearly; see the
    serial Notes). Exact to round-off; no time steps.

    Parameters
    ----------
    u0 : array_like
        This rank's block of the initial values (the ``local_shape`` of a
        :class:`PoissonSolver` on the same grid and ranks), real.
    grid : Grid
    t : float or 1D array_like of float
        Output time(s), ``>= 0``, non-decreasing.
    kappa : float, optional
        Diffusivity, ``> 0``.
    method : {"auto", "exact"}, optional
        Only the exact propagator is distributed.
    boundary : dict, optional
        Time-independent boundary data, see :meth:`PoissonSolver.solve`.
        Complex data give a complex ``u`` (real and imaginary parts solved
        as two real problems, as in :func:`kronlap.solve_heat`).
    comm : mpi4py.MPI.Comm, optional
        Default ``MPI.COMM_WORLD``.
    **options
        ``decomposition``, ``planner_effort``, ``threads``: see
        :class:`PoissonSolver`.

    Returns
    -------
    ndarray
        float64 (complex128 for complex ``boundary`` data), this rank's
        block for a scalar ``t``; shape
        ``(len(t), *local_shape)`` for an array ``t``.

    Raises
    ------
    TypeError, ValueError
        As :func:`kronlap.solve_heat` (on every rank if any rank's block
        is bad), and for a method other than ``"exact"``.

    Examples
    --------
    >>> import pytest; _ = pytest.importorskip("mpi4py_fft")  # kronlap[mpi]
    >>> import numpy as np
    >>> import kronlap as kl
    >>> from kronlap import distributed
    >>> g = kl.Grid((16, 12), bc=["periodic", "dirichlet"])
    >>> u0 = np.random.default_rng(0).random(g.shape)
    >>> frames = distributed.solve_heat(u0, g, [0.0, 0.01], planner_effort="FFTW_ESTIMATE")
    >>> bool(np.allclose(frames, kl.solve_heat(u0, g, [0.0, 0.01]), atol=1e-13))
    True
    """
    if method not in HEAT_METHODS:
        raise ValueError(
            f"method must be one of {HEAT_METHODS} (the distributed heat solver runs the "
            f"exact propagator only), got {method!r}"
        )
    grid = check_grid(grid)
    times, scalar = check_times(t)
    kappa = check_positive(kappa, "kappa")
    # The propagator needs every axis transformed (no tridiagonal sweeps).
    solver = PoissonSolver(grid, comm=comm, tridiagonal_axis=None, **options)
    try:
        start = _collective(solver.comm, lambda: _check_initial(u0, solver.local_shape))
        parts = _complex_parts(boundary)
        if parts is None:
            frames = _exact_heat(solver, start, times, kappa, boundary)
        else:  # the operator is real: u0 with the real parts, zero with the imaginary
            frames = _exact_heat(solver, start, times, kappa, parts[0]) + 1j * _exact_heat(
                solver, np.zeros_like(start), times, kappa, parts[1]
            )
    finally:
        solver.close()
    return frames[0] if scalar else frames


def _exact_heat(solver, u0, times, kappa, boundary):
    """``u_s + t kappa drift + exp(t kappa Delta_h) (u0 - u_s)`` at every time (as serial)."""
    MPI = _mpi()
    comm, grid, transform = solver.comm, solver.grid, solver._transform
    source = np.zeros(solver.local_shape)
    local = _collective(comm, lambda: solver._local_boundary(boundary))
    fold_boundary(source, solver._block, local, operators=solver._axis_operators)
    source *= -1.0
    steady, drift = 0.0, 0.0
    if comm.allreduce(bool(np.any(source)), op=MPI.LOR):
        if grid.is_singular:
            drift = comm.allreduce(float(source.sum()), op=MPI.SUM) / grid.size
        steady = solver.solve(-source, project=grid.is_singular)
    coefficients = transform.forward(u0 - steady) * transform.scale  # a copy, scaled

    def backward(c, out):
        transform.coefficients[...] = c
        transform.backward(out)

    frames = np.empty((len(times),) + solver.local_shape)
    rates = kappa * transform.eigenvalue_sum()
    return heat_frames(
        coefficients, rates, times, backward, frames, steady=steady, drift=kappa * drift
    )


def _complex_parts(boundary):
    """``(real parts, imaginary parts)`` of complex boundary data, else None.

    The values are checked later, per rank, against the grid and the block
    (a value may be a whole face or this rank's part of it).
    """
    if not isinstance(boundary, dict) or not any(
        np.iscomplexobj(np.asarray(value)) for value in boundary.values()
    ):
        return None
    return (
        {key: np.real(value) for key, value in boundary.items()},
        {key: np.imag(value) for key, value in boundary.items()},
    )


def _check_initial(u0, shape) -> np.ndarray:
    arr = _check_local_array(u0, shape, "u0")
    if np.iscomplexobj(arr):
        raise TypeError("u0 must be real, got a complex array")
    return np.asarray(arr, dtype=np.float64)
