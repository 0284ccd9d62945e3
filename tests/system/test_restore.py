"""A ward restored from an older copy of its data folder loses nothing and reuses no number
the city holds (docs/sync.md, "Restores"); a hub restored from a backup gets back what the
wards had sent it since.

In process: the hub's app, one ward on an in-memory transport (the same bytes as over HTTP;
``tests/system/test_backup.py`` does the same with real processes, ``ward-node backup`` and a plain
copy of the folder)."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient

from sync import KeyPair, NodeSync, Replica, get_meta, read_status
from tests.support import AppTransport, enrollment_token
from tests.support.hubstore import hub_db
from ward_node.dossiers import Dossiers
from ward_node.store import identity, load_clock, open_store
from ward_node.sync_link import init_node, renumber
from webapp import User

UNIT = "19786"
OFFICER = User("canbo", "officer", "Cán bộ")


class Ward:
    """The ward's data folder, opened and closed as the tests copy it around."""

    def __init__(self, tmp_path: Path, hub: FlaskClient) -> None:
        self.data = tmp_path / "ward"
        self.transport = AppTransport(hub)
        init_node(
            self.data,
            unit=UNIT,
            hub_url="http://hub.test",
            token=enrollment_token(tmp_path),
            transport=self.transport,
        )
        self.open()

    def open(self) -> None:
        self.conn = open_store(self.data)
        ident = identity(self.conn)
        self.session = NodeSync(
            self.conn,
            node_id=ident.node_id,
            keys=KeyPair.load(self.data / "keys"),
            hub=ident.hub,
            replica=Replica(self.conn),
            clock=load_clock(self.conn),
            transport=self.transport,
            after_recovery=renumber,
        )

    def close(self) -> None:
        self.conn.close()

    def receive(self, name: str, phone: str | None = None) -> dict[str, Any]:
        applicant = {"full_name": name, **({"phone": phone} if phone else {})}
        return Dossiers(self.conn, self.session.clock).receive(
            {"procedure_code": "1.001193", "applicant": applicant}, OFFICER
        )

    def codes(self) -> dict[str, str]:
        return dict(self.conn.execute("SELECT id, code FROM dossier").fetchall())

    def copy_to(self, where: Path) -> None:
        """A plain copy of the folder, as IT would take one (the node stopped)."""
        self.close()
        shutil.copytree(self.data, where)
        self.open()

    def restore_from(self, where: Path) -> None:
        """The disk died: the folder comes back from the copy."""
        self.close()
        shutil.rmtree(self.data)
        shutil.copytree(where, self.data)
        self.open()


def _hub(tmp_path: Path) -> sqlite3.Connection:
    return hub_db(tmp_path / "hub")


def _hub_codes(tmp_path: Path) -> dict[str, str]:
    with _hub(tmp_path) as db:
        return dict(db.execute("SELECT id, code FROM dossier").fetchall())


@pytest.fixture
def ward(tmp_path: Path, hub: FlaskClient) -> Ward:
    w = Ward(tmp_path, hub)
    w.session.run()
    return w


def test_a_ward_restored_from_an_older_copy_gets_back_what_it_sent_and_sends_what_it_wrote(
    tmp_path: Path, ward: Ward
) -> None:
    before = [ward.receive(n) for n in ("Lê Văn Tám", "Hồ Thị Hoa")]
    ward.session.run()
    ward.copy_to(tmp_path / "copy")
    lost = [ward.receive(n, "+84905550101") for n in ("Trần Văn Ba", "Ngô Thị Bốn", "Phan Năm")]
    ward.session.run()
    assert len(_hub_codes(tmp_path)) == 5

    ward.restore_from(tmp_path / "copy")
    assert len(ward.codes()) == 2
    # Three new dossiers after the restore: the old counter gives them the lost ones' codes.
    after = [ward.receive(n, "+84905550102") for n in ("Võ Thị Sáu", "Đặng Văn Bảy", "Bùi Thị Tám")]
    assert {d["code"] for d in after} == {d["code"] for d in lost}

    report = ward.session.run()
    assert report is not None
    status = read_status(ward.conn)
    assert status["state"] == "synced" and status["pending_changes"] == 0

    hub_codes = _hub_codes(tmp_path)
    ward_codes = ward.codes()
    assert ward_codes == hub_codes  # the ward got back the three it had lost
    assert len(hub_codes) == 8 and len(set(hub_codes.values())) == 8  # no code twice
    for d in before + lost:
        assert hub_codes[d["id"]] == d["code"]  # the city's numbers never change
    renumbered = {d["id"]: hub_codes[d["id"]] for d in after}
    assert set(renumbered.values()).isdisjoint({d["code"] for d in lost})
    # Each citizen whose code changed is told, and the desk sees the old code.
    with _hub(tmp_path) as db:
        texts = [r[0] for r in db.execute("SELECT text FROM sms WHERE kind = 'code_changed'")]
        previous = dict(
            db.execute("SELECT id, previous_code FROM dossier WHERE previous_code IS NOT NULL")
        )
    assert len(texts) == 3 and all("doi ma thanh" in t for t in texts)
    assert previous == {d["id"]: d["code"] for d in after}
    recovery = get_meta(ward.conn, "sync.recovery")
    assert recovery["recovered"] >= 6 and recovery["reissued"] >= 6
    assert len(recovery["renumbered"]) == 3

    # The ward's log and the hub's journal hold one history: the same seq and hash each.
    with _hub(tmp_path) as db:
        journal = db.execute(
            "SELECT seq, hash FROM journal WHERE origin = ? ORDER BY seq", (ward.session.node_id,)
        ).fetchall()
    log = ward.conn.execute("SELECT seq, hash FROM changes ORDER BY seq").fetchall()
    assert [tuple(r) for r in journal] == [tuple(r) for r in log]
    # And the next dossier takes the next free number.
    nxt = ward.receive("Lý Văn Chín")
    assert nxt["code"] not in hub_codes.values()


def test_a_restored_ward_that_wrote_nothing_learns_at_its_first_pull(
    tmp_path: Path, ward: Ward
) -> None:
    ward.receive("Lê Văn Tám")
    ward.session.run()
    ward.copy_to(tmp_path / "copy")
    lost = ward.receive("Hồ Thị Hoa")
    ward.session.run()
    ward.restore_from(tmp_path / "copy")
    ward.session.run()  # nothing to push: the pull says the hub holds more of this node
    assert lost["id"] in ward.codes()
    assert ward.receive("Trần Văn Ba")["code"] != lost["code"]
    ward.session.run()
    assert len(set(_hub_codes(tmp_path).values())) == 3


def test_a_replay_of_the_same_history_is_not_taken_for_a_restore(
    tmp_path: Path, ward: Ward
) -> None:
    ward.receive("Lê Văn Tám")
    ward.session.run()
    pushes = [b for p, b in ward.transport.sent if p == "/sync/v1/push"]
    assert ward.transport.client.post("/sync/v1/push", data=pushes[-1]).status_code == 200
    ward.session.run()
    assert get_meta(ward.conn, "sync.recovery") is None


def _city_document(tmp_path: Path, summary: str) -> str:
    from central_hub.store import capture as hub_capture
    from central_hub.store import open_store as open_hub
    from sync import new_id

    doc = {
        "id": new_id(),
        "unit": "H57",
        "symbol": "15/UBND-VP",
        "doc_type": "Công văn",
        "summary": summary,
        "issued_on": "2026-11-27",
        "units": [UNIT],
        "urgency": "khan",
        "secrecy": "none",
        "created_by": "vanthu",
    }
    conn = open_hub(tmp_path / "hub")
    try:
        hub_capture(conn).write("document", doc["id"], "H57", doc, actor="admin")
    finally:
        conn.close()
    return str(doc["id"])


def test_a_hub_restored_from_a_backup_gets_again_what_the_wards_had_sent(
    tmp_path: Path, ward: Ward
) -> None:
    ward.receive("Lê Văn Tám")
    ward.session.run()
    shutil.copytree(tmp_path / "hub", tmp_path / "hub-copy")
    second = ward.receive("Hồ Thị Hoa")
    _city_document(tmp_path, "Gửi trước khi máy chủ hỏng")
    ward.session.run()
    assert second["id"] in _hub_codes(tmp_path)
    shutil.rmtree(tmp_path / "hub")
    shutil.copytree(tmp_path / "hub-copy", tmp_path / "hub")
    assert second["id"] not in _hub_codes(tmp_path)
    # The restored hub numbers its journal anew: a document sent now takes the position the
    # lost one had, which the ward's cursor has passed.
    after = _city_document(tmp_path, "Gửi sau khi khôi phục máy chủ")
    ward.receive("Trần Văn Ba")
    ward.session.run()
    assert len(_hub_codes(tmp_path)) == 3 and second["id"] in _hub_codes(tmp_path)
    assert (
        ward.conn.execute("SELECT count(*) FROM document WHERE id = ?", (after,)).fetchone()[0] == 1
    )
    assert read_status(ward.conn)["state"] == "synced"


def test_an_acknowledgement_past_what_was_sent_is_not_taken_for_a_restored_log(
    tmp_path: Path, ward: Ward
) -> None:
    """Found by the fault harness: a restored ward pushes a small chunk of changes it had
    sent before the copy; the hub acknowledges up to the last seq it holds, which this log
    holds other changes under. Taken as it was, the node marked those as sent."""
    ward.receive("Lê Văn Tám")
    ward.session.run()
    unsent = ward.receive("Hồ Thị Hoa")  # in the copy, not yet acknowledged there
    ward.copy_to(tmp_path / "copy")
    ward.session.run()
    lost = [ward.receive(n) for n in ("Trần Văn Ba", "Ngô Thị Bốn")]
    ward.session.run()
    ward.restore_from(tmp_path / "copy")
    after = [ward.receive(n) for n in ("Võ Thị Sáu", "Đặng Văn Bảy", "Bùi Thị Tám", "Lý Chín")]
    ward.session.chunk = 2  # the first push carries only changes the hub already holds
    ward.session.run()
    codes = _hub_codes(tmp_path)
    for d in [unsent, *lost, *after]:
        assert d["id"] in codes, "a dossier never reached the hub"
    assert len(set(codes.values())) == len(codes) == 8
    assert ward.codes() == codes
    assert read_status(ward.conn)["pending_changes"] == 0
