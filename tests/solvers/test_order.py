"""PoissonSolver(order=4): the compact scheme through every method that takes it."""

import numpy as np
import pytest

import kronlap as kl
from kronlap.solvers import REGISTRY

FOURTH = sorted(name for name, method in REGISTRY.items() if 4 in method.orders)


def _wavenumbers(lengths):
    # periodic in every axis' length, so that it also suits periodic axes
    return [2 * np.pi / length for length in lengths]


def _exact(lengths, *coords):
    value = np.ones(np.broadcast_shapes(*(c.shape for c in coords)))
    for wave, c in zip(_wavenumbers(lengths), coords):
        value = value * np.sin(wave * c + 0.3)
    return value


def _errors(method, shape0, bc, shift, sizes):
    errors = []
    for n in sizes:
        shape = tuple(int(n * s) for s in shape0)
        lengths = tuple(1.0 + 0.5 * k for k in range(len(shape)))
        g = kl.Grid(shape, lengths=lengths, bc=bc)
        mesh = g.mesh()
        u = _exact(lengths, *mesh)
        curvature = sum(wave**2 for wave in _wavenumbers(lengths))
        f = -(curvature + shift) * u
        boundary = {}
        for axis, pair in enumerate(g.bc):
            if pair[0] == "periodic":
                continue
            for side in (0, 1):
                at = [c.copy() for c in g.coords]
                at[axis] = np.array([0.0 if side == 0 else g.lengths[axis]])
                face = _exact(lengths, *np.meshgrid(*at, indexing="ij"))
                boundary[(axis, side)] = np.squeeze(face, axis)
        v = kl.solve_poisson(f, g, shift=shift, boundary=boundary, order=4, method=method)
        errors.append(np.abs(v - u).max())
    return np.array(errors), np.array(sizes, dtype=float)


@pytest.mark.parametrize("method", FOURTH)
@pytest.mark.parametrize(
    ("shape0", "bc", "sizes"),
    [
        ((1, 1), "dirichlet", [16, 32, 64]),
        ((1, 1.5), ["periodic", "dirichlet"], [16, 32, 64]),
        ((1, 1, 1), "dirichlet", [8, 12, 16]),
    ],
)
@pytest.mark.parametrize("shift", [0.0, 10.0])
def test_fourth_order_convergence_through_the_facade(method, shape0, bc, sizes, shift):
    errors, n = _errors(method, shape0, bc, shift, sizes)
    # the fitted order: 2 for the standard scheme on these problems, 4 or a
    # little above (pre-asymptotic) for the compact one
    order = -np.polyfit(np.log(n), np.log(errors), 1)[0]
    assert order > 3.5, (order, errors)


def test_order_4_is_far_more_accurate_than_order_2_at_the_same_cost():
    g = kl.Grid((64, 64))
    x, y = g.mesh()
    u = np.sin(np.pi * x) * np.sin(2 * np.pi * y)
    f = -5 * np.pi**2 * u
    e2 = np.abs(kl.solve_poisson(f, g) - u).max()
    e4 = np.abs(kl.solve_poisson(f, g, order=4) - u).max()
    assert e4 < e2 / 1000


def test_methods_agree_at_order_4():
    g = kl.Grid((12, 10), bc=["periodic", "dirichlet"])
    f = np.random.default_rng(0).standard_normal(g.shape)
    boundary = {(1, 0): 1.0, (1, 1): np.linspace(0, 1, 12)}
    answers = [kl.solve_poisson(f, g, shift=2.0, boundary=boundary, order=4, method=m)
               for m in FOURTH]
    for other in answers[1:]:
        np.testing.assert_allclose(other, answers[0], atol=1e-11 * np.abs(answers[0]).max())


def test_complex_data_at_order_4_are_solved_by_parts():
    g = kl.Grid((10, 9))
    f = np.ones(g.shape)
    u = kl.solve_poisson(f, g, boundary={(0, 0): 1j}, order=4)
    real = kl.solve_poisson(f, g, order=4)
    imag = kl.solve_poisson(np.zeros(g.shape), g, boundary={(0, 0): 1.0}, order=4)
    np.testing.assert_allclose(u, real + 1j * imag, atol=1e-13)


@pytest.mark.parametrize("method", sorted(set(REGISTRY) - set(FOURTH)))
def test_methods_without_the_compact_scheme_take_order_4_by_deferred_correction(method):
    solver = kl.PoissonSolver(kl.Grid((8, 8)), method=method, order=4)
    assert solver.info["scheme"] == "deferred correction"
    assert kl.PoissonSolver(kl.Grid((8, 8)), order=4).info["scheme"] == "compact"


@pytest.mark.parametrize(
    ("options", "error", "match"),
    [
        ({"order": 3}, ValueError, "order must be 2 or 4"),
        ({"order": "4"}, TypeError, "order must be an int"),
        ({"order": 4, "coeff": 2.0}, ValueError, "takes no coeff or mask"),
        ({"order": 4, "mask": np.ones((8, 8), dtype=bool)}, ValueError, "no coeff or mask"),
    ],
)
def test_bad_order_input(options, error, match):
    with pytest.raises(error, match=match):
        kl.PoissonSolver(kl.Grid((8, 8)), **options)


def test_order_4_on_a_neumann_axis_is_deferred_correction_not_compact():
    grid = kl.Grid((8, 8), bc=["dirichlet", "neumann"])
    assert kl.PoissonSolver(grid, order=4).info["scheme"] == "deferred correction"
    assert kl.PoissonSolver(kl.Grid((8, 8)), order=4).info["scheme"] == "compact"
    # The compact operator itself is still refused there: no single matrix is it.
    with pytest.raises(ValueError, match="order=4 needs Dirichlet or periodic sides"):
        kl.laplacian(grid, order=4)


def test_order_4_refuses_a_separable_coefficient_given_as_values():
    grid = kl.Grid((8, 8), bc="neumann")
    with pytest.raises(ValueError, match="number or a callable"):
        kl.PoissonSolver(grid, order=4, coeff=[np.linspace(1.0, 2.0, 8), 1.0])


def test_info_reports_the_order():
    assert kl.PoissonSolver(kl.Grid((8, 8)), order=4).info["order"] == 4
