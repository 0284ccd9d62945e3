"""The ward nodes enrolled with the hub and what the hub keeps of each: enrollment tokens and
the registry of nodes (``registry.py``), changes held for a clock ahead (``held.py``), the sync
history (``sync_history.py``), what waits for a node's upgrade (``upgrades.py``), and the list
of nodes in the administrators' JSON API (``api.py``)."""

from .api import bp
from .registry import (
    Node,
    active_node,
    cancel_token,
    create_cancelled_column,
    find_node,
    get_node,
    list_nodes,
    make_token,
    pending_tokens,
    record_status,
    redeem,
    replace_keys,
    request_rotation,
    revoke_unit,
)

BLUEPRINTS = [bp]

__all__ = [
    "BLUEPRINTS",
    "Node",
    "active_node",
    "cancel_token",
    "create_cancelled_column",
    "find_node",
    "get_node",
    "list_nodes",
    "make_token",
    "pending_tokens",
    "record_status",
    "redeem",
    "replace_keys",
    "request_rotation",
    "revoke_unit",
]
