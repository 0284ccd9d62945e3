"""Offline transfer on a file, the hub's side (docs/protocol.md, "Transfer files").

``central-hub import-changes`` applies the push envelopes a ward wrote with ``ward-node
export-changes``, each exactly as ``POST /sync/v1/push`` would (same checks, same
``(origin, seq)`` idempotency: a file imported twice changes nothing), and writes the hub's
signed acknowledgements to a file for the ward. ``central-hub export-changes`` writes the
journal entries routed to a unit as pull batches, for ``ward-node import-changes``.

The file format is ``sync.bundle``'s ``WSX1``.

Acknowledgements: the hub keeps none pending. An import writes the acknowledgement of what it
applied next to the file (``FILE.ack``, or ``--ack-out``). An export for a unit starts with a
fresh ``push_ack`` sealed to the unit's node, stating the highest seq the hub holds from it
(``acked_seq``), the journal position the batches continue from (``cursor``) and how many
entries they hold (``remaining``): the ward uses it to refuse a file that would leave a gap.
An export starts by default from the cursor the node last pulled from (``nodes.pulled_cursor``,
recorded by every online pull), which the node is known to hold.
"""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sync import (
    NotFound,
    SyncError,
    TransferFileError,
    ValidationError,
    WrongRecipient,
    pack_payload,
    peek_header,
    read_bundle,
    seal,
    write_bundle,
)
from webapp import load_settings

from .. import nodes
from ..settings import PREFIX, SETTINGS
from ..setup import load_keys
from ..store import hub_info, load_clock, open_store, snapshot, sync_history, upgrades
from ..store.nodes import pulled_cursor
from . import pull as pulling
from . import push as pushing
from .context import HubContext

# -- the hub outside Flask ---------------------------------------------------------------------


@contextmanager
def open_hub(data_dir: Path) -> Iterator[HubContext]:
    """The protocol context of the hub in ``data_dir``, as a request gets it (``HubContext.for_request``)."""
    keys = load_keys(data_dir)
    settings = load_settings(SETTINGS, PREFIX, {"DATA": str(data_dir)})
    conn = open_store(data_dir)
    try:
        yield HubContext.from_settings(
            conn, keys, hub_info(conn)["hub_id"], load_clock(conn), settings
        )
    finally:
        conn.close()


# -- import ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SenderResult:
    """What an import did for one sending node."""

    node_id: str
    unit: str
    envelopes: int
    new: int
    acked_seq: int
    ack_path: Path


def import_changes(
    ctx: HubContext, path: Path, *, ack_out: Path | None = None
) -> list[SenderResult]:
    """Apply every push envelope of ``path`` in order; write the acknowledgements; report.

    Each envelope goes through :func:`.push.push` in its own transaction. A refused
    envelope stops the import with an error naming it; it changed nothing, the envelopes before
    it stay applied and their acknowledgement is written all the same. One acknowledgement file
    per sender: ``ack_out`` or ``FILE.ack``, with the node id in its name when the file holds
    several senders.
    """
    envelopes = read_bundle(path)
    headers = [_push_header(ctx, i, raw) for i, raw in enumerate(envelopes, start=1)]
    senders = list(dict.fromkeys(str(h["sender"]) for h in headers))
    before = {s: nodes.get_node(ctx.conn, s) for s in senders}
    acks: dict[str, bytes] = {}
    try:
        for i, (raw, header) in enumerate(zip(envelopes, headers, strict=True), start=1):
            try:
                acks[header["sender"]] = pushing.push(ctx, raw, online=False)
            except SyncError as exc:
                sync_history.record_refusal(ctx.conn, raw, "push", exc, ctx.sender)
                raise type(exc)(
                    f"Gói số {i}/{len(envelopes)} ({_describe(header)}) bị từ chối, không nhập "
                    f"gì từ gói này: {exc.message}",
                    code=exc.code,
                ) from exc
    finally:
        paths = {s: _ack_path(path, ack_out, s, several=len(senders) > 1) for s in acks}
        for sender, ack in acks.items():
            write_bundle(paths[sender], [ack])
    results = []
    for sender in senders:
        node = nodes.get_node(ctx.conn, sender)
        results.append(
            SenderResult(
                node_id=sender,
                unit=node.unit,
                envelopes=sum(1 for h in headers if h["sender"] == sender),
                new=node.last_seq - before[sender].last_seq,
                acked_seq=node.last_seq,
                ack_path=paths[sender],
            )
        )
    return results


def _push_header(ctx: HubContext, index: int, raw: bytes) -> dict[str, Any]:
    """The untrusted header of one envelope, refused early when it is plainly not for here."""
    try:
        header = peek_header(raw)
    except SyncError as exc:
        raise TransferFileError(f"Gói số {index} trong tệp hỏng: {exc.message}") from exc
    if header["kind"] in ("push_ack", "pull_batch"):
        raise TransferFileError(
            "Tệp này do máy chủ trung tâm xuất cho phường: hãy nhập nó ở nút phường bằng "
            "'ward-node import-changes'."
        )
    if header["kind"] != "push":
        raise TransferFileError(f"Gói số {index} có loại '{header['kind']}' không nhập được.")
    if header["recipient"] != ctx.hub_id:
        raise WrongRecipient(
            f"Gói số {index} gửi cho '{header['recipient']}', không phải máy chủ trung tâm này."
        )
    return header


def _describe(header: dict[str, Any]) -> str:
    seqs = ""
    if "seq_from" in header and "seq_to" in header:
        seqs = f", thay đổi số {header['seq_from']}–{header['seq_to']}"
    return f"nút {header['sender']}{seqs}, mã {header['id']}"


def _ack_path(path: Path, ack_out: Path | None, node_id: str, *, several: bool) -> Path:
    base = ack_out or path.with_name(path.name + ".ack")
    return base.with_name(f"{base.stem}.{node_id}{base.suffix}") if several else base


# -- export ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ExportResult:
    """What ``export_changes`` wrote."""

    path: Path
    node_id: str
    unit: str
    since: int
    next_cursor: int
    entries: int
    batches: int
    acked_seq: int


def export_changes(
    ctx: HubContext, unit: str, out: Path, *, since: int | None = None
) -> ExportResult:
    """Write the journal entries routed to ``unit`` after ``since`` to ``out``, for its node.

    ``since`` defaults to the cursor the unit's active node last pulled from. The file holds a
    ``push_ack`` stating where the batches start, then pull batches of at most the hub's
    ``PULL_LIMIT`` entries (:func:`.pull.pull_answer`), all read from one snapshot
    of the store, as the node's release takes them. Nothing in the store changes but the
    record of what the file leaves out for the node's upgrade (docs/upgrades.md).
    """
    if since is not None and since < 0:
        raise ValidationError("--since phải là số không âm.", field="since")
    waits: list[upgrades.Wait] = []
    with snapshot(ctx.conn):
        node = _unit_node(ctx.conn, unit)
        start = _pulled_cursor(ctx.conn, node.node_id) if since is None else since
        receiver = upgrades.receiver_for(ctx.conn, node.node_id)
        if receiver is None:
            raise ValidationError(
                f"Máy chủ trung tâm chưa biết lược đồ bản ghi của nút '{node.node_id}' (nút "
                "vừa được nâng cấp). Hãy để nút đồng bộ trực tiếp một lần rồi xuất lại tệp.",
                code="schemas_unknown",
            )
        # Entries as the node's release takes them (docs/upgrades.md); each batch says how
        # many entries the batches after it carry, so they are all read before any is sealed.
        parts: list[tuple[list[dict[str, Any]], int]] = []
        cursor = start
        while True:
            changes, next_cursor, read = pulling.routed_batch(
                ctx, node, receiver, cursor, ctx.pull_limit, waits
            )
            if read == 0:
                break
            parts.append((changes, next_cursor))
            cursor = next_cursor
            if read < ctx.pull_limit:
                break
        entries = sum(len(changes) for changes, _ in parts)
        batches: list[bytes] = []
        left = entries
        for changes, next_cursor in parts:
            left -= len(changes)
            batches.append(pulling.seal_pull_batch(ctx, node, changes, next_cursor, left))
        statement = {
            "kind": "push_ack",
            "acked_seq": node.last_seq,
            "cursor": start,
            "remaining": entries,
        }
        head = seal(
            pack_payload(statement),
            sender=ctx.hub_id,
            keys=ctx.keys,
            recipient=node.node_id,
            recipient_keys=node.keys,
            kind="push_ack",
            envelope_id=str(uuid.uuid4()),
        )
    write_bundle(out, [head, *batches])
    # What the file leaves out for the node's upgrade is held as a live pull holds it
    # (docs/upgrades.md), once the snapshot is over; and what it hands the node counts as
    # handed out, as a pull's answer does (docs/sync.md, "Restores").
    pulling.record_handed(ctx.conn, node.node_id, cursor, waits)
    return ExportResult(
        out, node.node_id, node.unit, start, cursor, entries, len(batches), node.last_seq
    )


def _unit_node(conn: sqlite3.Connection, unit: str) -> nodes.Node:
    """The unit's active node; the latest enrolled when a replaced PC was never revoked."""
    active = [n for n in nodes.list_nodes(conn) if n["unit"] == unit and n["status"] == "active"]
    if not active:
        raise NotFound(f"Đơn vị '{unit}' không có nút nào đang hoạt động.", code="no_node")
    return nodes.get_node(conn, active[-1]["node_id"])


def _pulled_cursor(conn: sqlite3.Connection, node_id: str) -> int:
    return pulled_cursor(conn, node_id) or 0
