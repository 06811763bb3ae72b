"""``PoissonSolver`` and ``solve_poisson``: common checks, boundary data, the method registry."""

from __future__ import annotations

import time
import warnings

import numpy as np

from .._validation import check_choice, check_grid, check_real, check_tolerance
from ..backend import array_module, check_backend, to_backend
from ..boundary import check_boundary, fold_boundary, split_complex
from ..coefficients import coefficient_array, fold_diffusion_boundary, weighted_mean
from ..correction import axis_corrections, fourth_order_defect
from ..differences import is_separable
from ..grid import Grid
from ..operators import check_order
from ..spectral import check_regular_shift
from .errors import ConvergenceError, ConvergenceWarning
from .problem import (
    Problem,
    check_mask,
    check_mask_values,
    check_rhs,
    enforce_compatibility,
    has_nonfinite,
)
from .registry import REGISTRY, resolve

__all__ = ["PoissonSolver", "solve_poisson"]


class PoissonSolver:
    """Solver for ``(Delta_h - shift) u = f`` on a grid, set up once.

    With ``coeff`` the operator is ``div(a grad) - shift``
    (:func:`kronlap.diffusion`); with ``mask`` the unknowns are the masked
    points only, the others held at ``mask_values``. The setup (transforms
    and eigenvalues, a sparse factorization, a multigrid hierarchy) is done
    here and reused by every :meth:`solve`, the way
    ``scipy.sparse.linalg.splu`` or a pyamg hierarchy is.

    Parameters
    ----------
    grid : Grid
        Shape, lengths and boundary conditions: Dirichlet, Neumann,
        periodic or Robin sides, uniform or stretched axes (every method
        takes them all).
    shift : float or list, optional
        ``s`` in ``(Delta_h - s I) u = f``; ``s >= 0`` is screened Poisson or
        an implicit heat step. Negative values (Helmholtz-like, indefinite)
        are taken by ``"fft"``, ``"eig"`` and ``"direct"``; a shift that is
        an eigenvalue (to rounding) is refused. A list with one entry per
        axis is a separable shift ``s_0(x_0) + s_1(x_1) + ...`` (each entry
        a number, a 1D array of that axis' length, or a callable of its
        coordinates; non-negative).
    method : str, optional
        One of the registry's methods (:data:`kronlap.solvers.REGISTRY`):

        - ``"auto"`` (default): the first of ``"fft"``, ``"gmg"``,
          ``"multigrid"``, ``"direct"``, ``"cg"``, ``"eig"`` that can solve
          the problem and takes the options given (so ``"cg"`` or ``"eig"``
          only when just their options are given): ``"fft"`` for the
          constant-coefficient Laplacian on the full grid; with ``coeff``, ``"gmg"`` on grids of
          128^2 (2D) or 48^3 (3D) points or more, else ``"multigrid"``,
          which also takes a 3D coefficient rough from cell to cell over a
          contrast of 3e4 or more; with ``mask``, ``"multigrid"``.
        - ``"fft"``: per-axis FFT / DST-I / DCT-II; dense eigenvectors on
          mixed-side axes; one non-periodic axis may be solved by batched
          tridiagonal sweeps.
        - ``"eig"``: dense 1D eigendecompositions on every axis.
        - ``"direct"``: sparse LU of the assembled operator (SuperLU,
          minimum-degree ordering on ``A + A^T``).
        - ``"cg"``: conjugate gradients on ``-(Delta_h - s)``, Jacobi,
          incomplete-LU, AMG or GMG preconditioned.
        - ``"multigrid"``: pyamg algebraic multigrid, hierarchy built
          once, as the preconditioner of CG.
        - ``"gmg"``: kronlap's matrix-free geometric multigrid
          (:class:`kronlap.GeometricMultigrid`); no ``mask``.

        ``"fft"`` and ``"eig"`` diagonalize separable operators on the
        full grid (fast transforms on plain axes, dense eigenvectors of the
        generalized 1D problem on Robin, stretched or variable ones) and
        refuse a coefficient array and ``mask``.
    coeff : float, array_like, callable or list, optional
        Diffusion coefficient ``a > 0``: the operator becomes
        ``div(a grad) - shift`` (:func:`kronlap.diffusion`). A scalar, an
        array of ``grid.shape``, or a callable ``coeff(*grid.mesh())``.
        Boundary data are scaled by the coefficient of the adjacent cell
        (:func:`kronlap.coefficients.fold_diffusion_boundary`). A list (or
        tuple) with one entry per axis is a separable coefficient,
        ``sum_k d/dx_k (a_k(x_k) du/dx_k)``: each entry a number, a 1D
        array of the axis' length (values at the unknowns; a face takes the
        harmonic mean) or a callable of the axis coordinate (evaluated at
        the faces; see :func:`kronlap.differences.axis_operator`). Every
        method takes a separable coefficient, ``"fft"`` and ``"eig"`` too.
    mask : array_like of bool, optional
        ``grid.shape`` array, ``True`` where ``u`` is unknown. The system is
        the grid operator restricted to those points; the others are held at
        ``mask_values`` and enter the right-hand side through their
        couplings to the unknowns.
    mask_values : float or array_like, optional
        Values of ``u`` outside ``mask`` (scalar or ``grid.shape`` array,
        entries inside the mask ignored); 0 by default. :meth:`solve` can
        override them per right-hand side.
    tol : float, optional
        Relative residual ``||f - A u|| / ||f||`` in (0, 1) that the
        iterative methods (``"cg"``, ``"multigrid"``, ``"gmg"``) must reach
        (``f`` with boundary data and mask couplings folded in).
    order : {2, 4}, optional
        2 (default): the standard second differences. 4, on uniform
        Dirichlet and periodic axes without separable terms: the compact
        (Mehrstellen) scheme ``(L4 - shift M) u = M f``
        (:mod:`kronlap.compact`), fourth order at about the cost of order 2,
        by ``"fft"``, ``"eig"`` or ``"direct"`` (``"auto"`` is ``"fft"``);
        the boundary data and ``f`` near the boundary enter to fourth
        order. 4 on any other grid (Neumann or Robin sides, stretched axes,
        a separable coefficient of numbers or callables, a separable
        shift), or with a method that does not solve the compact scheme
        (``"cg"``, ``"multigrid"``, ``"gmg"``): deferred correction
        (:mod:`kronlap.correction`), the second-order solution corrected
        by the defects of a fourth-order operator with the same method,
        two to four solves in all
        (``info["corrections"]``). No coefficient array or ``mask``.
    on_nonconvergence : {"raise", "warn"}, optional
        What a missed ``tol`` does: raise :class:`ConvergenceError` (default)
        or warn with :class:`ConvergenceWarning` and return the best iterate.
    backend : {None, "numpy", "cupy"}, optional
        Array library of the solves (``None``: numpy). ``"cupy"`` runs
        ``"fft"``, ``"eig"`` and ``"cg"`` (Jacobi or no preconditioner, no
        ``mask``) on the GPU; :meth:`solve` moves numpy input there and
        returns cupy arrays. Other methods raise ``ValueError``.
    **options
        Options of the chosen method; a method refuses an option it does
        not take (``TypeError`` naming the option and the methods that
        take it):

        - ``"fft"``: ``tridiagonal_axis`` (``"auto"``: the mixed-side
          axis or the one with the slowest transform; None transforms all;
          or a non-periodic axis), ``workers`` (threads of ``scipy.fft``,
          default all), ``fft_backend`` (None, ``"scipy"``, ``"pyfftw"`` or
          a ``scipy.fft`` backend).
        - ``"eig"``, ``"direct"``: none.
        - ``"cg"``: ``preconditioner`` (``"jacobi"``, ``"ilu"``,
          ``"amg"``, ``"gmg"`` or None), ``maxiter`` (10 times the
          unknowns); ``amg`` and ``amg_options`` with
          ``preconditioner="amg"``; ``cycle`` with ``preconditioner="gmg"``.
        - ``"multigrid"``: ``amg`` (``"auto"``, the default: chosen by the
          roughness of the operator and reported in ``info``; ``"rs"``
          Ruge-Stuben or ``"sa"`` smoothed aggregation), ``amg_options`` (pyamg keyword
          arguments), ``accel`` (``"auto"`` = ``"cg"``, ``"fgmres"``, or
          None for plain cycles), ``cycle`` (``"V"``, ``"W"``, ``"F"``),
          ``maxiter`` (1000; a solve that stagnates stops sooner).
        - ``"gmg"``: ``accel`` (``"auto"`` = ``"cg"``, or None),
          ``cycle`` (None: gmg's choice, ``"V"``, ``"W"``, ``"F"``,
          ``"VW"``), ``precision`` (None, ``"single"``, ``"double"``),
          ``maxiter`` (1000; a solve that stagnates stops sooner).

    Attributes
    ----------
    grid : Grid
    shift : float
        The scalar shift (0.0 when a separable shift was given).
    method : str
        The method in use (``"auto"`` resolved).
    info : dict
        ``method``, ``order``, ``scheme`` (``"second order"``,
        ``"compact"`` or ``"deferred correction"``, then with
        ``corrections``: the solves after the first), ``setup_time``,
        ``unknowns``, every choice the method
        made (for ``"fft"`` the per-axis ``transforms`` and the
        ``tridiagonal_axis``; for multigrid the hierarchy: ``levels``,
        ``shapes`` or ``operator_complexity``, ``cycle``, ``precision``,
        ``coarse_operators``, ``accel``; for ``"cg"`` the
        ``preconditioner``), and for the last solve ``solve_time``,
        ``iterations`` and ``residual`` (None for exact methods).

    Raises
    ------
    TypeError
        A wrong type: grid, shift, tol, coeff, mask, an option the method
        does not take.
    ValueError
        A bad value, or a method that cannot solve the problem.
    MemoryError
        The method's working memory clearly exceeds what the machine has
        (estimated before allocating).

    See Also
    --------
    solve_poisson : one-shot wrapper.

    Notes
    -----
    **Thread safety.** A solver may be shared between threads: concurrent
    :meth:`solve` calls give the answers of serial ones, for every method
    (each call works in arrays of its own). ``info`` then describes one
    of the concurrent solves.

    Examples
    --------
    >>> import numpy as np
    >>> import kronlap as kl
    >>> g = kl.Grid((64, 64), bc="dirichlet")
    >>> solver = kl.PoissonSolver(g, shift=1.0)
    >>> f = np.ones(g.shape)
    >>> u = solver.solve(f)
    >>> A = kl.laplacian(g) - 1.0 * kl.kron_sum(np.eye(64), np.zeros((64, 64)))
    >>> bool(np.allclose(A @ u.ravel(), f.ravel()))
    True
    >>> solver.info["method"], solver.info["transforms"]
    ('fft', ('dst1', 'dst1'))

    A coefficient that jumps by 100x, solved by multigrid:

    >>> a = np.where(g.mesh()[0] < 0.5, 1.0, 100.0)
    >>> solver = kl.PoissonSolver(g, coeff=a)
    >>> u = solver.solve(f)
    >>> solver.info["method"], bool(solver.info["residual"] <= 1e-10)
    ('multigrid', True)
    >>> bool(np.allclose(kl.diffusion(g, a) @ u.ravel(), f.ravel()))
    True

    An option of another method is refused:

    >>> kl.PoissonSolver(g, method="fft", amg="sa")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    TypeError: method='fft' does not take the option 'amg': it is an option of method ...
    """

    def __init__(
        self,
        grid: Grid,
        *,
        shift: float = 0.0,
        method: str = "auto",
        coeff=None,
        mask=None,
        mask_values=None,
        tol: float = 1e-10,
        order: int = 2,
        on_nonconvergence: str = "raise",
        backend: str | None = None,
        **options,
    ):
        start = time.perf_counter()
        grid = self.grid = check_grid(grid)
        separable_shift = shift if is_separable(shift, grid) else None
        separable_coeff = coeff if is_separable(coeff, grid) else None
        # A separable shift is the axes'; the scalar shift is then 0.
        self.shift = 0.0 if separable_shift is not None else check_real(shift, "shift")
        self.order = check_order(order)
        self.tol = check_tolerance(tol)
        self.on_nonconvergence = check_choice(
            on_nonconvergence, "on_nonconvergence", ("raise", "warn")
        )
        self.backend = check_backend(backend)
        self._mask = check_mask(mask, grid)
        if mask_values is not None and self._mask is None:
            raise ValueError("mask_values needs a mask (mask=None was given)")
        self._mask_values = check_mask_values(mask_values, grid, self._mask)
        if separable_coeff is not None or coeff is None:
            self._coeff = None
        else:
            self._coeff = coefficient_array(grid, coeff)
        if self.order == 4 and (self._coeff is not None or mask is not None):
            raise ValueError(
                "order=4 is the compact scheme or the deferred correction of a separable "
                "operator on the full grid: it takes no coeff or mask (a coefficient array); "
                "use order=2, or a separable coeff=[a0, a1, ...] of numbers or callables"
            )
        # order=4: the compact scheme for the Laplacian on uniform Dirichlet and
        # periodic axes, else deferred correction of the second-order solves.
        compact = (
            self.order == 4
            and separable_coeff is None
            and separable_shift is None
            and _compact_applies(grid)
            and _solves_compact(method)
        )
        self._corrections = None
        if self.order == 4 and not compact:
            self._corrections = axis_corrections(grid, separable_coeff, separable_shift)
        problem = self._problem = Problem(
            grid,
            self.shift,
            self._coeff,
            self._mask,
            array_module(self.backend),
            self.tol,
            4 if compact else 2,
            separable_coeff,
            separable_shift,
        )
        self.singular = problem.singular
        method_class = resolve(method, problem, options)
        options = method_class.check_options(problem, options)
        if self.shift < 0 and self._coeff is None and self._mask is None:
            # The same refusal from every method that takes an indefinite
            # shift: the eigenvalues of the full-grid operator are known.
            check_regular_shift(grid, self.shift, order=self.order, operators=problem.operators)
        self._method = method_class(problem, **options)
        self.method = method_class.name
        self.info = {
            "method": self.method,
            "order": self.order,
            "scheme": _SCHEMES[(self.order, compact)],
            "setup_time": time.perf_counter() - start,
            "unknowns": problem.unknowns,
            **self._method.info,
            "solve_time": None,
            "iterations": None,
            "residual": None,
        }

    def solve(self, f, *, boundary=None, x0=None, mask_values=None, project: bool = False,
              overwrite_f: bool = False):
        """Solve ``(Delta_h - shift) u = f`` (or ``(div(a grad) - shift) u = f``).

        Parameters
        ----------
        f : array_like of shape ``grid.shape``
            Right-hand side; real or complex, float32 or float64 (integers
            are read as float64). Not modified unless ``overwrite_f``.
        boundary : dict, optional
            ``{(axis, side): value}`` with ``side`` 0 (low) or 1 (high) and
            ``value`` a scalar or an array of the face's shape: ``u`` on a
            Dirichlet side, the outward normal derivative on a Neumann side,
            ``g`` in ``du/dn + k u = g`` on a Robin side ``("robin", k)``.
            Homogeneous (zero) data by default. With ``coeff``, each value
            is scaled by the coefficient of the adjacent cell: ``a g / h**2``
            and ``a q / h`` move to the right-hand side.
        x0 : array_like of shape ``grid.shape``, optional
            Initial guess of an iterative method (values at the unknowns
            are used), e.g. the previous solution of a sequence of similar
            problems; the solve starts from it and never returns an iterate
            worse than it. Exact methods refuse it (``TypeError``).
        mask_values : float or array_like, optional
            Values outside the mask for this solve (default: the solver's
            ``mask_values``). Only with a mask.
        project : bool, optional
            Singular problems only (every axis periodic or Neumann-Neumann,
            ``shift == 0``): remove the mean of the right-hand side (boundary
            fluxes included) instead of raising when it is not zero. On a
            grid with stretched axes the mean is weighted by the control
            volumes, and so is the solution's zero mean.
        overwrite_f : bool, optional
            Allow ``f`` to be used as workspace (a read-only ``f`` is copied).

        Returns
        -------
        ndarray of shape ``grid.shape``
            ``u``, of the dtype of ``f`` (float64 for integer input; complex
            if ``mask_values`` or the boundary data are). For a singular
            problem, the solution with zero mean. With a mask,
            ``mask_values`` outside it.

        Raises
        ------
        TypeError
            ``f``, ``boundary`` or ``mask_values`` is not numeric (or
            ``boundary`` not a dict).
        ValueError
            Wrong shape, NaN or inf, data so large that the solve
            overflows, bad boundary data, bad ``mask_values``, or
            (singular problems) a right-hand side whose mean is not zero.
        RuntimeError
            ``f`` is a cupy array and this solver runs on the CPU.
        ConvergenceError
            ``"cg"``, ``"multigrid"`` or ``"gmg"`` did not reach ``tol``.

        Examples
        --------
        ``u = x (1 - x) + y`` on the unit square has ``Delta u = -2``; with
        its boundary values the five-point stencil reproduces it exactly:

        >>> import numpy as np
        >>> import kronlap as kl
        >>> g = kl.Grid((31, 31))
        >>> x, y = g.mesh()
        >>> solver = kl.PoissonSolver(g, method="gmg")
        >>> side = g.coords[0] * (1 - g.coords[0])
        >>> boundary = {(0, 0): g.coords[1], (0, 1): g.coords[1], (1, 0): side, (1, 1): side + 1}
        >>> u = solver.solve(np.full(g.shape, -2.0), boundary=boundary)
        >>> bool(np.allclose(u, x * (1 - x) + y))
        True
        """
        f = to_backend(f, self.backend)
        rhs = check_rhs(f, self.grid)
        if x0 is not None:
            if not self._method.warm_start:
                takers = [name for name, m in REGISTRY.items() if m.warm_start]
                raise TypeError(
                    f"method={self.method!r} takes no initial guess x0; methods that do: "
                    f"{takers}"
                )
            x0 = check_rhs(to_backend(x0, self.backend), self.grid, name="x0")
        if mask_values is not None:
            if self._mask is None:
                raise ValueError("mask_values needs a mask (the solver has mask=None)")
            values = check_mask_values(mask_values, self.grid, self._mask)
        else:
            values = self._mask_values
        if self._corrections is None:
            return self._solve(rhs, f, boundary, x0, values, project, overwrite_f)
        # Fourth order by deferred correction: the second-order solution, then
        # corrections by the defects of the fourth-order equations.
        data = {(axis, side): g for axis, side, _, g in check_boundary(boundary, self.grid)}
        start = time.perf_counter()
        u = self._solve(rhs, f, boundary, x0, values, project, False)
        scale = min(h / length for h, length in zip(self.grid.h, self.grid.lengths)) ** 2
        first, previous, corrections = None, None, 0
        while corrections < _MAX_CORRECTIONS:
            defect, residuals = fourth_order_defect(
                self._corrections, u, rhs, data, self.shift
            )
            d = self._solve(defect, defect, residuals, None, values, self.singular, True)
            u = u + d
            corrections += 1
            size = float(abs(d).max())
            first = size if first is None else first
            if size <= scale * first or (previous is not None and size > 0.5 * previous):
                break  # an O(h**4) remainder, or no more progress
            previous = size
        self.info.update(corrections=corrections, solve_time=time.perf_counter() - start)
        return u

    def _solve(self, rhs, f, boundary, x0, values, project, overwrite_f):
        """One solve of the (second-order or compact) system: ``u``, with ``info`` filled."""
        # Copy only when the right-hand side must change (boundary data, a
        # projection) and the caller's array is not ours to change; a
        # read-only array (np.broadcast_to, a memory map) is not workspace.
        owned = overwrite_f and rhs is f and getattr(rhs.flags, "writeable", True)
        if self.order == 4 and self._corrections is None:
            # M f with the compact stencil's boundary couplings: a new array
            rhs, owned = _compact_rhs(rhs, self.grid, self.shift, boundary), True
            boundary = None
        if boundary is not None or (self.singular and project):
            if not owned:
                rhs, owned = rhs.copy(), True
            if self._coeff is None:
                rhs = fold_boundary(
                    rhs, self.grid, boundary, promote=True, operators=self._problem.operators
                )
            else:
                rhs = fold_diffusion_boundary(
                    rhs, self.grid, self._coeff, boundary, promote=True
                )
        volumes = self._problem.volumes
        if self.singular:
            enforce_compatibility(rhs, project, volumes)
        start = time.perf_counter()
        # An overflow shows in the result, which is checked below: one clear
        # error instead of numpy's warnings from deep inside a transform.
        with np.errstate(over="ignore", invalid="ignore"):
            if x0 is None:
                u, iterations, residual = self._method.solve(rhs, values, owned)
            else:
                u, iterations, residual = self._method.solve(rhs, values, owned, x0=x0)
        if self.singular and not self._method.zero_mean:
            u -= u.mean() if volumes is None else weighted_mean(u, volumes)
        if has_nonfinite(u):
            raise ValueError(
                f"the solution overflowed to inf or NaN in {u.dtype} (max |f| = "
                f"{float(abs(rhs).max()):.3g}); scale f and the boundary data down and the "
                f"answer up by the same factor"
            )
        self.info.update(
            self._method.info,  # a method may change course during a solve (a fallback)
            solve_time=time.perf_counter() - start,
            iterations=iterations,
            residual=residual,
        )
        if residual is not None and not residual <= self.tol:
            message = (
                f"method={self.method!r} reached relative residual {residual:.3e} after "
                f"{iterations} iterations, short of tol={self.tol:.1e}"
            )
            if self.on_nonconvergence == "raise":
                raise ConvergenceError(message)
            warnings.warn(message, ConvergenceWarning, stacklevel=2)
        return u

    @property
    def takes_initial_guess(self) -> bool:
        """Whether :meth:`solve` takes ``x0`` (an iterative method with a warm start)."""
        return self._method.warm_start

    def __repr__(self):
        return f"PoissonSolver({self.grid!r}, shift={self.shift}, method={self.method!r})"


_SCHEMES = {
    (2, False): "second order",
    (4, True): "compact",
    (4, False): "deferred correction",
}

#: At most this many deferred corrections per solve (each one solve).
_MAX_CORRECTIONS = 8


def _solves_compact(method) -> bool:
    """Whether ``method`` solves the compact scheme (else order 4 is deferred correction)."""
    cls = REGISTRY.get(method) if isinstance(method, str) else None
    return cls is None or 4 in cls.orders


def _compact_applies(grid) -> bool:
    """Whether the compact scheme treats ``grid`` (uniform Dirichlet/periodic axes, ndim <= 3)."""
    try:
        check_order(4, grid)
    except ValueError:
        return False
    return True


def _compact_rhs(f, grid, shift, boundary):
    """The compact scheme's right-hand side; complex data as real and imaginary parts."""
    from ..compact import compact_rhs

    parts = split_complex(boundary, grid)
    if parts is None and not np.iscomplexobj(f):
        return compact_rhs(f, grid, shift=shift, boundary=boundary)
    real, imag = parts if parts is not None else (boundary, boundary)
    if parts is None:  # complex f, real data: the data belong to the real part
        imag = None
    return compact_rhs(f.real, grid, shift=shift, boundary=real) + 1j * compact_rhs(
        np.imag(f), grid, shift=shift, boundary=imag
    )


def solve_poisson(
    f,
    grid: Grid,
    *,
    shift: float = 0.0,
    boundary=None,
    method: str = "auto",
    tol: float = 1e-10,
    backend: str | None = None,
    project: bool = False,
    coeff=None,
    mask=None,
    mask_values=None,
    order: int = 2,
    on_nonconvergence: str = "raise",
    **options,
):
    """Solve ``(Delta_h - shift) u = f`` on ``grid``; ``shift >= 0`` is screened Poisson.

    ``Delta_h`` is :func:`kronlap.laplacian` of ``grid``, or
    ``div(a grad)`` (:func:`kronlap.diffusion`) with ``coeff=a``; boundary
    data enter through ``boundary``; ``mask`` restricts the unknowns to part
    of the grid. This sets up a :class:`PoissonSolver` and solves once;
    build the solver yourself to reuse the setup.

    Parameters
    ----------
    f : array_like of shape ``grid.shape``
        Right-hand side (numpy or cupy; real or complex).
    grid : Grid
    shift : float or list, optional
        ``s`` in ``(Delta_h - s I) u = f``, or a separable shift (one entry
        per axis); see :class:`PoissonSolver`.
    boundary : dict, optional
        ``{(axis, side): value}``: Dirichlet values, outward normal
        derivatives (Neumann) or Robin data per face; see
        :meth:`PoissonSolver.solve`.
    method : {"auto", "fft", "eig", "multigrid", "gmg", "cg", "direct"}, optional
        See :class:`PoissonSolver`.
    tol : float, optional
        Relative residual for iterative methods.
    backend : {None, "numpy", "cupy"}, optional
        Array library; ``None`` follows ``f`` (a cupy array runs on the
        GPU); ``"cupy"`` moves numpy ``f`` to the GPU, ``"numpy"`` moves cupy
        ``f`` to the host. See :class:`PoissonSolver` for the GPU methods.
    project : bool, optional
        Singular problems: project the mean of ``f`` away instead of raising.
    coeff : float, array_like, callable or list, optional
        Diffusion coefficient ``a > 0`` (array of ``grid.shape``, scalar,
        ``coeff(*grid.mesh())``, or a separable list with one entry per
        axis); see :class:`PoissonSolver`.
    mask : array_like of bool, optional
        ``True`` where ``u`` is unknown; other points are held at
        ``mask_values`` (default 0).
    mask_values : float or array_like, optional
        Values of ``u`` outside ``mask``.
    order : {2, 4}, optional
        4: the compact fourth-order scheme; see :class:`PoissonSolver`.
    on_nonconvergence : {"raise", "warn"}, optional
        What a missed ``tol`` does, as for :class:`PoissonSolver`.
    **options
        The method's options, as for :class:`PoissonSolver`.

    Returns
    -------
    ndarray of shape ``grid.shape``

    Raises
    ------
    TypeError, ValueError
        Bad input (the message names the argument).
    RuntimeError
        ``backend="cupy"`` where it cannot run.
    ConvergenceError
        An iterative method missed ``tol``.

    Examples
    --------
    ``u = x (1 - x)`` has ``u'' = -2`` and is reproduced exactly:

    >>> import numpy as np
    >>> import kronlap as kl
    >>> g = kl.Grid(7)
    >>> u = kl.solve_poisson(np.full(7, -2.0), g)
    >>> x = g.coords[0]
    >>> bool(np.allclose(u, x * (1 - x)))
    True

    Poisson on a disk inside the unit square, ``u`` given outside it. The
    quadratic ``u = r0**2 - r**2`` has ``Delta u = -4`` and the five-point
    stencil differentiates it exactly, so holding ``u`` at its values
    outside the disk reproduces it inside:

    >>> g = kl.Grid((65, 65))
    >>> x, y = g.mesh()
    >>> exact = 0.4**2 - (x - 0.5) ** 2 - (y - 0.5) ** 2
    >>> disk = exact > 0
    >>> u = kl.solve_poisson(np.full(g.shape, -4.0), g, mask=disk, mask_values=exact)
    >>> bool(np.allclose(u, exact))
    True
    """
    solver = PoissonSolver(
        grid,
        shift=shift,
        method=method,
        backend=check_backend(backend, f),
        tol=tol,
        coeff=coeff,
        mask=mask,
        mask_values=mask_values,
        order=order,
        on_nonconvergence=on_nonconvergence,
        **options,
    )
    return solver.solve(f, boundary=boundary, project=project)
