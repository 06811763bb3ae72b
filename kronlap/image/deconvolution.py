"""Deblurring: Tikhonov and total-variation deconvolution by spectral filtering or CG."""

from __future__ import annotations

import warnings

import numpy as np
import scipy.fft
import scipy.ndimage
import scipy.optimize
import scipy.sparse.linalg

from .._validation import check_choice, check_nonnegative
from ..spectral import axis_eigenvalues
from .blurring import (
    _fft_eigenvalues,
    _Psf,
    apply_adjoint,
    apply_blur,
    check_doubly_symmetric,
    check_mode,
    check_psf,
    dct_eigenvalues,
)
from .smoothing import as_float_image
from .tv import PENALTY_PER_WEIGHT, check_iteration_options, split_bregman

__all__ = ["deblur"]

REGULARIZERS = ("identity", "gradient", "tv")
METHODS = ("auto", "spectral", "cg")

# GCV searches the weight over this many decades around the blur's scale, on a coarse
# grid of half decades first (GCV may have several local minima), then by Brent's method.
_GCV_DECADES = (-12.0, 3.0)

# GCV's sums are taken over about this many blocks of neighbouring modes.
_GCV_MODES = 16384

# Without weight, the TV weight is this times the weight GCV chooses for the gradient
# regularizer: on bench_image.py's photographs (Gaussian blurs of sigma 1.5 to 3, noise
# 0.005 to 0.05) the best ratio lies between 0.016 and 0.11 and PSNR is flat around it.
_TV_PER_GRADIENT_WEIGHT = 0.05

# Inner CG of split Bregman's linear step on a blur that no transform diagonalizes.
_TV_INNER_RTOL = 1e-3
_TV_INNER_MAXITER = 25


class _SpectralBlur:
    """A blur diagonalized by a fast transform: the DCT-II (reflect) or the FFT (wrap).

    Holds the blur's eigenvalues ``s`` and those of ``-Delta_h`` of the same
    boundary kind (Neumann or periodic, one-pixel spacing) in the transform's
    layout (``rfft2`` for ``"wrap"``), and the multiplicity of each
    coefficient (2 for the half spectrum ``rfft2`` keeps of a conjugate pair),
    so that sums over the layout are sums over all ``H W`` modes.
    """

    def __init__(self, psf: _Psf, shape, mode: str):
        height, width = shape
        self.shape = (height, width)
        self.kind = "dct" if mode == "reflect" else "fft"
        if mode == "reflect":
            pair = ("neumann", "neumann")
            self.eigenvalues = dct_eigenvalues(psf, self.shape)
            lam0, lam1 = (axis_eigenvalues(n, 1.0, pair) for n in self.shape)
            self.multiplicity = np.ones((1, width))
        else:
            pair = ("periodic", "periodic")
            self.eigenvalues = _fft_eigenvalues(psf.kernel, self.shape, real=True)
            lam0 = axis_eigenvalues(height, 1.0, pair)
            lam1 = axis_eigenvalues(width, 1.0, pair)[: width // 2 + 1]
            self.multiplicity = np.full((1, width // 2 + 1), 2.0)
            self.multiplicity[0, 0] = 1.0
            if width % 2 == 0:
                self.multiplicity[0, -1] = 1.0
        self.minus_laplacian = -(lam0[:, None] + lam1[None, :])
        self.power = np.abs(self.eigenvalues) ** 2

    def forward(self, x: np.ndarray) -> np.ndarray:
        if self.kind == "dct":
            return scipy.fft.dctn(x, norm="ortho", axes=(0, 1), workers=-1)
        return scipy.fft.rfft2(x, axes=(0, 1), workers=-1)

    def inverse(self, coeffs: np.ndarray) -> np.ndarray:
        if self.kind == "dct":
            return scipy.fft.idctn(coeffs, norm="ortho", axes=(0, 1), workers=-1)
        return scipy.fft.irfft2(coeffs, s=self.shape, axes=(0, 1), workers=-1)

    def penalty(self, regularizer: str):
        """Eigenvalues of the regularizer's ``R^T R``: 1 (identity) or those of ``-Delta_h``."""
        return 1.0 if regularizer == "identity" else self.minus_laplacian


def _channel_axis(array: np.ndarray, ndim: int) -> np.ndarray:
    """``array`` (2D) broadcast against data of ``ndim`` dimensions."""
    return array if ndim == 2 else array[:, :, None]


def _filter(coeffs, eigenvalues, power, penalty, weight):
    """Tikhonov filter ``conj(s) c / (|s|^2 + weight q)``; 0 where the denominator is 0."""
    denominator = power + weight * penalty
    factor = np.divide(
        np.conj(eigenvalues), denominator, out=np.zeros_like(eigenvalues), where=denominator > 0
    )
    return coeffs * _channel_axis(factor, coeffs.ndim)


def gcv_weight(spectral: _SpectralBlur, coeffs: np.ndarray, regularizer: str):
    """The weight minimizing generalized cross-validation, and the noise level it implies.

    With the filter factors ``phi = |s|^2 / (|s|^2 + w q)`` (``q`` the
    regularizer's eigenvalues), the residual of the regularized solution in
    the transform's coefficients is ``(1 - phi) b_hat``, and

        ``G(w) = N ||(1 - phi) b_hat||^2 / (sum (1 - phi))^2``

    (Golub, Heath and Wahba 1979), sums over all ``N`` modes (and channels).
    ``G`` is minimized over ``log10 w``: on a grid of half decades, then by
    bounded Brent in the best cell. The sums run over blocks of
    neighbouring modes (:func:`_aggregate`). The noise variance estimate is
    ``||(1 - phi) b_hat||^2 / sum (1 - phi)`` at the chosen weight.
    """
    shape = coeffs.shape[:2]
    channels = 1 if coeffs.ndim == 2 else coeffs.shape[2]
    energy = np.abs(coeffs) ** 2
    if coeffs.ndim == 3:
        energy = energy.sum(axis=2)
    multiplicity = np.broadcast_to(spectral.multiplicity, shape)
    power, penalty, energy, multiplicity = _aggregate(
        [spectral.power, np.broadcast_to(spectral.penalty(regularizer), shape)],
        energy * multiplicity,
        multiplicity,
    )
    # Modes with |s| = 0 and q = 0 are left out of the solution: their residual is whole.
    both_zero = (power == 0) & (penalty == 0)
    scale = power.max() / max(float(penalty.max()), np.finfo(float).tiny)
    if scale == 0:
        raise ValueError("psf is zero: there is no blur to invert")

    def residual_factor(log_weight):
        weighted = 10.0**log_weight * penalty
        total = power + weighted
        factor = np.divide(weighted, total, out=np.ones_like(total), where=~both_zero)
        return factor

    def gcv(log_weight):
        factor = residual_factor(log_weight)
        trace = channels * float(np.sum(multiplicity * factor))
        return float(np.sum(energy * factor**2)) / max(trace, np.finfo(float).tiny) ** 2

    low, high = (np.log10(scale) + d for d in _GCV_DECADES)
    grid = np.arange(low, high + 0.25, 0.5)
    values = [gcv(t) for t in grid]
    best = int(np.argmin(values))
    bracket = (grid[max(best - 1, 0)], grid[min(best + 1, grid.size - 1)])
    result = scipy.optimize.minimize_scalar(
        gcv, bounds=bracket, method="bounded", options={"xatol": 1e-3}
    )
    log_weight = result.x if result.fun <= values[best] else grid[best]
    factor = residual_factor(log_weight)
    trace = channels * float(np.sum(multiplicity * factor))
    noise_variance = float(np.sum(energy * factor**2)) / max(trace, np.finfo(float).tiny)
    # Orthonormal DCT keeps norms; rfft2 multiplies squared norms by N.
    if spectral.kind == "fft":
        noise_variance /= spectral.shape[0] * spectral.shape[1]
    return 10.0**log_weight, float(np.sqrt(noise_variance)), min(values[best], result.fun)


def _aggregate(means, energy, multiplicity):
    """Blocks of neighbouring modes for GCV: mean eigenvalues, summed energy and counts.

    GCV's sums run over all ``N`` modes at every trial weight. The blur's
    and the regularizer's eigenvalues are smooth functions of the
    frequency, so blocks of ``s x s`` neighbouring modes (``s`` chosen to
    leave about ``_GCV_MODES`` blocks) are replaced by one mode with the
    block's mean eigenvalues and its summed energy and multiplicity: a
    quadrature of the sums that keeps the data's energy exactly.
    """
    shape = energy.shape
    stride = max(1, int(np.sqrt(shape[0] * shape[1] / _GCV_MODES)))
    if stride == 1:
        return [np.ravel(m) for m in means] + [energy.ravel(), np.ravel(multiplicity)]
    starts = [np.arange(0, n, stride) for n in shape]

    def block_sum(a):
        a = np.broadcast_to(a, shape)
        return np.add.reduceat(np.add.reduceat(a, starts[0], axis=0), starts[1], axis=1)

    counts = block_sum(np.ones(shape))
    averaged = [(block_sum(m) / counts).ravel() for m in means]
    return averaged + [block_sum(energy).ravel(), block_sum(multiplicity).ravel()]


def deblur(
    image,
    psf,
    *,
    mode: str = "reflect",
    weight: float | None = None,
    regularizer: str = "identity",
    method: str = "auto",
    tol: float | None = None,
    maxiter: int | None = None,
    penalty: float | None = None,
    return_info: bool = False,
):
    """Deconvolution: minimize ``||psf * u - image||^2 + weight ||R u||^2`` (or ``TV``).

    Undoes :func:`blur` with the same ``psf`` and ``mode``, stabilized
    against noise by one of three regularizers:

    * ``"identity"``: ``||u||^2``, Tikhonov's (the Wiener filter of white
      signal and noise);
    * ``"gradient"``: ``||grad_h u||^2``, whose normal matrix is
      ``-Delta_h`` with the boundary kind of ``mode`` (Neumann for
      ``"reflect"``, periodic for ``"wrap"``);
    * ``"tv"``: the total variation ``TV(u)`` of :func:`tv_denoise`,
      edge-preserving, by split Bregman; the objective is then
      ``1/2 ||psf * u - image||^2 + weight TV(u)``.

    Where a fast transform diagonalizes the blur (any PSF with ``"wrap"``:
    the FFT, the convolution rule; a doubly symmetric PSF with
    ``"reflect"``: the DCT-II) and the regularizer (the Laplacian of the
    same boundary kind is diagonal in the same basis), the quadratic
    problems are solved by spectral filtering, two transforms in all:
    ``u_hat = conj(s) b_hat / (|s|^2 + weight q)``; and each split
    Bregman step of ``"tv"`` is one such diagonal solve. Otherwise (a PSF
    that is not doubly symmetric with ``"reflect"``, or ``"constant"``)
    the normal equations ``(A^T A + weight R^T R) u = A^T b`` are solved by
    preconditioned CG with the blur ``A`` applied matrix-free (the periodic
    blur of the same PSF, diagonal after the FFT, is the preconditioner).

    Parameters
    ----------
    image : array_like
        The blurred (and noisy) image, gray ``(H, W)`` or color
        ``(H, W, C)``; integers are read as ``[0, 1]`` floats.
    psf : array_like or pair of array_like
        As in :func:`blur`: a centred odd-sized 2D kernel, or a pair of 1D
        kernels (separable).
    mode : {"reflect", "wrap", "constant"}, optional
        The border model of the blur, as in :func:`blur`.
    weight : float or None, optional
        Regularization weight, ``>= 0``. ``None`` chooses it by generalized
        cross-validation (GCV) from the spectrum of the diagonalized blur (for
        ``"cg"``, of the periodic blur of the same PSF); for ``"tv"`` it is
        ``0.05`` times the weight GCV chooses for ``"gradient"`` (an
        empirical ratio). The chosen weight is in ``info``.
    regularizer : {"identity", "gradient", "tv"}, optional
        The penalty on ``u``.
    method : {"auto", "spectral", "cg"}, optional
        ``"auto"`` takes ``"spectral"`` where the blur is diagonalizable,
        else ``"cg"``. ``"spectral"`` refuses a blur it cannot diagonalize.
    tol : float, optional
        Relative tolerance of the iterations, in ``(0, 1)``: CG's residual
        (default ``1e-6``) or split Bregman's change per step (default
        ``1e-3``). Not an option of the spectral quadratic solves.
    maxiter : int, optional
        Most CG or split Bregman iterations (default 500 and 200).
    penalty : float, optional
        Split Bregman's penalty for ``"tv"`` (default ``20 * weight``); only
        ``"tv"`` takes it.
    return_info : bool, optional
        Also return a dict: ``"method"`` (``"dct"``, ``"fft"`` or ``"cg"``),
        ``"regularizer"``, ``"weight"``, ``"weight_from"`` (``"gcv"`` or
        ``"given"``), ``"noise"`` (GCV's estimate of the noise's standard
        deviation, else None) and ``"iterations"``.

    Returns
    -------
    u : ndarray of float64
        The deblurred image, same shape as ``image`` (not clipped).
    info : dict
        Only with ``return_info=True``.

    Raises
    ------
    TypeError
        Non-numeric ``image`` or ``psf``; an option of the wrong type, or
        one the chosen method does not take (``tol`` and ``maxiter`` for a
        spectral quadratic solve, ``penalty`` without ``"tv"``).
    ValueError
        Bad shapes (an even-sized PSF, one larger than the image), NaN or
        inf, a negative or NaN ``weight``, an unknown ``mode``,
        ``regularizer`` or ``method``; ``method="spectral"`` with a blur no
        transform diagonalizes (``psf`` not doubly symmetric with
        ``"reflect"``, or ``mode="constant"``); a zero ``psf`` with
        ``weight=None``.

    See Also
    --------
    blur : the forward blur.
    blur_eigenvalues : the spectrum that the filter divides by.
    tv_denoise : total-variation denoising (no blur).

    Notes
    -----
    With reflective borders a doubly symmetric PSF's blur matrix is a sum
    of Toeplitz-plus-Hankel blocks diagonalized by the DCT-II (Hansen,
    Nagy and O'Leary, *Deblurring Images*, 2006, ch. 4), the natural basis
    of a photograph's unknown surroundings: unlike the periodic model it
    does not make the left border continue into the right one, and so does
    not ring there.

    Examples
    --------
    >>> import numpy as np
    >>> from kronlap import image
    >>> rng = np.random.default_rng(0)
    >>> clean = np.zeros((40, 40))
    >>> clean[10:30, 12:28] = 1.0
    >>> x = np.arange(-4, 5)
    >>> psf = np.exp(-(x[:, None] ** 2 + x[None, :] ** 2) / (2 * 1.5**2))
    >>> psf /= psf.sum()
    >>> blurred = image.blur(clean, psf) + rng.normal(0.0, 0.01, clean.shape)
    >>> u, info = image.deblur(blurred, psf, regularizer="gradient", return_info=True)
    >>> info["method"], info["weight_from"]
    ('dct', 'gcv')
    >>> def rms(a):
    ...     return float(np.sqrt(np.mean((a - clean) ** 2)))
    >>> bool(rms(u) < 0.8 * rms(blurred))
    True

    Without noise and with a well-conditioned blur, a tiny weight inverts
    the blur:

    >>> mild = np.array([[0.0, 0.1, 0.0], [0.1, 0.6, 0.1], [0.0, 0.1, 0.0]])
    >>> exact = image.deblur(image.blur(clean, mild), mild, weight=1e-12)
    >>> bool(np.allclose(exact, clean))
    True
    """
    data = as_float_image(image)
    if not isinstance(data, np.ndarray):
        raise TypeError("image must be a numpy array (deblur has no GPU path)")
    mode = check_mode(mode)
    checked = check_psf(psf, data.shape)
    if weight is not None:
        weight = check_nonnegative(weight, "weight")
    if not isinstance(regularizer, str):
        raise TypeError(f"regularizer must be a str, one of {REGULARIZERS}, got {regularizer!r}")
    check_choice(regularizer, "regularizer", REGULARIZERS)
    if not isinstance(method, str):
        raise TypeError(f"method must be a str, one of {METHODS}, got {method!r}")
    check_choice(method, "method", METHODS)
    if not isinstance(return_info, bool):
        raise TypeError(f"return_info must be a bool, got {return_info!r}")
    diagonalizable = mode == "wrap" or (mode == "reflect" and checked.doubly_symmetric)
    if method == "spectral":
        if mode == "constant":
            raise ValueError(
                "mode='constant' (zero borders) is not diagonalized by a fast transform: "
                "method='spectral' needs mode='reflect' or 'wrap'; use method='cg'"
            )
        if mode == "reflect":
            check_doubly_symmetric(checked, "method='spectral' with mode='reflect'")
    spectral = method == "spectral" or (method == "auto" and diagonalizable)
    tv = regularizer == "tv"
    if penalty is not None and not tv:
        raise TypeError(f"penalty is an option of regularizer='tv' only, not {regularizer!r}")
    if spectral and not tv and (tol is not None or maxiter is not None):
        option = "tol" if tol is not None else "maxiter"
        raise TypeError(
            f"{option} is an option of the iterative solves (method='cg' or regularizer='tv'); "
            f"the spectral filter here is exact"
        )
    tol, maxiter, penalty = check_iteration_options(
        tol,
        maxiter,
        penalty,
        tol_default=1e-3 if tv else 1e-6,
        maxiter_default=200 if tv else 500,
    )

    shape = data.shape[:2]
    info = {
        "method": None,
        "regularizer": regularizer,
        "weight": weight,
        "weight_from": "given" if weight is not None else "gcv",
        "noise": None,
        "iterations": None,
    }
    transform = _SpectralBlur(checked, shape, mode if spectral else "wrap")
    if weight is None:
        # GCV needs a diagonal blur: the CG path asks its periodic counterpart.
        coeffs = transform.forward(data)
        weight, noise, _ = gcv_weight(transform, coeffs, "gradient" if tv else regularizer)
        info["noise"] = noise
        if tv:
            weight = _TV_PER_GRADIENT_WEIGHT * weight
        info["weight"] = weight

    if not tv and spectral:
        info["method"] = transform.kind
        coeffs = transform.forward(data)
        solution = transform.inverse(
            _filter(
                coeffs,
                transform.eigenvalues,
                transform.power,
                transform.penalty(regularizer),
                weight,
            )
        )
        return (solution, info) if return_info else solution

    info["method"] = transform.kind if spectral else "cg"
    out = np.empty_like(data)
    channels = [data] if data.ndim == 2 else [data[..., c] for c in range(data.shape[2])]
    targets = [out] if data.ndim == 2 else [out[..., c] for c in range(data.shape[2])]
    iterations = 0
    for channel, target in zip(channels, targets):
        channel = np.ascontiguousarray(channel)
        if tv:
            rho = PENALTY_PER_WEIGHT * weight if penalty is None else penalty
            if weight == 0:
                rho = 1.0 if penalty is None else penalty
            solve, data_rhs = _tv_linear_step(transform, checked, mode, channel, rho, spectral)
            result, count, _ = split_bregman(
                data_rhs,
                solve,
                weight,
                rho,
                periodic=mode == "wrap",
                maxiter=maxiter,
                tol=tol,
                start=channel,
            )
        else:
            result, count = _normal_equations_cg(
                transform, checked, mode, channel, weight, regularizer, tol, maxiter
            )
        target[...] = result
        iterations = max(iterations, count)
    info["iterations"] = iterations
    if tv:
        info["penalty"] = rho
    return (out, info) if return_info else out


def _minus_laplacian(u: np.ndarray) -> np.ndarray:
    """``-Delta_h u`` with reflecting (Neumann) borders, one-pixel spacing."""
    return -scipy.ndimage.laplace(u, mode="reflect")


def _preconditioner(transform: _SpectralBlur, weight: float, regularizer_penalty):
    """``(|s|^2 + weight q)^-1`` of the periodic blur, floored away from zero."""
    denominator = transform.power + weight * regularizer_penalty
    floor = 1e-6 * float(np.max(denominator))
    denominator = np.maximum(denominator, floor)
    inverse = 1.0 / denominator

    def apply(r: np.ndarray) -> np.ndarray:
        return transform.inverse(transform.forward(r) * inverse)

    return apply


def _cg(operator, rhs: np.ndarray, guess: np.ndarray, precondition, rtol, maxiter, warn=False):
    """Preconditioned CG on 2D arrays from ``guess``: ``(solution, iterations)``.

    Runs through kronlap's restart loop, which keeps the best iterate (never
    a worse one than ``guess``) and stops on stagnation; with ``warn`` a
    missed ``rtol`` is a :class:`~kronlap.ConvergenceWarning` (the inner
    steps of split Bregman are inexact on purpose and do not warn).
    """
    from ..multigrid import restart_on_true_residual
    from ..solvers import ConvergenceWarning

    shape = rhs.shape
    size = rhs.size

    def matvec(v):
        return operator(v.reshape(shape)).ravel()

    def psolve(v):
        return precondition(v.reshape(shape)).ravel()

    linear = scipy.sparse.linalg.LinearOperator((size, size), matvec=matvec, dtype=np.float64)
    inverse = scipy.sparse.linalg.LinearOperator((size, size), matvec=psolve, dtype=np.float64)
    b = rhs.ravel()

    def run(x0, budget, best):
        x, _ = scipy.sparse.linalg.cg(
            linear, b, x0=x0, rtol=rtol, maxiter=budget, M=inverse, callback=best
        )
        return x, best.calls

    solution, iterations, residual = restart_on_true_residual(
        run, linear, b, rtol, maxiter, monitored=True, stride=10, x0=guess.ravel()
    )
    if warn and not residual <= rtol:
        warnings.warn(
            f"deblur's conjugate gradients reached relative residual {residual:.3e} after "
            f"{iterations} iterations, short of tol={rtol:.1e}",
            ConvergenceWarning,
            stacklevel=4,
        )
    return solution.reshape(shape), iterations


def _normal_equations_cg(transform, psf, mode, channel, weight, regularizer, tol, maxiter):
    """Tikhonov deconvolution of one channel by CG on ``(A^T A + weight R^T R) u = A^T b``."""

    def operator(u):
        out = apply_adjoint(apply_blur(u, psf, mode), psf, mode)
        if weight:
            out += weight * (u if regularizer == "identity" else _minus_laplacian(u))
        return out

    rhs = apply_adjoint(channel, psf, mode)
    precondition = _preconditioner(transform, weight, transform.penalty(regularizer))
    return _cg(operator, rhs, channel, precondition, tol, maxiter, warn=True)


def _tv_linear_step(transform, psf, mode, channel, rho, spectral):
    """Split Bregman's linear step ``(A^T A + rho grad^T grad) u = rhs`` and ``A^T b``."""
    if spectral:
        denominator = transform.power + rho * transform.minus_laplacian
        inverse = np.divide(
            1.0, denominator, out=np.zeros_like(denominator), where=denominator > 0
        )
        data_rhs = transform.inverse(np.conj(transform.eigenvalues) * transform.forward(channel))

        def solve(rhs, guess):
            return transform.inverse(transform.forward(rhs) * inverse)

        return solve, data_rhs

    precondition = _preconditioner(transform, rho, transform.minus_laplacian)

    def operator(u):
        out = apply_adjoint(apply_blur(u, psf, mode), psf, mode)
        out += rho * _minus_laplacian(u)
        return out

    def solve(rhs, guess):
        return _cg(operator, rhs, guess, precondition, _TV_INNER_RTOL, _TV_INNER_MAXITER)[0]

    return solve, apply_adjoint(channel, psf, mode)
