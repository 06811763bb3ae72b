"""gmg on rough coefficients: a log-uniform value per cell, jumps across every face.

The iteration bounds come from measurements (``benchmarks/RESULTS.md``,
"gmg on rough coefficients") with a margin of several iterations: the
counts are deterministic for a fixed seed, up to the rounding of the
machine's arithmetic.
"""

import numpy as np
import pytest
from reference import (
    SIDES,
    masked_reference_solve,
    random_rhs,
    reference_solve,
    relative_residual,
)

import kronlap as kl
from kronlap.multigrid.geometric.galerkin import OperatorInterpolation, galerkin_operator
from kronlap.multigrid.geometric.stencil import StencilOperator


def log_uniform(shape, contrast=1e3, seed=0):
    """``a = contrast**U``, ``U`` uniform on [0, 1), one value per cell."""
    return contrast ** np.random.default_rng(seed).random(shape)


def gmg_iterations(shape, contrast=1e3):
    g = kl.Grid(shape)
    solver = kl.PoissonSolver(g, method="gmg", coeff=log_uniform(shape, contrast), tol=1e-8)
    f = np.ones(shape)
    u = solver.solve(f)
    assert relative_residual(g, u, f, coeff=log_uniform(shape, contrast)) <= 1e-8
    return solver.info["iterations"]


# Measured (2026-12, contrast 1e3): 2D 32^2..256^2: 10, 13, 15, 17 CG iterations;
# 3D 16^3..48^3: 10, 12, 15. Before operator-dependent interpolation lumped
# the positive Galerkin couplings and two sweeps smoothed rough levels:
# 19, 26, 34 on 64^2..256^2 and 17, 19, 22 in 3D.
@pytest.mark.parametrize(
    "shapes, bound",
    [
        ([(32, 32), (64, 64), (128, 128), (256, 256)], 22),
        ([(16, 16, 16), (32, 32, 32), (48, 48, 48)], 20),
    ],
    ids=["2d", "3d"],
)
def test_iterations_stay_bounded_on_rough_coefficients(shapes, bound):
    counts = [gmg_iterations(shape) for shape in shapes]
    assert max(counts) <= bound, counts


@pytest.mark.parametrize("ndim", [2, 3])
@pytest.mark.parametrize("bc", SIDES)
@pytest.mark.parametrize("shift", [0.0, 1.0])
def test_agrees_with_spsolve_on_rough_coefficients(ndim, bc, shift):
    shape = (24, 21) if ndim == 2 else (12, 11, 10)
    g = kl.Grid(shape, bc=bc)
    a = log_uniform(shape, seed=3)
    f = random_rhs(g, shift, seed=7)
    solver = kl.PoissonSolver(g, method="gmg", coeff=a, shift=shift, tol=1e-10)
    u = solver.solve(f)
    assert relative_residual(g, u, f, shift, a) <= 1e-10
    np.testing.assert_allclose(u, reference_solve(g, f, shift, a), atol=1e-8 * np.abs(u).max())
    if g.is_singular and shift == 0:
        assert abs(u.mean()) < 1e-10 * np.abs(u).max()


def test_mixed_axes_agree_with_spsolve():
    g = kl.Grid((20, 18, 9), bc=["dirichlet", "periodic", ("neumann", "dirichlet")])
    a = log_uniform(g.shape, contrast=1e6, seed=5)
    f = random_rhs(g, seed=8)
    u = kl.PoissonSolver(g, method="gmg", coeff=a, tol=1e-10).solve(f)
    np.testing.assert_allclose(u, reference_solve(g, f, coeff=a), atol=1e-8 * np.abs(u).max())


@pytest.mark.parametrize("ndim", [2, 3])
def test_interpolation_keeps_constants_on_every_galerkin_level(ndim):
    """Away from Dirichlet sides P 1 = 1 with weights in [0, 1], on every level.

    Galerkin levels of a rough coefficient have positive off-diagonal
    entries; interpolating with them as they are gave weights of +-240
    and lost the constants (P 1 off by 1) from the second level on.
    """
    shape = (64, 64) if ndim == 2 else (24, 24, 24)
    g = kl.Grid(shape, bc="neumann")
    S = StencilOperator.from_grid(g, coeff=log_uniform(shape))
    positive = 0
    while min(S.shape) >= 4:
        P = OperatorInterpolation(S, S.coefficients(), [0] * ndim)
        ones = np.ones(P.coarse_shape)
        np.testing.assert_allclose(P.prolong(ones), 1.0, rtol=1e-12)
        for _, terms in P.classes:
            for _, weight in terms:
                assert weight.min() >= 0.0 and weight.max() <= 1.0 + 1e-12
        S = galerkin_operator(S, P)
        positive += sum(
            int(np.count_nonzero(np.asarray(c) > 0)) for o, c in S.coefficients().items() if any(o)
        )
    assert positive > 0  # the case the lumping is for


def test_info_says_what_was_chosen_and_why():
    g = kl.Grid((64, 64))
    rough = kl.GeometricMultigrid(g, coeff=log_uniform(g.shape)).info
    assert rough["cycle"] == "V" and rough["smoother"] == "red-black Gauss-Seidel (2, 2)"
    assert rough["rough_faces"] > 0.5 and "rough" in rough["reason"]["cycle"]
    assert set(rough["reason"]) == {"hierarchy", "cycle", "smoother", "precision"}
    x, y = g.mesh()
    tiles = np.where((np.floor(4 * x) + np.floor(4 * y)) % 2 == 0, 100.0, 1.0)
    smooth = kl.GeometricMultigrid(g, coeff=tiles).info
    assert smooth["cycle"] == "VW" and smooth["rough_faces"] < 0.1
    plain = kl.GeometricMultigrid(g).info
    assert plain["cycle"] == "V" and plain["smoother"] == "red-black Gauss-Seidel (1, 1)"
    given = kl.GeometricMultigrid(g, coeff=tiles, cycle="W", presmooth=1).info
    assert given["reason"]["cycle"] == "cycle given"
    assert given["smoother"] == "red-black Gauss-Seidel (1, 1)"
    assert given["reason"]["smoother"] == "presmooth, postsmooth given"


# Every method that takes a coefficient array, against spsolve of the same
# matrix, on a rough coefficient; the methods that take a mask with one too.
ROUGH_METHODS = ["direct", "cg", "multigrid", "gmg"]
MASKED_METHODS = ["direct", "cg", "multigrid"]


@pytest.mark.parametrize("bc", SIDES, ids=str)
@pytest.mark.parametrize("method", ROUGH_METHODS)
def test_every_method_agrees_with_spsolve_on_rough_coefficients(method, bc):
    g = kl.Grid((22, 19), bc=bc)
    a = log_uniform(g.shape, contrast=1e4, seed=11)
    f = random_rhs(g, 0.5, seed=12)
    solver = kl.PoissonSolver(g, method=method, coeff=a, shift=0.5, tol=1e-10)
    u = solver.solve(f)
    assert relative_residual(g, u, f, 0.5, a) <= 1e-10
    expected = reference_solve(g, f, 0.5, a)
    np.testing.assert_allclose(u, expected, atol=1e-8 * np.abs(expected).max())


@pytest.mark.parametrize("bc", SIDES, ids=str)
@pytest.mark.parametrize("method", MASKED_METHODS)
def test_every_masked_method_agrees_with_spsolve_on_rough_coefficients(method, bc):
    g = kl.Grid((22, 19), bc=bc)
    x, y = g.mesh()
    mask = (x - 0.45) ** 2 + (y - 0.5) ** 2 < 0.38**2
    a = log_uniform(g.shape, contrast=1e4, seed=13)
    f = random_rhs(g, seed=14)
    values = np.cos(2 * x) * y
    solver = kl.PoissonSolver(g, method=method, coeff=a, mask=mask, mask_values=values, tol=1e-10)
    u = solver.solve(f)
    expected = masked_reference_solve(g, f, mask, values, coeff=a)
    np.testing.assert_allclose(u, expected, atol=1e-8 * np.abs(expected).max())
    np.testing.assert_array_equal(u[~mask], values[~mask])


def test_auto_leaves_very_rough_3d_media_to_ruge_stuben():
    """3D, rough from cell to cell at contrast >= 3e4: Ruge-Stuben, else gmg.

    Measured (benchmarks/RESULTS.md): at 64^3, 1e5 and 1e6, Ruge-Stuben
    needs 18-19 iterations against gmg's 42-66 and 40-60% of its time; at
    1e3 and 1e4 gmg is faster, and on large tiles at any contrast.
    """
    g = kl.Grid((48, 48, 48))
    assert kl.PoissonSolver(g, coeff=log_uniform(g.shape, 1e6)).method == "multigrid"
    assert kl.PoissonSolver(g, coeff=log_uniform(g.shape, 1e5)).method == "multigrid"
    assert kl.PoissonSolver(g, coeff=log_uniform(g.shape, 1e3)).method == "gmg"
    x, y, z = g.mesh()
    tiles = np.where((np.floor(4 * x) + np.floor(4 * y) + np.floor(4 * z)) % 2 == 0, 1e6, 1.0)
    assert kl.PoissonSolver(g, coeff=tiles).method == "gmg"
    # In 2D gmg stays the choice at any contrast: it was the fastest there.
    square = kl.Grid((128, 128))
    assert kl.PoissonSolver(square, coeff=log_uniform(square.shape, 1e6)).method == "gmg"
