"""Key rotation, the hub's side: a node switches to new keys, proving it holds them; the old
ones stop working at once (``nodes.replace_keys``)."""

from __future__ import annotations

import base64
import binascii

from cryptography.exceptions import InvalidSignature

from sync import BadSignature, PublicKeys, rotation_proof

from .. import nodes
from .context import HubContext
from .envelopes import open_request, seal_reply


def rotate(ctx: HubContext, body: bytes) -> bytes:
    """Switch a node to new keys. The request is signed with its current key (or, when a
    retry finds the switch already made, with the new one) and carries a signature by the new
    key over its id and the old fingerprint; the answer is sealed to the new keys."""
    node, payload = open_request(ctx, body, "rotate")
    info = payload.get("info") or {}
    new = PublicKeys.from_json(info.get("keys") or {})
    if new.fingerprint != node.keys.fingerprint:
        try:
            proof = base64.b64decode(str(info.get("proof", "")), validate=True)
            new.verifier().verify(proof, rotation_proof(node.node_id, node.keys.fingerprint))
        except (InvalidSignature, ValueError, binascii.Error) as exc:
            raise BadSignature("Bằng chứng giữ khóa mới không hợp lệ.") from exc
        nodes.replace_keys(ctx.conn, node.node_id, new)
    reply = {"kind": "rotated", "info": {"node_id": node.node_id, "fingerprint": new.fingerprint}}
    return seal_reply(ctx, reply, node.node_id, new, "rotated")
