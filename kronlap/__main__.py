"""``python -m kronlap``: the ``kronlap`` command."""

import sys

from .cli import main

sys.exit(main())
