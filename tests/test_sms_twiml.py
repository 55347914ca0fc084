"""The SMS TwiML the webhooks answer is, character for character, what twilio's MessagingResponse writes."""

from __future__ import annotations

from pathlib import Path

import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from hotline.channels.sms import render_sms, twiml_messages, twiml_reply
from hotline.engine.flow import load_flow
from hotline.engine.runner import Context, State, advance

ROOT = Path(__file__).resolve().parent.parent
SPECIAL = ["", " ", "&", "<", ">", "&amp;", "<Message>", "]]>", "\"quoted\" 'single'", "a\nb\r\nc\td",
           "\x00\x01\x0b", "ñ é ü ¿¡", "👶🏽 legs", "\u2028\u2029", "\ud800 lone", "\udfff", "&#169;",
           "<?xml?>", "911 & 112 < 999 > 0"]


def same(messages: list[str] | tuple[str, ...]) -> None:
    assert twiml_reply(messages) == str(twiml_messages(messages))


def test_no_reply_and_the_special_characters_render_as_twilio_renders_them():
    same([])
    for text in SPECIAL:
        same([text])
        same([text, "menu " + text, text * 3])
    same(SPECIAL)


@settings(max_examples=500, deadline=None)
@given(st.lists(st.text(max_size=400), max_size=4))
def test_any_texts_render_as_twilio_renders_them(messages):
    same(messages)


def test_every_reply_the_engine_gives_to_the_development_sets_renders_as_twilio_renders_it():
    flow = load_flow(ROOT / "flows")
    texts = [m["text"] for path in sorted((ROOT / "tests/evaluation").glob("*/messages.yaml"))
             if path.parent.name != "sealed" for m in yaml.safe_load(path.read_text())]
    texts += ["hi", "hola", "1", "2", "3", "4", "menu", "no", "si", "yes", "stop", "start", "help"]
    states = [None, State(step="menu"), State(step="menu", language="es"), State(step="fever", age_days=40)]
    rendered = 0
    for i, text in enumerate(texts):
        turn = advance(flow, states[i % len(states)], text, Context(known_contact=bool(i % 2)))
        messages = render_sms(turn, flow.message("choices_intro", turn.state.language))
        same(messages)
        rendered += len(messages)
    assert rendered > 500
