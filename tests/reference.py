"""Independent references shared by the multigrid tests: kronlap's sparse
assembly and scipy's direct solver, against which the iterative paths
(pyamg in ``test_multigrid.py``, geometric in ``test_gmg.py``) are checked."""

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
