"""The distributed multigrid path: PETSc's conjugate gradients and algebraic multigrid.

The grid is a PETSc DMDA spread over the ranks (kronlap's last axis is
PETSc's ``x``, the fastest); each rank assembles the rows of the unknowns
it owns from the same face weights as the serial operators
(:func:`kronlap.coefficients.face_weights`: harmonic-mean faces, the axes'
1D operators), reading its neighbours' coefficients, mask and values from
a layer of ghost points that it evaluates itself. The matrix is the
symmetric positive (semi)definite ``S = -(div(a grad) - shift)`` of
:class:`kronlap.PoissonSolver`, with a mask's fixed points as identity rows
whose couplings move to the right-hand side. PETSc's KSP solves it by CG
with GAMG (default) or hypre's BoomerAMG where PETSc was built with hypre;
a singular problem hands PETSc the constants as null space. Nothing of
kronlap's own multigrid is distributed: PETSc does the parallel work.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from ..coefficients import harmonic_mean
from ..differences import axis_operators

__all__ = ["PRECONDITIONERS", "PETScMultigrid", "require_petsc"]

#: The multigrid preconditioners of the distributed path (PETSc PC types).
PRECONDITIONERS = ("gamg", "hypre")


def require_petsc():
    """``petsc4py.PETSc``, or an ImportError that says how to install it."""
    try:
        from petsc4py import PETSc
    except ImportError:
        raise ImportError(
            "kronlap.distributed's multigrid path (coeff, mask, method='multigrid') needs "
            "petsc4py: pip install 'kronlap[petsc]' (PETSc builds from source, which takes "
            "minutes; see docs/distributed.md)"
        ) from None
    return PETSc


def _ghost_values(value, grid, index, name, *, positive=False, boolean=False):
    """``value`` (None, a number, a callable of the coordinates or a global array) on a box.

    ``index`` holds the global indices of the box per axis (wrapped on
    periodic axes). Returns an array of the box's shape, or None.
    """
    if value is None:
        return None
    shape = tuple(len(i) for i in index)
    if callable(value):
        coords = [c[i] for c, i in zip(grid.coords, index)]
        arr = np.asarray(value(*np.meshgrid(*coords, indexing="ij")))
        source = f"{name}(*mesh)"
        try:
            arr = np.broadcast_to(arr, shape)
        except ValueError:
            raise ValueError(
                f"{source} must return an array of the shape of its coordinate arrays, "
                f"got {arr.shape} for {shape}"
            ) from None
    else:
        arr = np.asarray(value)
        source = name
        if arr.ndim == 0 and not boolean:
            arr = np.broadcast_to(arr, shape)
        elif arr.shape != grid.shape:
            raise ValueError(
                f"{name} must be {'an array' if boolean else 'a scalar, an array'} of "
                f"grid.shape={grid.shape} (the whole grid, on every rank) or a callable "
                f"of the coordinates, got shape {arr.shape}"
            )
        else:
            arr = arr[np.ix_(*index)]
    if boolean:
        if arr.dtype != bool:
            raise TypeError(f"{source} must be boolean (True = unknown), got dtype {arr.dtype}")
        return np.array(arr)
    if arr.dtype == bool or not np.issubdtype(arr.dtype, np.number) or np.iscomplexobj(arr):
        raise TypeError(f"{source} must be real numbers, got dtype {arr.dtype}")
    arr = np.array(arr, dtype=np.float64)
    bad = ~np.isfinite(arr) | ((arr <= 0) if positive else False)
    if np.any(bad):
        what = "positive and finite" if positive else "finite"
        raise ValueError(f"{source} must be {what} everywhere, got {arr[bad].flat[0]!r}")
    return arr


class PETScMultigrid:
    """``S u = b`` on this rank's block of a DMDA, by PETSc KSP CG with algebraic multigrid.

    Made in three steps, so that bad input on one rank never leaves the
    others waiting in a collective call: the constructor lays out the DMDA
    (collective, the same on every rank), :meth:`load` evaluates and checks
    this rank's inputs (local; the caller makes every rank raise if one
    does), :meth:`assemble` builds the matrix and the solver (collective).

    Parameters
    ----------
    grid : Grid
        Dirichlet, Neumann and periodic sides on uniform axes (a periodic
        axis of at least 3 points).
    shift : float
        ``s >= 0``.
    comm : mpi4py.MPI.Comm

    Notes
    -----
    :meth:`load` takes ``coeff`` (None, a number, an array of the whole grid
    that every rank passes, each reading its block and a layer of ghosts,
    or a callable of the coordinate arrays that each rank evaluates on its
    own points, the scalable way), ``mask`` and ``mask_values`` alike;
    :meth:`assemble` takes ``tol`` (relative residual
    ``||b - S u|| / ||b||``), ``maxiter`` and ``preconditioner``
    (``"gamg"`` or ``"hypre"``).

    Attributes
    ----------
    local_slice, local_shape
        This rank's block of the grid.
    singular : bool
    info : dict
        ``preconditioner``, and after a solve ``iterations``, ``residual``
        (true relative residual) and PETSc's ``converged_reason``.
    """

    def __init__(self, grid, shift, comm):
        PETSc = self._PETSc = require_petsc()
        for axis, (n, periodic) in enumerate(zip(grid.shape, grid.periodic)):
            if periodic and n < 3:
                raise ValueError(
                    f"the multigrid path needs at least 3 points on a periodic axis; grid axis "
                    f"{axis} has {n}"
                )
        self.grid, self.shift, self.comm = grid, float(shift), comm
        ndim = grid.ndim
        boundary = PETSc.DM.BoundaryType
        self.da = da = PETSc.DMDA().create(
            dim=ndim,
            dof=1,
            sizes=tuple(reversed(grid.shape)),
            boundary_type=tuple(
                boundary.PERIODIC if p else boundary.NONE for p in reversed(grid.periodic)
            ),
            stencil_type=PETSc.DMDA.StencilType.STAR,
            stencil_width=1,
            comm=comm,
        )
        owned = [tuple(r) for r in reversed(da.getRanges())]
        ghosted = [tuple(r) for r in reversed(da.getGhostRanges())]
        self.local_slice = tuple(slice(s, e) for s, e in owned)
        self.local_shape = tuple(e - s for s, e in owned)
        self._owned = owned
        ghost_shape = tuple(e - s for s, e in ghosted)
        self._index = [np.arange(s, e) % n for (s, e), n in zip(ghosted, grid.shape)]
        self._inner = tuple(slice(s - gs, e - gs) for (s, e), (gs, _) in zip(owned, ghosted))
        # Global PETSc index of every point of the ghosted box (C order: PETSc's x fastest).
        numbers = da.getLGMap().apply(np.arange(int(np.prod(ghost_shape)), dtype=PETSc.IntType))
        self._numbers = np.asarray(numbers).reshape(ghost_shape)
        self.matrix = self.ksp = None

    def load(self, coeff, mask, mask_values) -> None:
        """Evaluate and check this rank's coefficient, mask and values (no communication).

        Raises
        ------
        TypeError, ValueError
            Bad input on this rank (the caller makes every rank raise).
        """
        grid, index = self.grid, self._index
        a = _ghost_values(coeff, grid, index, "coeff", positive=True)
        known = values = None
        if mask is not None:
            known = ~_ghost_values(mask, grid, index, "mask", boolean=True)
            values = _ghost_values(mask_values, grid, index, "mask_values")
        self._inputs = (a, known, values)
        self.singular = grid.is_singular and self.shift == 0.0 and mask is None

    def assemble(self, *, tol, maxiter, preconditioner) -> None:
        """Assemble this rank's rows and set up PETSc's CG and multigrid (collective)."""
        PETSc, grid, comm = self._PETSc, self.grid, self.comm
        if preconditioner == "hypre" and not PETSc.Sys.hasExternalPackage("hypre"):
            # The same answer on every rank: PETSc's build, not the input.
            raise ValueError(
                "preconditioner='hypre' needs a PETSc built with hypre (configure "
                "--download-hypre); this one has none: use preconditioner='gamg'"
            )
        ndim, owned, inner, numbers = grid.ndim, self._owned, self._inner, self._numbers
        a, known, values = self._inputs
        self.tol = float(tol)
        self._known = None if known is None else known[inner]
        self._fixed = None
        if known is not None:
            self._fixed = np.zeros(self.local_shape) if values is None else values[inner]
        rows, cols, vals = [], [], []
        local_rows = np.arange(int(np.prod(self.local_shape))).reshape(self.local_shape)
        diag = np.full(self.local_shape, self.shift)
        self._coupling = np.zeros(self.local_shape)  # S-couplings to fixed points, times values
        self._a_owned = cell = None if a is None else a[inner]
        for axis, op in enumerate(axis_operators(grid)):
            start, stop = owned[axis]
            for step, face_shift in ((-1, 0), (1, 1)):
                # Weight of the face between each owned point and its neighbour `step` away.
                faces = op.faces[np.arange(start, stop) + face_shift]
                view = [1] * ndim
                view[axis] = -1
                weight = np.broadcast_to(faces.reshape(view), self.local_shape).copy()
                neighbour = list(inner)
                neighbour[axis] = slice(inner[axis].start + step, inner[axis].stop + step)
                neighbour = tuple(neighbour)
                global_index = np.arange(start, stop) + step
                exists = np.ones(stop - start, dtype=bool)
                if not grid.periodic[axis]:
                    exists = (global_index >= 0) & (global_index < grid.shape[axis])
                exists = np.broadcast_to(exists.reshape(view), self.local_shape)
                if a is not None:
                    other = _shifted(a, neighbour, exists, cell)
                    weight *= np.where(exists, harmonic_mean(cell, other), cell)
                diag += weight
                couples = exists & (weight != 0)
                if known is not None:
                    other_known = _shifted(known, neighbour, exists, False)
                    fixed_values = 0.0
                    if values is not None:
                        fixed_values = _shifted(values, neighbour, exists, 0.0)
                    to_fixed = couples & other_known
                    self._coupling += np.where(to_fixed, weight * fixed_values, 0.0)
                    couples = couples & ~other_known & ~self._known
                target = _shifted(numbers, neighbour, exists, -1)
                rows.append(local_rows[couples])
                cols.append(target[couples])
                vals.append(-weight[couples])
        # A fixed point's row is its own diagonal alone (its right-hand side that
        # times its value): the scale of its neighbours' rows, not 1, which would
        # spread the spectrum that CG and the multigrid see.
        self._diag = diag
        rows.append(local_rows.ravel())
        cols.append(numbers[inner].ravel())
        vals.append(diag.ravel())
        n_local, n_global = local_rows.size, grid.size
        csr = sp.csr_array(
            (np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
            shape=(n_local, n_global),
        )
        csr.sum_duplicates()
        self.matrix = A = PETSc.Mat().createAIJ(
            size=((n_local, n_global), (n_local, n_global)),
            csr=(csr.indptr.astype(PETSc.IntType), csr.indices.astype(PETSc.IntType), csr.data),
            comm=comm,
        )
        A.assemble()
        if self.singular:
            self._nullspace = PETSc.NullSpace().create(constant=True, comm=comm)
            A.setNullSpace(self._nullspace)
            A.setNearNullSpace(self._nullspace)
        ksp = self.ksp = PETSc.KSP().create(comm=comm)
        ksp.setOperators(A)
        ksp.setType(PETSc.KSP.Type.CG)
        ksp.setNormType(PETSc.KSP.NormType.UNPRECONDITIONED)
        ksp.setTolerances(rtol=self.tol, atol=0.0, max_it=int(maxiter))
        ksp.getPC().setType(preconditioner)
        ksp.setOptionsPrefix("kronlap_")
        ksp.setFromOptions()  # -kronlap_pc_gamg_... and friends reach PETSc
        ksp.setUp()
        self.info = {
            "preconditioner": f"PETSc {preconditioner}",
            "krylov": "PETSc cg",
            "iterations": None,
            "residual": None,
            "converged_reason": None,
        }
        self._b, self._x = A.createVecs()

    def scale_boundary(self, local: dict) -> dict:
        """Boundary data times the coefficient of the owned points beside the side."""
        if self._a_owned is None:
            return local
        return {
            (axis, side): np.take(self._a_owned, 0 if side == 0 else -1, axis=axis) * value
            for (axis, side), value in local.items()
        }

    def solve(self, rhs) -> np.ndarray:
        """``u`` on this rank's block for the folded right-hand side ``f`` (real)."""
        b = -np.asarray(rhs, dtype=np.float64)
        if self._known is not None:
            b = b + self._coupling
            b = np.where(self._known, self._diag * self._fixed, b)
        self._b.array[...] = b.ravel()
        self._x.set(0.0)
        self.ksp.solve(self._b, self._x)
        residual = self._b.duplicate()
        self.matrix.mult(self._x, residual)
        residual.aypx(-1.0, self._b)
        norm_b = self._b.norm()
        self.info.update(
            iterations=int(self.ksp.getIterationNumber()),
            residual=float(residual.norm() / norm_b) if norm_b else 0.0,
            converged_reason=int(self.ksp.getConvergedReason()),
        )
        residual.destroy()
        return np.array(self._x.array, dtype=np.float64).reshape(self.local_shape)

    def close(self) -> None:
        """Free the PETSc objects (collective)."""
        for item in ("ksp", "matrix", "_b", "_x", "da"):
            obj = getattr(self, item, None)
            if obj is not None:
                obj.destroy()
                setattr(self, item, None)


def _shifted(array, neighbour, exists, fill):
    """``array`` at each owned point's neighbour (the ghosted box sliced), ``fill`` where none."""
    box = np.asarray(array)
    shape = exists.shape
    out = np.full(shape, fill, dtype=np.result_type(box.dtype, np.asarray(fill).dtype))
    # The slice stays inside the ghosted box wherever the neighbour exists; at a
    # non-periodic domain edge the box has no ghost, so clip and mask.
    clipped = []
    for s, n in zip(neighbour, box.shape):
        clipped.append((max(s.start, 0), min(s.stop, n), max(s.start, 0) - s.start))
    region = tuple(slice(a, b) for a, b, _ in clipped)
    target = tuple(slice(off, off + (b - a)) for a, b, off in clipped)
    out[target] = box[region]
    return np.where(exists, out, fill)
