"""Hostile input to ``PoissonSolver``: each case once gave a wrong or obscure answer."""

import numpy as np
import pytest
import scipy.sparse as sp
import scipy.sparse.linalg as spla

import kronlap as kl

SHIFT_METHODS = ["fft", "eig", "direct"]  # the methods that take an indefinite shift
ALL_METHODS = ["fft", "eig", "direct", "cg", "multigrid", "gmg"]


@pytest.mark.parametrize("axis_shape", [(2,), (8,)])
def test_explicit_tridiagonal_axis_is_refused_for_an_indefinite_shift(axis_shape):
    # The unpivoted sweep gave [nan nan] on Grid(2) at shift -18, 4% off on Grid(8) at -162.
    g = kl.Grid(axis_shape)
    shift = -18.0 if axis_shape == (2,) else -162.0
    f = np.linspace(1.0, 2.0, g.size)
    with pytest.raises(ValueError, match="tridiagonal_axis=0 needs shift >= 0"):
        kl.solve_poisson(f, g, shift=shift, method="fft", tridiagonal_axis=0)
    # "auto" transforms instead, and is exact
    u = kl.solve_poisson(f, g, shift=shift, method="fft")
    A = (kl.laplacian(g) - shift * sp.eye_array(g.size)).tocsc()
    np.testing.assert_allclose(u, spla.spsolve(A, f), rtol=1e-10)


@pytest.mark.parametrize("bc", ["dirichlet", "periodic", ("dirichlet", "neumann")])
@pytest.mark.parametrize("method", SHIFT_METHODS)
def test_shift_at_an_eigenvalue_is_the_same_error_from_every_method(method, bc):
    g = kl.Grid((16, 12), bc=bc)
    lam = np.sort(kl.eigenvalues(g).ravel())
    # eig once returned max|u| 1.4e12 and direct 6.6e11 without a word
    with pytest.raises(ValueError, match="is an eigenvalue of the Laplacian"):
        kl.solve_poisson(np.ones(g.shape), g, shift=float(lam[96]), method=method)
    # half-way between two eigenvalues is regular, and solved
    between = float(lam[96] + lam[97]) / 2 if lam[97] != lam[96] else float(lam[96]) - 0.5
    u = kl.solve_poisson(np.ones(g.shape), g, shift=between, method=method)
    A = (kl.laplacian(g) - between * sp.eye_array(g.size)).tocsc()
    np.testing.assert_allclose(u.ravel(), spla.spsolve(A, np.ones(g.size)), rtol=1e-7)


def test_shift_check_is_relative_to_the_spectrum():
    g = kl.Grid((16, 12), lengths=1e-3)
    lam = float(np.sort(kl.eigenvalues(g).ravel())[96])
    eps = np.finfo(float).eps
    with pytest.raises(ValueError, match="eigenvalue"):
        kl.PoissonSolver(g, shift=lam * (1 + 4 * eps), method="eig")
    # a millionth of the spectrum away is a well-posed (if ill-conditioned) problem
    kl.PoissonSolver(g, shift=lam * (1 + 1e-6), method="eig")


@pytest.mark.parametrize("method", ["fft", "eig", "direct", "cg"])
def test_overwrite_f_with_a_read_only_array_copies(method):
    g = kl.Grid((8, 6))
    f = np.linspace(-1.0, 1.0, g.size).reshape(g.shape)
    f.flags.writeable = False
    u = kl.PoissonSolver(g, method=method).solve(f, overwrite_f=True)
    expected = spla.spsolve(kl.laplacian(g).tocsc(), f.ravel())
    np.testing.assert_allclose(u.ravel(), expected, rtol=1e-8, atol=1e-12)
    u = kl.PoissonSolver(g, method=method).solve(f, boundary={(0, 0): 1.0}, overwrite_f=True)
    assert np.isfinite(u).all()


@pytest.mark.parametrize("bc", ["neumann", "periodic"])
@pytest.mark.parametrize("shape", [(10,), (30,), (20, 14), (6, 5, 4)])
def test_ilu_preconditioned_cg_solves_singular_problems(shape, bc):
    # In 1D the incomplete factor is the exact one, which a singular matrix does
    # not have: scipy raised "Factor is exactly singular".
    g = kl.Grid(shape, bc=bc)
    f = np.cos(2 * np.pi * g.mesh()[0]) + np.sin(np.arange(g.size)).reshape(shape)
    f -= f.mean()
    solver = kl.PoissonSolver(g, method="cg", preconditioner="ilu", tol=1e-10)
    u = solver.solve(f)
    reference = kl.solve_poisson(f, g, method="direct")
    np.testing.assert_allclose(u, reference, atol=1e-8 * np.abs(reference).max())
    assert solver.info["residual"] <= 1e-10


@pytest.mark.parametrize("method", ALL_METHODS)
def test_finite_f_whose_sum_overflows_is_refused(method):
    g = kl.Grid((32, 32))
    with pytest.raises(ValueError, match="f is too large"):
        kl.solve_poisson(np.full(g.shape, 1e306), g, method=method)


def test_a_solution_that_overflows_is_refused():
    # f and the spacing are representable, the solution u ~ f L^2 / pi^2 is not
    g = kl.Grid((4, 4), lengths=1e150)
    with pytest.raises(ValueError, match="overflowed"):
        kl.solve_poisson(np.full(g.shape, 1e10), g, method="fft")


@pytest.mark.parametrize("length", [1e160, 1e-160])
def test_a_spacing_whose_square_overflows_is_refused(length):
    with pytest.raises(ValueError, match=r"lengths\[1\]=.* outside float64's range"):
        kl.Grid((4, 4), lengths=(1.0, length))


@pytest.mark.parametrize("method", ALL_METHODS)
@pytest.mark.parametrize(
    ("option", "error", "match"),
    [
        ({"tol": 1.5}, ValueError, "tol must be a relative tolerance in \\(0, 1\\)"),
        ({"tol": 0.0}, ValueError, "tol must be"),
        ({"tol": True}, TypeError, "tol must be a real number"),
        ({"tol": "x"}, TypeError, "tol must be a real number"),
        ({"shift": "a"}, TypeError, "shift must be a real number"),
        ({"shift": True}, TypeError, "shift must be a real number"),
        ({"shift": float("nan")}, ValueError, "shift must be finite"),
    ],
)
def test_bad_common_options_name_the_argument(method, option, error, match):
    g = kl.Grid((8, 8))
    with pytest.raises(error, match=match):
        kl.solve_poisson(np.ones(g.shape), g, method=method, **option)


@pytest.mark.parametrize(
    ("method", "option", "error", "match"),
    [
        ("cg", {"maxiter": True}, TypeError, "maxiter must be an int or None"),
        ("multigrid", {"maxiter": 2.5}, TypeError, "maxiter must be an int or None"),
        ("gmg", {"maxiter": 0}, ValueError, "maxiter must be >= 1"),
        ("fft", {"workers": "x"}, TypeError, "workers must be an int or None"),
        ("fft", {"workers": True}, TypeError, "workers must be an int or None"),
        ("fft", {"workers": 0}, ValueError, "workers must be a non-zero int"),
        ("eig", {"workers": 2}, TypeError, "method='eig' does not take the option 'workers'"),
    ],
)
def test_bad_counts_name_the_argument(method, option, error, match):
    g = kl.Grid((8, 8))
    with pytest.raises(error, match=match):
        kl.PoissonSolver(g, method=method, **option)


@pytest.mark.parametrize("method", ["direct", "cg", "multigrid"])
def test_mask_values_inside_the_mask_are_ignored_even_nan(method):
    g = kl.Grid((10, 9))
    mask = np.ones(g.shape, dtype=bool)
    mask[:3, :4] = False
    values = np.full(g.shape, np.nan)
    values[~mask] = 2.0
    u = kl.solve_poisson(np.ones(g.shape), g, mask=mask, mask_values=values, method=method)
    expected = kl.solve_poisson(
        np.ones(g.shape), g, mask=mask, mask_values=np.where(mask, 0.0, 2.0), method="direct"
    )
    np.testing.assert_allclose(u, expected, rtol=1e-8)
    solver = kl.PoissonSolver(g, mask=mask, method=method)
    np.testing.assert_allclose(solver.solve(np.ones(g.shape), mask_values=values), expected,
                               rtol=1e-8)
    values[0, 0] = np.nan  # outside the mask: refused
    with pytest.raises(ValueError, match="NaN or inf outside the mask"):
        kl.solve_poisson(np.ones(g.shape), g, mask=mask, mask_values=values, method=method)
