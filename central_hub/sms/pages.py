"""The console's SMS log (``/console/tin-nhan``): every notice with its delivery status,
attempts, last error and next retry, filtered by status and unit, newest first, paged.

It reads through :func:`central_hub.sms.dispatch.list_sms`, as ``GET /api/v1/sms`` does; like that
endpoint it is for administrators only (the log holds citizens' phone numbers).
"""

from __future__ import annotations

from typing import Any

from flask import render_template, request

from sync import ValidationError

from ..store.sms import sms_units
from ..web import console_blueprint, db, login_required
from . import dispatch as sms

bp = console_blueprint("console_sms", __name__, "/console")

PAGE_SIZE = 50
STATUS_NAMES = {
    "queued": "Chờ gửi",
    "sending": "Đang gửi",
    "sent": "Đã gửi",
    "delivered": "Đã nhận",
    "failed": "Thất bại",
}


@bp.get("/tin-nhan")
@login_required("admin")
def sms_log() -> Any:
    """The SMS log page: ``?status=&unit=&cursor=``."""
    status = request.args.get("status") or None
    if status is not None and status not in sms.STATUSES:
        raise ValidationError("Trạng thái tin nhắn không hợp lệ.", field="status")
    unit = (request.args.get("unit") or "").strip() or None
    items, next_cursor = sms.list_sms(
        db(),
        status=status,
        unit=unit,
        limit=PAGE_SIZE,
        cursor=request.args.get("cursor") or None,
    )
    units = sms_units(db())
    return render_template(
        "console/sms.html",
        items=items,
        next_cursor=next_cursor,
        status=status or "",
        unit=unit or "",
        units=units,
        status_names=STATUS_NAMES,
    )
