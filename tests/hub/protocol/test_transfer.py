"""Offline transfer on files (docs/protocol.md, "Transfer files"): a ward's pending changes carried
to the hub, the hub's acknowledgements and routed entries carried back; same envelopes, same
idempotency, clear refusals that change nothing.

Hub and ward are built in tmp_path; the ward enrols and syncs online once through the hub's app
in-process (``AppTransport``), then the link is "down" and everything moves on files.
"""

from __future__ import annotations

import shutil
import sqlite3
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient

from central_hub import cli as hub_cli
from central_hub import create_app as create_hub
from central_hub.protocol import transfer as hub_transfer
from central_hub.setup import init_hub
from central_hub.store import capture
from central_hub.store import open_store as open_hub_store
from sync import (
    KeyPair,
    NodeSync,
    Replica,
    SyncError,
    SyncReport,
    WrongRecipient,
    atomic,
    get_meta,
    read_status,
    set_meta,
)
from tests.support import AppTransport, enrollment_token
from tests.support.hubstore import hub_db
from ward_node import cli as ward_cli
from ward_node.dossiers import Dossiers
from ward_node.store import identity, load_clock, open_store
from ward_node.sync_link import init_node, rotation
from ward_node.sync_link import transfer as ward_transfer
from webapp import User

UNIT = "19786"
OTHER_UNIT = "19744"
NAMES = ["Lê Văn Tám", "Hồ Thị Hoa", "Trần Quốc Toản"]


@dataclass
class World:
    """A hub and one enrolled ward that synced online once."""

    tmp: Path
    hub_dir: Path
    ward_dir: Path
    hub: FlaskClient
    transport: AppTransport


def _enrol(hub_dir: Path, ward_dir: Path, unit: str, transport: AppTransport) -> None:
    init_node(
        ward_dir,
        unit=unit,
        hub_url="http://hub.test",
        token=enrollment_token(hub_dir.parent, unit),
        transport=transport,
    )
    _online(ward_dir, transport)


def _online(ward_dir: Path, transport: AppTransport) -> SyncReport:
    """One online push and pull, as ``ward-node sync`` does."""
    conn = open_store(ward_dir)
    try:
        ident = identity(conn)
        return NodeSync(
            conn,
            node_id=ident.node_id,
            keys=KeyPair.load(ward_dir / "keys"),
            hub=ident.hub,
            replica=Replica(conn),
            clock=load_clock(conn),
            transport=transport,
        ).run()
    finally:
        conn.close()


@pytest.fixture
def world(tmp_path: Path) -> World:
    hub_dir = tmp_path / "hub"
    init_hub(hub_dir, name="Hub thử")
    client = create_hub({"DATA": str(hub_dir)}).test_client()
    transport = AppTransport(client)
    ward_dir = tmp_path / "ward"
    _enrol(hub_dir, ward_dir, UNIT, transport)
    return World(tmp_path, hub_dir, ward_dir, client, transport)


def _receive(ward_dir: Path, n: int) -> list[str]:
    """Receive ``n`` dossiers at the ward's desk (two changes each); return their ids."""
    conn = open_store(ward_dir)
    try:
        service = Dossiers(conn, load_clock(conn))
        return [
            service.receive(
                {"procedure_code": "1.001193", "applicant": {"full_name": NAMES[i % len(NAMES)]}},
                User("canbo", "officer", "Cán bộ"),
            )["id"]
            for i in range(n)
        ]
    finally:
        conn.close()


def _hub_state(hub_dir: Path) -> tuple[Any, ...]:
    """Everything an import may change at the hub, but its logs of visits."""
    with hub_db(hub_dir) as db:
        return (
            db.execute(
                "SELECT jseq, origin, seq, hlc, type, id, fields, bases, hash FROM journal"
            ).fetchall(),
            db.execute("SELECT * FROM routes ORDER BY unit, jseq").fetchall(),
            db.execute("SELECT * FROM dossier ORDER BY id").fetchall(),
            db.execute("SELECT * FROM dossier_step ORDER BY id").fetchall(),
            db.execute(
                "SELECT node_id, last_seq, last_hash FROM nodes ORDER BY node_id"
            ).fetchall(),
            db.execute("SELECT count(*) FROM conflicts").fetchall(),
        )


def _ward_state(ward_dir: Path) -> tuple[Any, ...]:
    with sqlite3.connect(ward_dir / "node.sqlite3") as db:
        return (
            db.execute("SELECT * FROM dossier ORDER BY id").fetchall(),
            db.execute("SELECT * FROM dossier_step ORDER BY id").fetchall(),
            db.execute("SELECT count(*), max(seq) FROM changes").fetchall(),
            db.execute(
                "SELECT key, value FROM meta WHERE key IN ('acked_seq', 'pull_cursor', 'hlc') "
                "ORDER BY key"
            ).fetchall(),
        )


def _ward_meta(ward_dir: Path, key: str, default: Any = None) -> Any:
    conn = open_store(ward_dir)
    try:
        return get_meta(conn, key, default)
    finally:
        conn.close()


def _hub_import(hub_dir: Path, path: Path, **kw: Any) -> list[hub_transfer.SenderResult]:
    with hub_transfer.open_hub(hub_dir) as ctx:
        return hub_transfer.import_changes(ctx, path, **kw)


def _hub_export(hub_dir: Path, unit: str, out: Path, **kw: Any) -> hub_transfer.ExportResult:
    with hub_transfer.open_hub(hub_dir) as ctx:
        if "pull_limit" in kw:
            ctx = replace(ctx, pull_limit=kw.pop("pull_limit"))
        return hub_transfer.export_changes(ctx, unit, out, **kw)


def _admin_edit(hub_dir: Path, dossier_id: str, notes: str) -> None:
    conn = open_hub_store(hub_dir)
    try:
        capture(conn).write("dossier", dossier_id, UNIT, {"notes": notes}, actor="admin")
    finally:
        conn.close()


def _pending(ward_dir: Path) -> int:
    conn = open_store(ward_dir)
    try:
        return int(read_status(conn)["pending_changes"])
    finally:
        conn.close()


# -- ward to hub -------------------------------------------------------------------------------


def test_ward_export_reaches_the_hub_and_leaves_the_ward_unchanged(world: World) -> None:
    ids = _receive(world.ward_dir, 3)  # 6 changes, chunks of 4
    before = _ward_state(world.ward_dir)
    out = world.tmp / "phuong.wsx"
    result = ward_transfer.export_changes(world.ward_dir, out, chunk=4)
    assert (result.changes, result.envelopes, result.seq_from, result.seq_to) == (6, 2, 1, 6)
    assert _ward_state(world.ward_dir) == before  # still pending until acknowledged
    assert _pending(world.ward_dir) == 6
    assert not list(world.tmp.glob(".*.tmp"))  # no temporary file left behind

    [sender] = _hub_import(world.hub_dir, out)
    assert (sender.unit, sender.envelopes, sender.new, sender.acked_seq) == (UNIT, 2, 6, 6)
    assert sender.ack_path == world.tmp / "phuong.wsx.ack" and sender.ack_path.exists()
    with hub_db(world.hub_dir) as db:
        assert sorted(r[0] for r in db.execute("SELECT id FROM dossier")) == sorted(ids)
        journal = db.execute(
            "SELECT seq FROM journal WHERE origin = ? ORDER BY seq", (sender.node_id,)
        ).fetchall()
        assert [r[0] for r in journal] == [1, 2, 3, 4, 5, 6]


def test_importing_the_same_file_twice_changes_nothing(world: World) -> None:
    _receive(world.ward_dir, 2)
    out = world.tmp / "phuong.wsx"
    ward_transfer.export_changes(world.ward_dir, out, chunk=3)
    first = _hub_import(world.hub_dir, out)
    after_first = _hub_state(world.hub_dir)
    again = _hub_import(world.hub_dir, out)
    assert _hub_state(world.hub_dir) == after_first
    assert (again[0].new, again[0].acked_seq) == (0, first[0].acked_seq) == (0, 4)
    with hub_db(world.hub_dir) as db:
        assert db.execute("SELECT replays FROM nodes").fetchone()[0] == 4


def test_the_hub_acknowledgement_on_file_clears_the_wards_pending_changes(world: World) -> None:
    _receive(world.ward_dir, 2)
    out = world.tmp / "phuong.wsx"
    ward_transfer.export_changes(world.ward_dir, out, chunk=5000)
    [sender] = _hub_import(world.hub_dir, out)
    conn = open_store(world.ward_dir)
    with atomic(conn):
        set_meta(conn, "sync.hub_clock_offset_ms", 1234)
    conn.close()

    result = ward_transfer.import_changes(world.ward_dir, sender.ack_path)
    assert (result.acked_seq, result.newly_acked, result.pending) == (4, 4, 0)
    assert _pending(world.ward_dir) == 0
    # An acknowledgement that waited on a file says nothing of the clocks now.
    assert _ward_meta(world.ward_dir, "sync.hub_clock_offset_ms") == 1234
    again = ward_transfer.import_changes(world.ward_dir, sender.ack_path)
    assert (again.acked_seq, again.newly_acked) == (4, 0)

    world.transport.sent.clear()
    report = _online(world.ward_dir, world.transport)
    assert report.pushed == 0
    assert not [path for path, _ in world.transport.sent if path == "/sync/v1/push"]


def test_one_file_from_two_wards_gives_each_its_acknowledgement(world: World) -> None:
    other = world.tmp / "ward2"
    _enrol(world.hub_dir, other, OTHER_UNIT, world.transport)
    _receive(world.ward_dir, 1)
    _receive(other, 2)
    a, b = world.tmp / "a.wsx", world.tmp / "b.wsx"
    ward_transfer.export_changes(world.ward_dir, a, chunk=10)
    ward_transfer.export_changes(other, b, chunk=10)
    both = world.tmp / "ca-hai.wsx"
    ward_transfer.write_bundle(both, ward_transfer.read_bundle(a) + ward_transfer.read_bundle(b))
    first, second = _hub_import(world.hub_dir, both)
    assert (first.unit, first.acked_seq, second.unit, second.acked_seq) == (UNIT, 2, OTHER_UNIT, 4)
    assert first.ack_path == world.tmp / f"ca-hai.wsx.{first.node_id}.ack"
    assert ward_transfer.import_changes(world.ward_dir, first.ack_path).pending == 0
    assert ward_transfer.import_changes(other, second.ack_path).pending == 0
    with pytest.raises(WrongRecipient):
        ward_transfer.import_changes(other, first.ack_path)


def test_a_refused_envelope_stops_the_import_naming_it(world: World) -> None:
    _receive(world.ward_dir, 2)
    good = world.tmp / "phuong.wsx"
    ward_transfer.export_changes(world.ward_dir, good, chunk=2)
    first, second = ward_transfer.read_bundle(good)
    tampered = bytearray(second)
    tampered[-20] ^= 0x01
    bad = world.tmp / "hong.wsx"
    ward_transfer.write_bundle(bad, [first, bytes(tampered)])
    with pytest.raises(SyncError, match="Gói số 2/2") as err:
        _hub_import(world.hub_dir, bad)
    assert "thay đổi số 3–4" in err.value.message
    with hub_db(world.hub_dir) as db:  # the first one went in
        assert db.execute("SELECT last_seq FROM nodes").fetchone()[0] == 2
    assert (
        ward_transfer.import_changes(world.ward_dir, bad.with_name("hong.wsx.ack")).acked_seq == 2
    )
    assert _pending(world.ward_dir) == 2


# -- hub to ward -------------------------------------------------------------------------------


def test_a_hub_edit_reaches_the_ward_on_file_once(world: World) -> None:
    [dossier_id] = _receive(world.ward_dir, 1)
    _online(world.ward_dir, world.transport)
    with hub_db(world.hub_dir) as db:
        pulled = db.execute("SELECT pulled_cursor FROM nodes").fetchone()[0]
    assert pulled == _ward_meta(world.ward_dir, "pull_cursor") > 0

    _admin_edit(world.hub_dir, dossier_id, "Bổ sung bản sao sổ đỏ")
    out = world.tmp / "tu-thanh-pho.wsx"
    exported = _hub_export(world.hub_dir, UNIT, out)
    assert (exported.since, exported.entries, exported.batches) == (pulled, 1, 1)
    assert exported.acked_seq == 2
    conn = open_store(world.ward_dir)
    with atomic(conn):
        set_meta(conn, "sync.hub_clock_offset_ms", -250)
    conn.close()

    result = ward_transfer.import_changes(world.ward_dir, out)
    assert _ward_meta(world.ward_dir, "sync.hub_clock_offset_ms") == -250
    assert (result.applied, result.skipped) == (1, 0)
    assert result.pull_cursor == exported.next_cursor
    with sqlite3.connect(world.ward_dir / "node.sqlite3") as db:
        notes = db.execute("SELECT notes FROM dossier WHERE id = ?", (dossier_id,)).fetchone()
    assert notes[0] == "Bổ sung bản sao sổ đỏ"
    state = _ward_state(world.ward_dir)
    again = ward_transfer.import_changes(world.ward_dir, out)
    assert (again.applied, again.skipped) == (0, 1)
    assert _ward_state(world.ward_dir) == state
    report = _online(world.ward_dir, world.transport)  # and online later, nothing twice
    assert report.pulled == 0


def test_a_hub_export_in_several_batches_is_applied_whole(world: World) -> None:
    [dossier_id] = _receive(world.ward_dir, 1)
    _online(world.ward_dir, world.transport)
    for i in range(7):
        _admin_edit(world.hub_dir, dossier_id, f"ghi chú {i}")
    out = world.tmp / "tu-thanh-pho.wsx"
    exported = _hub_export(world.hub_dir, UNIT, out, pull_limit=3)
    assert (exported.entries, exported.batches) == (7, 3)
    result = ward_transfer.import_changes(world.ward_dir, out)
    assert result.applied == 7
    with sqlite3.connect(world.ward_dir / "node.sqlite3") as db:
        assert db.execute("SELECT notes FROM dossier").fetchone()[0] == "ghi chú 6"


def test_a_hub_export_missing_a_batch_is_refused(world: World) -> None:
    [dossier_id] = _receive(world.ward_dir, 1)
    _online(world.ward_dir, world.transport)
    for i in range(7):
        _admin_edit(world.hub_dir, dossier_id, f"ghi chú {i}")
    out = world.tmp / "tu-thanh-pho.wsx"
    _hub_export(world.hub_dir, UNIT, out, pull_limit=3)
    head, b1, _b2, b3 = ward_transfer.read_bundle(out)
    cut = world.tmp / "thieu.wsx"
    before = _ward_state(world.ward_dir)
    for records in ([head, b1, b3], [head, b1], [b1, _b2, b3]):
        ward_transfer.write_bundle(cut, records)
        with pytest.raises(ward_transfer.TransferFileError, match="thiếu"):
            ward_transfer.import_changes(world.ward_dir, cut)
        assert _ward_state(world.ward_dir) == before


def test_a_hub_export_starting_past_the_wards_cursor_is_refused(world: World) -> None:
    [dossier_id] = _receive(world.ward_dir, 1)
    _online(world.ward_dir, world.transport)
    cursor = _ward_meta(world.ward_dir, "pull_cursor")
    _admin_edit(world.hub_dir, dossier_id, "một")
    _admin_edit(world.hub_dir, dossier_id, "hai")
    out = world.tmp / "tu-thanh-pho.wsx"
    _hub_export(world.hub_dir, UNIT, out, since=cursor + 1)  # the ward never got cursor + 1
    before = _ward_state(world.ward_dir)
    with pytest.raises(ward_transfer.TransferFileError, match=f"--since {cursor}"):
        ward_transfer.import_changes(world.ward_dir, out)
    assert _ward_state(world.ward_dir) == before


def test_a_ward_restored_from_an_old_backup_refuses_an_ack_beyond_its_log(world: World) -> None:
    backup = world.tmp / "ban-sao"
    shutil.copytree(world.ward_dir, backup)
    _receive(world.ward_dir, 2)
    _online(world.ward_dir, world.transport)  # the hub holds seq 1-4; the backup has none
    out = world.tmp / "tu-thanh-pho.wsx"
    _hub_export(world.hub_dir, UNIT, out)
    before = _ward_state(backup)
    with pytest.raises(SyncError, match="chỉ có đến số 0") as err:
        ward_transfer.import_changes(backup, out)
    assert err.value.code == "ack_mismatch"
    assert _ward_state(backup) == before


def test_a_file_for_another_ward_is_refused_and_changes_nothing(
    world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    other = world.tmp / "ward2"
    _enrol(world.hub_dir, other, OTHER_UNIT, world.transport)
    out = world.tmp / "cho-phuong-khac.wsx"
    _hub_export(world.hub_dir, OTHER_UNIT, out, since=0)
    before = _ward_state(world.ward_dir)
    with pytest.raises(WrongRecipient, match="không phải nút này"):
        ward_transfer.import_changes(world.ward_dir, out)
    capsys.readouterr()
    assert ward_cli.main(["import-changes", "--data", str(world.ward_dir), str(out)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("Lỗi: Tệp này dành cho nút 19744-") and err.count("\n") == 1
    assert _ward_state(world.ward_dir) == before


def test_a_file_sealed_to_keys_the_ward_has_since_rotated_is_refused(world: World) -> None:
    out = world.tmp / "tu-thanh-pho.wsx"
    _hub_export(world.hub_dir, UNIT, out)
    rotation.rotate_keys(world.ward_dir, transport=world.transport)
    before = _ward_state(world.ward_dir)
    with pytest.raises(WrongRecipient, match="khóa cũ"):
        ward_transfer.import_changes(world.ward_dir, out)
    assert _ward_state(world.ward_dir) == before
    _hub_export(world.hub_dir, UNIT, out)  # exported again, to the new keys
    assert ward_transfer.import_changes(world.ward_dir, out).applied == 0


def test_a_file_taken_the_wrong_way_is_refused_clearly(world: World) -> None:
    _receive(world.ward_dir, 1)
    ward_file = world.tmp / "phuong.wsx"
    ward_transfer.export_changes(world.ward_dir, ward_file, chunk=10)
    hub_file = world.tmp / "thanh-pho.wsx"
    _hub_export(world.hub_dir, UNIT, hub_file)
    with pytest.raises(ward_transfer.TransferFileError, match="central-hub import-changes"):
        ward_transfer.import_changes(world.ward_dir, ward_file)
    with pytest.raises(hub_transfer.TransferFileError, match="ward-node import-changes"):
        _hub_import(world.hub_dir, hub_file)


@pytest.mark.parametrize("cut", [1, 37, 200, -1, -33, -40])
def test_a_truncated_file_is_refused_clearly(
    world: World, capsys: pytest.CaptureFixture[str], cut: int
) -> None:
    _receive(world.ward_dir, 1)
    out = world.tmp / "phuong.wsx"
    ward_transfer.export_changes(world.ward_dir, out, chunk=10)
    data = out.read_bytes()
    out.write_bytes(data[:cut])
    before = _hub_state(world.hub_dir)
    code = hub_cli.main(["import-changes", "--data", str(world.hub_dir), str(out)])
    err = capsys.readouterr().err
    assert code == 1
    assert err.count("\n") == 1 and ("bị cắt cụt hoặc hỏng" in err or "không phải tệp" in err)
    assert _hub_state(world.hub_dir) == before
    assert not out.with_name("phuong.wsx.ack").exists()


def test_the_four_commands_carry_a_week_offline(
    world: World, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    [dossier_id] = _receive(world.ward_dir, 1)
    _online(world.ward_dir, world.transport)
    _receive(world.ward_dir, 2)  # the link is down from here
    _admin_edit(world.hub_dir, dossier_id, "Thành phố yêu cầu bổ sung")
    monkeypatch.setenv("WARD_NODE_DATA", str(world.ward_dir))
    monkeypatch.setenv("CENTRAL_HUB_DATA", str(world.hub_dir))
    to_hub, ack = world.tmp / "len.wsx", world.tmp / "xac-nhan.wsx"
    to_ward = world.tmp / "ve.wsx"

    assert ward_cli.main(["export-changes", "--out", str(to_hub)]) == 0
    assert "Đã ghi 4 thay đổi chờ gửi (số 3–6" in capsys.readouterr().out
    assert hub_cli.main(["import-changes", str(to_hub), "--ack-out", str(ack)]) == 0
    out = capsys.readouterr().out
    assert out.count("\n") == 1 and "đã ghi nhận đến thay đổi số 6 (4 thay đổi mới)" in out
    assert hub_cli.main(["import-changes", str(to_hub), "--ack-out", str(ack)]) == 0
    assert "(0 thay đổi mới)" in capsys.readouterr().out
    assert hub_cli.main(["export-changes", "--unit", UNIT, "--out", str(to_ward)]) == 0
    assert "Đã ghi 1 thay đổi cho nút" in capsys.readouterr().out
    assert ward_cli.main(["import-changes", str(to_ward)]) == 0
    out = capsys.readouterr().out
    assert "xác nhận đến thay đổi số 6 (4 mới), còn 0 chờ gửi; nhận 1 thay đổi" in out
    assert ward_cli.main(["import-changes", str(ack)]) == 0
    assert "(0 mới)" in capsys.readouterr().out

    assert _pending(world.ward_dir) == 0
    world.transport.sent.clear()
    report = _online(world.ward_dir, world.transport)
    assert (report.pushed, report.pulled) == (0, 0)
    with sqlite3.connect(world.ward_dir / "node.sqlite3") as db:
        assert db.execute("SELECT notes FROM dossier WHERE id = ?", (dossier_id,)).fetchone() == (
            "Thành phố yêu cầu bổ sung",
        )


def test_commands_fail_with_one_clear_line(
    world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = world.tmp / "khong-co.wsx"
    assert ward_cli.main(["import-changes", "--data", str(world.ward_dir), str(missing)]) == 1
    assert capsys.readouterr().err == f"Lỗi: Không tìm thấy tệp {missing}.\n"
    assert hub_cli.main(["import-changes", "--data", str(world.hub_dir), str(missing)]) == 1
    assert capsys.readouterr().err == f"Lỗi: Không tìm thấy tệp {missing}.\n"
    args = ["export-changes", "--data", str(world.hub_dir), "--unit", "00000", "--out", "x"]
    assert hub_cli.main(args) == 1
    assert "không có nút nào đang hoạt động" in capsys.readouterr().err
    args = ["export-changes", "--data", str(world.tmp / "trong"), "--out", str(missing)]
    assert ward_cli.main(args) == 1
    assert "chưa có nút phường" in capsys.readouterr().err
    assert not missing.exists()


def test_nothing_pending_exports_an_empty_file(
    world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    out = world.tmp / "rong.wsx"
    assert ward_cli.main(["export-changes", "--data", str(world.ward_dir), "--out", str(out)]) == 0
    assert "Không có thay đổi nào chờ gửi" in capsys.readouterr().out
    assert ward_transfer.read_bundle(out) == []
    assert hub_cli.main(["import-changes", "--data", str(world.hub_dir), str(out)]) == 0
    assert capsys.readouterr().out == "Tệp không có thay đổi nào.\n"


def test_an_old_file_does_not_pass_for_a_wrong_clock_at_the_hub(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    _receive(world.ward_dir, 1)
    out = world.tmp / "phuong.wsx"
    written = time.time() - 3 * 86400
    with monkeypatch.context() as m:  # the file was written three days ago
        m.setattr("sync.envelope.time.time", lambda: written)
        ward_transfer.export_changes(world.ward_dir, out, chunk=10)
    _hub_import(world.hub_dir, out)
    with hub_db(world.hub_dir) as db:
        offset = db.execute("SELECT clock_offset_s FROM nodes").fetchone()[0]
    assert abs(offset) < 60
