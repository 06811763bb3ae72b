"""One axis' diagonalizer: its fast transform (FFT, DST-I, DCT-II) or dense eigenvectors."""

from __future__ import annotations

import numpy as np
import scipy.linalg

from .._memory import check_memory
from ..backend import fft_transforms
from ..operators import second_difference
from .eigen import axis_eigenvalues

__all__ = ["AxisTransform", "transform_kind"]

# The kinds name the transform pairs of kronlap._transforms: kind, "i" + kind.
_FAST_KINDS = {"periodic": "fft", "dirichlet": "dst1", "neumann": "dct2"}


def transform_kind(pair, *, dense: bool = False) -> str:
    """Which diagonalizer an axis with sides ``pair`` gets (a transform kind).

    The one table of which transform an axis gets, for the serial and the
    distributed solvers: the FFT for a periodic axis (the convolution rule),
    the DST-I for Dirichlet and the DCT-II for Neumann on both sides, dense
    eigenvectors for mixed sides (or everywhere with ``dense``).

    Examples
    --------
    >>> transform_kind(("dirichlet", "dirichlet")), transform_kind(("dirichlet", "neumann"))
    ('dst1', 'dense')
    """
    low, high = pair
    if dense or low != high:
        return "dense"
    return _FAST_KINDS[low]


class AxisTransform:
    """Diagonalizer of one axis' second difference, ``A = V diag(lam) V^-1``.

    Parameters
    ----------
    n : int
        Number of unknowns on the axis.
    h : float
        Grid spacing.
    pair : tuple of str
        Normalized ``(low, high)`` boundary pair, as in :attr:`Grid.bc`.
    dense : bool, optional
        Use the dense eigenvectors of ``A`` (from ``eigh``) instead of the
        fast transform. Mixed-side axes always do.
    xp : module, optional
        Array module of the data, ``numpy`` (default) or ``cupy``: the
        transforms come from :func:`kronlap.backend.fft_transforms` and a
        dense eigenbasis, computed on the host, is moved there once.

    Attributes
    ----------
    kind : {"fft", "dst1", "dct2", "dense"}
    lam : ndarray
        Eigenvalues in the order of :meth:`forward`'s output.

    Notes
    -----
    ``forward`` applies ``V^-1`` along one axis of an N-D array, ``inverse``
    applies ``V``. For the ``"fft"`` kind they are ``fft``/``ifft``;
    callers that want the real-to-complex ``rfft`` on a periodic axis use
    :meth:`forward_real` and :meth:`inverse_real`.

    Raises
    ------
    MemoryError
        A dense eigenbasis (``dense=True`` or mixed sides) whose ``3 n**2``
        doubles clearly exceed the free memory; refused before allocating.

    Examples
    --------
    The sine transform (DST-I) diagonalizes the Dirichlet second difference:

    >>> import numpy as np
    >>> import kronlap as kl
    >>> t = AxisTransform(5, 1.0, ("dirichlet", "dirichlet"))
    >>> t.kind
    'dst1'
    >>> A = kl.second_difference(5, 1.0, "dirichlet").toarray()
    >>> x = np.arange(5.0)
    >>> bool(np.allclose(t.forward(A @ x, axis=0), t.lam * t.forward(x, axis=0)))
    True
    >>> bool(np.allclose(t.inverse(t.forward(x, axis=0), axis=0), x))
    True
    """

    def __init__(self, n: int, h: float, pair, *, dense: bool = False, xp=None):
        self.n, self.h, self.pair = n, h, pair
        self.xp = np if xp is None else xp
        self._fft = fft_transforms(self.xp)
        self._bases = {}  # the dense eigenbasis on self.xp, per real dtype
        self.kind = transform_kind(pair, dense=dense)
        if self.kind == "dense":
            self._vectors, self.lam = _dense_eigenbasis(n, h, pair)
        else:
            self.lam = axis_eigenvalues(n, h, pair)

    def forward(self, x, axis: int, workers=None, overwrite: bool = False):
        """Apply ``V^-1`` along ``axis``: the coefficients of ``x`` in the eigenvectors.

        Parameters
        ----------
        x : ndarray
            Real or complex array.
        axis : int
            Axis of ``x`` of length ``n``.
        workers : int, optional
            Threads for ``scipy.fft``.
        overwrite : bool, optional
            Allow ``x`` to be used as workspace (fast transforms only).

        Returns
        -------
        ndarray
            Same shape as ``x``; mode ``k`` belongs to ``lam[k]``. Complex for
            the ``"fft"`` kind. Scaled as ``scipy.fft``'s unnormalized
            forward transforms, so only ``inverse(forward(x))`` is the
            identity.

        Examples
        --------
        >>> import numpy as np
        >>> t = AxisTransform(4, 0.25, ("periodic", "periodic"))
        >>> t.forward(np.ones(4), axis=0)
        array([4.+0.j, 0.+0.j, 0.+0.j, 0.+0.j])
        """
        if self.kind == "dense":
            return _apply_along_axis(self._basis(x).T, x, axis, self.xp)
        return getattr(self._fft, self.kind)(x, axis, workers, overwrite)

    def inverse(self, x, axis: int, workers=None):
        """Apply ``V`` along ``axis``: the inverse of :meth:`forward`.

        ``x`` is used as workspace for the fast kinds (``scipy.fft`` with
        ``overwrite_x=True``): pass a copy to keep it.

        Parameters
        ----------
        x : ndarray
            Coefficients, as returned by :meth:`forward`; may be overwritten.
        axis : int
            Axis of ``x`` of length ``n``.
        workers : int, optional
            Threads for ``scipy.fft``.

        Returns
        -------
        ndarray
            Same shape as ``x``.

        Examples
        --------
        >>> import numpy as np
        >>> t = AxisTransform(3, 1.0, ("neumann", "neumann"))
        >>> t.inverse(t.forward(np.array([1.0, 2.0, 4.0]), axis=0), axis=0)
        array([1., 2., 4.])
        """
        if self.kind == "dense":
            return _apply_along_axis(self._basis(x), x, axis, self.xp)
        return getattr(self._fft, "i" + self.kind)(x, axis, workers, overwrite=True)

    def forward_real(self, x, axis: int, workers=None):
        """``rfft`` along ``axis``: the non-negative Fourier modes of real data.

        Parameters
        ----------
        x : ndarray
            Real array.
        axis : int
            Periodic axis of ``x`` of length ``n``.
        workers : int, optional
            Threads for ``scipy.fft``.

        Returns
        -------
        ndarray
            Complex, of length ``n // 2 + 1`` along ``axis``; mode ``k``
            belongs to ``lam_real[k]``.

        Examples
        --------
        >>> import numpy as np
        >>> t = AxisTransform(4, 0.25, ("periodic", "periodic"))
        >>> t.forward_real(np.array([1.0, 0.0, -1.0, 0.0]), axis=0)
        array([0.+0.j, 2.+0.j, 0.+0.j])
        """
        return self._fft.rfft(x, axis, workers)

    def inverse_real(self, x, axis: int, workers=None):
        """``irfft`` along ``axis``: the inverse of :meth:`forward_real`.

        Parameters
        ----------
        x : ndarray
            Complex coefficients of length ``n // 2 + 1`` along ``axis``;
            used as workspace (``overwrite_x=True``).
        axis : int
            Periodic axis.
        workers : int, optional
            Threads for ``scipy.fft``.

        Returns
        -------
        ndarray
            Real, of length ``n`` along ``axis``.

        Examples
        --------
        >>> import numpy as np
        >>> t = AxisTransform(4, 0.25, ("periodic", "periodic"))
        >>> x = np.array([1.0, 0.0, -1.0, 0.0])
        >>> t.inverse_real(t.forward_real(x, axis=0), axis=0)
        array([ 1.,  0., -1.,  0.])
        """
        return self._fft.irfft(x, self.n, axis, workers, overwrite=True)

    @property
    def lam_real(self) -> np.ndarray:
        """Eigenvalues of the modes that ``rfft`` keeps."""
        return self.lam[: self.n // 2 + 1]

    def _basis(self, x):
        """The dense eigenbasis on ``xp`` in the precision of ``x`` (made once per dtype)."""
        dtype = x.real.dtype
        if dtype not in self._bases:
            self._bases[dtype] = self.xp.asarray(self._vectors.astype(dtype, copy=False))
        return self._bases[dtype]

    def __repr__(self):
        return f"AxisTransform(n={self.n}, pair={self.pair}, kind={self.kind!r})"


def _dense_eigenbasis(n, h, pair):
    """Orthonormal eigenvectors and eigenvalues of the 1D second difference.

    Ordered by increasing magnitude of the eigenvalue, as the fast
    transforms are.
    """
    check_memory(3 * 8.0 * n * n, f"a dense eigenbasis of an axis with {n} points")
    if pair[0] == "periodic":
        lam, vectors = scipy.linalg.eigh(second_difference(n, h, pair).toarray())
    else:
        mat = second_difference(n, h, pair, format="dia")
        lam, vectors = scipy.linalg.eigh_tridiagonal(mat.diagonal(0), mat.diagonal(1))
    return np.ascontiguousarray(vectors[:, ::-1]), lam[::-1].copy()


def _apply_along_axis(matrix, x, axis, xp):
    """``y[..., i, ...] = sum_j matrix[i, j] x[..., j, ...]`` along ``axis``."""
    moved = xp.moveaxis(x, axis, -1)
    return xp.moveaxis(moved @ matrix.T, -1, axis)
