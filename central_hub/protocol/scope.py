"""What a ward may write (docs/security.md, "The trust boundary"), checked at the hub on every push
before anything is applied: only records its unit owns, never another unit's record even under its
own id, no change to a field that is immutable once written, and a child record (a receipt, a
reply, a report, an attachment) only of a parent it owns or that was addressed to it."""

from __future__ import annotations

import sqlite3
from typing import Any

from sync import Change, OutOfScope, Replica, check_immutable_in_order, record_type

from .. import nodes
from ..store import parent_of


def check_scope(
    conn: sqlite3.Connection, node: nodes.Node, changes: list[Change]
) -> dict[str, dict[str, Any]]:
    """A ward writes only records it owns (docs/security.md, "The trust boundary").

    Identity and ownership come from each change's envelope, never from its ``fields``; scope
    and immutable fields are checked against the record the merge will actually write (the
    stored row, or the one an earlier change of this batch creates). Raises
    :class:`OutOfScope` or :class:`Conflict` (an immutable field). Returns the records of
    ``changes`` that exist, per type, as :meth:`Replica.load` read them (for the merge).
    """
    by_type: dict[str, list[Change]] = {}
    for change in changes:
        rtype = record_type(change.type)
        if rtype.owner != "unit" or change.unit != node.unit:
            raise OutOfScope(
                f"Nút '{node.node_id}' không được ghi bản ghi {change.type} {change.id} "
                f"của đơn vị '{change.unit}'."
            )
        clash = change.identity_clash()
        if clash is not None:
            raise OutOfScope(
                f"Thay đổi số {change.seq} ({change.type} {change.id}) ghi trường '{clash}' "
                "khác với mã và đơn vị của chính nó: bị từ chối.",
                code="identity_mismatch",
                field=clash,
            )
        by_type.setdefault(change.type, []).append(change)
    replica = Replica(conn)
    loaded = {}
    for type_name, group in by_type.items():
        existing = loaded[type_name] = replica.load(type_name, [c.id for c in group])
        for rid, (row, _v) in existing.items():
            if row.get("unit") != node.unit:
                raise OutOfScope(
                    f"Bản ghi {type_name} {rid} thuộc đơn vị '{row.get('unit')}', "
                    f"nút '{node.node_id}' không được sửa."
                )
        check_immutable_in_order(type_name, group, existing)
        if record_type(type_name).parent:
            _check_parents(conn, node, group, {(c.type, c.id): c.unit for c in changes})
    if "sms" in by_type:
        _check_sms(conn, node, changes)
    return loaded


def _check_sms(conn: sqlite3.Connection, node: nodes.Node, changes: list[Change]) -> None:
    """The hub sends a ward's ``sms`` records through the city's gateway: only to the
    applicant of one of the ward's own dossiers, at the phone that dossier holds (after the
    changes before it in this push), never to any number a ward's software names."""
    phones: dict[str, Any] = {}  # dossier id -> applicant's phone, as this batch leaves it
    for change in changes:
        if change.type == "dossier" and isinstance(change.fields.get("applicant"), dict):
            phones[change.id] = change.fields["applicant"].get("phone")
        if change.type != "sms" or not {"phone", "dossier_id"} & change.fields.keys():
            continue
        dossier_id = str(change.fields.get("dossier_id") or "")
        stored = Replica(conn).get("dossier", dossier_id) if dossier_id else None
        own = (stored is not None and stored.get("unit") == node.unit) or any(
            c.type == "dossier" and c.id == dossier_id and c.unit == node.unit for c in changes
        )
        phone = phones.get(dossier_id, ((stored or {}).get("applicant") or {}).get("phone"))
        if not own or change.fields.get("phone") != phone:
            raise OutOfScope(
                f"Tin nhắn {change.id} không gửi đến số điện thoại của người nộp một hồ sơ "
                f"của đơn vị '{node.unit}': máy chủ trung tâm không gửi.",
                code="sms_out_of_scope",
            )


def _check_parents(
    conn: sqlite3.Connection,
    node: nodes.Node,
    group: list[Change],
    batch: dict[tuple[str, str], str],
) -> None:
    """A child record only of a parent the sender's unit may hang things on (docs/security.md,
    "The trust boundary"): a receipt or a reply of what was addressed to it or is its own; an
    attachment only of its own records."""
    route = record_type(group[0].type).route
    parent_ref = record_type(group[0].type).parent
    first: dict[str, dict[str, Any]] = {}  # a record's fields as created earlier in this batch
    for change in group:
        first.setdefault(change.id, change.fields)
        fields = change.fields
        if parent_ref and parent_ref[1] not in fields:
            # An update made before the record reached the hub: its parent is in the creation.
            fields = {**first[change.id], **fields}
        found = parent_of(conn, change.type, change.id, fields)
        row = None
        if found is not None and found in batch:
            # The parent is created by this same changeset (not merged yet): its unit says.
            row = {"unit": batch[found]}
        elif found is not None:
            loaded = Replica(conn).load(found[0], [found[1]]).get(found[1])
            row = loaded[0] if loaded else None
        owned = row is not None and row.get("unit") == node.unit
        addressees = record_type(found[0]).addressees if found else None
        addressed = row is not None and node.unit in (row.get(addressees or "") or ())
        if not (owned or (route == "parent" and addressed)):
            target = f"{found[0]} {found[1]}" if found else "(không rõ)"
            raise OutOfScope(
                f"Bản ghi {change.type} {change.id} gắn vào {target}, không thuộc và không gửi "
                f"cho đơn vị '{node.unit}'."
            )
