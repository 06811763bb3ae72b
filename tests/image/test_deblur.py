"""deblur against dense normal equations, the exact inverse as weight -> 0, GCV, errors."""

import numpy as np
import pytest
import scipy.ndimage

import kronlap as kl
from kronlap import image
from kronlap.image.tv import total_variation

SYMMETRIC = np.array([[0.0, 0.1, 0.0], [0.1, 0.6, 0.1], [0.0, 0.1, 0.0]])
LOPSIDED = np.array([[0.0, 0.05, 0.0], [0.1, 0.6, 0.1], [0.0, 0.15, 0.0]])
SEPARABLE = (np.array([0.2, 0.6, 0.2]), np.array([0.1, 0.8, 0.1]))
# centrosymmetric (a diagonal motion) but not doubly symmetric: no DCT diagonalizes it
DIAGONAL = np.diag([0.2, 0.6, 0.2])


def _blocks(shape=(24, 20), channels=None):
    """A piecewise-constant test image (edges for TV, smooth parts for Tikhonov)."""
    clean = np.zeros(shape)
    clean[5:17, 4:14] = 1.0
    clean[12:, 15:] = 0.5
    clean += 0.2 * np.sin(np.arange(shape[1]) / 3.0)[None, :]
    if channels:
        clean = np.stack([clean * (c + 1) / channels for c in range(channels)], -1)
    return clean


def _matrix(psf, shape, mode):
    size = shape[0] * shape[1]
    columns = [
        scipy.ndimage.convolve(np.eye(size)[k].reshape(shape), np.asarray(psf), mode=mode)
        for k in range(size)
    ]
    return np.array([c.ravel() for c in columns]).T


@pytest.mark.parametrize(
    ("mode", "psf", "method"),
    [
        ("reflect", SYMMETRIC, "dct"),
        ("reflect", SEPARABLE, "dct"),
        ("reflect", LOPSIDED, "cg"),
        ("reflect", DIAGONAL, "cg"),
        ("wrap", SYMMETRIC, "fft"),
        ("wrap", LOPSIDED, "fft"),
        ("constant", SYMMETRIC, "cg"),
    ],
)
@pytest.mark.parametrize("channels", [None, 3])
def test_tiny_weight_inverts_a_well_conditioned_blur(mode, psf, method, channels):
    clean = _blocks(channels=channels)
    blurred = image.blur(clean, psf, mode=mode)
    kept = blurred.copy()
    options = {"tol": 1e-12} if method == "cg" else {}
    u, info = image.deblur(blurred, psf, mode=mode, weight=1e-14, return_info=True, **options)
    assert info["method"] == method
    np.testing.assert_allclose(u, clean, atol=1e-9)
    np.testing.assert_array_equal(blurred, kept)


@pytest.mark.parametrize(
    ("mode", "psf", "bc"),
    [
        ("reflect", np.outer([1.0, 2.0, 1.0], [1.0, 2.0, 3.0, 2.0, 1.0]) / 36, "neumann"),
        ("reflect", LOPSIDED, "neumann"),
        ("wrap", LOPSIDED, "periodic"),
        ("constant", SYMMETRIC, "neumann"),
    ],
)
@pytest.mark.parametrize("regularizer", ["identity", "gradient"])
def test_quadratic_deblur_solves_the_normal_equations(mode, psf, bc, regularizer):
    shape = (8, 7)
    rng = np.random.default_rng(0)
    observed = rng.random(shape)
    weight = 0.03
    a = _matrix(psf, shape, mode)
    if regularizer == "identity":
        penalty = np.eye(a.shape[0])
    else:
        grid = kl.Grid(shape, lengths=[float(n) for n in shape], bc=bc)
        penalty = -kl.laplacian(grid).toarray()
    expected = np.linalg.solve(a.T @ a + weight * penalty, a.T @ observed.ravel())
    u = image.deblur(
        observed,
        psf,
        mode=mode,
        weight=weight,
        regularizer=regularizer,
        **(
            {"tol": 1e-13} if mode == "constant" or (psf is LOPSIDED and mode == "reflect") else {}
        ),
    )
    np.testing.assert_allclose(u.ravel(), expected, atol=1e-10)


def _gaussian(sigma, radius):
    x = np.arange(-radius, radius + 1)
    g = np.exp(-0.5 * x**2 / sigma**2)
    return g / g.sum()


@pytest.mark.parametrize("mode", ["reflect", "wrap"])
def test_gcv_chooses_a_weight_near_the_best_and_estimates_the_noise(mode):
    rng = np.random.default_rng(1)
    clean = _blocks((64, 60))
    g = _gaussian(1.5, 4)
    noise = 0.02
    blurred = image.blur(clean, (g, g), mode=mode) + rng.normal(0.0, noise, clean.shape)
    u, info = image.deblur(blurred, (g, g), mode=mode, regularizer="gradient", return_info=True)
    assert info["weight_from"] == "gcv" and info["weight"] > 0
    assert info["noise"] == pytest.approx(noise, rel=0.15)

    def error(w):
        return np.linalg.norm(
            image.deblur(blurred, (g, g), mode=mode, weight=w, regularizer="gradient") - clean
        )

    best = min(error(info["weight"] * f) for f in np.geomspace(0.05, 20, 13))
    assert error(info["weight"]) < 1.25 * best
    np.testing.assert_array_equal(
        u, image.deblur(blurred, (g, g), mode=mode, weight=info["weight"], regularizer="gradient")
    )


@pytest.mark.parametrize(
    ("mode", "psf"), [("reflect", "gauss"), ("wrap", "gauss"), ("reflect", "lopsided")]
)
def test_tv_deblurring_beats_the_quadratic_regularizers_on_edges(mode, psf):
    rng = np.random.default_rng(2)
    clean = _blocks((40, 36))
    g = _gaussian(1.2, 3)
    kernel = np.outer(g, g) if psf == "gauss" else LOPSIDED
    blurred = image.blur(clean, kernel, mode=mode) + rng.normal(0.0, 0.01, clean.shape)
    tv, info = image.deblur(
        blurred, kernel, mode=mode, regularizer="tv", weight=2e-3, return_info=True
    )
    gradient = image.deblur(blurred, kernel, mode=mode, regularizer="gradient")
    assert info["method"] == (
        "cg" if psf == "lopsided" else {"reflect": "dct", "wrap": "fft"}[mode]
    )
    assert np.linalg.norm(tv - clean) < 0.8 * np.linalg.norm(gradient - clean)

    # the objective 1/2 ||A u - b||^2 + w TV(u) is below that of the blurred image
    def objective(u):
        residual = image.blur(u, kernel, mode=mode) - blurred
        return 0.5 * np.sum(residual**2) + 2e-3 * total_variation(u, periodic=mode == "wrap")

    assert objective(tv) < objective(blurred)


def test_tv_without_weight_uses_gcv_and_separable_color():
    rng = np.random.default_rng(3)
    clean = _blocks((32, 30), channels=3)
    g = _gaussian(1.0, 3)
    blurred = image.blur(clean, (g, g)) + rng.normal(0.0, 0.01, clean.shape)
    u, info = image.deblur(blurred, (g, g), regularizer="tv", return_info=True)
    assert u.shape == clean.shape and info["weight_from"] == "gcv" and info["weight"] > 0
    assert np.linalg.norm(u - clean) < np.linalg.norm(blurred - clean)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"weight": -1.0}, ValueError, "weight must be >= 0"),
        ({"weight": float("nan")}, ValueError, "weight must be >= 0 and finite"),
        ({"weight": "1"}, TypeError, "weight must be a real number"),
        ({"regularizer": "l1"}, ValueError, "regularizer must be one of"),
        ({"method": "lu"}, ValueError, "method must be one of"),
        ({"mode": "mirror"}, ValueError, "mode must be one of"),
        ({"method": "spectral", "mode": "constant"}, ValueError, "mode='constant'"),
        ({"weight": 0.1, "tol": 1e-3}, TypeError, "tol is an option of the iterative"),
        ({"weight": 0.1, "maxiter": 3}, TypeError, "maxiter is an option"),
        ({"weight": 0.1, "penalty": 1.0}, TypeError, "penalty is an option of regularizer='tv'"),
        ({"regularizer": "tv", "penalty": -1.0}, ValueError, "penalty must be positive"),
        ({"regularizer": "tv", "tol": 2.0}, ValueError, "tol must be a relative tolerance"),
        ({"return_info": 1}, TypeError, "return_info must be a bool"),
    ],
)
def test_bad_options_are_named(kwargs, error, match):
    with pytest.raises(error, match=match):
        image.deblur(np.zeros((10, 10)), SYMMETRIC, **kwargs)


def test_spectral_method_refuses_a_psf_that_is_not_doubly_symmetric():
    with pytest.raises(ValueError, match="psf must be doubly symmetric"):
        image.deblur(np.zeros((10, 10)), LOPSIDED, method="spectral", weight=0.1)
    # the periodic blur of the same PSF is diagonalizable all the same
    image.deblur(np.zeros((10, 10)), LOPSIDED, mode="wrap", method="spectral", weight=0.1)


def test_bad_psf_is_named():
    with pytest.raises(ValueError, match="odd sizes"):
        image.deblur(np.zeros((10, 10)), np.ones((2, 2)))
    with pytest.raises(ValueError, match="larger than the image"):
        image.deblur(np.zeros((10, 10)), np.ones((11, 3)))


def test_cg_deblurring_that_misses_tol_warns_and_keeps_its_best_iterate():
    import warnings

    import kronlap as kl

    rng = np.random.default_rng(2)
    img = rng.random((24, 20))
    psf = np.outer([1.0, 2.0, 1.0], [1.0, 3.0, 1.0]) / 20.0
    psf[0, 0] += 0.05  # not symmetric: the CG path
    blurred = image.blur(img, psf)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        image.deblur(blurred, psf, weight=1e-6, method="cg", tol=1e-12, maxiter=2)
    assert any(issubclass(w.category, kl.ConvergenceWarning) for w in caught)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        image.deblur(blurred, psf, weight=1e-2, method="cg", tol=1e-6)
