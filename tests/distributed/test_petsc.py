"""kronlap.distributed's multigrid path (PETSc): mpiexec -n 1, 2 and 4 against the serial solver.

Every case runs once per rank count in one ``mpiexec`` launch of
``mpi_scripts/petsc_cases.py``; each gathered answer is compared here with
:class:`kronlap.PoissonSolver` (``method="direct"``) on the same grid,
coefficient, mask, shift and boundary data. The tests skip, with the
reason, only where petsc4py, mpi4py or ``mpiexec`` is missing.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path

import numpy as np
import pytest

import kronlap as kl

sys.path.insert(0, str(Path(__file__).parent / "mpi_scripts"))
from petsc_cases import checkerboard  # noqa: E402
from test_distributed import MPIEXEC, case_runs  # noqa: E402

HAVE_PETSC = all(importlib.util.find_spec(m) is not None for m in ("mpi4py", "petsc4py"))
MISSING = (
    "petsc4py, mpi4py or mpiexec is missing: pip install 'kronlap[petsc]' "
    "(PETSc builds from source; see docs/distributed.md)"
)
# .ci/run builds PETSc and sets this: there a missing petsc4py fails, it does not skip.
REQUIRED = os.environ.get("KRONLAP_REQUIRE_PETSC") == "1"
needs_petsc = pytest.mark.skipif(not (HAVE_PETSC and MPIEXEC) and not REQUIRED, reason=MISSING)
SCRIPT = Path(__file__).parent / "mpi_scripts" / "petsc_cases.py"
D, N, P = "dirichlet", "neumann", "periodic"


def _case(name, shape, bc, *, coeff=None, mask=False, shift=0.0, boundary=(), project=False,
          kind="poisson"):
    return {
        "name": name,
        "shape": list(shape),
        "bc": [b if isinstance(b, str) else list(b) for b in bc],
        "coeff": coeff,
        "mask": mask,
        "shift": shift,
        "boundary": [list(b) for b in boundary],
        "project": project,
        "kind": kind,
        "tol": 1e-12,
    }


ALL_SIDES = [(0, 0), (0, 1), (1, 0), (1, 1)]
CASES = [
    _case("checker_dirichlet", (33, 40), [D, D], coeff="checker", boundary=ALL_SIDES),
    _case("rough_periodic", (32, 36), [P, D], coeff="array", shift=1.0,
          boundary=[(1, 0), (1, 1)]),
    _case("neumann_singular", (30, 34), [N, N], coeff="checker", boundary=ALL_SIDES,
          project=True),
    _case("mask_mixed", (36, 30), [(D, N), P], mask=True, shift=0.5,
          boundary=[(0, 0), (0, 1)]),
    _case("jump_3d", (12, 14, 10), [D, N, P], coeff="array",
          boundary=[(0, 0), (0, 1), (1, 0), (1, 1)]),
    _case("error_coeff", (16, 18), [D, D], coeff="checker", kind="error_coeff"),
    _case("error_nan", (16, 18), [D, D], coeff="checker", kind="error_nan"),
    _case("error_shape", (16, 18), [D, D], coeff="checker", kind="error_shape"),
]
SOLVES = [c for c in CASES if c["kind"] == "poisson"]
ERRORS = [c for c in CASES if c["kind"] != "poisson"]


def _grid(case):
    bc = [b if isinstance(b, str) else tuple(b) for b in case["bc"]]
    return kl.Grid(tuple(case["shape"]), bc=bc)


def _inputs(case, rng):
    name, grid = case["name"], _grid(case)
    arrays = {f"{name}/data": rng.standard_normal(grid.shape)}
    if case["coeff"] == "array":
        if grid.ndim == 3:  # a jump by 100 across the middle of axis 0
            a = np.where(grid.mesh()[0] < 0.5, 1.0, 100.0)
        else:  # rough: log-uniform in every cell, contrast 1e3
            a = 1000.0 ** rng.random(grid.shape)
        arrays[f"{name}/coeff"] = a
    if case["mask"]:
        x, y = grid.mesh()
        arrays[f"{name}/mask"] = (x - 0.5) ** 2 + (y - 0.5) ** 2 < 0.16
        arrays[f"{name}/mask_values"] = np.cos(3 * x) * y
    for axis, side in case["boundary"]:
        face = grid.shape[:axis] + grid.shape[axis + 1 :]
        arrays[f"{name}/boundary/{axis}/{side}"] = rng.standard_normal(face)
    return arrays


def _serial(case, inputs):
    name, grid = case["name"], _grid(case)
    options = {"shift": case["shift"], "method": "direct"}
    if case["coeff"] == "checker":
        options["coeff"] = checkerboard(4, 100.0)(*grid.mesh())
    elif case["coeff"] == "array":
        options["coeff"] = inputs[f"{name}/coeff"]
    if case["mask"]:
        options["mask"] = inputs[f"{name}/mask"]
        options["mask_values"] = inputs[f"{name}/mask_values"]
    boundary = {
        (axis, side): inputs[f"{name}/boundary/{axis}/{side}"] for axis, side in case["boundary"]
    }
    solver = kl.PoissonSolver(grid, **options)
    return solver.solve(inputs[f"{name}/data"], boundary=boundary, project=case["project"])


@pytest.fixture(scope="module")
def petsc_runs(tmp_path_factory):
    """Run every case under ``mpiexec -n P`` once per rank count; results by P."""
    if not (HAVE_PETSC and MPIEXEC):
        pytest.fail(f"KRONLAP_REQUIRE_PETSC=1 but {MISSING}")
    folder = tmp_path_factory.mktemp("petsc")
    return case_runs(folder, SCRIPT, CASES, _inputs, 20261202, timeout=600)


@needs_petsc
@pytest.mark.parametrize("nprocs", [1, 2, 4])
@pytest.mark.parametrize("case", SOLVES, ids=[c["name"] for c in SOLVES])
def test_multigrid_equals_serial(case, nprocs, petsc_runs):
    inputs, run = petsc_runs
    answers, meta = run(nprocs)
    info = meta[case["name"]]
    assert info["errors"] == [None] * nprocs
    assert info["residual"] <= case["tol"]
    assert info["preconditioner"] == "PETSc gamg"
    reference = _serial(case, inputs)
    u = answers[f"u/{case['name']}"]
    assert u.shape == reference.shape
    scale = max(1.0, float(np.abs(reference).max()))
    assert np.abs(u - reference).max() <= 1e-8 * scale


@needs_petsc
@pytest.mark.parametrize("case", SOLVES, ids=[c["name"] for c in SOLVES])
def test_iterations_grow_by_at_most_two_from_one_to_four_ranks(case, petsc_runs):
    _, run = petsc_runs
    counts = [run(n)[1][case["name"]]["iterations"] for n in (1, 2, 4)]
    assert counts[2] - counts[0] <= 2, counts


@needs_petsc
@pytest.mark.parametrize("nprocs", [2, 4])
@pytest.mark.parametrize("case", ERRORS, ids=[c["name"] for c in ERRORS])
def test_bad_input_on_one_rank_raises_the_same_error_on_every_rank(case, nprocs, petsc_runs):
    _, run = petsc_runs
    errors = run(nprocs)[1][case["name"]]["errors"]
    assert all(e is not None for e in errors), errors
    kinds = {e.split(":")[0] for e in errors}
    assert len(kinds) == 1, errors
    own = errors[-1].split(": ", 1)[1]  # the last rank's own message
    expected = {"error_coeff": "coeff", "error_nan": "NaN", "error_shape": "local_shape"}
    assert expected[case["kind"]] in own
    for rank, message in enumerate(errors[:-1]):
        assert message.endswith(f"on rank {nprocs - 1}: {own}"), (rank, message)


def test_each_path_refuses_the_other_paths_options():
    # Refused before any MPI or PETSc is needed.
    from kronlap.distributed import PoissonSolver

    grid = kl.Grid((8, 8))
    with pytest.raises(TypeError, match="method='fft' does not take the option 'tol'"):
        PoissonSolver(grid, method="fft", tol=1e-6)
    with pytest.raises(TypeError, match="method='fft' does not take the option 'coeff'"):
        PoissonSolver(grid, method="fft", coeff=2.0)
    with pytest.raises(TypeError, match="'multigrid' does not take the option 'planner_effort'"):
        PoissonSolver(grid, coeff=2.0, planner_effort="FFTW_ESTIMATE")
    with pytest.raises(ValueError, match="method must be one of"):
        PoissonSolver(grid, method="gmg")
    with pytest.raises(ValueError, match="needs shift >= 0"):
        PoissonSolver(grid, method="multigrid", shift=-1.0)


@pytest.mark.skipif(not HAVE_PETSC, reason=MISSING)
def test_bad_options_and_inputs_in_one_process():
    from kronlap.distributed import PoissonSolver

    grid = kl.Grid((8, 8))
    with pytest.raises(ValueError, match="preconditioner must be one of"):
        PoissonSolver(grid, coeff=1.0, preconditioner="ilu")
    with pytest.raises(ValueError, match="coeff must be positive and finite"):
        PoissonSolver(grid, coeff=-1.0)
    with pytest.raises(ValueError, match="coeff must be a scalar, an array of grid.shape"):
        PoissonSolver(grid, coeff=np.ones((3, 3)))
    with pytest.raises(TypeError, match="mask must be boolean"):
        PoissonSolver(grid, mask=np.ones((8, 8)))
    with pytest.raises(ValueError, match="at least 3 points on a periodic axis"):
        PoissonSolver(kl.Grid((8, 2), bc=["dirichlet", "periodic"]), coeff=1.0)
    from petsc4py import PETSc

    if not PETSc.Sys.hasExternalPackage("hypre"):
        with pytest.raises(ValueError, match="needs a PETSc built with hypre"):
            PoissonSolver(grid, coeff=1.0, preconditioner="hypre")
    solver = PoissonSolver(grid, coeff=lambda x, y: 1 + x, tol=1e-12)
    assert solver.method == "multigrid" and solver.info["preconditioner"] == "PETSc gamg"
    with pytest.raises(ValueError, match="f contains NaN"):
        solver.solve(np.full(solver.local_shape, np.nan))
    solver.close()
