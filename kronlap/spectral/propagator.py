"""The exact heat propagator ``exp(t kappa Delta_h)`` in the eigenbasis, for any transform."""

from __future__ import annotations

from ..backend import get_array_module

__all__ = ["heat_frames"]


def heat_frames(coefficients, rates, times, backward, frames, *, steady=0.0, drift=0.0):
    """``frames[k] = V exp(t_k rates) c + steady + t_k drift`` for every output time ``t_k``.

    The exact solution of ``u' = kappa (Delta_h u + source)`` once ``u0 -
    steady`` has been transformed to the eigenbasis (``coefficients``):
    each mode decays with its rate ``kappa lam``. Shared by the serial, GPU
    and distributed heat solvers, which differ only in ``backward``.

    Parameters
    ----------
    coefficients : ndarray
        ``u0 - steady`` in the eigenbasis (numpy or cupy); not modified.
    rates : ndarray
        ``kappa`` times the eigenvalues, broadcastable against ``coefficients``.
    times : sequence of float
    backward : callable
        ``backward(c, out)`` writes the grid values of eigenbasis
        coefficients ``c`` (which it may overwrite) into ``out``.
    frames : ndarray
        Output, ``(len(times), *grid_shape)``; returned.
    steady : float or ndarray, optional
        The steady state added to every frame.
    drift : float, optional
        Growth rate of the mean (a singular grid with unbalanced fluxes).

    Examples
    --------
    One Fourier mode of a periodic axis, ``exp(t lam)`` with ``lam = -1``:

    >>> import numpy as np
    >>> c = np.array([0.0, 1.0])
    >>> out = heat_frames(c, np.array([0.0, -1.0]), [0.0, 1.0],
    ...                   lambda c, out: out.__setitem__(..., c), np.empty((2, 2)))
    >>> out.round(6)
    array([[0.      , 1.      ],
           [0.      , 0.367879]])
    """
    xp = get_array_module(coefficients)
    dtype = coefficients.real.dtype
    for k, time in enumerate(times):
        backward(coefficients * xp.exp(time * rates).astype(dtype, copy=False), frames[k])
        frames[k] += steady
        if drift:
            frames[k] += time * drift
    return frames
