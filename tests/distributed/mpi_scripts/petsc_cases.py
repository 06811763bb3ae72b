"""Run the cases of tests/distributed/test_petsc.py on the ranks of ``mpiexec``.

Usage: ``mpiexec -n P python petsc_cases.py CASES.json INPUTS.npz OUT.npz``.
Every rank reads the cases and inputs; each case's right-hand side is
scattered from rank 0, solved by the PETSc multigrid path in blocks, and
the answer gathered back to rank 0, which writes ``OUT.npz``: ``u/<name>``
for each answer and ``meta`` (JSON: per case the iterations, residual,
preconditioner, or the error each rank raised).
"""

from __future__ import annotations

import json
import sys

import numpy as np

import kronlap as kl
from kronlap import distributed


def checkerboard(tiles, contrast):
    """A coefficient callable: ``contrast`` on alternate tiles of a ``tiles``-per-axis board."""

    def coeff(*mesh):
        parity = sum(np.floor(x * tiles).astype(int) for x in mesh) % 2
        return np.where(parity == 1, contrast, 1.0)

    return coeff


def _grid(case):
    return kl.Grid(case["shape"], bc=[b if isinstance(b, str) else tuple(b) for b in case["bc"]])


def _options(case, inputs, rank, size):
    """The solver's keyword arguments as each rank passes them."""
    name = case["name"]
    options = {"shift": case["shift"], "tol": case["tol"], "method": "multigrid"}
    if case["coeff"] == "checker":
        options["coeff"] = checkerboard(4, 100.0)
    elif case["coeff"] == "array":
        options["coeff"] = inputs[f"{name}/coeff"]
    if case["mask"]:
        options["mask"] = inputs[f"{name}/mask"]
        options["mask_values"] = inputs[f"{name}/mask_values"]
    if case["kind"] == "error_coeff" and rank == size - 1:
        # Only the last rank's coefficient is bad (zero somewhere).
        options["coeff"] = lambda *mesh: np.zeros(mesh[0].shape)
    return options


def run_case(case, inputs, comm):
    grid = _grid(case)
    rank, size = comm.Get_rank(), comm.Get_size()
    name = case["name"]
    meta = {}
    try:
        solver = distributed.PoissonSolver(grid, comm=comm, **_options(case, inputs, rank, size))
    except (TypeError, ValueError) as error:
        meta["errors"] = comm.gather(f"{type(error).__name__}: {error}", root=0)
        return None, meta
    data = inputs[f"{name}/data"] if rank == 0 else None
    local = solver.scatter(data, root=0)
    if case["kind"] == "error_nan" and rank == size - 1:
        local = local.copy()
        local.flat[0] = np.nan
    if case["kind"] == "error_shape" and rank == size - 1:
        local = np.zeros(tuple(n + 1 for n in solver.local_shape))
    boundary = {
        (axis, side): inputs[f"{name}/boundary/{axis}/{side}"] for axis, side in case["boundary"]
    }
    try:
        u = solver.solve(local, boundary=boundary, project=case["project"])
        error = None
    except (TypeError, ValueError) as exc:
        u, error = None, f"{type(exc).__name__}: {exc}"
    meta["errors"] = comm.gather(error, root=0)
    meta["iterations"] = solver.info["iterations"]
    meta["residual"] = solver.info["residual"]
    meta["preconditioner"] = solver.info["preconditioner"]
    answer = solver.gather(u) if error is None else None
    solver.close()
    return answer, meta


def main():
    from mpi4py import MPI

    comm = MPI.COMM_WORLD
    cases = json.loads(open(sys.argv[1]).read())
    with np.load(sys.argv[2]) as stored:
        inputs = {k: stored[k] for k in stored.files}
    answers, metas = {}, {}
    for case in cases:
        answer, meta = run_case(case, inputs, comm)
        metas[case["name"]] = meta
        if comm.Get_rank() == 0 and answer is not None:
            answers[f"u/{case['name']}"] = answer
    if comm.Get_rank() == 0:
        np.savez(sys.argv[3], meta=json.dumps(metas), **answers)


if __name__ == "__main__":
    main()
