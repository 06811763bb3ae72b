"""tv_denoise: split Bregman reaches the ROF minimizer, its objective decreases, errors."""

import numpy as np
import pytest

import kronlap as kl
from kronlap import image
from kronlap.image.tv import gradient, gradient_adjoint, total_variation


def _noisy(shape=(30, 34), noise=0.1, seed=0):
    rng = np.random.default_rng(seed)
    clean = np.zeros(shape)
    clean[8:22, 9:25] = 1.0
    clean[18:, :6] = 0.5
    return clean, clean + rng.normal(0.0, noise, shape)


def _objective(u, noisy, weight):
    return 0.5 * float(np.sum((u - noisy) ** 2)) + weight * total_variation(u)


@pytest.mark.parametrize("periodic", [False, True])
@pytest.mark.parametrize("shape", [(5, 7), (1, 6), (6, 1)])
def test_gradient_adjoint_and_laplacian(periodic, shape):
    rng = np.random.default_rng(1)
    u, px, py = rng.random(shape), rng.random(shape), rng.random(shape)
    gx, gy = gradient(u, periodic)
    assert float(np.sum(gx * px + gy * py)) == pytest.approx(
        float(np.sum(u * gradient_adjoint(px, py, periodic))), rel=1e-12
    )
    # grad^T grad = -Delta_h of the same boundary kind: what the DCT (or FFT) diagonalizes
    grid = kl.Grid(
        shape, lengths=[float(n) for n in shape], bc="periodic" if periodic else "neumann"
    )
    laplacian = (kl.laplacian(grid) @ u.ravel()).reshape(shape)
    np.testing.assert_allclose(gradient_adjoint(gx, gy, periodic), -laplacian, atol=1e-13)


@pytest.mark.parametrize("weight", [0.05, 0.2])
def test_split_bregman_objective_decreases_to_the_minimum(weight):
    clean, noisy = _noisy()
    u, info = image.tv_denoise(noisy, weight, tol=1e-9, maxiter=400, return_info=True)
    history = info["objective"][0]
    assert history[0] == pytest.approx(_objective(noisy, noisy, weight))
    assert history[-1] == pytest.approx(_objective(u, noisy, weight))
    # split Bregman is not monotone step by step, but it decreases over the run
    assert history[-1] < history[20] < history[5] < history[0]
    # ... to the minimizer of the convex objective: no direction lowers it
    rng = np.random.default_rng(2)
    best = _objective(u, noisy, weight)
    for _ in range(10):
        direction = rng.normal(size=u.shape)
        for step in (1e-2, 1e-4):
            assert _objective(u + step * direction, noisy, weight) > best - 1e-7


def test_agrees_with_chambolle():
    restoration = pytest.importorskip("skimage.restoration")
    _, noisy = _noisy()
    ours = image.tv_denoise(noisy, 0.1, tol=1e-9, maxiter=1000)
    theirs = restoration.denoise_tv_chambolle(noisy, weight=0.1, eps=1e-12, max_num_iter=5000)
    assert _objective(ours, noisy, 0.1) <= _objective(theirs, noisy, 0.1) + 1e-6
    np.testing.assert_allclose(ours, theirs, atol=5e-3)


def test_denoises_with_the_default_options_and_keeps_the_input():
    clean, noisy = _noisy()
    kept = noisy.copy()
    u, info = image.tv_denoise(noisy, 0.1, return_info=True)
    assert np.linalg.norm(u - clean) < 0.4 * np.linalg.norm(noisy - clean)
    assert 1 <= info["iterations"] < 200
    np.testing.assert_array_equal(noisy, kept)


def test_color_channels_are_denoised_alike():
    _, noisy = _noisy()
    color = np.stack([noisy, 0.5 * noisy, noisy[::-1]], axis=-1)
    out = image.tv_denoise(color, 0.1)
    for c, weight in ((0, 0.1), (1, 0.1), (2, 0.1)):
        np.testing.assert_allclose(
            out[..., c], image.tv_denoise(color[..., c], weight), atol=1e-12
        )


def test_weight_zero_returns_the_image():
    _, noisy = _noisy()
    np.testing.assert_array_equal(image.tv_denoise(noisy, 0), noisy)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"weight": -0.1}, ValueError, "weight must be >= 0"),
        ({"weight": float("nan")}, ValueError, "weight must be >= 0 and finite"),
        ({"weight": None}, TypeError, "weight must be a real number"),
        ({"weight": 0.1, "maxiter": 0}, ValueError, "maxiter must be >= 1"),
        ({"weight": 0.1, "tol": 0.0}, ValueError, "tol must be a relative tolerance"),
        ({"weight": 0.1, "penalty": 0.0}, ValueError, "penalty must be positive"),
        ({"weight": 0.1, "return_info": "yes"}, TypeError, "return_info must be a bool"),
    ],
)
def test_bad_options_are_named(kwargs, error, match):
    with pytest.raises(error, match=match):
        image.tv_denoise(np.zeros((8, 8)), **kwargs)
