"""Run the tray as ``python -m ward_node.tray`` (``pythonw.exe -m ward_node.tray`` on Windows)."""

import sys

from .cli import main

sys.exit(main())
