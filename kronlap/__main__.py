"""``python -m kronlap``: the ``kronlap`` command."""

import sys

from .compare.cli import main

sys.exit(main())
