"""The SMS channel: turns the engine's replies into as few text messages as read well."""

from __future__ import annotations

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


def twiml_messages(messages: tuple[str, ...] | list[str]) -> MessagingResponse:
    """An empty response means: reply nothing (after STOP, for instance)."""
    response = MessagingResponse()
    for text in messages:
        response.message(text)
    return response
