"""blur equals scipy.ndimage.convolve; blur_eigenvalues diagonalize the assembled blur matrix."""

import numpy as np
import pytest
import scipy.fft
import scipy.ndimage

from kronlap import image
from kronlap.image.blurring import apply_adjoint, check_psf

MODES = ["reflect", "wrap", "constant"]
SIZES = [1, 3, 5, 7, 9, 11, 13, 15]
TOL = 1e3 * np.finfo(np.float64).eps


def _reference(data, psf, mode):
    """scipy.ndimage.convolve, channel by channel."""
    if data.ndim == 2:
        return scipy.ndimage.convolve(data, psf, mode=mode, cval=0.0)
    return np.stack([_reference(data[..., c], psf, mode) for c in range(data.shape[2])], -1)


def _close(actual, expected, scale):
    np.testing.assert_allclose(actual, expected, rtol=0, atol=TOL * scale)


@pytest.fixture(params=["gray", "color"])
def photo(request):
    rng = np.random.default_rng(1)
    return rng.random((17, 19) if request.param == "gray" else (17, 19, 3))


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("size", SIZES)
def test_square_psf_equals_ndimage(photo, mode, size):
    psf = np.random.default_rng(size).random((size, size))
    _close(image.blur(photo, psf, mode=mode), _reference(photo, psf, mode), psf.sum())


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("shape", [(1, 15), (15, 1), (3, 11), (13, 5), (9, 15)])
def test_rectangular_psf_equals_ndimage(photo, mode, shape):
    psf = np.random.default_rng(7).random(shape) - 0.3  # signs too
    _close(image.blur(photo, psf, mode=mode), _reference(photo, psf, mode), np.abs(psf).sum())


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(("n0", "n1"), [(1, 1), (3, 7), (15, 5), (15, 15)])
def test_separable_psf_equals_ndimage(photo, mode, n0, n1):
    rng = np.random.default_rng(n0 * 31 + n1)
    k0, k1 = rng.random(n0), rng.random(n1)
    expected = _reference(photo, np.outer(k0, k1), mode)
    _close(image.blur(photo, (k0, k1), mode=mode), expected, k0.sum() * k1.sum())
    _close(image.blur(photo, [list(k0), list(k1)], mode=mode), expected, k0.sum() * k1.sum())


@pytest.mark.parametrize("mode", MODES)
def test_long_separable_kernels_take_the_fft_path(mode):
    rng = np.random.default_rng(3)
    photo = rng.random((40, 36))
    k0, k1 = rng.random(31), rng.random(21)
    expected = _reference(photo, np.outer(k0, k1), mode)
    _close(image.blur(photo, (k0, k1), mode=mode), expected, k0.sum() * k1.sum())


def test_psf_as_large_as_the_image():
    rng = np.random.default_rng(4)
    photo, psf = rng.random((9, 7)), rng.random((9, 7))
    for mode in MODES:
        _close(image.blur(photo, psf, mode=mode), _reference(photo, psf, mode), psf.sum())


def test_integer_image_is_read_as_unit_floats_and_input_is_kept():
    photo = np.arange(30, dtype=np.uint8).reshape(5, 6) * 8
    kept = photo.copy()
    psf = np.ones((3, 3)) / 9
    out = image.blur(photo, psf)
    assert out.dtype == np.float64
    _close(out, _reference(photo / 255.0, psf, "reflect"), 1.0)
    np.testing.assert_array_equal(photo, kept)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("separable", [False, True])
def test_adjoint_is_the_transpose(mode, separable):
    rng = np.random.default_rng(5)
    x, y = rng.random((12, 10)), rng.random((12, 10))
    psf = (rng.random(5), rng.random(3)) if separable else rng.random((9, 7))
    checked = check_psf(psf, x.shape)
    lhs = float(np.sum(image.blur(x, psf, mode=mode) * y))
    rhs = float(np.sum(x * apply_adjoint(y, checked, mode)))
    assert lhs == pytest.approx(rhs, rel=1e-12)


def _blur_matrix(psf, shape, mode):
    """The blur's matrix, column by column from unit images (the independent reference)."""
    size = shape[0] * shape[1]
    columns = [
        scipy.ndimage.convolve(np.eye(size)[k].reshape(shape), np.asarray(psf), mode=mode)
        for k in range(size)
    ]
    return np.array([c.ravel() for c in columns]).T


def _dct_matrix(n):
    return scipy.fft.dct(np.eye(n), norm="ortho", axis=0)


@pytest.mark.parametrize("shape", [(6, 5), (7, 7), (4, 9)])
@pytest.mark.parametrize(
    "psf",
    [
        np.outer([1.0, 2.0, 1.0], [1.0, 4.0, 6.0, 4.0, 1.0]) / 64,
        np.array([[0.0, 1.0, 0.0], [1.0, 4.0, 1.0], [0.0, 1.0, 0.0]]) / 8,
        np.ones((3, 1)) / 3,
    ],
)
def test_dct_eigenvalues_of_a_symmetric_reflective_blur(shape, psf):
    matrix = _blur_matrix(psf, shape, "reflect")
    dct = np.kron(_dct_matrix(shape[0]), _dct_matrix(shape[1]))  # C = C0 (x) C1
    lam = image.blur_eigenvalues(psf, shape)
    assert lam.shape == shape and lam.dtype == np.float64
    np.testing.assert_allclose(dct @ matrix @ dct.T, np.diag(lam.ravel()), atol=1e-14)
    np.testing.assert_allclose(np.sort(lam.ravel()), np.linalg.eigvalsh(matrix), atol=1e-14)


def test_separable_eigenvalues_are_the_kronecker_product():
    k0, k1 = np.array([1.0, 2.0, 1.0]) / 4, np.array([1.0, 1.0, 3.0, 1.0, 1.0]) / 7
    lam = image.blur_eigenvalues((k0, k1), (6, 8))
    lam0 = image.blur_eigenvalues(k0[:, None], (6, 1))[:, 0]
    lam1 = image.blur_eigenvalues(k1[None, :], (1, 8))[0]
    np.testing.assert_allclose(lam, np.outer(lam0, lam1), atol=1e-15)
    np.testing.assert_allclose(lam, image.blur_eigenvalues(np.outer(k0, k1), (6, 8)), atol=1e-15)


def test_fft_eigenvalues_diagonalize_the_periodic_blur():
    shape = (5, 6)
    psf = np.random.default_rng(2).random((3, 5))  # not symmetric: complex eigenvalues
    matrix = _blur_matrix(psf, shape, "wrap")
    fourier = np.kron(scipy.fft.fft(np.eye(5), axis=0), scipy.fft.fft(np.eye(6), axis=0))
    lam = image.blur_eigenvalues(psf, shape, mode="wrap")
    assert np.iscomplexobj(lam)
    np.testing.assert_allclose(
        fourier @ matrix @ np.linalg.inv(fourier), np.diag(lam.ravel()), atol=1e-12
    )


@pytest.mark.parametrize(
    ("psf", "match"),
    [
        (np.ones((4, 3)), "odd sizes"),
        (np.ones((3, 2)), "odd sizes"),
        ((np.ones(3), np.ones(2)), r"psf\[1\] must have odd sizes"),
        (np.ones((3, 3, 3)), "2D array or a pair"),
        (np.ones((21, 3)), "larger than the image along axis 0"),
        (np.ones((3, 23)), "larger than the image along axis 1"),
        (np.array([[np.nan]]), "NaN"),
        (np.ones((0, 3)), "empty|odd"),
    ],
)
def test_bad_psf_is_a_value_error_naming_it(psf, match):
    with pytest.raises(ValueError, match=match):
        image.blur(np.zeros((20, 22)), psf)


def test_bad_types_and_modes():
    with pytest.raises(TypeError, match="psf must be a numeric array"):
        image.blur(np.zeros((5, 5)), [["a"]])
    with pytest.raises(TypeError, match="psf must be real"):
        image.blur(np.zeros((5, 5)), np.ones((3, 3)) * 1j)
    with pytest.raises(ValueError, match="mode must be one of"):
        image.blur(np.zeros((5, 5)), np.ones((3, 3)), mode="nearest")
    with pytest.raises(TypeError, match="mode must be a str"):
        image.blur(np.zeros((5, 5)), np.ones((3, 3)), mode=1)
    with pytest.raises(ValueError, match="image must be a gray"):
        image.blur(np.zeros(5), np.ones(3))


def test_eigenvalues_refuse_what_no_transform_diagonalizes():
    with pytest.raises(ValueError, match="psf must be doubly symmetric"):
        image.blur_eigenvalues(np.array([[0.0, 1.0, 2.0]]), (4, 4))
    with pytest.raises(ValueError, match="psf must be doubly symmetric"):
        image.blur_eigenvalues(np.eye(3), (4, 4))  # symmetric under rotation only
    with pytest.raises(ValueError, match="mode='constant'"):
        image.blur_eigenvalues(np.ones((3, 3)), (4, 4), mode="constant")
    with pytest.raises(TypeError, match="shape must be a tuple of ints"):
        image.blur_eigenvalues(np.ones((3, 3)), (4.0, 4))
