import itertools

import numpy as np
import pytest
import scipy.sparse as sp
import scipy.sparse.linalg as spla

import kronlap as kl
from kronlap.coefficients import coefficient_array, fold_diffusion_boundary, symmetric_diffusion

SIDES = ["dirichlet", "neumann", "periodic", ("dirichlet", "neumann"), ("neumann", "dirichlet")]
EPS = np.finfo(np.float64).eps


def reference_diffusion(grid, a):
    """div(a grad) by looping over cells and their faces (independent of kronlap)."""
    n = grid.size
    index = np.arange(n).reshape(grid.shape)
    A = np.zeros((n, n))
    for cell in itertools.product(*(range(s) for s in grid.shape)):
        p = index[cell]
        for axis, (size, h, (low, high)) in enumerate(zip(grid.shape, grid.h, grid.bc)):
            for step, side in ((-1, low), (1, high)):
                k = cell[axis] + step
                if 0 <= k < size or side == "periodic":
                    other = list(cell)
                    other[axis] = k % size
                    q = index[tuple(other)]
                    ap, aq = a[cell], a[tuple(other)]
                    face = 2 * ap * aq / (ap + aq)
                    A[p, q] += face / h**2
                    A[p, p] -= face / h**2
                elif side == "dirichlet":
                    A[p, p] -= a[cell] / h**2
    return A


def grids(ndims=(1, 2, 3)):
    shapes = {1: [(6,), (1,), (2,)], 2: [(4, 5), (2, 3)], 3: [(3, 4, 2)]}
    for ndim in ndims:
        for shape in shapes[ndim]:
            for bcs in itertools.product(SIDES, repeat=ndim):
                yield kl.Grid(
                    shape, lengths=tuple(0.7 + 0.4 * k for k in range(ndim)), bc=list(bcs)
                )


ALL_GRIDS = list(grids())
SMALL_GRIDS = list(grids((1, 2)))


@pytest.mark.parametrize("grid", ALL_GRIDS, ids=repr)
def test_unit_coefficient_is_the_laplacian(grid):
    D = kl.diffusion(grid, 1)
    L = kl.laplacian(grid)
    assert isinstance(D, sp.csr_array) and D.shape == L.shape
    scale = abs(L).max() if L.nnz else 1.0
    assert abs(D - L).max() <= 8 * EPS * scale


@pytest.mark.parametrize("grid", SMALL_GRIDS, ids=repr)
def test_matches_face_by_face_reference(grid):
    a = np.random.default_rng(grid.size).uniform(0.1, 10.0, grid.shape)
    np.testing.assert_allclose(
        kl.diffusion(grid, a).toarray(), reference_diffusion(grid, a), rtol=1e-13, atol=1e-12
    )


@pytest.mark.parametrize("bcs", list(itertools.product(SIDES, repeat=3)))
def test_3d_matches_reference(bcs):
    g = kl.Grid((3, 2, 4), lengths=(1.0, 0.5, 2.0), bc=list(bcs))
    a = np.random.default_rng(7).uniform(0.1, 10.0, g.shape)
    np.testing.assert_allclose(
        kl.diffusion(g, a).toarray(), reference_diffusion(g, a), rtol=1e-13, atol=1e-12
    )


def test_constant_coefficient_scales_the_laplacian():
    g = kl.Grid((5, 4), bc=["periodic", ("neumann", "dirichlet")])
    L = kl.laplacian(g).toarray()
    for coeff in (2.5, np.full(g.shape, 2.5), lambda x, y: 2.5 + 0 * x, lambda x, y: 2.5):
        np.testing.assert_allclose(kl.diffusion(g, coeff).toarray(), 2.5 * L, rtol=1e-14)


def test_callable_receives_the_mesh():
    g = kl.Grid((4, 6), lengths=(1.0, 3.0), bc="neumann")
    x, y = g.mesh()
    np.testing.assert_array_equal(
        kl.diffusion(g, lambda x, y: 1 + x * y).toarray(),
        kl.diffusion(g, 1 + x * y).toarray(),
    )


@pytest.mark.parametrize("grid", [g for g in ALL_GRIDS if g.size > 1], ids=repr)
def test_symmetric_negative_semidefinite_conservative(grid):
    a = np.random.default_rng(3).lognormal(0.0, 2.0, grid.shape)  # spans ~ 1e4
    A = kl.diffusion(grid, a).toarray()
    np.testing.assert_array_equal(A, A.T)
    lam = np.linalg.eigvalsh(A)
    scale = np.abs(lam).max()
    assert lam.max() <= 64 * EPS * scale
    row_sums = A.sum(axis=1)
    if grid.is_singular:
        # Conservative: every flux leaves one cell and enters another, so the
        # constants are the null space (the grid graph is connected).
        assert np.abs(row_sums).max() <= 64 * EPS * scale
        assert np.sum(lam > -1e-10 * scale) == 1
    else:
        assert lam.max() < 0  # a Dirichlet side makes it definite


def test_harmonic_mean_is_exact_for_a_two_material_rod():
    # a jumps from 1 to 50 halfway between two unknowns; the exact solution of
    # (a u')' = 0, u(0) = 0, u(1) = 1 is piecewise linear with constant flux,
    # and the series-resistor (harmonic) face value reproduces it exactly.
    n = 9
    g = kl.Grid(n)
    x = g.coords[0]
    interface = (x[3] + x[4]) / 2
    a = np.where(x < interface, 1.0, 50.0)
    flux = 1.0 / (interface / 1.0 + (1 - interface) / 50.0)
    exact = np.where(x < interface, flux * x / 1.0, 1.0 - flux * (1 - x) / 50.0)
    rhs = fold_diffusion_boundary(np.zeros(n), g, a, {(0, 1): 1.0})
    u = spla.spsolve(kl.diffusion(g, a).tocsc(), rhs)
    np.testing.assert_allclose(u, exact, atol=1e-13)


def test_fold_boundary_scales_by_the_adjacent_coefficient():
    g = kl.Grid((3, 4), lengths=(2.0, 1.0), bc=[("neumann", "dirichlet"), "periodic"])
    a = np.arange(1.0, 13.0).reshape(3, 4)
    q, d = np.array([1.0, 2.0, 3.0, 4.0]), 5.0
    got = fold_diffusion_boundary(np.zeros(g.shape), g, a, {(0, 0): q, (0, 1): d})
    expected = np.zeros(g.shape)
    expected[0] -= a[0] * q / g.h[0]
    expected[-1] -= a[-1] * d / g.h[0] ** 2
    np.testing.assert_allclose(got, expected, rtol=1e-15)
    # Unit coefficient: the same as the Laplacian's folding.
    plain = kl.boundary.fold_boundary(np.zeros(g.shape), g, {(0, 0): q, (0, 1): d})
    np.testing.assert_array_equal(
        fold_diffusion_boundary(np.zeros(g.shape), g, 1.0, {(0, 0): q, (0, 1): d}), plain
    )


def test_neumann_flux_gives_the_linear_profile():
    # (a u')' = 0 with a constant flux: outward du/dn = q at x = 0 and u(1) = 1.
    g = kl.Grid(6, bc=("neumann", "dirichlet"))
    a = np.full(6, 3.0)
    q = 0.5
    x = g.coords[0]
    exact = 1.0 + q * (1.0 - x)  # u' = -q, so du/dn at x = 0 is +q
    rhs = fold_diffusion_boundary(np.zeros(6), g, a, {(0, 0): q, (0, 1): 1.0})
    u = spla.spsolve(kl.diffusion(g, a).tocsc(), rhs)
    np.testing.assert_allclose(u, exact, atol=1e-13)


def test_coefficient_array_copies():
    g = kl.Grid((2, 2))
    a = np.ones((2, 2))
    out = coefficient_array(g, a)
    out[0, 0] = 5.0
    assert a[0, 0] == 1.0


@pytest.mark.parametrize(
    "coeff, error, match",
    [
        (np.ones((3, 4)), ValueError, r"coeff must be a scalar or an array of grid.shape"),
        (np.ones(12), ValueError, "shape"),
        (0.0, ValueError, "positive"),
        (-1.0, ValueError, "positive"),
        (np.full((4, 3), np.nan), ValueError, "positive and finite"),
        (np.full((4, 3), np.inf), ValueError, "finite"),
        (np.where(np.eye(4, 3) > 0, -1.0, 1.0), ValueError, r"3 of 12 values"),
        (np.ones((4, 3), dtype=complex), TypeError, "real"),
        (True, TypeError, "coeff"),
        (None, TypeError, "coeff"),
        ("1", TypeError, "numeric"),
        (lambda x, y: np.ones(5), ValueError, r"coeff\(\*grid.mesh\(\)\)"),
        (lambda x, y: -x, ValueError, "positive"),
    ],
)
def test_bad_coefficients(coeff, error, match):
    with pytest.raises(error, match=match):
        kl.diffusion(kl.Grid((4, 3)), coeff)


def test_bad_grid():
    with pytest.raises(TypeError, match="grid"):
        kl.diffusion((4, 3), 1.0)


def _dense_difference(n, pair):
    """The 1D cell-to-face difference D (faces x cells), written out densely."""
    low, high = pair
    if low == "periodic":
        D = -np.eye(n)
        for i in range(n):
            D[i, (i + 1) % n] += 1.0
        return D
    rows = []
    if low == "dirichlet":
        rows.append(np.eye(n)[0])
    for i in range(n - 1):
        row = np.zeros(n)
        row[i], row[i + 1] = -1.0, 1.0
        rows.append(row)
    if high == "dirichlet":
        rows.append(-np.eye(n)[-1])
    return np.array(rows).reshape(-1, n)


@pytest.mark.parametrize(
    "shape, bc",
    [
        ((5, 4), ["dirichlet", "neumann"]),
        ((3, 6), ["periodic", ("dirichlet", "neumann")]),
        ((2, 1), ["periodic", "periodic"]),
        ((1, 3), ["periodic", ("neumann", "dirichlet")]),
        ((3, 2, 4), ["periodic", "dirichlet", "neumann"]),
    ],
)
def test_diffusion_equals_the_kronecker_formula(shape, bc):
    """L = -sum_d G_d^T diag(a_face) G_d / h_d^2 with G_d = I (x) D_d (x) I by numpy.kron."""
    g = kl.Grid(shape, lengths=tuple(1.0 + k for k in range(len(shape))), bc=bc)
    a = np.random.default_rng(4).uniform(0.5, 3.0, shape)
    expected = np.zeros((g.size, g.size))
    for axis, (n, h, pair) in enumerate(zip(g.shape, g.h, g.bc)):
        D = _dense_difference(n, pair)
        before = np.eye(int(np.prod(shape[:axis], dtype=int)))
        after = np.eye(int(np.prod(shape[axis + 1 :], dtype=int)))
        G = np.kron(np.kron(before, D), after)
        moved = np.moveaxis(a, axis, -1)
        if pair[0] == "periodic":
            faces = 2 * moved * np.roll(moved, -1, -1) / (moved + np.roll(moved, -1, -1))
        else:
            inner = 2 * moved[..., :-1] * moved[..., 1:] / (moved[..., :-1] + moved[..., 1:])
            parts = [inner]
            if pair[0] == "dirichlet":
                parts.insert(0, moved[..., :1])
            if pair[1] == "dirichlet":
                parts.append(moved[..., -1:])
            faces = np.concatenate(parts, axis=-1)
        weights = np.moveaxis(faces, -1, axis).ravel()
        expected -= G.T @ np.diag(weights) @ G / h**2
    np.testing.assert_allclose(kl.diffusion(g, a).toarray(), expected, rtol=1e-13, atol=1e-13)


@pytest.mark.parametrize("grid", SMALL_GRIDS, ids=repr)
def test_symmetric_diffusion_is_canonical_csr_with_the_shift_on_its_diagonal(grid):
    rng = np.random.default_rng(grid.size + 1)
    a = rng.uniform(0.1, 10.0, grid.shape)
    shift = rng.uniform(0.0, 3.0, grid.shape)
    S, volumes = symmetric_diffusion(grid, coefficient_array(grid, a), shift=shift)
    assert volumes is None
    expected = reference_diffusion(grid, a) - np.diag(shift.ravel())
    np.testing.assert_allclose(S.toarray(), expected, rtol=1e-13, atol=1e-12)
    # Sorted columns, one entry per position, no stored zeros: what
    # scipy's own products and sums would give.
    canonical = sp.csr_array(expected)
    assert S.has_canonical_format and np.all(S.data != 0)
    np.testing.assert_array_equal(S.indptr, canonical.indptr)
    np.testing.assert_array_equal(S.indices, canonical.indices)


def test_symmetric_diffusion_weights_the_shift_by_the_volumes():
    g = kl.Grid((4, 5), coords=[None, [0.1, 0.15, 0.4, 0.6, 0.9]], bc=["periodic", "neumann"])
    a = coefficient_array(g, np.random.default_rng(3).uniform(0.5, 2.0, g.shape))
    S, V = symmetric_diffusion(g, a, shift=2.0)
    plain, _ = symmetric_diffusion(g, a)
    np.testing.assert_allclose(
        S.toarray(), (plain - sp.diags_array(2.0 * V.ravel())).toarray(), rtol=1e-14, atol=1e-12
    )
    # Against an independent path: with a = 1, V^-1 S is the Kronecker sum
    # of the axes' 1D operators, kl.laplacian.
    unit, V = symmetric_diffusion(g, shift=2.0)
    L = kl.laplacian(g) - 2.0 * sp.eye_array(g.size)
    np.testing.assert_allclose(
        (sp.diags_array(1.0 / V.ravel()) @ unit).toarray(), L.toarray(), rtol=1e-13, atol=1e-10
    )
