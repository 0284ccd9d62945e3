"""Key rotation of a ward node, without losing a pending change.

The new keys are written to ``keys.next`` before anything is sent, and the request is signed
with the current key and carries a proof made with the new one. The hub switches the node's
keys in one transaction and answers sealed to the new keys; only then are the folders swapped
(``keys`` → ``keys.old`` → removed, ``keys.next`` → ``keys``). A crash at any point leaves a
state :func:`recover` finishes: pending changes never depend on which key signs them.
"""

from __future__ import annotations

import base64
import shutil
import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from sync import (
    HttpTransport,
    KeyPair,
    PublicKeys,
    RemoteRefused,
    atomic,
    get_meta,
    open_envelope,
    pack_payload,
    rotation_proof,
    seal,
    set_meta,
    unpack_payload,
    utcnow_iso,
    validate,
)

from ..store import identity, open_store


def pending(data_dir: Path) -> bool:
    """Whether a rotation was started and not finished (new keys wait in ``keys.next``)."""
    return (data_dir / "keys.next" / "sign.key").exists() and (data_dir / "keys").exists()


def requested(data_dir: Path) -> bool:
    """Whether the hub asked this node to rotate its keys (an administrator's request, passed
    on in the hub's last answer and kept in ``meta`` by ``sync.NodeSync``)."""
    conn = open_store(data_dir)
    try:
        return bool(get_meta(conn, "sync.rotate_requested", False))
    finally:
        conn.close()


def recover(data_dir: Path) -> None:
    """Finish a folder swap interrupted by a crash (the hub had already accepted the keys)."""
    keys, nxt, old = data_dir / "keys", data_dir / "keys.next", data_dir / "keys.old"
    if not keys.exists() and nxt.exists():
        nxt.rename(keys)
    if old.exists() and keys.exists():
        shutil.rmtree(old)


def rotate_keys(
    data_dir: Path,
    *,
    transport: HttpTransport | None = None,
    deadlines: Mapping[str, Any] | None = None,
) -> str:
    """Give the node new keys, registered with the hub; return the new fingerprint.

    ``deadlines``: the options of the transport made when none is given
    (``settings.hub_link``: the deadlines and the CA bundle).
    """
    recover(data_dir)
    current = KeyPair.load(data_dir / "keys")
    nxt_dir = data_dir / "keys.next"
    new = KeyPair.load(nxt_dir) if (nxt_dir / "sign.key").exists() else _fresh(nxt_dir)
    conn = open_store(data_dir)
    try:
        ident = identity(conn)
    finally:
        conn.close()
    transport = transport or HttpTransport(ident.hub.url, **(deadlines or {}))
    body = {
        "kind": "rotate",
        "info": {
            "keys": new.public.to_json(),
            "proof": base64.b64encode(
                new.sign.sign(rotation_proof(ident.node_id, current.public.fingerprint))
            ).decode(),
        },
    }
    envelope = seal(
        pack_payload(body),
        sender=ident.node_id,
        keys=current,
        recipient=ident.hub.hub_id,
        recipient_keys=ident.hub.keys,
        kind="rotate",
        envelope_id=str(uuid.uuid4()),
    )
    try:
        raw = transport.post("/sync/v1/rotate", envelope)
    except RemoteRefused as exc:
        if exc.code != "unknown_sender":
            raise
        # The hub may already hold the new keys (an earlier attempt crashed before the swap):
        # then an envelope signed with them is accepted.
        envelope = seal(
            pack_payload(body),
            sender=ident.node_id,
            keys=new,
            recipient=ident.hub.hub_id,
            recipient_keys=ident.hub.keys,
            kind="rotate",
            envelope_id=str(uuid.uuid4()),
        )
        raw = transport.post("/sync/v1/rotate", envelope)

    def hub_keys(_header: dict[str, Any]) -> PublicKeys:
        return ident.hub.keys

    reply = unpack_payload(
        open_envelope(raw, keys=new, sender_keys=hub_keys).payload, max_size=1 << 16
    )
    validate("changeset", reply)
    (data_dir / "keys").rename(data_dir / "keys.old")
    nxt_dir.rename(data_dir / "keys")
    shutil.rmtree(data_dir / "keys.old")
    conn = open_store(data_dir)
    try:
        with atomic(conn):
            set_meta(conn, "keys_rotated_at", utcnow_iso())
            set_meta(conn, "sync.rotate_requested", False)  # done; the hub cleared its request
    finally:
        conn.close()
    return new.public.fingerprint


def _fresh(folder: Path) -> KeyPair:
    keys = KeyPair.generate()
    keys.save(folder)
    return keys
