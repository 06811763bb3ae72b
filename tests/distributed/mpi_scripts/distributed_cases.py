"""Run the cases of tests/test_distributed.py on the ranks of ``mpiexec``.

Usage: ``mpiexec -n P python distributed_cases.py CASES.json INPUTS.npz OUT.npz``.
Every rank reads the cases and inputs; each case's right-hand side is
scattered from rank 0, solved in blocks, and the answer gathered back to
rank 0, which writes ``OUT.npz``: ``u/<name>`` for each answer and
``meta`` (JSON: per case the decomposition, process grid, the ranks'
blocks, or the error each rank raised).
"""

from __future__ import annotations

import json
import sys

import numpy as np

import kronlap as kl
from kronlap import distributed


def _grid(case):
    return kl.Grid(case["shape"], lengths=case["lengths"], bc=[_spec(s) for s in case["bc"]])


def _spec(spec):
    return spec if isinstance(spec, str) else tuple(spec)


def _boundary(case, inputs, solver):
    """Boundary data as each rank passes it: scalars, whole faces, or this rank's part."""
    boundary = {}
    for axis, side, form in case["boundary"]:
        value = inputs[f"{case['name']}/boundary/{axis}/{side}"]
        if form == "local":
            value = value[solver.local_slice[:axis] + solver.local_slice[axis + 1 :]]
        boundary[(axis, side)] = value[()] if value.ndim == 0 else value
    return boundary


def run_case(case, inputs, comm):
    grid = _grid(case)
    options = {"planner_effort": "FFTW_ESTIMATE", "decomposition": case["decomposition"]}
    solver = distributed.PoissonSolver(
        grid, shift=case["shift"], comm=comm, tridiagonal_axis=case["tridiagonal"], **options
    )
    blocks = comm.allgather(solver.local_slice)
    buffers = {}
    for stage in solver._transform._pfft.xfftn:
        for array in (stage.forward.input_array, stage.forward.output_array):
            buffers[id(array)] = array.nbytes
    workspace = comm.gather([solver.info["workspace_bytes"], sum(buffers.values())], root=0)
    meta = {
        "decomposition": solver.decomposition,
        "process_grid": list(solver.process_grid),
        "tridiagonal_axis": solver.tridiagonal_axis,
        "blocks": [[[s.start, s.stop] for s in block] for block in blocks],
        "workspace": workspace,
    }
    rank = comm.Get_rank()
    data = inputs[f"{case['name']}/data"] if rank == 0 else None
    local = solver.scatter(data, root=0)
    boundary = _boundary(case, inputs, solver)
    if case["kind"] == "error_shape":
        # Only the last rank passes a block of the wrong shape.
        if rank == comm.Get_size() - 1:
            local = np.zeros(tuple(n + 1 for n in solver.local_shape))
    try:
        if case["kind"] == "heat":
            u = distributed.solve_heat(
                local,
                grid,
                case["times"],
                kappa=case["kappa"],
                boundary=boundary,
                comm=comm,
                **options,
            )
            frames = [solver.gather(frame) for frame in u]
            u = np.stack(frames) if rank == 0 else None
        else:
            u = solver.gather(solver.solve(local, boundary=boundary, project=case["project"]))
        meta["error"] = None
    except (TypeError, ValueError) as exc:
        u, meta["error"] = None, f"{type(exc).__name__}: {exc}"
    meta["errors"] = comm.gather(meta["error"], root=0)
    solver.close()
    return u, meta


def main(cases_path, inputs_path, out_path):
    from mpi4py import MPI  # here, so that pytest's module collection needs no MPI

    comm = MPI.COMM_WORLD
    with open(cases_path) as stream:
        cases = json.load(stream)
    inputs = dict(np.load(inputs_path))
    answers, metas = {}, {}
    for case in cases:
        u, meta = run_case(case, inputs, comm)
        if comm.Get_rank() == 0:
            if u is not None:
                answers[f"u/{case['name']}"] = u
            metas[case["name"]] = meta
    if comm.Get_rank() == 0:
        np.savez(out_path, meta=np.array(json.dumps(metas)), **answers)


if __name__ == "__main__":
    main(*sys.argv[1:4])
