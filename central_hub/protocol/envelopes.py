"""The envelopes of the node protocol at the hub: every request is an envelope a node sealed
to the hub and signed (``sync.seal``), every answer one the hub seals to the node. A request
is opened only from an active node with the keys on record, of the kind the address expects;
its payload is bounded before it is parsed (docs/security.md, "Resource bounds")."""

from __future__ import annotations

import uuid
from typing import Any

from sync import (
    ChangesetError,
    PayloadTooLarge,
    PublicKeys,
    TamperedEnvelope,
    open_envelope,
    pack_payload,
    seal,
    unpack_payload,
    validate,
)

from .. import nodes
from .context import HubContext


def open_from_node(ctx: HubContext, body: bytes, kind: str) -> tuple[nodes.Node, bytes]:
    """Open an envelope of ``kind`` sent by an active node; return the node and the payload
    (unknown, revoked or mismatched senders, another kind, any tampering: refused)."""
    holder: dict[str, nodes.Node] = {}
    ctx.sender = None

    def sender(header: dict[str, Any]) -> PublicKeys:
        node = nodes.active_node(ctx.conn, header)
        holder["node"] = node
        return node.keys

    opened = open_envelope(body, keys=ctx.keys, sender_keys=sender)
    ctx.sender = holder["node"]  # its signature verified: refusals from here are its own
    if opened.header["kind"] != kind:
        raise TamperedEnvelope(f"Phong bì loại '{opened.header['kind']}' gửi nhầm chỗ '{kind}'.")
    return holder["node"], opened.payload


def open_request(ctx: HubContext, body: bytes, kind: str) -> tuple[nodes.Node, dict[str, Any]]:
    """Open a node's envelope of ``kind`` and its changeset payload, within the hub's limits
    (:class:`PayloadTooLarge`) and checked against ``schemas/changeset.json``."""
    node, raw = open_from_node(ctx, body, kind)
    # An honest change is about 40 values (fields, bases, an applicant); a ward sends at most
    # 250,000 in a push (sync/session.py). Each costs Python 50 to 90 bytes once parsed.
    payload = unpack_payload(raw, max_size=ctx.max_inflated, max_values=ctx.max_push_changes * 60)
    changes = payload.get("changes") if isinstance(payload, dict) else None
    if isinstance(changes, list) and len(changes) > ctx.max_push_changes:
        raise PayloadTooLarge(
            f"Gói có {len(changes)} thay đổi, nhiều hơn {ctx.max_push_changes} thay đổi máy chủ "
            "trung tâm nhận trong một lần gửi.",
            code="too_many_changes",
        )
    validate("changeset", payload)
    if payload["kind"] != kind:
        raise ChangesetError(f"Gói thay đổi loại '{payload['kind']}' gửi nhầm chỗ '{kind}'.")
    return node, payload


def seal_reply(
    ctx: HubContext, reply: dict[str, Any], to: str, keys: PublicKeys, kind: str
) -> bytes:
    """``reply`` packed and sealed from the hub to node ``to`` (its ``keys``) as ``kind``."""
    return seal(
        pack_payload(reply),
        sender=ctx.hub_id,
        keys=ctx.keys,
        recipient=to,
        recipient_keys=keys,
        kind=kind,
        envelope_id=str(uuid.uuid4()),
    )
