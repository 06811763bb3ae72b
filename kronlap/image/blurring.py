"""Blurring an image by a point-spread function, and the eigenvalues of the blur.

A blur is a 2D convolution ``b = psf * x`` with the image extended beyond
its border in one of three ways (``scipy.ndimage``'s mode names):

* ``"reflect"``: half-sample symmetric, ``d c b a | a b c d | d c b a``;
* ``"wrap"``: periodic, the blur matrix is block circulant with circulant
  blocks (BCCB) and the DFT diagonalizes it (the convolution rule);
* ``"constant"``: zero outside the image.

A separable PSF ``psf = outer(k0, k1)`` makes the blur matrix a Kronecker
product ``A0 (x) A1`` of two 1D blurs, applied as ``A0 X A1^T``: one 1D
convolution along each axis, never a matrix of ``N^2`` entries. With
reflective borders a doubly symmetric PSF (``psf == psf[::-1, :] ==
psf[:, ::-1]``) gives a blur matrix diagonalized by the 2D DCT-II (Hansen,
Nagy and O'Leary, *Deblurring Images*, SIAM 2006, ch. 4).
"""

from __future__ import annotations

import numpy as np
import scipy.fft
import scipy.ndimage
import scipy.signal

from .smoothing import as_float_image

__all__ = ["blur", "blur_eigenvalues"]

MODES = ("reflect", "wrap", "constant")

# np.pad's name for each ndimage mode: ndimage's "reflect" is numpy's "symmetric".
_PAD_MODES = {"reflect": "symmetric", "wrap": "wrap", "constant": "constant"}

# A 1D kernel up to this long is applied by shifted adds (scipy.ndimage.convolve1d);
# a longer one by FFT convolution along its axis.
_SHORT_KERNEL = 15
# Likewise a 2D PSF of at most this many entries (7 x 7): below it shifted adds beat
# the two FFTs of a padded image.
_SMALL_PSF = 49


class _Psf:
    """A validated point-spread function: a 2D kernel, or a pair of 1D kernels.

    ``kernels`` holds ``(k0, k1)`` for a separable PSF (``outer(k0, k1)``),
    else None; ``kernel`` is always the full 2D array.
    """

    def __init__(self, kernel: np.ndarray, kernels=None):
        self.kernel = kernel
        self.kernels = kernels
        self.shape = kernel.shape
        self.radius = tuple((n - 1) // 2 for n in kernel.shape)

    @property
    def separable(self) -> bool:
        return self.kernels is not None

    @property
    def doubly_symmetric(self) -> bool:
        """``psf == psf[::-1, :] == psf[:, ::-1]`` up to round-off."""
        if self.separable:
            return all(_symmetric(k) for k in self.kernels)
        k = self.kernel
        scale = float(np.abs(k).max())
        return all(
            bool(np.all(np.abs(k - flipped) <= 1e-12 * scale)) for flipped in (k[::-1], k[:, ::-1])
        )

    def flipped(self) -> _Psf:
        """The PSF rotated by 180 degrees: the kernel of the transposed (periodic) blur."""
        if self.separable:
            return _Psf(
                self.kernel[::-1, ::-1].copy(), tuple(k[::-1].copy() for k in self.kernels)
            )
        return _Psf(self.kernel[::-1, ::-1].copy())


def _symmetric(kernel: np.ndarray) -> bool:
    """``kernel`` equals itself rotated by 180 degrees, to round-off of its largest entry."""
    scale = float(np.abs(kernel).max())
    flipped = kernel[tuple(slice(None, None, -1) for _ in range(kernel.ndim))]
    return bool(np.all(np.abs(kernel - flipped) <= 1e-12 * scale))


def check_mode(mode) -> str:
    """``mode`` as one of :data:`MODES`, else ``TypeError`` / ``ValueError`` naming it."""
    if not isinstance(mode, str):
        raise TypeError(f"mode must be a str, one of {MODES}, got {mode!r}")
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}, got {mode!r}")
    return mode


def _kernel_array(values, name: str, ndim: int) -> np.ndarray:
    arr = np.asarray(values)
    if arr.dtype == bool or not np.issubdtype(arr.dtype, np.number):
        raise TypeError(f"{name} must be a numeric array, got dtype {arr.dtype}")
    if np.iscomplexobj(arr):
        raise TypeError(f"{name} must be real, got a complex array")
    if arr.ndim != ndim:
        raise ValueError(f"{name} must be {ndim}D, got shape {arr.shape}")
    if arr.size == 0:
        raise ValueError(f"{name} must not be empty, got shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} contains NaN or inf")
    if any(n % 2 == 0 for n in arr.shape):
        raise ValueError(f"{name} must have odd sizes (a centred kernel), got shape {arr.shape}")
    return np.array(arr, dtype=np.float64)


def check_psf(psf, image_shape) -> _Psf:
    """A 2D PSF or a pair of 1D kernels, odd-sized and no larger than the image."""
    if isinstance(psf, (tuple, list)) and len(psf) == 2 and all(np.ndim(k) == 1 for k in psf):
        kernels = tuple(_kernel_array(k, f"psf[{axis}]", 1) for axis, k in enumerate(psf))
        result = _Psf(np.outer(*kernels), kernels)
    else:
        try:
            arr = np.asarray(psf)
        except ValueError as exc:  # ragged nesting
            raise ValueError(
                f"psf must be a 2D array or a pair (k0, k1) of 1D kernels: {exc}"
            ) from None
        if arr.ndim != 2:
            raise ValueError(
                f"psf must be a 2D array or a pair (k0, k1) of 1D kernels, got shape {arr.shape}"
            )
        result = _Psf(_kernel_array(arr, "psf", 2))
    for axis, (size, n) in enumerate(zip(result.shape, image_shape[:2])):
        if size > n:
            raise ValueError(
                f"psf is larger than the image along axis {axis}: {size} > {n} pixels"
            )
    return result


def blur(image, psf, *, mode: str = "reflect") -> np.ndarray:
    """Blur ``image`` by the convolution ``psf * image`` with ``mode`` borders.

    The result equals ``scipy.ndimage.convolve(image, psf, mode=mode)``
    (``cval=0``) to round-off, at the cost of about two FFTs of the image
    whatever the size of the PSF: ``"reflect"`` and ``"constant"`` pad the
    image by the PSF's half-width (mirrored or with zeros) and convolve by
    FFT (``scipy.signal.convolve``), ``"wrap"`` multiplies by the PSF's
    eigenvalues after the FFT (the convolution rule). A PSF of at most 49
    entries (7 x 7) is cheaper as shifted adds, and is left to
    ``scipy.ndimage.convolve``. A separable PSF, given as its two 1D
    kernels, is applied as ``A0 X A1^T``: one 1D convolution along each
    axis, never the ``N x N`` matrix.

    Parameters
    ----------
    image : array_like
        Gray ``(H, W)`` or color ``(H, W, C)``; integers are read as
        ``[0, 1]`` floats. Each channel is blurred alike.
    psf : array_like or pair of array_like
        A centred 2D kernel of odd sizes, at most the image's along each
        axis; or a pair ``(k0, k1)`` of odd-length 1D kernels, the
        separable PSF ``outer(k0, k1)`` (``k0`` acts along the rows' axis 0).
    mode : {"reflect", "wrap", "constant"}, optional
        The image beyond its border: half-sample symmetric, periodic, or
        zero.

    Returns
    -------
    ndarray of float64
        Same shape as ``image``.

    Raises
    ------
    TypeError
        Non-numeric ``image`` or ``psf``; ``mode`` not a str.
    ValueError
        Bad shapes (an even-sized PSF, one larger than the image), NaN or
        inf, an unknown ``mode``.

    See Also
    --------
    blur_eigenvalues : the eigenvalues of a diagonalizable blur.
    deblur : undo a blur.
    scipy.ndimage.convolve : the reference, by shifted adds.

    Examples
    --------
    >>> import numpy as np
    >>> import scipy.ndimage
    >>> from kronlap import image
    >>> rng = np.random.default_rng(0)
    >>> photo = rng.random((32, 40))
    >>> psf = rng.random((7, 5))
    >>> for mode in ("reflect", "wrap", "constant"):
    ...     reference = scipy.ndimage.convolve(photo, psf, mode=mode)
    ...     print(mode, np.allclose(image.blur(photo, psf, mode=mode), reference))
    reflect True
    wrap True
    constant True

    A separable Gaussian, as its two 1D kernels:

    >>> g = np.exp(-0.5 * np.arange(-4, 5) ** 2 / 2.0**2)
    >>> g /= g.sum()
    >>> separable = image.blur(photo, (g, g))
    >>> bool(np.allclose(separable, image.blur(photo, np.outer(g, g))))
    True
    """
    data = as_float_image(image)
    mode = check_mode(mode)
    return apply_blur(data, check_psf(psf, data.shape), mode)


def apply_blur(data: np.ndarray, psf: _Psf, mode: str) -> np.ndarray:
    """The blur of validated float data, gray or color (a new array)."""
    if psf.separable:
        out = data
        for axis, kernel in enumerate(psf.kernels):
            out = _convolve_axis(out, kernel, axis, mode)
        return out if out is not data else data.copy()
    if psf.kernel.size <= _SMALL_PSF:
        kernel = psf.kernel if data.ndim == 2 else psf.kernel[:, :, None]
        return scipy.ndimage.convolve(data, kernel, mode=mode, cval=0.0)
    if mode == "wrap":
        return _circular(data, _fft_eigenvalues(psf.kernel, data.shape[:2], real=True))
    padded = _pad(data, psf.radius, mode)
    kernel = psf.kernel if data.ndim == 2 else psf.kernel[:, :, None]
    return scipy.signal.convolve(padded, kernel, mode="valid")


def apply_adjoint(data: np.ndarray, psf: _Psf, mode: str) -> np.ndarray:
    """The transposed blur ``A^T data``: full correlation, then the padding's transpose.

    The blur is ``A = C P`` with ``P`` the padding (mirror or zeros) and
    ``C`` the "valid" convolution; ``A^T = P^T C^T``, where ``C^T`` is the
    "full" convolution with the rotated PSF and ``P^T`` folds the padded
    border back onto the pixels it copied (nothing for zero padding). For
    ``"wrap"`` the transpose is the periodic blur by the rotated PSF.
    """
    flipped = psf.flipped()
    if mode == "wrap":
        return apply_blur(data, flipped, mode)
    if flipped.separable:
        out = data
        for axis, kernel in enumerate(flipped.kernels):
            shape = [1] * data.ndim
            shape[axis] = kernel.size
            full = scipy.signal.convolve(out, kernel.reshape(shape), mode="full")
            out = _unpad(full, kernel.size // 2, axis, mode)
        return out
    kernel = flipped.kernel if data.ndim == 2 else flipped.kernel[:, :, None]
    out = scipy.signal.convolve(data, kernel, mode="full")
    for axis, radius in enumerate(flipped.radius):
        out = _unpad(out, radius, axis, mode)
    return out


def _pad(data: np.ndarray, radius, mode: str) -> np.ndarray:
    widths = [(r, r) for r in radius] + [(0, 0)] * (data.ndim - len(radius))
    return np.pad(data, widths, mode=_PAD_MODES[mode])


def _unpad(padded: np.ndarray, radius: int, axis: int, mode: str) -> np.ndarray:
    """``P^T`` along one axis: the inner part plus, for mirror padding, the folded border."""
    n = padded.shape[axis] - 2 * radius
    moved = np.moveaxis(padded, axis, 0)
    out = moved[radius : radius + n].copy()
    if mode == "reflect" and radius:
        # np.pad "symmetric": pad[r - 1 - j] = x[j] and pad[r + n + j] = x[n - 1 - j].
        out[:radius] += moved[radius - 1 :: -1]
        out[n - radius :] += moved[n + radius :][::-1]
    return np.moveaxis(out, 0, axis)


def _convolve_axis(data: np.ndarray, kernel: np.ndarray, axis: int, mode: str) -> np.ndarray:
    """One 1D blur along ``axis``: shifted adds for a short kernel, an FFT for a long one."""
    if kernel.size <= _SHORT_KERNEL:
        return scipy.ndimage.convolve1d(data, kernel, axis=axis, mode=mode, cval=0.0)
    radius = [0] * data.ndim
    radius[axis] = kernel.size // 2
    padded = _pad(data, radius, mode)
    shape = [1] * data.ndim
    shape[axis] = kernel.size
    return scipy.signal.oaconvolve(padded, kernel.reshape(shape), mode="valid", axes=axis)


def _embedded(kernel: np.ndarray, shape) -> np.ndarray:
    """The PSF centred on pixel ``(0, 0)`` of a periodic image: the BCCB's first column."""
    column = np.zeros(shape)
    column[: kernel.shape[0], : kernel.shape[1]] = kernel
    return np.roll(column, (-(kernel.shape[0] // 2), -(kernel.shape[1] // 2)), axis=(0, 1))


def _fft_eigenvalues(kernel: np.ndarray, shape, *, real: bool) -> np.ndarray:
    """Eigenvalues of the periodic blur: the 2D DFT of its first column (``rfft2`` if ``real``)."""
    column = _embedded(kernel, shape)
    if real:
        return scipy.fft.rfft2(column, axes=(0, 1))
    return scipy.fft.fft2(column, axes=(0, 1))


def _circular(data: np.ndarray, eigenvalues: np.ndarray) -> np.ndarray:
    """The periodic blur by the convolution rule: ``irfft2(eigenvalues * rfft2(data))``."""
    height, width = data.shape[:2]
    coeffs = scipy.fft.rfft2(data, axes=(0, 1))
    coeffs *= eigenvalues if data.ndim == 2 else eigenvalues[:, :, None]
    return scipy.fft.irfft2(coeffs, s=(height, width), axes=(0, 1))


def dct_eigenvalues(psf: _Psf, shape) -> np.ndarray:
    """Eigenvalues of the reflective blur by a doubly symmetric PSF, in 2D DCT-II order.

    The half-sample symmetric extension of the DCT-II vector
    ``cos(pi k (m + 1/2) / n)`` is that same cosine for every integer
    ``m``, and a symmetric kernel maps it to itself times
    ``sum_j w_j cos(pi k j / n)``. So ``lam = C0 psf C1^T`` with
    ``C[k, j] = cos(pi k j / n)`` over the PSF's offsets ``j = -r..r``: no
    transform at all. For a separable PSF this is the outer product of the
    two 1D spectra, the Kronecker product rule.
    """
    cosines = [
        np.cos(np.pi * np.outer(np.arange(n), np.arange(-r, r + 1)) / n)
        for n, r in zip(shape, psf.radius)
    ]
    if psf.separable:
        return np.outer(cosines[0] @ psf.kernels[0], cosines[1] @ psf.kernels[1])
    return cosines[0] @ psf.kernel @ cosines[1].T


def blur_eigenvalues(psf, shape, *, mode: str = "reflect") -> np.ndarray:
    """Eigenvalues of the blur matrix of ``psf`` on ``shape`` images, in its transform's order.

    ``"wrap"``: the blur matrix is block circulant with circulant blocks;
    its eigenvalues are the 2D DFT of its first column (the PSF centred on
    pixel ``(0, 0)``, wrapped around), in ``scipy.fft.fft2`` order: the
    convolution rule. ``"reflect"`` with a doubly symmetric PSF: the blur
    matrix is diagonalized by the orthonormal 2D DCT-II, ``A = C^T
    diag(lam) C``, and ``lam`` is in ``scipy.fft.dctn`` order. A separable
    PSF gives ``outer(lam0, lam1)``: the eigenvalues of a Kronecker
    product are the products of its factors'.

    Parameters
    ----------
    psf : array_like or pair of array_like
        As in :func:`blur`.
    shape : tuple of int
        ``(H, W)`` (a trailing channel count is ignored).
    mode : {"reflect", "wrap"}, optional
        ``"constant"`` (zero) borders are not diagonalizable by a fast
        transform.

    Returns
    -------
    ndarray, shape (H, W)
        Real for ``"reflect"``; complex for ``"wrap"`` (real where the PSF
        is symmetric about its centre).

    Raises
    ------
    TypeError
        Non-numeric ``psf``, ``shape`` not a tuple of ints, ``mode`` not a
        str.
    ValueError
        A bad ``psf`` or ``shape``; ``mode="constant"``; ``mode="reflect"``
        with a PSF that is not doubly symmetric.

    Examples
    --------
    The DCT diagonalizes a symmetric blur with reflective borders:

    >>> import numpy as np
    >>> import scipy.fft
    >>> from kronlap import image
    >>> psf = np.array([[1.0, 2.0, 1.0], [2.0, 4.0, 2.0], [1.0, 2.0, 1.0]]) / 16
    >>> lam = image.blur_eigenvalues(psf, (6, 5))
    >>> x = np.random.default_rng(0).random((6, 5))
    >>> spectral = scipy.fft.idctn(lam * scipy.fft.dctn(x, norm="ortho"), norm="ortho")
    >>> bool(np.allclose(spectral, image.blur(x, psf)))
    True
    >>> float(lam[0, 0])                  # the constant image: the PSF's sum
    1.0
    """
    shape = _check_shape(shape)
    mode = check_mode(mode)
    checked = check_psf(psf, shape)
    if mode == "constant":
        raise ValueError(
            "mode='constant' (zero borders) is not diagonalized by a fast transform; "
            "use 'reflect' (DCT) or 'wrap' (FFT)"
        )
    if mode == "wrap":
        eigenvalues = _fft_eigenvalues(checked.kernel, shape, real=False)
        return eigenvalues.real.copy() if _symmetric(checked.kernel) else eigenvalues
    check_doubly_symmetric(checked, "the DCT diagonalization (mode='reflect')")
    return dct_eigenvalues(checked, shape)


def check_doubly_symmetric(psf: _Psf, purpose: str) -> None:
    """``ValueError`` naming ``psf`` unless it is doubly symmetric."""
    if not psf.doubly_symmetric:
        raise ValueError(
            f"psf must be doubly symmetric (psf == psf[::-1, :] == psf[:, ::-1]) for "
            f"{purpose}; this one is not"
        )


def _check_shape(shape) -> tuple[int, int]:
    if not isinstance(shape, (tuple, list)) or not all(
        isinstance(n, (int, np.integer)) and not isinstance(n, bool) for n in shape
    ):
        raise TypeError(f"shape must be a tuple of ints, got {shape!r}")
    if len(shape) not in (2, 3) or any(n < 1 for n in shape):
        raise ValueError(f"shape must be (H, W) or (H, W, C) of positive ints, got {shape!r}")
    return int(shape[0]), int(shape[1])
