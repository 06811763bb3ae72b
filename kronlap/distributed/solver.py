"""The distributed Poisson solver: set up once on every rank, solve on each rank's block.

See :mod:`kronlap.distributed` for the public names and how to run them.
"""

from __future__ import annotations

import time
from typing import NamedTuple

import numpy as np

from .._validation import (
    check_count,
    check_grid,
    check_real,
    check_standard_grid,
    check_tolerance,
)
from ..boundary import check_boundary, fold_boundary
from ..differences import axis_operators
from ..grid import Grid
from ..solvers import ConvergenceError, check_tridiagonal_axis, check_zero_mean
from ..spectral import (
    TridiagonalSweep,
    check_regular_shift,
    inverse_eigenvalues,
    singular_shift_error,
)
from .multigrid import PRECONDITIONERS, PETScMultigrid
from .transform import DistributedTransform, pick_tridiagonal_axis, require_mpi

__all__ = ["PoissonSolver", "solve_poisson", "METHODS"]

METHODS = ("auto", "fft", "multigrid")

# The spectral path's options and their defaults: method="multigrid" refuses
# any other value, as method="fft" refuses the multigrid path's options.
_SPECTRAL_DEFAULTS = {
    "decomposition": "auto",
    "planner_effort": "FFTW_MEASURE",
    "threads": 1,
    "tridiagonal_axis": "auto",
}


class _Block(NamedTuple):
    """This rank's block as :func:`kronlap.boundary.fold_boundary` sees a grid."""

    shape: tuple
    ndim: int
    bc: tuple
    h: tuple


class PoissonSolver:
    """Solver for ``(Delta_h - shift) u = f`` on a grid spread over MPI ranks, set up once.

    The distributed counterpart of :class:`kronlap.PoissonSolver`: the same
    operator, boundary conditions, boundary data and singular-case rules.
    ``method="fft"`` runs the per-axis fast transforms with mpi4py-fft
    (answers equal to the serial ones to round-off); ``method="multigrid"``
    assembles the operator on a PETSc DMDA, each rank its own rows, and
    solves it with PETSc's conjugate gradients and algebraic multigrid
    (:mod:`kronlap.distributed.multigrid`; answers equal to the serial ones
    to the tolerance), which takes a coefficient and a mask. Each rank
    passes its block of ``f`` (``f[local_slice]``) and gets its block of
    ``u``. Every method is collective: all ranks of ``comm`` call it, with
    the same grid and options.

    Parameters
    ----------
    grid : Grid
        Shape (at least 2 axes for ``"fft"``), lengths and boundary
        conditions (Dirichlet, Neumann, periodic; uniform axes).
    shift : float, optional
        ``s`` in ``(Delta_h - s I) u = f``; ``s >= 0`` is screened Poisson
        or an implicit heat step.
    method : {"auto", "fft", "multigrid"}, optional
        ``"auto"`` (default): ``"multigrid"`` with ``coeff`` or ``mask``,
        else ``"fft"``, the spectral path.
    comm : mpi4py.MPI.Comm, optional
        The ranks that share the grid (default ``MPI.COMM_WORLD``).
    coeff : float, array_like or callable, optional
        ``"multigrid"`` only: the diffusion coefficient ``a > 0`` of
        ``div(a grad u)`` (harmonic-mean faces, boundary data scaled by the
        adjacent cell's value, as :func:`kronlap.diffusion`). An array is
        the whole grid's (every rank passes the same one and reads its
        block); a callable of the coordinate arrays is evaluated by each
        rank on its own points, which scales.
    mask : array_like of bool or callable, optional
        ``"multigrid"`` only: ``True`` at the unknowns, as in
        :class:`kronlap.PoissonSolver` (an array of the whole grid, or a
        callable of the coordinates).
    mask_values : float, array_like or callable, optional
        ``"multigrid"`` only: the values of the other points (default 0).
    tol : float, optional
        ``"multigrid"`` only: relative residual to reach (default 1e-10);
        a solve that misses it raises :class:`kronlap.ConvergenceError`.
    maxiter : int, optional
        ``"multigrid"`` only: CG iterations allowed (default 500).
    preconditioner : {"gamg", "hypre"}, optional
        ``"multigrid"`` only: PETSc's smoothed-aggregation AMG (default)
        or hypre's BoomerAMG (where PETSc was built with hypre). PETSc
        options with the prefix ``kronlap_`` (``-kronlap_pc_gamg_threshold``
        and so on) reach the solver.
    decomposition : {"auto", "slab", "pencil"}, optional
        How the grid is split: ``"slab"`` along one axis, ``"pencil"``
        along all axes but one (for more ranks than an axis has points);
        ``"auto"`` takes a slab where it fits.
    planner_effort : str, optional
        FFTW planner flag: ``"FFTW_MEASURE"`` (default; planning takes
        seconds on large grids, transforms are fastest) or
        ``"FFTW_ESTIMATE"`` (instant plans).
    threads : int, optional
        FFTW threads per rank (default 1: one rank per core).
    tridiagonal_axis : int, "auto" or None, optional
        As in :class:`kronlap.PoissonSolver`: a non-periodic axis solved by
        batched tridiagonal sweeps instead of a transform (Hockney's
        method); ``"auto"`` picks a mixed-side axis or one whose transform
        is slow (a DST-I of length ``2 (n + 1)`` with a large prime factor,
        such as ``n = 256``) where the serial cost model says the sweep is
        cheaper on a rank's share of the grid; ``None`` transforms every
        axis. The axis is brought whole onto each rank by the last
        transpose.

    Attributes
    ----------
    grid : Grid
    shift : float
    comm : mpi4py.MPI.Comm
    local_slice : tuple of slice
        This rank's block of the grid: ``u_local = u_global[local_slice]``.
    local_shape : tuple of int
    decomposition : str
        ``"slab"`` or ``"pencil"``.
    process_grid : tuple of int
        Ranks along each axis of the grid.
    singular : bool
        Every axis periodic or Neumann-Neumann and ``shift == 0``.
    info : dict
        ``method``, ``ranks``, ``decomposition``, ``process_grid``,
        ``tridiagonal_axis``, ``workspace_bytes`` (this rank's transform buffers), ``setup_time``
        and, after a solve, ``solve_time`` (this rank's wall time).

    Raises
    ------
    ImportError
        mpi4py or mpi4py-fft (``"fft"``), or petsc4py (``"multigrid"``), is
        missing (the message says how to install).
    TypeError, ValueError
        Bad grid, shift, method or options, a 1D grid, or a grid too small
        to split over the ranks.
    MemoryError
        The ranks on a node would need more memory than it has free
        (refused on every rank before allocating).

    See Also
    --------
    kronlap.PoissonSolver : the serial solver, with every method.
    kronlap.distributed.solve_heat : the exact heat propagator on the same ranks.

    Examples
    --------
    On one rank (run under ``mpiexec -n 4`` the same lines solve on four):

    >>> import pytest; _ = pytest.importorskip("mpi4py_fft")  # kronlap[mpi]
    >>> import numpy as np
    >>> import kronlap as kl
    >>> from kronlap.distributed import PoissonSolver
    >>> g = kl.Grid((32, 24), bc=["periodic", "neumann"])
    >>> solver = PoissonSolver(g, shift=2.0, planner_effort="FFTW_ESTIMATE")
    >>> x, y = solver.local_mesh()
    >>> f = np.cos(2 * np.pi * x) * y
    >>> u = solver.solve(f, boundary={(1, 1): 0.5})
    >>> serial = kl.PoissonSolver(g, shift=2.0).solve(
    ...     solver.gather(f, root=None), boundary={(1, 1): 0.5})
    >>> bool(np.allclose(solver.gather(u, root=None), serial, rtol=1e-12, atol=1e-14))
    True
    >>> solver.close()
    """

    def __init__(
        self,
        grid: Grid,
        *,
        shift: float = 0.0,
        method: str = "auto",
        comm=None,
        coeff=None,
        mask=None,
        mask_values=None,
        tol: float = 1e-10,
        maxiter=None,
        preconditioner=None,
        decomposition: str = "auto",
        planner_effort: str = "FFTW_MEASURE",
        threads: int = 1,
        tridiagonal_axis="auto",
    ):
        self.grid = check_grid(grid)
        check_standard_grid(self.grid, "kronlap.distributed")
        self.shift = check_real(shift, "shift")
        if not isinstance(method, str) or method not in METHODS:
            raise ValueError(
                f"method must be one of {METHODS}, got {method!r}; use kronlap.PoissonSolver "
                f"for the other methods"
            )
        multigrid = {
            "coeff": coeff,
            "mask": mask,
            "mask_values": mask_values,
            "tol": tol,
            "maxiter": maxiter,
            "preconditioner": preconditioner,
        }
        if method == "auto":
            method = "multigrid" if coeff is not None or mask is not None else "fft"
        self.method = method
        self._multigrid = None
        if method == "multigrid":
            spectral = {
                "decomposition": decomposition,
                "planner_effort": planner_effort,
                "threads": threads,
                "tridiagonal_axis": tridiagonal_axis,
            }
            self._setup_multigrid(comm, spectral, **multigrid)
            return
        given = [
            name
            for name, value in multigrid.items()
            if value is not None and not (name == "tol" and value == 1e-10)
        ]
        if given:
            raise TypeError(
                f"method='fft' does not take the option {given[0]!r}: it is an option of "
                f"method='multigrid' (PETSc)"
            )
        MPI, _ = require_mpi()
        threads = check_count(threads, "threads")
        check_tridiagonal_axis(tridiagonal_axis, self.grid, self.shift)
        self.comm = MPI.COMM_WORLD if comm is None else comm
        if tridiagonal_axis == "auto":
            tridiagonal_axis = pick_tridiagonal_axis(self.grid, self.shift, self.comm.Get_size())
        start = time.perf_counter()
        self._transform = DistributedTransform(
            self.grid,
            self.comm,
            decomposition,
            planner_effort=planner_effort,
            threads=int(threads),
            tridiagonal_axis=tridiagonal_axis,
        )
        self.tridiagonal_axis = tridiagonal_axis
        transform = self._transform
        self._lay_out(
            transform.local_slice,
            transform.decomposition,
            transform.process_grid,
            self.grid.is_singular and self.shift == 0.0,
        )
        self._inverse = self._inverse_eigenvalues()
        self.info = {
            "method": "fft",
            "ranks": self.comm.Get_size(),
            "decomposition": self.decomposition,
            "process_grid": self.process_grid,
            "tridiagonal_axis": self.tridiagonal_axis,
            "workspace_bytes": self._transform.workspace_bytes,
            "setup_time": time.perf_counter() - start,
            "solve_time": None,
            "iterations": None,
            "residual": None,
        }

    def _setup_multigrid(self, comm, spectral, *, coeff, mask, mask_values, tol, maxiter,
                         preconditioner):
        """The PETSc path (:class:`~kronlap.distributed.multigrid.PETScMultigrid`)."""
        for name, value in spectral.items():
            if value != _SPECTRAL_DEFAULTS[name]:
                raise TypeError(
                    f"method='multigrid' does not take the option {name!r}: it is an option "
                    f"of method='fft' (mpi4py-fft)"
                )
        if self.shift < 0:
            raise ValueError(
                f"method='multigrid' needs shift >= 0 (a definite operator), got {self.shift}; "
                f"use method='fft'"
            )
        tol = check_tolerance(tol)
        maxiter = check_count(500 if maxiter is None else maxiter, "maxiter")
        preconditioner = "gamg" if preconditioner is None else preconditioner
        if preconditioner not in PRECONDITIONERS:
            raise ValueError(
                f"preconditioner must be one of {PRECONDITIONERS}, got {preconditioner!r}"
            )
        try:
            from mpi4py import MPI
        except ImportError as exc:
            raise ImportError(
                "kronlap.distributed needs mpi4py and an MPI: pip install 'kronlap[petsc]'"
            ) from exc
        self.comm = MPI.COMM_WORLD if comm is None else comm
        start = time.perf_counter()
        # The layout is the same on every rank; the inputs are checked on each
        # (every rank raises if one does) before the collective assembly.
        engine = PETScMultigrid(self.grid, self.shift, self.comm)
        try:
            _collective(self.comm, lambda: engine.load(coeff, mask, mask_values))
        except (TypeError, ValueError):
            engine.close()
            raise
        try:
            engine.assemble(tol=tol, maxiter=maxiter, preconditioner=preconditioner)
        except ValueError:  # the same on every rank (PETSc's build, e.g. no hypre)
            engine.close()
            raise
        self._multigrid = engine
        self.tol = tol
        self.tridiagonal_axis = None
        process_grid = tuple(reversed(engine.da.getProcSizes()))
        self._lay_out(engine.local_slice, "dmda", process_grid, engine.singular)
        self.info = {
            "method": "multigrid",
            "ranks": self.comm.Get_size(),
            "decomposition": self.decomposition,
            "process_grid": self.process_grid,
            **engine.info,
            "setup_time": time.perf_counter() - start,
            "solve_time": None,
        }

    def _lay_out(self, local_slice, decomposition, process_grid, singular) -> None:
        """This rank's block and what both paths keep about it (boundary folding, slices)."""
        self.local_slice = local_slice
        self.local_shape = tuple(s.stop - s.start for s in local_slice)
        self.decomposition, self.process_grid = decomposition, process_grid
        self.singular = singular
        self._block = _Block(self.local_shape, self.grid.ndim, self.grid.bc, self.grid.h)
        self._axis_operators = axis_operators(self.grid)
        self._slices = None

    def _inverse_eigenvalues(self):
        """``scale / (lam - shift)`` per coefficient (0 for a singular constant), or the sweeps."""
        transform = self._transform
        total = transform.eigenvalue_sum() - self.shift
        if self.tridiagonal_axis is not None:
            # Each line along the axis is one tridiagonal system; that of the
            # constant mode of the other axes is singular, on the rank that
            # holds it.
            singular = self.singular and transform.owns_constant_mode
            return TridiagonalSweep(self.grid, self.tridiagonal_axis, total, np.float64, singular)
        if self.shift < 0:
            check_regular_shift(self.grid, self.shift)  # the same on every rank
        constant_mode = self.singular and transform.owns_constant_mode
        inverse = inverse_eigenvalues(total, scale=transform.scale, constant_mode=constant_mode)
        finite = bool(np.all(np.isfinite(inverse)))
        if not self.comm.allreduce(finite, op=_mpi().LAND):
            raise singular_shift_error(self.shift)
        return inverse

    def local_coords(self) -> tuple[np.ndarray, ...]:
        """Positions of this rank's unknowns per axis: ``grid.coords[k][local_slice[k]]``.

        Returns
        -------
        tuple of ndarray
            One 1D array per axis.

        Examples
        --------
        >>> import pytest; _ = pytest.importorskip("mpi4py_fft")  # kronlap[mpi]
        >>> import numpy as np
        >>> import kronlap as kl
        >>> from kronlap.distributed import PoissonSolver
        >>> solver = PoissonSolver(kl.Grid((4, 6)), planner_effort="FFTW_ESTIMATE")
        >>> [bool(np.array_equal(c, g[s])) for c, g, s in
        ...  zip(solver.local_coords(), solver.grid.coords, solver.local_slice)]
        [True, True]
        """
        return tuple(c[s] for c, s in zip(self.grid.coords, self.local_slice))

    def local_mesh(self) -> tuple[np.ndarray, ...]:
        """Coordinate arrays of this rank's block, ``indexing="ij"``.

        Returns
        -------
        tuple of ndarray
            One array of shape ``local_shape`` per axis.

        Examples
        --------
        >>> import pytest; _ = pytest.importorskip("mpi4py_fft")  # kronlap[mpi]
        >>> import numpy as np
        >>> import kronlap as kl
        >>> from kronlap.distributed import PoissonSolver
        >>> solver = PoissonSolver(kl.Grid((4, 6)), planner_effort="FFTW_ESTIMATE")
        >>> x, y = solver.local_mesh()
        >>> x.shape == solver.local_shape
        True
        """
        return tuple(np.meshgrid(*self.local_coords(), indexing="ij"))

    def solve(self, f, *, boundary=None, project: bool = False):
        """Solve ``(Delta_h - shift) u = f``; ``f`` and ``u`` are this rank's blocks.

        Parameters
        ----------
        f : array_like of shape ``local_shape``
            This rank's block of the right-hand side, real or complex
            (integers are read as float64). Not modified.
        boundary : dict, optional
            ``{(axis, side): value}`` as in :meth:`kronlap.PoissonSolver.solve`
            (``u`` on a Dirichlet side, the outward normal derivative on a
            Neumann side). ``value`` is a scalar, an array of this rank's
            part of the face (``local_shape`` without ``axis``), or an array
            of the whole face (``grid.shape`` without ``axis``; each rank
            takes its part). Ranks whose block does not touch the side
            ignore its value.
        project : bool, optional
            Singular problems only: remove the mean of the right-hand side
            (boundary fluxes included, over the whole grid) instead of
            raising when it is not zero.

        Returns
        -------
        ndarray of shape ``local_shape``
            This rank's block of ``u``, of the dtype of ``f`` (float64 for
            integers); zero mean over the whole grid if singular.

        Raises
        ------
        TypeError, ValueError
            On every rank if ``f`` or ``boundary`` is bad on any rank (the
            message names the rank), or if a singular problem's right-hand
            side has a non-zero mean.

        Examples
        --------
        >>> import pytest; _ = pytest.importorskip("mpi4py_fft")  # kronlap[mpi]
        >>> import numpy as np
        >>> import kronlap as kl
        >>> from kronlap.distributed import PoissonSolver
        >>> g = kl.Grid((8, 6), bc=["neumann", "periodic"])
        >>> solver = PoissonSolver(g, planner_effort="FFTW_ESTIMATE")
        >>> f = np.zeros(solver.local_shape)
        >>> u = solver.solve(f, boundary={(0, 0): 1.0, (0, 1): 1.0}, project=True)
        >>> u.shape == solver.local_shape
        True
        """
        rhs = _collective(self.comm, lambda: self._local_rhs(f, boundary, project))
        if self.singular:
            self._enforce_compatibility(rhs, project)
        start = time.perf_counter()
        if np.iscomplexobj(rhs):
            u = self._solve_real(rhs.real) + 1j * self._solve_real(rhs.imag)
        else:
            u = self._solve_real(rhs)
        self.info["solve_time"] = time.perf_counter() - start
        return u.astype(rhs.dtype, copy=False)

    def _local_rhs(self, f, boundary, project):
        """Validated right-hand side block with the boundary data folded in (a copy if changed)."""
        rhs = _check_local_array(f, self.local_shape, "f")
        local = self._local_boundary(boundary)
        if self._multigrid is not None:
            local = self._multigrid.scale_boundary(local)  # a g, a q: the coefficient's
        if local or (self.singular and project):
            if np.may_share_memory(rhs, f):
                rhs = rhs.copy()  # the caller's array is not ours to change
            fold_boundary(rhs, self._block, local, operators=self._axis_operators)
        return rhs

    def _local_boundary(self, boundary) -> dict:
        """The boundary data that fall on this rank's block, as values on its faces."""
        if boundary is None:
            return {}
        # The serial checks of the keys (a face named twice included) on every rank alike.
        check_boundary(
            boundary if not isinstance(boundary, dict) else dict.fromkeys(boundary, 0.0),
            self.grid,
        )
        local = {}
        for key, value in boundary.items():
            # Keys are checked against the grid on every rank alike.
            ((axis, side, _, _),) = check_boundary({key: 0.0}, self.grid)
            arr = np.asarray(value)
            face = self.grid.shape[:axis] + self.grid.shape[axis + 1 :]
            part = self.local_slice[:axis] + self.local_slice[axis + 1 :]
            if arr.ndim and arr.shape == face:
                arr = arr[part]
            ((_, _, _, arr),) = check_boundary({(axis, side): arr}, self._block)
            edge = self.local_slice[axis].start if side == 0 else self.local_slice[axis].stop
            if edge == (0 if side == 0 else self.grid.shape[axis]):
                local[(axis, side)] = arr
        return local

    def _enforce_compatibility(self, rhs, project: bool) -> None:
        """The serial rule (``kronlap.solvers.problem.enforce_compatibility``), grid-wide."""
        MPI = _mpi()
        mean = self.comm.allreduce(rhs.sum(), op=MPI.SUM) / self.grid.size
        if project:
            rhs -= mean
            return
        magnitude = float(np.abs(rhs).max()) if rhs.size else 0.0
        scale = self.comm.allreduce(magnitude, op=MPI.MAX)
        check_zero_mean(mean, scale, self.grid.size, rhs.real.dtype, where=" over the grid")

    def _solve_real(self, rhs) -> np.ndarray:
        if self._multigrid is not None:
            return self._solve_multigrid(rhs)
        coefficients = self._transform.forward(rhs)
        if isinstance(self._inverse, TridiagonalSweep):
            self._inverse.solve(coefficients)
            coefficients *= self._transform.scale
        else:
            coefficients *= self._inverse
        return self._transform.backward(np.empty(self.local_shape))

    def _solve_multigrid(self, rhs) -> np.ndarray:
        engine = self._multigrid
        u = engine.solve(rhs)
        if self.singular:
            MPI = _mpi()
            u -= self.comm.allreduce(u.sum(), op=MPI.SUM) / self.grid.size
        self.info.update(engine.info)
        residual = engine.info["residual"]
        if not residual <= self.tol:  # the same global number on every rank
            raise ConvergenceError(
                f"method='multigrid' (PETSc cg + {engine.info['preconditioner']}) reached "
                f"relative residual {residual:.3e} after {engine.info['iterations']} "
                f"iterations, short of tol={self.tol:.1e}"
            )
        return u

    def scatter(self, array, root: int = 0) -> np.ndarray:
        """Split a global array held on rank ``root`` into every rank's block.

        For small problems and tests: the whole array passes through one
        rank.

        Parameters
        ----------
        array : array_like of shape ``grid.shape`` or None
            The global array on ``root``; ignored (pass None) elsewhere.
        root : int, optional
            The rank that holds ``array``.

        Returns
        -------
        ndarray of shape ``local_shape``
            ``array[local_slice]``, a copy, of ``array``'s dtype.

        Raises
        ------
        TypeError, ValueError
            On every rank, if ``array`` on ``root`` is not numeric or not of
            ``grid.shape``.

        Examples
        --------
        >>> import pytest; _ = pytest.importorskip("mpi4py_fft")  # kronlap[mpi]
        >>> import numpy as np
        >>> import kronlap as kl
        >>> from kronlap.distributed import PoissonSolver
        >>> solver = PoissonSolver(kl.Grid((4, 6)), planner_effort="FFTW_ESTIMATE")
        >>> f = np.arange(24.0).reshape(4, 6)
        >>> local = solver.scatter(f if solver.comm.Get_rank() == 0 else None)
        >>> bool(np.array_equal(local, f[solver.local_slice]))
        True
        """
        comm = self.comm
        if comm.Get_rank() == root:
            arr = _collective(comm, lambda: _check_global(array, self.grid.shape, "array"))
            dtype = comm.bcast(arr.dtype.str, root=root)
            slices = self._all_slices()
            for rank, block in enumerate(slices):
                if rank != root:
                    comm.Send(np.ascontiguousarray(arr[block]), dest=rank, tag=_SCATTER_TAG)
            return np.array(arr[self.local_slice], copy=True)
        _collective(comm, lambda: None)
        dtype = np.dtype(comm.bcast(None, root=root))
        self._all_slices()
        local = np.empty(self.local_shape, dtype=dtype)
        comm.Recv(local, source=root, tag=_SCATTER_TAG)
        return local

    def gather(self, local, root: int | None = 0):
        """Assemble every rank's block into the global array, on ``root`` or on every rank.

        For small problems and tests: the whole array passes through one
        rank.

        Parameters
        ----------
        local : array_like of shape ``local_shape``
            This rank's block.
        root : int or None, optional
            The rank that receives the array; ``None``: every rank does.

        Returns
        -------
        ndarray of shape ``grid.shape`` or None
            The global array (dtype: the common type of the blocks) on
            ``root`` (every rank if ``root`` is None); None elsewhere.

        Raises
        ------
        TypeError, ValueError
            On every rank, if a rank's ``local`` is not numeric or not of its
            ``local_shape``.

        Examples
        --------
        >>> import pytest; _ = pytest.importorskip("mpi4py_fft")  # kronlap[mpi]
        >>> import numpy as np
        >>> import kronlap as kl
        >>> from kronlap.distributed import PoissonSolver
        >>> solver = PoissonSolver(kl.Grid((4, 6)), planner_effort="FFTW_ESTIMATE")
        >>> x, y = solver.local_mesh()
        >>> bool(np.array_equal(solver.gather(x + y, root=None), sum(solver.grid.mesh())))
        True
        """
        comm = self.comm
        block = _collective(comm, lambda: _check_global(local, self.local_shape, "local"))
        dtype = np.result_type(*comm.allgather(block.dtype.str))
        block = np.ascontiguousarray(block, dtype=dtype)
        target = 0 if root is None else root
        slices = self._all_slices()
        result = None
        if comm.Get_rank() == target:
            result = np.empty(self.grid.shape, dtype=dtype)
            result[self.local_slice] = block
            for rank, part in enumerate(slices):
                if rank != target:
                    buffer = np.empty(tuple(s.stop - s.start for s in part), dtype=dtype)
                    comm.Recv(buffer, source=rank, tag=_GATHER_TAG)
                    result[part] = buffer
        else:
            comm.Send(block, dest=target, tag=_GATHER_TAG)
        if root is None:
            if result is None:
                result = np.empty(self.grid.shape, dtype=dtype)
            comm.Bcast(result, root=target)
        return result

    def _all_slices(self):
        """Every rank's ``local_slice`` (collective on first use)."""
        if self._slices is None:
            self._slices = self.comm.allgather(self.local_slice)
        return self._slices

    def close(self) -> None:
        """Free the transform's communicators and plans (collective).

        Examples
        --------
        >>> import pytest; _ = pytest.importorskip("mpi4py_fft")  # kronlap[mpi]
        >>> import numpy as np
        >>> import kronlap as kl
        >>> from kronlap.distributed import PoissonSolver
        >>> solver = PoissonSolver(kl.Grid((4, 6)), planner_effort="FFTW_ESTIMATE")
        >>> solver.close()
        """
        if self._multigrid is not None:
            self._multigrid.close()
        else:
            self._transform.close()

    def __repr__(self):
        return (
            f"kronlap.distributed.PoissonSolver({self.grid!r}, shift={self.shift}, "
            f"ranks={self.comm.Get_size()}, decomposition={self.decomposition!r})"
        )


_SCATTER_TAG, _GATHER_TAG = 7101, 7102


def solve_poisson(
    f,
    grid: Grid,
    *,
    shift: float = 0.0,
    boundary=None,
    project: bool = False,
    comm=None,
    **options,
):
    """Solve ``(Delta_h - shift) u = f`` on ``grid`` spread over MPI ranks; ``f``, ``u`` local.

    Sets up a :class:`PoissonSolver`, solves once and frees it; build the
    solver yourself to reuse the setup (FFTW plans) for many right-hand
    sides.

    Parameters
    ----------
    f : array_like
        This rank's block of the right-hand side (shape: the solver's
        ``local_shape``; the block layout depends on the grid and the
        number of ranks, so build a :class:`PoissonSolver` to learn it).
    grid : Grid
    shift : float, optional
        ``s`` in ``(Delta_h - s I) u = f``.
    boundary : dict, optional
        See :meth:`PoissonSolver.solve`.
    project : bool, optional
        Singular problems: remove the mean of ``f`` instead of raising.
    comm : mpi4py.MPI.Comm, optional
        Default ``MPI.COMM_WORLD``.
    **options
        ``method``, ``coeff``, ``mask``, ``mask_values``, ``tol``,
        ``maxiter``, ``preconditioner`` (the multigrid path),
        ``decomposition``, ``planner_effort``, ``threads``,
        ``tridiagonal_axis`` (the spectral path): see :class:`PoissonSolver`.

    Returns
    -------
    ndarray
        This rank's block of ``u``.

    Examples
    --------
    >>> import pytest; _ = pytest.importorskip("mpi4py_fft")  # kronlap[mpi]
    >>> import numpy as np
    >>> import kronlap as kl
    >>> from kronlap.distributed import solve_poisson
    >>> g = kl.Grid((16, 16))
    >>> u = solve_poisson(np.ones(g.shape), g, planner_effort="FFTW_ESTIMATE")
    >>> bool(np.allclose(u, kl.solve_poisson(np.ones(g.shape), g)))
    True
    """
    solver = PoissonSolver(grid, shift=shift, comm=comm, **options)
    try:
        return solver.solve(f, boundary=boundary, project=project)
    finally:
        solver.close()


def _mpi():
    from mpi4py import MPI

    return MPI


def _collective(comm, check):
    """Run ``check()`` on every rank; if it raised TypeError/ValueError on any rank, raise on all.

    Without this, a rank with bad input would raise while the others wait
    in the next collective call for ever. The ranks without an error of
    their own raise the first failing rank's error, naming that rank.
    """
    try:
        result, error = check(), None
    except (TypeError, ValueError) as exc:
        result, error = None, exc
    if not comm.allreduce(error is not None, op=_mpi().LOR):
        return result
    errors = comm.allgather(None if error is None else (type(error) is TypeError, str(error)))
    if error is not None:
        raise error
    rank, (is_type_error, message) = next((r, e) for r, e in enumerate(errors) if e is not None)
    raise (TypeError if is_type_error else ValueError)(f"on rank {rank}: {message}")


def _check_local_array(f, shape, name) -> np.ndarray:
    """The serial right-hand-side rules, with the block's shape: float/complex, finite."""
    arr = np.asarray(f)
    if arr.dtype == bool or not np.issubdtype(arr.dtype, np.number):
        raise TypeError(f"{name} must be a numeric array, got dtype {arr.dtype}")
    if arr.shape != shape:
        raise ValueError(
            f"{name} must be this rank's block, of shape local_shape={shape}, got {arr.shape}"
        )
    if arr.dtype not in (np.float32, np.float64, np.complex64, np.complex128):
        arr = arr.astype(np.complex128 if np.iscomplexobj(arr) else np.float64)
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} contains NaN or inf")
    return arr


def _check_global(array, shape, name) -> np.ndarray:
    arr = np.asarray(array)
    if arr.dtype == bool or not np.issubdtype(arr.dtype, np.number):
        raise TypeError(f"{name} must be a numeric array, got dtype {arr.dtype}")
    if arr.shape != shape:
        raise ValueError(f"{name} must have shape {shape}, got {arr.shape}")
    return arr
