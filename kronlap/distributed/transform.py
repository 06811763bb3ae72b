"""The grid's per-axis diagonalizers, distributed over MPI ranks with mpi4py-fft.

:class:`DistributedTransform` is the parallel counterpart of
:class:`kronlap.spectral.SpectralSolver`'s transform pair: the same
per-axis transforms (DST-I on Dirichlet-Dirichlet axes, DCT-II on
Neumann-Neumann axes, the real FFT on one periodic axis and complex FFTs on
the others, dense eigenvectors on mixed-side axes), applied by
``mpi4py_fft.PFFT``, which runs FFTW on each rank's block and moves the
data between stages with all-to-all transposes (slab or pencil
decomposition); axes that every rank holds whole and that share one FFTW
plan form one stage. The eigenvalues come from :func:`kronlap.axis_eigenvalues`
and :class:`kronlap.AxisTransform`, as in the serial solver.

mpi4py and mpi4py-fft are imported when a transform is built, not when this
module is imported, so that kronlap imports without them.
"""

from __future__ import annotations

import functools
import math

import numpy as np

from .._memory import check_memory
from ..grid import Grid
from ..spectral import AxisTransform, axis_eigenvalues, eigenvalue_sum, sweep_axis, transform_kind

__all__ = ["DistributedTransform", "DECOMPOSITIONS", "require_mpi", "pick_tridiagonal_axis"]

DECOMPOSITIONS = ("auto", "slab", "pencil")

_INSTALL_HINT = (
    "pip install 'kronlap[mpi]' (FFTW headers first: apt-get install libfftw3-dev); "
    "see docs/distributed.md"
)


def require_mpi():
    """Import and return ``(mpi4py.MPI, mpi4py_fft)``, or raise ImportError saying how to install.

    Returns
    -------
    tuple of modules
        ``mpi4py.MPI`` and ``mpi4py_fft``.

    Raises
    ------
    ImportError
        mpi4py or mpi4py-fft is not installed.

    Examples
    --------
    >>> import pytest; _ = pytest.importorskip("mpi4py_fft")  # kronlap[mpi]
    >>> MPI, mpi4py_fft = require_mpi()
    >>> MPI.COMM_WORLD.Get_size() >= 1
    True
    """
    try:
        from mpi4py import MPI
    except ImportError as exc:
        raise ImportError(f"kronlap.distributed needs mpi4py and an MPI: {_INSTALL_HINT}") from exc
    try:
        import mpi4py_fft
    except ImportError as exc:
        raise ImportError(f"kronlap.distributed needs mpi4py-fft: {_INSTALL_HINT}") from exc
    return MPI, mpi4py_fft


# FFTW kinds (forward, backward) of the real-to-real axes: DST-I is its own
# inverse; DCT-II (REDFT10) is inverted by DCT-III (REDFT01).
_FFTW_KINDS = {"dst1": ("FFTW_RODFT00", "FFTW_RODFT00"), "dct2": ("FFTW_REDFT10", "FFTW_REDFT01")}


def _axis_kind(n: int, pair) -> str:
    """Transform of one axis: ``"dst1"``, ``"dct2"``, ``"dense"`` or ``"fft"``.

    A periodic axis of length 1 or 2 has a real Fourier basis (the
    constant and, for ``n = 2``, the alternating vector), which is the
    DCT-II's: it is transformed like a Neumann axis, with the periodic
    eigenvalues. This keeps every FFT axis longer than its real-FFT output
    (``n // 2 + 1 < n``), which mpi4py-fft relies on to switch the data
    type from real to complex between stages.
    """
    if pair[0] == "periodic" and n <= 2:
        return "dct2"
    return transform_kind(pair)


def pick_tridiagonal_axis(grid: Grid, shift: float, ranks: int):
    """The axis to leave untransformed and solve by tridiagonal sweeps, or None.

    The serial cost model of
    :meth:`kronlap.spectral.SpectralSolver._pick_tridiagonal_axis` (a
    transform pair against a batched Thomas sweep, calibrated on 2 cores)
    applied to one rank's share of the grid: the non-periodic axis whose
    transforms cost most over a sweep, such as a mixed-side axis (dense
    eigenvectors) or a DST-I of awkward length (``n = 256`` transforms at
    length ``2 * 257``), if the sweep is cheaper.

    Parameters
    ----------
    grid : Grid
    shift : float
        A negative shift (indefinite operator) gives None: the sweep does
        not pivot.
    ranks : int
        Number of ranks sharing the grid.

    Returns
    -------
    int or None

    Examples
    --------
    >>> import kronlap as kl
    >>> pick_tridiagonal_axis(kl.Grid((64, 256, 64)), 0.0, ranks=4)
    1
    >>> pick_tridiagonal_axis(kl.Grid((64, 64), bc="periodic"), 0.0, ranks=4) is None
    True
    """
    return sweep_axis(grid, shift, grid.size / ranks)


class _IdentityPlan:
    """A stage that transforms nothing: the tridiagonal axis, brought whole onto each rank.

    Input and output are one array, so the stage costs no copy and no
    memory beyond the transpose's target.
    """

    def __init__(self, input_array, s=None, axes=(-1,), threads=1, flags=None, output_array=None):
        self.input_array = input_array
        self.output_array = input_array if output_array is None else output_array

    def get_normalization(self) -> float:
        return 1.0

    def __call__(self, input_array=None, output_array=None, **options):
        if input_array is not None:
            self.input_array[...] = input_array
        if self.output_array is not self.input_array:
            self.output_array[...] = self.input_array
        if output_array is not None:
            output_array[...] = self.output_array
            return output_array
        return self.output_array


class _DenseAxisPlan:
    """Serial transform along one axis by dense eigenvectors, in mpi4py-fft's plan interface.

    Mixed-side axes (Dirichlet on one side, Neumann on the other) have no
    FFTW real-to-real transform; their orthonormal eigenvectors ``V`` from
    :class:`kronlap.AxisTransform` are applied as a matrix product along
    the axis: ``V^T`` forward, ``V`` backward. mpi4py-fft calls a plan as
    ``plan(input_array, s=, axes=, threads=, flags=, output_array=)`` and
    then uses ``input_array``, ``output_array``, ``get_normalization()``
    and ``__call__``.
    """

    def __init__(
        self,
        transform: AxisTransform,
        inverse: bool,
        input_array,
        s=None,
        axes=(-1,),
        threads=1,
        flags=None,
        output_array=None,
    ):
        if len(axes) != 1:
            raise ValueError(f"a dense eigenvector plan transforms one axis, got axes={axes}")
        self.transform, self.inverse, self.axis = transform, inverse, axes[0]
        self.input_array = input_array
        self.output_array = np.empty_like(input_array) if output_array is None else output_array

    def get_normalization(self) -> float:
        return 1.0  # orthonormal eigenvectors: V^T V = I

    def __call__(self, input_array=None, output_array=None, **options):
        if input_array is not None:
            self.input_array[...] = input_array
        apply = self.transform.inverse if self.inverse else self.transform.forward
        self.output_array[...] = apply(self.input_array, self.axis)
        if output_array is not None:
            output_array[...] = self.output_array
            return output_array
        return self.output_array


def _stages(order, kinds, dims) -> list[tuple[int, ...]]:
    """Group the axes, in transform order, into the stages of ``mpi4py_fft.PFFT``.

    The axes at the head of ``order`` that sit whole on every rank
    (``dims`` 1) and share one FFTW plan are transformed in one call: DST-I
    and DCT-II axes together (one multi-dimensional real-to-real plan), or
    the real-FFT axis with complex-FFT axes (``rfftn``). That saves a
    strided pass over the data and a local copy per axis. Every other axis
    is a stage of its own, reached by an all-to-all transpose. Within a
    stage the axis transformed first (the real FFT's) is last, as FFTW
    and PFFT expect.
    """
    family = {"dst1": "r2r", "dct2": "r2r", "fft": "fft", "dense": None, "none": None}
    head = [order[0]]
    for axis in order[1:]:
        if (
            family[kinds[axis]] is None
            or family[kinds[axis]] != family[kinds[head[0]]]
            or dims[axis] != 1
            or dims[head[0]] != 1
        ):
            break
        head.append(axis)
    return [tuple(reversed(head))] + [(axis,) for axis in order[len(head) :]]


def _real_to_real_plan(
    kinds: dict, input_array, s=None, axes=(-1,), threads=1, flags=None, output_array=None
):
    """One FFTW real-to-real plan over several axes, each with its own kind.

    ``kinds`` maps an axis to an FFTW kind name (``"FFTW_RODFT00"`` for
    DST-I, ``"FFTW_REDFT10"`` / ``"FFTW_REDFT01"`` for DCT-II / its
    inverse); the call signature is mpi4py-fft's planner interface, and
    the normalization that of its ``dstn``/``dctn``.
    """
    from mpi4py_fft import fftw
    from mpi4py_fft.fftw.xfftn import get_normalization

    codes = [getattr(fftw, kinds[axis]) for axis in axes]
    output = fftw.aligned_like(input_array) if output_array is None else output_array
    scale = get_normalization(codes, input_array.shape, axes)
    return fftw.get_planned_FFT(input_array, output, axes, codes, threads, flags, scale)


def _layouts(shape, stages, dims, real_fft_axis):
    """Global lengths and ranks per axis of every pencil the transform passes through.

    Mirrors ``mpi4py_fft.PFFT``: the pencil of a stage is aligned with the
    last axis of the stage (all its axes are on one rank); moving to the
    next stage swaps the process counts of the two aligned axes, and the
    real FFT shortens its axis to ``n // 2 + 1``.
    """
    lengths, dims = list(shape), list(dims)
    layouts = [(tuple(lengths), tuple(dims))]
    for k, stage in enumerate(stages):
        if real_fft_axis in stage:
            lengths[real_fft_axis] = lengths[real_fft_axis] // 2 + 1
        if k + 1 < len(stages):
            aligned, following = stage[-1], stages[k + 1][-1]
            dims[aligned], dims[following] = dims[following], dims[aligned]
            layouts.append((tuple(lengths), tuple(dims)))
    return layouts


def _factorizations(size: int, ndim: int, axes) -> list[list[int]]:
    """Every process grid with ``size`` ranks spread over ``axes`` (1 on the others)."""
    if not axes:
        return [[1] * ndim] if size == 1 else []
    grids = []
    for count in range(1, size + 1):
        if size % count == 0:
            for rest in _factorizations(size // count, ndim, axes[1:]):
                rest[axes[0]] = count
                grids.append(rest)
    return grids


def _workspace_bytes(shape, stages, dims, real_fft_axis, kinds) -> int:
    """Bytes of one rank's transform buffers: an input and an output array per stage.

    The largest block of each layout is counted (blocks differ by at most
    one point per axis); data are float64 up to the real FFT and
    complex128 after it.
    """
    layouts = _layouts(shape, stages, dims, real_fft_axis)
    total, itemsize = 0, 8
    for k, stage in enumerate(stages):
        lengths, procs = layouts[k]
        points = math.prod(-(-n // p) for n, p in zip(lengths, procs))
        if real_fft_axis in stage:
            n = lengths[real_fft_axis]
            total += 8 * points + 16 * (points // n * (n // 2 + 1))
            itemsize = 16
        elif kinds[stage[0]] == "none":
            total += itemsize * points  # input and output are one array
        else:
            total += 2 * itemsize * points
    return total


def _fits(shape, stages, dims, real_fft_axis) -> bool:
    return all(
        n >= p
        for lengths, procs in _layouts(shape, stages, dims, real_fft_axis)
        for n, p in zip(lengths, procs)
    )


def _check_node_memory(comm, nbytes, grid, MPI) -> None:
    """Refuse, on every rank, buffers that the ranks of a node cannot hold together.

    Each rank needs ``nbytes`` (transform buffers) plus about three
    blocks of the grid (right-hand side, solution, coefficients' inverse
    eigenvalues), and the ranks on one node share its memory.
    """
    node = comm.Split_type(MPI.COMM_TYPE_SHARED)
    try:
        need = node.allreduce(nbytes + 3 * 8 * grid.size // comm.Get_size(), op=MPI.SUM)
    finally:
        node.Free()
    try:
        check_memory(need, f"the transforms of a {grid.shape} grid on this node's ranks")
        error = None
    except MemoryError as exc:
        error = exc
    if comm.allreduce(error is not None, op=MPI.LOR):
        raise error or MemoryError(
            f"the transforms of a {grid.shape} grid need more memory than another node "
            f"of this communicator has; use more nodes or a smaller grid"
        )


class DistributedTransform:
    """Diagonalize ``laplacian(grid)`` on blocks spread over MPI ranks.

    ``forward`` maps each rank's block of a real grid function to its block
    of coefficients in the eigenbasis (the product of the 1D bases);
    ``backward`` maps coefficients back. The coefficient of index
    ``(k0, k1, ...)`` belongs to the eigenvalue
    ``lam0[k0] + lam1[k1] + ...`` (see :meth:`eigenvalue_sum`).

    Parameters
    ----------
    grid : Grid
        At least 2 axes.
    comm : mpi4py.MPI.Comm
        Communicator whose ranks share the grid (every rank passes the same
        grid and options).
    decomposition : {"auto", "slab", "pencil"}
        ``"slab"``: one axis is split over the ranks (two transposes per
        transform pair in 2D and 3D); ``"pencil"``: all axes but one are
        split over a process grid chosen by ``MPI.Compute_dims`` (more
        ranks than any one axis has points; more, smaller messages).
        ``"auto"``: slab where it fits, else pencil.
    planner_effort : str
        FFTW planner flag, e.g. ``"FFTW_MEASURE"`` (plans take a while,
        transforms are fastest) or ``"FFTW_ESTIMATE"`` (instant plans).
    threads : int
        FFTW threads per rank.
    tridiagonal_axis : int or None
        A non-periodic axis to leave untransformed (see
        :func:`pick_tridiagonal_axis`): it is transformed last, by an
        identity stage, so that it lies whole on each rank in the
        coefficient layout, for tridiagonal sweeps along it.

    Attributes
    ----------
    local_slice : tuple of slice
        This rank's block of the grid: ``u_local = u_global[local_slice]``.
    spectral_slice : tuple of slice
        This rank's block of the coefficient array.
    decomposition : str
        ``"slab"`` or ``"pencil"``.
    process_grid : tuple of int
        Ranks along each axis of the grid in the physical layout.
    stages : list of tuple of int
        The axes of each transform stage, in the order they are
        transformed (see ``_stages``).
    workspace_bytes : int
        This rank's transform buffers (an input and an output array per
        stage), as estimated before allocating them.
    scale : float
        The transform pair is unnormalized: ``backward(forward(x))`` equals
        ``x / scale``.

    Raises
    ------
    ImportError
        mpi4py or mpi4py-fft is missing.
    ValueError
        A 1D grid, an unknown decomposition, or a grid too small to split
        over this many ranks.
    MemoryError
        The buffers of the ranks on a node clearly exceed its free memory
        (raised on every rank, before allocating).

    Examples
    --------
    The transform pair on one rank returns the input, up to ``scale``:

    >>> import pytest; _ = pytest.importorskip("mpi4py_fft")  # kronlap[mpi]
    >>> import numpy as np
    >>> import kronlap as kl
    >>> from mpi4py import MPI
    >>> from kronlap.distributed.transform import DistributedTransform
    >>> t = DistributedTransform(kl.Grid((6, 8), bc=["dirichlet", "periodic"]),
    ...                          MPI.COMM_WORLD, planner_effort="FFTW_ESTIMATE")
    >>> x = np.random.default_rng(0).random(t.local_shape)
    >>> coefficients = t.forward(x)
    >>> bool(np.allclose(t.backward(np.empty(t.local_shape)) * t.scale, x))
    True
    >>> t.close()
    """

    def __init__(
        self,
        grid: Grid,
        comm,
        decomposition: str = "auto",
        *,
        planner_effort: str = "FFTW_MEASURE",
        threads: int = 1,
        tridiagonal_axis: int | None = None,
    ):
        MPI, mpi4py_fft = require_mpi()

        if grid.ndim < 2:
            raise ValueError(
                f"grid must have at least 2 axes to be distributed, got shape {grid.shape}; "
                f"solve 1D problems with kronlap.PoissonSolver"
            )
        if decomposition not in DECOMPOSITIONS:
            raise ValueError(
                f"decomposition must be one of {DECOMPOSITIONS}, got {decomposition!r}"
            )
        self.grid, self.comm = grid, comm
        kinds = [_axis_kind(n, pair) for n, pair in zip(grid.shape, grid.bc)]
        self.tridiagonal_axis = tridiagonal_axis
        if tridiagonal_axis is not None:
            kinds[tridiagonal_axis] = "none"
        # Real-to-real transforms first while the data are real, then the
        # real FFT on one periodic axis, then complex FFTs, and last the
        # untransformed axis, which then lies whole on each rank for the
        # tridiagonal sweeps. Among equals the highest axis goes first, so
        # that, where the kinds allow it, the grid is split along axis 0 as
        # a C-ordered user would expect.
        real_axes = [k for k in reversed(range(grid.ndim)) if kinds[k] not in ("fft", "none")]
        fft_axes = [k for k in reversed(range(grid.ndim)) if kinds[k] == "fft"]
        self.real_fft_axis = fft_axes[0] if fft_axes else None
        last = [] if tridiagonal_axis is None else [tridiagonal_axis]
        self.order = tuple(real_axes + fft_axes + last)
        self._kinds = kinds
        self.decomposition, dims = self._process_grid(decomposition, comm.Get_size(), MPI)
        self.process_grid = tuple(dims)
        self.stages = _stages(self.order, kinds, dims)

        self.workspace_bytes = _workspace_bytes(
            grid.shape, self.stages, dims, self.real_fft_axis, kinds
        )
        _check_node_memory(comm, self.workspace_bytes, grid, MPI)

        self._dense = {}
        transforms = {}
        for stage in self.stages:
            stage_kinds = [kinds[axis] for axis in stage]
            if stage_kinds[0] == "fft":
                continue  # PFFT's default: rfftn for real data, fftn for complex
            if stage_kinds[0] == "none":
                transforms[stage] = (_IdentityPlan, _IdentityPlan)
                continue
            if stage_kinds[0] == "dense":
                (axis,) = stage
                basis = AxisTransform(grid.shape[axis], grid.h[axis], grid.bc[axis], dense=True)
                self._dense[axis] = basis
                transforms[stage] = (
                    functools.partial(_DenseAxisPlan, basis, False),
                    functools.partial(_DenseAxisPlan, basis, True),
                )
                continue
            forward = {a: _FFTW_KINDS[kinds[a]][0] for a in stage}
            backward = {a: _FFTW_KINDS[kinds[a]][1] for a in stage}
            transforms[stage] = (
                functools.partial(_real_to_real_plan, forward),
                functools.partial(_real_to_real_plan, backward),
            )
        self._pfft = mpi4py_fft.PFFT(
            comm,
            grid.shape,
            axes=tuple(reversed(self.stages)),  # PFFT transforms the last stage first
            dtype=np.float64,
            grid=dims,
            transforms=transforms,
            planner_effort=planner_effort,
            threads=threads,
        )
        self.local_slice = self._pfft.local_slice(False)
        self.spectral_slice = self._pfft.local_slice(True)
        self.local_shape = tuple(s.stop - s.start for s in self.local_slice)
        self.scale = math.prod(float(stage.M) for stage in self._pfft.xfftn)

    def _process_grid(self, decomposition, size, MPI):
        """Pick the decomposition and the number of ranks along each axis."""
        shape, first = self.grid.shape, self.order[0]
        slab = [1] * len(shape)
        slab[min(k for k in range(len(shape)) if k != first)] = size
        balanced = [0] * len(shape)
        balanced[first] = 1
        balanced = list(MPI.Compute_dims(size, balanced))
        # The most balanced process grid first, then the others from the
        # least to the most lopsided: a short axis may need fewer ranks.
        split = [k for k in range(len(shape)) if k != first]
        pencils = [balanced] + sorted(
            (dims for dims in _factorizations(size, len(shape), split) if dims != balanced),
            key=max,
        )
        tried = ["slab", "pencil"] if decomposition == "auto" else [decomposition]
        for name in tried:
            for dims in [slab] if name == "slab" else pencils:
                stages = _stages(self.order, self._kinds, dims)
                if _fits(shape, stages, dims, self.real_fft_axis):
                    return name, dims
        candidates = {"slab": slab, "pencil": balanced}
        raise ValueError(
            f"grid of shape {shape} cannot be split over {size} ranks with decomposition "
            f"{decomposition!r}: every split axis needs at least as many points as ranks "
            f"along it, before and after the transforms (process grid "
            f"{tuple(candidates[tried[-1]])} for axes {tuple(range(len(shape)))}); use "
            f"fewer ranks" + (" or decomposition='pencil'" if decomposition == "slab" else "")
        )

    def eigenvalue_sum(self) -> np.ndarray:
        """Eigenvalues of ``laplacian(grid)`` for this rank's coefficients, broadcastable.

        Returns
        -------
        ndarray
            ``lam0[k0] + lam1[k1] + ...`` over this rank's coefficient
            indices (:attr:`spectral_slice`); the untransformed
            ``tridiagonal_axis`` contributes nothing (length 1).

        Examples
        --------
        >>> import pytest; _ = pytest.importorskip("mpi4py_fft")  # kronlap[mpi]
        >>> import numpy as np
        >>> import kronlap as kl
        >>> from mpi4py import MPI
        >>> from kronlap.distributed.transform import DistributedTransform
        >>> t = DistributedTransform(kl.Grid((6, 8), bc=["dirichlet", "periodic"]),
        ...                          MPI.COMM_WORLD, planner_effort="FFTW_ESTIMATE")
        >>> lam = t.eigenvalue_sum()
        >>> bool(np.allclose(lam, kl.eigenvalues(t.grid)[:, :5][t.spectral_slice]))
        True
        >>> t.close()
        """
        per_axis = []
        for axis, (n, h, pair) in enumerate(zip(self.grid.shape, self.grid.h, self.grid.bc)):
            if axis == self.tridiagonal_axis:
                per_axis.append(None)  # not transformed: left to the tridiagonal sweeps
                continue
            if axis in self._dense:
                lam = self._dense[axis].lam
            else:
                lam = axis_eigenvalues(n, h, pair)
                if axis == self.real_fft_axis:
                    lam = lam[: n // 2 + 1]
            per_axis.append(lam[self.spectral_slice[axis]])
        return eigenvalue_sum(per_axis)

    @property
    def owns_constant_mode(self) -> bool:
        """Whether this rank holds coefficient ``(0, 0, ...)``, the constant mode's."""
        return all(s.start == 0 for s in self.spectral_slice)

    @property
    def coefficients(self) -> np.ndarray:
        """This rank's coefficients: the output of :meth:`forward`, input of :meth:`backward`."""
        return self._pfft.backward.input_array

    def forward(self, x) -> np.ndarray:
        """Unnormalized coefficients of the real local block ``x``.

        Parameters
        ----------
        x : array_like of shape ``local_shape``
            Real; copied in (and cast to float64).

        Returns
        -------
        ndarray
            :attr:`coefficients`, a buffer that the next transform
            overwrites.

        Examples
        --------
        >>> import pytest; _ = pytest.importorskip("mpi4py_fft")  # kronlap[mpi]
        >>> import numpy as np
        >>> import kronlap as kl
        >>> from mpi4py import MPI
        >>> from kronlap.distributed.transform import DistributedTransform
        >>> t = DistributedTransform(kl.Grid((6, 8), bc=["dirichlet", "periodic"]),
        ...                          MPI.COMM_WORLD, planner_effort="FFTW_ESTIMATE")
        >>> t.forward(np.ones(t.local_shape)).shape   # the real FFT halves axis 1
        (6, 5)
        >>> t.close()
        """
        return self._pfft.forward(x, normalize=False)

    def backward(self, out) -> np.ndarray:
        """Grid values from :attr:`coefficients` into ``out``, unnormalized.

        Parameters
        ----------
        out : ndarray of shape ``local_shape``, float64
            Receives the values; the coefficients are overwritten (FFTW's
            inverse real FFT uses its input as workspace).

        Returns
        -------
        ndarray
            ``out``.

        Examples
        --------
        >>> import pytest; _ = pytest.importorskip("mpi4py_fft")  # kronlap[mpi]
        >>> import numpy as np
        >>> import kronlap as kl
        >>> from mpi4py import MPI
        >>> from kronlap.distributed.transform import DistributedTransform
        >>> t = DistributedTransform(kl.Grid((6, 8), bc=["dirichlet", "periodic"]),
        ...                          MPI.COMM_WORLD, planner_effort="FFTW_ESTIMATE")
        >>> _ = t.forward(np.ones(t.local_shape))
        >>> bool(np.allclose(t.backward(np.empty(t.local_shape)) * t.scale, 1.0))
        True
        >>> t.close()
        """
        return self._pfft.backward(output_array=out, normalize=False)

    def close(self) -> None:
        """Free the communicators and plans of the transform.

        Examples
        --------
        >>> import pytest; _ = pytest.importorskip("mpi4py_fft")  # kronlap[mpi]
        >>> import numpy as np
        >>> import kronlap as kl
        >>> from mpi4py import MPI
        >>> from kronlap.distributed.transform import DistributedTransform
        >>> t = DistributedTransform(kl.Grid((6, 8), bc=["dirichlet", "periodic"]),
        ...                          MPI.COMM_WORLD, planner_effort="FFTW_ESTIMATE")
        >>> t.close()
        """
        self._pfft.destroy()

    def __repr__(self):
        return (
            f"DistributedTransform({self.grid!r}, ranks={self.comm.Get_size()}, "
            f"decomposition={self.decomposition!r}, process_grid={self.process_grid})"
        )
