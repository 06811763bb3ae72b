"""The 1D operators of kronlap.differences and the Grid features they rest on:
Robin sides, stretched axes, separable coefficients and shifts.

References are built by hand with numpy (the Robin end entry, the three-point
finite-volume operator on given positions), by dense eigenvalue solvers, and
by manufactured smooth solutions whose observed order of accuracy must be 2.
"""

import numpy as np
import pytest
import scipy.sparse as sp

import kronlap as kl
from kronlap.boundary import fold_boundary
from kronlap.differences import axis_operator, axis_operators, second_difference

EPS = np.finfo(np.float64).eps

# Sides of one axis on which a uniform and a stretched axis are both tested.
PAIRS = [
    ("dirichlet", "dirichlet"),
    ("neumann", "neumann"),
    (("robin", 2.0), ("robin", 2.0)),
    ("dirichlet", ("robin", -0.5)),
    (("robin", 1.5), "neumann"),
    ("neumann", "dirichlet"),
    ("periodic", "periodic"),
]


def phi(t):
    """A smooth increasing map of [0, 1] onto itself: the stretching of the axes below."""
    return t - 0.1 * np.sin(2 * np.pi * t) / (2 * np.pi)


def mapped_positions(n, length, pair):
    """``L phi(t_i)`` at the uniform positions ``t_i`` a grid with these sides would have."""
    return length * phi(kl.Grid(n, bc=[pair]).coords[0])


def random_positions(n, length, pair, seed=0):
    """Increasing positions inside the domain: the uniform ones, each moved by < 0.3 cells."""
    g = kl.Grid(n, lengths=length, bc=[pair])
    jitter = np.random.default_rng(seed).uniform(-0.3, 0.3, n)
    x = g.coords[0] + jitter * g.h[0]
    return np.abs(x) if pair[0] == "periodic" else x


def robin_conductance(k, d):
    return k / (1 + k * d)


# --- second differences with Robin sides ---------------------------------------------------


@pytest.mark.parametrize("k", [2.0, -0.5, 0.3])
@pytest.mark.parametrize("n, h", [(2, 1.0), (5, 0.2), (8, 1 / 7.5)])
def test_second_difference_robin_end_entries(n, h, k):
    A = second_difference(n, h, ("robin", k)).toarray()
    expected = (np.diag(np.full(n, -2.0)) + np.eye(n, k=1) + np.eye(n, k=-1)) / h**2
    expected[0, 0] = expected[-1, -1] = (-1 - k * h / (1 + k * h / 2)) / h**2
    np.testing.assert_allclose(A, expected, rtol=1e-14, atol=0)


@pytest.mark.parametrize("low, high", [("dirichlet", 2.0), (-0.5, "neumann"), (3.0, -0.25)])
def test_second_difference_robin_in_a_pair(low, high):
    n, h = 6, 0.25
    sides = [side if isinstance(side, str) else ("robin", side) for side in (low, high)]
    A = second_difference(n, h, tuple(sides)).toarray()
    expected = (np.diag(np.full(n, -2.0)) + np.eye(n, k=1) + np.eye(n, k=-1)) / h**2
    for end, side in ((0, low), (-1, high)):
        if side == "neumann":
            expected[end, end] = -1 / h**2
        elif not isinstance(side, str):
            expected[end, end] = (-1 - side * h / (1 + side * h / 2)) / h**2
    np.testing.assert_allclose(A, expected, rtol=1e-14, atol=0)


def test_second_difference_robin_definiteness_follows_the_sign_of_k():
    assert np.linalg.eigvalsh(second_difference(6, 0.2, ("robin", 2.0)).toarray()).max() < 0
    assert np.linalg.eigvalsh(second_difference(6, 0.2, ("robin", -0.5)).toarray()).max() > 0


@pytest.mark.parametrize("zero", [0, 0.0, -0.0])
def test_robin_zero_is_neumann(zero):
    assert kl.Grid(4, bc=("robin", zero)).bc == (("neumann", "neumann"),)
    g = kl.Grid((4, 3), bc=[("dirichlet", ("robin", zero)), "periodic"])
    assert g.bc == (("dirichlet", "neumann"), ("periodic", "periodic"))
    assert g == kl.Grid((4, 3), bc=[("dirichlet", "neumann"), "periodic"])
    A = second_difference(5, 0.3, ("robin", zero))
    B = second_difference(5, 0.3, "neumann")
    assert (A != B).nnz == 0


def test_robin_grid_is_cell_centred_like_neumann():
    robin = kl.Grid((5, 4), lengths=(2.0, 3.0), bc=[("robin", 2), ("dirichlet", ("robin", -1))])
    neumann = kl.Grid((5, 4), lengths=(2.0, 3.0), bc=["neumann", ("dirichlet", "neumann")])
    assert robin.bc == ((("robin", 2.0), ("robin", 2.0)), ("dirichlet", ("robin", -1.0)))
    assert all(type(pair[1][1]) is float for pair in robin.bc)
    assert robin.h == neumann.h
    for x, y in zip(robin.coords, neumann.coords):
        np.testing.assert_array_equal(x, y)
    assert robin.stretched == (False, False) and not robin.is_singular


def test_fold_boundary_robin_weight():
    k, n = 2.0, 5
    g = kl.Grid(n, lengths=2.0, bc=("dirichlet", ("robin", k)))
    h = g.h[0]
    rhs = fold_boundary(np.zeros(n), g, {(0, 0): 3.0, (0, 1): 7.0})
    expected = np.zeros(n)
    expected[0] = -3.0 / h**2
    expected[-1] = -7.0 / ((1 + k * h / 2) * h)
    np.testing.assert_allclose(rhs, expected, rtol=1e-14)


# --- axis_operator on uniform axes -----------------------------------------------------------


@pytest.mark.parametrize("pair", PAIRS)
def test_axis_operator_on_a_uniform_axis_is_the_second_difference(pair):
    n = 7
    g = kl.Grid((n, 3), lengths=(1.7, 1.0), bc=[pair, "dirichlet"])
    reference = second_difference(n, g.h[0], pair)
    op = axis_operator(g, 0)
    assert op.plain
    assert (op.matrix() != reference).nnz == 0
    assert (op.symmetric() != reference).nnz == 0
    np.testing.assert_array_equal(op.volumes, np.ones(n))
    # A coefficient of ones or a zero shift is the same operator.
    for kwargs in ({"coeff": np.ones(n)}, {"coeff": 1.0}, {"shift": np.zeros(n)}):
        op = axis_operator(g, 0, **kwargs)
        np.testing.assert_allclose(op.matrix().toarray(), reference.toarray(), rtol=1e-14)


@pytest.mark.parametrize("pair", PAIRS)
def test_uniform_data_weights(pair):
    n = 6
    g = kl.Grid(n, lengths=2.0, bc=[pair])
    h = g.h[0]
    weights = axis_operator(g, 0).data_weights
    for side, weight in zip(pair, weights):
        if side == "periodic":
            expected = 0.0
        elif side == "dirichlet":
            expected = 1 / h**2
        elif side == "neumann":
            expected = 1 / h
        else:
            expected = 1 / ((1 + side[1] * h / 2) * h)
        assert weight == pytest.approx(expected, rel=1e-14)


def test_axis_operator_shift_and_scaled_coefficient():
    g = kl.Grid(6, bc=("neumann", ("robin", 1.0)))
    A = second_difference(6, g.h[0], g.bc[0]).toarray()
    s = np.linspace(0.0, 2.0, 6)
    op = axis_operator(g, 0, coeff=3.0, shift=s)
    assert not op.plain
    np.testing.assert_allclose(op.matrix().toarray(), 3 * A - np.diag(s), rtol=1e-13, atol=0)
    # A callable shift is sampled at the unknowns.
    op = axis_operator(g, 0, shift=lambda x: x**2)
    np.testing.assert_allclose(op.shift, g.coords[0] ** 2)


@pytest.mark.parametrize("pair", [("dirichlet", "dirichlet"), ("neumann", ("robin", 2.0))])
def test_callable_coefficient_is_evaluated_at_the_faces(pair):
    n, length = 6, 1.3
    g = kl.Grid(n, lengths=length, bc=[pair])
    h, x = g.h[0], g.coords[0]
    a = lambda t: 1 + t**2  # noqa: E731
    op = axis_operator(g, 0, coeff=a)
    inner = (x[:-1] + x[1:]) / 2
    np.testing.assert_allclose(op.faces[1:-1], a(inner) / h**2, rtol=1e-14)
    if pair[0] == "dirichlet":
        np.testing.assert_allclose(op.faces[[0, -1]], a(np.array([h / 2, length - h / 2])) / h**2)
    else:
        k = pair[1][1]
        assert op.faces[0] == 0.0
        assert op.faces[-1] == pytest.approx(a(length) * robin_conductance(k, h / 2) / h)
        assert op.data_weights[1] == pytest.approx(a(length) / ((1 + k * h / 2) * h))


def test_array_coefficient_takes_harmonic_means_at_interior_faces():
    g = kl.Grid(4, lengths=4.0)  # h = 0.8
    a = np.array([1.0, 3.0, 3.0, 2.0])
    op = axis_operator(g, 0, coeff=a)
    harmonic = 2 * a[:-1] * a[1:] / (a[:-1] + a[1:])
    np.testing.assert_allclose(op.faces, np.r_[a[0], harmonic, a[-1]] / 0.8**2, rtol=1e-14)


# --- stretched axes ----------------------------------------------------------------------------


def finite_volume_by_hand(x, length, pair, a=None, s=None):
    """The 1D finite-volume operator on positions ``x``, loops over unknowns, and data weights.

    Faces sit midway between unknowns; a Dirichlet side puts the boundary node
    at 0 or L (the control volume ends halfway to it), a Neumann or Robin side
    puts the face itself there.
    """
    n = len(x)
    a = (lambda t: np.ones_like(t)) if a is None else a
    A = np.zeros((n, n))
    weights = [0.0, 0.0]
    if pair[0] == "periodic":
        xx = np.r_[x[-1] - length, x, x[0] + length]
        for i in range(n):
            left, right = xx[i], xx[i + 2]
            volume = (right - left) / 2
            for j, nb in ((i - 1, left), (i + 1, right)):
                face = a(np.array([(xx[i + 1] + nb) / 2 % length]))[0]
                flux = face / abs(nb - xx[i + 1]) / volume
                A[i, j % n] += flux
                A[i, i] -= flux
    else:
        edges = np.r_[0.0, (x[:-1] + x[1:]) / 2, length]
        if pair[0] == "dirichlet":
            edges[0] = x[0] / 2
        if pair[1] == "dirichlet":
            edges[-1] = (x[-1] + length) / 2
        volumes = np.diff(edges)
        for i in range(n - 1):
            face = a(np.array([(x[i] + x[i + 1]) / 2]))[0] / (x[i + 1] - x[i])
            A[i, i + 1] += face / volumes[i]
            A[i, i] -= face / volumes[i]
            A[i + 1, i] += face / volumes[i + 1]
            A[i + 1, i + 1] -= face / volumes[i + 1]
        for end, side, d, at in ((0, pair[0], x[0], 0.0), (1, pair[1], length - x[-1], length)):
            i = 0 if end == 0 else n - 1
            face_x = at if side != "dirichlet" else (at + x[i]) / 2
            face = a(np.array([face_x]))[0]
            if side == "dirichlet":
                A[i, i] -= face / d / volumes[i]
                weights[end] = face / d / volumes[i]
            elif side == "neumann":
                weights[end] = face / volumes[i]
            else:
                k = side[1]
                A[i, i] -= face * robin_conductance(k, d) / volumes[i]
                weights[end] = face / (1 + k * d) / volumes[i]
    if s is not None:
        A -= np.diag(s)
    return A, weights


@pytest.mark.parametrize("pair", PAIRS)
@pytest.mark.parametrize("with_terms", [False, True])
def test_stretched_axis_is_the_finite_volume_operator(pair, with_terms):
    n, length = 8, 1.7
    x = random_positions(n, length, pair, seed=1)
    g = kl.Grid((n, 3), lengths=(length, 1.0), bc=[pair, "neumann"], coords=[x, None])
    assert g.stretched == (True, False)
    np.testing.assert_array_equal(g.coords[0], x)
    a = (lambda t: 1 + t**2) if with_terms else None
    s = np.linspace(0.0, 3.0, n) if with_terms else None
    op = axis_operator(g, 0, coeff=a, shift=s)
    assert not op.plain
    A, weights = finite_volume_by_hand(x, length, pair, a, s)
    scale = np.abs(A).max()
    np.testing.assert_allclose(op.matrix().toarray(), A, rtol=0, atol=1e-13 * scale)
    np.testing.assert_allclose(op.data_weights, weights, rtol=1e-13, atol=0)


@pytest.mark.parametrize("pair", PAIRS)
@pytest.mark.parametrize("with_terms", [False, True])
def test_symmetric_is_volume_weighted_matrix(pair, with_terms):
    n, length = 9, 2.0
    x = random_positions(n, length, pair, seed=2)
    g = kl.Grid(n, lengths=length, bc=[pair], coords=[x])
    kwargs = {"coeff": lambda t: 2 + np.cos(t), "shift": x} if with_terms else {}
    op = axis_operator(g, 0, **kwargs)
    S = op.symmetric()
    assert sp.issparse(S) and S.shape == (n, n)
    assert (S != S.T).nnz == 0
    assert abs(op.matrix() - op.matrix().T).max() > 1e-3 * abs(S).max()
    weighted = sp.diags_array(op.volumes) @ op.matrix()
    np.testing.assert_allclose(weighted.toarray(), S.toarray(), rtol=0, atol=1e-13 * abs(S).max())
    # The control volumes tile the domain (from the boundary nodes halfway in on Dirichlet sides).
    covered = length
    for side, d in ((pair[0], x[0]), (pair[1], length - x[-1])):
        covered -= d / 2 if side == "dirichlet" else 0.0
    assert op.volumes.sum() * g.h[0] == pytest.approx(covered, rel=1e-13)


def test_uniform_positions_given_as_coords_give_the_second_difference():
    pair = ("dirichlet", ("robin", 2.0))
    uniform = kl.Grid(6, lengths=1.5, bc=[pair])
    stretched = kl.Grid(6, lengths=1.5, bc=[pair], coords=[uniform.coords[0]])
    assert stretched.stretched == (True,) and stretched != uniform
    A = axis_operator(stretched, 0).matrix().toarray()
    np.testing.assert_allclose(A, second_difference(6, uniform.h[0], pair).toarray(), rtol=1e-12)


def test_stretched_periodic_axis_may_start_at_zero():
    x = np.array([0.0, 0.1, 0.35, 0.7])
    g = kl.Grid(4, bc="periodic", coords=[x])
    A, _ = finite_volume_by_hand(x, 1.0, ("periodic", "periodic"))
    np.testing.assert_allclose(axis_operator(g, 0).matrix().toarray(), A, rtol=1e-13)
    np.testing.assert_allclose(A.sum(axis=1), 0, atol=1e-12 * np.abs(A).max())


def test_laplacian_is_the_kron_sum_of_the_axis_matrices():
    x = random_positions(6, 1.0, ("neumann", "neumann"), seed=3)
    g = kl.Grid(
        (6, 5, 4),
        bc=["neumann", ("dirichlet", ("robin", 2.0)), "periodic"],
        coords=[x, None, None],
    )
    L = kl.laplacian(g)
    reference = kl.kron_sum(*(op.matrix() for op in axis_operators(g)))
    np.testing.assert_allclose(L.toarray(), reference.toarray(), rtol=0, atol=1e-12 * abs(L).max())
    assert abs(L - L.T).max() > 1.0  # not symmetric on the stretched axis
    uniform = kl.laplacian(
        kl.Grid((6, 5, 4), bc=["neumann", ("dirichlet", ("robin", 2.0)), "periodic"])
    )
    assert (uniform != uniform.T).nnz == 0


# --- eigenvalues -------------------------------------------------------------------------------


def _grid_robin():
    return kl.Grid(
        (6, 5),
        lengths=(1.0, 2.0),
        bc=[("dirichlet", ("robin", 2.0)), (("robin", -0.5), "neumann")],
    )


def _grid_robin_periodic():
    return kl.Grid((5, 6), bc=["periodic", ("robin", 1.0)])


def _grid_stretched():
    x = random_positions(6, 1.0, ("dirichlet", "dirichlet"), seed=4)
    y = random_positions(5, 2.0, ("periodic", "periodic"), seed=5)
    return kl.Grid((6, 5), lengths=(1.0, 2.0), bc=["dirichlet", "periodic"], coords=[x, y])


def _grid_stretched_robin():
    x = mapped_positions(6, 1.0, ("neumann", ("robin", 2.0)))
    return kl.Grid((6, 5), bc=[("neumann", ("robin", 2.0)), "neumann"], coords=[x, None])


def _grid_3d():
    y = random_positions(4, 1.0, ("dirichlet", "neumann"), seed=6)
    return kl.Grid(
        (4, 4, 3),
        bc=[("robin", 0.5), ("dirichlet", "neumann"), "periodic"],
        coords=[None, y, None],
    )


@pytest.mark.parametrize(
    "make", [_grid_robin, _grid_robin_periodic, _grid_stretched, _grid_stretched_robin, _grid_3d]
)
def test_eigenvalues_match_dense_eigenvalues(make):
    g = make()
    lam = kl.eigenvalues(g)
    assert lam.shape == g.shape and np.isrealobj(lam)
    dense = np.linalg.eigvals(kl.laplacian(g).toarray())
    scale = np.abs(dense).max()
    assert np.abs(dense.imag).max() < 1e-10 * scale
    np.testing.assert_allclose(
        np.sort(lam.ravel()), np.sort(dense.real), rtol=0, atol=1e-11 * scale
    )


# --- convergence on manufactured solutions -----------------------------------------------------

SIZES = (16, 32, 64, 128)


def observed_order(errors):
    """Minus the slope of log(error) against log(n), fitted over SIZES."""
    slope = np.polyfit(np.log(SIZES), np.log(errors), 1)[0]
    return -slope


def assert_second_order(errors):
    order = observed_order(errors)
    print(f"observed order {order:.3f}, errors {np.array(errors)}")
    assert 1.8 < order < 2.3


def u_x(x):
    return np.cos(2 * x + 0.5)


def du_x(x):
    return -2 * np.sin(2 * x + 0.5)


def robin_data(k, length):
    """``du/dn + k u`` of ``u_x`` at the faces x = 0 (outward normal -x) and x = L."""
    return -du_x(0.0) + k * u_x(0.0), du_x(length) + k * u_x(length)


@pytest.mark.parametrize("k", [2.0, -0.5])
def test_robin_1d_converges_at_second_order(k):
    length = 1.0

    def error(n):
        g = kl.Grid(n, lengths=length, bc=("dirichlet", ("robin", k)))
        x = g.coords[0]
        boundary = {(0, 0): u_x(0.0), (0, 1): robin_data(k, length)[1]}
        u = kl.solve_poisson(-4 * u_x(x), g, boundary=boundary, method="direct")
        return np.abs(u - u_x(x)).max()

    assert_second_order([error(n) for n in SIZES])


@pytest.mark.parametrize("k", [2.0, -0.5])
def test_robin_2d_converges_at_second_order(k):
    length = 1.2

    def error(n):
        g = kl.Grid((n, n), lengths=(length, 1.0), bc=[("robin", k), "dirichlet"])
        x, y = g.mesh()
        exact = u_x(x) * np.sin(np.pi * y)
        low, high = robin_data(k, length)
        side = np.sin(np.pi * g.coords[1])
        boundary = {(0, 0): low * side, (0, 1): high * side}
        u = kl.solve_poisson(-(4 + np.pi**2) * exact, g, boundary=boundary)
        return np.abs(u - exact).max()

    assert_second_order([error(n) for n in SIZES])


@pytest.mark.parametrize(
    "pair", [("dirichlet", "dirichlet"), ("neumann", "neumann"), ("dirichlet", ("robin", 2.0))]
)
def test_stretched_axis_converges_at_second_order(pair):
    # Axis 1 is periodic and uniform, and cos(2 pi y) is its discrete eigenfunction:
    # the error is the stretched axis' alone.
    length, m = 1.5, 12
    lam_y = -4 * m**2 * np.sin(np.pi / m) ** 2

    def error(n):
        x = mapped_positions(n, length, pair)
        g = kl.Grid((n, m), lengths=(length, 1.0), bc=[pair, "periodic"], coords=[x, None])
        x, y = g.mesh()
        exact = u_x(x) * np.cos(2 * np.pi * y)
        side = np.cos(2 * np.pi * g.coords[1])
        boundary = {}
        for key, at, normal, kind in ((0, 0.0, -1, pair[0]), (1, length, 1, pair[1])):
            if kind == "dirichlet":
                boundary[(0, key)] = u_x(at) * side
            else:
                k = 0.0 if kind == "neumann" else kind[1]
                boundary[(0, key)] = (normal * du_x(at) + k * u_x(at)) * side
        u = kl.solve_poisson((lam_y - 4) * exact, g, boundary=boundary)
        return np.abs(u - exact).max()

    assert_second_order([error(n) for n in SIZES])


def test_stretched_periodic_axis_converges_at_second_order():
    length = 2.0

    def error(n):
        x = length * phi(np.arange(n) / n)  # x_0 = 0
        g = kl.Grid(n, lengths=length, bc="periodic", coords=[x])
        exact = np.sin(np.pi * x) + np.cos(2 * np.pi * x)
        f = -(np.pi**2) * np.sin(np.pi * x) - 4 * np.pi**2 * np.cos(2 * np.pi * x) - exact
        u = kl.solve_poisson(f, g, shift=1.0)
        return np.abs(u - exact).max()

    assert_second_order([error(n) for n in SIZES])


@pytest.mark.parametrize("bc", ["dirichlet", "neumann"])
def test_callable_coefficient_converges_at_second_order(bc):
    # d/dx((1 + x^2) du/dx) + d2u/dy2 with u = cos(2x + 1/2) sin(pi y).
    length = 1.0

    def a(x):
        return 1 + x**2

    def error(n):
        g = kl.Grid((n, n), lengths=(length, 1.0), bc=[bc, "dirichlet"])
        x, y = g.mesh()
        exact = u_x(x) * np.sin(np.pi * y)
        f = (2 * x * du_x(x) - 4 * a(x) * u_x(x) - np.pi**2 * u_x(x)) * np.sin(np.pi * y)
        side = np.sin(np.pi * g.coords[1])
        if bc == "dirichlet":
            boundary = {(0, 0): u_x(0.0) * side, (0, 1): u_x(length) * side}
        else:
            boundary = {(0, 0): -du_x(0.0) * side, (0, 1): du_x(length) * side}
        u = kl.solve_poisson(f, g, boundary=boundary, coeff=[a, 1.0], method="direct")
        return np.abs(u - exact).max()

    assert_second_order([error(n) for n in SIZES])


# --- bad input -------------------------------------------------------------------------------


@pytest.mark.parametrize("k", [np.inf, -np.inf, np.nan])
def test_grid_refuses_a_non_finite_robin_coefficient(k):
    with pytest.raises(ValueError, match=r"bc.*Robin coefficient.*finite"):
        kl.Grid(4, bc=("robin", k))
    with pytest.raises(ValueError, match=r"bc\[0\]\[1\].*Robin coefficient"):
        kl.Grid((4, 3), bc=[("dirichlet", ("robin", k)), "periodic"])
    with pytest.raises(ValueError, match=r"bc.*Robin coefficient"):
        second_difference(4, bc=("robin", k))


@pytest.mark.parametrize("k", ["2", None, True, np.bool_(False), 1j, [1.0]])
def test_grid_refuses_a_robin_coefficient_that_is_not_a_real_number(k):
    with pytest.raises(TypeError, match=r"bc.*Robin coefficient.*real number"):
        kl.Grid(4, bc=("robin", k))
    with pytest.raises(TypeError, match=r"bc\[1\]\[0\].*Robin coefficient"):
        kl.Grid((4, 3), bc=["dirichlet", (("robin", k), "neumann")])


def test_grid_refuses_robin_without_its_coefficient():
    with pytest.raises(ValueError, match=r"bc.*Robin side needs its coefficient"):
        kl.Grid(4, bc="robin")


def test_grid_refuses_a_singular_robin_condition():
    # n = 4 on [0, 1]: d = h/2 = 1/8, so k = -8 makes 1 + k d exactly 0.
    with pytest.raises(ValueError, match=r"bc.*Robin coefficient.*1 \+ k d"):
        kl.Grid(4, bc=("robin", -8.0))
    with pytest.raises(ValueError, match=r"bc of axis 1, side 1.*Robin coefficient"):
        kl.Grid((3, 4), bc=["dirichlet", ("dirichlet", ("robin", -10.0))])
    assert kl.Grid(4, bc=("robin", -7.9)).bc == ((("robin", -7.9), ("robin", -7.9)),)
    # On a stretched axis d is the distance from the side to the given first position.
    with pytest.raises(ValueError, match=r"side 0.*Robin coefficient"):
        kl.Grid(3, bc=(("robin", -4.0), "dirichlet"), coords=[[0.3, 0.5, 0.9]])
    kl.Grid(3, bc=(("robin", -4.0), "dirichlet"), coords=[[0.2, 0.5, 0.9]])


@pytest.mark.parametrize(
    "y, what",
    [
        ([0.5, 0.4, 0.6], "increase"),
        ([0.4, 0.4, 0.6], "increase"),
        ([0.0, 0.4, 0.6], "inside the domain"),
        ([-0.1, 0.4, 0.6], "inside the domain"),
        ([0.1, 0.4, 1.0], "inside the domain"),
        ([0.1, 0.4, 1.2], "inside the domain"),
        ([0.1, 0.4], "shape"),
        ([[0.1, 0.4, 0.6]], "shape"),
        ([0.1, np.nan, 0.6], "NaN"),
        ([0.1, 0.4, np.inf], "NaN or inf"),
    ],
)
def test_grid_refuses_bad_stretched_positions(y, what):
    with pytest.raises(ValueError, match=rf"coords\[1\].*{what}"):
        kl.Grid((4, 3), bc=["dirichlet", "neumann"], coords=[None, y])


def test_periodic_positions_may_start_at_zero_but_not_reach_the_length():
    g = kl.Grid((4, 3), bc="periodic", coords=[None, [0.0, 0.4, 0.6]])
    assert g.stretched == (False, True)
    with pytest.raises(ValueError, match=r"coords\[1\].*\[0, L\)"):
        kl.Grid((4, 3), bc="periodic", coords=[None, [0.0, 0.4, 1.0]])
    with pytest.raises(ValueError, match=r"coords\[0\].*\[0, L\)"):
        kl.Grid((3, 4), bc="periodic", coords=[[-0.2, 0.4, 0.6], None])


def test_grid_refuses_bad_coords_containers():
    with pytest.raises(ValueError, match=r"coords.*one entry per axis"):
        kl.Grid((4, 3), coords=[None])
    with pytest.raises(TypeError, match=r"coords must be a sequence"):
        kl.Grid((4, 3), coords=np.full((2, 3), 0.5))
    for bad in (["a", "b", "c"], np.array([0.1, 0.2, 0.3]) + 0j, [True, True, True]):
        with pytest.raises(TypeError, match=r"coords\[1\].*real numbers"):
            kl.Grid((4, 3), coords=[None, bad])


GRID = kl.Grid((4, 5), bc=["dirichlet", ("neumann", ("robin", 1.0))])


@pytest.mark.parametrize(
    "entry, error, message",
    [
        (np.ones(4), ValueError, r"coeff\[1\].*length"),
        (np.r_[1.0, 1.0, 0.0, 1.0, 1.0], ValueError, r"coeff\[1\].*positive"),
        (-1.0, ValueError, r"coeff\[1\].*positive"),
        (np.r_[1.0, 1.0, np.nan, 1.0, 1.0], ValueError, r"coeff\[1\].*finite"),
        (np.inf, ValueError, r"coeff\[1\].*finite"),
        (lambda x: x - 0.5, ValueError, r"coeff\[1\]\(x\).*positive"),
        (lambda x: np.ones(3), ValueError, r"coeff\[1\]\(x\).*length"),
        (1j, TypeError, r"coeff\[1\].*real"),
        (np.ones(5) + 0j, TypeError, r"coeff\[1\].*real"),
        (lambda x: x + 1j, TypeError, r"coeff\[1\]\(x\).*real"),
        (True, TypeError, r"coeff\[1\]"),
        (np.ones(5, dtype=bool), TypeError, r"coeff\[1\].*real"),
    ],
)
def test_bad_separable_coefficient(entry, error, message):
    with pytest.raises(error, match=message):
        axis_operator(GRID, 1, coeff=entry)
    with pytest.raises(error, match=message):
        axis_operators(GRID, coeff=[1.0, entry])
    with pytest.raises(error, match=message):
        kl.PoissonSolver(GRID, coeff=[1.0, entry])
    with pytest.raises(error, match=message):
        kl.solve_poisson(np.ones(GRID.shape), GRID, coeff=[1.0, entry])


@pytest.mark.parametrize(
    "entry, error, message",
    [
        (np.ones(4), ValueError, r"shift\[1\].*length"),
        (-1.0, ValueError, r"shift\[1\].*non-negative"),
        (np.r_[0.0, 1.0, -1.0, 0.0, 0.0], ValueError, r"shift\[1\].*non-negative"),
        (np.nan, ValueError, r"shift\[1\].*finite"),
        (lambda x: -x, ValueError, r"shift\[1\]\(x\).*non-negative"),
        (1j, TypeError, r"shift\[1\].*real"),
        (False, TypeError, r"shift\[1\]"),
        (np.zeros(5, dtype=bool), TypeError, r"shift\[1\].*real"),
    ],
)
def test_bad_separable_shift(entry, error, message):
    with pytest.raises(error, match=message):
        axis_operator(GRID, 1, shift=entry)
    with pytest.raises(error, match=message):
        kl.PoissonSolver(GRID, shift=[0.0, entry])
    with pytest.raises(error, match=message):
        kl.solve_poisson(np.ones(GRID.shape), GRID, shift=[0.0, entry])


@pytest.mark.parametrize("method", ["fft", "eig", "direct", "cg", "multigrid", "gmg", "auto"])
def test_every_method_refuses_bad_separable_entries(method):
    with pytest.raises(ValueError, match=r"coeff\[0\].*positive"):
        kl.PoissonSolver(GRID, method=method, coeff=[0.0, 1.0])
    with pytest.raises(ValueError, match=r"shift\[0\].*non-negative"):
        kl.PoissonSolver(GRID, method=method, shift=[-2.0, 1.0])


@pytest.mark.parametrize("name", ["coeff", "shift"])
def test_solver_names_a_wrong_length_separable_entry(name):
    with pytest.raises(ValueError, match=rf"{name}\[1\].*length"):
        kl.PoissonSolver(GRID, **{name: [1.0, np.ones(4)]})


@pytest.mark.parametrize(
    "entry", [lambda x: x, lambda x: np.ones(5)], ids=["zero at a face", "fixed length"]
)
def test_callable_coefficient_bad_at_the_faces_names_the_axis(entry):
    g = kl.Grid((4, 5), bc="neumann")  # the side faces sit at x = 0 and x = L
    with pytest.raises(ValueError, match=r"coeff\[1\]"):
        kl.PoissonSolver(g, coeff=[1.0, entry])


def _grid_order4_robin():
    return kl.Grid((6, 6), bc=[("dirichlet", ("robin", 1.0)), "dirichlet"])


def _grid_order4_stretched():
    return kl.Grid((6, 6), bc="periodic", coords=[None, np.linspace(0.0, 0.9, 6)])


@pytest.mark.parametrize(
    "make, message",
    [(_grid_order4_robin, r"order=4.*Robin"), (_grid_order4_stretched, r"order=4.*stretched")],
)
def test_order4_operator_refuses_robin_sides_and_stretched_axes(make, message):
    # The compact operator is for uniform Dirichlet/periodic axes; the solvers reach fourth
    # order on these grids by deferred correction instead (a separate feature).
    g = make()
    with pytest.raises(ValueError, match=message):
        kl.laplacian(g, order=4)
    with pytest.raises(ValueError, match=message):
        kl.eigenvalues(g, order=4)
