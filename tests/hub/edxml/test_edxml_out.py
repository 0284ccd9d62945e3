"""edXML messages out of the hub (docs/edxml.md, "Out"), signatures and the drop folders:
a document sent to an outside agency exported as a document message in the samples'
structure with its files embedded; a round trip export → import between two hubs of
different OrganIds, and the status messages back; signing and verifying against a trust
store; the inbox taken, refused files set aside with their reason, restart-safe. Both
engines."""

from __future__ import annotations

import datetime as dt
import io
import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from flask import Flask
from werkzeug.datastructures import FileStorage

from central_hub import create_app
from central_hub.edxml import parse, run_once
from central_hub.setup import init_hub
from central_hub.store import use_database
from tests.hub.conftest import HubEngine
from tests.hub.edxml import messages as M
from tests.support import console_login, csrf_of, hub_token

CITY_A, CITY_B = "000.00.00.H57", "000.00.00.H41"
WARD = "19786"


def _hub(tmp_path: Path, name: str, engine: HubEngine, **config: Any) -> Flask:
    data = tmp_path / name
    use_database(data, engine.new_url() or "")
    init_hub(data, name=f"Văn phòng {name}")
    app = create_app({"DATA": str(data), **config})
    app.config["TESTING"] = True
    return app


def _auth(app: Flask) -> dict[str, str]:
    return hub_token(app.test_client(), Path(app.config["DATA"]))


def _send(app: Flask, **extra: Any) -> dict[str, Any]:
    body = {
        "doc_type": "Công văn",
        "summary": "Về việc phối hợp phòng, chống lũ cuối năm",
        "units": [],
        "edxml_to": [CITY_B],
        "urgency": "thuong_khan",
        "signer": "Nguyễn Văn Phó",
        "signing_competence": "KT.",
        **extra,
    }
    resp = app.test_client().post("/api/v1/documents", json=body, headers=_auth(app))
    assert resp.status_code == 201, resp.get_json()
    return dict(resp.get_json())


def _outbox(app: Flask) -> list[Path]:
    out = Path(app.config["DATA"]) / "edxml" / "outbox"
    return sorted(out.iterdir()) if out.exists() else []


def _take(app: Flask, raw: bytes) -> Any:
    return app.test_client().post(
        "/api/v1/edxml", data=raw, headers={**_auth(app), "Content-Type": "application/xml"}
    )


@pytest.fixture
def engine(hub_engine: HubEngine) -> HubEngine:
    return hub_engine


def test_a_document_goes_out_in_the_samples_structure_with_its_files(
    tmp_path: Path, engine: HubEngine
) -> None:
    a = _hub(tmp_path, "a", engine)
    client = a.test_client()
    auth = _auth(a)
    # A PDF attached through the API's multipart variant.
    resp = client.post(
        "/api/v1/documents",
        data={
            "document": json.dumps(
                {
                    "doc_type": "Công văn",
                    "summary": "Về việc phối hợp",
                    "units": [WARD],
                    "edxml_to": [CITY_B, "000.00.00.G22"],
                }
            ),
            "attachments": FileStorage(
                io.BytesIO(M.PDF), "Công văn.pdf", content_type="application/pdf"
            ),
        },
        headers=auth,
    )
    assert resp.status_code == 201, resp.get_json()
    doc = resp.get_json()
    got = client.get(f"/api/v1/documents/{doc['id']}/edxml", headers=auth)
    assert got.status_code == 200 and got.mimetype == "application/xml"
    assert got.headers["Content-Disposition"].startswith("attachment")
    raw = got.data
    msg = parse(raw)
    assert msg.from_organ == CITY_A and msg.to_organs == [CITY_B, "000.00.00.G22"]
    assert msg.symbol == doc["symbol"] and msg.subject == "Về việc phối hợp"
    assert (
        msg.doc_key
        == f"{CITY_A},{dt.date.fromisoformat(doc['issued_on']):%Y/%m/%d},{doc['symbol']}"
    )
    assert msg.platform_id == msg.doc_key
    (att,) = msg.attachments
    assert att.name == "Công văn.pdf" and att.content_type == "application/pdf"
    assert att.data() == M.PDF
    # Every element written is one the platform's sample has, at the same place.
    extra = M.paths(raw) - M.paths(M.sample("edoc"))
    assert extra == set(), extra
    # ?to= chooses the recipients; a secret document never goes out; an unknown one is 404.
    only = parse(
        client.get(f"/api/v1/documents/{doc['id']}/edxml?to=000.00.00.X1", headers=auth).data
    )
    assert only.to_organs == ["000.00.00.X1"]
    secret = _send(a, secrecy="mat", summary="")
    refused = client.get(f"/api/v1/documents/{secret['id']}/edxml", headers=auth)
    assert refused.status_code == 409 and "Văn bản mật" in refused.get_json()["error"]["message"]
    assert (
        client.get(
            "/api/v1/documents/0190a0a0-0000-7000-8000-000000000000/edxml", headers=auth
        ).status_code
        == 404
    )
    # The outbox writes it once, for the connector to send.
    with a.app_context():
        run_once(a)
        run_once(a)
    written = [p.name for p in _outbox(a) if "-vanban-" in p.name]
    assert len(written) == 1  # the secret one is left out (its reason logged), not retried forever
    assert parse((_outbox(a)[0].parent / written[0]).read_bytes()).symbol == doc["symbol"]


def test_round_trip_between_two_hubs_and_statuses_back(tmp_path: Path, engine: HubEngine) -> None:
    a = _hub(tmp_path, "a", engine)  # ORGAN_ID by default 000.00.00.H57
    b = _hub(tmp_path, "b", engine, ORGAN_ID=CITY_B)
    sent = _send(a)
    run_once(a)
    (message,) = [p for p in _outbox(a) if "-vanban-" in p.name]

    taken = _take(b, message.read_bytes())
    assert taken.status_code == 201, taken.get_json()
    (created,) = taken.get_json()["created"]
    assert created["unit"] == "H57"  # hub b's city office, addressed by its ORGAN_ID
    info = (
        b.test_client()
        .get(f"/api/v1/edxml/documents/{created['document_id']}", headers=_auth(b))
        .get_json()
    )
    doc = info["document"]
    for field in (
        "symbol",
        "summary",
        "doc_type",
        "issued_on",
        "signer",
        "signing_competence",
        "urgency",
    ):
        assert doc[field] == sent[field], field
    assert doc["issuing_agency"] == "Văn phòng a"
    assert info["outside"]["organ_from"] == CITY_A

    # Hub b's clerk registers it: 01 (arrival) and 03 go back; hub a shows them for hub b.
    client = b.test_client()
    console_login(client, None, role="admin")
    page = f"/console/dieu-hanh/lien-thong/{created['document_id']}"
    resp = client.post(f"{page}/vao-so", data={"csrf_token": csrf_of(client.get(page).text)})
    assert resp.status_code == 302
    statuses = sorted(p for p in _outbox(b) if "-trangthai-" in p.name)
    assert [p.name.split("-trangthai-")[1][:2] for p in statuses] == ["01", "03"]
    for path in statuses:
        assert M.paths(path.read_bytes()) <= M.paths(M.sample("status"))
        back = _take(a, path.read_bytes())
        assert back.status_code == 201, back.get_json()
    (status,) = (
        a.test_client()
        .get(f"/api/v1/edxml/documents/{sent['id']}", headers=_auth(a))
        .get_json()["outside_statuses"]
    )
    assert status["organ_id"] == CITY_B and status["status_code"] == "03"


# -- signatures ---------------------------------------------------------------------------------


def _certificates(folder: Path) -> tuple[Path, Path, Path]:
    """A certification authority (the trust store), and a certificate and key it issued."""
    now = dt.datetime.now(dt.UTC)

    def name(cn: str) -> x509.Name:
        return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])

    ca_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    ca = (
        x509.CertificateBuilder()
        .subject_name(name("CA thử nghiệm"))
        .issuer_name(name("CA thử nghiệm"))
        .public_key(ca_key.public_key())
        .serial_number(1)
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False),
            critical=True,
        )
        .add_extension(
            x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name("Văn phòng thử"))
        .issuer_name(ca.subject)
        .public_key(key.public_key())
        .serial_number(2)
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(True, True, False, False, False, False, False, False, False),
            critical=True,
        )
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    paths = (folder / "ca.pem", folder / "sign.pem", folder / "sign.key")
    paths[0].write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    paths[1].write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    paths[2].write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return paths


def test_signed_messages_are_verified_against_the_trust_store(
    tmp_path: Path, engine: HubEngine
) -> None:
    ca, cert, key = _certificates(tmp_path)
    a = _hub(tmp_path, "a", engine, EDXML_SIGN_CERT=str(cert), EDXML_SIGN_KEY=str(key))
    b = _hub(tmp_path, "b", engine, ORGAN_ID=CITY_B, EDXML_TRUST_STORE=str(ca))
    c = _hub(tmp_path, "c", engine, ORGAN_ID=CITY_B)  # no trust store
    sent = _send(a, summary="Văn bản có chữ ký số")
    signed = a.test_client().get(f"/api/v1/documents/{sent['id']}/edxml", headers=_auth(a)).data
    assert b"<ds:SignatureValue>" in signed or b"SignatureValue" in signed

    verdict = _take(b, signed).get_json()["signature"]
    assert verdict["status"] == "verified", verdict
    assert "Văn phòng thử" in verdict["subject"]
    assert _take(c, signed).get_json()["signature"]["status"] == "unverifiable"

    # Tampered after signing: taken, but shown as not verifiable, with the reason.
    tampered = signed.replace("Văn bản có chữ ký số".encode(), "Văn bản đã bị sửa".encode())
    b2 = _hub(tmp_path, "b2", engine, ORGAN_ID=CITY_B, EDXML_TRUST_STORE=str(ca))
    verdict = _take(b2, tampered).get_json()["signature"]
    assert verdict["status"] == "unverifiable" and "không khớp" in verdict["reason"]
    # The SDK's sample (its certificate from another authority): not verifiable here.
    d = _hub(tmp_path, "d", engine, ORGAN_ID=M.SAMPLE_TO, EDXML_TRUST_STORE=str(ca))
    assert _take(d, M.sample("edoc")).get_json()["signature"]["status"] == "unverifiable"
    # Unsigned: absent.
    e = _hub(tmp_path, "e", engine, ORGAN_ID=M.SAMPLE_TO, EDXML_TRUST_STORE=str(ca))
    body = _take(e, M.document()).get_json()
    assert body["signature"]["status"] == "absent"
    page_client = e.test_client()
    console_login(page_client, None, role="admin")
    page = page_client.get(
        f"/console/dieu-hanh/lien-thong/{body['created'][0]['document_id']}"
    ).text
    assert "Không có chữ ký số" in page
    # Status messages out of a hub with a key are signed too.
    run_once(a)
    assert all(b"SignatureValue" in p.read_bytes() for p in _outbox(a))


# -- drop folders -------------------------------------------------------------------------------


def test_the_inbox_is_taken_refusals_set_aside_restart_safe(
    tmp_path: Path, engine: HubEngine
) -> None:
    app = _hub(tmp_path, "hub", engine, ORGAN_ID=M.SAMPLE_TO)
    inbox = Path(app.config["DATA"]) / "edxml" / "inbox"
    inbox.mkdir(parents=True)
    (inbox / "van-ban.edxml").write_bytes(M.sample("edoc"))
    (inbox / "hong.edxml").write_bytes(b"<edXML")
    (inbox / "dang-ghi.edxml.part").write_bytes(b"half")  # a connector still writing
    (inbox / ".an").write_bytes(b"x")
    done = run_once(app)
    assert done["taken"] == 1 and done["refused"] == 1 and done["statuses"] == 0
    processed = list((inbox / "processed").iterdir())
    assert [p.name.endswith("-van-ban.edxml") for p in processed] == [True]
    refused = sorted(p.name for p in (inbox / "refused").iterdir())
    assert refused[0].endswith("-hong.edxml") and refused[1].endswith("-hong.edxml.ly-do.txt")
    reason = (inbox / "refused" / refused[1]).read_text(encoding="utf-8")
    assert "không đúng cú pháp XML" in reason
    assert sorted(p.name for p in inbox.iterdir() if p.is_file()) == [".an", "dang-ghi.edxml.part"]
    # A crash after the commit, before the move: the file is found again, recognised by its
    # bytes, moved, and nothing is done twice.
    shutil.copy(processed[0], inbox / "van-ban.edxml")
    assert run_once(app)["taken"] == 1
    client = app.test_client()
    listed = client.get("/api/v1/edxml/documents", headers=_auth(app)).get_json()["items"]
    assert len(listed) == 1
    assert len([p for p in _outbox(app) if "-trangthai-01-" in p.name]) == 1
