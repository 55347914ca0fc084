"""The web process as the Procfile runs it: no access line per request unless the operator turns the access log
on, no phone number in any of its logs, and no log line a URL can forge."""

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

from hotline.devtools.signed import new_sid
from hotline.redis_server import free_port
from hotline.store.staff_tokens import StaffTokens
from tests.conftest import AUTH_TOKEN, PUBLIC_BASE_URL

ROOT = Path(__file__).resolve().parent.parent
PARENT = "+15551230101"
# One access record: method, path without the query string, status, milliseconds (hotline.access_log).
RECORD = re.compile(r"^[A-Z]+ /.* \d{3} \d+ms$")


def procfile_web_command() -> str:
    [line] = [line for line in (ROOT / "Procfile").read_text().splitlines() if line.startswith("web:")]
    command = line.removeprefix("web:").strip()
    assert "0.0.0.0" in command and "$PORT" in command
    return command.replace("0.0.0.0", "127.0.0.1")  # loopback only, for a test


@dataclass
class Web:
    port: int
    stdout: Path
    stderr: Path
    started: int = 0  # access records written before the test's own requests
    preamble: int = 0  # lines on stdout before them (the server's own start-up lines)

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


# gunicorn with the same private record, as an operator who runs gunicorn instead turns its access log on.
GUNICORN = ("gunicorn --bind 127.0.0.1:$PORT --workers 1 --threads 2 --access-logfile - "
            "--logger-class hotline.access_log.AccessLog --access-logformat '%(m)s %(U)s %(s)s %(M)sms' "
            "'hotline:create_app()'")


def start_web(redis_server, tmp_path, command: str | None = None, **extra_env: str) -> tuple[Web, subprocess.Popen]:
    """The Procfile's own web line (or `command`), in production, its output kept in files."""
    port = free_port()
    env = dict(os.environ, PORT=str(port), WEB_CONCURRENCY="1", HOTLINE_ENV="production",
               REDIS_URL=redis_server.url, TWILIO_AUTH_TOKEN=AUTH_TOKEN, HOTLINE_SECRET_KEY="access-log-test",
               PUBLIC_BASE_URL=PUBLIC_BASE_URL, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
               **extra_env)
    web = Web(port, tmp_path / "stdout", tmp_path / "stderr")
    with web.stdout.open("wb") as out, web.stderr.open("wb") as err:
        process = subprocess.Popen(["sh", "-c", "exec " + (command or procfile_web_command())], env=env, cwd=tmp_path,
                                   stdout=out, stderr=err)
    deadline = time.monotonic() + 30
    while True:
        try:
            if web.request("GET", "/healthz") == 200:
                break
        except OSError:
            if time.monotonic() > deadline:
                process.kill()
                raise AssertionError(web.stderr.read_text()) from None
            time.sleep(0.1)
    return web, process


def stop(process: subprocess.Popen) -> None:
    """Stop a web process as a platform does: SIGTERM, then as long as its graceful shutdown may take (gunicorn's
    graceful timeout is 30 s: on a loaded machine a worker can take more than a few seconds to finish), then kill."""
    process.terminate()
    try:
        process.wait(timeout=40)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)


@pytest.fixture(params=["procfile", "gunicorn"])
def web(request, redis_server, redis, tmp_path) -> Iterator[Web]:
    """The Procfile's web line with the access log turned on, as an operator turns it on; or gunicorn with
    hotline.access_log.AccessLog."""
    if request.param == "procfile":
        web, process = start_web(redis_server, tmp_path, HOTLINE_ACCESS_LOG="true")
    else:
        web, process = start_web(redis_server, tmp_path, GUNICORN)
    try:
        web.logged(1)
        web.started = len(web.records())
        web.preamble = len(web.stdout.read_text().splitlines())
        yield web
    finally:
        stop(process)


def test_by_default_the_web_process_writes_no_line_per_request_but_still_logs_what_matters(
        redis_server, redis, tmp_path):
    web, process = start_web(redis_server, tmp_path)
    try:
        assert signed_sms(web, "my 5 week old is shaking and has a fever of 38.5", PARENT) == 200
        for _ in range(5):
            assert web.request("GET", "/healthz") == 200
        deadline = time.monotonic() + 10
        while "assessment urgent for n_" not in web.stderr.read_text() + web.stdout.read_text():
            assert time.monotonic() < deadline, "the app's own log line never came"
            time.sleep(0.05)
    finally:
        stop(process)
    logged = web.stdout.read_text() + web.stderr.read_text()
    assert web.records() == [], "an access record was written without HOTLINE_ACCESS_LOG"
    assert "/healthz" not in logged and "/twilio/sms" not in logged
    assert PARENT not in logged and PARENT[2:] not in logged


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
    lines = access.splitlines()[web.preamble:]  # every line break Python knows: \n, \r, \x85, \u2028 ...
    assert not [line for line in lines if line.startswith(FORGED[:23])], logged
    assert all(RECORD.match(line) for line in lines), lines
