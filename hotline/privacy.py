"""What may appear in logs and staff views about a parent: masked numbers and keyed references, never
message text."""

from __future__ import annotations

import hmac
from collections.abc import Callable
from functools import cached_property

from hotline.settings import Settings, server_secret


def mask_number(number: str) -> str:
    """'+15551234567' -> '+1*******567'. Enough to tell numbers apart on a screen, not to dial."""
    if len(number) <= 5:
        return "*" * len(number)
    return number[:2] + "*" * (len(number) - 5) + number[-3:]


class NumberRefs:
    """References to phone numbers for log lines and page URLs: the same number always gives the same ref.

    A ref is an HMAC of the number keyed with the server's secret, so nobody without the secret can find
    the number behind a ref by hashing every number of an area code (an unkeyed hash reversed in under a
    second). Changing HOTLINE_SECRET_KEY changes every ref.
    """

    def __init__(self, secret: Callable[[], str]) -> None:
        self._secret = secret

    @classmethod
    def for_settings(cls, settings: Settings) -> NumberRefs:
        # The secret is read with the first ref: building services (a CLI command, a worker) needs none yet.
        return cls(lambda: server_secret(settings))

    @cached_property
    def _key(self) -> bytes:
        # A key of its own, derived from the secret: a ref is never also a session signature.
        return hmac.digest(self._secret().encode(), b"hotline number reference", "sha256")

    def of(self, number: str) -> str:
        # 64 bits: ten hex digits (40 bits) would give two numbers one ref at about a million numbers.
        return "n_" + hmac.digest(self._key, number.encode(), "sha256").hex()[:16]
