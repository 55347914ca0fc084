"""Sends per second of one RQ worker delivering due reminders to a local fake Twilio API (pacing off).

    .venv/bin/python -m bench.reminder_throughput [N]

Measures both worker kinds: rq.Worker (forks a work-horse per job, as `rq worker` runs in the
Procfile) and rq.SimpleWorker (no fork).
"""

from __future__ import annotations

import os
import sys
import time
from datetime import UTC, datetime, timedelta

import redis
from rq import Queue, Worker

from hotline.devtools.fake_twilio import FakeTwilio
from hotline.redis_server import RedisServer, free_port
from hotline.reminders.service import Reminders
from hotline.settings import Settings
from hotline.store import keys
from workers.base import InlineWorker as SimpleWorker  # RQ's SimpleWorker, exiting promptly

ACCOUNT, TOKEN = "AC" + "0" * 31 + "1", "bench-token"


def one_run(worker_class: type[Worker], n: int, server: RedisServer, fake: FakeTwilio) -> float:
    connection = redis.Redis.from_url(server.url)
    connection.flushall()
    fake.reset()
    settings = Settings.from_env()
    reminders = Reminders(settings, connection)
    enrolled = datetime(2027, 5, 10, 16, tzinfo=UTC)
    for i in range(n):
        reminders.enroll(f"+1212655{i:04d}", now=enrolled)
    connection.delete(keys.DISPATCHER)
    Queue("hotline", connection=connection).empty()
    reminders.dispatch(enrolled + timedelta(days=1, hours=2))
    started = time.perf_counter()
    worker_class([Queue("hotline", connection=connection)], connection=connection).work(
        burst=True, logging_level="WARNING")
    elapsed = time.perf_counter() - started
    assert len(fake.messages) == n, len(fake.messages)
    return n / elapsed


def run(n: int = 300) -> dict[str, float]:
    with RedisServer(port=free_port()) as server, FakeTwilio(ACCOUNT, TOKEN) as fake:
        os.environ.update({"REDIS_URL": server.url, "TWILIO_ACCOUNT_SID": ACCOUNT, "TWILIO_AUTH_TOKEN": TOKEN,
                           "TWILIO_API_BASE_URL": fake.base_url, "TWILIO_FROM_NUMBER": "+15005550006",
                           "HOTLINE_SENDS_PER_SECOND": "0", "HOTLINE_ENV": "test",
                           "HOTLINE_DEFAULT_TIMEZONE": "America/New_York"})
        return {"reminders": n,
                "forking_worker_sends_per_second": round(one_run(Worker, n, server, fake), 1),
                "simple_worker_sends_per_second": round(one_run(SimpleWorker, n, server, fake), 1)}


if __name__ == "__main__":
    figures = run(int(sys.argv[1]) if len(sys.argv) > 1 else 300)
    print(f"{figures['reminders']} reminders, one worker, fake Twilio on loopback: "
          f"rq.Worker (fork per job) {figures['forking_worker_sends_per_second']:.0f} sends/s, "
          f"rq.SimpleWorker {figures['simple_worker_sends_per_second']:.0f} sends/s")
