"""What ``import kronlap`` loads, and how deep the package's chain of imports goes."""

import subprocess
import sys

import pytest

HEAVY = ("pyamg", "matplotlib", "tqdm", "mpi4py", "mpi4py_fft", "kronlap.compare")


def _run(code: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-X", "importtime", "-c", code],
        capture_output=True, text=True, check=True, timeout=120,
    )


def test_import_kronlap_loads_only_what_a_poisson_solve_needs():
    loaded = _run(
        f"import sys, kronlap; heavy = {HEAVY!r}; "
        "print(' '.join(m for m in sys.modules if m in heavy or m.startswith(tuple("
        "h + '.' for h in heavy))))"
    ).stdout.split()
    assert loaded == []


def test_lazy_names_load_on_first_use():
    out = _run(
        "import sys, kronlap as kl; kl.GeometricMultigrid; kl.amg_hierarchy; kl.image.smooth; "
        "print('pyamg' in sys.modules, 'kronlap.image' in sys.modules)"
    ).stdout.split()
    assert out == ["True", "True"]


def _depths(stderr: str):
    """Depth (1 = imported by the command) of every kronlap module in -X importtime output."""
    for line in stderr.splitlines():
        if not line.startswith("import time:") or "|" not in line:
            continue
        name = line.rsplit("|", 1)[1]
        stripped = name.lstrip(" ")
        if stripped.startswith("kronlap"):
            yield (len(name) - len(stripped) - 1) // 2 + 1, stripped


@pytest.mark.parametrize(
    "module", ["kronlap", "kronlap.multigrid", "kronlap.compare", "kronlap.distributed",
               "kronlap.image", "kronlap.solvers"],
)
def test_the_chain_of_imports_inside_the_package_is_at_most_8_deep(module):
    depths = list(_depths(_run(f"import {module}").stderr))
    assert depths, "no kronlap module in the -X importtime output"
    deepest = max(depths)
    assert deepest[0] <= 8, deepest
