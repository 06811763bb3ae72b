"""``"direct"``: sparse LU of the assembled operator, factored once."""

from __future__ import annotations

import math

import numpy as np
import scipy.sparse.linalg as spla

from .._memory import check_memory
from .registry import Method, register
from .system import AssembledSystem, solve_parts

__all__ = ["DirectMethod", "AssembledMethod"]


class AssembledMethod(Method):
    """A method on the assembled matrix of the unknowns (:class:`AssembledSystem`).

    Subclasses solve ``S x = b`` on flat vectors in :meth:`solve_flat` and
    keep the matrix in ``matrix``.
    """

    coeff = True
    mask = True

    def __init__(self, problem):
        super().__init__(problem)
        self.system = AssembledSystem(problem)
        self.matrix = self.system.matrix

    def solve(self, rhs, values, overwrite, x0=None):
        b = self.system.restrict(rhs, values)
        start = None if x0 is None else self.system.unknowns(x0)
        x, iterations, residual = solve_parts(self.solve_flat, self.matrix, b, start)
        return self.system.expand(x, values, rhs.dtype), iterations, residual

    def solve_flat(self, b, x0=None):
        """``(x, iterations, residual)`` for a real flat ``b`` (from ``x0`` if iterative)."""
        raise NotImplementedError


def _check_direct_memory(ndim, n):
    if ndim == 1:
        fill = 3.0 * n
    elif ndim == 2:
        fill = 5.0 * n * max(1.0, math.log2(max(n, 2)))
    else:
        fill = 0.7 * n ** (5.0 / 3.0)
    check_memory(24.0 * fill, f"a sparse LU factorization of {n} unknowns")


@register
class DirectMethod(AssembledMethod):
    """Sparse LU (SuperLU, minimum-degree ordering on ``A + A^T``), kept for every solve.

    A singular problem is made regular by grounding the first unknown
    (deleting its row and column); the facade then removes the mean.
    """

    name = "direct"
    indefinite = True
    orders = (2, 4)

    def __init__(self, problem):
        _check_direct_memory(problem.grid.ndim, problem.unknowns)
        super().__init__(problem)
        A = self.matrix.tocsc()
        self.grounded = problem.singular
        if self.grounded:
            A = A[1:, 1:]
        self._lu = None
        if A.shape[0]:
            try:
                self._lu = spla.splu(A, permc_spec="MMD_AT_PLUS_A")
            except RuntimeError as error:  # "Factor is exactly singular"
                raise ValueError(
                    f"the operator is singular ({error}): shift={problem.shift} is an "
                    f"eigenvalue of it"
                ) from None
        self.info = {"factorization": "SuperLU (MMD_AT_PLUS_A)"}

    def solve_flat(self, b, x0=None):
        start = 1 if self.grounded else 0
        x = np.zeros_like(b)
        if self._lu is not None:
            x[start:] = self._lu.solve(b[start:])
        return x, None, None
