"""Erase everything the hotline keeps about one phone number (a parent's request to be forgotten).

Each store that holds a number forgets it (hotline/store/keys.py says which keys hold one; tests/test_retention.py
checks that nothing with the number is left); this adds up what they removed.
"""

from __future__ import annotations

from hotline.reminders.import_jobs import ImportJobs
from hotline.sender import ConsoleOutbox
from hotline.services import Services
from hotline.store.calls import CallStore


def forget_number(services: Services, number: str, *, include_opt_out: bool = False) -> dict[str, int]:
    """Delete the number's data everywhere; returns how many records of each kind were removed."""
    removed = services.conversations.forget(number)
    removed["enrollments"] = services.reminders.enrollments.forget(number)
    removed["imports waiting for a worker"] = ImportJobs(services.reminders).forget(number)
    removed |= CallStore(services.redis, services.conversations).forget(number)
    removed["outbox texts"] = ConsoleOutbox.forget(services.redis, number)
    removed |= services.cases.store.forget(number)
    if include_opt_out:
        removed["opt-out"] = services.conversations.forget_opt_out(number)
    return removed
