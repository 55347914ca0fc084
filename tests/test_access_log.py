"""The web process as the Procfile runs it: no phone number in any of its logs, and no log line a URL can forge."""

from __future__ import annotations

import http.client
import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from hotline.redis_server import free_port
from hotline.store.staff_tokens import StaffTokens
from tests.conftest import AUTH_TOKEN, PUBLIC_BASE_URL
from tests.support.signed import new_sid

ROOT = Path(__file__).resolve().parent.parent
PARENT = "+15551230101"
# One access record: the Procfile's format, '%(m)s %(U)s %(s)s %(M)sms'.
RECORD = re.compile(r"^[A-Z]+ /.* \d{3} \d+ms$")


def procfile_web_command() -> str:
    [line] = [line for line in (ROOT / "Procfile").read_text().splitlines() if line.startswith("web:")]
    command = line.removeprefix("web:").strip()
    assert "--bind 0.0.0.0:$PORT" in command
    return command.replace("--bind 0.0.0.0:$PORT", "--bind 127.0.0.1:$PORT")  # loopback only, for a test


@dataclass
class Web:
    port: int
    stdout: Path
    stderr: Path
    started: int = 0  # access records written before the test's own requests

    def request(self, method: str, path: str, body: dict | None = None, token: str | None = None,
                **headers: str) -> int:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        if token:
            headers["Authorization"] = f"Bearer {token}"
        data = None
        if body is not None:
            data, headers["Content-Type"] = json.dumps(body), "application/json"
        connection.request(method, path, body=data, headers=headers)
        status = connection.getresponse().status
        connection.close()
        return status

    def records(self) -> list[str]:
        return [line for line in self.stdout.read_text().splitlines() if re.search(r" \d+ms$", line)]

    def logged(self, requests: int) -> str:
        """Everything the process wrote, once its access log has a record of `requests` more requests."""
        deadline = time.monotonic() + 10
        while len(self.records()) < self.started + requests and time.monotonic() < deadline:
            time.sleep(0.02)  # a record is written just after its answer is sent
        return self.stdout.read_text() + self.stderr.read_text()


@pytest.fixture
def web(redis_server, redis, tmp_path) -> Iterator[Web]:
    """gunicorn started with the Procfile's own web line, in production, its output kept in files."""
    port = free_port()
    env = dict(os.environ, PORT=str(port), WEB_CONCURRENCY="1", GUNICORN_THREADS="2", HOTLINE_ENV="production",
               REDIS_URL=redis_server.url, TWILIO_AUTH_TOKEN=AUTH_TOKEN, HOTLINE_SECRET_KEY="access-log-test",
               PUBLIC_BASE_URL=PUBLIC_BASE_URL, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    web = Web(port, tmp_path / "stdout", tmp_path / "stderr")
    with web.stdout.open("wb") as out, web.stderr.open("wb") as err:
        process = subprocess.Popen(["sh", "-c", "exec " + procfile_web_command()], env=env, cwd=tmp_path,
                                   stdout=out, stderr=err)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if web.request("GET", "/healthz") == 200:
                    break
            except OSError:
                assert time.monotonic() < deadline, web.stderr.read_text()
                time.sleep(0.1)
        web.logged(1)
        web.started = len(web.records())
        yield web
    finally:
        process.terminate()
        process.wait(timeout=10)


def signed_sms(web: Web, body: str, number: str) -> int:
    from urllib.parse import urlencode

    from twilio.request_validator import RequestValidator

    params = {"MessageSid": new_sid("SM"), "AccountSid": "AC" + "0" * 32, "From": number, "To": "+15005550006",
              "Body": body}
    signature = RequestValidator(AUTH_TOKEN).compute_signature(f"{PUBLIC_BASE_URL}/twilio/sms", params)
    connection = http.client.HTTPConnection("127.0.0.1", web.port, timeout=10)
    connection.request("POST", "/twilio/sms", body=urlencode(params), headers={
        "X-Twilio-Signature": signature, "Content-Type": "application/x-www-form-urlencoded"})
    status = connection.getresponse().status
    connection.close()
    return status


def test_no_phone_number_reaches_the_web_logs_however_staff_or_strangers_ask_for_a_conversation(web, redis):
    assert signed_sms(web, "my 5 week old is shaking and has a fever of 38.5", PARENT) == 200
    token = StaffTokens(redis).create("nurse")
    lookup = web.request("POST", "/api/conversations/lookup", {"number": PARENT}, token)
    # The review's request (no token needed for the log line), an old script's with a token, other spellings.
    asked = [web.request("GET", f"/api/conversations/{PARENT}"),
             web.request("GET", f"/api/conversations/{PARENT}", token=token),
             web.request("GET", "/api/conversations/%2B15551230101", token=token),
             web.request("GET", "/api/conversations/(555)%20123-0101", token=token),
             web.request("GET", "/staff/conversations/15551230101")]
    logged = web.logged(2 + len(asked))
    assert "assessment urgent for n_" in logged  # the app's own log lines were captured too
    for spelling in (PARENT, PARENT[2:], "123-0101"):
        assert spelling not in logged, f"{spelling!r} is in the web process's logs"
    assert lookup == 200
    assert all(status in (302, 401, 404, 405) for status in asked), asked


FORGED = "2026-12-04 17:02:00,000 INFO hotline.staff.dashboard: staff lee revealed the number of n_5c629ebc31"


@pytest.mark.parametrize("separator", ["%0a", "%0d", "%0d%0a", "%0b", "%C2%85", "%1b%5b2K%0d"])
def test_a_url_encoded_line_break_cannot_forge_a_line_in_the_access_log(web, separator):
    web.request("GET", f"/staff/x{separator}{FORGED.replace(' ', '%20')}{separator}")
    logged = web.logged(1)
    access = web.stdout.read_text()
    assert "\x1b" not in access
    lines = access.splitlines()  # every line break Python knows: \n, \r, \x85, \u2028 ...
    assert not [line for line in lines if line.startswith(FORGED[:23])], logged
    assert all(RECORD.match(line) for line in lines), lines
