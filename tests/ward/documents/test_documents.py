"""Official documents (issue [4]): numbering, the state machines and roles, the ward API, and
liên thông between the city and the wards through sync, the hub down in the middle included."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest
from flask.testing import FlaskClient

from office import VIETNAM
from sync import Conflict, NodeSync, TransportError
from tests.hub.protocol.test_routing import _ward
from tests.support import Api, hub_token
from ward_node.documents import Documents
from ward_node.errors import Forbidden
from ward_node.store import ROLES, load_clock
from webapp import User, add_user, get_user

A, B, C = "19786", "19744", "19750"
CLERK = User("vanthu", "clerk", "Văn thư")
LEADER = User("lanhdao", "leader", "Nguyễn Văn Lãnh")
# The accounts of tests.conftest.make_ward_data: a lead handler must be a real colleague.
SPECIALIST = User("specialist", "specialist", "Chuyên viên")


def _docs(conn: sqlite3.Connection, at: datetime | None = None) -> Documents:
    docs = Documents(conn, load_clock(conn))
    if at is not None:
        docs.now = lambda: at
    return docs


def _outgoing(docs: Documents, **extra) -> dict:
    # A secret document takes no summary (docs/security.md, "Secret documents").
    summary = {} if extra.get("secrecy") else {"summary": "Về việc kiện toàn tổ công tác"}
    body = {"doc_type": "Quyết định", **summary, **extra}
    doc = docs.create(body, SPECIALIST)
    for action, user in (("approve", LEADER), ("sign", LEADER), ("release", CLERK)):
        doc = docs.act(doc["id"], {"action": action, "signing_competence": "KT."}, user)
    return doc


# -- domain ------------------------------------------------------------------------------


def test_outgoing_numbers_restart_each_year_and_secret_documents_have_their_own_series(
    ward_app,
) -> None:
    from ward_node.store import open_store

    conn = open_store(Path(ward_app.config["DATA"]))
    late = _docs(conn, datetime(2026, 12, 31, 10, 0, tzinfo=UTC))  # 17:00 in Huế
    first, second = _outgoing(late), _outgoing(late, doc_type="Công văn")
    secret = _outgoing(late, secrecy="mat")
    assert (first["number"], first["symbol"]) == (1, "1/QĐ-UBND")
    assert second["symbol"] == "2/UBND-VP" and secret["number"] == 1
    assert first["state"] == "released" and first["signing_competence"] == "KT."
    # 31 Dec 17:30 UTC is already 1 January in Vietnam: the series restarts.
    new_year = _docs(conn, datetime(2026, 12, 31, 17, 30, tzinfo=UTC))
    third = _outgoing(new_year)
    assert (third["number"], third["issued_on"]) == (1, "2027-01-01")


def test_state_machine_refuses_with_conflict_and_roles_with_forbidden(ward_app) -> None:
    from ward_node.store import open_store

    docs = _docs(open_store(Path(ward_app.config["DATA"])))
    doc = docs.create({"doc_type": "Thông báo", "summary": "Lịch tiếp công dân"}, SPECIALIST)
    assert doc["state"] == "draft" and doc["symbol"] == "/TB-UBND" and doc["number"] is None
    with pytest.raises(Forbidden, match="không được"):
        docs.act(doc["id"], {"action": "approve"}, CLERK)  # a clerk does not approve
    with pytest.raises(Conflict, match="trạng thái"):
        docs.act(doc["id"], {"action": "release"}, CLERK)  # not signed yet
    docs.act(doc["id"], {"action": "approve"}, LEADER)
    with pytest.raises(Conflict):
        docs.act(doc["id"], {"action": "approve"}, LEADER)
    docs.act(doc["id"], {"action": "sign"}, LEADER)
    with pytest.raises(Conflict):
        docs.edit(doc["id"], {"summary": "sửa sau khi ký"}, SPECIALIST)
    numbered = docs.act(doc["id"], {"action": "number"}, CLERK)
    released = docs.act(doc["id"], {"action": "release"}, CLERK)
    assert numbered["number"] == released["number"] == 1  # numbered once
    assert released["signer"] == "Nguyễn Văn Lãnh"


def test_incoming_paper_documents_are_numbered_in_arrival_order_secret_apart(ward_app) -> None:
    from ward_node.store import open_store

    docs = _docs(open_store(Path(ward_app.config["DATA"])))
    paper = {
        "direction": "incoming",
        "doc_type": "Công văn",
        "symbol": "245/STNMT-QLĐĐ",
        "issuing_agency": "Sở Tài nguyên và Môi trường",
        "issued_on": "2026-11-20",
        "summary": "Về việc rà soát đất công",
    }
    one = docs.create(paper, CLERK)
    two = docs.create({**paper, "symbol": "246/STNMT-QLĐĐ"}, CLERK)
    secret_paper = {k: v for k, v in paper.items() if k != "summary"}
    secret = docs.create({**secret_paper, "symbol": "12/CAT-PV01", "secrecy": "mat"}, CLERK)
    assert [d["receipt"]["incoming_number"] for d in (one, two, secret)] == [1, 2, 1]
    assert one["state"] == "04" and secret["receipt"]["secret"] is True
    with pytest.raises(Forbidden):
        docs.create(paper, SPECIALIST)
    with pytest.raises(Conflict):
        docs.act(one["id"], {"action": "handle"}, SPECIALIST)  # not assigned yet
    docs.act(one["id"], {"action": "assign", "lead_handler": "specialist"}, LEADER)
    docs.act(one["id"], {"action": "handle", "result": "Đã báo cáo"}, SPECIALIST)
    done = docs.act(one["id"], {"action": "done"}, SPECIALIST)
    assert done["state"] == "06" and done["receipt"]["result"] == "Đã báo cáo"
    listed, _ = docs.search("incoming", q="dat cong", user=CLERK)
    assert len(listed) == 2  # the secret one's summary is not stored: never found by it
    assert len(docs.search("incoming", user=CLERK)[0]) == 3
    assert [d["id"] for d in docs.search("incoming", status="06")[0]] == [one["id"]]


# -- ward API ----------------------------------------------------------------------------


def test_the_ward_api(client: FlaskClient) -> None:
    specialist, leader, clerk = (
        Api(client, "specialist"),
        Api(client, "leader"),
        Api(client, "clerk"),
    )
    resp = specialist.post(
        "/documents",
        json={"direction": "outgoing", "doc_type": "Công văn", "summary": "Về việc trực Tết"},
    )
    assert resp.status_code == 201, resp.get_json()
    doc_id = resp.get_json()["id"]
    assert specialist.patch(f"/documents/{doc_id}", json={"copies": 3}).status_code == 200
    assert clerk.post(f"/documents/{doc_id}/actions", json={"action": "sign"}).status_code == 403
    assert leader.post(f"/documents/{doc_id}/actions", json={"action": "sign"}).status_code == 409
    for action, who in (("approve", leader), ("sign", leader), ("release", clerk)):
        resp = who.post(f"/documents/{doc_id}/actions", json={"action": action})
        assert resp.status_code == 200, resp.get_json()
    assert resp.get_json()["symbol"] == "1/UBND-VP"
    listed = specialist.get("/documents?direction=outgoing&q=truc tet").get_json()
    assert [d["id"] for d in listed["items"]] == [doc_id] and listed["next_cursor"] is None
    assert specialist.get("/documents?direction=sideways").status_code == 422
    resp = clerk.post(
        f"/documents/{doc_id}/attachments",
        data={"file": (__import__("io").BytesIO(b"%PDF-1.4 ban ky"), "cong-van.pdf")},
        content_type="multipart/form-data",
    )
    assert resp.status_code == 201, resp.get_json()
    assert specialist.get(f"/documents/{doc_id}").get_json()["attachments"][0]["name"] == (
        "cong-van.pdf"
    )
    assert specialist.get("/documents/0190a0a0-0000-7000-8000-000000000000").status_code == 404


# -- liên thông --------------------------------------------------------------------------


@pytest.fixture
def wards(tmp_path: Path, hub: FlaskClient) -> dict[str, tuple[NodeSync, sqlite3.Connection]]:
    return {unit: _ward(tmp_path, hub, unit) for unit in (A, B, C)}


def _colleague(conn: sqlite3.Connection, username: str) -> User:
    """A specialist account of the ward (added once), to be assigned a document."""
    if get_user(conn, username) is None:
        add_user(conn, username, "matkhau-123", "specialist", ROLES, f"Chuyên viên {username}")
    found = get_user(conn, username)
    assert found is not None
    return found


def _handle(conn: sqlite3.Connection, doc_id: str, lead: str) -> dict:
    docs = _docs(conn)
    handler = _colleague(conn, lead)
    _colleague(conn, "vp")
    docs.act(doc_id, {"action": "register"}, CLERK)
    docs.act(
        doc_id,
        {
            "action": "assign",
            "lead_handler": lead,
            "coordinators": ["vp"],
            "deadline": "2026-12-05",
        },
        LEADER,
    )
    docs.act(doc_id, {"action": "handle", "result": "Đã triển khai"}, handler)
    return docs.act(doc_id, {"action": "done"}, handler)


def test_the_city_sends_to_three_wards_and_sees_each_one_s_status(
    tmp_path: Path, hub: FlaskClient, wards
) -> None:
    admin = hub_token(hub, tmp_path / "hub")
    # Each ward already has an incoming paper document: its own numbers go on from there.
    _docs(wards[B][1]).create(
        {
            "direction": "incoming",
            "symbol": "9/BQL",
            "issuing_agency": "Ban quản lý chợ Đông Ba",
            "summary": "Về lịch họp",
        },
        CLERK,
    )
    resp = hub.post(
        "/api/v1/documents",
        headers=admin,
        json={"doc_type": "Công văn", "summary": "Về việc chuẩn bị Tết", "units": [A, B, C]},
    )
    assert resp.status_code == 201, resp.get_json()
    doc_id = resp.get_json()["id"]
    assert resp.get_json()["symbol"] == "1/UBND-VP"
    done = {}
    for unit in (A, B, C):
        session, conn = wards[unit]
        session.run()
        pending = _docs(conn).search("incoming", status="pending", user=CLERK)[0]
        assert [d["id"] for d in pending] == [doc_id]
        done[unit] = _handle(conn, doc_id, f"cv.{unit}")
        session.run()
    assert [done[u]["receipt"]["incoming_number"] for u in (A, B, C)] == [1, 2, 1]
    seen = hub.get(f"/api/v1/documents/{doc_id}", headers=admin).get_json()
    assert {r["unit"]: r["status_code"] for r in seen["recipients"]} == {A: "06", B: "06", C: "06"}
    assert {r["receipt"]["lead_handler"] for r in seen["recipients"]} == {
        f"cv.{u}" for u in (A, B, C)
    }
    listed = hub.get("/api/v1/documents?unit=H57", headers=admin).get_json()["items"]
    assert [d["id"] for d in listed] == [doc_id]


def test_a_ward_to_ward_document_and_its_recall(wards) -> None:
    (sa, ca), (sb, cb), (sc, cc) = wards[A], wards[B], wards[C]
    sender = _docs(ca)
    draft = sender.create({"doc_type": "Công văn", "summary": "Phối hợp", "units": [B]}, SPECIALIST)
    sa.run()
    sb.run()
    assert _docs(cb).search("incoming")[0] == []  # drafts are not shown to addressees
    assert cb.execute("SELECT count(*) FROM document").fetchone()[0] == 0  # nor stored there
    for action, user in (("approve", LEADER), ("sign", LEADER), ("release", CLERK)):
        sender.act(draft["id"], {"action": action}, user)
    sa.run()
    sb.run()
    sc.run()
    assert [d["id"] for d in _docs(cb).search("incoming")[0]] == [draft["id"]]
    assert _docs(cc).search("incoming")[0] == []
    _docs(cb).act(draft["id"], {"action": "register"}, CLERK)
    sb.run()
    sa.run()
    recipients = sender.get(draft["id"], LEADER)["recipients"]
    assert [(r["unit"], r["status_code"]) for r in recipients] == [(B, "04")]
    sender.act(draft["id"], {"action": "recall"}, LEADER)
    sa.run()
    sb.run()
    assert _docs(cb).get(draft["id"], CLERK)["state"] == "13"
    _docs(cb).act(draft["id"], {"action": "accept_recall"}, LEADER)
    sb.run()
    sa.run()
    assert sender.get(draft["id"], LEADER)["recipients"][0]["status_code"] == "15"


class _Flaky:
    """Wraps a transport; while ``down`` every call fails as an unreachable hub would."""

    def __init__(self, inner) -> None:
        self.inner = inner
        self.down = False

    def __getattr__(self, name: str):
        attr = getattr(self.inner, name)
        if not callable(attr):
            return attr

        def call(*args, **kwargs):
            if self.down:
                raise TransportError("mất kết nối tới máy chủ", code="unreachable")
            return attr(*args, **kwargs)

        return call


def test_hub_down_in_the_middle_the_ward_keeps_working_and_everything_converges(
    tmp_path: Path, hub: FlaskClient, wards
) -> None:
    admin = hub_token(hub, tmp_path / "hub")
    doc_id = hub.post(
        "/api/v1/documents",
        headers=admin,
        json={"summary": "Về việc phòng chống bão", "units": [A, B], "urgency": "hoa_toc"},
    ).get_json()["id"]
    (sa, ca), (sb, cb) = wards[A], wards[B]
    sa.run()
    sb.run()
    flaky = _Flaky(sa.transport)
    sa.transport = flaky
    flaky.down = True
    docs = _docs(ca)
    docs.act(doc_id, {"action": "register"}, CLERK)
    with pytest.raises(TransportError):
        sa.run()
    docs.act(doc_id, {"action": "assign", "lead_handler": _colleague(ca, "cv.a").username}, LEADER)
    with pytest.raises(TransportError):
        sa.run()
    docs.act(doc_id, {"action": "done"}, _colleague(ca, "cv.a"))
    _handle(cb, doc_id, "cv.b")
    sb.run()
    seen = hub.get(f"/api/v1/documents/{doc_id}", headers=admin).get_json()["recipients"]
    assert {r["unit"]: r["status_code"] for r in seen} == {A: "pending", B: "06"}
    flaky.down = False
    sa.run()
    seen = hub.get(f"/api/v1/documents/{doc_id}", headers=admin).get_json()["recipients"]
    assert {r["unit"]: r["status_code"] for r in seen} == {A: "06", B: "06"}
    assert docs.get(doc_id, LEADER)["receipt"]["lead_handler"] == "cv.a"


# -- pages -------------------------------------------------------------------------------


def _csrf(client: FlaskClient, path: str) -> str:
    import re

    found = re.search(r'name="csrf_token" value="([^"]+)"', client.get(path).get_data(as_text=True))
    assert found
    return found.group(1)


def test_the_pages_register_draft_act_and_print(ward_app) -> None:
    from tests.support import ward_login

    clerk, leader = ward_app.test_client(), ward_app.test_client()
    ward_login(clerk, "clerk")
    ward_login(leader, "leader")
    resp = clerk.post(
        "/van-ban/moi",
        data={
            "csrf_token": _csrf(clerk, "/van-ban/moi?direction=incoming"),
            "direction": "incoming",
            "doc_type": "Công văn",
            "issuing_agency": "Sở Nội vụ",
            "symbol": "77/SNV-CCVC",
            "summary": "Về việc tuyển dụng công chức",
            "urgency": "khan",
        },
    )
    assert resp.status_code == 302, resp.get_data(as_text=True)
    doc_page = resp.headers["Location"]
    page = leader.get(doc_page).get_data(as_text=True)
    assert "77/SNV-CCVC" in page and "Phân công xử lý" in page and "Chờ phân công" in page
    resp = leader.post(
        doc_page + "/thao-tac",
        data={
            "csrf_token": _csrf(leader, doc_page),
            "action": "assign",
            "lead_handler": "specialist",
            "coordinators": ["clerk"],
            "deadline": "10/12/2026",  # the page's one date entry: dd/mm/yyyy (issue [11])
        },
    )
    assert resp.status_code == 302
    assert "Đang xử lý" in leader.get(doc_page).get_data(as_text=True)
    listing = clerk.get("/van-ban/den?q=tuyen dung").get_data(as_text=True)
    assert "77/SNV-CCVC" in listing and "Khẩn" in listing
    today = datetime.now(VIETNAM).strftime("%d/%m/%Y")  # the register counts Huế days
    sheet = clerk.get(f"/van-ban/so-den?from=01/01/2026&to={today}").get_data(as_text=True)
    assert "Sổ đăng ký văn bản đến" in sheet and "Sở Nội vụ" in sheet and "Ký nhận" in sheet
    resp = leader.post(
        "/van-ban/moi",
        data={
            "csrf_token": _csrf(leader, "/van-ban/moi"),
            "doc_type": "Quyết định",
            "summary": "Về việc thành lập tổ công tác",
            "copies": "5",
        },
    )
    assert resp.status_code == 302
    draft = resp.headers["Location"]
    for action in ("approve", "sign"):
        leader.post(
            draft + "/thao-tac", data={"csrf_token": _csrf(leader, draft), "action": action}
        )
    clerk.post(draft + "/thao-tac", data={"csrf_token": _csrf(clerk, draft), "action": "release"})
    assert "1/QĐ-UBND" in clerk.get("/van-ban/di").get_data(as_text=True)
    sheet = clerk.get(f"/van-ban/so-di?from=01/01/2026&to={today}").get_data(as_text=True)
    assert "1/QĐ-UBND" in sheet and "Số lượng bản" in sheet
    assert clerk.get("/van-ban/so-di?from=hôm qua").status_code == 422
    assert 'href="/van-ban/den"' in clerk.get("/").get_data(as_text=True)
