"""The city office answers an outside agency's recall (docs/edxml.md, "At the city office"),
both engines: on the console's page of a document from outside addressed to the city office
that its sender revoked or replaced, an administrator agrees to (15) or refuses (16) the
recall with a note (required to refuse); one status message goes to the outbox, the note in
its ``Description``, signed when configured, and the sender's hub reads it as the status of
its document. Refused, nothing stored: not recalled, answered before, no note on a refusal,
an operator, no CSRF token, closed before the recall (refused). A forward to wards is
recalled with it; the wards' answers stay at the city, the city's goes back; a lead ward
finishing its copy after the recall no longer finishes (06) the city's."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from lxml import etree

from central_hub.edxml import outbound, parse, run_once
from tests.hub.conftest import HubEngine
from tests.hub.edxml import messages as M
from tests.hub.edxml.test_edxml_out import _auth, _certificates, _hub, _send, _take
from tests.hub.edxml.test_edxml_revoke import _numbered, _recall
from tests.hub.edxml.test_edxml_ward import CLERK, HUB_ORGAN, LEADER, WARD, _ward
from tests.hub.edxml.test_edxml_ward import _take as _take_at
from tests.support import add_ward_user, console_login, csrf_of, hub_query
from ward_node.documents import Documents
from ward_node.store import load_clock

CITY_A, CITY_B = "000.00.00.H57", "000.00.00.H41"
PAGE = "/console/dieu-hanh/lien-thong/{}"


@pytest.fixture
def engine(hub_engine: HubEngine) -> HubEngine:
    return hub_engine


@pytest.fixture
def hub_config() -> dict[str, Any]:
    return {"ORGAN_ID": HUB_ORGAN}


def _statuses(app: Flask) -> list[Path]:
    out = Path(app.config["DATA"]) / "edxml" / "outbox"
    return sorted(out.glob("*-trangthai-*.edxml")) if out.exists() else []


def _codes(app: Flask) -> list[str]:
    return sorted(p.name.split("-trangthai-")[1][:2] for p in _statuses(app))


def _stored(app: Flask, doc_id: str) -> tuple[Any, ...]:
    """What a refused answer must leave unchanged: the city's receipt, the statuses claimed,
    the journal and the outbox."""
    data = Path(app.config["DATA"])
    receipt = hub_query(
        data, "SELECT status_code, note FROM document_receipt WHERE document_id = ?", doc_id
    )
    claimed = hub_query(
        data, "SELECT code FROM edxml_status_sent WHERE document_id = ? ORDER BY code", doc_id
    )
    journal = hub_query(data, "SELECT count(*) FROM journal")[0][0]
    return (
        [tuple(r) for r in receipt],
        [r[0] for r in claimed],
        journal,
        [p.name for p in _statuses(app)],
    )


def _answer(
    client: FlaskClient, doc_id: str, answer: str, note: str = "", csrf: bool = True
) -> Any:
    page = PAGE.format(doc_id)
    data = {"answer": answer, "note": note}
    if csrf:
        data["csrf_token"] = csrf_of(client.get(page).text)
    return client.post(f"{page}/tra-loi-thu-hoi", data=data, follow_redirects=True)


def _admin(app: Flask, create: bool = False) -> FlaskClient:
    """A console session of an administrator (``create``: made first, in the ``hub``
    fixture's store; ``init_hub`` made one in the two hubs')."""
    client = app.test_client()
    console_login(client, Path(app.config["DATA"]) if create else None, role="admin")
    return client


def test_the_city_answers_a_revocation_once_and_the_sender_s_hub_reads_it(
    tmp_path: Path, engine: HubEngine
) -> None:
    ca, cert, key = _certificates(tmp_path)
    a = _hub(tmp_path, "a", engine, EDXML_TRUST_STORE=str(ca))
    b = _hub(
        tmp_path, "b", engine, ORGAN_ID=CITY_B, EDXML_SIGN_CERT=str(cert), EDXML_SIGN_KEY=str(key)
    )
    sent = _send(a)
    run_once(a)
    (message,) = (Path(a.config["DATA"]) / "edxml" / "outbox").glob("*-vanban-*")
    taken = _take(b, message.read_bytes())
    assert taken.status_code == 201, taken.get_json()
    doc_id = taken.get_json()["created"][0]["document_id"]
    admin = _admin(b)
    page = PAGE.format(doc_id)
    assert admin.post(f"{page}/vao-so", data={"csrf_token": csrf_of(admin.get(page).text)})
    assert _codes(b) == ["01", "03"]

    # Not recalled: no answer offered, and one posted is refused, nothing stored.
    text = admin.get(page).text
    assert "data-recall-answer" not in text and "Đồng ý thu hồi</button>" not in text
    before = _stored(b, doc_id)
    text = _answer(admin, doc_id, "dong-y", "Đồng ý").text
    assert "Cơ quan gửi không thu hồi hay thay thế văn bản này" in text
    assert _stored(b, doc_id) == before

    # Hub a recalls its document; hub b takes the revocation.
    _recall(_admin(a), sent["id"], "Ban hành nhầm nơi nhận")
    assert run_once(a)["revocations"] == 1
    (revocation,) = (Path(a.config["DATA"]) / "edxml" / "outbox").glob("*-thuhoi-*")
    assert _take(b, revocation.read_bytes()).status_code == 201
    text = admin.get(page).text
    assert "data-recall-answer-form" in text and "Ban hành nhầm nơi nhận" in text
    assert "Trả lời thu hồi của cơ quan gửi" in text
    # The other actions stay closed: registering again or refusing is refused.
    resp = admin.post(f"{page}/tu-choi", data={"note": "x", "csrf_token": csrf_of(text)})
    assert resp.status_code == 409 and "đã bị cơ quan gửi thu hồi" in resp.text

    # An operator sees the recall but cannot answer it.
    operator = b.test_client()
    console_login(operator, Path(b.config["DATA"]), role="operator")
    before = _stored(b, doc_id)
    text = operator.get(page).text
    assert "Ban hành nhầm nơi nhận" in text and "data-recall-answer-form" not in text
    resp = operator.post(
        f"{page}/tra-loi-thu-hoi",
        data={"answer": "dong-y", "note": "", "csrf_token": csrf_of(text)},
    )
    assert resp.status_code == 403
    # No CSRF token; a refusal without its reason; no choice: refused, nothing stored.
    resp = _answer(admin, doc_id, "dong-y", csrf=False)
    assert resp.status_code in (400, 403) and "Hãy tải lại trang" in resp.text
    assert "Hãy ghi lý do từ chối thu hồi" in _answer(admin, doc_id, "tu-choi", "   ").text
    assert "Hãy chọn Đồng ý thu hồi hoặc Từ chối thu hồi" in _answer(admin, doc_id, "x").text
    assert _stored(b, doc_id) == before
    assert run_once(b)["statuses"] == 0  # nothing due while unanswered

    text = _answer(admin, doc_id, "dong-y", "Đã hủy bản đã vào sổ").text
    assert "Đã đồng ý thu hồi văn bản và báo lại cơ quan gửi" in text
    assert 'data-recall-answered="15"' in text and "data-recall-answer-form" not in text
    assert "Đã báo cơ quan gửi (trạng thái 15)" in text
    assert run_once(b)["statuses"] == 0 and run_once(b)["statuses"] == 0
    assert _codes(b) == ["01", "03", "15"]
    # Answered: a second answer either way is refused, nothing stored.
    before = _stored(b, doc_id)
    again = _answer(admin, doc_id, "tu-choi", "Nghĩ lại").text
    assert "đã được trả lời thu hồi (Đồng ý thu hồi)" in again
    assert _stored(b, doc_id) == before
    listing = admin.get("/console/dieu-hanh/lien-thong/").text
    assert "Đã thu hồi · Đồng ý thu hồi" in listing

    (answer,) = [p for p in _statuses(b) if "-trangthai-15-" in p.name]
    raw = answer.read_bytes()
    msg = parse(raw)
    assert msg.status_code == "15" and msg.description == "Đồng ý thu hồi: Đã hủy bản đã vào sổ"
    assert msg.from_organ == CITY_B and _answered_organ(raw) == CITY_A
    assert msg.staff and msg.staff.startswith("admin")
    assert msg.response_for == parse(message.read_bytes()).doc_key
    assert b"SignatureValue" in raw
    # The status sample's structure, and the signature where the document sample has it.
    signed = {p for p in M.paths(raw) if "/Signature" in p}
    assert signed and M.paths(raw) - signed <= M.paths(M.sample("status"))
    assert signed <= M.paths(M.sample("edoc"))
    # Round trip: hub a takes it as hub b's status of its document, the signature verified.
    back = _take(a, raw)
    assert back.status_code == 201, back.get_json()
    assert back.get_json()["signature"]["status"] == "verified"
    (status,) = (
        a.test_client()
        .get(f"/api/v1/edxml/documents/{sent['id']}", headers=_auth(a))
        .get_json()["outside_statuses"]
    )
    assert status["organ_id"] == CITY_B and status["status_code"] == "15"
    assert status["description"] == "Đồng ý thu hồi: Đã hủy bản đã vào sổ"


def test_a_forwarded_document_replaced_is_answered_by_the_city_not_its_wards(
    tmp_path: Path, hub: FlaskClient
) -> None:
    app = hub.application
    session, conn = _ward(tmp_path, hub, WARD)
    add_ward_user(tmp_path / f"ward-{WARD}", LEADER.username, "leader", LEADER.full_name)
    admin = _admin(app, create=True)
    resp = _take_at(hub, tmp_path, _numbered("7", to=HUB_ORGAN))
    assert resp.status_code == 201, resp.get_json()
    doc_id = resp.get_json()["created"][0]["document_id"]
    page = PAGE.format(doc_id)
    resp = admin.post(
        f"{page}/chuyen",
        data={"lead": WARD, "deadline": "", "csrf_token": csrf_of(admin.get(page).text)},
    )
    assert resp.status_code == 302
    assert _codes(app) == ["01", "03", "04"]
    (copy_id,) = [
        r[0] for r in hub_query(tmp_path / "hub", "SELECT forwarded_id FROM edxml_forwards")
    ]
    session.run()
    # The lead ward finishes its copy before it hears of the recall.
    docs = Documents(conn, load_clock(conn))
    docs.act(copy_id, {"action": "register"}, CLERK)
    docs.act(copy_id, {"action": "assign", "lead_handler": LEADER.username}, LEADER)
    docs.act(copy_id, {"action": "done"}, LEADER)

    # The sender replaces the document: it and its forward are recalled.
    resp = _take_at(
        hub,
        tmp_path,
        _numbered("8", to=HUB_ORGAN, business=3, reason="Sai số liệu", replaces=[_key("7")]),
    )
    assert resp.status_code == 201, resp.get_json()
    new_id = resp.get_json()["created"][0]["document_id"]
    recalled = dict(hub_query(tmp_path / "hub", "SELECT id, recalled FROM document"))
    assert recalled[doc_id] and recalled[copy_id] and not recalled[new_id]
    session.run()  # the ward's 06 goes up, the recall comes down
    run_once(app)
    # No 06 after the recall; the city's receipt is still assigned, awaiting its answer.
    mine = [c for p, c in _by_doc(app) if p == doc_id]
    assert mine == ["01", "03", "04"]
    (code,) = hub_query(
        tmp_path / "hub",
        "SELECT status_code FROM document_receipt WHERE document_id = ? AND unit = ?",
        doc_id,
        "H57",
    )[0]
    assert code == "05"
    # The ward answers the recall of its copy: shown at the city, nothing goes outside.
    docs = Documents(conn, load_clock(conn))
    assert docs.get(copy_id, CLERK)["state"] == "13"
    docs.act(copy_id, {"action": "accept_recall", "note": "Đã dừng xử lý"}, LEADER)
    session.run()
    assert run_once(app)["statuses"] == 0
    text = admin.get(page).text
    assert "Đồng ý thu hồi" in text and "data-recall-answer-form" in text
    assert "xem văn bản thay thế" in text.lower()
    assert "Các phường đã nhận bản chuyển cũng thấy văn bản bị thu hồi" in text

    text = _answer(admin, doc_id, "tu-choi", "Văn bản đã được thực hiện xong tại phường").text
    assert "Đã từ chối thu hồi văn bản" in text and 'data-recall-answered="16"' in text
    assert run_once(app)["statuses"] == 0
    mine = [c for p, c in _by_doc(app) if p == doc_id]
    assert mine == ["01", "03", "04", "16"]
    (path,) = [p for p in _statuses(app) if "-trangthai-16-" in p.name]
    msg = parse(path.read_bytes())
    assert msg.description == "Từ chối thu hồi: Văn bản đã được thực hiện xong tại phường"
    assert _answered_organ(path.read_bytes()) == M.SAMPLE_FROM
    # A later sync of the ward changes nothing: the city's answer stands.
    session.run()
    assert run_once(app)["statuses"] == 0
    assert 'data-recall-answered="16"' in admin.get(page).text


def test_a_document_refused_before_its_recall_has_nothing_to_answer_and_a_lost_file_is_written(
    tmp_path: Path, hub: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = hub.application
    admin = _admin(app, create=True)
    one, two = (
        _take_at(hub, tmp_path, _numbered(n, to=HUB_ORGAN)).get_json()["created"][0]["document_id"]
        for n in ("21", "22")
    )
    page = PAGE.format(one)
    resp = admin.post(
        f"{page}/tu-choi",
        data={"note": "Không thuộc thẩm quyền", "csrf_token": csrf_of(admin.get(page).text)},
    )
    assert resp.status_code == 302
    for number in ("21", "22"):
        resp = _take_at(hub, tmp_path, _numbered(number, to=HUB_ORGAN, business=1, reason="Nhầm"))
        assert resp.status_code == 201, resp.get_json()
    # Refused (02 went back) before the recall: nothing to answer, nothing stored.
    text = admin.get(page).text
    assert "không còn gì để trả lời" in text and "data-recall-answer-form" not in text
    before = _stored(app, one)
    assert "đã bị từ chối hoặc đã xử lý xong" in _answer(admin, one, "dong-y").text
    assert _stored(app, one) == before

    # The second is answered while the outbox cannot be written: the answer is kept, the page
    # says its status is waiting, and the next round writes it once (at least once).
    def full(name: str, data: bytes) -> Path:
        raise OSError(28, "No space left on device")

    with monkeypatch.context() as m:
        m.setattr(outbound, "_write", full)
        text = _answer(admin, two, "dong-y").text
    assert "Đã đồng ý thu hồi văn bản" in text
    assert "Chờ gửi trạng thái 15 cho cơ quan gửi ở lượt trao đổi tới" in text
    assert [c for p, c in _by_doc(app) if p == two] == ["01"]
    assert run_once(app)["statuses"] == 1
    assert run_once(app)["statuses"] == 0
    assert [c for p, c in _by_doc(app) if p == two] == ["01", "15"]
    (path,) = [p for p in _statuses(app) if "-trangthai-15-" in p.name]
    assert parse(path.read_bytes()).description == "Đồng ý thu hồi"  # agreed without a note


def _answered_organ(raw: bytes) -> str:
    """The agency a status message answers (``ResponseFor/OrganId``: its addressee)."""
    found = etree.fromstring(raw).find(f".//{{{M.NS}}}ResponseFor/{{{M.NS}}}OrganId")
    assert found is not None
    return str(found.text)


def _key(number: str) -> str:
    """The platform key of the sample numbered ``number``."""
    return M.SAMPLE_KEY.replace("12234555512", number)


def _by_doc(app: Flask) -> list[tuple[str, str]]:
    """(document, code) of each status message written, in code order."""
    rows = hub_query(
        Path(app.config["DATA"]),
        "SELECT document_id, code FROM edxml_messages WHERE direction = 'out' "
        "AND kind = 'status' ORDER BY document_id, code",
    )
    return [(r[0], r[1]) for r in rows]


def test_two_administrators_answering_at_once_give_one_answer(
    tmp_path: Path, engine: HubEngine
) -> None:
    """Both answers pass the page's checks; the writes queue one behind the other (docs/sync.md,
    "Several hub processes": one write at a time on either engine) and the second, checking
    again inside its transaction, finds the first: one answer, one status out, never 15 and 16
    both."""
    import threading

    a = _hub(tmp_path, "a", engine)
    b = _hub(tmp_path, "b", engine, ORGAN_ID=CITY_B)
    sent = _send(a)
    run_once(a)
    (message,) = (Path(a.config["DATA"]) / "edxml" / "outbox").glob("*-vanban-*")
    doc_id = _take(b, message.read_bytes()).get_json()["created"][0]["document_id"]
    _recall(_admin(a), sent["id"], "Ban hành nhầm nơi nhận")
    run_once(a)
    (revocation,) = (Path(a.config["DATA"]) / "edxml" / "outbox").glob("*-thuhoi-*")
    assert _take(b, revocation.read_bytes()).status_code == 201
    page = PAGE.format(doc_id)
    posts = []
    for answer, note in (("dong-y", "Đồng ý"), ("tu-choi", "Văn bản đã triển khai")):
        client = _admin(b)
        data = {"answer": answer, "note": note, "csrf_token": csrf_of(client.get(page).text)}
        posts.append((client, data))
    start = threading.Barrier(len(posts))
    texts: list[str] = []

    def post(client: FlaskClient, data: dict[str, str]) -> None:
        start.wait(10)
        texts.append(client.post(f"{page}/tra-loi-thu-hoi", data=data, follow_redirects=True).text)

    threads = [threading.Thread(target=post, args=p) for p in posts]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert len(texts) == 2
    answered = [t for t in texts if "và báo lại cơ quan gửi" in t]
    refused = [t for t in texts if "đã được trả lời thu hồi" in t]
    assert len(answered) == 1 and len(refused) == 1, texts
    run_once(b)
    codes = _codes(b)
    assert codes.count("15") + codes.count("16") == 1, codes
    (receipt,) = hub_query(
        Path(b.config["DATA"]),
        "SELECT status_code FROM document_receipt WHERE document_id = ?",
        doc_id,
    )
    assert receipt[0] in codes
