"""Property-based tests on random small shapes and boundary conditions."""

import numpy as np
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.sparse.linalg import LaplacianNd

import kronlap as kl

side_pairs = st.sampled_from(
    [("dirichlet",) * 2, ("neumann",) * 2, ("periodic",) * 2,
     ("dirichlet", "neumann"), ("neumann", "dirichlet")]
)
shapes = st.lists(st.integers(1, 6), min_size=1, max_size=3)


@st.composite
def grids(draw):
    shape = draw(shapes)
    bc = [draw(side_pairs) for _ in shape]
    lengths = [draw(st.floats(0.3, 3.0)) for _ in shape]
    return kl.Grid(shape, lengths=lengths, bc=bc)


@st.composite
def square_matrices(draw):
    sizes = draw(st.lists(st.integers(1, 5), min_size=1, max_size=3))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    density = draw(st.floats(0.0, 1.0))
    return [rng.standard_normal((n, n)) * (rng.random((n, n)) < density) for n in sizes]


def dense_kron_sum(mats):
    sizes = [m.shape[0] for m in mats]
    return sum(
        np.kron(np.kron(np.eye(int(np.prod(sizes[:k]))), m), np.eye(int(np.prod(sizes[k + 1:]))))
        for k, m in enumerate(mats)
    )


@settings(max_examples=60, deadline=None)
@given(square_matrices())
def test_kron_sum_equals_dense_definition(mats):
    K = kl.kron_sum(*mats)
    assert K.has_canonical_format
    np.testing.assert_allclose(K.toarray(), dense_kron_sum(mats), atol=1e-13)


@settings(max_examples=60, deadline=None)
@given(grids())
def test_laplacian_structure(g):
    L = kl.laplacian(g)
    dense = L.toarray()
    np.testing.assert_allclose(dense, dense.T)
    # Negative semidefinite, singular exactly when every axis is free.
    lam = np.linalg.eigvalsh(dense)
    scale = max(1.0 / min(g.h) ** 2, 1.0)
    assert lam.max() <= 1e-10 * scale
    assert (abs(lam.max()) < 1e-10 * scale) == g.is_singular
    np.testing.assert_allclose(np.sort(kl.eigenvalues(g).ravel()), lam, atol=1e-9 * scale)


@settings(max_examples=40, deadline=None)
@given(shapes, st.sampled_from(["dirichlet", "neumann", "periodic"]))
def test_laplacian_matches_laplacian_nd(shape, bc):
    if bc != "dirichlet" and 1 in shape:
        shape = [max(n, 2) for n in shape]  # LaplacianNd stores -1 for a free n = 1 axis
    extra = 1 if bc == "dirichlet" else 0
    g = kl.Grid(shape, lengths=[n + extra for n in shape], bc=bc)
    ref = LaplacianNd(tuple(shape), boundary_conditions=bc).tosparse().toarray()
    np.testing.assert_array_equal(kl.laplacian(g).toarray(), ref)


@settings(max_examples=60, deadline=None)
@given(grids(), st.sampled_from(["fft", "eig", "direct"]),
       st.one_of(st.just(0.0), st.floats(1e-3, 5.0)),
       st.integers(0, 2**32 - 1))
def test_solve_inverts_laplacian(g, method, shift, seed):
    f = np.random.default_rng(seed).standard_normal(g.shape)
    u = kl.solve_poisson(f, g, shift=shift, method=method, project=True)
    if g.is_singular and shift == 0:
        f = f - f.mean()
        assert abs(u.mean()) < 1e-10
    A = kl.laplacian(g) - shift * sp.eye_array(g.size)
    residual = np.linalg.norm(A @ u.ravel() - f.ravel())
    assert residual <= 1e-9 * max(np.linalg.norm(f), 1e-300) * max(1.0, 1.0 / min(g.h) ** 2)
