"""Reminders at scale (issue 8, item 4): schedule 100,000 enrollments, then send with real workers.

    .venv/bin/python -m bench reminders        (or: .venv/bin/python -m bench.reminders)

1. Schedule the steps of 100,000 enrollments (the import path, `Reminders.enroll_many`): time
   taken and Redis memory per pending reminder (growth of INFO used_memory).
2. Dispatch a subset (20,000) to 1, then 2, `rq worker -w workers.worker.HotlineWorker` processes
   (forking, as the Procfile and `hotline dev` run them) sending to the fake Twilio API on loopback,
   pacing off: sends per second, from the first to the last message the fake received.
3. Pacing at 10 per second: the real dispatcher chain and two workers for about 10 s; the rate the
   fake received.

Its own private redis-server and fake Twilio; bounded durations (a few minutes in all).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import redis
from rq import Queue

from hotline.devtools.fake_twilio import FakeTwilio
from hotline.redis_server import RedisServer, free_port
from hotline.reminders.service import Reminders
from hotline.settings import Settings
from hotline.store import keys

ROOT = Path(__file__).resolve().parent.parent
ACCOUNT, TOKEN = "AC" + "0" * 31 + "3", "bench-token"
ENROLLED = datetime(2027, 5, 10, 16, tzinfo=UTC)  # the first check-in: 2027-05-11 10:00 New York
DUE = ENROLLED + timedelta(days=1, hours=2)


def _env(server: RedisServer, fake: FakeTwilio, sends_per_second: int) -> dict[str, str]:
    return {**os.environ, "REDIS_URL": server.url, "TWILIO_ACCOUNT_SID": ACCOUNT, "TWILIO_AUTH_TOKEN": TOKEN,
            "TWILIO_API_BASE_URL": fake.base_url, "TWILIO_FROM_NUMBER": "+15005550006",
            "PUBLIC_BASE_URL": "https://hotline.example.org", "HOTLINE_ENV": "test",
            "HOTLINE_SENDS_PER_SECOND": str(sends_per_second), "HOTLINE_DEFAULT_TIMEZONE": "America/New_York"}


def _settings(env: dict[str, str]) -> Settings:
    saved = dict(os.environ)
    os.environ.update(env)
    try:
        return Settings.from_env()
    finally:
        os.environ.clear()
        os.environ.update(saved)


def _workers(count: int, env: dict[str, str], *, burst: bool) -> list[subprocess.Popen[bytes]]:
    rq = str(Path(sys.executable).parent / "rq")
    args = [rq, "worker", "-w", "workers.worker.HotlineWorker", "--url", env["REDIS_URL"],
            "--logging_level", "WARNING"] + (["--burst"] if burst else ["--with-scheduler"]) + ["hotline"]
    return [subprocess.Popen(args, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                             start_new_session=True) for _ in range(count)]


def _rate(fake: FakeTwilio, since: int) -> tuple[int, float]:
    with fake._lock:
        times = sorted(m.at for m in fake.messages[since:])
    if len(times) < 2:
        return len(times), 0.0
    return len(times), (len(times) - 1) / (times[-1] - times[0])


def schedule(connection: redis.Redis, reminders: Reminders, n: int) -> dict[str, float]:
    reminders.enroll("+12125550100", now=ENROLLED)  # warm up: scripts, dispatcher key
    connection.delete(keys.DISPATCHER)
    Queue("hotline", connection=connection).empty()
    before = int(connection.info("memory")["used_memory"])
    started = time.perf_counter()
    created, _ = reminders.enroll_many((f"+1212{2000000 + i:07d}" for i in range(n)), "checkin", now=ENROLLED)
    seconds = time.perf_counter() - started
    assert created == n, created
    after = int(connection.info("memory")["used_memory"])
    connection.delete(keys.DISPATCHER)
    Queue("hotline", connection=connection).empty()
    return {"enrollments": n, "schedule_seconds": round(seconds, 1),
            "enrollments_per_second": round(n / seconds), "bytes_per_pending_reminder": round((after - before) / n, 1)}


def unpaced(reminders: Reminders, fake: FakeTwilio, env: dict[str, str], workers: int, n: int) -> dict[str, float]:
    since = len(fake.messages)
    ids = reminders.dispatch(DUE, limit=n)
    assert len(ids) == n, len(ids)
    started = time.perf_counter()
    processes = _workers(workers, env, burst=True)
    for process in processes:
        process.wait(timeout=600)
    wall = time.perf_counter() - started
    sent, rate = _rate(fake, since)
    assert sent == n, (sent, n)
    return {"workers": workers, "sent": sent, "sends_per_second": round(rate), "per_worker": round(rate / workers),
            "wall_seconds_incl_start": round(wall, 1)}


def paced(server: RedisServer, fake: FakeTwilio, sends_per_second: int = 10, seconds: float = 10.0) -> dict[str, float]:
    """The production path: enrollments due now, the dispatcher chain, two workers with the scheduler."""
    connection = redis.Redis.from_url(server.url)
    connection.flushall()
    env = _env(server, fake, sends_per_second)
    env["HOTLINE_QUIET_HOURS_START"] = env["HOTLINE_QUIET_HOURS_END"] = "00:00"
    reminders = Reminders(_settings(env), connection)
    now = datetime.now(UTC)
    from hotline.reminders.schedules import parse_schedule

    reminders.schedules.save(parse_schedule({"name": "paced", "description": "bench", "steps": [
        {"after": "1 minute", "text": {"en": "Bench check. Reply 1, 2 or 3. Text STOP to stop.",
                                       "es": "Control. Responda 1, 2 o 3. STOP para salir."}}]}))
    reminders.enroll_many((f"+1646{2000000 + i:07d}" for i in range(400)), "paced", now=now - timedelta(minutes=2))
    since = len(fake.messages)
    processes = _workers(2, env, burst=False)
    try:
        deadline = time.monotonic() + 30
        while len(fake.messages) == since and time.monotonic() < deadline:
            time.sleep(0.01)
        first = time.time()
        time.sleep(seconds + 0.5)
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(timeout=30)
    with fake._lock:
        inside = [m for m in fake.messages[since:] if first - 0.01 <= m.at < first + seconds]
    rate = len(inside) / seconds
    return {"target_per_second": sends_per_second, "window_seconds": seconds, "sent_in_window": len(inside),
            "achieved_per_second": round(rate, 2),
            "deviation_percent": round(100 * (rate - sends_per_second) / sends_per_second, 1)}


def run(n: int = 100_000, subset: int = 20_000) -> dict[str, object]:
    with RedisServer(port=free_port()) as server, FakeTwilio(ACCOUNT, TOKEN) as fake:
        connection = redis.Redis.from_url(server.url)
        env = _env(server, fake, 0)
        reminders = Reminders(_settings(env), connection)
        figures: dict[str, object] = {"schedule": schedule(connection, reminders, n)}
        print(f"reminders: scheduled {n} enrollments in {figures['schedule']['schedule_seconds']} s, "  # type: ignore[index]
              f"{figures['schedule']['bytes_per_pending_reminder']} B of Redis per pending reminder", flush=True)  # type: ignore[index]
        rows = []
        for workers in (1, 2):
            rows.append(unpaced(reminders, fake, env, workers, subset))
            print(f"reminders: {workers} worker(s), pacing off: {rows[-1]['sends_per_second']} sends/s "
                  f"({rows[-1]['per_worker']} per worker, {subset} texts)", flush=True)
        figures["unpaced"] = rows
        figures["paced"] = p = paced(server, fake)
        print(f"reminders: paced at {p['target_per_second']}/s: {p['achieved_per_second']}/s over "
              f"{p['window_seconds']} s ({p['deviation_percent']:+}%)", flush=True)
    return figures


if __name__ == "__main__":
    run()
