"""The compact fourth-order scheme: its matrices, eigenvalues, right-hand side and convergence.

References are independent of the code under test: the matrices are
assembled here with ``numpy.kron`` from the formula, their eigenvalues come
from ``numpy.linalg.eigvalsh``, solves from ``scipy.sparse.linalg.spsolve``,
and accuracy is measured as an observed order of convergence against
manufactured solutions (rates, not single errors).
"""

from itertools import combinations

import numpy as np
import pytest
import scipy.sparse as sp
import scipy.sparse.linalg as spla

import kronlap as kl
from kronlap.compact import check_order, compact_laplacian, compact_mass, compact_rhs
from kronlap.spectral import SpectralSolver

EPS = np.finfo(np.float64).eps


def kron_formula(grid):
    """``L4`` and ``M`` from the formula, dense, assembled with ``numpy.kron``."""
    mats = [
        kl.second_difference(n, h, pair).toarray()
        for n, h, pair in zip(grid.shape, grid.h, grid.bc)
    ]
    weights = [h * h / 12 for h in grid.h]

    def on_axes(factors):
        out = np.ones((1, 1))
        for k, n in enumerate(grid.shape):
            out = np.kron(out, factors.get(k, np.eye(n)))
        return out

    lap4 = sum(on_axes({k: a}) for k, a in enumerate(mats))
    for j, k in combinations(range(grid.ndim), 2):
        lap4 = lap4 + (weights[j] + weights[k]) * on_axes({j: mats[j], k: mats[k]})
    mass = np.eye(grid.size) + sum(
        w * on_axes({k: a}) for k, (w, a) in enumerate(zip(weights, mats))
    )
    return lap4, mass


SMALL_GRIDS = [
    kl.Grid(5, lengths=1.3),
    kl.Grid(6, lengths=2.0, bc="periodic"),
    kl.Grid((4, 5), lengths=(1.0, 2.5)),
    kl.Grid((5, 4), lengths=(0.7, 1.9), bc=["periodic", "dirichlet"]),
    kl.Grid((4, 6), lengths=(1.0, 3.0), bc="periodic"),
    kl.Grid((3, 4, 5), lengths=(1.0, 0.6, 2.2)),
    kl.Grid((4, 3, 4), lengths=(1.0, 0.6, 2.2), bc=["dirichlet", "periodic", "dirichlet"]),
    kl.Grid((2, 4, 3), lengths=(0.4, 1.0, 1.5), bc="periodic"),
]


@pytest.mark.parametrize("grid", SMALL_GRIDS, ids=repr)
def test_laplacian_order4_equals_kron_formula(grid):
    lap4, _ = kron_formula(grid)
    ours = kl.laplacian(grid, order=4)
    assert isinstance(ours, sp.csr_array)
    scale = np.abs(lap4).max()
    np.testing.assert_allclose(ours.toarray(), lap4, rtol=0, atol=64 * EPS * scale)


@pytest.mark.parametrize("grid", SMALL_GRIDS, ids=repr)
def test_compact_mass_equals_kron_formula(grid):
    _, mass = kron_formula(grid)
    np.testing.assert_allclose(compact_mass(grid).toarray(), mass, rtol=0, atol=64 * EPS)


@pytest.mark.parametrize("grid", SMALL_GRIDS, ids=repr)
def test_eigenvalues_order4_are_those_of_the_matrix(grid):
    lap4, _ = kron_formula(grid)
    ours = kl.eigenvalues(grid, order=4)
    assert ours.shape == grid.shape
    scale = np.abs(lap4).max()
    np.testing.assert_allclose(
        np.sort(ours.ravel()), np.linalg.eigvalsh(lap4), rtol=0, atol=1e3 * EPS * scale
    )
    assert ours.max() <= 1e3 * EPS * scale  # negative semidefinite


def test_laplacian_order2_is_unchanged():
    g = kl.Grid((4, 5), lengths=(1.0, 2.5))
    assert (kl.laplacian(g, order=2) != kl.laplacian(g)).nnz == 0
    np.testing.assert_array_equal(kl.eigenvalues(g, order=2), kl.eigenvalues(g))


def test_nine_point_stencil():
    """h = 1: the classical Mehrstellen weights (1, 4, 1; 4, -20, 4; 1, 4, 1) / 6."""
    row = kl.laplacian(kl.Grid((3, 3), lengths=4.0), order=4)[[4], :].toarray()
    np.testing.assert_allclose(6 * row.reshape(3, 3), [[1, 4, 1], [4, -20, 4], [1, 4, 1]])


# ----------------------------------------------------------------------------
# Manufactured solutions: u = exp(sum_k a sin(om_k x_k + ph_k)) + sin(kappa . x + psi),
# smooth, not separable, and periodic along periodic axes.

AMPLITUDE = 0.5


class Manufactured:
    def __init__(self, grid):
        self.grid = grid
        omega, kappa = [], []
        for k, (length, periodic) in enumerate(zip(grid.lengths, grid.periodic)):
            if periodic:
                omega.append(2 * np.pi / length)
                kappa.append(2 * np.pi / length)
            else:
                omega.append(1.3 + 0.4 * k)
                kappa.append(1.1 + 0.6 * k)
        self.omega, self.kappa = omega, kappa
        self.phase = [0.2 + 0.5 * k for k in range(grid.ndim)]

    def u(self, *x):
        return self._first(*x) + np.sin(self._angle(*x))

    def laplacian(self, *x):
        first = self._first(*x)
        total = 0
        for xk, om, ph in zip(x, self.omega, self.phase):
            theta = om * xk + ph
            total = total + AMPLITUDE**2 * om**2 * np.cos(theta) ** 2
            total = total - AMPLITUDE * om**2 * np.sin(theta)
        return first * total - sum(k * k for k in self.kappa) * np.sin(self._angle(*x))

    def _first(self, *x):
        return np.exp(
            sum(AMPLITUDE * np.sin(om * xk + ph) for xk, om, ph in zip(x, self.omega, self.phase))
        )

    def _angle(self, *x):
        return sum(k * xk for k, xk in zip(self.kappa, x)) + 0.3

    def boundary(self, skip=()):
        """Dirichlet data on every non-periodic face (but the faces in ``skip``)."""
        data = {}
        for axis, periodic in enumerate(self.grid.periodic):
            if periodic:
                continue
            for side in (0, 1):
                if (axis, side) in skip:
                    continue
                coords = list(self.grid.coords)
                coords[axis] = np.array([0.0 if side == 0 else self.grid.lengths[axis]])
                mesh = np.meshgrid(*coords, indexing="ij")
                data[(axis, side)] = np.squeeze(self.u(*mesh), axis=axis)
        return data


def compact_problem(grid, shift):
    """``(rhs, exact)``: the compact right-hand side and the exact solution at the unknowns."""
    problem = Manufactured(grid)
    x = grid.mesh()
    exact = problem.u(*x)
    f = problem.laplacian(*x) - shift * exact
    return compact_rhs(f, grid, shift=shift, boundary=problem.boundary()), exact


def observed_order(make_grid, sizes, shift):
    """Least-squares slope of log(error) against log(1/h) over the sizes, and the errors."""
    errors, spacings = [], []
    for n in sizes:
        grid = make_grid(n)
        rhs, exact = compact_problem(grid, shift)
        u = SpectralSolver(grid, shift, order=4).solve(rhs)
        if grid.is_singular and shift == 0:
            exact = exact - exact.mean()  # the solver returns the zero-mean solution
        errors.append(np.abs(u - exact).max())
        spacings.append(max(grid.h))
    slope = np.polyfit(np.log(spacings), np.log(errors), 1)[0]
    return slope, errors


# Unequal spacings on every axis: lengths and shapes differ per axis.
CASES_2D = {
    "dirichlet": ["dirichlet", "dirichlet"],
    "dirichlet-periodic": ["dirichlet", "periodic"],
    "periodic-dirichlet": ["periodic", "dirichlet"],
    "periodic": ["periodic", "periodic"],
}
CASES_3D = {
    "dirichlet": ["dirichlet"] * 3,
    "mixed": ["dirichlet", "periodic", "dirichlet"],
    "periodic": ["periodic"] * 3,
}


@pytest.mark.parametrize("shift", [0.0, 10.0])
@pytest.mark.parametrize("case", CASES_2D)
def test_fourth_order_convergence_2d(case, shift):
    bc = CASES_2D[case]

    def make_grid(n):
        return kl.Grid((n, 3 * n // 2), lengths=(1.0, 2.0), bc=bc)

    slope, errors = observed_order(make_grid, [32, 64, 128], shift)
    assert 3.7 <= slope <= 4.4, (slope, errors)


@pytest.mark.parametrize("shift", [0.0, 10.0])
@pytest.mark.parametrize("case", CASES_3D)
def test_fourth_order_convergence_3d(case, shift):
    bc = CASES_3D[case]

    def make_grid(n):
        return kl.Grid((n, 5 * n // 4, 3 * n // 4), lengths=(1.0, 1.5, 0.8), bc=bc)

    slope, errors = observed_order(make_grid, [24, 32, 48], shift)
    assert 3.7 <= slope <= 4.4, (slope, errors)


@pytest.mark.parametrize("shift", [0.0, 10.0])
@pytest.mark.parametrize("bc", ["dirichlet", "periodic"])
def test_fourth_order_convergence_1d(bc, shift):
    slope, errors = observed_order(lambda n: kl.Grid(n, lengths=1.7, bc=bc), [32, 64, 128], shift)
    assert 3.7 <= slope <= 4.4, (slope, errors)


def test_second_order_for_comparison():
    """The same problem with order 2 converges at rate 2: the test can tell them apart."""
    errors, spacings = [], []
    for n in (32, 64, 128):
        grid = kl.Grid((n, 3 * n // 2), lengths=(1.0, 2.0))
        problem = Manufactured(grid)
        x = grid.mesh()
        f = kl.boundary.fold_boundary(problem.laplacian(*x), grid, problem.boundary())
        u = SpectralSolver(grid).solve(f)
        errors.append(np.abs(u - problem.u(*x)).max())
        spacings.append(max(grid.h))
    slope = np.polyfit(np.log(spacings), np.log(errors), 1)[0]
    assert 1.8 <= slope <= 2.2


def test_homogeneous_faces_may_be_left_out():
    """Faces where u = 0 need no data; the edge values there come out right too."""
    errors, spacings = [], []
    for n in (32, 64, 128):
        grid = kl.Grid((n, 5 * n // 4), lengths=(1.0, 1.4))
        x, y = grid.mesh()
        # u = sin(pi x) e^y: zero on x = 0 and x = 1
        exact = np.sin(np.pi * x) * np.exp(y)
        f = (1 - np.pi**2) * exact
        xs, _ = grid.coords
        boundary = {(1, 0): np.sin(np.pi * xs), (1, 1): np.sin(np.pi * xs) * np.exp(1.4)}
        u = SpectralSolver(grid, order=4).solve(compact_rhs(f, grid, boundary=boundary))
        errors.append(np.abs(u - exact).max())
        spacings.append(max(grid.h))
    slope = np.polyfit(np.log(spacings), np.log(errors), 1)[0]
    assert 3.7 <= slope <= 4.4, (slope, errors)


def test_target_accuracy_2d_256():
    """The issue's target: a smooth 2D Dirichlet problem with boundary data at 256^2."""
    grid = kl.Grid((256, 256))
    rhs, exact = compact_problem(grid, 0.0)
    assert np.abs(SpectralSolver(grid, order=4).solve(rhs) - exact).max() <= 1e-9


SOLVE_GRIDS = [
    kl.Grid(9, lengths=1.3),
    kl.Grid((9, 7), lengths=(1.0, 2.5)),
    kl.Grid((8, 9), lengths=(1.0, 0.7), bc=["periodic", "dirichlet"]),
    kl.Grid((6, 8), lengths=(1.0, 2.0), bc="periodic"),
    kl.Grid((5, 7, 6), lengths=(1.0, 0.5, 2.0)),
    kl.Grid((6, 4, 5), lengths=(1.0, 0.5, 2.0), bc=["dirichlet", "periodic", "dirichlet"]),
]


@pytest.mark.parametrize("shift", [0.0, 10.0, -3.0])
@pytest.mark.parametrize("grid", SOLVE_GRIDS, ids=repr)
def test_spectral_solve_equals_spsolve(grid, shift):
    rhs, _ = compact_problem(grid, shift)
    if grid.is_singular and shift == 0:
        rhs = rhs - rhs.mean()
    system = kl.laplacian(grid, order=4) - shift * compact_mass(grid)
    if grid.is_singular and shift == 0:
        ones = np.ones((grid.size, 1))  # pin the mean to 0: a regular bordered system
        system = sp.block_array([[system, ones], [ones.T, None]])
        ref = spla.spsolve(system.tocsc(), np.append(rhs.ravel(), 0.0))[:-1]
    else:
        ref = spla.spsolve(system.tocsc(), rhs.ravel())
    ref = ref.reshape(grid.shape)
    for axis in ("auto", None):
        u = SpectralSolver(grid, shift, order=4, tridiagonal_axis=axis).solve(rhs)
        np.testing.assert_allclose(u, ref, rtol=0, atol=1e4 * EPS * np.abs(ref).max())


@pytest.mark.parametrize("shift", [0.0, 5.0])
def test_order4_sweep_matches_full_transforms(shift):
    """A 2D Dirichlet grid may sweep one axis: lines alpha (A + c I)."""
    grid = kl.Grid((40, 33), lengths=(1.0, 0.9))
    rhs, _ = compact_problem(grid, shift)
    full = SpectralSolver(grid, shift, order=4, tridiagonal_axis=None).solve(rhs)
    for axis in (0, 1):
        swept = SpectralSolver(grid, shift, order=4, tridiagonal_axis=axis).solve(rhs)
        np.testing.assert_allclose(swept, full, rtol=0, atol=1e3 * EPS * np.abs(full).max())


def test_order4_sweep_refused_where_unsafe():
    grid = kl.Grid((6, 8, 5), lengths=(1.0, 0.5, 2.0))  # alpha < 0 on some lines of axis 0
    with pytest.raises(ValueError, match="tridiagonal_axis=0"):
        SpectralSolver(grid, order=4, tridiagonal_axis=0)
    assert SpectralSolver(grid, order=4).tridiagonal_axis is None


def test_order4_shift_at_generalized_eigenvalue_is_refused():
    grid = kl.Grid((12, 10), lengths=(1.0, 1.3))
    lam4 = kl.eigenvalues(grid, order=4)
    per_axis = [kl.axis_eigenvalues(n, h, p) for n, h, p in zip(grid.shape, grid.h, grid.bc)]
    mass = 1 + sum(
        np.reshape(h * h / 12 * lam, [-1 if k == axis else 1 for k in range(2)])
        for axis, (h, lam) in enumerate(zip(grid.h, per_axis))
    )
    shift = float((lam4 / mass)[3, 4])
    with pytest.raises(ValueError, match="order-4"):
        SpectralSolver(grid, shift, order=4).prepare()
    SpectralSolver(grid, shift - 1.0, order=4).prepare()


def test_compact_rhs_is_a_new_array_and_f_is_kept():
    grid = kl.Grid((5, 6))
    f = np.arange(30.0).reshape(5, 6)
    kept = f.copy()
    out = compact_rhs(f, grid, shift=2.0, boundary={(0, 0): 1.0, (1, 1): np.ones(5)})
    assert out is not f and not np.shares_memory(out, f)
    np.testing.assert_array_equal(f, kept)


def test_compact_rhs_without_boundary_data_is_m_f_with_extrapolated_f():
    """Interior rows are (M f) exactly; f = cubic is extrapolated exactly."""
    grid = kl.Grid((7, 8), lengths=(1.0, 2.0))
    x, y = grid.mesh()
    f = x**3 - 2 * x * y**2 + y**3  # cubic along each axis
    out = compact_rhs(f, grid)
    # M applied to f on the grid with its boundary nodes: M f = f + sum w_k f_kk exactly
    exact = f + (grid.h[0] ** 2 / 12) * (6 * x) + (grid.h[1] ** 2 / 12) * (-4 * x + 6 * y)
    np.testing.assert_allclose(out, exact, rtol=0, atol=1e3 * EPS)


# ----------------------------------------------------------------------------
# Bad input


@pytest.mark.parametrize(
    "call",
    [
        lambda g, order: kl.laplacian(g, order=order),
        lambda g, order: kl.eigenvalues(g, order=order),
        lambda g, order: SpectralSolver(g, order=order),
        lambda g, order: check_order(order, g),
    ],
    ids=["laplacian", "eigenvalues", "SpectralSolver", "check_order"],
)
def test_bad_order(call):
    g = kl.Grid((4, 4))
    with pytest.raises(ValueError, match="order must be 2 or 4, got 3"):
        call(g, 3)
    for bad in ("4", 4.0, True, None):
        with pytest.raises(TypeError, match="order must be an int"):
            call(g, bad)
    neumann = kl.Grid((4, 4), bc=["dirichlet", ("dirichlet", "neumann")])
    with pytest.raises(ValueError, match="order=4 needs Dirichlet or periodic sides.*axis 1"):
        call(neumann, 4)
    with pytest.raises(ValueError, match="1 to 3 axes"):
        call(kl.Grid((2, 2, 2, 2)), 4)


def test_compact_functions_refuse_neumann_axes():
    g = kl.Grid((4, 5), bc=["neumann", "dirichlet"])
    for call in (compact_laplacian, compact_mass, lambda g: compact_rhs(np.zeros(g.shape), g)):
        with pytest.raises(ValueError, match="axis 0"):
            call(g)


def test_compact_rhs_bad_input():
    g = kl.Grid((4, 5), bc=["periodic", "dirichlet"])
    f = np.zeros(g.shape)
    with pytest.raises(ValueError, match="f must have shape"):
        compact_rhs(np.zeros((5, 4)), g)
    with pytest.raises(ValueError, match="f contains NaN"):
        compact_rhs(np.full(g.shape, np.nan), g)
    with pytest.raises(TypeError, match="f must be a numeric"):
        compact_rhs(np.zeros(g.shape, dtype=bool), g)
    with pytest.raises(TypeError, match="shift"):
        compact_rhs(f, g, shift="a")
    with pytest.raises(ValueError, match="periodic"):
        compact_rhs(f, g, boundary={(0, 0): 1.0})
    with pytest.raises(ValueError, match="face's shape"):
        compact_rhs(f, g, boundary={(1, 0): np.ones(5)})
    with pytest.raises(TypeError, match="grid"):
        compact_rhs(f, "grid")


def _polynomial_problem(grid, shift):
    """A polynomial of degree 5: the compact scheme, with its extrapolations, is exact for it."""
    powers = [(3, 2, 0), (1, 1, 3), (0, 0, 5), (2, 1, 2), (0, 3, 0), (5, 0, 0)]

    def u(*x):
        x = list(x) + [1.0] * (3 - len(x))
        return sum(x[0] ** a * x[1] ** b * x[2] ** c for a, b, c in powers)

    def lap(*x):
        x = list(x) + [1.0] * (3 - len(x))
        total = 0
        for p in powers:
            for k in range(grid.ndim):
                if p[k] >= 2:
                    term = p[k] * (p[k] - 1)
                    for j in range(3):
                        term = term * x[j] ** (p[j] - 2 if j == k else p[j])
                    total = total + term
        return total

    data = {}
    for axis in range(grid.ndim):
        for side in (0, 1):
            coords = list(grid.coords)
            coords[axis] = np.array([0.0 if side == 0 else grid.lengths[axis]])
            data[(axis, side)] = np.squeeze(u(*np.meshgrid(*coords, indexing="ij")), axis=axis)
    x = grid.mesh()
    return compact_rhs(lap(*x) - shift * u(*x), grid, shift=shift, boundary=data), u(*x)


@pytest.mark.parametrize("shift", [0.0, 3.0])
@pytest.mark.parametrize(
    "grid",
    [
        kl.Grid(7, lengths=1.5),
        kl.Grid((7, 9), lengths=(1.0, 2.0)),
        kl.Grid((7, 9, 6), lengths=(1.0, 2.0, 0.5)),
    ],
    ids=repr,
)
def test_exact_for_quintic_polynomials(grid, shift):
    """Degree 5: no truncation error, and f and the edge values are extrapolated exactly."""
    rhs, exact = _polynomial_problem(grid, shift)
    u = SpectralSolver(grid, shift, order=4).solve(rhs)
    np.testing.assert_allclose(u, exact, rtol=0, atol=1e4 * EPS * np.abs(exact).max())
