"""A fake Twilio REST API on loopback: the far edge of the system, the only part the tests fake.

It accepts `POST /2010-04-01/Accounts/{AccountSid}/Messages.json` the way Twilio does (form
parameters, HTTP basic auth, 201 with the message JSON), records every request, and can answer
Twilio's errors on demand.
"""

from __future__ import annotations

import base64
import itertools
import json
import re
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

MESSAGES_PATH = re.compile(r"^/2010-04-01/Accounts/(?P<sid>AC[0-9a-zA-Z]+)/Messages\.json$")

ERRORS = {
    21610: (400, "Attempt to send to unsubscribed recipient"),
    21211: (400, "The 'To' number is not a valid phone number."),
    21614: (400, "'To' number is not a valid mobile number"),
    20429: (429, "Too Many Requests"),
    20500: (500, "Internal Server Error"),
}


@dataclass
class FakeMessage:
    sid: str
    account_sid: str
    to: str
    from_: str | None
    messaging_service_sid: str | None
    body: str
    status_callback: str | None
    auth_ok: bool


@dataclass
class FakeTwilio:
    """Start with `with FakeTwilio(account_sid, auth_token) as fake:`; read `fake.messages`."""

    account_sid: str
    auth_token: str
    messages: list[FakeMessage] = field(default_factory=list)
    requests: int = 0
    delay: float = 0.0  # seconds to wait before answering a message request (a slow Twilio)
    received: int = 0  # message requests that arrived, counted before the delay
    _planned: list[int] = field(default_factory=list)
    _per_number: dict[str, int] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _server: ThreadingHTTPServer | None = None
    _counter: itertools.count = field(default_factory=lambda: itertools.count(1))

    @property
    def base_url(self) -> str:
        assert self._server is not None
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def fail_next(self, code: int, times: int = 1) -> None:
        """The next `times` message requests answer Twilio error `code` (21610, 21211, 21614, 20429, 20500)."""
        with self._lock:
            self._planned.extend([code] * times)

    def fail_for(self, number: str, code: int) -> None:
        """Every message to `number` answers Twilio error `code`."""
        with self._lock:
            self._per_number[number] = code

    def reset(self) -> None:
        with self._lock:
            self.messages.clear()
            self._planned.clear()
            self._per_number.clear()
            self.requests = 0
            self.delay = 0.0
            self.received = 0

    def bodies_to(self, number: str) -> list[str]:
        with self._lock:
            return [m.body for m in self.messages if m.to == number]

    def _handle(self, path: str, auth: str | None, form: dict[str, str]) -> tuple[int, dict[str, object]]:
        match = MESSAGES_PATH.match(path)
        if not match:
            return 404, {"code": 20404, "message": "The requested resource was not found", "status": 404}
        expected = "Basic " + base64.b64encode(f"{self.account_sid}:{self.auth_token}".encode()).decode()
        if auth != expected or match["sid"] != self.account_sid:
            return 401, {"code": 20003, "message": "Authenticate", "status": 401}
        to = form.get("To", "")
        with self._lock:
            self.received += 1
        if self.delay:
            time.sleep(self.delay)
        if not form.get("Body") or not to or not (form.get("From") or form.get("MessagingServiceSid")):
            return 400, {"code": 21604, "message": "A 'To', 'From' and 'Body' are required", "status": 400}
        with self._lock:
            self.requests += 1
            code = self._per_number.get(to) or (self._planned.pop(0) if self._planned else None)
            if code:
                status, text = ERRORS.get(code, (400, "Error"))
                return status, {"code": code, "message": text, "status": status, "more_info": ""}
            sid = f"SM{next(self._counter):032x}"
            self.messages.append(
                FakeMessage(sid, self.account_sid, to, form.get("From"), form.get("MessagingServiceSid"),
                            form["Body"], form.get("StatusCallback"), True)
            )
        return 201, {
            "sid": sid, "account_sid": self.account_sid, "to": to, "from": form.get("From"),
            "messaging_service_sid": form.get("MessagingServiceSid"), "body": form["Body"],
            "status": "queued", "num_segments": "1", "direction": "outbound-api",
            "uri": f"/2010-04-01/Accounts/{self.account_sid}/Messages/{sid}.json",
        }

    def start(self) -> FakeTwilio:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length).decode()
                form = {k: v[0] for k, v in parse_qs(raw, keep_blank_values=True).items()}
                status, payload = fake._handle(self.path, self.headers.get("Authorization"), form)
                body = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:  # keep test output quiet
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server:
            self._server.shutdown()
            self._server.server_close()

    def __enter__(self) -> FakeTwilio:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
