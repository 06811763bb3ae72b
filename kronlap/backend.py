"""Array-library selection: one code path for numpy and cupy.

The spectral solver, the heat propagator and the image functions are
written once against an array module ``xp`` (``numpy`` or ``cupy``, which
share numpy's API) and a transforms object from :func:`fft_transforms`;
this module is the one place that picks them:

* ``backend=None`` follows the input array: a cupy array runs on the GPU,
  anything else on numpy;
* ``backend="cupy"`` moves numpy input to the GPU and returns cupy arrays;
* ``backend="numpy"`` runs on the CPU and moves cupy input to the host.

cupy is optional and imported only when the GPU is asked for; ``cupyx``
submodules are imported lazily too (without the CUDA libraries,
``import cupyx.scipy.sparse.linalg`` fails while ``import cupy`` works).
"""

from __future__ import annotations

import importlib.util

import numpy as np

from ._transforms import ArrayAPITransforms, CupyTransforms, ScipyTransforms

__all__ = [
    "get_array_module",
    "check_backend",
    "array_module",
    "to_backend",
    "float_dtype",
    "fft_transforms",
    "sparse_modules",
    "sparse_matrix",
    "BACKENDS",
]

BACKENDS = ("numpy", "cupy")



def _is_cupy_array(x) -> bool:
    return type(x).__module__.split(".")[0] == "cupy"


def get_array_module(x):
    """The array module that ``x`` belongs to: ``cupy`` for a cupy array, else ``numpy``.

    Parameters
    ----------
    x : object
        An array (numpy, cupy) or array_like.

    Returns
    -------
    module
        ``cupy`` if ``x`` is a cupy array (cupy is then imported), else
        ``numpy``.

    Examples
    --------
    >>> import numpy as np
    >>> get_array_module(np.zeros(3)).__name__
    'numpy'
    >>> get_array_module([1.0, 2.0]).__name__
    'numpy'
    """
    if _is_cupy_array(x):
        import cupy

        return cupy
    return np


def check_backend(backend, f=None) -> str:
    """Validate ``backend`` for the array ``f``; return its name.

    Which solver methods run on the GPU is the method registry's to say
    (:data:`kronlap.solvers.REGISTRY`, each method's ``gpu``).

    Parameters
    ----------
    backend : {None, "numpy", "cupy"}
        ``None`` follows ``f``: ``"cupy"`` for a cupy array, else ``"numpy"``.
    f : array_like, optional
        The input array the backend applies to.

    Returns
    -------
    str
        ``"numpy"`` or ``"cupy"``.

    Raises
    ------
    ValueError
        Unknown backend name.
    RuntimeError
        The GPU was asked for (``backend="cupy"`` or a cupy array) but cupy
        is not installed or no GPU is visible.

    Examples
    --------
    >>> import numpy as np
    >>> check_backend(None, np.zeros(3))
    'numpy'
    >>> check_backend("torch")
    Traceback (most recent call last):
    ...
    ValueError: backend must be None, 'numpy' or 'cupy', got 'torch'
    """
    if backend is None:
        backend = "cupy" if f is not None and _is_cupy_array(f) else "numpy"
    if backend not in BACKENDS:
        raise ValueError(f"backend must be None, 'numpy' or 'cupy', got {backend!r}")
    if backend == "cupy":
        _require_gpu()
    return backend


def _require_gpu() -> None:
    if importlib.util.find_spec("cupy") is None:
        raise RuntimeError(
            "backend='cupy' needs cupy: pip install 'kronlap[gpu]' (CUDA 12) or "
            "'kronlap[gpu-cuda13]', or use backend='numpy'"
        )
    import cupy

    if not cupy.is_available():
        raise RuntimeError(
            "backend='cupy' needs a visible CUDA GPU and none was found; use backend='numpy'"
        )


def array_module(backend: str):
    """The module of a validated backend name: ``numpy`` or ``cupy``.

    Parameters
    ----------
    backend : {"numpy", "cupy"}
        As returned by :func:`check_backend`.

    Returns
    -------
    module

    Examples
    --------
    >>> array_module("numpy").__name__
    'numpy'
    """
    if backend == "cupy":
        import cupy

        return cupy
    return np


def to_backend(x, backend: str):
    """``x`` as an array of ``backend``: numpy input goes to the GPU, cupy input to the host.

    Parameters
    ----------
    x : array_like
        numpy or cupy array, or anything ``asarray`` takes.
    backend : {"numpy", "cupy"}
        As returned by :func:`check_backend`.

    Returns
    -------
    ndarray
        ``x`` itself where it already belongs to ``backend``.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.ones(2)
    >>> to_backend(x, "numpy") is x
    True
    """
    if backend == "cupy":
        import cupy

        return cupy.asarray(x)
    if _is_cupy_array(x):
        return x.get()
    return np.asarray(x)


def float_dtype(dtype, xp):
    """Working float dtype of real data of ``dtype`` on the array module ``xp``.

    float64 on numpy, as kronlap has always computed there; on the GPU,
    float32 data stay float32 (the single-precision throughput of a GPU is
    the point of running there) and everything else is float64.

    Parameters
    ----------
    dtype : dtype
        dtype of the input data.
    xp : module
        ``numpy`` or ``cupy``.

    Returns
    -------
    numpy.dtype

    Examples
    --------
    >>> import numpy as np
    >>> float_dtype(np.float32, np)
    dtype('float64')
    """
    if xp is not np and np.dtype(dtype) == np.float32:
        return np.dtype(np.float32)
    return np.dtype(np.float64)


def fft_transforms(xp):
    """The transforms of the spectral solver for arrays of module ``xp``.

    ``scipy.fft`` (native DST-I / DCT-II, ``workers`` threads) for numpy,
    ``cupyx.scipy.fft`` (cuFFT; DST-I from ``rfft``, which ``cupyx`` lacks)
    for cupy, and the ``fft`` extension of any other array-API namespace.
    Dispatch is explicit: scipy's own array-API dispatch does not route
    DCT/DST to cupy.

    Parameters
    ----------
    xp : module
        ``numpy``, ``cupy``, or an array-API namespace.

    Returns
    -------
    object
        Methods ``fft``, ``ifft``, ``rfft``, ``irfft``, ``dst1``,
        ``idst1``, ``dct2``, ``idct2``, each called as
        ``(x, axis, workers=None, overwrite=False)`` (``irfft`` with the
        output length ``n`` before ``axis``).

    Examples
    --------
    >>> import numpy as np
    >>> t = fft_transforms(np)
    >>> t.dst1(np.array([1.0, 2.0, 3.0]), axis=0).round(6)
    array([ 9.656854, -4.      ,  1.656854])
    """
    if xp is np:
        return ScipyTransforms()
    if getattr(xp, "__name__", "") == "cupy":
        import cupyx.scipy.fft

        return CupyTransforms(xp, cupyx.scipy.fft)
    return ArrayAPITransforms(xp)


def sparse_modules(xp):
    """``(sparse, sparse.linalg)`` for ``xp``: scipy's, or ``cupyx.scipy``'s for cupy.

    Parameters
    ----------
    xp : module
        ``numpy`` or ``cupy``.

    Returns
    -------
    tuple of modules

    Raises
    ------
    RuntimeError
        ``cupyx.scipy.sparse.linalg`` cannot load the CUDA libraries
        (cuBLAS, cuSPARSE).

    Examples
    --------
    >>> import numpy as np
    >>> [m.__name__ for m in sparse_modules(np)]
    ['scipy.sparse', 'scipy.sparse.linalg']
    """
    if xp is np:
        import scipy.sparse
        import scipy.sparse.linalg

        return scipy.sparse, scipy.sparse.linalg
    try:
        import cupyx.scipy.sparse
        import cupyx.scipy.sparse.linalg
    except ImportError as error:
        raise RuntimeError(
            f"cupyx.scipy.sparse.linalg could not load the CUDA libraries ({error}); "
            f"pip install 'kronlap[gpu]' brings them as wheels, or use backend='numpy'"
        ) from error
    return cupyx.scipy.sparse, cupyx.scipy.sparse.linalg


def sparse_matrix(matrix, xp):
    """A scipy sparse matrix on the array module ``xp``: itself, or a cupyx CSR copy.

    Parameters
    ----------
    matrix : scipy.sparse array or matrix
        Assembled on the host.
    xp : module
        ``numpy`` or ``cupy``.

    Returns
    -------
    sparse matrix
        ``matrix`` for numpy; a ``cupyx.scipy.sparse.csr_matrix`` on the
        GPU (copied once) for cupy.

    Examples
    --------
    >>> import numpy as np
    >>> import scipy.sparse as sp
    >>> A = sp.eye_array(3, format="csr")
    >>> sparse_matrix(A, np) is A
    True
    """
    if xp is np:
        return matrix
    sparse, _ = sparse_modules(xp)
    return sparse.csr_matrix(matrix)
