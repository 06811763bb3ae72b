"""Every solver method on Robin sides, stretched axes and separable coefficient/shift lists.

The reference is scipy's spsolve of the Kronecker sum of the axes' 1D operators
(kronlap.differences.axis_operators) applied to the right-hand side with the
boundary data folded in by those operators' weights; the heat propagator is
checked against scipy's expm_multiply of the same operator.
"""

import numpy as np
import pytest
import scipy.sparse as sp
import scipy.sparse.linalg as spla

import kronlap as kl
from kronlap.boundary import fold_boundary
from kronlap.coefficients import fold_diffusion_boundary, volume_weights
from kronlap.differences import axis_operators

METHODS = ["fft", "eig", "direct", "cg", "multigrid", "gmg", "auto"]
ITERATIVE = {"cg", "multigrid", "gmg"}
RTOL = 1e-8


def positions(n, length, pair, seed):
    """Random increasing positions: the uniform ones of these sides, each moved < 0.35 cells."""
    g = kl.Grid(n, lengths=length, bc=[pair])
    jitter = np.random.default_rng(seed).uniform(-0.35, 0.35, n)
    x = g.coords[0] + jitter * g.h[0]
    return np.abs(x) if pair[0] == "periodic" else x


def grid_robin_periodic():
    return kl.Grid((20, 16), lengths=(1.0, 2.0), bc=[("dirichlet", ("robin", 2.0)), "periodic"])


def grid_robin_negative():
    # k = -1 on [0, 0.7]: k L > -1, so the operator stays definite.
    return kl.Grid((18, 16), lengths=(0.7, 1.0), bc=[(("robin", -1.0), "dirichlet"), "dirichlet"])


def grid_stretched():
    x = positions(17, 1.0, ("dirichlet", "dirichlet"), seed=1)
    y = positions(16, 1.5, ("neumann", "neumann"), seed=2)
    return kl.Grid((17, 16), lengths=(1.0, 1.5), bc=["dirichlet", "neumann"], coords=[x, y])


def grid_singular():
    x = positions(18, 1.0, ("neumann", "neumann"), seed=3)
    y = positions(16, 2.0, ("periodic", "periodic"), seed=4)
    return kl.Grid((18, 16), lengths=(1.0, 2.0), bc=["neumann", "periodic"], coords=[x, y])


def grid_3d():
    y = positions(7, 1.0, ("dirichlet", "dirichlet"), seed=5)
    return kl.Grid(
        (6, 7, 8),
        bc=[("neumann", ("robin", 1.5)), "dirichlet", "periodic"],
        coords=[None, y, None],
    )


GRIDS = [grid_robin_periodic, grid_robin_negative, grid_stretched, grid_singular, grid_3d]


def separable_terms(grid, variant):
    """``(coeff, shift)`` for the solvers: ``shift`` a list, or the number 0.0."""
    rng = np.random.default_rng(7)
    if variant == "none":
        return None, 0.0
    if variant == "arrays":
        coeff = [1 + 0.5 * rng.uniform(size=n) for n in grid.shape]
        shift = [0.5 * rng.uniform(size=n) for n in grid.shape]
        return coeff, shift
    if variant == "callables":
        coeff = [lambda x, k=k: 1 + 0.5 * np.sin(x + k) for k in range(grid.ndim)]
        shift = [lambda x: x**2] + [0.5] * (grid.ndim - 1)
        return coeff, shift
    assert variant == "coeff only"
    coeff = [lambda x: 1 + x**2, 1 + 0.5 * rng.uniform(size=grid.shape[1])]
    coeff += [2.0] * (grid.ndim - 2)
    return coeff, 0.0


VARIANTS = ["none", "arrays", "callables", "coeff only"]


def boundary_data(grid, seed=11):
    """Inhomogeneous data on every side: an array on the low sides, a number on the high ones."""
    rng = np.random.default_rng(seed)
    data = {}
    for axis, pair in enumerate(grid.bc):
        if pair[0] != "periodic":
            face = grid.shape[:axis] + grid.shape[axis + 1 :]
            data[(axis, 0)] = rng.standard_normal(face)
            data[(axis, 1)] = 0.3
    return data


def reference_operator(grid, coeff=None, shift=None):
    ops = axis_operators(grid, coeff, shift if isinstance(shift, list) else None)
    return ops, kl.kron_sum(*(op.matrix() for op in ops)).tocsc()


def weighted_mean(u, ops):
    volumes = volume_weights(ops)
    volumes = np.ones(u.shape) if volumes is None else np.asarray(volumes)
    return float((volumes * u).sum() / volumes.sum())


def grounded_solve(A, b, ops, shape):
    """The solution of a singular compatible system with zero volume-weighted mean."""
    u = np.zeros(A.shape[0])
    u[1:] = spla.spsolve(A[1:, 1:], b[1:])
    u = u.reshape(shape)
    return u - weighted_mean(u, ops)


def relative_error(u, reference):
    return np.abs(u - reference).max() / np.abs(reference).max()


def options(method):
    return {"tol": 1e-11} if method in ITERATIVE else {}


@pytest.mark.parametrize("variant", VARIANTS)
@pytest.mark.parametrize("make", GRIDS)
@pytest.mark.parametrize("method", METHODS + ["solve_poisson"])
def test_every_method_matches_spsolve(make, variant, method):
    grid = make()
    coeff, shift = separable_terms(grid, variant)
    ops, A = reference_operator(grid, coeff, shift)
    singular = grid.is_singular and not isinstance(shift, list)
    f = np.random.default_rng(5).standard_normal(grid.shape)
    boundary = boundary_data(grid)
    rhs = fold_boundary(f.copy(), grid, boundary, operators=ops)
    if singular:
        # Make the folded right-hand side compatible: zero volume-weighted mean.
        f -= weighted_mean(rhs, ops)
        rhs = fold_boundary(f.copy(), grid, boundary, operators=ops)
        reference = grounded_solve(A, rhs.ravel(), ops, grid.shape)
    else:
        reference = spla.spsolve(A, rhs.ravel()).reshape(grid.shape)
    f_given = f.copy()
    if method == "solve_poisson":
        u = kl.solve_poisson(f, grid, coeff=coeff, shift=shift, boundary=boundary)
    else:
        solver = kl.PoissonSolver(grid, coeff=coeff, shift=shift, method=method, **options(method))
        u = solver.solve(f, boundary=boundary)
        if method != "auto":
            assert solver.method == method
    np.testing.assert_array_equal(f, f_given)
    assert u.shape == grid.shape and u.dtype == np.float64
    assert relative_error(u, reference) < RTOL
    if singular:
        residual = A @ u.ravel() - rhs.ravel()
        assert np.abs(residual).max() < 1e-9 * np.abs(rhs).max()
        assert abs(weighted_mean(u, ops)) < 1e-12 * np.abs(u).max()


@pytest.mark.parametrize("variant", ["none", "coeff only"])
@pytest.mark.parametrize("method", METHODS)
def test_singular_stretched_grid_compatibility_is_volume_weighted(method, variant):
    grid = grid_singular()
    coeff, _ = separable_terms(grid, variant)
    ops, A = reference_operator(grid, coeff)
    volumes = np.asarray(volume_weights(ops))
    assert grid.stretched == (True, True) and np.ptp(volumes) > 0.1
    solver = kl.PoissonSolver(grid, coeff=coeff, method=method, **options(method))
    assert solver.singular
    boundary = {(0, 0): 0.5, (0, 1): np.linspace(-1.0, 1.0, grid.shape[1])}
    f = np.random.default_rng(8).standard_normal(grid.shape)
    rhs = fold_boundary(f.copy(), grid, boundary, operators=ops)

    # Zero plain mean but not zero volume-weighted mean: incompatible.
    plain = f - rhs.mean()
    assert (
        abs(weighted_mean(fold_boundary(plain.copy(), grid, boundary, operators=ops), ops)) > 0.01
    )
    with pytest.raises(ValueError, match="incompatible"):
        solver.solve(plain, boundary=boundary)
    with pytest.raises(ValueError, match="incompatible"):
        solver.solve(f, boundary=boundary)

    # project=True removes the weighted mean of the folded right-hand side.
    u = solver.solve(f, boundary=boundary, project=True)
    projected = rhs - weighted_mean(rhs, ops)
    residual = A @ u.ravel() - projected.ravel()
    assert np.abs(residual).max() < 1e-9 * np.abs(projected).max()
    assert abs(weighted_mean(u, ops)) < 1e-12 * np.abs(u).max()
    reference = grounded_solve(A, projected.ravel(), ops, grid.shape)
    assert relative_error(u, reference) < RTOL

    # Zero volume-weighted mean: compatible, solved without project.
    compatible = f - weighted_mean(rhs, ops)
    np.testing.assert_allclose(
        solver.solve(compatible, boundary=boundary), u, rtol=0, atol=RTOL * np.abs(u).max()
    )


@pytest.mark.parametrize("coeff", [None, [lambda x: 1 + x, 2.0]], ids=["plain", "separable"])
@pytest.mark.parametrize("stretched", [False, True], ids=["uniform", "stretched"])
def test_masked_robin_grid_multigrid_and_direct_agree(coeff, stretched):
    shape, lengths = (20, 16), (1.0, 0.8)
    bc = [("dirichlet", ("robin", 2.0)), (("robin", 0.5), "neumann")]
    y = positions(16, 0.8, bc[1], seed=9) if stretched else None
    grid = kl.Grid(shape, lengths=lengths, bc=bc, coords=[None, y])
    x, y = grid.mesh()
    mask = ((x - 0.5) ** 2 + (y - 0.4) ** 2 < 0.35**2) | (x > 0.7)
    assert mask[-1].all() and mask[:, 0].any() and not mask.all()
    rng = np.random.default_rng(10)
    f = rng.standard_normal(shape)
    boundary = {(0, 1): 0.5, (1, 0): rng.standard_normal(shape[0])}
    outside = np.cos(x)
    solutions = {}
    for method in ("multigrid", "direct"):
        solver = kl.PoissonSolver(
            grid, method=method, coeff=coeff, mask=mask, mask_values=outside, **options(method)
        )
        solutions[method] = solver.solve(f, boundary=boundary)
    assert relative_error(solutions["multigrid"], solutions["direct"]) < RTOL
    # The reference: the operator restricted to the mask, the rest held at its values.
    ops, A = reference_operator(grid, coeff)
    A = A.tocsr()
    inside = mask.ravel()
    rhs = fold_boundary(f.copy(), grid, boundary, operators=ops).ravel()
    b = rhs[inside] - A[inside][:, ~inside] @ outside.ravel()[~inside]
    reference = outside.ravel().copy()
    reference[inside] = spla.spsolve(A[inside][:, inside].tocsc(), b)
    assert relative_error(solutions["direct"].ravel(), reference) < RTOL
    np.testing.assert_array_equal(solutions["multigrid"][~mask], outside[~mask])


def test_transforms_are_dense_on_robin_and_stretched_axes():
    def transforms(grid, **kwargs):
        solver = kl.PoissonSolver(grid, method="fft", tridiagonal_axis=None, **kwargs)
        return solver.info["transforms"]

    assert transforms(kl.Grid((8, 9), bc="dirichlet")) == ("dst1", "dst1")
    assert transforms(kl.Grid((8, 9), bc=["periodic", "neumann"])) == ("fft", "dct2")
    robin = kl.Grid((8, 9), bc=[("dirichlet", ("robin", 2.0)), "dirichlet"])
    assert transforms(robin) == ("dense", "dst1")
    robin_periodic = kl.Grid((8, 9), bc=["periodic", ("robin", 1.0)])
    assert transforms(robin_periodic) == ("fft", "dense")
    y = positions(9, 1.0, ("dirichlet", "dirichlet"), seed=12)
    stretched = kl.Grid((8, 9), bc="dirichlet", coords=[None, y])
    assert transforms(stretched) == ("dst1", "dense")
    plain = kl.Grid((8, 9), bc="dirichlet")
    assert transforms(plain, coeff=[lambda x: 1 + x, 1.0]) == ("dense", "dst1")
    assert transforms(plain, shift=[0.0, np.linspace(0.0, 1.0, 9)]) == ("dst1", "dense")
    assert "dense" in kl.PoissonSolver(grid_3d(), method="fft").info["transforms"]


@pytest.mark.parametrize(
    "make, kwargs",
    [
        (grid_robin_periodic, {}),
        (grid_stretched, {}),
        (grid_3d, {}),
        (lambda: kl.Grid((24, 20)), {"coeff": [lambda x: 1 + x**2, 1.0]}),
        (lambda: kl.Grid((24, 20)), {"shift": [0.0, np.linspace(0.0, 2.0, 20)]}),
    ],
    ids=["robin", "stretched", "3d", "separable coeff", "separable shift"],
)
def test_gmg_uses_galerkin_levels(make, kwargs):
    grid = make()
    solver = kl.PoissonSolver(grid, method="gmg", tol=1e-11, **kwargs)
    assert solver.info["levels"] >= 2
    assert solver.info["coarse_operators"] == "galerkin"
    ops, A = reference_operator(grid, kwargs.get("coeff"), kwargs.get("shift"))
    f = np.random.default_rng(13).standard_normal(grid.shape)
    boundary = boundary_data(grid)
    rhs = fold_boundary(f.copy(), grid, boundary, operators=ops)
    reference = spla.spsolve(A, rhs.ravel()).reshape(grid.shape)
    assert relative_error(solver.solve(f, boundary=boundary), reference) < RTOL
    assert solver.info["residual"] <= 1e-11


def test_gmg_rediscretizes_the_plain_laplacian():
    solver = kl.PoissonSolver(kl.Grid((24, 20)), method="gmg")
    assert solver.info["levels"] >= 2
    assert solver.info["coarse_operators"] == "rediscretized"


def test_fft_sweeps_along_a_robin_axis():
    grid = grid_robin_periodic()
    solver = kl.PoissonSolver(grid, method="fft", tridiagonal_axis=0)
    assert solver.info["transforms"] == ("tridiagonal", "fft")
    ops, A = reference_operator(grid)
    f = np.random.default_rng(14).standard_normal(grid.shape)
    boundary = boundary_data(grid)
    rhs = fold_boundary(f.copy(), grid, boundary, operators=ops)
    reference = spla.spsolve(A, rhs.ravel()).reshape(grid.shape)
    assert relative_error(solver.solve(f, boundary=boundary), reference) < RTOL


# --- heat equation -------------------------------------------------------------------------


def heat_reference(grid, u0, times, kappa, boundary, coeff=None):
    """``u' = kappa (A u + c)`` by expm_multiply of the operator augmented with the source c."""
    ops, A = reference_operator(grid, coeff)
    source = -fold_boundary(np.zeros(grid.shape), grid, boundary, operators=ops).ravel()
    augmented = sp.block_array([[A, source[:, None]], [None, sp.csr_array((1, 1))]]).tocsc()
    start = np.append(u0.ravel(), 1.0)
    return np.array(
        [spla.expm_multiply(t * kappa * augmented, start)[:-1].reshape(grid.shape) for t in times]
    )


def heat_grid_robin():
    return kl.Grid((12, 10), lengths=(1.0, 2.0), bc=[("dirichlet", ("robin", 2.0)), "periodic"])


def heat_grid_robin_negative():
    return kl.Grid((12, 10), bc=[(("robin", -0.5), "neumann"), ("robin", 3.0)])


def heat_grid_stretched():
    x = positions(12, 1.0, ("neumann", "neumann"), seed=15)
    return kl.Grid((12, 10), bc=["neumann", ("dirichlet", "neumann")], coords=[x, None])


def heat_grid_singular():
    x = positions(12, 1.0, ("neumann", "neumann"), seed=16)
    return kl.Grid((12, 10), bc=["neumann", "periodic"], coords=[x, None])


@pytest.mark.parametrize(
    "make", [heat_grid_robin, heat_grid_robin_negative, heat_grid_stretched, heat_grid_singular]
)
def test_exact_heat_matches_expm_multiply(make):
    grid = make()
    rng = np.random.default_rng(17)
    u0 = rng.standard_normal(grid.shape)
    times = [0.0, 0.01, 0.05]
    if grid.is_singular:
        # Data whose fluxes balance (net fluxes: the test below).
        boundary = {(0, 0): np.zeros(grid.shape[1])}
    else:
        boundary = {(0, 0): rng.standard_normal(grid.shape[1]), (0, 1): 0.7}
    u = kl.solve_heat(u0, grid, times, kappa=0.7, boundary=boundary, method="exact")
    reference = heat_reference(grid, u0, times, 0.7, boundary)
    assert u.shape == (3, *grid.shape)
    np.testing.assert_allclose(u, reference, rtol=0, atol=1e-12 * np.abs(reference).max())


def test_exact_heat_with_net_flux_on_a_singular_stretched_grid():
    grid = heat_grid_singular()
    u0 = np.random.default_rng(18).standard_normal(grid.shape)
    boundary = {(0, 0): 1.0, (0, 1): 0.2}
    times = [0.01, 0.05]
    u = kl.solve_heat(u0, grid, times, kappa=0.7, boundary=boundary, method="exact")
    reference = heat_reference(grid, u0, times, 0.7, boundary)
    np.testing.assert_allclose(u, reference, rtol=0, atol=1e-10 * np.abs(reference).max())


def test_crank_nicolson_with_separable_coefficient_on_a_robin_grid():
    grid = heat_grid_robin()
    coeff = [lambda x: 1 + x**2, 2.0]
    x, y = grid.mesh()
    u0 = np.cos(np.pi * x) * np.sin(np.pi * y)
    boundary = {(0, 0): 0.5, (0, 1): -1.0}
    reference = heat_reference(grid, u0, [0.05], 1.0, boundary, coeff)[0]
    errors = [
        np.abs(
            kl.solve_heat(
                u0, grid, 0.05, boundary=boundary, coeff=coeff, method="crank_nicolson", dt=dt
            )
            - reference
        ).max()
        for dt in (2e-3, 1e-3)
    ]
    assert errors[1] < 1e-3 * np.abs(reference).max()
    assert 3.0 < errors[0] / errors[1] < 5.0  # second order in dt


# --- separable coefficients in 1D are the assembled diffusion operator ---------------------

PAIRS_1D = [
    "dirichlet",
    "neumann",
    ("dirichlet", "neumann"),
    "periodic",
    ("dirichlet", ("robin", 2.0)),
    (("robin", -0.5), "neumann"),
]


@pytest.mark.parametrize("pair", PAIRS_1D)
def test_separable_coefficient_in_1d_is_the_diffusion_matrix(pair):
    grid = kl.Grid(15, lengths=2.0, bc=[pair])
    a = 1 + np.random.default_rng(19).uniform(size=15)
    D = kl.diffusion(grid, a)
    ops, A = reference_operator(grid, [a])
    scale = abs(D).max()
    np.testing.assert_allclose(
        kl.diffusion(grid, [a]).toarray(), D.toarray(), rtol=0, atol=1e-13 * scale
    )
    np.testing.assert_allclose(A.toarray(), D.toarray(), rtol=0, atol=1e-13 * scale)


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("pair", PAIRS_1D)
def test_separable_coefficient_in_1d_solves_like_diffusion(pair, method):
    grid = kl.Grid(15, lengths=2.0, bc=[pair])
    rng = np.random.default_rng(20)
    a = 1 + rng.uniform(size=15)
    f = rng.standard_normal(15)
    boundary = {} if pair == "periodic" else {(0, 0): 0.4, (0, 1): -1.3}
    shift = 0.5
    rhs = fold_diffusion_boundary(f.copy(), grid, a, boundary)
    system = (kl.diffusion(grid, a) - shift * sp.eye_array(15)).tocsc()
    reference = spla.spsolve(system, rhs)
    solver = kl.PoissonSolver(grid, coeff=[a], shift=[shift], method=method, **options(method))
    assert relative_error(solver.solve(f, boundary=boundary), reference) < RTOL


# Smoothly stretched positions (a fixed map, not random: the sweep's rounding
# grows with the ratio of neighbouring gaps).
STRETCH_24 = (np.arange(24) + 0.75) / 24.5
STRETCH_24 = STRETCH_24 - 0.08 * np.sin(2 * np.pi * STRETCH_24)
STRETCH_16 = (np.arange(1, 17) / 17) - 0.08 * np.sin(2 * np.pi * np.arange(1, 17) / 17)

SWEEP_CASES = [
    (kl.Grid((24, 18), bc=["dirichlet", "neumann"], coords=[STRETCH_24, None]), {}, 0),
    (
        kl.Grid((24, 18), bc=[("neumann", ("robin", 2.0)), "periodic"]),
        {"coeff": [lambda x: 1 + x, 1.0], "shift": [lambda x: x, 0.0]},
        0,
    ),
    (kl.Grid((24, 18), bc=["neumann", "periodic"], coords=[STRETCH_24, None]), {}, 0),
    (
        kl.Grid(
            (12, 16, 6), bc=["neumann", "dirichlet", "periodic"], coords=[None, STRETCH_16, None]
        ),
        {"coeff": [1.0, lambda y: 1 + y**2, 1.0]},
        1,
    ),
]


@pytest.mark.parametrize(("grid", "options", "axis"), SWEEP_CASES)
def test_tridiagonal_sweep_along_a_stretched_or_variable_axis(grid, options, axis):
    ops = axis_operators(grid, options.get("coeff"), options.get("shift"))
    A = kl.kron_sum(*(op.matrix() for op in ops)).tocsc()
    volumes = volume_weights(ops)
    V = np.ones(grid.shape) if volumes is None else np.asarray(volumes)
    f = np.random.default_rng(23).standard_normal(grid.shape)
    solver = kl.PoissonSolver(grid, method="fft", tridiagonal_axis=axis, **options)
    assert solver.info["transforms"][axis] == "tridiagonal"
    if solver.singular:
        f -= (V * f).sum() / V.sum()
    u = solver.solve(f)
    assert np.abs(A @ u.ravel() - f.ravel()).max() < 1e-10 * np.abs(f).max()
    if solver.singular:
        assert abs((V * u).sum()) < 1e-12 * np.abs(u).max() * V.sum()
    else:
        reference = spla.spsolve(A, f.ravel()).reshape(grid.shape)
        np.testing.assert_allclose(u, reference, rtol=0, atol=1e-10 * np.abs(reference).max())
