"""The hub's ``/api/v1`` operations of the national document exchange (docs/edxml.md) and of
procedures' declaration forms and the hall screen (docs/portal.md): part of
central_hub/api_description.py's description."""

from __future__ import annotations

from typing import Any

from webapp import openapi as oa

BOOLEAN, INTEGER, OBJECT, STRING = oa.BOOLEAN, oa.INTEGER, oa.OBJECT, oa.STRING
NULLABLE_STRING = oa.NULLABLE_STRING
array, listing, obj, op, query, record = oa.array, oa.listing, oa.obj, oa.op, oa.query, oa.record

XML = "application/xml"
DOCUMENT = record("document", {"recipients": array(OBJECT)})
TAKEN = obj(
    {
        "repeated": BOOLEAN,
        "kind": STRING,
        "signature": OBJECT,
        "created": array(OBJECT),
        "changed": array(OBJECT),
        "warnings": array(STRING),
        "message_id": STRING,
        "document_id": NULLABLE_STRING,
        "note": NULLABLE_STRING,
    },
    ["repeated", "kind"],
)
OUTSIDE = obj(
    {
        "outside": {"type": ["object", "null"]},
        "messages": array(OBJECT),
        "outside_statuses": array(OBJECT),
        "document": DOCUMENT,
    },
    ["outside", "messages", "outside_statuses", "document"],
)
FORMS = listing(record("attachment"))
HALL = obj(
    {"updated": STRING, "parts": {"type": "object", "additionalProperties": STRING}},
    ["updated", "parts"],
)


def _xml_body(operation: dict[str, Any]) -> dict[str, Any]:
    operation["requestBody"] = {
        "required": True,
        "content": {XML: {"schema": {"type": "string", "contentMediaType": XML}}},
    }
    return operation


def paths() -> dict[str, Any]:
    """edXML in and out, declaration forms, the hall screen's data."""
    ex, ref = "Liên thông (edXML)", "Danh mục"
    return {
        "/api/v1/edxml": {
            "post": _xml_body(
                op(
                    "Nhận một thông điệp edXML (văn bản hoặc trạng thái, QCVN 102:2016); 201 "
                    "với những gì đã tạo, sửa; 200 khi đúng thông điệp đó đã nhận trước",
                    tag=ex,
                    ok=201,
                    answer=TAKEN,
                    errors=[400, 403, 404, 409, 413, 415, 422],
                )
            )
        },
        "/api/v1/documents/{doc_id}/edxml": {
            "get": op(
                "Thông điệp edXML của một văn bản đi, để gửi cơ quan ngoài",
                tag=ex,
                params=[query("to", "Mã định danh (OrganId) cơ quan nhận; có thể lặp lại")],
                content=XML,
                answer={"type": "string"},
                errors=[403, 404, 409],
            )
        },
        "/api/v1/edxml/documents": {
            "get": op(
                "Văn bản đến từ cơ quan ngoài, mới nhất trước",
                tag=ex,
                params=[query("unit", "Mã đơn vị nhận")],
                answer=obj({"items": array(OBJECT)}, ["items"]),
            )
        },
        "/api/v1/edxml/documents/{doc_id}": {
            "get": op(
                "Một văn bản qua liên thông: thông điệp, chữ ký, trạng thái từ cơ quan ngoài",
                tag=ex,
                answer=OUTSIDE,
                errors=[403, 404],
            )
        },
        "/api/v1/procedures/{code}/forms": {
            "get": op("Mẫu đơn, tờ khai của một thủ tục", tag=ref, answer=FORMS, errors=[404]),
            "post": op(
                "Đính kèm mẫu đơn, tờ khai (PDF) vào một thủ tục",
                tag=ref,
                ok=201,
                upload=True,
                answer=FORMS,
                errors=[403, 404, 413, 415, 422],
            ),
        },
        "/api/v1/procedures/{code}/forms/{attachment_id}": {
            "delete": op(
                "Gỡ một mẫu đơn, tờ khai khỏi thủ tục",
                tag=ref,
                answer=FORMS,
                errors=[403, 404],
            )
        },
        "/api/v1/public/man-hinh/{code}": {
            "get": op(
                "Màn hình sảnh một cửa của phường: các phần trang đã dựng, không cần đăng nhập",
                tag="Công dân",
                public=True,
                answer=HALL,
                errors=[404],
            )
        },
    }
