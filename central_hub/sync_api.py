"""The node protocol over HTTP (``/sync/v1``): bodies are envelopes, see ``schemas/``."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, jsonify, request

from sync import ENVELOPE_TYPE, SyncError
from webapp import check_rate

from . import ingest
from .ingest import HubContext
from .nodes import sync_history
from .web import db, state

bp = Blueprint("sync_protocol", __name__, url_prefix="/sync/v1")


def context() -> HubContext:
    """The protocol handlers' context for this request."""
    hub = state()
    return HubContext.from_settings(db(), hub.keys, hub.hub_id, hub.clock, current_app.config)


def _envelope(data: bytes) -> Response:
    return Response(data, content_type=ENVELOPE_TYPE)


@bp.get("/hello")
def hello() -> Response:
    """The hub's public keys and fingerprint, for a node to check against its token."""
    return jsonify(ingest.hello(context(), state().name))


@bp.post("/enroll")
def enroll() -> Response:
    """Register a node from a one-time token (see :func:`central_hub.ingest.enroll`).

    Anyone can send one, so each address may try only ``ENROLL_PER_MINUTE`` times a minute,
    counted before any work (docs/security.md, "Enrollment").
    """
    ctx = context()
    check_rate(
        ctx.conn,
        "enroll:" + (request.remote_addr or "?"),
        int(current_app.config["ENROLL_PER_MINUTE"]),
        message="Quá nhiều lần đăng ký nút từ địa chỉ này. Hãy đợi một phút rồi thử lại.",
    )
    return _envelope(ingest.enroll(ctx, request.get_data()))


@bp.post("/rotate")
def rotate() -> Response:
    """Switch a node to new keys (see :func:`central_hub.ingest.rotate`)."""
    return _envelope(ingest.rotate(context(), request.get_data()))


@bp.post("/push")
def push() -> Response:
    """Apply a node's changeset; answer with the signed acknowledgement."""
    body = request.get_data()
    ctx = context()
    try:
        return _envelope(ingest.push(ctx, body))
    except SyncError as exc:
        sync_history.record_refusal(ctx.conn, body, "push", exc, ctx.sender)
        raise


@bp.post("/pull")
def pull() -> Response:
    """Send the journal entries routed to the node after its cursor."""
    body = request.get_data()
    ctx = context()
    try:
        return _envelope(ingest.pull(ctx, body))
    except SyncError as exc:
        sync_history.record_refusal(ctx.conn, body, "pull", exc, ctx.sender)
        raise


@bp.post("/recover")
def recover() -> Response:
    """A node's own changes as the hub holds them (see :func:`central_hub.ingest.recover`)."""
    body = request.get_data()
    ctx = context()
    try:
        return _envelope(ingest.recover(ctx, body))
    except SyncError as exc:
        sync_history.record_refusal(ctx.conn, body, "recover", exc, ctx.sender)
        raise
