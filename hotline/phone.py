"""Phone numbers: what Twilio says a message came from, and numbers staff type, as E.164."""

from __future__ import annotations

import re

import phonenumbers

# ASCII digits only ([0-9], not \d, which takes any script's digits: "+1２０２..." would be a second number for
# the same phone); \Z, not $, which would let a final newline through.
E164 = re.compile(r"^\+[1-9][0-9]{6,14}\Z")


def sender_number(raw: str, default_region: str) -> str:
    """The number Twilio says a message came from, as E.164; "" when it is not a phone number.

    Twilio already sends E.164, and carriers deliver from numbers phonenumbers may not know yet,
    so any well-formed E.164 number is kept as is; staff-entered numbers are checked strictly.
    """
    raw = (raw or "").strip()
    if E164.match(raw):
        return raw
    return normalize_number(raw, default_region) or ""


def normalize_number(raw: str, default_region: str) -> str | None:
    """E.164 for a valid phone number, else None."""
    try:
        parsed = phonenumbers.parse(raw, default_region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(parsed):
        return None
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
