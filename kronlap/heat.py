"""Heat equation ``u_t = kappa Delta_h u``: exact spectral propagator and implicit steps."""

from __future__ import annotations

import math

import numpy as np

from ._validation import check_count, check_grid, check_grid_array, check_positive, check_times
from .backend import array_module, check_backend, float_dtype, get_array_module, to_backend
from .boundary import fold_boundary, split_complex
from .coefficients import volume_weights, weighted_mean
from .grid import Grid
from .solvers import PoissonSolver
from .spectral import SpectralSolver, heat_frames

__all__ = ["solve_heat", "HEAT_METHODS"]

HEAT_METHODS = ("auto", "exact", "crank_nicolson", "backward_euler")

# Output intervals within this relative distance of a whole number of steps
# are taken as whole (round-off in t such as np.linspace(0, 1, 11)).
_WHOLE_STEPS_RTOL = 1e-9

# Default cap on the implicit steps of one call (each one a shifted solve).
MAX_STEPS = 100_000


def solve_heat(
    u0,
    grid: Grid,
    t,
    *,
    kappa: float = 1.0,
    method: str = "auto",
    dt: float | None = None,
    boundary=None,
    coeff=None,
    progress: bool = False,
    backend: str | None = None,
    max_steps: int | None = MAX_STEPS,
) -> np.ndarray:
    """Solve ``u_t = kappa Delta_h u``, ``u(0) = u0``, and return ``u(t)``.

    ``Delta_h`` is :func:`kronlap.laplacian` of ``grid`` (or, with ``coeff``,
    the variable-coefficient operator ``div(coeff grad)`` of
    :class:`kronlap.PoissonSolver`), with time-independent boundary data
    ``boundary`` entering as in :func:`kronlap.solve_poisson`.

    Parameters
    ----------
    u0 : array_like of shape ``grid.shape``
        Initial values, real (integers are read as float64).
    grid : Grid
        Shape, lengths and boundary conditions.
    t : float or 1D array_like of float
        Output time(s), ``>= 0``; an array must be non-decreasing.
    kappa : float, optional
        Diffusivity, ``> 0``.
    method : {"auto", "exact", "crank_nicolson", "backward_euler"}, optional
        ``"exact"``: the propagator ``exp(t kappa Delta_h)`` applied through
        the per-axis diagonalizers (FFT / DST-I / DCT-II, dense
        eigenvectors on mixed-side axes); exact to round-off, no time
        steps, ``dt`` is not used. ``"crank_nicolson"`` (second order in
        ``dt``) and ``"backward_euler"`` (first order, L-stable): implicit
        steps of length ``dt``, each one shifted Poisson solve with a
        :class:`~kronlap.PoissonSolver` set up once. ``"auto"``:
        ``"exact"`` when ``coeff`` is None, else ``"crank_nicolson"``.
    dt : float, optional
        Time step of the stepping methods (required by them), ``> 0``.
    boundary : dict, optional
        ``{(axis, side): value}``, constant in time: ``u`` on a Dirichlet
        side, the outward normal derivative on a Neumann side; homogeneous
        by default. See :meth:`kronlap.PoissonSolver.solve`. Complex data
        give a complex ``u`` (the real and imaginary parts are solved as two
        real problems, by linearity).
    coeff : array_like or callable, optional
        Variable conductivity ``a`` (positive, of ``grid.shape``): solve
        ``u_t = kappa div(a grad u)``. Stepping methods only; passed to
        :class:`~kronlap.PoissonSolver`, whose ``"auto"`` method then uses
        multigrid.
    progress : bool, optional
        Show a progress bar (tqdm, on stderr) over the time steps of the
        stepping methods.
    backend : {None, "numpy", "cupy"}, optional
        Array library; ``None`` follows ``u0`` (a cupy array runs on the
        GPU), ``"cupy"`` moves numpy input to the GPU, ``"numpy"`` moves
        cupy input to the host. The GPU runs ``method="exact"`` (and
        ``"auto"`` without ``coeff``) only.
    max_steps : int or None, optional
        Most time steps the stepping methods may take (all output times
        together, default 100000); more is refused with a ``ValueError``
        before any step is taken, since a ``dt`` far below ``t`` would run
        for minutes or hours. ``None``: no limit. Not used by ``"exact"``.

    Returns
    -------
    ndarray
        Of the array library of ``backend``; float64 (on the GPU float32
        ``u0`` stays float32), complex for complex ``boundary`` data; of
        shape ``grid.shape`` for a scalar ``t``, of shape
        ``(len(t), *grid.shape)`` for an array ``t``.

    Raises
    ------
    TypeError
        ``u0`` or ``grid`` of the wrong type, non-real ``t``, ``kappa`` or
        ``dt``, a ``max_steps`` that is not an int or None, non-numeric
        ``boundary`` data.
    ValueError
        Wrong shape, NaN or inf, negative or decreasing ``t``, non-positive
        ``kappa`` or ``dt``, ``dt`` missing for a stepping method, an
        unknown ``method``, ``coeff`` with ``method="exact"``, or bad
        ``boundary`` data, or a stepping method on the GPU; more steps of
        ``dt`` than ``max_steps`` (or ``max_steps < 1``).
    ImportError
        ``progress=True`` without tqdm installed.
    RuntimeError
        The GPU was asked for without cupy or a visible GPU.

    See Also
    --------
    kronlap.PoissonSolver : the shifted solves behind the implicit steps.
    kronlap.image.smooth : the Neumann heat flow of an image.

    Notes
    -----
    The semi-discrete problem is ``u' = kappa (Delta_h u + c)``, where ``c``
    holds the boundary data (``Delta_h u + c`` is the Laplacian with the
    data, ``c = -fold_boundary(0)``). ``"exact"`` writes
    ``u(t) = u_s + exp(t kappa Delta_h) (u0 - u_s)`` with the steady state
    ``Delta_h u_s = -c``. On a singular grid (every axis periodic or
    Neumann-Neumann) fluxes whose sum is not zero have no steady state:
    the mean of ``u`` then grows linearly, and
    ``u(t) = w + t kappa mean(c) + exp(t kappa Delta_h) (u0 - w)`` with
    ``Delta_h w = -(c - mean(c))``, also exact.

    A step of length ``tau`` solves ``(Delta_h - s) v = -s u_n`` (data
    folded in) with ``s = 1 / (kappa tau)`` for backward Euler
    (``u_{n+1} = v``) and ``s = 2 / (kappa tau)`` for Crank-Nicolson
    (``u_{n+1} = 2 v - u_n``: a backward Euler half step extrapolated,
    algebraically the trapezoidal rule), so only a shifted solver is
    needed, also for ``coeff``. From one output time to the next the steps
    have length ``dt`` and the last one is shorter where the interval is
    not a whole number of steps (intervals within a relative ``1e-9`` of
    one count as whole); each distinct step length sets up its own solver.
    Crank-Nicolson damps the highest modes only weakly (its amplification
    factor tends to ``-1``), so rough initial data can show slowly decaying
    grid-scale oscillations unless ``dt`` resolves them; backward Euler
    damps them.

    Examples
    --------
    A sine mode of a Dirichlet grid decays with its eigenvalue, exactly:

    >>> import numpy as np
    >>> import kronlap as kl
    >>> g = kl.Grid(63, bc="dirichlet")
    >>> u0 = np.sin(np.pi * g.coords[0])
    >>> lam = -4 / g.h[0] ** 2 * np.sin(np.pi * g.h[0] / 2) ** 2
    >>> u = kl.solve_heat(u0, g, 0.1)
    >>> bool(np.allclose(u, np.exp(0.1 * lam) * u0))
    True

    Crank-Nicolson steps at several output times:

    >>> frames = kl.solve_heat(u0, g, [0.05, 0.1], method="crank_nicolson", dt=0.005)
    >>> frames.shape
    (2, 63)
    >>> bool(np.abs(frames[1] - u).max() < 1e-4)
    True
    """
    name = check_backend(backend, u0)
    if method not in HEAT_METHODS:
        raise ValueError(f"method must be one of {HEAT_METHODS}, got {method!r}")
    if method == "auto":
        method = "exact" if coeff is None else "crank_nicolson"
    if name != "numpy" and method != "exact":
        raise ValueError(
            f"method={method!r} has no GPU path (its steps are PoissonSolver solves on the "
            f"CPU); use method='exact' (constant coefficients) or backend='numpy'"
        )
    grid = check_grid(grid)
    u0 = _check_initial(to_backend(u0, name), grid, array_module(name))
    times, scalar = check_times(t)
    kappa = check_positive(kappa, "kappa")
    if not isinstance(progress, (bool, np.bool_)):
        raise TypeError(f"progress must be a bool, got {progress!r}")
    max_steps = check_count(max_steps, "max_steps", allow_none=True)
    # Validated here, for every method. Complex data make two real problems
    # (the operator is real): u0 with the real parts, zero with the imaginary.
    parts = split_complex(boundary, grid)
    if parts is None:
        runs = [(u0, boundary)]
    else:
        runs = [(u0, parts[0]), (get_array_module(u0).zeros_like(u0), parts[1])]
    if method == "exact":
        if coeff is not None:
            raise ValueError(
                "coeff needs a stepping method: method='crank_nicolson' or "
                "'backward_euler' (the exact propagator is for constant coefficients)"
            )
        results = [_exact(start, grid, times, kappa, data) for start, data in runs]
    else:
        if dt is None:
            raise ValueError(f"dt is required for method={method!r}")
        dt = check_positive(dt, "dt")
        plans = _plan_steps(times, dt, max_steps, coeff)
        total = sum(full + (remainder > 0) for full, remainder in plans)
        solvers = {}  # one per step length, shared by the real and imaginary runs
        with _progress_bar(progress, total * len(runs), f"heat ({method})") as bar:
            results = [
                _stepping(start, grid, plans, kappa, dt, data, coeff, method, solvers, bar)
                for start, data in runs
            ]
    frames = results[0] if len(results) == 1 else results[0] + 1j * results[1]
    return frames[0] if scalar else frames


def _plan_steps(times, dt, max_steps, coeff):
    """``(whole steps of dt, last shorter step)`` per output interval, at most ``max_steps``.

    ``t / dt`` bounds the count from below before it is worked out, so that
    an astronomically small ``dt`` is refused at once, before any solver is
    set up.
    """
    limit = math.inf if max_steps is None else max_steps

    def refuse(count: str):
        advice = "a larger dt, " + ("method='exact', " if coeff is None else "")
        raise ValueError(
            f"dt={dt!r} needs {count} steps to reach t={float(times[-1])!r}, more than "
            f"max_steps={max_steps}; use {advice}or raise max_steps"
        )

    plans, previous, total = [], 0.0, 0
    for time in times:
        ratio = float(time - previous) / dt  # Python floats: overflow gives inf, no warning
        if not math.isfinite(ratio):
            refuse("more than 1e308")
        if total + ratio > limit + 1:  # at least floor(ratio) whole steps
            refuse(f"about {total + ratio:.4g}")
        full, remainder = _step_lengths(time - previous, dt)
        total += full + (remainder > 0)
        if total > limit:
            refuse(f"{total}")
        plans.append((full, remainder))
        previous = time
    return plans


def _exact(u0, grid, times, kappa, boundary):
    """``u_s + t kappa drift + exp(t kappa Delta_h) (u0 - u_s)`` at every time.

    Written once for the array module of ``u0`` (numpy or cupy): the
    boundary source is folded on the host, moved once, and every frame is
    computed where ``u0`` lives.
    """
    xp = get_array_module(u0)
    propagator = SpectralSolver(grid, tridiagonal_axis=None, workers=-1, xp=xp)
    source = -fold_boundary(np.zeros(grid.shape), grid, boundary)
    steady, drift = 0.0, 0.0
    if np.any(source):
        if grid.is_singular:
            # No steady state unless the fluxes balance: the constant mode
            # grows at the mean rate (weighted by the control volumes on
            # stretched axes), the rest relaxes to w (zero mean).
            volumes = volume_weights(propagator.operators)
            mean = source.mean() if volumes is None else weighted_mean(source, volumes)
            drift = float(mean)
        # Delta_h w = -source; on a singular grid the propagator's solve
        # drops the constant mode, i.e. solves with the mean projected away.
        steady = propagator.solve(xp.asarray(-source, dtype=u0.dtype))
    coeffs = propagator.forward(u0 - steady, overwrite=True)
    rates = kappa * propagator.eigenvalue_sum(real=True)

    def backward(c, out):
        out[...] = propagator.inverse(c, real=True)

    frames = xp.empty((len(times),) + grid.shape, dtype=u0.dtype)
    return heat_frames(coeffs, rates, times, backward, frames, steady=steady, drift=kappa * drift)


def _stepping(u0, grid, plans, kappa, dt, boundary, coeff, method, solvers, bar):
    """Implicit steps between output times, one shifted solver per step length.

    ``plans`` holds ``(whole steps of dt, last shorter step)`` per output
    time; ``solvers`` caches the solvers by step length; ``bar`` counts
    the steps.
    """
    # Backward Euler: v = u_{n+1}; Crank-Nicolson: v = the half-step value.
    shift_factor = 1.0 if method == "backward_euler" else 2.0

    def step(u, tau):
        if tau not in solvers:
            options = {} if coeff is None else {"coeff": coeff}
            solvers[tau] = PoissonSolver(grid, shift=shift_factor / (kappa * tau), **options)
        solver = solvers[tau]
        v = solver.solve(-solver.shift * u, boundary=boundary, overwrite_f=True)
        if method == "backward_euler":
            return v
        v *= 2.0
        v -= u
        return v

    frames = np.empty((len(plans),) + grid.shape)
    u = u0
    for k, (full, remainder) in enumerate(plans):
        for _ in range(full):
            u = step(u, dt)
            bar.update()
        if remainder > 0:
            u = step(u, remainder)
            bar.update()
        frames[k] = u
    return frames


def _progress_bar(enabled: bool, total: int, description: str):
    """A tqdm bar over the steps, or a silent stand-in (tqdm is imported only if needed)."""
    if not enabled:
        return _NoProgress()
    try:
        from tqdm import tqdm
    except ImportError:
        raise ImportError("progress=True needs tqdm: pip install tqdm") from None
    return tqdm(total=total, desc=description, unit="step")


class _NoProgress:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def update(self, n: int = 1) -> None:
        pass


def _step_lengths(interval: float, dt: float) -> tuple[int, float]:
    """Whole steps of ``dt`` and the shorter last step that cover ``interval``."""
    ratio = interval / dt
    whole = round(ratio)
    if abs(ratio - whole) <= _WHOLE_STEPS_RTOL * max(ratio, 1.0):
        return whole, 0.0
    full = math.floor(ratio)
    # Rounded to 12 digits so that equal remainders share one solver.
    return full, float(f"{interval - full * dt:.12e}")


def _check_initial(u0, grid: Grid, xp) -> np.ndarray:
    """Validate ``u0`` (an array of ``xp``); return a new array of its working dtype."""
    arr = check_grid_array(xp.asarray(u0), grid, name="u0")
    if xp.iscomplexobj(arr):
        raise TypeError("u0 must be real, got a complex array")
    return xp.array(arr, dtype=float_dtype(arr.dtype, xp))
