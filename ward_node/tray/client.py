"""The tray's calls to the ward node: log in with the tray's account, read the sync status,
pause, resume or sync now; each with a timeout, never through a proxy.

Authentication: the status endpoint needs a bearer token (docs/security.md), so the tray logs
in as an ordinary ward user made for it (``--user``; the password from ``WARD_TRAY_PASSWORD``,
from ``--password-file`` or from ``password`` in the config folder), keeps the token in memory
only, logs in again when the node answers 401, and after a refused login waits five minutes
before trying again, so a wrong password cannot lock the account (the node throttles logins).
"""

from __future__ import annotations

import threading
import time
from typing import Any

import requests

LOGIN_RETRY = 300.0  # seconds between logins after a refusal


class NodeUnreachable(Exception):
    """Raised when the ward node does not answer (not running, wrong address)."""


class NodeUntrusted(NodeUnreachable):
    """Raised when the node answers on https with a certificate the tray cannot trust (no
    ``--ca-bundle``, or the wrong one)."""


class LoginFailed(Exception):
    """Raised when the node refuses the tray's username and password."""


class BadReply(Exception):
    """Raised when the node answers something that is not the API's JSON."""


class NodeClient:
    """The few calls the tray makes to a ward node, each with a timeout."""

    def __init__(
        self,
        base_url: str,
        user: str,
        password: str,
        *,
        timeout: float = 5.0,
        ca_bundle: str | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.user, self.password, self.timeout = user, password, timeout
        self.session = requests.Session()
        self.session.trust_env = False  # the node is on the LAN: never through a proxy
        if ca_bundle:
            # A node behind the city's proxy on https, its certificate from the city's own CA
            # (docs/operations.md, "HTTPS"); else the CAs requests ships.
            self.session.verify = ca_bundle
        self._token: str | None = None
        self._login_after = 0.0
        self._lock = threading.Lock()

    def status(self) -> dict[str, Any]:
        """``GET /api/v1/sync/status``; raises NodeUnreachable, LoginFailed or BadReply."""
        return self.call("GET", "/api/v1/sync/status")

    def call(self, method: str, path: str) -> dict[str, Any]:
        """An authenticated API call; logs in (again) when needed."""
        for attempt in (1, 2):
            token = self._login()
            resp = self._send(method, path, {"Authorization": f"Bearer {token}"})
            if resp.status_code == 401 and attempt == 1:
                with self._lock:
                    self._token = None  # expired (12 h) or the node was reset: log in again
                continue
            return self._json(resp)
        raise LoginFailed("Máy chủ phường không nhận mã truy cập của khay.")

    def _login(self) -> str:
        with self._lock:
            if self._token:
                return self._token
            if time.monotonic() < self._login_after:
                raise LoginFailed("Đăng nhập bị từ chối; khay sẽ thử lại sau ít phút.")
            body = {"username": self.user, "password": self.password}
            resp = self._send("POST", "/api/v1/auth/token", {}, json=body)
            if resp.status_code in (401, 403, 429):
                self._login_after = time.monotonic() + LOGIN_RETRY
                raise LoginFailed(_error_message(resp) or "Tên đăng nhập hoặc mật khẩu không đúng.")
            token = self._json(resp).get("token")
            if not isinstance(token, str):
                raise BadReply("Máy chủ phường không trả về mã truy cập.")
            self._token = token
            return token

    def _send(self, method: str, path: str, headers: dict[str, str], **kw: Any) -> Any:
        try:
            return self.session.request(
                method, self.base_url + path, headers=headers, timeout=self.timeout, **kw
            )
        except requests.exceptions.SSLError as exc:
            raise NodeUntrusted(
                f"Máy chủ phường {self.base_url} trả lời bằng chứng chỉ không tin cậy được: "
                "hãy chỉ cho khay tệp chứng chỉ CA của thành phố (--ca-bundle hoặc "
                "WARD_TRAY_CA_BUNDLE), hoặc báo cán bộ tin học."
            ) from exc
        except requests.Timeout as exc:
            raise NodeUnreachable(
                f"Máy chủ phường {self.base_url} không trả lời kịp. Nếu lỗi kéo dài, hãy báo "
                "cán bộ tin học."
            ) from exc
        except requests.RequestException as exc:
            raise NodeUnreachable(
                f"Không liên lạc được với máy chủ phường {self.base_url}: phần mềm phường chưa "
                "chạy, máy chủ phường đang tắt, hoặc địa chỉ --node bị sai. Hãy bật máy chủ "
                "phường hoặc báo cán bộ tin học."
            ) from exc

    @staticmethod
    def _json(resp: Any) -> dict[str, Any]:
        try:
            body = resp.json()
        except ValueError:
            body = None
        if not isinstance(body, dict):
            raise BadReply(f"Máy chủ phường trả lời HTTP {resp.status_code}, không phải JSON.")
        if resp.status_code >= 400:
            raise BadReply(
                _error_message(resp) or f"Máy chủ phường trả lời HTTP {resp.status_code}."
            )
        return body


def _error_message(resp: Any) -> str:
    try:
        return str(resp.json()["error"]["message"])
    except (ValueError, KeyError, TypeError):
        return ""
