"""The hub's ``/api/v1`` operations of the city's work with its units: directives, documents,
meetings and invitations (part of central_hub/api_description.py's description)."""

from __future__ import annotations

from typing import Any

from webapp import openapi as oa

ANY, OBJECT, STRING, NULLABLE_STRING, PAGE = (
    oa.ANY,
    oa.OBJECT,
    oa.STRING,
    oa.NULLABLE_STRING,
    oa.PAGE,
)
array, listing, obj, op, query, record = oa.array, oa.listing, oa.obj, oa.op, oa.query, oa.record

DIRECTIVE = record(
    "directive",
    {
        "reports": array(OBJECT),
        "extensions": array(OBJECT),
        "time_class": NULLABLE_STRING,
        "shown_status": STRING,
    },
)
DIRECTIVE_ITEM = record("directive", {"time_class": NULLABLE_STRING})
DOCUMENT = record("document", {"recipients": array(OBJECT)})
MEETING = record("meeting", {"invitations": array(OBJECT)})
NOTE = obj({"note": NULLABLE_STRING})


def paths() -> dict[str, Any]:
    """Directives, documents and meetings: the city's work with its units."""
    t, docs, meet = "Chỉ đạo", "Văn bản", "Lịch họp"
    change = [403, 404, 409, 422]
    return {
        "/api/v1/directives": {
            "post": op(
                "Ban hành chỉ đạo đến các đơn vị",
                tag=t,
                ok=201,
                body=obj(
                    {
                        "title": STRING,
                        "content": STRING,
                        "lead_unit": STRING,
                        "units": array(STRING),
                        "deadline": NULLABLE_STRING,
                    },
                    ["title", "lead_unit"],
                ),
                answer=DIRECTIVE,
                errors=[403, 422],
            ),
            "get": op(
                "Mọi chỉ đạo, lọc theo đơn vị nhận và nhóm thời hạn",
                tag=t,
                params=[query("unit", "Mã đơn vị"), query("time_class", "Nhóm thời hạn"), *PAGE],
                answer=listing(DIRECTIVE_ITEM),
            ),
        },
        "/api/v1/directives/dashboard": {
            "get": op(
                "Số chỉ đạo theo đơn vị chủ trì và nhóm thời hạn",
                tag=t,
                answer=obj(
                    {
                        "time_classes": {"type": "object", "additionalProperties": STRING},
                        "items": array(obj({"unit": STRING, "counts": OBJECT})),
                    },
                    ["time_classes", "items"],
                ),
            )
        },
        "/api/v1/directives/{directive_id}": {
            "get": op("Một chỉ đạo, với báo cáo và gia hạn", tag=t, answer=DIRECTIVE, errors=[404])
        },
        "/api/v1/directives/{directive_id}/confirm": {
            "post": op("Xác nhận hoàn thành", tag=t, answer=DIRECTIVE, errors=change)
        },
        "/api/v1/directives/{directive_id}/{move}": {
            "post": op(
                "Tạm dừng, tiếp tục hoặc hủy chỉ đạo của thành phố",
                tag=t,
                body=NOTE,
                answer=DIRECTIVE,
                errors=change,
            )
        },
        "/api/v1/directives/{directive_id}/send-back": {
            "post": op(
                "Trả lại báo cáo hoàn thành",
                tag=t,
                body=obj({"reason": STRING}, ["reason"]),
                answer=DIRECTIVE,
                errors=change,
            )
        },
        "/api/v1/directives/{directive_id}/extensions": {
            "post": op(
                "Gia hạn chỉ đạo",
                tag=t,
                ok=201,
                body=obj({"new_deadline": STRING, "reason": STRING}, ["new_deadline", "reason"]),
                answer=ANY,
                errors=change,
            )
        },
        "/api/v1/documents": {
            "post": op(
                "Gửi văn bản của thành phố đến các đơn vị (JSON, hoặc multipart kèm bản quét)",
                tag=docs,
                ok=201,
                body=obj({"units": array(STRING)}, ["units"]),
                answer=DOCUMENT,
                errors=[403, 413, 415, 422],
            ),
            "get": op(
                "Văn bản máy chủ trung tâm biết, mới nhất trước",
                tag=docs,
                params=[query("unit", "Đơn vị gửi"), *PAGE],
                answer=listing(OBJECT),
            ),
        },
        "/api/v1/documents/{doc_id}": {
            "get": op(
                "Một văn bản, với tình trạng ở từng nơi nhận",
                tag=docs,
                answer=DOCUMENT,
                errors=[404],
            )
        },
        "/api/v1/meetings": {
            "post": op(
                "Đăng ký cuộc họp của thành phố và mời các đơn vị",
                tag=meet,
                ok=201,
                body=obj({"subject": STRING, "units": array(STRING)}, ["subject"]),
                answer=OBJECT,
                errors=[403, 404, 409, 422],
            ),
            "get": op(
                "Cuộc họp của mọi đơn vị theo giờ bắt đầu",
                tag=meet,
                params=[
                    query("unit", "Mã đơn vị"),
                    query("status", "Trạng thái"),
                    query("from", "Từ ngày, YYYY-MM-DD"),
                    query("to", "Đến ngày, YYYY-MM-DD"),
                    *PAGE,
                ],
                answer=listing(OBJECT),
                errors=[422],
            ),
        },
        "/api/v1/meetings/{meeting_id}": {
            "get": op("Một cuộc họp, với các giấy mời", tag=meet, answer=MEETING, errors=[404])
        },
        "/api/v1/meetings/{meeting_id}/approve": {
            "post": op("Duyệt cuộc họp phường đăng ký", tag=meet, answer=OBJECT, errors=change)
        },
        "/api/v1/invitations/{invitation_id}": {
            "get": op(
                "Một giấy mời, với trả lời của các đơn vị", tag=meet, answer=OBJECT, errors=[404]
            )
        },
        "/api/v1/invitations/{invitation_id}/postpone": {
            "post": op(
                "Hoãn cuộc họp: thông báo hoãn đến các đơn vị đã mời",
                tag=meet,
                ok=201,
                body=obj({"starts_at": STRING}, ["starts_at"]),
                answer=OBJECT,
                errors=change,
            )
        },
        "/api/v1/invitations/{invitation_id}/replace": {
            "post": op(
                "Thay đổi giấy mời: giấy mời thay thế đến các đơn vị đã mời",
                tag=meet,
                ok=201,
                body=OBJECT,
                answer=OBJECT,
                errors=change,
            )
        },
    }
