"""The ward's link to the hub (docs/sync.md): enrolling the node, the sync sessions and the
background worker that runs them, key rotation, the offline transfer by file, and what a
restore leaves to renumber. The engine itself is ``sync/``; this is the ward's side of it.

- ``enrollment.py``: ``ward-node init``: the token, the hub's pinned keys, the node's own
  (:func:`enroll` alone gives them without a store: the fleet benchmark's nodes);
- ``session.py``: one sync session (push and pull under the sync lock); the node's identity;
- ``worker.py``: the background thread that syncs on a timer and on request;
- ``rotation.py``: replacing the node's keys, and finishing a rotation cut short;
- ``transfer.py``: changes and acknowledgements carried on a file when the network is down;
- ``recovery.py``: after a restore, renumbering what the hub already numbered otherwise;
- ``pages.py``, ``api.py``: the sync page and ``/api/v1/sync`` (the tray's calls).
"""

from __future__ import annotations

from .enrollment import TOKEN_PREFIX, Enrolled, enroll, init_node, parse_token
from .recovery import renumber
from .rotation import rotate_keys
from .session import node_summary, run_sync
from .transfer import export_changes, import_changes
from .worker import SyncWorker

__all__ = [
    "TOKEN_PREFIX",
    "Enrolled",
    "SyncWorker",
    "enroll",
    "export_changes",
    "import_changes",
    "init_node",
    "node_summary",
    "parse_token",
    "renumber",
    "rotate_keys",
    "run_sync",
]
