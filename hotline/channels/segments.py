"""How a text is billed and split: GSM-7 (160 per single message, 153 per part) or UCS-2 (70 / 67)."""

from __future__ import annotations

import re

# The GSM 03.38 default alphabet and its extension table (extension characters cost two septets).
GSM7_BASIC = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENDED = set("^{}\\[~]|€\f")
MAX_SEGMENTS = 3

# One compiled character class: checking a reply is a single C-level scan, not a Python loop per character.
_NOT_GSM7 = re.compile("[^" + re.escape("".join(sorted(GSM7_BASIC | GSM7_EXTENDED))) + "]")
_EXTENDED = re.compile("[" + re.escape("".join(sorted(GSM7_EXTENDED))) + "]")


def is_gsm7(text: str) -> bool:
    return _NOT_GSM7.search(text) is None


def encoding(text: str) -> str:
    """'GSM-7' or 'UCS-2': a single character outside GSM-7 makes the whole message UCS-2."""
    return "GSM-7" if is_gsm7(text) else "UCS-2"


def non_gsm7_characters(text: str) -> list[str]:
    return sorted({ch for ch in text if ch not in GSM7_BASIC and ch not in GSM7_EXTENDED})


def segment_count(text: str) -> int:
    """How many SMS parts Twilio will send this text as."""
    if is_gsm7(text):
        units = len(text) + len(_EXTENDED.findall(text))
        single, part = 160, 153
    else:
        # UCS-2 counts UTF-16 code units: an emoji outside the BMP takes two.
        units = len(text.encode("utf-16-le")) // 2
        single, part = 70, 67
    if units <= single:
        return 1
    return -(-units // part)


def fits(text: str, max_segments: int = MAX_SEGMENTS) -> bool:
    return segment_count(text) <= max_segments
