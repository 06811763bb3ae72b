"""The heat and image example scripts run as a user runs them (small sizes)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"


@pytest.mark.parametrize(
    "script, options, outputs",
    [
        ("heat_2d.py", ["--size", "24", "--frames", "6"], ["heat_2d_frames.png", "heat_2d.gif"]),
        ("heat_3d.py", ["--size", "12", "--dt", "0.01"], ["heat_3d_slices.png"]),
        ("image_smoothing.py", ["--size", "64", "--steps", "2"], ["image_smoothing.png"]),
    ],
)
def test_example_writes_its_pictures(tmp_path, script, options, outputs):
    # The scripts import kronlap from this checkout, installed or not.
    pythonpath = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    result = subprocess.run(
        [sys.executable, str(EXAMPLES / script), "--out", str(tmp_path), *options],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": pythonpath, "MPLBACKEND": "Agg"},
    )
    assert result.returncode == 0, result.stderr
    for name in outputs:
        path = tmp_path / name
        assert path.is_file() and path.stat().st_size > 1000, name
        assert f"wrote {path}" in result.stdout
    assert "nan" not in result.stdout.lower()
