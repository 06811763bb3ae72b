"""Compare solvers on one problem: kronlap's methods against the usual peers.

:func:`compare` runs each method on the same manufactured problem and
returns one record per method: setup and solve time, iterations, relative
residual, error against the exact solution and peak memory. Every kronlap
method is compared with what a user would otherwise call: ``pyamg.solve``
(its default solver), plain smoothed aggregation, ``scipy.sparse.linalg``'s
``spsolve`` and ``cg``. A method that cannot handle the problem is listed
with the reason instead of stopping the run.
"""

from __future__ import annotations

import math
import multiprocessing
import os
import statistics
import time
import traceback

import numpy as np
import scipy.sparse.linalg as spla

from .._memory import check_memory
from .._validation import check_grid, check_real, check_standard_grid, check_tolerance
from ..boundary import fold_boundary
from ..grid import Grid
from .memory import PeakMemory

__all__ = [
    "KRONLAP_METHODS",
    "PEER_METHODS",
    "compare",
    "check_comparison_memory",
    "manufactured_problem",
    "format_table",
    "fit_slope",
]

KRONLAP_METHODS = ("fft", "eig", "multigrid", "gmg", "cg", "direct")
PEER_METHODS = ("pyamg", "pyamg-sa", "spsolve", "scipy-cg")
RECORD_KEYS = ("method", "shape", "bc", "setup_time", "solve_time", "iterations", "residual",
               "error", "peak_mb")


def _axis_profile(pair, length):
    """A smooth 1D profile ``exp(sin(k x + c))`` and its first two derivatives.

    Periodic axes get ``k = 2 pi / L`` (periodic, with every harmonic
    present, so that no Krylov method converges in one step); other axes a
    generic ``k`` whose boundary values and slopes are all nonzero, so every
    kind of boundary data is exercised.
    """
    k, c = (2 * np.pi / length, 0.3) if pair[0] == "periodic" else (1.7 / length, 0.4)

    def phi(x):
        theta = k * x + c
        value = np.exp(np.sin(theta))
        second = k**2 * (np.cos(theta) ** 2 - np.sin(theta)) * value
        return value, k * np.cos(theta) * value, second

    return phi


def _smooth_coefficient(grid):
    """``a(x) = exp(sum_d x_d / (2 L_d))`` and its gradient factors ``1 / (2 L_d)``."""
    rates = [0.5 / length for length in grid.lengths]

    def coeff(*x):
        return np.exp(sum(r * xd for r, xd in zip(rates, x)))

    return coeff, rates


def manufactured_problem(grid: Grid, shift: float = 0.0, coeff: str | None = None):
    """A problem with a known solution on ``grid``: ``(f, boundary, exact, a)``.

    ``u = prod_d phi_d(x_d)``, ``phi_d = exp(sin(k_d x + c_d))`` periodic on
    periodic axes and generic elsewhere; ``f = div(a grad u) - shift u`` (``a = 1``
    unless ``coeff="smooth"``, ``a = exp(sum x_d / (2 L_d))``), Dirichlet data
    ``u`` and Neumann data ``du/dn`` on every non-periodic face. Singular
    problems get the solution with zero mean and a compatible right-hand
    side (the discrete mean is projected away).

    Returns
    -------
    f : ndarray
    boundary : dict
    exact : ndarray
        ``u`` at the unknowns.
    coeff : ndarray or None
        The coefficient at the unknowns.

    Examples
    --------
    >>> g = Grid((16, 16), bc=["periodic", "neumann"])
    >>> f, boundary, exact, a = manufactured_problem(g)
    >>> sorted(boundary)
    [(1, 0), (1, 1)]
    """
    grid = check_grid(grid)
    check_standard_grid(grid, "the comparison's manufactured problem")
    if coeff not in (None, "smooth"):
        raise ValueError(f"coeff must be None or 'smooth', got {coeff!r}")
    profiles = [_axis_profile(pair, length) for pair, length in zip(grid.bc, grid.lengths)]
    mesh = grid.mesh()
    values = [p(x) for p, x in zip(profiles, mesh)]
    u = np.prod([v[0] for v in values], axis=0)
    laplace = sum(
        values[d][2] * np.prod([values[e][0] for e in range(grid.ndim) if e != d], axis=0)
        for d in range(grid.ndim)
    )
    a = None
    f = laplace
    if coeff == "smooth":
        coeff_fn, rates = _smooth_coefficient(grid)
        a = coeff_fn(*mesh)
        gradient_term = sum(
            rates[d] * values[d][1]
            * np.prod([values[e][0] for e in range(grid.ndim) if e != d], axis=0)
            for d in range(grid.ndim)
        )
        f = a * (laplace + gradient_term)
    f = f - shift * u
    boundary = {}
    for axis, pair in enumerate(grid.bc):
        if pair[0] == "periodic":
            continue
        for side, kind in enumerate(pair):
            face_coords = list(grid.coords)
            face_coords[axis] = np.array([0.0 if side == 0 else grid.lengths[axis]])
            face = np.meshgrid(*face_coords, indexing="ij")
            face_values = [p(x) for p, x in zip(profiles, face)]
            if kind == "dirichlet":
                data = np.prod([v[0] for v in face_values], axis=0)
            else:
                sign = 1.0 if side == 1 else -1.0
                data = sign * face_values[axis][1] * np.prod(
                    [face_values[e][0] for e in range(grid.ndim) if e != axis], axis=0
                )
            boundary[(axis, side)] = np.squeeze(data, axis)
    if grid.is_singular and shift == 0:
        folded = fold_boundary(f.copy(), grid, boundary)
        f = f - folded.mean()
        u = u - u.mean()
    return f, boundary, u, a


def check_comparison_memory(grid: Grid, coeff: str | None = None) -> float:
    """Refuse, before anything is allocated, a comparison whose own arrays exceed free memory.

    :func:`compare` builds the manufactured problem from coordinate arrays,
    keeps its right-hand side, exact solution, folded right-hand side and
    assembled sparse matrix, and receives each method's solution and forms
    its residual: about ``8 * (ndim + 10)`` bytes per grid point, ``8 *
    (ndim + 26)`` with ``coeff="smooth"`` (a lower bound: 120 to 320 bytes
    per point were measured). The methods' own working memory comes on top;
    the solvers check that themselves.

    Parameters
    ----------
    grid : Grid
    coeff : {None, "smooth"}, optional
        As for :func:`compare`.

    Returns
    -------
    float
        The estimate in bytes.

    Raises
    ------
    MemoryError
        The estimate exceeds the memory available now; the message gives
        both.

    Examples
    --------
    >>> check_comparison_memory(Grid((512, 512))) / 2**20  # MiB: 12 arrays of 512^2
    24.0
    """
    grid = check_grid(grid)
    arrays = grid.ndim + (26 if coeff is not None else 10)
    nbytes = 8.0 * arrays * grid.size
    check_memory(nbytes, f"comparing solvers on a {grid.shape} grid")
    return nbytes


def _system(grid, shift, coeff_values, f, boundary):
    """Assembled ``A = Delta_h - shift`` (or the diffusion operator) and folded ``b``."""
    from ..solvers import shifted_operator

    A = shifted_operator(grid, shift, coeff_values)
    if coeff_values is None:
        b = fold_boundary(f.copy(), grid, boundary)
    else:
        from ..coefficients import fold_diffusion_boundary

        b = fold_diffusion_boundary(f.copy(), grid, coeff_values, boundary)
    return A, b


def _run_kronlap(method, grid, shift, coeff_values, f, boundary, tol, repeat):
    from ..solvers import PoissonSolver

    options = {"tol": tol}
    if coeff_values is not None:
        options["coeff"] = coeff_values
    start = time.perf_counter()
    solver = PoissonSolver(grid, shift=shift, method=method, **options)
    setup = time.perf_counter() - start
    times, u = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        u = solver.solve(f, boundary=boundary)
        times.append(time.perf_counter() - start)
    return u, setup, statistics.median(times), solver.info.get("iterations")


def _run_peer(method, grid, shift, coeff_values, f, boundary, tol, repeat):
    import pyamg

    A, b = _system(grid, shift, coeff_values, f, boundary)
    singular = grid.is_singular and shift == 0
    if singular and method == "spsolve":
        raise ValueError("the matrix is singular (periodic/Neumann without shift)")
    spd = (-A).tocsr()  # peers get the symmetric positive (semi)definite form
    rhs = -b.ravel()
    iterations = [None]
    start = time.perf_counter()
    if method == "pyamg":
        def solve():
            residuals = []
            x = pyamg.solve(spd, rhs, tol=tol, maxiter=2000, verb=False, residuals=residuals)
            iterations[0] = max(len(residuals) - 1, 0)
            return x
        setup = 0.0  # pyamg.solve builds its hierarchy inside every call
    elif method == "pyamg-sa":
        ml = pyamg.smoothed_aggregation_solver(spd)
        setup = time.perf_counter() - start

        def solve():
            residuals = []
            x = ml.solve(rhs, tol=tol, maxiter=2000, residuals=residuals)
            iterations[0] = max(len(residuals) - 1, 0)
            return x
    elif method == "spsolve":
        csc = spd.tocsc()
        setup = time.perf_counter() - start

        def solve():
            return spla.spsolve(csc, rhs)
    elif method == "scipy-cg":
        setup = time.perf_counter() - start

        def solve():
            count = [0]

            def callback(_):
                count[0] += 1

            x, _ = spla.cg(spd, rhs, rtol=tol, maxiter=20 * grid.size, callback=callback)
            iterations[0] = count[0]
            return x
    else:
        raise ValueError(f"unknown peer method {method!r}")
    times, x = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        x = solve()
        times.append(time.perf_counter() - t0)
    u = np.asarray(x).reshape(grid.shape)
    if singular:
        u = u - u.mean()
    return u, setup, statistics.median(times), iterations[0]


def _measure(method, grid, shift, coeff_values, f, boundary, tol, repeat):
    """Run one method; return a partial record (timings, iterations, u, memory).

    The method is first run once on a small grid of the same kind, so that
    one-time process effects (lazy imports, thread pools started after a
    fork) are not billed to the measured problem.
    """
    runner = _run_kronlap if method in KRONLAP_METHODS else _run_peer
    small = Grid((8,) * grid.ndim, lengths=grid.lengths, bc=grid.bc)
    small_coeff = None if coeff_values is None else np.ones(small.shape)
    try:
        small_f, small_boundary, _, _ = manufactured_problem(small, shift)
        runner(method, small, shift, small_coeff, small_f, small_boundary, tol, 1)
    except Exception:  # the measured run reports what goes wrong
        pass
    with PeakMemory() as memory:
        u, setup, solve, iterations = runner(method, grid, shift, coeff_values, f, boundary,
                                             tol, repeat)
    return {"u": u, "setup_time": setup, "solve_time": solve, "iterations": iterations,
            "peak_mb": memory.peak / 2**20}


def _child(conn, args):
    try:
        conn.send(("ok", _measure(*args)))
    except BaseException as exc:  # reported as the method's reason, not a crash
        conn.send(("error", f"{type(exc).__name__}: {exc}".strip(), traceback.format_exc()))
    finally:
        conn.close()


def _isolated(args, timeout):
    """Run :func:`_measure` in a forked process: its own peak memory, crash-proof."""
    context = multiprocessing.get_context("fork")
    parent, child = context.Pipe(duplex=False)
    process = context.Process(target=_child, args=(child, args))
    process.start()
    child.close()
    if parent.poll(timeout):
        try:
            message = parent.recv()
        except EOFError:
            message = ("error", "the process died without an answer", "")
    else:
        process.kill()
        message = ("error", f"timed out after {timeout:.0f} s", "")
    process.join()
    if process.exitcode not in (0, None) and message[0] != "ok" and not message[1]:
        message = ("error", f"crashed (exit code {process.exitcode})", "")
    return message


def compare(
    grid: Grid,
    methods=None,
    *,
    shift: float = 0.0,
    coeff: str | None = None,
    repeat: int = 3,
    tol: float = 1e-10,
    isolate: bool | None = None,
    timeout: float = 600.0,
    progress: bool = False,
):
    """Run several solvers on one manufactured problem; one record per method.

    Parameters
    ----------
    grid : Grid
    methods : sequence of str, optional
        kronlap methods (:data:`KRONLAP_METHODS`) and peers
        (:data:`PEER_METHODS`); default: all of them.
    shift : float, optional
        Solve ``(Delta_h - shift) u = f``.
    coeff : {None, "smooth"}, optional
        ``"smooth"``: variable coefficient ``a = exp(sum x_d / (2 L_d))``,
        ``div(a grad u) - shift u = f``.
    repeat : int, optional
        Solves per method; the median time is reported.
    tol : float, optional
        Relative residual asked of iterative methods (kronlap and peers).
    isolate : bool, optional
        Run each method in a forked process, so that its peak memory is its
        own and a crash or a timeout is recorded, not fatal (default: where
        ``fork`` exists).
    timeout : float, optional
        Seconds per isolated method.
    progress : bool, optional
        Show a progress bar (tqdm).

    Returns
    -------
    list of dict
        Keys ``method, shape, bc, setup_time, solve_time, iterations, residual,
        error, peak_mb`` (``None`` where not applicable), plus ``status``
        (``"ok"`` or ``"failed"``), ``reason`` (why a method failed) and
        ``fastest`` (lowest setup + solve among the rows that reached
        ``tol``). ``residual`` is ``||b - A u|| / ||b||`` of the assembled
        system, ``error`` the max-norm error against the exact solution,
        ``peak_mb`` the growth of the peak resident memory during the
        method (Linux; elsewhere the peak of Python-visible allocations).

    Raises
    ------
    ValueError
        Unknown methods, ``repeat`` not a positive int, ``shift`` not finite,
        ``tol`` not in (0, 1), an unknown ``coeff``; all before any work.
    TypeError
        ``shift`` or ``tol`` not a real number.
    MemoryError
        The comparison's own arrays would not fit in the memory available
        (:func:`check_comparison_memory`), before they are allocated.

    Examples
    --------
    >>> records = compare(Grid((32, 32)), ["fft", "spsolve"], repeat=1, isolate=False)
    >>> [r["method"] for r in records]
    ['fft', 'spsolve']
    >>> all(r["residual"] < 1e-10 for r in records)
    True
    """
    grid = check_grid(grid)
    # The peers solve the assembled matrix, which is symmetric only on uniform
    # axes, and the manufactured problem has Dirichlet and Neumann data only.
    check_standard_grid(grid, "kronlap.compare")
    methods = list(KRONLAP_METHODS + PEER_METHODS) if methods is None else list(methods)
    unknown = [m for m in methods if m not in KRONLAP_METHODS + PEER_METHODS]
    if unknown:
        raise ValueError(
            f"methods must be among {KRONLAP_METHODS + PEER_METHODS}, got {unknown}"
        )
    if not isinstance(repeat, int) or repeat < 1:
        raise ValueError(f"repeat must be a positive int, got {repeat!r}")
    shift = check_real(shift, "shift")
    tol = check_tolerance(tol)
    if coeff not in (None, "smooth"):
        raise ValueError(f"coeff must be None or 'smooth', got {coeff!r}")
    check_comparison_memory(grid, coeff)
    if isolate is None:
        isolate = "fork" in multiprocessing.get_all_start_methods() and os.name == "posix"
    f, boundary, exact, coeff_values = manufactured_problem(grid, shift, coeff)
    A, b = _system(grid, shift, coeff_values, f, boundary)
    norm_b = np.linalg.norm(b)

    iterator = methods
    if progress:
        from tqdm.auto import tqdm

        iterator = tqdm(methods, desc=f"compare {grid.shape}", unit="method", leave=False)
    records = []
    for method in iterator:
        record = dict.fromkeys(RECORD_KEYS)
        record.update(method=method, shape=list(grid.shape),
                      bc=[list(pair) for pair in grid.bc], status="ok", reason=None)
        args = (method, grid, shift, coeff_values, f, boundary, tol, repeat)
        if isolate:
            message = _isolated(args, timeout)
        else:
            try:
                message = ("ok", _measure(*args))
            except Exception as exc:
                message = ("error", f"{type(exc).__name__}: {exc}", "")
        if message[0] == "ok":
            result = message[1]
            u = result.pop("u")
            record.update(result)
            residual = np.linalg.norm(b.ravel() - A @ u.ravel()) / norm_b
            record["residual"] = float(residual)
            record["error"] = float(np.abs(u - exact).max())
        else:
            record.update(status="failed", reason=message[1].splitlines()[0])
        records.append(record)
    _mark_fastest(records, tol)
    return records


def _mark_fastest(records, tol):
    converged = [r for r in records if r["status"] == "ok" and r["residual"] <= 10 * tol]
    for r in records:
        r["fastest"] = False
    if converged:
        best = min(converged, key=lambda r: r["setup_time"] + r["solve_time"])
        best["fastest"] = True


def format_table(records) -> str:
    """A plain-text table of :func:`compare` records; ``*`` marks the fastest.

    Examples
    --------
    >>> rows = compare(Grid((16, 16)), ["fft"], repeat=1, isolate=False)
    >>> print(format_table(rows).splitlines()[0])
    method       setup [s]  solve [s]  total [s]  iters  residual  max error  peak [MB]
    """
    header = (f"{'method':<11} {'setup [s]':>10} {'solve [s]':>10} {'total [s]':>10} "
              f"{'iters':>6} {'residual':>9} {'max error':>10} {'peak [MB]':>10}")
    lines = [header, "-" * len(header)]
    for r in records:
        name = ("*" if r.get("fastest") else " ") + r["method"]
        if r["status"] != "ok":
            lines.append(f"{name:<11} not run: {r['reason']}")
            continue
        iterations = "-" if r["iterations"] is None else str(r["iterations"])
        total = r["setup_time"] + r["solve_time"]
        lines.append(
            f"{name:<11} {r['setup_time']:10.4f} {r['solve_time']:10.4f} {total:10.4f} "
            f"{iterations:>6} {r['residual']:9.1e} {r['error']:10.2e} {r['peak_mb']:10.1f}"
        )
    return "\n".join(lines)


def fit_slope(sizes, times) -> float:
    """Least-squares slope of ``log(times)`` against ``log(sizes)``.

    Examples
    --------
    >>> round(fit_slope([10, 100, 1000], [1.0, 10.0, 100.0]), 6)
    1.0
    """
    x = np.log(np.asarray(sizes, dtype=float))
    y = np.log(np.asarray(times, dtype=float))
    if x.size < 2:
        return math.nan
    return float(np.polyfit(x, y, 1)[0])


def scaling(sizes, dim: int = 2, methods=None, *, bc="dirichlet", repeat: int = 1,
            tol: float = 1e-10, fit_points: int = 3, progress: bool = False, **options):
    """Run :func:`compare` on ``n**dim`` grids for every ``n`` in ``sizes``.

    Returns
    -------
    records : list of dict
        All records, each with ``unknowns`` added.
    slopes : dict
        Method -> fitted slope of ``log(setup + solve)`` against
        ``log(unknowns)`` over the ``fit_points`` largest sizes where it ran,
        where fixed per-call overheads no longer dominate (``N log N`` shows
        as a slope a little above 1, a sparse direct solve on a 2D grid as
        about 1.5).

    Raises
    ------
    ValueError
        ``dim`` not 1, 2 or 3, a size below 2, or what :func:`compare`
        refuses.
    MemoryError
        The comparison on the largest grid would not fit in the memory
        available; raised before the first size runs.

    Examples
    --------
    >>> records, slopes = scaling([16, 32], methods=["fft"], isolate=False)
    >>> sorted(slopes)
    ['fft']
    """
    if dim not in (1, 2, 3):
        raise ValueError(f"dim must be 1, 2 or 3, got {dim!r}")
    sizes = [int(n) for n in sizes]
    if not sizes or min(sizes) < 2:
        raise ValueError(f"sizes must be integers >= 2, got {sizes}")
    methods = ["fft", "multigrid", "cg", "direct", "pyamg"] if methods is None else methods
    check_comparison_memory(Grid((max(sizes),) * dim, bc=bc), options.get("coeff"))
    records = []
    iterator = sizes
    if progress:
        from tqdm.auto import tqdm

        iterator = tqdm(sizes, desc="scaling", unit="size")
    for n in iterator:
        grid = Grid((n,) * dim, bc=bc)
        for record in compare(grid, methods, repeat=repeat, tol=tol, **options):
            record["unknowns"] = grid.size
            records.append(record)
    slopes = {}
    for method in methods:
        rows = [r for r in records if r["method"] == method and r["status"] == "ok"]
        rows = sorted(rows, key=lambda r: r["unknowns"])[-fit_points:]
        if len(rows) >= 2:
            slopes[method] = fit_slope([r["unknowns"] for r in rows],
                                       [r["setup_time"] + r["solve_time"] for r in rows])
    return records, slopes
