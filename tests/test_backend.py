"""Tests for kronlap.backend and the backend-agnostic transforms; they run without a GPU.

The GPU's DST-I is built from an odd extension and ``rfft`` and the
array-API DCT-II from an even extension (``kronlap._transforms``): both are
checked here against ``scipy.fft``'s native transforms, on numpy and on
``array_api_strict`` (a namespace with nothing beyond the array API
standard), and inside the full spectral solver on numpy. Backend selection
and its error messages are checked with stand-in ``cupy`` modules.
"""

from __future__ import annotations

import importlib.machinery
import importlib.util
import sys
import types

import numpy as np
import pytest
import scipy.fft
import scipy.sparse as sp
import scipy.sparse.linalg as spla

import kronlap as kl
from kronlap import backend
from kronlap._transforms import ArrayAPITransforms, ScipyTransforms
from kronlap.spectral import SpectralSolver

try:
    import array_api_strict
except ImportError:  # optional: the numpy runs still test the formulas
    array_api_strict = None

NAMESPACES = [
    pytest.param(np, id="numpy"),
    pytest.param(
        array_api_strict,
        id="array_api_strict",
        marks=pytest.mark.skipif(array_api_strict is None, reason="array_api_strict missing"),
    ),
]

REFERENCES = {
    "dst1": lambda x, axis: scipy.fft.dst(x, type=1, axis=axis),
    "idst1": lambda x, axis: scipy.fft.idst(x, type=1, axis=axis),
    "dct2": lambda x, axis: scipy.fft.dct(x, type=2, axis=axis),
    "idct2": lambda x, axis: scipy.fft.idct(x, type=2, axis=axis),
}

RTOL = {np.float32: 1e-5, np.float64: 1e-12, np.complex64: 1e-5, np.complex128: 1e-12}


def sample(shape, dtype, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(shape)
    if np.issubdtype(dtype, np.complexfloating):
        x = x + 1j * rng.standard_normal(shape)
    return x.astype(dtype)


@pytest.mark.parametrize("xp", NAMESPACES)
@pytest.mark.parametrize("name", sorted(REFERENCES))
@pytest.mark.parametrize(
    "shape, axis", [((1,), 0), ((2,), 0), ((9,), 0), ((5, 8), 1), ((4, 7, 3), 0), ((4, 7, 3), -2)]
)
@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.complex128, np.complex64])
def test_extension_transforms_match_scipy(xp, name, shape, axis, dtype):
    x = sample(shape, dtype)
    out = getattr(ArrayAPITransforms(xp), name)(xp.asarray(x), axis)
    assert out.dtype == xp.asarray(x).dtype  # precision kept, real stays real
    ref = REFERENCES[name](x.astype(np.complex128 if np.iscomplexobj(x) else np.float64), axis)
    scale = np.abs(ref).max()
    np.testing.assert_allclose(np.asarray(out), ref, rtol=0, atol=RTOL[dtype] * scale * 10)


@pytest.mark.parametrize("xp", NAMESPACES)
def test_extension_transforms_leave_input_alone(xp):
    x = sample((6, 5), np.float64)
    before = x.copy()
    transforms = ArrayAPITransforms(xp)
    for name in REFERENCES:
        getattr(transforms, name)(xp.asarray(x), 0, overwrite=True)
    np.testing.assert_array_equal(x, before)


@pytest.mark.parametrize(
    "bc", ["dirichlet", "neumann", "periodic", ("dirichlet", "neumann"), ["neumann", "periodic"]]
)
@pytest.mark.parametrize("dense", [False, True])
@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.complex128])
def test_spectral_solver_with_extension_transforms(bc, dense, dtype):
    """The GPU's transform formulas inside the whole solver, run on numpy."""
    g = kl.Grid((7, 6), lengths=(1.0, 1.3), bc=bc)
    solver = SpectralSolver(g, shift=2.0, dense=dense, tridiagonal_axis=None)
    for t in solver.axes:
        t._fft = ArrayAPITransforms(np)
    f = sample(g.shape, dtype, seed=3)
    u = solver.solve(f)
    assert u.dtype == f.dtype
    A = (kl.laplacian(g) - 2.0 * sp.eye_array(g.size)).tocsc()
    ref = spla.spsolve(A, f.ravel().astype(np.complex128 if np.iscomplexobj(f) else np.float64))
    tol = 1e-4 if dtype == np.float32 else 1e-11
    np.testing.assert_allclose(u.ravel(), ref, rtol=0, atol=tol * np.abs(ref).max())


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_dense_axis_keeps_the_data_precision(dtype):
    t = kl.AxisTransform(6, 0.5, ("dirichlet", "neumann"))
    x = sample((4, 6), dtype)
    assert t.forward(x, axis=1).dtype == dtype
    np.testing.assert_allclose(
        t.inverse(t.forward(x, axis=1), axis=1), x, rtol=RTOL[dtype] * 10, atol=RTOL[dtype] * 10
    )


def test_get_array_module_and_to_backend_on_numpy():
    x = np.arange(3.0)
    assert backend.get_array_module(x) is np
    assert backend.get_array_module([1, 2]) is np
    assert backend.to_backend(x, "numpy") is x
    assert isinstance(backend.to_backend([1.0, 2.0], "numpy"), np.ndarray)
    assert backend.array_module("numpy") is np


def test_float_dtype_policy():
    assert backend.float_dtype(np.float32, np) == np.float64  # numpy: as before
    assert backend.float_dtype(np.int16, np) == np.float64
    device = types.ModuleType("device")  # any array module other than numpy
    assert backend.float_dtype(np.float32, device) == np.float32
    assert backend.float_dtype(np.float64, device) == np.float64
    assert backend.float_dtype(np.uint8, device) == np.float64


def test_fft_transforms_dispatch():
    assert isinstance(backend.fft_transforms(np), ScipyTransforms)
    if array_api_strict is not None:
        assert isinstance(backend.fft_transforms(array_api_strict), ArrayAPITransforms)


def test_sparse_modules_on_numpy():
    sparse, linalg = backend.sparse_modules(np)
    assert sparse is sp and linalg is spla


@pytest.mark.parametrize("bad", ["torch", "gpu", 0])
def test_unknown_backend_is_named(bad):
    with pytest.raises(ValueError, match="backend must be None, 'numpy' or 'cupy'"):
        backend.check_backend(bad)


def test_numpy_backend_checks_no_gpu():
    assert backend.check_backend(None) == "numpy"
    assert backend.check_backend("numpy", np.zeros(2)) == "numpy"


# --- stand-ins for cupy: not installed, installed without a GPU, with a GPU ---


@pytest.fixture
def no_cupy(monkeypatch):
    find_spec = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util,
        "find_spec",
        lambda name, *a: None if name == "cupy" else find_spec(name, *a),
    )


def fake_cupy(monkeypatch, available):
    module = types.ModuleType("cupy")
    module.__spec__ = importlib.machinery.ModuleSpec("cupy", None)
    module.is_available = lambda: available
    monkeypatch.setitem(sys.modules, "cupy", module)
    return module


def test_cupy_missing_says_how_to_install(no_cupy):
    with pytest.raises(RuntimeError, match=r"pip install 'kronlap\[gpu\]'.*backend='numpy'"):
        backend.check_backend("cupy")
    with pytest.raises(RuntimeError, match="needs cupy"):
        kl.image.smooth(np.zeros((4, 4)), 1.0, backend="cupy")
    with pytest.raises(RuntimeError, match="needs cupy"):
        kl.solve_heat(np.zeros(5), kl.Grid(5), 0.1, backend="cupy")


def test_no_visible_gpu_says_so(monkeypatch):
    fake_cupy(monkeypatch, available=False)
    with pytest.raises(RuntimeError, match="visible CUDA GPU.*backend='numpy'"):
        backend.check_backend("cupy")
    with pytest.raises(RuntimeError, match="visible CUDA GPU"):
        kl.image.denoise(np.zeros((4, 4)), 1.0, backend="cupy")


@pytest.mark.parametrize("method", ["multigrid", "direct", "gmg"])
def test_method_without_gpu_path(monkeypatch, method):
    fake_cupy(monkeypatch, available=True)
    with pytest.raises(ValueError, match=rf"method='{method}' has no GPU path.*backend='numpy'"):
        kl.PoissonSolver(kl.Grid((8, 8)), method=method, backend="cupy")


def test_the_registry_says_which_methods_run_on_the_gpu():
    from kronlap.solvers import REGISTRY
    from kronlap.solvers.problem import Problem

    device = types.SimpleNamespace(__name__="cupy")
    on_gpu = Problem(kl.Grid((8, 8)), 0.0, None, None, device, 1e-8)
    able = {name for name, method in REGISTRY.items() if method.refusal(on_gpu) is None}
    declared = {name for name, method in REGISTRY.items() if method.gpu}
    assert able == declared == {"fft", "eig", "cg"}


@pytest.mark.parametrize("method", ["crank_nicolson", "backward_euler"])
def test_heat_stepping_has_no_gpu_path(monkeypatch, method):
    fake_cupy(monkeypatch, available=True)
    with pytest.raises(ValueError, match="no GPU path.*method='exact'"):
        kl.solve_heat(np.zeros(5), kl.Grid(5), 0.1, method=method, dt=0.01, backend="cupy")
    with pytest.raises(ValueError, match="no GPU path"):  # "auto" with coeff steps
        kl.solve_heat(np.zeros(5), kl.Grid(5), 0.1, dt=0.01, coeff=np.ones(5), backend="cupy")


def test_edge_preserving_has_no_gpu_path():
    with pytest.raises(ValueError, match="no GPU path.*backend='numpy'"):
        kl.image.edge_preserving(np.zeros((4, 4)), backend="cupy")


def test_spectral_solver_options_that_are_cpu_only():
    g = kl.Grid((6, 5))
    device = types.ModuleType("device")  # refused before any array is made
    with pytest.raises(ValueError, match="tridiagonal_axis.*CPU only"):
        SpectralSolver(g, tridiagonal_axis=0, xp=device)
    with pytest.raises(ValueError, match="fft_backend"):
        SpectralSolver(g, fft_backend=scipy.fft, xp=device)


def test_auto_picks_no_sweep_off_the_host():
    """On the GPU "auto" transforms every axis (the sweep is a CPU path)."""
    if array_api_strict is None:
        pytest.skip("array_api_strict missing")
    g = kl.Grid((256, 255), bc="dirichlet")  # numpy picks a sweep here
    assert SpectralSolver(g).tridiagonal_axis == 0
    assert SpectralSolver(g, xp=array_api_strict).tridiagonal_axis is None


# --- the device code path on a stand-in for cupy -------------------------------------
#
# A numpy-backed module named "cupy" whose arrays are an ndarray subclass that
# kronlap's dispatch takes for cupy arrays, and a "cupyx.scipy.fft" that, like
# cupyx, has no DST-I and refuses host arrays. It runs the code that a GPU runs
# (module selection, dtype policy, data moves, the DST-I from rfft) and checks
# that results come back as device arrays; it cannot check cupy itself, which
# tests/test_gpu.py does on a GPU.


class DeviceArray(np.ndarray):
    def get(self):
        return np.asarray(self).view(np.ndarray).copy()


DeviceArray.__module__ = "cupy"


def _to_device(value):
    if isinstance(value, np.ndarray) and not isinstance(value, DeviceArray):
        return value.view(DeviceArray)
    return value


def _device_fft(name):
    def transform(x, n=None, axis=-1, norm=None, overwrite_x=False, *, type=None):
        assert isinstance(x, DeviceArray), f"a host array reached the device {name}"
        options = {} if type is None else {"type": type}
        if name in ("dct", "idct") and type not in (2, 3):
            raise NotImplementedError("like cupyx: DCT types 2 and 3 only")
        out = getattr(scipy.fft, name)(x.view(np.ndarray), n=n, axis=axis, **options)
        return _to_device(out)

    return transform


@pytest.fixture
def device(monkeypatch):
    """The stand-in ``cupy`` module, installed in ``sys.modules`` for one test."""
    cupy = types.ModuleType("cupy")
    cupy.__spec__ = importlib.machinery.ModuleSpec("cupy", None)
    cupy.ndarray = DeviceArray
    cupy.is_available = lambda: True
    cupy.asarray = lambda x, dtype=None: _to_device(np.asarray(x, dtype=dtype))
    cupy.array = lambda x, dtype=None, order="K": _to_device(np.array(x, dtype=dtype, order=order))
    cupy.asnumpy = lambda x: np.asarray(x).view(np.ndarray).copy()

    def numpy_function(name):
        function = getattr(np, name)
        if not callable(function) or isinstance(function, type):
            return function
        return lambda *args, **kwargs: _to_device(function(*args, **kwargs))

    cupy.__getattr__ = numpy_function
    fft = types.ModuleType("cupyx.scipy.fft")
    for name in ("fft", "ifft", "rfft", "irfft", "dct", "idct"):
        setattr(fft, name, _device_fft(name))
    cupyx, cupyx_scipy = types.ModuleType("cupyx"), types.ModuleType("cupyx.scipy")
    cupyx.scipy, cupyx_scipy.fft = cupyx_scipy, fft
    for name, module in [
        ("cupy", cupy),
        ("cupyx", cupyx),
        ("cupyx.scipy", cupyx_scipy),
        ("cupyx.scipy.fft", fft),
    ]:
        monkeypatch.setitem(sys.modules, name, module)
    return cupy


def assert_on_device(out, dtype, reference, rtol):
    assert type(out) is DeviceArray, type(out)
    assert out.dtype == dtype
    scale = np.abs(reference).max()
    np.testing.assert_allclose(out.view(np.ndarray), reference, rtol=0, atol=rtol * scale)


@pytest.mark.parametrize(
    "bc", ["dirichlet", "neumann", "periodic", ["periodic", ("dirichlet", "neumann"), "dirichlet"]]
)
@pytest.mark.parametrize("dense", [False, True])
@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.complex128])
def test_device_spectral_solver(device, bc, dense, dtype):
    g = kl.Grid((6, 5, 7), lengths=(1.0, 1.2, 0.8), bc=bc)
    f = sample(g.shape, dtype, seed=8)
    if g.is_singular:
        f -= f.mean()
    solver = SpectralSolver(g, dense=dense, xp=device)
    assert solver.tridiagonal_axis is None
    ref = SpectralSolver(g, dense=dense, tridiagonal_axis=None).solve(f.astype(np.complex128))
    assert_on_device(solver.solve(device.asarray(f)), dtype, ref, 10 * RTOL[dtype])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_device_exact_heat(device, dtype):
    g = kl.Grid((9, 8), bc=["neumann", ("dirichlet", "neumann")])
    u0 = sample(g.shape, dtype, seed=9)
    boundary = {(0, 0): 0.5, (1, 0): 1.0}
    ref = kl.solve_heat(u0.astype(np.float64), g, [0.0, 0.05], boundary=boundary)
    out = kl.solve_heat(device.asarray(u0), g, [0.0, 0.05], boundary=boundary)
    assert_on_device(out, dtype, ref, 10 * RTOL[dtype])
    moved = kl.solve_heat(u0, g, 0.05, boundary=boundary, backend="cupy")
    assert_on_device(moved, dtype, ref[1], 10 * RTOL[dtype])
    back = kl.solve_heat(device.asarray(u0), g, 0.05, boundary=boundary, backend="numpy")
    assert type(back) is np.ndarray and back.dtype == np.float64


@pytest.mark.parametrize("shape", [(12, 10), (12, 10, 3)])
@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.uint8])
def test_device_image_functions(device, shape, dtype):
    image = (np.random.default_rng(10).random(shape) * 200).astype(dtype)
    expected = np.float64 if dtype == np.uint8 else dtype  # float32 stays float32
    for function, strength in ((kl.image.smooth, 1.5), (kl.image.denoise, 4.0)):
        ref = function(image, strength)
        assert_on_device(function(device.asarray(image), strength), expected, ref, 1e-5)
        assert type(function(image, strength, backend="cupy")) is DeviceArray
        back = function(device.asarray(image), strength, backend="numpy")
        assert type(back) is np.ndarray
        np.testing.assert_allclose(back, ref)
    with pytest.raises(ValueError, match="no GPU path"):
        kl.image.edge_preserving(device.asarray(image))


def test_device_input_is_not_modified(device):
    g = kl.Grid((7, 6), bc="neumann")
    f = device.asarray(sample(g.shape, np.float64))
    before = f.copy()
    SpectralSolver(g, xp=device).solve(f - f.mean())
    kl.solve_heat(f, g, 0.1)
    kl.image.smooth(f, 1.0)
    kl.image.denoise(f, 1.0)
    np.testing.assert_array_equal(f, before)


@pytest.mark.parametrize("varying", [False, True])
def test_device_geometric_multigrid(device, varying):
    """The whole hierarchy and every cycle stay on the device (both kinds of levels)."""
    g = kl.Grid((33, 24), bc=["dirichlet", "periodic"])
    coeff = 1.0 + 99.0 * (np.add.outer(np.arange(33) // 8, np.arange(24) // 8) % 2)
    a = coeff if varying else None
    f = sample(g.shape, np.float64, seed=12)
    host, _, _ = kl.GeometricMultigrid(g, shift=1.0, coeff=a).solve(f)
    mg = kl.GeometricMultigrid(g, shift=1.0, coeff=a, backend="cupy")
    expected = "galerkin" if varying else "rediscretized"
    assert mg.info["coarse_operators"] == expected
    with mg._workspace() as work:
        assert all(type(level.u) is DeviceArray for level in work.levels)
    assert type(mg._coarsest_inverse) is DeviceArray
    u, _, residual = mg.solve(device.asarray(f))
    assert residual <= 1e-10
    assert_on_device(u, np.float64, host, 1e-9)
    assert type(mg.precondition(device.asarray(f))) is DeviceArray
