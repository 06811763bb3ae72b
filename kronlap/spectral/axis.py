"""One axis' diagonalizer: its fast transform (FFT, DST-I, DCT-II) or dense eigenvectors."""

from __future__ import annotations

import numpy as np

from ..backend import fft_transforms
from ..differences import plain_operator
from .eigen import axis_eigenpairs, axis_eigenvalues

__all__ = ["AxisTransform", "transform_kind"]

# The kinds name the transform pairs of kronlap._transforms: kind, "i" + kind.
_FAST_KINDS = {"periodic": "fft", "dirichlet": "dst1", "neumann": "dct2"}


def transform_kind(pair, *, dense: bool = False, plain: bool = True) -> str:
    """Which diagonalizer an axis with sides ``pair`` gets (a transform kind).

    The one table of which transform an axis gets, for the serial and the
    distributed solvers: the FFT for a periodic axis (the convolution rule),
    the DST-I for Dirichlet and the DCT-II for Neumann on both sides, dense
    eigenvectors for mixed or Robin sides, for an axis that is not
    ``plain`` (stretched, or with a separable coefficient or shift), or
    everywhere with ``dense``.

    Examples
    --------
    >>> transform_kind(("dirichlet", "dirichlet")), transform_kind(("dirichlet", "neumann"))
    ('dst1', 'dense')
    >>> transform_kind(("periodic", "periodic"), plain=False)
    'dense'
    """
    low, high = pair
    if dense or not plain or low != high or low not in _FAST_KINDS:
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
        fast transform. Mixed-side and Robin axes always do.
    xp : module, optional
        Array module of the data, ``numpy`` (default) or ``cupy``: the
        transforms come from :func:`kronlap.backend.fft_transforms` and a
        dense eigenbasis, computed on the host, is moved there once.
    operator : AxisOperator, optional
        The axis' operator when it is not the plain second difference of
        ``(n, h, pair)`` (a stretched axis, a separable coefficient or
        shift; :func:`kronlap.differences.axis_operator`): it gets the dense
        eigenvectors of the generalized problem (:func:`axis_eigenpairs`).

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

    def __init__(self, n: int, h: float, pair, *, dense: bool = False, xp=None, operator=None):
        self.n, self.h, self.pair = n, h, pair
        self.xp = np if xp is None else xp
        self._fft = fft_transforms(self.xp)
        self._bases = {}  # the dense eigenbasis on self.xp, per real dtype and direction
        if operator is None:
            operator = plain_operator(n, h, pair)
        self.kind = transform_kind(pair, dense=dense, plain=operator.plain)
        if self.kind == "dense":
            self.lam, self._inverse, self._forward = axis_eigenpairs(operator)
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
            return _apply_along_axis(self._basis(x, forward=True), x, axis, self.xp)
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
            return _apply_along_axis(self._basis(x, forward=False), x, axis, self.xp)
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

    def _basis(self, x, forward: bool):
        """``X^-1`` (forward) or ``X`` on ``xp`` in the precision of ``x`` (made once per dtype).

        For unit volumes ``X^-1 = X.T``: only ``X`` is stored and moved.
        """
        dtype = x.real.dtype
        symmetric = self._forward.base is self._inverse  # X^-1 = X.T, a view
        key = (dtype, forward and not symmetric)
        if key not in self._bases:
            matrix = self._forward if key[1] else self._inverse
            self._bases[key] = self.xp.asarray(matrix.astype(dtype, copy=False))
        basis = self._bases[key]
        return basis.T if forward and symmetric else basis

    def __repr__(self):
        return f"AxisTransform(n={self.n}, pair={self.pair}, kind={self.kind!r})"


def _apply_along_axis(matrix, x, axis, xp):
    """``y[..., i, ...] = sum_j matrix[i, j] x[..., j, ...]`` along ``axis``."""
    moved = xp.moveaxis(x, axis, -1)
    return xp.moveaxis(moved @ matrix.T, -1, axis)
