"""``python -m gilbench``: the same as the ``gilbench`` command."""

import sys

from gilbench.cli import main

sys.exit(main())
