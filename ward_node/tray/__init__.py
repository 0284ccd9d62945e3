"""``ward-tray``: the ward's sync status in the system tray of every front-desk PC (issue #5).

The tray runs on the desk PCs, Windows ones included, without the node's server: nothing here
imports Flask, the store or the sync engine (a test keeps it so). ``python -m ward_node.tray``
(``pythonw.exe -m ward_node.tray`` on Windows) and the ``ward-tray`` script both run
:func:`main`.

- ``state.py``: what to show for a status of the node (pure);
- ``icons.py``: the icons, drawn with Pillow;
- ``client.py``: the calls to the node (login, status, pause, resume, sync now);
- ``app.py``: the pystray glue, polling in a thread;
- ``config.py``: settings from flags, environment and the config folder; the autostart entry;
- ``cli.py``: the command line.
"""

from .app import TrayApp
from .cli import main
from .client import BadReply, LoginFailed, NodeClient, NodeUnreachable, NodeUntrusted

__all__ = [
    "BadReply",
    "LoginFailed",
    "NodeClient",
    "NodeUnreachable",
    "NodeUntrusted",
    "TrayApp",
    "main",
]
