"""How long the staff pages take with 100,000 enrollments (the dashboard a non-programmer waits on).

    .venv/bin/python -m bench staff        (or: .venv/bin/python -m bench.staff_pages [N])

Its own private redis-server; the app in-process through Flask's test client (no HTTP), logged in
as a staff member. 500 of the enrollments ended on a Twilio error, so the delivery problems have
something to list. Each page: the median of 5 loads after one warm-up load.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from datetime import UTC, datetime

import redis

from hotline.redis_server import RedisServer, free_port
from hotline.reminders.store import ENDED

PAGES = ["/staff/", "/staff/schedules", "/staff/schedules/checkin", "/staff/enrollments",
         "/staff/enrollments?status=ended", "/staff/enrollments?schedule=checkin", "/staff/conversations"]


def run(n: int = 100_000, ended: int = 500) -> dict[str, object]:
    with RedisServer(port=free_port()) as server:
        saved = dict(os.environ)
        os.environ.update(REDIS_URL=server.url, HOTLINE_ENV="test", HOTLINE_SECRET_KEY="bench",
                          HOTLINE_SENDS_PER_SECOND="0")
        try:
            from hotline import create_app
            from hotline.reminders.service import Reminders
            from hotline.settings import Settings

            reminders = Reminders(Settings.from_env(), redis.Redis.from_url(server.url))
            reminders.enroll_many((f"+1212{2000000 + i:07d}" for i in range(n)), "checkin",
                                  now=datetime(2027, 5, 10, 16, tzinfo=UTC))
            ended_ids = range(1, n + 1, max(1, n // ended))
            for eid in ended_ids:
                reminders.enrollments.end(str(eid), ENDED, "twilio error 21610")
            from hotline.store.staff_accounts import StaffAccounts

            accounts = StaffAccounts(reminders.redis)
            accounts.add("bench", "a bench password")
            client = create_app().test_client()
            with client.session_transaction() as session:
                session["staff"], session["staff_at"] = "bench", time.time()
                session["staff_generation"] = accounts.session_generation("bench")
            timings: dict[str, float] = {}
            for path in PAGES:
                assert client.get(path).status_code == 200, path
                samples = []
                for _ in range(5):
                    started = time.perf_counter()
                    client.get(path)
                    samples.append((time.perf_counter() - started) * 1000)
                timings[path] = round(statistics.median(samples), 1)
        finally:
            os.environ.clear()
            os.environ.update(saved)
    return {"enrollments": n, "ended": len(ended_ids), "median_ms": timings}


if __name__ == "__main__":
    figures = run(int(sys.argv[1]) if len(sys.argv) > 1 else 100_000)
    for path, ms in figures["median_ms"].items():  # type: ignore[union-attr]
        print(f"{path:<40} {ms:>7.1f} ms")
