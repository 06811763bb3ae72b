import numpy as np
import pytest
from scipy.linalg import expm
from scipy.sparse.linalg import LaplacianNd

import kronlap as kl
from kronlap.spectral import SpectralSolver

SIDES = ["dirichlet", "neumann", "periodic", ("dirichlet", "neumann"), ("neumann", "dirichlet")]


def unit_grid(shape, bc):
    extra = {"dirichlet": 1, "neumann": 0, "periodic": 0}[bc]
    return kl.Grid(shape, lengths=[n + extra for n in shape], bc=bc)


@pytest.mark.parametrize("bc", ["dirichlet", "neumann", "periodic"])
@pytest.mark.parametrize("shape", [(7,), (4, 6), (3, 4, 5)])
def test_eigenvalues_match_laplacian_nd(bc, shape):
    ours = np.sort(kl.eigenvalues(unit_grid(shape, bc)).ravel())
    ref = np.sort(LaplacianNd(shape, boundary_conditions=bc).eigenvalues())
    np.testing.assert_allclose(ours, ref, atol=1e-12)


@pytest.mark.parametrize("bc0", SIDES)
@pytest.mark.parametrize("bc1", SIDES)
def test_eigenvalues_match_eigvalsh_of_assembled_matrix(bc0, bc1):
    g = kl.Grid((5, 4), lengths=(1.3, 0.7), bc=[bc0, bc1])
    ours = np.sort(kl.eigenvalues(g).ravel())
    ref = np.linalg.eigvalsh(kl.laplacian(g).toarray())
    np.testing.assert_allclose(ours, ref, rtol=1e-12, atol=1e-9)


@pytest.mark.parametrize("pair", [("dirichlet", "dirichlet"), ("neumann", "neumann"),
                                  ("dirichlet", "neumann"), ("neumann", "dirichlet")])
@pytest.mark.parametrize("n", [1, 2, 6])
def test_axis_eigenvalues_are_in_transform_order(pair, n):
    """The fast transform's output is in the order of axis_eigenvalues."""
    h = 0.3
    A = kl.second_difference(n, h, pair).toarray()
    t = kl.AxisTransform(n, h, pair)
    V = t.inverse(np.eye(n), axis=0)  # columns: eigenvectors in transform order
    np.testing.assert_allclose(A @ V, V * kl.axis_eigenvalues(n, h, pair), atol=1e-9)


def test_periodic_eigenvalues_are_fft_of_first_column():
    n, h = 8, 0.25
    A = kl.second_difference(n, h, "periodic").toarray()
    lam = kl.axis_eigenvalues(n, h, ("periodic", "periodic"))
    np.testing.assert_allclose(lam, np.fft.fft(A[:, 0]).real, atol=1e-12)
    # FFT order: mode k is exp(2 pi i j k / n).
    j = np.arange(n)
    for k in range(n):
        mode = np.exp(2j * np.pi * j * k / n)
        np.testing.assert_allclose(A @ mode, lam[k] * mode, atol=1e-10)


def test_eigenvalues_layout_sums_axes():
    g = kl.Grid((3, 4), lengths=(1.0, 2.0), bc=["periodic", ("neumann", "dirichlet")])
    lam0 = kl.axis_eigenvalues(3, g.h[0], g.bc[0])
    lam1 = kl.axis_eigenvalues(4, g.h[1], g.bc[1])
    np.testing.assert_allclose(kl.eigenvalues(g), lam0[:, None] + lam1[None, :])


@pytest.mark.parametrize("bc", SIDES)
@pytest.mark.parametrize("dense", [False, True])
def test_apply_function_is_matrix_function(bc, dense):
    g = kl.Grid((4, 5), lengths=(1.0, 1.5), bc=[bc, "periodic"])
    rng = np.random.default_rng(0)
    x = rng.standard_normal(g.shape)
    solver = SpectralSolver(g, dense=dense, tridiagonal_axis=None)
    out = solver.apply_function(x.copy(), lambda lam: np.exp(0.01 * lam))
    ref = expm(0.01 * kl.laplacian(g).toarray()) @ x.ravel()
    np.testing.assert_allclose(out.ravel(), ref, atol=1e-12)


def test_tridiagonal_axis_choice():
    # Large enough that the sweep's per-step overhead is amortized.
    g = kl.Grid((511, 600), bc=["dirichlet", ("dirichlet", "neumann")])
    assert SpectralSolver(g).tridiagonal_axis == 1  # the dense eigenbasis is costlier
    g = kl.Grid((256, 255), bc="dirichlet")  # DST-I of 256 uses length 514 = 2 * 257
    assert SpectralSolver(g).tridiagonal_axis == 0
    g = kl.Grid((255, 256), bc="dirichlet")
    assert SpectralSolver(g).tridiagonal_axis == 1
    # Cheap transforms on a small grid: not worth a Python-level sweep.
    assert SpectralSolver(kl.Grid((31, 31), bc="dirichlet")).tridiagonal_axis is None
    assert SpectralSolver(kl.Grid((8, 8), bc="periodic")).tridiagonal_axis is None
    # Singular grids too: the one singular line is grounded, then centred.
    assert SpectralSolver(kl.Grid((2048, 64), bc="neumann")).tridiagonal_axis == 1
    assert SpectralSolver(kl.Grid((2048, 64), bc="neumann"),
                          shift=-1.0).tridiagonal_axis is None


@pytest.mark.parametrize("bc", [["neumann", "neumann", "periodic"], ["periodic", "neumann"],
                                ["neumann"]])
def test_singular_tridiagonal_sweep_gives_zero_mean_solution(bc):
    g = kl.Grid((6, 7, 4)[: len(bc)], bc=bc)
    solver = SpectralSolver(g, tridiagonal_axis=[pair[0] for pair in g.bc].index("neumann"))
    f = np.random.default_rng(1).standard_normal(g.shape)
    f -= f.mean()
    u = solver.solve(f.copy())
    assert abs(u.mean()) < 1e-13
    np.testing.assert_allclose((kl.laplacian(g) @ u.ravel()).reshape(g.shape), f, atol=1e-11)


def test_dense_eigenbasis_refuses_huge_axis():
    with pytest.raises(MemoryError, match="GiB"):
        kl.AxisTransform(2_000_000, 1.0, ("dirichlet", "neumann"))


@pytest.mark.parametrize("bc", [["periodic", "dirichlet"], ["periodic", "periodic", "neumann"],
                                ["neumann", "periodic", ("dirichlet", "neumann")]])
def test_real_data_stay_real_until_the_fft(bc, monkeypatch):
    """Real-to-real transforms run before any FFT, on real data."""
    g = kl.Grid((6, 5, 4)[: len(bc)], bc=bc)
    solver = SpectralSolver(g, tridiagonal_axis=None)
    seen = []
    for t in solver.axes:
        original = t.forward

        def spy(x, axis, workers=None, overwrite=False, _original=original, _kind=t.kind):
            seen.append((_kind, np.iscomplexobj(x)))
            return _original(x, axis, workers, overwrite)

        monkeypatch.setattr(t, "forward", spy)
    solver.forward(np.random.default_rng(0).standard_normal(g.shape))
    for kind, was_complex in seen:
        if kind != "fft":
            assert not was_complex, seen
