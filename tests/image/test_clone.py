"""seamless_clone: the discrete Poisson equation of Perez et al., against a sparse direct solve."""

import numpy as np
import pytest
import scipy.sparse as sp
import scipy.sparse.linalg

from kronlap import image


def _reference(source, target, mask, offset):
    """Assemble sum_q (u_q - u_p) = sum_q (s_q - s_p) over Omega pixel by pixel; spsolve."""
    height, width = target.shape
    omega = np.zeros(target.shape, dtype=bool)
    rows, cols = np.nonzero(mask)
    omega[rows + offset[0], cols + offset[1]] = True
    index = -np.ones(target.shape, dtype=int)
    index[omega] = np.arange(omega.sum())
    matrix = sp.lil_array((omega.sum(),) * 2)
    rhs = np.zeros(omega.sum())
    for (i, j), k in zip(np.argwhere(omega), index[omega]):
        for di, dj in ((-1, 0), (1, 0), (0, -1), (0, 1)):
            qi, qj = i + di, j + dj
            if not (0 <= qi < height and 0 <= qj < width):
                continue  # the target's border: no neighbour
            si, sj = i - offset[0], j - offset[1]
            if 0 <= si + di < source.shape[0] and 0 <= sj + dj < source.shape[1]:
                rhs[k] += source[si + di, sj + dj] - source[si, sj]
            matrix[k, k] -= 1.0
            if omega[qi, qj]:
                matrix[k, index[qi, qj]] += 1.0
            else:
                rhs[k] -= target[qi, qj]
    out = target.copy()
    out[omega] = scipy.sparse.linalg.spsolve(matrix.tocsc(), rhs)
    return out


def _masks(shape):
    yy, xx = np.mgrid[: shape[0], : shape[1]]
    rectangle = np.zeros(shape, dtype=bool)
    rectangle[2:-3, 3:-2] = True
    ellipse = (yy - shape[0] / 2) ** 2 / (shape[0] / 2.5) ** 2 + (xx - shape[1] / 2) ** 2 / (
        shape[1] / 2.5
    ) ** 2 < 1
    whole = np.ones(shape, dtype=bool)
    return {"rectangle": rectangle, "ellipse": ellipse, "whole": whole}


@pytest.mark.parametrize("shape", ["rectangle", "ellipse", "whole"])
@pytest.mark.parametrize("offset", [(0, 0), (4, 7), (10, 12)])
def test_matches_the_assembled_poisson_system(shape, offset):
    rng = np.random.default_rng(0)
    source, target = rng.random((10, 12)), rng.random((20, 24))
    mask = _masks(source.shape)[shape]
    out = image.seamless_clone(source, target, mask, offset)
    np.testing.assert_allclose(out, _reference(source, target, mask, offset), atol=1e-8)


def test_rectangle_on_the_targets_border_matches_too():
    rng = np.random.default_rng(1)
    source, target = rng.random((8, 9)), rng.random((14, 15))
    mask = np.ones(source.shape, dtype=bool)
    for offset in [(0, 0), (6, 6), (0, 6), (6, 0)]:
        out = image.seamless_clone(source, target, mask, offset)
        np.testing.assert_allclose(out, _reference(source, target, mask, offset), atol=1e-10)


@pytest.mark.parametrize("shape", ["rectangle", "ellipse", "whole"])
@pytest.mark.parametrize("channels", [None, 3])
def test_cloning_an_image_into_itself_returns_it(shape, channels):
    rng = np.random.default_rng(2)
    photo = rng.random((16, 18) if channels is None else (16, 18, channels))
    mask = _masks(photo.shape[:2])[shape]
    kept = photo.copy()
    out = image.seamless_clone(photo, photo, mask, (0, 0))
    np.testing.assert_allclose(out, photo, atol=1e-8)
    np.testing.assert_array_equal(photo, kept)


def test_outside_the_region_the_target_is_untouched_and_color_is_per_channel():
    rng = np.random.default_rng(3)
    source, target = rng.random((8, 8, 3)), rng.random((20, 20, 3))
    mask = _masks((8, 8))["ellipse"]
    out = image.seamless_clone(source, target, mask, (5, 6))
    omega = np.zeros((20, 20), dtype=bool)
    omega[5:13, 6:14] = mask
    np.testing.assert_array_equal(out[~omega], target[~omega])
    for c in range(3):
        np.testing.assert_allclose(
            out[..., c],
            image.seamless_clone(source[..., c], target[..., c], mask, (5, 6)),
            atol=1e-12,
        )


def test_a_flat_source_in_a_flat_target_takes_the_targets_value():
    out = image.seamless_clone(
        np.full((6, 6), 0.9), np.full((12, 12), 0.3), np.ones((6, 6), dtype=bool), (3, 3)
    )
    np.testing.assert_allclose(out, 0.3, atol=1e-12)


def test_an_empty_mask_returns_the_target():
    target = np.random.default_rng(4).random((6, 7))
    out = image.seamless_clone(np.zeros((3, 3)), target, np.zeros((3, 3), dtype=bool), (0, 0))
    np.testing.assert_array_equal(out, target)


@pytest.mark.parametrize(
    ("args", "error", "match"),
    [
        (
            (np.zeros((4, 4)), np.zeros((8, 8)), np.ones((4, 5), bool), (0, 0)),
            ValueError,
            "mask must have the source's shape",
        ),
        (
            (np.zeros((4, 4)), np.zeros((8, 8)), np.ones((4, 4)), (0, 0)),
            TypeError,
            "mask must be a bool array",
        ),
        (
            (np.zeros((4, 4)), np.zeros((8, 8)), np.ones((4, 4), bool), (5, 0)),
            ValueError,
            "offset=.* outside the target",
        ),
        (
            (np.zeros((4, 4)), np.zeros((8, 8)), np.ones((4, 4), bool), (-1, 0)),
            ValueError,
            "offset=.* outside the target",
        ),
        (
            (np.zeros((4, 4)), np.zeros((8, 8)), np.ones((4, 4), bool), (1.0, 0)),
            TypeError,
            "offset must be a pair of ints",
        ),
        (
            (np.zeros((4, 4)), np.zeros((8, 8)), np.ones((4, 4), bool), 3),
            TypeError,
            "offset must be a pair of ints",
        ),
        (
            (np.zeros((4, 4, 3)), np.zeros((8, 8)), np.ones((4, 4), bool), (0, 0)),
            ValueError,
            "same channels",
        ),
        (
            (np.zeros((4, 4)), np.full((8, 8), np.nan), np.ones((4, 4), bool), (0, 0)),
            ValueError,
            "target contains NaN",
        ),
    ],
)
def test_bad_input_is_named(args, error, match):
    with pytest.raises(error, match=match):
        image.seamless_clone(*args)


def test_masked_pixels_may_hang_off_a_negative_offset_when_unmasked():
    rng = np.random.default_rng(5)
    source, target = rng.random((6, 6)), rng.random((10, 10))
    mask = np.zeros((6, 6), dtype=bool)
    mask[2:5, 2:5] = True
    out = image.seamless_clone(source, target, mask, (-2, -2))
    np.testing.assert_allclose(out, _reference(source, target, mask, (-2, -2)), atol=1e-10)
