"""docs/operations.md, "Inspecting a store": the commands it gives an administrator work on a
real store, while the node holds a write open, and leave the live store as it was."""

from __future__ import annotations

import hashlib
import json
import re
import sqlite3
import subprocess
import sys
from pathlib import Path

from flask import Flask

from sync import connect
from tests.conftest import Api

ROOT = Path(__file__).resolve().parents[2]
BIRTH = {"procedure_code": "1.001193", "channel": "in_person"}


def documented_commands() -> str:
    """The shell block between the ``inspect:begin`` and ``inspect:end`` markers."""
    text = (ROOT / "docs" / "operations.md").read_text(encoding="utf-8")
    block = re.search(r"inspect:begin.*?```sh\n(.*?)```.*?inspect:end", text, re.S)
    assert block, "docs/operations.md lost its inspect block"
    return block.group(1)


def _digest(path: Path) -> str:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return hashlib.sha256("\n".join(conn.iterdump()).encode()).hexdigest()
    finally:
        conn.close()


def test_the_documented_inspection_reads_a_copy_of_a_live_store(
    ward_app: Flask, api: Api, tmp_path: Path
) -> None:
    for name in ("Nguyễn Văn Đức", "Trần Thị Hoà"):
        resp = api.post("/dossiers", json={**BIRTH, "applicant": {"full_name": name}})
        assert resp.status_code == 201, resp.get_json()
    data = Path(ward_app.config["DATA"])
    store = data / "node.sqlite3"
    before = _digest(store)
    scripts = Path(sys.executable).parent
    script = (
        documented_commands()
        .replace("/srv/wardsync/ward", str(data))
        .replace("/root/inspect", str(tmp_path / "inspect"))
        .replace("python3 ", f"{sys.executable} ")
        .replace("sqlite-utils ", f"{scripts / 'sqlite-utils'} ")
    )
    writer = connect(store)  # the node in the middle of a write: the copy must not wait for it
    writer.execute("BEGIN IMMEDIATE")
    writer.execute("INSERT INTO counters (key, value) VALUES ('uncommitted', 1)")
    try:
        run = subprocess.run(
            ["bash", "-e", "-c", script], capture_output=True, text=True, timeout=120
        )
    finally:
        writer.execute("ROLLBACK")
        writer.close()
    assert run.returncode == 0, run.stderr
    out = run.stdout

    assert re.search(r"^dossier +2$", out, re.M)  # tables --counts
    assert re.search(r"^procedure +14$", out, re.M)
    assert re.search(r"^0001_base +0\.2\.0 ", out, re.M)  # the migrations query
    codes = re.findall(r"^(H57\.19786-\d{6}-000[12]),2,", out, re.M)  # the query in CSV
    assert len(codes) == 2
    assert 'CREATE TABLE "dossier" (' in out and '"_versions" TEXT' in out  # schema

    folder = tmp_path / "inspect"
    csv = (folder / "dossiers.csv").read_text(encoding="utf-8").splitlines()
    assert csv[0] == "code,status,received_at,due_at" and len(csv) == 3
    procedures = json.loads((folder / "procedures.json").read_text(encoding="utf-8"))
    assert len(procedures) == 14 and isinstance(procedures[0]["papers"], list)
    copy = sqlite3.connect(folder / "ward.sqlite3")
    assert copy.execute("SELECT value FROM counters WHERE key = 'uncommitted'").fetchone() is None
    copy.close()
    assert (folder / "ward.sqlite3").stat().st_mode & 0o077 == 0  # umask 077: private
    assert _digest(store) == before  # the live store untouched
