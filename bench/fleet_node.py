"""A simulated ward node of the fleet benchmark: its own keys, cursor and change chain, and
the requests a ward node sends, sealed and opened with the engine's own functions.

A real node keeps its records in a store; a simulated one keeps only what the protocol needs
(the cursor, the chain tip of its own changes, whether the hub asked for its schemas), so
3,321 of them fit in two load-generator processes and leave the CPU to the hub. The bodies
are those of ``sync.NodeSync``: ``pull_envelope`` and ``push_envelope`` (docs/sync.md, "Push
and pull"); the answers are opened, verified and checked against ``schemas/changeset.json``
as a node does, then dropped.
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass, field
from typing import Any

from bench.common import dossier_rows
from sync import (
    Change,
    ChangesetError,
    HttpTransport,
    HubIdentity,
    HybridClock,
    KeyPair,
    PublicKeys,
    open_envelope,
    pack_payload,
    record_schemas,
    schema_fingerprint,
    seal,
    unpack_payload,
    validate,
)
from ward_node.sync_link import enroll

MAX_REPLY = 64 * 1024 * 1024
SOFTWARE = "wardsync fleet-bench"
PULL_CHUNK = 5000  # what NodeSync asks for (sync/session.py, chunk)


@dataclass
class SimNode:
    """One enrolled node: identity, keys, the hub it pinned, and its protocol state."""

    node_id: str
    unit: str
    keys: KeyPair
    hub: HubIdentity
    cursor: int = 0
    send_schemas: bool = False
    seq: int = 0
    tip: str | None = None
    clock: HybridClock = field(default_factory=HybridClock)

    # -- requests --------------------------------------------------------------------------

    def pull_body(self) -> bytes:
        """A sealed pull from the node's cursor, as ``NodeSync.pull_envelope`` makes it."""
        body = {
            "kind": "pull",
            "cursor": self.cursor,
            "limit": PULL_CHUNK,
            "status": self._status(),
        }
        return self._seal(body, "pull")

    def new_changes(self, count: int, rng: random.Random) -> list[Change]:
        """``count`` new dossier changes of the node's unit, chained after its tip (sent
        with :meth:`push_body`, the tip moves when the hub acknowledges them)."""
        changes = []
        prev = self.tip
        for i, row in enumerate(dossier_rows(count, unit=self.unit, seed=rng.randrange(1 << 30))):
            row["code"] = f"H57.{self.unit}-261207-{(self.seq + i + 1) % 10000:04d}"
            change = Change.linked(
                self.node_id,
                self.seq + i + 1,
                self.clock.tick(),
                "dossier",
                row["id"],
                self.unit,
                row,
                {},  # a new record: no field had a version before
                "canbo",
                prev,
            )
            changes.append(change)
            prev = change.hash
        return changes

    def push_body(self, changes: list[Change]) -> bytes:
        """A sealed push of ``changes``, as ``NodeSync.push_envelope`` makes it."""
        body = {
            "kind": "push",
            "origin": self.node_id,
            "prev": changes[0].prev,
            "tip": changes[-1].hash,
            "status": self._status(pending=len(changes)),
            "changes": [
                {
                    "seq": c.seq,
                    "hlc": c.hlc,
                    "type": c.type,
                    "id": c.id,
                    "unit": c.unit,
                    "fields": c.fields,
                    "bases": c.bases,
                    "actor": c.actor,
                }
                for c in changes
            ],
        }
        return self._seal(body, "push", seq_from=changes[0].seq, seq_to=changes[-1].seq)

    # -- answers ---------------------------------------------------------------------------

    def take_pull(self, raw: bytes) -> tuple[int, bool]:
        """Open a pull batch and move the cursor past it; (entries in it, whether more wait).

        Raises what opening raises (``sync.BadSignature``...) or :class:`ChangesetError`."""
        reply = self.open(raw, "pull_batch")
        entries = reply.get("changes", [])
        for entry in entries:
            Change.from_wire(entry)
        if reply.get("rewind_to") is not None:
            self.cursor = min(self.cursor, int(reply["rewind_to"]))
        elif reply.get("cursor_reset") is not None:
            self.cursor = int(reply["cursor_reset"])
        else:
            self.cursor = max(self.cursor, int(reply.get("next_cursor", self.cursor)))
        self.send_schemas = bool(reply.get("send_schemas"))
        return len(entries), bool(reply.get("more")) or self.send_schemas

    def take_ack(self, raw: bytes, changes: list[Change]) -> None:
        """Open the hub's acknowledgement of ``changes``; the chain moves on past them.

        Raises :class:`ChangesetError` when the hub acknowledged less than it was sent."""
        reply = self.open(raw, "push_ack")
        if int(reply.get("acked_seq", -1)) != changes[-1].seq:
            raise ChangesetError(f"acknowledged {reply.get('acked_seq')}, sent {changes[-1].seq}")
        self.seq, self.tip = changes[-1].seq, changes[-1].hash

    def open(self, raw: bytes, kind: str) -> dict[str, Any]:
        """An answer of the hub, verified against the pinned keys, of ``kind``."""

        def hub_keys(header: dict[str, Any]) -> PublicKeys:
            return self.hub.keys

        reply = unpack_payload(
            open_envelope(raw, keys=self.keys, sender_keys=hub_keys).payload, max_size=MAX_REPLY
        )
        validate("changeset", reply)
        if not isinstance(reply, dict) or reply.get("kind") != kind:
            raise ChangesetError(f"the hub answered other than '{kind}'")
        return reply

    # -- helpers ---------------------------------------------------------------------------

    def _status(self, pending: int = 0) -> dict[str, Any]:
        status: dict[str, Any] = {
            "pending_changes": pending,
            "oldest_pending_at": None,
            "software": SOFTWARE,
            "schema_version": "",
            "schema_fingerprint": schema_fingerprint(),
        }
        if self.send_schemas:
            status["schemas"] = record_schemas()
        return status

    def _seal(self, body: dict[str, Any], kind: str, **header: Any) -> bytes:
        return seal(
            pack_payload(body),
            sender=self.node_id,
            keys=self.keys,
            recipient=self.hub.hub_id,
            recipient_keys=self.hub.keys,
            kind=kind,
            envelope_id=str(uuid.uuid4()),
            **header,
        )


def enroll_node(hub_url: str, unit: str, token: str) -> SimNode:
    """Enroll a simulated node for ``unit`` with ``token`` through ``/sync/v1/enroll``
    (``ward_node.sync_link.enroll``: the hub's keys checked against the token's pin)."""
    transport = HttpTransport(hub_url, timeout=60)
    try:
        enrolled = enroll(transport, unit=unit, hub_url=hub_url, token=token)
    finally:
        transport.close()
    return SimNode(enrolled.node_id, unit, enrolled.keys, enrolled.hub)
