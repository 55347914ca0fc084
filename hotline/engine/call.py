"""The phone call's state machine: (call state, what the caller did, config) -> what to say next. Pure.

    turn = step(state, event, CallConfig(flow, emergency_number="911", transfer_open=False, can_text=True))
    turn.reply      # Ask | ChooseLanguage | Goodbye | Connect | Record: what the call says and does next
    turn.state      # the call's new state, to save
    turn.effects    # SendSummary | RequestCallback | AttachRecording | Enroll: for the caller to carry out

The triage is the engine's (`advance()`, the same flow as SMS); this module adds what only a call needs:
choosing a language, keys that work everywhere (star repeats, 0 is the main menu, 9 an emergency), re-prompts,
a step limit, and the outcome and emergency menus of `flows/voice.yaml` (`call_script.py`), dispatched through
the same rows that announce them. No TwiML, settings, clock or I/O: whatever depends on them (is the nurse line
staffed now? may this number be texted?) comes in `CallConfig`, and `hotline/channels/voice.py` renders the
reply.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date
from typing import assert_never

from hotline.engine.call_script import Condition, Menu, MenuAction, MenuRow, VoiceScript
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
    Reply,
    State,
    Turn,
    advance,
    normalize,
)
from hotline.engine.safety import screen_for_red_flags
from hotline.engine.speech import (
    NUMBER_WORDS,
    REPEAT_WORDS,
    hints,
    hints_for,
    option_sentences,
    says_any,
    speech_parts,
    spoken_key,
)

MAX_STEPS = 40  # inputs per call; then a polite goodbye, so no call loops forever
MAX_REPROMPTS = 2  # silence or an unclear answer is asked again at most twice
SUMMARY_MAX_CHARS = 1500  # under Twilio's 1,600-character cap for one text

# Engine messages written for texting; a caller hears the call's own words instead.
SMS_ONLY_MESSAGES = ("menu_hint", "language_set", "choices_intro")
SPANISH_CHOICES = {"2", "espanol", "spanish", "en espanol", "dos", "oprima 2"}
LANGUAGE_HINTS = "English, Spanish, español"
EMERGENCY_WORDS = ("emergency", "emergencia")
# Pressing 9 or saying "emergency" is the parent's word that it is one (CLINICAL-RULES: take it): recorded
# like any assessment, so staff see it.
SAID_EMERGENCY = Assessment(Level.EMERGENCY, ("emergency_said",), ())


@dataclass(frozen=True)
class CallEvent:
    """One webhook of a call: what the caller pressed or said, or how a dial or recording ended."""

    kind: str  # start | input | dialed | recorded
    call_sid: str
    number: str
    n: int = 0
    digits: str = ""
    speech: str = ""
    dial_status: str = ""
    recording_url: str = ""
    recording_seconds: int | None = None


@dataclass(frozen=True)
class CallState(JsonRecord):
    """A call between webhooks. `said` and `question` are kept so star can repeat them."""

    number: str = ""
    language: str = "en"
    mode: str = "language"  # language | flow | dialing | done, or the menu open: outcome | emergency | after_checkins
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
class CallConfig:
    """What the machine is told about the world on each webhook."""

    flow: Flow  # the triage flow, with the call's phrases and menus (flow.voice)
    emergency_number: str = "911"
    transfer_open: bool = False  # a nurse line exists and is staffed now
    can_text: bool = False  # the caller's number is known and has not texted STOP
    today: date | None = None  # the local date, for an age given as a date of birth


# --- What the call says and does next --------------------------------------------------------------------


@dataclass(frozen=True)
class Ask:
    """Say `before`, then ask `question`, answered by a key or by voice."""

    before: tuple[str, ...]
    question: tuple[str, ...]
    hints: str

    @property
    def spoken(self) -> tuple[str, ...]:
        return (*self.before, *self.question)


@dataclass(frozen=True)
class ChooseLanguage:
    """The greeting, then each language offered in its own voice."""

    greeting: tuple[str, ...]
    choices: tuple[tuple[str, str], ...]  # (language, "For English, press 1.")
    hints: str

    @property
    def spoken(self) -> tuple[str, ...]:
        return (*self.greeting, *(text for _, text in self.choices))


@dataclass(frozen=True)
class Goodbye:
    parts: tuple[str, ...]

    @property
    def spoken(self) -> tuple[str, ...]:
        return self.parts


@dataclass(frozen=True)
class Connect:
    """Say `before`, then dial the nurse line."""

    before: tuple[str, ...]

    @property
    def spoken(self) -> tuple[str, ...]:
        return self.before


@dataclass(frozen=True)
class Record:
    """Say `before`, record a message for a nurse, then say `after` and hang up."""

    before: tuple[str, ...]
    after: tuple[str, ...]

    @property
    def spoken(self) -> tuple[str, ...]:
        return (*self.before, *self.after)


CallReply = Ask | ChooseLanguage | Goodbye | Connect | Record


# --- What the caller (hotline/calls.py) carries out, after the call is saved ---------------------------------


@dataclass(frozen=True)
class SendSummary:
    """Text the caller the advice they just heard."""

    text: str


@dataclass(frozen=True)
class RequestCallback:
    """A nurse should call this number back."""


@dataclass(frozen=True)
class AttachRecording:
    url: str
    seconds: int | None


CallEffect = SendSummary | RequestCallback | AttachRecording | Enroll


@dataclass(frozen=True)
class CallTurn:
    state: CallState
    reply: CallReply
    heard: str = ""  # what the caller pressed or said, for the transcript
    assessment: Assessment | None = None
    effects: tuple[CallEffect, ...] = ()
    sections: tuple[str, ...] = ()  # the article sections the spoken guidance paraphrases (staff insights)

    @property
    def spoken(self) -> tuple[str, ...]:
        return self.reply.spoken


def step(state: CallState, event: CallEvent, config: CallConfig) -> CallTurn:
    """Answer one webhook of a call."""
    return _Step(state, event, config).respond()


def offered(menu: Menu, config: CallConfig, state: CallState) -> tuple[MenuRow, ...]:
    """The menu's rows that the caller can reach now (per key, the first whose condition holds)."""
    return menu.active(lambda condition: _holds(condition, config, state))


def _holds(condition: Condition, config: CallConfig, state: CallState) -> bool:
    if condition == "always":
        return True
    if condition == "can_text":
        return config.can_text
    if condition == "can_transfer":
        return config.transfer_open and not state.transfer_failed
    if condition == "has_number":
        return bool(state.number)
    assert_never(condition)


class _Step:
    """One webhook being answered: `state` is replaced as the answer is worked out, then returned in a turn."""

    def __init__(self, state: CallState, event: CallEvent, config: CallConfig) -> None:
        self.config = config
        self.flow = config.flow
        self.script: VoiceScript = config.flow.voice
        self.event = event
        self.emergency = config.emergency_number
        self.state = replace(state, seq=max(state.seq, event.n + 1))
        self.heard = event.speech or event.digits

    # --- helpers ---------------------------------------------------------------------------

    @property
    def language(self) -> str:
        return self.state.language

    def phrase(self, name: str) -> str:
        return self.script.phrase(name, self.language, self.emergency)

    def turn(self, reply: CallReply, assessment: Assessment | None = None,
             effects: Sequence[CallEffect] = ()) -> CallTurn:
        return CallTurn(self.state, reply, heard=self.heard, assessment=assessment, effects=tuple(effects))

    def engine_state(self) -> State:
        return State.from_json(self.state.engine) or State(step=self.flow.start, language=self.language)

    def context(self) -> Context:
        # STOP is an SMS opt-out: a parent who texted STOP and then calls is still answered on the call (the
        # engine's opted_out means "send nothing"). What a call would text is decided by CallConfig.can_text.
        return Context(emergency_number=self.emergency, known_contact=True, opted_out=False, today=self.config.today)

    # --- asking ----------------------------------------------------------------------------

    def ask(self, before: Sequence[str], question: Sequence[str], hints: str, *, mode: str | None = None,
            remember: bool = True, assessment: Assessment | None = None,
            effects: Sequence[CallEffect] = ()) -> CallTurn:
        if remember:
            self.state = replace(self.state, said=tuple(before), question=tuple(question), hints=hints)
        if mode:
            self.state = replace(self.state, mode=mode)
        return self.turn(Ask(tuple(before), tuple(question), hints), assessment, effects)

    def bye(self, parts: Sequence[str], effects: Sequence[CallEffect] = ()) -> CallTurn:
        self.state = replace(self.state, mode="done")
        return self.turn(Goodbye(tuple(parts)), effects=effects)

    def repeat(self, intro: Sequence[str] = ()) -> CallTurn:
        return self.ask([*intro, *self.state.said], self.state.question, self.state.hints, remember=False)

    def missed(self, kind: str) -> CallTurn:
        """Silence or an unclear answer: ask again at most twice, then a polite goodbye."""
        self.state = replace(self.state, misses=self.state.misses + 1)
        if self.state.misses > MAX_REPROMPTS:
            if self.state.mode == "emergency":
                return self.bye([self.phrase("emergency_hang_up"), self.phrase("goodbye_no_answer")])
            return self.bye([self.phrase("goodbye_no_answer")])
        return self.ask([self.phrase(kind)], self.state.question, self.state.hints, remember=False)

    # --- the call ----------------------------------------------------------------------------

    def respond(self) -> CallTurn:
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

    def greet(self) -> CallTurn:
        self.state = replace(self.state, mode="language", seq=self.event.n + 1)
        greeting = tuple(speech_parts(self.script.phrase("greeting", "en", self.emergency)))
        reply = ChooseLanguage(greeting, tuple((language, self.script.phrase("choose_language", language))
                                               for language in ("en", "es")), LANGUAGE_HINTS)
        self.state = replace(self.state, said=(), question=reply.spoken, hints=LANGUAGE_HINTS)
        return self.turn(reply)

    def chose_language(self) -> CallTurn:
        digits, speech = self.event.digits, self.event.speech
        norm = normalize(speech)
        spanish = digits == "2" or norm in SPANISH_CHOICES or spoken_key(speech) == "2"
        self.state = replace(self.state, language="es" if spanish else "en", mode="flow")
        self.state = replace(self.state, engine=State(step=self.flow.start, language=self.language).to_json())
        if digits == "9":
            return self.emergency_menu([], SAID_EMERGENCY)
        if speech and not spanish and spoken_key(speech) is None and norm not in LANGUAGE_WORDS:
            # Said something else straight away ("she is having a seizure"): the triage hears it.
            return self.run_engine(speech)
        return self.run_engine("menu")

    def heard_input(self) -> CallTurn:
        digits, speech = self.event.digits, self.event.speech
        norm = normalize(speech)
        key = digits if digits else spoken_key(speech) if speech else None
        if not digits and not speech or digits == "#":
            return self.missed("silence")
        if key == "*" or norm in REPEAT_WORDS:
            self.state = replace(self.state, misses=0)
            return self.repeat()
        if key is not None and key != "0" and not digits and (norm in NUMBER_WORDS or norm == key) and \
                self.asks_age(key):
            # "nine", "nueve" said alone at the age question is 9 weeks or months, asked back as by text; not the
            # emergency key (pressing 9, or saying "press nine", still is), nor a key no option has ("eight")
            return self.run_engine(speech)
        if key == "9":
            return self.emergency_menu([], SAID_EMERGENCY)
        if says_any(norm, EMERGENCY_WORDS) and "emergency_said" in screen_for_red_flags(speech).flags:
            # "this is an emergency, she's shaking all over" (not "this is not an emergency"), in any menu: the
            # triage hears it all, as by text, so what else was said (the signs, the age) and the article
            # sections are recorded with the emergency and spoken before the instruction to hang up.
            return self.run_engine(speech)
        if norm in HELP_WORDS:
            self.state = replace(self.state, misses=0)
            return self.repeat([self.phrase("help")])
        menu = self.script.menus.get(self.state.mode)
        if menu is not None:
            row = self.chosen(menu, key, norm)
            if row is not None:
                return self.take(row.action)
        if key is not None:
            return self.pressed(key, in_menu=menu is not None)
        if norm in STOP_WORDS:
            # On a call "stop" is not an opt-out from texts; it is not an answer either.
            return self.missed("not_understood")
        return self.run_engine(speech)

    def asks_age(self, key: str) -> bool:
        """Whether the flow's age question is asked now and has no option for this key."""
        if self.state.mode != "flow":
            return False
        step = self.flow.steps.get(self.engine_state().step or self.flow.start)
        return step is not None and step.skip_when_known == "age" and step.choice(key) is None

    def pressed(self, key: str, in_menu: bool) -> CallTurn:
        """A key no menu row took: 0 is the main menu anywhere; in the flow, a key of the current question."""
        if key == "0":
            return self.run_engine("0")
        if in_menu:
            return self.missed("not_understood")
        step = self.flow.steps[self.engine_state().step or self.flow.start]
        if step.choice(key) is None:
            return self.missed("not_understood")
        return self.run_engine(key)

    # --- menus (flows/voice.yaml) -----------------------------------------------------------------

    def chosen(self, menu: Menu, key: str | None, norm: str) -> MenuRow | None:
        """The row a pressed key, or a said word, leads to now; None when no row offered now takes it."""
        rows = offered(menu, self.config, self.state)
        if key is not None:
            return next((row for row in rows if row.key == key), None)
        said = [(len(normalize(word)), -index, row) for index, row in enumerate(rows)
                if (word := says_any(norm, menu.words(row.key)))]
        return max(said, key=lambda found: found[:2])[2] if said else None

    def offer(self, name: str) -> tuple[list[str], str]:
        """A menu's announcement (the rows offered now, in order) and its speech hints."""
        menu = self.script.menus[name]
        rows = offered(menu, self.config, self.state)
        sentences = [self.script.sentence(row, self.language, self.emergency) for row in rows if row.say]
        return sentences, hints([word for row in rows for word in menu.words(row.key)], self.language)

    def take(self, action: MenuAction) -> CallTurn:
        """What a menu row does. Every action of call_script.MenuAction is handled here (mypy checks it)."""
        if action == "send_summary":
            return self.send_summary()
        if action == "no_text":
            return self.bye([self.phrase("summary_not_possible")])
        if action == "repeat":
            return self.repeat()
        if action == "enroll_checkins":
            return self.enroll_checkins()
        if action == "main_menu":
            return self.run_engine("0")
        if action == "connect_nurse":
            self.state = replace(self.state, mode="dialing")
            return self.turn(Connect((self.phrase("connecting"),)))
        if action == "call_back":
            self.state = replace(self.state, mode="done")
            return self.turn(Record((self.phrase("record_prompt"),), (self.phrase("callback_saved"),)),
                             effects=[RequestCallback()])
        if action == "no_callback":
            return self.bye([self.phrase("no_number"), self.phrase("emergency_hang_up")])
        assert_never(action)

    # --- the engine --------------------------------------------------------------------------

    def run_engine(self, text: str) -> CallTurn:
        before = self.state
        turn = advance(self.flow, self.engine_state(), text, self.context())
        enrolls = [effect for effect in turn.effects if isinstance(effect, Enroll)]
        if enrolls and not self.config.can_text:
            # A caller who cannot be texted (texted STOP, or a hidden number) is not signed up for check-ins
            # and hears why, then the main menu; not the engine's "you are signed up".
            self.state = before
            menu = self.answer_turn(advance(self.flow, self.engine_state(), "menu", self.context()))
            if isinstance(menu.reply, Ask):
                self.state = replace(self.state, said=(self.phrase("checkins_not_possible"), *self.state.said))
                return replace(menu, state=self.state, reply=replace(
                    menu.reply, before=(self.phrase("checkins_not_possible"), *menu.reply.before)))
            return menu
        answer = self.answer_turn(turn)
        if self.understood(turn):
            answer = replace(answer, sections=turn.guidance_sections)
        # The engine's effects are carried out by phone as by text: "YES, send me check-ins" enrolls.
        return replace(answer, effects=(*answer.effects, *enrolls)) if enrolls else answer

    def answer_turn(self, turn: Turn) -> CallTurn:
        if not self.understood(turn):
            # Nothing to answer ("hi, I'm calling about my son, he's five months"), but what was said of the
            # baby is kept for the next answer, as a text conversation keeps it; the call stays where it was.
            known = self.engine_state()
            kept = replace(known, age_days=turn.state.age_days, findings=turn.state.findings,
                           denied=turn.state.denied, temperature_c=turn.state.temperature_c,
                           temperature_site=turn.state.temperature_site)
            if kept != known:
                self.state = replace(self.state, engine=kept.to_json())
            return self.missed("not_understood")
        self.state = replace(self.state, engine=turn.state.to_json(), language=turn.state.language, misses=0)
        assessment = turn.assessment
        if assessment:
            self.state = replace(self.state, level=assessment.level.label)
        before, prompt = self.read_aloud(turn)
        if assessment and assessment.level is Level.EMERGENCY:
            return self.emergency_menu(before, assessment)
        step = self.flow.steps[turn.state.step or self.flow.start]
        if assessment and step.outcome:
            return self.outcome_menu(before, assessment)
        if prompt is None:
            if any(reply.message in ("thanks", "acknowledged") for reply in turn.replies):
                # "You're welcome", then the question again: not the whole advice a second time.
                return self.ask(before, self.state.question, self.state.hints, remember=False)
            return self.repeat(before)
        question = speech_parts(prompt.text) + option_sentences(prompt.options, self.language, self.script)
        if step.id == self.flow.start:
            question.append(self.phrase("keys_help"))
        return self.ask(before, question, hints_for(prompt.options, self.language), mode="flow",
                        assessment=assessment)

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

    def summary_of(self, before: Sequence[str]) -> str:
        """The advice just heard, as one text of at most SUMMARY_MAX_CHARS."""
        text = self.phrase("summary_intro")
        for part in before:
            if len(text) + 1 + len(part) > SUMMARY_MAX_CHARS:
                break
            text = f"{text} {part}" if not text.endswith(":") else f"{text}\n{part}"
        return text

    # --- outcomes ----------------------------------------------------------------------------

    def outcome_menu(self, before: list[str], assessment: Assessment) -> CallTurn:
        self.state = replace(self.state, summary=self.summary_of(before))
        question, menu_hints = self.offer("outcome")
        return self.ask(before, question, menu_hints, mode="outcome", assessment=assessment)

    def emergency_menu(self, before: list[str], assessment: Assessment | None) -> CallTurn:
        """Hang up and call the emergency number; then a nurse now, a callback, or the advice by text."""
        self.state = replace(self.state, level=Level.EMERGENCY.label, misses=0)
        if not before:
            headline = self.flow.message("level_emergency", self.language).replace("{emergency}", self.emergency)
            before = speech_parts(headline)
        self.state = replace(self.state, summary=self.summary_of(before))
        offers, menu_hints = self.offer("emergency")
        return self.ask(before, [self.phrase("emergency_hang_up"), *offers], menu_hints, mode="emergency",
                        assessment=assessment)

    def send_summary(self) -> CallTurn:
        if not self.config.can_text or not self.state.summary:
            return self.bye([self.phrase("summary_not_possible")])
        return self.bye([self.phrase("summary_queued")], effects=[SendSummary(self.state.summary)])

    def enroll_checkins(self) -> CallTurn:
        """Sign up for check-in texts, then offer what is left: the advice by text, or the menu."""
        self.state = replace(self.state, mode="after_checkins")
        question, menu_hints = self.offer("after_checkins")
        return self.ask([self.phrase("checkins_enrolled")], question, menu_hints, effects=[Enroll("checkin")])

    def dialed(self) -> CallTurn:
        if self.event.dial_status == "completed":
            return self.bye([self.phrase("transfer_done")])
        # no-answer, busy, failed or canceled: the emergency advice again, and a callback instead.
        self.state = replace(self.state, transfer_failed=True, mode="emergency", misses=0)
        before = [self.phrase("transfer_failed")]
        question, menu_hints = self.offer("emergency")
        if not question:
            return self.bye([*before, self.phrase("transfer_done")])
        return self.ask(before, question, menu_hints)

    def recorded(self) -> CallTurn:
        self.heard = "[recorded message]" if self.event.recording_url else ""
        effects = [AttachRecording(self.event.recording_url, self.event.recording_seconds)] \
            if self.event.recording_url else []
        return self.bye([self.phrase("callback_saved")], effects=effects)
