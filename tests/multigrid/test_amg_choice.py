"""amg="auto": the pyamg hierarchy chosen by the problem, its reasons, and its fallback.

Ruge-Stuben for smooth or piecewise-constant coefficients, smoothed
aggregation (pyamg's defaults) for coefficients that are rough from cell
to cell, at every contrast, told apart by the
median contrast between consecutive collinear couplings of the matrix; the
rough and high-contrast cases converge with every boundary kind and with a
mask, and agree with scipy's spsolve.
"""

import numpy as np
import pytest
import scipy.sparse as sp
from reference import (
    SIDES,
    masked_reference_solve,
    random_rhs,
    reference_solve,
    relative_residual,
)

import kronlap as kl
from kronlap.multigrid import MultigridSolver
from kronlap.multigrid.amg import (
    EVOLUTION_STRENGTH,
    ROUGH_CONTRAST,
    choose_amg,
    neighbour_contrast,
)
from kronlap.multigrid.krylov import MAXITER

# -- coefficients: smooth and piecewise constant, or rough ---------------------


def log_uniform(g, contrast, seed=0):
    """A different log-uniform value in ``[1, contrast]`` in every cell."""
    return contrast ** np.random.default_rng(seed).random(g.shape)


def checkerboard(g, contrast=100.0):
    return np.where(sum(np.floor(4 * x) for x in g.mesh()) % 2 == 0, contrast, 1.0)


def inclusions(g, contrast=1e4, seed=0):
    """Balls of 2 to 4 cells' radius (about a fifth of the volume) of ``contrast`` in 1."""
    rng = np.random.default_rng(seed)
    index = np.indices(g.shape)
    a = np.ones(g.shape)
    count = max(1, int(0.2 * g.size / (np.pi * 9.0 ** (g.ndim / 2))))
    for _ in range(count):
        centre = rng.random(g.ndim) * np.array(g.shape)
        radius = 2.0 + 2.0 * rng.random()
        a[sum((i - c) ** 2 for i, c in zip(index, centre)) < radius**2] = contrast
    return a


def layered(g, contrast=1e3, seed=0):
    """Layers of 1 to 3 cells across axis 0, alternating 1 and ``contrast``."""
    thickness = np.random.default_rng(seed).integers(1, 4, g.shape[0])
    layer = np.repeat(np.arange(g.shape[0]), thickness)[: g.shape[0]]
    shape = (-1,) + (1,) * (g.ndim - 1)
    return np.broadcast_to(np.where(layer % 2 == 0, 1.0, contrast).reshape(shape), g.shape)


def channels(g, contrast=1e3):
    """One-cell channels of ``contrast`` along axis 1, wiggling across axis 0, in 1."""
    index = np.indices(g.shape)
    wiggle = np.rint(2.0 * np.sin(2 * np.pi * index[1] / g.shape[1])).astype(int)
    return np.where((index[0] + wiggle) % 8 == 3, contrast, 1.0)


SMOOTH = {
    "constant": lambda g: np.ones(g.shape),
    "smooth 1 + x": lambda g: 1.0 + g.mesh()[0],
    "checkerboard 1/100": checkerboard,
    "inclusions 1e4": inclusions,
    "layered 1e3": layered,
    "channels 1e3": channels,
}
ROUGH = {
    "log-uniform 1e2": lambda g: log_uniform(g, 1e2),
    "log-uniform 1e3": lambda g: log_uniform(g, 1e3),
    "log-uniform 1e4": lambda g: log_uniform(g, 1e4),
}
VERY_ROUGH = {"log-uniform 1e6": lambda g: log_uniform(g, 1e6)}

# The test set of rough or high-contrast cases: each hierarchy auto takes.
CASES = {
    "log-uniform 1e3": ROUGH["log-uniform 1e3"],
    "log-uniform 1e6": VERY_ROUGH["log-uniform 1e6"],
    "inclusions 1e4": inclusions,
    "layered 1e3": layered,
    "channels 1e3": channels,
}
GRIDS = {"2d": (64, 64), "3d": (16, 16, 16)}


def info_of(g, a, **options):
    return kl.PoissonSolver(g, coeff=a, method="multigrid", **options).info


# -- the statistic and the choice ---------------------------------------------


@pytest.mark.parametrize("dims", GRIDS)
@pytest.mark.parametrize("name", SMOOTH)
def test_auto_takes_ruge_stuben_for_smooth_or_piecewise_constant(dims, name):
    g = kl.Grid(GRIDS[dims])
    info = info_of(g, SMOOTH[name](g))
    assert info["amg"] == "rs" and info["amg_choice"] == "auto"
    assert info["strength"] == "classical"
    assert info["neighbour_contrast"] <= ROUGH_CONTRAST
    assert f"median neighbour contrast {info['neighbour_contrast']:.2f}" in info["amg_reason"]


@pytest.mark.parametrize("name", ROUGH)
def test_auto_takes_smoothed_aggregation_for_rough_in_2d(name):
    g = kl.Grid(GRIDS["2d"])
    info = info_of(g, ROUGH[name](g))
    assert info["amg"] == "sa" and info["strength"] == "symmetric"
    assert info["neighbour_contrast"] > ROUGH_CONTRAST
    assert info["amg_reason"].startswith("rough coefficient: median neighbour contrast")


def test_auto_takes_plain_smoothed_aggregation_for_very_rough_in_2d():
    # pyamg's defaults, as "plain pyamg SA + CG", at the highest contrast too
    # (a median neighbour contrast of about 3.7, where amg="auto" used to take
    # the evolution strength, which needs fewer iterations but did not
    # reliably win in total time: benchmarks/RESULTS.md).
    g = kl.Grid(GRIDS["2d"])
    info = info_of(g, log_uniform(g, 1e6))
    assert info["amg"] == "sa" and info["strength"] == "symmetric"
    assert info["neighbour_contrast"] > 3.0


def test_the_pyamg_path_solves_what_plain_smoothed_aggregation_solves():
    """Contrast 1e6, 128^2: plain SA + CG needs 155 iterations to 1e-8.

    The pyamg path used to stop at 200 iterations in all; plain SA needs
    more than that from 256^2 on. Its default budget covers it, and the
    iterations are those of plain pyamg (the same hierarchy, the same CG).
    """
    import pyamg

    g = kl.Grid((128, 128))
    a = log_uniform(g, 1e6)
    f = np.ones(g.shape)
    solver = kl.PoissonSolver(g, coeff=a, method="multigrid", tol=1e-8)
    u = solver.solve(f)
    assert relative_residual(g, u, f, coeff=a) <= 1e-8
    S = sp.csr_array(-kl.diffusion(g, a))
    history = []
    pyamg.smoothed_aggregation_solver(S).solve(
        np.ones(g.size), tol=1e-8, accel="cg", maxiter=MAXITER, residuals=history
    )
    assert solver.info["fallback"] is None
    assert abs(solver.info["iterations"] - (len(history) - 1)) <= 3


@pytest.mark.parametrize("name", [*ROUGH, *VERY_ROUGH])
def test_auto_takes_ruge_stuben_for_rough_in_3d(name):
    g = kl.Grid(GRIDS["3d"])
    info = info_of(g, {**ROUGH, **VERY_ROUGH}[name](g))
    assert info["amg"] == "rs" and info["neighbour_contrast"] > ROUGH_CONTRAST
    assert info["amg_reason"].startswith("3 axes: Ruge-Stuben (direct interpolation)")


def test_statistic_ignores_spacing_shift_and_grid_kind():
    # Both couplings of a pair lie on one axis: anisotropic spacing, a shift
    # (the diagonal) and periodic wrap-around do not count as roughness.
    for g in (
        kl.Grid((40, 30), lengths=(1.0, 30.0)),
        kl.Grid((20, 20, 20), bc=["periodic", "neumann", ("dirichlet", "neumann")]),
        kl.Grid(50),
    ):
        S = -(kl.laplacian(g) - 2.0 * np.eye(g.size))
        assert neighbour_contrast(S) == (1.0, neighbour_contrast(S)[1])
        assert neighbour_contrast(S)[1] > 0
    # The log-uniform medians do not depend on the grid size.
    medians = [
        neighbour_contrast(kl.diffusion(kl.Grid((n, n)), log_uniform(kl.Grid((n, n)), 1e3)))[0]
        for n in (32, 64, 128)
    ]
    assert max(medians) - min(medians) < 0.1 and 1.9 < medians[0] < 2.3


def test_statistic_on_a_sample_of_rows():
    # A matrix with more rows than `sample` is measured on a seeded random
    # sample: the same answer every call, close to the whole matrix's.
    g = kl.Grid((128, 128))
    S = kl.diffusion(g, log_uniform(g, 1e3))
    whole, pairs = neighbour_contrast(S)
    sampled, sampled_pairs = neighbour_contrast(S, sample=2000)
    assert pairs > 5 * sampled_pairs > 0
    assert abs(sampled - whole) < 0.15
    assert neighbour_contrast(S, sample=2000) == (sampled, sampled_pairs)
    tiles = kl.diffusion(g, np.where(g.mesh()[0] < 0.5, 1.0, 1e4))
    assert neighbour_contrast(tiles, sample=2000)[0] == 1.0


def test_statistic_of_unsorted_or_duplicated_entries():
    # Each row's entries stored twice (halves), its columns in reverse order:
    # a CSR that scipy leaves as it is until asked to sum and sort.
    g = kl.Grid((16, 16))
    S = sp.csr_array(kl.diffusion(g, log_uniform(g, 1e3)))
    rows = [slice(S.indptr[i], S.indptr[i + 1]) for i in range(S.shape[0])]
    indices = np.concatenate([np.r_[S.indices[k], S.indices[k]][::-1] for k in rows])
    data = np.concatenate([np.r_[S.data[k], S.data[k]][::-1] / 2 for k in rows])
    messy = sp.csr_array((data, indices, 2 * S.indptr), shape=S.shape)
    assert not messy.has_sorted_indices
    assert neighbour_contrast(messy) == pytest.approx(neighbour_contrast(S))
    np.testing.assert_array_equal(messy.indices, indices)  # the caller's matrix is untouched


def test_statistic_of_tiny_matrices():
    for shape in [(1,), (2,), (1, 1), (2, 2), (1, 1, 1)]:
        g = kl.Grid(shape)
        contrast, pairs = neighbour_contrast(-kl.laplacian(g))
        assert contrast == 1.0 and pairs >= 0
        assert choose_amg(-kl.laplacian(g))[0] == "rs"


def test_pyamg_options_of_one_kind_choose_it():
    g = kl.Grid((32, 32))
    rough, smooth = log_uniform(g, 1e3), np.ones(g.shape)
    info = info_of(g, rough, amg_options={"interpolation": "direct"})
    assert info["amg"] == "rs" and "Ruge-Stuben options" in info["amg_reason"]
    info = info_of(g, smooth, amg_options={"aggregate": "standard"})
    assert info["amg"] == "sa" and "smoothed-aggregation options" in info["amg_reason"]
    # Shared options leave the choice to the statistic.
    assert info_of(g, rough, amg_options={"max_coarse": 20})["amg"] == "sa"
    # The caller's strength is taken.
    info = info_of(g, log_uniform(g, 1e6), amg_options={"strength": EVOLUTION_STRENGTH})
    assert info["amg"] == "sa" and info["strength"] == "evolution"


@pytest.mark.parametrize("amg", ["rs", "sa"])
def test_a_kind_given_is_kept_and_said(amg):
    g = kl.Grid((32, 32))
    info = info_of(g, log_uniform(g, 1e3) if amg == "rs" else np.ones(g.shape), amg=amg)
    assert info["amg"] == amg and info["amg_choice"] == amg
    assert info["amg_reason"] == f"amg={amg!r} given"
    assert info["strength"] == ("classical" if amg == "rs" else "symmetric")


def test_info_reports_hierarchy_cycle_and_why():
    g = kl.Grid((48, 48))
    solver = kl.PoissonSolver(g, coeff=log_uniform(g, 1e3))
    info = solver.info
    assert info["method"] == "multigrid"
    for key in (
        "amg",
        "amg_choice",
        "amg_reason",
        "neighbour_contrast",
        "strength",
        "cycle",
        "cycle_reason",
        "accel",
        "levels",
        "operator_complexity",
        "fallback",
    ):
        assert key in info
    assert info["cycle"] == "V" and info["accel"] == "cg" and info["fallback"] is None
    info = kl.PoissonSolver(g, coeff=2.0, method="multigrid", cycle="W").info
    assert info["cycle"] == "W" and info["cycle_reason"] == "cycle given"


def test_cg_takes_auto_too():
    g = kl.Grid((48, 48))
    a = log_uniform(g, 1e3)
    f = random_rhs(g, seed=3)
    solver = kl.PoissonSolver(g, coeff=a, method="cg", preconditioner="amg", amg="auto")
    u = solver.solve(f)
    assert solver.info["amg"] == "sa" and relative_residual(g, u, f, coeff=a) <= 1e-10


# -- the rough test set converges and agrees with spsolve ---------------------


@pytest.mark.parametrize("bc", SIDES, ids=str)
@pytest.mark.parametrize("dims", GRIDS)
@pytest.mark.parametrize("name", CASES)
def test_rough_cases_converge_with_every_boundary_kind(name, dims, bc):
    g = kl.Grid(GRIDS[dims], bc=bc)
    a = CASES[name](kl.Grid(GRIDS[dims]))
    f = random_rhs(g, seed=4)
    solver = kl.PoissonSolver(g, coeff=a, method="multigrid")
    u = solver.solve(f)
    assert solver.info["residual"] <= 1e-10
    assert relative_residual(g, u, f, coeff=a) <= 1e-10
    expected = reference_solve(g, f, coeff=a)
    np.testing.assert_allclose(u, expected, atol=1e-7 * np.abs(expected).max())
    if g.is_singular:
        assert abs(u.mean()) < 1e-12 * np.abs(u).max()


@pytest.mark.parametrize("name", ["log-uniform 1e3", "log-uniform 1e6", "inclusions 1e4"])
@pytest.mark.parametrize("bc", ["dirichlet", "neumann", "periodic"])
def test_rough_cases_with_a_mask(name, bc):
    g = kl.Grid((64, 64), bc=bc)
    x, y = g.mesh()
    mask = (x - 0.5) ** 2 + (y - 0.5) ** 2 < 0.4**2
    a = CASES[name](g)
    f = random_rhs(g, seed=5)
    values = np.sin(3 * x) * y
    solver = kl.PoissonSolver(g, coeff=a, mask=mask, mask_values=values, method="multigrid")
    u = solver.solve(f)
    assert solver.info["residual"] <= 1e-10
    expected = masked_reference_solve(g, f, mask, values, coeff=a)
    np.testing.assert_allclose(u, expected, atol=1e-7 * np.abs(expected).max())
    np.testing.assert_array_equal(u[~mask], values[~mask])


# -- the fallback --------------------------------------------------------------


def test_fallback_rebuilds_and_says_so():
    g = kl.Grid((64, 64))
    S = -kl.diffusion(g, log_uniform(g, 1e3))
    b = random_rhs(g, seed=6).ravel()
    solver = MultigridSolver(S, tol=1e-10, maxiter=3)  # auto: plain SA, 3 cycles miss tol
    assert solver.info["amg"] == "sa" and solver.info["strength"] == "symmetric"
    first = solver.hierarchy
    x, iterations, residual = solver.solve(b)
    assert solver.hierarchy is not first and solver.info["strength"] == "evolution"
    assert "'sa' (symmetric strength) reached residual" in solver.info["fallback"]
    assert "rebuilt with 'sa' (evolution strength)" in solver.info["fallback"]
    assert iterations == 6
    assert residual == pytest.approx(np.linalg.norm(b - S @ x) / np.linalg.norm(b))
    # The rebuilt hierarchy stays; when it misses too, Ruge-Stuben is next.
    solver.solve(b)
    assert solver.info["amg"] == "rs" and "rebuilt with 'rs'" in solver.info["fallback"]


def test_no_fallback_for_a_kind_given_or_a_maxiter_given():
    g = kl.Grid((64, 64))
    S = -kl.diffusion(g, log_uniform(g, 1e3))
    b = random_rhs(g, seed=7).ravel()
    solver = MultigridSolver(S, "rs", tol=1e-10, maxiter=3)
    first = solver.hierarchy
    _, iterations, residual = solver.solve(b)
    assert solver.hierarchy is first and solver.info["fallback"] is None
    assert iterations == 3 and residual > 1e-10
    f = b.reshape(g.shape)
    with pytest.raises(kl.ConvergenceError, match="after 3 iterations"):
        kl.solve_poisson(f, g, coeff=log_uniform(g, 1e3), method="multigrid", maxiter=3)


def test_the_facade_reports_a_fallback_made_during_a_solve():
    import warnings

    g = kl.Grid((48, 48))
    a = 1e3 ** np.random.default_rng(0).random(g.shape)
    solver = kl.PoissonSolver(g, method="multigrid", coeff=a, tol=1e-17, on_nonconvergence="warn")
    assert solver.info.get("fallback") is None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", kl.ConvergenceWarning)
        solver.solve(np.ones(g.shape))
    assert "rebuilt with" in solver.info["fallback"]
    assert solver.info["strength"] == solver._method.multigrid.info["strength"]
