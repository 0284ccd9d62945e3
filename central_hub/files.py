"""Files at the hub (docs/security.md, "Files"): the blob store, where each file came from,
which files a unit may fetch, how a file is served to a person, and the expiry of the scans
nobody will ever fetch.

**Provenance.** An ``attachment`` record is a claim made by its owner; the bytes are what a
unit actually sent. ``blob_sources`` records, per file, each unit that sent the whole file (a
node of that unit through the blob protocol, or the hub itself for the console's documents
and the portal's scans, on behalf of the record's unit). A unit may fetch a file through an
attachment record it may see only if that record's owner is one of the file's sources: a
ward that learns a hash cannot unlock the file by writing a record of its own that names it.
Provenance is kept in ``store/files.py``; its functions are named here for the hub's modules.
"""

from __future__ import annotations

import sqlite3
import time
from datetime import datetime, timedelta

from flask import Response

from sync import BlobStore, atomic, select_records
from webapp import send_stored_file

from .store.files import (
    add_source,
    dossier_file_hashes,
    fetchable,
    file_parents,
    forget_sources,
    own_sizes,
    sent_by,
)
from .web import state

__all__ = [
    "add_source",
    "blob_store",
    "expire_unclaimed_scans",
    "fetchable",
    "file_response",
    "make_room",
    "own_sizes",
    "sent_by",
    "sweep_partials",
]

MAX_FILE_BYTES = 64 * 1024 * 1024  # the largest file the hub takes from a node
PARTIAL_QUOTA = 2 * MAX_FILE_BYTES  # unfinished uploads one node may leave at the hub
PARTIAL_MAX_AGE = 3 * 24 * 3600  # an upload untouched for three days starts over
SCAN_RETENTION_DAYS = 30  # scans of online submissions never received, or refused
_SWEEP_EVERY = 600.0
_last_sweep = 0.0


def blob_store() -> BlobStore:
    """The hub's blob store, ``DATA/blobs``."""
    return BlobStore(state().data_dir / "blobs")


def make_room(store: BlobStore, sender: str, sha: str, incoming: int) -> None:
    """Keep ``sender``'s unfinished uploads within :data:`PARTIAL_QUOTA` once ``incoming``
    more bytes of ``sha`` are written, dropping its other partial files, least recently
    touched first: a node can only ever crowd out its own uploads."""
    if store.partial_bytes(sender) + incoming <= PARTIAL_QUOTA:
        return
    folder = store.folder / "partial" / sender
    others = sorted((p for p in folder.iterdir() if p.name != sha), key=lambda p: p.stat().st_mtime)
    for path in others:
        path.unlink(missing_ok=True)
        if store.partial_bytes(sender) + incoming <= PARTIAL_QUOTA:
            return


def sweep_partials(store: BlobStore) -> None:
    """Delete unfinished uploads untouched for :data:`PARTIAL_MAX_AGE`, at most every ten
    minutes per process (it runs on the upload path)."""
    global _last_sweep
    now = time.monotonic()
    if now - _last_sweep < _SWEEP_EVERY:
        return
    _last_sweep = now
    store.expire_partials(PARTIAL_MAX_AGE)


def file_response(sha: str, name: str, *, download: bool = False) -> Response:
    """A stored file of the hub for a person's browser (``webapp.send_stored_file``)."""
    return send_stored_file(blob_store().path(sha), sha, name, download=download)


def expire_unclaimed_scans(
    conn: sqlite3.Connection, store: BlobStore, now: datetime | None = None
) -> int:
    """Delete the files of online submissions that no ward received within
    :data:`SCAN_RETENTION_DAYS` of their submission, or that a ward refused that long ago;
    the dossier, its steps and its attachment records stay. A file also named by any other
    record is kept. Returns how many files were deleted."""
    cutoff = (now or datetime.now().astimezone()) - timedelta(days=SCAN_RETENTION_DAYS)
    dossiers = select_records(conn, "dossier", "WHERE channel = 'online' AND status IN (1, 3)")
    expired: set[str] = set()
    for d in dossiers:
        since = d.get("received_at")
        if d["status"] == 3:
            steps = select_records(
                conn, "dossier_step", "WHERE dossier_id = ? AND to_status = 3", (d["id"],)
            )
            since = max((s["at"] for s in steps), default=since, key=_when)
        if since and _when(since) < cutoff:
            expired.add(d["id"])
    if not expired:
        return 0
    ids = sorted(expired)
    shas: set[str] = set()
    for i in range(0, len(ids), 500):
        part = ids[i : i + 500]
        shas.update(dossier_file_hashes(conn, part))
    deleted = 0
    for sha in sorted(shas):
        others = file_parents(conn, sha)
        if any(t != "dossier" or p not in expired for t, p in others) or not store.has(sha):
            continue
        store.path(sha).unlink(missing_ok=True)
        deleted += 1
        with atomic(conn):
            forget_sources(conn, sha)
    return deleted


def _when(iso: str) -> datetime:
    when = datetime.fromisoformat(iso.replace("Z", "+00:00"))
    return when if when.tzinfo else when.astimezone()
