"""gunicorn's access log, kept free of phone numbers and of lines a client can forge (the Procfile uses it).

An access record is made of what the client sent. A path with a number in it (a script still asking for
a conversation by its number in the URL) would put the number in the log; a URL-encoded newline would end
the record and start a line of the client's choosing, such as a fake audit entry.
"""

from __future__ import annotations

import re
from typing import Any

from gunicorn.glogging import Logger

# Seven digits or more, alone or written as people write numbers (+1 (555) 123-4567), and not inside a
# word: the hex of a number reference (n_3f9c1234567...) is not a number. An id of seven digits or more
# is masked too: the record loses it, but a parent's number never gets in.
PHONE_LIKE = re.compile(r"(?<!\w)\+?\d(?:[\s().-]*\d){6,}(?!\w)")
ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t"}


def private(text: str) -> str:
    """`text` with phone-number-like digits replaced by [number], and every character that is not
    printable (line breaks of every kind, terminal escapes) written as a backslash escape."""
    text = PHONE_LIKE.sub("[number]", text)
    if text.isprintable() and "\\" not in text and '"' not in text:
        return text
    return "".join(ESCAPES.get(char) or (char if char.isprintable() else _code(char)) for char in text)


def _code(char: str) -> str:
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


class PrivateAtoms(dict):  # type: ignore[type-arg]
    """gunicorn's SafeAtoms (a missing atom is '-', header atoms ignore case, quotes are escaped), with each
    value the format uses made private first."""

    def __getitem__(self, key: str) -> Any:
        value = self.get(key.lower() if key.startswith("{") else key, "-")
        return private(value) if isinstance(value, str) else value


class AccessLog(Logger):  # type: ignore[misc]
    """`--logger-class hotline.access_log.AccessLog`: gunicorn's logger with private access records."""

    atoms_wrapper_class = PrivateAtoms
