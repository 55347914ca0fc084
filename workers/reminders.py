"""RQ jobs for reminders. They take ids only (RQ stores and logs arguments) and are safe to run twice."""

from __future__ import annotations

import os
from datetime import UTC, datetime

from requests.utils import get_environ_proxies

from hotline.reminders.service import Reminders
from hotline.sender import Sender, build_sender
from hotline.services import connect_redis
from hotline.settings import Settings


def _reminders() -> Reminders:
    settings = Settings.from_env()
    return Reminders(settings, connect_redis(settings))


def _one_session(sender: Sender, base_url: str) -> Sender:
    """Read the proxy settings from the environment once per job, not once per text.

    requests re-reads every proxy variable on each request when `trust_env` is on: for a batch of
    texts that was about a tenth of the time. The same proxies (and CA bundle) are set once instead.
    """
    http_client = getattr(getattr(sender, "client", None), "http_client", None)
    session = getattr(http_client, "session", None)
    if session is not None and session.trust_env:
        session.proxies.update(get_environ_proxies(base_url))
        bundle = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE")
        if bundle and session.verify is True:
            session.verify = bundle
        session.trust_env = False
    return sender


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
        return _one_session(build_sender(reminders.settings, reminders.redis), reminders.settings.twilio_api_base_url)

    try:
        return reminders.deliver_many([str(i) for i in enrollment_ids], new_sender(), _moment(now),
                                      threads=reminders.settings.reminder_send_threads,
                                      sender_factory=new_sender)
    finally:
        reminders.redis.close()


def deliver(enrollment_id: str, now: float | None = None) -> str:
    """Send an enrollment's due step at most once; returns what happened (no number, no text)."""
    reminders = _reminders()
    sender = build_sender(reminders.settings, reminders.redis)
    try:
        return reminders.deliver(enrollment_id, sender, _moment(now))
    finally:
        reminders.redis.close()
