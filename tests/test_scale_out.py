"""Two web instances sharing one Redis: a conversation may bounce between them and keeps its state."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.parse
import urllib.request
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from twilio.request_validator import RequestValidator

from hotline.redis_server import free_port
from tests.conftest import AUTH_TOKEN

ROOT = Path(__file__).resolve().parent.parent


def start_gunicorn(redis_url: str, port: int) -> subprocess.Popen:
    env = dict(os.environ, REDIS_URL=redis_url, TWILIO_AUTH_TOKEN=AUTH_TOKEN, HOTLINE_ENV="production",
               HOTLINE_SECRET_KEY="scale-out-test", PUBLIC_BASE_URL="https://hotline.example.org")
    return subprocess.Popen(
        [str(Path(sys.executable).parent / "gunicorn"), "--bind", f"127.0.0.1:{port}", "--workers", "1",
         "--threads", "2", "--log-level", "warning", "hotline:web_app()"],
        env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def wait_healthy(port: int) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.1)
    raise AssertionError(f"instance on port {port} did not start")


def sms(port: int, body: str, number: str, n: int) -> str:
    params = {"MessageSid": f"SM{n:032d}", "AccountSid": "AC" + "0" * 32, "From": number,
              "To": "+15005550006", "Body": body}
    signature = RequestValidator(AUTH_TOKEN).compute_signature("https://hotline.example.org/twilio/sms", params)
    request = urllib.request.Request(f"http://127.0.0.1:{port}/twilio/sms",
                                     data=urllib.parse.urlencode(params).encode(),
                                     headers={"X-Twilio-Signature": signature})
    with urllib.request.urlopen(request, timeout=10) as response:
        return "\n".join(m.text or "" for m in ET.fromstring(response.read()).iter("Message"))


@pytest.fixture
def two_instances(redis_server):
    ports = [free_port(), free_port()]
    processes = [start_gunicorn(redis_server.url, port) for port in ports]
    try:
        for port in ports:
            wait_healthy(port)
        yield ports
    finally:
        for process in processes:
            process.terminate()
            try:  # (gunicorn's graceful shutdown may take up to its 30 s graceful timeout on a loaded machine)
                process.wait(timeout=40)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)


def test_a_conversation_alternating_between_two_instances_keeps_its_state(two_instances, redis):
    a, b = two_instances
    script = [(a, "hi", "How can I help?"), (b, "4", "How old is your baby?"), (a, "1", "trouble breathing"),
              (b, "2", "gently hold"), (a, "1", "fever"), (b, "1", "seen by a doctor today")]
    for n, (port, body, expected) in enumerate(script):
        assert expected in sms(port, body, "+12025550181", n), (port, body)
