"""How much a request may send: 64 KB everywhere (webhooks, forms, JSON), more only where a view says so.

Flask (3.1 and later) reads the limit from `request.max_content_length`, which a request may set for itself.
Setting it inside the view is too late for a dashboard form: Flask-WTF's CSRF check is a before_request
hook that parses the whole form first, under the app-wide cap. So a view declares its limit with
`@accepts_upload(...)`, and `raise_upload_limit` sets it for that request before any hook reads the body;
create_app registers it before CSRFProtect, because hooks run in the order they were registered.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import IO, Any, TypeVar

from flask import Request, current_app, request

View = TypeVar("View", bound=Callable[..., Any])


def accepts_upload(max_bytes: int, *, only_if: Callable[[], bool] | None = None) -> Callable[[View], View]:
    """Let this view's requests be up to `max_bytes` (instead of the app's 64 KB), when `only_if()` holds."""

    def mark(view: View) -> View:
        view.upload_limit = (max_bytes, only_if)  # type: ignore[attr-defined]
        return view

    return mark


def raise_upload_limit() -> None:
    """before_request: the limit the matched view declared, for this request only."""
    view = current_app.view_functions.get(request.endpoint or "")
    declared = getattr(view, "upload_limit", None)
    if declared is None:
        return
    max_bytes, only_if = declared
    if only_if is None or only_if():
        request.max_content_length = max_bytes


def size_label(size: int) -> str:
    """2097152 -> '2 MB', 65536 -> '64 KB' (the binary units the limits are written in)."""
    if size >= 1024 * 1024 and size % (1024 * 1024) == 0:
        return f"{size // (1024 * 1024)} MB"
    return f"{size // 1024} KB"


class HotlineRequest(Request):
    """Uploads stay in memory (bounded by the request's limit, 2 MB at most) and never reach the disk:
    Werkzeug spools a file part over 500 KB to a temporary file."""

    def _get_file_stream(self, total_content_length: int | None, content_type: str | None,
                         filename: str | None = None, content_length: int | None = None) -> IO[bytes]:
        return io.BytesIO()
