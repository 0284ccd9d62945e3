"""The hub's store on PostgreSQL, what only that engine has (docs/operations.md, "PostgreSQL"):
the address on the command line, a folder that never opens an empty or a foreign store, the
collation, backups with the database's tools, a database that stops answering. The rest of the
hub's behaviour runs on both engines in tests/hub/ (tests/hub/conftest.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import psycopg
import pytest
import requests

from central_hub import create_app
from central_hub.cli import main as hub_main
from central_hub.setup import init_hub
from central_hub.store import check_collation, close_all, open_store, use_database
from sync import SyncError
from tests.support.cluster import Server, free_port, run
from tests.support.users import PASSWORD


def _cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    code = hub_main(list(args))
    out = capsys.readouterr()
    return code, out.out + out.err


def test_init_and_every_command_take_the_database_url(
    tmp_path: Path, postgres: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    url = postgres.database()
    data = tmp_path / "hub"
    code, out = _cli(capsys, "init", "--data", str(data), "--database-url", url)
    assert code == 0, out
    assert not (data / "hub.sqlite3").exists()
    marker = (data / "database.json").read_text()
    assert '"engine": "postgresql"' in marker and "hub_key" in marker
    with psycopg.connect(url) as conn:
        tables = {r[0] for r in conn.execute("SELECT tablename FROM pg_tables")}
        assert {"journal", "routes", "nodes", "_migrations", "dossier"} <= tables
        assert conn.execute("SELECT count(*) FROM unit").fetchone()[0] > 20
    close_all()
    code, out = _cli(
        capsys, "enroll", "--data", str(data), "--unit", "19786", "--database-url", url
    )
    assert code == 0 and out.startswith("wst1"), out
    close_all()
    code, out = _cli(capsys, "enrollment", "list", "--data", str(data), "--database-url", url)
    assert code == 0 and "19786" in out


def test_a_folder_on_postgresql_never_opens_an_empty_sqlite_store(
    tmp_path: Path, postgres: Any
) -> None:
    url = postgres.database()
    data = tmp_path / "hub"
    use_database(data, url)
    init_hub(data, name="Hub tỉnh")
    close_all()
    result = run("central_hub", "enroll", "--data", str(data), "--unit", "19786", check=False)
    assert result.returncode != 0
    assert "nằm trên PostgreSQL" in result.stderr and "CENTRAL_HUB_DATABASE_URL" in result.stderr
    assert not (data / "hub.sqlite3").exists()


def test_a_sqlite_hub_is_not_opened_on_a_database_and_a_database_not_by_another_hub(
    tmp_path: Path, postgres: Any
) -> None:
    sqlite_hub = tmp_path / "sqlite-hub"
    use_database(sqlite_hub, "")
    init_hub(sqlite_hub, name="Hub tệp")
    url = postgres.database()
    use_database(sqlite_hub, url)
    with pytest.raises(SyncError, match="dùng tệp SQLite"):
        open_store(sqlite_hub)

    first, second = tmp_path / "first", tmp_path / "second"
    use_database(first, url)
    init_hub(first, name="Hub một")
    use_database(second, url)
    with pytest.raises(SyncError, match="đã có một máy chủ trung tâm"):
        init_hub(second, name="Hub hai")
    assert not (second / "keys" / "sign.key").exists()  # refused before any key was made
    # A folder whose marker names another hub's database (an address copied wrongly).
    other = postgres.database()
    third = tmp_path / "third"
    use_database(third, other)
    init_hub(third, name="Hub ba")
    use_database(third, url)
    with pytest.raises(SyncError, match="không phải của máy chủ trung tâm"):
        open_store(third)
    close_all()


def test_a_database_that_does_not_sort_bytewise_is_refused_at_init() -> None:
    class Answer:
        dialect = "postgresql"

        def __init__(self, collation: str) -> None:
            self.collation = collation

        def execute(self, sql: str) -> Any:
            assert "datcollate" in sql
            return self

        def fetchone(self) -> dict[str, str]:
            return {"collation": self.collation}

    for fine in ("C", "C.UTF-8", "POSIX"):
        check_collation(Answer(fine))
    with pytest.raises(SyncError, match="bảng C"):
        check_collation(Answer("en_US.UTF-8"))


def test_a_bad_database_url_is_refused_with_what_to_type(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out = _cli(
        capsys, "init", "--data", str(tmp_path / "hub"), "--database-url", "mysql://x@y/z"
    )
    assert code != 0 and "Chỉ PostgreSQL được hỗ trợ" in out and "postgresql://" in out
    assert not (tmp_path / "hub" / "keys").exists()


def test_backup_on_postgresql_points_to_the_databases_tools(
    tmp_path: Path, postgres: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    url = postgres.database()
    data = tmp_path / "hub"
    use_database(data, url)
    init_hub(data, name="Hub")
    close_all()
    code, out = _cli(
        capsys, "backup", "--data", str(data), "--out", str(tmp_path / "b"), "--database-url", url
    )
    assert code != 0 and "pg_dump" in out
    assert not (tmp_path / "b").exists()


def test_a_database_gone_mid_service_is_a_503_that_says_to_retry(
    tmp_path: Path, postgres: Any
) -> None:
    url = postgres.database()
    data = tmp_path / "hub"
    use_database(data, url)
    init_hub(data, name="Hub")
    client = create_app({"DATA": str(data), "DATABASE_URL": url}).test_client()
    assert client.get("/healthz").status_code == 200
    postgres.drop(url)  # every connection closed by force, the database gone
    resp = client.get("/api/v1/nodes", headers={"Authorization": "Bearer x"})
    assert resp.status_code == 503
    assert resp.headers["Retry-After"] == "30"
    assert resp.get_json()["error"]["code"] == "store_unavailable"
    close_all()


def test_two_processes_share_one_port_and_one_database(tmp_path: Path, postgres: Any) -> None:
    url = postgres.database()
    data = tmp_path / "hub"
    env = {"CENTRAL_HUB_DATABASE_URL": url, "CENTRAL_HUB_SMS_INTERVAL": "0"}
    run("central_hub", "init", "--data", str(data), **env)
    run(
        "central_hub",
        "user",
        "add",
        "--data",
        str(data),
        "--username",
        "admin",
        "--role",
        "admin",
        "--password-stdin",
        stdin=PASSWORD + "\n",
        **env,
    )
    port = free_port()
    servers = [Server("central_hub", data, port, "--reuse-port", **env) for _ in range(2)]
    try:

        def login() -> int:
            return requests.post(
                f"http://127.0.0.1:{port}/api/v1/auth/token",
                json={"username": "admin", "password": PASSWORD},
                timeout=10,
                headers={"Connection": "close"},
            ).status_code

        assert all(login() in (200, 201) for _ in range(10))
        servers[0].stop()  # the other process goes on answering on the same port
        assert all(login() in (200, 201) for _ in range(10))
    finally:
        for server in servers:
            server.stop()
        close_all()
