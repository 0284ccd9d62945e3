"""Enrollment, the hub's side (docs/security.md, "Enrollment"): the hub's public identity a
node pins (:func:`hello`) and the registration of a node's keys from a one-time token."""

from __future__ import annotations

import base64
import binascii
from typing import Any

from sync import PublicKeys, ValidationError, loads_bounded, open_envelope, unpack_payload, validate

from .. import nodes
from ..store import records
from .context import HubContext, now_ms
from .envelopes import seal_reply


def hello(ctx: HubContext, name: str) -> dict[str, Any]:
    """The hub's public identity: what a node pins at enrollment."""
    return {
        "hub_id": ctx.hub_id,
        "name": name,
        "keys": ctx.keys.public.to_json(),
        "fingerprint": ctx.keys.public.fingerprint,
        "time_ms": now_ms(),
    }


def enroll(ctx: HubContext, body: bytes, software: str = "") -> bytes:
    """Register a node from a one-time token; answer sealed to the node's new keys.

    The request is ``{"keys": {...}, "envelope": base64}``: the envelope is signed with the
    node's new key and sealed to the hub, so only the hub reads the token's secret and a man
    in the middle can neither learn it nor swap in his own keys.
    """
    try:
        request = loads_bounded(body)
        node_keys = PublicKeys.from_json(request["keys"])
        envelope = base64.b64decode(request["envelope"], validate=True)
    except (ValueError, KeyError, TypeError, binascii.Error) as exc:
        raise ValidationError("Yêu cầu đăng ký sai cấu trúc.", field="body") from exc
    opened = open_envelope(envelope, keys=ctx.keys, sender_keys=lambda _h: node_keys)
    payload = unpack_payload(opened.payload, max_size=64 * 1024)
    validate("changeset", payload)
    info = payload.get("info") or {}
    if payload["kind"] != "enroll" or not isinstance(info.get("secret"), str):
        raise ValidationError("Yêu cầu đăng ký thiếu mã bí mật.", field="info.secret")
    node = nodes.redeem(
        ctx.conn,
        unit=str(info.get("unit")),
        secret=info["secret"],
        keys=node_keys,
        software=str(info.get("software", software))[:64],
    )
    unit_name = records.unit_name(ctx.conn, node.unit)
    reply = {
        "kind": "enrolled",
        "info": {
            "node_id": node.node_id,
            "unit": node.unit,
            "unit_name": unit_name if unit_name is not None else node.unit,
            "hub_id": ctx.hub_id,
        },
        "clock_ms": now_ms(),
    }
    return seal_reply(ctx, reply, node.node_id, node_keys, "enrolled")
