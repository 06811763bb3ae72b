"""Per-array-library transforms of the spectral solver: one interface, three sources.

:class:`ScipyTransforms` (numpy arrays) calls ``scipy.fft``'s native
DST-I and DCT-II (pocketfft, threaded with ``workers``).
:class:`CupyTransforms` (cupy arrays) calls ``cupyx.scipy.fft`` (cuFFT);
``cupyx`` has DCT/DST of types 2 and 3 only, so its DST-I is built here
from an odd extension and ``rfft``. :class:`ArrayAPITransforms` builds the
DST-I and the DCT-II from the ``fft`` extension of any array-API namespace
(e.g. ``array_api_strict``), which is how the formulas are tested on a
machine without a GPU.

The formulas, for ``x`` of length ``n`` along the transformed axis (scaled
as ``scipy.fft``'s unnormalized transforms):

* DST-I: the odd extension ``z = [0, x, 0, -reversed(x)]`` of length
  ``N = 2 (n + 1)`` has the DFT
  ``Z_m = -2i sum_j x_j sin(pi m (j + 1) / (n + 1))``, so
  ``dst1(x)_k = i Z_{k+1}`` (``-imag(Z_{k+1})`` for real ``x``). DST-I is
  its own inverse up to the factor ``1 / (2 (n + 1))``.
* DCT-II: the even extension ``z = [x, reversed(x)]`` of length ``2 n`` has
  ``exp(-i pi k / (2 n)) Z_k = 2 sum_j x_j cos(pi k (2 j + 1) / (2 n))``,
  a real number: ``dct2(x)_k = cos(t_k) re(Z_k) + sin(t_k) im(Z_k)`` with
  ``t_k = pi k / (2 n)``. The inverse puts ``Z_k = y_k exp(i t_k)`` (and
  ``Z_n = 0``) through ``irfft`` of length ``2 n`` and keeps the first
  ``n`` values.

Every method has the signature ``(x, axis, workers=None, overwrite=False)``
(``irfft`` also takes the output length ``n``); ``workers`` and
``overwrite`` are hints that only ``scipy.fft`` uses.
"""

from __future__ import annotations

import math

import scipy.fft

__all__ = ["ScipyTransforms", "CupyTransforms", "ArrayAPITransforms"]


class ScipyTransforms:
    """``scipy.fft`` on numpy arrays (native DST-I / DCT-II, ``workers`` threads)."""

    def fft(self, x, axis, workers=None, overwrite=False):
        return scipy.fft.fft(x, axis=axis, workers=workers, overwrite_x=overwrite)

    def ifft(self, x, axis, workers=None, overwrite=False):
        return scipy.fft.ifft(x, axis=axis, workers=workers, overwrite_x=overwrite)

    def rfft(self, x, axis, workers=None, overwrite=False):
        return scipy.fft.rfft(x, axis=axis, workers=workers, overwrite_x=overwrite)

    def irfft(self, x, n, axis, workers=None, overwrite=False):
        return scipy.fft.irfft(x, n=n, axis=axis, workers=workers, overwrite_x=overwrite)

    def dst1(self, x, axis, workers=None, overwrite=False):
        return scipy.fft.dst(x, type=1, axis=axis, workers=workers, overwrite_x=overwrite)

    def idst1(self, x, axis, workers=None, overwrite=False):
        return scipy.fft.idst(x, type=1, axis=axis, workers=workers, overwrite_x=overwrite)

    def dct2(self, x, axis, workers=None, overwrite=False):
        return scipy.fft.dct(x, type=2, axis=axis, workers=workers, overwrite_x=overwrite)

    def idct2(self, x, axis, workers=None, overwrite=False):
        return scipy.fft.idct(x, type=2, axis=axis, workers=workers, overwrite_x=overwrite)


class ArrayAPITransforms:
    """Transforms from the ``fft`` extension of an array-API namespace ``xp``.

    DST-I and DCT-II come from ``rfft``/``irfft`` of an odd or even
    extension (see the module notes); only functions of the array API
    standard are used.
    """

    def __init__(self, xp, fft=None):
        self.xp = xp
        self._fft = xp.fft if fft is None else fft

    def fft(self, x, axis, workers=None, overwrite=False):
        return self._fft.fft(x, axis=axis)

    def ifft(self, x, axis, workers=None, overwrite=False):
        return self._fft.ifft(x, axis=axis)

    def rfft(self, x, axis, workers=None, overwrite=False):
        return self._fft.rfft(x, axis=axis)

    def irfft(self, x, n, axis, workers=None, overwrite=False):
        return self._fft.irfft(x, n=n, axis=axis)

    def dst1(self, x, axis, workers=None, overwrite=False):
        xp = self.xp
        axis %= x.ndim
        n = x.shape[axis]
        zero = xp.zeros(_with_length(x.shape, axis, 1), dtype=x.dtype)
        extension = xp.concat([zero, x, zero, -xp.flip(x, axis=axis)], axis=axis)
        modes = _slice(axis, 1, n + 1)
        if _is_complex(xp, x):
            return self._fft.fft(extension, axis=axis)[modes] * 1j
        return -xp.imag(self._fft.rfft(extension, axis=axis)[modes])

    def idst1(self, x, axis, workers=None, overwrite=False):
        n = x.shape[axis]
        y = self.dst1(x, axis)
        y *= 1.0 / (2 * (n + 1))
        return y

    def dct2(self, x, axis, workers=None, overwrite=False):
        xp = self.xp
        if _is_complex(xp, x):
            return _complex_from_parts(
                xp, self.dct2(xp.real(x), axis), self.dct2(xp.imag(x), axis)
            )
        axis %= x.ndim
        n = x.shape[axis]
        spectrum = self._fft.rfft(xp.concat([x, xp.flip(x, axis=axis)], axis=axis), axis=axis)
        spectrum = spectrum[_slice(axis, 0, n)]
        cos, sin = self._twiddles(n, axis, x.ndim, x.dtype)
        return cos * xp.real(spectrum) + sin * xp.imag(spectrum)

    def idct2(self, x, axis, workers=None, overwrite=False):
        xp = self.xp
        if _is_complex(xp, x):
            return _complex_from_parts(
                xp, self.idct2(xp.real(x), axis), self.idct2(xp.imag(x), axis)
            )
        axis %= x.ndim
        n = x.shape[axis]
        cos, sin = self._twiddles(n, axis, x.ndim, x.dtype)
        spectrum = _complex_from_parts(xp, x * cos, x * sin)
        last = xp.zeros(_with_length(x.shape, axis, 1), dtype=spectrum.dtype)
        spectrum = xp.concat([spectrum, last], axis=axis)
        return self._fft.irfft(spectrum, n=2 * n, axis=axis)[_slice(axis, 0, n)]

    def _twiddles(self, n, axis, ndim, dtype):
        """``cos(t_k)``, ``sin(t_k)``, ``t_k = pi k / (2 n)``, shaped to broadcast on ``axis``."""
        xp = self.xp
        angle = xp.arange(n, dtype=xp.float64) * (math.pi / (2 * n))
        shape = _with_length((1,) * ndim, axis, n)
        return (
            xp.reshape(xp.astype(xp.cos(angle), dtype), shape),
            xp.reshape(xp.astype(xp.sin(angle), dtype), shape),
        )


class CupyTransforms(ArrayAPITransforms):
    """``cupyx.scipy.fft`` (cuFFT) on cupy arrays; DST-I from ``rfft``.

    cuFFT plans are cached by cupy per shape and dtype, so repeated solves
    of one size reuse them.
    """

    def fft(self, x, axis, workers=None, overwrite=False):
        return self._fft.fft(x, axis=axis, overwrite_x=overwrite)

    def ifft(self, x, axis, workers=None, overwrite=False):
        return self._fft.ifft(x, axis=axis, overwrite_x=overwrite)

    def irfft(self, x, n, axis, workers=None, overwrite=False):
        return self._fft.irfft(x, n=n, axis=axis, overwrite_x=overwrite)

    def dct2(self, x, axis, workers=None, overwrite=False):
        return self._fft.dct(x, type=2, axis=axis, overwrite_x=overwrite)

    def idct2(self, x, axis, workers=None, overwrite=False):
        return self._fft.idct(x, type=2, axis=axis, overwrite_x=overwrite)


def _with_length(shape, axis, length):
    return tuple(shape[:axis]) + (length,) + tuple(shape[axis + 1 :])


def _slice(axis, start, stop):
    return (slice(None),) * axis + (slice(start, stop), Ellipsis)


def _is_complex(xp, x) -> bool:
    return x.dtype in (xp.complex64, xp.complex128)


def _complex_from_parts(xp, real, imag):
    """``real + i imag`` in the complex dtype of the parts' precision."""
    dtype = xp.complex64 if real.dtype == xp.float32 else xp.complex128
    return xp.astype(real, dtype) + xp.astype(imag, dtype) * 1j
