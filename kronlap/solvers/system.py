"""The assembled system ``S = -(L - shift)`` on the unknowns, and moving vectors to and from it."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from ..coefficients import diffusion, separable_shift, symmetric_diffusion
from ..operators import laplacian

__all__ = [
    "AssembledSystem",
    "negated",
    "weighted_operator",
    "on_grid",
    "shifted_operator",
    "solution_dtype",
    "solve_parts",
]


def shifted_operator(grid, shift: float = 0.0, coeff=None, *, order: int = 2):
    """``L - shift I`` as CSR: ``L`` the Laplacian, or ``div(a grad)`` with ``coeff``.

    The comparison tool's operator, and the assembled methods' for the
    Laplacian (a coefficient goes through :func:`weighted_operator`, which
    writes the shift into the matrix as it builds it). With ``order=4`` it
    is the compact scheme's ``L4 - shift M``
    (:func:`kronlap.compact.compact_mass`; no ``coeff``).

    Examples
    --------
    >>> import kronlap as kl
    >>> shifted_operator(kl.Grid(3, lengths=4.0), 1.0).toarray()
    array([[-3.,  1.,  0.],
           [ 1., -3.,  1.],
           [ 0.,  1., -3.]])
    """
    if order == 4:
        from ..compact import compact_mass

        A = laplacian(grid, order=4)
        return (A - shift * compact_mass(grid)).tocsr() if shift else A
    A = laplacian(grid) if coeff is None else diffusion(grid, coeff)
    if shift:
        A = (A - shift * sp.eye_array(grid.size, format="csr")).tocsr()
    return A


def weighted_operator(problem):
    """``V (L - shift)`` as CSR, symmetric: the operator every assembled method solves with.

    ``L`` is the Laplacian, ``div(a grad)`` with ``problem.coeff``, or the
    Kronecker sum of the axes' operators (separable coefficient and shift,
    Robin sides); ``V`` the control volumes of stretched axes (1 on uniform
    grids, where this is :func:`shifted_operator`).
    """
    grid, shift = problem.grid, problem.shift
    if problem.plain and problem.coeff is None:
        # The Kronecker sum (or the compact scheme) of the axes' differences.
        return shifted_operator(grid, shift, order=problem.order)
    # Written row by row, the shift on the diagonal as it goes.
    total = separable_shift(problem.operators)
    total = shift if total is None else total + shift
    A, _ = symmetric_diffusion(grid, problem.coeff, problem.operators, shift=total)
    return A


class AssembledSystem:
    """``S = -V (L - shift)``, positive (semi)definite, restricted to the unknowns.

    ``L`` is :func:`laplacian` or :func:`diffusion` (see
    :func:`weighted_operator`); with a mask, ``matrix`` holds the rows and
    columns of the masked points and ``coupling`` the columns of the fixed
    points, which move to the right-hand side. ``(L - s) u = f`` becomes
    ``S x = restrict(f)``; ``V``, the control volumes of stretched axes, is
    1 on uniform grids.
    """

    def __init__(self, problem):
        grid, mask = problem.grid, problem.mask
        A = weighted_operator(problem)
        A.data *= -1.0  # in place: no second copy of a large matrix
        volumes = problem.volumes
        self.volumes = None if volumes is None else np.ascontiguousarray(volumes).ravel()
        self.shape = grid.shape
        if mask is None:
            self.matrix, self.coupling, self.inside, self.outside = A, None, None, None
        else:
            flat = mask.ravel()
            self.inside, self.outside = np.flatnonzero(flat), np.flatnonzero(~flat)
            rows = A[self.inside]
            self.matrix = rows[:, self.inside].tocsr()
            self.coupling = rows[:, self.outside].tocsr()

    def restrict(self, rhs, values):
        """``-V f`` at the unknowns, minus the couplings to the fixed values: a new flat array."""
        if self.inside is None:
            b = negated(rhs)
            if self.volumes is not None:
                b *= self.volumes
            return b
        flat = rhs.reshape(-1)
        b = np.negative(
            flat[self.inside], dtype=np.result_type(flat.dtype, values.dtype, np.float64)
        )
        if self.volumes is not None:
            b *= self.volumes[self.inside]
        if values.ndim:
            b -= self.coupling @ values.reshape(-1)[self.outside]
        elif values != 0:
            b -= values * self.coupling.sum(axis=1)
        return b

    def unknowns(self, u):
        """The values of the grid array ``u`` at the unknowns, as a flat array."""
        flat = u.reshape(-1)
        return flat if self.inside is None else flat[self.inside]

    def expand(self, x, values, dtype):
        """Grid array with ``x`` at the unknowns and ``values`` elsewhere."""
        if self.inside is None:
            return on_grid(x, self.shape, dtype)
        u = np.empty(self.shape, dtype=solution_dtype(dtype, x))
        u[...] = values
        u.reshape(-1)[self.inside] = x
        return u


def negated(rhs):
    """``-f`` as a new flat array, at least double precision: every grid point an unknown."""
    flat = rhs.reshape(-1)
    return np.negative(flat, dtype=np.promote_types(flat.dtype, np.float64))


def solution_dtype(dtype, x):
    """The solution's dtype: ``dtype`` (the right-hand side's), widened by a complex ``x``."""
    return np.result_type(dtype, x.dtype) if np.iscomplexobj(x) else dtype


def on_grid(x, shape, dtype):
    """The flat solution of every grid point as a grid array (no copy where types agree)."""
    return x.reshape(shape).astype(solution_dtype(dtype, x), copy=False)


def solve_parts(solve, matrix, b, x0=None):
    """Run a real ``solve(b, x0) -> (x, iterations, residual)`` on a real or complex ``b``.

    A complex ``b`` is solved as its real and imaginary parts (and so is an
    initial guess ``x0``); the residual of the sum is computed with
    ``matrix``.
    """
    if not np.iscomplexobj(b):
        return solve(b, None if x0 is None else x0.real)
    parts = (None, None) if x0 is None else (x0.real.copy(), np.imag(x0).copy())
    re, it_re, res_re = solve(b.real.copy(), parts[0])
    im, it_im, res_im = solve(b.imag.copy(), parts[1])
    x = re + 1j * im
    if res_re is None:
        return x, None, None
    norm_b = np.linalg.norm(b)
    residual = float(np.linalg.norm(b - matrix @ x) / norm_b) if norm_b else 0.0
    return x, it_re + it_im, residual
