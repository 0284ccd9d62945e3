"""Records with per-field versions, and the merge that makes replicas converge.

Each record type has a table (named after the type) with one column per schema property, a
``_versions`` column holding, as JSON, the version of every field, for types whose schema
lists ``x-search`` paths a ``_search`` column of diacritic-folded text (docs/domain.md, "Names"),
and an ``_extra`` column: as JSON, the fields a newer release sent that this release does not
know yet, kept with their versions so nothing is lost, and moved into their own columns by
the upgrade that knows them (docs/upgrades.md, "Fields a ward does not know yet").

:meth:`Replica.merge` is the only way rows change: per field, a value is taken when its version
is newer than the stored one (last writer wins by ``(hlc, origin)``). That rule is commutative,
associative and idempotent, so replicas that saw the same changes hold the same rows.
"""

from __future__ import annotations

import gc
import sqlite3
import threading
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from .changes import Change, canonical, loads
from .errors import OutOfScope
from .postgres import is_postgres
from .schemas import RecordType, record_type, record_types
from .store import atomic, tables
from .text import fold

Row = dict[str, Any]
Loaded = tuple[Row, dict[str, str]]  # a stored record and its field versions

_IN_CHUNK = 500
_gc_lock = threading.Lock()
_gc_holders = 0
_gc_was_enabled = True


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector for one bounded batch.

    A batch allocates tens of thousands of dicts and strings and no reference cycles; letting
    the collector scan them repeatedly costs a quarter of the apply time. Reference counting
    still frees everything; the collector resumes when the last batch in flight ends.
    """
    global _gc_holders, _gc_was_enabled
    with _gc_lock:
        _gc_holders += 1
        if _gc_holders == 1:
            _gc_was_enabled = gc.isenabled()
            gc.disable()
    try:
        yield
    finally:
        with _gc_lock:
            _gc_holders -= 1
            if _gc_holders == 0 and _gc_was_enabled:
                gc.enable()


@dataclass(frozen=True)
class FieldClash:
    """A change whose writer did not see the current value of a field: a concurrent edit."""

    change: Change
    field: str
    base: str | None
    current_version: str
    current_value: Any
    incoming_won: bool


@dataclass
class MergeResult:
    """What a merge did: records touched, fields won per change, concurrent edits seen."""

    touched: set[tuple[str, str]] = field(default_factory=set)
    won: dict[tuple[str, int], set[str]] = field(default_factory=dict)
    clashes: list[FieldClash] = field(default_factory=list)


def encode_versions(versions: dict[str, str]) -> str:
    """Field versions as stored: each version once, with the sorted names of its fields.

    ``{"0001…@n1": "applicant,code,status"}`` instead of one entry per field: a record written
    by one change (the common case) carries one version instead of one per field, which keeps
    rows small on the write and apply paths. Deterministic, so replicas store equal bytes.
    """
    distinct = set(versions.values())
    if len(distinct) == 1:  # the common case: one change wrote every field
        return canonical({distinct.pop(): _sorted_names(tuple(versions))}).decode()
    grouped: dict[str, list[str]] = {}
    for name, version in versions.items():
        grouped.setdefault(version, []).append(name)
    return canonical({v: ",".join(sorted(names)) for v, names in grouped.items()}).decode()


_names_cache: dict[tuple[str, ...], str] = {}


def _sorted_names(names: tuple[str, ...]) -> str:
    """``",".join(sorted(names))``, remembered: a writer sends the same set of fields again and
    again (bounded by the schemas' field sets in practice; cleared if it ever grows large)."""
    joined = _names_cache.get(names)
    if joined is None:
        if len(_names_cache) > 4096:
            _names_cache.clear()
        joined = _names_cache[names] = ",".join(sorted(names))
    return joined


def decode_versions(text: str | None) -> dict[str, str]:
    """Inverse of :func:`encode_versions`: field name → encoded version."""
    if not text:
        return {}
    return {name: version for version, names in loads(text).items() for name in names.split(",")}


def search_text(rtype: RecordType, row: Row) -> str:
    """The folded text a record is found by, from its schema's ``x-search`` paths."""
    parts = []
    for path in rtype.search_paths:
        value: Any = row.get(path[0])
        for key in path[1:]:
            value = value.get(key) if isinstance(value, dict) else None
        if value:
            text = str(value)
            parts.append(text)
            if text[:3] == "+84":
                parts.append("0" + text[3:])  # phones are typed in the national form
    return fold(" ".join(parts))


def create_record_tables(conn: sqlite3.Connection) -> None:
    """Create, or widen with new columns, the table of every record type, in one transaction
    (a savepoint of the caller's).

    A record type's table has its fields' columns in schema order (``id`` the primary key),
    then ``_versions``, ``_search`` and ``_extra``, and an index on ``unit``. A column added
    for a field that a newer release sent before this one knew it takes the values kept for
    it in ``_extra``, with their versions (an upgrade in place shows them).
    """
    db = None if is_postgres(conn) else tables(conn)
    with atomic(conn):
        for rtype in record_types().values():
            cols = {name: rtype.column_type(name) for name in rtype.fields}
            cols["_versions"] = "TEXT"
            if rtype.search_paths:
                cols["_search"] = "TEXT"
            cols["_extra"] = "TEXT"
            if db is None:
                existing = {r[1] for r in conn.execute(f"PRAGMA table_info({rtype.table})")}
            else:
                existing = set(db.table(rtype.table).columns_dict)
            if not existing:
                if db is None:
                    columns = ", ".join(
                        f"{c} {t}{' PRIMARY KEY' if c == 'id' else ''}" for c, t in cols.items()
                    )
                    conn.execute(f"CREATE TABLE {rtype.table} ({columns})")
                    conn.execute(f"CREATE INDEX {rtype.table}_unit ON {rtype.table} (unit)")
                else:
                    table = db.table(rtype.table)
                    table.create(cols, pk="id")
                    table.create_index(
                        ["unit"], index_name=f"{rtype.table}_unit", if_not_exists=True
                    )
                continue
            added = [c for c in cols if c not in existing]
            for c in added:
                if db is None:
                    conn.execute(f"ALTER TABLE {rtype.table} ADD COLUMN {c} {cols[c]}")
                else:
                    db.table(rtype.table).add_column(c, cols[c])
            if "_extra" in existing and set(added) & set(rtype.fields):
                _fold_extra(conn, rtype, set(added) & set(rtype.fields))


def _fold_extra(conn: sqlite3.Connection, rtype: RecordType, added: set[str]) -> None:
    """Move the values kept in ``_extra`` for the newly known fields ``added`` into their
    columns: a row loaded with its extras and written again puts each field where this
    release keeps it (versions unchanged, the search text recomputed)."""
    like = " OR ".join("_extra LIKE ?" for _ in added)
    ids = [
        r[0]
        for r in conn.execute(
            f"SELECT id FROM {rtype.table} WHERE _extra IS NOT NULL AND ({like})",
            [f'%"{name}":%' for name in sorted(added)],
        )
    ]
    replica = Replica(conn)
    for i in range(0, len(ids), _IN_CHUNK):
        loaded = replica.load(rtype.name, ids[i : i + _IN_CHUNK])
        replica._write_rows(rtype, list(loaded.values()))


def refresh_search(conn: sqlite3.Connection, type_name: str) -> int:
    """Recompute the ``_search`` text of every record of ``type_name`` from its schema's
    ``x-search`` paths, in the caller's transaction; return how many rows. For the migration
    that gives a type ``x-search`` (the rows written before have no search text yet)."""
    rtype = record_type(type_name)
    if not rtype.search_paths:
        return 0
    rows = select_records(conn, type_name)
    conn.executemany(
        f"UPDATE {rtype.table} SET _search = ? WHERE id = ?",
        [(search_text(rtype, row), row["id"]) for row in rows],
    )
    return len(rows)


def select_records(
    conn: sqlite3.Connection, type_name: str, where: str = "", params: Any = ()
) -> list[Row]:
    """Decoded records of one type, selected by ``where`` (the SQL after the table name:
    ``WHERE``, ``ORDER BY``, ``LIMIT``) with its ``params``."""
    rtype = record_type(type_name)
    rows = conn.execute(f"SELECT {', '.join(rtype.fields)} FROM {type_name} {where}", params)
    return [Replica.decode(rtype, r) for r in rows.fetchall()]


class Replica:
    """The records of one store. Callers hold the transaction around :meth:`merge`."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        self._plans: dict[str, _WritePlan] = {}

    # -- reading -----------------------------------------------------------------------------

    def get(self, type_name: str, record_id: str) -> Row | None:
        """The record's fields (JSON fields decoded), or ``None``: the fields this release
        knows, as a page or an API shows them (see :meth:`extra` for the others)."""
        rows = self.load(type_name, [record_id])
        found = rows.get(record_id)
        if found is None:
            return None
        known = record_type(type_name).fields
        return {k: v for k, v in found[0].items() if k in known}

    def extra(self, type_name: str, record_id: str) -> Row:
        """The fields of a record that a newer release sent and this one does not know yet."""
        found = self.load(type_name, [record_id]).get(record_id)
        if found is None:
            return {}
        known = record_type(type_name).fields
        return {k: v for k, v in found[0].items() if k not in known}

    def versions(self, type_name: str, record_id: str) -> dict[str, str]:
        """The encoded version of each field of a record (empty when absent)."""
        found = self.load(type_name, [record_id]).get(record_id)
        return {} if found is None else found[1]

    def load(self, type_name: str, ids: Iterable[str]) -> dict[str, Loaded]:
        """Rows and versions of the given ids that exist, by id. A row holds the fields kept
        in ``_extra`` too, so that a merge or a write of it keeps them."""
        rtype = record_type(type_name)
        ids = list(dict.fromkeys(ids))
        cols = ", ".join(rtype.fields)
        out: dict[str, Loaded] = {}
        postgres = is_postgres(self.conn)
        for i in range(0, len(ids), _IN_CHUNK):
            part = ids[i : i + _IN_CHUNK]
            params: list[Any]
            if postgres:
                # One statement, prepared once, whatever the number of ids (an array).
                where, params = "id = ANY(?)", [part]
            else:
                where, params = f"id IN ({','.join('?' * len(part))})", part
            sql = f"SELECT {cols}, _versions, _extra FROM {rtype.table} WHERE {where}"
            for values in self.conn.execute(sql, params):
                row = self.decode(rtype, values)
                if values[-1] is not None:
                    # A field kept before this release knew it fills its new, empty column
                    # (create_record_tables folds it there for good).
                    for name, value in loads(values[-1]).items():
                        if row.get(name) is None:
                            row[name] = value
                out[row["id"]] = (row, decode_versions(values[-2]))
        return out

    @staticmethod
    def decode(rtype: RecordType, values: Sequence[Any]) -> Row:
        """A row's field values (in ``rtype.fields`` order) as a record dict."""
        row: Row = {}
        for name, value in zip(rtype.fields, values, strict=False):
            if value is not None and name in rtype.json_fields:
                value = loads(value)
            elif value is not None and rtype.column_type(name) == "INTEGER":
                kinds = rtype.schema["properties"][name]
                if kinds.get("type") == "boolean":
                    value = bool(value)
            row[name] = value
        return row

    # -- merging -----------------------------------------------------------------------------

    def merge(
        self, changes: Sequence[Change], *, loaded: dict[str, dict[str, Loaded]] | None = None
    ) -> MergeResult:
        """Apply changes by per-field last-writer-wins; write each touched row once.

        ``loaded`` may give, per type, what :meth:`load` returned for these changes' ids in
        this same transaction (the writer read them already); it is updated in place.
        Returns what was touched and which fields of which change won, and every field whose
        base differs from the version held here (a concurrent edit, for the hub to record).
        """
        with gc_paused():
            return self._merge(changes, loaded or {})

    def _merge(
        self, changes: Sequence[Change], loaded: dict[str, dict[str, Loaded]]
    ) -> MergeResult:
        result = MergeResult()
        by_type: dict[str, list[Change]] = defaultdict(list)
        for change in changes:
            by_type[change.type].append(change)
        for type_name, group in by_type.items():
            rtype = record_type(type_name)
            state = loaded.get(type_name)
            if state is None:
                state = self.load(type_name, (c.id for c in group))
            # Insertion-ordered, so rows are written in the order of their changes: ids are
            # UUIDv7 (time-ordered), and in-order inserts touch far fewer index pages.
            dirty: dict[str, None] = {}
            for change in group:
                incoming = change.version_key
                found = state.get(change.id)
                _check_identity(change, None if found is None else found[0])
                if found is None:
                    # A record this replica has never seen: every field wins, nothing clashes.
                    row = {"id": change.id, "unit": change.unit, **change.fields}
                    state[change.id] = (row, dict.fromkeys(change.fields, incoming))
                    dirty[change.id] = None
                    result.touched.add((type_name, change.id))
                    result.won[(change.origin, change.seq)] = set(change.fields)
                    continue
                row, vers = found
                won = set()
                for name, value in change.fields.items():
                    current = vers.get(name)
                    base = change.bases.get(name)
                    if current is not None and base != current and current != incoming:
                        result.clashes.append(
                            FieldClash(
                                change, name, base, current, row.get(name), incoming > current
                            )
                        )
                    if current is None or incoming > current:
                        row[name] = value
                        vers[name] = incoming
                        won.add(name)
                if won:
                    dirty[change.id] = None
                    result.touched.add((type_name, change.id))
                result.won[(change.origin, change.seq)] = won
            self._write_rows(rtype, [state[i] for i in dirty])
        return result

    def _write_rows(self, rtype: RecordType, rows: list[Loaded]) -> None:
        if not rows:
            return
        plan = self._plans.get(rtype.name)
        if plan is None:
            plan = self._plans[rtype.name] = _WritePlan.of(rtype)
        fields, json_at, searchable = plan.fields, plan.json_at, plan.searchable
        known = plan.known
        params = []
        for row, vers in rows:
            values = list(map(row.get, fields))
            for i in json_at:
                if values[i] is not None:
                    values[i] = canonical(values[i]).decode()
            # Deterministic encoding: replicas that saw the same changes store the same
            # bytes, whatever the order in which fields first arrived.
            values.append(encode_versions(vers))
            if searchable:
                values.append(search_text(rtype, row))
            # Fields of a newer release, kept until an upgrade knows them (rare: a set
            # difference per row is all it costs otherwise).
            unknown = row.keys() - known
            values.append(canonical({k: row[k] for k in unknown}).decode() if unknown else None)
            params.append(values)
        self.conn.executemany(plan.sql, params)


def _check_identity(change: Change, row: Row | None) -> None:
    """The last line of the trust boundary (docs/security.md, "The trust boundary"): a change
    writes the record its envelope names and no other, and never moves a record to another
    unit. The hub's scope check and the node's pull check refuse such changes with a reason
    first; this guard makes sure no caller of the merge can skip them."""
    clash = change.identity_clash()
    if clash is not None:
        raise OutOfScope(
            f"Thay đổi {change.type} {change.id} ghi trường '{clash}' khác với chính nó: "
            "không được ghi sang bản ghi hoặc đơn vị khác.",
            code="identity_mismatch",
            field=clash,
        )
    if row is not None and row.get("unit") != change.unit:
        raise OutOfScope(
            f"Bản ghi {change.type} {change.id} thuộc đơn vị '{row.get('unit')}', "
            f"thay đổi ghi đơn vị '{change.unit}': không được chuyển bản ghi sang đơn vị khác.",
            code="owner_mismatch",
        )


@dataclass(frozen=True)
class _WritePlan:
    """How rows of one type are written: the upsert and where its JSON columns are."""

    sql: str
    fields: tuple[str, ...]
    json_at: tuple[int, ...]
    searchable: bool
    known: frozenset[str]

    @classmethod
    def of(cls, rtype: RecordType) -> _WritePlan:
        searchable = bool(rtype.search_paths)
        cols = (*rtype.fields, "_versions", *(("_search",) if searchable else ()), "_extra")
        updates = ", ".join(f"{c} = excluded.{c}" for c in cols if c != "id")
        sql = (
            f"INSERT INTO {rtype.table} ({', '.join(cols)}) "
            f"VALUES ({', '.join('?' * len(cols))}) "
            f"ON CONFLICT(id) DO UPDATE SET {updates}"
        )
        json_at = tuple(i for i, c in enumerate(rtype.fields) if c in rtype.json_fields)
        return cls(sql, rtype.fields, json_at, searchable, frozenset(rtype.fields))
