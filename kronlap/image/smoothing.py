"""Image smoothing and denoising by heat flow, Tikhonov and Perona-Malik diffusion."""

from __future__ import annotations

import numpy as np

from .._validation import check_count, check_nonnegative
from ..backend import check_backend, float_dtype, get_array_module, to_backend
from ..grid import Grid
from ..solvers import PoissonSolver
from ..spectral import SpectralSolver

__all__ = ["smooth", "denoise", "edge_preserving", "pixel_grid", "as_float_image"]


def pixel_grid(shape) -> Grid:
    """The Neumann grid of an image with spacing one pixel.

    Parameters
    ----------
    shape : tuple of int
        ``(H, W)`` or ``(H, W, C)``; the channel axis is not part of the grid.

    Returns
    -------
    Grid
        ``Grid((H, W), lengths=(H, W), bc="neumann")``.

    Examples
    --------
    >>> pixel_grid((4, 6, 3)).h
    (1.0, 1.0)
    """
    height, width = shape[:2]
    return Grid((height, width), lengths=(float(height), float(width)), bc="neumann")


def as_float_image(image, name: str = "image") -> np.ndarray:
    """Validate a gray ``(H, W)`` or color ``(H, W, C)`` image; return it as float64.

    Integers are divided by their dtype's maximum (``uint8`` 255 becomes
    1.0; signed types then span about ``[-1, 1]``, as in
    ``skimage.img_as_float``), booleans become 0.0 / 1.0, floats are kept
    as they are. The result is a new array, of the image's array library
    (a cupy image stays on the GPU, where float32 stays float32).

    Parameters
    ----------
    image : array_like
        The image.
    name : str, optional
        Argument name used in error messages.

    Returns
    -------
    ndarray of float64

    Raises
    ------
    TypeError
        Non-numeric or complex data.
    ValueError
        Not 2 or 3 dimensional, empty, or containing NaN or inf.

    Examples
    --------
    >>> as_float_image(np.array([[0, 51], [255, 102]], dtype=np.uint8))
    array([[0. , 0.2],
           [1. , 0.4]])
    """
    xp = get_array_module(image)
    arr = xp.asarray(image)
    if arr.dtype == bool:
        arr = arr.astype(np.float64)
    if not np.issubdtype(arr.dtype, np.number):
        raise TypeError(f"{name} must be a numeric array, got dtype {arr.dtype}")
    if xp.iscomplexobj(arr):
        raise TypeError(f"{name} must be real, got a complex array")
    if arr.ndim not in (2, 3):
        raise ValueError(
            f"{name} must be a gray (H, W) or color (H, W, C) array, got shape {arr.shape}"
        )
    if arr.size == 0:
        raise ValueError(f"{name} must not be empty, got shape {arr.shape}")
    if np.issubdtype(arr.dtype, np.integer):
        return arr.astype(np.float64) / np.iinfo(arr.dtype).max
    if not xp.all(xp.isfinite(arr)):
        raise ValueError(f"{name} contains NaN or inf")
    return xp.array(arr, dtype=float_dtype(arr.dtype, xp))


def smooth(image, t: float, *, backend: str | None = None) -> np.ndarray:
    """Heat flow ``exp(t Delta_h) image`` with reflecting borders: a blur of ``sigma = sqrt(2 t)``.

    Applies the exact propagator of ``u_t = Delta_h u`` (Neumann, one-pixel
    spacing) through the 2D DCT-II. This is the discrete counterpart of a
    Gaussian blur of standard deviation ``sqrt(2 t)`` pixels with
    ``mode="reflect"``: its kernel (a product of modified Bessel functions,
    ``exp(-2 t) I_k(2 t)`` per axis) has exactly that variance, is positive
    and preserves the mean, so ``t = sigma**2 / 2`` gives nearly the same
    blur.

    Parameters
    ----------
    image : array_like
        Gray ``(H, W)`` or color ``(H, W, C)``; integers are read as
        ``[0, 1]`` floats.
    t : float
        Diffusion time in pixels squared, ``>= 0``.
    backend : {None, "numpy", "cupy"}, optional
        ``None`` follows ``image`` (a cupy image is smoothed on the GPU);
        ``"cupy"`` moves a numpy image to the GPU, ``"numpy"`` a cupy image
        to the host.

    Returns
    -------
    ndarray of float64
        Same shape as ``image``, of the array library of ``backend`` (on
        the GPU a float32 image stays float32).

    Raises
    ------
    TypeError
        Non-numeric ``image`` or ``t``.
    ValueError
        Bad ``image`` shape, NaN or inf, or negative ``t``.
    RuntimeError
        The GPU was asked for without cupy or a visible GPU.

    See Also
    --------
    kronlap.solve_heat : the heat equation on any grid.
    scipy.ndimage.gaussian_filter : the continuous-kernel blur.

    Examples
    --------
    >>> import numpy as np
    >>> from kronlap import image
    >>> spot = np.zeros((41, 41))
    >>> spot[20, 20] = 1.0
    >>> blurred = image.smooth(spot, 4.5)          # sigma = 3 pixels
    >>> round(float(blurred.sum()), 12)            # heat is conserved
    1.0
    >>> i = np.arange(41) - 20
    >>> round(float((blurred.sum(axis=1) * i**2).sum()), 6)   # variance 2 t
    9.0
    """
    data = as_float_image(to_backend(image, check_backend(backend, image)))
    t = check_nonnegative(t, "t")
    if t == 0:
        return data
    xp = get_array_module(data)
    propagator = SpectralSolver(pixel_grid(data.shape), tridiagonal_axis=None, workers=-1, xp=xp)

    def decay(lam):
        return xp.exp(t * lam)

    for channel in _channels(data):
        channel[...] = propagator.apply_function(channel.copy(), decay)
    return data


def denoise(image, weight: float, *, backend: str | None = None) -> np.ndarray:
    """Tikhonov smoothing: solve ``(I - weight Delta_h) u = image`` with reflecting borders.

    ``u`` minimizes ``||u - image||^2 + weight ||grad_h u||^2``, the
    quadratic (``H^1``) penalty of Tikhonov regularization; it is also one
    backward Euler step of the heat flow with ``dt = weight``. Solved
    exactly by the DCT: each DCT coefficient is divided by
    ``1 - weight * lambda`` (``lambda <= 0`` the eigenvalues of
    ``Delta_h``), which stays finite for every weight, however small or
    large (the form ``(Delta_h - s) u = -s image`` with ``s = 1 / weight``
    would overflow for a weight below ``1 / finfo(float64).max``).

    Parameters
    ----------
    image : array_like
        Gray ``(H, W)`` or color ``(H, W, C)``; integers are read as
        ``[0, 1]`` floats.
    weight : float
        Smoothing weight in pixels squared, ``>= 0`` (0 returns the image).
    backend : {None, "numpy", "cupy"}, optional
        As in :func:`smooth`.

    Returns
    -------
    ndarray of float64
        Same shape as ``image``, of the array library of ``backend`` (on
        the GPU a float32 image stays float32).

    Raises
    ------
    TypeError
        Non-numeric ``image`` or ``weight``.
    ValueError
        Bad ``image`` shape, NaN or inf, or negative ``weight``.
    RuntimeError
        The GPU was asked for without cupy or a visible GPU.

    Examples
    --------
    >>> import numpy as np
    >>> from kronlap import image
    >>> noisy = np.random.default_rng(0).normal(0.5, 0.1, size=(64, 64))
    >>> clean = image.denoise(noisy, 10.0)
    >>> bool(clean.std() < 0.3 * noisy.std())
    True
    >>> bool(np.isclose(clean.mean(), noisy.mean()))     # mean is kept
    True
    """
    data = as_float_image(to_backend(image, check_backend(backend, image)))
    weight = check_nonnegative(weight, "weight")
    if weight == 0:
        return data
    xp = get_array_module(data)
    propagator = SpectralSolver(pixel_grid(data.shape), tridiagonal_axis=None, workers=-1, xp=xp)

    def inverse(lam):
        # 1 / (1 - weight lam) in [0, 1]: weight * lam may overflow to -inf
        # (a huge weight), which gives the limit 0; a tiny weight gives 1.
        with np.errstate(over="ignore"):
            return 1.0 / (1.0 - weight * lam)

    for channel in _channels(data):
        channel[...] = propagator.apply_function(channel.copy(), inverse)
    return data


def edge_preserving(
    image,
    t: float = 10.0,
    *,
    contrast: float = 0.05,
    steps: int = 10,
    sigma: float = 1.0,
    tol: float = 1e-8,
    backend: str | None = None,
) -> np.ndarray:
    """Perona-Malik diffusion ``u_t = div(g(|grad u_sigma|) grad u)`` by semi-implicit steps.

    The diffusivity ``g(s) = 1 / (1 + (s / contrast)**2)`` is close to 1
    in flat regions and small across edges, whose gradient exceeds
    ``contrast``: noise is smoothed, edges are kept. Following Catte,
    Lions, Morel and Coll, the gradient is taken of a blurred copy
    ``u_sigma = smooth(u, sigma**2 / 2)``, which makes the problem
    well posed and keeps single noisy pixels from passing as edges. Each
    of the ``steps`` steps (``dt = t / steps``) freezes ``g`` and solves
    ``(I - dt div(g grad)) u_{n+1} = u_n`` with reflecting borders, a
    variable-coefficient problem (:class:`~kronlap.PoissonSolver` with
    ``coeff=g``), well conditioned for moderate ``dt`` and solved by
    Jacobi-preconditioned conjugate gradients from the previous step's
    image; the scheme is unconditionally stable and keeps the mean and the
    range of the image.

    Parameters
    ----------
    image : array_like
        Gray ``(H, W)`` or color ``(H, W, C)``; integers are read as
        ``[0, 1]`` floats.
    t : float, optional
        Diffusion time in pixels squared, ``>= 0`` (0 returns the image).
    contrast : float, optional
        Edge threshold ``K`` in image units per pixel, ``> 0``.
    steps : int, optional
        Number of semi-implicit steps, ``>= 1``.
    sigma : float, optional
        Blur (pixels) of the copy whose gradient sets ``g``; ``>= 0``.
    tol : float, optional
        Relative residual of each step's solve.
    backend : {None, "numpy"}, optional
        The variable-coefficient solves run on the host: a cupy image needs
        ``backend="numpy"``, which moves it to the host.

    Returns
    -------
    ndarray of float64
        Same shape as ``image``.

    Raises
    ------
    TypeError
        Non-numeric ``image`` or parameters.
    ValueError
        Bad ``image`` shape, NaN or inf, or a parameter out of range; a
        ``contrast`` so small against the image's gradients that ``g``
        underflows; a cupy image or ``backend="cupy"``.

    Notes
    -----
    At each step ``g`` is computed at the pixels from ``|grad u_sigma|^2``
    (central differences, ``numpy.gradient``), summed over the channels of
    a color image; the operator ``div(g grad)`` takes face values of ``g``
    by the harmonic mean (see ``kronlap.diffusion``).

    ``g`` must stay a positive normal float64: ``|grad u_sigma| / contrast``
    may be at most ``1 / sqrt(tiny)`` (about ``6.7e153``, ``tiny`` the
    smallest normal float64), else ``ValueError`` naming ``contrast``. A
    ``t`` so small that ``8 t`` (a bound on ``t ||Delta_h||`` with
    ``g <= 1``) is below ``eps`` changes no pixel beyond round-off: the
    image is returned.

    Examples
    --------
    A step edge survives while the noise goes:

    >>> import numpy as np
    >>> from kronlap import image
    >>> rng = np.random.default_rng(1)
    >>> clean = np.zeros((48, 48))
    >>> clean[:, 24:] = 1.0
    >>> noisy = clean + rng.normal(0, 0.05, clean.shape)
    >>> out = image.edge_preserving(noisy, t=5.0, contrast=0.1, steps=5)
    >>> def error(u):
    ...     return float(np.abs(u - clean).mean())
    >>> bool(error(out) < 0.5 * error(noisy))
    True
    >>> bool(error(out) < 0.5 * error(image.smooth(noisy, 5.0)))   # the blur smears the edge
    True
    """
    if backend == "cupy" or (backend is None and get_array_module(image) is not np):
        raise ValueError(
            "edge_preserving has no GPU path (its variable-coefficient solves run on the "
            "host); pass backend='numpy' to run it there"
        )
    data = as_float_image(to_backend(image, check_backend(backend, image)))
    t = check_nonnegative(t, "t")
    contrast = check_nonnegative(contrast, "contrast")
    if contrast == 0:
        raise ValueError("contrast must be positive, got 0")
    sigma = check_nonnegative(sigma, "sigma")
    steps = check_count(steps, "steps")
    if t == 0:
        return data
    if t * _NORM_BOUND < np.finfo(np.float64).eps:
        # ||t div(g grad)|| <= 8 t: the flow moves no pixel beyond round-off,
        # and 1 / dt might not even be finite.
        return data
    grid = pixel_grid(data.shape)
    dt = t / steps
    for step in range(steps):
        blurred = smooth(data, sigma**2 / 2.0)
        diffusivity = _edge_stopping(_gradient_squared(blurred), contrast, step)
        solver = PoissonSolver(
            grid, shift=1.0 / dt, method=_EDGE_METHOD, coeff=diffusivity, tol=tol
        )
        for channel in _channels(data):
            # the previous step's image is the initial guess, where the method takes one
            guess = {"x0": channel} if solver.takes_initial_guess else {}
            channel[...] = solver.solve(-channel / dt, **guess)
    return data


# Each step's operator I/dt - div(g grad) with 0 < g <= 1 is well conditioned
# (condition number at most 1 + 8 dt): Jacobi-preconditioned CG from the
# previous image measured faster than either multigrid path, whose setup
# does not pay here (benchmarks/RESULTS.md).
_EDGE_METHOD = "cg"


# ||Delta_h|| <= 4 / h**2 per axis: 8 on the 2D pixel grid (h = 1), and so
# for div(g grad) with 0 < g <= 1.
_NORM_BOUND = 8.0

# g = 1 / (1 + r**2) is a positive normal float64 (>= tiny) iff
# r**2 <= 1 / tiny - 1, i.e. r = |grad| / contrast <= 1 / sqrt(tiny).
_MAX_GRADIENT_RATIO = 1.0 / np.sqrt(np.finfo(np.float64).tiny)


def _edge_stopping(gradient_sq: np.ndarray, contrast: float, step: int) -> np.ndarray:
    """The Perona-Malik diffusivity ``1 / (1 + |grad|^2 / contrast^2)``, never underflowing.

    ``|grad| / contrast`` is formed before squaring, so ``contrast**2``
    cannot underflow; a ratio beyond ``1 / sqrt(tiny)`` would make ``g``
    subnormal or zero (no longer a diffusivity), and is refused.
    """
    gradient = np.sqrt(gradient_sq)
    largest = float(gradient.max())
    if largest / contrast > _MAX_GRADIENT_RATIO:
        raise ValueError(
            f"contrast={contrast!r} is too small for this image: at step {step + 1} the "
            f"largest gradient |grad u_sigma| = {largest:.3g} is {largest / contrast:.3g} "
            f"times contrast, and the edge-stopping weights 1 / (1 + (|grad| / contrast)**2) "
            f"underflow float64 beyond {_MAX_GRADIENT_RATIO:.3g}; use contrast >= "
            f"{largest / _MAX_GRADIENT_RATIO:.3g}"
        )
    ratio = gradient
    ratio /= contrast
    ratio *= ratio
    ratio += 1.0
    return np.reciprocal(ratio, out=ratio)


def _gradient_squared(data: np.ndarray) -> np.ndarray:
    """``|grad u|^2`` at the pixels by central differences, summed over channels."""
    total = np.zeros(data.shape[:2])
    axes = [axis for axis in (0, 1) if data.shape[axis] > 1]  # np.gradient needs 2 points
    for channel in _channels(data):
        for axis in axes:
            total += np.gradient(channel, axis=axis) ** 2
    return total


def _channels(data: np.ndarray):
    """Views of the 2D channels of a gray or color image."""
    if data.ndim == 2:
        return [data]
    return [data[..., c] for c in range(data.shape[2])]
