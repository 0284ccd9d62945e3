"""SMS notices: queued by the ward with the status change they tell of, carried to the hub by
sync, sent there through a gateway that fails now and then, the delivery status flowing back.

The gateway is a real HTTP server on a loopback port; hub and ward are built in-process as in
``tests/hub/protocol/test_node_protocol.py``. The dispatcher runs on a fake clock, so its retry waits cost nothing.
"""

from __future__ import annotations

import json
import random
import re
import sqlite3
import threading
import time
import unicodedata
from collections import Counter, deque
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient
from hypothesis import given, settings
from hypothesis import strategies as st

from central_hub import create_app as create_hub
from central_hub.setup import init_hub
from central_hub.sms.dispatch import Dispatcher
from central_hub.sms.providers import (
    HttpGatewayProvider,
    LogProvider,
    PermanentSmsError,
    TransientSmsError,
    provider_from_settings,
)
from central_hub.store import capture as hub_capture
from central_hub.store import open_store as open_hub
from sync import ChangeLog, NodeSync, Replica, ValidationError, validate
from tests.support import enrolled_node, hub_db, hub_token, synced_session, wait_until
from ward_node.dossiers import Dossiers
from ward_node.dossiers.sms import KINDS, notice_for
from ward_node.store import load_clock
from webapp import User, stop_background

TOKEN = "cong-sms-bi-mat"
CODE = "H57.19786-261127-0001"
GSM_PLAIN = re.compile(r"[ -Z_a-z]+")
CLERK = User("canbo", "officer", "Nguyễn Thị Cán Bộ")
LEADER = User("lanhdao", "leader", "Trần Văn Lãnh Đạo")


# --- the texts ----------------------------------------------------------------------------------


def _dossier(**fields: Any) -> dict[str, Any]:
    return {
        "id": "01900000-0000-7000-8000-000000000001",
        "unit": "19786",
        "code": CODE,
        "procedure_name": "Đăng ký kết hôn",
        "applicant": {"full_name": "Đặng Thị Hoà", "phone": "+84905123456"},
        "channel": "in_person",
        "status": 2,
        "due_at": "2026-12-02T03:00:00+00:00",  # 10:00 in Huế
        "previous_code": "H57.19786-261127-0001",  # for the notice of a code changed
        "return_method": None,
        **fields,
    }


STEP = {"at": "2026-12-05T02:00:00+00:00"}
URL = "https://dvc.hue.gov.vn/tc/{code}"
DESK = f"Tra cuu: {CODE} tai bo phan mot cua"
LINK = f"Tra cuu: https://dvc.hue.gov.vn/tc/{CODE}"

TEXTS = [
    (
        "receive",
        {},
        f"Ho so {CODE} da duoc tiep nhan. Ngay hen tra: 02/12/2026. {DESK}",
        f"Ho so {CODE} da duoc tiep nhan. Ngay hen tra: 02/12/2026. {LINK}",
    ),
    (
        "request_supplement",
        {},
        f"Ho so {CODE} can bo sung giay to. Xin lien he bo phan mot cua.",
        f"Ho so {CODE} can bo sung giay to. Xin lien he bo phan mot cua. {LINK}",
    ),
    (
        "complete",
        {},
        f"Ho so {CODE} (Dang ky ket hon) da co ket qua, moi ong/ba den bo phan mot cua nhan.",
        f"Ho so {CODE} (Dang ky ket hon) da co ket qua, moi ong/ba den bo phan mot cua nhan. "
        + LINK,
    ),
    (
        "complete",
        {"channel": "postal"},
        f"Ho so {CODE} (Dang ky ket hon) da co ket qua, se gui qua buu dien. {DESK}",
        f"Ho so {CODE} (Dang ky ket hon) da co ket qua, se gui qua buu dien. {LINK}",
    ),
    (
        "return",
        {"return_method": "in_person"},
        f"Ho so {CODE} da tra ket qua ngay 05/12/2026.",
        f"Ho so {CODE} da tra ket qua ngay 05/12/2026.",
    ),
    (
        "return",
        {"return_method": "postal"},
        f"Ket qua ho so {CODE} da gui qua buu dien ngay 05/12/2026.",
        f"Ket qua ho so {CODE} da gui qua buu dien ngay 05/12/2026.",
    ),
    (
        "refuse",
        {},
        f"Ho so {CODE} khong duoc tiep nhan. Xin lien he bo phan mot cua de biet ly do.",
        f"Ho so {CODE} khong duoc tiep nhan. Xin lien he bo phan mot cua de biet ly do. {LINK}",
    ),
    (
        "extend",
        {"due_at": "2026-12-09T08:00:00+00:00"},
        f"Xin loi ong/ba: ho so {CODE} cham so voi hen. Ngay hen tra moi: 09/12/2026. {DESK}",
        f"Xin loi ong/ba: ho so {CODE} cham so voi hen. Ngay hen tra moi: 09/12/2026. {LINK}",
    ),
    (
        "withdraw",
        {},
        f"Ho so {CODE} da duoc rut theo yeu cau cua ong/ba.",
        f"Ho so {CODE} da duoc rut theo yeu cau cua ong/ba.",
    ),
    (
        "stop",
        {},
        f"Ho so {CODE} da dung xu ly. Xin lien he bo phan mot cua de biet ly do.",
        f"Ho so {CODE} da dung xu ly. Xin lien he bo phan mot cua de biet ly do. {LINK}",
    ),
]


def _is_one_plain_part(text: str) -> bool:
    return (
        len(text) <= 160
        and text.isascii()
        and unicodedata.normalize("NFD", text) == text
        and GSM_PLAIN.fullmatch(text) is not None
    )


@pytest.mark.parametrize(("action", "fields", "without_url", "with_url"), TEXTS)
def test_each_status_change_worth_telling_has_one_plain_part(
    action: str, fields: dict[str, Any], without_url: str, with_url: str
) -> None:
    dossier = _dossier(**fields)
    for url, expected in (("", without_url), (URL, with_url)):
        notice = notice_for(dossier, action, STEP, url)
        assert notice is not None
        assert notice["text"] == expected
        assert _is_one_plain_part(notice["text"])
        assert notice["kind"] == KINDS[action]
        assert (notice["status"], notice["attempts"], notice["queued_at"]) == (
            "queued",
            0,
            STEP["at"],
        )
        assert (notice["phone"], notice["dossier_code"]) == ("+84905123456", CODE)
        validate("sms", notice)


def test_internal_moves_and_applicants_without_a_mobile_get_no_notice() -> None:
    for action in ("start", "hand_over", "supplement_received", "request_payment"):
        assert notice_for(_dossier(), action, STEP, URL) is None
    for phone in (None, "", "+842343822123"):  # none, empty, a Huế landline
        dossier = _dossier(applicant={"full_name": "Lê Văn Tám", "phone": phone})
        assert notice_for(dossier, "receive", STEP, URL) is None


def test_a_long_procedure_is_shortened_then_dropped_and_a_long_url_dropped_never_split() -> None:
    dossier = _dossier(
        procedure_name="Cấp giấy chứng nhận quyền sử dụng đất, quyền sở hữu nhà ở và tài sản "
        "khác gắn liền với đất"
    )
    ready = "da co ket qua, moi ong/ba den bo phan mot cua nhan."
    texts = [
        (
            "",
            f"Ho so {CODE} (Cap giay chung nhan quyen su dung dat, quyen so huu nha o va tai san "
            f"khac...) {ready}",
        ),
        (URL, f"Ho so {CODE} (Cap giay chung...) {ready} {LINK}"),
        (
            "https://dichvucong.hue.gov.vn/tra-cuu/{code}",
            f"Ho so {CODE} {ready} Tra cuu: https://dichvucong.hue.gov.vn/tra-cuu/{CODE}",
        ),
    ]
    for url, expected in texts:
        notice = notice_for(dossier, "complete", STEP, url)
        assert notice is not None and notice["text"] == expected
        assert _is_one_plain_part(expected)
    huge = "https://dichvucong.thuathienhue.gov.vn/tra-cuu-ho-so-mot-cua/chi-tiet?ma={code}"
    dropped = notice_for(_dossier(), "extend", STEP, huge)
    assert dropped is not None
    assert dropped["text"].endswith(DESK) and _is_one_plain_part(dropped["text"])


VIETNAMESE = (
    "aăâbcdđeêghiklmnoôơpqrstuưvxyáàảãạắằẳẵặấầẩẫậđếềểễệíìỉĩịóòỏõọốồổỗộớờởỡợúùủũụứừửữựýỳỷỹỵĐ"
)


@settings(max_examples=150, deadline=None)
@given(
    action=st.sampled_from(sorted(KINDS)),
    procedure=st.text(alphabet=VIETNAMESE + " –“”~[]{}|\\^`,.()/-", max_size=300),
    url=st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789/.:?=-_", max_size=140),
    code=st.sampled_from([CODE, "H57.19786.ABCDEFGHIJKLMNOPQRSTU-261127-9999"]),
    channel=st.sampled_from(["in_person", "online", "postal"]),
    method=st.sampled_from(["in_person", "postal", "electronic", None]),
)
def test_every_notice_is_one_valid_gsm_part(
    action: str, procedure: str, url: str, code: str, channel: str, method: str | None
) -> None:
    dossier = _dossier(procedure_name=procedure, code=code, channel=channel, return_method=method)
    notice = notice_for(dossier, action, STEP, url + "{code}" if url else "")
    assert notice is not None
    assert _is_one_plain_part(notice["text"]) and code in notice["text"]
    validate("sms", notice)


# --- queued with the change -----------------------------------------------------------------------


@pytest.fixture
def ward(tmp_path: Path) -> Iterator[Dossiers]:
    from tests.support import make_ward_data
    from ward_node.store import open_store

    conn = open_store(make_ward_data(tmp_path / "ward"))
    try:
        yield Dossiers(conn, load_clock(conn), URL)
    finally:
        conn.close()


def _sms_rows(conn: sqlite3.Connection, dossier_id: str | None = None) -> list[dict[str, Any]]:
    from sync import select_records

    where, params = ("WHERE dossier_id = ?", (dossier_id,)) if dossier_id else ("", ())
    return select_records(conn, "sms", f"{where} ORDER BY queued_at, id", params)


def _receive(service: Dossiers, phone: str | None = "0905 123 456", name: str = "Hồ Thị Hoa"):
    return service.receive(
        {"procedure_code": "1.001193", "applicant": {"full_name": name, "phone": phone}}, CLERK
    )


def test_a_notice_is_queued_in_the_write_of_the_change_it_tells(ward: Dossiers) -> None:
    dossier = _receive(ward)
    for action, user in (
        ("start", CLERK),
        ("request_supplement", CLERK),
        ("supplement_received", CLERK),
        ("extend", LEADER),
        ("complete", CLERK),
        ("return", CLERK),
    ):
        body: dict[str, Any] = {"action": action, "note": "Thiếu bản sao giấy khai sinh"}
        if action == "extend":
            body["new_due_at"] = "2027-01-15T17:00:00+07:00"
        ward.act(dossier["id"], body, user)
    kinds = [s["kind"] for s in _sms_rows(ward.conn, dossier["id"])]
    assert kinds == ["received", "supplement", "apology", "result_ready", "returned"]
    assert all(
        s["status"] == "queued" and s["phone"] == "+84905123456" for s in _sms_rows(ward.conn)
    )
    # Each notice's change sits right after its step's, in the same write of the change log.
    log = ward.conn.execute("SELECT seq, type FROM changes ORDER BY seq").fetchall()
    types = [t for _seq, t in log]
    for i, t in enumerate(types):
        if t == "sms":
            assert types[i - 1] == "dossier_step"
    assert "Ngay hen tra moi: 15/01/2027" in _sms_rows(ward.conn)[2]["text"]
    no_phone = _receive(ward, phone=None, name="Lê Văn Tám")
    assert _sms_rows(ward.conn, no_phone["id"]) == []


def test_a_failing_write_leaves_neither_the_change_nor_its_notice(
    ward: Dossiers, monkeypatch: pytest.MonkeyPatch
) -> None:
    dossier = _receive(ward)
    before = ward.conn.execute("SELECT count(*) FROM changes").fetchone()[0]

    def broken_log(self: ChangeLog, changes: Any) -> None:
        raise sqlite3.OperationalError("disk I/O error")

    monkeypatch.setattr(ChangeLog, "append_many", broken_log)
    with pytest.raises(sqlite3.OperationalError):
        ward.act(dossier["id"], {"action": "start"}, CLERK)
    with pytest.raises(sqlite3.OperationalError):
        _receive(ward, name="Phan Văn Khải")
    monkeypatch.undo()
    assert ward.get(dossier["id"])["status"] == 2
    assert len(_sms_rows(ward.conn)) == 1
    assert ward.conn.execute("SELECT count(*) FROM dossier").fetchone()[0] == 1
    assert ward.conn.execute("SELECT count(*) FROM changes").fetchone()[0] == before
    # A notice the schema refuses takes its change down with it, not the reverse.

    def accented(*args: Any) -> dict[str, Any] | None:
        notice = notice_for(*args)
        return notice and {**notice, "text": "Hồ sơ có dấu"}

    monkeypatch.setattr("ward_node.dossiers.service.notice_for", accented)
    ward.act(dossier["id"], {"action": "start"}, CLERK)  # not worth telling: no notice at all
    with pytest.raises(ValidationError):
        ward.act(dossier["id"], {"action": "request_supplement"}, CLERK)
    assert ward.get(dossier["id"])["status"] == 4
    assert len(_sms_rows(ward.conn)) == 1


# --- a gateway on loopback ------------------------------------------------------------------------


class FakeGateway:
    """An SMS gateway on a loopback port: answers 503 to a seeded share of requests, 400 for
    numbers it refuses, and records (bounded) what it received."""

    def __init__(
        self, *, fail_share: float = 0.0, seed: int = 0, refuse: frozenset[str] = frozenset()
    ) -> None:
        self.fail_share = fail_share
        self.refuse = refuse
        self.random = random.Random(seed)
        self.delay = 0.0
        self.lock = threading.Lock()
        self.requests: deque[tuple[str, int]] = deque(maxlen=10_000)  # (Idempotency-Key, status)
        self.accepted: deque[dict[str, str]] = deque(maxlen=10_000)
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = min(int(self.headers.get("Content-Length") or 0), 64 * 1024)
                status, answer = gateway.answer(
                    self.headers.get("Authorization", ""),
                    self.headers.get("Idempotency-Key", ""),
                    self.rfile.read(length),
                )
                data = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/v1/sms"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def answer(self, auth: str, key: str, raw: bytes) -> tuple[int, dict[str, Any]]:
        time.sleep(self.delay)  # a slow gateway is the behaviour under test, not a wait
        with self.lock:
            body = json.loads(raw)
            if auth != f"Bearer {TOKEN}":
                status, answer = 401, {"error": "bad token"}
            elif body["to"] in self.refuse:
                status, answer = 400, {"error": "number not reachable by SMS"}
            elif self.random.random() < self.fail_share:
                status, answer = 503, {"error": "try later"}
            else:
                gateway_id = f"gw-{len(self.accepted) + 1}"
                self.accepted.append({"key": key, "id": gateway_id, **body})
                status, answer = 200, {"id": gateway_id}
            self.requests.append((key, status))
            return status, answer

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(5)


@pytest.fixture
def hub_config() -> dict[str, Any]:
    """The hub knows the gateway's token (for delivery receipts)."""
    return {"SMS_GATEWAY_TOKEN": TOKEN}


class FakeClock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def hub_conn(tmp_path: Path, hub: FlaskClient) -> Iterator[sqlite3.Connection]:
    conn = open_hub(tmp_path / "hub")
    yield conn
    conn.close()


def _dispatcher(
    conn: sqlite3.Connection, provider: Any, clock: FakeClock, attempts: int = 5
) -> Dispatcher:
    return Dispatcher(conn, hub_capture(conn), provider, max_attempts=attempts, clock=clock)


def _hub_sms(conn: sqlite3.Connection) -> dict[str, dict[str, Any]]:
    rows = conn.execute("SELECT id FROM sms").fetchall()
    return {r[0]: Replica(conn).get("sms", r[0]) for r in rows}  # type: ignore[misc]


NAMES = [
    f"{family} {middle} {given}"
    for family in ("Nguyễn", "Trần", "Lê")
    for middle in ("Văn", "Thị")
    for given in ("An", "Bình", "Cúc", "Dũng", "Đạt")
]


def _ward_with_notices(
    tmp_path: Path, hub: FlaskClient, n: int, phones: list[str] | None = None
) -> tuple[NodeSync, Dossiers]:
    data, transport = enrolled_node(tmp_path, hub)
    session, conn = synced_session(data, transport)
    service = Dossiers(conn, load_clock(conn), URL)
    for i in range(n):
        phone = phones[i] if phones else f"09051{i:05d}"
        _receive(service, phone=phone, name=NAMES[i])
    session.run()
    return session, service


def _drain(dispatcher: Dispatcher, clock: FakeClock, rounds: int = 40) -> None:
    """Run rounds, letting the fake clock pass every retry wait, until nothing is due."""
    for _ in range(rounds):
        dispatcher.run_once()
        clock.now += 7 * 3600  # beyond the longest retry wait
    dispatcher.run_once()


def test_every_notice_is_sent_exactly_once_through_a_flaky_gateway_and_the_status_flows_back(
    tmp_path: Path, hub: FlaskClient, hub_conn: sqlite3.Connection
) -> None:
    session, ward = _ward_with_notices(tmp_path, hub, 30)
    queued = {s["id"]: s for s in _sms_rows(ward.conn)}
    assert len(queued) == 30 and set(_hub_sms(hub_conn)) == set(queued)
    gateway = FakeGateway(fail_share=0.35, seed=7)
    provider = HttpGatewayProvider(gateway.url, TOKEN, timeout=5)
    clock = FakeClock()
    try:
        _drain(_dispatcher(hub_conn, provider, clock, attempts=8), clock)
    finally:
        provider.close()
        gateway.close()
    sent = Counter(a["key"] for a in gateway.accepted)
    assert sent == Counter(set(queued)), "each notice accepted by the gateway exactly once"
    tries = Counter(key for key, _status in gateway.requests)
    assert any(n > 1 for n in tries.values()), "the seed made some requests fail"
    at_hub = _hub_sms(hub_conn)
    for a in gateway.accepted:
        sms = at_hub[a["key"]]
        assert (sms["status"], sms["provider"], sms["provider_id"]) == ("sent", "http", a["id"])
        assert sms["attempts"] == tries[a["key"]] and sms["last_error"] is None
        assert (a["to"], a["text"]) == (queued[a["key"]]["phone"], queued[a["key"]]["text"])

    # Delivery receipts from the gateway, then one sync: the ward sees what the hub knows.
    auth = {"Authorization": f"Bearer {TOKEN}"}
    for a in list(gateway.accepted)[:20]:
        resp = hub.post(
            "/api/v1/sms/receipts",
            json={"provider_id": a["id"], "status": "delivered"},
            headers=auth,
        )
        assert resp.status_code == 200 and resp.get_json()["status"] == "delivered"
    session.run()
    at_ward = {s["id"]: s for s in _sms_rows(ward.conn)}
    assert at_ward == _hub_sms(hub_conn)
    assert Counter(s["status"] for s in at_ward.values()) == {"delivered": 20, "sent": 10}
    assert all(s["delivered_at"] for s in at_ward.values() if s["status"] == "delivered")


def test_a_refused_number_fails_after_one_attempt(
    tmp_path: Path, hub: FlaskClient, hub_conn: sqlite3.Connection
) -> None:
    _ward_with_notices(tmp_path, hub, 2, phones=["0905000001", "0905000002"])
    gateway = FakeGateway(refuse=frozenset({"+84905000001"}))
    provider = HttpGatewayProvider(gateway.url, TOKEN, timeout=5)
    clock = FakeClock()
    dispatcher = _dispatcher(hub_conn, provider, clock)
    try:
        report = dispatcher.run_once()
        assert (report.sent, report.failed, report.retrying) == (1, 1, 0)
        clock.now += 30 * 24 * 3600
        dispatcher.run_once()
    finally:
        provider.close()
        gateway.close()
    by_phone = {s["phone"]: s for s in _hub_sms(hub_conn).values()}
    refused = by_phone["+84905000001"]
    assert (refused["status"], refused["attempts"]) == ("failed", 1)
    assert "400" in refused["last_error"]
    assert [k for k, _ in gateway.requests].count(refused["id"]) == 1
    assert by_phone["+84905000002"]["status"] == "sent"


def test_transient_failures_are_retried_with_growing_waits_up_to_the_limit(
    tmp_path: Path, hub: FlaskClient, hub_conn: sqlite3.Connection
) -> None:
    _ward_with_notices(tmp_path, hub, 1)
    gateway = FakeGateway(fail_share=1.0)
    provider = HttpGatewayProvider(gateway.url, TOKEN, timeout=5)
    clock = FakeClock()
    dispatcher = _dispatcher(hub_conn, provider, clock, attempts=4)
    (sms_id,) = _hub_sms(hub_conn)
    waits = []
    try:
        start = clock.now
        for _ in range(400):  # one round a minute of fake time, for nearly seven hours
            before = len(gateway.requests)
            dispatcher.run_once()
            if len(gateway.requests) > before:
                waits.append(clock.now - start)
            clock.now += 60
    finally:
        provider.close()
        gateway.close()
    assert waits == [0, 60, 300, 1260]  # tried at once, then after 1, 4 and 16 minutes
    sms = _hub_sms(hub_conn)[sms_id]
    assert (sms["status"], sms["attempts"]) == ("failed", 4)
    assert "503" in sms["last_error"] and "4 lần" in sms["last_error"]


def test_the_dispatcher_survives_a_gateway_that_is_down(
    tmp_path: Path, hub: FlaskClient, hub_conn: sqlite3.Connection
) -> None:
    _ward_with_notices(tmp_path, hub, 5)
    down = FakeGateway()
    down.close()  # its port now refuses connections
    provider = HttpGatewayProvider(down.url, TOKEN, timeout=2)
    clock = FakeClock()
    dispatcher = _dispatcher(hub_conn, provider, clock)
    try:
        report = dispatcher.run_once()
        assert report.stopped == "unreachable" and report.retrying == 1
        attempts = sorted(s["attempts"] for s in _hub_sms(hub_conn).values())
        assert attempts == [0, 0, 0, 0, 1]  # the outage charged one message, not all five
        up = FakeGateway()
        provider.url = up.url
        clock.now += 3600
        report = dispatcher.run_once()
        up.close()
    finally:
        provider.close()
    assert report.sent == 5
    assert all(s["status"] == "sent" for s in _hub_sms(hub_conn).values())


def test_a_provider_that_crashes_or_times_out_never_breaks_the_loop(
    tmp_path: Path, hub: FlaskClient, hub_conn: sqlite3.Connection
) -> None:
    _ward_with_notices(tmp_path, hub, 2)

    class Broken:
        name = "broken"

        def send(self, phone: str, text: str, *, ref: str | None = None) -> str | None:
            raise RuntimeError("bug in a provider")

        def close(self) -> None:
            pass

    clock = FakeClock()
    report = _dispatcher(hub_conn, Broken(), clock).run_once()
    assert report.retrying == 2 and report.stopped is None
    slow = FakeGateway()
    slow.delay = 1.0
    provider = HttpGatewayProvider(slow.url, TOKEN, timeout=0.2)
    try:
        with pytest.raises(TransientSmsError) as caught:
            provider.send("+84905000001", "Thu")
        assert caught.value.unreachable
    finally:
        provider.close()
        slow.close()


def test_a_message_left_sending_by_a_crash_is_tried_again_once_its_claim_expires(
    tmp_path: Path, hub: FlaskClient, hub_conn: sqlite3.Connection
) -> None:
    _ward_with_notices(tmp_path, hub, 1)
    clock = FakeClock()
    gateway = FakeGateway()
    provider = HttpGatewayProvider(gateway.url, TOKEN, timeout=5)
    crashed = _dispatcher(hub_conn, provider, clock)
    claimed = crashed._claim()  # the hub dies here, before the gateway is called
    assert claimed is not None and claimed["status"] == "sending"
    restarted = _dispatcher(hub_conn, provider, clock)
    try:
        assert restarted.run_once().sent == 0  # still within the claim's lease
        clock.now += 601
        assert restarted.run_once().sent == 1
    finally:
        provider.close()
        gateway.close()
    (sms,) = _hub_sms(hub_conn).values()
    assert (sms["status"], sms["attempts"]) == ("sent", 2)
    assert [key for key, _status in gateway.requests] == [sms["id"]]


def test_a_dossier_never_waits_on_the_gateway(
    tmp_path: Path, hub: FlaskClient, hub_conn: sqlite3.Connection
) -> None:
    session, ward = _ward_with_notices(tmp_path, hub, 1)
    (dossier,) = ward.search()[0]

    class Hanging:
        """A gateway call that hangs until the test lets it go."""

        name = "http"

        def __init__(self) -> None:
            self.entered = threading.Event()
            self.release = threading.Event()

        def send(self, phone: str, text: str, *, ref: str | None = None) -> str | None:
            self.entered.set()
            self.release.wait(30)
            return "gw-late"

        def close(self) -> None:
            pass

    hanging = Hanging()
    conn = open_hub(tmp_path / "hub")
    dispatcher = _dispatcher(conn, hanging, FakeClock())
    thread = threading.Thread(target=dispatcher.run_once, kwargs={"limit": 1})
    thread.start()
    try:
        assert hanging.entered.wait(10)
        started = time.monotonic()
        ward.act(dossier["id"], {"action": "start"}, CLERK)
        ward.act(dossier["id"], {"action": "complete"}, CLERK)
        session.run()  # the hub takes the ward's changes while its dispatcher waits
        assert time.monotonic() - started < 5
    finally:
        hanging.release.set()
        thread.join(10)
        conn.close()
    statuses = Counter(s["status"] for s in _hub_sms(hub_conn).values())
    assert statuses == {"sent": 1, "queued": 1}


def test_a_receipt_needs_the_gateway_token_and_may_come_before_the_send_is_recorded(
    tmp_path: Path, hub: FlaskClient, hub_conn: sqlite3.Connection
) -> None:
    _ward_with_notices(tmp_path, hub, 1)
    body = {"provider_id": "gw-1", "status": "delivered"}
    assert hub.post("/api/v1/sms/receipts", json=body).status_code == 401
    wrong = {"Authorization": "Bearer doan-bua"}
    assert hub.post("/api/v1/sms/receipts", json=body, headers=wrong).status_code == 401
    auth = {"Authorization": f"Bearer {TOKEN}"}
    bad = hub.post("/api/v1/sms/receipts", json={**body, "status": "read"}, headers=auth)
    assert bad.status_code == 422 and bad.get_json()["error"]["field"] == "status"
    early = hub.post("/api/v1/sms/receipts", json=body, headers=auth)
    assert early.status_code == 200 and early.get_json()["pending"] is True

    class Quick:
        name = "http"

        def send(self, phone: str, text: str, *, ref: str | None = None) -> str | None:
            return "gw-1"

        def close(self) -> None:
            pass

    assert _dispatcher(hub_conn, Quick(), FakeClock()).run_once().sent == 1
    (sms,) = _hub_sms(hub_conn).values()
    assert (sms["status"], sms["provider_id"]) == ("delivered", "gw-1") and sms["delivered_at"]
    late_failure = {"provider_id": "gw-1", "status": "failed"}
    again = hub.post("/api/v1/sms/receipts", json=late_failure, headers=auth)
    assert again.get_json()["status"] == "delivered"  # never moved back


def test_receipts_are_refused_when_no_gateway_token_is_set(tmp_path: Path) -> None:
    init_hub(tmp_path / "plain", name="Hub")
    client = create_hub({"DATA": str(tmp_path / "plain")}).test_client()
    resp = client.post(
        "/api/v1/sms/receipts",
        json={"provider_id": "x", "status": "delivered"},
        headers={"Authorization": "Bearer "},
    )
    assert resp.status_code == 403 and resp.get_json()["error"]["code"] == "receipts_disabled"


def test_the_sms_log_is_for_administrators_and_filters_by_status(
    tmp_path: Path, hub: FlaskClient, hub_conn: sqlite3.Connection
) -> None:
    _ward_with_notices(tmp_path, hub, 3, phones=["0905000001", "0905000002", "0905000003"])
    gateway = FakeGateway(refuse=frozenset({"+84905000002"}))
    provider = HttpGatewayProvider(gateway.url, TOKEN, timeout=5)
    try:
        _dispatcher(hub_conn, provider, FakeClock()).run_once()
    finally:
        provider.close()
        gateway.close()
    assert hub.get("/api/v1/sms").status_code == 401
    assert (
        hub.get("/api/v1/sms", headers=hub_token(hub, tmp_path / "hub", "viewer")).status_code
        == 403
    )
    admin = hub_token(hub, tmp_path / "hub", "admin")
    every = hub.get("/api/v1/sms?limit=2", headers=admin).get_json()
    assert len(every["items"]) == 2 and every["next_cursor"]
    rest = hub.get(f"/api/v1/sms?cursor={every['next_cursor']}", headers=admin).get_json()
    assert len(rest["items"]) == 1 and rest["next_cursor"] is None
    failed = hub.get("/api/v1/sms?status=failed", headers=admin).get_json()["items"]
    assert [(s["phone"], s["attempts"], s["next_attempt_at"]) for s in failed] == [
        ("+84905000002", 1, None)
    ]
    assert hub.get("/api/v1/sms?status=lost", headers=admin).status_code == 422


def test_the_log_provider_is_the_default_and_http_needs_an_address(tmp_path: Path) -> None:
    defaults = {"SMS_PROVIDER": "log", "SMS_GATEWAY_URL": "", "SMS_GATEWAY_TOKEN": ""}
    provider = provider_from_settings({**defaults, "SMS_GATEWAY_TIMEOUT": 10}, tmp_path)
    assert isinstance(provider, LogProvider)
    first = provider.send("+84905123456", "Ho so da duoc tiep nhan.", ref="abc")
    lines = [json.loads(x) for x in (tmp_path / "sms.log").read_text().splitlines()]
    assert lines == [
        {
            "at": lines[0]["at"],
            "id": first,
            "ref": "abc",
            "to": "+84905123456",
            "text": "Ho so da duoc tiep nhan.",
        }
    ]
    with pytest.raises(ValidationError, match="SMS_GATEWAY_URL"):
        provider_from_settings({**defaults, "SMS_PROVIDER": "http"}, tmp_path)
    with pytest.raises(ValidationError, match="SMS_PROVIDER"):
        provider_from_settings({**defaults, "SMS_PROVIDER": "pigeon"}, tmp_path)
    with pytest.raises(PermanentSmsError):
        gateway = FakeGateway(refuse=frozenset({"+84905123456"}))
        http = HttpGatewayProvider(gateway.url, TOKEN)
        try:
            http.send("+84905123456", "Thu")
        finally:
            http.close()
            gateway.close()


def test_serve_runs_the_dispatcher_in_a_thread_and_stops_it(
    tmp_path: Path, hub: FlaskClient
) -> None:
    _ward_with_notices(tmp_path, hub, 2)
    app = create_hub({"DATA": str(tmp_path / "hub"), "SMS_INTERVAL": 1}, start_dispatcher=True)
    worker = app.extensions["sms_dispatcher"]
    try:
        log = tmp_path / "hub" / "sms.log"
        wait_until(
            lambda: log.exists() and len(log.read_text().splitlines()) == 2,
            20,
            0.05,
            what="the dispatcher thread to send both notices",
        )
    finally:
        stop_background(app)
    assert not worker._thread.is_alive()
    conn = open_hub(tmp_path / "hub")
    try:
        wait_until(
            lambda: {s["status"] for s in _hub_sms(conn).values()} == {"sent"},
            10,
            0.05,
            what="every notice marked sent",
        )
    finally:
        conn.close()
    quiet = create_hub({"DATA": str(tmp_path / "hub")})
    assert quiet.extensions["sms_dispatcher"] is None


def test_stores_made_before_sms_get_the_table(tmp_path: Path, hub: FlaskClient) -> None:
    from tests.support import make_ward_data
    from ward_node.store import open_store

    data = make_ward_data(tmp_path / "old-ward")
    for folder, raw_store, opener, name in (
        (data, lambda d: sqlite3.connect(d / "node.sqlite3"), open_store, "0003_sms"),
        (tmp_path / "hub", hub_db, open_hub, "0009_sms"),
    ):
        raw = raw_store(folder)
        with raw:
            raw.execute("DROP TABLE sms")
            raw.execute("DELETE FROM _migrations WHERE name = ?", (name,))
            for table in ("sms_dispatch", "sms_receipts"):
                raw.execute(f"DROP TABLE IF EXISTS {table}")
        raw.close()
        conn = opener(folder)
        try:
            assert conn.execute("SELECT count(*) FROM sms").fetchone()[0] == 0
        finally:
            conn.close()
