"""What a JSON API view reads of its request."""

from __future__ import annotations

from typing import Any

from flask import request

from sync import ValidationError


def json_body() -> dict[str, Any]:
    """The request's JSON object (its nesting bounded by the app's JSON provider); a 422
    ``bad_json`` that says what to send when the body is not a JSON object."""
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise ValidationError(
            "Nội dung gửi lên phải là một đối tượng JSON (Content-Type: application/json).",
            code="bad_json",
            field="body",
        )
    return body
