"""The node protocol over HTTP (``/sync/v1``): bodies are envelopes, see ``schemas/``."""

from __future__ import annotations

import time
from collections.abc import Callable

from flask import Blueprint, Response, current_app, g, jsonify, request

from sync import ENVELOPE_TYPE, SyncError
from webapp import check_rate

from ..metrics import observe
from ..store import sync_history
from ..web import state
from . import enroll as enrollment
from . import pull as pulling
from . import push as pushing
from . import recover as recovery
from . import rotate as rotation
from .context import HubContext

bp = Blueprint("sync_protocol", __name__, url_prefix="/sync/v1")


def _envelope(data: bytes) -> Response:
    return Response(data, content_type=ENVELOPE_TYPE)


@bp.get("/hello")
def hello() -> Response:
    """The hub's public keys and fingerprint, for a node to check against its token."""
    return jsonify(enrollment.hello(HubContext.for_request(), state().name))


@bp.post("/enroll")
def enroll() -> Response:
    """Register a node from a one-time token (see :func:`.enroll.enroll`).

    Anyone can send one, so each address may try only ``ENROLL_PER_MINUTE`` times a minute,
    counted before any work (docs/security.md, "Enrollment").
    """
    ctx = HubContext.for_request()
    check_rate(
        ctx.conn,
        "enroll:" + (request.remote_addr or "?"),
        int(current_app.config["ENROLL_PER_MINUTE"]),
        message="Quá nhiều lần đăng ký nút từ địa chỉ này. Hãy đợi một phút rồi thử lại.",
    )
    return _envelope(enrollment.enroll(ctx, request.get_data()))


@bp.post("/rotate")
def rotate() -> Response:
    """Switch a node to new keys (see :func:`.rotate.rotate`)."""
    ctx = HubContext.for_request()
    try:
        return _envelope(rotation.rotate(ctx, request.get_data()))
    finally:
        _note_node(ctx)


@bp.post("/push")
def push() -> Response:
    """Apply a node's changeset; answer with the signed acknowledgement."""
    return _answer("push", pushing.push)


@bp.post("/pull")
def pull() -> Response:
    """Send the journal entries routed to the node after its cursor."""
    return _answer("pull", pulling.pull)


@bp.post("/recover")
def recover() -> Response:
    """A node's own changes as the hub holds them (see :func:`.recover.recover`)."""
    return _answer("recover", recovery.recover)


def _answer(kind: str, handler: Callable[[HubContext, bytes], bytes]) -> Response:
    """``handler``'s sealed answer to this request's body; a refusal is recorded in the sync
    history under ``kind`` (the console shows it) before it is answered. Its duration and
    outcome go to the metrics (central_hub/metrics.py)."""
    started = time.perf_counter()
    body = request.get_data()
    ctx = HubContext.for_request()
    try:
        answer = _envelope(handler(ctx, body))
    except SyncError as exc:
        sync_history.record_refusal(ctx.conn, body, kind, exc, ctx.sender)
        observe(kind, started, exc.code)
        raise
    finally:
        _note_node(ctx)
    observe(kind, started)
    return answer


def _note_node(ctx: HubContext) -> None:
    # The access line names the node whose signature verified, never one a header claims
    # (docs/operations.md, "Logs").
    if ctx.sender is not None:
        g.access_node = ctx.sender.node_id
