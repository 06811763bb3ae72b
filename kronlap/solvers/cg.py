"""``"cg"``: preconditioned conjugate gradients on the assembled system."""

from __future__ import annotations

import numpy as np
import scipy.sparse.linalg as spla

from .._validation import check_choice, check_count
from ..backend import sparse_matrix, sparse_modules
from .direct import AssembledMethod
from .registry import register

__all__ = ["CGMethod", "PRECONDITIONERS"]

PRECONDITIONERS = ("jacobi", "ilu", "amg", "gmg", None)

# Options that belong to one preconditioner: refused with the others.
_PRECONDITIONER_OPTIONS = {"amg": "amg", "amg_options": "amg", "cycle": "gmg"}


def _incomplete_lu(matrix, singular):
    """An incomplete LU of ``matrix`` as a LinearOperator, nearly symmetric for CG.

    CG needs a symmetric preconditioner. SuperLU's defaults (COLAMD on ``A``
    alone, partial pivoting) give an incomplete LU far from symmetric, with
    which CG may not converge at all; a symmetric ordering without pivoting
    keeps it nearly symmetric.

    A singular (semidefinite) matrix has no LU: as in the direct solver,
    the first unknown is grounded (its row and column dropped) and the
    preconditioner returns 0 there. It is positive definite on the
    zero-mean vectors, where the caller's projection keeps CG.
    """
    start = 1 if singular else 0
    ilu = spla.spilu(
        matrix.tocsc()[start:, start:],
        permc_spec="MMD_AT_PLUS_A",
        diag_pivot_thresh=0.0,
        options={"SymmetricMode": True},
    )
    if not singular:
        return spla.LinearOperator(matrix.shape, matvec=ilu.solve, dtype=matrix.dtype)

    def matvec(x):
        x = np.ravel(x)
        out = np.zeros_like(x)
        out[1:] = ilu.solve(x[1:])
        return out

    return spla.LinearOperator(matrix.shape, matvec=matvec, dtype=matrix.dtype)


@register
class CGMethod(AssembledMethod):
    """Conjugate gradients on ``-(L - shift)``: Jacobi, incomplete-LU, AMG or GMG preconditioned.

    One CG loop (:func:`kronlap.multigrid.krylov.conjugate_gradients`,
    shared with the geometric multigrid) for numpy and, on a copy of the
    matrix there, cupy (Jacobi or no preconditioner, no mask). It restarts
    from its best iterate while the true residual misses ``tol``, and stops
    when it stagnates.
    """

    name = "cg"
    gpu = True
    iterative = True
    warm_start = True
    options = {
        "preconditioner": "jacobi",
        "maxiter": None,
        "amg": "auto",
        "amg_options": None,
        "cycle": None,
    }

    @classmethod
    def check_options(cls, problem, given):
        options = super().check_options(problem, given)
        preconditioner = check_choice(options["preconditioner"], "preconditioner", PRECONDITIONERS)
        for option, owner in _PRECONDITIONER_OPTIONS.items():
            if option in given and preconditioner != owner:
                raise TypeError(
                    f"method='cg' takes {option!r} only with preconditioner={owner!r}, got "
                    f"preconditioner={preconditioner!r}"
                )
        options["maxiter"] = check_count(options["maxiter"], "maxiter", allow_none=True)
        if preconditioner == "gmg" and problem.mask is not None:
            raise ValueError(
                "preconditioner='gmg' works on the full grid and cannot take mask; use "
                "preconditioner='jacobi', 'ilu' or 'amg'"
            )
        if problem.xp is not np and (
            problem.mask is not None or preconditioner not in ("jacobi", None)
        ):
            raise ValueError(
                "method='cg' on the GPU takes preconditioner='jacobi' or None and no mask; "
                "use backend='numpy' for the others"
            )
        if preconditioner == "amg":
            from .amg import check_amg_options

            check_amg_options(options)
        if preconditioner == "gmg":
            from .gmg import check_gmg_cycle

            check_gmg_cycle(options["cycle"])
        return options

    def __init__(self, problem, *, preconditioner, maxiter, amg, amg_options, cycle):
        if preconditioner == "amg":
            from .amg import check_amg_memory

            check_amg_memory(problem.unknowns, problem.grid.ndim)
        super().__init__(problem)
        xp = problem.xp
        self.info = {"preconditioner": preconditioner}
        hierarchy = None
        if preconditioner == "gmg":
            from .gmg import geometric_hierarchy

            hierarchy = geometric_hierarchy(problem, cycle=cycle)
            self.info.update(hierarchy.info)
        elif preconditioner == "amg":
            from .amg import algebraic_hierarchy

            hierarchy = algebraic_hierarchy(problem, self.matrix, amg, amg_options)
            self.info.update(hierarchy.info)
        _, linalg = sparse_modules(xp)
        matrix = sparse_matrix(self.matrix, xp)
        self.matrix = matrix
        self.maxiter = maxiter or 10 * problem.unknowns
        if preconditioner == "jacobi":
            inverse_diagonal = 1.0 / matrix.diagonal()
            M = linalg.LinearOperator(
                matrix.shape, matvec=lambda r: inverse_diagonal * r, dtype=matrix.dtype
            )
        elif preconditioner == "ilu":
            M = _incomplete_lu(matrix, problem.singular)
        elif hierarchy is not None:
            M = hierarchy.aspreconditioner()
        else:
            M = None
        if problem.singular and M is not None and hierarchy is None:
            from ..multigrid import project_constants

            # Keep CG in the range (zero mean), where the matrix is definite.
            M = project_constants(M, linalg.LinearOperator)
        if M is None:

            def precondition(r, out):
                return r

        elif preconditioner == "jacobi" and not problem.singular:

            def precondition(r, out):
                # In place: on a well-conditioned problem the vector work is
                # much of Jacobi CG's time.
                return xp.multiply(inverse_diagonal, r, out=out)

        else:

            def precondition(r, out):
                return M @ r

        self._precondition = precondition
        # Stagnation (the best true residual not halving in `window` iterations,
        # checked every 10th: a true residual costs one matvec) ends a solve.
        # With a multigrid cycle CG halves it every few iterations; without one
        # its residual can stay near ||b|| until information has crossed the
        # grid (up to 3 longest axes with a rough coefficient).
        from ..multigrid import STAGNATION_WINDOW

        if hierarchy is not None:
            self.window = STAGNATION_WINDOW
        else:
            self.window = max(STAGNATION_WINDOW, 10 * max(problem.grid.shape))

    def solve_flat(self, b, x0=None):
        from ..multigrid import conjugate_gradients, restart_on_true_residual

        matrix = self.matrix
        run = conjugate_gradients(
            lambda v, out: matrix @ v,
            self._precondition,
            b,
            self.problem.tol,
            singular=self.problem.singular,
            report_recursive=False,
        )
        tol, maxiter, window = self.problem.tol, self.maxiter, self.window
        return restart_on_true_residual(
            run, matrix, b, tol, maxiter, monitored=True, window=window, stride=10, x0=x0
        )
