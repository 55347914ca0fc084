"""The set of realistic parent messages, sent through the real SMS webhook as a first text."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from tests.support.signed import reply_texts

MESSAGES = yaml.safe_load((Path(__file__).parent / "data" / "parent_messages.yaml").read_text())
HEADLINES = {
    "emergency": ("Call 911 now", "Llame al 911 ahora"),
    "urgent": ("seen by a doctor today", "al médico hoy"),
    "soon": ("call your pediatrician in the next day or two", "en uno o dos días"),
}


def level_of(reply: str) -> str:
    for level, words in HEADLINES.items():
        if any(w in reply for w in words):
            return level
    return "home"


@pytest.mark.parametrize("case", MESSAGES, ids=[m["text"][:40] for m in MESSAGES])
def test_first_reply_gives_the_level_the_message_warrants(twilio, redis, case):
    reply = "\n\n".join(reply_texts(twilio.sms(case["text"], "+15551230099")))
    assert level_of(reply) == case["level"], f"{case['text']!r}: expected {case['level']}\n{reply}"
    if case["level"] == "emergency":
        first_line = reply.split("\n")[0]
        assert first_line.startswith(HEADLINES["emergency"]), "an emergency reply starts with the instruction"
