"""One solver shared between threads gives the answers of serial solves, for every method.

A solver is set up once and then used for many right-hand sides; callers
hand its ``solve`` to a thread pool. Work arrays that the solver reuses
from one solve to the next must then belong to one solve at a time: if two
solves write the same buffers, their answers mix (or the iteration fails to
converge), which the comparison with the serial answers shows.
"""

from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

import kronlap as kl
from kronlap.solvers import METHODS

GRID = kl.Grid((64, 48), lengths=(1.0, 0.75), bc=["dirichlet", ("dirichlet", "neumann")])
THREADS = 4
RIGHT_HAND_SIDES = 16


def rough(grid, seed=0):
    """A log-uniform coefficient in [1, 1000], drawn per cell: jumps across every face."""
    return 10 ** np.random.default_rng(seed).uniform(0.0, 3.0, grid.shape)


CASES = {
    "fft": {"method": "fft"},
    "eig": {"method": "eig"},
    "direct": {"method": "direct"},
    "multigrid": {"method": "multigrid"},
    "cg": {"method": "cg"},
    "cg-ilu": {"method": "cg", "preconditioner": "ilu"},
    # maxiter: about 10 times what a sound preconditioner needs, so that a
    # corrupted one fails in seconds rather than after 10 N iterations.
    "cg-gmg": {"method": "cg", "preconditioner": "gmg", "maxiter": 200},
    "cg-gmg-rough": {
        "method": "cg",
        "preconditioner": "gmg",
        "coeff": rough(GRID),
        "maxiter": 200,
    },
    "gmg": {"method": "gmg"},
    "gmg-cycles": {"method": "gmg", "accel": None},
    "gmg-rough": {"method": "gmg", "coeff": rough(GRID)},
}


def test_every_method_is_shared_between_threads():
    assert {case["method"] for case in CASES.values()} == set(METHODS) - {"auto"}


@pytest.mark.parametrize("name", list(CASES))
def test_shared_solver_gives_the_serial_answers(name):
    solver = kl.PoissonSolver(GRID, **CASES[name])
    rng = np.random.default_rng(1)
    rhs = [rng.standard_normal(GRID.shape) for _ in range(RIGHT_HAND_SIDES)]
    serial = [solver.solve(f) for f in rhs]
    with ThreadPoolExecutor(THREADS) as pool:
        threaded = list(pool.map(solver.solve, rhs))
    # The same arithmetic on the same data: a solve that is not disturbed by
    # the others gives the serial answer to round-off, far inside tol (even
    # two converged answers agree to about tol times the condition number).
    for k, (u, expected) in enumerate(zip(threaded, serial)):
        np.testing.assert_allclose(
            u,
            expected,
            rtol=0,
            atol=solver.tol * np.abs(expected).max(),
            err_msg=f"{name}: right-hand side {k} of {RIGHT_HAND_SIDES}",
        )


def test_shared_geometric_multigrid_preconditioner():
    """GeometricMultigrid.precondition and solve called directly from threads."""
    mg = kl.GeometricMultigrid(GRID, coeff=rough(GRID, seed=2))
    rng = np.random.default_rng(3)
    rhs = [rng.standard_normal(GRID.shape) for _ in range(RIGHT_HAND_SIDES)]
    serial = [mg.precondition(r) for r in rhs]
    with ThreadPoolExecutor(THREADS) as pool:
        threaded = list(pool.map(mg.precondition, rhs))
        solved = list(pool.map(mg.solve, rhs))
    for e, expected in zip(threaded, serial):
        # A cycle is deterministic: float32 round-off of the cycle bounds
        # the difference between equal computations with room to spare.
        eps = np.finfo(np.float32).eps
        np.testing.assert_allclose(e, expected, rtol=0, atol=eps * np.abs(expected).max())
    for f, (u, _, residual) in zip(rhs, solved):
        assert residual <= mg.tol
        assert np.linalg.norm(f - mg.apply(u)) <= 2 * mg.tol * np.linalg.norm(f)
