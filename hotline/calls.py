"""The phone call use case: load the call, run its state machine, render TwiML, save, carry out the effects.

A call is a short series of webhooks. Every answer carries `?n=<next>` in its action URLs, so a
webhook Twilio retries (same CallSid, same n) is answered with the TwiML saved the first time and
changes nothing twice. What the call says is decided by the pure machine in `hotline/engine/call.py`
(the same engine and flow as SMS, plus the call's menus from `flows/voice.yaml`); this module hands it
what only the app knows (settings, the services' clock, the caller's opt-out) and does what it asks.
"""

from __future__ import annotations

import logging
import random
import time
from datetime import datetime
from zoneinfo import ZoneInfo

from rq import Retry

from hotline.channels.voice import Voice, Voices, apology, render
from hotline.engine import call
from hotline.engine.call import (
    AttachRecording,
    CallConfig,
    CallEvent,
    CallState,
    CallTurn,
    RequestCallback,
    SendSummary,
)
from hotline.engine.levels import Level
from hotline.engine.runner import Enroll
from hotline.services import Services
from hotline.settings import Settings
from hotline.store.calls import Callback, CallStore

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 30
SUMMARY_RETRY = Retry(max=3, interval=[30, 120, 600])


def within_staffed_hours(settings: Settings, at: float) -> bool:
    local = datetime.fromtimestamp(at, ZoneInfo(settings.default_timezone))
    now = (local.hour, local.minute)
    start, end = settings.staffed_hours
    return start <= now < end if start <= end else (now >= start or now < end)


def handle_call(event: CallEvent, services: Services) -> str:
    """Answer one call webhook with TwiML. Safe to call twice with the same webhook (Twilio retries)."""
    store = CallStore(services.redis, services.conversations)
    settings = services.settings
    for attempt in range(MAX_ATTEMPTS):
        loaded = store.load(event.call_sid, event.n)
        if loaded.previous_reply is not None:
            return loaded.previous_reply
        state = CallState.from_json(loaded.state_raw)
        if state is None and event.kind == "start":
            state = CallState(number=event.number, opted_out=_opted_out(services, event.number))
        state = state or CallState(number=event.number)
        turn = call.step(state, event, _config(services, state))
        twiml = render(turn, _voices(settings), settings.transfer_number or "")
        result = store.commit(
            event.call_sid, event.n, expected=loaded.state_raw, new_state=turn.state.to_json(),
            reply=twiml, number=turn.state.number, language=turn.state.language, entries=_entries(turn),
            level=turn.assessment.level.label if turn.assessment else "", sections=turn.sections,
        )
        if result == "ok":
            if turn.assessment:
                services.metrics.assessed(turn.assessment.level.label, "voice")
            _apply(turn, event, services, store)
            _open_case(turn, services)
            return twiml
        if result == "duplicate":
            again = store.load(event.call_sid, event.n)
            return again.previous_reply or twiml
        time.sleep(random.uniform(0, 0.002 * (attempt + 1)))
    raise RuntimeError("call state kept changing")


def call_apology(services: Services) -> str:
    """The answer when anything fails: sorry and the emergency number, spoken in both languages."""
    return apology(_voices(services.settings), services.flow.voice, services.settings.emergency_number)


def _config(services: Services, state: CallState) -> CallConfig:
    """What the machine cannot know itself: the emergency number, whether the nurse line is staffed now,
    whether this caller may be texted (their number is known, and did not text STOP when the call began)."""
    settings, now = services.settings, services.clock()
    return CallConfig(
        flow=services.flow,
        emergency_number=settings.emergency_number,
        transfer_open=bool(settings.transfer_number) and within_staffed_hours(settings, now),
        can_text=bool(state.number) and not state.opted_out,
        today=datetime.fromtimestamp(now, ZoneInfo(settings.default_timezone)).date(),
    )


def _voices(settings: Settings) -> Voices:
    return Voices(en=Voice(settings.voice_en, "en"), es=Voice(settings.voice_es, "es"))


def _opted_out(services: Services, number: str) -> bool:
    return bool(number) and services.conversations.is_opted_out(number)


def _entries(turn: CallTurn) -> list[dict[str, object]]:
    entries: list[dict[str, object]] = []
    if turn.heard:
        entries.append({"dir": "in", "channel": "voice", "text": turn.heard})
    if turn.spoken:
        entries.append({"dir": "out", "channel": "voice", "text": " ".join(turn.spoken)})
    if turn.assessment:
        entries.append({"dir": "assessment", "channel": "voice", **turn.assessment.to_dict()})
    return entries


def _open_case(turn: CallTurn, services: Services) -> None:
    """A call assessed urgent or emergency, or a callback request, opens (or updates) the number's staff case,
    which alerts on-call staff (hotline/cases.py)."""
    assessment = turn.assessment
    callback = any(isinstance(effect, RequestCallback) for effect in turn.effects)
    level = assessment.level.label if assessment else ""
    if not callback and level not in (Level.URGENT.label, Level.EMERGENCY.label):
        return
    try:
        services.cases.after_call(turn.state.number, level=level or turn.state.level,
                                  flags=assessment.flags if assessment else (), callback=callback)
    except Exception:  # the caller has their answer already
        log.exception("could not open a case for a call")


def _apply(turn: CallTurn, event: CallEvent, services: Services, store: CallStore) -> None:
    """Effects run only after the answer is saved, so a retried webhook never repeats them."""
    number, language = turn.state.number, turn.state.language
    for effect in turn.effects:
        try:
            if isinstance(effect, SendSummary):
                summary_id = f"{event.call_sid}-{event.n}"
                store.save_summary(summary_id, number, effect.text)
                services.queue.enqueue("workers.summary.send_call_summary", summary_id,
                                       job_id=f"summary-{summary_id}", retry=SUMMARY_RETRY)
            elif isinstance(effect, RequestCallback):
                store.request_callback(Callback(
                    id=event.call_sid, number=number, level=turn.state.level, language=language,
                    requested_at=round(services.clock(), 3),
                ))
                log.info("callback requested for %s", services.refs.of(number))
            elif isinstance(effect, AttachRecording):
                store.attach_recording(event.call_sid, effect.url, effect.seconds)
            elif isinstance(effect, Enroll):
                # The caller's consent, given by voice: a menu row or the flow's own check-in question.
                services.reminders.enroll(number, effect.schedule, channel="voice", language=language,
                                          trusted=True)
        except Exception:  # the caller has their answer already; staff can still see the call
            log.exception("call effect %s failed", type(effect).__name__)
