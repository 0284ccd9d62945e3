"""The OpenAPI 3.1 description of the hub's ``/api/v1`` (served at ``/api/v1/openapi.json``;
the helpers and why records are described field by field: webapp/openapi.py). The node
protocol (``/sync/v1``) is not here: its bodies are sealed envelopes (docs/protocol.md). A
route added to the app without its description here fails tests/system/test_openapi.py, and
so does a description of a route the app lacks."""

from __future__ import annotations

from typing import Any

from sync import RELEASE
from webapp import openapi as oa

from .city.api_description import paths as city_paths
from .edxml.api_description import paths as edxml_paths

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

NULLABLE_NUMBER = {"type": ["number", "null"]}
NULLABLE_INTEGER = {"type": ["integer", "null"]}
STEP = record("dossier_step")
DOSSIER = record("dossier", {"steps": array(STEP)})
DOSSIER_ITEM = record("dossier")
NODE = obj(
    {
        "unit": STRING,
        "name": STRING,
        "status": {"enum": ["active", "revoked"]},
        "last_seen_at": NULLABLE_STRING,
        "clock_offset_s": NULLABLE_NUMBER,
        "open_conflicts": INTEGER,
    },
    ["unit", "name", "status", "last_seen_at", "clock_offset_s", "open_conflicts"],
)
CONFLICT = obj(
    {
        "id": INTEGER,
        "record_type": STRING,
        "record_id": STRING,
        "unit": STRING,
        "field": STRING,
        "values": array(OBJECT),
        "state": STRING,
    },
    ["id", "record_type", "record_id", "field", "values", "state"],
)
PUBLIC_DOSSIER = obj(
    {
        "code": STRING,
        "unit": STRING,
        "unit_name": NULLABLE_STRING,
        "procedure_name": NULLABLE_STRING,
        "applicant_name": STRING,
        "status": INTEGER,
        "status_name": STRING,
        "received_at": STRING,
        "due_at": NULLABLE_STRING,
        "timeline": array(OBJECT),
    },
    ["code", "applicant_name", "status", "received_at"],
)
TOKEN = obj(
    {"token": STRING, "expires_at": STRING, "role": STRING}, ["token", "expires_at", "role"]
)
ITEMS = obj({"items": array(OBJECT)}, ["items"])
PATH_PARAMS = {
    "conflict_id": INTEGER,
    "move": {"enum": ["pause", "resume", "cancel"]},
}


def paths() -> dict[str, Any]:
    """Every ``/api/v1`` operation of the hub, by path and method."""
    d, ref, c = "Hồ sơ", "Danh mục", "Xung đột"
    admin = [403, 422]
    found: dict[str, Any] = {
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
        "/api/v1/nodes": {"get": op("Mọi nút phường đã đăng ký", tag="Nút", answer=listing(NODE))},
        "/api/v1/dossiers": {
            "get": op(
                "Hồ sơ của mọi phường, lọc theo đơn vị, tìm theo từ (có dấu hay không)",
                tag=d,
                params=[query("unit", "Mã đơn vị"), query("q", "Từ tìm"), *PAGE],
                answer=listing(DOSSIER_ITEM),
            )
        },
        "/api/v1/dossiers/{dossier_id}": {
            "get": op("Một hồ sơ, với các bước xử lý", tag=d, answer=DOSSIER, errors=[404]),
            "patch": op(
                "Quản trị viên sửa hồ sơ; thay đổi về phường sở hữu",
                tag=d,
                body=obj(
                    {
                        "notes": NULLABLE_STRING,
                        "applicant": OBJECT,
                        "status": INTEGER,
                        "due_at": NULLABLE_STRING,
                        "handler": NULLABLE_STRING,
                    }
                ),
                answer=DOSSIER,
                errors=[403, 404, 422],
            ),
        },
        "/api/v1/dossiers/{dossier_id}/history": {
            "get": op("Mọi thay đổi của một hồ sơ", tag=d, answer=listing(OBJECT), errors=[404])
        },
        "/api/v1/attachments/{sha256}": {
            "get": op(
                "Tải một tệp đính kèm theo mã băm (quản trị viên)",
                tag=d,
                content="application/octet-stream",
                answer={"type": "string", "contentMediaType": "application/octet-stream"},
                errors=[403, 404],
            )
        },
        "/api/v1/conflicts": {
            "get": op(
                "Hộp xung đột",
                tag=c,
                params=[
                    query("state", "open (mặc định), resolved hoặc all"),
                    query("unit", "Mã đơn vị"),
                    query("record_type", "Loại bản ghi"),
                    query(
                        "older_than_days",
                        "Cũ hơn số ngày",
                        {"type": "integer", "minimum": 0, "maximum": 36_500},
                    ),
                    query("detected_from", "Từ thời điểm, ISO 8601 có múi giờ"),
                    query("detected_before", "Trước thời điểm, ISO 8601 có múi giờ"),
                    *PAGE,
                ],
                answer=listing(CONFLICT),
                errors=[422],
            )
        },
        "/api/v1/conflicts/resolve": {
            "post": op(
                "Giải quyết nhiều xung đột cùng loại theo một quy tắc (tất cả hoặc không)",
                tag=c,
                body=obj(
                    {
                        "ids": array(INTEGER),
                        "rule": {"enum": ["unit", "hub", "latest", "base"]},
                        "unit": NULLABLE_STRING,
                        "note": NULLABLE_STRING,
                    },
                    ["ids", "rule"],
                ),
                answer=obj({"items": array(CONFLICT)}, ["items"]),
                errors=[403, 404, 409, 422],
            )
        },
        "/api/v1/conflicts/{conflict_id}": {
            "get": op("Một xung đột", tag=c, answer=CONFLICT, errors=[404])
        },
        "/api/v1/conflicts/{conflict_id}/resolve": {
            "post": op(
                "Giải quyết một xung đột bằng giá trị đã chọn",
                tag=c,
                body=obj({"value": ANY, "note": NULLABLE_STRING}, ["value"]),
                answer=CONFLICT,
                errors=[403, 404, 409, 422],
            )
        },
        "/api/v1/sms": {
            "get": op(
                "Nhật ký SMS, mới nhất trước",
                tag="SMS",
                params=[
                    query("status", "Tình trạng", field("sms", "status")),
                    query("unit", "Mã đơn vị"),
                    query("dossier_code", "Mã hồ sơ"),
                    *PAGE,
                ],
                answer=listing(record("sms")),
                errors=admin,
            )
        },
        "/api/v1/sms/receipts": {
            "post": op(
                "Báo cáo phát tin của cổng SMS (Bearer SMS_GATEWAY_TOKEN)",
                tag="SMS",
                public=True,
                body=obj(
                    {
                        "provider_id": STRING,
                        "status": {"enum": ["delivered", "failed"]},
                        "error": NULLABLE_STRING,
                    },
                    ["provider_id", "status"],
                ),
                answer=OBJECT,
                errors=[401, 403, 404, 409, 422],
            )
        },
        "/api/v1/procedures": {
            "get": op("Danh mục thủ tục", tag=ref, answer=listing(record("procedure"))),
            "put": op(
                "Thêm hoặc sửa thủ tục theo mã",
                tag=ref,
                body=obj({"items": array(OBJECT)}, ["items"]),
                answer=listing(record("procedure")),
                errors=admin,
            ),
        },
        "/api/v1/units": {
            "get": op("Các đơn vị của thành phố", tag=ref, answer=listing(record("unit")))
        },
        "/api/v1/units/{code}": {
            "put": op(
                "Thêm hoặc sửa một đơn vị (mã không đổi)",
                tag=ref,
                body=OBJECT,
                answer=record("unit"),
                errors=admin,
            )
        },
        "/api/v1/calendar": {
            "get": op("Ngày nghỉ và ngày làm bù", tag=ref, answer=listing(record("calendar_day"))),
            "put": op(
                "Thêm hoặc sửa ngày theo date",
                tag=ref,
                body=obj({"items": array(OBJECT)}, ["items"]),
                answer=listing(record("calendar_day")),
                errors=admin,
            ),
        },
        "/api/v1/public/dossiers/{code}": {
            "get": op(
                "Tra cứu hồ sơ theo mã trên mọi phường, không cần đăng nhập",
                tag="Công dân",
                public=True,
                answer=PUBLIC_DOSSIER,
                errors=[404, 429],
            )
        },
    }
    found.update(city_paths())
    found.update(edxml_paths())
    return found


def describe() -> dict[str, Any]:
    """The hub's whole description, records still referred to in ``schemas/``."""
    return oa.document(
        "wardsync — máy chủ trung tâm",
        RELEASE,
        "API của máy chủ trung tâm: nút phường, hồ sơ mọi phường, xung đột, chỉ đạo, văn bản, "
        "lịch họp, danh mục, SMS. Đăng nhập: POST /api/v1/auth/token, rồi Authorization: "
        "Bearer. Giao thức đồng bộ /sync/v1 dùng phong bì mã hóa, mô tả ở schemas/.",
        paths(),
        PATH_PARAMS,
    )
