"""No internal names on the ward's pages (issue [11]): a walk through every page a leader
reaches from the home page, over a ward whose dossiers went through the portal, a hand-over,
a supplement request and a file from the citizen, fails on any step or event name of the code
("submit_online", "hand_over", "blob_download"…), a sync counter ("cursor=…", "replays=0") or
a username where a person's full name belongs, in the text a person reads."""

from __future__ import annotations

import io
import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urldefrag, urlsplit

from flask import Flask
from flask.testing import FlaskClient

from sync import BlobStore, Write, atomic, new_id, utcnow_iso
from tests.support import PASSWORD, scan_pdf, ward_login
from ward_node.dossiers import ACTIONS, Dossiers
from ward_node.store import ROLES, capture, load_clock, open_store
from webapp import add_user, get_user

# The username of an officer whose full name is what pages must show.
USERNAME, FULL_NAME = "canbo", "Nguyễn Thị Thu"
INTERNAL = re.compile(
    r"\b(?:" + "|".join(sorted({n for n in ACTIONS if "_" in n} | {"submit_online"})) + r")\b"
    r"|\bblob_\w+|\bcursor=|\breplays=|\bheld=|\b" + USERNAME + r"\b"
)
SKIP = ("/logout", "/api/", "/tep/", "/static/", "/assets/", ".csv", ".xlsx")
MAX_PAGES = 120


class _Text(HTMLParser):
    """The text a person reads on a page (scripts, styles and attributes left out), and its
    links."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self.links: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style"):
            self._hidden += 1
        if tag == "a":
            href = dict(attrs).get("href")
            if href:
                self.links.append(href)
        for name, value in attrs:  # what a screen reader says is read too
            if name in ("aria-label", "title", "alt", "placeholder") and value:
                self.parts.append(value)

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style"):
            self._hidden -= 1

    def handle_data(self, data: str) -> None:
        if not self._hidden:
            self.parts.append(data)


def _ward(app: Flask) -> None:
    """Dossiers in the situations whose pages once showed internal names."""
    conn = open_store(Path(app.config["DATA"]))
    try:
        add_user(conn, USERNAME, PASSWORD, "officer", ROLES, FULL_NAME)
        clock = load_clock(conn)
        service = Dossiers(conn, clock)
        canbo = get_user(conn, USERNAME)
        specialist = get_user(conn, "specialist")
        assert canbo and specialist
        d = service.receive(
            {"procedure_code": "1.001193", "applicant": {"full_name": "Lê Thị Hoa"}}, canbo
        )
        # canbo starts it, hands it to the specialist, who hands it back: canbo holds it.
        service.act(d["id"], {"action": "start"}, canbo)
        service.act(d["id"], {"action": "hand_over", "to_handler": "specialist"}, canbo)
        service.act(d["id"], {"action": "hand_over", "to_handler": USERNAME}, specialist)
        service.act(d["id"], {"action": "request_supplement", "note": "Bản sao sổ hộ khẩu"}, canbo)
        # An online submission as the hub sends it, with the citizen's scan.
        online, step, scan = new_id(), new_id(), new_id()
        data = scan_pdf(3000)
        sha = BlobStore(Path(app.config["DATA"]) / "blobs").put(io.BytesIO(data))
        at = utcnow_iso()
        writes = [
            Write(
                "dossier",
                online,
                service.unit,
                {
                    "id": online,
                    "unit": service.unit,
                    "code": "H57.19786-261207-5001",
                    "procedure_code": "1.001193",
                    "procedure_name": "Đăng ký khai sinh",
                    "applicant": {"full_name": "Trần Văn Nam"},
                    "channel": "online",
                    "status": 1,
                    "received_at": at,
                    "fee": 0,
                    "handler": None,
                    "created_by": "citizen",
                },
            ),
            Write(
                "dossier_step",
                step,
                service.unit,
                {
                    "id": step,
                    "unit": service.unit,
                    "dossier_id": online,
                    "action": "submit_online",
                    "from_status": None,
                    "to_status": 1,
                    "actor": "citizen",
                    "actor_name": "Trần Văn Nam",
                    "at": at,
                },
            ),
            Write(
                "attachment",
                scan,
                service.unit,
                {
                    "id": scan,
                    "unit": service.unit,
                    "parent_type": "dossier",
                    "parent_id": online,
                    "sha256": sha,
                    "name": "to-khai.pdf",
                    "mime": "application/pdf",
                    "size": len(data),
                    "uploaded_by": "citizen",
                    "uploaded_at": at,
                },
            ),
        ]
        with atomic(conn):
            capture(conn, clock).write_many(writes, actor="hub")
    finally:
        conn.close()


def test_no_page_of_the_ward_shows_an_internal_name(ward_app: Flask, client: FlaskClient) -> None:
    _ward(ward_app)
    ward_login(client, "leader")
    queue, seen, leaks = ["/"], set(), []
    while queue and len(seen) < MAX_PAGES:
        path = queue.pop(0)
        if path in seen:
            continue
        seen.add(path)
        resp = client.get(path)
        if resp.status_code != 200 or resp.mimetype != "text/html":
            continue
        page = _Text()
        page.feed(resp.get_data(as_text=True))
        text = " ".join(page.parts)
        for found in sorted(set(INTERNAL.findall(text))):
            leaks.append(f"{path}: {found}")
        for href in page.links:
            link = urldefrag(href)[0]
            parts = urlsplit(link)
            if parts.scheme or parts.netloc or not link.startswith("/"):
                continue
            if not any(s in link for s in SKIP) and link not in seen:
                queue.append(link)
    assert len(seen) > 15, sorted(seen)  # the walk reached the ward's pages
    assert any(p.startswith("/dossiers/") for p in seen)
    assert not leaks, "\n".join(leaks)
