"""Independent references shared by the tests: kronlap's sparse assembly,
scipy's direct solver and a hand-built harmonic-mean diffusion matrix, against
which the fast and iterative paths are checked."""

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla

import kronlap as kl

SIDES = ["dirichlet", "neumann", "periodic", ("dirichlet", "neumann"), ("neumann", "dirichlet")]


def system(grid, shift=0.0, coeff=None):
    """``(L - shift)`` assembled by kronlap's sparse path, CSC."""
    L = kl.laplacian(grid) if coeff is None else kl.diffusion(grid, coeff)
    return (L - shift * sp.eye_array(grid.size)).tocsc()


def relative_residual(grid, u, rhs, shift=0.0, coeff=None):
    """||rhs - (L - s) u|| / ||rhs||, rhs with boundary data already folded in."""
    r = rhs.ravel() - system(grid, shift, coeff) @ u.ravel()
    return np.linalg.norm(r) / np.linalg.norm(rhs)


def random_rhs(grid, shift=0.0, seed=0):
    """Standard normal right-hand side, mean-free where the problem is singular."""
    f = np.random.default_rng(seed).standard_normal(grid.shape)
    return f - f.mean() if grid.is_singular and shift == 0 else f


def reference_solve(grid, rhs, shift=0.0, coeff=None):
    """spsolve of the full system; singular problems grounded, then mean-free."""
    A = system(grid, shift, coeff)
    b = rhs.ravel()
    if grid.is_singular and shift == 0:
        u = np.zeros(grid.size)
        u[1:] = spla.spsolve(A[1:, 1:], b[1:])
        return (u - u.mean()).reshape(grid.shape)
    return spla.spsolve(A, b).reshape(grid.shape)


def masked_reference_solve(grid, rhs, mask, values, coeff=None):
    """spsolve on the points of ``mask``; ``values`` elsewhere (their couplings go to ``rhs``)."""
    A = system(grid, coeff=coeff).tocsr()
    inside, outside = np.flatnonzero(mask), np.flatnonzero(~mask.ravel())
    b = rhs.ravel()[inside] - A[inside][:, outside] @ values.ravel()[outside]
    u = values.astype(np.float64)
    u.ravel()[inside] = spla.spsolve(A[inside][:, inside].tocsc(), b)
    return u


def check_iterative_solve(grid, shift, method, mean_tol):
    """Solve with ``method`` and check it against the assembled system and spsolve.

    Residual below 1e-10 (computed and reported), at least two multigrid
    levels, the spsolve answer to 1e-8, and a mean below ``mean_tol`` (relative)
    where the problem is singular. Returns the solver.
    """
    f = random_rhs(grid, shift)
    solver = kl.PoissonSolver(grid, shift=shift, method=method)
    u = solver.solve(f)
    assert u.shape == grid.shape and u.dtype == np.float64
    assert relative_residual(grid, u, f, shift) < 1e-10
    assert solver.info["residual"] < 1e-10 and solver.info["levels"] >= 2
    np.testing.assert_allclose(u, reference_solve(grid, f, shift), atol=1e-8 * np.abs(u).max())
    if grid.is_singular and shift == 0:
        assert abs(u.mean()) < mean_tol * np.abs(u).max()
    return solver


def neumann_diffusion(grid, a):
    """``div(a grad)`` on a Neumann grid: faces take the harmonic mean of ``a``."""
    n = grid.size
    index = np.arange(n).reshape(grid.shape)
    rows, cols, vals = [], [], []
    diagonal = np.zeros(n)
    for axis in range(grid.ndim):
        lo = [slice(None)] * grid.ndim
        hi = [slice(None)] * grid.ndim
        lo[axis], hi[axis] = slice(None, -1), slice(1, None)
        a0, a1 = a[tuple(lo)].ravel(), a[tuple(hi)].ravel()
        face = 2 * a0 * a1 / (a0 + a1) / grid.h[axis] ** 2
        i0, i1 = index[tuple(lo)].ravel(), index[tuple(hi)].ravel()
        rows += [i0, i1]
        cols += [i1, i0]
        vals += [face, face]
        np.subtract.at(diagonal, i0, face)
        np.subtract.at(diagonal, i1, face)
    rows.append(np.arange(n))
    cols.append(np.arange(n))
    vals.append(diagonal)
    return sp.csr_array(
        (np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))), shape=(n, n)
    )
