"""Redis memory per pending reminder: our due-set versus one RQ scheduled job per reminder.

    .venv/bin/python -m bench.reminder_memory [N]

Both are measured on a private redis-server as the growth of INFO used_memory for N pending reminders.
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime, timedelta

import redis
from rq import Queue

from hotline.redis_server import RedisServer, free_port
from hotline.reminders.service import Reminders
from hotline.settings import Settings


def used(connection: redis.Redis) -> int:
    return int(connection.info("memory")["used_memory"])


def due_set(connection: redis.Redis, n: int) -> float:
    reminders = Reminders(Settings(env="test", redis_url="x"), connection)
    reminders.enroll("+12125550100", now=datetime(2027, 1, 1, tzinfo=UTC))  # warm up: scripts, dispatcher job
    before = used(connection)
    start = datetime(2027, 1, 1, tzinfo=UTC)
    for i in range(n):
        reminders.enroll(f"+1212{5550000 + i + 1000000:07d}"[:12], now=start + timedelta(seconds=i),
                         baby_name="Ana" if i % 2 else None, restart=False)
    assert reminders.enrollments.pending_count() >= n
    return (used(connection) - before) / n


# The design not taken (docs/decisions/reminder-due-set.md): one scheduled job per reminder, carrying one id.
# Nothing runs these jobs and RQ does not import a job's function to enqueue it, so the name is only data; it
# is the single-enrollment job that design would have had (no such job exists). Not DELIVER_BATCH with [id]:
# the list lengthens the job's `data` past Redis' 64-byte small-hash limit (hash-max-ziplist-value) for most
# ids, the job's hash changes encoding, and the figure becomes 2.6 times the one the doc compares (1,571 bytes
# a job instead of 603, at 5,000).
ONE_JOB_PER_REMINDER = "workers.reminders.deliver"


def rq_scheduled(connection: redis.Redis, n: int) -> float:
    queue = Queue("bench", connection=connection)
    when = datetime(2027, 1, 2, 10, tzinfo=UTC)
    queue.enqueue_at(when, ONE_JOB_PER_REMINDER, "0")
    before = used(connection)
    for i in range(n):
        queue.enqueue_at(when + timedelta(seconds=i), ONE_JOB_PER_REMINDER, str(i + 1))
    return (used(connection) - before) / n


def run(n: int = 10_000) -> dict[str, float]:
    with RedisServer(port=free_port()) as server:
        connection = redis.Redis.from_url(server.url)
        ours = due_set(connection, n)
        connection.flushall()
        theirs = rq_scheduled(connection, n)
    return {"reminders": n, "due_set_bytes_per_pending": round(ours, 1),
            "rq_scheduled_job_bytes_per_pending": round(theirs, 1)}


if __name__ == "__main__":
    figures = run(int(sys.argv[1]) if len(sys.argv) > 1 else 10_000)
    print(f"{figures['reminders']} pending reminders: due-set {figures['due_set_bytes_per_pending']:.0f} B each "
          f"(enrollment record + index + sorted-set member); one RQ scheduled job each "
          f"{figures['rq_scheduled_job_bytes_per_pending']:.0f} B")
