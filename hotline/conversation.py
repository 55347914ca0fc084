"""One use case end to end: load the session, run the engine, save, apply effects."""

from __future__ import annotations

import logging
import random
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Protocol

from hotline.channels.sms import render_sms
from hotline.engine.levels import Level
from hotline.engine.runner import CheckinReply, Context, Enroll, OptIn, OptOut, State, Turn, advance, opt_keyword
from hotline.phone import sender_number
from hotline.services import Services
from hotline.store.conversations import Loaded

log = logging.getLogger(__name__)

MAX_BODY_CHARS = 1600  # Twilio's own cap for one inbound message
RATE_LIMIT = 15  # inbound messages per number per minute before the hotline asks them to slow down
MAX_ATTEMPTS = 30  # compare-and-set retries when messages for one number race


class HeaderLookup(Protocol):
    """What is read from a request's headers: a mapping, or Flask's case-insensitive Headers."""

    def get(self, key: str, default: str) -> str: ...


@dataclass(frozen=True)
class Inbound:
    """A message from a parent, whatever the channel."""

    number: str  # E.164 when it could be read, else "" (then nothing is saved)
    text: str
    message_sid: str = ""
    idempotency_token: str = ""
    channel: str = "sms"
    media: int = 0  # pictures or videos attached (MMS); we keep only the count, never the files

    @classmethod
    def from_sms(cls, form: Mapping[str, str], headers: HeaderLookup, default_region: str) -> Inbound:
        media = form.get("NumMedia") or "0"
        return cls(
            number=sender_number(form.get("From", ""), default_region),
            text=(form.get("Body") or "")[:MAX_BODY_CHARS],
            message_sid=_safe_id(form.get("MessageSid") or form.get("SmsSid") or ""),
            idempotency_token=_safe_id(headers.get("I-Twilio-Idempotency-Token", "")),
            media=min(int(media), 10) if media.isdigit() else 0,  # Twilio allows 10 per message
        )


@dataclass(frozen=True)
class Handled:
    messages: tuple[str, ...]
    turn: Turn | None = None  # None when the reply was a replay of an earlier answer


def local_today(services: Services) -> date:
    """Today in the hotline's time zone, on the services' clock: an age given as a date of birth is counted to it."""
    return services.clock.today(services.settings.default_timezone)


_PLAIN_ID = re.compile(r"[A-Za-z0-9_-]*")  # what Twilio sends: kept as it is, without a look at each character


def _safe_id(value: str) -> str:
    if _PLAIN_ID.fullmatch(value):
        return value[:64]
    return "".join(ch for ch in value if ch.isalnum() or ch in "-_")[:64]


def handle_inbound(inbound: Inbound, services: Services) -> Handled:
    """Answer one inbound message. Safe to call twice with the same message (Twilio retries)."""
    flow = services.flow
    settings = services.settings
    if not inbound.number:
        # No number we can keep a conversation for: answer statelessly, save nothing.
        turn = advance(flow, None, inbound.text, Context(emergency_number=settings.emergency_number,
                                                         media=inbound.media, today=local_today(services)))
        if turn.assessment:
            services.metrics.assessed(turn.assessment.level.label, inbound.channel)
        return Handled(render_sms(turn, flow.message("choices_intro", turn.state.language)), turn)

    store = services.conversations
    keyword = opt_keyword(inbound.text)
    for attempt in range(MAX_ATTEMPTS):
        loaded = store.load(inbound.number, inbound.message_sid, inbound.idempotency_token, count=attempt == 0)
        if loaded.previous_reply is not None:
            return Handled(loaded.previous_reply)
        if attempt == 0:
            recent = loaded.recent_messages
        checkin = loaded.pending_checkin
        state = State.from_json(loaded.session_raw)
        if checkin and (state is None or state.step is None):
            # A reply to a check-in text, the conversation itself long over: answer in the language the
            # parent enrolled in (the reminder was in it), not the default.
            enrollment = services.reminders.enrollments.get(checkin.split(":")[0])
            if enrollment is not None:
                state = State(language=enrollment.language)
        context = Context(settings.emergency_number, loaded.known_contact, loaded.opted_out, bool(checkin),
                          media=inbound.media, claimed=bool(loaded.claim), today=local_today(services))
        turn = advance(flow, state, inbound.text, context)
        if recent > RATE_LIMIT and not _emergency(turn) and not _opt_change(turn):
            # A flood from one number: one "please slow down", then silence until the window passes.
            # The messages are still kept, up to the flood limit; an emergency is never held back, and a STOP
            # or START is always honoured (and confirmed).
            handled = _rate_limited(services, inbound, loaded, recent, turn.state.language, keyword,
                                    quiet=bool(loaded.claim))
            if loaded.open_case or loaded.claim:
                apply_case_effects(services, inbound, loaded, None)  # staff still see it come in, live
            return handled
        messages = render_sms(turn, flow.message("choices_intro", turn.state.language))
        entries: list[dict[str, object]] = [{"dir": "in", "channel": inbound.channel, "text": inbound.text}]
        if inbound.media:
            entries[0]["media"] = inbound.media  # staff see that a picture or video came, not the file
        entries += [{"dir": "out", "channel": inbound.channel, "text": m} for m in messages]
        if turn.assessment:
            entries.append({"dir": "assessment", **turn.assessment.to_dict()})
        optout = ("set" if any(isinstance(e, OptOut) for e in turn.effects)
                  else "del" if any(isinstance(e, OptIn) for e in turn.effects) else "")
        result = store.commit(
            inbound.number,
            expected_session=loaded.session_raw,
            new_session=turn.state.to_json(),
            language=turn.state.language,
            reply=messages,
            entries=entries,
            optout=optout,
            message_sid=inbound.message_sid,
            token=inbound.idempotency_token,
            keyword=keyword,
            # Past the flood limit texts are answered but not stored; staff must still see these.
            keep=_emergency(turn) or bool(turn.assessment and turn.assessment.level >= Level.URGENT),
            channel=inbound.channel,
            level=turn.assessment.level.label if turn.assessment else "",
            sections=turn.guidance_sections,
        )
        if result == "ok":
            if turn.assessment:
                services.metrics.assessed(turn.assessment.level.label, inbound.channel)
            apply_reminder_effects(services, inbound, turn, checkin)
            apply_case_effects(services, inbound, loaded, turn)
            if turn.assessment and turn.assessment.level >= Level.URGENT:
                log.info("assessment %s for %s", turn.assessment.level.label, services.refs.of(inbound.number))
            return Handled(messages, turn)
        if result == "duplicate":
            again = store.load(inbound.number, inbound.message_sid, inbound.idempotency_token)
            return Handled(again.previous_reply or messages)
        if result == "replayed":
            return _replayed(services, inbound)
        # conflict: another message for this number was saved meanwhile; run again on its state,
        # after a short random pause so racing webhooks stop colliding.
        time.sleep(random.uniform(0, 0.002 * (attempt + 1)))
    log.warning("gave up after %d conflicting writes for %s", MAX_ATTEMPTS, services.refs.of(inbound.number))
    raise RuntimeError("session kept changing")


def _emergency(turn: Turn) -> bool:
    return turn.screening is not None and turn.screening.level is Level.EMERGENCY


def _opt_change(turn: Turn) -> bool:
    return any(isinstance(effect, OptOut | OptIn) for effect in turn.effects)


def _replayed(services: Services, inbound: Inbound) -> Handled:
    """A STOP, START or YES handled more than a day ago, sent again: a replay of a captured signed request
    (Twilio's own retries come within the day its reply is kept). It is refused with no reply and no effect, so
    it can never undo a later opt-out or opt-in (docs/redis-keys.md, keys.keyword)."""
    log.warning("refused a replayed opt-out or opt-in message for %s", services.refs.of(inbound.number))
    return Handled(())


def _rate_limited(services: Services, inbound: Inbound, loaded: Loaded, recent: int, language: str,
                  keyword: bool, quiet: bool = False) -> Handled:
    flow = services.flow
    messages: tuple[str, ...] = ()
    if recent == RATE_LIMIT + 1 and not quiet:  # quiet: a nurse has the conversation, the bot says nothing
        log.warning("rate limit reached for %s", services.refs.of(inbound.number))
        text = flow.message("slow_down", language).replace("{emergency}", services.settings.emergency_number)
        messages = (text,)
    entries: list[dict[str, object]] = [{"dir": "in", "channel": inbound.channel, "text": inbound.text,
                                         "rate_limited": True}]
    entries += [{"dir": "out", "channel": inbound.channel, "text": m} for m in messages]
    # The session is written back unchanged: compare-and-set against itself, so nothing races.
    result = services.conversations.commit(
        inbound.number, expected_session=loaded.session_raw, new_session=loaded.session_raw or "{}",
        language=language, reply=messages, entries=entries,
        message_sid=inbound.message_sid, token=inbound.idempotency_token, keyword=keyword, channel=inbound.channel,
    )
    if result == "replayed":
        return _replayed(services, inbound)
    return Handled(messages)


def apply_reminder_effects(services: Services, inbound: Inbound, turn: Turn, checkin: str | None) -> None:
    """Enroll on the parent's YES (their consent, with time and channel); keep a check-in's answer."""
    for effect in turn.effects:
        try:
            if isinstance(effect, Enroll):
                services.reminders.enroll(inbound.number, effect.schedule, channel=inbound.channel,
                                          language=turn.state.language, trusted=True)
            elif isinstance(effect, CheckinReply) and checkin:
                services.reminders.answer_checkin(inbound.number, checkin, effect.answer)
        except Exception:  # the parent's reply is already saved: never turn it into an error message
            log.exception("could not apply %s for %s", type(effect).__name__, services.refs.of(inbound.number))


def apply_case_effects(services: Services, inbound: Inbound, loaded: Loaded, turn: Turn | None) -> None:
    """Open or update the number's staff case (an urgent or emergency assessment, a check-in answered "worse",
    any message while it has one), which alerts on-call staff and feeds the inbox live (hotline/cases.py)."""
    try:
        services.cases.after_inbound(inbound.number, loaded, turn)
    except Exception:  # the parent's reply is already saved: never turn it into an error message
        log.exception("could not open or update the case for %s", services.refs.of(inbound.number))


@dataclass(frozen=True)
class Fallback:
    messages: tuple[str, ...]
    emergency: bool  # the emergency reply, rather than the apology


def fallback_messages(services: Services, text: str) -> Fallback:
    """When saving failed (Redis down...): still catch an emergency, else apologise with the number."""
    flow = services.flow
    emergency = services.settings.emergency_number
    try:
        turn = advance(flow, None, text, Context(emergency_number=emergency, known_contact=True))
        if turn.assessment and turn.assessment.level is Level.EMERGENCY:
            return Fallback(render_sms(turn, flow.message("choices_intro", turn.state.language)), True)
        language = turn.state.language
    except Exception:  # the engine itself failed: the fixed sentence below still helps
        log.exception("engine failed in fallback")
        language = "en"
    return Fallback((flow.message("error", language).replace("{emergency}", emergency),), False)
