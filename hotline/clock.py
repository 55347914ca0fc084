"""The hotline's one clock. `Services.clock` holds it; everything built from those services reads the time there.

It reads the system's time until someone sets it: tests, the simulators and the bench set the clock of the
services they built (`services.clock.set(moment)`), and only those services see the change. Nothing patches
`time.time` for the whole process, which would also move redis-py's timeouts, Flask's cookies and the fake
Twilio's clock.

Times that are not the hotline's own stay where they are: RQ schedules jobs on the system's time, Redis keys
expire and stream ids (the reveal audit) count on Redis's time, the metrics compare the system's time with RQ's
and other processes', and the dev outbox and the fake Twilio API stamp what they keep as Twilio would.
"""

from __future__ import annotations

import time
from datetime import date, datetime
from zoneinfo import ZoneInfo


class Clock:
    """Seconds since the epoch, like `time.time()`: the system's time, or the moment it was set to."""

    def __init__(self, at: float | None = None) -> None:
        self._at = at

    def __call__(self) -> float:
        at = self._at
        return time.time() if at is None else at

    def set(self, at: float | datetime | None) -> None:
        """Stand still at `at` (an epoch time or an aware datetime); `None` goes back to the system's time."""
        self._at = at.timestamp() if isinstance(at, datetime) else at

    def advance(self, seconds: float) -> None:
        """Move on by `seconds` from what the clock reads now, and stand still there."""
        self._at = self() + seconds

    def local(self, timezone: str) -> datetime:
        """Now, as a wall-clock time in `timezone` (an IANA name such as "America/New_York")."""
        return datetime.fromtimestamp(self(), ZoneInfo(timezone))

    def today(self, timezone: str) -> date:
        """Today's date in `timezone`: an age given as a date of birth is counted to it."""
        return self.local(timezone).date()
