"""The ward nodes enrolled with the hub: the registry and enrollment tokens, kept in
``store/nodes.py`` and ``store/enrollments.py`` (with held changes, the sync history and staged upgrades beside it in
``store/``), and the list of nodes in the administrators' JSON API (``api.py``)."""

from ..store.enrollments import (
    cancel_token,
    create_cancelled_column,
    make_token,
    pending_tokens,
    redeem,
)
from ..store.nodes import (
    Node,
    active_node,
    find_node,
    get_node,
    list_nodes,
    record_status,
    replace_keys,
    request_rotation,
    revoke_unit,
)
from .api import bp

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
