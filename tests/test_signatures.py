"""Options are keyword-only after the essential positionals, in the serial and MPI APIs alike."""

import inspect

import numpy as np
import pytest

import kronlap as kl
from kronlap import distributed

POSITIONAL = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)


def _positional(function):
    return [
        name for name, p in inspect.signature(function).parameters.items()
        if p.kind in POSITIONAL and name != "self"
    ]


@pytest.mark.parametrize(
    ("function", "essential"),
    [
        (kl.solve_poisson, ["f", "grid"]),
        (kl.PoissonSolver, ["grid"]),
        (kl.PoissonSolver.solve, ["f"]),
        (kl.solve_heat, ["u0", "grid", "t"]),
        (distributed.solve_poisson, ["f", "grid"]),
        (distributed.PoissonSolver, ["grid"]),
        (distributed.PoissonSolver.solve, ["f"]),
        (distributed.solve_heat, ["u0", "grid", "t"]),
        (kl.GeometricMultigrid, ["grid"]),
        (kl.image.smooth, ["image", "t"]),
        (kl.image.denoise, ["image", "weight"]),
        (kl.image.edge_preserving, ["image", "t"]),
    ],
)
def test_only_the_essential_arguments_are_positional(function, essential):
    assert _positional(function) == essential


def test_the_positional_trap_of_solve_heat_is_closed():
    g = kl.Grid((8, 6))
    u0 = np.zeros(g.shape)
    # boundary data once bound to dt, which "exact" ignores: lost without a word
    with pytest.raises(TypeError):
        kl.solve_heat(u0, g, 0.1, 1.0, "exact", {(0, 0): 1.0})
    u = kl.solve_heat(u0, g, 0.1, kappa=1.0, method="exact", boundary={(0, 0): 1.0})
    assert u.max() > 0.5


@pytest.mark.parametrize(
    ("serial", "parallel"),
    [
        (kl.solve_poisson, distributed.solve_poisson),
        (kl.PoissonSolver, distributed.PoissonSolver),
        (kl.PoissonSolver.solve, distributed.PoissonSolver.solve),
        (kl.solve_heat, distributed.solve_heat),
    ],
)
def test_serial_and_distributed_agree_on_every_shared_parameter(serial, parallel):
    ours = inspect.signature(serial).parameters
    theirs = inspect.signature(parallel).parameters
    shared = [n for n in ours if n in theirs and ours[n].kind != ours[n].VAR_KEYWORD]
    assert shared, "no shared parameter"
    for name in shared:
        assert ours[name].kind == theirs[name].kind, name
        assert ours[name].default == theirs[name].default, name
