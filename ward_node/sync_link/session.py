"""One sync session of the ward node with the hub (docs/sync.md): a full push and pull under
the node's sync lock, after finishing a key rotation or a restore that was cut short; and the
node's identity as ``ward-node status`` shows it."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from office import strip_secret_content
from sync import (
    HttpTransport,
    KeyPair,
    NodeSync,
    Replica,
    SyncReport,
    get_meta,
    sync_lock,
)

from .. import __version__
from ..store import identity, load_clock, open_store
from . import rotation
from .recovery import renumber
from .rotation import recover


@contextmanager
def open_session(
    data_dir: Path, *, deadlines: Mapping[str, Any] | None = None, **options: Any
) -> Iterator[tuple[sqlite3.Connection, NodeSync]]:
    """The node's store and a sync session over it, closed after: the node's keys, identity and
    clock, a restore's codes renumbered, a secret document's content left out of what it
    pulls. ``deadlines`` are the transport's (``settings.hub_link``: the deadlines and the CA bundle), ``options`` go to
    :class:`~sync.NodeSync`. Nothing touches the network until the session is run."""
    keys = KeyPair.load(data_dir / "keys")
    conn = open_store(data_dir)
    try:
        ident = identity(conn)
        session = NodeSync(
            conn,
            node_id=ident.node_id,
            keys=keys,
            hub=ident.hub,
            replica=Replica(conn),
            clock=load_clock(conn),
            transport=HttpTransport(ident.hub.url, **(deadlines or {})),
            after_recovery=renumber,
            pulled_filter=strip_secret_content,
            **options,
        )
        try:
            yield conn, session
        finally:
            session.transport.close()
    finally:
        conn.close()


def run_sync(
    data_dir: Path,
    *,
    chunk: int = 5000,
    wait: float = 120.0,
    deadlines: Mapping[str, Any] | None = None,
) -> SyncReport:
    """One full push and pull under the node's sync lock, on a connection of its own.

    ``deadlines``: the transport's options (``settings.hub_link``: the connect, read and
    overall deadlines and the CA bundle); the transport's defaults otherwise.
    """
    with sync_lock(data_dir, wait=wait):
        recover(data_dir)
        if rotation.pending(data_dir):
            # A rotation cut short: the hub may hold either key. Over the same link (its CA).
            rotation.rotate_keys(data_dir, deadlines=deadlines)
        with open_session(
            data_dir, deadlines=deadlines, chunk=chunk, software=f"wardsync {__version__}"
        ) as (_conn, session):
            return session.run()


def node_summary(data_dir: Path) -> dict[str, Any]:
    """Node id, unit and hub URL, for ``status``."""
    conn = open_store(data_dir)
    try:
        ident = identity(conn)
        return {
            "node_id": ident.node_id,
            "unit": ident.unit,
            "unit_name": ident.unit_name,
            "hub": ident.hub.url,
            "acked_seq": get_meta(conn, "acked_seq", 0),
            "pull_cursor": get_meta(conn, "pull_cursor", 0),
        }
    finally:
        conn.close()
