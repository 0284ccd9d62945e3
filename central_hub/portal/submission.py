"""Online submission at the hub (online public service level 3, issue [6] "Citizens").

``GET /nop-ho-so`` is the public form, ``POST /nop-ho-so`` writes, through the hub's capture,
a ``dossier`` owned by the chosen ward in status 1 (Mới đăng ký, channel ``online``), its first
``dossier_step`` and an ``attachment`` per scan (the files in the hub's blob store); all three
are routed to the ward, which receives or refuses it from its queue and sets the due date on
reception. The look-up pages are ``pages.py``.

A submission is idempotent and follows Post/Redirect/Get: the form carries a one-time token,
recorded with the dossier it made (``portal_submissions``), and the answer is a redirect to
``/nop-ho-so/da-nop/<token>``; reloading the confirmation, or posting the same form again,
never makes a second dossier. The rate limit and the size of the whole body are checked
before the body is read; scans are judged by their bytes (``sync/filetypes.py``), and those
of submissions no ward received, or that a ward refused, are deleted after
:data:`~central_hub.files.SCAN_RETENTION_DAYS` (docs/security.md, "Files", "Resource bounds").

Codes are ``{ward prefix}-{yyMMdd}-{NNNN}`` like the ward's own, numbered 5001–9999 from the
hub's ``online_counters`` table: wards number their desk dossiers 0001–5000, so the two never
collide although neither sees the other's counter. The citizen's input is checked by
``citizen_input.py`` and then against the JSON Schema (``sync.validate``).
"""

from __future__ import annotations

import re
import secrets
import sqlite3
import time
from datetime import UTC, datetime
from typing import Any

from flask import Blueprint, Response, current_app, redirect, render_template, request, url_for
from markupsafe import Markup

from office import VIETNAM, qr_svg
from sync import (
    FILE_KINDS,
    PayloadTooLarge,
    ValidationError,
    Write,
    accepted_labels,
    atomic,
    clean_text,
    fold,
    kind_of,
    new_id,
    nfc,
    validate,
)
from webapp import RateLimited, check_rate

from .. import files
from ..store import capture
from ..store import portal as portal_store
from ..web import db, records
from . import citizen_input
from .pages import PAPER_KINDS, current_wards, error_page, time_limit

bp = Blueprint("submit", __name__)

SUBMIT_PER_MINUTE = 5  # stricter than the look-up: each submission writes records and files
FIRST_ONLINE, LAST_ONLINE = 5001, 9999  # wards number 0001–5000
MAX_SCAN_BYTES = 10 * 1024 * 1024
MAX_SCANS = 5
# One submission's whole body, scans and form together: checked before the body is read.
MAX_SUBMISSION_BYTES = 25 * 1024 * 1024
CONFIRMATION_SECONDS = 3600  # the confirmation shows the citizen's name: not for ever
ACTOR = "citizen"
TOKEN_RE = re.compile(r"[A-Za-z0-9_-]{32}")
_HOUSEKEEPING_EVERY = 600.0
_last_housekeeping = 0.0


@bp.get("/nop-ho-so")
def form() -> str:
    """The empty submission form, with a fresh one-time token."""
    return _form({}, None)


@bp.post("/nop-ho-so")
def submit() -> Response | tuple[str, int]:
    """Create the online dossier and redirect to its confirmation (303); the form again with
    a Vietnamese error when refused. A token already used redirects to its dossier."""
    # Both checks come before anything reads the body (docs/security.md, "Resource bounds").
    try:
        check_rate(db(), "submit:" + (request.remote_addr or "?"), SUBMIT_PER_MINUTE)
    except RateLimited:
        return _form({}, "Bạn đã gửi quá nhiều hồ sơ. Hãy đợi một phút rồi nộp lại."), 429
    if (request.content_length or 0) > MAX_SUBMISSION_BYTES:
        return _form({}, _too_large(), "scans"), 413
    request.max_content_length = MAX_SUBMISSION_BYTES  # a body sent without its length
    request.max_form_parts = 100
    values = {k: request.form.get(k, "") for k in _FIELDS}
    token = request.form.get("submission", "")
    if not TOKEN_RE.fullmatch(token):
        return _form(
            values, "Biểu mẫu này đã cũ hoặc không đầy đủ. Hãy tải lại trang rồi nộp lại."
        ), 400
    try:
        _create(values, token)
    except (ValidationError, PayloadTooLarge) as exc:
        return _form(values, exc.message, exc.details.get("field"), token), exc.status
    _housekeeping()
    return redirect(url_for("submit.confirmation", token=token), 303)


@bp.get("/nop-ho-so/da-nop/<token>")
def confirmation(token: str) -> str | tuple[str, int]:
    """The printable confirmation of the submission made with ``token``, for an hour."""
    made = portal_store.submitted_dossier(db(), token, time.time() - CONFIRMATION_SECONDS)
    found = records("dossier", "WHERE id = ?", (made,)) if made else []
    if not found:
        return error_page(
            404,
            "Không còn xem lại được giấy xác nhận này (giấy chỉ xem được trong một giờ sau khi "
            "nộp). Hãy tra cứu hồ sơ bằng mã hồ sơ đã ghi lại.",
        )
    dossier = found[0]
    procedure = records("procedure", "WHERE code = ?", (dossier["procedure_code"],))
    ward = current_wards("AND code = ?", (dossier["unit"],))
    scans = portal_store.scan_count(db(), dossier["id"])
    lookup = url_for("portal.lookup", code=dossier["code"])
    public_url = str(current_app.config.get("PUBLIC_URL") or request.host_url).rstrip("/")
    return render_template(
        "public/submitted.html",
        dossier=dossier,
        ward=ward[0] if ward else {"name": dossier["unit"]},
        time_limit=time_limit(procedure[0]) if procedure else "",
        scans=scans,
        lookup=lookup,
        qr=Markup(qr_svg(public_url + lookup, "Mã QR để tra cứu hồ sơ")),
    )


def _too_large() -> str:
    return (
        f"Tổng dung lượng các tệp gửi một lần không được quá "
        f"{MAX_SUBMISSION_BYTES // (1024 * 1024)} MB. Hãy quét với độ phân giải thấp hơn "
        "hoặc bớt số tệp."
    )


def _housekeeping() -> None:
    """Now and then, after a submission: delete the scans nobody will fetch and forget the
    tokens of old submissions (each submission is what adds to both)."""
    global _last_housekeeping
    now = time.monotonic()
    if now - _last_housekeeping < _HOUSEKEEPING_EVERY:
        return
    _last_housekeeping = now
    conn = db()
    files.expire_unclaimed_scans(conn, files.blob_store())
    with atomic(conn):
        portal_store.forget_submissions(conn, time.time() - files.SCAN_RETENTION_DAYS * 86400)


_FIELDS = (
    "unit",
    "procedure_code",
    "full_name",
    "id_number",
    "birth_year",
    "sex",
    "phone",
    "address",
    "email",
    "notes",
)


def _form(
    values: dict[str, str],
    error: str | None,
    error_field: str | None = None,
    token: str | None = None,
) -> str:
    procedures = records("procedure", "WHERE active = 1")
    for p in procedures:
        p["time_limit"] = time_limit(p)
    return render_template(
        "public/submit.html",
        wards=sorted(current_wards(), key=lambda w: fold(w["name"])),
        procedures=sorted(procedures, key=lambda p: (fold(p.get("field") or "~"), fold(p["name"]))),
        paper_kinds=PAPER_KINDS,
        sexes=citizen_input.SEXES,
        values=values,
        error=error,
        error_field=error_field,
        max_mb=MAX_SCAN_BYTES // (1024 * 1024),
        max_total_mb=MAX_SUBMISSION_BYTES // (1024 * 1024),
        max_scans=MAX_SCANS,
        kinds=accepted_labels(FILE_KINDS),
        accept=",".join(
            [f".{k.extension}" for k in FILE_KINDS]
            + [".jpeg", ".tiff"]
            + [k.mime for k in FILE_KINDS]
        ),
        token=token or secrets.token_urlsafe(24),
    )


def _create(values: dict[str, str], token: str) -> str:
    """Validate, store the scans, write the records with ``token``; return the dossier's id,
    that of the dossier already made with ``token`` if any."""
    wards = current_wards("AND code = ?", (values["unit"],))
    if not wards:
        raise ValidationError("Hãy chọn phường nhận hồ sơ trong danh sách.", field="unit")
    ward = wards[0]
    procedures = records("procedure", "WHERE active = 1 AND code = ?", (values["procedure_code"],))
    if not procedures:
        raise ValidationError("Hãy chọn thủ tục trong danh sách.", field="procedure_code")
    procedure = procedures[0]
    applicant = citizen_input.applicant(values)
    scans = citizen_input.scans(request.files.getlist("scans"), MAX_SCANS, MAX_SCAN_BYTES)
    now = datetime.now(UTC).replace(microsecond=0)
    at = now.isoformat(timespec="seconds")
    dossier_id = new_id()
    record: dict[str, Any] = {
        "id": dossier_id,
        "unit": ward["code"],
        "code": f"{ward['prefix']}-{now.astimezone(VIETNAM):%y%m%d}-5001",  # checked, then set
        "procedure_code": procedure["code"],
        "procedure_name": procedure["name"],
        "applicant": applicant,
        "channel": "online",
        "status": 1,
        "received_at": at,
        "due_at": None,  # the ward computes it on reception
        "original_due_at": None,
        "clock_stopped_at": None,
        "completed_at": None,
        "returned_at": None,
        "return_method": None,
        "fee": int(procedure.get("fee") or 0),
        "notes": clean_text(nfc(values["notes"])).strip() or None,
        "handler": None,
        "created_by": ACTOR,
    }
    try:
        validate("dossier", record)
    except ValidationError:
        raise ValidationError(
            "Thông tin chưa hợp lệ. Hãy kiểm tra lại họ tên, địa chỉ, thư điện tử và ghi chú.",
            field="body",
        ) from None
    blobs = files.blob_store()
    conn = db()
    with atomic(conn):
        # Inside the write transaction: a second click waits for the first and finds it.
        done = portal_store.submitted_dossier(conn, token)
        if done:
            return done
        day = now.astimezone(VIETNAM).strftime("%y%m%d")
        number = _next_number(conn, ward["code"], day)
        record["code"] = f"{ward['prefix']}-{day}-{number:04d}"
        step_id = new_id()
        writes = [
            Write("dossier", dossier_id, ward["code"], record),
            Write(
                "dossier_step",
                step_id,
                ward["code"],
                {
                    "id": step_id,
                    "unit": ward["code"],
                    "dossier_id": dossier_id,
                    "action": "submit_online",
                    "from_status": None,
                    "to_status": 1,
                    "actor": ACTOR,
                    "actor_name": applicant["full_name"],
                    "at": at,
                    "note": "Nộp hồ sơ trực tuyến",
                    "to_handler": None,
                    "step_deadline": None,
                },
            ),
        ]
        for name, data in scans:
            attachment_id = new_id()
            sha = blobs.put(data, max_size=MAX_SCAN_BYTES)
            kind = kind_of(blobs.path(sha))
            assert kind is not None  # judged by _scans
            writes.append(
                Write(
                    "attachment",
                    attachment_id,
                    ward["code"],
                    {
                        "id": attachment_id,
                        "unit": ward["code"],
                        "parent_type": "dossier",
                        "parent_id": dossier_id,
                        "sha256": sha,
                        "name": name,
                        "mime": kind.mime,
                        "size": len(data),
                        "uploaded_by": ACTOR,
                        "uploaded_at": at,
                    },
                )
            )
            # The hub stored the bytes for the ward: that ward may fetch them (files.py).
            files.add_source(conn, sha, ward["code"])
        for w in writes:
            validate(w.type, w.fields)
        capture(conn).write_many(writes, actor=ACTOR)
        portal_store.record_submission(conn, token, dossier_id, time.time())
    return dossier_id


def _next_number(conn: sqlite3.Connection, unit: str, day: str) -> int:
    number = portal_store.next_online_number(conn, unit, day, FIRST_ONLINE)
    if number > LAST_ONLINE:
        raise ValidationError(
            "Hôm nay phường đã nhận đủ số hồ sơ trực tuyến. Hãy nộp lại vào ngày mai.",
            field="unit",
        )
    return number
