import itertools
import warnings

import numpy as np
import pytest
import scipy.sparse as sp

import kronlap as kl

SIDES = ["dirichlet", "neumann", "periodic", ("dirichlet", "neumann"), ("neumann", "dirichlet")]
EXACT = ["fft", "eig", "direct"]
METHODS = EXACT + ["cg"]


def relative_residual(grid, u, f, shift=0.0):
    A = kl.laplacian(grid) - shift * sp.eye_array(grid.size)
    return np.linalg.norm(A @ u.ravel() - f.ravel()) / np.linalg.norm(f)


def random_rhs(grid, seed=0):
    f = np.random.default_rng(seed).standard_normal(grid.shape)
    return f - f.mean() if grid.is_singular else f


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("bc0, bc1", list(itertools.product(SIDES, SIDES)))
@pytest.mark.parametrize("shift", [0.0, 3.0])
def test_every_method_every_bc_2d(method, bc0, bc1, shift):
    g = kl.Grid((9, 7), lengths=(1.0, 2.0), bc=[bc0, bc1])
    f = random_rhs(g)
    u = kl.solve_poisson(f, g, shift=shift, method=method)
    assert u.shape == g.shape and u.dtype == np.float64
    assert relative_residual(g, u, f, shift) < 1e-10
    if g.is_singular and shift == 0:
        assert abs(u.mean()) < 1e-12


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("bcs", list(itertools.product(SIDES, repeat=3)))
def test_every_method_every_bc_3d(method, bcs):
    g = kl.Grid((5, 4, 6), lengths=(1.0, 0.5, 2.0), bc=list(bcs))
    f = random_rhs(g, seed=1)
    u = kl.solve_poisson(f, g, method=method)
    assert relative_residual(g, u, f) < 1e-10


@pytest.mark.parametrize("bc", SIDES)
@pytest.mark.parametrize("method", METHODS)
def test_1d_and_4d(bc, method):
    for shape in [(11,), (3, 4, 2, 3)]:
        g = kl.Grid(shape, bc=bc)
        f = random_rhs(g, seed=2)
        assert relative_residual(g, kl.solve_poisson(f, g, method=method), f) < 1e-10


@pytest.mark.parametrize("tridiagonal_axis", [None, 0, 1, 2])
def test_fft_tridiagonal_axis_options_agree(tridiagonal_axis):
    g = kl.Grid((8, 6, 5), bc=["dirichlet", ("neumann", "dirichlet"), "neumann"])
    f = random_rhs(g, seed=3)
    u = kl.solve_poisson(f, g, method="fft", tridiagonal_axis=tridiagonal_axis)
    assert relative_residual(g, u, f) < 1e-12


def quadratic_problem(bc):
    """u = 1 + x - 2 y + x**2 + 3 y**2 - x y: the 5-point stencil is exact on it."""
    g = kl.Grid((7, 6), lengths=(1.3, 0.8), bc=bc)

    def u(x, y):
        return 1 + x - 2 * y + x**2 + 3 * y**2 - x * y

    def grad(x, y):
        return 1 + 2 * x - y, -2 + 6 * y - x

    x, y = g.mesh()
    f = np.full(g.shape, 2.0 + 6.0)
    boundary = {}
    for axis, (low, high) in enumerate(g.bc):
        coords = list(g.coords)
        for side, kind in ((0, low), (1, high)):
            coords[axis] = np.array([0.0 if side == 0 else g.lengths[axis]])
            fx, fy = np.meshgrid(*coords, indexing="ij")
            if kind == "dirichlet":
                value = u(fx, fy)
            else:
                normal = grad(fx, fy)[axis] * (1 if side == 1 else -1)
                value = normal
            boundary[(axis, side)] = value.squeeze(axis)
    return g, f, boundary, u(x, y)


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize(
    "bc",
    [
        "dirichlet",
        [("dirichlet", "neumann"), ("neumann", "dirichlet")],
        ["neumann", "dirichlet"],
        [("neumann", "dirichlet"), "neumann"],
    ],
)
def test_exact_on_quadratics_with_inhomogeneous_data(method, bc):
    g, f, boundary, exact = quadratic_problem(bc)
    u = kl.solve_poisson(f, g, boundary=boundary, method=method)
    np.testing.assert_allclose(u, exact, atol=1e-8)


def test_pure_neumann_quadratic_up_to_a_constant():
    g, f, boundary, exact = quadratic_problem("neumann")
    u = kl.solve_poisson(f, g, boundary=boundary)
    np.testing.assert_allclose(u, exact - exact.mean(), atol=1e-9)


@pytest.mark.parametrize("method", EXACT)
def test_periodic_fourier_mode_is_exact_eigenfunction(method):
    g = kl.Grid((8, 12), lengths=(2.0, 3.0), bc="periodic")
    x, y = g.mesh()
    u = np.cos(2 * np.pi * 3 * x / 2.0) * np.sin(2 * np.pi * 2 * y / 3.0)
    lam = sum(-4 / h**2 * np.sin(np.pi * k / n) ** 2 for h, k, n in zip(g.h, (3, 2), g.shape))
    out = kl.solve_poisson(lam * u, g, method=method)
    np.testing.assert_allclose(out, u, atol=1e-12)


def manufactured_error(n, ndim):
    """Max error for u = exp(x) sin(2y) (+ cos(z)) with D, N and mixed sides."""
    bcs = [("dirichlet", "neumann"), "dirichlet", ("neumann", "dirichlet")][:ndim]
    g = kl.Grid((n,) * ndim, lengths=1.0, bc=bcs)
    pts = g.mesh()

    def u(*x):
        return np.exp(x[0]) * np.sin(2 * x[1]) * (np.cos(x[2]) if ndim == 3 else 1.0)

    def du(axis, *x):
        e, s = np.exp(x[0]), np.sin(2 * x[1])
        c = np.cos(x[2]) if ndim == 3 else 1.0
        return [e * s * c, 2 * e * np.cos(2 * x[1]) * c, -e * s * np.sin(x[2]) if ndim == 3
                else 0][axis]

    f = u(*pts) * (1 - 4 - (1 if ndim == 3 else 0))
    boundary = {}
    for axis, pair in enumerate(g.bc):
        for side, kind in enumerate(pair):
            coords = list(g.coords)
            coords[axis] = np.array([0.0 if side == 0 else 1.0])
            face = np.meshgrid(*coords, indexing="ij")
            if kind == "dirichlet":
                value = u(*face)
            else:
                value = du(axis, *face) * (1 if side else -1)
            boundary[(axis, side)] = np.squeeze(value, axis)
    return np.abs(kl.solve_poisson(f, g, boundary=boundary) - u(*pts)).max()


@pytest.mark.parametrize("ndim, sizes", [(2, (16, 32, 64)), (3, (8, 16, 32))])
def test_manufactured_solution_converges_at_second_order(ndim, sizes):
    errors = [manufactured_error(n, ndim) for n in sizes]
    orders = np.log2(np.array(errors[:-1]) / np.array(errors[1:]))
    assert np.all(orders > 1.8), (errors, orders)
    assert np.all(orders < 2.3), (errors, orders)


@pytest.mark.parametrize("bc", ["periodic", "neumann", ["periodic", "neumann"]])
@pytest.mark.parametrize("method", METHODS)
def test_singular_incompatible_rhs_raises_or_projects(bc, method):
    g = kl.Grid((6, 8), bc=bc)
    f = np.random.default_rng(4).standard_normal(g.shape) + 0.5
    with pytest.raises(ValueError, match="mean"):
        kl.solve_poisson(f, g, method=method)
    u = kl.solve_poisson(f, g, method=method, project=True)
    assert abs(u.mean()) < 1e-12
    assert relative_residual(g, u, f - f.mean()) < 1e-10


def test_singular_neumann_flux_counts_in_compatibility():
    g = kl.Grid((10, 10), bc="neumann")
    f = np.zeros(g.shape)
    with pytest.raises(ValueError, match="boundary fluxes included"):
        kl.solve_poisson(f, g, boundary={(0, 1): 1.0})
    # Flux in through one face, out through the other: compatible.
    u = kl.solve_poisson(f, g, boundary={(0, 1): 1.0, (0, 0): -1.0})
    np.testing.assert_allclose(u, (g.mesh()[0] - 0.5), atol=1e-12)


def test_shift_makes_singular_grid_regular():
    g = kl.Grid((6, 6), bc="periodic")
    f = np.ones(g.shape)
    u = kl.solve_poisson(f, g, shift=2.0)
    np.testing.assert_allclose(u, -0.5)


@pytest.mark.parametrize("method", EXACT)
def test_negative_shift_helmholtz(method):
    g = kl.Grid((10, 9), bc=["dirichlet", "neumann"])
    f = random_rhs(g)
    u = kl.solve_poisson(f, g, shift=-5.0, method=method, tridiagonal_axis=None)\
        if method == "fft" else kl.solve_poisson(f, g, shift=-5.0, method=method)
    assert relative_residual(g, u, f, -5.0) < 1e-10


def test_shift_on_eigenvalue_is_refused():
    g = kl.Grid(4, lengths=4.0, bc="periodic")
    with pytest.raises(ValueError, match="eigenvalue"):
        kl.PoissonSolver(g, shift=-2.0)
    # A subnormal shift on a singular grid is numerically singular too.
    with pytest.raises(ValueError, match="eigenvalue"):
        kl.PoissonSolver(kl.Grid(1, bc="neumann"), shift=1e-309)


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("bc", ["dirichlet", "periodic", ["neumann", ("dirichlet", "neumann")]])
def test_float32_and_complex(method, bc):
    g = kl.Grid((8, 6), bc=bc)
    f = random_rhs(g, seed=5)
    u32 = kl.solve_poisson(f.astype(np.float32), g, method=method, tol=1e-6)
    assert u32.dtype == np.float32
    assert relative_residual(g, u32.astype(np.float64), f) < 1e-5
    fc = f + 1j * random_rhs(g, seed=6)
    uc = kl.solve_poisson(fc, g, method=method)
    assert uc.dtype == np.complex128
    assert relative_residual(g, uc, fc) < 1e-10
    ui = kl.solve_poisson(np.ones(g.shape, dtype=int) * (not g.is_singular), g, method=method)
    assert ui.dtype == np.float64


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("shape, bc", [((9,), "dirichlet"), ((6, 5), "neumann"),
                                       ((4, 5, 3), ["periodic", "dirichlet", "neumann"])])
def test_rhs_untouched_without_boundary(method, shape, bc):
    g = kl.Grid(shape, bc=bc)
    f = random_rhs(g)
    keep = f.copy()
    kl.solve_poisson(f, g, method=method)
    np.testing.assert_array_equal(f, keep)


def test_input_not_modified_unless_asked():
    g = kl.Grid((16, 16))
    f = random_rhs(g)
    keep = f.copy()
    solver = kl.PoissonSolver(g)
    u = solver.solve(f, boundary={(0, 0): 1.0})
    np.testing.assert_array_equal(f, keep)
    u2 = solver.solve(f.copy(), boundary={(0, 0): 1.0}, overwrite_f=True)
    np.testing.assert_allclose(u2, u)


def test_solver_reuse_and_info():
    g = kl.Grid((12, 10), bc=["periodic", "dirichlet"])
    solver = kl.PoissonSolver(g, shift=0.5)
    assert solver.method == "fft" and solver.info["method"] == "fft"
    assert solver.info["setup_time"] >= 0
    for seed in range(3):
        f = random_rhs(g, seed)
        assert relative_residual(g, solver.solve(f), f, 0.5) < 1e-12
    assert solver.info["solve_time"] >= 0 and solver.info["iterations"] is None
    cg = kl.PoissonSolver(g, method="cg", tol=1e-9)
    cg.solve(random_rhs(g))
    assert cg.info["iterations"] > 0 and cg.info["residual"] <= 1e-9
    assert "PoissonSolver" in repr(solver)


def test_cg_nonconvergence_raises_or_warns():
    g = kl.Grid((32, 32))
    f = random_rhs(g)
    with pytest.raises(kl.ConvergenceError, match=r"residual .* after 2 iterations"):
        kl.PoissonSolver(g, method="cg", maxiter=2).solve(f)
    solver = kl.PoissonSolver(g, method="cg", maxiter=2, on_nonconvergence="warn")
    with pytest.warns(kl.ConvergenceWarning, match="residual"):
        u = solver.solve(f)
    assert u.shape == g.shape and solver.info["residual"] > 1e-10


@pytest.mark.parametrize("preconditioner", ["jacobi", "ilu", None])
def test_cg_preconditioners(preconditioner):
    g = kl.Grid((16, 16), bc=["neumann", "dirichlet"])
    f = random_rhs(g)
    u = kl.solve_poisson(f, g, method="cg", preconditioner=preconditioner, tol=1e-10)
    assert relative_residual(g, u, f) < 1e-10


def test_cg_with_ilu_converges_on_larger_grids():
    """A nearly symmetric ILU: CG reaches tol in a handful of iterations (not 10 N)."""
    g = kl.Grid((96, 80))
    a = 1.0 + np.random.default_rng(1).random(g.shape)
    f = random_rhs(g)
    solver = kl.PoissonSolver(g, method="cg", preconditioner="ilu", coeff=a, tol=1e-10)
    u = solver.solve(f)
    r = f.ravel() - kl.diffusion(g, a) @ u.ravel()
    assert np.linalg.norm(r) / np.linalg.norm(f) < 1e-10
    assert solver.info["iterations"] <= 20


def test_cg_restarts_when_its_recursive_residual_drifts():
    """tol near round-off: scipy's CG (once method='cg''s loop) stopped at 1.07e-13 here."""
    g = kl.Grid((40, 40))
    rng = np.random.default_rng(0)
    a = 10 ** rng.uniform(0, 3, g.shape)
    f = rng.standard_normal(g.shape)
    solver = kl.PoissonSolver(g, method="cg", preconditioner="jacobi", tol=1e-13, coeff=a)
    u = solver.solve(f)  # raised ConvergenceError before the restart
    assert solver.info["residual"] <= 1e-13
    r = f.ravel() - kl.diffusion(g, a) @ u.ravel()
    assert np.linalg.norm(r) / np.linalg.norm(f) <= 1e-13


def test_boundary_face_arrays():
    g = kl.Grid((5, 4), lengths=(1.0, 1.0), bc=["dirichlet", "neumann"])
    face0 = np.linspace(0, 1, 4)
    face1 = np.linspace(1, 2, 5)
    f = np.zeros(g.shape)
    u = kl.solve_poisson(f, g, boundary={(0, 0): face0, (1, 1): face1})
    # Same as folding by hand and solving with the matrix.
    rhs = f.copy()
    rhs[0, :] -= face0 / g.h[0] ** 2
    rhs[:, -1] -= face1 / g.h[1]
    ref = sp.linalg.spsolve(kl.laplacian(g).tocsc(), rhs.ravel()).reshape(g.shape)
    np.testing.assert_allclose(u, ref, atol=1e-12)


def test_direct_refuses_huge_problem_before_allocating():
    with pytest.raises(MemoryError, match="GiB"):
        kl.PoissonSolver(kl.Grid((400, 400, 400)), method="direct")


@pytest.mark.parametrize(
    "call, error, match",
    [
        (lambda g: kl.solve_poisson(np.zeros((4, 4)), g), ValueError, "shape"),
        (lambda g: kl.solve_poisson(np.full((4, 5), np.nan), g), ValueError, "NaN"),
        (lambda g: kl.solve_poisson(np.full((4, 5), np.inf), g), ValueError, "inf"),
        (lambda g: kl.solve_poisson(np.full((4, 5), "a"), g), TypeError, "numeric"),
        (lambda g: kl.solve_poisson(np.zeros((4, 5)), (4, 5)), TypeError, "grid"),
        (lambda g: kl.solve_poisson(np.zeros((4, 5)), g, method="magic"), ValueError, "method"),
        (lambda g: kl.solve_poisson(np.zeros((4, 5)), g, shift=np.nan), ValueError, "shift"),
        (lambda g: kl.solve_poisson(np.zeros((4, 5)), g, shift="1"), TypeError, "shift"),
        (lambda g: kl.solve_poisson(np.zeros((4, 5)), g, tol=0.0), ValueError, "tol"),
        (lambda g: kl.solve_poisson(np.zeros((4, 5)), g, method="cg", shift=-1.0),
         ValueError, "shift"),
        (lambda g: kl.PoissonSolver(g, tridiagonal_axis=1), ValueError, "tridiagonal_axis"),
        (lambda g: kl.PoissonSolver(g, tridiagonal_axis=False), ValueError, "tridiagonal_axis"),
        (lambda g: kl.PoissonSolver(g, method="cg", maxiter=0), ValueError, "maxiter"),
        (lambda g: kl.PoissonSolver(g, on_nonconvergence="ignore"), ValueError,
         "on_nonconvergence"),
        (lambda g: kl.solve_poisson(np.zeros((4, 5)), g, boundary={(1, 0): 1.0}),
         ValueError, "periodic"),
        (lambda g: kl.solve_poisson(np.zeros((4, 5)), g, boundary={(2, 0): 1.0}),
         ValueError, "axis"),
        (lambda g: kl.solve_poisson(np.zeros((4, 5)), g, boundary={(0, 2): 1.0}),
         ValueError, "side"),
        (lambda g: kl.solve_poisson(np.zeros((4, 5)), g, boundary={0: 1.0}),
         ValueError, "keys"),
        (lambda g: kl.solve_poisson(np.zeros((4, 5)), g, boundary={(0, 0): np.ones(4)}),
         ValueError, r"face's shape \(5,\)"),
        (lambda g: kl.solve_poisson(np.zeros((4, 5)), g, boundary={(0, 0): np.nan}),
         ValueError, "NaN"),
        (lambda g: kl.solve_poisson(np.zeros((4, 5)), g, boundary=[1.0]), TypeError, "dict"),
        (lambda g: kl.solve_poisson(np.zeros((4, 5)), g, backend="torch"), ValueError,
         "backend"),
    ],
)
def test_bad_input(call, error, match):
    g = kl.Grid((4, 5), bc=["dirichlet", "periodic"])
    with pytest.raises(error, match=match):
        call(g)


def test_cupy_backend_without_gpu_says_what_to_do():
    g = kl.Grid((4, 4))
    with pytest.raises(RuntimeError, match="numpy"):
        kl.solve_poisson(np.zeros(g.shape), g, backend="cupy")


def test_no_warnings_on_regular_solves():
    g = kl.Grid((8, 8), bc="neumann")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        kl.solve_poisson(random_rhs(g), g)


def test_fft_backend_option():
    g = kl.Grid((12, 10), bc=["periodic", "dirichlet"])
    f = random_rhs(g)
    ref = kl.solve_poisson(f, g, fft_backend="scipy")
    with pytest.raises(ValueError, match="fft_backend"):
        kl.PoissonSolver(g, fft_backend="mkl")
    try:
        import pyfftw  # noqa: F401
    except ImportError:
        with pytest.raises(ValueError, match=r"kronlap\[fast\]"):
            kl.PoissonSolver(g, fft_backend="pyfftw")
    else:
        np.testing.assert_allclose(kl.solve_poisson(f, g, fft_backend="pyfftw"), ref,
                                   atol=1e-12)
    # Any scipy.fft backend object works, e.g. scipy's own.
    np.testing.assert_allclose(kl.solve_poisson(f, g, fft_backend="scipy"), ref)
