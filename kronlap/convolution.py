"""The convolution rule made visible: circulants, cyclic convolution, the DFT.

A circulant matrix ``C`` with first column ``c`` multiplies a vector by
cyclic convolution, ``C d = c (*) d``, and is diagonalized by the Fourier
matrix: ``C = F^-1 diag(F c) F``. So the eigenvalues of a circulant are the
DFT of its first column, and ``F (c (*) d) = (F c) .* (F d)``.
"""

from __future__ import annotations

import numpy as np
import scipy.fft
import scipy.linalg
import scipy.sparse as sp

__all__ = ["circulant", "cyclic_convolve", "circulant_eigenvalues"]


def _first_column(c, name: str = "c") -> np.ndarray:
    arr = np.asarray(c)
    if arr.ndim != 1 or arr.size == 0:
        raise ValueError(f"{name} must be a non-empty 1D array, got shape {arr.shape}")
    if not np.issubdtype(arr.dtype, np.number):
        raise TypeError(f"{name} must be numeric, got dtype {arr.dtype}")
    return arr


def circulant(c, *, sparse: bool = False, format: str = "csr"):
    """Circulant matrix with first column ``c``: ``C[i, j] = c[(i - j) % n]``.

    Parameters
    ----------
    c : array_like, shape (n,)
        First column.
    sparse : bool, optional
        Return a sparse array storing only the nonzero diagonals
        (default: a dense ndarray).
    format : str, optional
        Sparse format when ``sparse=True`` (default ``"csr"``).

    Returns
    -------
    ndarray or scipy.sparse.sparray
        The ``(n, n)`` circulant.

    Raises
    ------
    ValueError
        ``c`` is not a non-empty 1D array.
    TypeError
        ``c`` is not numeric.

    See Also
    --------
    circulant_eigenvalues : its eigenvalues, the DFT of ``c``.
    scipy.linalg.circulant : the dense construction used here.

    Examples
    --------
    >>> circulant([-2.0, 1.0, 0.0, 1.0])
    array([[-2.,  1.,  0.,  1.],
           [ 1., -2.,  1.,  0.],
           [ 0.,  1., -2.,  1.],
           [ 1.,  0.,  1., -2.]])
    """
    col = _first_column(c)
    if not sparse:
        return scipy.linalg.circulant(col)
    n = col.size
    shifts = np.flatnonzero(col)
    rows = (np.arange(n)[None, :] + shifts[:, None]) % n
    cols = np.broadcast_to(np.arange(n), rows.shape)
    vals = np.broadcast_to(col[shifts][:, None], rows.shape)
    out = sp.csr_array((vals.ravel(), (rows.ravel(), cols.ravel())), shape=(n, n))
    return out.asformat(format)


def circulant_eigenvalues(c, *, workers: int | None = None) -> np.ndarray:
    """Eigenvalues of the circulant with first column ``c``: the DFT ``F c``.

    The ``k``-th value belongs to the Fourier mode ``exp(2 pi i j k / n)``
    (FFT order). For a Hermitian circulant (``c[-j] == conj(c[j])``, e.g. a
    real symmetric stencil) they are real and returned as a real array.

    Parameters
    ----------
    c : array_like, shape (n,)
        First column of the circulant.
    workers : int, optional
        Threads for ``scipy.fft.fft``.

    Returns
    -------
    ndarray, shape (n,)
        ``scipy.fft.fft(c)``; real when the circulant is Hermitian.

    Raises
    ------
    ValueError
        ``c`` is not a non-empty 1D array.
    TypeError
        ``c`` is not numeric.

    See Also
    --------
    circulant : the matrix itself.

    Examples
    --------
    >>> circulant_eigenvalues([-2.0, 1.0, 0.0, 1.0])
    array([ 0., -2., -4., -2.])
    """
    col = _first_column(c)
    lam = scipy.fft.fft(col, workers=workers)
    # Hermitian circulant (c[-j] == conj(c[j])): real eigenvalues.
    if np.array_equal(np.roll(col[::-1], 1), np.conj(col)):
        return lam.real.copy()
    return lam


def cyclic_convolve(c, d, *, workers: int | None = None) -> np.ndarray:
    """Cyclic convolution ``(c (*) d)_k = sum_i c_i d_{(k - i) mod n}`` via the FFT.

    Uses the convolution rule ``F (c (*) d) = (F c) .* (F d)``: ``O(n log n)``
    instead of ``O(n**2)``.

    Parameters
    ----------
    c, d : array_like, shape (n,)
        Sequences of the same length. Real inputs give a real result.
    workers : int, optional
        Threads for ``scipy.fft``.

    Returns
    -------
    ndarray, shape (n,)
        Float, or complex if ``c`` or ``d`` is.

    Raises
    ------
    ValueError
        ``c`` or ``d`` not a non-empty 1D array, or lengths that differ.
    TypeError
        ``c`` or ``d`` not numeric.

    Examples
    --------
    Multiply ``(3 + x)(1 + 2x)`` with ``x**2 = 1`` (period 2):

    >>> cyclic_convolve([3, 1], [1, 2])
    array([5., 7.])
    """
    c = _first_column(c, "c")
    d = _first_column(d, "d")
    if c.shape != d.shape:
        raise ValueError(f"c and d must have the same length, got {c.size} and {d.size}")
    if np.iscomplexobj(c) or np.iscomplexobj(d):
        fc = scipy.fft.fft(c, workers=workers)
        return scipy.fft.ifft(fc * scipy.fft.fft(d, workers=workers), workers=workers)
    n = c.size
    fc = scipy.fft.rfft(c, workers=workers)
    return scipy.fft.irfft(fc * scipy.fft.rfft(d, workers=workers), n, workers=workers)
