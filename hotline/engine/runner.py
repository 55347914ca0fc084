"""The runner: (flow, state, message) -> Turn. It decides what to say; callers make it happen.

Order for every inbound message: opt-out state, safety screen, the answer to a pending check-in,
keywords, then the flow.
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from dataclasses import dataclass, field, replace
from datetime import date
from functools import lru_cache

from hotline.engine.flow import Choice, Flow, Step
from hotline.engine.levels import Level
from hotline.engine.reading import Reading, fever_line
from hotline.engine.records import JsonRecord, evolve
from hotline.engine.safety import (
    FLAG_LEVELS,
    READER,
    Screening,
    detect_language,
    flag_level,
    remembered,
    screen_for_red_flags,
)
from hotline.engine.safety import (
    FLAG_OF_FINDING as _FLAG_OF_FINDING,
)
from hotline.engine.text import AGE_UNITS, BREAKS, CharTable, alternation, is_filler, tokenize, without_marks

# Keywords, matched against the whole message (normalized: lowercase, no accents, no punctuation).
# Twilio's standard opt-out and opt-in words, plus their common Spanish forms.
STOP_WORDS = {"stop", "stopall", "unsubscribe", "cancel", "end", "quit", "optout", "revoke", "parar", "alto"}
START_WORDS = {"start", "unstop", "yes", "subscribe", "iniciar"}
HELP_WORDS = {"help", "info", "ayuda"}
MENU_WORDS = {"menu", "0", "main menu", "inicio", "opciones", "options"}
BACK_WORDS = {"back", "atras", "volver", "regresar"}
LANGUAGE_WORDS = {"espanol": "es", "spanish": "es", "en espanol": "es", "english": "en", "ingles": "en"}
# Asking how to stop the texts ("how do i stop getting these texts", "cómo le hago para ya no recibir estos mensajes"):
# told the keyword; only the keyword itself opts out.
_HOW_TO_STOP = re.compile(
    r"\b(how (do|can|could|would) (i|we)|how to|como (le )?(hago|hacemos|puedo|podemos)( para)?( que)?|quiero|"
    r"i want to|i would like to|id like to) (stop|unsubscribe|opt out|dejar de|ya no|cancelar)"
    r"( (getting|receiving|recibir|me lleguen|lleguen|los|las|these|your|the|estos|estas|sus|tus|all))*"
    r" (texts?|messages?|mensajes?|msgs|sms|textos|reminders|recordatorios)\b")
# A thank-you, alone or with a few kind words ("thanks so much, that helps"), gets a short goodbye
# instead of "I could not find an answer". Only when the message reports no red flag.
_ACK_WORDS = ("ok|okay|okey|k|kk|got it|will do|sounds good|alright|all right|great|perfect|awesome|cool|"
              "understood|noted|vale|listo|perfecto|entendido|de acuerdo|esta bien")
THANKS = re.compile(
    rf"^(?:(?:oh|ah|{_ACK_WORDS}) )?"
    r"(?:thanks|thank you|thank u|thankyou|thanx|thx|ty|tysm|gracias|muchas gracias|mil gracias)"
    r"(?: (?:so much|very much|a lot|again|for (?:the|your) help|for helping|you|muchas|mil|por (?:la|su|tu) ayuda|"
    r"(?:that|this|it|you) (?:really )?help(?:s|ed)?(?: me)?(?: (?:a lot|so much|calm down|feel better|relax))?|"
    r"muy amable|me ayudo|me sirvio|me calmo|me tranquilizo|"
    # ("thank you so much, that really helps. she's asleep now", "thanks!! feeling calmer now")
    r"(?:and )?(?:shes|hes|she is|he is|baby is|the baby is|(?:she|he|baby) finally) (?:fell )?"
    r"(?:asleep|sleeping|calm|calmer|fine|ok|okay|better|settled)(?: now)?|"
    r"(?:and )?(?:i am|im|i feel|feeling|i feel so much|i feel much|feel) (?:much |so much |a lot )?"
    r"(?:better|calmer|relieved)(?: now)?|"
    r"(?:y )?(?:ya )?(?:se durmio|esta dormid[oa]|se calmo|esta tranquil[oa]|me siento (?:mucho )?mejor|"
    r"estoy (?:mas|mucho mas) tranquil[oa]|me quedo (?:mas )?tranquil[oa])))*$"
)
# An acknowledgement ("ok", "got it", a thumbs up) after advice gets a short "OK" instead of "I could not
# find an answer"; to a question it is no answer, so the question is asked again.
ACKNOWLEDGEMENT = re.compile(rf"^(?:{_ACK_WORDS})$")
_ACK_EMOJI = {"\U0001f44d", "\U0001f44c", "\U0001f64f", "\u2764", "\U0001f60a", "\U0001f642", "\u2705"}


def _acknowledges(text: str, norm: str) -> bool:
    if ACKNOWLEDGEMENT.match(norm):
        return True
    # Emoji are gone from `norm`; skin tones and the emoji variation selector are dropped here.
    symbols = {ch for ch in text if not ch.isspace() and not 0x1F3FB <= ord(ch) <= 0x1F3FF and ch != "\ufe0f"}
    return bool(symbols) and symbols <= _ACK_EMOJI


_ANY_AGE = 365  # days: an age past every age rule of the protocol


# --- What the engine returns -------------------------------------------------------------------


@dataclass(frozen=True)
class Option:
    """One answer the parent can give: a key to text or press, and what to call it."""

    key: str
    label: str
    words: tuple[str, ...] = ()


@dataclass(frozen=True)
class Reply:
    """One thing to say. `sections` are the article sections this text paraphrases."""

    text: str
    options: tuple[Option, ...] = ()
    sections: tuple[str, ...] = ()
    kind: str = "info"  # welcome | emergency | level | guidance | prompt | info | keyword
    message: str | None = None  # the flow message this text is ("not_understood", "menu_hint", ...)
    passage: str | None = None  # the guidance passage this text is (flows/guidance.yaml)


@dataclass(frozen=True)
class Assessment:
    level: Level
    flags: tuple[str, ...]
    sections: tuple[str, ...]
    revised: bool = False  # replaces a level given while the age was unknown (see _Run.regrade_for_age)

    def to_dict(self) -> dict[str, object]:
        record: dict[str, object] = {"level": self.level.label, "flags": list(self.flags),
                                     "sections": list(self.sections)}
        if self.revised:
            record["revised"] = True
        return record


@dataclass(frozen=True)
class OptOut:
    """The parent texted STOP: send nothing more, reminders included, until START."""


@dataclass(frozen=True)
class OptIn:
    """The parent texted START: they may be texted again."""


@dataclass(frozen=True)
class RecordAssessment:
    assessment: Assessment


@dataclass(frozen=True)
class Enroll:
    """The parent asked for check-in texts: enroll them in this reminder schedule (their consent)."""

    schedule: str = "checkin"


@dataclass(frozen=True)
class CheckinReply:
    """This message answered the check-in text awaiting a reply: 'better', 'same', 'worse' or 'other'."""

    answer: str


Effect = OptOut | OptIn | RecordAssessment | Enroll | CheckinReply


@dataclass(frozen=True)
class State(JsonRecord):
    """A conversation's state, saved between messages. `step=None` means a fresh conversation."""

    step: str | None = None
    language: str = "en"
    age_days: int | None = None
    flags: tuple[str, ...] = ()
    denied: tuple[str, ...] = ()
    history: tuple[str, ...] = ()
    sections: tuple[str, ...] = ()
    level: int | None = None
    turns: int = 0
    findings: tuple[str, ...] = ()  # what the parent has said is true of the baby now (flows/findings.yaml)
    temperature_c: float | None = None  # the last thermometer reading given
    temperature_site: str | None = None  # where it was taken ("armpit": a lower fever line under 1 month)
    age_number: int | None = None  # a bare number said at the age question ("8"), waiting for its unit
    # The clock a shaking started at, said with no time now ("she started shaking at quarter to 4"), minutes past 12
    shaking_started_at: int | None = None



@dataclass(frozen=True)
class Context:
    """What the engine needs to know about the world, handed in by the caller."""

    emergency_number: str = "911"
    known_contact: bool = False  # we have talked to this number before
    opted_out: bool = False
    checkin: bool = False  # a check-in text was sent and this is the first message since
    media: int = 0  # pictures or videos attached to the message (MMS)
    claimed: bool = False  # a nurse has taken this conversation over: screen, then say nothing unless an emergency
    today: date | None = None  # the local date, for an age given as a date of birth ("DOB 4/18/2026")


@dataclass(frozen=True)
class Turn:
    replies: tuple[Reply, ...]
    state: State
    effects: tuple[Effect, ...] = ()
    screening: Screening | None = None

    @property
    def assessment(self) -> Assessment | None:
        return next((e.assessment for e in self.effects if isinstance(e, RecordAssessment)), None)

    @property
    def guidance_sections(self) -> tuple[str, ...]:
        """The article sections this turn's guidance paraphrases, each once, in the order they were given."""
        return tuple(dict.fromkeys(s for r in self.replies if r.kind == "guidance" for s in r.sections))


# --- The runner --------------------------------------------------------------------------------


class _PlainMap(CharTable):
    """Each character casefolded and decomposed (NFKD) without its combining marks, or nothing for an invisible
    format character (category Cf). Character by character is the same as the whole text at once: casefolding
    has no context, and NFKD reorders only the combining marks that are dropped."""

    def fold(self, char: str) -> str:
        return "" if unicodedata.category(char) == "Cf" else without_marks(char)


_PLAIN = _PlainMap()


@lru_cache(maxsize=4096)  # the flow's own words (choices, keywords) are normalized on every message
def normalize(text: str) -> str:
    """Lowercase, accents, punctuation and invisible format characters (soft hyphen, zero-width space:
    Unicode category Cf) removed, spaces collapsed: for matching keywords and answers ("S\u200bTOP" is STOP)."""
    if text.isascii():  # no format or combining characters, and casefold is lower: the same result, 5x sooner
        plain = text.lower()
    else:
        plain = text.translate(_PLAIN)
    plain = re.sub(r"[^\w\s'-]", " ", plain).replace("'", "")
    return " ".join(plain.split())


def opt_keyword(text: str) -> bool:
    """Whether a message is one of the words that opt out or back in (STOP, START, YES...), whatever state it
    arrives in: "YES" to the check-in offer opts a number back in when it comes after a STOP. Such a message
    is remembered by its MessageSid, so a replay of it changes nothing (docs/redis-keys.md)."""
    return normalize(text) in STOP_WORDS | START_WORDS


@dataclass
class _Run:
    """One message being handled: accumulates replies and effects, then becomes a Turn."""

    flow: Flow
    context: Context
    state: State
    replies: list[Reply] = field(default_factory=list)
    effects: list[Effect] = field(default_factory=list)
    # This message, answering another question, also said no to the red-flag question (not asked again).
    red_flags_answered: bool = False

    @property
    def language(self) -> str:
        return self.state.language

    def message(self, name: str) -> str:
        return self.flow.message(name, self.language).replace("{emergency}", self.context.emergency_number)

    def say(self, name: str, kind: str = "info") -> None:
        self.replies.append(Reply(self.message(name), kind=kind, message=name))

    def guidance(self, passage_ids: tuple[str, ...] | list[str]) -> None:
        for pid in passage_ids:
            passage = self.flow.passages[pid]
            text = passage.in_language(self.language).replace("{emergency}", self.context.emergency_number)
            self.replies.append(Reply(text, sections=(passage.section,), kind="guidance", passage=pid))
            if passage.section not in self.state.sections:
                self.state = evolve(self.state, sections=(*self.state.sections, passage.section))

    def level(self) -> Level:
        found = [flag_level(f, self.state.age_days) for f in self.state.flags]
        return max(found, default=Level.HOME)

    def prompt(self, step: Step, intro: str | None = None) -> None:
        text = step.text[self.language]
        if intro:
            text = f"{intro} {text}"
        options = tuple(
            Option(c.key, c.label[self.language], c.words[self.language]) for c in step.choices
        )
        self.replies.append(Reply(text, options, kind="prompt"))

    def go(self, step_id: str, *, remember: bool = True, skip: bool = True) -> None:
        """Move to a step, skipping questions that cannot change the outcome, and say what it says."""
        step = self._resolve(step_id) if skip else self.flow.steps[step_id]
        history = self.state.history
        if remember and self.state.step and self.state.step != step.id:
            history = (*history, self.state.step)[-10:]
        self.state = evolve(self.state, step=step.id, history=history)
        if step.outcome:
            self.assess()
            if self.state.level == Level.EMERGENCY:
                # No soothing tips or check-in offer after "call 911": only the way back to the menu.
                self.say("menu_hint")
                return
        if step.enroll and not any(isinstance(e, Enroll) for e in self.effects):
            self.effects.append(Enroll(step.enroll))
        self.guidance(step.guidance)
        self.prompt(step)

    def clean_slate_for(self, step_id: str) -> None:
        """A new symptom check after an earlier assessment starts from a clean slate."""
        if step_id == self.flow.check_start and self.state.level is not None and not self._in_check():
            self.state = evolve(self.state, flags=(), level=None, findings=())

    def announce_level(self, *, revised: bool = False) -> None:
        """Say the level the flags found so far warrant (assuming the worst for what is unknown)."""
        level = self.level()
        self.replies.append(Reply(self.message(f"level_{level.label}"), kind="level"))
        self.guidance(self._explaining_passages(level))
        self.state = evolve(self.state, level=int(level))
        self.effects.append(RecordAssessment(Assessment(level, self.state.flags, self.state.sections, revised)))

    def regrade_for_age(self, before_age: int | None) -> None:
        """A level given while the age was unknown assumed the younger band (unknown is the worse answer);
        once the age is known the flags are what that age makes them: a fever of 38.2 at unknown age was
        urgent, at "4 months y medio" it is soon. Said at once, and recorded. An emergency is never regraded."""
        if before_age is not None or self.state.age_days is None or self.state.level is None:
            return
        earned = Level(self.state.level)
        if earned >= Level.EMERGENCY or self.level() >= earned:
            return
        self.announce_level(revised=True)

    def _in_check(self) -> bool:
        current = self.flow.steps.get(self.state.step or "")
        return current is not None and current.is_question

    def _resolve(self, step_id: str) -> Step:
        seen = set()
        step = self.flow.steps[step_id]
        while self._skippable(step) and step.id not in seen:
            seen.add(step.id)
            # Follow the answer that reports nothing: skipping a question must never add a flag.
            plain = step.plain_choice or step.choices[0]
            step = self.flow.steps[plain.next]
        return step

    def _skippable(self, step: Step) -> bool:
        if step.skip_when_known == "age" and (self.state.age_days is not None or (
                # urgent whatever the age ("not eating since this morning"): only the red-flag question can
                # still change the level, so it comes first
                max((flag_level(f, _ANY_AGE) for f in self.state.flags), default=Level.HOME) >= Level.URGENT)):
            return True
        if step.only_if_age_over is not None and not (
            self.state.age_days is not None and self.state.age_days > step.only_if_age_over
        ):
            return True
        if step.is_question and step.asked and step.asked <= set(self.state.denied) | set(self.state.flags):
            return True  # already answered: by a denial ("no fever" before the fever question), or so ("39,6")
        if self.red_flags_answered and _asks_for_emergencies(step) and not step.asked & _HOLDING_FLAGS:
            return True  # (the holding question asks about an emergency too, but not the red flags)
        if step.is_question and not any(c.age_days is not None for c in step.choices):
            # Ask only what can still change the outcome.
            best = max((flag_level(f, self.state.age_days) for c in step.choices for f in c.flags),
                       default=Level.HOME)
            return best <= self.level()
        return False

    def assess(self) -> None:
        level = self.level()
        self.state = evolve(self.state, level=int(level))
        self.replies.append(Reply(self.message(f"level_{level.label}"), kind="level"))
        self.guidance(self._explaining_passages(level))
        if level < Level.EMERGENCY:
            self.say("worse_watch")
        assessment = Assessment(level, self.state.flags, self.state.sections)
        self.effects.append(RecordAssessment(assessment))

    def _explaining_passages(self, level: Level) -> list[str]:
        """The guidance for the most serious flag found, or the level's default guidance."""
        ranked = sorted(self.state.flags, key=lambda f: -flag_level(f, self.state.age_days))
        top = [f for f in ranked if flag_level(f, self.state.age_days) == level]
        if top:  # the two most serious flags' passages ("medicine" and "more often" both explain "soon")
            return list(dict.fromkeys(self._passage_for(f) for f in top))[:2]
        return list(self.flow.outcome_guidance.get(level, ()))

    def _passage_for(self, flag: str) -> str:
        """The flag's passage; a fever the age makes "soon" (3 months or older, no shaking) has its own, which
        does not say "as soon as you can" beside "in the next day or two"."""
        if flag == "fever" and flag_level(flag, self.state.age_days) is Level.SOON and \
                OLDER_FEVER_PASSAGE in self.flow.passages:
            return OLDER_FEVER_PASSAGE
        return self.flow.red_flags[flag]

    def answer_first(self) -> None:
        """In a first message that describes the baby, the answer comes before the welcome: the level and
        guidance first, then who we are (the welcome), then the one question."""
        if len(self.replies) > 2 and self.replies[0].kind == "welcome":
            welcome = self.replies.pop(0)
            self.replies.insert(len(self.replies) - 1, welcome)

    def add_flags(self, flags: tuple[str, ...] | list[str]) -> None:
        merged = tuple(dict.fromkeys((*self.state.flags, *flags)))
        self.state = evolve(self.state, flags=merged)

    def turn(self, screening: Screening | None) -> Turn:
        return Turn(tuple(self.replies), self.state, tuple(self.effects), screening)


def _without_fillers(norm: str) -> str:
    """An answer without the fillers it starts with ("um no i don't think so")."""
    words = norm.split(" ")
    first = 0
    while first < len(words) - 1 and is_filler(words[first]) and " ".join(words[first:first + 2]) not in _SOUND_YES:
        first += 1
    return " ".join(words[first:])


_SOUND_YES = frozenset({"uh huh", "mm hmm", "mm hm", "mhm hm"})  # a yes made of filler sounds ("um uh huh")


_IT_STOPS = re.compile(r"\b(it|they|that|the shaking|it all) "
                       r"(stops|stopped|stop|goes away|go away|went away|quits|quit)\b|"
                       r"\bse le (quita|pasa|calma)\b|"
                       r"^\w+ (stops|stopped|se detiene|se le quita)$")  # "yes, stops"
_LEADING_NO = frozenset({"no", "nope", "nah"})
# ("no. he's pretty yellow though", "ahorita no, pero en la madrugada se puso tiesa")
_NO_BUT = re.compile(r"^((ahorita|ahora|ahoritita|en este momento|right now|rn|at the moment) )?"
                     r"(no|nope|nah|not really|not exactly|no mucho|no tanto|la verdad no)( no)? "
                     r"((but|pero|aunque)\b|.*\b(though|tho)\b)|^not (right )?now (but|though)\b")
# "ahorita no, ya se durmió tranquilito", "not right now, she's asleep": a no about now, then what follows
_NOW_NO = re.compile(r"^((ahorita|ahora|ahoritita|en este momento|right now|rn|at the moment) no|not (right )?now)\b")
# A yes that leads a longer answer ("sí y ya abrigadito se le pasa del todo", "yes and once hes bundled up it goes
# away"). A Spanish "si" without its accent is "if" ("si le doy pecho se calma") unless a stop or "y" follows it.
_LEADING_YES = re.compile(
    r"^\W*(?:(?:actually|well|um|uh|oh|so)\W+)?"  # ("actually yes he is jerking now")
    r"(yes|yeah|yep|yup|sip|claro|sí|si(?=\s*[,.!;:…]|\s+(y|pero|ya|señora|señor|s[ií])\b))\b", re.IGNORECASE)
# What names one of the red-flag question's signs, after a yes: "both arms and legs", "brazos y piernas", "his lips",
# "breathing", "won't wake".
_NAMES_ITS_SIGN = re.compile(
    r"\b(arms?|legs?|brazos?|piernas?|bracitos|piernitas) (and|n|y|e) "
    r"(arms?|legs?|brazos?|piernas?|bracitos|piernitas)\b|"
    r"\b(jerk\w*|seizure\w*|convuls\w*|sacud\w*|brinc\w*|breath\w*|respir\w*|blue|grey|gray|purple|azul\w*|morad\w*|"
    r"lips|labios|wake|wakes|waking|despierta)\b")
# What puts a sign in the past, or says it is over: "an hour ago, fine now", "ya se le pasó", "anoche".
_OVER = re.compile(r"\b(ago|earlier|last night|yesterday|this morning|fine now|ok now|okay now|normal now|was|were|"
                   r"anoche|ayer|se le paso|ya paso|ya se le quito|ya esta|esta bien|"
                   r"hace (una|un|dos|tres|\d+) horas?)\b")
# ... but a sign just over is still the emergency: "yes he was jerking 5 min ago, he just stopped", "hace ratito".
_MINUTES_AGO = re.compile(r"\b(min|mins|minute|minutes|minuto|minutos|ratito|momento|just stopped|just now|"
                          r"acaba de|recien)\b")
# A hedged answer counts as the answer only when it leads: "kinda?", "maybe a little", "not really it keeps going";
# inside a sentence these words describe ("his legs are kind of shaky").
_HEDGES_FIRST = frozenset({"kinda", "kind of", "sort of", "maybe", "i think so", "mas o menos", "puede ser", "tal vez",
                           "creo que si", "dont think so", "i dont think so", "not really", "creo que no", "no creo",
                           "pues no", "know"})
# Doubt at the red-flag question is a yes, whatever else is said ("not sure honestly, she's been really sleepy").
_DOUBT = re.compile(r"\b(not sure|no se|dont know|unsure|no estoy (?:muy |tan )?segur[oa]|i dont know|idk|maybe|"
                    r"cant tell|quien sabe|no idea|know idea|ni idea)\b")
# "no sé" said as doubt: alone, or followed by what doubt goes on with ("no sé si...", "no sé, creo que no").
# "No sé, está bien dormida...": typed with its accent, or with a stop after it, "sé" is "I know".
# "solo le pasa cuando está parado, sentado no": a clause of one word and a "no" after a comma says when it does not
# happen, not an answer to the question ("creo que no", "todavía no" are answers). Only a "no": a "yes" said so may
# name the sign ("lips yes"), and a "no" set aside only leaves the question asked again.
_ELLIPTICAL = re.compile(r"[,;]\s*([^\W\d]+)\s+no\W*$")
_ANSWER_LEADS = frozenset({"creo", "pues", "bueno", "que", "eso", "tampoco", "igual", "ok", "okay", "y", "and", "so",
                           "um", "uh", "este", "well", "i", "oh", "ah", "ay", "mmm", "hmm", "pero", "but", "still",
                           "todavia", "todavía", "aun", "aún", "definitely", "honestly", "really", "just", "nope",
                           "nah", "claro", "seguro", "not", "also", "tambien", "también", "ya"})
_NOT_SURE_TYPED = re.compile(r"(?<!\w)no sé(?!\w)|(?<!\w)no se\s*[,.!?;:…]")
_NOT_SURE_ES = re.compile(r"(?<!\w)no se(?=\s*$|\s+(si|que|bien|nada|exactamente|todavia|aun|creo|quizas|tal|no|"
                          r"la verdad|como|cuanto|cuando)\b)")


_SPANISH_ALREADY = frozenset({"ya", "yah", "ye"})
_LONG_DOUBT = frozenset({"not sure", "i dont know", "dont know", "idk", "cant tell", "not really sure"})
_LEADS = re.compile(r"(um |uh |honestly |im |i am |i m )*")


@lru_cache(maxsize=1024)  # (a flow's answer words: bounded by the flow)
def _normalized(words: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(normalize(word) for word in words)


def _match_choice(step: Step, text: str, language: str, exact_only: bool = False,
                  min_length: int = 0) -> Choice | None:
    """The answer a message gives at this step: its key, or words that mean a choice."""
    norm = _without_fillers(normalize(text))  # "um no i don't think so"
    key = norm.rstrip(".)")
    if (found := step.choice(key)) is not None:
        return found
    words = norm.split()
    if not words:
        return None
    # Long messages are questions or descriptions, not menu answers; except an English one that opens with doubt
    # ("i don't know, maybe? her breathing looks kinda weird...": unknown is the worse answer). A Spanish "no sé,
    # hoy está más dormido" goes on to say what the parent sees, and that decides.
    long = len(words) > 8
    opening = norm[len(lead.group(0)):] if (lead := _LEADS.match(norm)) else norm
    best: tuple[int, Choice] | None = None
    for choice in step.choices:
        for lang in (language, "en" if language == "es" else "es"):
            for target in _normalized(choice.words[lang]):
                if long and not (target in _LONG_DOUBT and opening.startswith(target + " ")):
                    continue
                # A one-letter answer ("y", "n") counts only as the whole message: "y" is also Spanish "and".
                # A short answer word counts at the start or the end of a longer message ("yes she is",
                # "creo que sí"), not inside a sentence ("me preguntaron si tomo...": "si" is "if" there).
                # "ya" leading a Spanish message is "already" ("ya se calmó"), a yes only when it is all it says.
                already = target in _SPANISH_ALREADY and language == "es"
                contained = not exact_only and len(target) > 1 and not already and (
                    norm.startswith(target + " ") if target in _HEDGES_FIRST else
                    re.search(rf"(?<!\w){re.escape(target)}(?!\w)", norm) if len(target) > 4 else
                    (norm.startswith(target + " ") or norm.endswith(" " + target) and not (
                        (ellipsis := _ELLIPTICAL.search(text.lower())) and ellipsis.group(1) not in _ANSWER_LEADS)))
                if contained and target == "no se" and not _NOT_SURE_ES.search(norm) and \
                        not _NOT_SURE_TYPED.search(text.lower()):
                    continue  # "no, no se ha caído ni se pegó": "se" is the verb's, not "sé" (I know)
                if contained and (target in _DOUBT_WORDS or target == "no" and _NO_UNDERSTOOD.match(norm)) and \
                        _ASKS_MEANING.search(norm):
                    continue  # "idk what you mean by jerking", "no sé qué quiere decir con eso": a question back
                if contained and target in _NO_DOUBTS and _NO_THEN_SURE.search(text.lower()) and \
                        not re.search(rf"(?<!\w){re.escape(target)}(?!\w)", _NO_THEN_SURE.sub(" ", text.lower())):
                    continue  # "no, estoy segura, nada de eso": a no, then "I'm sure", not "no estoy segura"
                if (norm == target or contained) and len(target) >= min_length:
                    score = len(target) + (100 if norm == target else 0)
                    if best is None or score > best[0]:
                        best = (score, choice)
    return best[1] if best else None


# "idk what you mean by jerking", "no sé qué quiere decir": the question not understood, no doubt about a sign.
_ASKS_MEANING = re.compile(r"\b(what (you|u) mean|what does that mean|que quiere decir|que significa|"
                           r"lo que quiere decir|no (le )?(entiendo|entendi|comprendo)|(i )?(dont|didnt) understand)\b")
# A question back that goes on to answer ("what do you mean? yes she's hot", "wdym... no she isn't"): the answer counts.
_ANSWER_WITH_IT = re.compile(r"\b(yes|yeah|yep|no|nope|nah|si)\b")
# A question back at any question: the same, and what a word of the question means ("what counts as a fever?").
_ASKS_BACK = re.compile(_ASKS_MEANING.pattern + r"|\b(wdym|wym|what do (you|u) mean|what counts|what does .{1,40} mean|"
                        r"what is (that|this|a fever)|whats (that|this|a fever)|a que se refiere|que es (eso|esto)|"
                        r"que seria|que cuenta como)")
_DOUBT_WORDS = frozenset({"idk", "i dont know", "dont know", "no se", "not sure"})  # (normalized, as targets are)
_NO_UNDERSTOOD = re.compile(r"no (se|le entiendo|entiendo|entendi|comprendo)\b")  # (its "no" is no answer)


# A "no" set apart from "estoy segura" / "sé" by a stop: "no, estoy segura" is a no said with certainty.
_NO_DOUBTS = frozenset({"no estoy segura", "no estoy seguro", "no se"})
_NO_THEN_SURE = re.compile(r"(?<!\w)no\s*[,.;:!?]+\s*(?=(estoy segur|se |sé|se$))")


# A "no" that opens a correction: "ah no perdón, tiene 10 semanas", "no sorry I meant 6 weeks".
_NO_SORRY = re.compile(r"^((ah|oh|um|uh|ay) )?(no|nope|nah)( no)? (perdon|perdona|perdone|sorry|wait|espera|espere|"
                       r"disculpa|disculpe|i mean|i meant|quise decir|me equivoque|oops)\b")
# "it's not shaking now so i can't tell", "ya no tiembla": at the holding question, a shaking that has stopped by
# itself leaves nothing to hold. Only as the whole answer: "no it doesnt, its stopped now" is still a "no".
_OVER_ES = (r"(no (esta|estan) temblando|no (le )?tiembla(n)?|(se )?(le )?(paro|quito|calmo)( solo| sola)?|"
            r"no lo (esta|estan) haciendo|no (esta|estan) haciendo nada|se (le )?paso)")
_SHAKING_OVER = re.compile(
    r"((no|nope|nah) )?((its|it is|shes|she is|hes|he is|they are|theyre|the shaking is) )?"
    r"(not shaking|no longer shaking|stopped|already stopped|(it )?(has|already) stopped|not doing (it|that|them))"
    r"( (now|right now|anymore|by itself|on its own|already))*"
    r"( so i (cant|can not|cannot) tell| so i dont know| so idk)?"
    r"|(ahorita |ahora |ya )*" + _OVER_ES + r"(( y| pero)? (ahorita |ahora |ya )*" + _OVER_ES + r")*"
    r"( (ahorita|ahora|ya))*( (asi que|entonces) no se)?")


# "it usually stops on its own before I even pick him up", "se le quita solito": at the holding question, a shaking
# that stops by itself does not keep going. Not when negated ("it doesn't stop on its own") or when holding is said
# not to stop it, or when it goes on for minutes before it stops (how many is seldom known: it is asked again).
_MINUTES = re.compile(r"\b(minute|minutes|min|mins|mints|minuto|minutos|minutito|minutitos|hour|hours|hora|horas|rato|"
                      r"ages|long|looong|while|forever|eventually|tarda|mucho|largo|or so)\b")
# An answer that denies, doubts or speaks of holding is no "it stops by itself" ("no se calma solo", "not sure, it
# usually stops on its own", "holding does nothing but it stops by itself"): the other readings decide it.
_NOT_BY_ITSELF = re.compile(r"\b(no|not|never|nunca|jamas|tampoco|nope|nah|doesnt|dont|wont|didnt|cant|isnt|nothing|"
                            r"nada|ni|idk|sure|idea|casi|hardly|rarely|maybe|think|probably|creo|quizas|quiza|mejor|"
                            r"hold|holding|held|cargo|cargando|cargarlo|cargarla|agarro|agarrando|sostengo|sujeto|abrazo|"
                            r"brazos|arms|keeps|keep|sigue|still|going|todavia|let|put|down|suelto|suelta|dejo|acuesto|"
                            r"sleepy|dormido|dormida|after|despues|again|vuelve|worse|peor|this time|last time)\b")
_STOPS_BY_ITSELF = re.compile(
    r"(?<!not )(?<!doesnt )(?<!dont )(?<!didnt )(?<!wont )(?<!never )"
    r"\b(stops|stopped|goes away|went away|quits|settles|calms down|passes)( (on )?(its|it's) own| by itself)\b"
    r"|(?<!no )\b(se )?(le )?(quita|quito|pasa|paso|para|paro|calma|calmo) (solo|solito|sola|solita|por si sol[oa])\b"
    # ("it only lasts a second", "solo le dura un segundito": over before there is anything to hold)
    r"|\b(only|just) (lasts?|takes) (a|one) (second|sec|moment)\b"
    r"|\b(solo|nomas|nada mas) (le )?dura (un|una) (segundo|segundito|momento|momentito)\b")


def _answer(step: Step, screening: Screening, text: str, norm: str, language: str, fresh: bool) -> Choice | None:
    """The choice a message gives at this step, if any: its words, a leading no or yes with what follows, or what
    it denies; None when it answers nothing here."""
    if step.explain and not fresh and _ASKS_BACK.search(norm) and not _ANSWER_WITH_IT.search(norm) and \
            screening.reading is not None and not screening.reading.asserted("present") - _QUESTION_ONLY:
        return None  # "wdym feel hot?", "qué quiere decir con caliente?": a question back, told what it means
    if step.asked & _HOLDING_FLAGS and not fresh and (
            _SHAKING_OVER.fullmatch(_without_fillers(norm)) or (
                _STOPS_BY_ITSELF.search(norm) and not _MINUTES.search(norm) and not _NOT_BY_ITSELF.search(norm) and
                not screening.level and not (
                    screening.reading and "not_stopped_by_holding" in screening.reading.present))):
        return step.plain_choice
    reading = screening.reading
    if step.asked & _HOLDING_FLAGS and not fresh and _nothing_shakes(reading) and not screening.level:
        return step.plain_choice  # "no le tiembla nada": nothing shaking to hold, so nothing it fails to stop
    # A fresh conversation has shown no menu yet: only a key or an exact menu word counts as an answer.
    # A denial is not a "no" to another question: "no fever" does not say the shaking keeps going.
    # But an answer in the choice's own words wins ("no, it keeps going" answers "does it stop when held?").
    describes = bool(screening.reading and screening.reading.present - _QUESTION_ONLY - _NOT_DESCRIPTIVE)
    choice = _match_choice(step, screening.searchable if screening.denied else text, language,
                           exact_only=fresh or (describes and not step.is_question))
    if choice is None and screening.denied:
        choice = _match_choice(step, text, language, exact_only=fresh, min_length=5)
    for clause in (_first_clause(text), _after_question(text)) if choice is None and step.asked & _HOLDING_FLAGS \
            and not fresh else ():
        # "no se le quita, y ahora también le tiemblan los brazos": a long answer whose first clause answers (more
        # than a bare "no": "no, it stopped on its own" is asked again), or the answer after a question back ("how
        # do i hold it? i tried and its still going")
        choice = _match_choice(step, clause, language) if clause else None
        # (only the worse answer, "ayer sí, hoy no", and only said of the shaking going on: "no her ribs aren't
        # sucking in, no grunting" answers the red-flag question)
        choice = choice if choice is not None and choice.flags and READER.read(clause).present & {
            "persistent", "not_stopped_by_holding", "going_on_now"} else None
        if choice is not None:
            break
    if choice is None and _asks_for_emergencies(step) and not step.asked & _HOLDING_FLAGS and not fresh and \
            screening.level is None and not _doubts(norm) and (clause := _first_clause(text)):
        # "no none of that. and no fever either, I checked, 98.6": a first clause that says no to the red flags, and
        # no sign or doubt after it
        choice = _match_choice(step, clause, language)
        # (a clause that says nothing else: "no, no fever" denies the fever, not these signs)
        choice = choice if choice is not None and not choice.flags and not READER.read(clause).findings else None
    if choice is None and not fresh and _doubts_a_red_flag(step, norm) and (
            screening.level is None or screening.level < Level.EMERGENCY):
        # "no none of that. but i'm not sure about his breathing": unsure of a red flag is a yes (CLINICAL-RULES:
        # unknown is the worse answer), as "not sure" alone is; beside a lesser sign too ("no sé, está muy dormida,
        # no sé si se despierta")
        choice = _match_choice(step, "not sure" if language == "en" else "no se", language, exact_only=True)
    first_word = norm.split()[0] if norm.split() else ""  # ("" for a message of emoji or punctuation only)
    if choice is None and step.is_question and not fresh and (first_word in _LEADING_NO or _NOW_NO.match(norm)) and \
            not (_NO_UNDERSTOOD.match(norm) and _ASKS_MEANING.search(norm)) and (
            _no_then_reassurance(step, screening, norm) or _plain_no_said_apart(step, screening, text, language)):
        # "no no he's fine, he's looking right at me", "no, he's pink and breathing fine and wakes up easy": the
        # answer's no, then words that report nothing or deny what the question asks
        choice = _reassuring_no(step, screening, language)
    if choice is None and step.is_question and not fresh and _NO_BUT.match(_without_fillers(norm)) and step.asked and (
            screening.level is None or screening.level < _top_level(step)):
        # "no but he's been really sleepy today, he wakes up but just wants to sleep": no to the signs asked, and a
        # sign below them reported (kept, and its level said). A "no" that itself reports a sign is not this.
        no = _match_choice(step, "no", language, exact_only=True)
        choice = no if no is not None and not no.flags else None
    if choice is None and step.is_question and not fresh and (leading := _LEADING_YES.match(text)):
        # a yes, then what the parent adds: the yes answers when it reports nothing itself ("yes, it stops"); what
        # follows is read as well. A long "yeah, that's why I'm calling..." at the red-flag question is no yes to it.
        choice = _match_choice(step, normalize(leading.group(1)), language, exact_only=True)
        choice = None if choice is None or (
            choice.flags and not _yes_names_its_sign(step, screening, normalize(text[leading.end():]), norm)) \
            else choice
    if choice is None and step.is_question and not fresh and (
            _denies_the_red_flags(step, screening, norm) or _denies_what_it_asks(step, screening, norm)):
        choice = step.plain_choice
    if choice is None and step.skip_when_known == "age" and screening.age_days is not None:
        choice = step.choices[0]  # "6 weeks" answers the age question; the age itself is already kept
    if choice is not None and (_yes_to_something_else(choice, screening, norm) or
                               _no_to_something_else(choice, screening, norm) or
                               _doubts_the_age(choice, screening, norm)):
        choice = None
    if choice is not None and choice.flags and set(choice.flags) & step.asked <= set(screening.denied):
        # "no she feels normal, not hot": the message denies what the choice reports (the fever question's "hot")
        choice = step.plain_choice
    # "no sé, no le he tomado la temperatura", "i dont know we dont have a thermometer": the doubt is about a fever,
    # not about the signs this question names; the fever's own question (or the message read) decides it.
    if choice is not None and choice.flags and "fever" not in choice.flags and _THERMOMETER.search(norm):
        choice = None
    # "ah no perdón, tiene 10 semanas, me equivoqué": the "no" corrects the age; it is no answer to this question.
    if choice is not None and step.skip_when_known != "age" and screening.age_days is not None and \
            _NO_SORRY.match(norm):
        choice = None
    # "no sé, tiene como dos meses": the doubt is about the age it goes on to give, not about these signs.
    if choice is not None and choice.flags and screening.age_days is not None and _DOUBT.search(norm):
        choice = None
    if choice is None and step.asked and step.asked <= set(screening.denied):
        # "no fever" or "temp 37.1" answers the fever question: the answer that reports nothing.
        choice = step.plain_choice
    return choice


# Where a message's clauses end: an answer may follow a greeting, an apology or why the reply was late.
# (Not the point or comma of a number: "no fever, 37.1".)
_CLAUSE_END = re.compile(r"(?:[!?;]|[.,](?!\d))+\s*")
_PREAMBLE_MAX_WORDS = 30
# How such a message opens: a greeting, an apology, thanks, a "good question".
_PREAMBLE = re.compile(r"(hi|hello|hey|hola|buenas|buenos|buen dia|sorry|so sorry|perdon|perdona|perdone|disculpe|"
                       r"disculpa|disculpen|thanks|thank you|gracias|ok|okay|oh|ah|ay|wait|good question|"
                       r"buena pregunta|senorita|senora|senor)\b")
_PREAMBLE_MAX_CLAUSES = 3


def _first_clause(text: str) -> str:
    """The first clause of a longer answer, when it has two words or more ("no se le quita", "no none of that");
    "" when the answer is one clause or the clause a single word."""
    clause = _CLAUSE_END.split(text, maxsplit=1)[0].split()
    return " ".join(clause) if len(clause) >= 2 and len(clause) < len(text.split()) else ""


def _after_question(text: str) -> str:
    """What follows a question the parent asks first ("how do i hold it? i tried and its still going"), when it
    is two words or more; "" otherwise."""
    rest = text.split("?", 1)[1].split() if "?" in text else []
    return " ".join(rest) if len(rest) >= 2 else ""


# A unit of days, weeks or months said without its number, first in the message ("months. she's acting normal",
# "sorry, weeks"); not "yo" (Spanish "I"), nor a unit inside another answer ("not sure, for days").
_UNIT_FIRST = re.compile(r"((sorry|perdon|oops|es|son|its) )?({})\b".format(alternation(
    unit for unit, days in AGE_UNITS.items() if len(unit) > 1 and days < 365 and unit != "yo")))


def _bare_number(text: str) -> int | None:
    """A whole number from 4 to 36 said alone ("8", "eight", "um 8"): at the age question, weeks or months."""
    words = [w for w in tokenize(text).words if w not in BREAKS and not is_filler(w)]
    if len(words) == 1 and words[0].isdigit() and 4 <= int(words[0]) <= 36:
        return int(words[0])
    return None
# "no meses": a "no" that corrects the unit of an age ("tiene 7 semanas, no meses").
_NO_UNIT = re.compile(rf"(no|not) ({alternation(unit for unit in AGE_UNITS if len(unit) > 2)})\b")


def _answer_after_preamble(step: Step, text: str, language: str, age_days: int | None) -> Choice | None:
    """The answer that follows words reporting nothing ("sorry my english is not good. she dont have any of that",
    "Hi! sorry for the delay, was feeding her. No, none of those"): the rest of the message, read alone. Only when
    the whole message answered nothing; the whole message was screened already."""
    if len(text.split()) > _PREAMBLE_MAX_WORDS or not _PREAMBLE.match(normalize(text)):
        return None  # a long message is a story, not a short answer after a greeting
    for end in itertools.islice(_CLAUSE_END.finditer(text), _PREAMBLE_MAX_CLAUSES):
        rest = text[end.end():]
        if not normalize(rest) or _NO_UNIT.match(normalize(rest)):
            break  # ("perdón, tiene 7 semanas, no meses": the "no" corrects the unit of the age, it answers nothing)
        before = screen_for_red_flags(text[:end.start()], age_days=age_days)
        if before.level is not None or not _reports_nothing(before):
            break  # a sign or a situation is said before: that is no preamble
        after = screen_for_red_flags(rest, age_days=age_days)
        choice = _answer(step, after, rest, normalize(rest), language, fresh=False)
        if choice is not None:
            # After words that reassure or deny ("lips are pink, yes"), a yes that reports a sign contradicts them:
            # no answer. After a greeting or an apology, any answer.
            reassures = bool(before.denied) or bool(before.reading and before.reading.present - {"baby"})
            return None if choice.flags and reassures else choice
    return None


def _checkin_answer(choice: Choice) -> str:
    """'better', 'same' or 'worse': the check-in choice's English label, as recorded on the reminder."""
    return normalize(choice.label["en"]).removeprefix("the ").replace(" ", "_")


# Findings that only say what the parent asks, or that a baby exists: with nothing else they describe no
# shaking to call normal, so the reply answers the question without a level sentence.
_QUESTION_ONLY = frozenset({"baby", "ask_normal", "ask_soothe", "ask_swaddle", "ask_massage", "ask_pacifier",
                            "ask_warmth", "ask_exercise", "ask_duration", "ask_why", "ask_fever_rule", "ask_warning",
                            "ask_medicine", "occasional", "frequent", "breastfeeding"})
MAX_PASSAGES = 2
# Findings that do not describe the baby by themselves (a menu word such as "normal" still answers a menu).
_NOT_DESCRIPTIVE = frozenset({"well", "awake_responsive", "unexplained", "breastfeeding"})
_GENERIC = "normal-common"  # what "shaking" alone explains
_IF_EMERGENCY = "rule-if-emergency"  # what to do if an emergency sign ever happens
OLDER_FEVER_PASSAGE = "rule-fever-older"
_REASSURING_FINDINGS = frozenset({"eating_ok", "well", "breathing_ok", "awake_responsive", "wakes_normally",
                                  "temperature_normal"})
# What explains ordinary shaking ("yes, it stops when she eats", "yeah, mostly as she drifts off"): said after
# a yes at the red-flag question, the yes answers when the shaking happens, not the red flags.
_EXPLAINING_FINDINGS = frozenset({"hunger", "feeding", "stops_when_held", "falling_asleep", "sleep", "startle",
                                  "excitement", "crying", "tired", "stretching", "hiccups", "chin_quiver",
                                  "shivering", "cold", "tantrum", "brief", "occasional",
                                  "acting_on_advice", "over_days", "since_birth", "frequent", "maternal_diabetes"})
# (acting_on_advice: "sí ok, lo llevo a emergencias" says yes to the advice; over_days and frequent: "yes, every
# day for about a month now" says how often it happens, not which red flag. "yes, it doesn't stop" still counts.)


def _reports_nothing(screening: Screening, besides: frozenset[str] = frozenset()) -> bool:
    """Whether a message reports nothing but reassurance, what explains ordinary shaking, or questions (or
    `besides`)."""
    reading = screening.reading
    return reading is None or not (reading.present - _QUESTION_ONLY - _NOT_DESCRIPTIVE - _REASSURING_FINDINGS -
                                   _EXPLAINING_FINDINGS - {"baby"} - besides)


def _no_then_reassurance(step: Step, screening: Screening, norm: str) -> bool:
    """Whether what follows an answer's leading "no" only reassures: nothing reported but reassurance or what
    explains ordinary shaking, and what it denies is what this question asks about (its red flags), not another
    question's subject."""
    if screening.reading is None or screening.level is not None or not _reports_nothing(screening):
        return False
    if _doubts_a_red_flag(step, norm):
        return False  # ("no none of that. but i'm not sure about his breathing": unsure of a red flag is a yes)
    if not screening.denied:
        return True
    if _asks_for_emergencies(step) and not screening.reading.asserted("negated") - {"baby"} and \
            not screening.reading.asserted("hypothetical") and not _doubts(norm):
        return True  # it denies only by reassuring: "no she's pink and feeding fine" denies poor feeding
    return _asks_for_emergencies(step) and \
        any(FLAG_LEVELS.get(flag) is Level.EMERGENCY for flag in screening.denied)


# "no. ah y no tiene fiebre, le tomé la temp y tiene 36.9": a "no" that is a sentence of its own; on a call, where
# a recogniser writes no points, a "no" joined to what follows by "and" ("no and she does not have a fever either")
_NO_APART = re.compile(r"^\W*(no|nope|nah)(\s*[.!;]|\s+(and|y)\b)")
# Words of doubt ("not sure", "no sé si..."); a "no sé" is doubt only with what doubt goes on with ("no, se despierta"
# is no doubt)
_UNSURE_WORDS = (r"not sure|unsure|cant tell|can not tell|cannot tell|dont know|idk|"
                 r"no estoy (?:muy |tan )?segur[ao]|"
                 r"no se (si|como|que|de|sobre)")
_UNSURE = re.compile(rf"\b({_UNSURE_WORDS})\b")


def _plain_no_said_apart(step: Step, screening: Screening, text: str, language: str) -> bool:
    """Whether a "no" said as a sentence of its own answers this question though what follows denies another
    question's subject ("no. and no fever, 36.9"): only where "no" reports nothing (the red-flag question), so a
    "no" that is a sign ("no, it keeps going" at the holding question) is never taken from a denial."""
    if not (apart := _NO_APART.match(text.lower())) or screening.level is not None or screening.reading is None:
        return False
    if (apart.group(3) and _UNSURE.search(normalize(text))) or _doubts_a_red_flag(step, normalize(text)):
        return False  # ("no and no fever but i'm not sure about her breathing": the doubt is about a red flag)
    # (a temperature word with the fever denied reports nothing: "le tomé la temp y tiene 36.9")
    if not _reports_nothing(screening, frozenset({"fever_words"}) if "fever" in screening.denied else frozenset()):
        return False
    no = _match_choice(step, "no", language, exact_only=True)
    return no is not None and not no.flags


def _reassuring_no(step: Step, screening: Screening, language: str) -> Choice | None:
    """The choice a leading "no" that only reassures gives. Where "no" itself reports a sign (the holding
    question's "no, it keeps going"), a message that denies the shaking ("ahorita no le tiembla nada") has no
    shaking to hold: the answer that reports nothing."""
    choice = _match_choice(step, "no", language, exact_only=True)
    reading = screening.reading
    if choice is not None and choice.flags and reading is not None and \
            reading.asserted("negated") & reading.shaking_findings:
        return step.plain_choice
    return choice


_HOLDING_FLAGS = frozenset({"not_stopping_when_held"})


def _nothing_shakes(reading: Reading | None) -> bool:
    """The message says nothing shakes ("no le tiembla nada", "she's not shaking at all"): nothing to hold."""
    return bool(reading is not None and not reading.shaking and reading.asserted("negated") & reading.shaking_findings)


def _yes_names_its_sign(step: Step, screening: Screening, after: str, norm: str) -> bool:
    """Whether a leading yes at the red-flag question answers it though more follows: what follows the yes names which
    of its signs ("sí, brazos y piernas, empezó hace 3 minutos y sigue"). Not when it puts the sign in the past ("yes,
    he was jerking arms and legs an hour ago, fine now"), unless minutes ago; nor when what it names is a lesser
    sign, read and kept ("sí algo, respira rapidito, pero no se le hunde nada"). (A yes that goes on to reassure is
    set aside later, by _yes_to_something_else.)"""
    if not _asks_for_emergencies(step) or not _NAMES_ITS_SIGN.search(after) or (
            screening.level is not None and screening.level >= Level.URGENT):
        return False
    if _MINUTES_AGO.search(norm):
        return True
    past = screening.reading is not None and any(
        f.assertion in ("earlier", "resolved", "historical") for f in screening.reading.findings)
    return not _OVER.search(norm) and not past


# A doubt said of one of the red-flag question's signs: "not sure about his breathing", "no sé si respira bien",
# "cant tell if hes blue" (not "not sure why, but he's breathing fine")
_DOUBTED_SIGN = re.compile(
    rf"\b({_UNSURE_WORDS})"
    r"( (about|of|if|whether|how|si|de|sobre|como|his|her|he|she|hes|shes|he is|she is|is|its|the|baby|su|sus|la|el|"
    r"le|lo|se|esta|is he|is she|really|really is|is really|hes really|shes really))*"
    r" (breath\w*|respir\w*|colou?r|blue|grey|gray|purple|azul\w*|morad\w*|awake|wak\w*|despiert\w*|jerk\w*|"
    r"seizure\w*|convuls\w*|sacud\w*)"
    # (the sign first, the doubt at the end: "no se, a veces como que respira raro, no estoy segura")
    r"|\b(breath\w*|respir\w*|azul\w*|morad\w*|despiert\w*)( \w+){0,3} (no estoy (muy )?segur[ao]|not sure)$")


def _doubts_a_red_flag(step: Step, norm: str) -> bool:
    """Whether an answer to the red-flag question doubts one of the signs it names ("...but I'm not sure about his
    breathing"): unsure of a red flag is a yes, so its "no" is not taken."""
    return _asks_for_emergencies(step) and _DOUBTED_SIGN.search(norm) is not None


def _doubts(norm: str) -> bool:
    """Whether an answer says the parent is unsure ("not sure about her breathing", "no sé si...")."""
    return bool(_DOUBT.search(norm) or _UNSURE.search(norm)) and not _ASKS_MEANING.search(norm)


_BUT = re.compile(r"\b(but|pero|though|tho|although|aunque|except|excepto|menos)\b")

# The signs the red-flag question names, by what a parent says of each: a message that names two or more of them
# and reports no sign (nothing present beyond reassurance) is saying they are fine.
_RED_FLAG_AREAS = tuple(re.compile(pattern) for pattern in (
    r"\b(breath\w*|respir\w*)", r"\b(pink|blue|grey|gray|colou?r|rosad\w*|morad\w*|azul\w*)\b",
    r"\b(awake|wakes?|alert|despiert\w*|alerta)\b", r"\b(jerk\w*|seizure\w*|convuls\w*|sacud\w*)"))


def _top_level(step: Step) -> Level:
    """The highest level a question's signs stand for (HOME for a question that names none)."""
    return max((FLAG_LEVELS.get(flag, Level.HOME) for flag in step.asked), default=Level.HOME)


def _asks_for_emergencies(step: Step) -> bool:
    """Whether a question asks about red flags, and only about emergency ones (the red-flag question)."""
    return bool(step.asked) and all(FLAG_LEVELS.get(flag) is Level.EMERGENCY for flag in step.asked)


def _names_red_flag_areas(norm: str) -> bool:
    """Whether a message names two or more of the signs the red-flag question asks about."""
    return sum(bool(area.search(norm)) for area in _RED_FLAG_AREAS) >= 2


def _denies_the_red_flags(step: Step, screening: Screening, norm: str) -> bool:
    """Whether a message with no leading "no" still answers the red-flag question with one: "breathing normal,
    awake, pink, no jerking" reassures or denies two or more of the signs it names, and reports nothing else. (At
    the holding question such words belong to the red-flag question: `_no_to_something_else`.)"""
    if screening.reading is None or screening.level is not None or step.asked & _HOLDING_FLAGS or \
            not _asks_for_emergencies(step) or not _reports_nothing(screening):
        return False
    return len(norm.split()) <= 12 and _names_red_flag_areas(norm)


def _answers_the_red_flags_too(screening: Screening, norm: str, besides: frozenset[str] = frozenset()) -> bool:
    """Whether an answer to another question also says no to the red-flag question, as if asked: "4 months, and
    no she's breathing fine, awake, good color" says no, names two or more of its signs and reports nothing (but
    `besides`)."""
    return screening.level is None and _NEGATION.search(norm) is not None and \
        _reports_nothing(screening, besides) and _names_red_flag_areas(norm)


def _denies_what_it_asks(step: Step, screening: Screening, norm: str) -> bool:
    """Whether a message answers the red-flag question with a no, whatever else it says: "not blue, awake, no
    jerking. but she's breathing really fast" names two or more of the signs, denies at least one of them, and
    reports nothing at their level (the fast breathing it reports is kept; the check goes on)."""
    asked = step.asked
    if len(asked) < 2 or not asked & set(screening.denied) or not _NEGATION.search(norm):
        return False
    return (screening.level is None or screening.level < _top_level(step)) and _names_red_flag_areas(norm)


_NEGATION = re.compile(r"\b(no|not|isnt|arent|nor|nothing|sin|ni|nada)\b")


def _own_words(choice: Choice) -> tuple[str, ...]:
    """What only this choice says ("keeps going", "it stops", "caliente"): not a plain yes or no, a hedge or doubt."""
    return tuple(own for word in choice.own_words
                 if len(own := normalize(word)) > 4 and own not in _HEDGES_FIRST and not _DOUBT.search(own))


def _doubts_the_age(choice: Choice, screening: Screening, norm: str) -> bool:
    """Whether the doubt in a short answer that gives an age and no sign is about the age ("idk like 2 months i
    think" at the red-flag question): kept as the age, and the question asked again."""
    reading = screening.reading
    return bool(choice.flags) and (screening.age_days is not None or bool(_ABOUT_AGE.search(norm))) and \
        reading is not None and not reading.present - {"baby"} and len(norm.split()) <= 8 and bool(_DOUBT.search(norm))


# "i dont know her age", "no sé cuántos meses tiene": a doubt about the age
_ABOUT_AGE = re.compile(r"\b(age|how old|edad|cuantos meses|cuantas semanas|que edad)\b")


def _yes_to_something_else(choice: Choice, screening: Screening, norm: str) -> bool:
    """Whether a yes to a question that names signs belongs to what follows it, the parent answering what they
    thought was asked: "sí, come bien y moja pañales" or "yes, it stops when I hold her" (what explains ordinary
    shaking), or "sí, los ojitos también los tiene amarillos" (a sign the question does not name). The message is
    then read as free text and the question asked again. Doubt stays a yes ("not sure, she's really sleepy")."""
    reading = screening.reading
    if not choice.flags or reading is None or len(norm.split()) <= 1 or _DOUBT.search(norm):
        return False
    if any(re.search(rf"(?<!\w){re.escape(own)}(?!\w)", norm) for own in _own_words(choice)):
        return False  # said in the choice's own words: "no it keeps going" answers the holding question
    level = screening.level
    if (level is None or level < Level.URGENT) and reading.present & _REASSURING_FINDINGS:
        return True
    if (level is None or level < Level.URGENT) and reading.present & _EXPLAINING_FINDINGS and \
            not (_NAMES_ITS_SIGN.search(norm) and not set(choice.flags) & _HOLDING_FLAGS):
        return True  # (not "sí, brazos y piernas ... y sigue": the yes goes on to name which of its signs)
    if (level is None or level < Level.URGENT) and _IT_STOPS.search(norm):
        return True  # "yes it stops": the answer to whether holding stops it
    # (shaking and jerking are what the red-flag question asks about: "yes she's jerking her arms too"; and a yes
    # that goes on to name which of its signs: "sí, brazos y piernas, empezó hace 3 minutos y sigue")
    return (level is None or level < Level.EMERGENCY) and \
        not (_NAMES_ITS_SIGN.search(norm) and not set(choice.flags) & _HOLDING_FLAGS) and \
        all(FLAG_LEVELS.get(flag) is Level.EMERGENCY for flag in choice.flags) and \
        any(READER.kinds.get(f) == "sign" and _FLAG_OF_FINDING.get(f) not in choice.flags and f not in READER.shaking
            for f in reading.present)


_RED_FLAG_REASSURANCE = frozenset({"breathing_ok", "awake_responsive", "wakes_normally"})


def _no_to_something_else(choice: Choice, screening: Screening, norm: str) -> bool:
    """Whether a "no" that would report a sign at this question (the holding question's "no, it keeps going")
    belongs to another question the parent is answering: "no respira bien normal, está rosadito y despierto",
    "no, she's breathing fine and wide awake" (the red-flag question), "no, está fresquita", "no, no fever" (the
    fever question). What follows the no reassures about breathing, waking or temperature and says nothing of
    holding; the question is asked again."""
    words = norm.split()
    if not choice.flags or len(words) <= 1 or words[0] not in _LEADING_NO or screening.level is not None or \
            _DOUBTED_SIGN.search(norm):
        return False  # (nor when it doubts a red flag: "no... but honestly I'm not sure about her breathing")
    rest = READER.read(" ".join(words[1:]))
    reassures = rest.present & (_RED_FLAG_REASSURANCE | {"temperature_normal"}) or (
        "fever_words" in rest.asserted("negated") and "fever" not in choice.flags)
    return bool(reassures) and not rest.present & {"stops_when_held", "not_stopped_by_holding"}


def _answering_passages(flow: Flow, screening: Screening, language: str) -> list[str]:
    """The passages that answer a message with no red flag: what a hypothetical red flag's rule is, what
    the parent asked, then what explains the situation they describe; the free-text search otherwise."""
    chosen: list[str] = []
    reading = screening.reading
    present = set(screening.topics)
    for topic, passages in flow.topics.items():  # the flow lists topics in the order they answer best
        if topic in present:
            chosen.extend(passages)
    if reading is not None:
        for finding in sorted(reading.asserted("hypothetical")):
            flag = _FLAG_OF_FINDING.get(finding)
            rule = bool(flag and FLAG_LEVELS.get(flag) is Level.EMERGENCY and _IF_EMERGENCY in flow.passages)
            if flag and flag in flow.red_flags:
                # (with the rule said first, what the parent sees now comes before the sign's own passage: "his mom
                # said if he ever turns blue call 911, but he's fine, just hungry" is answered about hunger)
                if rule and any(not p.startswith("normal") for p in chosen):
                    chosen.append(flow.red_flags[flag])
                else:
                    chosen.insert(1 if chosen and not chosen[0].startswith("normal") else 0, flow.red_flags[flag])
            if rule:
                chosen.insert(0, _IF_EMERGENCY)  # "what if he turns blue?": the rule comes first
    chosen = list(dict.fromkeys(chosen))
    # A denied flag's passages, its kinds included ("no fever": nor the fever-with-shaking passage).
    denied = {pid for f in screening.denied for flag, pid in flow.red_flags.items()
              if flag == f or flag.startswith(f"{f}_")}
    if not chosen or chosen == [_GENERIC]:
        # Nothing more specific: the free-text search, except advice for older babies to a younger one.
        found = flow.index.best(screening.searchable, language)
        if found is not None and found.id not in chosen and found.id not in denied and not (
                found.id == flow.red_flags.get("after_6_months") and not (
                    screening.age_days is not None and screening.age_days > 180)):
            chosen.insert(0, found.id)
    return list(dict.fromkeys(chosen))[:MAX_PASSAGES]


def advance(flow: Flow, state: State | None, text: str, context: Context | None = None) -> Turn:
    """Handle one inbound message and say what should happen next."""
    context = context or Context()
    turn = _advance(flow, state, text, context)
    return _keep_earned_level(flow, state, turn, context, normalize(text or ""))


# Passages that reassure ("this is normal, no treatment is needed"): never said after an urgent or emergency
# assessment in the same conversation, whatever the later message asks.
_REASSURING = ("normal-",)


# "sorry typo!! 6 MONTHS not weeks", "perdón, me equivoqué, son 5 semanas": the parent corrects the age given.
_CORRECTS = re.compile(r"\b(sorry|typo|oops|i meant|meant to (say|write)|correction|my bad|my mistake|"
                       r"not (days|weeks|wks|months|mos|mo|years)|perdon|me equivoque|quise decir|no son|no es de|"
                       r"error|was (mine|my))\b")

# (A thermometer's site too: "yes rectal", "sí, en la axila" answer how the temperature was taken.)
_THERMOMETER = re.compile(r"\b(thermometer|termometro|temperatura|temperature|temp|fiebre|fever|rectal|rectally|recto|"
                          r"axila|axilar|armpit|underarm|under (?:the|her|his) arm|forehead|frente|oral|por la boca)\b")

_KEYWORDS = MENU_WORDS | BACK_WORDS | set(LANGUAGE_WORDS) | HELP_WORDS | STOP_WORDS | START_WORDS - {"yes"}


def _keep_earned_level(flow: Flow, before: State | None, turn: Turn, context: Context, norm: str) -> Turn:
    """A conversation that has earned an urgent or emergency level keeps it: a later message that says the
    baby seems better, asks something else or is not understood is first reminded of what is still needed
    (CLINICAL-RULES: an emergency described, then said to be over, is still an emergency). Keywords
    (STOP, HELP, MENU, thanks) and a turn that states a level itself are left as they are."""
    earned = Level(before.level) if before is not None and before.level is not None else Level.HOME
    if before is None or before.step is None or earned < Level.URGENT or context.opted_out or norm in _KEYWORDS:
        return turn
    if any(r.kind in ("level", "keyword") for r in turn.replies) or not turn.replies or any(
            isinstance(e, (OptOut, OptIn, CheckinReply)) for e in turn.effects):
        return turn
    language = turn.state.language
    reminder = flow.message(f"still_{earned.label}", language).replace("{emergency}", context.emergency_number)
    kept = [r for r in turn.replies if not (r.passage or "").startswith(_REASSURING)]
    if kept and kept[0].message in ("no_match", "not_understood"):
        kept = kept[1:]
    state = evolve(turn.state, level=int(max(earned, Level(turn.state.level or 0))))
    return replace(turn, replies=(Reply(reminder, kind="level", message=f"still_{earned.label}"), *kept),
                   state=state)


def _advance(flow: Flow, state: State | None, text: str, context: Context) -> Turn:
    text = text or ""
    norm = normalize(text)
    fresh = state is None or state.step is None
    detected = detect_language(text)
    if state is None:
        state = State(language=detected or "en")
    elif detected and detected != state.language and (fresh or len(norm.split()) >= 3):
        # A parent who writes a sentence in the other language is answered in it from now on.
        state = evolve(state, language=detected)
    run = _Run(flow, context, evolve(state, turns=state.turns + 1))

    # 1. Opted out: silence, except the words that opt back in.
    if context.opted_out:
        if norm in START_WORDS:
            run.effects.append(OptIn())
            run.say("started", kind="keyword")
            run.go(flow.start, remember=False)
            return run.turn(None)
        # The opt-out is binding (and Twilio blocks replies), but what the message says is still assessed and
        # recorded, so staff see an emergency from a number that opted out.
        screening = screen_for_red_flags(text, age_days=run.state.age_days, known=run.state.findings)
        if screening.level is not None:
            run.effects.append(RecordAssessment(Assessment(screening.level, screening.flags, ())))
        return run.turn(screening)
    if norm in STOP_WORDS:
        run.effects.append(OptOut())
        run.say("stopped", kind="keyword")
        return run.turn(None)

    # 1a. "8", then asked which unit, "months, sorry": the unit takes the number said before it.
    if state.age_number is not None:
        if _UNIT_FIRST.match(_without_fillers(norm)) and not any(c.isdigit() for c in norm):
            text = f"{state.age_number} {text}"
            norm = normalize(text)
        run.state = evolve(run.state, age_number=None)

    # 2. The safety screen, before anything else: an emergency is answered at once, in any state.
    # Findings accumulate across the conversation: what was said before counts with what is said now
    # ("she fell and hit her head", then "she just threw up"), an age given once is not asked again, and a
    # later denial updates. Only flags this message raises anew are reported.
    # At the fever question a body temperature said alone ("102", "a hundred and two", "37") is its reading.
    asking = flow.steps.get(state.step) if state.step else None
    screening = screen_for_red_flags(text, age_days=run.state.age_days,
                                     temperature_c=run.state.temperature_c,
                                     temperature_site=run.state.temperature_site, today=context.today,
                                     known=run.state.findings, already=run.state.flags,
                                     shaking_started_at=run.state.shaking_started_at,
                                     asks=None if asking is None else "temperature" if "fever" in asking.asked
                                     else "age" if asking.skip_when_known == "age"
                                     else "danger" if "breathing" in asking.asked else None)
    before_temperature = run.state.temperature_c
    if screening.reading is not None:
        new_reading = screening.temperature_c is not None
        # "tiene 38.9" ... "le di paracetamol y ahora tiene 37.6": a reading a medicine brought down does not replace
        # the fever read before it (unknown is the worse answer: the medicine hides what the fever would be now)
        if new_reading and before_temperature is not None and "medicine_given" in screening.reading.present and \
                before_temperature >= fever_line(run.state.temperature_site, run.state.age_days if
                                                 run.state.age_days is not None else 0) and \
                (screening.temperature_c or 0.0) < before_temperature:
            new_reading = False
        run.state = evolve(run.state, findings=remembered(run.state.findings, screening),
                            temperature_c=screening.temperature_c if new_reading else run.state.temperature_c,
                            temperature_site=screening.reading.temperature_site if new_reading
                            else run.state.temperature_site,
                            shaking_started_at=screening.reading.shaking_started_at or run.state.shaking_started_at)
    before_age = run.state.age_days
    if screening.age_days is not None:
        run.state = evolve(run.state, age_days=screening.age_days)
    corrected_age = before_age is not None and screening.age_days not in (None, before_age) and bool(
        _CORRECTS.search(norm))
    # "sorry my mistake, that was MY temperature. hers is 98.6": the fever was not the baby's. Or a fever told in
    # words ("she feels hot") and now measured: a reading beats words ("just took it, 99.0 under the arm").
    # (Not a reading taken after a fever medicine: "le di tylenol porque estaba calientito ... ya está con 37.1".)
    corrected_fever = (screening.temperature_c is not None and "fever" in run.state.flags and
                       "fever_reducer" not in run.state.findings and
                       # (an unknown age is the younger band: under the arm, 37.2 is already a fever)
                       screening.temperature_c < fever_line(run.state.temperature_site, run.state.age_days
                                                            if run.state.age_days is not None else 0) and (
                           before_temperature is None or (screening.temperature_c < before_temperature and
                                                          bool(_CORRECTS.search(norm)))))
    if corrected_fever:
        run.state = evolve(run.state, flags=tuple(f for f in run.state.flags if not f.startswith("fever")),
                            findings=tuple(f for f in run.state.findings if f != "fever_words"))
    denied = screening.denied
    reading = screening.reading
    if reading is not None and "shaking" in reading.asserted("negated") and not any(
            f.finding in READER.shaking and f.assertion != "negated" for f in reading.findings) and \
            not READER.shaking & set(run.state.findings):
        denied = (*denied, "not_stopping_when_held")  # "tiene 39,6 y no tiembla": nothing shakes, nothing to hold
    if denied:
        run.state = evolve(run.state, denied=tuple(dict.fromkeys((*run.state.denied, *denied))))
    if screening.level is Level.EMERGENCY:
        run.add_flags(screening.flags)
        run.state = evolve(run.state, step=flow.start, level=int(Level.EMERGENCY))
        run.assess()
        run.say("menu_hint")
        if context.checkin:
            run.effects.append(CheckinReply("worse"))
        return run.turn(screening)

    # 2a. The age was wrong ("sorry typo!! 6 MONTHS not weeks"): the flags are what the right age makes them,
    #     lower too (a raise is the screen's). Or the fever was not the baby's (a lower reading, corrected). Said
    #     at once and recorded as a revision, then the question that can still change the level. An emergency is
    #     never regraded.
    if (corrected_age or corrected_fever) and screening.level is None and not context.claimed and \
            run.state.level is not None and \
            run.level() < Level(run.state.level) < Level.EMERGENCY and (corrected_fever or run.level() > Level.HOME):
        run.announce_level(revised=True)
        current = flow.steps[run.state.step or flow.start]
        run.go(current.id if current.is_question else flow.check_start)
        return run.turn(screening)

    # 2b. A nurse has this conversation (the staff inbox): the message is for her, and the hotline says nothing.
    #     The screen above still ran first (an emergency is answered at once, whoever has the conversation); what it
    #     read is kept, and a red flag is recorded so staff see it. STOP and START were handled before.
    if context.claimed:
        if screening.level is not None:
            run.effects.append(RecordAssessment(Assessment(screening.level, screening.flags, ())))
        return run.turn(screening)

    # 3. The first message after a check-in text is read as its answer when it can be:
    #    1/better, 2/same, 3/worse. Red flags were screened above and count as worse.
    if context.checkin and flow.checkin:
        checkin_step = flow.steps[flow.checkin]
        answer = _match_choice(checkin_step, text, run.language)
        if answer is not None:
            run.effects.append(CheckinReply(_checkin_answer(answer)))
            if fresh:
                run.state = evolve(run.state, step=flow.start)
            run.add_flags(screening.flags)
            if screening.level is not None and not run._resolve(answer.next).outcome:
                # "worse, now she has a fever": the level the message warrants comes first, as anywhere.
                run.announce_level()
            run.go(answer.next)
            return run.turn(screening)
        run.effects.append(CheckinReply("worse" if screening.level is not None else "other"))

    if fresh:
        run.say("welcome_back" if context.known_contact else "welcome", kind="welcome")
        run.state = evolve(run.state, step=flow.start)

    # 4. Keywords.
    if norm in LANGUAGE_WORDS:
        run.state = evolve(run.state, language=LANGUAGE_WORDS[norm])
        run.say("language_set", kind="keyword")
        run.go(run.state.step or flow.start, remember=False)
        return run.turn(screening)
    if norm in HELP_WORDS:
        run.say("help", kind="keyword")
        return run.turn(screening)
    if screening.level is None and _HOW_TO_STOP.search(norm) and (
            not (here := flow.steps[run.state.step or flow.start]).is_question or
            _answer(here, screening, text, norm, run.language, fresh) is None):
        # "How do I stop getting these texts?": told the way (only the keyword itself opts out); "yes, how do I
        # stop these messages" at a question answers it first.
        run.say("how_to_stop", kind="keyword")
        if here.is_question:
            run.prompt(here)  # (the question still stands)
        return run.turn(screening)
    if screening.level is None and THANKS.match(norm):
        run.say("thanks", kind="keyword")
        return run.turn(screening)
    if (screening.level is None and not fresh and not flow.steps[run.state.step or flow.start].is_question
            and _acknowledges(text, norm)):
        run.say("acknowledged", kind="keyword")
        return run.turn(screening)
    if norm in MENU_WORDS:
        run.go(flow.start)
        return run.turn(screening)
    if norm in BACK_WORDS:
        previous = run.state.history[-1] if run.state.history else flow.start
        run.state = evolve(run.state, history=run.state.history[:-1])
        run.go(previous, remember=False, skip=False)  # going back re-asks, even what is known
        return run.turn(screening)
    if norm in START_WORDS - {"yes"}:
        run.go(flow.start)  # already subscribed: just show the menu
        return run.turn(screening)

    step = flow.steps[run.state.step or flow.start]

    # 5. An answer to the current step.
    choice = _answer(step, screening, text, norm, run.language, fresh)
    if choice is None and step.is_question and not fresh:
        choice = _answer_after_preamble(step, text, run.language, run.state.age_days)
    if choice is not None:
        if choice.age_days is not None and screening.age_days is None:
            run.state = evolve(run.state, age_days=choice.age_days)
            if norm.isdigit():
                # "2", then "months. she's acting normal": the key was a number of months (or weeks), which a unit
                # said alone next gives (the age said wins, as any age said later does)
                run.state = evolve(run.state, age_number=int(norm))
        if screening.level is None:
            run.regrade_for_age(before_age)
        run.clean_slate_for(choice.next)
        run.add_flags((*choice.flags, *screening.flags))
        if step.asked & _HOLDING_FLAGS and "fever" in run.state.flags and not _nothing_shakes(screening.reading):
            # "she's hot 38.9" ... "yes it stops when I hold her": whichever the answer, the baby with the fever shakes
            # (Article: shaking with a fever, at any age); not "she's not shaking at all, just fussy"
            run.add_flags(("fever_with_shaking",))
        run.red_flags_answered = step.is_question and not _asks_for_emergencies(step) and \
            _answers_the_red_flags_too(screening, norm)
        if screening.level is not None and not run._resolve(choice.next).outcome:
            # "no, but she has a fever": the answer moves the check on, and the level is said at once.
            run.announce_level()
        run.go(choice.next)
        return run.turn(screening)

    # 6. Free text that reports red flags: give the level now, assuming the worst for what is unknown,
    #    then ask the next question that could still change it.
    if screening.level is not None:
        run.add_flags(screening.flags)
        run.announce_level()
        target = step.id if step.is_question else flow.check_start
        resolved = run._resolve(target)
        run.state = evolve(run.state, step=resolved.id)
        run.prompt(resolved)
        run.answer_first()
        return run.turn(screening)

    # 6b. A question back ("wdym hard to wake?", "no entiendo la pregunta", "what counts as a fever?"): what the
    #     question means, then the question again (no sign reported, so nothing to assess).
    if step.is_question and step.explain and not fresh and _ASKS_BACK.search(norm) and not (
            screening.reading and screening.reading.asserted("present") - _QUESTION_ONLY):
        run.replies.append(Reply(step.explain[run.language], kind="info", message="explain"))
        run.prompt(step)
        return run.turn(screening)

    # 7. A message about the baby with no red flag: it is assessed (home, unless the conversation has
    #    already earned more), answered from what it says and asks, and the one question whose answer
    #    could still change the level is asked.
    if screening.clinical and step.is_question and not fresh and screening.reading is not None and not (
            screening.reading.present - {"baby"}) and not screening.reading.asserted("hypothetical"):
        # Only denials or an age ("no fever" while asked whether holding stops it): kept, not an answer.
        run.say("noted")
        run.prompt(step)
        return run.turn(screening)
    if screening.clinical:
        passages = _answering_passages(flow, screening, run.language)
        describes = bool(screening.reading and screening.reading.present - _QUESTION_ONLY)
        if describes:
            run.replies.append(Reply(run.message("level_home") if run.level() is Level.HOME
                                     else run.message(f"level_{run.level().label}"), kind="level"))
        run.guidance(passages)
        run.state = evolve(run.state, level=int(max(run.level(), Level(run.state.level or 0))))
        run.effects.append(RecordAssessment(Assessment(run.level(), run.state.flags, run.state.sections)))
        # "her legs shake while she's eating. no fever, she's awake and pink, breathing fine, no jerking": the
        # red-flag question is answered before it is asked
        run.red_flags_answered = not step.is_question and screening.reading is not None and \
            not _doubts(norm) and not _BUT.search(norm) and \
            not screening.reading.asserted("hypothetical") and \
            _answers_the_red_flags_too(screening, norm, screening.reading.shaking_findings)
        target = step.id if step.is_question else flow.check_start
        resolved = run._resolve(target)
        run.state = evolve(run.state, step=resolved.id)
        run.prompt(resolved)
        run.answer_first()
        return run.turn(screening)

    # A question in the parent's own words: the best-matching guidance, then where we were.
    passage = flow.index.best(screening.searchable, run.language)
    if passage is not None:
        run.guidance([passage.id])
        run.prompt(step)
        return run.turn(screening)

    # 8. Nothing matched. A picture or video is thanked for and words are asked for instead.
    if context.media:
        run.say("media_received")
        run.prompt(step)
        return run.turn(screening)
    if fresh:
        run.prompt(step)
    elif step.is_question and screening.age_days is not None:
        run.say("noted")  # "4 weeks" at a yes/no question: the age is kept; the question still stands
        run.prompt(step)
    elif step.skip_when_known == "age" and (number := _bare_number(text)) is not None:
        # "8" at the age question, no menu key: weeks or months decide the level, so which one is asked
        run.state = evolve(run.state, age_number=number)
        run.replies.append(Reply(run.message("age_unit").replace("{number}", str(number)), kind="prompt",
                                 message="age_unit"))
    elif step.is_question:
        run.say("not_understood")
        run.prompt(step)
    else:
        run.say("no_match")
        run.go(flow.start, remember=False)
    return run.turn(screening)
