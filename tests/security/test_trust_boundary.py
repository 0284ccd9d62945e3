"""The hub trusts a ward exactly as far as the ward's own records reach (docs/security.md,
"The trust boundary"), and a ward checks what the hub sends it once more.

A ward node signs whatever it likes: these tests forge pushes as a real enrolled node would
(its own keys, its own hash chain, sealed to the hub) and send them through the hub's real
push endpoint. Identity and ownership are the change's envelope, never its ``fields``.
"""

from __future__ import annotations

import sqlite3
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, note, settings
from hypothesis import strategies as st

from central_hub.store import capture as hub_capture
from central_hub.store import open_store as open_hub
from sync import (
    Change,
    KeyPair,
    NodeSync,
    get_meta,
    new_id,
    pack_payload,
    read_status,
    record_types,
    seal,
    select_records,
)
from tests.support import AppTransport, enrollment_token, synced_session
from tests.support.hubstore import hub_db
from ward_node.dossiers import Dossiers
from ward_node.store import capture, identity, load_clock
from ward_node.sync_link import init_node
from webapp import User

A, B, C = "19786", "19744", "19750"  # A is the attacker's ward


@dataclass
class Ward:
    unit: str
    data: Path
    session: NodeSync
    conn: sqlite3.Connection

    @property
    def node_id(self) -> str:
        return self.session.node_id


@dataclass
class World:
    """A hub with three enrolled wards and records of each, all synced."""

    tmp: Path
    hub: FlaskClient
    wards: dict[str, Ward]
    ids: dict[str, str]  # name -> record id
    templates: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    def hub_db(self) -> sqlite3.Connection:
        conn = hub_db(self.tmp / "hub")
        conn.row_factory = sqlite3.Row
        return conn

    def chain(self, ward: Ward) -> tuple[int, str | None]:
        with self.hub_db() as db:
            row = db.execute(
                "SELECT last_seq, last_hash FROM nodes WHERE node_id = ?", (ward.node_id,)
            ).fetchone()
        return int(row[0]), row[1]

    def forge(self, ward: Ward, changes: list[dict[str, Any]]) -> bytes:
        """A push of ``changes`` (type, id, unit, fields, bases?) signed by ``ward``'s node,
        chained after what the hub holds of it, as that node's software would send it."""
        last_seq, last_hash = self.chain(ward)
        hlc = (int(get_meta(ward.conn, "hlc", 0)) or 1) + 1
        wire, prev = [], last_hash
        for i, c in enumerate(changes, start=1):
            change = Change.linked(
                ward.node_id,
                last_seq + i,
                hlc + i,
                c["type"],
                c["id"],
                c["unit"],
                c["fields"],
                c.get("bases", {}),
                "attacker",
                prev,
            )
            prev = change.hash
            wire.append(
                {k: v for k, v in change.to_wire().items() if k not in ("origin", "prev", "hash")}
            )
        body = {
            "kind": "push",
            "origin": ward.node_id,
            "prev": last_hash,
            "tip": prev,
            "changes": wire,
        }
        ident = identity(ward.conn)
        return seal(
            pack_payload(body),
            sender=ward.node_id,
            keys=KeyPair.load(ward.data / "keys"),
            recipient=ident.hub.hub_id,
            recipient_keys=ident.hub.keys,
            kind="push",
            envelope_id=str(uuid.uuid4()),
            seq_from=last_seq + 1,
            seq_to=last_seq + len(changes),
        )

    def push(self, ward: Ward, changes: list[dict[str, Any]]) -> Any:
        return self.hub.post("/sync/v1/push", data=self.forge(ward, changes))

    def snapshot(self, unit: str) -> dict[str, Any]:
        """Every record at the hub not owned by ``unit``, and the owner of each of ``unit``'s."""
        others: dict[str, Any] = {}
        owners: dict[str, Any] = {}
        with self.hub_db() as db:
            for name in record_types():
                for row in db.execute(f"SELECT * FROM {name}"):
                    if row["unit"] == unit:
                        owners[f"{name}/{row['id']}"] = unit
                    else:
                        others[f"{name}/{row['id']}"] = tuple(row)
        return {"others": others, "owners": owners}


def _ward(tmp: Path, hub: FlaskClient, unit: str) -> Ward:
    transport = AppTransport(hub)
    data = tmp / f"ward-{unit}"
    init_node(
        data,
        unit=unit,
        hub_url="http://hub.test",
        token=enrollment_token(tmp, unit),
        transport=transport,
    )
    session, conn = synced_session(data, transport)
    session.chunk = 5000
    return Ward(unit, data, session, conn)


def _document(unit: str, units: list[str], summary: str) -> dict[str, Any]:
    return {
        "id": new_id(),
        "unit": unit,
        "symbol": "15/UBND-VP",
        "doc_type": "Công văn",
        "summary": summary,
        "issued_on": "2026-11-27",
        "units": units,
        "urgency": "khan",
        "secrecy": "none",
        "created_by": "vanthu",
    }


def _write(ward: Ward, type_name: str, record: dict[str, Any]) -> str:
    capture(ward.conn, load_clock(ward.conn)).write(
        type_name, record["id"], ward.unit, record, actor="vanthu"
    )
    return str(record["id"])


@pytest.fixture
def world(tmp_path: Path, hub: FlaskClient) -> World:
    wards = {unit: _ward(tmp_path, hub, unit) for unit in (A, B, C)}
    ids: dict[str, str] = {}
    officer = User("canbo", "officer", "Cán bộ")
    for unit, ward in wards.items():
        dossier = Dossiers(ward.conn, load_clock(ward.conn)).receive(
            {
                "procedure_code": "1.001193",
                "applicant": {
                    "full_name": {A: "Lê Văn Tám", B: "Hồ Thị Hoa", C: "Trần Văn Ba"}[unit]
                },
            },
            officer,
        )
        ids[f"dossier_{unit}"] = dossier["id"]
    ids["doc_B_to_AC"] = _write(wards[B], "document", _document(B, [A, C], "Văn bản của B"))
    ids["doc_C_to_B"] = _write(wards[C], "document", _document(C, [B], "Văn bản riêng C gửi B"))
    ids["att_B"] = _write(
        wards[B],
        "attachment",
        {
            "id": new_id(),
            "unit": B,
            "parent_type": "document",
            "parent_id": ids["doc_B_to_AC"],
            "sha256": "ab" * 32,
            "name": "cong-van.pdf",
            "mime": "application/pdf",
            "size": 10,
            "uploaded_by": "vanthu",
            "uploaded_at": "2026-11-27T08:00:00+07:00",
            "deleted": False,
        },
    )
    for ward in wards.values():
        ward.session.run()
    hub_conn = open_hub(tmp_path / "hub")
    try:
        city = _document("H57", [A, B], "Văn bản của thành phố")
        hub_capture(hub_conn).write("document", city["id"], "H57", city, actor="admin")
        ids["doc_city"] = city["id"]
    finally:
        hub_conn.close()
    for ward in wards.values():
        ward.session.run()
    receipt = {
        "id": new_id(),
        "unit": A,
        "document_id": ids["doc_B_to_AC"],
        "status_code": "01",
        "updated_by": "vanthu",
    }
    ids["receipt_A"] = _write(wards[A], "document_receipt", receipt)
    wards[A].session.run()
    return World(tmp_path, hub, wards, ids)


def _refused(resp: Any, code: str) -> None:
    assert resp.status_code in (403, 409, 422), resp.get_data(as_text=True)
    assert resp.get_json()["error"]["code"] == code, resp.get_json()


# -- the attacks that were found -------------------------------------------------------------


def test_fields_naming_another_wards_dossier_are_refused_and_change_nothing(world: World) -> None:
    a = world.wards[A]
    with world.hub_db() as db:
        target = dict(
            db.execute(
                "SELECT * FROM dossier WHERE id = ?", (world.ids[f"dossier_{B}"],)
            ).fetchone()
        )
    before, chain = world.snapshot(A), world.chain(a)
    resp = world.push(
        a,
        [
            {
                "type": "dossier",
                "id": new_id(),  # a fresh id of the attacker's own...
                "unit": A,
                # ...whose fields name the other ward's dossier
                "fields": {
                    "id": target["id"],
                    "unit": B,
                    "status": 10,
                    "applicant": {"full_name": "Kẻ Giả Mạo"},
                },
            }
        ],
    )
    _refused(resp, "identity_mismatch")
    assert world.snapshot(A) == before
    assert world.chain(a) == chain  # nothing acknowledged


def test_a_released_document_of_another_ward_cannot_be_rewritten_through_fields(
    world: World,
) -> None:
    a = world.wards[A]
    before = world.snapshot(A)
    resp = world.push(
        a,
        [
            {
                "type": "document",
                "id": new_id(),
                "unit": A,
                "fields": {"id": world.ids["doc_C_to_B"], "summary": "Đã bị sửa"},
            }
        ],
    )
    _refused(resp, "identity_mismatch")
    assert world.snapshot(A) == before


def test_a_document_forged_from_another_ward_is_refused_and_never_delivered(
    world: World,
) -> None:
    a, c = world.wards[A], world.wards[C]
    forged = _document(B, [C], "Văn bản giả mạo danh nghĩa phường B")
    resp = world.push(a, [{"type": "document", "id": forged["id"], "unit": A, "fields": forged}])
    _refused(resp, "identity_mismatch")
    c.session.run()
    assert (
        c.conn.execute("SELECT count(*) FROM document WHERE id = ?", (forged["id"],)).fetchone()[0]
        == 0
    )


def test_a_change_under_the_wards_own_unit_for_a_record_another_unit_owns_is_refused(
    world: World,
) -> None:
    a = world.wards[A]
    before, chain = world.snapshot(A), world.chain(a)
    resp = world.push(
        a,
        [{"type": "dossier", "id": world.ids[f"dossier_{B}"], "unit": A, "fields": {"status": 10}}],
    )
    _refused(resp, "out_of_scope")
    assert "thuộc đơn vị '19744'" in resp.get_json()["error"]["message"]
    assert world.snapshot(A) == before and world.chain(a) == chain


def test_a_change_under_another_units_name_is_refused(world: World) -> None:
    resp = world.push(
        world.wards[A],
        [{"type": "dossier", "id": world.ids[f"dossier_{B}"], "unit": B, "fields": {"status": 10}}],
    )
    _refused(resp, "out_of_scope")


def test_reference_data_cannot_be_written_by_a_ward(world: World) -> None:
    with world.hub_db() as db:
        proc = db.execute("SELECT id, unit FROM procedure LIMIT 1").fetchone()
    for unit in (A, proc["unit"]):
        resp = world.push(
            world.wards[A],
            [{"type": "procedure", "id": proc["id"], "unit": unit, "fields": {"fee": 1}}],
        )
        _refused(resp, "out_of_scope")


def test_a_forged_change_to_an_immutable_field_is_refused(world: World) -> None:
    a = world.wards[A]
    before, chain = world.snapshot(A), world.chain(a)
    # The attacker's own receipt of B's document, re-pointed at C's private document.
    resp = world.push(
        a,
        [
            {
                "type": "document_receipt",
                "id": world.ids["receipt_A"],
                "unit": A,
                "fields": {"document_id": world.ids["doc_C_to_B"], "status_code": "06"},
            }
        ],
    )
    assert resp.status_code in (403, 409)
    assert world.snapshot(A) == before and world.chain(a) == chain


def test_a_record_created_and_re_pointed_in_one_push_is_refused(world: World) -> None:
    a = world.wards[A]
    rid = new_id()
    receipt = {"id": rid, "unit": A, "document_id": world.ids["doc_city"], "status_code": "01"}
    resp = world.push(
        a,
        [
            {"type": "document_receipt", "id": rid, "unit": A, "fields": receipt},
            {
                "type": "document_receipt",
                "id": rid,
                "unit": A,
                "fields": {"document_id": world.ids["doc_B_to_AC"]},
            },
        ],
    )
    _refused(resp, "immutable_field")
    with world.hub_db() as db:
        assert (
            db.execute("SELECT count(*) FROM document_receipt WHERE id = ?", (rid,)).fetchone()[0]
            == 0
        )


def test_an_attachment_on_another_wards_record_is_refused(world: World) -> None:
    a = world.wards[A]
    rid = new_id()
    resp = world.push(
        a,
        [
            {
                "type": "attachment",
                "id": rid,
                "unit": A,
                "fields": {
                    "id": rid,
                    "unit": A,
                    "parent_type": "document",
                    "parent_id": world.ids["doc_C_to_B"],
                    "sha256": "cd" * 32,
                    "name": "x.pdf",
                    "mime": "application/pdf",
                    "size": 1,
                    "uploaded_by": "x",
                    "uploaded_at": "2026-11-27T08:00:00+07:00",
                },
            }
        ],
    )
    _refused(resp, "out_of_scope")


def test_a_push_that_breaks_the_stored_chain_is_refused(world: World) -> None:
    a = world.wards[A]
    body = world.forge(
        a,
        [{"type": "dossier", "id": world.ids[f"dossier_{A}"], "unit": A, "fields": {"notes": "x"}}],
    )
    with world.hub_db() as db:  # the hub holds another history of this node than it sends
        db.execute("UPDATE nodes SET last_hash = ? WHERE node_id = ?", ("0" * 64, a.node_id))
    before = world.snapshot("nobody")
    resp = world.hub.post("/sync/v1/push", data=body)
    _refused(resp, "chain_broken")
    assert world.snapshot("nobody") == before


def test_a_sequence_gap_acknowledges_only_what_is_contiguous(world: World) -> None:
    a = world.wards[A]
    last_seq, last_hash = world.chain(a)
    dossier = world.ids[f"dossier_{A}"]
    # A push that starts two past what the hub holds: its first change is not the next one.
    first = Change.linked(
        a.node_id, last_seq + 2, 10**15, "dossier", dossier, A, {"notes": "x"}, {}, "u", last_hash
    )
    ident = identity(a.conn)
    body = seal(
        pack_payload(
            {
                "kind": "push",
                "origin": a.node_id,
                "prev": last_hash,
                "tip": first.hash,
                "changes": [
                    {
                        k: v
                        for k, v in first.to_wire().items()
                        if k not in ("origin", "prev", "hash")
                    }
                ],
            }
        ),
        sender=a.node_id,
        keys=KeyPair.load(a.data / "keys"),
        recipient=ident.hub.hub_id,
        recipient_keys=ident.hub.keys,
        kind="push",
        envelope_id=str(uuid.uuid4()),
    )
    resp = world.hub.post("/sync/v1/push", data=body)
    assert resp.status_code == 200
    assert world.chain(a) == (last_seq, last_hash)
    with world.hub_db() as db:
        assert (
            db.execute("SELECT notes FROM dossier WHERE id = ?", (dossier,)).fetchone()[0] is None
        )


def test_no_caller_of_the_merge_can_write_a_record_other_than_the_one_named(tmp_path: Path) -> None:
    from sync import OutOfScope, Replica, connect, create_record_tables

    conn = connect(tmp_path / "s.sqlite3")
    create_record_tables(conn)
    victim = new_id()
    Replica(conn).merge(
        [Change("n", 1, 1, "calendar_day", victim, "H57", {"date": "2026-01-01"}, {}, "u")]
    )
    with pytest.raises(OutOfScope):
        Replica(conn).merge(
            [Change("n", 2, 2, "calendar_day", new_id(), "H57", {"id": victim}, {}, "u")]
        )
    with pytest.raises(OutOfScope):
        Replica(conn).merge(
            [Change("n", 3, 3, "calendar_day", victim, "X1", {"note": "y"}, {}, "u")]
        )


# -- the ward checks what it pulls -----------------------------------------------------------


def _journal_poison(world: World, unit_to: str, change: dict[str, Any], origin: str) -> None:
    """An entry in the hub's journal routed to ``unit_to``, as an older hub could have left."""
    import orjson

    with world.hub_db() as db:
        jseq = db.execute("SELECT max(jseq) + 1 FROM journal").fetchone()[0]
        db.execute(
            "INSERT INTO journal (jseq, origin, seq, hlc, type, id, unit, fields, bases, actor, "
            "prev, hash, received_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, '{}', 'x', NULL, NULL, "
            "'2026-12-01T00:00:00+00:00')",
            (
                jseq,
                origin,
                10_000 + jseq,
                10**15,
                change["type"],
                change["id"],
                change["unit"],
                orjson.dumps(change["fields"]).decode(),
            ),
        )
        db.execute("INSERT INTO routes (unit, jseq) VALUES (?, ?)", (unit_to, jseq))


def test_a_ward_skips_pulled_changes_outside_their_senders_reach_and_says_so(world: World) -> None:
    a, b = world.wards[A], world.wards[B]
    own = world.ids[f"dossier_{A}"]
    before = a.conn.execute("SELECT status, applicant FROM dossier WHERE id = ?", (own,)).fetchone()
    # Another ward's node writing A's dossier through a fresh id's fields.
    _journal_poison(
        world,
        A,
        {
            "type": "dossier",
            "id": new_id(),
            "unit": B,
            "fields": {"id": own, "unit": A, "status": 10},
        },
        b.node_id,
    )
    # Another ward's node writing A's dossier under A's name.
    _journal_poison(
        world, A, {"type": "dossier", "id": own, "unit": A, "fields": {"status": 10}}, b.node_id
    )
    # A receipt re-pointed at another document (immutable).
    _journal_poison(
        world,
        A,
        {
            "type": "document_receipt",
            "id": world.ids["receipt_A"],
            "unit": A,
            "fields": {"document_id": world.ids["doc_C_to_B"]},
        },
        "hub",
    )
    # And one honest entry behind them: still applied.
    hub_conn = open_hub(world.tmp / "hub")
    try:
        city = _document("H57", [A], "Văn bản hợp lệ sau cùng")
        hub_capture(hub_conn).write("document", city["id"], "H57", city, actor="admin")
    finally:
        hub_conn.close()
    a.session.run()
    after = a.conn.execute("SELECT status, applicant FROM dossier WHERE id = ?", (own,)).fetchone()
    assert tuple(after) == tuple(before)
    receipt = a.conn.execute(
        "SELECT document_id FROM document_receipt WHERE id = ?", (world.ids["receipt_A"],)
    ).fetchone()
    assert receipt[0] == world.ids["doc_B_to_AC"]
    assert (
        a.conn.execute("SELECT count(*) FROM document WHERE id = ?", (city["id"],)).fetchone()[0]
        == 1
    )
    assert a.conn.execute("SELECT count(*) FROM refused_changes").fetchone()[0] == 3
    assert read_status(a.conn)["refused_changes"] == 3


# -- the property: whatever a ward signs, no other unit's row changes -----------------------


UNITS = [A, B, C, "H57"]


@st.composite
def forged_changes(draw: st.DrawFn, world: World) -> list[dict[str, Any]]:
    """1–4 changes built from stored records of any unit: the record's own fields, some left
    out, under the attacker's unit or another, at the record's id, a fresh one or one of the
    attacker's own, with ``id``, ``unit`` and parent and addressee fields pointing anywhere."""
    ids = list(world.ids.values())
    targets = [(t, r) for t, rows in sorted(world.templates.items()) for r in rows]
    out = []
    for _ in range(draw(st.integers(1, 4))):
        type_name, target = draw(st.sampled_from(targets))
        own = [r["id"] for r in world.templates[type_name] if r["unit"] == A]
        rid = draw(st.one_of(st.just(target["id"]), st.builds(new_id), st.sampled_from(own or ids)))
        fields = {k: v for k, v in target.items() if v is not None and draw(st.booleans())}
        fields["id"] = draw(st.sampled_from([None, target["id"], rid]))
        fields["unit"] = draw(st.sampled_from([None, target["unit"], *UNITS]))
        fields = {k: v for k, v in fields.items() if v is not None}
        rtype = record_types()[type_name]
        if rtype.parent and draw(st.booleans()):
            fields[rtype.parent[1]] = draw(st.sampled_from(ids))
            if rtype.parent[0].startswith("@"):
                fields[rtype.parent[0][1:]] = draw(
                    st.sampled_from(["document", "dossier", "directive"])
                )
        if rtype.addressees and draw(st.booleans()):
            fields[rtype.addressees] = draw(
                st.lists(st.sampled_from(UNITS), max_size=3, unique=True)
            )
        unit = draw(st.sampled_from([A, A, A, target["unit"], *UNITS]))
        out.append({"type": type_name, "id": rid, "unit": unit, "fields": fields})
    return out


@pytest.fixture
def prop_world(world: World) -> World:
    """The world, with up to three stored records of each type and unit to forge from."""
    with world.hub_db() as db:
        for name in record_types():
            rows = select_records(db, name, "ORDER BY unit, id")
            per_unit: dict[str, list[dict[str, Any]]] = {}
            for row in rows:
                per_unit.setdefault(row["unit"], []).append(row)
            world.templates[name] = [r for group in per_unit.values() for r in group[:3]]
    return world


@settings(
    max_examples=120,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_no_push_a_ward_can_sign_changes_a_row_another_unit_owns(
    prop_world: World, data: Any
) -> None:
    world = prop_world
    a = world.wards[A]
    changes = data.draw(forged_changes(world))
    note(repr(changes))
    before = world.snapshot(A)
    with world.hub_db() as db:
        top = db.execute("SELECT max(jseq) FROM journal").fetchone()[0]
    resp = world.push(a, changes)
    assert resp.status_code < 500, resp.get_data(as_text=True)
    after = world.snapshot(A)
    assert after["others"] == before["others"]
    # No record of the ward's moved to another unit; no new record of another unit appeared.
    assert set(before["owners"]) <= set(after["owners"])
    # What the push added to the journal is the ward's own changes, and at most the hub's notice
    # of a conflict between two of them, told to the ward alone (docs/conflicts.md): two forged
    # edits of one of its own fields, neither seeing the other, are a conflict like any other.
    with world.hub_db() as db:
        new = db.execute("SELECT origin, unit, type FROM journal WHERE jseq > ?", (top,)).fetchall()
        hub = get_meta(db, "hub_id", "hub")
    assert all(tuple(r) in ((a.node_id, A, r["type"]), (hub, A, "conflict")) for r in new), [
        tuple(r) for r in new
    ]


def _sms(world: World, dossier_id: str, phone: str) -> dict[str, Any]:
    rid = new_id()
    return {
        "type": "sms",
        "id": rid,
        "unit": A,
        "fields": {
            "id": rid,
            "unit": A,
            "dossier_id": dossier_id,
            "dossier_code": "H57.19786-261127-0001",
            "phone": phone,
            "text": "Ho so cua ban bi khoa. Chuyen tien vao tai khoan 123 de mo.",
            "kind": "received",
            "status": "queued",
            "attempts": 0,
            "queued_at": "2026-11-27T08:00:00+07:00",
        },
    }


def test_the_city_gateway_texts_only_the_applicant_of_the_wards_own_dossier(world: World) -> None:
    a = world.wards[A]
    own = world.ids[f"dossier_{A}"]
    # Any number of the attacker's choosing, on its own dossier: refused.
    _refused(world.push(a, [_sms(world, own, "+84905550123")]), "sms_out_of_scope")
    # The applicant of another ward's dossier: refused.
    with world.hub_db() as db:
        db.execute(
            "UPDATE dossier SET applicant = json_set(applicant, '$.phone', '+84905550123') "
            "WHERE id = ?",
            (world.ids[f"dossier_{B}"],),
        )
    _refused(
        world.push(a, [_sms(world, world.ids[f"dossier_{B}"], "+84905550123")]),
        "sms_out_of_scope",
    )
    # The applicant's own phone, set in the same push: accepted.
    applicant = {"full_name": "Lê Văn Tám", "phone": "+84905550124"}
    resp = world.push(
        a,
        [
            {"type": "dossier", "id": own, "unit": A, "fields": {"applicant": applicant}},
            _sms(world, own, "+84905550124"),
        ],
    )
    assert resp.status_code == 200, resp.get_json()
    with world.hub_db() as db:
        assert db.execute("SELECT count(*) FROM sms").fetchone()[0] == 1
