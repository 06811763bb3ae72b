"""The gallery runs each example as a user does and shows the pictures it writes.

sphinx-gallery runs every script in ``examples/`` while the docs are built
(``sphinx_gallery_conf`` in ``conf.py`` names the two hooks below):

* :func:`reset_argv` gives each script its command line: ``--out`` with a
  fresh temporary folder for a script that has that option (so nothing is
  written into the source tree), plus the options in :data:`GALLERY_OPTIONS`.
* :data:`scrape_written_pictures` is an image scraper: after each code block
  it takes the pictures (PNG, GIF, JPEG, SVG) that the block wrote into that
  folder and puts them on the page under the block, in the order written.
  A GIF stays animated. Figures a script leaves open are shown by
  sphinx-gallery's own matplotlib scraper, which runs as well.

The scripts themselves know nothing of the gallery: what a page shows is
what ``python examples/NAME.py --out DIR`` writes into ``DIR``.
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
from pathlib import Path

from sphinx_gallery.scrapers import figure_rst

#: Options the gallery adds to a script's command line, by file name.
#: Each one makes the run shorter; the page prints the size it ran at, and
#: the script's docstring says that the gallery runs it so.
GALLERY_OPTIONS = {
    "compare_solvers.py": ["--n", "128"],  # 5 s instead of 35 s at its default 256
}

PICTURES = (".png", ".gif", ".jpg", ".jpeg", ".svg")

_out_dirs: dict[str, Path] = {}  # example source file -> the folder it writes into
_shown: dict[str, set[Path]] = {}  # example source file -> pictures already on its page


def _out_dir(src_file: str) -> Path:
    if src_file not in _out_dirs:
        folder = Path(tempfile.mkdtemp(prefix=f"kronlap-gallery-{Path(src_file).stem}-"))
        atexit.register(shutil.rmtree, folder, ignore_errors=True)
        _out_dirs[src_file] = folder
        _shown[src_file] = set()
    return _out_dirs[src_file]


def reset_argv(gallery_conf, script_vars):
    """The command line arguments of one example in the gallery (``sys.argv[1:]``)."""
    src_file = str(script_vars["src_file"])
    args = list(GALLERY_OPTIONS.get(Path(src_file).name, []))
    if '"--out"' in Path(src_file).read_text():
        args += ["--out", str(_out_dir(src_file))]
    return args


def scrape_written_pictures(block, block_vars, gallery_conf):
    """RST for the pictures that the code block just run wrote into its ``--out`` folder."""
    src_file = str(block_vars["src_file"])
    folder = _out_dirs.get(src_file)
    if folder is None:
        return ""
    shown = _shown[src_file]
    new = sorted(
        (p for p in folder.rglob("*") if p.suffix.lower() in PICTURES and p not in shown),
        key=lambda p: (p.stat().st_mtime_ns, p.name),
    )
    paths = []
    titles = []
    for picture, target in zip(new, block_vars["image_path_iterator"]):
        target = Path(target).with_suffix(picture.suffix.lower())
        shutil.copyfile(picture, target)
        shown.add(picture)
        paths.append(target)
        titles.append(picture.name)
    if not paths:
        return ""
    return figure_rst(paths, gallery_conf["src_dir"], ", ".join(titles))
