"""What may appear in logs and staff views about a parent: masked numbers, never message text."""

from __future__ import annotations

import hashlib


def mask_number(number: str) -> str:
    """'+15551234567' -> '+1*******567'. Enough to tell numbers apart on a screen, not to dial."""
    if len(number) <= 5:
        return "*" * len(number)
    return number[:2] + "*" * (len(number) - 5) + number[-3:]


def number_ref(number: str) -> str:
    """A stable, non-reversible reference for log lines: the same number always gives the same ref."""
    return "n_" + hashlib.sha256(number.encode()).hexdigest()[:10]
