"""The log format: text lines (the default), or with HOTLINE_LOG_FORMAT=json one JSON object per line.

A JSON line has `time`, `level`, `logger` and `message`; during a web request also `request_id` (the request's
X-Request-Id when it is a plain token, else a new one) and `route` (the URL rule, `/staff/conversations/<ref>`,
never the path a client typed); `number` when the line is about a number (its reference, `n_...`, which the
message already names or a webhook noted); and `exception` for a failure. With HOTLINE_ACCESS_LOG=true each
request also gets its own line, with `method`, `status` and `duration_ms`.

The same privacy rules as the text lines: a number only as its reference, no message text (no log call passes
any), and, as in the access log, digits that look like a phone number written [number] and control characters
escaped by JSON itself, so no value can start a line of its own.
"""

from __future__ import annotations

import contextvars
import functools
import json
import logging
import re
import sys
import time
import uuid
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from hotline.settings import Settings

if TYPE_CHECKING:
    from hotline.privacy import NumberRefs

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
NUMBER_REF = re.compile(r"(?<!\w)n_[0-9a-f]{16}(?!\w)")
REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")
# The request being answered in this thread: its fields for every line logged meanwhile (set only in JSON mode).
REQUEST: contextvars.ContextVar[dict[str, Any] | None] = contextvars.ContextVar("hotline_request", default=None)


def configure_logging(settings: Settings) -> None:
    """Text lines on standard error as before, or JSON lines on standard output (HOTLINE_LOG_FORMAT=json)."""
    if settings.log_format != "json":
        logging.basicConfig(level=logging.INFO, format=TEXT_FORMAT)
        return
    root = logging.getLogger()
    if not any(isinstance(handler.formatter, JsonFormatter) for handler in root.handlers):
        # basicConfig's plain stream handler (a server or an earlier app may have made one) would write each
        # line a second time, as text; other handlers (a test's capture) stay.
        for handler in [h for h in root.handlers if type(h) is logging.StreamHandler]:
            root.removeHandler(handler)
        handler = logging.StreamHandler(sys.stdout)
        handler.setFormatter(JsonFormatter())
        root.addHandler(handler)
    root.setLevel(logging.INFO)


class JsonFormatter(logging.Formatter):
    def __init__(self) -> None:
        super().__init__()
        # The access log's pattern (imported here: that module loads gunicorn's logging, which text mode needs not).
        from hotline.access_log import PHONE_LIKE

        self.mask = functools.partial(PHONE_LIKE.sub, "[number]")

    def format(self, record: logging.LogRecord) -> str:
        message = self.mask(record.getMessage())
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname, "logger": record.name, "message": message,
        }
        fields = REQUEST.get()
        if fields is not None:
            entry["request_id"] = request_id(fields)
            entry["route"] = fields["route"]
        for name in ("method", "status", "duration_ms"):
            if hasattr(record, name):
                value = getattr(record, name)
                entry[name] = self.mask(value) if isinstance(value, str) else value
        number = getattr(record, "number", None) or (fields or {}).get("number")
        if number is None:
            found = NUMBER_REF.search(message)
            number = found.group(0) if found else None
        if number:
            entry["number"] = number
        if record.exc_info:
            entry["exception"] = self.mask(self.formatException(record.exc_info))
        return json.dumps(entry)


def request_id(fields: dict[str, Any]) -> str:
    """The request's id: its X-Request-Id when that is a plain token, else a new one; made when a line first needs
    it (most requests log nothing), then the same for every line of the request."""
    found = fields["request_id"]
    if found is None:
        given = fields.pop("given", "")
        found = fields["request_id"] = given if REQUEST_ID.fullmatch(given) else uuid.uuid4().hex[:16]
    return found  # type: ignore[no-any-return]


def note_route() -> None:
    """The app's first before_request hook in JSON mode: the URL rule the request matched (never a value a client
    typed: /staff/conversations/<ref>), or `unmatched`."""
    fields = REQUEST.get()
    if fields is not None:
        from flask import request

        rule = request.url_rule
        fields["route"] = rule.rule if rule is not None else "unmatched"


def note_number(refs: NumberRefs, number: str) -> None:
    """A webhook names the parent's number: lines of this request carry its reference (JSON mode only; otherwise
    this costs one context lookup)."""
    fields = REQUEST.get()
    if fields is not None and number:
        fields["number"] = refs.of(number)


class RequestLog:
    """WSGI middleware for JSON mode: a request id and the route on every line of a request, and, with
    `records`, one line per request with its status and duration. Without `records` it only sets the fields (the
    id is made by the first line that needs it): no clock, no wrapped start_response."""

    def __init__(self, app: Callable[..., Iterable[bytes]], records: bool) -> None:
        self.app = app
        self.records = records
        self.log = logging.getLogger("hotline.access")

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        fields: dict[str, Any] = {"route": "unmatched", "request_id": None,
                                  "given": environ.get("HTTP_X_REQUEST_ID", "")}
        token = REQUEST.set(fields)
        if not self.records:
            try:
                return self.app(environ, start_response)
            finally:
                REQUEST.reset(token)
        started = time.perf_counter()
        status = ["500"]

        def record_status(code: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            status[0] = code[:3]
            return start_response(code, headers, exc_info)

        try:
            return self.app(environ, record_status)
        finally:
            method = str(environ.get("REQUEST_METHOD", "-"))[:16]
            self.log.info("%s %s %s", method, fields["route"], status[0], extra={
                "method": method, "status": int(status[0]) if status[0].isdigit() else status[0],
                "duration_ms": round((time.perf_counter() - started) * 1000, 1)})
            REQUEST.reset(token)
