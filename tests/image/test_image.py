"""Tests for kronlap.image: heat-flow smoothing, Tikhonov denoising, Perona-Malik.

References: scipy's ``LaplacianNd`` (Neumann, h = 1: the pixel grid) with
``expm_multiply`` and ``spsolve``, ``scipy.ndimage.gaussian_filter`` with
reflecting borders, and a variable-coefficient operator assembled here.
"""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
import scipy.sparse.linalg as spla
from reference import neumann_diffusion
from scipy import ndimage

import kronlap as kl
from kronlap import image


def _pixel_laplacian(shape):
    """The Neumann 5-point Laplacian with unit spacing, from scipy."""
    return spla.LaplacianNd(shape, boundary_conditions="neumann").tosparse().astype(float)


@pytest.fixture
def gray():
    return np.random.default_rng(0).random((13, 17))


@pytest.fixture
def color():
    return np.random.default_rng(1).random((12, 15, 3))


@pytest.mark.parametrize("t", [0.3, 2.0, 10.0])
def test_smooth_matches_expm_multiply(gray, t):
    expected = spla.expm_multiply(t * _pixel_laplacian(gray.shape), gray.ravel())
    np.testing.assert_allclose(image.smooth(gray, t).ravel(), expected, rtol=0, atol=1e-13)


@pytest.mark.parametrize("t", [4.5, 8.0, 18.0])
def test_smooth_is_close_to_gaussian_blur_with_sigma_sqrt_2t(t):
    noise = np.random.default_rng(2).random((40, 50))
    smoothed = image.smooth(noise, t)
    sigma = np.sqrt(2 * t)
    gap = np.abs(smoothed - ndimage.gaussian_filter(noise, sigma, mode="reflect")).max()
    assert gap < 2e-3
    # A 10% wrong sigma is much further away: the comparison can tell.
    for wrong in (0.9 * sigma, 1.1 * sigma):
        wrong_gap = np.abs(smoothed - ndimage.gaussian_filter(noise, wrong, mode="reflect"))
        assert wrong_gap.max() > 5 * gap


def test_smooth_conserves_mass_and_range(gray, color):
    for data in (gray, color):
        out = image.smooth(data, 3.0)
        np.testing.assert_allclose(out.sum(axis=(0, 1)), data.sum(axis=(0, 1)), rtol=1e-13)
        assert out.min() >= data.min() - 1e-12 and out.max() <= data.max() + 1e-12
    # Long times flatten to the mean.
    np.testing.assert_allclose(image.smooth(gray, 1e5), gray.mean(), atol=1e-12)


def test_denoise_matches_sparse_direct_solve(gray):
    weight = 2.5
    A = sp.eye_array(gray.size, format="csc") - weight * _pixel_laplacian(gray.shape).tocsc()
    expected = spla.spsolve(A, gray.ravel())
    np.testing.assert_allclose(image.denoise(gray, weight).ravel(), expected, atol=1e-13)
    assert image.denoise(gray, weight).sum() == pytest.approx(gray.sum(), rel=1e-13)


@pytest.mark.parametrize(
    "apply",
    [lambda im: image.smooth(im, 2.0), lambda im: image.denoise(im, 3.0)],
    ids=["smooth", "denoise"],
)
def test_color_channels_are_filtered_independently(color, apply):
    out = apply(color)
    assert out.shape == color.shape and out.dtype == np.float64
    for c in range(color.shape[2]):
        np.testing.assert_allclose(out[..., c], apply(color[..., c]), atol=1e-12)


@pytest.mark.parametrize("dtype", [np.uint8, np.uint16, np.int16])
def test_integer_images_are_read_as_unit_floats(gray, dtype):
    scale = np.iinfo(dtype).max
    integer = np.round(gray * scale).astype(dtype)
    as_float = integer / scale
    np.testing.assert_allclose(image.smooth(integer, 1.5), image.smooth(as_float, 1.5))
    np.testing.assert_allclose(image.denoise(integer, 1.5), image.denoise(as_float, 1.5))
    assert image.smooth(integer, 0.0).dtype == np.float64
    assert image.smooth(integer, 0.0).max() <= 1.0


def test_bool_and_float32_images():
    mask = np.zeros((8, 9), bool)
    mask[2:5, 3:7] = True
    np.testing.assert_allclose(image.smooth(mask, 1.0), image.smooth(mask.astype(float), 1.0))
    single = np.random.default_rng(3).random((8, 9)).astype(np.float32)
    out = image.denoise(single, 1.0)
    assert out.dtype == np.float64
    np.testing.assert_allclose(out, image.denoise(single.astype(np.float64), 1.0))


def test_zero_time_returns_a_float_copy_and_input_is_kept(gray):
    saved = gray.copy()
    for out in (image.smooth(gray, 0), image.denoise(gray, 0), image.edge_preserving(gray, 0)):
        np.testing.assert_array_equal(out, gray)
        assert out is not gray
        out[0, 0] = -1.0
    image.smooth(gray, 2.0)
    image.denoise(gray, 2.0)
    np.testing.assert_array_equal(gray, saved)


@pytest.mark.parametrize("weight", [5e-324, 1e-320, 1e-310, 1e-300, 1e-8])
def test_denoise_tiny_weights_match_sparse_direct_solve(gray, weight):
    # 1 / weight overflows below 1 / finfo.max (~5.6e-309): the old shifted
    # form (Delta - 1/weight) u = -image / weight gave an all-NaN image.
    A = sp.eye_array(gray.size, format="csc") - weight * _pixel_laplacian(gray.shape).tocsc()
    expected = spla.spsolve(A, gray.ravel()).reshape(gray.shape)
    out = image.denoise(gray, weight)
    np.testing.assert_allclose(out, expected, rtol=0, atol=1e-14)


@pytest.mark.parametrize("weight", [1e200, np.finfo(np.float64).max])
def test_denoise_huge_weights_leave_the_mean(gray, weight):
    # Every non-constant mode is divided by 1 - weight * lambda >= 1 + weight * 0.05.
    out = image.denoise(gray, weight)
    np.testing.assert_allclose(out, np.full(gray.shape, gray.mean()), rtol=0, atol=1e-14)


def test_edge_preserving_contrast_too_small_is_refused_naming_contrast(gray):
    with pytest.raises(ValueError, match=r"contrast=1e-200 is too small for this image"):
        image.edge_preserving(gray, 1.0, contrast=1e-200)


def test_edge_preserving_smallest_contrast_freezes_the_flow(gray):
    # The threshold: g = 1 / (1 + (|grad| / contrast)**2) stays a normal float64
    # while |grad| / contrast <= 1 / sqrt(tiny). Just above the smallest such
    # contrast every pixel with a gradient has g ~ 1e-308: nothing diffuses.
    blurred = image.smooth(gray, 0.5)  # sigma = 1
    largest = np.sqrt(sum(d**2 for d in np.gradient(blurred)).max())
    smallest = largest * np.sqrt(np.finfo(np.float64).tiny)
    out = image.edge_preserving(gray, 1.0, contrast=1.001 * smallest, steps=2)
    np.testing.assert_allclose(out, gray, rtol=0, atol=1e-14)
    with pytest.raises(ValueError, match="contrast=.* is too small"):
        image.edge_preserving(gray, 1.0, contrast=0.999 * smallest, steps=2)


@pytest.mark.parametrize("t", [1e-320, 1e-300, 1e-17])
def test_edge_preserving_tiny_time_returns_the_image(gray, t):
    # 8 t < eps bounds t ||div(g grad)||: no pixel moves beyond round-off
    # (and t / steps could have no finite inverse).
    out = image.edge_preserving(gray, t)
    np.testing.assert_array_equal(out, gray)
    assert out is not gray


def _perona_malik_reference(data, t, contrast, steps, sigma):
    """The documented scheme, with the variable-coefficient solve done by spsolve."""
    u = np.array(data, dtype=float)
    channels = [u] if u.ndim == 2 else [u[..., c] for c in range(u.shape[2])]
    dt = t / steps
    eye = sp.eye_array(u.shape[0] * u.shape[1], format="csc")
    pixels = kl.Grid(u.shape[:2], lengths=u.shape[:2], bc="neumann")  # h = 1
    for _ in range(steps):
        gradient_sq = np.zeros(u.shape[:2])
        for channel in channels:
            blurred = image.smooth(channel, sigma**2 / 2)
            gradient_sq += sum(d**2 for d in np.gradient(blurred))
        g = 1.0 / (1.0 + gradient_sq / contrast**2)
        A = (eye - dt * neumann_diffusion(pixels, g)).tocsc()
        for channel in channels:
            channel[...] = spla.spsolve(A, channel.ravel()).reshape(channel.shape)
    return u


@pytest.fixture
def noisy_edges():
    rng = np.random.default_rng(4)
    clean = np.zeros((24, 28))
    clean[:, 14:] = 1.0
    clean[6:12, 4:10] = 0.5
    return clean, clean + rng.normal(0, 0.05, clean.shape)


def test_edge_preserving_matches_reference_scheme(noisy_edges):
    # Needs PoissonSolver(coeff=..., method="multigrid").
    _, noisy = noisy_edges
    got = image.edge_preserving(noisy, t=4.0, contrast=0.1, steps=3, sigma=1.0, tol=1e-10)
    expected = _perona_malik_reference(noisy, 4.0, 0.1, 3, 1.0)
    np.testing.assert_allclose(got, expected, atol=1e-8)


def test_edge_preserving_color_shares_one_diffusivity(noisy_edges):
    _, noisy = noisy_edges
    rgb = np.stack([noisy, 0.5 * noisy, 1.0 - noisy], axis=-1)
    got = image.edge_preserving(rgb, t=3.0, contrast=0.1, steps=2, tol=1e-10)
    expected = _perona_malik_reference(rgb, 3.0, 0.1, 2, 1.0)
    np.testing.assert_allclose(got, expected, atol=1e-8)


def test_edge_preserving_keeps_edges_mean_and_range(noisy_edges):
    clean, noisy = noisy_edges
    out = image.edge_preserving(noisy, t=2.0, contrast=0.05, steps=4)
    assert out.mean() == pytest.approx(noisy.mean(), rel=1e-8)
    assert noisy.min() - 1e-8 <= out.min() and out.max() <= noisy.max() + 1e-8

    def error(u):
        return np.abs(u - clean).mean()

    assert error(out) < 0.6 * error(noisy)
    assert error(out) < 0.25 * error(image.smooth(noisy, 2.0))  # the blur smears edges


BAD_INPUTS = [
    (image.smooth, (np.zeros(5), 1.0), ValueError, "image must be a gray"),
    (image.smooth, (np.zeros((2, 2, 2, 2)), 1.0), ValueError, "image must be a gray"),
    (image.smooth, (np.zeros((0, 3)), 1.0), ValueError, "must not be empty"),
    (image.smooth, (np.full((3, 3), np.nan), 1.0), ValueError, "image contains NaN"),
    (image.smooth, (np.zeros((3, 3), complex), 1.0), TypeError, "image must be real"),
    (image.smooth, (np.array([["a", "b"]]), 1.0), TypeError, "image must be a numeric"),
    (image.smooth, (np.zeros((3, 3)), -1.0), ValueError, "t must be >= 0"),
    (image.smooth, (np.zeros((3, 3)), np.inf), ValueError, "t must be >= 0"),
    (image.smooth, (np.zeros((3, 3)), "1"), TypeError, "t must be a real number"),
    (image.denoise, (np.zeros((3, 3)), -0.5), ValueError, "weight must be >= 0"),
    (image.denoise, (np.zeros((3, 3)), None), TypeError, "weight must be a real number"),
    (image.denoise, (np.zeros(3), 1.0), ValueError, "image must be a gray"),
    (image.edge_preserving, (np.zeros((3, 3)), -1.0), ValueError, "t must be >= 0"),
]


@pytest.mark.parametrize("function, args, error, match", BAD_INPUTS)
def test_bad_input(function, args, error, match):
    with pytest.raises(error, match=match):
        function(*args)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"contrast": 0.0}, "contrast must be positive"),
        ({"contrast": -1.0}, "contrast must be >= 0"),
        ({"steps": 0}, "steps must be >= 1"),
        ({"sigma": -1.0}, "sigma must be >= 0"),
    ],
)
def test_bad_edge_preserving_options(kwargs, match):
    with pytest.raises(ValueError, match=match):
        image.edge_preserving(np.zeros((4, 4)), 1.0, **kwargs)


@pytest.mark.parametrize(
    "kwargs, match",
    [({"steps": 2.5}, "steps must be an int"), ({"contrast": "x"}, "contrast must be a real")],
)
def test_wrong_types_of_edge_preserving_options(kwargs, match):
    with pytest.raises(TypeError, match=match):
        image.edge_preserving(np.zeros((4, 4)), 1.0, **kwargs)


def test_edge_preserving_on_the_fast_path_equals_the_direct_solves(monkeypatch):
    from kronlap.image import smoothing

    rng = np.random.default_rng(3)
    photo = np.clip(np.linspace(0, 1, 40)[:, None] + rng.normal(0, 0.05, (40, 36)), 0, 1)
    fast = image.edge_preserving(photo, 4.0, contrast=0.1, steps=3, tol=1e-10)
    monkeypatch.setattr(smoothing, "_EDGE_METHOD", "direct")
    exact = image.edge_preserving(photo, 4.0, contrast=0.1, steps=3)
    np.testing.assert_allclose(fast, exact, atol=1e-8)
