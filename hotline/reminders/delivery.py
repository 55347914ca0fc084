"""Delivering reminders: what can happen to one due step (DeliveryOutcome), and the pace texts leave at (Pacer)."""

from __future__ import annotations

import time
from enum import StrEnum

import redis

from hotline.settings import Settings


class DeliveryOutcome(StrEnum):
    """What one delivery did with an enrollment's due step (counted by hotline/metrics.py, logged, tested)."""

    SENT = "sent"  # the text went out
    RESENT = "resent"  # a dead worker's send had not reached Twilio: sent now, once
    RECONCILED = "reconciled"  # a dead worker's send had reached Twilio (recorded), or cannot be checked (not resent)
    NOT_DUE = "not_due"  # woken early: looked at again when the step is due
    QUIET = "quiet"  # due inside quiet hours: looked at again when they end
    OPTED_OUT = "opted_out"  # the number texted STOP: the step is skipped for good
    DUPLICATE = "duplicate"  # another run sent (or settled) this step
    BUSY = "busy"  # another run holds the step, or Twilio could not be asked: looked at again later
    UNREPLICATED = "unreplicated"  # no replica confirmed the claim: nothing sent, looked at again shortly
    RETRY = "retry"  # Twilio failed for now: tried again after a backoff
    GAVE_UP = "gave_up"  # failed after every backoff: the step is skipped
    ENDED = "ended"  # Twilio says this number will never get a text: the enrollment ends
    COMPLETED = "completed"  # no step is left: the enrollment is complete
    INACTIVE = "inactive"  # the enrollment or its schedule is not active: nothing is planned
    ERROR = "error"  # an unexpected failure (logged); the enrollment stays leased and comes back


# Pacing: reserve the next send slot, `interval` after the last one, on Redis' clock.
# KEYS: pace key  ARGV: interval (s). Returns the seconds to wait (as a string).
_SLOT = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local last = tonumber(redis.call('GET', KEYS[1]) or '0')
local slot = math.max(now, last + tonumber(ARGV[1]))
redis.call('SET', KEYS[1], string.format('%.6f', slot), 'EX', 60)
return string.format('%.6f', slot - now)
"""


class Pacer:
    """At most `per_second` sends per second per sender, across all workers (none: no pacing).

    Each send reserves the next free slot, 1/rate after the previous one, on Redis' clock (one
    round trip), then sleeps until it: sends are evenly spaced, with no burst at the start of
    each second, so any window of a few seconds sees the configured rate.
    """

    def __init__(self, connection: redis.Redis, key: str, per_second: float) -> None:
        self.key = key
        self.per_second = per_second
        self._slot = connection.register_script(_SLOT)

    @classmethod
    def for_settings(cls, settings: Settings, connection: redis.Redis) -> Pacer:
        """One pace per sending identity: the messaging service, else the number, else the console outbox."""
        sender_id = settings.twilio_messaging_service_sid or settings.twilio_from_number or "outbox"
        return cls(connection, f"hl:rem:pace:{sender_id}", settings.sends_per_second)

    def reserve(self) -> float:
        """Seconds to wait before the send that just reserved the next slot."""
        return float(self._slot(keys=[self.key], args=[f"{1.0 / self.per_second:.6f}"]))

    def wait(self) -> None:
        """Wait for the next free slot (at once when pacing is off)."""
        if not self.per_second:
            return
        wait = self.reserve()
        if wait > 0:
            time.sleep(wait)
