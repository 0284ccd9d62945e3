"""Run the node's command line as ``python -m ward_node``."""

import sys

from .cli import main

sys.exit(main())
