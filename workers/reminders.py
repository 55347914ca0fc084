"""RQ jobs for reminders. They take ids only (RQ stores and logs arguments) and are safe to run twice."""

from __future__ import annotations

from datetime import UTC, datetime

from hotline.reminders.service import Reminders
from hotline.sender import Sender, build_sender
from hotline.services import connect_redis
from hotline.settings import Settings


def _reminders() -> Reminders:
    settings = Settings.from_env()
    return Reminders(settings, connect_redis(settings))


def _moment(now: float | None) -> datetime | None:
    return datetime.fromtimestamp(now, UTC) if now else None


def dispatch(chain: str | None = None, tick: int = 0, now: float | None = None) -> int:
    """Enqueue deliveries for what is due. In a chain, reschedule itself (the periodic dispatcher)."""
    reminders = _reminders()
    if chain:
        reminders.run_dispatcher_tick(chain, tick)
        return 0
    return len(reminders.dispatch(_moment(now)))


def deliver_batch(enrollment_ids: list[str], now: float | None = None) -> dict[str, int]:
    """Send the due step of each enrollment at most once, with one Redis connection and one HTTP
    session for the whole batch; returns how many ended which way (no numbers, no text)."""
    reminders = _reminders()

    def new_sender() -> Sender:
        return build_sender(reminders.settings, reminders.redis)

    try:
        return reminders.deliver_many([str(i) for i in enrollment_ids], new_sender(), _moment(now),
                                      threads=reminders.settings.reminder_send_threads,
                                      sender_factory=new_sender)
    finally:
        reminders.redis.close()
