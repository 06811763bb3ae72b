"""The method registry: every method refuses the options it does not take, and "auto" reads it."""

import numpy as np
import pytest

import kronlap as kl
from kronlap.solvers import REGISTRY, taking

ALL_OPTIONS = sorted({option for method in REGISTRY.values() for option in method.options})
PAIRS = [
    (name, option)
    for name, method in REGISTRY.items()
    for option in ALL_OPTIONS
    if option not in method.options
]


def _a_value(option):
    """A valid value of ``option`` for a method that takes it (its default, or a set value)."""
    owner = REGISTRY[taking(option)[0]]
    default = owner.options[option]
    return {"maxiter": 5, "workers": 1}.get(option, default)


def test_every_method_is_registered():
    assert set(REGISTRY) == {"fft", "eig", "direct", "cg", "multigrid", "gmg"}
    assert kl.solvers.METHODS == ("auto", *sorted(REGISTRY))


@pytest.mark.parametrize(("method", "option"), PAIRS)
def test_every_foreign_option_is_a_type_error_naming_it(method, option):
    g = kl.Grid((8, 8))
    with pytest.raises(TypeError, match=f"method='{method}' does not take the option '{option}'"):
        kl.PoissonSolver(g, method=method, **{option: _a_value(option)})


@pytest.mark.parametrize(
    ("method", "options"),
    [
        ("fft", {"amg": "sa"}),
        ("direct", {"accel": "cg"}),
        ("fft", {"preconditioner": "ilu"}),
        ("eig", {"tridiagonal_axis": 0}),
        ("gmg", {"amg": "rs"}),
        ("direct", {"maxiter": 10}),
    ],
)
def test_the_reported_silently_ignored_options_are_refused(method, options):
    with pytest.raises(TypeError, match="does not take the option"):
        kl.PoissonSolver(kl.Grid((8, 8)), method=method, **options)


def test_the_message_names_the_methods_that_take_the_option():
    with pytest.raises(TypeError, match="it is an option of method 'cg' or 'multigrid'"):
        kl.PoissonSolver(kl.Grid((8, 8)), method="fft", amg="sa")
    with pytest.raises(TypeError, match="'colour': no method takes it"):
        kl.PoissonSolver(kl.Grid((8, 8)), method="gmg", colour="red")
    with pytest.raises(TypeError, match="no method takes it"):
        kl.PoissonSolver(kl.Grid((8, 8)), colour="red")


@pytest.mark.parametrize(
    ("preconditioner", "option", "value"),
    [
        ("jacobi", "amg", "sa"),
        ("gmg", "amg_options", {}),
        ("amg", "cycle", "W"),
        (None, "cycle", "V"),
    ],
)
def test_cg_takes_preconditioner_options_only_with_their_preconditioner(
    preconditioner, option, value
):
    with pytest.raises(TypeError, match=f"takes '{option}' only with preconditioner="):
        kl.PoissonSolver(
            kl.Grid((8, 8)), method="cg", preconditioner=preconditioner, **{option: value}
        )


def test_multigrid_uses_the_cycle_it_takes():
    g = kl.Grid((32, 32))
    solver = kl.PoissonSolver(g, method="multigrid", cycle="W", accel=None)
    u = solver.solve(np.ones(g.shape))
    assert solver.info["cycle"] == "W"
    np.testing.assert_allclose(u, kl.solve_poisson(np.ones(g.shape), g), rtol=1e-8)


@pytest.mark.parametrize("method", ["auto", *REGISTRY])
@pytest.mark.parametrize(
    ("argument", "value"), [("shift", "a"), ("tol", "x"), ("tol", None), ("shift", [1.0])]
)
def test_wrong_types_are_type_errors_for_every_method(method, argument, value):
    with pytest.raises(TypeError, match=argument):
        kl.PoissonSolver(kl.Grid((8, 8)), method=method, **{argument: value})


@pytest.mark.parametrize("method", ["auto", *REGISTRY])
def test_a_grid_that_is_not_a_grid_is_a_type_error(method):
    with pytest.raises(TypeError, match="grid must be a kronlap.Grid"):
        kl.PoissonSolver("not a grid", method=method)
    with pytest.raises(TypeError, match="grid must be a kronlap.Grid"):
        kl.solve_poisson(np.ones(4), (4,), method=method)


@pytest.mark.parametrize("method", ["auto", *REGISTRY])
@pytest.mark.parametrize(("argument", "value"), [("shift", np.inf), ("tol", 2.0), ("tol", -1e-3)])
def test_bad_values_are_value_errors_for_every_method(method, argument, value):
    with pytest.raises(ValueError, match=argument):
        kl.PoissonSolver(kl.Grid((8, 8)), method=method, **{argument: value})


def test_an_unknown_method_is_a_value_error():
    with pytest.raises(ValueError, match="method must be one of"):
        kl.PoissonSolver(kl.Grid((8, 8)), method="magic")


@pytest.mark.parametrize(
    ("shape", "extra", "expected"),
    [
        ((16, 16), {}, "fft"),
        ((16, 16), {"coeff": 2.0}, "multigrid"),
        ((128, 128), {"coeff": 2.0}, "gmg"),
        ((128, 128), {"coeff": 2.0, "accel": "fgmres"}, "multigrid"),
        ((16, 16), {"mask": np.ones((16, 16), dtype=bool)}, "multigrid"),
        ((16, 16), {"coeff": 2.0, "shift": -3.0}, "direct"),
        ((16, 16), {"preconditioner": "ilu"}, "cg"),
        ((16, 16), {"amg": "sa"}, "multigrid"),
        ((16, 16), {"tridiagonal_axis": None}, "fft"),
    ],
)
def test_auto_reads_the_registry(shape, extra, expected):
    solver = kl.PoissonSolver(kl.Grid(shape), **extra)
    assert solver.info["method"] == expected


@pytest.mark.parametrize("method", ["fft", "eig"])
def test_spectral_methods_refuse_a_coefficient_and_say_what_can(method):
    with pytest.raises(ValueError, match=f"method='{method}' cannot take coeff; use method="):
        kl.PoissonSolver(kl.Grid((8, 8)), method=method, coeff=2.0)


@pytest.mark.parametrize("method", ["cg", "multigrid", "gmg"])
def test_definite_methods_refuse_a_negative_shift(method):
    with pytest.raises(ValueError, match="needs shift >= 0"):
        kl.PoissonSolver(kl.Grid((8, 8)), method=method, shift=-1.0)


def test_info_shows_every_choice_of_gmg():
    g = kl.Grid((64, 64))
    a = np.where(g.mesh()[0] < 0.5, 1.0, 50.0)
    solver = kl.PoissonSolver(g, method="gmg", coeff=a)
    for key in ("levels", "shapes", "grid_complexity", "cycle", "smoother",
                "coarse_operators", "precision", "accel"):
        assert key in solver.info, key
    assert solver.info["coarse_operators"] == "galerkin"
    assert solver.info["accel"] == "cg"


def test_info_shows_the_transforms_of_fft():
    g = kl.Grid((8, 6, 4), bc=["periodic", "neumann", ("dirichlet", "neumann")])
    solver = kl.PoissonSolver(g, tridiagonal_axis=None)
    assert solver.info["transforms"] == ("fft", "dct2", "dense")
    assert solver.info["tridiagonal_axis"] is None


def test_options_are_keyword_only():
    g = kl.Grid((8, 8))
    with pytest.raises(TypeError):
        kl.PoissonSolver(g, 1.0)
    with pytest.raises(TypeError):
        kl.PoissonSolver(g).solve(np.ones(g.shape), {(0, 0): 1.0})


@pytest.mark.parametrize(
    "options",
    [{"on_nonconvergence": 3}, {"method": 3}, {"method": "cg", "preconditioner": 1.5},
     {"method": "gmg", "cycle": 2}, {"method": "multigrid", "amg": None}],
)
def test_a_choice_of_the_wrong_type_is_a_type_error(options):
    with pytest.raises(TypeError, match="must be one of"):
        kl.PoissonSolver(kl.Grid((8, 8)), **options)
