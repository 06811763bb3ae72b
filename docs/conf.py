"""Sphinx configuration of the kronlap documentation.

Build with ``python -m sphinx -W --keep-going -b html docs docs/build/html``
after ``pip install -e ".[docs]"``. Pages are MyST markdown; their ``pycon``
examples run in ``tests/test_docs.py`` and their ``{plot}`` figures are drawn
by matplotlib at build time, so neither can go stale. Math is typeset by a
MathJax 3 copy that ships inside the ``sphinx-mathjax-offline`` package and
is copied next to the pages: they render without a network.
"""

from __future__ import annotations

import importlib.metadata
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
]

source_suffix = {".md": "markdown"}
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

pygments_style = "sphinx"
html_theme = "alabaster"
html_theme_options = {
    "description": "Exact, fast Poisson solves on rectangular grids from Kronecker sums",
    "page_width": "1240px",
    "sidebar_width": "230px",
    "fixed_sidebar": True,
}
html_title = "kronlap"
html_show_sourcelink = False
html_static_path = ["_static"]  # custom.css, which alabaster loads
