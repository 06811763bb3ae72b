"""Krylov iterations shared by the multigrid and conjugate-gradient paths.

The best iterate of a solve and the stagnation rule that ends it
(:class:`BestIterate`), the warm-restart loop on the true residual
(:func:`restart_on_true_residual`), one preconditioned conjugate-gradient
run for it (:func:`conjugate_gradients`), and the projection that keeps a
preconditioner of a singular system in its range
(:func:`project_constants`). None of it needs pyamg.
"""

from __future__ import annotations

import collections
import math
from collections.abc import Callable

import scipy.sparse.linalg as spla

from ..backend import get_array_module

__all__ = [
    "MAXITER",
    "STAGNATION_GAIN",
    "STAGNATION_WINDOW",
    "BestIterate",
    "Stagnated",
    "conjugate_gradients",
    "dot_product",
    "project_constants",
    "restart_on_true_residual",
    "vector_norm",
]

# Stagnation: an iterative solve stops when its best relative residual has not
# improved by STAGNATION_GAIN over the last STAGNATION_WINDOW iterations. The
# window is about twice the slowest steady halving of a converging solve
# (plain V-cycles on a rough coefficient; benchmarks/RESULTS.md), so only a
# solve at round-off is stopped, where the best residual stalls or the
# iteration diverges.
STAGNATION_WINDOW = 50
STAGNATION_GAIN = 2.0

#: The default budget of Krylov iterations of the multigrid paths (pyamg's and
#: the geometric one, through the facade). Generous: a solve that stops
#: improving ends earlier on stagnation, and plain smoothed aggregation needs
#: several hundred iterations on the roughest benchmark problems, which the
#: pyamg path must solve too (benchmarks/RESULTS.md, "Rough coefficients").
MAXITER = 1000


def project_constants(M, linear_operator=spla.LinearOperator):
    """``r -> P M P r`` with ``P`` the projection onto mean-free vectors.

    The preconditioner of a singular system whose null space is the
    constants, kept in the range (where the matrix is definite), as a
    ``linear_operator`` (scipy's, or cupyx's for a cupy ``M``).
    """

    def apply(r):
        z = M @ (r - r.mean())
        return z - z.mean()

    return linear_operator(M.shape, matvec=apply, dtype=M.dtype)


class Stagnated(Exception):
    """Raised by :class:`BestIterate` from inside a Krylov run to end it."""


class BestIterate:
    """The best iterate of one iterative solve, and its stagnation test.

    Shared by every iterative solve here: the restart loop
    (:func:`restart_on_true_residual`) and, as the per-iteration callback of
    a run, pyamg's iterations and :func:`conjugate_gradients`. ``x`` is the iterate with the
    smallest *true* relative residual ``||b - A x|| / ||b||`` seen so far and
    ``residual`` that residual. Within a run, iterates are ranked by the
    residual the method reports (pyamg's or :func:`conjugate_gradients`'
    recursive one) or, without one, by
    the true residual every ``stride``-th iteration; the best of a run (one
    copy, kept as ``candidate``) and its last iterate get their true residual
    when the run ends. The solve has stagnated when the best residual is not
    ``gain`` times smaller than it was ``window`` iterations before (the
    starting guess, zero, counts as relative residual 1 at iteration 0).
    """

    def __init__(
        self, matrix, b, norm_b, *, window=STAGNATION_WINDOW, gain=STAGNATION_GAIN, stride=1
    ):
        self._xp = get_array_module(b)
        self.matrix, self.b, self.norm_b = matrix, b, norm_b
        self.window, self.gain, self.stride = int(window), float(gain), max(int(stride), 1)
        self.x, self.residual = None, math.inf
        self.iterations = 0  # iterations of the runs that have ended
        self._start_run()
        self._marks = collections.deque([(0, 1.0)])  # (iteration, best residual then)

    def start_from(self, x0):
        """Take the initial guess ``x0`` (copied) as the best iterate so far."""
        self.x = self._xp.array(x0, copy=True)
        self.residual = self.true_residual(self.x)
        self._marks = collections.deque([(0, self.residual)])

    def _start_run(self):
        self.calls = 0  # iterations of the current run
        self._candidate, self._estimate, self._candidate_at = None, math.inf, -1

    def true_residual(self, x) -> float:
        return float(self._xp.linalg.norm(self.b - self.matrix @ x)) / self.norm_b

    def __call__(self, x, residual=None):
        """Callback after every iteration of a run; raises :class:`Stagnated` to end it.

        ``residual``: the method's own relative residual of ``x``, if it has
        one; else the true residual is computed every ``stride``-th call.
        ``x`` is copied only when it is the best of the run so far.
        """
        self.calls += 1
        if residual is None:
            if self.calls % self.stride:
                return
            residual = self.true_residual(x)
        if residual < min(self._estimate, self.residual):
            self._candidate, self._estimate, self._candidate_at = x.copy(), residual, self.calls
        if self._stagnated(min(self._estimate, self.residual)):
            raise Stagnated

    def end_run(self, x, done) -> bool:
        """Rank the run's best and last iterate (``x``; None if the run was stopped).

        Returns whether the solve has stagnated.
        """
        xp, candidate = self._xp, self._candidate
        if x is not None and candidate is not None and self._candidate_at == self.calls:
            if bool(xp.array_equal(x, candidate)):
                candidate = None  # the last iterate was the run's best: one residual
        for y in (candidate, x):
            if y is None:
                continue
            r = self.true_residual(y)
            if self.x is None or r < self.residual or math.isnan(self.residual):
                self.x, self.residual = y, r
        self.iterations += done
        self._start_run()
        return self._stagnated(self.residual)

    def _stagnated(self, best) -> bool:
        now, marks = self.iterations + self.calls, self._marks
        marks.append((now, best))
        while len(marks) > 1 and marks[1][0] <= now - self.window:
            marks.popleft()
        then, before = marks[0]
        return then <= now - self.window and not best * self.gain <= before


def restart_on_true_residual(
    run,
    matrix,
    b,
    tol,
    maxiter,
    rounds=None,
    *,
    monitored=False,
    window=STAGNATION_WINDOW,
    stride=1,
    x0=None,
):
    """Krylov runs from the best iterate until the *true* relative residual meets ``tol``.

    Krylov methods stop on a recurrence residual, which drifts from
    ``||b - A x||`` near round-off; a final true residual just above ``tol``
    gets a warm restart instead of an error. ``run(x0, budget)`` returns
    ``(x, iterations)``; with ``monitored=True`` it is called as
    ``run(x0, budget, best)`` and calls ``best(x)`` (or ``best(x, residual)``
    with its own relative residual of ``x``) after every iteration, which
    keeps the best iterate and ends the run on stagnation (see
    :class:`BestIterate`; ``window`` and ``stride`` are its). The loop ends
    at ``tol``, after ``maxiter`` iterations in all, when a run makes no
    iteration, after ``rounds`` runs, or when the best residual stagnates
    (no improvement by ``STAGNATION_GAIN`` in ``window`` iterations).
    Returns ``(x, iterations, residual)`` for the iterate with the smallest
    true residual seen (never a worse one), that residual, and the
    iterations run; zeros for ``b = 0``. An initial guess ``x0`` is the
    first run's start and the first iterate ranked: it is returned, with no
    iteration, if it already meets ``tol``.
    """
    xp = get_array_module(b)
    norm_b = float(xp.linalg.norm(b))
    if norm_b == 0.0:
        return xp.zeros_like(b), 0, 0.0
    best = BestIterate(matrix, b, norm_b, window=window, stride=stride)
    if x0 is not None:
        best.start_from(x0)
        if best.residual <= tol:
            return best.x, 0, best.residual
    runs = 0
    while rounds is None or runs < rounds:
        x0 = None if best.x is None else best.x.copy()
        budget = maxiter - best.iterations
        stagnated = False
        try:
            x, done = run(x0, budget, best) if monitored else run(x0, budget)
        except Stagnated:
            x, done, stagnated = None, best.calls, True
        stagnated = best.end_run(x, done) or stagnated
        runs += 1
        if best.residual <= tol or best.iterations >= maxiter or done == 0 or stagnated:
            break
    return best.x, best.iterations, best.residual


def dot_product(x, y, work) -> float:
    """``x . y`` of two real arrays, the elementwise products going to the buffer ``work``.

    Examples
    --------
    >>> import numpy as np
    >>> dot_product(np.array([1.0, 2.0]), np.array([3.0, 4.0]), np.empty(2))
    11.0
    """
    # Elementwise product into ``work`` and a sum instead of BLAS: a BLAS
    # reduction waits for its thread pool, which stalls for milliseconds on
    # a busy machine; ``work`` spares a large temporary per product.
    return float(get_array_module(x).multiply(x, y, out=work).sum())


def vector_norm(x, work) -> float:
    """``||x||`` of a real array, the squares going to the buffer ``work``.

    Examples
    --------
    >>> import numpy as np
    >>> vector_norm(np.array([3.0, 4.0]), np.empty(2))
    5.0
    """
    return dot_product(x, x, work) ** 0.5


def conjugate_gradients(
    apply: Callable,
    precondition: Callable,
    rhs,
    tol: float,
    *,
    singular: bool = False,
    direction=None,
    apply_direction: Callable | None = None,
    report_recursive: bool = True,
) -> Callable:
    """Preconditioned conjugate gradients for ``S x = rhs``, as a run of the restart loop.

    Returns ``run(x0, budget, best)`` for :func:`restart_on_true_residual`
    with ``monitored=True``: at most ``budget`` iterations from ``x0``
    (zero if None; updated in place otherwise), each reported to ``best``.
    A run ends at ``tol`` (CG's recursive residual), after ``budget``
    iterations, or at a breakdown (``p^T S p`` or ``r^T z`` not positive:
    rounding has made the operator or the preconditioner indefinite, which
    extreme coefficient contrasts can do). Vectors are updated in place in
    buffers made here, once per call, so a run allocates nothing per
    iteration beyond what ``apply`` and ``precondition`` do; numpy and
    cupy alike.

    Parameters
    ----------
    apply : callable
        ``apply(v, out)``: ``S v``, written into ``out`` or returned as a
        new array.
    precondition : callable
        ``precondition(r, out)``: ``M r`` for a symmetric positive definite
        ``M``, written into ``out`` or returned (a view that stays valid
        until the next call will do).
    rhs : array
        Real (complex right-hand sides are solved by parts, as
        :func:`kronlap.solvers.system.solve_parts` does).
    tol : float
        Relative residual ``||rhs - S x|| / ||rhs||`` that ends a run.
    singular : bool, optional
        ``S`` has the constants as null space: the first residual of a run
        is made mean-free (``precondition`` must keep it so).
    direction : array, optional
        The buffer of the search direction ``p``, for an ``apply_direction``
        that reads it in place (a padded stencil's interior).
    apply_direction : callable, optional
        ``apply_direction(out)``: ``S p`` for the current direction
        (default ``apply(p, out)``).
    report_recursive : bool, optional
        Report each iterate with CG's recursive residual, which CG updates
        anyway (True), or without one, leaving ``best`` to compute the true
        residual at its ``stride`` (False). The recursive residual goes on
        falling below round-off where the true one stalls: a strong
        preconditioner stagnates or meets ``tol`` first, but a weak one
        (Jacobi) asked for a ``tol`` below round-off would run on for as
        long as it keeps falling.

    Raises
    ------
    TypeError
        A complex ``rhs``.

    Examples
    --------
    >>> import numpy as np
    >>> import kronlap as kl
    >>> S = -kl.laplacian(kl.Grid(50))
    >>> b = np.ones(50)
    >>> run = conjugate_gradients(lambda v, out: S @ v, lambda r, out: r / 2, b, 1e-10)
    >>> x, iterations, residual = restart_on_true_residual(run, S, b, 1e-10, 100, monitored=True)
    >>> iterations <= 25, bool(residual <= 1e-10)
    (True, True)
    """
    xp = get_array_module(rhs)
    if xp.iscomplexobj(rhs):
        raise TypeError("conjugate_gradients solves real systems: got a complex rhs")
    r, q, z_buffer, product = (xp.empty_like(rhs) for _ in range(4))
    p = xp.empty_like(rhs) if direction is None else direction
    if apply_direction is None:

        def apply_direction(out):
            return apply(p, out)

    # The buffers are the closure's: updated in place, never rebound.
    def run(x0, budget, best):
        if x0 is None:
            x = xp.zeros_like(rhs)
            r[...] = rhs
        else:
            x = x0
            xp.subtract(rhs, apply(x, q), out=r)
        if singular:
            xp.subtract(r, r.mean(), out=r)
        z = precondition(r, z_buffer)
        p[...] = z
        rz = dot_product(r, z, product)
        done = 0
        while done < budget and rz > 0:
            s_p = apply_direction(q)
            pq = dot_product(p, s_p, product)
            if not pq > 0:
                break
            alpha = rz / pq
            x += xp.multiply(p, alpha, out=product)
            xp.subtract(r, xp.multiply(s_p, alpha, out=product), out=r)
            done += 1
            residual = vector_norm(r, product) / best.norm_b
            if report_recursive:
                best(x, residual)
            else:
                best(x)
            if residual <= tol:
                break
            z = precondition(r, z_buffer)
            rz, previous = dot_product(r, z, product), rz
            if not rz > 0:
                break
            xp.multiply(p, rz / previous, out=p)
            xp.add(p, z, out=p)
        return x, done

    return run
