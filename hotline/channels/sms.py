"""The SMS channel: turns the engine's replies into as few text messages as read well."""

from __future__ import annotations

import re
from collections.abc import Sequence

from twilio.twiml.messaging_response import MessagingResponse

from hotline.channels.segments import fits
from hotline.engine.runner import Reply, Turn


def reply_text(reply: Reply, choices_intro: str) -> str:
    if not reply.options:
        return reply.text
    lines = "\n".join(f"{o.key} {o.label}" for o in reply.options)
    return f"{reply.text}\n{choices_intro}\n{lines}"


def render_sms(turn: Turn, choices_intro: str) -> tuple[str, ...]:
    """Pack the turn's replies, in order, into messages of at most 3 segments each."""
    messages: list[str] = []
    for reply in turn.replies:
        text = reply_text(reply, choices_intro)
        if messages and fits(messages[-1] + "\n\n" + text):
            messages[-1] = messages[-1] + "\n\n" + text
        else:
            messages.append(text)
    return tuple(messages)


def twiml_messages(messages: Sequence[str]) -> MessagingResponse:
    """An empty response means: reply nothing (after STOP, for instance)."""
    response = MessagingResponse()
    for text in messages:
        response.message(text)
    return response


XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>'
_SURROGATE = re.compile("[\ud800-\udfff]")  # ElementTree writes these as character references: left to it


def _escape(text: str) -> str:
    # What ElementTree does to element text: &, < and > only (quotes stay as they are in text).
    if "&" in text:
        text = text.replace("&", "&amp;")
    if "<" in text:
        text = text.replace("<", "&lt;")
    if ">" in text:
        text = text.replace(">", "&gt;")
    return text


def twiml_reply(messages: Sequence[str]) -> str:
    """The TwiML document `str(twiml_messages(messages))` is, character for character, written without
    building twilio's verb objects and an ElementTree per webhook (tests/test_sms_twiml.py compares them)."""
    if not messages:
        return XML_DECLARATION + "<Response />"
    parts = [XML_DECLARATION, "<Response>"]
    for text in messages:
        if not text:
            parts.append("<Message />")  # twilio's builder sets no text for an empty body
        elif _SURROGATE.search(text):
            return str(twiml_messages(messages))
        else:
            parts += ("<Message>", _escape(text), "</Message>")
    parts.append("</Response>")
    return "".join(parts)
