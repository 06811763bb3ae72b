import numpy as np
import pytest

from kronlap import Grid

KINDS = ["dirichlet", "neumann", "periodic"]


@pytest.mark.parametrize(
    "pair, n, length, h, first",
    [
        (("dirichlet", "dirichlet"), 4, 1.0, 1 / 5, 1 / 5),
        (("neumann", "neumann"), 4, 1.0, 1 / 4, 1 / 8),
        (("dirichlet", "neumann"), 4, 1.0, 1 / 4.5, 1 / 4.5),
        (("neumann", "dirichlet"), 4, 1.0, 1 / 4.5, 0.5 / 4.5),
        (("periodic", "periodic"), 4, 2.0, 0.5, 0.0),
    ],
)
def test_spacing_and_coordinates(pair, n, length, h, first):
    g = Grid(n, lengths=length, bc=[pair])
    assert g.h[0] == pytest.approx(h)
    x = g.coords[0]
    assert x[0] == pytest.approx(first)
    np.testing.assert_allclose(np.diff(x), h)
    # The last unknown sits b*h before L (a = b = 1 Dirichlet, 1/2 Neumann).
    gap = {"dirichlet": h, "neumann": h / 2, "periodic": h}[pair[1]]
    assert x[-1] + gap == pytest.approx(length)


def test_normalization_per_axis_and_pairs():
    g = Grid((3, 4, 5), lengths=(1, 2, 3), bc=["periodic", "Neumann", ("dirichlet", "neumann")])
    assert g.bc == (
        ("periodic", "periodic"),
        ("neumann", "neumann"),
        ("dirichlet", "neumann"),
    )
    assert g.shape == (3, 4, 5) and g.ndim == 3 and g.size == 60
    assert g.lengths == (1.0, 2.0, 3.0)
    # A (low, high) pair for every axis of a 3D grid.
    assert Grid((2, 2, 2), bc=("neumann", "dirichlet")).bc == (("neumann", "dirichlet"),) * 3
    # On a 2D grid a sequence of two names is per axis.
    assert Grid((2, 2), bc=("dirichlet", "neumann")).bc == (
        ("dirichlet", "dirichlet"),
        ("neumann", "neumann"),
    )


def test_mesh_matches_coords():
    g = Grid((3, 4), lengths=(1.0, 3.0), bc=["neumann", "periodic"])
    x, y = g.mesh()
    assert x.shape == y.shape == g.shape
    np.testing.assert_array_equal(x[:, 0], g.coords[0])
    np.testing.assert_array_equal(y[0], g.coords[1])


@pytest.mark.parametrize("bc, expected", [("periodic", True), ("neumann", True),
                                          ("dirichlet", False)])
def test_is_singular(bc, expected):
    assert Grid((3, 3), bc=bc).is_singular is expected
    assert Grid((3, 3), bc=[bc, "dirichlet"]).is_singular is False


def test_equality_and_repr():
    assert Grid(3) == Grid((3,), 1.0, "dirichlet")
    assert Grid(3) != Grid(3, bc="neumann")
    assert "Grid(shape=(3,)" in repr(Grid(3))


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        (dict(shape=0), ValueError, "shape"),
        (dict(shape=(3, -1)), ValueError, "shape"),
        (dict(shape=()), ValueError, "shape"),
        (dict(shape=2.5), TypeError, "shape"),
        (dict(shape=(3,), lengths=0.0), ValueError, "lengths"),
        (dict(shape=(3,), lengths=-1.0), ValueError, "lengths"),
        (dict(shape=(3,), lengths=np.nan), ValueError, "lengths"),
        (dict(shape=(3, 3), lengths=(1.0, 2.0, 3.0)), ValueError, "lengths"),
        (dict(shape=(3,), bc="diriclet"), ValueError, "bc"),
        (dict(shape=(3,), bc=("periodic", "dirichlet")), ValueError, "periodic"),
        (dict(shape=(3, 3), bc=["dirichlet", ("neumann", "periodic")]), ValueError, "periodic"),
        (dict(shape=(3, 3, 3), bc=["dirichlet"] * 4), ValueError, "bc"),
        (dict(shape=(3,), bc=5), TypeError, "bc"),
        (dict(shape=(3, 3), bc=["dirichlet", 5]), TypeError, "bc"),
    ],
)
def test_bad_input(kwargs, error, match):
    with pytest.raises(error, match=match):
        Grid(**kwargs)
