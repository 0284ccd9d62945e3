"""The OpenAPI 3.1 description of an app's ``/api/v1`` (docs/architecture.md, "HTTP surfaces"),
served at ``GET /api/v1/openapi.json``.

Each app writes its operations with the helpers below (``central_hub/api_description.py``,
``ward_node/api_description.py``). Records are never copied into the description: a record's
fields are ``$ref``s into its JSON Schema in ``schemas/`` (``dossier.json#/properties/code``),
the one truth the sync engine validates against too. :func:`bundle` then carries the schemas
referred to into ``components/schemas`` and points the references there, so that the served
document stands alone for a client that cannot fetch ``schemas/`` (a generator, Schemathesis).

A record in an answer is described field by field (:func:`record`), not by a ``$ref`` to the
whole schema: the API adds fields of its own (a dossier's ``steps``, the ``actions`` a user may
take), which the record schemas refuse (``additionalProperties: false``); and an optional field
a record lacks is answered as ``null``.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable, Iterable
from functools import cache
from pathlib import Path
from typing import Any

from flask import Blueprint, Flask, Response, current_app, jsonify

SCHEMA_DIR = Path(__file__).resolve().parent.parent / "schemas"
JSON = "application/json"
Schema = dict[str, Any]

STRING: Schema = {"type": "string"}
NULLABLE_STRING: Schema = {"type": ["string", "null"]}
INTEGER: Schema = {"type": "integer"}
BOOLEAN: Schema = {"type": "boolean"}
OBJECT: Schema = {"type": "object"}
ANY: Schema = {}

# Why each error status is answered, for every operation that may answer it.
ERRORS = {
    400: "Yêu cầu sai dạng (mã CSRF, nội dung không đọc được)",
    401: "Chưa đăng nhập: thiếu mã truy cập (Bearer) hoặc mã đã hết hạn",
    403: "Tài khoản không có quyền làm việc này",
    404: "Không tìm thấy",
    409: "Không làm được từ trạng thái hiện tại",
    413: "Nội dung gửi lên quá lớn",
    415: "Loại tệp không được nhận",
    422: "Dữ liệu gửi lên không hợp lệ: error.message nói cần sửa gì",
    429: "Quá nhiều yêu cầu từ địa chỉ này; thử lại sau một phút",
    503: "Cơ sở dữ liệu tạm thời không trả lời; thử lại sau",
}
ERROR_SCHEMA: Schema = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message"],
            "properties": {"code": STRING, "message": STRING},
        }
    },
}


def field(record_type: str, name: str) -> Schema:
    """A ``$ref`` to one field of a record type's JSON Schema."""
    return {"$ref": f"{record_type}.json#/properties/{name}"}


def record(
    record_type: str,
    extra: dict[str, Schema] | None = None,
    *,
    only: Iterable[str] | None = None,
) -> Schema:
    """A record of ``record_type`` as the API answers it: each field of its schema (of
    ``only`` when given) by ``$ref``, the optional ones possibly ``null``, the required ones
    required; ``extra`` adds the fields the API puts beside them."""
    schema = _record_schema(record_type)
    names = list(only) if only is not None else list(schema["properties"])
    required = [n for n in schema.get("required", []) if n in names]
    props: dict[str, Schema] = {}
    for name in names:
        ref = field(record_type, name)
        props[name] = ref if name in required else {"anyOf": [ref, {"type": "null"}]}
    props.update(extra or {})
    return {"type": "object", "required": required, "properties": props}


def array(items: Schema) -> Schema:
    return {"type": "array", "items": items}


def obj(properties: dict[str, Schema], required: Iterable[str] = ()) -> Schema:
    """An object with these properties (others allowed: answers may grow, CONTRACT.md)."""
    return {"type": "object", "required": list(required), "properties": properties}


def listing(item: Schema) -> Schema:
    """A list answer: ``{"items": [...], "next_cursor": ...}``."""
    return obj({"items": array(item), "next_cursor": NULLABLE_STRING}, ["items", "next_cursor"])


def query(name: str, description: str, schema: Schema | None = None) -> Schema:
    return {"name": name, "in": "query", "description": description, "schema": schema or STRING}


PAGE = [
    query("limit", "Số mục một trang (tối đa 200; số lớn hơn được giảm, không bị từ chối)"),
    query("cursor", "Vị trí trang sau: next_cursor của trang trước"),
]


def op(
    summary: str,
    *,
    tag: str,
    ok: int = 200,
    answer: Schema | None = None,
    body: Schema | None = None,
    errors: Iterable[int] = (),
    params: Iterable[Schema] = (),
    public: bool = False,
    content: str = JSON,
    upload: bool = False,
) -> dict[str, Any]:
    """One operation: ``ok`` answered with ``answer`` (as ``content``), the ``errors`` with
    the error JSON; ``body`` a JSON request body (``upload``: a multipart ``file`` instead);
    ``public`` needs no login, else 401 is among the answers."""
    responses: dict[str, Any] = {
        str(ok): {
            "description": "Thành công",
            "content": {content: {"schema": answer if answer is not None else OBJECT}},
        }
    }
    for status in sorted(set(errors) | (set() if public else {401})):
        responses[str(status)] = {"$ref": f"#/components/responses/E{status}"}
    operation: dict[str, Any] = {"summary": summary, "tags": [tag], "responses": responses}
    if public:
        operation["security"] = []
    if params:
        operation["parameters"] = list(params)
    if body is not None:
        operation["requestBody"] = {"required": True, "content": {JSON: {"schema": body}}}
    if upload:
        operation["requestBody"] = {
            "required": True,
            "content": {
                "multipart/form-data": {
                    "schema": obj(
                        {
                            "file": {
                                "type": "string",
                                "contentMediaType": "application/octet-stream",
                            }
                        },
                        ["file"],
                    )
                }
            },
        }
    return operation


def document(
    title: str,
    version: str,
    description: str,
    paths: dict[str, Any],
    path_params: dict[str, Schema] | None = None,
) -> dict[str, Any]:
    """The whole description of ``paths`` (each ``/api/v1/...`` to its operations by
    method), records still referred to in their files; :func:`bundle` before serving. Each
    ``{name}`` of a path is a required path parameter, a string unless ``path_params`` says."""
    for path, operations in paths.items():
        names = re.findall(r"{([^}]+)}", path)
        if names:
            operations["parameters"] = [
                {
                    "name": name,
                    "in": "path",
                    "required": True,
                    "schema": (path_params or {}).get(name, STRING),
                }
                for name in names
            ]
    return {
        "openapi": "3.1.0",
        "jsonSchemaDialect": "https://json-schema.org/draft/2020-12/schema",
        "info": {"title": title, "version": version, "description": description},
        "servers": [{"url": "/"}],
        "security": [{"bearer": []}],
        "paths": paths,
        "components": {
            "securitySchemes": {
                "bearer": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "Mã từ POST /api/v1/auth/token",
                }
            },
            "schemas": {"Error": ERROR_SCHEMA},
            "responses": {
                f"E{status}": {
                    "description": text,
                    "content": {JSON: {"schema": {"$ref": "#/components/schemas/Error"}}},
                }
                for status, text in ERRORS.items()
            },
        },
    }


_FILE_REF = re.compile(r"^([a-z_]+)\.json(#.*)?$")


def bundle(doc: dict[str, Any]) -> dict[str, Any]:
    """``doc`` with each schema file it refers to (``dossier.json#/...``) carried into
    ``components/schemas`` (without ``$id``/``$schema``, so references stay in the document)
    and each reference pointed there."""
    doc = copy.deepcopy(doc)
    used: set[str] = set()

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and (found := _FILE_REF.match(ref)):
                name, pointer = found.group(1), (found.group(2) or "#")[1:]
                used.add(name)
                node["$ref"] = f"#/components/schemas/{name}{pointer}"
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(doc)
    for name in sorted(used):
        schema = dict(_record_schema(name))
        schema.pop("$id", None)
        schema.pop("$schema", None)
        doc["components"]["schemas"][name] = schema
    return doc


@cache
def _record_schema(name: str) -> Schema:
    found: Schema = json.loads((SCHEMA_DIR / f"{name}.json").read_text(encoding="utf-8"))
    return found


def openapi_path(rule: str) -> str:
    """A Flask rule as an OpenAPI path: ``/dossiers/<id>`` → ``/dossiers/{id}``."""
    return re.sub(r"<(?:[^:<>]+(?:\([^)]*\))?:)?([^<>]+)>", r"{\1}", rule)


def described_routes(app: Flask, prefix: str = "/api/v1") -> set[tuple[str, str]]:
    """``(method, path)`` of every route of ``app`` under ``prefix``, as OpenAPI writes them."""
    found = set()
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith(prefix + "/") or rule.rule == prefix:
            for method in rule.methods or ():
                if method not in ("HEAD", "OPTIONS"):
                    found.add((method.lower(), openapi_path(rule.rule)))
    return found


def described(doc: dict[str, Any]) -> set[tuple[str, str]]:
    """``(method, path)`` of every operation a description holds."""
    methods = {"get", "put", "post", "delete", "patch", "head", "options", "trace"}
    return {(m, path) for path, ops in doc["paths"].items() for m in ops if m in methods}


def install_openapi(app: Flask, describe: Callable[[], dict[str, Any]]) -> None:
    """Serve ``GET /api/v1/openapi.json``: ``describe()``, bundled, built once per app."""
    bp = Blueprint("openapi", __name__, url_prefix="/api/v1")

    @bp.get("/openapi.json")
    def openapi() -> Response:
        """This app's OpenAPI 3.1 description (no login: it holds no data)."""
        built = current_app.extensions.get("openapi")
        if built is None:
            built = current_app.extensions["openapi"] = bundle(describe())
        return jsonify(built)

    app.register_blueprint(bp)
