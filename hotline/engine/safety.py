"""The safety screen: what a parent's message says about the baby, and the level it warrants.

`screen_for_red_flags` reads one message (hotline.engine.reading: findings with their assertion, age,
temperature) and applies the triage protocol (flows/protocol.yaml: the rules of CLINICAL-RULES.md, no
others) to it. It returns a `Screening`: the rules that fired as flags, each with its level and the
parent's words behind it, the flags the parent denied, the temperature, age and language read, and
whether the message has clinical content at all (a baby, shaking, a question about either).

When a message is ambiguous the reading errs towards a finding: "not sure" to a red flag is a yes, an
unknown age is the younger band.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from functools import lru_cache
from types import MappingProxyType

from hotline.engine.levels import Level
from hotline.engine.protocol import (
    EPISODE_FINDINGS,
    NOT_BACK_TO_NORMAL,
    NOW_MARKS,
    PAST_TENSE,
    YOUNG_INFANT_DAYS,
    Decision,
    Protocol,
    episode_over,
    facts_of,
    load_protocol,
)
from hotline.engine.reading import Reader, Reading, shipped_reader
from hotline.engine.text import tokenize
from hotline.engine.yamlfile import SHIPPED_FLOWS

__all__ = ["FLAGS", "FLAG_LEVELS", "YOUNG_INFANT_DAYS", "Finding", "Screening", "detect_language",
           "screen_for_red_flags", "flag_level"]


def _shipped_protocol(reader: Reader) -> Protocol:
    return load_protocol(SHIPPED_FLOWS / "protocol.yaml", reader.kinds)


READER = shipped_reader()
PROTOCOL = _shipped_protocol(READER)
# The level of each flag (the highest rule that sets it). `fever` is listed at its level for young or
# unknown-age babies; `flag_level` lowers it for babies known to be 90 days or older.
FLAG_LEVELS: Mapping[str, Level] = MappingProxyType(dict(PROTOCOL.flag_levels))
FLAGS: tuple[str, ...] = tuple(FLAG_LEVELS)
# The flag a red-flag finding stands for on its own (for answering a hypothetical with that flag's rule).
# A finding's own rule: any-of, with no other condition ("vomiting" -> vomiting, "floppy" -> unresponsive).
FLAG_OF_FINDING: Mapping[str, str] = MappingProxyType(
    {finding: rule.flag for rule in reversed(PROTOCOL.rules) if not rule.all and rule.age is None
     and rule.temperature is None for finding in rule.any} | {"fever_words": "fever"})
_SIX_MONTHS_DAYS = 183  # (the age bound of flows/protocol.yaml's fever-high-3-to-6-months)
# Findings that make a message about the baby (rather than a greeting or an off-topic question).
_CLINICAL_KINDS = ("sign", "context", "question")
# Words that say nothing clinical on their own ("thank you so much", "a little", "he is fine").
_NOT_CLINICAL_ALONE = frozenset({"baby", "frequent", "occasional", "well", "awake_responsive", "unexplained",
                                 "acting_on_advice"})  # "gracias, ya vamos para el hospital"


def flag_level(flag: str, age_days: int | None) -> Level:
    """The level a flag stands for at this age. A fever read while the age was unknown was read in the younger
    band (unknown is the worse answer): once the age is known, 38 C from 3 months, and 39 C past 6 months, is
    a fever for the pediatrician soon (protocol rules fever and fever-high-3-to-6-months)."""
    if flag == "fever" and age_days is not None and age_days >= YOUNG_INFANT_DAYS:
        return Level.SOON
    if flag == "fever_high_young" and age_days is not None and age_days >= _SIX_MONTHS_DAYS:
        return Level.SOON
    return FLAG_LEVELS[flag]


@dataclass(frozen=True)
class Finding:
    """One flag raised by the protocol for this message."""

    flag: str
    level: Level
    evidence: str  # the words that triggered it, for staff review


@dataclass(frozen=True)
class Screening:
    """What the safety screen read in one message."""

    level: Level | None  # the highest finding's level; None when no rule fired
    findings: tuple[Finding, ...]  # highest level first
    denied: tuple[str, ...]  # flags the parent explicitly denied ("no fever" -> "fever"), never also found
    temperature_c: float | None  # the highest temperature stated, in °C
    age_days: int | None  # the age stated in this message, in days; None when it states none
    language: str | None  # "en" / "es", None when the message gives no clue ("1", "ok")
    searchable: str = ""  # the message without what it denied, for the free-text search
    clinical: bool = False  # it speaks of the baby, shaking, or asks about them
    topics: tuple[str, ...] = ()  # context and question findings present (crying, ask_soothe...), in order
    reading: Reading | None = field(default=None, compare=False, repr=False)

    @property
    def flags(self) -> tuple[str, ...]:
        """The flags found, highest level first."""
        return tuple(finding.flag for finding in self.findings)


def _evidence(reading: Reading, decision_flags: dict[str, set[str]]) -> dict[str, str]:
    words = reading.tokens.words
    out: dict[str, str] = {}
    for flag, names in decision_flags.items():
        spans = [f for f in reading.findings if f.finding in names and f.assertion in ("present", "earlier")]
        if spans:
            out[flag] = " ".join(words[spans[0].start:spans[0].end])
        elif reading.temperature_c is not None and names & {"fever", "low_temperature"}:
            out[flag] = f"{round(reading.temperature_c, 1):g} C"  # the thermometer reading, in Celsius
        else:
            out[flag] = ""
    return out


def _order(reading: Reading) -> Callable[[str], int]:
    first: dict[str, int] = {}
    for f in reading.findings:
        first.setdefault(f.finding, f.start)
    return lambda name: first.get(name, 10**6)


_REMEMBERED_KINDS = ("sign", "context")
# Twilio caps a text at 1,600 characters and speech results are short; the webhook accepts up to 64 KB. The
# reading is linear in the length (about 5 us a character here), so it stops at this many characters.
MAX_READ_CHARS = 10_000


# "no jerking" denies the seizure's jerking (what the red-flag question asks), not the legs' shaking said before.
_JERKING = ("jerk", "sacud", "jalon")


def _no_longer(reading: Reading, reader: Reader) -> set[str]:
    """What a message says is no longer so: findings it denies, and those a finding it reports contradicts
    ("it stopped when I held her" earlier, "now even holding doesn't stop it")."""
    words = reading.tokens.words
    denied = {f.finding for f in reading.findings if f.assertion == "negated" and not (
        f.finding in reading.shaking_findings and all(w.startswith(_JERKING) for w in words[f.start:f.end]))}
    denied -= reading.present
    for finding in reading.present:
        denied |= reader.denies.get(finding, frozenset())
    return denied


# Remembered when a message tells of shaking that is over ("anoche tuvo un temblor raro"): what the next
# messages tell in the past tense is that episode.
EPISODE_TOLD_EARLIER = "episode_told_earlier"
# A message that speaks of now at all: a word of now, or a verb in the present tense.
_NOW_WORDS = NOW_MARKS | {"right", "is", "are", "keeps", "hes", "shes", "its", "esta", "tiene", "continues"}


def _same_episode(reading: Reading) -> Reading:
    """In a conversation about an episode that is over, a message that tells seizure signs in the past tense and
    says nothing of now tells that episode ("it lasted maybe a minute, his arms and legs both and his eyes kind
    of went up"); a message that speaks of now is about now."""
    words = set(reading.tokens.words)
    signs = [f for f in reading.findings if f.assertion == "present" and f.finding in EPISODE_FINDINGS]
    if not signs or not words & PAST_TENSE or words & _NOW_WORDS:
        return reading
    return replace(reading, findings=tuple(
        replace(f, assertion="earlier") if f in signs else f for f in reading.findings))


def remembered(known: tuple[str, ...], screening: Screening) -> tuple[str, ...]:
    """The findings a conversation keeps after this message: what it knew, minus what the message now
    denies, plus what it says is present (signs and situations, not questions)."""
    reading = screening.reading
    if reading is None:
        return known
    kinds = READER.kinds
    denied = _no_longer(reading, READER)
    kept = [f for f in known if f not in denied]
    lasting = PROTOCOL.lasting | {f for f, need in PROTOCOL.lasting_with.items() if need <= {*kept, *reading.present}}
    episode = episode_over(reading)
    # How the baby was after an episode that is over, said of then ("he was out of it for a bit after, now he's
    # totally himself"), is remembered as that episode: a later message is not told the baby is still unwell.
    new = [("seizure_earlier" if f in episode or (episode and f.assertion == "earlier" and
                                                  f.finding in NOT_BACK_TO_NORMAL) else f.finding)
           for f in reading.findings if (f.assertion in ("present", "earlier") or (
               f.assertion == "resolved" and f.finding in lasting))
           and kinds.get(f.finding) in _REMEMBERED_KINDS and f.finding != "baby"]
    if any(f.assertion == "earlier" and f.finding in reading.shaking_findings | EPISODE_FINDINGS
           for f in reading.findings):
        new.append(EPISODE_TOLD_EARLIER)
    return tuple(dict.fromkeys((*kept, *new)))[-40:]


def screen_for_red_flags(text: str, *, age_days: int | None = None, temperature_c: float | None = None,
                         temperature_site: str | None = None, today: date | None = None,
                         known: tuple[str, ...] = (), already: tuple[str, ...] = (), asks: str | None = None,
                         reader: Reader | None = None, protocol: Protocol | None = None,
                         shaking_started_at: int | None = None) -> Screening:
    """Screen one message. `age_days`, `temperature_c` and `known` (findings said earlier): what the
    conversation already knows; the message may state a new age, which wins, or deny a known finding.
    Flags in `already` (raised earlier in the conversation) are not reported again unless a new age raises them.
    `Screening.age_days` reports only what this message says. `shaking_started_at`: the clock (minutes past 12) a
    shaking said earlier started at, which times a time now this message says."""
    reader = reader or READER
    protocol = protocol or PROTOCOL
    reading = reader.read((text or "")[:MAX_READ_CHARS], today, asks).timed_from(shaking_started_at)
    gone = _no_longer(reading, reader)
    still = tuple(f for f in known if f not in gone)
    if EPISODE_TOLD_EARLIER in still or "seizure_earlier" in still:
        reading = _same_episode(reading)
    said_age = reading.age_days
    if said_age is None and reading.early_days and age_days is not None:
        said_age = max(0, age_days - reading.early_days)  # "born at 30 weeks": the age known, corrected
    facts = facts_of(reading, age_days=said_age if said_age is not None else age_days, temperature_c=temperature_c,
                     site=temperature_site, known=still, lasting=protocol.lasting,
                     lasting_with=protocol.lasting_with)
    decision: Decision = protocol.decide(facts)
    age = facts.age_days
    by_flag: dict[str, set[str]] = {}
    for rule in decision.rules:
        # A flag raised before is not reported again, unless a new age makes it more serious ("sorry, 5 WEEKS
        # not months": the fever of a 5-month-old is for the pediatrician, that of a 5-week-old is urgent).
        if rule.flag not in already or flag_level(rule.flag, age) > flag_level(rule.flag, age_days):
            by_flag.setdefault(rule.flag, set()).update(rule.any | rule.all)
    evidence = _evidence(reading, by_flag)
    findings = sorted((Finding(flag, flag_level(flag, age), evidence[flag]) for flag in by_flag),
                      key=lambda f: -f.level)
    found = {f.flag for f in findings}
    negated = set(reading.asserted("negated"))
    for context in reading.present:  # "breathing fine", "eats well", "both legs" deny as "no" does
        negated |= reader.denies.get(context, frozenset())
    if facts.temperature_c is not None and "fever" not in facts.present:
        negated.add("fever_words")  # "temp 37.1" answers "does she have a fever?"
    denied = tuple(dict.fromkeys(FLAG_OF_FINDING[f] for f in sorted(negated, key=_order(reading))
                                 if f in FLAG_OF_FINDING and FLAG_OF_FINDING[f] not in found))
    kinds = reader.kinds
    # (a situation over now still explains what happened: "se asustó con el portazo, tembló un segundo y ya se calmó")
    present = [f.finding for f in reading.findings if f.assertion in ("present", "earlier") or (
        f.assertion == "resolved" and kinds.get(f.finding) == "context")]
    asked = [f.finding for f in reading.findings if kinds.get(f.finding) == "question"]
    # What a question asks about is a topic too, though no baby is said to have it ("when do babies grow out of the
    # startle reflex?": the startle's passage answers).
    asked_about = [f.finding for f in reading.findings if f.assertion == "hypothetical"] if asked else []
    topics = tuple(dict.fromkeys(f for f in (*present, *asked, *asked_about)
                                 if kinds.get(f) in ("context", "question") and f != "baby"))
    # About this baby: a finding of any assertion but someone else's ("what if she ever..." is a question
    # about the baby; "my husband has a fever" is not), or a temperature read.
    # A question is about this baby even inside a sentence about someone else ("my older son had seizures,
    # will the baby get them?").
    # But a question after someone else's symptoms, with no word for the baby, is about that person ("my own
    # hands shake since my c-section, is that normal?": an adult's own symptoms, no clinical content).
    someone_else = any(f.assertion == "other_person" and kinds.get(f.finding) not in ("question", None)
                       and f.finding != "baby" for f in reading.findings)
    the_baby = any(f.finding == "baby" and f.assertion not in ("other_person", "negated") for f in reading.findings)
    questions_count = the_baby or not someone_else
    # A question said in someone else's words, with no word for the baby, is theirs: "i've had a migraine all day
    # can i take ibuprofen", "me duele la cabeza, ¿qué puedo tomar?".
    told_of_someone_else = not the_baby and any(f.assertion == "other_person" for f in reading.findings)
    # "Yo tengo chills y fever desde el parto, is that normal? Mi baby está fine": "is that normal?" asks about
    # the symptoms just told, the mother's, when nothing is told of the baby but that she is fine.
    baby_signs = any(f.assertion in ("present", "earlier") and kinds.get(f.finding) not in ("question", "context", None)
                     and f.finding != "baby" for f in reading.findings)
    # (Written, the question mark says it is asked; spoken, "that": "yo ando con temblor en las manos desde que
    # nació mi bebé eso es normal". "el bebé está bien" after someone else's fever tells of the baby.)
    words = reading.tokens.words
    normal_of_someone_else = someone_else and not baby_signs and ("?" in (text or "") or any(
        f.finding == "ask_normal" and not _DEMONSTRATIVES.isdisjoint(words[max(0, f.start - 2):f.end])
        for f in reading.findings))
    about = [f for f in reading.findings if kinds.get(f.finding) in _CLINICAL_KINDS
             and (f.assertion != "other_person" or kinds.get(f.finding) == "question")
             and (kinds.get(f.finding) != "question" or questions_count and not (
                 told_of_someone_else and f.assertion == "other_person"))
             and not (f.finding == "ask_normal" and normal_of_someone_else)
             # "911 lol wrong chat": an emergency word taken back says nothing of the baby
             and not (f.finding == "emergency_said" and f.assertion != "present")
             and f.finding not in _NOT_CLINICAL_ALONE and f.finding not in reader.about_mother]
    clinical = bool(findings or about) or reading.temperature_c is not None or (
        reading.age_days is not None and any(f.finding != "baby" for f in reading.findings))
    return Screening(
        level=max((f.level for f in findings), default=None),
        findings=tuple(findings),
        denied=denied,
        temperature_c=reading.temperature_c,
        age_days=said_age,
        language=detect_language(text or ""),
        searchable=reading.without_negated() if negated else (text or ""),
        clinical=clinical,
        topics=topics,
        reading=reading,
    )


_DEMONSTRATIVES = frozenset(("that", "thats", "this", "eso", "esto"))  # ("esta" is also "está")


_ENGLISH_WORDS = frozenset(
    "the my is are and of to it its she he shes hes her his him baby babys bby leg legs shaking shakes "
    "shake shaky has have had i im ive what when how why not with for old month months week weeks day days "
    "fever yes yeah yep hi hello hey thanks thank please pls plz this that but or should does do doesnt dont "
    "wont cant isnt just keeps keep also very so in on at be been was if worried help hot now still will "
    "can there you u ur we our daughter girl boy newborn yr yrs wk wks mo temp sleepy breathing eat eating "
    "feeding only one side times again left right trembling twitching jerking shook any much lot could "
    "would about after before tired crying sick seizure vomiting throwing up hours minutes floppy "
    "lethargic kid child wife husband mom dad okay sure did".split()
)

_SPANISH_WORDS = frozenset(
    "el la los las de del que q y en un una mi mis es esta estan esto eso tiene tienen tengo por para con "
    "se le lo les bebe bebes pierna piernas piernita piernitas hijo hija nino nina meses mes semanas semana "
    "dias dia anos ano fiebre muy pero cuando como hola gracias si tiembla tiemblan temblor temblores "
    "temblando mucho poco solo hace desde porque xq pq tb tambien ya pasa ayuda favor porfa buenas noches "
    "tardes nada sin todo toda nacido nacida recien su sus al ella yo respira vomita calentura convulsion "
    "estoy preocupada preocupado puede hago debo algo tiempo ahora hoy ayer noche siempre nunca despierta "
    "duerme dormido dormida llora quiere toma leche pecho biberon ojos brazos cuerpo senora senor bueno "
    "vez veces grados".split()
)
_SPANISH_MARKS = frozenset("ñÑ¿¡áéíóúÁÉÍÓÚ")


@lru_cache(maxsize=256)  # the runner and the screen both ask, about the same message
def detect_language(text: str) -> str | None:
    """The language of `text`, "en" or "es"; None when it gives no clue ("1", "ok", "38.5") or a tie."""
    words = tokenize((text or "")[:MAX_READ_CHARS]).words
    english = spanish = 0
    for index, word in enumerate(words):
        if word == "yo" and index and words[index - 1][0].isdigit():
            english += 1  # "2 yo": years old, not Spanish "I"
        elif word in _SPANISH_WORDS:
            spanish += 1
        elif word in _ENGLISH_WORDS:
            english += 1
    if text and not text.isascii():  # (the marks are not ASCII: most messages have none to count)
        spanish += 2 * sum(1 for char in text if char in _SPANISH_MARKS)
    if spanish >= 3 and spanish >= 0.7 * english:
        return "es"  # Spanglish ("my baby tiene fever de 101"): Spanish grammar, English nouns
    if english > spanish:
        return "en"
    if spanish > english:
        return "es"
    return None
