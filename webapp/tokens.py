"""``POST <prefix>/auth/token``: a username and password exchanged for a bearer token."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify, request

from sync import ValidationError

from .accounts import authenticate, issue_token
from .session import client_address
from .site import db


def token_blueprint(url_prefix: str) -> Blueprint:
    """The token endpoint under ``url_prefix`` (both apps: ``/api/v1``)."""
    bp = Blueprint("auth", __name__, url_prefix=url_prefix)
    bp.add_url_rule("/auth/token", "token", token, methods=["POST"])
    return bp


def token() -> Response:
    """Exchange a username and password for a bearer token."""
    body = request.get_json(silent=True) or {}
    if not isinstance(body, dict):
        raise ValidationError(
            'Gửi {"username": ..., "password": ...} dạng JSON.', code="bad_json", field="body"
        )
    conn = db()
    user = authenticate(
        conn, str(body.get("username", "")), str(body.get("password", "")), client_address()
    )
    value, expires = issue_token(conn, user)
    return jsonify(
        {"token": value, "expires_at": expires.isoformat(timespec="seconds"), "role": user.role}
    )
