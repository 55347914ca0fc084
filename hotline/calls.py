"""The phone call use case: load the call, run the same engine as SMS, save, answer TwiML.

A call is a short series of webhooks. Every answer carries `?n=<next>` in its action URLs, so a
webhook Twilio retries (same CallSid, same n) is answered with the TwiML saved the first time and
changes nothing twice. The engine decides what the triage says; this module adds what only a call
needs: choosing a language, keys that work everywhere (star, 0, 9), re-prompts, a step limit,
connecting to a nurse, callbacks and "press 1 to get this advice by text".
"""

from __future__ import annotations

import logging
import random
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from zoneinfo import ZoneInfo

from rq import Retry

from hotline.channels.voice import (
    KEY_WORDS,
    Voice,
    apology,
    ask,
    choose_language,
    connect,
    goodbye,
    hints_for,
    option_sentences,
    phrase,
    record,
    speech_parts,
    spoken_key,
)
from hotline.engine.flow import Flow
from hotline.engine.levels import Level
from hotline.engine.records import JsonRecord
from hotline.engine.runner import (
    HELP_WORDS,
    LANGUAGE_WORDS,
    STOP_WORDS,
    Assessment,
    Context,
    Enroll,
    Option,
    Reply,
    State,
    Turn,
    advance,
    normalize,
)
from hotline.engine.safety import screen_for_red_flags
from hotline.phone import sender_number
from hotline.services import Services
from hotline.settings import Settings
from hotline.store.calls import Callback, CallStore

log = logging.getLogger(__name__)

MAX_STEPS = 40  # inputs per call; then a polite goodbye, so no call loops forever
MAX_REPROMPTS = 2  # silence or an unclear answer is asked again at most twice
MAX_ATTEMPTS = 30
MAX_SPEECH_CHARS = 500
SUMMARY_MAX_CHARS = 1500  # under Twilio's 1,600-character cap for one text
SUMMARY_RETRY = Retry(max=3, interval=[30, 120, 600])
ROUTES = {"input": "/twilio/voice/gather", "dialed": "/twilio/voice/dialed", "recorded": "/twilio/voice/recorded"}

# Engine messages written for texting; a caller hears the voice layer's own words instead.
SMS_ONLY_MESSAGES = ("menu_hint", "language_set", "choices_intro")
SPANISH_CHOICES = {"2", "espanol", "spanish", "en espanol", "dos", "oprima 2"}

EMERGENCY_WORDS = ("emergency", "emergencia")
# Pressing 9 or saying "emergency" is the parent's word that it is one (CLINICAL-RULES: take it): recorded
# like any assessment, so staff see it.
_SAID_EMERGENCY = Assessment(Level.EMERGENCY, ("emergency_said",), ()).to_dict()
TEXT_WORDS = ("text", "text me", "texto", "mensaje")
CHECKIN_WORDS = ("check in", "check-in", "check ins", "seguimiento")
NURSE_WORDS = ("nurse", "call me back", "callback", "enfermera", "llamenme")

clock: Callable[[], float] = time.time  # tests set the time of day for staffed hours


@dataclass(frozen=True)
class CallEvent:
    """One webhook of a call, parsed: what the caller pressed or said, or how a dial or recording ended."""

    kind: str  # start | input | dialed | recorded
    call_sid: str
    number: str
    n: int = 0
    digits: str = ""
    speech: str = ""
    dial_status: str = ""
    recording_url: str = ""
    recording_seconds: int | None = None

    @classmethod
    def from_twilio(cls, kind: str, form: Mapping[str, str], args: Mapping[str, str],
                    default_region: str) -> CallEvent:
        try:
            n = max(0, int(args.get("n", "0")))
        except ValueError:
            n = 0
        try:
            seconds: int | None = int(form.get("RecordingDuration", ""))
        except ValueError:
            seconds = None
        recording = form.get("RecordingUrl", "")
        return cls(
            kind=kind,
            call_sid="".join(ch for ch in form.get("CallSid", "") if ch.isalnum())[:64],
            number=sender_number(form.get("From", ""), default_region),
            n=n,
            digits=(form.get("Digits") or "").strip()[:1],
            speech=(form.get("SpeechResult") or "").strip()[:MAX_SPEECH_CHARS],
            dial_status=(form.get("DialCallStatus") or "").strip(),
            recording_url=recording if recording.startswith("https://") else "",
            recording_seconds=seconds,
        )


@dataclass(frozen=True)
class CallState(JsonRecord):
    """A call between webhooks. `said` and `question` are kept so star can repeat them."""

    number: str = ""
    language: str = "en"
    mode: str = "language"  # language | flow | outcome | emergency | dialing | done
    engine: str = ""  # the engine's State as JSON
    seq: int = 1  # the n the next webhook carries
    steps: int = 0
    misses: int = 0
    said: tuple[str, ...] = ()
    question: tuple[str, ...] = ()
    hints: str = ""
    summary: str = ""
    level: str | None = None
    opted_out: bool = False
    transfer_failed: bool = False


@dataclass(frozen=True)
class SendSummary:
    text: str


@dataclass(frozen=True)
class RequestCallback:
    pass


@dataclass(frozen=True)
class AttachRecording:
    url: str
    seconds: int | None


@dataclass(frozen=True)
class EnrollCheckins:
    """The caller pressed 3 at an outcome: their consent to check-in texts, given by voice."""


CallEffect = SendSummary | RequestCallback | AttachRecording | EnrollCheckins


@dataclass
class Answer:
    """What one webhook produces: the TwiML, the call's new state, transcript entries and effects."""

    twiml: str
    state: CallState
    heard: str = ""
    spoken: list[str] = field(default_factory=list)
    assessment: dict[str, object] | None = None
    effects: list[CallEffect] = field(default_factory=list)
    sections: tuple[str, ...] = ()  # the article sections the spoken guidance paraphrases (staff insights)


def within_staffed_hours(settings: Settings, at: float) -> bool:
    local = datetime.fromtimestamp(at, ZoneInfo(settings.default_timezone))
    now = (local.hour, local.minute)
    start, end = settings.staffed_hours
    return start <= now < end if start <= end else (now >= start or now < end)


def handle_call(event: CallEvent, services: Services) -> str:
    """Answer one call webhook with TwiML. Safe to call twice with the same webhook (Twilio retries)."""
    store = CallStore(services.redis, services.conversations)
    for attempt in range(MAX_ATTEMPTS):
        loaded = store.load(event.call_sid, event.n)
        if loaded.previous_reply is not None:
            return loaded.previous_reply
        state = CallState.from_json(loaded.state_raw)
        if state is None and event.kind == "start":
            state = CallState(number=event.number, opted_out=_opted_out(services, event.number))
        answer = _Call(services, state or CallState(number=event.number), event).respond()
        entries = _entries(answer)
        result = store.commit(
            event.call_sid, event.n, expected=loaded.state_raw, new_state=answer.state.to_json(),
            reply=answer.twiml, number=answer.state.number, language=answer.state.language, entries=entries,
            level=str((answer.assessment or {}).get("level") or ""), sections=answer.sections,
        )
        if result == "ok":
            if answer.assessment:
                services.metrics.assessed(str(answer.assessment.get("level")), "voice")
            _apply(answer, event, services, store)
            _open_case(answer, services)
            return answer.twiml
        if result == "duplicate":
            again = store.load(event.call_sid, event.n)
            return again.previous_reply or answer.twiml
        time.sleep(random.uniform(0, 0.002 * (attempt + 1)))
    raise RuntimeError("call state kept changing")


def call_apology(services: Services) -> str:
    """The answer when anything fails: sorry and the emergency number, spoken in both languages."""
    settings = services.settings
    return str(apology(Voice(settings.voice_en, "en"), Voice(settings.voice_es, "es"), settings.emergency_number))


def _says_any(norm: str, words: tuple[str, ...]) -> bool:
    return any(re.search(rf"(?<!\w){re.escape(word)}(?!\w)", norm) for word in words)


def _opted_out(services: Services, number: str) -> bool:
    return bool(number) and services.conversations.is_opted_out(number)


def _entries(answer: Answer) -> list[dict[str, object]]:
    entries: list[dict[str, object]] = []
    if answer.heard:
        entries.append({"dir": "in", "channel": "voice", "text": answer.heard})
    if answer.spoken:
        entries.append({"dir": "out", "channel": "voice", "text": " ".join(answer.spoken)})
    if answer.assessment:
        entries.append({"dir": "assessment", "channel": "voice", **answer.assessment})
    return entries


def _open_case(answer: Answer, services: Services) -> None:
    """A call assessed urgent or emergency, or a callback request, opens (or updates) the number's staff case,
    which alerts on-call staff (hotline/cases.py)."""
    assessment = answer.assessment or {}
    callback = any(isinstance(effect, RequestCallback) for effect in answer.effects)
    level = str(assessment.get("level") or "")
    if not callback and level not in (Level.URGENT.label, Level.EMERGENCY.label):
        return
    try:
        flags = tuple(str(flag) for flag in assessment.get("flags") or ())  # type: ignore[attr-defined]
        services.cases.after_call(answer.state.number, level=level or answer.state.level, flags=flags,
                                  callback=callback)
    except Exception:  # the caller has their answer already
        log.exception("could not open a case for a call")


def _apply(answer: Answer, event: CallEvent, services: Services, store: CallStore) -> None:
    """Effects run only after the answer is saved, so a retried webhook never repeats them."""
    for effect in answer.effects:
        try:
            if isinstance(effect, SendSummary):
                summary_id = f"{event.call_sid}-{event.n}"
                store.save_summary(summary_id, answer.state.number, effect.text)
                services.queue.enqueue("workers.summary.send_call_summary", summary_id,
                                       job_id=f"summary-{summary_id}", retry=SUMMARY_RETRY)
            elif isinstance(effect, RequestCallback):
                store.request_callback(Callback(
                    id=event.call_sid, number=answer.state.number, level=answer.state.level,
                    language=answer.state.language, requested_at=round(clock(), 3),
                ))
                log.info("callback requested for %s", services.refs.of(answer.state.number))
            elif isinstance(effect, AttachRecording):
                store.attach_recording(event.call_sid, effect.url, effect.seconds)
            elif isinstance(effect, EnrollCheckins):
                services.reminders.enroll(answer.state.number, "checkin", channel="voice",
                                          language=answer.state.language, trusted=True)
        except Exception:  # the caller has their answer already; staff can still see the call
            log.exception("call effect %s failed", type(effect).__name__)


class _Call:
    """One webhook being handled: reads the state and the event, returns an Answer."""

    def __init__(self, services: Services, state: CallState, event: CallEvent) -> None:
        self.services = services
        self.settings = services.settings
        self.flow: Flow = services.flow
        self.event = event
        self.emergency = self.settings.emergency_number
        self.state = replace(state, seq=max(state.seq, event.n + 1))
        self.heard = event.speech or event.digits

    # --- helpers ---------------------------------------------------------------------------

    @property
    def language(self) -> str:
        return self.state.language

    def voice(self, language: str | None = None) -> Voice:
        language = language or self.language
        return Voice(self.settings.voice_es if language == "es" else self.settings.voice_en, language)

    def phrase(self, name: str) -> str:
        return phrase(name, self.language, self.emergency)

    def action(self, kind: str = "input") -> str:
        return f"{ROUTES[kind]}?n={self.state.seq}"

    def answer(self, twiml: object, spoken: list[str], **extra: object) -> Answer:
        return Answer(str(twiml), self.state, heard=self.heard, spoken=spoken, **extra)  # type: ignore[arg-type]

    def engine_state(self) -> State:
        return State.from_json(self.state.engine) or State(step=self.flow.start, language=self.language)

    def context(self) -> Context:
        # STOP is an SMS opt-out: a parent who texted STOP and then calls is still answered on the call (the
        # engine's opted_out means "send nothing"). What a call would text is checked in can_text().
        return Context(emergency_number=self.emergency, known_contact=True, opted_out=False)

    def can_text(self) -> bool:
        return bool(self.state.number) and not self.state.opted_out

    def transfer_available(self) -> bool:
        return (bool(self.settings.transfer_number) and not self.state.transfer_failed
                and within_staffed_hours(self.settings, clock()))

    # --- asking ----------------------------------------------------------------------------

    def ask(self, before: list[str], question: list[str], hints: str, *, mode: str | None = None,
            remember: bool = True, **extra: object) -> Answer:
        if remember:
            self.state = replace(self.state, said=tuple(before), question=tuple(question), hints=hints)
        if mode:
            self.state = replace(self.state, mode=mode)
        twiml = ask(self.voice(), before=before, question=question, action=self.action(), hints=hints)
        return self.answer(twiml, [*before, *question], **extra)

    def bye(self, parts: list[str]) -> Answer:
        self.state = replace(self.state, mode="done")
        return self.answer(goodbye(self.voice(), parts), parts)

    def repeat(self, intro: list[str] | None = None) -> Answer:
        before = [*(intro or []), *self.state.said]
        return self.ask(before, list(self.state.question), self.state.hints, remember=False)

    def missed(self, kind: str) -> Answer:
        """Silence or an unclear answer: ask again at most twice, then a polite goodbye."""
        self.state = replace(self.state, misses=self.state.misses + 1)
        if self.state.misses > MAX_REPROMPTS:
            if self.state.mode == "emergency":
                return self.bye([self.phrase("emergency_hang_up"), self.phrase("goodbye_no_answer")])
            return self.bye([self.phrase("goodbye_no_answer")])
        return self.ask([self.phrase(kind)], list(self.state.question), self.state.hints, remember=False)

    # --- the call ----------------------------------------------------------------------------

    def respond(self) -> Answer:
        kind = self.event.kind
        if kind == "start":
            return self.greet()
        if kind == "recorded":
            return self.recorded()
        if kind == "dialed":
            return self.dialed()
        if self.state.mode == "done":
            return self.bye([self.phrase("transfer_done")])
        self.state = replace(self.state, steps=self.state.steps + 1)
        if self.state.steps > MAX_STEPS:
            return self.bye([self.phrase("goodbye_long_call")])
        if self.state.mode == "language":
            return self.chose_language()
        return self.heard_input()

    def greet(self) -> Answer:
        self.state = replace(self.state, mode="language", seq=self.event.n + 1)
        greeting = speech_parts(phrase("greeting", "en", self.emergency))
        twiml = choose_language(self.voice("en"), self.voice("es"), greeting=greeting, action=self.action())
        spoken = [*greeting, phrase("choose_language", "en"), phrase("choose_language", "es")]
        self.state = replace(self.state, said=(), question=tuple(spoken), hints="English, Spanish, español")
        return self.answer(twiml, spoken)

    def chose_language(self) -> Answer:
        digits, speech = self.event.digits, self.event.speech
        norm = normalize(speech)
        spanish = digits == "2" or norm in SPANISH_CHOICES or spoken_key(speech) == "2"
        self.state = replace(self.state, language="es" if spanish else "en", mode="flow")
        self.state = replace(self.state, engine=State(step=self.flow.start, language=self.language).to_json())
        if digits == "9":
            return self.emergency_menu([], assessment=_SAID_EMERGENCY)
        if speech and not spanish and spoken_key(speech) is None and norm not in LANGUAGE_WORDS:
            # Said something else straight away ("she is having a seizure"): the triage hears it.
            return self.run_engine(speech)
        return self.run_engine("menu")

    def heard_input(self) -> Answer:
        digits, speech = self.event.digits, self.event.speech
        norm = normalize(speech)
        key = digits if digits else spoken_key(speech) if speech else None
        if not digits and not speech or digits == "#":
            return self.missed("silence")
        if key == "*" or norm in KEY_WORDS["repeat"]:
            self.state = replace(self.state, misses=0)
            return self.repeat()
        if key == "9" or (_says_any(norm, EMERGENCY_WORDS) and "emergency_said" in screen_for_red_flags(speech).flags):
            return self.emergency_menu([], assessment=_SAID_EMERGENCY)  # "this is not an emergency" is not one
        if norm in HELP_WORDS:
            self.state = replace(self.state, misses=0)
            return self.repeat([self.phrase("help")])
        if key is not None:
            return self.pressed(key)
        if self.state.mode == "outcome" and self.can_text() and _says_any(norm, CHECKIN_WORDS):
            return self.enroll_checkins()
        if self.state.mode in ("outcome", "emergency") and _says_any(norm, TEXT_WORDS):
            return self.send_summary()
        if self.state.mode == "emergency" and _says_any(norm, NURSE_WORDS):
            return self.transfer_or_callback()
        if norm in STOP_WORDS:
            # On a call "stop" is not an opt-out from texts; it is not an answer either.
            return self.missed("not_understood")
        return self.run_engine(speech)

    def pressed(self, key: str) -> Answer:
        mode = self.state.mode
        if key == "0":
            return self.run_engine("0")
        if mode == "outcome":
            if key == "1":
                return self.send_summary()
            if key == "2":
                return self.repeat()
            if key == "3" and self.can_text():
                return self.enroll_checkins()
            return self.missed("not_understood")
        if mode == "emergency":
            if key == "1":
                return self.transfer_or_callback()
            if key == "2":
                return self.send_summary()
            return self.missed("not_understood")
        step = self.flow.steps[self.engine_state().step or self.flow.start]
        if step.choice(key) is None:
            return self.missed("not_understood")
        return self.run_engine(key)

    # --- the engine --------------------------------------------------------------------------

    def run_engine(self, text: str) -> Answer:
        turn = advance(self.flow, self.engine_state(), text, self.context())
        answer = self.answer_turn(turn)
        if self.understood(turn):
            answer.sections = turn.guidance_sections
        # The engine's effects are carried out by phone as by text: "YES, send me check-ins" enrolls.
        if any(isinstance(effect, Enroll) for effect in turn.effects):
            answer.effects.append(EnrollCheckins())
        return answer

    def answer_turn(self, turn: Turn) -> Answer:
        if not self.understood(turn):
            return self.missed("not_understood")
        self.state = replace(self.state, engine=turn.state.to_json(), language=turn.state.language, misses=0)
        assessment = turn.assessment
        record = assessment.to_dict() if assessment else None
        if assessment:
            self.state = replace(self.state, level=assessment.level.label)
        before, prompt = self.read_aloud(turn)
        if assessment and assessment.level is Level.EMERGENCY:
            return self.emergency_menu(before, assessment=record)
        step = self.flow.steps[turn.state.step or self.flow.start]
        if assessment and step.outcome:
            return self.outcome_menu(before, record)
        if prompt is None:
            if any(reply.message in ("thanks", "acknowledged") for reply in turn.replies):
                # "You're welcome", then the question again: not the whole advice a second time.
                return self.ask(before, list(self.state.question), self.state.hints, remember=False)
            return self.repeat(before)
        question = speech_parts(prompt.text) + option_sentences(prompt.options, self.language)
        if step.id == self.flow.start:
            question.append(self.phrase("keys_help"))
        return self.ask(before, question, hints_for(prompt.options, self.language), mode="flow",
                        assessment=record)

    def understood(self, turn: Turn) -> bool:
        if turn.assessment is not None or (turn.screening is not None and turn.screening.level is not None):
            return True
        return not any(reply.message in ("not_understood", "no_match") for reply in turn.replies)

    def read_aloud(self, turn: Turn) -> tuple[list[str], Reply | None]:
        """The turn's replies as short spoken parts, and the prompt (the reply with options), if any."""
        before: list[str] = []
        prompt = None
        for reply in turn.replies:
            if reply.message in SMS_ONLY_MESSAGES:
                continue
            if reply.message in ("thanks", "acknowledged"):  # the text versions say "Text MENU"
                before.append(self.phrase(reply.message))
                continue
            if reply.options:
                prompt = reply
            else:
                before += speech_parts(reply.text)
        return before, prompt

    def summary_of(self, before: list[str]) -> str:
        """The advice just heard, as one text of at most SUMMARY_MAX_CHARS."""
        text = self.phrase("summary_intro")
        for part in before:
            if len(text) + 1 + len(part) > SUMMARY_MAX_CHARS:
                break
            text = f"{text} {part}" if not text.endswith(":") else f"{text}\n{part}"
        return text

    # --- outcomes ----------------------------------------------------------------------------

    def outcome_menu(self, before: list[str], record: dict[str, object] | None) -> Answer:
        question = []
        if self.can_text():
            question.append(self.phrase("outcome_text"))
        question.append(self.phrase("outcome_repeat"))
        if self.can_text():
            question.append(self.phrase("outcome_checkins"))
        question.append(self.phrase("outcome_menu"))
        self.state = replace(self.state, summary=self.summary_of(before))
        return self.ask(before, question, self.hints("outcome"), mode="outcome", assessment=record)

    def emergency_menu(self, before: list[str], assessment: dict[str, object] | None = None) -> Answer:
        """Hang up and call the emergency number; then a nurse now, a callback, or the advice by text."""
        self.state = replace(self.state, level=Level.EMERGENCY.label, misses=0)
        headline = self.flow.message("level_emergency", self.language).replace("{emergency}", self.emergency)
        if not before:
            before = speech_parts(headline)
        self.state = replace(self.state, summary=self.summary_of(before))
        question = [self.phrase("emergency_hang_up")]
        if self.transfer_available():
            question.append(self.phrase("offer_transfer"))
        elif self.state.number:
            question.append(self.phrase("offer_callback"))
        if self.can_text():
            question.append(self.phrase("emergency_text"))
        return self.ask(before, question, self.hints("emergency"), mode="emergency", assessment=assessment)

    def hints(self, kind: str) -> str:
        words = TEXT_WORDS if kind == "outcome" else (*TEXT_WORDS, *NURSE_WORDS)
        return hints_for([Option("1", "text", words)], self.language)

    def send_summary(self) -> Answer:
        if not self.can_text() or not self.state.summary:
            return self.bye([self.phrase("summary_not_possible")])
        answer = self.bye([self.phrase("summary_queued")])
        answer.effects.append(SendSummary(self.state.summary))
        return answer

    def enroll_checkins(self) -> Answer:
        """Sign up for check-in texts, then offer the outcome menu again (the advice by text, or the menu)."""
        question = [self.phrase("outcome_text"), self.phrase("outcome_menu")]
        answer = self.ask([self.phrase("checkins_enrolled")], question, self.hints("outcome"), mode="outcome")
        answer.effects.append(EnrollCheckins())
        return answer

    def transfer_or_callback(self) -> Answer:
        if self.transfer_available():
            self.state = replace(self.state, mode="dialing")
            parts = [self.phrase("connecting")]
            twiml = connect(self.voice(), before=parts, number=self.settings.transfer_number or "",
                            action=self.action("dialed"))
            return self.answer(twiml, parts)
        if not self.state.number:
            return self.bye([self.phrase("no_number"), self.phrase("emergency_hang_up")])
        self.state = replace(self.state, mode="done")
        before, after = [self.phrase("record_prompt")], [self.phrase("callback_saved")]
        twiml = record(self.voice(), before=before, action=self.action("recorded"), after=after)
        return self.answer(twiml, [*before, *after], effects=[RequestCallback()])

    def dialed(self) -> Answer:
        if self.event.dial_status == "completed":
            return self.bye([self.phrase("transfer_done")])
        # no-answer, busy, failed or canceled: the emergency advice again, and a callback instead.
        self.state = replace(self.state, transfer_failed=True, mode="emergency", misses=0)
        before = [self.phrase("transfer_failed")]
        question = []
        if self.state.number:
            question.append(self.phrase("offer_callback"))
        if self.can_text():
            question.append(self.phrase("emergency_text"))
        if not question:
            return self.bye([*before, self.phrase("transfer_done")])
        return self.ask(before, question, self.hints("emergency"))

    def recorded(self) -> Answer:
        answer = self.bye([self.phrase("callback_saved")])
        if self.event.recording_url:
            answer.effects.append(AttachRecording(self.event.recording_url, self.event.recording_seconds))
        answer.heard = "[recorded message]" if self.event.recording_url else ""
        return answer
