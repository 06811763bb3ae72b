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


PACKAGE = __import__("pathlib").Path(__file__).resolve().parents[1] / "kronlap"


def _private_imports_across_subpackages():
    """``from .x import _name`` where ``x`` lies outside the importing module's subpackage."""
    import ast

    found = []
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if not (isinstance(node, ast.ImportFrom) and node.level):
                continue
            base = path.parent
            for _ in range(node.level - 1):
                base = base.parent
            source = base.joinpath(*node.module.split(".")) if node.module else base
            source_package = source if source.is_dir() else source.parent
            for alias in node.names:
                private = alias.name.startswith("_") and not alias.name.startswith("__")
                # modules at the top level share nothing private
                crosses = source_package != path.parent or path.parent == PACKAGE
                if private and crosses:
                    found.append(f"{path.relative_to(PACKAGE)}: {node.module}.{alias.name}")
    return found


def test_no_private_name_crosses_a_subpackage():
    assert _private_imports_across_subpackages() == []


def test_no_public_module_is_shadowed_by_a_name_in_kronlap():
    import importlib
    import types

    import kronlap

    names = {p.stem for p in PACKAGE.glob("*.py") if not p.stem.startswith("_")}
    names |= {p.name for p in PACKAGE.iterdir() if (p / "__init__.py").exists()}
    for name in sorted(names):
        module = importlib.import_module(f"kronlap.{name}")
        assert isinstance(module, types.ModuleType), name
        attribute = getattr(kronlap, name, module)
        assert attribute is module, f"kronlap.{name} is {attribute!r}, not the module"
