"""The node protocol at the hub (``/sync/v1``, docs/sync.md): each verb in its module
(``enroll``, ``rotate``, ``push``, ``pull``, ``recover``, and ``blobs`` for files), what a
ward may write (``scope.py``), how its changes are applied (``apply.py``), the envelopes
(``envelopes.py``), the same verbs on files for an offline ward (``transfer.py``), and the
HTTP views (``views.py``, ``blobs.py``). Every verb takes and returns envelope bytes."""

from .blobs import bp as blobs_bp
from .context import HubContext
from .views import bp

BLUEPRINTS = [bp, blobs_bp]

__all__ = ["BLUEPRINTS", "HubContext"]
