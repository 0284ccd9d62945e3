"""The API's bearer tokens (``POST /api/v1/auth/token``): a username and password exchanged
for a token every other ``/api/v1`` call carries."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify, request

from sync import ValidationError
from webapp import authenticate, issue_token

from .web import client_address, db

bp = Blueprint("tokens", __name__, url_prefix="/api/v1")


@bp.post("/auth/token")
def token() -> Response:
    """Exchange a username and password for a bearer token."""
    body = request.get_json(silent=True) or {}
    if not isinstance(body, dict):
        raise ValidationError(
            'Gửi {"username": ..., "password": ...} dạng JSON.', code="bad_json", field="body"
        )
    user = authenticate(
        db(), str(body.get("username", "")), str(body.get("password", "")), client_address()
    )
    value, expires = issue_token(db(), user)
    return jsonify(
        {"token": value, "expires_at": expires.isoformat(timespec="seconds"), "role": user.role}
    )
