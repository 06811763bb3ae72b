"""kronlap.distributed: MPI solves (mpiexec -n 2 and -n 4) against the serial solver.

The cases below run once per rank count in one ``mpiexec`` launch of
``tests/mpi_scripts/distributed_cases.py`` (one thread per rank; four ranks
oversubscribe a two-core machine); each case's gathered answer is then
compared here with :class:`kronlap.PoissonSolver` / :func:`kronlap.solve_heat`
and with the residual of the assembled operator. The tests skip, with the
reason, only where mpi4py, mpi4py-fft or ``mpiexec`` is missing.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp

import kronlap as kl
from kronlap.boundary import fold_boundary

HAVE_MPI = all(importlib.util.find_spec(m) is not None for m in ("mpi4py", "mpi4py_fft"))
INSTALL = "pip install 'kronlap[mpi]' (after apt-get install libfftw3-dev)"
needs_mpi = pytest.mark.skipif(
    not HAVE_MPI, reason=f"mpi4py and mpi4py-fft are not installed: {INSTALL}"
)


def _mpiexec() -> str | None:
    """``mpiexec`` of this Python's environment (the mpich wheel puts it there), else PATH's."""
    local = Path(sysconfig.get_path("scripts")) / "mpiexec"
    return str(local) if local.exists() else shutil.which("mpiexec")


MPIEXEC = _mpiexec()
needs_mpiexec = pytest.mark.skipif(
    not (HAVE_MPI and MPIEXEC),
    reason=f"MPI is not installed (mpi4py, mpi4py-fft and mpiexec needed): {INSTALL}",
)
SCRIPT = Path(__file__).parent / "mpi_scripts" / "distributed_cases.py"
# One thread per rank. MPICH (the mpich wheel) needs nothing else as root or
# with more ranks than cores; Open MPI refuses both unless told.
MPI_ENV = {
    "OMP_NUM_THREADS": "1",
    "OPENBLAS_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
    "OMPI_ALLOW_RUN_AS_ROOT": "1",
    "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM": "1",
    "OMPI_MCA_rmaps_base_oversubscribe": "1",
    "PRTE_MCA_rmaps_default_mapping_policy": ":oversubscribe",
}

D, N, P = "dirichlet", "neumann", "periodic"
DN, ND = (D, N), (N, D)


def _case(
    name,
    shape,
    bc,
    shift=0.0,
    *,
    boundary=True,
    decomposition="auto",
    kind="poisson",
    project=False,
    complex_data=False,
    zero_mean=False,
    times=None,
    kappa=1.0,
    tridiagonal="auto",
):
    """One case; ``boundary=True`` puts data on every non-periodic side, forms cycling."""
    forms = ("scalar", "face", "local")
    sides = []
    if boundary:
        grid = kl.Grid(shape, bc=bc)
        for axis, pair in enumerate(grid.bc):
            for side in (0, 1):
                if pair[side] != P:
                    sides.append([axis, side, forms[len(sides) % 3]])
    return {
        "name": name,
        "shape": list(shape),
        "lengths": [1.0 + 0.25 * k for k in range(len(shape))],
        "bc": [b if isinstance(b, str) else list(b) for b in bc],
        "shift": shift,
        "boundary": sides,
        "decomposition": decomposition,
        "kind": kind,
        "project": project,
        "complex": complex_data,
        "zero_mean": zero_mean,
        "times": times,
        "kappa": kappa,
        "tridiagonal": tridiagonal,
    }


CASES = [
    _case("2d_dirichlet", (9, 10), [D, D]),
    _case("2d_neumann_shift", (10, 7), [N, N], 3.0),
    _case("2d_periodic_shift", (8, 9), [P, P], 1.5),
    _case("2d_periodic_dirichlet", (8, 9), [P, D]),
    _case("2d_dirichlet_periodic", (9, 8), [D, P]),
    _case("2d_mixed_periodic", (7, 12), [DN, P], 0.5),
    _case("2d_mixed_neumann", (10, 9), [ND, N]),
    _case("2d_negative_shift", (9, 9), [D, N], -7.3),
    _case("2d_singular_neumann_project", (8, 10), [N, N], project=True),
    _case("2d_singular_periodic", (9, 8), [P, P], zero_mean=True),
    _case("2d_complex", (9, 10), [N, D], 2.0, complex_data=True),
    _case("3d_dirichlet_slab", (9, 8, 7), [D, D, D], decomposition="slab"),
    _case("3d_neumann_pencil", (8, 9, 6), [N, N, N], 2.0, decomposition="pencil"),
    _case("3d_periodic_pencil", (8, 6, 10), [P, P, P], 1.0, decomposition="pencil"),
    _case("3d_mixed_sides", (7, 9, 8), [DN, P, ND], 0.25),
    _case("3d_mixed_pencil", (8, 10, 9), [P, DN, D], decomposition="pencil"),
    _case("3d_singular_project", (8, 6, 10), [N, P, N], project=True),
    _case("3d_periodic_short_axis", (6, 2, 8), [P, P, P], 1.0),
    _case("3d_complex_slab", (6, 8, 7), [D, P, N], complex_data=True, decomposition="slab"),
    _case("2d_tridiagonal", (9, 10), [D, N], tridiagonal=0),
    _case("2d_tridiagonal_singular", (10, 12), [N, N], project=True, tridiagonal=1),
    _case("3d_tridiagonal_complex_lines", (8, 9, 10), [P, D, N], 0.5, tridiagonal=1),
    _case(
        "3d_tridiagonal_mixed_pencil",
        (7, 9, 8),
        [DN, P, N],
        1.0,
        tridiagonal=0,
        decomposition="pencil",
    ),
    _case("3d_tridiagonal_singular", (8, 6, 10), [N, P, N], project=True, tridiagonal=2),
    _case("2d_heat", (10, 9), [D, N], kind="heat", times=[0.0, 0.01, 0.05], kappa=0.7),
    _case(
        "3d_heat_singular_drift",
        (6, 8, 7),
        [N, P, N],
        kind="heat",
        times=[0.02, 0.1],
        decomposition="pencil",
    ),
    _case("2d_incompatible", (8, 8), [P, N], kind="error"),
    _case("2d_wrong_block", (8, 9), [D, D], kind="error_shape"),
]
SOLVES = [c for c in CASES if c["kind"] in ("poisson", "heat")]


def _inputs(case, rng):
    """Right-hand side (or initial values) and boundary data of a case."""
    shape = tuple(case["shape"])
    data = rng.standard_normal(shape)
    if case["complex"]:
        data = data + 1j * rng.standard_normal(shape)
    if case["zero_mean"]:
        data -= data.mean()
    arrays = {f"{case['name']}/data": data}
    for axis, side, form in case["boundary"]:
        face = shape[:axis] + shape[axis + 1 :]
        value = rng.standard_normal(() if form == "scalar" else face)
        arrays[f"{case['name']}/boundary/{axis}/{side}"] = np.asarray(value)
    return arrays


def _grid(case):
    return kl.Grid(
        tuple(case["shape"]),
        lengths=case["lengths"],
        bc=[b if isinstance(b, str) else tuple(b) for b in case["bc"]],
    )


def _boundary(case, inputs):
    """The boundary dict of the serial call (whole faces)."""
    data = {}
    for axis, side, _ in case["boundary"]:
        value = inputs[f"{case['name']}/boundary/{axis}/{side}"]
        data[(axis, side)] = value[()] if value.ndim == 0 else value
    return data


@pytest.fixture(scope="module")
def mpi_runs(tmp_path_factory):
    """Run every case under ``mpiexec -n P`` once per rank count; results by P."""
    folder = tmp_path_factory.mktemp("distributed")
    return case_runs(folder, SCRIPT, CASES, _inputs, 20261125, timeout=300)


def case_runs(folder, script, cases, make_inputs, seed, *, timeout):
    """``(inputs, run)``: the cases' inputs, and ``run(P)`` giving ``(answers, meta)`` for P ranks.

    The inputs (``make_inputs(case, rng)`` per case) and the cases are written
    to ``folder``; each rank count runs once (:func:`launch_cases`), cached.
    """
    rng = np.random.default_rng(seed)
    inputs = {}
    for case in cases:
        inputs.update(make_inputs(case, rng))
    cases_path, inputs_path = folder / "cases.json", folder / "inputs.npz"
    cases_path.write_text(json.dumps(cases))
    np.savez(inputs_path, **inputs)
    cache = {}

    def run(nprocs):
        if nprocs not in cache:
            cache[nprocs] = launch_cases(script, cases_path, inputs_path, nprocs, timeout=timeout)
        return cache[nprocs]

    return inputs, run


def launch_cases(script, cases_path, inputs_path, nprocs, *, timeout):
    """Run ``script CASES INPUTS OUT`` under ``mpiexec -n nprocs``; ``(answers, meta)`` from OUT.

    The scripts write ``u/<name>`` arrays and a JSON ``meta`` to OUT.npz;
    shared by the spectral and the PETSc tests.
    """
    out = Path(cases_path).parent / f"{Path(script).stem}_out{nprocs}.npz"
    command = [MPIEXEC, "-n", str(nprocs), sys.executable, str(script),
               str(cases_path), str(inputs_path), str(out)]
    env = dict(os.environ, **MPI_ENV)
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0 and out.exists(), (
        f"{' '.join(command)} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}"
    )
    with np.load(out) as results:
        answers = {k: results[k] for k in results.files if k != "meta"}
        return answers, json.loads(str(results["meta"]))


def _tolerance(reference):
    """Round-off of the two transform paths (FFTW against pocketfft): a few hundred eps."""
    return 1e-13 * max(1.0, float(np.abs(reference).max()))


@needs_mpiexec
@pytest.mark.parametrize("nprocs", [2, 4])
@pytest.mark.parametrize("case", SOLVES, ids=[c["name"] for c in SOLVES])
def test_distributed_equals_serial(case, nprocs, mpi_runs):
    inputs, run = mpi_runs
    answers, meta = run(nprocs)
    info = meta[case["name"]]
    assert info["errors"] == [None] * nprocs
    grid = _grid(case)
    data, boundary = inputs[f"{case['name']}/data"], _boundary(case, inputs)
    u = answers[f"u/{case['name']}"]
    if case["kind"] == "heat":
        reference = kl.solve_heat(
            data, grid, case["times"], kappa=case["kappa"], method="exact", boundary=boundary
        )
    else:
        solver = kl.PoissonSolver(grid, shift=case["shift"], method="fft")
        reference = solver.solve(data, boundary=boundary, project=case["project"])
    assert u.shape == reference.shape and u.dtype == reference.dtype
    assert np.abs(u - reference).max() <= _tolerance(reference)


@needs_mpiexec
@pytest.mark.parametrize("nprocs", [2, 4])
@pytest.mark.parametrize(
    "case",
    [c for c in SOLVES if c["kind"] == "poisson"],
    ids=[c["name"] for c in SOLVES if c["kind"] == "poisson"],
)
def test_distributed_residual(case, nprocs, mpi_runs):
    """Independent of the serial solver: the assembled (Delta_h - shift) u equals f with data."""
    inputs, run = mpi_runs
    answers, _ = run(nprocs)
    grid = _grid(case)
    u = answers[f"u/{case['name']}"]
    rhs = inputs[f"{case['name']}/data"].astype(u.dtype)
    fold_boundary(rhs, grid, _boundary(case, inputs))
    if grid.is_singular and case["shift"] == 0:
        rhs -= rhs.mean()
        assert abs(u.mean()) <= 1e-12 * np.abs(u).max()
    A = kl.laplacian(grid) - case["shift"] * sp.eye_array(grid.size)
    residual = A @ u.ravel() - rhs.ravel()
    scale = sp.linalg.norm(A, np.inf) * np.abs(u).max() + np.abs(rhs).max()
    assert np.abs(residual).max() <= 1e-13 * scale


@needs_mpiexec
@pytest.mark.parametrize("nprocs", [2, 4])
def test_blocks_tile_the_grid(nprocs, mpi_runs):
    """The ranks' blocks cover every grid point once, in the decomposition asked for."""
    _, run = mpi_runs
    _, meta = run(nprocs)
    for case in SOLVES:
        info = meta[case["name"]]
        count = np.zeros(case["shape"], dtype=int)
        for block in info["blocks"]:
            count[tuple(slice(*s) for s in block)] += 1
        assert np.all(count == 1), case["name"]
        assert int(np.prod(info["process_grid"])) == nprocs
        if case["decomposition"] != "auto":
            assert info["decomposition"] == case["decomposition"]
        if case["tridiagonal"] != "auto" and case["kind"] == "poisson":
            assert info["tridiagonal_axis"] == case["tridiagonal"]
        split = sum(p > 1 for p in info["process_grid"])
        assert split == (1 if info["decomposition"] == "slab" or nprocs == 2 else 2)


@needs_mpiexec
@pytest.mark.parametrize("nprocs", [2, 4])
def test_workspace_estimate_bounds_the_buffers(nprocs, mpi_runs):
    """The memory check's estimate covers each rank's FFT buffers, without gross excess."""
    _, run = mpi_runs
    _, meta = run(nprocs)
    for case in SOLVES:
        workspace = meta[case["name"]]["workspace"]
        assert len(workspace) == nprocs
        largest = max(actual for _, actual in workspace)
        for estimate, actual in workspace:
            assert actual <= estimate <= 2 * largest, case["name"]


@needs_mpiexec
@pytest.mark.parametrize("nprocs", [2, 4])
def test_errors_raise_on_every_rank(nprocs, mpi_runs):
    _, run = mpi_runs
    answers, meta = run(nprocs)
    incompatible = meta["2d_incompatible"]["errors"]
    assert len(incompatible) == nprocs
    assert all(e.startswith("ValueError: f is incompatible") for e in incompatible)
    wrong = meta["2d_wrong_block"]["errors"]
    last = nprocs - 1
    assert wrong[last].startswith("ValueError: f must be this rank's block")
    assert all(e.startswith(f"ValueError: on rank {last}: f must be") for e in wrong[:last])
    assert "u/2d_incompatible" not in answers and "u/2d_wrong_block" not in answers


# In-process checks on one rank (MPI.COMM_SELF): no mpiexec needed.


def test_missing_mpi_names_the_install(monkeypatch):
    from kronlap.distributed.transform import require_mpi

    monkeypatch.setitem(sys.modules, "mpi4py_fft", None)
    with pytest.raises(ImportError, match=r"kronlap\[mpi\]"):
        require_mpi()


@needs_mpi
@pytest.mark.parametrize("tridiagonal", [None, "last"])
@pytest.mark.parametrize(
    "bc", [[D, N], [P, DN], [ND, P], [P, P, N], [DN, D, P]], ids=lambda bc: str(bc)
)
def test_one_rank_equals_serial(bc, tridiagonal):
    from mpi4py import MPI

    from kronlap import distributed

    shape = (6, 7, 5)[: len(bc)]
    grid = kl.Grid(shape, lengths=1.5, bc=bc)
    rng = np.random.default_rng(len(bc))
    f = rng.standard_normal(shape)
    boundary = {
        (a, s): rng.standard_normal(shape[:a] + shape[a + 1 :])
        for a, pair in enumerate(grid.bc)
        for s in (0, 1)
        if pair[s] != P
    }
    if tridiagonal == "last":
        tridiagonal = max(a for a, pair in enumerate(grid.bc) if pair[0] != P)
    solver = distributed.PoissonSolver(
        grid,
        shift=0.5,
        comm=MPI.COMM_SELF,
        planner_effort="FFTW_ESTIMATE",
        tridiagonal_axis=tridiagonal,
    )
    assert solver.local_shape == grid.shape and solver.info["ranks"] == 1
    assert solver.tridiagonal_axis == tridiagonal
    u = solver.solve(f, boundary=boundary)
    solver.close()
    reference = kl.PoissonSolver(grid, shift=0.5).solve(f, boundary=boundary)
    assert np.abs(u - reference).max() <= _tolerance(reference)


@needs_mpi
@pytest.mark.parametrize("bc", [P, D, [P, N, DN], [D, P, N], [N, N, P]], ids=lambda bc: str(bc))
def test_one_rank_workspace_is_exact(bc):
    """On one rank the estimate is the size of mpi4py-fft's stage buffers, byte for byte."""
    from mpi4py import MPI

    from kronlap.distributed.transform import DistributedTransform

    transform = DistributedTransform(
        kl.Grid((12, 10, 9), bc=bc), MPI.COMM_SELF, planner_effort="FFTW_ESTIMATE"
    )
    buffers = {}
    for stage in transform._pfft.xfftn:
        for array in (stage.forward.input_array, stage.forward.output_array):
            buffers[id(array)] = array.nbytes
    transform.close()
    assert transform.workspace_bytes == sum(buffers.values())


def test_auto_tridiagonal_axis_follows_the_serial_cost_model():
    from kronlap.distributed.transform import pick_tridiagonal_axis

    # A DST-I of length 2 * 257 is slow: its axis goes to sweeps, as serially.
    awkward = kl.Grid((16, 256, 64))
    assert pick_tridiagonal_axis(awkward, 0.0, ranks=2) == 1
    assert kl.PoissonSolver(awkward).info["tridiagonal_axis"] == 1
    assert pick_tridiagonal_axis(awkward, -1.0, ranks=2) is None  # no pivoting
    assert pick_tridiagonal_axis(kl.Grid((64, 64), bc=P), 0.0, ranks=2) is None


@needs_mpi
def test_bad_input_is_refused():
    from mpi4py import MPI

    from kronlap import distributed

    comm = MPI.COMM_SELF
    grid = kl.Grid((6, 5), bc=[P, D])
    with pytest.raises(ValueError, match="method must be one of"):
        distributed.PoissonSolver(grid, method="gmg", comm=comm)
    with pytest.raises(ValueError, match="at least 2 axes"):
        distributed.PoissonSolver(kl.Grid(8), comm=comm)
    with pytest.raises(ValueError, match="tridiagonal_axis must be"):
        distributed.PoissonSolver(grid, tridiagonal_axis=0, comm=comm)  # periodic
    with pytest.raises(ValueError, match="decomposition must be one of"):
        distributed.PoissonSolver(grid, decomposition="cubes", comm=comm)
    with pytest.raises(TypeError, match="grid must be a kronlap.Grid"):
        distributed.PoissonSolver((6, 5), comm=comm)
    with pytest.raises(ValueError, match="is an eigenvalue of the Laplacian"):
        square = kl.Grid((4, 4), bc=P)
        distributed.PoissonSolver(
            square,
            shift=float(kl.eigenvalues(square).min()),
            comm=comm,
            planner_effort="FFTW_ESTIMATE",
        )
    solver = distributed.PoissonSolver(grid, comm=comm, planner_effort="FFTW_ESTIMATE")
    with pytest.raises(ValueError, match=r"local_shape=\(6, 5\)"):
        solver.solve(np.zeros((5, 6)))
    with pytest.raises(ValueError, match="NaN or inf"):
        solver.solve(np.full((6, 5), np.nan))
    with pytest.raises(ValueError, match="periodic and has no boundary"):
        solver.solve(np.zeros((6, 5)), boundary={(0, 0): 1.0})
    with pytest.raises(ValueError, match="face's shape"):
        solver.solve(np.zeros((6, 5)), boundary={(1, 0): np.ones(4)})
    with pytest.raises(ValueError, match="exact propagator only"):
        distributed.solve_heat(np.zeros((6, 5)), grid, 0.1, method="crank_nicolson", comm=comm)
    solver.close()


@needs_mpi
def test_too_many_ranks_for_the_grid_is_refused():
    from kronlap.distributed.transform import DistributedTransform

    # 3 ranks cannot split a 2-point axis: the message says so before any plan is made.
    class ThreeRanks:
        def Get_size(self):
            return 3

    grid = kl.Grid((2, 2), bc=D)
    with pytest.raises(ValueError, match="cannot be split over 3 ranks"):
        DistributedTransform(grid, ThreeRanks(), "slab")


@needs_mpiexec
def test_example_script_runs_under_mpiexec():
    """examples/distributed_poisson.py, as a user runs it (small grid): error O(h^2)."""
    script = Path(__file__).resolve().parents[2] / "examples" / "distributed_poisson.py"
    command = [
        MPIEXEC,
        "-n",
        "2",
        sys.executable,
        str(script),
        "--shape",
        "24",
        "20",
        "16",
        "--planner",
        "FFTW_ESTIMATE",
        "--solves",
        "1",
    ]
    done = subprocess.run(
        command, env=dict(os.environ, **MPI_ENV), capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert "2 ranks" in done.stdout
    error, h2 = (
        float(x)
        for x in re.search(r"max \|u - exact\| = (\S+) \(h\^2 = (\S+)\)", done.stdout).groups()
    )
    assert 0 < error < 2 * h2


@needs_mpi
def test_grid_beyond_memory_is_refused_before_allocating():
    from mpi4py import MPI

    from kronlap import distributed

    huge = kl.Grid((4096, 4096, 4096), bc=P)  # 2 TiB of buffers on one rank
    with pytest.raises(MemoryError, match="GiB of working memory"):
        distributed.PoissonSolver(huge, comm=MPI.COMM_SELF, planner_effort="FFTW_ESTIMATE")
