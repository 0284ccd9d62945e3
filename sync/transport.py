"""HTTP transport of the node protocol: envelopes in, envelopes out, errors as exceptions."""

from __future__ import annotations

from typing import Any

import requests

from .errors import RemoteRefused, TransportError

ENVELOPE_TYPE = "application/vnd.wardsync.envelope"


def _unreachable(url: str, exc: requests.RequestException) -> str:
    """Why the hub could not be reached, in words (the exception class stays in the log)."""
    if isinstance(exc, requests.Timeout):
        why = "máy chủ không trả lời kịp (quá thời gian chờ)"
    elif isinstance(exc, requests.ConnectionError):
        why = "máy chủ đang tắt hoặc đường truyền bị mất"
    else:
        why = "lỗi đường truyền"
    return f"Không kết nối được máy chủ trung tâm {url}: {why}. Dữ liệu vẫn lưu ở phường và sẽ gửi khi có mạng."


class HttpTransport:
    """Posts envelopes to a hub (or any peer) over plain HTTP; the envelope is the security."""

    def __init__(self, base_url: str, *, timeout: float = 30.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.session = requests.Session()
        # The intranet has no proxy; never let an environment proxy see sync traffic.
        self.session.trust_env = False

    def close(self) -> None:
        """Close the pooled connections."""
        self.session.close()

    def post(self, path: str, body: bytes) -> bytes:
        """POST an envelope; return the reply body.

        Raises :class:`TransportError` when the peer cannot be reached or fails (5xx), and
        :class:`RemoteRefused` when it refuses with a 4xx (its message kept).
        """
        try:
            resp = self.session.post(
                self.base_url + path,
                data=body,
                headers={"Content-Type": ENVELOPE_TYPE},
                timeout=self.timeout,
            )
        except requests.RequestException as exc:
            raise TransportError(_unreachable(self.base_url, exc), code="unreachable") from exc
        return self._check(resp)

    def get_json(self, path: str) -> Any:
        """GET a JSON document (the hub's public identity)."""
        try:
            resp = self.session.get(self.base_url + path, timeout=self.timeout)
        except requests.RequestException as exc:
            raise TransportError(_unreachable(self.base_url, exc), code="unreachable") from exc
        self._check(resp)
        try:
            return resp.json()
        except ValueError as exc:
            raise TransportError(
                "Máy chủ trung tâm trả lời không phải JSON.", code="bad_reply"
            ) from exc

    @staticmethod
    def _check(resp: requests.Response) -> bytes:
        if resp.status_code < 300:
            return resp.content
        code, message = "refused", f"Máy chủ trung tâm trả lời HTTP {resp.status_code}."
        try:
            err = resp.json()["error"]
            code, message = str(err["code"]), str(err["message"])
        except (ValueError, KeyError, TypeError):
            pass
        if resp.status_code >= 500:
            raise TransportError(message, code="hub_error", http_status=resp.status_code)
        raise RemoteRefused(message, code=code, http_status=resp.status_code)
