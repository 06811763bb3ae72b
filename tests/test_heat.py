"""Tests for kronlap.heat: the exact propagator and the implicit steps.

References are independent of kronlap's spectral code: the assembled
Laplacian with scipy's ``expm_multiply`` (boundary data through an augmented
matrix), sparse direct solves for the time steps, and multilinear functions,
which the 5-point stencil differentiates exactly, for steady states.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import scipy.sparse as sp
import scipy.sparse.linalg as spla
from reference import neumann_diffusion

import kronlap as kl

BC_CASES = [
    ((9,), 1.0, "dirichlet"),
    ((9,), 2.0, "neumann"),
    ((8,), 1.5, "periodic"),
    ((9,), 1.0, [("dirichlet", "neumann")]),
    ((9,), 1.0, [("neumann", "dirichlet")]),
    ((6, 7), (1.0, 2.0), "dirichlet"),
    ((6, 7), (1.0, 2.0), "neumann"),
    ((6, 7), (1.0, 2.0), ["periodic", ("neumann", "dirichlet")]),
    ((6, 7), (2.0, 1.0), ["neumann", "periodic"]),
    ((6, 7), 1.0, [("dirichlet", "neumann"), ("neumann", "dirichlet")]),
    ((4, 5, 3), (1.0, 2.0, 3.0), ["dirichlet", "neumann", "periodic"]),
    ((4, 5, 3), 1.0, "neumann"),
    ((4, 5, 3), 1.0, [("neumann", "dirichlet"), "periodic", ("dirichlet", "neumann")]),
]
CASE_IDS = [f"{shape}-{bc}" for shape, _, bc in BC_CASES]
KAPPA = 0.7


def _random_boundary(grid, rng):
    """Random data on every non-periodic face."""
    boundary = {}
    for axis, pair in enumerate(grid.bc):
        face = grid.shape[:axis] + grid.shape[axis + 1 :]
        for side, kind in enumerate(pair):
            if kind != "periodic":
                boundary[(axis, side)] = rng.standard_normal(face)
    return boundary


def _boundary_source(grid, boundary):
    """``c`` with ``Delta u + c`` the Laplacian with boundary data, written out.

    A Dirichlet value g sits one h beyond the first unknown, so the stencil
    gains g / h**2; an outward derivative q on a Neumann face half a cell
    away adds the flux q / h.
    """
    source = np.zeros(grid.shape)
    for (axis, side), value in boundary.items():
        h = grid.h[axis]
        index = [slice(None)] * grid.ndim
        index[axis] = 0 if side == 0 else -1
        scale = h**-2 if grid.bc[axis][side] == "dirichlet" else 1.0 / h
        source[tuple(index)] += scale * np.asarray(value)
    return source


def _reference(u0, grid, t, kappa, boundary=None):
    """``u(t)`` from expm_multiply of the augmented system ``[u; 1]``."""
    L = kl.laplacian(grid)
    source = _boundary_source(grid, boundary or {})
    n = grid.size
    top = sp.hstack([kappa * L, sp.csr_array(kappa * source.reshape(n, 1))])
    augmented = sp.vstack([top, sp.csr_array((1, n + 1))]).tocsr()
    state = np.append(u0.ravel(), 1.0)
    return spla.expm_multiply(t * augmented, state)[:n].reshape(grid.shape)


@pytest.mark.parametrize("shape, lengths, bc", BC_CASES, ids=CASE_IDS)
def test_exact_matches_expm_multiply(shape, lengths, bc):
    grid = kl.Grid(shape, lengths=lengths, bc=bc)
    rng = np.random.default_rng(0)
    u0 = rng.standard_normal(shape)
    times = [0.0, 0.002, 0.02, 0.1]
    frames = kl.solve_heat(u0, grid, times, kappa=KAPPA, method="exact")
    assert frames.shape == (len(times),) + shape
    for time, frame in zip(times, frames):
        expected = spla.expm_multiply(time * KAPPA * kl.laplacian(grid), u0.ravel())
        np.testing.assert_allclose(frame.ravel(), expected, rtol=0, atol=1e-12)


@pytest.mark.parametrize("shape, lengths, bc", BC_CASES, ids=CASE_IDS)
def test_exact_with_boundary_data_matches_expm_multiply(shape, lengths, bc):
    grid = kl.Grid(shape, lengths=lengths, bc=bc)
    rng = np.random.default_rng(1)
    u0 = rng.standard_normal(shape)
    boundary = _random_boundary(grid, rng)
    times = [0.0, 0.01, 0.05, 0.3]
    frames = kl.solve_heat(u0, grid, times, kappa=KAPPA, boundary=boundary)
    for time, frame in zip(times, frames):
        expected = _reference(u0, grid, time, KAPPA, boundary)
        scale = max(1.0, np.abs(expected).max())
        np.testing.assert_allclose(frame, expected, rtol=0, atol=1e-11 * scale)


def test_insulated_box_heated_through_its_faces_gains_heat_linearly():
    # Pure Neumann: no steady state; d/dt of the heat content is kappa times
    # the inflow (outward derivative times face area, summed over faces).
    grid = kl.Grid((6, 5), lengths=(1.5, 1.0), bc="neumann")
    rng = np.random.default_rng(2)
    u0 = rng.standard_normal(grid.shape)
    boundary = {(0, 0): 0.3, (1, 1): rng.uniform(0.5, 1.0, size=6)}
    cell = grid.h[0] * grid.h[1]
    inflow = 0.3 * grid.lengths[1] + boundary[(1, 1)].sum() * grid.h[0]
    times = np.array([0.0, 0.1, 1.0, 10.0])
    frames = kl.solve_heat(u0, grid, times, kappa=KAPPA, boundary=boundary)
    content = frames.sum(axis=(1, 2)) * cell
    np.testing.assert_allclose(content, u0.sum() * cell + KAPPA * inflow * times, rtol=1e-12)
    # The shape relaxes: u(t) - mean(u(t)) approaches a fixed profile.
    late = frames[-1] - frames[-1].mean()
    later = kl.solve_heat(u0, grid, 20.0, kappa=KAPPA, boundary=boundary)
    np.testing.assert_allclose(late, later - later.mean(), atol=1e-10)


def _multilinear(x, y, z=None):
    """Discrete-harmonic test function: every second difference of it is zero."""
    u = 1.0 + x - 2.0 * y + 3.0 * x * y
    return u if z is None else u + z - 0.5 * x * y * z


def test_steady_state_with_dirichlet_data_2d():
    grid = kl.Grid((11, 14), lengths=(1.0, 1.3), bc="dirichlet")
    x, y = grid.coords
    length_x, length_y = grid.lengths
    boundary = {
        (0, 0): _multilinear(0.0, y),
        (0, 1): _multilinear(length_x, y),
        (1, 0): _multilinear(x, 0.0),
        (1, 1): _multilinear(x, length_y),
    }
    exact = _multilinear(*grid.mesh())
    u0 = np.random.default_rng(3).standard_normal(grid.shape)
    late = kl.solve_heat(u0, grid, 20.0, boundary=boundary)
    np.testing.assert_allclose(late, exact, atol=1e-12)
    # One huge backward Euler step lands on the steady state too.
    step = kl.solve_heat(u0, grid, 1e8, method="backward_euler", dt=1e8, boundary=boundary)
    np.testing.assert_allclose(step, exact, atol=1e-7)


def test_steady_state_with_dirichlet_and_neumann_data_3d():
    grid = kl.Grid((6, 7, 5), lengths=(1.0, 0.8, 1.2), bc=["dirichlet", "neumann", "dirichlet"])
    x, y, z = grid.coords
    X, Y, Z = grid.mesh()
    length_x, length_y, length_z = grid.lengths
    xz = np.meshgrid(x, z, indexing="ij")
    dudy = -2.0 + 3.0 * xz[0] - 0.5 * xz[0] * xz[1]  # y-derivative on the y faces
    boundary = {
        (0, 0): _multilinear(0.0, *np.meshgrid(y, z, indexing="ij")),
        (0, 1): _multilinear(length_x, *np.meshgrid(y, z, indexing="ij")),
        (1, 0): -dudy,  # outward = -d/dy on the low side
        (1, 1): dudy,
        (2, 0): _multilinear(*np.meshgrid(x, y, indexing="ij"), 0.0),
        (2, 1): _multilinear(*np.meshgrid(x, y, indexing="ij"), length_z),
    }
    exact = _multilinear(X, Y, Z)
    late = kl.solve_heat(np.zeros(grid.shape), grid, 50.0, boundary=boundary)
    np.testing.assert_allclose(late, exact, atol=1e-11)


def _convergence(method, dts, boundary_too):
    grid = kl.Grid((24, 20), lengths=(1.0, 0.9), bc=["dirichlet", ("dirichlet", "neumann")])
    X, Y = grid.mesh()
    bump = np.exp(-((X - 0.4) ** 2 + (Y - 0.5) ** 2) / 0.02)
    boundary = None
    u0 = bump
    if boundary_too:
        x, y = grid.coords
        # 1 - x, harmonic, on the Dirichlet faces; insulated high y face.
        boundary = {(0, 0): 1.0, (0, 1): 0.0, (1, 0): 1.0 - x}
        u0 = bump + 1.0 - X
    t = 0.02
    exact = kl.solve_heat(u0, grid, t, boundary=boundary)
    errors = [
        np.abs(kl.solve_heat(u0, grid, t, method=method, dt=dt, boundary=boundary) - exact).max()
        for dt in dts
    ]
    return np.log2(np.array(errors[:-1]) / np.array(errors[1:])), errors


@pytest.mark.parametrize("boundary_too", [False, True])
def test_crank_nicolson_is_second_order(boundary_too):
    dts = 0.02 / np.array([8, 16, 32, 64])
    orders, errors = _convergence("crank_nicolson", dts, boundary_too)
    assert errors[-1] < 2e-5
    np.testing.assert_allclose(orders, 2.0, atol=0.05)


@pytest.mark.parametrize("boundary_too", [False, True])
def test_backward_euler_is_first_order(boundary_too):
    dts = 0.02 / np.array([16, 32, 64])
    orders, _ = _convergence("backward_euler", dts, boundary_too)
    np.testing.assert_allclose(orders, 1.0, atol=0.05)


def _manual_steps(u0, grid, step_lengths, kappa, boundary, scheme):
    """Time steps by sparse direct solves of the assembled system."""
    L = kl.laplacian(grid, format="csc")
    eye = sp.eye_array(grid.size, format="csc")
    source = _boundary_source(grid, boundary).ravel()
    u = u0.ravel()
    for tau in step_lengths:
        if scheme == "backward_euler":
            u = spla.spsolve(eye - tau * kappa * L, u + tau * kappa * source)
        else:
            half = 0.5 * tau * kappa
            u = spla.spsolve(eye - half * L, u + half * (L @ u) + tau * kappa * source)
    return u.reshape(grid.shape)


@pytest.mark.parametrize("scheme", ["backward_euler", "crank_nicolson"])
def test_steps_and_shorter_last_step_match_direct_solves(scheme):
    grid = kl.Grid((7, 6), lengths=(1.0, 2.0), bc=[("dirichlet", "neumann"), "periodic"])
    rng = np.random.default_rng(4)
    u0 = rng.standard_normal(grid.shape)
    boundary = {(0, 0): rng.standard_normal(6), (0, 1): 0.5}
    dt = 0.01
    frames = kl.solve_heat(
        u0, grid, [0.013, 0.05, 0.05], kappa=KAPPA, method=scheme, dt=dt, boundary=boundary
    )
    first = _manual_steps(u0, grid, [0.01, 0.003], KAPPA, boundary, scheme)
    second = _manual_steps(first, grid, [0.01, 0.01, 0.01, 0.007], KAPPA, boundary, scheme)
    np.testing.assert_allclose(frames[0], first, atol=1e-12)
    np.testing.assert_allclose(frames[1], second, atol=1e-12)
    np.testing.assert_array_equal(frames[2], frames[1])


def test_round_off_in_t_does_not_add_a_tiny_step():
    grid = kl.Grid(16, bc="dirichlet")
    u0 = np.sin(np.pi * grid.coords[0])
    times = np.linspace(0.0, 0.3, 31)  # 0.1 * k, but not exactly
    frames = kl.solve_heat(u0, grid, times, method="backward_euler", dt=0.01)
    whole = _manual_steps(u0, grid, [0.01] * 30, 1.0, {}, "backward_euler")
    np.testing.assert_allclose(frames[-1], whole, rtol=1e-12)


def test_scalar_and_array_t():
    grid = kl.Grid((5, 4), bc="neumann")
    u0 = np.arange(20.0).reshape(5, 4)
    one = kl.solve_heat(u0, grid, 0.05)
    assert one.shape == (5, 4) and one.dtype == np.float64
    stack = kl.solve_heat(u0, grid, [0.0, 0.05])
    np.testing.assert_allclose(stack[0], u0, atol=1e-12)
    np.testing.assert_allclose(stack[1], one, atol=1e-14)
    assert kl.solve_heat(u0, grid, []).shape == (0, 5, 4)
    stepped = kl.solve_heat(u0, grid, np.array(0.05), method="crank_nicolson", dt=0.01)
    assert stepped.shape == (5, 4)
    integer = kl.solve_heat(u0.astype(int), grid, 1)
    np.testing.assert_allclose(integer, kl.solve_heat(u0, grid, 1.0))


@pytest.mark.parametrize("method", ["exact", "crank_nicolson"])
def test_input_is_not_modified(method):
    grid = kl.Grid((6, 6), bc="dirichlet")
    u0 = np.random.default_rng(5).standard_normal(grid.shape)
    saved = u0.copy()
    kl.solve_heat(u0, grid, 0.1, method=method, dt=0.01, boundary={(0, 0): 1.0})
    np.testing.assert_array_equal(u0, saved)


def test_progress_bar(capsys):
    grid = kl.Grid(8)
    kl.solve_heat(np.ones(8), grid, 0.1, method="backward_euler", dt=0.01, progress=True)
    err = capsys.readouterr().err
    assert "heat (backward_euler)" in err and "10/10" in err
    kl.solve_heat(np.ones(8), grid, 0.1, method="backward_euler", dt=0.01)
    assert capsys.readouterr().err == ""


def test_too_many_steps_are_refused_before_stepping():
    # 150000 steps of dt: the old code took them all, silently (~15 s here; the
    # issue's dt=1e-9, t=1e-3 took 48 s); now refused before any solver is built.
    grid = kl.Grid((12, 10))
    u0 = np.random.default_rng(6).random(grid.shape)
    match = r"dt=1e-08 needs about 1\.5e\+05 steps to reach t=0\.0015, more than max_steps=100000"
    with pytest.raises(ValueError, match=match):
        kl.solve_heat(u0, grid, 1.5e-3, method="backward_euler", dt=1e-8)
    # A dt whose ratio to t overflows float64 is refused the same way, without a warning.
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(ValueError, match=r"dt=5e-324 needs more than 1e308 steps"):
            kl.solve_heat(u0, grid, [0.0, 1e-3], method="crank_nicolson", dt=5e-324)


@pytest.mark.parametrize("scheme", ["backward_euler", "crank_nicolson"])
def test_max_steps_counts_every_step_of_every_output_time(scheme, capsys):
    grid = kl.Grid((5, 4), bc=["dirichlet", "neumann"])
    u0 = np.random.default_rng(7).standard_normal(grid.shape)
    # 2 + 3 whole steps, or 4 whole and a shorter one: 5 steps, allowed.
    for times, lengths in [([0.02, 0.05], [0.01] * 5), ([0.045], [0.01] * 4 + [0.005])]:
        frames = kl.solve_heat(u0, grid, times, method=scheme, dt=0.01, max_steps=5, progress=True)
        expected = _manual_steps(u0, grid, lengths, 1.0, {}, scheme)
        np.testing.assert_allclose(frames[-1], expected, atol=1e-12)
        assert "5/5" in capsys.readouterr().err  # the bar counts the steps
    for times, count in [([0.02, 0.06], 6), ([0.051], 6)]:
        with pytest.raises(ValueError, match=rf"needs {count} steps .* max_steps=5; use"):
            kl.solve_heat(u0, grid, times, method=scheme, dt=0.01, max_steps=5)
    unlimited = kl.solve_heat(u0, grid, 0.06, method=scheme, dt=0.01, max_steps=None)
    expected = _manual_steps(u0, grid, [0.01] * 6, 1.0, {}, scheme)
    np.testing.assert_allclose(unlimited, expected, atol=1e-12)


@pytest.mark.parametrize(
    "max_steps, error, match",
    [
        (0, ValueError, "max_steps must be >= 1"),
        (-3, ValueError, "max_steps must be >= 1"),
        (2.5, TypeError, "max_steps must be an int or None"),
        ("10", TypeError, "max_steps must be an int or None"),
        (True, TypeError, "max_steps must be an int or None"),
    ],
)
def test_bad_max_steps(max_steps, error, match):
    with pytest.raises(error, match=match):
        kl.solve_heat(U0, GRID, 0.1, method="backward_euler", dt=0.01, max_steps=max_steps)


def test_variable_conductivity_crank_nicolson():
    # Needs PoissonSolver(coeff=...) (variable coefficients, multigrid).
    grid = kl.Grid((12, 10), lengths=(1.2, 1.0), bc="neumann")
    X, Y = grid.mesh()
    a = 1.0 + 0.8 * np.sin(3 * X) * np.cos(2 * Y)
    u0 = np.exp(-((X - 0.6) ** 2 + (Y - 0.4) ** 2) / 0.05)
    dt, kappa = 0.005, 0.5
    got = kl.solve_heat(u0, grid, 0.05, kappa=kappa, dt=dt, coeff=a)  # auto: Crank-Nicolson
    A = neumann_diffusion(grid, a).tocsc()
    eye = sp.eye_array(grid.size, format="csc")
    u = u0.ravel()
    for _ in range(10):
        u = spla.spsolve(eye - 0.5 * dt * kappa * A, u + 0.5 * dt * kappa * (A @ u))
    np.testing.assert_allclose(got.ravel(), u, atol=1e-7)
    assert got.sum() == pytest.approx(u0.sum(), rel=1e-8)  # insulated: heat is kept
    # Constant conductivity 2 is kappa doubled.
    doubled = kl.solve_heat(u0, grid, 0.05, kappa=kappa, dt=dt, coeff=np.full(grid.shape, 2.0))
    plain = kl.solve_heat(u0, grid, 0.05, kappa=2 * kappa, method="crank_nicolson", dt=dt)
    np.testing.assert_allclose(doubled, plain, atol=1e-7)


GRID = kl.Grid((4, 5), bc="dirichlet")
U0 = np.zeros((4, 5))


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        ({"u0": np.zeros((5, 4))}, ValueError, "u0 must have shape"),
        ({"u0": np.full((4, 5), np.nan)}, ValueError, "u0 contains NaN"),
        ({"u0": np.zeros((4, 5), complex)}, TypeError, "u0 must be real"),
        ({"u0": np.array([["a"] * 5] * 4)}, TypeError, "u0 must be a numeric"),
        ({"grid": (4, 5)}, TypeError, "grid must be a kronlap.Grid"),
        ({"t": -0.1}, ValueError, "t must be >= 0"),
        ({"t": [0.2, 0.1]}, ValueError, "t must be non-decreasing"),
        ({"t": [[0.1]]}, ValueError, "t must be a scalar or a 1D array"),
        ({"t": np.nan}, ValueError, "t contains NaN"),
        ({"t": "1"}, TypeError, "t must be a real number"),
        ({"kappa": 0.0}, ValueError, "kappa must be positive"),
        ({"kappa": -1.0}, ValueError, "kappa must be positive"),
        ({"method": "euler"}, ValueError, "method must be one of"),
        ({"method": "crank_nicolson"}, ValueError, "dt is required"),
        ({"method": "backward_euler", "dt": -0.1}, ValueError, "dt must be positive"),
        ({"method": "backward_euler", "dt": 0.0}, ValueError, "dt must be positive"),
        ({"method": "crank_nicolson", "dt": "0.1"}, TypeError, "dt must be a real number"),
        ({"method": "exact", "coeff": np.ones((4, 5))}, ValueError, "coeff needs a stepping"),
        ({"coeff": np.ones((4, 5))}, ValueError, "dt is required"),
        ({"boundary": {(0, 2): 1.0}}, ValueError, "side must be 0"),
        ({"boundary": {(1, 0): np.ones(3)}}, ValueError, "face's shape"),
        ({"progress": "yes"}, TypeError, "progress must be a bool"),
    ],
)
def test_bad_input(kwargs, error, match):
    args = {"u0": U0, "grid": GRID, "t": 0.1} | kwargs
    with pytest.raises(error, match=match):
        kl.solve_heat(**args)
