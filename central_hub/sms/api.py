"""The hub's SMS endpoints: the SMS log for administrators, and the gateway's delivery receipts."""

from __future__ import annotations

import hmac

from flask import Blueprint, Response, current_app, jsonify, request

from sync import ValidationError

from ..store import capture
from ..web import db, error_json, page_args, require
from . import dispatch as sms

bp = Blueprint("sms", __name__, url_prefix="/api/v1")


@bp.get("/sms")
@require("admin")
def list_sms() -> Response:
    """The SMS log, newest first: ``status``, ``unit``, ``dossier_code``, ``limit``, ``cursor``."""
    status = request.args.get("status") or None
    if status is not None and status not in sms.STATUSES:
        raise ValidationError(
            f"Trạng thái phải là một trong: {', '.join(sms.STATUSES)}.", field="status"
        )
    limit, cursor = page_args()
    items, next_cursor = sms.list_sms(
        db(),
        status=status,
        unit=request.args.get("unit") or None,
        dossier_code=request.args.get("dossier_code") or None,
        limit=limit,
        cursor=cursor,
    )
    return jsonify({"items": items, "next_cursor": next_cursor})


@bp.post("/sms/receipts")
def receipt() -> Response:
    """A gateway's delivery receipt ``{"provider_id", "status": "delivered"|"failed",
    "error"}``, authenticated by the gateway's token (``SMS_GATEWAY_TOKEN``) as a bearer."""
    expected = str(current_app.config["SMS_GATEWAY_TOKEN"] or "")
    if not expected:
        return error_json(
            403, "receipts_disabled", "Máy chủ chưa đặt SMS_GATEWAY_TOKEN: không nhận báo cáo."
        )
    header = request.headers.get("Authorization", "")
    given = header[7:].strip() if header.lower().startswith("bearer ") else ""
    if not hmac.compare_digest(given.encode(), expected.encode()):
        return error_json(401, "unauthorized", "Mã của cổng SMS không đúng.")
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise ValidationError("Gửi một đối tượng JSON.", code="bad_json", field="body")
    provider_id = body.get("provider_id")
    if not isinstance(provider_id, str) or not 0 < len(provider_id) <= 200:
        raise ValidationError("Thiếu mã tin nhắn của cổng (provider_id).", field="provider_id")
    error = body.get("error")
    conn = db()
    result = sms.apply_receipt(
        conn,
        capture(conn),
        provider_id,
        str(body.get("status") or ""),
        str(error)[:300] if error else None,
    )
    return jsonify(result)
