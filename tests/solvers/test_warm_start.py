"""An initial guess x0 for the iterative methods: fewer iterations, never a worse answer."""

import numpy as np
import pytest
import scipy.sparse.linalg as spla

import kronlap as kl
from kronlap.solvers import REGISTRY

WARM = [name for name, method in REGISTRY.items() if method.warm_start]
COLD = [name for name, method in REGISTRY.items() if not method.warm_start]
WARM_MASKED = [name for name in WARM if REGISTRY[name].mask]


def _problem():
    g = kl.Grid((48, 40), bc=["dirichlet", ("neumann", "dirichlet")])
    x, y = g.mesh()
    return g, np.sin(3 * x) * y + 1.0


def test_the_iterative_methods_take_a_guess():
    assert set(WARM) == {"cg", "multigrid", "gmg"}


@pytest.mark.parametrize("accel", ["cg", None])
def test_gmg_plain_cycles_and_cg_start_from_the_guess(accel):
    g, f = _problem()
    a = 1.0 + np.arange(g.size).reshape(g.shape) % 7
    solver = kl.PoissonSolver(g, method="gmg", coeff=a, accel=accel, tol=1e-10)
    u = solver.solve(f)
    cold = solver.info["iterations"]
    warm = solver.solve(f * 1.001, x0=u)
    assert solver.info["iterations"] < cold
    np.testing.assert_allclose(warm, 1.001 * u, atol=1e-8 * np.abs(u).max())
    solver.solve(f, x0=u)
    assert solver.info["iterations"] == 0


@pytest.mark.parametrize("method", WARM)
def test_a_close_guess_saves_iterations_and_gives_the_same_answer(method):
    g, f = _problem()
    solver = kl.PoissonSolver(g, method=method, tol=1e-10)
    u = solver.solve(f)
    cold = solver.info["iterations"]
    g2 = f * 1.001
    warm = solver.solve(g2, x0=u)
    assert solver.info["iterations"] < cold
    reference = spla.spsolve(kl.laplacian(g).tocsc(), g2.ravel()).reshape(g.shape)
    np.testing.assert_allclose(warm, reference, atol=1e-8 * np.abs(reference).max())


@pytest.mark.parametrize("method", WARM)
def test_the_solution_as_guess_takes_no_iteration(method):
    g, f = _problem()
    solver = kl.PoissonSolver(g, method=method, tol=1e-8)
    u = solver.solve(f)
    again = solver.solve(f, x0=u)
    assert solver.info["iterations"] == 0
    np.testing.assert_array_equal(again, u)


@pytest.mark.parametrize("method", WARM_MASKED)
def test_a_guess_with_a_mask_uses_the_unknowns_only(method):
    g, f = _problem()
    mask = np.ones(g.shape, dtype=bool)
    mask[:8, :6] = False
    solver = kl.PoissonSolver(g, method=method, mask=mask, mask_values=0.5, tol=1e-10)
    u = solver.solve(f)
    guess = u.copy()
    guess[~mask] = 1e3  # values outside the mask are not read
    again = solver.solve(f, x0=guess)
    assert solver.info["iterations"] == 0
    np.testing.assert_array_equal(again, u)


@pytest.mark.parametrize("method", COLD)
def test_exact_methods_refuse_a_guess(method):
    g, f = _problem()
    with pytest.raises(TypeError, match=f"method='{method}' takes no initial guess x0"):
        kl.PoissonSolver(g, method=method).solve(f, x0=np.zeros(g.shape))


@pytest.mark.parametrize(
    ("x0", "error", "match"),
    [
        (np.zeros((3, 3)), ValueError, "x0 must have shape"),
        (np.full((48, 40), np.nan), ValueError, "x0 contains NaN"),
        (np.zeros((48, 40), dtype=bool), TypeError, "x0 must be a numeric array"),
    ],
)
def test_a_bad_guess_names_x0(x0, error, match):
    g, f = _problem()
    with pytest.raises(error, match=match):
        kl.PoissonSolver(g, method="cg").solve(f, x0=x0)


@pytest.mark.parametrize("method", sorted(REGISTRY))
def test_the_solver_says_whether_it_takes_a_guess(method):
    solver = kl.PoissonSolver(kl.Grid((8, 8)), method=method)
    assert solver.takes_initial_guess is REGISTRY[method].warm_start
