"""The OpenAPI 3.1 description of the ward node's ``/api/v1`` (served at
``/api/v1/openapi.json``; the helpers and why records are described field by field:
webapp/openapi.py). A route added to the app without its description here fails
tests/system/test_openapi.py, and so does a description of a route the app lacks."""

from __future__ import annotations

from typing import Any

from webapp import openapi as oa

from . import __version__

ANY, BOOLEAN, INTEGER, OBJECT, STRING = oa.ANY, oa.BOOLEAN, oa.INTEGER, oa.OBJECT, oa.STRING
NULLABLE_STRING, PAGE = oa.NULLABLE_STRING, oa.PAGE
array, field, listing, obj, op, query, record = (
    oa.array,
    oa.field,
    oa.listing,
    oa.obj,
    oa.op,
    oa.query,
    oa.record,
)


STEP = record("dossier_step", {"actor_name": NULLABLE_STRING})
ATTACHMENT = record("attachment")
DOSSIER = record(
    "dossier",
    {
        "procedure_name": NULLABLE_STRING,
        "overdue": BOOLEAN,
        "steps": array(STEP),
        "attachments": array(ATTACHMENT),
        "actions": array(STRING),
    },
)
DOSSIER_ITEM = record("dossier", {"procedure_name": NULLABLE_STRING, "overdue": BOOLEAN})
APPLICANT_INPUT = obj(
    {
        "full_name": STRING,
        "id_number": NULLABLE_STRING,
        "phone": NULLABLE_STRING,
        "address": NULLABLE_STRING,
        "email": NULLABLE_STRING,
        "birth_year": {"type": ["integer", "null"]},
        # Checked against the CCCD, never stored (docs/domain.md, "Personal ID numbers").
        "sex": {"enum": ["nam", "nữ", None]},
    },
    ["full_name"],
)
NEW_DOSSIER = obj(
    {
        "procedure_code": STRING,
        "applicant": APPLICANT_INPUT,
        "channel": field("dossier", "channel"),
        "notes": NULLABLE_STRING,
    },
    ["procedure_code", "applicant"],
)
ACTION = obj({"action": STRING, "note": NULLABLE_STRING}, ["action"])
DOCUMENT = record("document", {"actions": array(STRING), "attachments": array(ATTACHMENT)})
DIRECTIVE = record("directive", {"time_class": NULLABLE_STRING, "actions": array(STRING)})
MEETING = record("meeting")
INVITATION = record(
    "invitation", {"reply": {"anyOf": [record("invitation_reply"), {"type": "null"}]}}
)
SYNC_STATUS = obj(
    {
        "state": {"enum": ["synced", "syncing", "offline", "error"]},
        "pending_changes": INTEGER,
        "oldest_pending_at": NULLABLE_STRING,
        "last_success_at": NULLABLE_STRING,
        "last_attempt_at": NULLABLE_STRING,
        "last_error": {"type": ["object", "null"]},
        "progress": {"type": ["object", "null"]},
        "refused_changes": INTEGER,
        "waiting_upgrade": INTEGER,
        "paused": BOOLEAN,
    },
    ["state", "pending_changes", "oldest_pending_at", "last_success_at", "last_error", "progress"],
)
PUBLIC_DOSSIER = obj(
    {
        "code": STRING,
        "procedure_name": NULLABLE_STRING,
        "applicant_name": STRING,
        "status": INTEGER,
        "status_name": STRING,
        "received_at": STRING,
        "due_at": NULLABLE_STRING,
        "returned_at": NULLABLE_STRING,
        "timeline": array(obj({"at": STRING, "status": INTEGER, "status_name": STRING})),
    },
    ["code", "applicant_name", "status", "status_name", "received_at", "timeline"],
)
TOKEN = obj(
    {"token": STRING, "expires_at": STRING, "role": STRING}, ["token", "expires_at", "role"]
)
COUNTS = {"type": "object", "additionalProperties": INTEGER}


def paths() -> dict[str, Any]:
    """Every ``/api/v1`` operation of the ward node, by path and method."""
    d, docs, dirs, meet, sync = "Hồ sơ", "Văn bản", "Chỉ đạo", "Lịch họp", "Đồng bộ"
    one = [404]
    return {
        "/api/v1/auth/token": {
            "post": op(
                "Đổi tên đăng nhập và mật khẩu lấy mã truy cập (Bearer)",
                tag="Đăng nhập",
                public=True,
                body=obj({"username": STRING, "password": STRING}, ["username", "password"]),
                answer=TOKEN,
                errors=[401, 403, 422, 429],
            )
        },
        "/api/v1/openapi.json": {
            "get": op("Bản mô tả OpenAPI này", tag="API", public=True, answer=OBJECT)
        },
        "/api/v1/dossiers": {
            "post": op(
                "Tiếp nhận hồ sơ",
                tag=d,
                ok=201,
                body=NEW_DOSSIER,
                answer=DOSSIER,
                errors=[403, 404, 422],
            ),
            "get": op(
                "Danh sách, tìm kiếm hồ sơ (q khớp tên, mã, số giấy tờ; có dấu hay không)",
                tag=d,
                params=[
                    query("q", "Từ tìm"),
                    query(
                        "status",
                        "Trạng thái 1–10 (số khác: 422)",
                        {"type": "integer", "minimum": 0, "maximum": 10},
                    ),
                    query("overdue", "1: chỉ hồ sơ quá hạn; 0: chỉ hồ sơ chưa quá hạn"),
                    *PAGE,
                ],
                answer=listing(DOSSIER_ITEM),
                errors=[422],
            ),
        },
        "/api/v1/dossiers/{dossier_id}": {
            "get": op("Một hồ sơ, với các bước xử lý", tag=d, answer=DOSSIER, errors=one),
            "patch": op(
                "Sửa ghi chú và thông tin liên hệ của người nộp",
                tag=d,
                body=obj({"notes": NULLABLE_STRING, "applicant": OBJECT}),
                answer=DOSSIER,
                errors=[403, 404, 409, 422],
            ),
        },
        "/api/v1/dossiers/{dossier_id}/actions": {
            "post": op(
                "Chuyển bước xử lý hồ sơ (409 khi không được từ trạng thái hiện tại)",
                tag=d,
                body=ACTION,
                answer=DOSSIER,
                errors=[403, 404, 409, 422],
            )
        },
        "/api/v1/dossiers/{dossier_id}/papers": {
            "put": op(
                "Sửa danh sách giấy tờ đã nhận (khi hồ sơ mới tiếp nhận hoặc chờ bổ sung); "
                "lệ phí tính lại theo danh sách",
                tag=d,
                body=obj(
                    {"papers_received": oa.field("dossier", "papers_received")}, ["papers_received"]
                ),
                answer=DOSSIER,
                errors=[403, 404, 409, 422],
            )
        },
        "/api/v1/dossiers/{dossier_id}/attachments": {
            "post": op(
                "Đính kèm tệp vào hồ sơ (multipart, trường file)",
                tag=d,
                ok=201,
                upload=True,
                answer=ATTACHMENT,
                errors=[403, 404, 413, 415, 422],
            ),
            "get": op("Các tệp đính kèm của hồ sơ", tag=d, answer=listing(ATTACHMENT), errors=one),
        },
        "/api/v1/procedures": {
            "get": op("Danh mục thủ tục (từ thành phố)", tag=d, answer=listing(record("procedure")))
        },
        "/api/v1/public/dossiers/{code}": {
            "get": op(
                "Tra cứu hồ sơ theo mã, không cần đăng nhập (tên người nộp được che)",
                tag="Công dân",
                public=True,
                answer=PUBLIC_DOSSIER,
                errors=[404, 429],
            )
        },
        "/api/v1/attachments/{sha256}": {
            "get": op(
                "Tải một tệp đính kèm theo mã băm",
                tag=docs,
                content="application/octet-stream",
                answer={"type": "string", "contentMediaType": "application/octet-stream"},
                errors=one,
            )
        },
        "/api/v1/documents": {
            "post": op(
                "Soạn văn bản đi, hoặc vào sổ văn bản đến bằng giấy",
                tag=docs,
                ok=201,
                body=obj({"direction": field("document", "direction")}, ["direction"]),
                answer=DOCUMENT,
                errors=[403, 422],
            ),
            "get": op(
                "Sổ văn bản đến hoặc đi",
                tag=docs,
                params=[
                    query("direction", "incoming (mặc định) hoặc outgoing"),
                    query("q", "Từ tìm"),
                    query("status", "Trạng thái"),
                    *PAGE,
                ],
                answer=listing(record("document")),
                errors=[422],
            ),
        },
        "/api/v1/documents/{doc_id}": {
            "get": op("Một văn bản", tag=docs, answer=DOCUMENT, errors=one),
            "patch": op(
                "Sửa bản nháp, hoặc ghi chú của phường trên văn bản đến",
                tag=docs,
                body=OBJECT,
                answer=DOCUMENT,
                errors=[403, 404, 409, 422],
            ),
        },
        "/api/v1/documents/{doc_id}/actions": {
            "post": op(
                "Xử lý văn bản (trình, ký, phát hành, giao, hoàn thành…)",
                tag=docs,
                body=ACTION,
                answer=DOCUMENT,
                errors=[403, 404, 409, 422],
            )
        },
        "/api/v1/documents/{doc_id}/attachments": {
            "post": op(
                "Đính kèm tệp vào văn bản (multipart, trường file)",
                tag=docs,
                ok=201,
                upload=True,
                answer=ATTACHMENT,
                errors=[403, 404, 413, 415, 422],
            )
        },
        "/api/v1/directives": {
            "get": op(
                "Chỉ đạo gửi đến phường và do phường ban hành",
                tag=dirs,
                params=[query("time_class", "Nhóm thời hạn"), *PAGE],
                answer=listing(DIRECTIVE),
            ),
            "post": op(
                "Lãnh đạo phường ban hành chỉ đạo trong phường",
                tag=dirs,
                ok=201,
                body=obj(
                    {"title": STRING, "content": STRING, "deadline": NULLABLE_STRING}, ["title"]
                ),
                answer=DIRECTIVE,
                errors=[403, 422],
            ),
        },
        "/api/v1/directives/dashboard": {
            "get": op(
                "Số chỉ đạo theo nhóm thời hạn: chủ trì, phối hợp, phường ban hành",
                tag=dirs,
                answer=obj({"lead": COUNTS, "coordinating": COUNTS, "issued": COUNTS}),
            )
        },
        "/api/v1/directives/{directive_id}": {
            "get": op("Một chỉ đạo, với báo cáo và gia hạn", tag=dirs, answer=DIRECTIVE, errors=one)
        },
        "/api/v1/directives/{directive_id}/reports": {
            "post": op(
                "Báo cáo tiến độ",
                tag=dirs,
                ok=201,
                body=obj({"percent": INTEGER, "content": STRING, "done": BOOLEAN}, ["content"]),
                answer=record("directive_report"),
                errors=[403, 404, 409, 422],
            )
        },
        "/api/v1/directives/{directive_id}/reports/{report_id}/attachments": {
            "post": op(
                "Đính kèm tệp vào báo cáo tiến độ của phường",
                tag=dirs,
                ok=201,
                upload=True,
                answer=ATTACHMENT,
                errors=[403, 404, 413, 415, 422],
            )
        },
        "/api/v1/directives/{directive_id}/confirm": {
            "post": op(
                "Phường xác nhận hoàn thành", tag=dirs, answer=DIRECTIVE, errors=[403, 404, 409]
            )
        },
        "/api/v1/directives/{directive_id}/send-back": {
            "post": op(
                "Trả lại báo cáo hoàn thành",
                tag=dirs,
                body=obj({"reason": STRING}, ["reason"]),
                answer=DIRECTIVE,
                errors=[403, 404, 409, 422],
            )
        },
        "/api/v1/directives/{directive_id}/extensions": {
            "post": op(
                "Gia hạn chỉ đạo",
                tag=dirs,
                ok=201,
                body=obj({"new_deadline": STRING, "reason": STRING}, ["new_deadline", "reason"]),
                answer=ANY,
                errors=[403, 404, 409, 422],
            )
        },
        "/api/v1/meetings": {
            "post": op(
                "Đăng ký cuộc họp của phường (thành phố duyệt)",
                tag=meet,
                ok=201,
                body=OBJECT,
                answer=MEETING,
                errors=[403, 422],
            ),
            "get": op(
                "Lịch họp của phường trong một tuần",
                tag=meet,
                params=[query("week", "Một ngày bất kỳ của tuần, YYYY-MM-DD")],
                answer=obj(
                    {
                        "week": STRING,
                        "week_end": STRING,
                        "items": array(OBJECT),
                        "schedule": array(OBJECT),
                        "next_cursor": NULLABLE_STRING,
                    },
                    ["week", "items", "schedule", "next_cursor"],
                ),
                errors=[422],
            ),
        },
        "/api/v1/meetings/schedule.ics": {
            "get": op(
                "Lịch họp của tuần dạng iCalendar",
                tag=meet,
                params=[query("week", "Một ngày bất kỳ của tuần, YYYY-MM-DD")],
                content="text/calendar",
                answer=STRING,
                errors=[422],
            )
        },
        "/api/v1/invitations": {
            "get": op("Giấy mời phường nhận được", tag=meet, params=PAGE, answer=listing(OBJECT)),
            "post": op(
                "Gửi giấy mời (hoặc thay thế, hoãn) đến các đơn vị khác",
                tag=meet,
                ok=201,
                body=OBJECT,
                answer=OBJECT,
                errors=[403, 404, 409, 422],
            ),
        },
        "/api/v1/invitations/{invitation_id}": {
            "get": op("Một giấy mời với các trả lời", tag=meet, answer=OBJECT, errors=one)
        },
        "/api/v1/invitations/{invitation_id}/reply": {
            "post": op(
                "Trả lời giấy mời",
                tag=meet,
                body=obj(
                    {"attending": BOOLEAN, "attendees": array(STRING), "note": NULLABLE_STRING},
                    ["attending"],
                ),
                answer=OBJECT,
                errors=[403, 404, 409, 422],
            )
        },
        "/api/v1/sync/status": {
            "get": op("Tình trạng đồng bộ của nút", tag=sync, answer=SYNC_STATUS)
        },
        "/api/v1/sync/run": {
            "post": op(
                "Đồng bộ ngay (chạy nền; 202 ngay lập tức)",
                tag=sync,
                ok=202,
                answer=obj({"started": BOOLEAN}, ["started"]),
                errors=[409],
            )
        },
        "/api/v1/sync/pause": {
            "post": op(
                "Tạm dừng đồng bộ nền",
                tag=sync,
                answer=obj({"paused": BOOLEAN}, ["paused"]),
                errors=[409],
            )
        },
        "/api/v1/sync/resume": {
            "post": op(
                "Tiếp tục đồng bộ nền",
                tag=sync,
                answer=obj({"paused": BOOLEAN}, ["paused"]),
                errors=[409],
            )
        },
    }


def describe() -> dict[str, Any]:
    """The ward node's whole description, records still referred to in ``schemas/``."""
    return oa.document(
        "wardsync — nút phường",
        __version__,
        "API của nút phường: hồ sơ một cửa, văn bản, chỉ đạo, lịch họp, đồng bộ. "
        "Đăng nhập: POST /api/v1/auth/token, rồi Authorization: Bearer.",
        paths(),
    )
