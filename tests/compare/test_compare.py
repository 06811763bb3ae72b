import json
import subprocess
import sys

import numpy as np
import pytest
import scipy.sparse as sp

import kronlap as kl
from kronlap.compare import (
    KRONLAP_METHODS,
    PEER_METHODS,
    RECORD_KEYS,
    cli,
    compare,
    fit_slope,
    format_table,
    manufactured_problem,
    scaling,
)

BCS = ["dirichlet", "neumann", "periodic", ["periodic", ("dirichlet", "neumann")]]


@pytest.mark.parametrize("bc", BCS)
@pytest.mark.parametrize("shift", [0.0, 2.0])
def test_manufactured_problem_is_consistent_with_the_discretization(bc, shift):
    """The discrete solution approaches the exact one at second order."""
    errors = []
    for n in (16, 32):
        g = kl.Grid((n, n), lengths=(1.0, 1.5), bc=bc)
        f, boundary, exact, _ = manufactured_problem(g, shift)
        u = kl.solve_poisson(f, g, shift=shift, boundary=boundary)
        errors.append(np.abs(u - exact).max())
    assert 3.3 < errors[0] / errors[1] < 4.7, errors


def test_manufactured_problem_singular_is_compatible():
    g = kl.Grid((12, 10), bc="neumann")
    f, boundary, exact, _ = manufactured_problem(g)
    assert abs(exact.mean()) < 1e-12
    kl.solve_poisson(f, g, boundary=boundary)  # raises if incompatible


def test_compare_records_against_independent_solve():
    g = kl.Grid((24, 20), bc=["dirichlet", ("neumann", "dirichlet")])
    records = compare(g, ["fft", "direct", "spsolve", "scipy-cg"], repeat=2, isolate=False)
    assert [r["method"] for r in records] == ["fft", "direct", "spsolve", "scipy-cg"]
    f, boundary, exact, _ = manufactured_problem(g)
    reference = kl.solve_poisson(f, g, boundary=boundary, method="direct")
    for r in records:
        assert set(RECORD_KEYS) <= set(r)
        assert r["status"] == "ok" and r["residual"] < 1e-9
        assert r["error"] == pytest.approx(np.abs(reference - exact).max(), rel=1e-4)
        assert r["setup_time"] >= 0 and r["solve_time"] > 0 and r["peak_mb"] >= 0
        assert r["shape"] == [24, 20]
    assert sum(r["fastest"] for r in records) == 1
    assert records[0]["iterations"] is None and records[3]["iterations"] > 0


def test_compare_isolated_reports_failures_instead_of_crashing():
    g = kl.Grid((16, 16), bc="periodic")
    records = compare(g, ["fft", "spsolve"], repeat=1, isolate=True)
    by_method = {r["method"]: r for r in records}
    assert by_method["fft"]["status"] == "ok" and by_method["fft"]["residual"] < 1e-12
    assert by_method["spsolve"]["status"] == "failed"
    assert "singular" in by_method["spsolve"]["reason"]
    assert by_method["fft"]["fastest"] and not by_method["spsolve"]["fastest"]
    assert "not run" in format_table(records)


def test_compare_every_method_small_grid():
    g = kl.Grid((20, 18), bc=["neumann", "dirichlet"])
    records = compare(g, None, repeat=1, isolate=False)
    assert [r["method"] for r in records] == list(KRONLAP_METHODS + PEER_METHODS)
    errors = [r["error"] for r in records if r["status"] == "ok"]
    assert len(errors) == len(records)
    assert max(errors) < 1.01 * min(errors) + 1e-9
    assert all(r["residual"] < 1e-8 for r in records)


def test_compare_bad_input():
    g = kl.Grid((8, 8))
    with pytest.raises(ValueError, match="methods"):
        compare(g, ["fft", "magic"])
    with pytest.raises(ValueError, match="repeat"):
        compare(g, ["fft"], repeat=0)
    with pytest.raises(ValueError, match="coeff"):
        compare(g, ["fft"], coeff="rough")


def test_fit_slope_recovers_power_law():
    n = np.array([1e3, 1e4, 1e5, 1e6])
    assert fit_slope(n, 3e-7 * n**1.5) == pytest.approx(1.5)
    # n log n over the decades k = 3..6: log(n log n) = k ln10 + ln k + ln ln10, so the
    # least-squares slope is 1 + cov(k, ln k) / (ln10 var(k)), which is exactly 1.1 here
    # (sum (k - 4.5) ln k = ln(10) / 2). Written out independently of the fit, and compared
    # to round-off: a tolerance band with 1.1 on its edge is decided by the last bit.
    k = np.array([3.0, 4.0, 5.0, 6.0])
    expected = 1 + np.sum((k - k.mean()) * np.log(k)) / (np.log(10) * np.sum((k - k.mean()) ** 2))
    assert fit_slope(n, 1e-8 * n * np.log(n)) == pytest.approx(expected, rel=1e-12)


def test_scaling_slopes_order_methods():
    records, slopes = scaling([31, 63, 127], 2, ["fft", "direct"], repeat=1)
    assert {r["unknowns"] for r in records} == {31**2, 63**2, 127**2}
    assert set(slopes) == {"fft", "direct"}
    assert all(np.isfinite(v) for v in slopes.values())
    with pytest.raises(ValueError, match="dim"):
        scaling([8], 4)


def run_cli(*args):
    return subprocess.run([sys.executable, "-m", "kronlap", *args], capture_output=True,
                          text=True, timeout=300)


def test_cli_compare_json_schema(tmp_path):
    path = tmp_path / "r.json"
    result = run_cli("compare", "--shape", "24", "24", "--bc", "dirichlet", "neumann",
                     "--repeat", "1", "--json", str(path), "--plot", str(tmp_path / "c.png"))
    assert result.returncode == 0, result.stderr
    records = json.loads(path.read_text())
    assert [r["method"] for r in records] == list(KRONLAP_METHODS + PEER_METHODS)
    for r in records:
        assert set(RECORD_KEYS) <= set(r)
        assert r["shape"] == [24, 24] and r["bc"] == [["dirichlet"] * 2, ["neumann"] * 2]
        assert r["residual"] < 1e-8
    assert (tmp_path / "c.png").stat().st_size > 0
    assert "*" in result.stdout and "wrote" in result.stdout


def test_cli_scaling_prints_slopes(tmp_path):
    plot = tmp_path / "s.png"
    result = run_cli("scaling", "--sizes", "15", "31", "63", "--methods", "fft", "direct",
                     "--plot", str(plot))
    assert result.returncode == 0, result.stderr
    assert "fft" in result.stdout and "direct" in result.stdout and "slope" in result.stdout
    assert plot.stat().st_size > 0


def test_cli_demo_small(tmp_path):
    result = run_cli("demo", "--out", str(tmp_path), "--size", "32",
                     "--scaling-sizes", "15", "31")
    assert result.returncode == 0, result.stderr
    for name in ("compare.json", "compare.png", "solution.png", "scaling.png"):
        assert (tmp_path / name).stat().st_size > 0
        assert str(tmp_path / name) in result.stdout


@pytest.mark.parametrize(
    "args",
    [
        ["compare", "--shape", "0", "4"],
        ["compare", "--methods", "magic"],
        ["compare", "--bc", "robin"],
        ["compare", "--shape", "8", "8", "--bc", "a:b:c"],
        ["compare", "--shape", "8", "8", "--bc", "dirichlet", "neumann", "periodic"],
        ["scaling", "--dim", "4"],
        ["frobnicate"],
        [],
    ],
)
def test_cli_bad_arguments_give_usage_errors(args, capsys):
    with pytest.raises(SystemExit) as excinfo:
        cli.main(args)
    assert excinfo.value.code == 2
    err = capsys.readouterr().err
    assert "usage:" in err and "Traceback" not in err


def test_peer_system_matches_kronlap_operator():
    """The peers solve the same system (sign flipped to SPD)."""
    from kronlap.compare.comparison import _system

    g = kl.Grid((6, 5), bc=["neumann", "dirichlet"])
    f, boundary, _, _ = manufactured_problem(g, 1.5)
    A, b = _system(g, 1.5, None, f, boundary)
    ref = kl.laplacian(g) - 1.5 * sp.eye_array(g.size)
    np.testing.assert_allclose(A.toarray(), ref.toarray())
    u = kl.solve_poisson(f, g, shift=1.5, boundary=boundary)
    np.testing.assert_allclose(A @ u.ravel(), b.ravel(), atol=1e-10)


@pytest.mark.parametrize("options", [{"shift": float("nan")}, {"shift": float("inf")},
                                     {"tol": 0.0}, {"tol": 1.0}, {"tol": float("nan")}])
def test_compare_refuses_bad_shift_and_tol_before_any_work(options, monkeypatch):
    """Not a table of "not run: ValueError" rows: the call itself is refused."""
    import kronlap.compare.comparison as compare_module

    def no_problem(*args, **kwargs):
        raise AssertionError("the work started")

    monkeypatch.setattr(compare_module, "manufactured_problem", no_problem)
    name = next(iter(options))
    with pytest.raises(ValueError, match=name):
        compare(kl.Grid((8, 8)), ["fft"], repeat=1, isolate=False, **options)


def test_compare_and_scaling_refuse_grids_larger_than_memory(monkeypatch):
    """Estimated and refused before allocating; scaling before its first size runs."""
    import kronlap._memory
    import kronlap.compare.comparison as compare_module

    monkeypatch.setattr(kronlap._memory, "available_memory", lambda: 100_000)
    with pytest.raises(MemoryError, match=r"\(64, 64\) grid needs about"):
        compare(kl.Grid((64, 64)), ["fft"], repeat=1, isolate=False)
    assert compare_module.check_comparison_memory(kl.Grid((8, 8))) < 100_000
    calls = []
    monkeypatch.setattr(compare_module, "compare", lambda grid, *a, **k: calls.append(grid))
    with pytest.raises(MemoryError, match=r"\(64, 64\) grid"):
        scaling([8, 64], 2, ["fft"])
    assert calls == []
