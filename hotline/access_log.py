"""The web access log, off by default, kept free of phone numbers and of lines a client can forge.

Production writes no line per request (it costs CPU on every webhook; the app logs what matters, never a
number). An operator who wants one sets HOTLINE_ACCESS_LOG=true: `create_app` then wraps the app in
AccessLogMiddleware, which writes `METHOD /path STATUS 12ms` to standard output under any server (the
Procfile's granian has no hotline logger of its own). AccessLog is the same record for gunicorn
(`--access-logfile - --logger-class hotline.access_log.AccessLog`), as `hotline dev` and older Procfiles ran.

An access record is made of what the client sent. A path with a number in it (a script still asking for
a conversation by its number in the URL) would put the number in the log; a URL-encoded newline would end
the record and start a line of the client's choosing, such as a fake audit entry.
"""

from __future__ import annotations

import re
import sys
import threading
import time
from collections.abc import Callable, Iterable
from typing import IO, Any

from gunicorn.glogging import Logger

# Seven digits or more, alone or written as people write numbers (+1 (555) 123-4567), and not inside a
# word: the hex of a number reference (n_3f9c1234567...) is not a number. An id of seven digits or more
# is masked too: the record loses it, but a parent's number never gets in.
PHONE_LIKE = re.compile(r"(?<!\w)\+?\d(?:[\s().-]*\d){6,}(?!\w)")
ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t"}


def private(text: str) -> str:
    """`text` with phone-number-like digits replaced by [number], and every character that is not
    printable (line breaks of every kind, terminal escapes) written as a backslash escape."""
    text = PHONE_LIKE.sub("[number]", text)
    if text.isprintable() and "\\" not in text and '"' not in text:
        return text
    return "".join(ESCAPES.get(char) or (char if char.isprintable() else _code(char)) for char in text)


def _code(char: str) -> str:
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


class PrivateAtoms(dict):  # type: ignore[type-arg]
    """gunicorn's SafeAtoms (a missing atom is '-', header atoms ignore case, quotes are escaped), with each
    value the format uses made private first."""

    def __getitem__(self, key: str) -> Any:
        value = self.get(key.lower() if key.startswith("{") else key, "-")
        return private(value) if isinstance(value, str) else value


class AccessLog(Logger):  # type: ignore[misc]
    """`--logger-class hotline.access_log.AccessLog`: gunicorn's logger with private access records."""

    atoms_wrapper_class = PrivateAtoms


class AccessLogMiddleware:
    """WSGI middleware writing one private record per request, `METHOD PATH STATUS Nms` (the format the
    Procfile's gunicorn line used: method, path without the query string, status, milliseconds)."""

    def __init__(self, app: Callable[..., Iterable[bytes]], stream: IO[str] | None = None) -> None:
        self.app = app
        self.stream = stream
        self.lock = threading.Lock()

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        started = time.perf_counter()
        status = ["-"]

        def record_status(code: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            status[0] = code.split(" ", 1)[0]
            return start_response(code, headers, exc_info)

        try:
            return self.app(environ, record_status)
        finally:
            ms = int((time.perf_counter() - started) * 1000)
            path = environ.get("SCRIPT_NAME", "") + environ.get("PATH_INFO", "")
            line = f"{private(environ.get('REQUEST_METHOD', '-'))} {private(path)} {status[0]} {ms}ms\n"
            stream = self.stream or sys.stdout
            with self.lock:
                stream.write(line)
                stream.flush()
