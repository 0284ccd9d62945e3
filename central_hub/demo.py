"""``central-hub demo``: a hub and the Huế ward nodes on this machine, with sample data.

Every piece runs as it would in a real deployment: the hub and each ward node are their own
``serve`` processes on loopback ports, each ward enrolled with a one-time token through
``ward-node init``, its sample dossiers received through its HTTP API. Runs until Ctrl-C.
"""

from __future__ import annotations

import os
import random
import signal
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import requests

from sync import SyncError
from webapp import add_user

from . import nodes
from .reference.seed import WARDS
from .setup import init_hub, load_keys
from .store import ROLES, open_store

ADMIN = ("admin", "demo-2026")
WARD_USERS = (
    ("canbo", "officer", "Trần Thị Thu Hà"),
    ("chuyenvien", "specialist", "Lê Văn Minh"),
    ("vanthu", "clerk", "Phạm Thị Lan"),
    ("lanhdao", "leader", "Nguyễn Hữu Phước"),
)
WARD_PASSWORD = "demo-2026"
FAMILY = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Phan", "Võ", "Đặng", "Bùi", "Hồ", "Tôn Nữ"]
MIDDLE = ["Văn", "Thị", "Hữu", "Đức", "Ngọc", "Minh", "Thanh", "Quang", "Thị Thu"]
GIVEN = ["An", "Bình", "Cường", "Dũng", "Đào", "Hà", "Hoà", "Thuỷ", "Phúc", "Tâm", "Khoa", "Yến"]
STREETS = ["Lê Lợi", "Hùng Vương", "Trần Hưng Đạo", "Nguyễn Huệ", "Bà Triệu", "Phạm Văn Đồng"]
PROCEDURES = ["1.001193", "1.000894", "2.000635", "2.001035", "2.000815"]


def _env() -> dict[str, str]:
    env = dict(os.environ)
    root = str(Path(__file__).resolve().parent.parent)
    env["PYTHONPATH"] = root + os.pathsep + env.get("PYTHONPATH", "")
    return env


def _wait_healthy(url: str, proc: subprocess.Popen[bytes], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SyncError(f"Tiến trình cho {url} đã dừng (mã {proc.returncode}); xem nhật ký.")
        try:
            if requests.get(url + "/healthz", timeout=1).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.2)
    raise SyncError(f"{url} không trả lời sau {timeout:.0f} giây.")


def _serve(module: str, data: Path, port: int, log: Path, *extra: str) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        return subprocess.Popen(
            [
                sys.executable,
                "-m",
                module,
                "serve",
                "--data",
                str(data),
                "--port",
                str(port),
                *extra,
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
            env=_env(),
        )


def _setup_hub(hub_data: Path) -> None:
    if (hub_data / "keys" / "sign.key").exists():
        return
    init_hub(hub_data, name="Máy chủ trung tâm thành phố Huế (chạy thử)")
    conn = open_store(hub_data)
    try:
        add_user(conn, ADMIN[0], ADMIN[1], "admin", ROLES, "Quản trị viên thành phố")
    finally:
        conn.close()


def _enroll_ward(hub_data: Path, hub_url: str, code: str, ward_data: Path) -> bool:
    """Enroll one ward through the real CLI; True when it was new."""
    if (ward_data / "keys" / "sign.key").exists():
        return False
    conn = open_store(hub_data)
    try:
        token = nodes.make_token(
            conn, unit=code, name=code, hub_url=hub_url, hub_keys=load_keys(hub_data), hours=1
        )
    finally:
        conn.close()
    subprocess.run(
        [
            sys.executable,
            "-m",
            "ward_node",
            "init",
            "--data",
            str(ward_data),
            "--unit",
            code,
            "--hub",
            hub_url,
            "--token",
            token,
        ],
        check=True,
        capture_output=True,
        env=_env(),
    )
    for username, role, full_name in WARD_USERS:
        subprocess.run(
            [
                sys.executable,
                "-m",
                "ward_node",
                "user",
                "add",
                "--data",
                str(ward_data),
                "--username",
                username,
                "--role",
                role,
                "--full-name",
                full_name,
                "--password-stdin",
            ],
            input=(WARD_PASSWORD + "\n").encode(),
            check=True,
            capture_output=True,
            env=_env(),
        )
    return True


def _sample_dossiers(url: str, rng: random.Random, count: int) -> None:
    token = requests.post(
        url + "/api/v1/auth/token",
        json={"username": "canbo", "password": WARD_PASSWORD},
        timeout=10,
    ).json()["token"]
    headers = {"Authorization": f"Bearer {token}"}
    for _ in range(count):
        year = rng.randint(1950, 2004)
        century = 0 if year < 2000 else 2
        sex = rng.randint(0, 1)
        body: dict[str, Any] = {
            "procedure_code": rng.choice(PROCEDURES),
            "channel": rng.choice(["in_person", "in_person", "postal"]),
            "applicant": {
                "full_name": f"{rng.choice(FAMILY)} {rng.choice(MIDDLE)} {rng.choice(GIVEN)}",
                "id_number": f"046{century + sex}{year % 100:02d}{rng.randint(0, 999999):06d}",
                "birth_year": year,
                "phone": f"09{rng.choice('0134')}{rng.randint(1000000, 9999999)}",
                "address": f"{rng.randint(1, 250)} {rng.choice(STREETS)}",
            },
        }
        resp = requests.post(url + "/api/v1/dossiers", json=body, headers=headers, timeout=10)
        resp.raise_for_status()


def _check_ports_free(ports: list[int]) -> None:
    """Refuse, in one sentence, to start when a port the demo needs is taken (another demo, a
    hub already running): the servers would die one by one in their logs instead."""
    for port in ports:
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                raise SyncError(
                    f"Cổng {port} trên máy này đang được một chương trình khác dùng (có thể là một "
                    "bản chạy thử khác): hãy dừng chương trình đó, hoặc chạy với cổng khác, ví dụ "
                    "'central-hub demo --port 8900'.",
                    code="port_busy",
                ) from None


def run_demo(*, wards: int, data: Path, port: int) -> None:
    """Start the demo and block until Ctrl-C (or SIGTERM); stop every child on the way out."""
    wards = max(1, min(wards, len(WARDS)))
    _check_ports_free([port, *range(port + 101, port + 101 + wards)])
    data.mkdir(parents=True, exist_ok=True)
    hub_data = data / "hub"
    logs = data / "logs"
    logs.mkdir(exist_ok=True)
    hub_url = f"http://127.0.0.1:{port}"
    _setup_hub(hub_data)
    children: list[subprocess.Popen[bytes]] = []

    def stop(*_args: Any) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    signal.signal(
        signal.SIGINT, stop
    )  # also when started in the background, where SIGINT is ignored
    try:
        hub = _serve("central_hub", hub_data, port, logs / "hub.log")
        children.append(hub)
        _wait_healthy(hub_url, hub)
        print(f"Máy chủ trung tâm: {hub_url}   (quản trị: {ADMIN[0]} / {ADMIN[1]})", flush=True)
        chosen = WARDS[:wards]
        with ThreadPoolExecutor(max_workers=4) as pool:
            fresh = list(
                pool.map(
                    lambda w: _enroll_ward(hub_data, hub_url, w[0], data / f"ward-{w[0]}"), chosen
                )
            )
        rng = random.Random(2026)
        rows = []
        for i, ((code, name), new) in enumerate(zip(chosen, fresh, strict=True)):
            ward_url = f"http://127.0.0.1:{port + 101 + i}"
            proc = _serve(
                "ward_node",
                data / f"ward-{code}",
                port + 101 + i,
                logs / f"ward-{code}.log",
                "--sync-interval",
                "10",
            )
            children.append(proc)
            rows.append((code, name, ward_url, proc, new))
        for _code, _name, ward_url, proc, new in rows:
            _wait_healthy(ward_url, proc)
            if new:
                _sample_dossiers(ward_url, rng, rng.randint(3, 6))
        print(
            f"\n{len(rows)} phường (đăng nhập: canbo | chuyenvien | vanthu | lanhdao, mật khẩu {WARD_PASSWORD}):"
        )
        for code, name, ward_url, _proc, _new in rows:
            print(f"  {code}  {name:<14} {ward_url}")
        fingerprint = load_keys(hub_data).public.fingerprint
        print(f"\nDữ liệu: {data.resolve()}   Nhật ký: {logs.resolve()}")
        print(f"Dấu vân tay khóa máy chủ: {fingerprint}")
        print("Demo sẵn sàng. Nhấn Ctrl-C để dừng.", flush=True)
        while all(c.poll() is None for c in children):
            time.sleep(1)
        raise SyncError("Một tiến trình của demo đã dừng; xem nhật ký trong " + str(logs))
    except KeyboardInterrupt:
        print("\nĐang dừng demo...", flush=True)
    finally:
        for child in children:
            if child.poll() is None:
                child.terminate()
        for child in children:
            try:
                child.wait(10)
            except subprocess.TimeoutExpired:
                child.kill()
