"""Every script in ``examples/`` runs as a user runs it, on a small grid, and prints true numbers.

Each script runs in a fresh process with ``MPLBACKEND=Agg``, ``--out`` a
temporary folder and small sizes, from an empty working folder. The test
checks that it exits cleanly, writes its pictures into ``--out`` and nothing
into the working folder (the docs gallery runs the scripts from the source
tree), and that the numbers it prints say what its docstring says: an error
against an exact solution of the right size and order, residuals at the
tolerance, PSNRs above the noisy photograph's. The docs build
(``tests/test_docs.py``) runs the same scripts at their gallery sizes.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
SCRIPTS = sorted(p.name for p in EXAMPLES.glob("*.py"))


def _number(pattern: str, text: str) -> float:
    match = re.search(pattern, text)
    assert match, f"{pattern!r} not in the output:\n{text}"
    return float(match.group(1))


def check_poisson_2d(out: str, folder: Path):
    error = _number(r"max error (\S+)", out)
    ratio = _number(r"error ratio n/2 -> n: (\S+),", out)
    assert 0 < error < 1 / 65**2  # second-order truncation error, h = 1/65
    assert 3.5 < ratio < 4.5  # and it drops four-fold when n doubles


def check_masked_poisson(out: str, folder: Path):
    h = 1 / 65
    assert "multigrid" in out  # method="auto" picks multigrid for a mask
    residuals = [float(r) for r in re.findall(r"residual (\S+?)[,)]", out)]
    assert len(residuals) == 2 and max(residuals) < 1e-9
    error = _number(r"max error (\S+)", out)
    ratio = _number(r"error ratio n/2 -> n: (\S+),", out)
    assert 0 < error < h  # the staircase boundary: first order in h
    assert 1.2 < ratio < 2.5
    # max of u on the L-shape: 0.0261 on a 256 x 256 grid
    assert abs(_number(r"max u (\S+)", out) - 0.026) < 1e-3


def check_compare_solvers(out: str, folder: Path):
    rows = re.findall(
        r"^[ *](\S+)\s+(\S+)\s+(\S+)\s+(\S+)\s+(\S+)\s+(\S+)\s+(\S+)\s+(\S+)$", out, re.M
    )
    methods = {row[0]: row for row in rows if row[0] != "method"}
    expected = {"fft", "eig", "multigrid", "gmg", "cg", "direct"}
    expected |= {"pyamg", "pyamg-sa", "spsolve", "scipy-cg"}
    assert set(methods) == expected, out
    assert "not run" not in out
    fft_error = float(methods["fft"][6])
    assert 0 < fft_error < 1e-2
    for name, row in methods.items():
        residual, error = float(row[5]), float(row[6])
        assert residual < 1e-9, name  # every method reached the tolerance (1e-10) ...
        assert error == pytest.approx(fft_error, rel=1e-2), name  # ... of the same system
    assert re.search(r"^\*\S+", out, re.M), "no method marked fastest"


def check_heat_2d(out: str, folder: Path):
    from PIL import Image

    with Image.open(folder / "heat_2d.gif") as gif:
        assert gif.n_frames == 6  # one per --frames
    assert _number(r"over all frames: (\S+)", out) < 0.1
    ratio = _number(r"\(ratio (\S+);", out)
    assert 3.8 < ratio < 4.2  # Crank-Nicolson is second order in time
    assert _number(r"error (\S+) with dt,", out) < 1e-4


def check_heat_3d(out: str, folder: Path):
    gaps = [float(e) for e in re.findall(r"max \|CN - exact\| = (\S+)", out)]
    assert len(gaps) == 5
    assert gaps[0] < 1e-12  # both start from u0
    assert gaps[-1] < 1e-5  # both reach the steady state
    assert _number(r"max \|u - \(1 - x\)\| = (\S+)", out) < 1e-4


def check_image_smoothing(out: str, folder: Path):
    psnr = dict(re.findall(r"^(\w+).*?PSNR\s+(\S+) dB", out, re.M))
    psnr = {name: float(value) for name, value in psnr.items()}
    assert set(psnr) == {"smooth", "denoise", "edge_preserving", "noisy"}, out
    for name in ("smooth", "denoise", "edge_preserving"):
        assert psnr[name] > psnr["noisy"] + 0.5, name
    assert psnr["edge_preserving"] == max(psnr.values())


def check_distributed_poisson(out: str, folder: Path):
    assert "1 ranks" in out
    error = _number(r"max \|u - exact\| = (\S+)", out)
    h2 = _number(r"\(h\^2 = (\S+)\)", out)
    assert 0 < error < 2 * h2


def check_fourth_order(out: str, folder: Path):
    orders = dict(re.findall(r"order (\d): slope \S+ against unknowns, observed order (\S+)", out))
    assert 1.8 < float(orders["2"]) < 2.2 and 3.7 < float(orders["4"]) < 4.4
    e2 = _number(r"n =\s+64: order 2 error (\S+),", out)
    e4 = _number(r"n =\s+64: order 2 error \S+, order 4 error (\S+)", out)
    assert e4 < e2 / 1000


def check_deblurring(out: str, folder: Path):
    psnr = {
        m[0]: float(m[1])
        for m in re.findall(r"^(kronlap \w+|skimage \w+|blurred)\b.*?PSNR\s+(\S+) dB", out, re.M)
    }
    for name in ("kronlap identity", "kronlap gradient", "kronlap tv"):
        assert psnr[name] > psnr["blurred"] + 1.0, name
    if "skimage wiener" in psnr:
        assert max(psnr[k] for k in psnr if k.startswith("kronlap")) > psnr["skimage wiener"]


def check_gradient_domain(out: str, folder: Path):
    seam = {
        m[0]: float(m[1])
        for m in re.findall(
            r"^(naive paste|seamless_clone, rectangle|seamless_clone, outline"
            r"|the photograph itself).*?seam (\S+)",
            out,
            re.M,
        )
    }
    for name in ("seamless_clone, rectangle", "seamless_clone, outline"):
        assert seam[name] < 0.3 * seam["naive paste"], name
        assert seam[name] < 2.0 * seam["the photograph itself"], name


# script: (its options, the pictures it writes into --out, the check of its output)
CASES = {
    "poisson_2d.py": (["--n", "64"], ["poisson_2d.png"], check_poisson_2d),
    "masked_poisson.py": (["--n", "64"], ["masked_poisson.png"], check_masked_poisson),
    "compare_solvers.py": (["--n", "24"], ["compare_solvers.png"], check_compare_solvers),
    "heat_2d.py": (
        ["--size", "24", "--frames", "6"],
        ["heat_2d_frames.png", "heat_2d.gif"],
        check_heat_2d,
    ),
    "heat_3d.py": (["--size", "12", "--dt", "0.01"], ["heat_3d_slices.png"], check_heat_3d),
    "image_smoothing.py": (
        ["--size", "64", "--steps", "2"],
        ["image_smoothing.png"],
        check_image_smoothing,
    ),
    "fourth_order.py": (["--sizes", "16", "32", "64"], ["fourth_order.png"], check_fourth_order),
    "deblurring.py": (["--size", "96"], ["deblurring.png"], check_deblurring),
    "gradient_domain.py": (["--size", "160"], ["gradient_domain.png"], check_gradient_domain),
    # One process, no mpiexec; tests/test_distributed.py runs it on 2 ranks.
    "distributed_poisson.py": (
        ["--shape", "24", "20", "16", "--planner", "FFTW_ESTIMATE", "--solves", "1"],
        [],
        check_distributed_poisson,
    ),
}


@pytest.mark.parametrize("script", SCRIPTS)
def test_example(script, tmp_path):
    assert script in CASES, f"examples/{script} has no entry in CASES: give it small options"
    options, pictures, check = CASES[script]
    if script == "distributed_poisson.py":
        pytest.importorskip("mpi4py_fft", reason="needs kronlap[mpi] (mpi4py-fft)")
    out_dir, work_dir = tmp_path / "out", tmp_path / "work"
    work_dir.mkdir()
    if pictures:
        options = [*options, "--out", str(out_dir)]
    # The scripts import kronlap from this checkout, installed or not.
    pythonpath = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    env = {**os.environ, "PYTHONPATH": pythonpath, "MPLBACKEND": "Agg", "OMP_NUM_THREADS": "1"}
    result = subprocess.run(
        [sys.executable, str(EXAMPLES / script), *options],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=work_dir,
        env=env,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    assert not re.search(r"\bnan\b", out, re.I), out
    for name in pictures:
        path = out_dir / name
        assert path.is_file() and path.stat().st_size > 1000, name
        assert f"wrote {path}" in out
    if pictures:
        assert sorted(p.name for p in out_dir.iterdir()) == sorted(pictures)
    assert not any(work_dir.iterdir()), "the script wrote into its working folder"
    check(out, out_dir)

