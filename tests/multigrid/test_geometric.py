import itertools
import warnings

import numpy as np
import pytest
import scipy.sparse.linalg as spla
from reference import (
    SIDES,
    check_iterative_solve,
    random_rhs,
    reference_solve,
    relative_residual,
    system,
)

import kronlap as kl
from kronlap.coefficients import fold_diffusion_boundary
from kronlap.multigrid.geometric.galerkin import FullStencil, OperatorInterpolation, coarse_start
from kronlap.multigrid.geometric.stencil import StencilOperator
from kronlap.multigrid.geometric.transfer import (
    AxisMap,
    coarse_size,
    interpolation,
    restriction,
)


def checkerboard(grid, contrast=1e3, tiles=4):
    cells = sum(np.floor(tiles * x / length) for x, length in zip(grid.mesh(), grid.lengths))
    return np.where(cells % 2 == 0, contrast, 1.0)


def random_cells(grid, contrast=1e3, seed=4):
    """A different log-uniform value in every cell: jumps across every face."""
    return 10 ** np.random.default_rng(seed).uniform(0, np.log10(contrast), grid.shape)


def random_blocks(grid, contrast=1e3, blocks=5, seed=3):
    values = 10 ** np.random.default_rng(seed).uniform(
        0, np.log10(contrast), (blocks,) * grid.ndim
    )
    index = tuple(
        np.minimum((blocks * x / length).astype(int), blocks - 1)
        for x, length in zip(grid.mesh(), grid.lengths)
    )
    return values[index]


# -- 1D pieces -----------------------------------------------------------------


@pytest.mark.parametrize("pair", [kl.grid.normalize_bc(s) for s in SIDES])
@pytest.mark.parametrize("n", [9, 10, 17])
def test_interpolation_is_exact_on_linear_functions(pair, n):
    """Away from the boundary, P reproduces linear functions of the coordinate."""
    m = coarse_size(n, pair)
    fine = kl.Grid(n, lengths=2.0, bc=[pair])
    coarse = kl.Grid(m, lengths=2.0, bc=[pair])
    P = interpolation(n, m, 2.0, pair)
    x, X = fine.coords[0], coarse.coords[0]
    inside = (x >= X[0]) & (x <= X[-1])
    np.testing.assert_allclose((P @ (3.0 * X + 1.0))[inside], (3.0 * x + 1.0)[inside])
    if pair[0] != "dirichlet" and pair[1] != "dirichlet":
        np.testing.assert_allclose(P @ np.ones(m), np.ones(n))  # constants are kept
    R = restriction(n, m, 2.0, pair)
    np.testing.assert_allclose(R.toarray(), P.T.toarray() * fine.h[0] / coarse.h[0])


@pytest.mark.parametrize("n", [7, 15, 31])
def test_coarse_operator_is_the_1d_galerkin_product_on_nested_dirichlet_axes(n):
    """R A P with linear interpolation and full weighting is the coarse second difference."""
    pair = ("dirichlet", "dirichlet")
    m = coarse_size(n, pair)
    h, H = kl.Grid(n).h[0], kl.Grid(m).h[0]
    A = kl.second_difference(n, h=h)
    galerkin = restriction(n, m, 1.0, pair) @ A @ interpolation(n, m, 1.0, pair)
    np.testing.assert_allclose(galerkin.toarray(), kl.second_difference(m, h=H).toarray())
    g = kl.Grid((n, n))
    S = StencilOperator.from_grid(g)
    mg = kl.GeometricMultigrid(g, coarsest_size=1)
    coarse = kl.Grid(mg.info["shapes"][1])
    # Levels hold the operator divided by mg.scale, a power of 2: exactly.
    np.testing.assert_allclose(
        mg.levels[1].operator.dense() * mg.scale, -kl.laplacian(coarse).toarray()
    )
    assert S.size == g.size


def test_operator_interpolation_reproduces_discrete_layered_solutions():
    """In 1D, operator-dependent weights are exact for the discrete -(a u')' = 0."""
    n = 31
    g = kl.Grid(n)
    a = 10 ** np.random.default_rng(14).uniform(-2, 2, n)
    rhs = fold_diffusion_boundary(np.zeros(n), g, a, {(0, 1): 1.0})
    u = spla.spsolve(kl.diffusion(g, a, format="csc"), rhs)
    fine = StencilOperator.from_grid(g, 0.0, a)
    P = OperatorInterpolation(fine, fine.coefficients(), [coarse_start(g.bc[0])])
    assert P.coarse_shape == (15,)
    inside = slice(0, n - 1)  # the last point also sees the boundary value (1 here, 0 in P)
    np.testing.assert_allclose(P.prolong(u[1::2])[inside], u[inside], rtol=1e-12)
    linear = AxisMap(interpolation(n, 15, 1.0, g.bc[0]), np).apply(u[1::2], 0)
    assert np.abs(linear - u)[inside].max() > 1e-3  # linear weights are not exact here


@pytest.mark.parametrize("bc0, bc1", list(itertools.product(SIDES, SIDES)))
@pytest.mark.parametrize("shape", [(13, 12), (16, 9), (6, 7)])
def test_galerkin_levels_are_ptsp_with_restriction_pt(bc0, bc1, shape):
    """Every coarse level of a varying coefficient is P^T S P, restriction is P^T."""
    g = kl.Grid(shape, lengths=(1.0, 1.7), bc=[bc0, bc1])
    a = checkerboard(g, 100.0) * (1 + 0.3 * np.sin(7 * np.prod(g.mesh(), axis=0)))
    mg = kl.GeometricMultigrid(g, shift=0.5, coeff=a, coarsest_size=1, precision="double")
    assert mg.info["coarse_operators"] == "galerkin"
    for fine, coarse in zip(mg.levels, mg.levels[1:]):
        S = fine.operator.dense()
        n, m = S.shape[0], coarse.operator.size
        P = np.column_stack(
            [fine.transfer.prolong(e.reshape(coarse.shape)).ravel().copy() for e in np.eye(m)]
        )
        R = np.column_stack(
            [fine.transfer.restrict(e.reshape(fine.shape)).ravel().copy() for e in np.eye(n)]
        )
        np.testing.assert_allclose(R, P.T, atol=1e-15)
        Sc = coarse.operator.dense()
        np.testing.assert_allclose(Sc, P.T @ S @ P, atol=1e-12 * np.abs(Sc).max())
        if fine.operator is not mg.levels[0].operator:
            np.testing.assert_allclose(Sc, Sc.T, atol=1e-12 * np.abs(Sc).max())


def test_full_stencil_smoother_solves_its_colour():
    """A colour's update makes the residual vanish on that colour (9-point stencil)."""
    rng = np.random.default_rng(3)
    g = kl.Grid((9, 8), bc=["dirichlet", "periodic"])
    mg = kl.GeometricMultigrid(g, coeff=random_cells(g), coarsest_size=1, precision="double")
    level = mg.levels[1]
    S = level.operator
    assert isinstance(S, FullStencil) and len(S.coefficients()) == 9
    b = rng.standard_normal(S.shape)
    u = S.padded()
    S.interior(u)[...] = rng.standard_normal(S.shape)
    S.refresh(u)
    S.smooth(u, b)
    r = S.residual(u, b)
    np.testing.assert_allclose(r[1::2, 1::2], 0.0, atol=1e-12)  # the last colour
    assert np.abs(r[0::2, 0::2]).max() > 1e-3


# -- the matrix-free operator ----------------------------------------------------


@pytest.mark.parametrize("bc0, bc1", list(itertools.product(SIDES, SIDES)))
def test_stencil_operator_matches_assembled_system(bc0, bc1):
    rng = np.random.default_rng(1)
    g = kl.Grid((6, 5), lengths=(1.0, 3.0), bc=[bc0, bc1])
    a = rng.uniform(0.1, 10.0, g.shape)
    u = rng.standard_normal(g.shape)
    for coeff in (None, a):
        S = StencilOperator.from_grid(g, 0.5, coeff)
        A = -system(g, 0.5, coeff).toarray()
        np.testing.assert_allclose(S.apply(u).ravel(), A @ u.ravel(), atol=1e-12 * np.abs(A).max())
        np.testing.assert_allclose(S.dense(), A, atol=1e-12 * np.abs(A).max())


def test_stencil_operator_3d_and_smoother_solves_its_colour():
    rng = np.random.default_rng(2)
    g = kl.Grid((5, 4, 3), bc=["periodic", "neumann", ("dirichlet", "neumann")])
    a = rng.uniform(0.5, 2.0, g.shape)
    S = StencilOperator.from_grid(g, 0.0, a)
    u = rng.standard_normal(g.shape)
    np.testing.assert_allclose(S.apply(u).ravel(), -(kl.diffusion(g, a) @ u.ravel()))
    # After a red-black sweep, the equations of the last colour hold exactly.
    g = kl.Grid((6, 7), bc="dirichlet")
    S = StencilOperator.from_grid(g, 1.0, rng.uniform(0.5, 2.0, g.shape))
    b = rng.standard_normal(g.shape)
    u_pad = S.padded()
    S.smooth(u_pad, b)
    i, j = np.indices(g.shape)
    r = S.residual(u_pad, b)
    assert np.abs(r[(i + j) % 2 == 1]).max() < 1e-12 * np.abs(b).max()
    assert np.abs(r[(i + j) % 2 == 0]).max() > 1e-3


# -- solves ------------------------------------------------------------------------


@pytest.mark.parametrize("bc0, bc1", list(itertools.product(SIDES, SIDES)))
@pytest.mark.parametrize("shift", [0.0, 3.0])
def test_every_bc_2d(bc0, bc1, shift):
    g = kl.Grid((23, 18), lengths=(1.0, 1.5), bc=[bc0, bc1])
    check_iterative_solve(g, shift, "gmg", mean_tol=1e-12)


@pytest.mark.parametrize("bc", [SIDES[k : k + 3] for k in range(3)] + [["neumann"] * 3])
@pytest.mark.parametrize("shift", [0.0, 2.0])
def test_3d(bc, shift):
    g = kl.Grid((12, 9, 10), bc=bc)
    f = random_rhs(g, shift, seed=4)
    solver = kl.PoissonSolver(g, shift=shift, method="gmg")
    u = solver.solve(f)
    assert relative_residual(g, u, f, shift) < 1e-10
    np.testing.assert_allclose(u, reference_solve(g, f, shift), atol=1e-8 * np.abs(u).max())


@pytest.mark.parametrize("bc", ["dirichlet", "neumann", "periodic", ["dirichlet", "neumann"]])
@pytest.mark.parametrize("make_coeff", [checkerboard, random_blocks, random_cells])
def test_coefficient_jumps_2d(bc, make_coeff):
    g = kl.Grid((40, 33), bc=bc)
    a = make_coeff(g)
    assert a.max() / a.min() > 100
    f = random_rhs(g, seed=5)
    solver = kl.PoissonSolver(g, method="gmg", coeff=a)
    u = solver.solve(f)
    assert relative_residual(g, u, f, coeff=a) < 1e-10
    np.testing.assert_allclose(u, reference_solve(g, f, coeff=a), atol=1e-7 * np.abs(u).max())


@pytest.mark.parametrize("shift", [0.0, 1.0])
def test_coefficient_jumps_3d(shift):
    g = kl.Grid((15, 16, 12), bc=["dirichlet", "periodic", "neumann"])
    a = checkerboard(g, tiles=3)
    f = random_rhs(g, shift, seed=6)
    u = kl.solve_poisson(f, g, method="gmg", coeff=a, shift=shift)
    assert relative_residual(g, u, f, shift, a) < 1e-10


def test_singular_problems_need_compatible_data():
    g = kl.Grid((16, 16), bc="neumann")
    f = np.random.default_rng(7).standard_normal(g.shape) + 1.0
    with pytest.raises(ValueError, match="incompatible"):
        kl.solve_poisson(f, g, method="gmg")
    u = kl.solve_poisson(f, g, method="gmg", project=True)
    assert abs(u.mean()) < 1e-12 * np.abs(u).max()
    assert relative_residual(g, u, f - f.mean()) < 1e-10


def test_boundary_data_matches_fft_and_direct():
    g = kl.Grid((20, 24), bc=[("dirichlet", "neumann"), "dirichlet"])
    rng = np.random.default_rng(8)
    f = rng.standard_normal(g.shape)
    boundary = {(0, 0): rng.standard_normal(24), (0, 1): 0.5, (1, 1): -2.0}
    u = kl.solve_poisson(f, g, method="gmg", boundary=boundary)
    np.testing.assert_allclose(u, kl.solve_poisson(f, g, method="fft", boundary=boundary))
    a = random_blocks(g)
    u = kl.solve_poisson(f, g, method="gmg", boundary=boundary, coeff=a)
    reference = kl.solve_poisson(f, g, method="direct", boundary=boundary, coeff=a)
    np.testing.assert_allclose(u, reference, atol=1e-8 * np.abs(reference).max())


def test_complex_and_float32_right_hand_sides():
    g = kl.Grid((17, 17), bc="periodic")
    rng = np.random.default_rng(9)
    f = rng.standard_normal(g.shape) + 1j * rng.standard_normal(g.shape)
    f -= f.mean()
    u = kl.solve_poisson(f, g, method="gmg")
    assert u.dtype == np.complex128
    np.testing.assert_allclose(u, kl.solve_poisson(f, g, method="fft"), atol=1e-9)
    u32 = kl.solve_poisson(f.real.astype(np.float32), g, method="gmg", tol=1e-6)
    assert u32.dtype == np.float32


@pytest.mark.parametrize("bc", ["dirichlet", "neumann", "periodic", ("dirichlet", "neumann")])
def test_iterations_independent_of_grid_size(bc):
    counts = []
    for n in (32, 64, 128, 256):
        g = kl.Grid((n, n), bc=bc)
        solver = kl.PoissonSolver(g, method="gmg", shift=0.0)
        solver.solve(random_rhs(g))
        counts.append(solver.info["iterations"])
    assert max(counts) - min(counts) <= 2, counts


def test_iterations_independent_of_grid_size_3d():
    counts = []
    for n in (16, 32, 64):
        g = kl.Grid((n, n, n), bc=["dirichlet", "neumann", "periodic"])
        solver = kl.PoissonSolver(g, method="gmg")
        solver.solve(random_rhs(g))
        counts.append(solver.info["iterations"])
    assert max(counts) - min(counts) <= 2, counts


def test_iterations_independent_of_grid_size_with_jumps():
    """Galerkin levels keep the count flat across a 1000:1 checkerboard."""
    counts = []
    for n in (32, 64, 128, 256):
        g = kl.Grid((n, n))
        solver = kl.PoissonSolver(g, method="gmg", coeff=checkerboard(g, 1e3))
        solver.solve(random_rhs(g))
        counts.append(solver.info["iterations"])
    assert max(counts) - min(counts) <= 2, counts


@pytest.mark.parametrize("cycle", ["V", "W", "F", "VW"])
@pytest.mark.parametrize("accel", ["cg", None])
def test_cycles_and_stationary_iteration(cycle, accel):
    g = kl.Grid((33, 40), bc=["dirichlet", "periodic"])
    f = random_rhs(g, seed=10)
    if cycle == "F" and accel == "cg":
        with pytest.raises(ValueError, match="symmetric"):
            kl.PoissonSolver(g, method="gmg", cycle=cycle, accel=accel)
        return
    solver = kl.PoissonSolver(g, method="gmg", cycle=cycle, accel=accel)
    u = solver.solve(f)
    assert relative_residual(g, u, f) < 1e-10
    assert solver.info["iterations"] <= 25


def test_default_cycle_coarse_operators_and_precision():
    g = kl.Grid((40, 33), bc=["neumann", "periodic"])
    plain = kl.GeometricMultigrid(g, shift=1.0)
    assert plain.info["cycle"] == "V" and plain.info["coarse_operators"] == "rediscretized"
    a = random_blocks(g)
    jumps = kl.GeometricMultigrid(g, shift=1.0, coeff=a)
    assert jumps.info["cycle"] == "VW" and jumps.info["coarse_operators"] == "galerkin"
    assert jumps.info["precision"] == "single"
    assert jumps.levels[0].operator.dtype == np.float32
    assert kl.GeometricMultigrid(g, accel=None).info["precision"] == "double"
    f = random_rhs(g, seed=5)
    double = kl.GeometricMultigrid(g, shift=1.0, coeff=a, precision="double", tol=1e-12)
    u64, _, r64 = double.solve(f)
    u32, _, r32 = jumps.solve(f)
    assert u32.dtype == np.float64 and r32 <= 1e-10 and r64 <= 1e-12
    np.testing.assert_allclose(u32, u64, atol=1e-9 * np.abs(u64).max())
    e = jumps.precondition(f)
    assert e.dtype == np.float64 and e.shape == g.shape
    # A coefficient that does not vary keeps the Kronecker-sum hierarchy, on
    # every level (non-nested even Dirichlet axes included).
    assert kl.GeometricMultigrid(g, coeff=3.0).info["coarse_operators"] == "rediscretized"
    for grid, precision in itertools.product(
        (g, kl.Grid((33, 40)), kl.Grid((20, 18, 16))), ("single", "double")
    ):
        levels = kl.GeometricMultigrid(grid, coarsest_size=1, precision=precision).levels
        assert not any(isinstance(level.operator, FullStencil) for level in levels)


@pytest.mark.parametrize("unit", [1e-300, 1e40])
@pytest.mark.parametrize("varying", [False, True])
def test_coefficients_in_units_beyond_single_precision(unit, varying):
    """``a = 1e-300`` or ``1e40`` (times a varying field): the cycle works on S / scale.

    In float32, ``a / h**2`` underflows to 0 or overflows to inf; the
    answer, its residual and the preconditioner are those of the unscaled
    problem.
    """
    g = kl.Grid((40, 33), bc=["dirichlet", ("neumann", "dirichlet")])
    a = unit * random_blocks(g) if varying else unit
    f = random_rhs(g, seed=15)
    solver = kl.PoissonSolver(g, method="gmg", coeff=a)
    assert solver.info["precision"] == "single"
    u = solver.solve(f)
    reference = reference_solve(g, f, coeff=a)
    np.testing.assert_allclose(u, reference, rtol=0, atol=1e-7 * np.abs(reference).max())
    assert solver.info["residual"] <= solver.tol
    assert relative_residual(g, u, f, coeff=a) < 2 * solver.tol
    mg = solver._method.multigrid
    e = mg.precondition(f)
    assert np.linalg.norm(f - mg.apply(e)) < 0.5 * np.linalg.norm(f)


@pytest.mark.parametrize("bc", ["dirichlet", "neumann", ["periodic", ("neumann", "dirichlet")]])
@pytest.mark.parametrize("shift", [0.0, 1e44])
def test_lengths_beyond_single_precision(bc, shift):
    """``lengths=1e-20``: ``1 / h**2`` near 1e43 (and a shift of that size) scale out."""
    g = kl.Grid((40, 33), lengths=(1e-20, 2e-20), bc=bc)
    f = random_rhs(g, shift, seed=16)
    solver = kl.PoissonSolver(g, shift=shift, method="gmg")
    u = solver.solve(f)
    reference = reference_solve(g, f, shift)
    np.testing.assert_allclose(u, reference, rtol=0, atol=1e-8 * np.abs(reference).max())
    assert solver.info["residual"] <= solver.tol
    assert relative_residual(g, u, f, shift) < 2 * solver.tol


def test_scaling_by_a_power_of_two_changes_nothing():
    """The same problem in other units: the same iterations, the answer scaled exactly."""
    g = kl.Grid((33, 40), bc=["dirichlet", "periodic"])
    a = random_blocks(g)
    f = random_rhs(g, seed=17)
    u, iterations, residual = kl.GeometricMultigrid(g, shift=1.0, coeff=a).solve(f)
    scaled, scaled_iterations, scaled_residual = kl.GeometricMultigrid(
        g, shift=2.0**-900, coeff=a * 2.0**-900
    ).solve(f * 2.0**100)
    assert scaled_iterations == iterations and residual <= 1e-10 and scaled_residual <= 1e-10
    np.testing.assert_allclose(scaled * 2.0**-1000, u, rtol=0, atol=1e-12 * np.abs(u).max())


def test_extreme_contrast_picks_double_and_never_crashes():
    """Above a contrast of 1e4 the default cycle is double; single ends without LinAlgError."""
    g = kl.Grid((24, 20, 18), lengths=(1.0, 1.0, 2.0), bc="neumann")
    a = checkerboard(g, 1e6)
    assert kl.GeometricMultigrid(g, coeff=a).info["precision"] == "double"
    assert kl.GeometricMultigrid(g, coeff=checkerboard(g, 1e4)).info["precision"] == "single"
    # Rounding leaves this single-precision coarsest level indefinite: it is
    # inverted on its clearly positive eigenvalues instead of failing.
    mg = kl.GeometricMultigrid(g, coeff=a, precision="single", maxiter=30)
    f = random_rhs(g, seed=2)
    u, iterations, residual = mg.solve(f - f.mean())
    assert np.all(np.isfinite(u)) and 0 < iterations <= 30 and residual < 0.5


def test_semi_coarsening_of_short_and_coarse_axes():
    # h = 1/130 against 1/6: axis 1 waits until axis 0 is within 1.5x of it.
    mg = kl.GeometricMultigrid(kl.Grid((129, 5)), coarsest_size=8)
    assert mg.info["shapes"] == [(129, 5), (64, 5), (31, 5), (15, 5), (7, 5), (3, 2)]
    # Axis 1 is 8 times coarser: only axis 0 coarsens until the spacings meet.
    mg = kl.GeometricMultigrid(kl.Grid((127, 63), lengths=(1.0, 4.0)), coarsest_size=8)
    assert mg.info["shapes"][:3] == [(127, 63), (63, 63), (31, 63)]
    g = kl.Grid((255, 31), lengths=(1.0, 8.0))
    u = kl.solve_poisson(random_rhs(g), g, method="gmg")
    assert relative_residual(g, u, random_rhs(g)) < 1e-10


def test_preconditioner_for_cg():
    g = kl.Grid((31, 30), bc=["neumann", "periodic"])
    a = checkerboard(g, contrast=100.0)
    f = random_rhs(g, seed=11)
    solver = kl.PoissonSolver(g, method="cg", preconditioner="gmg", coeff=a)
    u = solver.solve(f)
    assert relative_residual(g, u, f, coeff=a) < 1e-10
    assert solver.info["iterations"] < 40 and solver.info["levels"] >= 2


def test_nonconvergence_raises_or_warns():
    g = kl.Grid((64, 64))
    f = random_rhs(g)
    with pytest.raises(kl.ConvergenceError, match="after 1 iterations"):
        kl.PoissonSolver(g, method="gmg", maxiter=1).solve(f)
    solver = kl.PoissonSolver(g, method="gmg", maxiter=1, on_nonconvergence="warn")
    with pytest.warns(kl.ConvergenceWarning, match="relative residual"):
        u = solver.solve(f)
    assert solver.info["iterations"] == 1 and solver.info["residual"] > 1e-10
    assert relative_residual(g, u, f) == pytest.approx(solver.info["residual"], rel=1e-6)


def test_bad_input():
    g = kl.Grid((16, 16))
    with pytest.raises(ValueError, match="mask"):
        kl.PoissonSolver(g, method="gmg", mask=np.ones(g.shape, dtype=bool))
    with pytest.raises(ValueError, match="mask"):
        kl.PoissonSolver(g, method="cg", preconditioner="gmg", mask=np.ones(g.shape, dtype=bool))
    with pytest.raises(ValueError, match="accel"):
        kl.PoissonSolver(g, method="gmg", accel="fgmres")
    with pytest.raises(ValueError, match="cycle"):
        kl.PoissonSolver(g, method="gmg", cycle="X")
    with pytest.raises(ValueError, match="shift"):
        kl.PoissonSolver(g, shift=-1.0, method="gmg")
    with pytest.raises(ValueError, match="presmooth"):
        kl.GeometricMultigrid(g, presmooth=-1)
    with pytest.raises(ValueError, match="symmetric"):
        kl.GeometricMultigrid(g, presmooth=2, postsmooth=1)
    with pytest.raises(ValueError, match="precision"):
        kl.GeometricMultigrid(g, precision="half")
    with pytest.raises(ValueError, match="accel='cg'"):
        kl.GeometricMultigrid(g, precision="single", accel=None)
    with pytest.raises(ValueError, match="coarsest_size"):
        kl.GeometricMultigrid(g, coarsest_size=0)
    with pytest.raises(ValueError, match="backend"):
        kl.GeometricMultigrid(g, backend="torch")
    with pytest.raises(ValueError, match="coeff"):
        kl.GeometricMultigrid(g, coeff=-np.ones(g.shape))
    with pytest.raises(ValueError, match="shape"):
        kl.GeometricMultigrid(g).solve(np.ones((3, 3)))
    with pytest.raises(ValueError, match="b must be finite"):
        kl.GeometricMultigrid(g).solve(np.full(g.shape, np.nan))
    with pytest.raises(ValueError, match="r must be finite"):
        kl.GeometricMultigrid(g).precondition(np.full(g.shape, np.inf))
    with pytest.raises(ValueError, match="overflows float64"):
        kl.GeometricMultigrid(kl.Grid((16, 16), lengths=1e-10), coeff=1e300)


def test_zero_rhs_and_input_not_modified():
    g = kl.Grid((9, 9), bc="neumann")
    solver = kl.PoissonSolver(g, method="gmg")
    assert np.array_equal(solver.solve(np.zeros(g.shape)), np.zeros(g.shape))
    f = random_rhs(g)
    copy = f.copy()
    solver.solve(f, boundary={(0, 0): 1.0, (0, 1): 1.0}, project=True)
    assert np.array_equal(f, copy)


def test_cupy_gives_the_numpy_answer():
    cupy = pytest.importorskip("cupy")
    if not cupy.is_available():
        pytest.skip("no GPU visible")
    g = kl.Grid((65, 48), bc=["dirichlet", "periodic"])
    a = random_blocks(g)
    f = random_rhs(g)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        host, _, _ = kl.GeometricMultigrid(g, coeff=a).solve(f)
        device, _, residual = kl.GeometricMultigrid(g, coeff=a, backend="cupy").solve(
            cupy.asarray(f)
        )
    assert residual < 1e-10
    np.testing.assert_allclose(cupy.asnumpy(device), host, atol=1e-9 * np.abs(host).max())


def test_auto_prefers_gmg_for_large_coefficient_grids():
    big, small = kl.Grid((128, 128)), kl.Grid((64, 64))
    a = checkerboard(big, contrast=100.0)
    solver = kl.PoissonSolver(big, coeff=a)
    assert solver.method == "gmg"
    f = random_rhs(big, seed=13)
    assert relative_residual(big, solver.solve(f), f, coeff=a) < 1e-10
    assert kl.PoissonSolver(small, coeff=2.0).method == "multigrid"
    assert kl.PoissonSolver(big, coeff=a, accel="fgmres").method == "multigrid"
    mask = np.ones(big.shape, dtype=bool)
    mask[0, 0] = False
    assert kl.PoissonSolver(big, coeff=a, mask=mask).method == "multigrid"
    assert kl.PoissonSolver(big).method == "fft"
    cube, smaller = kl.Grid((48, 48, 48)), kl.Grid((32, 32, 32))
    assert kl.PoissonSolver(cube, coeff=checkerboard(cube, 100.0)).method == "gmg"
    assert kl.PoissonSolver(smaller, coeff=checkerboard(smaller, 100.0)).method == "multigrid"


def test_default_acceleration():
    g2, g3 = kl.Grid((40, 40)), kl.Grid((12, 12, 12))
    assert kl.PoissonSolver(g2, method="gmg").info["accel"] == "cg"
    assert kl.PoissonSolver(g2, method="gmg", accel=None).info["accel"] is None
    assert kl.PoissonSolver(g3, method="gmg").info["accel"] == "cg"
    assert kl.PoissonSolver(g2, method="gmg", coeff=2.0).info["accel"] == "cg"
