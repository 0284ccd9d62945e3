"""The doorman of a view: a logged-in user is needed, of some roles if the view says so."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any, TypeVar

from flask import redirect, request, url_for

from .accounts import User
from .errors import RoleRefused, error_json

F = TypeVar("F", bound=Callable[..., Any])

BEARER_NEEDED = "Cần đăng nhập: gửi kèm mã truy cập (Bearer)."
ROLE_REFUSED = "Tài khoản của bạn không có quyền làm việc này."


@dataclass(frozen=True)
class Guard:
    """Decorates views with who may use them: ``@guard()`` any logged-in user,
    ``@guard("admin")`` only those roles.

    ``user`` names this request's user. Without one, a request under ``json_paths`` (or any
    request, when there is no ``login_endpoint``) gets 401 JSON with ``unauthorized``; a page
    redirects to ``login_endpoint`` with ``next``. A user of another role gets
    :class:`RoleRefused` (403), shown as the app shows errors.
    """

    user: Callable[[], User | None]
    login_endpoint: str | None = None
    json_paths: tuple[str, ...] = ()
    unauthorized: str = BEARER_NEEDED

    def __call__(self, *roles: str) -> Callable[[F], F]:
        def decorator(view: F) -> F:
            @wraps(view)
            def wrapped(*args: Any, **kwargs: Any) -> Any:
                user = self.user()
                if user is None:
                    if self.login_endpoint is None or request.path.startswith(self.json_paths):
                        return error_json(401, "unauthorized", self.unauthorized)
                    return redirect(url_for(self.login_endpoint, next=request.full_path))
                if roles and user.role not in roles:
                    raise RoleRefused(ROLE_REFUSED)
                return view(*args, **kwargs)

            return wrapped  # type: ignore[return-value]

        return decorator
