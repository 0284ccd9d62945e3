"""The dossier operations of the request being served: how the views (the dossier API and
pages, the desk's pages) reach :class:`~ward_node.dossiers.service.Dossiers`."""

from __future__ import annotations

from flask import current_app

from ..web import db, state
from .service import Dossiers


def dossiers() -> Dossiers:
    """The dossier operations for this request (with the ward's public lookup URL for SMS)."""
    return Dossiers(db(), state().clock, str(current_app.config.get("PUBLIC_LOOKUP_URL") or ""))
