"""What an iterative solve that misses its tolerance raises, or warns with."""

from __future__ import annotations

__all__ = ["ConvergenceError", "ConvergenceWarning"]


class ConvergenceError(RuntimeError):
    """An iterative solve stopped before reaching the requested tolerance.

    The message gives the method, the relative residual reached, the
    iteration count and ``tol``.

    Examples
    --------
    >>> import numpy as np
    >>> import kronlap as kl
    >>> g = kl.Grid((64, 64))
    >>> try:
    ...     kl.solve_poisson(np.ones(g.shape), g, method="cg", preconditioner=None, maxiter=2)
    ... except kl.ConvergenceError as error:
    ...     print(str(error).split(" reached")[0], "after 2 iterations" in str(error))
    method='cg' True
    """


class ConvergenceWarning(RuntimeWarning):
    """Warning counterpart of :class:`ConvergenceError` (``on_nonconvergence="warn"``).

    Examples
    --------
    >>> import warnings
    >>> import numpy as np
    >>> import kronlap as kl
    >>> g = kl.Grid((64, 64))
    >>> solver = kl.PoissonSolver(g, method="gmg", maxiter=1, on_nonconvergence="warn")
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     u = solver.solve(np.ones(g.shape))
    >>> caught[0].category.__name__, solver.info["iterations"]
    ('ConvergenceWarning', 1)
    """
