"""RQ jobs for reminders. They take ids only (RQ stores and logs arguments) and are safe to run twice."""

from __future__ import annotations

from datetime import UTC, datetime

from hotline.reminders.service import Reminders
from hotline.sender import build_sender
from hotline.services import connect_redis
from hotline.settings import Settings


def _reminders() -> Reminders:
    settings = Settings.from_env()
    return Reminders(settings, connect_redis(settings))


def dispatch(chain: str | None = None, tick: int = 0, now: float | None = None) -> int:
    """Enqueue deliveries for what is due. In a chain, reschedule itself (the periodic dispatcher)."""
    reminders = _reminders()
    if chain:
        reminders.run_dispatcher_tick(chain, tick)
        return 0
    return len(reminders.dispatch(datetime.fromtimestamp(now, UTC) if now else None))


def deliver(enrollment_id: str, now: float | None = None) -> str:
    """Send an enrollment's due step at most once; returns what happened (no number, no text)."""
    reminders = _reminders()
    sender = build_sender(reminders.settings, reminders.redis)
    return reminders.deliver(enrollment_id, sender, datetime.fromtimestamp(now, UTC) if now else None)
