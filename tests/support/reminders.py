"""Helpers for reminder tests: a real RQ worker in-process, with the environment its jobs read."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from rq import Queue, Worker

from hotline.settings import Settings
from workers.base import InlineWorker


def worker_env(monkeypatch, settings: Settings, **extra: str) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """Point jobs' Settings.from_env() at the test Redis and the fake Twilio API."""
    env = {
        "HOTLINE_ENV": "test",
        "REDIS_URL": settings.redis_url or "",
        "TWILIO_ACCOUNT_SID": settings.twilio_account_sid or "",
        "TWILIO_AUTH_TOKEN": settings.twilio_auth_token or "",
        "TWILIO_API_BASE_URL": settings.twilio_api_base_url,
        "TWILIO_FROM_NUMBER": settings.twilio_from_number or "",
        "PUBLIC_BASE_URL": settings.public_base_url or "",
        "HOTLINE_SECRET_KEY": settings.secret_key or "",  # log lines name numbers as the web app does
        "HOTLINE_SENDS_PER_SECOND": "0",
        # The hotline's day, as the web app has it: the insights count a reminder on its enrollment's day.
        "HOTLINE_DEFAULT_TIMEZONE": settings.default_timezone,
        # On-call alerts and claim timers (hotline/cases.py), as the web app has them.
        "HOTLINE_ONCALL_NUMBERS": ",".join(settings.oncall_numbers),
        "HOTLINE_ESCALATE_AFTER_MINUTES": repr(settings.escalate_after_seconds / 60),
        "HOTLINE_CLAIM_TIMEOUT_MINUTES": repr(settings.claim_timeout_seconds / 60),
        **extra,
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return env


def run_worker(redis, queue_name: str = "hotline") -> None:  # type: ignore[no-untyped-def]
    """A real RQ worker, in this process, until the queue is empty."""
    queue = Queue(queue_name, connection=redis)
    InlineWorker([queue], connection=redis).work(burst=True, with_scheduler=True)


def zone_where_it_is_morning() -> str:
    """A fixed-offset IANA zone where the local time is now between 08:00 and 09:00.

    A reminder two hours after enrolling is due "today" there, outside quiet hours, whatever the hour of the
    run (at 00:02 UTC it is 19:02 in New York: two hours later falls in quiet hours, so tomorrow); and what
    happens in the next few hours happens on the same day there.
    """
    offset = (8 - datetime.now(UTC).hour + 12) % 24 - 12  # hours east of UTC, -12..+11
    return "Etc/GMT" if offset == 0 else f"Etc/GMT{-offset:+d}"  # the Etc/ names count west as positive


def local(zone: str, *args: int) -> datetime:
    return datetime(*args, tzinfo=ZoneInfo(zone))  # type: ignore[misc]


def wait_until_listening(redis, count: int = 1) -> None:  # type: ignore[no-untyped-def]
    """Wait until `count` worker processes wait on their queues, signal handlers installed: the event
    itself, not a guess at how long start-up takes on this machine."""
    while sum(w.get_state() == "idle" for w in Worker.all(connection=redis)) < count:
        redis.blpop(["hl:test:never"], timeout=0.05)  # a short pause without busy-waiting
