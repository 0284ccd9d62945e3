"""The ward nodes enrolled with the hub and what the hub keeps of each: enrollment tokens and
the registry of nodes (``registry.py``), changes held for a clock ahead (``held.py``), the sync
history (``sync_history.py``), and what waits for a node's upgrade (``upgrades.py``)."""

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

__all__ = [
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
