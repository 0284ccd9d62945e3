"""The dossier operations of the request being served: how the views (the dossier API and
pages, the desk's pages) reach :class:`~ward_node.dossiers.service.Dossiers`, and the address
where citizens look a dossier up."""

from __future__ import annotations

from flask import current_app

from sync import get_meta

from ..web import db, state
from .service import Dossiers


def dossiers() -> Dossiers:
    """The dossier operations for this request (with the public look-up address for SMS)."""
    return Dossiers(db(), state().clock, lookup_template())


def lookup_template() -> str:
    """Where citizens look a dossier up, ``{code}`` standing for its code: the ward's
    ``PUBLIC_LOOKUP_URL`` when set, else the hub's portal as the hub told it at the last pull
    (``{portal_url}/tra-cuu/{code}``), else ``""``: no address is known that a citizen can
    reach from outside the ward's network, and none is printed (never the ward's own)."""
    configured = str(current_app.config.get("PUBLIC_LOOKUP_URL") or "").strip()
    if configured:
        return configured
    portal = get_meta(db(), "sync.portal_url")
    return f"{str(portal).rstrip('/')}/tra-cuu/{{code}}" if portal else ""
