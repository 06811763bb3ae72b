import re

import numpy as np
import pytest
import scipy.sparse as sp
from scipy.sparse.linalg import LaplacianNd

import kronlap as kl

KINDS = ["dirichlet", "neumann", "periodic"]
SHAPES = [(6,), (4, 5), (3, 4, 2), (2, 3, 2, 2)]


def unit_spacing_grid(shape, bc):
    """A grid with h = 1 on every axis."""
    extra = {"dirichlet": 1, "neumann": 0, "periodic": 0}[bc]
    return kl.Grid(shape, lengths=[n + extra for n in shape], bc=bc)


def dense_kron_sum(*mats):
    sizes = [m.shape[0] for m in mats]
    total = 0
    for k, m in enumerate(mats):
        left = np.eye(int(np.prod(sizes[:k])))
        right = np.eye(int(np.prod(sizes[k + 1 :])))
        total = total + np.kron(np.kron(left, m), right)
    return total


@pytest.mark.parametrize("bc", KINDS)
@pytest.mark.parametrize("shape", SHAPES)
def test_laplacian_matches_scipy_laplacian_nd(bc, shape):
    L = kl.laplacian(unit_spacing_grid(shape, bc))
    ref = LaplacianNd(shape, boundary_conditions=bc).tosparse()
    assert isinstance(L, sp.csr_array)
    assert L.has_canonical_format
    np.testing.assert_array_equal(L.toarray(), ref.toarray())


@pytest.mark.parametrize("bc", ["neumann", "periodic"])
def test_single_point_free_axis_is_zero(bc):
    # LaplacianNd.tosparse() stores -1 for n = 1 here, which contradicts its
    # own eigenvalues() (0); the stencil with both neighbours mirrored or
    # wrapped onto the point itself gives 0.
    L = kl.second_difference(1, bc=bc)
    assert L.toarray()[0, 0] == 0.0
    assert LaplacianNd((1,), boundary_conditions=bc).eigenvalues()[0] == 0.0


@pytest.mark.parametrize(
    "bc, first, last",
    [
        ("dirichlet", -2, -2),
        ("neumann", -1, -1),
        (("dirichlet", "neumann"), -2, -1),
        (("neumann", "dirichlet"), -1, -2),
    ],
)
def test_second_difference_ends_and_scaling(bc, first, last):
    h = 0.25
    A = kl.second_difference(5, h=h, bc=bc).toarray() * h**2
    assert A[0, 0] == first and A[-1, -1] == last
    np.testing.assert_array_equal(np.diag(A)[1:-1], -2)
    np.testing.assert_array_equal(np.diag(A, 1), 1)
    np.testing.assert_array_equal(A, A.T)


def test_second_difference_periodic_is_circulant():
    A = kl.second_difference(5, h=0.5, bc="periodic").toarray()
    np.testing.assert_array_equal(A, kl.circulant([-8.0, 4.0, 0.0, 0.0, 4.0]))
    # n = 2: both neighbours are the other point, the couplings add up.
    np.testing.assert_array_equal(
        kl.second_difference(2, bc="periodic").toarray(), [[-2, 2], [2, -2]]
    )


def test_second_difference_format():
    assert kl.second_difference(4, format="csc").format == "csc"
    assert kl.laplacian(kl.Grid((3, 3)), format="coo").format == "coo"


@pytest.mark.parametrize(
    "args, error, match",
    [
        ((0,), ValueError, "n must be >= 1"),
        ((3.0,), TypeError, "n must be an int"),
        ((3, 0.0), ValueError, "h must be"),
        ((3, -1.0), ValueError, "h must be"),
        ((3, 1.0, "robin"), ValueError, "bc"),
        ((3, 1.0, ("periodic", "neumann")), ValueError, "periodic"),
    ],
)
def test_second_difference_bad_input(args, error, match):
    with pytest.raises(error, match=match):
        kl.second_difference(*args)


def random_sparse(rng, n, density=0.4):
    return rng.standard_normal((n, n)) * (rng.random((n, n)) < density)


@pytest.mark.parametrize("sizes", [(5,), (3, 4), (2, 3, 4), (4, 1, 3)])
@pytest.mark.parametrize("kind", ["banded", "scattered", "dense", "complex"])
def test_kron_sum_matches_numpy_kron(sizes, kind):
    rng = np.random.default_rng(sum(sizes))
    if kind == "banded":
        mats = [sp.diags_array(rng.standard_normal((3, n)), offsets=[-1, 0, 1],
                               shape=(n, n)) for n in sizes]
    elif kind == "scattered":
        mats = [sp.csr_array(random_sparse(rng, n, 0.3)) for n in sizes]
    elif kind == "dense":
        mats = [rng.standard_normal((n, n)) for n in sizes]
    else:
        mats = [random_sparse(rng, n) + 1j * random_sparse(rng, n) for n in sizes]
    dense = [m.toarray() if sp.issparse(m) else m for m in mats]
    K = kl.kron_sum(*mats)
    assert isinstance(K, sp.csr_array) and K.has_canonical_format
    np.testing.assert_allclose(K.toarray(), dense_kron_sum(*dense), atol=1e-14)


def test_kron_sum_order_is_reverse_of_scipy_kronsum():
    A = np.diag([1.0, 2.0])
    B = np.diag([10.0, 20.0, 30.0])
    ours = kl.kron_sum(A, B).toarray()
    np.testing.assert_array_equal(ours, np.kron(A, np.eye(3)) + np.kron(np.eye(2), B))
    np.testing.assert_array_equal(ours, sp.kronsum(B, A).toarray())


def test_kron_sum_format_and_errors():
    assert kl.kron_sum(np.eye(2), np.eye(3), format="csc").format == "csc"
    with pytest.raises(ValueError, match="at least one"):
        kl.kron_sum()
    with pytest.raises(ValueError, match="square"):
        kl.kron_sum(np.ones((2, 3)))
    with pytest.raises(ValueError, match="2D"):
        kl.kron_sum(np.ones(3))


NOT_NUMERIC = {
    "bool": np.eye(2, dtype=bool),
    "sparse bool": sp.eye_array(2, dtype=bool),
    "str": np.array([["a", "b"], ["c", "d"]]),
    "object": np.eye(2, dtype=object),
}


@pytest.mark.parametrize("function", [kl.kron_sum, kl.kron_product])
@pytest.mark.parametrize("position", [0, 1])
@pytest.mark.parametrize("kind", list(NOT_NUMERIC))
def test_kron_factors_must_be_numeric(function, position, kind):
    # A bool factor used to fail inside kron_sum's sums (numpy UFuncTypeError),
    # or pass as 0/1, or be ANDed by kron_product.
    factors = [np.eye(2), np.eye(2)]
    factors[position] = NOT_NUMERIC[kind]
    match = rf"mats\[{position}\] must be a numeric \(integer, float or complex\) matrix"
    with pytest.raises(TypeError, match=match):
        function(*factors)


@pytest.mark.parametrize(
    "function, shape",
    [
        (kl.kron_sum, (0, 0)),  # used to raise ZeroDivisionError
        (kl.kron_product, (0, 0)),  # used to return an empty matrix
        (kl.kron_product, (0, 2)),
        (kl.kron_product, (2, 0)),
    ],
)
@pytest.mark.parametrize("position", [0, 1])
def test_kron_factors_must_not_be_empty(function, shape, position):
    factors = [np.eye(2), np.eye(2)]
    factors[position] = np.zeros(shape)
    match = re.escape(f"mats[{position}] must not be empty, got shape {shape}")
    with pytest.raises(ValueError, match=match):
        function(*factors)


@pytest.mark.parametrize("dtype", [np.int8, np.int64, np.uint16, np.float32, np.complex64])
def test_kron_integer_and_other_numeric_factors_are_kept(dtype):
    A = (np.arange(4).reshape(2, 2) + 1).astype(dtype)
    B = np.array([[2, 0, 1], [0, 3, 0], [1, 0, 4]], dtype=dtype)
    np.testing.assert_array_equal(kl.kron_sum(A, B).toarray(), dense_kron_sum(A, B))
    np.testing.assert_array_equal(kl.kron_product(A, B).toarray(), np.kron(A, B))


@pytest.mark.parametrize("count", [1, 2, 3])
def test_kron_product_matches_numpy_kron(count):
    rng = np.random.default_rng(count)
    mats = [rng.standard_normal((k + 2, k + 1)) for k in range(count)]
    ref = mats[0]
    for m in mats[1:]:
        ref = np.kron(ref, m)
    out = kl.kron_product(*[sp.csr_array(m) for m in mats])
    assert isinstance(out, sp.csr_array)
    np.testing.assert_allclose(out.toarray(), ref)
    with pytest.raises(ValueError, match="at least one"):
        kl.kron_product()


def test_laplacian_is_kron_sum_of_axis_matrices_with_mixed_sides():
    g = kl.Grid((4, 3, 5), lengths=(1.0, 2.0, 0.5),
                bc=[("dirichlet", "neumann"), "periodic", ("neumann", "dirichlet")])
    mats = [kl.second_difference(n, h, bc).toarray() for n, h, bc in zip(g.shape, g.h, g.bc)]
    np.testing.assert_allclose(kl.laplacian(g).toarray(), dense_kron_sum(*mats))


def test_laplacian_bad_grid():
    with pytest.raises(TypeError, match="grid"):
        kl.laplacian((3, 3))
