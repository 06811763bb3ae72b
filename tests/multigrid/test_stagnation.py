"""Iterative solves stop on stagnation and never return an iterate worse than their best.

A ``tol`` below round-off used to run every iteration allowed (CG with a
multigrid preconditioner: 163,840 iterations on 128^2) or to let pyamg's CG,
restarted at round-off, diverge to a relative residual of 1e10. Slow but
steady convergence must not be mistaken for stagnation.
"""

import re

import numpy as np
import pytest
import scipy.sparse as sp
import scipy.sparse.linalg as spla
from reference import random_rhs, reference_solve, relative_residual

import kronlap as kl
from kronlap import multigrid
from kronlap.multigrid.krylov import BestIterate, conjugate_gradients


def _reported(message):
    """(residual, iterations) from a ConvergenceError/Warning message."""
    match = re.search(r"residual (\S+) after (\d+) iterations", message)
    assert match, message
    return float(match.group(1)), int(match.group(2))


# -- below round-off: stop, report, return the best --------------------------


@pytest.mark.parametrize("preconditioner", ["gmg", "amg"])
def test_cg_below_round_off_stops_on_stagnation(preconditioner):
    g = kl.Grid((32, 32))
    f = random_rhs(g, seed=4)
    solver = kl.PoissonSolver(
        g, method="cg", preconditioner=preconditioner, tol=1e-16, maxiter=3000
    )
    with pytest.raises(kl.ConvergenceError, match="short of tol") as error:
        solver.solve(f)
    residual, iterations = _reported(str(error.value))
    assert iterations < 300  # ran all 3000 (restarts at round-off)
    assert residual < 1e-14 and solver.info["iterations"] == iterations
    solver = kl.PoissonSolver(
        g, method="cg", preconditioner=preconditioner, tol=1e-16, on_nonconvergence="warn"
    )
    with pytest.warns(kl.ConvergenceWarning, match="short of tol") as record:
        u = solver.solve(f)
    residual, iterations = _reported(str(record[0].message))
    assert iterations < 300 and residual == pytest.approx(solver.info["residual"], rel=1e-3)
    assert relative_residual(g, u, f) < 1e-14
    ref = reference_solve(g, f)
    assert np.abs(u - ref).max() <= 1e-12 * np.abs(ref).max()


@pytest.mark.parametrize("preconditioner", ["jacobi", "amg"])
def test_cg_far_below_round_off_stops_within_a_run(preconditioner):
    """tol=1e-300: scipy's CG (which method='cg' once ran) overflowed and raised ValueError."""
    g = kl.Grid((32, 32))
    f = random_rhs(g, seed=8)
    solver = kl.PoissonSolver(
        g,
        method="cg",
        preconditioner=preconditioner,
        tol=1e-300,
        maxiter=5000,
        on_nonconvergence="warn",
    )
    with pytest.warns(kl.ConvergenceWarning, match="short of tol") as record:
        u = solver.solve(f)
    residual, iterations = _reported(str(record[0].message))
    assert iterations < 1000 and residual < 1e-13 and relative_residual(g, u, f) < 1e-13
    ref = reference_solve(g, f)
    assert np.abs(u - ref).max() <= 1e-12 * np.abs(ref).max()


@pytest.mark.parametrize("amg", ["rs", "sa"])
@pytest.mark.parametrize("accel", ["cg", None])
def test_multigrid_below_round_off_returns_its_best_iterate(amg, accel):
    """pyamg's CG restarted at round-off diverged (rs: residual 3e10, max|u| 1e8)."""
    g = kl.Grid((48, 40), bc=["dirichlet", ("neumann", "dirichlet")])
    f = random_rhs(g, seed=3)
    solver = kl.PoissonSolver(
        g, method="multigrid", amg=amg, accel=accel, tol=1e-16, on_nonconvergence="warn"
    )
    with pytest.warns(kl.ConvergenceWarning, match="short of tol") as record:
        u = solver.solve(f)
    ref = reference_solve(g, f)
    assert np.abs(u - ref).max() <= 1e-12 * np.abs(ref).max()
    residual, iterations = _reported(str(record[0].message))
    assert residual < 1e-14 and relative_residual(g, u, f) < 1e-14
    assert iterations == solver.info["iterations"] < 150  # of the default 1000


def test_restart_loop_returns_the_best_iterate_and_stops_on_divergence():
    """A run that converges to 1e-6, then diverges: the 1e-6 iterate comes back."""
    b = np.ones(8)
    matrix = np.eye(8)  # the relative residual of x = b (1 - e) is e
    errors = np.concatenate([10.0 ** -np.arange(1, 7), 10.0 ** np.arange(-5, 100)])
    budgets = []

    def run(x0, budget, best):
        budgets.append(budget)
        x = None
        for e in errors[:budget]:
            x = b * (1 - e)
            best(x)
        return x, min(budget, len(errors))

    x, iterations, residual = multigrid.restart_on_true_residual(
        run, matrix, b, 1e-12, 10_000, monitored=True
    )
    assert residual == pytest.approx(1e-6) and np.array_equal(x, b * (1 - 1e-6))
    assert budgets == [10_000] and iterations == 6 + multigrid.STAGNATION_WINDOW


def test_restart_loop_ends_restarts_that_make_no_progress():
    """Runs that each stop at once (a recursive residual below tol, a true one above)."""
    b = np.ones(4)
    rng = np.random.default_rng(0)

    def run(x0, budget):
        return b * (1 - 1e-15 * rng.uniform(1, 3)), 2

    restart = multigrid.restart_on_true_residual
    x, iterations, residual = restart(run, np.eye(4), b, 1e-17, 100_000)
    assert iterations <= 150 and residual < 3e-15  # a window is 50 iterations
    assert residual == pytest.approx(np.linalg.norm(b - x) / 2)


# -- slow but steady is not stagnation ------------------------------------------


def rough_coefficient(grid, contrast, seed):
    rng = np.random.default_rng(seed)
    return np.exp(rng.uniform(0.0, np.log(contrast), grid.shape))


def test_rough_coefficient_multigrid_converges():
    g = kl.Grid((128, 128))
    a = rough_coefficient(g, 1e3, seed=0)
    f = random_rhs(g, seed=5)
    solver = kl.PoissonSolver(g, coeff=a, method="multigrid", tol=1e-8)
    u = solver.solve(f)
    assert solver.info["residual"] <= 1e-8 and relative_residual(g, u, f, coeff=a) <= 1e-8


def test_slow_plain_cycles_are_not_stagnation():
    """Plain Ruge-Stuben V-cycles on a rough coefficient: 200+ cycles, halving every ~12."""
    g = kl.Grid((96, 96))
    a = rough_coefficient(g, 1e3, seed=1)
    f = random_rhs(g, seed=6)
    solver = kl.PoissonSolver(
        g, coeff=a, method="multigrid", amg="rs", accel=None, tol=1e-8, maxiter=1000
    )
    u = solver.solve(f)
    assert solver.info["iterations"] > 150
    assert relative_residual(g, u, f, coeff=a) <= 1e-8


@pytest.mark.parametrize("preconditioner", [None, "jacobi"])
def test_cg_residual_plateau_is_not_stagnation(preconditioner):
    """Without multigrid, CG's residual for a smooth right-hand side first grows
    (to 6x ||f|| on 64^2) and halves only after about the grid's width in iterations."""
    g = kl.Grid((64, 64))
    a = rough_coefficient(g, 1e3, seed=2)
    f = np.ones(g.shape)
    solver = kl.PoissonSolver(g, coeff=a, method="cg", preconditioner=preconditioner, tol=1e-10)
    u = solver.solve(f)
    assert relative_residual(g, u, f, coeff=a) <= 1e-10


# -- geometric multigrid (method="gmg"): its own CG and cycle loops -------------


def checkerboard(grid, contrast=1e3, tiles=4):
    cells = sum(np.floor(tiles * x / length) for x, length in zip(grid.mesh(), grid.lengths))
    return np.where(cells % 2 == 0, contrast, 1.0)


def _check_returned_residual(grid, u, rhs, residual, coeff=None):
    """``residual`` is the true one of ``u``, recomputed with the assembled matrix.

    Near round-off the residual's own evaluation errs by a good fraction of
    it (the two sides sum in another order); a recursive residual, which
    keeps falling there, would be orders of magnitude smaller.
    """
    assert 0.5 < relative_residual(grid, u, rhs, coeff=coeff) / residual < 2


@pytest.mark.parametrize("accel", ["cg", None])
def test_gmg_below_round_off_stops_on_stagnation(accel):
    """tol=1e-16 on 128^2: every iteration allowed used to run (maxiter=1000: 1000)."""
    g = kl.Grid((128, 128))
    f = np.ones(g.shape)
    solver = kl.PoissonSolver(g, method="gmg", accel=accel, tol=1e-16, maxiter=1000)
    with pytest.raises(kl.ConvergenceError, match="short of tol") as error:
        solver.solve(f)
    residual, iterations = _reported(str(error.value))
    assert iterations < 150 and solver.info["iterations"] == iterations
    solver = kl.PoissonSolver(g, method="gmg", accel=accel, tol=1e-16, on_nonconvergence="warn")
    with pytest.warns(kl.ConvergenceWarning, match="short of tol") as record:
        u = solver.solve(f)
    residual, iterations = _reported(str(record[0].message))
    assert iterations == solver.info["iterations"] < 150  # of the default 1000
    assert residual == pytest.approx(solver.info["residual"], rel=1e-3) and residual < 1e-11
    _check_returned_residual(g, u, f, solver.info["residual"])
    ref = reference_solve(g, f)
    assert np.abs(u - ref).max() <= 1e-12 * np.abs(ref).max()


@pytest.mark.parametrize("bc", ["dirichlet", "periodic"])
@pytest.mark.parametrize(
    "accel, precision", [("cg", "single"), ("cg", "double"), (None, "double")]
)
def test_geometric_multigrid_below_round_off_returns_its_best_iterate(bc, accel, precision):
    """Both CG paths (single- and double-precision cycle) and plain cycles, singular too."""
    g = kl.Grid((64, 64), bc=bc)
    b = random_rhs(g, seed=7)
    mg = kl.GeometricMultigrid(g, tol=1e-16, maxiter=1000, accel=accel, precision=precision)
    u, iterations, residual = mg.solve(b)
    assert iterations < 150  # ran all 1000
    # S = -L: S u = b is L u = -b.
    assert residual < 1e-13
    _check_returned_residual(g, u, -b, residual)
    ref = -reference_solve(g, b)
    assert np.abs(u - ref).max() <= 1e-12 * np.abs(ref).max()
    if g.is_singular:
        assert abs(float(u.mean())) <= 1e-12 * np.abs(u).max()


def test_gmg_rough_coefficient_converges_to_round_off_before_stopping():
    """Log-uniform per-cell coefficient, contrast 1e3, 256^2: 27 CG iterations to 1e-8,
    about 50 to round-off; stagnation stops them only after that."""
    g = kl.Grid((256, 256))
    a = rough_coefficient(g, 1e3, seed=0)
    f = random_rhs(g, seed=5)
    solver = kl.PoissonSolver(g, coeff=a, method="gmg", tol=1e-8)
    u = solver.solve(f)
    assert solver.info["residual"] <= 1e-8 and relative_residual(g, u, f, coeff=a) <= 1e-8
    solver = kl.PoissonSolver(
        g, coeff=a, method="gmg", tol=1e-16, maxiter=1000, on_nonconvergence="warn"
    )
    with pytest.warns(kl.ConvergenceWarning, match="short of tol"):
        u = solver.solve(f)
    assert solver.info["iterations"] < 300  # ran all 1000
    assert solver.info["residual"] < 1e-12  # went on while the residual fell
    _check_returned_residual(g, u, f, solver.info["residual"], coeff=a)


@pytest.mark.parametrize("coefficient", ["rough", "checkerboard"])
def test_gmg_slow_plain_cycles_are_not_stagnation(coefficient):
    """Plain cycles on a rough coefficient gain only a factor of about 0.77 a cycle
    (70 cycles to 1e-8 on 128^2, 170 to round-off); stagnation stops them only after that."""
    g = kl.Grid((128, 128))
    a = rough_coefficient(g, 1e3, seed=1) if coefficient == "rough" else checkerboard(g)
    f = random_rhs(g, seed=6)
    solver = kl.PoissonSolver(g, coeff=a, method="gmg", accel=None, tol=1e-8)
    u = solver.solve(f)
    assert relative_residual(g, u, f, coeff=a) <= 1e-8
    solver = kl.PoissonSolver(
        g, coeff=a, method="gmg", accel=None, tol=1e-16, maxiter=1000, on_nonconvergence="warn"
    )
    with pytest.warns(kl.ConvergenceWarning, match="short of tol"):
        u = solver.solve(f)
    assert solver.info["iterations"] < 400  # ran all 1000
    assert solver.info["residual"] < 1e-12
    _check_returned_residual(g, u, f, solver.info["residual"], coeff=a)


# -- the shared CG loop ---------------------------------------------------------


def test_conjugate_gradients_takes_scipys_steps():
    """Jacobi CG: the same iterates as scipy's cg, to round-off, every iteration."""
    g = kl.Grid((30, 26), bc=["dirichlet", "neumann"])
    a = 100.0 ** np.random.default_rng(2).random(g.shape)
    S = (-(kl.diffusion(g, a) - 0.5 * sp.eye_array(g.size))).tocsr()
    b = random_rhs(g, seed=9).ravel()
    inverse = 1.0 / S.diagonal()
    ours, theirs = [], []

    class Record(BestIterate):
        def __call__(self, x, residual=None):
            ours.append(x.copy())

    run = conjugate_gradients(
        lambda v, out: S @ v, lambda r, out: np.multiply(inverse, r, out=out), b, 1e-300
    )
    run(None, 40, Record(S, b, np.linalg.norm(b)))
    M = spla.LinearOperator(S.shape, matvec=lambda r: inverse * r)
    spla.cg(S, b, rtol=1e-300, maxiter=40, M=M, callback=lambda x: theirs.append(x.copy()))
    assert len(ours) == len(theirs) == 40
    for mine, scipys in zip(ours, theirs):
        np.testing.assert_allclose(mine, scipys, rtol=1e-9, atol=1e-12 * np.abs(scipys).max())


def test_conjugate_gradients_stops_at_a_breakdown():
    # An indefinite "preconditioner": r^T z <= 0 at the start ends the run at once.
    S = sp.eye_array(5, format="csr")
    b = np.ones(5)
    run = conjugate_gradients(lambda v, out: S @ v, lambda r, out: -r, b, 1e-12)
    x, done = run(None, 10, BestIterate(S, b, np.linalg.norm(b)))
    assert done == 0 and not np.any(x)
    # An indefinite operator: p^T S p <= 0 for the first direction.
    S = sp.diags_array([1.0, -4.0]).tocsr()
    b = np.ones(2)
    run = conjugate_gradients(lambda v, out: S @ v, lambda r, out: r, b, 1e-12)
    x, done = run(None, 10, BestIterate(S, b, np.linalg.norm(b)))
    assert done == 0 and not np.any(x)


def test_conjugate_gradients_refuses_a_complex_right_hand_side():
    S = sp.eye_array(3, format="csr")
    with pytest.raises(TypeError, match="complex rhs"):
        conjugate_gradients(lambda v, out: S @ v, lambda r, out: r, np.ones(3) * 1j, 1e-8)
