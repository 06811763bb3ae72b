"""Tests for kronlap.boundary: the keys of the boundary dict and complex data.

References are independent of ``fold_boundary``: the boundary source is
written out here from the conventions (a Dirichlet value ``g`` adds
``g / h**2`` to the stencil of the first unknown, an outward derivative ``q``
on a Neumann face adds ``q / h``), and solved with scipy's ``spsolve`` on
``kl.laplacian`` (complex arithmetic throughout) or, for the heat equation,
propagated with ``expm_multiply`` and sparse direct time steps.
"""

from __future__ import annotations

import re

import numpy as np
import pytest
import scipy.sparse as sp
import scipy.sparse.linalg as spla

import kronlap as kl
from kronlap.boundary import fold_boundary

# Not singular (a Dirichlet side on every axis), every kind of side present.
GRID = kl.Grid((6, 5), lengths=(1.0, 2.0), bc=[("dirichlet", "neumann"), "dirichlet"])


def _source(grid, boundary):
    """``c`` with ``Delta_h u + c`` the Laplacian with boundary data, from the conventions."""
    c = np.zeros(grid.shape, dtype=complex)
    for (axis, side), value in boundary.items():
        h = grid.h[axis]
        scale = 1.0 / h**2 if grid.bc[axis][side] == "dirichlet" else 1.0 / h
        index = [slice(None)] * grid.ndim
        index[axis] = 0 if side == 0 else -1
        c[tuple(index)] += scale * np.asarray(value)
    return c


def _complex_boundary(rng):
    return {
        (0, 0): 1j,  # Dirichlet, a complex scalar
        (0, 1): rng.standard_normal(5) + 1j * rng.standard_normal(5),  # Neumann face
        (1, 1): 0.5,  # real data alongside
    }


@pytest.mark.parametrize(
    "grid, keys",
    [
        (kl.Grid((4, 5)), [(0, 0), (-2, 0)]),
        (kl.Grid((4, 5)), [(-1, 1), (1, 1)]),
        (kl.Grid((3, 4, 2), bc="neumann"), [(2, 1), (-1, 1)]),
    ],
)
def test_face_named_twice_is_refused(grid, keys):
    # (0, 0) and (-2, 0) are one face of a 2D grid: its data used to be applied twice.
    boundary = {keys[0]: 1.0, keys[1]: 1.0}
    match = re.escape(f"face given twice: keys {keys[0]!r} and {keys[1]!r} both name")
    f = np.zeros(grid.shape)
    with pytest.raises(ValueError, match=match):
        kl.solve_poisson(f, grid, boundary=boundary, method="direct")
    with pytest.raises(ValueError, match=match):
        fold_boundary(f, grid, boundary)
    np.testing.assert_array_equal(f, 0.0)  # refused before anything was folded
    with pytest.raises(ValueError, match=match):
        kl.solve_heat(f, grid, 0.1, boundary=boundary)


def test_negative_axis_names_the_face_from_the_end():
    rng = np.random.default_rng(0)
    f = rng.standard_normal(GRID.shape)
    boundary = {(-2, 0): 0.7, (-1, 1): rng.standard_normal(6)}
    normalized = {(0, 0): 0.7, (1, 1): boundary[(-1, 1)]}
    expected = spla.spsolve(
        kl.laplacian(GRID).tocsc(), (f - _source(GRID, normalized).real).ravel()
    ).reshape(GRID.shape)
    u = kl.solve_poisson(f, GRID, boundary=boundary, method="fft")
    np.testing.assert_allclose(u, expected, rtol=0, atol=1e-11 * np.abs(expected).max())


@pytest.mark.parametrize(
    "dtype, promoted", [(np.float64, np.complex128), (np.float32, np.complex64)]
)
def test_fold_boundary_promotes_a_real_rhs_on_request(dtype, promoted):
    rng = np.random.default_rng(1)
    boundary = _complex_boundary(rng)
    f = rng.standard_normal(GRID.shape).astype(dtype)
    saved = f.copy()
    out = fold_boundary(f, GRID, boundary, promote=True)
    assert out.dtype == promoted
    np.testing.assert_array_equal(f, saved)  # a new array; the real one is untouched
    rtol = 1e-6 if dtype == np.float32 else 1e-14
    np.testing.assert_allclose(out, saved - _source(GRID, boundary), rtol=rtol)


def test_fold_boundary_refuses_complex_data_for_a_real_rhs_in_place():
    f = np.zeros(GRID.shape)
    # A real face listed first must not be folded before the complex one is refused.
    boundary = {(1, 1): 2.0, (0, 0): 1j}
    with pytest.raises(TypeError, match=r"boundary\[\(0, 0\)\] is complex .* f is real"):
        fold_boundary(f, GRID, boundary)
    np.testing.assert_array_equal(f, 0.0)
    # A complex right-hand side takes it in place, as before.
    g = np.zeros(GRID.shape, dtype=complex)
    assert fold_boundary(g, GRID, boundary) is g
    np.testing.assert_allclose(g, -_source(GRID, boundary), rtol=1e-14)


@pytest.mark.parametrize("method", ["fft", "direct", "eig", "cg"])
def test_solve_poisson_real_f_with_complex_boundary(method):
    """Promoted to complex (as numpy/scipy treat mixed real and complex), or refused clearly.

    The promotion needs ``PoissonSolver.solve`` to keep ``fold_boundary``'s
    return value with ``promote=True`` (kronlap/solvers.py); until then the
    refusal must name ``boundary`` and say why. The old behaviour, a numpy
    casting error that names neither, fails both branches.
    """
    rng = np.random.default_rng(2)
    boundary = _complex_boundary(rng)
    f = rng.standard_normal(GRID.shape)
    saved = f.copy()
    L = kl.laplacian(GRID).astype(complex).tocsc()
    expected = spla.spsolve(L, (f - _source(GRID, boundary)).ravel()).reshape(GRID.shape)
    # Solving the real and imaginary parts separately gives the same answer.
    parts = [
        {k: np.real(v) for k, v in boundary.items()},
        {k: np.imag(v) for k, v in boundary.items()},
    ]
    split = kl.solve_poisson(f, GRID, boundary=parts[0], method=method) + 1j * kl.solve_poisson(
        np.zeros(GRID.shape), GRID, boundary=parts[1], method=method
    )
    np.testing.assert_allclose(split, expected, rtol=0, atol=1e-9 * np.abs(expected).max())
    try:
        u = kl.solve_poisson(f, GRID, boundary=boundary, method=method)
    except TypeError as exc:
        assert re.search(r"boundary\[\(0, 0\)\] is complex .* f is real", str(exc)), exc
    else:
        assert u.dtype == np.complex128
        np.testing.assert_allclose(u, expected, rtol=0, atol=1e-9 * np.abs(expected).max())
    np.testing.assert_array_equal(f, saved)


def _heat_reference(u0, grid, times, kappa, boundary, method, dt):
    """``u' = kappa (L u + c)`` in complex arithmetic, from the assembled Laplacian."""
    L = kl.laplacian(grid).astype(complex).tocsc()
    c = _source(grid, boundary).ravel()
    n = grid.size
    if method == "exact":
        # d/dt [u; 1] = [[kappa L, kappa c], [0, 0]] [u; 1]
        A = sp.block_array(
            [[kappa * L, sp.csc_array(kappa * c[:, None])], [None, sp.csc_array((1, 1))]]
        )
        start = np.append(u0.ravel(), 1.0).astype(complex)
        return np.array(
            [spla.expm_multiply(t * A.tocsc(), start)[:n].reshape(grid.shape) for t in times]
        )
    eye = sp.eye_array(n, format="csc")
    theta = 1.0 if method == "backward_euler" else 0.5
    implicit = spla.splu((eye - theta * dt * kappa * L).tocsc())
    explicit = eye + (1 - theta) * dt * kappa * L
    u, frames, now = u0.ravel().astype(complex), [], 0.0
    for t in times:
        while now < t - 1e-12:
            u = implicit.solve(explicit @ u + dt * kappa * c)
            now += dt
        frames.append(u.reshape(grid.shape))
    return np.array(frames)


@pytest.mark.parametrize("method", ["exact", "backward_euler", "crank_nicolson"])
def test_solve_heat_complex_boundary_gives_a_complex_solution(method):
    rng = np.random.default_rng(3)
    boundary = _complex_boundary(rng)
    u0 = rng.random(GRID.shape)
    times, kappa, dt = [0.02, 0.05], 0.7, 0.01
    dt_arg = None if method == "exact" else dt
    u = kl.solve_heat(u0, GRID, times, kappa=kappa, method=method, dt=dt_arg, boundary=boundary)
    assert u.dtype == np.complex128 and u.shape == (2, *GRID.shape)
    expected = _heat_reference(u0, GRID, times, kappa, boundary, method, dt)
    np.testing.assert_allclose(u, expected, rtol=0, atol=1e-10 * np.abs(expected).max())
    assert np.abs(u.imag).max() > 0.1  # the imaginary data did arrive


def test_distributed_solve_heat_complex_boundary():
    # One rank: the distributed exact propagator with the same complex data.
    pytest.importorskip("mpi4py_fft")
    from kronlap import distributed

    rng = np.random.default_rng(5)
    boundary = _complex_boundary(rng)
    u0 = rng.random(GRID.shape)
    times = [0.02, 0.05]
    u = distributed.solve_heat(u0, GRID, times, kappa=0.7, boundary=boundary)
    assert u.dtype == np.complex128
    expected = _heat_reference(u0, GRID, times, 0.7, boundary, "exact", None)
    np.testing.assert_allclose(u, expected, rtol=0, atol=1e-10 * np.abs(expected).max())


def test_distributed_face_named_twice_is_refused():
    # The distributed solver checked each key alone: the second value overwrote the first.
    pytest.importorskip("mpi4py_fft")
    from kronlap import distributed

    g = kl.Grid((8, 6))
    with pytest.raises(ValueError, match="boundary face given twice"):
        distributed.solve_poisson(np.ones(g.shape), g, boundary={(0, 0): 1.0, (-2, 0): 1.0})


def test_complex_data_with_a_coefficient_promotes():
    g = kl.Grid((8, 7), bc=["dirichlet", "neumann"])
    a = 1.0 + np.arange(g.size, dtype=float).reshape(g.shape) / g.size
    f = np.ones(g.shape)
    u = kl.solve_poisson(f, g, coeff=a, boundary={(0, 0): 2j, (1, 1): 1.0}, method="direct")
    real = kl.solve_poisson(f, g, coeff=a, boundary={(1, 1): 1.0}, method="direct")
    imag = kl.solve_poisson(np.zeros(g.shape), g, coeff=a, boundary={(0, 0): 2.0}, method="direct")
    np.testing.assert_allclose(u, real + 1j * imag, atol=1e-12 * np.abs(imag).max())
