"""The ``kronlap-cli`` directive: run the ``kronlap`` command at build time, show its output.

Usage in a MyST page::

    ```{kronlap-cli} compare --shape 128 128 --repeat 1
    :plot: compare.png
    ```

runs ``python -m kronlap compare --shape 128 128 --repeat 1 --plot <file>``
while the docs are built, shows the command and what it printed, and the
figure it wrote under it. A command that fails is a build warning (an error
under ``-W``), so the page cannot show output the tool no longer gives.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
from pathlib import Path

from docutils import nodes
from docutils.parsers.rst import directives
from sphinx.util.docutils import SphinxDirective


class KronlapCommand(SphinxDirective):
    required_arguments = 1
    final_argument_whitespace = True
    option_spec = {"plot": directives.unchanged, "alt": directives.unchanged}

    def run(self):
        args = shlex.split(self.arguments[0])
        image = None
        if "plot" in self.options:
            out_dir = Path(self.env.app.doctreedir).parent / "kronlap_cli" / self.env.docname
            out_dir.mkdir(parents=True, exist_ok=True)
            image = out_dir / self.options["plot"]
            args += ["--plot", str(image)]
        env = {**os.environ, "MPLBACKEND": "Agg"}
        result = subprocess.run(
            [sys.executable, "-m", "kronlap", *args],
            capture_output=True,
            text=True,
            env=env,
            timeout=300,
        )
        if result.returncode != 0:
            raise self.error(f"kronlap {self.arguments[0]} failed:\n{result.stderr}")
        shown = "\n".join(
            line for line in result.stdout.splitlines() if not line.startswith("wrote ")
        )
        text = f"$ kronlap {self.arguments[0]}\n{shown}"
        block = nodes.literal_block(text, text, language="console")
        out = [block]
        if image is not None:
            source_dir = Path(self.env.srcdir, self.env.docname).parent
            uri = os.path.relpath(image, source_dir)
            node = nodes.image(uri=uri, alt=self.options.get("alt", "kronlap " + args[0]))
            out.append(node)
        return out


def setup(app):
    app.add_directive("kronlap-cli", KronlapCommand)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
