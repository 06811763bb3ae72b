"""The ``kronlap`` command under hostile use: bad arguments are refused before any work.

A refusal is argparse's: usage, one ``error:`` line naming the argument and
what was expected, exit status 2, nothing run and nothing written. A run in
which every method failed exits with status 1. The command runs in-process
(``cli.main``); the solvers are replaced by a stand-in that fails the test if
the work starts.
"""

import json

import pytest

from kronlap import _memory
from kronlap.compare import cli


def run(args, capsys):
    """``(exit status, stdout, stderr)`` of ``kronlap ARGS``."""
    try:
        code = cli.main(args)
    except SystemExit as exc:
        code = exc.code
    out, err = capsys.readouterr()
    return code, out, err


def assert_refused(result, *words):
    """Exit 2, nothing printed to stdout, exactly one ``error:`` line, naming ``words``."""
    code, out, err = result
    assert "Traceback" not in err
    errors = [line for line in err.splitlines() if "error:" in line]
    assert len(errors) == 1, err
    for word in words:
        assert word in errors[0], errors[0]
    assert code == 2, err
    assert out == ""
    return errors[0]


@pytest.fixture
def no_work(monkeypatch):
    """The comparison and the scaling run must not start."""

    def refuse(*args, **kwargs):
        raise AssertionError("the work started")

    monkeypatch.setattr(cli, "compare", refuse)
    monkeypatch.setattr(cli, "scaling", refuse)


@pytest.fixture
def one_gib(monkeypatch):
    """The machine has 1 GiB available, whatever it really has."""
    monkeypatch.setattr(_memory, "available_memory", lambda: 2**30)


# Issue row 18: output paths are checked first.


def test_compare_json_naming_a_directory_is_refused(tmp_path, capsys, no_work):
    assert_refused(run(["compare", "--shape", "8", "8", "--json", str(tmp_path)], capsys),
                   "argument --json", "is a directory")
    assert list(tmp_path.iterdir()) == []


def test_compare_json_in_a_missing_directory_is_refused(tmp_path, capsys, no_work):
    path = tmp_path / "missing" / "dir" / "x.json"
    assert_refused(run(["compare", "--shape", "8", "8", "--json", str(path)], capsys),
                   "argument --json", "does not exist")
    assert not (tmp_path / "missing").exists()


def test_compare_json_below_a_file_is_refused(tmp_path, capsys, no_work):
    (tmp_path / "afile").write_text("keep")
    path = tmp_path / "afile" / "x.json"
    assert_refused(run(["compare", "--shape", "8", "8", "--json", str(path)], capsys),
                   "argument --json", "is not a directory")
    assert (tmp_path / "afile").read_text() == "keep"


def test_scaling_json_naming_a_directory_is_refused(tmp_path, capsys, no_work):
    assert_refused(run(["scaling", "--sizes", "8", "16", "--json", str(tmp_path)], capsys),
                   "argument --json", "is a directory")


@pytest.mark.parametrize("command",
                         [["compare", "--shape", "8", "8"], ["scaling", "--sizes", "8"]])
def test_plot_in_a_missing_directory_is_refused(command, tmp_path, capsys, no_work):
    path = tmp_path / "out" / "chart"
    assert_refused(run([*command, "--plot", str(path)], capsys),
                   "argument --plot", "does not exist")
    assert not (tmp_path / "out").exists()


def test_plot_with_a_format_matplotlib_cannot_write_is_refused(tmp_path, capsys, no_work):
    path = tmp_path / "chart.xyz"
    assert_refused(run(["compare", "--shape", "8", "8", "--plot", str(path)], capsys),
                   "argument --plot", "'xyz'", ".png")


def test_demo_out_naming_an_existing_file_is_refused(tmp_path, capsys, no_work):
    path = tmp_path / "afile"
    path.write_text("keep")
    assert_refused(run(["demo", "--out", str(path), "--size", "8"], capsys),
                   "argument --out", "not a directory")
    assert path.read_text() == "keep"


def test_demo_out_below_a_file_is_refused(tmp_path, capsys, no_work):
    (tmp_path / "afile").write_text("keep")
    out = tmp_path / "afile" / "sub"
    assert_refused(run(["demo", "--out", str(out), "--size", "8"], capsys),
                   "argument --out", "cannot create")
    assert (tmp_path / "afile").read_text() == "keep"


# Issue row 19: the path printed is the path written.


def test_compare_plot_without_extension_reports_the_file_written(tmp_path, capsys):
    code, out, err = run(["compare", "--shape", "8", "8", "--methods", "fft", "--repeat", "1",
                          "--plot", str(tmp_path / "chart")], capsys)
    assert code == 0, err
    assert (tmp_path / "chart.png").stat().st_size > 0
    assert f"wrote {tmp_path / 'chart.png'}" in out.splitlines()
    assert not (tmp_path / "chart").exists()


def test_scaling_plot_without_extension_reports_the_file_written(tmp_path, capsys):
    code, out, err = run(["scaling", "--sizes", "4", "8", "--methods", "fft",
                          "--plot", str(tmp_path / "slopes")], capsys)
    assert code == 0, err
    assert (tmp_path / "slopes.png").stat().st_size > 0
    assert f"wrote {tmp_path / 'slopes.png'}" in out.splitlines()


# Issue row 20: grids too large for the memory are refused before allocating.


def test_compare_refuses_a_grid_larger_than_memory(capsys, no_work, one_gib):
    line = assert_refused(run(["compare", "--shape", "100000", "100000", "--methods", "fft"],
                              capsys), "argument --shape", "(100000, 100000)", "GiB")
    assert "894.1 GiB" in line and "1.0 GiB is available" in line


def test_scaling_refuses_a_size_larger_than_memory_before_the_small_ones(capsys, no_work,
                                                                         one_gib):
    assert_refused(run(["scaling", "--sizes", "8", "100000", "--methods", "fft"], capsys),
                   "argument --sizes", "(100000, 100000)", "GiB")


@pytest.mark.parametrize("option", ["--size", "--scaling-sizes"])
def test_demo_refuses_sizes_larger_than_memory(option, tmp_path, capsys, no_work, one_gib):
    out = tmp_path / "demo"
    assert_refused(run(["demo", "--out", str(out), option, "100000"], capsys),
                   f"argument {option}", "GiB")
    assert not out.exists()


# Issue row 21: bad numbers are refused up front; a run where every method failed fails.


@pytest.mark.parametrize(
    "option, value",
    [("--shift", "nan"), ("--shift", "inf"), ("--shift", "-inf"), ("--tol", "0"),
     ("--tol", "-1e-8"), ("--tol", "1"), ("--tol", "nan"), ("--tol", "tight")],
)
def test_compare_refuses_bad_shift_and_tol(option, value, capsys, no_work):
    # OPTION=VALUE: argparse takes a lone "-inf" or "-1e-8" for an option
    assert_refused(run(["compare", "--shape", "8", "8", f"{option}={value}"], capsys),
                   f"argument {option}: expected", repr(value))


@pytest.mark.parametrize(
    "args, bad",
    [
        (["compare", "--repeat", "0"], "0"),
        (["compare", "--repeat", "-2"], "-2"),
        (["compare", "--repeat", "x"], "x"),
        (["compare", "--shape", "0", "4"], "0"),
        (["compare", "--shape", "-3"], "-3"),
        (["compare", "--shape", "4", "4.5"], "4.5"),
        (["scaling", "--sizes", "0"], "0"),
        (["scaling", "--sizes", "1", "8"], "1"),
        (["scaling", "--sizes", "-5"], "-5"),
        (["demo", "--size", "0"], "0"),
        (["demo", "--scaling-sizes", "1"], "1"),
    ],
)
def test_non_positive_counts_are_refused(args, bad, capsys, no_work):
    option = next(arg for arg in reversed(args) if arg.startswith("--"))
    assert_refused(run(args, capsys), f"argument {option}: expected", bad)


def test_compare_where_every_method_failed_exits_1_and_writes_nothing(tmp_path, capsys):
    code, out, err = run(["compare", "--shape", "8", "8", "--coeff", "smooth", "--methods",
                          "fft", "eig", "--repeat", "1", "--json", str(tmp_path / "r.json"),
                          "--plot", str(tmp_path / "c.png")], capsys)
    errors = [line for line in err.splitlines() if "error:" in line]
    assert code == 1, err
    assert len(errors) == 1 and "every method failed" in errors[0], err
    assert "Traceback" not in err
    assert out.count("not run:") == 2
    assert list(tmp_path.iterdir()) == []


def test_scaling_where_every_method_failed_exits_1(tmp_path, capsys, monkeypatch):
    def failing(sizes, dim, methods, **options):
        records = [{"method": m, "shape": [n] * dim, "status": "failed", "reason": "no"}
                   for n in sizes for m in methods]
        return records, {}

    monkeypatch.setattr(cli, "scaling", failing)
    code, out, err = run(["scaling", "--sizes", "8", "16", "--methods", "fft",
                          "--json", str(tmp_path / "r.json")], capsys)
    errors = [line for line in err.splitlines() if "error:" in line]
    assert code == 1, err
    assert len(errors) == 1 and "every method failed" in errors[0], err
    assert not (tmp_path / "r.json").exists()


def test_compare_json_is_still_written_where_a_method_ran(tmp_path, capsys):
    path = tmp_path / "r.json"
    code, out, err = run(["compare", "--shape", "8", "8", "--coeff", "smooth", "--methods",
                          "fft", "cg", "--repeat", "1", "--json", str(path)], capsys)
    assert code == 0, err
    assert [r["status"] for r in json.loads(path.read_text())] == ["failed", "ok"]
    assert f"wrote {path}" in out.splitlines()
