"""The documentation builds, and the code on its pages runs and prints what it says.

Every ``pycon`` block of a page in ``docs/`` is a doctest; the blocks of one
page run in order in one namespace, like a reader typing them in. The
``{plot}`` figures run when Sphinx builds the site, which is done here with
warnings as errors (a figure whose code fails is a warning), and so do the
scripts in ``examples/``: sphinx-gallery runs each one and its page shows
the pictures it wrote (a script that fails fails the build).
"""

from __future__ import annotations

import doctest
import re
import subprocess
import sys
from pathlib import Path

import pytest

import kronlap

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
PAGES = sorted(p for p in DOCS.rglob("*.md") if "build" not in p.relative_to(DOCS).parts)
EXAMPLES = sorted((ROOT / "examples").glob("*.py"))

FENCE = re.compile(
    r"^(?P<fence>```+|~~~+)(?P<info>[^\n]*)\n(?P<body>.*?)^(?P=fence)[ \t]*$", re.M | re.S
)
OPTIONS = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE


def _blocks(text: str):
    """``(language, first line, body)`` of every fenced block of a MyST page."""
    for match in FENCE.finditer(text):
        info = match["info"].strip()
        line = text.count("\n", 0, match.start("body")) + 1
        yield info, line, match["body"]


def _doctest_text(page: Path) -> str:
    """The page's ``pycon`` blocks, each at its own line number, other lines blank."""
    text = page.read_text()
    lines = [""] * (text.count("\n") + 1)
    for info, line, body in _blocks(text):
        if info == "pycon":
            for k, code in enumerate(body.splitlines()):
                lines[line - 1 + k] = code
    return "\n".join(lines)


def _has_examples(page: Path) -> bool:
    return any(info == "pycon" for info, _, _ in _blocks(page.read_text()))


EXAMPLE_PAGES = [p for p in PAGES if _has_examples(p)]
IDS = [p.relative_to(DOCS).as_posix() for p in PAGES]
EXAMPLE_IDS = [p.relative_to(DOCS).as_posix() for p in EXAMPLE_PAGES]


def test_every_theory_and_tutorial_page_has_examples():
    names = {p.relative_to(DOCS).as_posix() for p in PAGES}
    assert {"index.md", "theory/convolution.md", "tutorials/poisson.md"} <= names
    for page in PAGES:
        section = page.relative_to(DOCS).parts[0]
        if section in ("theory", "tutorials") and page.name != "index.md":
            assert page in EXAMPLE_PAGES, f"{page.name} has no pycon examples"


@pytest.mark.parametrize("page", PAGES, ids=IDS)
def test_page_code_blocks_are_checked(page):
    """Python on a page is a ``pycon`` doctest, so it runs here; nothing escapes."""
    for info, line, body in _blocks(page.read_text()):
        if info in ("python", "py", "python3", "ipython"):
            pytest.fail(f"{page.name}:{line}: write Python as a pycon block (>>> prompts)")
        if info == "pycon":
            assert body.lstrip().startswith(">>>"), f"{page.name}:{line}: no >>> prompt"
            for k, code in enumerate(body.splitlines()):
                assert len(code) <= 90, f"{page.name}:{line + k}: longer than 90 characters"


@pytest.mark.parametrize("page", EXAMPLE_PAGES, ids=EXAMPLE_IDS)
def test_page_examples_run(page, monkeypatch):
    monkeypatch.chdir(page.parent)
    text = _doctest_text(page)
    test = doctest.DocTestParser().get_doctest(
        text, {"__name__": "__doc__"}, page.name, str(page), 0
    )
    runner = doctest.DocTestRunner(optionflags=OPTIONS)
    report = []
    runner.run(test, out=report.append)
    assert runner.failures == 0, "".join(report)


def test_doctest_runner_reports_a_wrong_output(tmp_path):
    """The page runner fails on a page whose printed output is wrong."""
    page = tmp_path / "wrong.md"
    page.write_text("Text.\n\n```pycon\n>>> 1 + 1\n3\n```\n")
    text = _doctest_text(page)
    test = doctest.DocTestParser().get_doctest(text, {}, page.name, str(page), 0)
    runner = doctest.DocTestRunner(optionflags=OPTIONS)
    runner.run(test, out=lambda _: None)
    assert runner.failures == 1


def test_sphinx_build(tmp_path):
    """``sphinx-build -W`` builds every page, figures and API reference included."""
    pytest.importorskip("sphinx")
    out = tmp_path / "html"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "sphinx",
            "-W",
            "--keep-going",
            "-b",
            "html",
            "-q",
            "-d",
            str(tmp_path / "doctrees"),
            str(DOCS),
            str(out),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={"MPLBACKEND": "Agg", **_env()},
    )
    assert result.returncode == 0, result.stdout + result.stderr
    for page in PAGES:
        html = out / page.relative_to(DOCS).with_suffix(".html")
        assert html.is_file(), f"{html} not built"
    api = (out / "api" / "solvers.html").read_text()
    assert 'id="kronlap.solve_poisson"' in api and "Examples" in api
    # Every public name has its entry in the API reference.
    reference = "".join(page.read_text() for page in (out / "api").glob("*.html"))
    for namespace, module in (("kronlap", kronlap), ("kronlap.image", kronlap.image)):
        for name in module.__all__:
            if callable(getattr(module, name)):
                entry = f"{namespace}.{name}"
                assert f'id="{entry}"' in reference, f"{entry} is not in the API reference"
    # Math is typeset by the MathJax copied next to the pages, not by a CDN.
    theory = (out / "theory" / "kronecker.html").read_text()
    assert "_static/mathjax/tex-chtml.js" in theory
    assert (out / "_static" / "mathjax" / "tex-chtml.js").is_file()
    assert "cdn.jsdelivr" not in theory
    assert r"\(" in theory or r"\[" in theory
    # Figures are drawn at build time and shown on the pages.
    images = re.findall(r'<img[^>]+src="([^"]+\.png)"', theory)
    assert images, "no figure on the Kronecker page"
    for src in images:
        assert (out / "theory" / src).resolve().is_file(), src
    # The look of numpy's and scipy's docs.
    assert "pydata-sphinx-theme.css" in (out / "index.html").read_text()
    # The gallery: a page per example; a script that writes pictures (it has
    # --out) shows them and what it printed on its page, the heat GIF included.
    gallery = (out / "auto_examples" / "index.html").read_text()
    assert 'href="auto_examples/index.html"' in (out / "index.html").read_text()
    for script in EXAMPLES:
        page = out / "auto_examples" / f"{script.stem}.html"
        assert page.is_file(), f"no gallery page for examples/{script.name}"
        assert f"{script.stem}.html" in gallery
        if '"--out"' in script.read_text():
            html = page.read_text()
            pictures = re.findall(r'<img[^>]+src="([^"]+\.(?:png|gif))"', html)
            assert pictures, f"no picture on the page of examples/{script.name}"
            for src in pictures:
                assert (page.parent / src).resolve().is_file(), src
            assert "sphx-glr-script-out" in html, f"no printed output for {script.name}"
    heat_2d = (out / "auto_examples" / "heat_2d.html").read_text()
    assert re.search(r'<img[^>]+src="[^"]+\.gif"', heat_2d), "the heat animation is missing"


def _env():
    import os

    return {k: v for k, v in os.environ.items() if k != "MPLBACKEND"}
