"""Routing by addressees and by parent: a document reaches exactly the units it is sent to,
and each addressee's receipt flows back to the sender only (docs/architecture.md,
"Ownership and routing")."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from flask.testing import FlaskClient

from central_hub.store import capture as hub_capture
from central_hub.store import open_store as open_hub
from sync import Conflict, NodeSync, Write, new_id
from tests.support import AppTransport, enrollment_token, synced_session
from tests.support.hubstore import hub_db
from ward_node.store import capture, load_clock
from ward_node.sync_link import init_node

A, B, C = "19786", "19744", "19750"


def _ward(tmp_path: Path, hub: FlaskClient, unit: str) -> tuple[NodeSync, sqlite3.Connection]:
    transport = AppTransport(hub)
    data = tmp_path / f"ward-{unit}"
    init_node(
        data,
        unit=unit,
        hub_url="http://hub.test",
        token=enrollment_token(tmp_path, unit),
        transport=transport,
    )
    return synced_session(data, transport)


def _document(unit: str, units: list[str]) -> dict:
    return {
        "id": new_id(),
        "unit": unit,
        "symbol": "15/UBND-VP",
        "doc_type": "Công văn",
        "summary": "Về việc rà soát hồ sơ tồn đọng quý IV",
        "issued_on": "2026-11-27",
        "units": units,
        "urgency": "khan",
        "secrecy": "none",
        "created_by": "vanthu",
    }


def _receipt(unit: str, document_id: str, code: str) -> dict:
    return {
        "id": new_id(),
        "unit": unit,
        "document_id": document_id,
        "status_code": code,
        "updated_by": "vanthu",
    }


def _count(conn: sqlite3.Connection, table: str) -> int:
    return int(conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0])


@pytest.fixture
def wards(tmp_path: Path, hub: FlaskClient) -> dict[str, tuple[NodeSync, sqlite3.Connection]]:
    return {unit: _ward(tmp_path, hub, unit) for unit in (A, B, C)}


def test_a_ward_document_reaches_its_addressees_and_their_receipts_come_back_to_it(wards) -> None:
    (sa, ca), (sb, cb), (sc, cc) = wards[A], wards[B], wards[C]
    doc = _document(A, [B])
    capture(ca, load_clock(ca)).write("document", doc["id"], A, doc, actor="vanthu")
    sa.run()
    sb.run()
    sc.run()
    assert _count(cb, "document") == 1 and _count(cc, "document") == 0

    receipt = _receipt(B, doc["id"], "01")
    capture(cb, load_clock(cb)).write("document_receipt", receipt["id"], B, receipt, actor="vanthu")
    sb.run()
    capture(cb, load_clock(cb)).write(
        "document_receipt",
        receipt["id"],
        B,
        {"status_code": "05", "lead_handler": "chuyenvien"},
        actor="lanhdao",
    )
    sb.run()
    sa.run()
    sc.run()
    row = ca.execute("SELECT status_code, lead_handler, unit FROM document_receipt").fetchone()
    assert tuple(row) == ("05", "chuyenvien", B)
    assert _count(cc, "document_receipt") == 0


def test_a_city_document_reaches_every_addressee_and_no_one_else(
    tmp_path: Path, hub: FlaskClient, wards
) -> None:
    conn = open_hub(tmp_path / "hub")
    doc = _document("H57", [A, C])
    hub_capture(conn).write("document", doc["id"], "H57", doc, actor="admin")
    conn.close()
    for unit in (A, B, C):
        wards[unit][0].run()
    assert [_count(wards[u][1], "document") for u in (A, B, C)] == [1, 0, 1]


def test_a_receipt_for_a_document_not_sent_to_the_ward_is_refused(
    tmp_path: Path, hub: FlaskClient, wards
) -> None:
    (sa, ca), (sb, cb) = wards[A], wards[B]
    doc = _document(A, [C])
    capture(ca, load_clock(ca)).write("document", doc["id"], A, doc, actor="vanthu")
    sa.run()
    forged = _receipt(B, doc["id"], "03")
    capture(cb, load_clock(cb)).write("document_receipt", forged["id"], B, forged, actor="vanthu")
    with pytest.raises(Exception, match="không gửi"):
        sb.run()
    with hub_db(tmp_path / "hub") as db:
        assert db.execute("SELECT count(*) FROM document_receipt").fetchone()[0] == 0


def test_the_addressee_list_of_a_document_never_changes(wards) -> None:
    _sa, ca = wards[A]
    doc = _document(A, [B])
    writer = capture(ca, load_clock(ca))
    writer.write("document", doc["id"], A, doc, actor="vanthu")
    with pytest.raises(Conflict) as refused:
        writer.write_many([Write("document", doc["id"], A, {"units": [B, C]})], actor="vanthu")
    assert refused.value.details["field"] == "units"
    writer.write(
        "document", doc["id"], A, {"units": [B], "summary": "Về việc rà soát (sửa)"}, actor="vanthu"
    )


def _attachment(unit: str, parent_type: str, parent_id: str) -> dict:
    return {
        "id": new_id(),
        "unit": unit,
        "parent_type": parent_type,
        "parent_id": parent_id,
        "sha256": "ab" * 32,
        "name": "cong-van-15.pdf",
        "mime": "application/pdf",
        "size": 1234,
        "uploaded_by": "vanthu",
        "uploaded_at": "2026-11-27T02:00:00+00:00",
        "deleted": False,
    }


def test_a_document_attachment_follows_the_document_to_its_addressees_only(wards) -> None:
    (sa, ca), (sb, cb), (sc, cc) = wards[A], wards[B], wards[C]
    doc = _document(A, [B])
    scan = _attachment(A, "document", doc["id"])
    capture(ca, load_clock(ca)).write_many(
        [Write("document", doc["id"], A, doc), Write("attachment", scan["id"], A, scan)],
        actor="vanthu",
    )
    sa.run()
    sb.run()
    sc.run()
    assert _count(cb, "attachment") == 1 and _count(cc, "attachment") == 0

    # An addressee cannot hang its own file on the sender's document.
    intruder = _attachment(B, "document", doc["id"])
    capture(cb, load_clock(cb)).write("attachment", intruder["id"], B, intruder, actor="vanthu")
    with pytest.raises(Exception, match="không thuộc"):
        sb.run()
