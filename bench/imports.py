"""A 2 MB CSV import, as staff send it: through the API, then a background job in a real worker.

    .venv/bin/python -m bench imports        (or: .venv/bin/python -m bench.imports)

Its own private redis-server; the app in-process through Flask's test client (the upload and the status
URL), and one `rq worker -w workers.worker.HotlineWorker --burst` process (forking, as the Procfile runs
it) for the job. Two files just under 2 MB: numbers only (the most rows a 2 MB file holds), and every
column filled in. For each: how long the upload request takes (the 202), the job's own time (RQ's
started_at to ended_at), rows per second, and how many progress reports the status URL showed.
For comparison, the old path (one enroll() a row, as the request did before the job) on 5,000 rows.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import redis

from hotline.redis_server import RedisServer, free_port

ROOT = Path(__file__).resolve().parent.parent
LIMIT = 2 * 1024 * 1024
AREAS = ["202", "212", "312", "415", "617", "718", "919", "305", "404", "503", "206", "512", "602", "713",
         "214", "303", "612", "313", "816", "901"]


def numbers(count: int, first: int = 0) -> list[str]:
    return [f"+1{AREAS[n // 10_000]}555{n % 10_000:04d}" for n in range(first, first + count)]


def csv_under(limit: int, header: str, row: Callable[[str], str]) -> tuple[bytes, int]:
    """The largest file of `row(number)` lines under `limit` bytes, and its rows."""
    lines, size = [header + "\n"], len(header) + 1
    for count, number in enumerate(numbers(len(AREAS) * 10_000)):
        line = row(number) + "\n"
        if size + len(line) > limit:
            return "".join(lines).encode(), count
        lines.append(line)
        size += len(line)
    raise ValueError("not enough numbers for the file")


def _import(client, headers: dict[str, str], content: bytes, env: dict[str, str]) -> dict[str, object]:  # type: ignore[no-untyped-def]
    started = time.perf_counter()
    response = client.post("/api/enrollments/import", data=content, headers={**headers, "Content-Type": "text/csv"})
    request_ms = (time.perf_counter() - started) * 1000
    assert response.status_code == 202, response.data
    status_url = response.get_json()["status_url"]
    rq = str(Path(sys.executable).parent / "rq")
    worker = subprocess.Popen([rq, "worker", "-w", "workers.worker.HotlineWorker", "--url", env["REDIS_URL"],
                               "--logging_level", "WARNING", "--burst", "hotline"], cwd=ROOT, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    wall = time.perf_counter()
    reports = set()
    while worker.poll() is None:
        status = client.get(status_url, headers=headers).get_json()
        if status["status"] == "running" and status["rows_total"]:
            reports.add(status["rows_done"])
        time.sleep(0.2)
    wall = time.perf_counter() - wall
    status = client.get(status_url, headers=headers).get_json()
    assert status["status"] == "finished", status
    return {"bytes": len(content), "rows": status["rows_total"], "imported": status["imported"],
            "bad_rows": status["error_count"], "upload_request_ms": round(request_ms, 1),
            "job_seconds": round(status["seconds"], 2),
            "rows_per_second": round(status["rows_total"] / status["seconds"]),
            "worker_wall_seconds_incl_start": round(wall, 2), "progress_reports_seen": len(reports)}


def run() -> dict[str, object]:
    with RedisServer(port=free_port()) as server:
        env = {**os.environ, "REDIS_URL": server.url, "HOTLINE_ENV": "test", "HOTLINE_SECRET_KEY": "bench",
               "HOTLINE_SENDS_PER_SECOND": "0"}
        saved = dict(os.environ)
        os.environ.update(env)
        try:
            from hotline import create_app
            from hotline.reminders.service import Reminders
            from hotline.settings import Settings
            from hotline.store.staff_tokens import StaffTokens

            connection = redis.Redis.from_url(server.url)
            app = create_app()
            client = app.test_client()
            headers = {"Authorization": f"Bearer {StaffTokens(connection).create('bench')}"}
            figures: dict[str, object] = {}

            content, _ = csv_under(LIMIT, "number", lambda n: n)
            figures["numbers_only"] = _import(client, headers, content, env)
            connection.flushall()
            headers = {"Authorization": f"Bearer {StaffTokens(connection).create('bench')}"}
            content, _ = csv_under(LIMIT, "number,schedule,language,timezone,baby_name",
                                   lambda n: f"{n},checkin,{'es' if n[-1] in '13579' else 'en'},America/Chicago,Ana")
            figures["all_columns"] = _import(client, headers, content, env)

            # The old path, as the request ran it before the job: one enroll() (three round trips) a row.
            connection.flushall()
            reminders = Reminders(Settings.from_env(), connection)
            reminders.enroll("+12125550100")  # warm up: imports, scripts
            rows = numbers(5_000, first=100_000)
            quiet = logging.getLogger("hotline.reminders.service")
            level, _ = quiet.level, quiet.setLevel(logging.WARNING)  # one log line an enrollment
            started = time.perf_counter()
            for number in rows:
                reminders.enroll(number, "checkin", channel="import", restart=False,
                                 now=datetime(2027, 5, 10, 16, tzinfo=UTC))
            per_row = (time.perf_counter() - started) / len(rows)
            quiet.setLevel(level)
            figures["old_per_row_ms"] = round(per_row * 1000, 3)
            figures["old_path_2mb_numbers_only_seconds_estimate"] = round(
                per_row * figures["numbers_only"]["rows"], 1)  # type: ignore[index]
            return figures
        finally:
            os.environ.clear()
            os.environ.update(saved)


def show(figures: dict[str, object]) -> None:
    for name in ("numbers_only", "all_columns"):
        f = figures[name]
        print(f"import {name.replace('_', ' ')}: {f['bytes']:,} bytes, {f['rows']:,} rows: upload answered in "  # type: ignore[index]
              f"{f['upload_request_ms']} ms (202); job {f['job_seconds']} s ({f['rows_per_second']:,} rows/s), "  # type: ignore[index]
              f"{f['progress_reports_seen']} progress reports seen", flush=True)  # type: ignore[index]
    print(f"import, old path (enroll() a row in the request): {figures['old_per_row_ms']} ms a row, about "
          f"{figures['old_path_2mb_numbers_only_seconds_estimate']} s for the numbers-only file", flush=True)


if __name__ == "__main__":
    show(run())
