"""HOTLINE_LOG_FORMAT=json: the web processes write one JSON object per line, with the request id, route, status,
duration and number reference a log shipper needs, and the same privacy as the text lines."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

from rq import Queue

from tests.support.web import ROOT, WebLine, signed_sms, start_web_line

PARENT = "+15551230101"
URGENT = "my 5 week old Emma is shaking and has a fever of 38.5"


def json_lines(web: WebLine, until: str) -> list[dict]:
    """The app's lines (granian's own start and stop lines are plain text) once one of them contains `until`."""
    deadline = time.monotonic() + 10
    while True:
        lines = [line for line in web.stdout.read_text().splitlines() if line.startswith("{")]
        if any(until in line for line in lines) or time.monotonic() > deadline:
            return [json.loads(line) for line in lines]
        time.sleep(0.02)  # a record is written just after its answer is sent


def test_json_lines_carry_request_id_route_status_duration_and_the_number_s_reference(redis_server, redis, tmp_path):
    web, process = start_web_line(redis_server, tmp_path, HOTLINE_LOG_FORMAT="json", HOTLINE_ACCESS_LOG="true")
    try:
        assert signed_sms(web, URGENT, PARENT, **{"X-Request-Id": "req-42"}) == 200
        assert web.call("GET", f"/staff/conversations/{PARENT}")[0] == 302  # to the login page
        assert web.call("GET", "/healthz", **{"X-Request-Id": "a b;c"})[0] == 200
        lines = json_lines(web, '"/healthz"')
    finally:
        process.terminate()
        process.wait(timeout=30)

    assert all(isinstance(line, dict) and {"time", "level", "logger", "message"} <= set(line) for line in lines)
    [record] = [line for line in lines if line.get("request_id") == "req-42" and "status" in line]
    assert record["route"] == "/twilio/sms" and record["status"] == 200 and record["method"] == "POST"
    assert isinstance(record["duration_ms"], float) and record["duration_ms"] > 0
    assert record["number"].startswith("n_")
    # The app's own line about the assessment, written during that request, names the same request and number.
    [assessed] = [line for line in lines if line["message"].startswith("assessment urgent for n_")]
    assert assessed["request_id"] == "req-42" and assessed["number"] == record["number"]
    assert assessed["route"] == "/twilio/sms"
    # A route is the URL rule, never the path a client typed; a request id that is not a plain token is replaced.
    [page] = [line for line in lines if line.get("status") == 302]
    assert page["route"] == "/staff/conversations/<ref>"
    health = [line for line in lines if line.get("route") == "/healthz"][-1]  # after the start-up checks
    assert health["request_id"] != "a b;c" and len(health["request_id"]) == 16

    logged = web.stdout.read_text() + web.stderr.read_text()
    assert PARENT not in logged and PARENT[2:] not in logged
    assert "Emma" not in logged and "fever" not in logged


def test_a_worker_s_lines_are_json_too(redis, env, tmp_path):
    Queue("hotline", connection=redis).enqueue("workers.reminders.dispatch", now=1.0)
    worker = subprocess.run(
        [str(Path(sys.executable).parent / "rq"), "worker", "--burst", "-w", "workers.worker.HotlineWorker", "--url",
         env["REDIS_URL"], "--logging_level", "INFO", "hotline"], cwd=ROOT, capture_output=True, text=True, timeout=60,
        env={**os.environ, **env, "HOTLINE_LOG_FORMAT": "json", "HOTLINE_DATA_DIR": str(tmp_path / "var")})
    assert worker.returncode == 0, worker.stderr
    lines = [json.loads(line) for line in (worker.stdout + worker.stderr).splitlines() if line.strip()]
    assert any(line["logger"] == "rq.worker" and "Job OK" in line["message"] for line in lines)
