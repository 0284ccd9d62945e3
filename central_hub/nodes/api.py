"""The enrolled nodes in the hub's JSON API for administrators (``GET /api/v1/nodes``)."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify

from ..store.nodes import list_nodes as registered_nodes
from ..web import db, require

bp = Blueprint("nodes_api", __name__, url_prefix="/api/v1")


@bp.get("/nodes")
@require()
def list_nodes() -> Response:
    """Every enrolled node, with its status and last contact."""
    return jsonify({"items": registered_nodes(db()), "next_cursor": None})
