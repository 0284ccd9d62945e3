"""Staged upgrades (docs/upgrades.md): nodes of different releases sync with the hub, nothing
is lost or refused for a field a node does not know yet, the hub holds what a node cannot take
until it upgrades, and a store is never used by a release older than the one that migrated it.

The previous release is built from git history (commit ``PREVIOUS``) and run as real
processes; the next release is this checkout plus new optional fields on routed record types
and a migration, run the same way (``_build_next``)."""

from __future__ import annotations

import configparser
import hashlib
import json
import os
import shutil
import sqlite3
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import requests
from flask.testing import FlaskClient
from hypothesis import given, settings
from hypothesis import strategies as st

import ward_node
from sync import (
    RELEASE,
    Change,
    KeyPair,
    NodeSync,
    Replica,
    StoreTooNew,
    SyncReport,
    ValidationError,
    atomic,
    canonical,
    create_record_tables,
    get_meta,
    read_status,
    record_schemas,
    schema_fingerprint,
    schemas_digest,
    validate_fields,
)
from tests.support import (
    PASSWORD,
    ROOT,
    AppTransport,
    Cluster,
    console_login,
    enrollment_token,
    hub_token,
    make_ward_data,
    query,
    run,
    token,
    wait_until,
)
from ward_node.store import MIGRATIONS, STORE_FILE, identity, load_clock, open_store
from ward_node.sync_link import init_node

PREVIOUS = "3573c66"  # release 0.1.0, the last before this one
NEXT = "0.3.0"
UNIT = "19786"
PROCEDURE = "1.001193"
# Fields of this release that the seed sets on every procedure (schemas/procedure.json): a ward
# of 0.1.0 gets the rest of each procedure, these wait for its upgrade.
PROCEDURE_SEED_FIELDS = '["fee_rule","former_codes","legal_basis"]'


# -- releases built for the tests ------------------------------------------------------------


def _git(*args: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(["git", "-C", str(ROOT), *args], capture_output=True, timeout=120)


def _need_previous() -> None:
    if _git("cat-file", "-e", f"{PREVIOUS}^{{commit}}").returncode != 0:
        pytest.fail(
            f"The previous release (commit {PREVIOUS}) is not in this git clone: these tests "
            "build it from history and need a full clone (git fetch --unshallow)."
        )


def _build_previous(dest: Path) -> Path:
    """Release 0.1.0 as it was committed."""
    _need_previous()
    archive = _git("archive", PREVIOUS)
    assert archive.returncode == 0, archive.stderr.decode()
    dest.mkdir(parents=True)
    subprocess.run(["tar", "-x", "-C", str(dest)], input=archive.stdout, check=True, timeout=120)
    return dest


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def _add_property(folder: Path, type_name: str, name: str, prop: dict[str, Any]) -> None:
    path = folder / "schemas" / f"{type_name}.json"
    schema = json.loads(path.read_text(encoding="utf-8"))
    schema["properties"][name] = prop
    path.write_text(json.dumps(schema, ensure_ascii=False, indent=2), encoding="utf-8")


def _build_next(dest: Path) -> Path:
    """The next release: this code with new optional fields on routed record types (reference
    data, addressed to units, owned by a ward) and the migration that adds their columns."""
    for package in ("sync", "office", "webapp", "ward_node", "central_hub", "schemas"):
        shutil.copytree(
            ROOT / package, dest / package, ignore=shutil.ignore_patterns("__pycache__")
        )
    _edit(dest / "sync" / "compat.py", f'RELEASE = "{RELEASE}"', f'RELEASE = "{NEXT}"')
    _edit(
        dest / "ward_node" / "__init__.py",
        f'__version__ = "{RELEASE}"',
        f'__version__ = "{NEXT}"',
    )
    _add_property(
        dest, "procedure", "online_level", {"type": ["integer", "null"], "minimum": 1, "maximum": 4}
    )
    _add_property(dest, "directive", "priority", {"enum": ["normal", "high", None]})
    _add_property(dest, "dossier", "hub_remark", {"type": ["string", "null"], "maxLength": 500})
    with (dest / "ward_node" / "store.py").open("a", encoding="utf-8") as out:
        out.write('\nMIGRATIONS.append(("0013_next_release_fields", create_record_tables))\n')
    with (dest / "central_hub" / "store.py").open("a", encoding="utf-8") as out:
        out.write('\nMIGRATIONS.append(("0026_next_release_fields", create_record_tables))\n')
    return dest


@pytest.fixture(scope="module")
def previous(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _build_previous(tmp_path_factory.mktemp("releases") / "previous")


@pytest.fixture(scope="module")
def following(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _build_next(tmp_path_factory.mktemp("releases") / "next")


# -- the release and what the hub keeps of the previous one ------------------------------------


def test_the_release_is_one_number_for_the_package_the_engine_and_the_nodes() -> None:
    cfg = configparser.ConfigParser()
    cfg.read(ROOT / "setup.cfg")
    assert cfg["metadata"]["version"] == "attr: ward_node.__version__"
    assert ward_node.__version__ == RELEASE == "0.2.0"
    assert "schemas = *.json, releases/*.json" in (ROOT / "setup.cfg").read_text()


def test_the_hub_judges_release_0_1_0_nodes_by_the_schemas_that_release_shipped() -> None:
    _need_previous()
    kept = json.loads((ROOT / "schemas" / "releases" / "0.1.0.json").read_text(encoding="utf-8"))
    listed = _git("ls-tree", "--name-only", PREVIOUS, "schemas/").stdout.decode().split()
    shipped = {}
    for name in listed:
        if name.endswith(".json"):
            schema = json.loads(_git("show", f"{PREVIOUS}:{name}").stdout)
            if schema.get("x-record-type"):
                shipped[schema["x-record-type"]] = schema
    assert kept == shipped


# -- a node keeps what it does not know yet --------------------------------------------------


def _hub_change(seq: int, hlc: int, fields: dict[str, Any], record_id: str) -> Change:
    return Change("hub", seq, hlc, "procedure", record_id, "H57", fields, {}, "admin")


def _procedure_id(conn: sqlite3.Connection) -> str:
    return str(conn.execute("SELECT id FROM procedure WHERE code = ?", (PROCEDURE,)).fetchone()[0])


def test_a_node_keeps_fields_it_does_not_know_with_their_versions(tmp_path: Path) -> None:
    conn = open_store(make_ward_data(tmp_path / "ward"))
    replica = Replica(conn)
    pid = _procedure_id(conn)
    # A hub of a later release adds an optional field: the node keeps it, checks the rest.
    assert validate_fields("procedure", {"fee": 5000, "online_level": 4}, keep_unknown=True) == {
        "online_level": 4
    }
    with pytest.raises(ValidationError) as unknown:
        validate_fields("procedure", {"online_level": 4})
    assert unknown.value.code == "unknown_field" and "nâng cấp" in unknown.value.message
    with pytest.raises(ValidationError) as bad:
        validate_fields("procedure", {"fee": -1, "online_level": 4}, keep_unknown=True)
    assert bad.value.details["field"] == "fee"
    with pytest.raises(ValidationError):
        validate_fields("procedure", {"Bad-Name; DROP": 1}, keep_unknown=True)

    with atomic(conn):
        replica.merge([_hub_change(900, 10 << 16, {"fee": 5000, "online_level": 4}, pid)])
    assert replica.get("procedure", pid)["fee"] == 5000
    assert "online_level" not in replica.get("procedure", pid)  # pages see what they know
    assert replica.extra("procedure", pid) == {"online_level": 4}
    stored = conn.execute("SELECT _extra FROM procedure WHERE id = ?", (pid,)).fetchone()[0]
    assert json.loads(stored) == {"online_level": 4}
    assert replica.versions("procedure", pid)["online_level"] == f"{10 << 16:016x}@hub"

    with atomic(conn):  # an older version of it changes nothing, a newer one wins
        replica.merge([_hub_change(901, 9 << 16, {"online_level": 2}, pid)])
    assert replica.extra("procedure", pid) == {"online_level": 4}
    with atomic(conn):
        replica.merge([_hub_change(902, 11 << 16, {"online_level": 3, "name": "Đổi tên"}, pid)])
    assert replica.extra("procedure", pid) == {"online_level": 3}
    assert replica.get("procedure", pid)["name"] == "Đổi tên"
    conn.close()


NAMES = ("fee", "online_level", "channel_note")


@pytest.fixture(scope="module")
def ward_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A ward's store file, made once and copied by each example."""
    data = make_ward_data(tmp_path_factory.mktemp("ward"))
    conn = open_store(data)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    return data / STORE_FILE


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.integers(1, 6),
            st.dictionaries(st.sampled_from(NAMES), st.integers(0, 9), min_size=1),
        ),
        min_size=1,
        max_size=6,
    ),
    st.randoms(use_true_random=False),
)
def test_kept_fields_converge_whatever_the_order_of_arrival(
    tmp_path_factory: pytest.TempPathFactory, ward_store: Path, writes: list[Any], rnd: Any
) -> None:
    from sync import connect

    folder = tmp_path_factory.mktemp("replicas")
    stores = []
    for name in ("a", "b"):
        shutil.copy(ward_store, folder / name)
        stores.append(connect(folder / name))
    pid = _procedure_id(stores[0])
    changes = [_hub_change(i + 900, (hlc << 20) + i, f, pid) for i, (hlc, f) in enumerate(writes)]
    shuffled = list(changes)
    rnd.shuffle(shuffled)
    for conn, order in zip(stores, (changes, shuffled), strict=True):
        for change in order:
            with atomic(conn):
                Replica(conn).merge([change])
    rows = [
        tuple(
            conn.execute(
                "SELECT fee, _extra, _versions FROM procedure WHERE id = ?", (pid,)
            ).fetchone()
        )
        for conn in stores
    ]
    assert rows[0] == rows[1]
    for conn in stores:
        conn.close()


def test_an_upgrade_moves_kept_fields_into_their_new_column(tmp_path: Path) -> None:
    conn = open_store(make_ward_data(tmp_path / "ward"))
    pid = _procedure_id(conn)
    # A store of a release without the procedure's "field": its value was kept in _extra.
    with atomic(conn):
        conn.execute("ALTER TABLE procedure DROP COLUMN field")
        conn.execute(
            "UPDATE procedure SET _extra = ?, _versions = ? WHERE id = ?",
            (
                canonical({"field": "Hộ tịch", "later": [1]}).decode(),
                canonical({"00000000000a0000@hub": "field,later,name"}).decode(),
                pid,
            ),
        )
    with atomic(conn):
        create_record_tables(conn)  # what the upgrade's migration does
    row = conn.execute("SELECT field, _extra FROM procedure WHERE id = ?", (pid,)).fetchone()
    assert row[0] == "Hộ tịch" and json.loads(row[1]) == {"later": [1]}
    assert Replica(conn).versions("procedure", pid)["field"] == "00000000000a0000@hub"
    conn.close()


# -- stores: never downgraded, copied before an upgrade ----------------------------------------


def _digest(path: Path) -> str:
    """What a store holds, row by row: a checkpoint of its WAL on closing changes the file's
    bytes, never this."""
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return hashlib.sha256("\n".join(conn.iterdump()).encode()).hexdigest()
    finally:
        conn.close()


def test_a_store_a_newer_release_migrated_is_refused_and_left_untouched(tmp_path: Path) -> None:
    data = make_ward_data(tmp_path / "ward")
    conn = open_store(data)
    with atomic(conn):
        conn.execute(
            "INSERT INTO _migrations (name, applied_at, release) "
            "VALUES ('0099_future', datetime('now'), '0.3.0')"
        )
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    before = _digest(data / STORE_FILE)
    with pytest.raises(StoreTooNew) as refused:
        open_store(data)
    assert refused.value.message.startswith(
        "Kho dữ liệu (node.sqlite3) đã được phiên bản mới hơn (0.3.0) nâng cấp; hãy cài phiên "
        "bản 0.3.0 hoặc mới hơn."
    )
    assert _digest(data / STORE_FILE) == before
    assert not (data / "backups").exists()
    status = run("ward_node", "status", "--data", str(data), check=False)
    assert status.returncode != 0
    assert "Lỗi: Kho dữ liệu (node.sqlite3) đã được phiên bản mới hơn (0.3.0)" in status.stderr
    assert _digest(data / STORE_FILE) == before


def test_a_migration_copies_the_store_first(tmp_path: Path) -> None:
    from sync import connect, migrate

    fresh = tmp_path / "fresh"
    fresh.mkdir()
    open_store(fresh).close()
    assert not (fresh / "backups").exists()  # nothing to copy in a new store

    data = make_ward_data(tmp_path / "ward")
    conn = open_store(data)
    with atomic(conn):  # the store as the release before this one left it
        conn.execute("DELETE FROM _migrations WHERE name = ?", (MIGRATIONS[-1][0],))
        conn.execute("UPDATE meta SET value = '\"avant\"' WHERE key = 'unit_name'")
    conn.close()
    conn = open_store(data)
    copy = data / "backups" / f"node-before-{MIGRATIONS[-1][0]}.sqlite3"
    assert stat.S_IMODE(copy.stat().st_mode) == 0o600
    assert stat.S_IMODE((data / "backups").stat().st_mode) == 0o700
    old = sqlite3.connect(copy)
    assert old.execute("SELECT value FROM meta WHERE key = 'unit_name'").fetchone()[0] == '"avant"'
    assert MIGRATIONS[-1][0] not in {r[0] for r in old.execute("SELECT name FROM _migrations")}
    old.close()
    recorded = conn.execute("SELECT release FROM _migrations WHERE name = ?", (MIGRATIONS[-1][0],))
    assert recorded.fetchone()[0] == RELEASE
    conn.close()
    before = _digest(copy)
    open_store(data).close()  # nothing to migrate: no new copy, the old one kept
    assert _digest(copy) == before and len(list((data / "backups").iterdir())) == 1
    # A store of the previous release had no release column: it gets one, its rows none.
    old_store = connect(tmp_path / "old.sqlite3")
    old_store.execute("CREATE TABLE _migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)")
    old_store.execute("INSERT INTO _migrations VALUES ('0001_a', datetime('now'))")
    migrate(old_store, [("0001_a", lambda c: None), ("0002_b", lambda c: None)], release="9.9.9")
    assert [tuple(r) for r in old_store.execute("SELECT name, release FROM _migrations")] == [
        ("0001_a", None),
        ("0002_b", "9.9.9"),
    ]
    old_store.close()


# -- the hub holds what a node's release cannot take --------------------------------------------


def _older_schemas() -> dict[str, Any]:
    """The record schemas of a pretend earlier release that reports its fingerprint: no
    directives, a procedure's time limit only in working days and hours."""
    schemas = json.loads(json.dumps(record_schemas()))
    del schemas["directive"]
    schemas["procedure"]["properties"]["limit_unit"]["enum"] = ["working_days", "working_hours"]
    return schemas


class _OlderNode(NodeSync):
    """This node's code reporting an earlier release's schemas (what the hub judges by)."""

    schemas: dict[str, Any] = {}

    def node_status(self) -> dict[str, Any]:
        status = super().node_status()
        status["schema_fingerprint"] = schemas_digest(self.schemas)
        status["software"] = "wardsync 0.1.9"
        if "schemas" in status:
            status["schemas"] = self.schemas
        return status


def _node_session(data: Path, transport: AppTransport, cls: type[NodeSync]) -> NodeSync:
    conn = open_store(data)
    ident = identity(conn)
    return cls(
        conn,
        node_id=ident.node_id,
        keys=KeyPair.load(data / "keys"),
        hub=ident.hub,
        replica=Replica(conn),
        clock=load_clock(conn),
        transport=transport,
        software="wardsync 0.2.0",
    )


def test_the_hub_holds_what_a_node_s_release_cannot_take_until_it_upgrades(
    tmp_path: Path, hub: FlaskClient
) -> None:
    admin = hub_token(hub, tmp_path / "hub")
    transport = AppTransport(hub)
    data = tmp_path / "ward"
    init_node(
        data,
        unit=UNIT,
        hub_url="http://hub.test",
        token=enrollment_token(tmp_path),
        transport=transport,
    )
    directive = hub.post(
        "/api/v1/directives",
        headers=admin,
        json={
            "title": "Rà soát",
            "content": "Báo cáo số hồ sơ tồn",
            "lead_unit": UNIT,
            "units": [],
        },
    ).get_json()
    resp = hub.put(
        "/api/v1/procedures",
        headers=admin,
        json={"items": [{"code": PROCEDURE, "limit_unit": "calendar_days", "limit_value": 5}]},
    )
    assert resp.status_code == 200, resp.get_json()
    hub.put("/api/v1/procedures", headers=admin, json={"items": [{"code": PROCEDURE, "fee": 9}]})

    older = _node_session(data, transport, _OlderNode)
    assert isinstance(older, _OlderNode)
    older.schemas = _older_schemas()
    report = older.run()
    conn = older.conn
    # It asked for the node's schemas once, then judged every entry by them.
    bodies = [b for path, b in transport.sent if path == "/sync/v1/pull"]
    assert len(bodies) >= 2
    hub_db = sqlite3.connect(tmp_path / "hub" / "hub.sqlite3")
    known = hub_db.execute("SELECT fingerprint FROM schema_catalogue").fetchall()
    assert known == [(schemas_digest(older.schemas),)]
    assert report.pulled >= 100 and read_status(conn)["state"] == "synced"
    assert conn.execute("SELECT count(*) FROM directive").fetchone()[0] == 0
    procedure = conn.execute(
        "SELECT limit_unit, fee FROM procedure WHERE code = ?", (PROCEDURE,)
    ).fetchone()
    assert procedure[0] != "calendar_days" and procedure[1] != 9  # not half of it either
    waits = hub_db.execute("SELECT type, whole, reason FROM upgrade_waits ORDER BY jseq").fetchall()
    assert ("directive", 1, "loại bản ghi 'directive' chưa có ở phiên bản của nút") in waits
    assert ("procedure", 1, "giá trị trường 'limit_unit' cần phiên bản mới hơn") in waits
    assert ("procedure", 1, "sau một thay đổi đang chờ nâng cấp của cùng bản ghi") in waits
    assert read_status(conn)["waiting_upgrade"] == len(waits)
    cursor = get_meta(conn, "pull_cursor")
    assert cursor == hub_db.execute("SELECT max(jseq) FROM journal").fetchone()[0]

    console_login(hub, tmp_path / "hub", "operator")
    row = hub.get("/console/api/units").get_json()["items"][0]
    assert row["upgrade_waiting"] == len(waits) and row["release"] == "behind"
    page = hub.get(f"/console/don-vi/{UNIT}").get_data(as_text=True)
    assert "Chờ phường nâng cấp phần mềm" in page and "cần phiên bản mới hơn" in page

    # Upgraded: the node reports this release; the hub has it pull again from the first
    # held entry, and everything arrives.
    older.conn.close()
    upgraded = _node_session(data, transport, NodeSync)
    upgraded.run()
    conn = upgraded.conn
    assert [r[0] for r in conn.execute("SELECT id FROM directive")] == [directive["id"]]
    assert tuple(
        conn.execute(
            "SELECT limit_unit, fee FROM procedure WHERE code = ?", (PROCEDURE,)
        ).fetchone()
    ) == ("calendar_days", 9)
    assert hub_db.execute("SELECT count(*) FROM upgrade_waits").fetchone()[0] == 0
    assert read_status(conn)["waiting_upgrade"] == 0 and read_status(conn)["state"] == "synced"
    assert get_meta(conn, "pull_cursor") == cursor
    row = hub.get("/console/api/units").get_json()["items"][0]
    assert row["upgrade_waiting"] == 0 and row["release"] == "same"
    status = hub_db.execute("SELECT schema_fingerprint, software FROM nodes").fetchone()
    assert status == (schema_fingerprint(), "wardsync 0.2.0")
    hub_db.close()
    conn.close()


def test_an_offline_export_for_an_older_node_leaves_out_what_waits_and_holds_it(
    tmp_path: Path, hub: FlaskClient
) -> None:
    from central_hub.protocol.transfer import export_changes, open_hub
    from ward_node.sync_link import import_changes

    admin = hub_token(hub, tmp_path / "hub")
    transport = AppTransport(hub)
    data = tmp_path / "ward"
    init_node(
        data,
        unit=UNIT,
        hub_url="http://hub.test",
        token=enrollment_token(tmp_path),
        transport=transport,
    )
    older = _node_session(data, transport, _OlderNode)
    assert isinstance(older, _OlderNode)
    older.schemas = _older_schemas()
    older.run()  # the hub now knows what the node takes
    cursor = get_meta(older.conn, "pull_cursor")
    older.conn.close()
    hub_db = sqlite3.connect(tmp_path / "hub" / "hub.sqlite3")
    held_before = hub_db.execute("SELECT count(*) FROM upgrade_waits").fetchone()[0]
    directive = _issue_in_process(hub, admin)
    hub.put("/api/v1/procedures", headers=admin, json={"items": [{"code": PROCEDURE, "fee": 7}]})

    with open_hub(tmp_path / "hub") as ctx:
        result = export_changes(ctx, UNIT, tmp_path / "ve-phuong.wsx", since=cursor)
    assert result.entries == 1  # the procedure's change; the directive is left out
    held = hub_db.execute("SELECT type, id FROM upgrade_waits ORDER BY jseq").fetchall()
    assert len(held) == held_before + 1 and held[-1] == ("directive", directive["id"])
    imported = import_changes(data, tmp_path / "ve-phuong.wsx")
    assert imported.applied == 1
    conn = open_store(data)
    assert conn.execute("SELECT fee FROM procedure WHERE code = ?", (PROCEDURE,)).fetchone()[0] == 7
    assert conn.execute("SELECT count(*) FROM directive").fetchone()[0] == 0
    top = hub_db.execute("SELECT max(jseq) FROM journal").fetchone()[0]
    assert get_meta(conn, "pull_cursor") == top
    conn.close()
    hub_db.close()


def _issue_in_process(hub: FlaskClient, admin: dict[str, str]) -> dict[str, Any]:
    resp = hub.post(
        "/api/v1/directives",
        headers=admin,
        json={
            "title": "Rà soát",
            "content": "Báo cáo số hồ sơ tồn",
            "lead_unit": UNIT,
            "units": [],
        },
    )
    assert resp.status_code == 201, resp.get_json()
    return dict(resp.get_json())


def test_schemas_that_are_not_what_the_fingerprint_names_are_refused(
    tmp_path: Path, hub: FlaskClient
) -> None:
    transport = AppTransport(hub)
    data = tmp_path / "ward"
    init_node(
        data,
        unit=UNIT,
        hub_url="http://hub.test",
        token=enrollment_token(tmp_path),
        transport=transport,
    )

    class Liar(_OlderNode):
        def node_status(self) -> dict[str, Any]:
            status = super().node_status()
            if "schemas" in status:
                status["schemas"] = record_schemas()  # not the schemas it named
            return status

    liar = _node_session(data, transport, Liar)
    assert isinstance(liar, Liar)
    liar.schemas = _older_schemas()
    del liar.schemas["meeting"]  # a fingerprint no hub has seen (they are kept per process)
    from sync import RemoteRefused

    with pytest.raises(RemoteRefused) as refused:
        liar.pull(SyncReport())
    assert refused.value.code == "schema_mismatch"
    hub_db = sqlite3.connect(tmp_path / "hub" / "hub.sqlite3")
    assert hub_db.execute("SELECT count(*) FROM schema_catalogue").fetchone()[0] == 0
    assert hub_db.execute("SELECT count(*) FROM upgrade_waits").fetchone()[0] == 0
    hub_db.close()
    liar.conn.close()


# -- real processes of other releases ------------------------------------------------------------


def _users(data: Path, code: Path | None) -> None:
    env = {} if code is None else {"PYTHONPATH": str(code)}
    for name, role in (("chuyenvien", "specialist"), ("vanthu", "clerk")):
        run(
            "ward_node",
            "user",
            "add",
            "--data",
            str(data),
            "--username",
            name,
            "--role",
            role,
            "--password-stdin",
            stdin=PASSWORD + "\n",
            **env,
        )


def _get(url: str, headers: dict[str, str]) -> Any:
    resp = requests.get(url, headers=headers, timeout=10)
    return resp.json() if resp.status_code == 200 else None


def _receive_dossier(ward_url: str, name: str) -> dict[str, Any]:
    resp = requests.post(
        ward_url + "/api/v1/dossiers",
        headers=token(ward_url),
        json={
            "procedure_code": PROCEDURE,
            "applicant": {"full_name": name},
            "channel": "in_person",
        },
        timeout=10,
    )
    assert resp.status_code == 201, resp.text
    return dict(resp.json())


def _at_hub(c: Cluster, admin: dict[str, str], dossier: dict[str, Any]) -> bool:
    return _get(f"{c.hub_url}/api/v1/dossiers/{dossier['id']}", admin) is not None


def _issue(c: Cluster, admin: dict[str, str], title: str) -> dict[str, Any]:
    resp = requests.post(
        c.hub_url + "/api/v1/directives",
        headers=admin,
        json={"title": title, "content": "Báo cáo tiến độ", "lead_unit": UNIT, "units": []},
        timeout=10,
    )
    assert resp.status_code == 201, resp.text
    return dict(resp.json())


def _reported(c: Cluster, admin: dict[str, str], directive_id: str, percent: int) -> bool:
    got = _get(f"{c.hub_url}/api/v1/directives/{directive_id}", admin) or {}
    return any(r["unit"] == UNIT and r["percent"] == percent for r in got.get("reports", []))


def _report(ward_url: str, directive_id: str, percent: int) -> None:
    specialist = token(ward_url, "chuyenvien")
    url = f"{ward_url}/api/v1/directives/{directive_id}"
    wait_until(lambda: _get(url, specialist), 60, what="the directive at the ward")
    resp = requests.post(
        url + "/reports",
        headers=specialist,
        json={"percent": percent, "content": f"Đã làm {percent}%."},
        timeout=10,
    )
    assert resp.status_code == 201, resp.text


def _put_procedure(c: Cluster, admin: dict[str, str], **fields: Any) -> None:
    resp = requests.put(
        c.hub_url + "/api/v1/procedures",
        headers=admin,
        json={"items": [{"code": PROCEDURE, **fields}]},
        timeout=10,
    )
    assert resp.status_code == 200, resp.text


def _ward_db(c: Cluster) -> Path:
    return c.ward_data(UNIT) / STORE_FILE


def _hub_db(c: Cluster) -> Path:
    return c.hub_data / "hub.sqlite3"


def _synced(ward_url: str) -> bool:
    status = _get(ward_url + "/api/v1/sync/status", token(ward_url))
    return bool(status) and status["state"] == "synced" and not status["last_error"]


@pytest.mark.slow
def test_a_previous_release_ward_enrolls_and_syncs_both_ways_with_this_hub(
    tmp_path: Path, previous: Path
) -> None:
    c = Cluster(tmp_path)
    try:
        c.start_hub()
        data = c.enroll(UNIT, code=previous)
        _users(data, previous)
        ward = c.start_ward(UNIT, code=previous)
        admin = token(c.hub_url, "admin")
        # ward → hub
        dossier = _receive_dossier(ward.url, "Lê Văn Tám")
        wait_until(lambda: _at_hub(c, admin, dossier), 60, what="the dossier at the hub")
        # hub → ward, and the ward's answers back
        directive = _issue(c, admin, "Rà soát hồ sơ tồn đọng")
        sent = requests.post(
            c.hub_url + "/api/v1/documents",
            headers=admin,
            json={"doc_type": "Công văn", "summary": "Về việc chuẩn bị Tết", "units": [UNIT]},
            timeout=10,
        ).json()
        _put_procedure(c, admin, fee=12345)
        _report(ward.url, directive["id"], 40)
        clerk = token(ward.url, "vanthu")
        doc_url = f"{ward.url}/api/v1/documents/{sent['id']}"
        wait_until(lambda: _get(doc_url, clerk), 60, what="the document at the ward")
        acted = requests.post(
            doc_url + "/actions", headers=clerk, json={"action": "register"}, timeout=10
        )
        assert acted.status_code == 200, acted.text
        wait_until(lambda: _reported(c, admin, directive["id"], 40), 60, what="the report")

        def registered() -> bool:
            got = _get(f"{c.hub_url}/api/v1/documents/{sent['id']}", admin) or {}
            return any(
                r["unit"] == UNIT and r.get("receipt") and r["receipt"].get("incoming_number")
                for r in got.get("recipients", [])
            )

        wait_until(registered, 60, what="the ward's receipt at the hub")

        def fee() -> Any:
            items = _get(ward.url + "/api/v1/procedures", token(ward.url)) or {"items": []}
            return next((p.get("fee") for p in items["items"] if p["code"] == PROCEDURE), None)

        wait_until(lambda: fee() == 12345, 60, what="the procedure's new fee at the ward")
        wait_until(lambda: _synced(ward.url), 60, what="the ward synced")
        # The hub knows the ward's release and holds for it only what that release lacks:
        # the units' province and the procedures' fee rule, former codes and legal basis,
        # fields of this one that the seed sets (schemas/unit.json, schemas/procedure.json).
        node = query(_hub_db(c), "SELECT software, schema_fingerprint FROM nodes")[0]
        assert node == ("wardsync 0.1.0", None)
        assert sorted(
            query(_hub_db(c), "SELECT DISTINCT type, whole, fields FROM upgrade_waits")
        ) == [("procedure", 0, PROCEDURE_SEED_FIELDS), ("unit", 0, '["province"]')]
    finally:
        c.close()


@pytest.mark.slow
def test_an_upgrade_in_place_of_hub_and_ward_keeps_everything_and_sync_goes_on(
    tmp_path: Path, previous: Path
) -> None:
    c = Cluster(tmp_path, hub_code=previous)
    try:
        c.start_hub()
        data = c.enroll(UNIT, code=previous)
        _users(data, previous)
        ward = c.start_ward(UNIT, code=previous)
        admin = token(c.hub_url, "admin")
        first = _receive_dossier(ward.url, "Nguyễn Thị Mai")
        directive = _issue(c, admin, "Kiểm tra trước nâng cấp")
        _report(ward.url, directive["id"], 20)
        wait_until(lambda: _reported(c, admin, directive["id"], 20), 60, what="the report")
        wait_until(lambda: _at_hub(c, admin, first), 60, what="the dossier at the hub")

        # The hub upgraded in place; the ward, still of the previous release, goes on.
        c.stop_hub()
        c.hub_code = None
        c.start_hub()
        admin = token(c.hub_url, "admin")
        assert _at_hub(c, admin, first) and _reported(c, admin, directive["id"], 20)
        copies = list((c.hub_data / "backups").iterdir())
        assert [p.name for p in copies] == ["hub-before-0019_held_quarantine.sqlite3"]
        assert stat.S_IMODE(copies[0].stat().st_mode) == 0o600
        assert query(copies[0], "SELECT count(*) FROM dossier") == [(1,)]
        second = _receive_dossier(ward.url, "Trần Văn Bình")
        later = _issue(c, admin, "Sau khi máy chủ nâng cấp")
        _report(ward.url, later["id"], 60)
        wait_until(lambda: _at_hub(c, admin, second), 60, what="a new dossier at the hub")
        wait_until(lambda: _reported(c, admin, later["id"], 60), 60, what="a new report")

        # The ward upgraded in place too: everything still there, and sync goes on.
        ward.stop()
        ward = c.start_ward(UNIT)
        copies = list((data / "backups").iterdir())
        assert [p.name for p in copies] == ["node-before-0010_refused_changes.sqlite3"]
        assert stat.S_IMODE(copies[0].stat().st_mode) == 0o600
        officer = token(ward.url)
        listed = _get(ward.url + "/api/v1/dossiers", officer)["items"]
        assert {d["id"] for d in listed} == {first["id"], second["id"]}
        for d in (directive, later):
            assert _get(f"{ward.url}/api/v1/directives/{d['id']}", token(ward.url, "chuyenvien"))
        third = _receive_dossier(ward.url, "Phan Thị Cúc")
        wait_until(lambda: _at_hub(c, admin, third), 60, what="a dossier after both upgrades")
        wait_until(lambda: _synced(ward.url), 60, what="the upgraded ward synced")
        node = query(_hub_db(c), "SELECT software, schema_fingerprint FROM nodes")[0]
        assert node == (f"wardsync {RELEASE}", schema_fingerprint())
    finally:
        c.close()


@pytest.mark.slow
def test_a_hub_releases_ahead_holds_what_a_ward_cannot_take_and_delivers_it_as_it_upgrades(
    tmp_path: Path, previous: Path, following: Path
) -> None:
    c = Cluster(tmp_path, hub_code=following)
    try:
        c.start_hub()
        data = c.enroll(UNIT, code=previous)
        ward = c.start_ward(UNIT, code=previous)
        admin = token(c.hub_url, "admin")
        pid = query(_hub_db(c), "SELECT id FROM procedure WHERE code = ?", PROCEDURE)[0][0]

        # Two releases ahead of a 0.1.0 ward: the field it does not know waits at the hub,
        # the rest of the change reaches it, and its sync never stops.
        _put_procedure(c, admin, fee=777, online_level=4)
        wait_until(
            lambda: query(_ward_db(c), "SELECT fee FROM procedure WHERE id = ?", pid) == [(777,)],
            60,
            what="the known part of the change at the ward",
        )
        dossier = _receive_dossier(ward.url, "Hoàng Văn Nam")
        wait_until(lambda: _at_hub(c, admin, dossier), 60, what="the ward's dossier at the hub")
        wait_until(lambda: _synced(ward.url), 60, what="the old ward synced")
        waits = query(
            _hub_db(c),
            "SELECT type, whole, fields, reason FROM upgrade_waits WHERE type != 'unit' "
            "AND fields != ?",
            PROCEDURE_SEED_FIELDS,
        )
        assert waits == [
            ("procedure", 0, '["online_level"]', "trường online_level chưa có ở phiên bản của nút")
        ]
        # And the seed's fields of this release on each procedure (schemas/procedure.json).
        procedures = query(_hub_db(c), "SELECT count(*) FROM procedure")[0][0]
        assert query(
            _hub_db(c), "SELECT count(*) FROM upgrade_waits WHERE fields = ?", PROCEDURE_SEED_FIELDS
        ) == [(procedures,)]
        # And the units' province, which the seed sets (schemas/unit.json): one per unit.
        units = query(_hub_db(c), "SELECT count(*) FROM unit")[0][0]
        assert query(
            _hub_db(c), "SELECT count(*), min(fields) FROM upgrade_waits WHERE type = 'unit'"
        ) == [(units, '["province"]')]
        hub = requests.Session()
        login = hub.get(c.hub_url + "/console/dang-nhap", timeout=10).text
        csrf = login.split('name="csrf_token" value="')[1].split('"')[0]
        hub.post(
            c.hub_url + "/console/dang-nhap",
            data={"csrf_token": csrf, "username": "admin", "password": PASSWORD},
            timeout=10,
        )
        row = hub.get(c.hub_url + "/console/api/units", timeout=10).json()["items"][0]
        assert row["upgrade_waiting"] == 1 + units + procedures and row["release"] == "behind"
        page = hub.get(f"{c.hub_url}/console/don-vi/{UNIT}", timeout=10).text
        assert "Chờ phường nâng cấp phần mềm" in page and "online_level" in page

        # Upgraded to this release: it takes the field now and keeps it until it knows it.
        ward.stop()
        ward = c.start_ward(UNIT)

        def kept() -> Any:
            rows = query(_ward_db(c), "SELECT _extra FROM procedure WHERE id = ?", pid)
            return rows and rows[0][0] and json.loads(rows[0][0])

        wait_until(lambda: kept() == {"online_level": 4}, 60, what="the held field delivered")
        wait_until(
            lambda: query(_hub_db(c), "SELECT count(*) FROM upgrade_waits") == [(0,)],
            30,
            what="nothing held any more",
        )
        fingerprint = query(_hub_db(c), "SELECT schema_fingerprint FROM nodes")[0][0]
        assert fingerprint == schema_fingerprint()
        assert query(_hub_db(c), "SELECT fingerprint FROM schema_catalogue") == [(fingerprint,)]
        # One release ahead of this ward: a new field reaches it at once, both ways go on.
        _put_procedure(c, admin, online_level=3)
        wait_until(lambda: kept() == {"online_level": 3}, 60, what="a newer value kept")
        another = _receive_dossier(ward.url, "Đặng Thị Lan")
        wait_until(lambda: _at_hub(c, admin, another), 60, what="a dossier of this ward")
        wait_until(lambda: _synced(ward.url), 60, what="this ward synced")
        assert query(_hub_db(c), "SELECT count(*) FROM upgrade_waits") == [(0,)]

        # Upgraded to the hub's release: the kept value moves into its own column.
        ward.stop()
        ward = c.start_ward(UNIT, code=following)
        row = query(_ward_db(c), "SELECT online_level, _extra FROM procedure WHERE id = ?", pid)
        assert row == [(3, None)]
        assert (data / "backups" / "node-before-0013_next_release_fields.sqlite3").exists()
        wait_until(lambda: _synced(ward.url), 60, what="the ward of the next release synced")

        # And this release refuses the store the next one migrated, leaving it as it is.
        ward.stop()
        before = _digest(_ward_db(c))
        refused = run("ward_node", "status", "--data", str(data), check=False)
        assert refused.returncode != 0
        assert (
            f"Kho dữ liệu (node.sqlite3) đã được phiên bản mới hơn ({NEXT}) nâng cấp; hãy cài "
            f"phiên bản {NEXT} hoặc mới hơn." in refused.stderr
        )
        assert _digest(_ward_db(c)) == before
    finally:
        c.close()


def test_the_releases_built_for_these_tests_are_what_they_claim(
    previous: Path, following: Path
) -> None:
    def version(code: Path) -> str:
        out = subprocess.run(
            [
                sys.executable,
                "-c",
                "import ward_node; print(ward_node.__file__, ward_node.__version__)",
            ],
            env={**os.environ, "PYTHONPATH": str(code)},
            cwd=code,  # python imports from its working folder first
            capture_output=True,
            text=True,
            timeout=60,
        )
        where, number = out.stdout.split()
        assert where.startswith(str(code)), where
        return number

    assert version(previous) == "0.1.0"
    assert version(following) == NEXT
