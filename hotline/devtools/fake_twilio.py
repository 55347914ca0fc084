"""A fake Twilio REST API on loopback: the far edge of the system, the only part the tests fake.

It accepts `POST /2010-04-01/Accounts/{AccountSid}/Messages.json` the way Twilio does (form
parameters, HTTP basic auth, 201 with the message JSON), records every request, and can answer
Twilio's errors on demand. `GET` on the same path lists the messages (newest first, `To` and `From`
filters), as the reminders' reconciliation of an abandoned send asks it.
"""

from __future__ import annotations

import base64
import itertools
import json
import re
import ssl
import threading
import time
from dataclasses import dataclass, field
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

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
    at: float = 0.0  # when the fake accepted it (epoch)

    def to_json(self) -> dict[str, object]:
        return {
            "sid": self.sid, "account_sid": self.account_sid, "to": self.to, "from": self.from_,
            "messaging_service_sid": self.messaging_service_sid, "body": self.body,
            "status": "queued", "num_segments": "1", "direction": "outbound-api",
            "date_created": formatdate(self.at, usegmt=True), "date_sent": None,
            "uri": f"/2010-04-01/Accounts/{self.account_sid}/Messages/{self.sid}.json",
        }


@dataclass
class FakeTwilio:
    """Start with `with FakeTwilio(account_sid, auth_token) as fake:`; read `fake.messages`."""

    account_sid: str
    auth_token: str
    messages: list[FakeMessage] = field(default_factory=list)
    requests: int = 0
    delay: float = 0.0  # seconds to wait before answering a message request (a slow Twilio)
    received: int = 0  # message requests that arrived, counted before the delay
    lookups: int = 0  # message list requests
    _planned: list[int] = field(default_factory=list)
    _per_number: dict[str, int] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _server: ThreadingHTTPServer | None = None
    _counter: itertools.count = field(default_factory=lambda: itertools.count(1))
    tls: ssl.SSLContext | None = None  # serve HTTPS (as "localhost") with this server context

    @property
    def base_url(self) -> str:
        assert self._server is not None
        host, port = self._server.server_address[:2]
        host = host.decode() if isinstance(host, bytes) else host
        return f"https://localhost:{port}" if self.tls else f"http://{host}:{port}"

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
            self.lookups = 0

    def bodies_to(self, number: str) -> list[str]:
        with self._lock:
            return [m.body for m in self.messages if m.to == number]

    def _refused(self, path: str, auth: str | None) -> tuple[int, dict[str, object]] | None:
        """Twilio's answer to a request for another path (404) or without this account's credentials (401)."""
        match = MESSAGES_PATH.match(path)
        if not match:
            return 404, {"code": 20404, "message": "The requested resource was not found", "status": 404}
        expected = "Basic " + base64.b64encode(f"{self.account_sid}:{self.auth_token}".encode()).decode()
        if auth != expected or match["sid"] != self.account_sid:
            return 401, {"code": 20003, "message": "Authenticate", "status": 401}
        return None

    def _list(self, path: str, auth: str | None, query: dict[str, str]) -> tuple[int, dict[str, object]]:
        if (refused := self._refused(path, auth)) is not None:
            return refused
        size = min(int(query.get("PageSize") or 50), 1000)
        with self._lock:
            self.lookups += 1
            found = [m for m in reversed(self.messages)
                     if (not query.get("To") or m.to == query["To"])
                     and (not query.get("From") or m.from_ == query["From"])][:size]
        return 200, {"messages": [m.to_json() for m in found], "uri": path, "first_page_uri": path,
                     "next_page_uri": None, "previous_page_uri": None, "page": 0, "page_size": size,
                     "start": 0, "end": len(found)}

    def _handle(self, path: str, auth: str | None, form: dict[str, str]) -> tuple[int, dict[str, object]]:
        if (refused := self._refused(path, auth)) is not None:
            return refused
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
            message = FakeMessage(sid, self.account_sid, to, form.get("From"), form.get("MessagingServiceSid"),
                                  form["Body"], form.get("StatusCallback"), True, time.time())
            self.messages.append(message)
        return 201, message.to_json()

    def start(self) -> FakeTwilio:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # Headers and body leave in one write, without Nagle's algorithm: otherwise each answer
            # waits for the client's delayed ACK (tens of ms) and the fake, not the code, sets the pace.
            disable_nagle_algorithm = True

            def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
                length = int(self.headers.get("Content-Length") or 0)
                data = self.rfile.read(length)
                if len(data) < length:  # the client died mid-request: like Twilio, accept nothing
                    self.close_connection = True
                    return
                raw = data.decode()
                form = {k: v[0] for k, v in parse_qs(raw, keep_blank_values=True).items()}
                status, payload = fake._handle(self.path, self.headers.get("Authorization"), form)
                self._answer(status, payload)

            def do_GET(self) -> None:  # noqa: N802
                url = urlsplit(self.path)
                query = {k: v[0] for k, v in parse_qs(url.query).items()}
                self._answer(*fake._list(url.path, self.headers.get("Authorization"), query))

            def _answer(self, status: int, payload: dict[str, object]) -> None:
                body = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self._headers_buffer.append(b"\r\n" + body)  # type: ignore[attr-defined]  # http.server's own
                try:
                    self.flush_headers()
                except OSError:  # the client died mid-request (the soak tests kill workers)
                    self.close_connection = True

            def handle_one_request(self) -> None:
                try:
                    super().handle_one_request()
                except OSError:  # a killed client's connection
                    self.close_connection = True

            def log_message(self, *args: object) -> None:  # keep test output quiet
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        if self.tls:  # the handshake happens in each connection's own thread, on its first read
            self._server.socket = self.tls.wrap_socket(self._server.socket, server_side=True,
                                                       do_handshake_on_connect=False)
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
