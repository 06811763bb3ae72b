"""Sphinx configuration of the kronlap documentation.

Build with ``python -m sphinx -W --keep-going -b html docs docs/build/html``
after ``pip install -e ".[docs]"``. Pages are MyST markdown; their ``pycon``
examples run in ``tests/test_docs.py`` and their ``{plot}`` figures are drawn
by matplotlib at build time, so neither can go stale. The scripts in
``examples/`` become the gallery (sphinx-gallery): each one runs while the
docs are built and its page shows its code, what it printed and the pictures
it wrote. Math is typeset by a MathJax 3 copy that ships inside the
``sphinx-mathjax-offline`` package and is copied next to the pages: they
render without a network. The theme is pydata-sphinx-theme, numpy's and
scipy's.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent / "_ext"))

project = "kronlap"
author = "kronlap developers"
copyright = "kronlap developers"  # noqa: A001 (Sphinx's name)
release = importlib.metadata.version("kronlap")
version = release

extensions = [
    "myst_parser",
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "sphinx-mathjax-offline",  # MathJax from the package, not a CDN
    "numpydoc",
    "matplotlib.sphinxext.plot_directive",
    "kronlap_cli",  # docs/_ext: the kronlap command's output, run at build time
    "sphinx_gallery.gen_gallery",
]

# Pages are MyST markdown; the gallery's pages are reStructuredText that
# sphinx-gallery writes into auto_examples/ (generated, not committed).
source_suffix = {".md": "markdown", ".rst": "restructuredtext"}
root_doc = "index"
exclude_patterns = ["build", "_build", "_ext", "Thumbs.db", ".DS_Store"]

myst_enable_extensions = ["dollarmath", "amsmath", "colon_fence"]
myst_heading_anchors = 3

# API reference: numpydoc renders the sections; members are listed by
# autodoc's :members: on each class, so numpydoc's own member tables (which
# would need generated stub pages) are off.
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
autodoc_typehints = "none"
autodoc_member_order = "bysource"
autosummary_generate = False

# Figures: drawn when the docs are built, from the code shown next to them.
plot_include_source = True
plot_html_show_source_link = False
plot_html_show_formats = False
plot_formats = [("png", 96)]
plot_rcparams = {"figure.figsize": (6.4, 3.6), "font.size": 9}
plot_pre_code = "import numpy as np\nimport matplotlib.pyplot as plt\nimport kronlap as kl\n"

# The gallery: every script in examples/ runs at build time (a failing one
# fails the build) with the command line that docs/_ext/kronlap_gallery.py
# gives it: ``--out`` into a temporary folder, whose pictures the page shows.
# The MPI example runs in this one process (one rank) where mpi4py-fft is
# installed (``pip install ".[mpi]"``); without it its page shows the code
# but does not run it, instead of failing the build.
_has_mpi = all(importlib.util.find_spec(name) for name in ("mpi4py", "mpi4py_fft"))
sphinx_gallery_conf = {
    "examples_dirs": "../examples",
    "gallery_dirs": "auto_examples",
    # Scripts whose path matches run (all of them), the others are shown unrun.
    "filename_pattern": r"\.py$" if _has_mpi else r"[\\/](?!distributed_)[^\\/]+\.py$",
    "reset_argv": "kronlap_gallery.reset_argv",
    "image_scrapers": ("matplotlib", "kronlap_gallery.scrape_written_pictures"),
    "within_subsection_order": "FileNameSortKey",
}

html_theme = "pydata_sphinx_theme"
html_title = "kronlap"
html_theme_options = {
    "logo": {"text": "kronlap"},
    "navbar_align": "left",
    "header_links_before_dropdown": 6,
    "navigation_depth": 3,
    "show_nav_level": 1,
    "show_toc_level": 2,
    "secondary_sidebar_items": ["page-toc"],
    "footer_start": ["copyright"],
    "footer_end": [],
}
html_sidebars = {"index": []}  # the front page has its toctree on the page
html_show_sourcelink = False
html_static_path = ["_static"]
html_css_files = ["custom.css"]
