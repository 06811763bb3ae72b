"""GPU paths (cupy) against the CPU answers; skipped where cupy or a GPU is missing.

Every GPU path of issue 6 is compared with the numpy result of the same
call: the transforms (cuFFT, the DST-I built from ``rfft``), the spectral
solver (``"fft"``, ``"eig"``), ``method="cg"`` on ``cupyx.scipy.sparse``,
the exact heat propagator and the image functions, in float32 and float64
with tolerances set from the dtype.
"""

from __future__ import annotations

import numpy as np
import pytest
import scipy.fft

import kronlap as kl
from kronlap.backend import fft_transforms
from kronlap.spectral import SpectralSolver

cupy = pytest.importorskip(
    "cupy", reason="cupy is not installed (pip install 'kronlap[gpu]' to run the GPU tests)"
)
if not cupy.is_available():
    pytest.skip("cupy is installed but no CUDA GPU is visible", allow_module_level=True)

SIDES = ["dirichlet", "neumann", "periodic", ("dirichlet", "neumann")]
TOL = {np.float32: 2e-4, np.float64: 1e-10, np.complex64: 2e-4, np.complex128: 1e-10}


def sample(shape, dtype, seed=0, zero_mean=False):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(shape)
    if np.issubdtype(dtype, np.complexfloating):
        x = x + 1j * rng.standard_normal(shape)
    if zero_mean:
        x -= x.mean()
    return x.astype(dtype)


def assert_matches(gpu, cpu, dtype):
    """``gpu`` is a cupy array of ``dtype`` close to ``cpu``, relative to its size."""
    assert isinstance(gpu, cupy.ndarray), type(gpu)
    assert gpu.dtype == dtype, (gpu.dtype, dtype)
    scale = max(float(np.abs(cpu).max()), 1e-300)
    np.testing.assert_allclose(cupy.asnumpy(gpu), cpu, rtol=0, atol=TOL[dtype] * scale)


@pytest.mark.parametrize(
    "name, ref",
    [
        ("dst1", lambda x, a: scipy.fft.dst(x, type=1, axis=a)),
        ("idst1", lambda x, a: scipy.fft.idst(x, type=1, axis=a)),
        ("dct2", lambda x, a: scipy.fft.dct(x, type=2, axis=a)),
        ("idct2", lambda x, a: scipy.fft.idct(x, type=2, axis=a)),
        ("fft", lambda x, a: scipy.fft.fft(x, axis=a)),
        ("ifft", lambda x, a: scipy.fft.ifft(x, axis=a)),
    ],
)
@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.complex64, np.complex128])
@pytest.mark.parametrize("shape, axis", [((9,), 0), ((6, 10), 1), ((5, 4, 7), 0)])
def test_transforms_match_scipy(name, ref, dtype, shape, axis):
    x = sample(shape, dtype)
    out = getattr(fft_transforms(cupy), name)(cupy.asarray(x), axis)
    expected = ref(x, axis)
    out_dtype = expected.dtype if np.iscomplexobj(expected) else dtype
    assert_matches(out, expected, np.dtype(out_dtype).type)


@pytest.mark.parametrize("bc0", SIDES)
@pytest.mark.parametrize("bc1", SIDES)
@pytest.mark.parametrize("dense", [False, True])
@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.complex128])
def test_spectral_solver_2d(bc0, bc1, dense, dtype):
    g = kl.Grid((17, 12), lengths=(1.0, 1.7), bc=[bc0, bc1])
    f = sample(g.shape, dtype, zero_mean=g.is_singular)
    cpu = SpectralSolver(g, 0.0, dense=dense, tridiagonal_axis=None).solve(f)
    gpu = SpectralSolver(g, 0.0, dense=dense, xp=cupy).solve(cupy.asarray(f))
    assert_matches(gpu, cpu, dtype)


@pytest.mark.parametrize(
    "bc", ["dirichlet", "neumann", "periodic", ["periodic", ("neumann", "dirichlet"), "dirichlet"]]
)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_spectral_solver_3d_with_shift(bc, dtype):
    g = kl.Grid((8, 9, 10), bc=bc)
    f = sample(g.shape, dtype, seed=2)
    cpu = SpectralSolver(g, 5.0, tridiagonal_axis=None).solve(f)
    gpu = SpectralSolver(g, 5.0, xp=cupy).solve(cupy.asarray(f))
    assert_matches(gpu, cpu, dtype)


@pytest.mark.parametrize("method", ["fft", "eig", "cg"])
@pytest.mark.parametrize("bc", ["dirichlet", "neumann", ["periodic", "dirichlet"]])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_solve_poisson_follows_cupy_input(method, bc, dtype):
    g = kl.Grid((16, 12), bc=bc)
    f = sample(g.shape, dtype, seed=4, zero_mean=g.is_singular)
    boundary = None if g.is_singular else {(1, 0): 1.5}
    # cg iterates in float64 to a relative residual tol; a float32 right-hand
    # side of a singular problem is compatible only to float32 rounding.
    tol = 1e-10 if dtype == np.float64 else 1e-6
    cpu = kl.solve_poisson(f, g, method=method, boundary=boundary, tol=tol)
    gpu = kl.solve_poisson(cupy.asarray(f), g, method=method, boundary=boundary, tol=tol)
    assert isinstance(gpu, cupy.ndarray) and gpu.dtype == dtype
    scale = float(np.abs(cpu).max())
    # Two cg answers may differ by tol times the condition number (~100 here).
    atol = 100 * tol if method == "cg" else TOL[dtype]
    np.testing.assert_allclose(cupy.asnumpy(gpu), cpu, rtol=0, atol=atol * scale)


def test_backend_argument_moves_data():
    g = kl.Grid((10, 8))
    f = sample(g.shape, np.float64)
    on_gpu = kl.solve_poisson(f, g, backend="cupy")
    assert isinstance(on_gpu, cupy.ndarray)
    on_cpu = kl.solve_poisson(cupy.asarray(f), g, backend="numpy")
    assert isinstance(on_cpu, np.ndarray)
    np.testing.assert_allclose(cupy.asnumpy(on_gpu), on_cpu, atol=1e-12)
    solver = kl.PoissonSolver(g, backend="cupy")
    assert isinstance(solver.solve(f), cupy.ndarray)  # numpy input moved once


def test_cg_with_coefficient_on_gpu():
    g = kl.Grid((12, 12), bc="dirichlet")
    a = 1.0 + g.mesh()[0]
    f = sample(g.shape, np.float64, seed=5)
    cpu = kl.solve_poisson(f, g, coeff=a, method="cg")
    gpu = kl.solve_poisson(cupy.asarray(f), g, coeff=a, method="cg")
    np.testing.assert_allclose(cupy.asnumpy(gpu), cpu, rtol=0, atol=1e-7 * np.abs(cpu).max())


@pytest.mark.parametrize("method", ["multigrid", "direct"])
def test_methods_without_gpu_path_say_so(method):
    g = kl.Grid((8, 8))
    with pytest.raises(ValueError, match="no GPU path"):
        kl.solve_poisson(cupy.zeros(g.shape), g, method=method)


@pytest.mark.parametrize(
    "bc, boundary",
    [
        ("dirichlet", {(0, 0): 1.0, (1, 1): -0.5}),
        ("neumann", {(0, 1): 0.3}),  # unbalanced flux: the mean drifts
        (["periodic", ("dirichlet", "neumann")], None),
    ],
)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_exact_heat(bc, boundary, dtype):
    g = kl.Grid((14, 11), bc=bc)
    u0 = sample(g.shape, dtype, seed=6)
    times = [0.0, 0.01, 0.1]
    cpu = kl.solve_heat(u0, g, times, boundary=boundary)
    gpu = kl.solve_heat(cupy.asarray(u0), g, times, boundary=boundary)
    assert_matches(gpu, cpu, dtype)


@pytest.mark.parametrize("shape", [(20, 16), (20, 16, 3)])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_image_smooth_and_denoise(shape, dtype):
    image = sample(shape, dtype, seed=7)
    for function, strength in ((kl.image.smooth, 2.0), (kl.image.denoise, 5.0)):
        cpu = function(image, strength)
        gpu = function(cupy.asarray(image), strength)
        assert_matches(gpu, cpu, dtype)
        assert isinstance(function(image, strength, backend="cupy"), cupy.ndarray)


def test_uint8_image_reads_as_float64_on_gpu():
    image = (np.arange(48, dtype=np.uint8) * 5).reshape(6, 8)
    gpu = kl.image.smooth(cupy.asarray(image), 1.0)
    assert_matches(gpu, kl.image.smooth(image, 1.0), np.float64)


def test_inputs_are_not_modified():
    g = kl.Grid((9, 9), bc="neumann")
    f = cupy.asarray(sample(g.shape, np.float64, zero_mean=True))
    before = f.copy()
    kl.solve_poisson(f, g)
    kl.solve_heat(f, g, 0.1)
    kl.image.smooth(f, 1.0)
    kl.image.denoise(f, 1.0)
    assert bool((f == before).all())
