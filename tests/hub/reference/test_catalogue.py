"""Bringing an earlier release's procedure catalogue up to the ward desks' (hub migration
``0033_ward_catalogue``, central_hub/reference/catalogue.py): local codes become national ones
(the old kept in ``former_codes``), residence procedures leave the wards' catalogue without
being deleted, missing legal bases and fee rules are filled, an administrator's edits are kept,
and every ward receives the change at its next sync. On both engines of the hub's store."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask.testing import FlaskClient

from central_hub.reference.catalogue import catalogue_upgrade
from central_hub.store import MIGRATIONS, capture
from central_hub.store import open_store as open_hub
from sync import SyncReport, Write, atomic, new_id, select_records
from tests.support import enrolled_node, synced_session
from ward_node.dossiers import find_procedure

OLD_CODES = {"2.000815": "HUE-XA-003", "1.012812": "HUE-XA-012"}
OWN_BASIS = "Quyết định của UBND thành phố về thủ tục khai sinh (do quản trị viên ghi)"


def upgrade_catalogue(conn: Any) -> list[Write]:
    """What migration 0033 does: the edits, written through the hub's journal."""
    writes = catalogue_upgrade(conn)
    if writes:
        capture(conn).write_many(writes, actor="system")
    return writes


def _as_an_earlier_release_left_it(conn: Any) -> None:
    """The catalogue of release 0.1.0: local codes, no legal basis nor fee rule, the residence
    procedures active; and one legal basis an administrator wrote since."""
    procedures = {p["code"]: p for p in select_records(conn, "procedure")}
    writes = []
    for code, old in OLD_CODES.items():
        p = procedures[code]
        fields = {"code": old, "former_codes": None, "legal_basis": None, "fee_rule": None}
        writes.append(Write("procedure", p["id"], p["unit"], fields))
    birth = procedures["1.001193"]
    writes.append(Write("procedure", birth["id"], birth["unit"], {"legal_basis": OWN_BASIS}))
    for code, name in (("HUE-XA-007", "Đăng ký thường trú"), ("HUE-XA-008", "Đăng ký tạm trú")):
        record = {
            "id": new_id(),
            "unit": birth["unit"],
            "code": code,
            "name": name,
            "field": "Cư trú",
            "limit_value": 7,
            "limit_unit": "working_days",
            "fee": 20000,
            "active": True,
        }
        writes.append(Write("procedure", record["id"], record["unit"], record))
    with atomic(conn):
        capture(conn).write_many(writes, actor="system")


def test_the_migration_gives_national_codes_and_takes_residence_out(
    tmp_path: Path, hub: FlaskClient
) -> None:
    assert "0033_ward_catalogue" in dict(MIGRATIONS)
    conn = open_hub(tmp_path / "hub")
    try:
        _as_an_earlier_release_left_it(conn)
        with atomic(conn):
            writes = upgrade_catalogue(conn)
        assert writes
        by_code = {p["code"]: p for p in select_records(conn, "procedure")}
        attestation = by_code["2.000815"]
        assert attestation["former_codes"] == ["HUE-XA-003"]
        assert attestation["fee_rule"]["basis"] == "page"
        assert "23/2015/NĐ-CP" in attestation["legal_basis"]
        assert by_code["1.012812"]["former_codes"] == ["HUE-XA-012"]
        assert "HUE-XA-003" not in by_code and "HUE-XA-012" not in by_code
        # Residence procedures stay, inactive: dossiers received under them keep their name.
        assert by_code["HUE-XA-007"]["active"] is False
        assert by_code["HUE-XA-008"]["active"] is False
        assert by_code["1.001193"]["legal_basis"] == OWN_BASIS  # the administrator's, kept
        with atomic(conn):
            assert upgrade_catalogue(conn) == []  # a second run changes nothing
    finally:
        conn.close()


def test_a_ward_receives_the_new_catalogue_at_its_next_sync(
    tmp_path: Path, hub: FlaskClient
) -> None:
    data, transport = enrolled_node(tmp_path, hub)
    conn = open_hub(tmp_path / "hub")
    try:
        _as_an_earlier_release_left_it(conn)
    finally:
        conn.close()
    session, ward = synced_session(data, transport)
    try:
        assert find_procedure(ward, "HUE-XA-003")["code"] == "HUE-XA-003"
        conn = open_hub(tmp_path / "hub")
        try:
            with atomic(conn):
                upgrade_catalogue(conn)
        finally:
            conn.close()
        session.chunk = 5000
        session.pull(SyncReport())
        renamed = find_procedure(ward, "HUE-XA-003")
        assert renamed["code"] == "2.000815" and renamed["former_codes"] == ["HUE-XA-003"]
        assert find_procedure(ward, "HUE-XA-008", active_only=True) is None
        assert find_procedure(ward, "HUE-XA-008")["name"] == "Đăng ký tạm trú"
    finally:
        ward.close()


def test_a_new_hub_is_seeded_with_the_new_catalogue_and_the_migration_finds_nothing(
    tmp_path: Path, hub: FlaskClient
) -> None:
    conn = open_hub(tmp_path / "hub")
    try:
        codes = {p["code"] for p in select_records(conn, "procedure")}
        assert not {c for c in codes if c.startswith("HUE-XA")}
        with atomic(conn):
            assert upgrade_catalogue(conn) == []
    finally:
        conn.close()
