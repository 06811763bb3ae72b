"""The convolution rule, checked against dense algebra."""

import numpy as np
import pytest
import scipy.sparse as sp

import kronlap as kl


def fourier_matrix(n):
    """F[j, k] = exp(-2 pi i j k / n): the FFT convention."""
    j = np.arange(n)
    return np.exp(-2j * np.pi * np.outer(j, j) / n)


def direct_cyclic_convolution(c, d):
    n = len(c)
    return np.array([sum(c[i] * d[(k - i) % n] for i in range(n)) for k in range(n)])


@pytest.mark.parametrize("n", [1, 2, 5, 8])
def test_circulant_entries(n):
    c = np.arange(1.0, n + 1)
    C = kl.circulant(c)
    for i in range(n):
        for j in range(n):
            assert C[i, j] == c[(i - j) % n]
    S = kl.circulant(c, sparse=True)
    assert sp.issparse(S) and S.format == "csr"
    np.testing.assert_array_equal(S.toarray(), C)


def test_sparse_circulant_stores_only_nonzero_diagonals():
    S = kl.circulant([-2.0, 1.0, 0.0, 0.0, 0.0, 1.0], sparse=True)
    assert S.nnz == 3 * 6


@pytest.mark.parametrize("n", [2, 3, 7, 16])
def test_convolution_rule(n):
    rng = np.random.default_rng(n)
    c, d = rng.standard_normal(n), rng.standard_normal(n)
    conv = kl.cyclic_convolve(c, d)
    np.testing.assert_allclose(conv, direct_cyclic_convolution(c, d), atol=1e-12)
    F = fourier_matrix(n)
    # F (c (*) d) = (F c) .* (F d)
    np.testing.assert_allclose(F @ conv, (F @ c) * (F @ d), atol=1e-10)
    # A circulant multiplies by cyclic convolution.
    np.testing.assert_allclose(kl.circulant(c) @ d, conv, atol=1e-12)


@pytest.mark.parametrize("n", [2, 5, 8])
def test_circulant_diagonalized_by_fourier_matrix(n):
    rng = np.random.default_rng(10 + n)
    c = rng.standard_normal(n) + 1j * rng.standard_normal(n)
    F = fourier_matrix(n)
    lam = kl.circulant_eigenvalues(c)
    np.testing.assert_allclose(lam, F @ c, atol=1e-12)
    # C = F^-1 diag(F c) F
    np.testing.assert_allclose(
        kl.circulant(c), np.linalg.inv(F) @ np.diag(lam) @ F, atol=1e-10
    )


def test_symmetric_circulant_has_real_eigenvalues():
    c = np.array([-2.0, 1.0, 0.0, 0.0, 1.0])
    lam = kl.circulant_eigenvalues(c)
    assert lam.dtype == np.float64
    np.testing.assert_allclose(np.sort(lam), np.linalg.eigvalsh(kl.circulant(c)), atol=1e-12)


def test_polynomial_multiplication_example():
    # (3 + x)(1 + 2x) = 3 + 7x + 2x^2; with x^2 = 1 (period 2): 5 + 7x.
    np.testing.assert_allclose(kl.cyclic_convolve([3, 1], [1, 2]), [5, 7])
    np.testing.assert_allclose(kl.cyclic_convolve([3, 1, 0], [1, 2, 0]), [3, 7, 2])


def test_complex_cyclic_convolution():
    c = np.array([1.0, 1j, 0.0])
    d = np.array([2.0, 0.0, 1j])
    np.testing.assert_allclose(kl.cyclic_convolve(c, d), direct_cyclic_convolution(c, d))


def test_bad_input():
    with pytest.raises(ValueError, match="same length"):
        kl.cyclic_convolve([1, 2], [1, 2, 3])
    with pytest.raises(ValueError, match="1D"):
        kl.circulant(np.ones((2, 2)))
    with pytest.raises(ValueError, match="non-empty"):
        kl.circulant([])
    with pytest.raises(TypeError, match="numeric"):
        kl.circulant(["a", "b"])
