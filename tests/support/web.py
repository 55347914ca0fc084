"""The Procfile's web line, started as a platform starts it, in production, for tests that need real web processes."""

from __future__ import annotations

import http.client
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

from twilio.request_validator import RequestValidator

from hotline.devtools.signed import new_sid
from hotline.redis_server import free_port
from tests.conftest import AUTH_TOKEN, PUBLIC_BASE_URL

ROOT = Path(__file__).resolve().parent.parent.parent


@dataclass
class WebLine:
    port: int
    stdout: Path
    stderr: Path

    def call(self, method: str, path: str, body: str | None = None, **headers: str) -> tuple[int, str]:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            return response.status, response.read().decode()
        finally:
            connection.close()

    def get(self, path: str, token: str) -> str:
        status, text = self.call("GET", path, Authorization=f"Bearer {token}")
        assert status == 200, text
        return text


def start_web_line(redis_server, tmp_path: Path, **extra_env: str) -> tuple[WebLine, subprocess.Popen]:  # type: ignore[no-untyped-def]
    """The Procfile's web line on a free loopback port, its data (and metrics) under tmp_path/var, its output kept."""
    [line] = [line for line in (ROOT / "Procfile").read_text().splitlines() if line.startswith("web:")]
    command = line.removeprefix("web:").strip().replace("0.0.0.0", "127.0.0.1")
    port = free_port()
    env = {**os.environ, "PORT": str(port), "WEB_CONCURRENCY": "1", "HOTLINE_ENV": "production",
           "REDIS_URL": redis_server.url, "TWILIO_AUTH_TOKEN": AUTH_TOKEN, "HOTLINE_SECRET_KEY": "web-line-test",
           "PUBLIC_BASE_URL": PUBLIC_BASE_URL, "HOTLINE_DATA_DIR": str(tmp_path / "var"),
           "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
           "PYTHONPATH": str(ROOT),  # this checkout's code, wherever the package was installed from
           **extra_env}
    web = WebLine(port, tmp_path / "stdout", tmp_path / "stderr")
    with web.stdout.open("wb") as out, web.stderr.open("wb") as err:
        process = subprocess.Popen(["sh", "-c", "exec " + command], env=env, cwd=tmp_path, stdout=out, stderr=err)
    workers = int(env["WEB_CONCURRENCY"])
    deadline = time.monotonic() + 30
    while True:
        # Every worker process up (granian says so), not just the first: a server stopped while a worker is still
        # starting waits for it.
        try:
            started = web.stdout.read_text().count("Started worker-")
            if started >= workers and web.call("GET", "/healthz")[0] == 200:
                return web, process
        except OSError:
            pass
        if time.monotonic() > deadline or process.poll() is not None:
            process.kill()
            raise AssertionError(web.stderr.read_text() + web.stdout.read_text())
        time.sleep(0.1)


def signed_sms(web: WebLine, body: str, number: str, **headers: str) -> int:
    """A text from `number`, signed as Twilio signs it."""
    params = {"MessageSid": new_sid("SM"), "AccountSid": "AC" + "0" * 32, "From": number, "To": "+15005550006",
              "Body": body}
    signature = RequestValidator(AUTH_TOKEN).compute_signature(f"{PUBLIC_BASE_URL}/twilio/sms", params)
    status, _ = web.call("POST", "/twilio/sms", urlencode(params), **{
        "X-Twilio-Signature": signature, "Content-Type": "application/x-www-form-urlencoded", **headers})
    return status
