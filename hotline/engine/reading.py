"""Reading a parent's message into findings, each with its assertion, plus the baby's age and temperature.

    reading = reader.read("no fever but she threw up twice, 5 wks")
    reading.present      # {"vomiting", "baby"}
    reading.findings     # (Found("fever_words", "negated", ...), Found("vomiting", "present", ...), ...)
    reading.age_days     # 35

The vocabulary is data (`flows/findings.yaml`, by finding, English and Spanish). The assertion of each
finding follows the ConText algorithm (Harkema et al., 2009): trigger phrases (negation, hypothetical,
someone else, past) modify the findings within their scope, which ends at a clause break, a terminator
word or a set number of words. A finding inside a longer phrase is not read on its own. The reader is
pure: no I/O once built.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Any

from hotline.engine.lexicon import Hit, Lexicon, PatternError
from hotline.engine.text import AGE_UNITS as _AGE_UNITS
from hotline.engine.text import BREAKS, Speller, Tokens, is_filler, tokenize
from hotline.engine.yamlfile import SHIPPED_FLOWS, load_yaml

ASSERTIONS = ("present", "negated", "hypothetical", "other_person", "historical", "earlier", "resolved")
# Which trigger wins when several reach one finding: the one that most clearly takes it out of "now, this baby".
# "resolved": it happened and has just stopped ("it went away", "ya no está morada"). It counts only for the
# signs whose rules call the emergency number (flows/protocol.yaml): an emergency said to be over is still one.
_PRECEDENCE = {"other_person": 0, "hypothetical": 1, "negated": 2, "resolved": 3, "earlier": 4, "historical": 5}
KINDS = ("sign", "context", "question", "idiom")
_SHORT_MESSAGE = 4  # words
# Assertions that do not take the breastfeeding mother's medicine away from the baby ("my wife is on...",
# "can my medication...", "my dose went up last week").
_MOTHERS_OWN = ("other_person", "hypothetical", "historical")
_JOINERS = frozenset({"y", "e", "o", "u", "and", "or", "n", "ni", "nor", "but", "pero", "also", "tambien"})
# People whose medicine does not reach the baby through breast milk, and words that name the nursing mother.
_NOT_NURSING = frozenset("husband hubby boyfriend bf dad daddy father grandpa grandfather brother uncle son esposo "
                         "marido novio papa papi abuelo hermano tio".split())
_NURSING = frozenset("my mi i im wife mom mommy mother esposa mama mami she ella nursing breastfeeding pecho".split())


def _taker(words: tuple[str, ...], at: int) -> str | None:
    """The person word nearest before a medicine ("my husband is on sertraline": "husband"; "my wife is on..."):
    a word of _NOT_NURSING or _NURSING, or None."""
    for word in reversed(words[max(0, at - 8):at]):
        if word in _NOT_NURSING or word in _NURSING:
            return word
    return None
_WINDOW = 12  # hits are compared with this many neighbours on each side (no phrase is longer)
_MAX_SCOPE = 16  # no trigger reaches further than this many tokens


# Signs of an episode still going ("it doesnt stop when I hold her"): a longer answer with them may say how long.
_EPISODE_SIGNS = frozenset(("not_stopped_by_holding", "persistent"))
# Words before "N minutes" in a short answer that make it how long the shaking has gone on.
_LASTING_WORDS = frozenset(("been", "lasted", "going", "goin", "at", "lleva", "llevamos", "van", "dura", "duro", "for",
                            "por"))
_GOING_WORDS = frozenset(("been", "lasted", "going", "goin", "lleva", "dura", "duro"))
# A sign that begins with one of these ("no come", "isnt breathing") is a lack; "ya no", "anymore" say it is now.
_KEEPS_GOING = frozenset({"not_stopped_by_holding", "persistent"})  # signs that say the shaking does not stop
_NEGATING_FIRST = frozenset("no not isnt arent wasnt doesnt dont didnt wont cant hasnt havent never nunca ni".split())

class VocabularyError(ValueError):
    pass


@dataclass(frozen=True)
class Found:
    finding: str
    assertion: str  # one of ASSERTIONS
    start: int  # token span
    end: int


@dataclass(frozen=True)
class Reading:
    """What one message says, in findings."""

    tokens: Tokens
    findings: tuple[Found, ...]
    age_days: int | None = None
    temperature_c: float | None = None
    temperature_site: str | None = None  # rectal | armpit | forehead | ear | mouth
    minutes: int | None = None  # how long an episode has been going on, when said ("for 10 minutes")
    shaking_findings: frozenset[str] = frozenset()
    negators: tuple[tuple[int, int], ...] = ()  # token spans of the words that denied something ("no", "sin")
    # Born this many days early, said without an age ("should I mention he was a preemie? born at 30 weeks"): an
    # age the conversation already knows is corrected by it (the younger age is the safer one).
    early_days: int = 0
    breaths_per_minute: int | None = None  # a breath count ("I counted 72 a minute"): the last one said
    # A start by the clock with no time now ("it started at quarter to 4"), and a time now with no start ("it's
    # 4:05 now"): the conversation keeps the first to time the second.
    clock_start: int | None = None
    clock_now: int | None = None

    @cached_property  # (a frozen dataclass still has a __dict__, where this is kept after the first look)
    def present(self) -> frozenset[str]:
        """Findings said to be true of this baby now ("earlier today" counts as now)."""
        return frozenset(f.finding for f in self.findings if f.assertion in ("present", "earlier"))

    def asserted(self, assertion: str) -> frozenset[str]:
        return frozenset(f.finding for f in self.findings if f.assertion == assertion)

    @property
    def shaking(self) -> bool:
        return bool(self.present & self.shaking_findings)

    @property
    def shaking_started_at(self) -> int | None:
        """The clock the shaking started at, said with no time now ("she started shaking at quarter to 4")."""
        if self.clock_start is None or not self.shaking or _TIMED_ACTIVITIES.intersection(self.tokens.words):
            return None
        return self.clock_start

    def timed_from(self, started_at: int | None) -> Reading:
        """This message, with a time now it says ("it's 4:05 and she's still shaking") timed from a start said
        earlier: how long the shaking has gone on, unless this message says nothing shakes or it stopped."""
        if started_at is None or self.clock_now is None or self.minutes is not None or self.clock_start is not None \
                or any(f.finding in self.shaking_findings and f.assertion in ("negated", "resolved")
                       for f in self.findings) or not (self.shaking or self.present & _STILL_GOING):
            return self  # ("it stopped after a few seconds, its 4:05 now and shes asleep": nothing goes on)
        elapsed = elapsed_since(started_at, self.clock_now)
        return self if elapsed is None else replace(self, minutes=elapsed)

    def without_negated(self) -> str:
        """The message's words, without those of negated findings (for the free-text search)."""
        drop = {i for f in self.findings if f.assertion == "negated" for i in range(f.start, f.end)}
        drop |= {i for start, end in self.negators for i in range(start, end)}
        kept = [w for i, w in enumerate(self.tokens.words) if i not in drop and w not in BREAKS]
        # What joined the denials is no answer by itself: "no se le hunden las costillas y no está morado" leaves
        # "y" ("and"), which is not the "y" of "yes".
        return "" if set(kept) <= _JOINERS else " ".join(kept)


@dataclass(frozen=True)
class _Trigger:
    assertion: str
    direction: str  # forward | backward
    scope: int
    breaks_at_comma: bool
    clause_start: bool = False  # only at the start of a sentence ("Two weeks ago she..." but not "started 2 weeks ago")
    stops: frozenset[tuple[str, ...]] = frozenset()  # words that end this trigger's scope besides the common ones
    crosses_breaks: bool = False  # a correction reaches back over "!!" ("purple!! oh wait, it's the blueberry")
    voids: frozenset[tuple[str, ...]] = frozenset()  # words that, in its words or its scope, cancel it
    only: frozenset[str] = frozenset()  # the findings it applies to (empty: all)
    at_end: bool = False  # only at the end of a clause ("fiebre no." but not "tiembla no se le quita")
    after_question: bool = False  # only right after a "?" ("fever? no. floppy? no.": the parent's own checklist)
    # not when a finding follows its words at once: "fiebre no tiene" denies the fever before it, "la piernita
    # derecha no tiene fiebre" and "38.9 no tiene temblores" deny what comes after
    unless_followed: bool = False
    # not right after one of these words: "a few days ago" puts a fever in the past, "started 2 weeks ago" and
    # "born 5 weeks ago" do not
    not_after: frozenset[str] = frozenset()
    # ConText's pseudo-triggers: words that take the trigger in and make it no trigger ("checking if he was"), only
    # there (a void anywhere in the scope cancels; "what if he stops breathing, I keep checking if he is ok" is not)
    pseudo: frozenset[tuple[str, ...]] = frozenset()
    # how many words before the trigger its voids are also looked for ("le empezaron a temblar las piernas hace unos
    # días": "empezaron" before "hace" says when it began)
    voids_before: int = 0
    # words that cancel it even said a little past its scope's end ("what if hes shaking like his arms and legs
    # both and he wont look at me because thats whats happening right now")
    far_voids: frozenset[tuple[str, ...]] = frozenset()


# Words before "N weeks" that make it a duration or a time, not the baby's age.
_DURATION_BEFORE = {"for", "gone", "since", "spent", "took", "lasted", "at", "past", "last", "every", "within",
                    "hace", "durante", "desde", "cada", "van", "lleva", "llevamos", "been", "about",
                    "around", "like", "ago", "next", "in", "by"}
_AT_AN_EVENT = {"when", "since", "from", "born"}  # "born at 32 weeks", "since she was at 2 months"
# A sentence that times something ("Timer on my phone says 8 minutes", "it's been 6 minutes so far").
_TIMING_WORDS = frozenset({"timer", "timing", "timed", "clock", "stopwatch", "counting", "lasted", "lleva", "llevan",
                           "reloj", "cronometro"})
# "Did skin to skin for 20 min and now... the trembling stopped": what was done for that long, not the shaking;
# "a crying fit for maybe twenty minutes": how long she cried.
_NOT_THE_EPISODE = frozenset({"skin", "bath", "bathed", "bathing", "rocked", "rocking", "walked", "walking", "napped",
                              "nap", "slept", "burped", "pumped", "warmed", "piel", "bano", "banamos", "durmio",
                              "fit", "tantrum", "meltdown", "berrinche", "llanto", "rabieta",
                              # how long a warming took: "still blue after socks and a blanket for 30 min"
                              "blanket", "blankets", "socks", "bundled", "wrapped", "cobija", "cobijita", "manta",
                              "calcetines", "tapado", "tapada", "abrigado", "abrigada"})
_SELF_CORRECTION = frozenset({"perdon", "sorry", "mean", "digo", "decir", "correction", "oops", "wait", "perdona",
                              "actually", "err", "rather", "corrijo", "equivoque", "equivoco", "wrong"})
_WHEN_AFTER = frozenset({"tonight", "tonite", "tonigt", "today", "todai", "this", "last", "since", "all", "overnight",
                         "esta", "anoche", "hoy", "desde"})
_HEDGES = {"like", "about", "around", "maybe", "como", "unos", "unas", "almost", "casi", "nearly"}
# A feed's length is not an episode's: "tomó como 10 minutos en toda la noche", "nursed for 10 minutes".
_FEED_VERBS = {"tomo", "mamo", "comio", "fed", "nursed", "ate", "drank", "feeds", "eats", "nurses", "feed", "nurse",
               "nursing", "feeding", "mamando", "pumping", "pumped", "latch", "latched", "latching", "latches"}
_EACH_SIDE = frozenset({("de", "cada"), ("cada", "lado"), ("por", "lado"), ("each", "side"), ("per", "side"),
                        ("on", "each"), ("a", "side")})
_DURATION_AFTER = {"ago", "later", "straight", "apart", "of"}  # "did 2 days of lights"
_UNDER = {"almost", "nearly", "under", "not quite", "casi", "menos", "less", "younger", "about to turn", "just under",
          "turning", "going on", "va para", "a cumplir", "por cumplir",
          # a birthday still to come ("she'll be 3 months on Friday", "cumple 3 meses mañana"): not yet that age
          "will be", "shell be", "hell be", "cumple", "cumplira", "turns", "to be", "gonna be"}
# Of those, the words of a range below ("under a year", "less than 6 months"), not of an age close to it.
_BELOW = {"under", "less", "menos", "younger"}
_CLOSE_BELOW = {"just", "just under", "a little", "little", "bit", "slightly", "poquito"}
_OVER = {"over", "past", "older", "mas", "more", "after", "beyond"}
_CORRECTED = {"corrected", "adjusted", "corregida", "corregido", "corregidas", "corregidos", "ajustada", "ajustado"}
_TERM_WEEKS = 40
_GESTATION_BEFORE = {"born", "nacio", "nacida", "nacido", "at", "a", "las", "de"}
FEVER_C = 38.0  # 100.4 F
YOUNG_INFANT_DAYS = 90  # under 3 months: the fever rules' younger band (the protocol imports it from here)
FEVER_ARMPIT_NEWBORN_C = 37.2  # 99 F under the arm, under 1 month (Schmitt-subtle)
_NEWBORN = {"newborn", "newborns", "nb"}
# Words before "(at|a las|de) 32 weeks" that make it the week of pregnancy the baby was born in.
_BORN_EARLY = {"born", "nacio", "nacida", "nacido", "las", "at", "prematuro", "prematura", "premature", "preemie"}
# Words a reading is told with right after a denied fever ("no tiene fiebre tiene 35.6", "no fever its 36.1").
_DENIES_A_FEVER = frozenset({"no", "not", "sin", "doesnt", "dont", "without", "nada"})  # ("no tiene fiebre")
_READ_AS = frozenset({"tiene", "marca", "its", "is", "has", "reads", "says", "shows"})  # (now: not "was", "tenia")
_HOW_OFTEN = frozenset({"once", "twice", "thrice", "times", "vez", "veces"})  # ("twice a day", "una vez al dia")
_AGE_LEADS = {"is", "shes", "hes", "es", "tiene", "de", "turned", "cumplio", "baby", "bby", "my", "mi", "our", "now",
              "almost", "nearly", "under", "over", "casi", "only", "solo", "just", "son", "daughter", "old", "age",
              "edad", "aged", "its", "cumple", "lo", "el", "la", "hija", "hijo", "nina", "nino", "bebe", "of",
              "have", "has"}  # "she have one year": "tiene un año", said in English
_HOMOPHONE_NUMBERS = {"for": 4, "ate": 8, "to": 2, "too": 2, "won": 1, "tree": 3, "sex": 6}
# Words before such a number that make it an age ("she's for weeks", "he's going to be ate months")
_HOMOPHONE_LEADS = frozenset(("is", "es", "shes", "hes", "baby", "about", "my", "our", "mi", "be", "turned", "turning"))
# Words around a number said alone ("um its a hundred and two", "like 37"): they add nothing to it.
_AROUND_A_NUMBER = frozenset(("its", "it", "is", "like", "about", "around", "maybe", "was", "como", "es", "unos",
                              "tiene", "has"))

_TEMP_WORDS = {"temp", "temperature", "temperatura", "fever", "fevers", "fiebre", "calentura", "degrees", "degree",
               "grados", "thermometer", "termometro", "reads", "read", "says", "marca", "rectal", "armpit", "axila",
               "forehead", "frente", "f", "c", "°", "fahrenheit", "celsius", "of", "de", "was", "at", "hot", "temps"}
_STRONG_TEMP_WORDS = _TEMP_WORDS - {"of", "de", "was", "at", "says", "reads", "read"}
_CONTEXT_TEMP_WORDS = _TEMP_WORDS - {"of", "de", "was", "at", "f", "c", "says", "reads", "read", "hot"}
_SITES = {"rectal": "rectal", "rectally": "rectal", "bottom": "rectal", "butt": "rectal", "recto": "rectal",
          "rectum": "rectal", "cola": "rectal", "colita": "rectal",  # ("37.1 en la cola": in the bottom)
          "armpit": "armpit", "underarm": "armpit", "axila": "armpit", "axillary": "armpit",
          "axilar": "armpit", "axilas": "armpit", "armpits": "armpit",
          "arm": "armpit", "brazo": "armpit", "sobaco": "armpit", "sobaquito": "armpit",
          "forehead": "forehead", "frente": "forehead", "temporal": "forehead",
          "ear": "ear", "oido": "ear", "oral": "mouth", "mouth": "mouth", "boca": "mouth"}
# Sites that, right after a number, say it is a temperature ("101 axila"); "arm" or "mouth" alone do not.
_SITES_NAMED = frozenset(_SITES) - {"arm", "brazo", "bottom", "butt", "mouth", "ear"}
_NOW_AFTER = frozenset({"now", "rn", "ahora", "ahorita", "currently"})
_READING_LEADS = frozenset({"had", "has", "got", "running", "hit", "reached", "spiked", "tiene", "tenia", "marca",
                            "marco", "llego", "subio", "salio"})  # ("le salió 39": what the thermometer gave)
_DEVICE_SAYS = frozenset({"says", "said", "reads", "read", "shows", "showed", "gave", "registered", "dice", "marca",
                          "marco", "salio", "dio", "registro"})
_OWN_TEMPERATURE = frozenset({"my", "mine", "myself", "own", "mi", "mia", "propia", "yo"})
_READING_SUBJECTS = frozenset({"she", "he", "hers", "his", "shes", "hes", "baby", "babys", "ella", "el", "bebe"})
_NOT_BODY = {"room", "outside", "house", "apartment", "weather", "water", "bath", "cuarto", "casa", "afuera",
             "agua", "thermostat", "ac", "heat", "nursery", "bedroom", "bottle", "bottles", "formula", "milk",
             "biberon", "mamila", "mamadera", "tina", "tub", "bathwater", "banera", "ducha", "regadera", "shower",
             "pool", "piscina", "alberca"}
_BODY_TEMP_WORDS = frozenset({"temp", "temperature", "temperatura", "fever", "fiebre", "calentura", "thermometer",
                              "termometro", "rectal", "armpit", "axila", "forehead", "frente", "she", "he", "baby",
                              "ella", "bebe", "tiene"})

_SPANISH = frozenset("el la los las mi mis su tiene tiembla tiemblan bebe esta es que de del con por para pero y "
                     "le lo se cuando muy fiebre meses semanas dias hola gracias como porque sus piernas piernitas "
                     "no si ya hace una uno ayuda temblor mucho poco hija hijo nino nina".split())
_ENGLISH = frozenset("the my is are has have his her she he it its and but with when what how baby legs leg "
                     "shaking shakes shake old months weeks days of to in on at this that hi hello thanks help "
                     "fever not no yes i im a an for".split())


_BABY_WORDS = frozenset({"baby", "babys", "babies", "bby", "newborn", "newborns", "infant", "bebe", "bebes", "bebito",
                         "daughters", "sons",  # "my daughter's arms": the baby's, not the parent's
                         "bebita", "nene", "nena"})
# "my wife is 6 weeks postpartum", "mi hermana tiene 7 meses de embarazo": how long since or until a birth, not an age
_NOT_AN_INFANT_AGE = frozenset({"postpartum", "pp", "post", "pregnant", "embarazada", "de", "after", "despues"})
_STATES_AGE = frozenset({"is", "es", "tiene", "turned", "cumplio", "cumple"})  # "is 5 weeks", "tiene 3 meses"
_MY = frozenset({"my", "our", "mi", "mis", "nuestro", "nuestra"})
_PATTERN_MARKS = str.maketrans({"|": " ", "(": " ", ")": " ", "?": " "})


_TODDLER_DAYS = 730  # two years: the hotline's babies are younger


def _clean(words: tuple[str, ...], i: int) -> str:
    return words[i] if 0 <= i < len(words) else ""


def is_body_temperature(value: float) -> bool:
    """Whether a number is in the range of a body temperature, in °C (34-43) or °F (93-110)."""
    return 34 <= value <= 43 or 93 <= value <= 110


def _is_reading(word: str) -> bool:
    """Whether a word ends a temperature reading: a number in the range of a body temperature (°C or °F),
    a unit or a site ("38.3", "101", "f", "rectal")."""
    if word[:1].isdigit():
        return is_body_temperature(float(word))
    return word in ("f", "c", "°", "fahrenheit", "celsius") or word in _SITES


def _bare_corrected_age(words: tuple[str, ...], unit: int) -> list[int]:
    """A corrected age said as a bare number beside the age with its unit ("tiene 4 meses pero 2 de edad
    corregida"): in that unit."""
    found = []
    for i, word in enumerate(words):
        # ("edad corregida", "corrected age": not "38.1 corrected for armpit")
        if word in _CORRECTED and {_clean(words, i - 1), _clean(words, i + 1)} & {"edad", "age"}:
            for k in (i - 1, i - 2, i - 3):
                number = _clean(words, k)
                if number.isdigit() and _clean(words, k + 1) not in _AGE_UNITS and int(number) * unit < 366:
                    found.append(int(float(number) * unit))
                    break
    return found


# Numbers a recogniser writes as the word they sound like: "for months" said for the age is four months.
_SOUNDS_LIKE_A_NUMBER = {"for": "4", "fore": "4", "to": "2", "too": "2"}


# What an answer to the red-flag question says of its other signs: pink (not blue or grey), awake (not hard to wake).
_NOT_THE_OTHER_SIGNS = frozenset({"rosado", "rosada", "rosadito", "rosadita", "rosita", "rosito", "despierto",
                                  "despierta", "despiertito", "despiertita", "color"})


def _no_then_breathes_well(tokens: Tokens) -> Tokens:
    """At the red-flag question, "no respira bien y está rosita", "no respira bien pero sí está más dormilona": the
    answer's "no", then "respira bien" (breathes well), when what follows answers the question's other signs too or
    turns to something else ("pero sí"). Heard without the comma a recogniser does not write. Said alone, "no
    respira bien" stays what it says: not breathing well."""
    words = tokens.words
    if len(words) > 3 and words[:3] == ("no", "respira", "bien") and (
            words[3] == "pero" or not _NOT_THE_OTHER_SIGNS.isdisjoint(words[3:])):
        return Tokens(("no", ",", *words[1:]))
    # ("no hes awake, breathing ok": the answer's no, then he is awake; not "he is not awake")
    if len(words) > 2 and words[0] in _ECHO_ANSWERS and (words[1] in _HE_IS or (
            words[1] in _BREATHING and words[2] in _IS_FINE)) and _NOT_AFTER_NO.isdisjoint(words[2:4]):
        return Tokens((words[0], ",", *words[1:]))  # ("no breathing is fine": no, and the breathing is fine)
    return tokens


_HE_IS = frozenset(("hes", "shes", "he", "she"))
_BREATHING = frozenset(("breathing", "breathin", "breath", "breathes"))
_IS_FINE = frozenset(("is", "fine", "ok", "okay", "good", "normal", "seems", "looks", "sounds", "normally", "well"))
_NOT_AFTER_NO = frozenset(("not", "isnt", "cant", "wont", "doesnt", "aint", "hasnt", "never", "no"))


# The red-flag question's own words, said back before the answer: "hard to wake no hes crying his head off" (a call
# writes no question mark after the echo).
_ECHOES = tuple(tuple(e.split()) for e in (
    "very hard to wake", "hard to wake", "trouble breathing", "breathing trouble", "turning blue or grey",
    "turning blue", "blue or grey", "blue or gray", "blue", "grey", "gray", "jerking arms and legs", "arms and legs",
    "jerking", "respira con dificultad", "dificultad para respirar", "se pone morado", "morado", "morada",
    "sacude brazos y piernas", "brazos y piernas"))
_ECHO_ANSWERS = frozenset(("no", "nope", "nah"))
_AFTER_ECHO_NO = frozenset(("hes", "shes", "he", "she", "its", "it", "not", "but", "pero", "esta", "el", "ella", "lo",
                            "la", "nothing", "nada", "todo", "everything", ",", ".", "!", "?", "no", "nope"))


def _echo_then_no(tokens: Tokens) -> Tokens:
    """At the red-flag question, a sign's words said back and then "no" ("hard to wake no hes crying his head off",
    "blue no shes pink"): the "no" answers the echo, so it is said first ("no hard to wake , hes crying...").
    Not when what follows the "no" may be its own object ("blue no fever"). And "no para nada" is "no, not at
    all", not "it does not stop"."""
    words = tokens.words
    if words[:3] == ("no", "para", "nada"):  # "no para nada": no, not at all (not "it does not stop")
        return Tokens(("no", ",", *words[1:]))
    for echo in _ECHOES:
        k = len(echo)
        if words[:k] == echo and len(words) > k and words[k] in _ECHO_ANSWERS and (
                len(words) == k + 1 or words[k + 1] in _AFTER_ECHO_NO):
            return Tokens(("no", *echo, ",", *words[k + 1:]))
    return tokens


_COLOURS = frozenset(("blue", "bluish", "blueish", "grey", "gray", "greyish", "grayish", "purple", "purplish", "dusky",
                      "ashen", "ash", "ashy", "ceniza", "azul", "azulado", "azulada", "gris", "grisaceo", "grisacea",
                      "morado", "morada", "moradito", "moradita", "amoratado", "amoratada"))
_COLOURS_ES = frozenset(("azul", "azulado", "azulada", "gris", "grisaceo", "grisacea", "morado", "morada", "moradito",
                         "ceniza", "moradita", "amoratado", "amoratada"))
_AROUND_A_COLOUR = frozenset(("yes", "yeah", "si", "kinda", "kind", "of", "sort", "sorta", "a", "bit", "little", "like",
                              "more", "maybe", "medio", "como", "un", "poco", "algo", "ish", "tipo", "and", "or", "y",
                              "o", "hes", "shes", "esta", "se", "ve", "looks", "look", "lil"))


def _colour_alone(tokens: Tokens) -> Tokens:
    """At the red-flag question, a colour said alone ("grey", "yes kinda bluish", "medio morado") is the baby's:
    said as "turning" it, so it reads as the colour sign it answers."""
    words = [w for w in tokens.words if w not in BREAKS and not is_filler(w)]
    if words and set(words) & _COLOURS and all(w in _COLOURS or w in _AROUND_A_COLOUR for w in words):
        spanish = bool(set(words) & _COLOURS_ES)
        return Tokens((*(("se", "puso") if spanish else ("turning",)), *tokens.words))
    return tokens


def _heard_age(tokens: Tokens) -> Tokens:
    """An answer to the age question as it was meant: "for months" (a recogniser's "four months"), "um to weeks".
    Only a word that opens the answer, or follows a filler or "she's", so "been like this for months" stays."""
    words = list(tokens.words)
    for i, word in enumerate(words[:-1]):
        if word in _SOUNDS_LIKE_A_NUMBER and len(words[i + 1]) > 2 and words[i + 1] in _AGE_UNITS and (
                i == 0 or is_filler(words[i - 1]) or words[i - 1] in ("shes", "hes", "is", "about", "like", "just")):
            words[i] = _SOUNDS_LIKE_A_NUMBER[word]
    return Tokens(tuple(words)) if words != list(tokens.words) else tokens


def _a_number_alone(words: tuple[str, ...]) -> bool:
    """Whether a message is one body temperature said alone ("102", "um its a hundred and two", "like 37")."""
    said = [w for w in words if w not in _AROUND_A_NUMBER and w not in BREAKS and not is_filler(w)]
    return len(said) == 1 and said[0][:1].isdigit() and is_body_temperature(float(said[0]))


# Words that join signs said of one subject: "fell off the ladder, bumped his head and threw up once".
_JOINERS = frozenset({"and", "y", "e", ",", "then", "luego", "n"})


_LIST_ENDS = frozenset(("or", "nor", "and", "o", "ni", "y"))


def _list_commas(words: tuple[str, ...], hits: list[Hit], kinds: dict[str, str]) -> frozenset[int]:
    """The commas of a list of situations ("cold, hungry, crying or tired"): each between two context findings,
    the list closed by "or" / "ni" before the sentence ends. Only situations: a denial reaching further through a
    list can only take an explanation away ("no fever, shaking all over" keeps its comma)."""
    ends = {h.end for h in hits if kinds[h.label] == "context"}
    starts = {h.start for h in hits if kinds[h.label] == "context"}
    listed = set()
    for i, word in enumerate(words):
        if word == "," and i in ends and i + 1 in starts:
            for later in words[i + 1:]:
                if later in _LIST_ENDS:
                    listed.add(i)
                    break
                if later in BREAKS and later != ",":
                    break
    return frozenset(listed)


_OR = frozenset(("or", "nor", "o", "ni"))
_DENYING_FIRST = frozenset(("no", "not", "without", "never", "sin", "nunca", "ni", "nor"))


def _denied_in_turn(found: tuple[Found, ...], words: tuple[str, ...]) -> tuple[Found, ...]:
    """A finding that follows "or" right after a denied one is denied too, however far the denial began: "no
    sucking in at the ribs or grunting" (the "no" read inside a reassurance, or past a negation's reach)."""
    denied_ends = {f.end for f in found if f.assertion == "negated" or (
        f.assertion == "present" and words[f.start] in _DENYING_FIRST and f.end - f.start > 1)}
    if not denied_ends:
        return found
    return tuple(Found(f.finding, "negated", f.start, f.end) if f.assertion == "present" and f.start >= 2 and
                 words[f.start - 1] in _OR and f.start - 1 in denied_ends else f for f in found)


def _same_subject(found: tuple[Found, ...], words: tuple[str, ...], kinds: Mapping[str, str]) -> tuple[Found, ...]:
    """A sign joined by "and" or a comma to a sign said of someone else, with no subject of its own between, is
    theirs too ("my 3 year old fell off the playground ladder, bumped his head and threw up once")."""
    if not any(f.assertion == "other_person" for f in found):
        return found
    out = list(found)
    before: Found | None = None  # the last sign before, passing over words inside it ("his" in "bumped his head")
    for index, f in enumerate(out):
        if before is not None and f.start < before.end:
            continue
        if before is not None and before.assertion == "other_person" and f.assertion == "present" and \
                kinds.get(f.finding) == "sign" and 0 < f.start - before.end <= 2 and \
                all(w in _JOINERS for w in words[before.end:f.start]):
            out[index] = f = Found(f.finding, "other_person", f.start, f.end)
        if kinds.get(f.finding) == "sign":
            before = f
    return tuple(out)


def _done_before(words: tuple[str, ...], lead: int, i: int, shaking_at: list[int]) -> bool:
    """Whether minutes at words[i] time something done a few words before ("I put a hat and a blanket on him and
    it's been like 40 minutes"), with no shaking named between."""
    done = [k for k in range(max(0, lead - 6), lead + 1) if words[k] in _NOT_THE_EPISODE]
    return bool(done) and not any(done[-1] < at < i for at in shaking_at)


def _says(words: tuple[str, ...], i: int, phrase: tuple[str, ...]) -> bool:
    """Whether the words at i are the plain phrase, where "#" stands for a number ("its been # minutes")."""
    if i + len(phrase) > len(words):
        return False
    return all(w == p or p == "#" and w[:1].isdigit() for w, p in zip(words[i:i + len(phrase)], phrase, strict=False))


def _lead(words: tuple[str, ...], i: int) -> int:
    """Where the word before words[i] is, passing over one hedge: "tiene como 101", "hace como 20 minutos"."""
    return i - 2 if _clean(words, i - 1) in _HEDGES else i - 1


_FAR = 12  # how far past a trigger's scope its far voids reach


def _start(hit: Hit) -> int:
    return hit.start


class Reader:
    """Built once from the vocabulary; reads any number of messages."""

    def __init__(self, vocabulary: Mapping[str, Any], source: str = "findings.yaml") -> None:
        findings = vocabulary.get("findings")
        if not isinstance(findings, Mapping) or not findings:
            raise VocabularyError(f"{source}: needs a 'findings:' mapping")
        findings = _merged(findings, vocabulary.get("more_words") or {}, source, "more_words")
        vocabulary = {**vocabulary, "context": _merged(vocabulary.get("context") or {},
                                                       vocabulary.get("more_context") or {}, source, "more_context")}
        entries: list[tuple[str, str]] = []
        self.kinds: dict[str, str] = {}
        self.hides: dict[str, frozenset[str]] = {}
        self.not_across: dict[str, frozenset[str]] = {}
        self.about_mother: set[str] = set()
        self.denies: dict[str, frozenset[str]] = {}
        shaking: set[str] = set()
        for name, spec in findings.items():
            where = f"{source}: finding {name!r}"
            if not isinstance(spec, Mapping) or spec.get("kind") not in KINDS:
                raise VocabularyError(f"{where}: kind must be one of {', '.join(KINDS)}")
            self.kinds[name] = spec["kind"]
            self.hides[name] = frozenset(str(h) for h in spec.get("hides") or ())
            if spec.get("not_across"):
                self.not_across[name] = frozenset(str(w) for w in spec["not_across"])
            if spec.get("about_mother"):
                self.about_mother.add(name)
            if spec.get("denies"):
                self.denies[name] = frozenset(str(d) for d in spec["denies"])
            if spec.get("shaking"):
                shaking.add(name)
            for language in ("en", "es"):
                for pattern in spec.get(language) or ():
                    entries.append((name, str(pattern)))
            if not any(spec.get(language) for language in ("en", "es")):
                raise VocabularyError(f"{where}: lists no words (en: or es:)")
        self.shaking = frozenset(shaking)
        for name, hidden in self.hides.items():
            for other in hidden - set(self.kinds):
                raise VocabularyError(f"{source}: finding {name!r} hides unknown finding {other!r}")
        context = vocabulary.get("context") or {}
        self.triggers: dict[str, _Trigger] = {}
        trigger_entries: list[tuple[str, str]] = []
        for name, spec in context.items():
            if name in ("terminators", "negation_terminators", "historical_terminators", "hypothetical_terminators"):
                continue
            assertion = spec.get("assertion") or \
                name.split("_after")[0].removesuffix("_opening").removesuffix("_correction").removesuffix("_me")
            if assertion not in _PRECEDENCE:
                raise VocabularyError(f"{source}: context {name!r} is not one of {', '.join(_PRECEDENCE)}")
            self.triggers[name] = _Trigger(assertion, spec.get("direction", "forward"), int(spec.get("scope", 6)),
                                           bool(spec.get("breaks_at_comma", False)), bool(spec.get("clause_start")),
                                           self._phrases(spec.get("stops") or {}), bool(spec.get("crosses_breaks")),
                                           self._phrases(spec.get("voids") or {}), frozenset(spec.get("only") or ()),
                                           bool(spec.get("at_end")), bool(spec.get("after_question")),
                                           bool(spec.get("unless_followed")),
                                           frozenset(spec.get("not_after") or ()),
                                           pseudo=self._phrases(spec.get("pseudo") or {}),
                                           voids_before=int(spec.get("voids_before", 0)),
                                           far_voids=self._phrases(spec.get("far_voids") or {}))
            for finding in self.triggers[name].only - set(self.kinds) - {"reading"}:  # "reading": a temperature
                raise VocabularyError(f"{source}: context {name!r}: only: unknown finding {finding!r}")
            for language in ("en", "es"):
                for pattern in spec.get(language) or ():
                    trigger_entries.append((name, str(pattern)))
        self.terminators = self._phrases(context.get("terminators") or {})
        self.negation_terminators = self._phrases(context.get("negation_terminators") or {})
        # What closes scopes, by first word, each phrase with the mark it sets (0: closes, 1: negation, 2: past,
        # 3: a what-if).
        closers: dict[str, list[tuple[tuple[str, ...], int]]] = {}
        for mark, by_first in enumerate((self._by_first(self.terminators), self._by_first(self.negation_terminators),
                                         self._by_first(self._phrases(context.get("historical_terminators") or {})),
                                         self._by_first(self._phrases(context.get("hypothetical_terminators") or {})))):
            for first, phrases in by_first.items():
                closers.setdefault(first, []).extend((phrase, mark) for phrase in phrases)
        self._closers_by_first = {first: tuple(group) for first, group in closers.items()}
        try:
            self.lexicon = Lexicon(entries, trigger_entries)  # findings (group 0) and context triggers (group 1)
        except PatternError as error:
            raise VocabularyError(f"{source}: {error}") from None
        # Only the listed key words are corrected towards (`spelling_keys:`): a typo must not turn "moaning"
        # into "morning" or "starting" into "staring".
        keys = {str(k) for k in vocabulary.get("spelling_keys") or () if len(str(k)) >= 7}
        self.misspellings = {str(wrong): str(right) for right, wrongs in (vocabulary.get("misspellings") or {}).items()
                             for wrong in wrongs or () if str(wrong) != str(right)}
        # Emoji said in place of a word ("se siente bien 🔥", "🤒 and shaky"): read as the word.
        self.emoji = {ord(str(e)): f" {word} " for word, marks in (vocabulary.get("emoji") or {}).items()
                      for e in marks or ()}
        for code in self.emoji:
            if code < 0x2000:
                raise VocabularyError(f"{source}: emoji: {chr(code)!r} is not an emoji")
        written = [w for _, p in entries + trigger_entries for w in p.translate(_PATTERN_MARKS).split()]
        every_word = {w for w in written if w.isalpha()}
        stems = {w[:-1] for w in written if w.endswith("*") and len(w) >= 5}
        self.speller = Speller(keys, known=_SPANISH | _ENGLISH | every_word | set(_AGE_UNITS) | _KNOWN_WORDS,
                               stems=stems)

    @staticmethod
    def _by_first(phrases: frozenset[tuple[str, ...]]) -> dict[str, tuple[tuple[str, ...], ...]]:
        out: dict[str, list[tuple[str, ...]]] = {}
        for phrase in phrases:
            out.setdefault(phrase[0], []).append(phrase)
        return {first: tuple(group) for first, group in out.items()}

    @staticmethod
    def _phrases(spec: Mapping[str, Any]) -> frozenset[tuple[str, ...]]:
        return frozenset(tuple(str(p).split()) for lang in ("en", "es") for p in spec.get(lang) or ())

    # --- Reading ---------------------------------------------------------------------------------------

    def read(self, text: str, today: date | None = None, asks: str | None = None) -> Reading:
        """Read one message. `asks`: what the question the message answers asks for ("temperature": a number
        said alone is then its reading; "age": "for months" is four months)."""
        if text and self.emoji and not text.isascii():
            text = text.translate(self.emoji)
        tokens = tokenize(text or "", self.speller, self.misspellings)
        if asks == "age":
            tokens = _heard_age(tokens)
        elif asks == "danger":
            tokens = _colour_alone(_echo_then_no(_no_then_breathes_well(tokens)))
        words = tokens.words
        both = self.lexicon.find(words)
        not_across = self.not_across
        hits = self._visible([h for h in both if not h.group and not (
            h.label in not_across and not_across[h.label].intersection(words[h.start + 1:h.end]))])
        idiom_spans = [(h.start, h.end) for h in hits if self.kinds[h.label] == "idiom"]
        hits = [h for h in hits if self.kinds[h.label] != "idiom"]
        # A trigger inside a longer finding is part of it ("not" in "not breathing", "no" in "no wet diaper");
        # one that starts inside an idiom is no trigger ("not sure if she has a fever": doubt, not denial),
        longest_at = [0] * (len(words) + 1)  # per token: the longest finding span covering it
        # (A question's words hold its triggers: "at what temperature should I worry about a fever" asks.)
        signs = [h for h in hits if self.kinds[h.label] != "question"]
        for h in signs:
            for i in range(h.start, h.end):
                longest_at[i] = max(longest_at[i], h.end - h.start)
        for start, end in idiom_spans:
            for i in range(start, end):
                longest_at[i] = max(longest_at[i], end - start)
        triggers = [t for t in self._longest_per_label([h for h in both if h.group])
                    if (not self.triggers[t.label].clause_start or t.start == 0 or words[t.start - 1] in BREAKS)
                    and (not self.triggers[t.label].after_question or (t.start > 0 and words[t.start - 1] == "?"))
                    and (not self.triggers[t.label].at_end or t.end == len(words) or words[t.end] in BREAKS)]
        # A trigger that contains a whole idiom says at least as much ("la ropa digo" holds "la ropa"): it stays.
        triggers = [t for t in triggers if not self._inside_longer(t, signs, idiom_spans, longest_at)
                    and not any(s <= t.start < e and not (s == t.start and t.end >= e) for s, e in idiom_spans)]
        # A trigger about someone else that names the baby inside its own words ("my baby's arms" read by
        # "my ~1 arms") is about the baby: its stops ("baby", "she") void it.
        triggers = [t for t in triggers if not self._names_the_baby(t, words) and not self._voided(t, words)
                    and not self._names_an_infant(t, words)]
        # (past a hedge: "the trembling started about a week ago and hasn't let up" began then and goes on)
        # (the word itself too, where the one before skips a filler: "jerking arms and legs like when he was a baby")
        triggers = [t for t in triggers if not (t.start and (
            self._word_before(words, t.start) in self.triggers[t.label].not_after or
            words[t.start - 1] in self.triggers[t.label].not_after))]
        if "í" in text or "Í" in text:
            # "sí" written with its accent is yes, never "if": "y sí se asusta muchísimo" is no what-if
            yes = _accented_si(text, words)
            triggers = [t for t in triggers if not (self.triggers[t.label].assertion == "hypothetical"
                                                    and yes.intersection(range(t.start, t.end)))]
        if any(self.triggers[t.label].unless_followed for t in triggers):
            sign_starts = {h.start for h in signs}
            triggers = [t for t in triggers if not (self.triggers[t.label].unless_followed and t.end in sign_starts)]
        # A trigger inside a longer one of another kind is part of it ("isnt" in "isnt blue anymore").
        triggers = [t for t in triggers if not any(
            o.start <= t.start and t.end <= o.end and o.end - o.start > t.end - t.start for o in triggers)]
        digits = any(word[:1].isdigit() for word in words)  # (durations and breath counts are numbers)
        # A time by the clock before the time now: within the hour, minutes ago ("at 2:40 ... its 2:50 now"); more,
        # earlier today ("seizure at 2 this afternoon, ... now its 8 pm", as "6 hours ago" would say)
        ago = _ago_by_clock(words) if digits else None
        if ago is not None and ago[2] > _WITHIN_THE_HOUR:
            triggers = sorted((*triggers, Hit("earlier", *ago[:2]), Hit("earlier_after", *ago[:2])), key=_start)
        starts = [t.start for t in triggers]
        closers = self._closers(words)
        # "she isn't cold, hungry, crying or tired": a list's commas do not end the scope before a situation in it
        listed = _list_commas(words, hits, self.kinds)
        in_list = (closers[0], [c and i not in listed for i, c in enumerate(closers[1])], *closers[2:]) \
            if listed else closers
        negators: list[tuple[int, int]] = []
        found = tuple(Found(h.label, self._assertion(
            h, triggers[bisect_left(starts, h.start - _MAX_SCOPE):bisect_right(starts, h.end + _MAX_SCOPE)],
            words, in_list if self.kinds[h.label] == "context" else closers, negators), h.start, h.end) for h in hits)
        found = _same_subject(found, words, self.kinds)
        found = _denied_in_turn(found, words)
        # "EMERGENCY" alone is the parent's word that it is one; in a longer message the word is usually
        # something else ("emergency diaper run"), unless the message says it plainly ("this is an emergency").
        # Said first, as a heading ("EMERGENCIA bebé temblando no para"), it is the parent's word too.
        if sum(w not in BREAKS for w in words) > _SHORT_MESSAGE:
            found = tuple(f for f in found if f.finding != "emergency_said" or f.end - f.start > 1 or f.start == 0)
        # The breastfeeding mother's medicine is the baby's finding, whoever writes ("my wife is on...").
        # So is it in a question about it ("can my medication make her shaky?"): she takes it now.
        # But not a medicine named after a man or another relative ("my husband is on sertraline, I'm nursing").
        found = tuple(Found(f.finding, "present", f.start, f.end)
                      if f.assertion in _MOTHERS_OWN and f.finding in self.about_mother and not (
                          f.assertion == "other_person" and _taker(words, f.start) in _NOT_NURSING)
                      else f for f in found)
        age, early_days = self._age(words, found, tuple((t.start, t.end) for t in triggers
                                                        if self.triggers[t.label].assertion == "other_person"))
        if age is None and today is not None:
            age = _born_on(words, today)  # "DOB 4/18/2026", "nació el 3 de enero": the age on `today`
        if age is not None:
            found = _dated_younger(found, words, age)
        def near(i: int) -> list[Hit]:
            return triggers[bisect_left(starts, i - _MAX_SCOPE):bisect_right(starts, i + _MAX_SCOPE)]

        asks_rule = any(f.finding == "ask_fever_rule" for f in found)
        def told(i: int, ignore_resolved: bool = False) -> str:
            return self._assertion(Hit("reading", i, i + 1), [
                t for t in near(i) if not (ignore_resolved and self.triggers[t.label].assertion == "resolved")],
                words, closers, [])

        answered = asks == "temperature" and _a_number_alone(words)
        temperature, site = self._temperature(words, told, age, asks_rule, answered)
        # (holding that does not stop it says the shaking goes on: "la estoy agarrando y sigue, empezó a las 11:50")
        shaking_at = [f.start for f in found if (f.finding in self.shaking or f.finding == "not_stopped_by_holding")
                      and f.assertion in ("present", "earlier")]
        episode = any(f.finding in _EPISODE_SIGNS and f.assertion == "present" for f in found)
        clock_start, clock_now = clocks_told(words) if digits or _NOON.intersection(words) else (None, None)
        if digits and (age is None or age < 90) and (unfed := _unfed_by_clock(words)) is not None and \
                not any(f.finding == "poor_feeding" for f in found):
            found = (*found, Found("poor_feeding", "present", *unfed))  # "last fed at 10 and its 3:30 now"
        if ago is not None and ago[2] <= _WITHIN_THE_HOUR and not any(f.finding == "just_now" for f in found):
            found = (*found, Found("just_now", "present", *ago[:2]))
        return Reading(tokens, found, age, temperature, site,
                       self._minutes(words, shaking_at, episode) if digits else None, self.shaking,
                       tuple(sorted(set(negators))), early_days, _breath_count(words) if digits else None,
                       clock_start, clock_now)

    def _voided(self, trigger: Hit, words: tuple[str, ...]) -> bool:
        """Whether words that cancel the trigger are in it or in its scope ("my sister's baby (I look after her)"
        is the baby in the parent's care), or take it in ("she's shaking in my arms" is not the parent's arms)."""
        spec = self.triggers[trigger.label]
        for phrase in spec.pseudo:
            for i in range(max(0, trigger.start - len(phrase) + 1), trigger.start + 1):
                if tuple(words[i:i + len(phrase)]) == phrase:
                    return True
        if not spec.voids and not spec.far_voids:
            return False
        # (a void may also follow a backward trigger closely: "it happened an hour ago too")
        # (and, for someone else, just before it: "estoy cuidando al bebé de mi vecina y tiene 38,2", "im babysitting
        # my nephew and he has a fever": the baby in the writer's care)
        before = 6 if spec.assertion == "other_person" else spec.voids_before
        start, end = (max(0, trigger.start - before), trigger.end + spec.scope) if spec.direction == "forward" else (
            max(0, trigger.start - spec.scope), trigger.end + 3)
        for phrase in spec.far_voids:
            for i in range(trigger.end, min(end + _FAR, len(words))):
                if _says(words, i, phrase):
                    return True
        if not spec.voids:
            return False
        # A void may begin before the trigger and take it in ("in my arms" voids "my arms").
        by_first = _by_first_word(spec.voids)
        longest = max(len(p) for p in spec.voids)
        for i in range(max(0, start - longest + 1), min(end, len(words))):
            for phrase in by_first.get(words[i], ()):
                if i >= start - len(phrase) + 1 and _says(words, i, phrase):
                    return True
        return False

    def _names_an_infant(self, trigger: Hit, words: tuple[str, ...]) -> bool:
        """Whether words about someone else give that someone an age in days, weeks or months ("mi hermanito tiene
        5 meses", "my nephew is 3 weeks"): a baby, so the baby asked about, whoever writes."""
        if self.triggers[trigger.label].assertion != "other_person":
            return False
        for i in range(trigger.start, min(trigger.end + 2, len(words) - 2)):
            # ("mi hermanita de 4 meses": an age said with "de" after the relative, too)
            # ("my nephew 3 months is having like convulsiones": the age right after who it is)
            if (words[i] in _STATES_AGE or (words[i] == "de" and i > trigger.start) or (
                    words[i] in _INFANT_RELATIVES and i > 0 and words[i - 1] in ("my", "mi", "our"))) and \
                    words[i + 1][:1].isdigit():
                unit = _AGE_UNITS.get(words[i + 2])
                if unit is not None and float(words[i + 1]) * unit < 365 and \
                        _clean(words, i + 3) not in _NOT_AN_INFANT_AGE:
                    return True
        return False

    def _names_the_baby(self, trigger: Hit, words: tuple[str, ...]) -> bool:
        """Whether a trigger that stops at the baby holds "my baby" ("my baby's arms" read by "my ~1 arms"):
        then it is about the baby. "her dad" or "my niece's baby" are still someone else."""
        spec = self.triggers[trigger.label]
        return spec.assertion == "other_person" and bool(spec.stops) and any(
            words[i] in _BABY_WORDS and words[i - 1] in _MY for i in range(max(trigger.start, 1), trigger.end))

    @staticmethod
    def _inside_longer(trigger: Hit, hits: list[Hit], idioms: list[tuple[int, int]], longest_at: list[int]) -> bool:
        size = trigger.end - trigger.start
        if longest_at[trigger.start] <= size:
            return False
        spans = [(h.start, h.end) for h in hits if h.start <= trigger.start < h.end] + \
            [(s, e) for s, e in idioms if s <= trigger.start < e]
        return any(s <= trigger.start and trigger.end <= e and e - s > size for s, e in spans)

    def _visible(self, hits: list[Hit]) -> list[Hit]:
        """Findings as read: one per span and label (the longest), minus those an idiom or a finding hides."""
        hits = self._longest_per_label(hits)
        kinds, hides = self.kinds, self.hides
        kept = []
        for index, hit in enumerate(hits):  # sorted by start: only near neighbours can contain a hit
            start, end = hit.start, hit.end
            hidden = False
            for other in hits[max(0, index - _WINDOW):index + _WINDOW]:
                if other is hit or other.end <= start or other.start >= end:
                    continue  # only a hit that overlaps this one can hide it
                if other.start <= start and end <= other.end and (
                        # inside a longer idiom or finding that hides it, or inside an idiom of its own length
                        # ("blue in the face")
                        (other.end - other.start > end - start and
                         (kinds[other.label] == "idiom" or hit.label in hides[other.label])) or
                        (kinds[other.label] == "idiom" and kinds[hit.label] != "idiom")):
                    hidden = True
                    break
                # A finding also hides what starts inside its words ("feet look kinda grayish blue": the blue that
                # "look ~2 blue" reads is the feet's, though the phrases overlap rather than nest).
                if other.start < start and hit.label in hides[other.label]:
                    hidden = True
                    break
            if not hidden:
                kept.append(hit)
        return kept

    @classmethod
    def _longest_per_label(cls, hits: list[Hit]) -> list[Hit]:
        by_label: dict[str, list[Hit]] = {}
        for hit in hits:
            by_label.setdefault(hit.label, []).append(hit)
        return sorted((h for group in by_label.values() for h in (group if len(group) == 1 else cls._longest(group))),
                      key=_start)

    @staticmethod
    def _longest(hits: list[Hit]) -> list[Hit]:
        """Drop a hit that lies inside a longer one: the longer phrase says more."""
        ordered = sorted(hits, key=_start)
        kept: list[Hit] = []
        for index, hit in enumerate(ordered):
            near = ordered[max(0, index - _WINDOW):index + _WINDOW]
            if not any(o is not hit and o.start <= hit.start and hit.end <= o.end
                       and (o.end - o.start, -o.start) > (hit.end - hit.start, -hit.start) for o in near):
                kept.append(hit)
        return kept

    @staticmethod
    def _word_before(words: tuple[str, ...], start: int) -> str:
        """The word before token `start`, passing over one hedge ("started about a week ago")."""
        before = start - 1
        if before > 0 and words[before] in _HEDGES:
            before -= 1
        return words[before]

    def _closers(self, words: tuple[str, ...]) -> tuple[list[bool], ...]:
        """Per token: does it close every scope, a comma-breaking scope, a negation's scope, the scope of
        something said of the past (a verb in the present: "born last month and she has a fever"), or a what-if's
        (what the parent observes now: "what if its a fever she feels hot to me", said on a call)?"""
        n = len(words)
        closes, comma, negation, past, supposed = [False] * n, [False] * n, [False] * n, [False] * n, [False] * n
        marks = (closes, negation, past, supposed)
        by_first = self._closers_by_first
        for i, word in enumerate(words):
            if word in BREAKS:
                closes[i] = word != ","
                comma[i] = True
            phrases = by_first.get(word)
            if phrases:
                for phrase, mark in phrases:
                    if len(phrase) == 1 or tuple(words[i:i + len(phrase)]) == phrase:
                        marks[mark][i] = True
        return closes, comma, negation, past, supposed

    def _assertion(self, hit: Hit, triggers: list[Hit], words: tuple[str, ...],
                   closers: tuple[list[bool], ...], negators: list[tuple[int, int]]) -> str:
        best: str | None = None
        best_span = (0, 0)
        negation: tuple[int, int] | None = None
        for trigger in triggers:
            if trigger.end < hit.start - _MAX_SCOPE or trigger.start > hit.end + _MAX_SCOPE:
                continue
            spec = self.triggers[trigger.label]
            if spec.only and hit.label not in spec.only:
                continue
            if spec.assertion == "resolved" and trigger.start <= hit.start < trigger.end and \
                    words[hit.start] in _NEGATING_FIRST:
                continue  # "ya no come", "she isnt breathing anymore": the sign is the "no", and it is now
            if spec.assertion == "negated" and spec.direction == "forward" and trigger.end <= hit.start and (
                    words[hit.start] in _NEGATING_FIRST or (self.kinds.get(hit.label) == "sign" and any(
                        w in _NEGATING_FIRST for w in words[hit.start + 1:hit.end]))):
                # "no, it doesnt stop when I hold her", "no holding her doesn't stop it": a sign that is itself
                # a lack; the answer's "no" agrees with it
                continue
            if spec.assertion == "negated" and spec.direction == "forward" and trigger.start == 0 and \
                    trigger.end <= hit.start and hit.label in _KEEPS_GOING:
                continue  # "no i'm holding him and it keeps going": the answer's "no" (it does not stop) agrees
            if trigger.start <= hit.start and hit.end <= trigger.end:
                pass  # the finding is part of the trigger's own words ("what temperature", "cuantos grados")
            elif spec.direction == "forward":
                # A trigger may share its last word with the finding ("my son had" + "had a fit").
                # A finding that begins with a word for now is of now: not of the past ("used to be a few seconds,
                # now they last a minute"), nor denied or supposed ("he's not really looking at us now and his right
                # arm started going too": the arm is not denied).
                if trigger.start >= hit.start or (
                        spec.assertion == "historical" and words[hit.start] in _SAID_OF_NOW) or (
                        trigger.end < hit.start and words[hit.start] in _PLAIN_NOW and not spec.crosses_breaks) or \
                        not self._reaches(min(trigger.end, hit.start), hit.start, spec, closers, words):
                    continue
            else:
                if trigger.start < hit.end or not self._reaches(hit.end, trigger.start, spec, closers, words):
                    continue
            if best is None or _PRECEDENCE[spec.assertion] < _PRECEDENCE[best]:
                best, best_span = spec.assertion, (trigger.start, trigger.end)
            if spec.assertion == "negated":
                negation = (trigger.start, trigger.end)
        # The breastfeeding mother's medicine is hers whoever she is (see read): what she says of herself does not
        # outrank her denial ("yo tuve convulsiones de niña, ya no tomo ninguna medicina").
        if best == "other_person" and negation is not None and hit.label in self.about_mother:
            best, best_span = "negated", negation
        if best == "negated":
            negators.append(best_span)
        return best or "present"

    @staticmethod
    def _reaches(start: int, end: int, spec: _Trigger, closers: tuple[list[bool], ...],
                 words: tuple[str, ...]) -> bool:
        """Whether nothing between token start and end closes the trigger's scope."""
        if end - start > spec.scope:
            return False
        closes, comma, negation, past, supposed = closers
        is_negation = spec.assertion == "negated"
        # (both ways: "only her left leg shakes sometimes the pediatrician saw her last month": the shaking is now)
        is_past = spec.assertion == "historical"
        is_supposed = spec.assertion == "hypothetical"
        if not spec.crosses_breaks and any(closes[i] or (comma[i] and spec.breaks_at_comma)
                                           or (is_negation and negation[i]) or (is_past and past[i])
                                           or (is_supposed and supposed[i]) for i in range(start, end)):
            return False
        # A stop also ends the scope when the finding itself begins with it ("eso se hereda a los bebés": the
        # babies are not the husband).
        return not (spec.stops and any(_says(words, i, p) for i in range(start, min(end + 1, len(words)))
                                       for p in spec.stops))

    # --- Age ---------------------------------------------------------------------------------------------

    def _age(self, words: tuple[str, ...], found: tuple[Found, ...],
             others: tuple[tuple[int, int], ...] = ()) -> tuple[int | None, int]:
        """The baby's age in days, and how many days early the baby was born when the message says so but
        gives no age to correct. An age inside words about someone else ("su hermanito de 3 años tiene fiebre y la
        bebé tiembla") is theirs when the baby is named too."""
        elsewhere = [(f.start, f.end) for f in found if f.assertion == "other_person"]
        if any(f.finding == "baby" and f.assertion == "present" and words[f.start] in _BABY_WORDS for f in found):
            elsewhere += others  # two children named: the one the words about someone else name is not the baby
        ages: list[int] = []
        at_ages: list[int] = []
        last_unit_at = -9  # where the last age's unit was ("3 months and 1 week": the week adds to it)
        corrected: list[int] = []
        fixed: list[int] = []
        preterm_weeks: float | None = None  # "born at 32 weeks": the age that counts is the corrected one
        stated: list[int] = []  # said as the baby's age ("6 weeks old", "she is 6 weeks", "tiene 2 meses")
        below: list[int] = []  # the bound of an age said as a range below ("under a year")
        for i, word in enumerate(words):
            if word not in _AGE_WORDS:
                continue  # (most words say nothing of an age)
            if _first_birthday(words, i) and not any(s <= i < e for s, e in elsewhere):
                ages.append(365)
                stated.append(365)
                continue
            if word in ("day", "dia") and _clean(words, i + 1)[:1].isdigit() and (
                    _clean(words, i + 2), _clean(words, i + 3)) in (("of", "life"), ("de", "vida")):
                days = int(float(_clean(words, i + 1)))  # "Day 12 of life", "día 12 de vida"
                ages.append(days)
                stated.append(days)
                continue
            if word in ("anteayer", "antier", "ayer") and _clean(words, i - 1) in _BIRTH_WORDS:
                days = 2 if word != "ayer" else 1  # "nació anteayer"
                ages.append(days)
                stated.append(days)
                continue
            unit = _AGE_UNITS.get(word)
            if unit is None and word in ("old",) and i >= 1 and _clean(words, i - 1) in _AGE_UNITS:
                continue
            if unit is None:
                if (word in _NEWBORN or (word == "recien" and _clean(words, i + 1).startswith("nacid"))) and \
                        _clean(words, i - 1) not in ("like", "a") and _clean(words, i - 2) not in ("like", "como"):
                    ages.append(14)  # (not "jumps at every noise like a newborn", "como un recién nacido")
                continue
            number = self._number_before(words, i)
            if number is None:
                continue
            value, first = number
            before = _clean(words, first - 1)
            gestation = (before in _GESTATION_BEFORE and (_clean(words, first - 2) in _BORN_EARLY or (
                _clean(words, first - 2) == "a" and _clean(words, first - 3) in _BORN_EARLY))) or (
                unit == 7 and value >= 24 and _clean(words, i + 1) in ("gestation", "weeker", "gestational"))
            if gestation and unit == 7 and 22 <= value < 37:
                preterm_weeks = value
            early = _clean(words, i + 1) in ("early", "premature", "prematuro", "prematura", "antes")
            if early and unit in (7, 30) and {"born", "nacio", "nacida", "nacido", "was", "came"} & set(
                    words[max(0, first - 3):first]):
                born_at = max(22.0, _TERM_WEEKS - value * unit / 7)  # "born 2 months early"
                if born_at < 37:  # 37 weeks and later is term: no correction
                    preterm_weeks = born_at
                continue
            # "she's like 6 weeks", "her corrected age is about 6 weeks": a hedged age, not a duration.
            like_age = before in ("like", "about", "around") and (  # "born on the 3rd so like 2 weeks"
                _clean(words, first - 2) in ("is", "shes", "hes", "", "idk", "sure", "know", "think", "maybe") or
                is_filler(_clean(words, first - 2)) or  # ("idk like 2 months i think": a doubted age)
                (_clean(words, first - 2) == "tiene" and unit >= 7) or  # "tiene like seven months", "like 2 weeks"
                # "(corrected about 7 weeks)", "adjusted age around 2 months"
                bool(_CORRECTED & {_clean(words, first - 2), _clean(words, first - 3)}) or
                (_clean(words, first - 2) == "so" and bool(_BIRTH_WORDS & set(words[:first]))))
            # "born 12 days ago", "nació hace 12 días": how long ago the baby was born is the age.
            born_ago = bool(_BIRTH_WORDS & {_clean(words, first - 1), _clean(words, first - 2)}) and (
                before == "hace" or _clean(words, i + 1) == "ago")
            if born_ago and unit <= 30 and value * unit <= 366:
                ages.append(int(value * unit))
                stated.append(int(value * unit))
                continue
            if before == "at" and unit >= 7 and not _AT_AN_EVENT & set(words[max(0, first - 4):first]) and (
                    _clean(words, i + 1) in ("is", "es", "still", "now", "?") or
                    "still" in words[max(0, first - 8):first] or "still" in words[i + 1:i + 4] or
                    # "38.3 at 5 months, no shaking": a reading, then the age it is read at
                    (_clean(words, i + 1) in BREAKS or i + 1 == len(words)) and _is_reading(_clean(words, first - 2))):
                # "still has a HUGE startle at 8 months", "at 7 and a half months is it normal...": the age now,
                # if no other is said ("at 2 months she had her shots" is an age then)
                at_ages.append(int(value * unit))
                continue
            if before in _DURATION_BEFORE and not like_age:
                continue
            if before in ("son", "es") and (_clean(words, first - 2) == "ya" or _clean(words, i + 1) == "que"):
                continue  # "ya son 4 días que le tiemblan", "ya es una semana que": how long (not "my son 4 weeks old")
            if before in _HEDGES and _clean(words, first - 2) in ("hace", "desde", "for", "since", "lleva", "van") and \
                    not _BIRTH_WORDS & {_clean(words, first - 3), _clean(words, first - 4)}:
                continue  # "hace como 10 días tuvo infección...": when, not the age ("nació hace..." is)
            if before in ("was", "tenia") and "cuando" in (_clean(words, first - 2), _clean(words, first - 3)) or (
                    before == "was" and "when" in (_clean(words, first - 2), _clean(words, first - 3))):
                continue  # "fell off the bed when she was 3 months old", "cuando tenía 2 meses": an age then
            if (_clean(words, i + 1) in _DURATION_AFTER or _clean(words, i + 1) == "ago") and not (
                    _clean(words, i + 1) == "of" and _clean(words, i + 2) == "age"):  # "three weeks of age"
                continue
            if gestation:
                continue
            if unit == 7 and value >= 24 and _clean(words, i + 1) in ("gestation", "weeker", "gestational"):
                continue
            if word in ("m", "y", "d", "w") and not (_clean(words, i + 1) in ("old", "o", ".", ",", "") or
                                                     before in ("is", "shes", "hes", "my", "mi", "de")):
                continue
            if unit == 1 and value > 120:
                continue
            if unit == 7 and value > 60:
                continue
            if unit == 30 and value > 36:
                continue
            if unit == 365 and value > 5:
                continue
            if any(s <= i < e for s, e in elsewhere):
                continue
            if words[first][:1].isdigit() and _clean(words, i + 1) in ("y", "and") and (
                    _clean(words, i + 2) in ("medio", "media", "half") or
                    (_clean(words, i + 2) == "a" and _clean(words, i + 3) == "half")):
                value += 0.5  # "6 meses y medio", "3 months and a half"
            days = int(value * unit)  # the younger side of a half ("2 1/2 weeks" is 17 days)
            hedge_words = {_clean(words, first - 1), _clean(words, first - 2),
                           f"{_clean(words, first - 2)} {_clean(words, first - 1)}"}
            if hedge_words & _UNDER:
                days -= 1
                # "under a year", "menos de 6 meses": any age below that, a newborn's too. Past 3 months that says
                # nothing the rules can use: unless a younger age is said too, the age stays unknown (the younger
                # band) and is asked.
                if days >= YOUNG_INFANT_DAYS and hedge_words & _BELOW and not hedge_words & _CLOSE_BELOW:
                    below.append(days)
                    continue
            elif hedge_words & _OVER:
                # past that many calendar months ("más de 6 meses" is no longer in the 3-6 months band)
                days = int(value * 30.44) + 1 if unit == 30 else days + 1
            around = {_clean(words, i + 1), _clean(words, i + 2), _clean(words, i + 3),
                      *(_clean(words, first - k) for k in range(1, 5))}  # "her corrected age is about 6 weeks"
            if around & _CORRECTED:
                corrected.append(days)
            # "3 months and 1 week", "6 months 2 weeks": the smaller unit adds to the age just said
            if (before in ("and", "y") and first - 2 == last_unit_at or first - 1 == last_unit_at) and ages and \
                    days < _AGE_UNITS[words[last_unit_at]]:
                if stated and stated[-1] == ages[-1]:
                    stated[-1] += days
                ages[-1] += days  # "3 months and 1 week", "3 meses y 1 semana"
                last_unit_at = i  # ("3 months 2 weeks 3 days": each adds)
                continue
            if _clean(words, i + 1) in ("old", "o", "olds", "de", "nacid", "nacida", "nacido") or \
                    before in _AGE_LEADS or _clean(words, first - 2) in _AGE_LEADS:
                stated.append(days)
            if ages and _SELF_CORRECTION & set(words[max(0, first - 3):first]) and before not in ("not", "no", "ni"):
                fixed.append(days)  # "Tiene 14 meses.. no perdón, 5 meses": the parent corrects the age
            ages.append(days)
            last_unit_at = i
        early_days = int((_TERM_WEEKS - preterm_weeks) * 7) if preterm_weeks is not None else 0
        ages = ages or at_ages
        if not ages or (below and min(ages) > min(below)):
            return None, early_days  # ("under 6 months, her brother is 3": the brother's age is not hers)
        if not corrected and last_unit_at >= 0:
            corrected = _bare_corrected_age(words, _AGE_UNITS[words[last_unit_at]])
        if corrected:
            return min(corrected), 0
        if min(ages) < _TODDLER_DAYS:
            # "my 3 yr old bonked the baby on the head... 2 months": a child of 2 or more beside a baby's age is
            # someone else (and the younger age is the safer one for every age rule).
            stated = [days for days in stated if days < _TODDLER_DAYS]
        age = fixed[-1] if fixed else min(stated) if stated else min(ages)
        # Born early: the younger, corrected age is the safer one for every age rule.
        return max(0, age - early_days), 0

    @staticmethod
    def _number_before(words: tuple[str, ...], i: int) -> tuple[float, int] | None:
        """The number just before an age unit, as (value, index of its first token)."""
        before = _clean(words, i - 1)
        if before[:1].isdigit():
            if _clean(words, i - 2) == "/" and before == "2" and _clean(words, i - 3) == "1" and \
                    _clean(words, i - 4)[:1].isdigit():
                return float(_clean(words, i - 4)) + 0.5, i - 4  # "2 1/2 weeks"
            low = _clean(words, i - 3)
            if _clean(words, i - 2) in ("or", "o", "-", "to", "a") and low[:1].isdigit() and float(low) < float(before):
                return float(low), i - 3  # "2 or 3 months", "2-3 weeks": the younger, the safer
            return float(before), i - 1
        if before == "a" and _clean(words, i - 2) == "half":
            return 0.5, i - 2  # "half a year"
        if len(words[i]) == 1:
            return None  # "d", "w", "m" stand for a unit only after digits ("3d"): "my a d h d" is no age
        if before in ("a", "an", "one", "un", "una", "uno") and i >= 1 and (
                _clean(words, i + 1) in ("old", "de", "y", "and") or _clean(words, i - 2) in _AGE_LEADS or i == 1):
            half = _clean(words, i + 1) in ("y", "and") and _clean(words, i + 2) in ("medio", "half", "a")
            if _clean(words, i - 2) in _HOW_OFTEN:
                return None  # "twice a day and now 8 times": how often, not an age
            return (1.5 if half else 1.0), i - 1
        if before == "half" and _clean(words, i - 2) == "a" and _clean(words, i - 3) == "and" and \
                _clean(words, i - 4)[:1].isdigit():
            return float(_clean(words, i - 4)) + 0.5, i - 4  # "6 and a half months"
        if before == "half" and _clean(words, i - 2) in ("a", "and"):
            whole = _clean(words, i - 3)
            if _clean(words, i - 2) == "and" and whole[:1].isdigit():
                return float(whole) + 0.5, i - 3
            return 0.5, i - 2
        if before in ("medio",) and _clean(words, i - 2) == "y":
            whole = _clean(words, i - 3)
            return (float(whole) + 0.5, i - 3) if whole[:1].isdigit() else None
        if before == "medio":
            return 0.5, i - 1  # "tiene medio año"
        if words[i] == "mes" and _clean(words, i + 1) == "y" and _clean(words, i + 2) == "medio":
            return 1.5, i  # "tiene mes y medio", "su edad corregida es mes y medio"
        # "she's for weeks", "my son is for months old", "my baby is um for weeks": the recogniser's "four"
        filler = _clean(words, i - 2) == "like" or is_filler(_clean(words, i - 2))
        lead = _clean(words, i - 3) if filler else _clean(words, i - 2)
        # ("hes going to be ate months next week", "she just turned to months")
        if before in _HOMOPHONE_NUMBERS and (lead in _HOMOPHONE_LEADS or
                                             before == "for" and _clean(words, i + 1) == "old"):
            return float(_HOMOPHONE_NUMBERS[before]), i - 1
        return None

    # --- Temperature ---------------------------------------------------------------------------------------

    def _temperature(self, words: tuple[str, ...], assertion: Callable[[int, bool], str] = lambda i, _: "present",
                     age_days: int | None = None, asks_rule: bool = False,
                     answered: bool = False) -> tuple[float | None, str | None]:
        """The baby's temperature in °C and its site. `assertion(i, ignore_resolved)` is how the reading at i is
        told, optionally leaving out words that say it is over. `answered`: the message answers a question
        about the temperature, so a number in its range is a reading."""
        has_context = answered or any(w in _CONTEXT_TEMP_WORDS or w.startswith(("fever", "fiebr", "temp"))
                                      for w in words)
        readings: list[tuple[float, str | None]] = []
        now: list[tuple[float, str | None]] = []
        site: str | None = None
        lines_said = _lines_people_give(words) if {"says", "dice", "over", "above"}.intersection(words) else ()
        for i, word in enumerate(words):
            if word in _SITES and site is None and self._near_temperature(words, i):
                site = _SITES[word]
            if not word[:1].isdigit():
                continue
            if (_clean(words, i - 1) == ":" and _clean(words, i - 2)[:1].isdigit()) or (
                    _clean(words, i + 1) == ":" and _clean(words, i + 2)[:1].isdigit()):
                continue  # a time, "10:38"
            # "¿cuánto es fiebre? ¿38 o 37,5?": the lines a question about the fever rule offers, not a reading
            if asks_rule and ((_clean(words, i + 1) in ("or", "o") and _clean(words, i + 2)[:1].isdigit()) or (
                    _clean(words, i - 1) in ("or", "o") and _clean(words, i - 2)[:1].isdigit())) or (
                    # ("grandma says anything over 37 and my husband says 39": the lines two people give)
                    i in lines_said and (len(lines_said) > 1 or words[i - 2:i] in _IF_OVER)):
                continue
            value = float(word)
            after = _clean(words, i + 1)
            temperature_like = "." in word or 34.0 <= value <= 43.0 or 90.0 <= value <= 110.0
            if (after in _AGE_UNITS and not (len(after) == 1 and temperature_like)) or after in (
                    "min", "mins", "minutes", "minutos", "hours", "hrs", "horas",
                                                "times", "veces", "%", "pm", "am", "oz", "ml", "lbs", "pounds",
                                                "kg", "percent", "cups", "coffees", "seconds", "secs", "segundos"):
                continue
            if _clean(words, i - 1) in ("born", "at") and _clean(words, i - 2) == "born":
                continue
            # "the bath water was 38", "I warm her bottles to 38 C", "104 outside today": not the baby. But "after
            # her bath her temp was 38.5": a body-temperature word after the thing names whose reading it is.
            window = words[max(0, i - 4):i]
            thing = max((k for k, w in enumerate(window) if w in _NOT_BODY), default=-1)
            if (thing >= 0 and not any(w in _BODY_TEMP_WORDS for w in window[thing + 1:])) or \
                    _clean(words, i + 1) in _NOT_BODY or _weather(words, i):
                continue
            unit = after if after in ("f", "c", "°") else ""
            if unit == "°":
                unit = _clean(words, i + 2) if _clean(words, i + 2) in ("f", "c") else ""
            decimal = "." in word
            # "101 under the arm", "38 axila": where it was taken says it is a temperature.
            site_after = bool(set(words[i + 1:i + 4]) & _SITES_NAMED) or (
                _clean(words, i + 1) == "under" and _clean(words, i + 3) in ("arm", "armpit"))
            # "has had 101 since yesterday", "running 102", "tiene 38": a reading said as what the baby has.
            lead = _clean(words, _lead(words, i))  # "tiene como 101"
            led = (lead in _READING_LEADS and (34.0 <= value <= 43.0 or 97.0 <= value <= 110.0)) or (
                _clean(words, i - 1) in ("its", "now") and (37.5 <= value <= 42.0 or 99.5 <= value <= 107.0)) or (
                # "skin to skin for half an hour and its still ninety six": a reading taken again
                _clean(words, i - 1) == "still" and _clean(words, i - 2) in ("its", "is", "shes", "hes", "was") and (
                    34.0 <= value <= 38.0 or 93.0 <= value <= 100.5))
            # "11 monts, 102 tonigt": a fever's number said with when it was
            led = led or (_clean(words, i + 1) in _WHEN_AFTER and (37.5 <= value <= 42.0 or 99.5 <= value <= 107.0))
            # "my baby is warm like a hundred and one", "está caliente como 38.5": how warm, in a number
            led = led or (lead in _FELT_HOT and (37.5 <= value <= 42.0 or 99.5 <= value <= 107.0))
            near = bool(set(words[max(0, i - 3):i + 3]) & _STRONG_TEMP_WORDS) or decimal or has_context or led or (
                site_after) or (
                _clean(words, i - 1) == "at" and _clean(words, i - 2) in ("shes", "hes", "its", "is", "was"))
            celsius: float | None = None
            if unit == "c" or (not unit and 34.0 <= value <= 43.0):
                if 30.0 <= value <= 45.0 and (near or unit):
                    celsius = value
            elif unit == "f" or (not unit and 90.0 <= value <= 110.0):
                if 85.0 <= value <= 112.0 and (near or unit):
                    # two places: 98.9 F is 37.17 C, under the newborn's 37.2 C (99 F) line, not on it
                    celsius = round((value - 32) * 5 / 9, 2)
            # A reading said as what the baby has now is reported even inside a question ("at what temperature
            # should I worry, hers is 101", "what temperature is a fever she has 38.5").
            said_now = _clean(words, i - 1) in _READING_LEADS | {"is", "at", "es", "esta"} and \
                _clean(words, i - 2) in _READING_SUBJECTS and \
                not {"if", "si", "cuando", "when"} & {_clean(words, i - k) for k in range(3, 6)}
            # "...call if it went over 100.4, and its 101 right now": a reading said with "now" is the reading now
            said_now = said_now or (_clean(words, i - 1) in ("its", "is", "es", "esta", "tiene", "shes", "hes") and (
                _clean(words, i + 1) in _NOW_AFTER or (_clean(words, i + 1), _clean(words, i + 2)) == ("right", "now")))
            told = assertion(i, False)
            # "no tiene fiebre tiene treinta y cinco punto seis" (a call, no comma): the fever is denied, the reading
            # after it is what the baby has
            if told == "negated" and _clean(words, i - 1) in _READ_AS and any(
                    words[j].startswith(("fiebr", "fever", "calentur")) and
                    {_clean(words, j - 1), _clean(words, j - 2)} & _DENIES_A_FEVER
                    for j in range(max(0, i - 5), i - 1)):
                told = "present"
            # "her mom left the ear thermometer and it says 100.5": what a thermometer shows is the baby's reading,
            # whoever is named near it, unless the writer says it is their own ("I took my temp and it reads 99").
            if told == "other_person" and _clean(words, i - 1) in _DEVICE_SAYS and not _OWN_TEMPERATURE & set(
                    words[max(0, i - 8):i]):
                told = "present"
            # A fever said to be over ("it was 100.9 an hour ago, but he's sleeping fine now") is still a fever
            # under 3 months or at an unknown age (AAP-fever); an older baby's counts only as said of earlier.
            over = told == "resolved" and (age_days is None or age_days < YOUNG_INFANT_DAYS) and \
                assertion(i, True) in ("present", "earlier")  # (not "last week, gone now": history)
            if celsius is not None and (told in ("present", "earlier") or over or (
                    said_now and told == "hypothetical")):
                reading = (celsius, _site_of(words, i))
                readings.append(reading)
                if told == "present":
                    now.append(reading)
        if not readings:
            return None, site
        # "Ayer tuvo 38 ... hoy 36.8": a reading of now beats an earlier one, past 3 months; under 3 months (or at
        # an unknown age) a fever last night is still a fever ("el 38.2 fue anoche y ahorita tiene 37.9").
        # Of several, the one furthest over its own fever line ("forehead 37.9, armpit 37.3" at 20 days: the
        # armpit's is a fever; twins at 37.8 and 38.3: the higher); when none is a fever, the last one said
        # ("35.9, then 36.8 after wrapping"; "36.6 the night before, today 35.7 and after an hour still 35.8").
        young = age_days is None or age_days < YOUNG_INFANT_DAYS
        pool = readings if young else (now or readings)
        fevers = [r for r in pool if r[0] >= fever_line(r[1] or site, age_days)]
        if fevers:
            chosen, chosen_site = max(fevers, key=lambda r: r[0] - fever_line(r[1] or site, age_days))
        else:
            chosen, chosen_site = (now or readings)[-1]
        return chosen, chosen_site or site

    @staticmethod
    def _near_temperature(words: tuple[str, ...], i: int) -> bool:
        return any(w[:1].isdigit() or w in _TEMP_WORDS for w in words[max(0, i - 6):i + 7])

    @staticmethod
    def _minutes(words: tuple[str, ...], shaking_at: list[int], episode: bool = False) -> int | None:
        """How long the shaking has gone on, when the sentence that speaks of it says so ("shaking for 10
        min", "tiembla... lleva 10 minutos"); "skin to skin for 30 min" in another sentence is not it."""
        sentence = [0] * len(words)
        number = 0
        for i, word in enumerate(words):
            sentence[i] = number
            if word in (".", "!", "?", ";"):
                number += 1
        shaking_sentences = {sentence[i] for i in shaking_at}
        for i, word in enumerate(words):
            if word in ("min", "mins", "minutes", "minute", "minutos", "minuto") and _clean(words, i - 1)[:1].isdigit():
                lead = _lead(words, i - 1)  # "hace como 20 minutos", "within like 10 minutes"
                # ("15 minutos de cada lado", "10 min each side": a breastfeed's length)
                if _clean(words, i + 1) in ("ago", "later", "after", "despues", "since", "desde") or (
                        (_clean(words, i + 1), _clean(words, i + 2)) in _EACH_SIDE) or (
                        _clean(words, lead) == "hace" and _clean(words, lead - 1) != "desde"):
                    continue  # ("desde hace 7 minutos" is for 7 minutes)
                # "after 30 min under a blanket" or "every 10 minutes" is not how long the shaking lasted.
                after_words = ("a", "despues", "cabo")
                if _clean(words, lead) in ("after", "despues", "every", "cada", "in", "en", "within", "past") or (
                        _NOT_THE_EPISODE & set(words[max(0, lead - 4):lead + 1])) or (
                        _done_before(words, lead, i, shaking_at)) or (
                        _clean(words, lead) in ("los", "de") and _clean(words, lead - 1) in after_words) or (
                        _FEED_VERBS & set(words[max(0, lead - 2):lead + 1])):
                    continue  # "a los 20 minutos ya tenía 36.8", "después de 20 minutos", "al cabo de 20 minutos"
                if sentence[i] in shaking_sentences:
                    return int(float(_clean(words, i - 1)))
                # "Timer on my phone says 8 minutes. Still trembling...": a timing said next to the shaking's own
                if (sentence[i] - 1 in shaking_sentences or sentence[i] + 1 in shaking_sentences) and \
                        (_TIMING_WORDS | _GOING_WORDS) & {w for j, w in enumerate(words) if sentence[j] == sentence[i]}:
                    return int(float(_clean(words, i - 1)))
        for i, word in enumerate(words):
            # "hace 10 minutos empezó con una temblorina": begun that long ago, in Spanish
            if word in ("minutos", "minuto", "min") and _clean(words, _lead(words, i - 1)) == "hace" and \
                    _clean(words, i - 1)[:1].isdigit() and {"empezo", "comenzo", "empezaron", "lleva", "esta"} & set(
                        words[i + 1:i + 4]) and sentence[i] in shaking_sentences:
                return int(float(_clean(words, i - 1)))
            # "started 10 mins ago and hasn't let up": an episode still going, begun that long ago.
            if word in ("min", "mins", "minutes", "minute", "minutos", "minuto") and _clean(words, i + 1) == "ago" \
                    and _clean(words, i - 1)[:1].isdigit() and {"started", "start", "began", "empezo", "comenzo"} & set(
                        words[max(0, i - 4):i]) and sentence[i] in shaking_sentences:
                return int(float(_clean(words, i - 1)))
        # "it's been going like 5 or 6 minutes now, both legs": a lasting verb said just before the minutes
        # makes a longer answer one about the episode too.
        going = any(w in _MINUTE_WORDS and _GOING_WORDS & set(words[max(0, i - 6):i]) for i, w in enumerate(words))
        limit = 30 if episode else 16 if going else 8
        if not shaking_at and words and sum(w not in BREAKS for w in words) <= limit:
            # A short answer that says how long ("it's been like 5 min", "lleva 5 minutos", "no, it doesnt stop
            # when I hold her, its been going like seven minutes"): of the shaking the conversation is about
            # (the protocol needs shaking, or holding that does not stop it, known to count it).
            for i, word in enumerate(words):
                if word in ("min", "mins", "minutes", "minute", "minutos", "minuto") and \
                        _clean(words, i - 1)[:1].isdigit() and _clean(words, i + 1) not in ("ago", "later") and (
                        _LASTING_WORDS & set(words[:i]) or _clean(words, i + 1) in ("now", "already", "ya")):
                    return int(float(_clean(words, i - 1)))
            # ("no, no se detiene, empezó a las once y cuarto y ya son las once y media": by the clock)
            return _elapsed_by_clock(words)
        return _elapsed_by_clock(words, shaking_at) if shaking_at else None



_MINUTE_WORDS = frozenset({"minute", "min", "mins", "minuto", "minutos", "minutes", "minite"})
_PER_WORDS = frozenset({"a", "per", "por", "al", "x", "each", "every", "/", "en", "in", "un", "el", "breaths", "breath",
                        "respiraciones", "respiracion", "times", "veces", "full", "whole", "entire", "one", "1"})


def _breath_count(words: tuple[str, ...]) -> int | None:
    """The last breath count said ("counted 72 a minute", "le conté 65 por minuto", "40 breaths per min")."""
    count = None
    breathing = any(w.startswith(("breath", "respir")) for w in words)
    for i, word in enumerate(words):
        if not word[:1].isdigit() or not 10 <= float(word) <= 200:
            continue
        j = i + 1
        while j < len(words) and j <= i + 3 and words[j] in _PER_WORDS:
            j += 1
        per_minute = j < len(words) and words[j] in _MINUTE_WORDS and j > i + 1
        near = words[max(0, i - 16):j]
        # "más de 60", "more than 60", "over 60": above the number said
        above = 1 if words[max(0, i - 2):i] in (("mas", "de"), ("more", "than")) or (
            i and words[i - 1] in ("over", "above")) else 0
        if per_minute and any(w.startswith(("breath", "respir", "count", "conte", "contad")) for w in near):
            count = int(float(word)) + above
        elif i and words[i - 1] in ("rate", "rr") and any(w.startswith(("breath", "resp", "rr")) for w in
                                                           words[max(0, i - 3):i]) and 20 <= float(word) <= 150:
            count = int(float(word))  # "resp rate 62, counted twice", "RR 70"
        elif breathing and i and words[i - 1] in ("counted", "conte", "count", "got") and (
                count is not None or 20 <= float(word) <= 150):
            # "...80 a minute. once he was asleep I counted 40": counted again; "breathing like she just ran a
            # race... counted 66": a count of breaths, the minute left unsaid
            count = int(float(word))
    return count

_SI = re.compile(r"(?<!\w)s([ií])(?!\w)", re.IGNORECASE)


def _accented_si(text: str, words: tuple[str, ...]) -> frozenset[int]:
    """Which "si" tokens were written "sí" (yes). Only when each "si" of the text is one token (nothing to align
    otherwise: then none is taken for a yes)."""
    accented = [match.group(1) in "íÍ" for match in _SI.finditer(text)]
    at = [i for i, word in enumerate(words) if word == "si"]
    if len(accented) != len(at):
        return frozenset()
    return frozenset(i for i, yes in zip(at, accented, strict=True) if yes)


@lru_cache(maxsize=256)
def _by_first_word(phrases: frozenset[tuple[str, ...]]) -> dict[str, tuple[tuple[str, ...], ...]]:
    out: dict[str, list[tuple[str, ...]]] = {}
    for phrase in phrases:
        out.setdefault(phrase[0], []).append(phrase)
    return {first: tuple(group) for first, group in out.items()}


def fever_line(site: str | None, age_days: int | None) -> float:
    """The reading (C) from which a baby has a fever: 38.0, or 37.2 under the arm under 1 month (Schmitt-subtle)."""
    return FEVER_ARMPIT_NEWBORN_C if site == "armpit" and age_days is not None and age_days < 30 else FEVER_C


def _site_of(words: tuple[str, ...], i: int) -> str | None:
    """Where the reading at `i` was taken, when the words right by it say so: just after it ("37.3 axilar",
    "101 under the arm") or else just before it ("en la axila 37.3"), not past another number or clause."""
    for j in range(i + 1, min(len(words), i + 4)):
        if words[j] in BREAKS or words[j][:1].isdigit() or words[j] in ("y", "and", "pero", "but"):
            break
        if words[j] in _SITES and words[j] not in ("arm", "brazo") or (
                words[j] in ("arm", "brazo") and words[j - 1] in ("the", "her", "his", "el", "del")):
            return _SITES[words[j]]
    for j in range(i - 1, max(-1, i - 6), -1):
        if words[j] in BREAKS or words[j][:1].isdigit():
            break
        if words[j] in _SITES:
            return _SITES[words[j]]
    return None


def _first_birthday(words: tuple[str, ...], i: int) -> bool:
    """"my boy just turned 1", "my son is one and his legs...": a first birthday, said without a unit."""
    after = _clean(words, i + 2)
    if after in _AGE_UNITS:
        return False
    if words[i] in ("turned", "turns"):
        return _clean(words, i + 1) in ("1", "one")
    return words[i] in ("is", "hes", "shes") and _clean(words, i + 1) in ("1", "one") and after in (
        "", ".", ",", "and", "y", "!", "?")

_BIRTH_WORDS = frozenset(("dob", "born", "nacio", "nacida", "nacido", "nacimiento"))
_SAID_OF_NOW = frozenset(("now", "today", "currently", "still", "ahora", "ahorita", "hoy", "todavia"))
# (Beyond the past, only the plain words for now: "not still alert" is a denial of "still alert".)
_PLAIN_NOW = frozenset(("now", "currently", "ahora", "ahorita"))
# The words the age loop acts on: a first birthday's verb, "day 12 of life", "nació ayer", a unit, a newborn.
_AGE_WORDS = frozenset(("turned", "turns", "is", "hes", "shes", "day", "dia", "anteayer", "antier", "ayer", "old",
                        "recien")) | frozenset(_AGE_UNITS) | frozenset(_NEWBORN)
_MONTHS = {name: number for number, names in enumerate((
    ("january", "jan", "enero", "ene"), ("february", "feb", "febrero"), ("march", "mar", "marzo"),
    ("april", "apr", "abril", "abr"), ("may", "mayo"), ("june", "jun", "junio"), ("july", "jul", "julio"),
    ("august", "aug", "agosto", "ago"), ("september", "sep", "sept", "septiembre", "setiembre"),
    ("october", "oct", "octubre"), ("november", "nov", "noviembre"), ("december", "dec", "diciembre", "dic")), 1)
    for name in names}
_DATE_FILLER = frozenset(("on", "the", "el", "de", "del", ":", "was", "is", "es", "fue", "en", "in", "of"))


def _born_on(words: tuple[str, ...], today: date) -> int | None:
    """Days since a date of birth said after a birth word: "DOB 4/18/2026", "born nov 20", "nació el 3 de
    enero", "born on the 3rd". When day and month could be either way round, the later date (the younger
    baby) is the safer reading; a date not yet reached this year is last year's."""
    for i, word in enumerate(words):
        if word not in _BIRTH_WORDS:
            continue
        j = i + 1
        while j < len(words) and words[j] in _DATE_FILLER:
            j += 1
        candidates = _dates_at(words, j, today)
        ages = [(today - d).days for d in candidates if 0 <= (today - d).days <= 3 * 366]
        if ages:
            return min(ages)
    return None


def _dates_at(words: tuple[str, ...], j: int, today: date) -> list[date]:
    def num(k: int) -> int | None:
        return int(words[k]) if k < len(words) and words[k].isdigit() and len(words[k]) <= 4 else None

    def year_at(k: int) -> int | None:
        value = num(k)
        if value is None:
            return None
        return value + 2000 if value < 100 else value

    def make(year: int | None, month: int, day: int) -> list[date]:
        years = [year] if year is not None else [today.year, today.year - 1]
        found = []
        for y in years:
            try:
                d = date(y, month, day)
            except ValueError:
                continue
            if d <= today:
                found.append(d)
                break
        return found

    first = num(j)
    if first is not None and j + 1 < len(words) and words[j + 1] in _MONTHS:  # "3 de enero" (filler skipped)
        return make(year_at(j + 2), _MONTHS[words[j + 1]], first)
    if j + 2 < len(words) and first is not None and words[j + 1] == "de" and words[j + 2] in _MONTHS:
        return make(year_at(j + 4) if words[j + 3:j + 4] == ("de",) else None, _MONTHS[words[j + 2]], first)
    if j < len(words) and words[j] in _MONTHS:  # "nov 20", "november 20th, 2026"
        day = num(j + 1)
        return make(year_at(j + 2) if words[j + 2:j + 3] != ("rd",) else None, _MONTHS[words[j]], day) \
            if day is not None else []
    if first is None:
        return []
    k = j + 1 + (j + 1 < len(words) and words[j + 1] in ("/", "-", "."))
    second = num(k)
    if second is None:  # "born on the 3rd": this month's or last month's 3rd
        if not 1 <= first <= 31:
            return []
        after = " ".join(words[j + 1:j + 5])
        last_month = "last month" in after or "mes pasado" in after
        month = today.month if first <= today.day and not last_month else (today.month - 2) % 12 + 1
        return make(today.year if month <= today.month else today.year - 1, month, first)
    k2 = k + 1 + (k + 1 < len(words) and words[k + 1] in ("/", "-", "."))
    year = year_at(k2)
    out: list[date] = []
    for month, day in ((first, second), (second, first)):  # M/D (US) and D/M
        if 1 <= month <= 12 and 1 <= day <= 31:
            out += make(year, month, day)
    return out


_STARTED = frozenset(("started", "began", "start", "since", "empezo", "comenzo", "desde", "empezaron", "comenzaron"))
_NOW = frozenset(("now", "its", "it is", "ahora", "son", "es"))


# Relatives who may be a baby, named with an age right after them ("my nephew 3 months").
_INFANT_RELATIVES = frozenset(("nephew", "niece", "grandson", "granddaughter", "cousin", "brother", "sister",
                               "sobrino", "sobrina", "nieto", "nieta", "primo", "prima", "hermanito", "hermanita"))


# Signs an age can date: an episode or a fever "at 9 months" in a baby now 13 months old was then.
_DATED_SIGNS = frozenset(("seizure", "limbs_together", "stiffening", "stiff_then_jerking", "eyes_rolling",
                          "fever_words", "shaking"))


def _dated_younger(found: tuple[Found, ...], words: tuple[str, ...], age: int) -> tuple[Found, ...]:
    """ "He had a febrile seizure at 9 months ... He's 13 months now": a sign dated by an age at least four weeks
    younger than the baby's age now is past ("a los 2 meses tuvo una convulsión, ya tiene 6"). An age said as "at
    4 months" of a baby that age now is how old the baby is, and changes nothing."""
    out = []
    for f in found:
        if f.assertion == "present" and f.finding in _DATED_SIGNS:
            for k in range(f.end, min(f.end + 3, len(words) - 2)):
                lead = words[k:k + 2] == ("a", "los") and 1
                at = k + 1 + bool(lead)
                if (words[k] == "at" or lead) and at + 1 < len(words) and words[at].isdigit() and \
                        (unit := _AGE_UNITS.get(words[at + 1])) and int(words[at]) * unit + 28 <= age:
                    f = Found(f.finding, "historical", f.start, f.end)
                    break
        out.append(f)
    return tuple(out)


_AT_HOUR = frozenset(("at", "las", "around", "about", "since"))
_HALF_QUARTER = {"media": 30, "cuarto": 15}
_MERIDIEM = frozenset(("am", "pm"))
_NOON = frozenset(("midnight", "noon", "medianoche", "mediodia"))
_PART_OF_HOUR = {"quarter": 15, "half": 30}


_DEGREE_WORDS = frozenset({"grados", "degrees", "degree", "f", "c", "°", "de", "como", "about", "like"})


def _weather(words: tuple[str, ...], i: int) -> bool:
    """Whether the number at words[i] is the weather's or a room's: "hace como 38 grados afuera", "it's 100 degrees
    outside", "38 grados de calor" (a "hace" before it, or a place after its unit)."""
    lead = _lead(words, i)
    if _clean(words, lead) == "hace" and _clean(words, lead - 1) != "desde":
        return True
    k = i + 1
    while k < len(words) and k <= i + 3 and words[k] in _DEGREE_WORDS:
        k += 1
    return k > i + 1 and (_clean(words, k) in _NOT_BODY or words[k - 1:k + 1] == ("de", "calor"))


def _clock(words: tuple[str, ...], i: int) -> tuple[int, int] | None:
    """A clock time starting at word i and the index after it: "2:10", "2 10" (spoken "two ten"), "3 y 20",
    "3 y media", "4 menos cuarto", "quarter to 4", "ten past 4", "8 and a half", "midnight", and a bare hour where it
    reads as one ("at 7", "2 am", "a las 3")."""
    hour = words[i] if i < len(words) else ""
    if hour in _NOON:
        return 12 * 60, i + 1
    if hour in _PART_OF_HOUR and words[i + 1:i + 2] in (("to",), ("past",), ("after",)) and \
            words[i + 2:i + 3] and words[i + 2].isdigit() and 1 <= int(words[i + 2]) <= 12:
        part = _PART_OF_HOUR[hour]  # "quarter to 4", "half past 3"
        return int(words[i + 2]) * 60 + (part if words[i + 1] != "to" else -part), i + 3
    if hour in ("5", "10", "20", "25") and words[i + 1:i + 2] in (("past",), ("to",), ("after",)) and \
            words[i + 2:i + 3] and words[i + 2].isdigit() and 1 <= int(words[i + 2]) <= 12:
        return int(words[i + 2]) * 60 + (int(hour) if words[i + 1] != "to" else -int(hour)), i + 3  # "ten to four"
    if not (hour.isdigit() and 1 <= int(hour) <= 12):
        return None
    j = i + 1 + (i + 1 < len(words) and words[i + 1] in (":", "y"))
    minute = words[j] if j < len(words) else ""
    if minute.isdigit() and len(minute) <= 2 and int(minute) < 60 and (len(minute) == 2 or j > i + 1):
        return int(hour) * 60 + int(minute), j + 1
    if j > i + 1 and words[j - 1] == "y" and minute in _HALF_QUARTER:
        return int(hour) * 60 + _HALF_QUARTER[minute], j + 1
    if words[i + 1:i + 2] == ("menos",) and i + 2 < len(words):  # "las 4 menos cuarto", "las 4 menos 10"
        less = words[i + 2]
        part = _HALF_QUARTER.get(less) or (int(less) if less.isdigit() and int(less) < 30 else 0)
        if part:
            return int(hour) * 60 - part, i + 3
    if words[i + 1:i + 3] == ("and", "half") or words[i + 1:i + 4] == ("and", "a", "half"):
        return int(hour) * 60 + 30, i + 3 + (words[i + 2] == "a")  # "at 8 and a half"
    after = words[i + 1] if i + 1 < len(words) else ""
    if after in _MERIDIEM:
        return int(hour) * 60, i + 2
    if i and (words[i - 1] == "las" or words[i - 1] == "la" and hour == "1" or words[i - 1] in _AT_HOUR
              and after not in _AGE_UNITS
              and after not in _MINUTE_WORDS and after not in ("hours", "hrs", "times")):
        return int(hour) * 60, i + 1  # ("a las 3 y ya son...": "las" is always the clock's)
    return None


def _says_now(words: tuple[str, ...], m: int) -> bool:
    """Whether words[m] says "now" before a time ("its", "now", "son", "it is")."""
    return words[m] in _NOW or words[m - 1:m + 1] == ("it", "is")


def _clock_after(words: tuple[str, ...], m: int) -> tuple[int, int] | None:
    """The clock time said right after words[m] ("its 4:05"), or after "las"/"la" ("ya son las 3 y 20")."""
    return _clock(words, m + 1) or (_clock(words, m + 2) if words[m + 1:m + 2] in (("las",), ("la",)) else None)


_PAST_TO = {"past": 1, "after": 1, "to": -1}
_STILL_GOING = frozenset(("going_on_now", "persistent", "not_stopped_by_holding", "frequent"))  # ("sigue", "still")
_FELT_HOT = frozenset(("warm", "hot", "caliente", "calientito", "calientita", "burning", "warmer", "hotter"))
# ("anything over 37", "call if over 100.4": a line, whoever says it)
_LINE_LEADS = (("anything", "over"), ("anything", "above"), ("if", "over"), ("if", "above"))
_IF_OVER = _LINE_LEADS[2:]
_SAYS_A_LINE = frozenset(("says", "said", "say", "thinks", "dice", "dicen", "dijo"))
_PEOPLE = frozenset(("mom", "mother", "grandma", "grandmother", "husband", "wife", "partner", "dad", "father", "sister",
                     "brother", "friend", "aunt", "nurse", "doctor", "pediatrician", "mil", "abuela", "mama", "esposo",
                     "suegra", "hermana", "tia", "papa", "marido", "amiga", "enfermera", "doctora", "doctor"))


def _lines_people_give(words: tuple[str, ...]) -> tuple[int, ...]:
    """Where numbers are that people name as the fever line ("grandma says anything over 37 and my husband says 39"):
    a number said after a person says, or after "anything over"."""
    out = []
    for i, word in enumerate(words):
        if not word[:1].isdigit():
            continue
        lead = _lead(words, i)
        if words[max(0, i - 2):i] in _LINE_LEADS or (
                _clean(words, lead) in _SAYS_A_LINE and _PEOPLE.intersection(words[max(0, lead - 2):lead])):
            out.append(i)
    return tuple(out)


def _part_of_an_hour(words: tuple[str, ...], i: int) -> int | None:
    """Minutes from the hour of a time said without its hour ("quarter past": 15, "ten to": -10), or None."""
    part = words[i] if i < len(words) else ""
    side = _PAST_TO.get(words[i + 1]) if i + 1 < len(words) else None
    if side is None or words[i + 2:i + 3] and words[i + 2].isdigit():
        return None
    offset = _PART_OF_HOUR.get(part) or (int(part) if part in ("5", "10", "20", "25") else 0)
    return side * offset if offset else None


def _hourless_start(words: tuple[str, ...], i: int) -> int | None:
    """A start said without its hour, then a time now with one ("shaking since quarter past and its 4:05 now"): the
    minutes between, the start being the last such time before now."""
    part = _part_of_an_hour(words, i)
    if part is None:
        return None
    for m in range(i + 2, min(i + 12, len(words))):
        if _says_now(words, m) or (m and words[m - 1] in _NOW):
            now = _clock_after(words, m)
            if now is not None:
                start = now[0] // 60 * 60 + part
                start -= 60 if start >= now[0] else 0
                return now[0] - start
    return None


def _bare_hour(words: tuple[str, ...], i: int) -> tuple[int, int] | None:
    """The time now said as a bare hour after a start by the clock ("since ten to three, now it is three", "since 2:40
    and its 3 now"): an hour from 1 to 12 that nothing after makes an age, a count or a duration."""
    hour = words[i] if i < len(words) else ""
    after = words[i + 1] if i + 1 < len(words) else ""
    if hour.isdigit() and 1 <= int(hour) <= 12 and (after in BREAKS or after in ("now", "and", "y", "already", "ya", "")
                                                    or after in _MERIDIEM):
        return int(hour) * 60, i + 1
    return None


def _hourless(words: tuple[str, ...], i: int, start: int) -> tuple[int, int] | None:
    """A time now said without its hour, after a start said with one ("since ten to four, now it is quarter past"):
    the first such time after the start."""
    part = _part_of_an_hour(words, i)
    if part is None:
        return None
    for hour in range(start // 60, start // 60 + 3):
        now = hour * 60 + part
        if now > start:
            return now, i + 2
    return None


def _around_a_start(words: tuple[str, ...], i: int) -> tuple[int, ...]:
    """Where the clock of a start word at i may be: after it, then before it ("empezo con los temblores a las 2", "a
    las 3 y 20 empezó")."""
    return (*range(i + 1, min(i + 7, len(words))), *range(max(0, i - 5), i))


def _start_clock(words: tuple[str, ...], i: int, k: int) -> tuple[int, int] | None:
    """The clock at k of the start word at i; one said before the word must end before it."""
    clock = _clock(words, k)
    return None if clock is None or clock[1] > i and k < i else clock


def clocks_told(words: tuple[str, ...]) -> tuple[int | None, int | None]:
    """A start said by the clock with no time now after it ("it started at quarter to 4"), and a time now said with
    no start ("it's 4:05 and she's still shaking"): each half of an episode's length, told in two messages."""
    start = now = None
    for i, word in enumerate(words):
        if word in _STARTED and start is None:
            for k in _around_a_start(words, i):
                clock = _start_clock(words, i, k)
                if clock is not None:
                    start = clock[0]
                    break
        elif _says_now(words, i) and now is None:
            now_at = _clock_after(words, i)
            now = now_at[0] if now_at is not None else None
    if start is not None and now is not None:
        return None, None  # (both in one message: its own length)
    return start, now


_AT_A_TIME = frozenset(("at", "around", "las", "la"))


_WITHIN_THE_HOUR = 60


def _ago_by_clock(words: tuple[str, ...]) -> tuple[int, int, int] | None:
    """Where a time said by the clock is, and how many minutes before the time now said after it ("at two forty both
    his arms and legs were jerking for like a minute its two fifty now"): when what happened then happened. Not a
    start ("started at 2:40 ... its 2:50": how long it has gone on)."""
    for i, word in enumerate(words):
        if word not in _AT_A_TIME or _STARTED.intersection(words[max(0, i - 3):i + 1]):
            continue
        at = _clock(words, i + 1)
        if at is None:
            continue
        for m in range(at[1], min(at[1] + 25, len(words) - 1)):
            if _says_now(words, m):
                now = _clock_after(words, m) or \
                    _bare_hour(words, m + 1)  # ("a seizure at 2:50 and its 3 now")
                if now is not None and not _STARTED.intersection(words[at[1]:m]):
                    elapsed = (now[0] - at[0]) % 720
                    return (i, at[1], elapsed) if elapsed > 0 else None
        return None
    return None


_FED = frozenset(("fed", "ate", "eaten", "feed", "nursed", "bottle", "feeding", "comio", "mamo", "tomo", "pecho"))
_UNFED_MINUTES = 4 * 60


def _unfed_by_clock(words: tuple[str, ...]) -> tuple[int, int] | None:
    """Where the last feed's time is, when the time now said after it is four hours later or more ("last fed at 10
    and its 3:30 now, she just keeps sleeping", "comió por última vez a las 10 y ya son las 3"): a long time
    without a feed."""
    for i, word in enumerate(words):
        if word not in _FED or not {"last", "ultima"}.intersection(words[max(0, i - 4):i + 4]):
            continue
        for k in range(i + 1, min(i + 6, len(words))):
            if words[k] in _AT_A_TIME and (fed := _clock(words, k + 1)) is not None:
                for m in range(fed[1], min(fed[1] + 12, len(words) - 1)):
                    if _says_now(words, m):
                        now = _clock_after(words, m)
                        if now is not None:
                            return (k, fed[1]) if (now[0] - fed[0]) % 720 >= _UNFED_MINUTES else None
                return None
    return None


def elapsed_since(start: int, now: int) -> int | None:
    """Minutes from a start to a time now said in a later message (within three hours)."""
    elapsed = (now - start) % 720
    return elapsed if 0 < elapsed <= 180 else None


# What else a clock may time: "empezó a llorar a las 3 y ya son las 3 y media", "since 2 she's been crying".
_TIMED_ACTIVITIES = frozenset(("llorar", "llorando", "llora", "lloro", "crying", "cry", "cried", "comer", "comiendo",
                               "eat", "eating", "feed", "feeding", "nursing", "mamar", "mamando", "dormir",
                               "durmiendo", "sleep", "sleeping", "nap", "napping", "bath", "bano", "fussing",
                               # ("my shift started at 7 and its 9 now", "since twenty past two im rocking her")
                               "shift", "turno", "rocking", "arrullando", "arrullo", "meciendo", "biberon", "bottle"))
# ("he has been up since 5:15 and its almost 7 now, legs twitch cause hes overtired": said next to the start)
_AWAKE_SINCE = frozenset(("up", "awake", "despierto", "despierta", "playing", "jugando"))


def _elapsed_by_clock(words: tuple[str, ...], shaking_at: Sequence[int] = ()) -> int | None:
    """Minutes between a start time and the time now, both said by the clock ("it started at 2:10 and it's
    2:17 now", "empezó a las 3 y 5 y ya son las 3 y 20"): how long an episode has gone on. Not when the clock
    times something else and no shaking is said between ("empezó a llorar a las 3 y ya son las 3 y media")."""
    for i in range(len(words)):
        if words[i] not in _STARTED:
            continue
        for k in _around_a_start(words, i):
            start = _start_clock(words, i, k)
            if start is None and k > i and (since := _hourless_start(words, k)) is not None:
                return since if 0 < since <= 180 else None  # "since quarter past, its 4:05 now"
            if start is None:
                continue
            for m in range(start[1], min(start[1] + 10, len(words))):
                if _says_now(words, m) or (m and words[m - 1] in _NOW):
                    now = _clock_after(words, m) or \
                        _hourless(words, m + 1, start[0]) or _bare_hour(words, m + 1)
                    if now is not None:
                        if (_TIMED_ACTIVITIES | _AWAKE_SINCE).intersection(words[max(0, i - 4):now[1]]) and \
                                not any(i <= at < now[1] for at in shaking_at):
                            return None
                        elapsed = (now[0] - start[0]) % 720
                        return elapsed if 0 < elapsed <= 180 else None
    return None



_KNOWN_WORDS = frozenset(
    "breathed breathes breaths breath sneezing seized seizes leisure throwing thrown floppy sloppy choppy "
    "responding corresponding temperatures shivering quivering stretching stretches trembling twitching "
    "feeding feedings latching nursing teething teethers sleeping crawling standing sitting".split())


def _merged(base: Mapping[str, Any], more: Mapping[str, Any], source: str, section: str) -> dict[str, Any]:
    """`base` with the extra words of `more` appended to the same findings (or triggers), by language."""
    out = {name: dict(spec) for name, spec in base.items()}
    for name, spec in more.items():
        if name not in out:
            raise VocabularyError(f"{source}: {section}: unknown finding {name!r}")
        for language in ("en", "es"):
            extra = list((spec or {}).get(language) or ())
            if extra:
                out[name][language] = [*(out[name].get(language) or ()), *extra]
    return out


def load_reader(path: Path) -> Reader:
    import yaml

    try:
        data = load_yaml(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as error:
        raise VocabularyError(f"{path}: {error}") from None
    return Reader(data or {}, source=str(path))


@lru_cache(maxsize=1)
def shipped_reader() -> Reader:
    """The reader built from the vocabulary that ships in this repository's flows/."""
    return load_reader(SHIPPED_FLOWS / "findings.yaml")
