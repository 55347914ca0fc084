"""The safety screen: find red flags in a parent's message before anything else is said to them.

`screen_for_red_flags` reads one message (English or Spanish, SMS-style or not) and returns a `Screening`:
the red flags found, each with its level and the words that triggered it, the flags the parent explicitly
denied, and the temperature, age and language it could read. The flow maps each flag to guidance.

How a message is read, in order:

1. normalize: fold case and accents, drop emoji and symbols, fix common misspellings of key words, and keep
   a map from every word back to the parent's own text (so evidence quotes the message, not our copy);
2. phrases: whole phrases that must be read before any generic rule sees their words: the negation that
   IS the symptom ("not breathing", "no despierta", "won't eat"), compound red flags ("arms and legs
   jerking together", "doesn't stop when I hold it"), explicit denials ("breathing fine") and idioms that
   only look like symptoms ("throwing a fit", "won't stop crying");
3. negations: a negation word followed, within a few words, by a symptom is a denial ("no fever",
   "sin fiebre", "isn't struggling to breathe"); scope ends at punctuation, "but", "and", a new subject;
4. symptoms: every remaining symptom term is a finding;
5. numbers and age rules: the temperature decides fever either way; fever is urgent under 90 days or when
   the age is unknown and "soon" otherwise; frequent shaking after 6 months is its own flag.

When a message is ambiguous the screen errs towards a finding: a missed red flag costs far more than a
cautious reply.
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from string import ascii_lowercase
from types import MappingProxyType

from hotline.engine.levels import Level

# --- Flags and the rules that do not depend on wording -------------------------------------------------

# The level of each flag; the flow maps the same strings to guidance passages. `fever` is listed at its
# level for young or unknown-age babies; `apply_age_rules` lowers it for babies known to be 90 days or older.
FLAG_LEVELS: Mapping[str, Level] = MappingProxyType(
    {
        "seizure": Level.EMERGENCY,
        "breathing": Level.EMERGENCY,
        "colour": Level.EMERGENCY,
        "unresponsive": Level.EMERGENCY,
        "fever": Level.URGENT,
        "lethargy": Level.URGENT,
        "vomiting": Level.URGENT,
        "poor_feeding": Level.URGENT,
        "not_stopping_when_held": Level.URGENT,
        "one_side": Level.SOON,
        "persistent": Level.SOON,
        "after_6_months": Level.SOON,
        "weight_bearing": Level.SOON,
        "more_frequent": Level.SOON,
    }
)
FLAGS: tuple[str, ...] = tuple(FLAG_LEVELS)

# An internal signal, never reported on its own: "shakes a lot", "still does it", "tiembla mucho".
# Together with an age over six months it becomes the `after_6_months` flag.
FREQUENT = "frequent"

FEVER_THRESHOLD_C = 38.0  # 100.4 °F
YOUNG_INFANT_DAYS = 90  # any fever under 3 months needs a doctor the same day
SIX_MONTHS_DAYS = 180
NEWBORN_DAYS = 14  # "newborn" with no number: the first weeks, well inside the under-90-days rule
DAYS_PER_UNIT = {"day": 1, "week": 7, "month": 30, "year": 365}


@dataclass(frozen=True)
class Finding:
    """One red flag in a message."""

    flag: str  # one of FLAGS
    level: Level
    evidence: str  # the parent's own words that triggered it, for staff review


@dataclass(frozen=True)
class Screening:
    """What the safety screen read in one message."""

    level: Level | None  # the highest finding's level; None when no red flag was found
    findings: tuple[Finding, ...]  # highest level first, then in message order
    denied: tuple[str, ...]  # flags the parent explicitly denied ("no fever" -> "fever"), never also found
    temperature_c: float | None  # the highest temperature stated, in °C, 1 decimal
    age_days: int | None  # the age stated in this message, in days; None when it states none
    language: str | None  # "en" / "es", None when the message gives no clue ("1", "ok")
    # The parent's words without what they denied ("no fever, eating fine" drops both), for the free-text
    # search: a denied symptom must not pull the answer towards that symptom's guidance.
    searchable: str = ""

    @property
    def flags(self) -> tuple[str, ...]:
        """The flags found, highest level first."""
        return tuple(finding.flag for finding in self.findings)


# --- Normalizing ---------------------------------------------------------------------------------------

# Punctuation that carries meaning: decimals, degrees, times and dates, and sentence breaks (which end a
# negation's scope). Everything else that is not a letter or digit becomes a space.
_KEPT_PUNCTUATION = ".,!?;:°/%'"
_APOSTROPHES = "’‘ʼ`´′"
_DEGREE_SIGNS = "º˚"
# A combining mark left over after NFC (a decomposed accent NFC could not compose) glues onto its word.
_GLUE = "\x00"
# Covers Latin, Greek, Cyrillic and general punctuation; rarer characters are folded on the fly, uncached,
# so hostile input cannot grow the table.
_FOLD_CACHE_LIMIT = 0x3000


def _fold_char(char: str) -> str:
    """One character folded to exactly one: a lowercase ASCII letter or digit, kept punctuation, or space."""
    if char in _APOSTROPHES:
        return "'"
    if char in _DEGREE_SIGNS:
        return "°"
    if char in _KEPT_PUNCTUATION:
        return char
    decomposed = unicodedata.normalize("NFKD", char)
    base = next((c for c in decomposed if not unicodedata.combining(c)), "")
    if not base:
        return _GLUE
    base = base.lower()
    if base.isascii() and base.isalnum():
        return base
    if base in _KEPT_PUNCTUATION:
        return base
    return " "


class _FoldTable(dict[int, str]):
    """A str.translate table that folds each character once and remembers common ones."""

    def __missing__(self, code: int) -> str:
        folded = _fold_char(chr(code))
        if code < _FOLD_CACHE_LIMIT:
            self[code] = folded
        return folded


_FOLD_TABLE = _FoldTable()
for _code in range(0x250):  # ASCII and Latin-1/Extended-A/B up front: every message uses them
    _FOLD_TABLE[_code]  # noqa: B018 - fills the cache

# Words, numbers (with a decimal point, comma or apostrophe: "38.5", "38,5", "38'5") and kept punctuation.
# Letters and digits are split ("2mo" -> "2 mo", "101F" -> "101 f") so units read the same either way.
_TOKEN = re.compile(r"[a-z\x00']+|[0-9]+(?:[.,'][0-9]+)?|[.,!?;:°/%]")


def _edits(word: str) -> set[str]:
    """Every string one edit (delete, swap, replace, insert) away from `word`."""
    splits = [(word[:i], word[i:]) for i in range(len(word) + 1)]
    deletes = {a + b[1:] for a, b in splits if b}
    swaps = {a + b[1] + b[0] + b[2:] for a, b in splits if len(b) > 1}
    replaces = {a + c + b[1:] for a, b in splits if b for c in ascii_lowercase}
    inserts = {a + c + b for a, b in splits for c in ascii_lowercase}
    return deletes | swaps | replaces | inserts


# Key words long enough that any one-letter slip still means them ("seizre", "siezure", "breating",
# "lethargik", "vomitting", "convulcion"). Shorter key words get their common misspellings listed by hand.
_FUZZY_WORDS = (
    "seizure", "seizures", "convulsion", "convulsions", "convulsing", "convulsiona", "convulsiones",
    "breathing", "breathe", "lethargic", "letargico", "letargica", "vomiting", "vomited", "vomitando",
    "unresponsive", "listless", "projectile", "temperature", "temperatura", "fahrenheit", "celsius",
    "calentura", "dificultad", "respirar", "respirando", "inconsciente", "desmayado", "desmayada",
    "decaido", "decaida", "throwing", "floppy", "refusing", "responding", "feverish",
)  # fmt: skip
_MISSPELLINGS = {
    "fever": ("feaver", "fevr", "fver", "fevar", "fevor", "feever", "fevah", "feber", "fevere", "feve"),
    "fiebre": ("fiebe", "fievre", "fiebr", "fibre", "fibere", "fiefre", "fiebte"),
    "seizure": ("seizer", "seisure", "ceizure", "seazure", "sezuire", "seziure", "siezer", "seizur"),
    "vomit": ("vomet", "vommit", "vomt", "bomit"),
    "vomita": ("bomita", "vomitaa"),
    "floppy": ("flopy", "floopy", "flappy"),
    "breathing": ("breething", "breathign", "brething", "breahting"),
    "temp": ("tmp", "tem"),
    "lethargic": ("lethargik", "lathargic", "lethargique", "lethargc"),
    "respira": ("resipra", "respria"),
    "months": ("monthes", "mounths", "monts"),
    "weeks": ("weks", "weeeks"),
}
# Real words one edit from a key word: never "corrected" ("breathed" is not a typo of "breathe").
_REAL_WORDS = frozenset(
    "breathes breathed breather breaths breath sneezure leisure seizures seized seizing "
    "temperatures temperaturas respiras respirar respire respiro respirara vomits vomitar vomitado vomitaba "
    "convulsion convulsions convulsed convulsiono convulsionan convulsionar throwing throwings thrown "
    "floppy sloppy choppy poppy refusing reusing defusing responding corresponding desmayados desmayadas "
    "decaidos decaidas letargicos listless".split()
)


def _pattern_words() -> set[str]:
    """Every whole word spelled out in the pattern tables and the language word lists."""
    sources = [alternative for _kind, _flags, alternatives in _PHRASES for alternative in alternatives]
    sources += [term for terms in (*_TERMS.values(), *_DENY_ONLY_TERMS.values()) for term in terms]
    sources += _FREQUENT_TERMS
    words = {word for source in sources for word in re.findall(r"(?<![a-z\\])[a-z]{5,}(?![a-z\[(?])", source)}
    return words | _ENGLISH_WORDS | _SPANISH_WORDS


def _build_corrections() -> dict[str, str]:
    corrections: dict[str, str] = {}
    ambiguous: set[str] = set()
    known = _REAL_WORDS | _pattern_words()
    for word in _FUZZY_WORDS:
        for variant in _edits(word):
            if variant in known or variant in _FUZZY_WORDS or len(variant) < 5:
                continue
            if corrections.get(variant, word) != word:
                ambiguous.add(variant)
            corrections[variant] = word
    for variant in ambiguous:
        del corrections[variant]
    for word, variants in _MISSPELLINGS.items():
        for variant in variants:
            corrections[variant] = word
    return corrections


@dataclass(frozen=True)
class _Normalized:
    """A message as one lowercase ASCII line of tokens, with a map back to the parent's own text."""

    original: str
    text: str  # tokens joined by single spaces
    starts: tuple[int, ...]  # where each token starts in `text`
    spans: tuple[tuple[int, int], ...]  # where each token came from in `original`

    def evidence(self, start: int, end: int) -> str:
        """The parent's own words behind text[start:end]."""
        first, last = self.source(start, end)
        return self.original[first:last]

    def source(self, start: int, end: int) -> tuple[int, int]:
        """Where text[start:end] came from in the parent's own text."""
        first = max(bisect_right(self.starts, start) - 1, 0)
        last = max(bisect_left(self.starts, end) - 1, first)
        return self.spans[first][0], self.spans[last][1]

    def without(self, spans: Iterable[tuple[int, int]]) -> str:
        """The parent's own text with the words behind these spans of `text` blanked out."""
        original = self.original
        for start, end in sorted((self.source(*span) for span in spans), reverse=True):
            original = original[:start] + " " + original[end:]
        return original


def normalize(text: str) -> _Normalized:
    """Fold case, accents, emoji and spacing away, fix misspelled key words, and remember where words were."""
    original = unicodedata.normalize("NFC", text)
    folded = original.translate(_FOLD_TABLE)
    words: list[str] = []
    starts: list[int] = []
    spans: list[tuple[int, int]] = []
    position = 0
    for match in _TOKEN.finditer(folded):
        token = match.group()
        if not token[0].isdigit():
            # Apostrophes go ("won't" -> "wont"), as most SMS already writes them.
            token = token.replace(_GLUE, "").replace("'", "")
            if not token:
                continue
            token = _CORRECTIONS.get(token, token)
        words.append(token)
        starts.append(position)
        spans.append(match.span())
        position += len(token) + 1
    return _Normalized(original, " ".join(words), tuple(starts), tuple(spans))


# --- Pattern tables ------------------------------------------------------------------------------------
# Patterns match the normalized text: lowercase ASCII, no accents, no apostrophes, one space between
# tokens. A gap is up to a few ordinary words; it never crosses punctuation or an already-read phrase.


def _any(*alternatives: str) -> str:
    """A non-capturing alternation of regex fragments."""
    return "(?:" + "|".join(alternatives) + ")"


def _gap(most: int) -> str:
    """Up to `most` words, as few as possible."""
    return r"(?:[a-z0-9]+ ){0,%d}?" % most  # noqa: UP031 - braces would clash with the regex's own


# A blank stare (read with shaking nearby as a possible seizure, in the seizure patterns).
_STARE = _any(
    r"(?:stares?|stared|staring) (?:blankly|off|into space|into nothing|at nothing|vacantly|through (?:me|us))",
    r"(?:blank|vacant|empty|glassy) (?:stare|staring|look|eyes)", r"glassy eyed", r"glazed (?:over|eyes|look)",
    r"(?:zones|zoned|zoning) out", r"(?:mirada|vista) (?:perdida|fija|ida)",
    r"(?:se (?:le )?)?(?:queda|quedo) (?:como )?(?:mirando fijo|ida|ido|viendo a la nada)",
)


_NUMBER_WORDS = {
    "a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "un": 1, "una": 1, "uno": 1, "dos": 2,
    "tres": 3, "cuatro": 4, "cinco": 5, "seis": 6, "siete": 7, "ocho": 8, "nueve": 9, "diez": 10,
    "once": 11, "doce": 12,
}  # fmt: skip
_NUM = _any(r"\d+(?:[.,]\d+)?", *_NUMBER_WORDS)
_SHE = _any("she", "he", "shes", "hes", "she is", "he is", "it", "baby", "bby", "the baby", "my baby")
_HER = _any("her", "him", "them", "it", "the baby", "baby", "bby", "my baby", "my son", "my daughter")
_HOLD = _any(
    "hold", "holds", "holding", "held", "hold on to", "press", "pressing", "pressed", "touch", "touching",
    "grab", "grabbing", "restrain", "restraining", "put my hand on", "put pressure on", "keep", "keeping",
    "try to hold", "try to stop", "hold down", "hold still",
)  # fmt: skip
_WHEN_I = r"(?:even )?" + _any("when", "while", "if", "as", "whenever", "once") + r" (?:(?:i|we|you) )?"
_STOPS = _any("stop", "stops", "stopped", "stopping")
_HOLD_ES = _any(
    "sujet", "agarr", "deten", "sosten", "sostien", "tom", "aguant", "apriet", "toc", "abraz",
) + "[a-z]*"  # fmt: skip
_WHEN_ES = _any("aunque", "aun cuando", "cuando", "si", "incluso cuando", "aun si", "mientras") + " "
_CLITIC_ES = r"(?:(?:yo|le|la|lo|les|se la|se lo|se le) )*"
_BODY = _any(
    "lip", "lips", "face", "skin", "mouth", "tongue", "finger", "fingers", "toes", "hands", "feet", "nails",
    "body", "cheeks", "chest", "colour", "color",
)  # fmt: skip
_DUSKY = _any(
    "blue", "bluish", "blueish", "grey", "gray", "greyish", "grayish", "purple", "purplish", "dusky", "ashen",
)  # fmt: skip
_DUSKY_ES = _any(r"morad(?:o|a|os|as|it[oa]s?)", r"azul(?:es|ad[oa]s?)?", r"gris(?:es|ace[oa]s?)?")
# Only linking words may sit between a body part and a colour: "lips are turning blue", not "feet on the blue
# mat".
_TURNING = (
    r"(?:(?:are|is|look|looks|looked|looking|seem|seems|went|go|goes|going|turned|turning|turn|turns|got|getting|"
    r"get|a|bit|little|kind|of|kinda|slightly|very|really|all|so|were|was|become|became|have|has|gone|around|the|"
    r"her|his|and|kind|sort|almost|bluey|totally) ){0,4}"
)
_TURNING_ES = (
    r"(?:(?:se|le|pone|puso|ponen|pusieron|esta|estan|estaba|estaban|muy|medio|un|poco|todo|toda|todos|todas|ve|"
    r"ven|veia|quedo|quedaron|como|algo|de|color|bien|tiene|tenia|los|las|sus|mas|medios|poniendo) ){0,4}"
)
_BODY_ES = _any(
    "labios", "labio", "boca", "cara", "carita", "piel", "manos", "pies", "unas", "lengua", "cuerpo",
)  # fmt: skip
_FEED_EN = _any(
    "eat", "eats", "eating", "ate", "eaten", "feed", "feeds", "feeding", "fed", "drink", "drinks", "drinking",
    "drank", "drunk", "nurse", "nurses", "nursing", "nursed", "latch", "latches", "latching", "latched",
    "suck", "sucking", "bf", "breastfeed", "breastfeeding", "breast feed", "breast feeding",
    r"(?:take|takes|taking|took) (?:the |her |his |a |any |their )?"
    + _any("bottle", "bottles", "breast", "boob", "formula", "milk", "feeds", "feed"),
)  # fmt: skip
_SHAKE = _any(
    r"shak[a-z]*", r"trembl[a-z]*", r"tremor[a-z]*", r"twitch[a-z]*", r"jerk[a-z]*", r"quiver[a-z]*",
    r"jitter[a-z]*", r"happen[a-z]*", "does it", "do it", "doing it", "does that", r"tiembl[a-z]*",
    r"temblor[a-z]*", r"sacud[a-z]*", r"brinc[a-z]*", "pasa", "ocurre", r"movimiento[a-z]*", "le da",
)  # fmt: skip
_OFTEN = _any(
    "often", "a lot", "lots", "frequently", "frequent", "so much", "very much", "many times",
    "multiple times", "several times",
    r"(?:\d+|two|three|four|five|many|several|lots of) times (?:a|per|every|each) (?:day|hour)",
    "every day", "everyday", "daily", "all the time", "constantly", "always", "regularly", "still",
    "mucho", "muy seguido", "seguido", "a menudo", "frecuentemente", "con frecuencia", "muchas veces",
    "varias veces", "todos los dias", "diario", "a diario", "siempre", "todo el tiempo", "todavia", "aun",
)  # fmt: skip
_NEG_AUX = _any(
    "not", "isnt", "wasnt", "arent", "werent", "doesnt", "does not", "didnt", "did not", "dont", "do not",
    "hasnt", "has not", "havent", "have not", "wont", "will not", "wouldnt", "cant", "cannot", "can not",
    "couldnt", "could not", "never", "unable to",
)  # fmt: skip

# Phrases read whole before any generic rule. Each row: (kind, flags, alternatives). Kinds: "find" a red
# flag, "deny" one or more flags, "ignore" an idiom that only looks like a symptom. Where two rows could
# start at the same word, the earlier row wins, so specific denials sit above broad findings.
_PHRASES: tuple[tuple[str, tuple[str, ...], tuple[str, ...]], ...] = (
    # Idioms that are not symptoms.
    ("ignore", (), (
        r"(?:throw|throws|throwing|threw|thrown|pitch|pitching|pitched) (?:a |such a |another )?"
        r"(?:hissy |little |big |huge )?fits?",
        r"fit and (?:healthy|well)", r"fits (?:in|into|her|him|fine|well)",
        r"ataques? de (?:tos|risa|nervios|panico|ansiedad|llanto|colera|hipo|berrinche)",
        r"(?:wont|will not|doesnt|does not|dont|cant|not|never) stop (?:crying|screaming|fussing|wiggling)",
        r"(?:keeps|kept|been) (?:crying|screaming) (?:for|all)",
        r"no (?:para|deja) de llorar", r"thanks? (?:you )?(?:a lot|so much)", r"muchas gracias",
        r"(?:not|isnt|doesnt|dont) (?:eat|eating|eats|on) (?:solids?|solid foods?|cereal|baby food|purees?)",
        r"hold(?:s|ing)? (?:her|his) breath",
        # Hot weather or a hot bottle is not a hot baby.
        r"(?:room|house|weather|outside|car|bath|water|bottle|milk|formula|apartment|in here|day|nursery) "
        r"(?:is |was |s |feels |felt |gets )?(?:very |really |so |super |too |a bit |pretty )?(?:hot|warm)",
        r"(?:hace|esta haciendo) (?:mucho |muchisimo )?calor",
        # A birth date is an age, not how long the shaking has lasted.
        r"(?:nacio|born) (?:hace )?" + _NUM + r" (?:dias|semanas|days|weeks)(?: ago)?",
    )),
    # Seizures: whole-body or four-limb jerking, eyes rolling, stiffening with jerks.
    ("find", ("seizure",), (
        _any("arms and legs", "legs and arms", "arm and leg", "leg and arm") + " " + _gap(3)
        + r"(?:jerk|shak|twitch|trembl|mov|go|flail|thrash)[a-z]* " + _gap(1)
        + _any("together", "at the same time", "at once", "simultaneously", "all at once"),
        r"(?:jerk|shak|twitch|trembl)[a-z]* " + _gap(3)
        + _any("arms and legs", "legs and arms") + " " + _gap(1)
        + _any("together", "at the same time", "at once", "simultaneously"),
        _any("arms and legs", "legs and arms", "both arms and legs", "arms and both legs")
        + r" (?:are |were |keep |started )?(?:jerking|jerk|jerked|thrashing|flailing|convulsing)",
        r"(?:jerking|thrashing|convulsing) (?:all |both )?(?:her |his |the )?(?:arms and legs|legs and arms)",
        r"(?:whole|entire) body (?:is |was |keeps |started |starts )?"
        + _any(r"jerk[a-z]*", r"shak[a-z]*", r"convuls[a-z]*", r"stiff[a-z]*", r"twitch[a-z]*"),
        r"(?:jerk|shak|twitch|trembl)[a-z]* (?:[a-z]+ ){0,2}(?:her |his |the )?(?:whole|entire) body",
        r"eyes? " + _gap(3) + r"(?:roll|rolls|rolled|rolling|rolls back|turn(?:ed|ing)? up)",
        r"rolling (?:her |his |the )?eyes", r"(?:eyes|gaze) (?:fixed|stuck) (?:up|to one side)",
        # Rhythmic jerking is how seizures are described: the safer reading (a clinician's call).
        r"rhythmic(?:al)?(?:ly)? " + _gap(2) + r"(?:jerk|shak|twitch|jolt)[a-z]*",
        r"(?:jerk|shak|twitch|jolt)[a-z]* " + _gap(2) + r"rhythmic(?:al)?(?:ly)?",
        r"(?:sacudidas|movimientos|temblores) ritmic[oa]s", r"(?:tiembla|se sacude) (?:de forma )?ritmic[a-z]*",
        # A blank stare with twitching or shaking may be a seizure: the safer reading (a clinician's call).
        # Across a comma too: "staring into space, legs trembling".
        _STARE + r" (?:(?:[a-z0-9]+|,) ){0,8}?(?:jerk|shak|twitch|trembl|jitter|tiembl|sacud|brinc)[a-z]*",
        r"(?:jerk|shak|twitch|trembl|jitter|tiembl|sacud|brinc)[a-z]* (?:(?:[a-z0-9]+|,) ){0,8}?" + _STARE,
        _any(r"rigid", r"stiff[a-z]*") + " " + _gap(4) + _any(r"jerk[a-z]*", r"convuls[a-z]*"),
        r"(?:jerk|convuls)[a-z]* " + _gap(4) + _any("rigid", r"stiff[a-z]*"),
        r"(?:goes|went|going|gone) (?:all |completely |really )?(?:stiff|rigid)",
        r"brazos y piernas " + _gap(4)
        + _any("a la vez", "al mismo tiempo", "juntos", "juntas", "a un tiempo"),
        r"(?:tiembl|sacud|mueve|mov|brinc)[a-z]* " + _gap(3) + r"(?:los )?brazos y (?:las )?piernas "
        + _gap(2) + _any("a la vez", "al mismo tiempo", "juntos"),
        r"(?:se (?:le )?)?sacude[a-z]* " + _gap(2) + r"(?:todo el cuerpo|brazos y piernas)",
        r"todo (?:el )?(?:su )?cuerpo (?:se )?(?:le )?"
        + _any(r"tiembl[a-z]*", r"sacud[a-z]*", r"convuls[a-z]*", r"pone rigid[oa]", r"pone ties[oa]"),
        r"(?:pone|puso|pusieron|voltea|voltean|volteo|van|iban|fueron) " + _gap(2) + r"(?:los )?ojos "
        + _gap(1) + _any("en blanco", "para arriba", "hacia arriba", "para atras", "volteados"),
        r"ojos (?:en blanco|volteados|para arriba|hacia arriba)",
        r"se (?:le )?(?:pone|puso|queda|quedo|ponia) (?:todo |toda |muy )?(?:rigid|ties)[oa]",
        r"(?:rigid|ties)[oa] y (?:tiembl|sacud|convuls|brinc)[a-z]*",
    )),
    # Breathing: the negation is the symptom. Denials that start with the same words come first.
    ("deny", ("breathing",), (
        r"(?:no|not|without|any|zero) (?:any )?(?:breathing|breath) "
        r"(?:problems?|issues?|trouble|difficult[a-z]*|concerns?)",
        r"(?:no|not) (?:breathing|breathe) "
        + _any("fast", "rapidly", "quickly", "hard", "heavily", "heavy", "weird", "funny", "strange",
               "strangely", "noisily"),
        r"(?:not|isnt|doesnt|dont) " + _gap(2) + r"(?:struggl|labou?r)[a-z]* " + _gap(1)
        + r"(?:to )?breath[a-z]*",
    )),
    ("deny", ("breathing",), (
        _any("breathing", "breathes", "breathing is", "breathing seems", "her breathing", "his breathing",
             "respira", "respira muy")
        + " " + _any("fine", "ok", "okay", "normal", "normally", "well", "good", "bien", "tranquil[oa]",
                     "easily", "comfortably"),
    )),
    ("find", ("breathing",), (
        _any("no", "not", "isnt", "wasnt", "arent", "stopped", "stops", "stop", "quit", "quits", "cant",
             "cannot", "can not", "couldnt", "could not", "doesnt", "does not", "didnt", "dont", "hasnt",
             "never", "unable to", "not able to")
        + " " + r"(?:(?:seem|seems|seemed|to|be|been|really|properly|look|looks|like|she|he|shes|hes|is|it|"
        r"able|even|actually|start|started|catch|get|getting|her|his) ){0,3}"
        + r"breath(?:e|ing|es|ed)?",
        r"(?:breathing|breath) (?:has |had |just )?(?:stopped|stops|paused|pauses)",
        r"no (?:esta |estaba )?respir(?:a|ando|aba|o)\b", r"(?:dejo|deja|dejaba) de respirar",
        r"no (?:puede|podia|pudo) respirar",
        r"se (?:le )?(?:para|paro|detiene|detuvo|corta|corto) la respiracion",
        r"sin respirar", r"no le (?:entra|llega) (?:el )?aire",
    )),
    # Unresponsive: the negation is the symptom. Not waking for feeds is drowsiness, read as lethargy.
    ("find", ("lethargy", "poor_feeding"), (
        _NEG_AUX + r" (?:wake|waking|woken|wakes|waken) (?:up )?(?:for|to) (?:her |his |the |a )?"
        + _any("feeds", "feed", "feeding", "feedings", "eat", "bottle", "bottles", "nurse", "milk"),
    )),
    ("find", ("unresponsive",), (
        # "I can't wake her" is the emergency; "the shaking doesn't wake her" and "doesn't wake up at night"
        # are ordinary sleep, so a woken object or a night-time phrase after "wake" is not this flag.
        _any("cant", "cannot", "can not", "couldnt", "could not", "unable to", "not able to", "tried to",
             "try to", "trying to") + r" (?:get |to )?(?:wake|rouse|waken) " + _HER + r"?(?: up)?",
        _any("wont", "will not", "wouldnt", "doesnt", "does not", "didnt", "did not", "isnt", "is not", "not",
             "never", "cant", "cannot", "couldnt")
        + r" (?:(?:seem|seems|to|be|really|fully|properly|even) ){0,2}"
        + _any("wake", "waking", "woken", "wakes", "waken", "rouse", "rousing", "rouses", "respond",
               "responding", "responds", "react", "reacting", "reacts", "responsive")
        + r"(?! (?:her|him|them|the baby|baby|bby|my baby|me)(?![a-z]))"
        + r"(?! (?:up )?(?:at night|during|in the night|overnight|from|through|anymore|to (?:sounds?|noises?|"
        r"(?:her|his) name|my voice)))(?: up)?",
        r"(?:no|zero|not any) (?:response|reaction|responsiveness)",
        r"no (?:se )?despiert[a-z]*", r"no (?:lo |la )?(?:puedo|podemos|logro|pude|puede) despertar[a-z]*",
        r"no (?:me |nos )?(?:responde|respondio|reacciona|reacciono|responda)",
        r"(?:sin|no hay) (?:respuesta|reaccion)",
    )),
    # Lethargy phrased as a negation: "not very active", "no tiene fuerza".
    ("find", ("lethargy",), (
        r"(?:not|isnt|wasnt) (?:very |as |really |her usual |his usual |so |that )?"
        r"(?:active|alert|awake|moving)(?: much| at all| like usual)?",
        r"(?:not|isnt|wasnt) (?:her|his) (?:usual|normal) (?:active|alert)",
        r"(?:cant|wont|doesnt|cannot) (?:stay|keep) awake",
        r"no (?:tiene|tenia|le queda) (?:fuerza|fuerzas|energia|animo)",
        r"no (?:se )?mueve (?:casi )?(?:nada|mucho)?",
    )),
    # Feeding: the negation is the symptom; "not eating well" is read before "eating well" is a denial.
    ("find", ("poor_feeding",), (
        r"(?:stopped|quit) (?:eating|feeding|drinking|nursing|taking (?:the |her |his )?(?:bottle|breast))",
        _any(_NEG_AUX, "refuses to", "refusing to", "refused to", "barely", "hardly", "wont even")
        + r" (?:(?:really|want|wanna|to|been|seem|seems|be|interested|in|even|much|well|properly|able|"
        r"anything|any|seem to|like|have|had) ){0,3}" + _FEED_EN,
        r"no (?:(?:quiere|quiso|quizo|puede|pudo|ha|a|esta|estaba|me|le|se|lo|la|nada|casi|muy|bien|"
        r"le quiere|se quiere|se le) ){0,3}"
        + _any(r"come\b", "comer", "comido", "comiendo", "toma", "tomar", "tomado", "tomando", "mama",
               "mamar", "mamado", "mamando", "pega", "pegar", "pegarse", "agarra el pecho",
               "agarra la mamila", "succiona", "succionar", "traga", "tragar", "chupa"),
        r"no quiere (?:el |la |su )?" + _any("pecho", "biberon", "leche", "mamila", "mamadera", "tetero",
                                              "pacha", "teta", "formula", "comida"),
        r"no (?:tiene )?(?:apetito|hambre)",
    )),
    ("deny", ("poor_feeding",), (
        _any("eating", "feeding", "drinking", "nursing", "eats", "feeds", "drinks", "nurses",
             "takes the bottle", "taking the bottle", "taking her bottle", "taking his bottle", "latching")
        + " " + _any("well", "fine", "good", "ok", "okay", "normally", "normal", "great", "like normal",
                     "as usual", "like usual"),
        _any("come", "toma", "mama", "esta comiendo", "esta tomando", "se pega") + " "
        + _any("bien", "normal", "muy bien", "como siempre"),
    )),
    # Held still: the shaking keeps going when the limb is gently held. Denials ("it stops when I hold it")
    # follow the findings so "doesn't stop when I hold it" is read whole first.
    ("find", ("not_stopping_when_held",), (
        _any("doesnt", "does not", "wont", "will not", "didnt", "did not", "not", "never", "dont", "do not")
        + " " + _STOPS + " " + _gap(3) + _WHEN_I + r"(?:gently |try to |tried to |try and )?" + _HOLD,
        _any("keeps", "keep", "kept", "still", "continues", "continue", "continued", "carries on", "goes on")
        + " " + _gap(3) + _WHEN_I + r"(?:gently |try to |tried to |try and )?" + _HOLD,
        _WHEN_I + r"(?:gently )?" + _HOLD + " " + _gap(4)
        + _any("still", "keeps", "keep", "continues", "doesnt stop", "does not stop", "wont stop",
               "dont stop", "didnt stop", "carries on", "goes on", "not stopping"),
        _any("holding", "pressing", "touching") + " " + _gap(3)
        + _any("doesnt", "does not", "dont", "didnt", "wont") + " " + _any("stop", "help", "make it stop"),
        r"(?:can|could) (?:still )?feel " + _gap(3)
        + r"(?:shak|jerk|twitch|trembl)[a-z]* (?:in|under|against) my (?:hand|hands|fingers)",
        r"no (?:se )?(?:le )?"
        + _any("para", "paran", "detiene", "detienen", "quita", "calma", "deja de temblar", "deja de moverse")
        + " " + _gap(3) + _WHEN_ES + _CLITIC_ES + _HOLD_ES,
        _any("sigue", "siguen", "continua", "continuan", "seguia") + " " + _gap(2) + _WHEN_ES + _CLITIC_ES
        + _HOLD_ES,
        _WHEN_ES + _CLITIC_ES + _HOLD_ES + " " + _gap(4)
        + _any("sigue", "siguen", "continua", "no se para", "no para", "no se detiene", "no se le quita",
               "no se quita", "no se calma"),
        r"ni (?:(?:aunque|cuando|si) )?" + _CLITIC_ES + _HOLD_ES + " " + _gap(3)
        + r"(?:se )?(?:le )?(?:para|detiene|quita|calma)",
    )),
    ("deny", ("not_stopping_when_held",), (
        r"(?:it |they |the shaking |the trembling |she |he )?"
        + _any("stops", "stop", "stopped", "settles", "goes away", "calms down", "calms", "eases")
        + " " + _gap(2) + _any("when", "if", "once", "as soon as", "whenever") + r" (?:(?:i|we|you) )?"
        + r"(?:gently )?" + _HOLD,
        _any("holding", "when i hold", "if i hold") + " " + _gap(3)
        + _any("stops it", "stops", "makes it stop", "calms it", "settles it"),
        r"(?:se )?(?:le )?" + _any("para", "paran", "detiene", "quita", "calma", "calman", "pasa") + " "
        + _gap(2) + _any("cuando", "si", "en cuanto", "al") + " " + _CLITIC_ES + _HOLD_ES,
    )),
    # Persistent: "won't stop", "no para". Short episodes are a denial.
    ("find", ("persistent",), (
        _any("wont", "will not", "doesnt", "does not", "didnt", "did not", "dont", "do not", "not", "never",
             "cant", "cannot", "isnt")
        + r" (?:(?:seem|seems|to|really|ever|just|going to) ){0,2}"
        + _any("stop", "stopping", "stops", "settle", "settling", "calm down", "go away", "going away", "end",
               "ending", "quit", "let up", "ease up")
        + r"(?! (?:crying|screaming|fussing|worrying|thinking|watching|looking|smiling|laughing|eating|"
        r"feeding))",
        r"no (?:se )?(?:le )?"
        + _any("para", "paran", "detiene", "detienen", "quita", "deja de temblar", "deja de moverse",
               "deja de sacudirse")
        + r"(?! de llorar)\b",
        r"no (?:ha )?(?:parado|dejado de temblar)",
    )),
    ("deny", ("persistent",), (
        r"(?:only |just )?(?:lasts?|lasting|for|takes) (?:only |just |about |like )?(?:a |an )?"
        + _any("few", "couple", "couple of", "1", "2", "3", "4", "5", "one", "two", "three", "several")
        + r" (?:seconds?|secs?|moments?)",
        _any("stops", "goes away", "settles", "passes", "ends")
        + " " + _any("on its own", "by itself", "quickly", "right away", "straight away", "fast",
                     r"after (?:a |about )?(?:few |couple )?(?:seconds?|moments?)", r"in (?:a )?few seconds"),
        r"(?:dura|duran|duro) (?:solo |unos |pocos |un par de |como )*segundos",
        r"(?:solo|nada mas) (?:unos |un par de |pocos )*segundos",
        r"se (?:le )?(?:quita|pasa) (?:sol[oa]|rapido|enseguida|luego luego)", r"va y viene",
        "comes and goes",
    )),
    # Colour: "pale and limp" is read as one emergency sign, before "limp" alone (lethargy).
    ("find", ("colour",), (
        _any("pale", "white", "grey", "gray", "pasty") + " and " + _any("limp", "floppy", "lifeless"),
        _any(r"palid[oa]", r"blanc[oa]") + " y " + _any(r"floj(?:it)?[oa]", "sin fuerza", r"aguad(?:it)?[oa]",
                                                        r"inconsciente", r"desmayad[oa]"),
    )),
    ("deny", ("colour",), (
        r"(?:lips|colou?r|skin|face) (?:is |are |look |looks |seem |seems )?(?:nice and )?"
        r"(?:pink|normal|fine|good|ok|okay)",
        r"(?:good|normal|pink) (?:colou?r|lips)",
        r"(?:labios|color|piel|carita) (?:esta |estan |se ve |se ven )?"
        r"(?:rosad[oa]s?|rosit[oa]s?|normal(?:es)?|bien)",
    )),
    # Fever stated as normal: a temperature number, if any, still decides.
    ("deny", ("fever",), (
        r"(?:fever free|afebrile|fever has gone|fever went away|fever is gone|fevers? gone)",
        r"(?:normal|fine|ok|okay|good) (?:temp|temperature)",
        r"(?:temp|temperature) (?:is |was |has been |seems |looks |reads )?(?:normal|fine|ok|okay|good)",
        r"temperatura (?:esta |es )?(?:normal|bien)", r"(?:sin|no hay) temperatura",
    )),
    # "Both legs" is the opposite of one-sided.
    ("deny", ("one_side",), (
        r"both (?:of (?:her |his |the )?)?(?:legs|sides|feet)", r"(?:ambas|las dos|las 2) piernas",
        r"(?:ambos|los dos|los 2) lados", r"(?:ambas|las dos) piernitas",
    )),
    ("deny", ("unresponsive", "lethargy"), (
        r"(?:wakes|wakes up|waking|woke up|wake up) (?:easily|fine|normally|ok|okay|no problem)",
        r"(?:alert|awake) and (?:active|happy|playful|responsive|smiling|alert)",
        r"(?:despierta|se despierta) (?:bien|normal|facil|facilmente)",
    )),
)  # fmt: skip

# Symptom terms: a finding when read on their own, a denial after a negation word. Spanish and English
# share one table per flag; accents are already gone.
_TERMS: dict[str, tuple[str, ...]] = {
    "seizure": (
        r"seizures?", "seizing", "seized", "seizure like", r"convuls[a-z]*",
        r"(?:having|had|has|have|another|like a|kind of a?|sort of a?|a) fits?",
        r"(?:is|was|keeps|started|been) fitting",
        r"epilep[a-z]*", r"ataques?", "crisis convulsiva", r"espasmos? epilept[a-z]*", "tonic clonic",
    ),
    "breathing": (
        r"(?:trouble|difficulty|difficult|problems?|issues?|hard time|struggling|struggles|struggled) "
        r"(?:with )?(?:breathing|breath|to breathe|to breath|for breath|for air)",
        r"(?:hard|difficult) to (?:breathe|breath)", r"labou?red (?:breathing|breaths?)",
        r"(?:breathing|breath|breaths|breathes) (?:is |are |seems |looks |sounds |very |so |really |really )*"
        + _any("hard", "labou?red", "difficult", "weird", "funny", "strange", "fast", "rapid", "shallow",
               "wheezy", "grunting", "struggling", "irregular"),
        r"(?:fast|rapid|shallow|weird|funny|strange|noisy|grunting) (?:breathing|breaths)",
        r"gasp[a-z]*", r"chok[a-z]*", "grunting", r"apn(?:o)?ea", r"pauses? in (?:her |his )?breathing",
        r"short(?:ness)? of breath", "out of breath",
        r"(?:ribs?|chest) (?:are |is )?(?:sucking|pulling|caving) in",
        r"(?:le )?cuesta (?:mucho )?respirar", r"dificultad (?:para|al) respirar",
        r"respira " + _any("con dificultad", "raro", "muy rapido", "rapido", "feo", "mal", "con trabajo",
                           "con esfuerzo", "entrecortado"),
        r"se (?:esta |le )?ahog[a-z]*", r"ahogando(?:se)?", r"jade[a-z]*", r"(?:le )?falta (?:el )?aire",
        r"se queda sin aire", r"sin aire", r"hunde (?:las )?costillas",
    ),
    "colour": (
        _BODY + r" " + _TURNING + _DUSKY,
        _DUSKY + r" " + r"(?:around (?:the |her |his )?)?" + _any("lip", "lips", "face", "skin", "mouth",
                                                                  "tongue", "fingers", "toes"),
        _any("turn", "turns", "turned", "turning", "going", "goes", "went", "gone", "got", "getting",
             "become", "became", "becoming", "shes", "hes", "she is", "he is", "she looks", "he looks",
             "looks", "looking", "baby is", "bby is", "baby looks")
        + r" (?:a (?:bit|little) |kind of |kinda |slightly |really |very |all |so )?" + _DUSKY,
        r"cyano[a-z]*",
        r"(?:se (?:le )?)?(?:pone|puso|esta poniendo|ve|veia|vuelve|volvio|quedo|ponia) (?:todo |toda |muy |"
        r"medio |un poco )?" + _DUSKY_ES,
        r"esta (?:muy |todo |toda |un poco |medio )?" + _DUSKY_ES,
        _BODY_ES + r" " + _TURNING_ES + _DUSKY_ES,
        r"(?:mas |muy )?" + _DUSKY_ES + " "
        + _any("los labios", "la boca", "la cara", "la piel", "alrededor"),
    ),
    "unresponsive": (
        "unresponsive", "unconscious", "passed out", "fainted", "lifeless", "blacked out", "out cold",
        r"inconsciente", r"desmayad[oa]", r"se desmay[a-z]*", r"perdio el conocimiento",
    ),
    "fever": (
        r"fevers?", "feverish", "febrile", "high temp", "high temperature",
        r"(?:has|had|have|running|ran|got) (?:a |an )?(?:high |slight |little )?(?:temp|temperature)",
        r"(?:temp|temperature) (?:is |was |seems )?(?:high|up|elevated|spiking|spiked)",
        r"(?:feels|feel|felt|feeling|shes|hes|she is|he is|seems|running) "
        r"(?:very |really |so |a bit |a little |kind of |kinda |super |quite )?(?:hot|warm)"
        r"(?! in here| outside| in the room| weather)",
        "burning up",
        r"(?:very|really|so|super|too) (?:hot|warm)(?! in here| outside| in the room| weather| today)",
        r"(?:hot|warm) to (?:the )?touch", r"(?:forehead|head|skin|body|chest|back|neck|baby|bby) "
        r"(?:is |feels |felt )?(?:very |really |so )?(?:hot|warm)",
        r"fiebres?", "febril", r"calenturas?", r"(?:esta|estaba|se siente|la siento|lo siento|sentia|siento) "
        r"(?:muy |bien |algo |un poco |como )?calient[a-z]*", r"temperatura (?:alta|elevada)",
        r"(?:tiene|tenia|con|le subio la|le dio) (?:algo de |un poco de )?temperatura", r"destemplad[oa]",
        r"(?:esta|estaba) ardiendo", r"arde en fiebre",
    ),
    "lethargy": (
        r"lethargic", r"lethargy", r"letargic[oa]", "floppy", "limp", "listless", "sluggish", "weak",
        "out of it", "no energy", "droopy",
        r"(?:very|so|really|extremely|too|super|unusually|abnormally|overly|excessively|way too|crazy) "
        r"(?:sleepy|drowsy)",
        r"(?:hard|difficult|impossible) to (?:wake|rouse)(?: up)?", r"barely (?:wakes|waking|awake|opens)",
        r"keeps? falling (?:back )?asleep", r"sleeping (?:a lot )?more than usual",
        r"(?:sleeping|sleeps) all day",
        r"decaid[oa]", r"decaidit[oa]", r"muy dormid[oa]", r"(?:muy )?somnolient[oa]", r"sin fuerzas?",
        r"floj(?:it)?[oa]", r"aguad(?:it)?[oa]", r"debil(?:ito|ita)?", r"apagad(?:it)?[oa]", r"sin energia",
        r"sin animo",
        r"(?:le )?cuesta (?:mucho )?despertar(?:se|l[oa])?", r"dificil de despertar",
        r"duerme (?:mucho|demasiado|todo el dia|mas de lo normal)",
    ),
    "vomiting": (
        r"vomit[a-z]*", r"throw(?:ing|s)? up", "threw up", "thrown up", r"puk(?:e|es|ed|ing)", "projectile",
        r"vomito[a-z]*", r"vomita[a-z]*", r"vomitando", r"devuelve todo", r"devolvio todo", r"guacare[a-z]*",
        r"(?:arroja|echa|saca) todo (?:lo que come|la leche)?",
    ),
    "poor_feeding": (
        r"refus(?:es|ing|ed|e) (?:to (?:eat|feed|drink|nurse|take)|(?:the |her |his |a |any |all |every )?"
        r"(?:bottle|bottles|breast|boob|feeds?|feeding|milk|formula|food))",
        "poor feeding", "feeding poorly", "eating poorly", "poor appetite", "no appetite",
        r"off (?:her|his) (?:food|feeds|feeding|milk|bottle|bottles)",
        r"lost (?:her|his) appetite", r"(?:trouble|problems?|difficulty) (?:feeding|eating|nursing|latching)",
        r"not interested in (?:eating|feeding|food|milk|the bottle|feeds|nursing)",
        r"(?:eating|feeding|drinking|eats|drinks) (?:very |a lot |much |way )?(?:less|little)",
        r"rechaza (?:el |la |los )?"
        + _any("pecho", "biberon", "leche", "comida", "mamila", "formula", "tetero", "mamadera", "teta"),
        r"casi no come", r"come (?:muy )?poco", r"sin comer", r"dejo de comer", r"no (?:ha|a) comido",
        r"no quiere comer",
    ),
    "one_side": (
        r"(?:only|just|solely) (?:in |on |the |his |her |one |1 )*(?:left|right|one|1) (?:leg|side|foot)",
        r"(?:only|just) on the (?:left|right)", r"(?:left|right|one) (?:leg|side|foot) only",
        "one sided", "on one side", "one side", r"one of (?:her|his|the) legs", "one leg", "unilateral",
        r"asymmetric[a-z]*", r"(?:only|just) (?:her|his|the) (?:left|right)",
        r"(?:solo|solamente|nada mas|nomas) (?:en |de )?(?:una|1|la|un|el) (?:sola )?"
        r"(?:pierna|lado|piernita|pie)",
        r"(?:una|1) sola pierna", r"un solo lado", r"de un (?:solo )?lado", r"(?:solo|nada mas) (?:la )?"
        r"(?:pierna )?(?:izquierda|derecha)", r"solo del lado (?:izquierdo|derecho)", r"una pierna",
        r"una piernita", r"pierna (?:izquierda|derecha) (?:nomas|nada mas|solamente|solo)",
    ),
    "persistent": (
        "constant", "constantly", "all the time", r"all (?:day|night)(?: long)?", "nonstop", "non stop",
        r"continuous(?:ly)?", "keeps going", r"for (?:hours|days|weeks)", "hours now",
        r"(?:for|lasted|lasting|lasts|last|been|going on|over|since) (?:the (?:last|past) )?"
        r"(?:about |almost |over |like |nearly |more than |just |only )?"
        r"(?:a few|few|several|many|a couple of|a couple|couple|an|" + _NUM
        + r") (?:hours?|hrs?|days?|weeks?|wks?)",
        r"(?:the )?(?:last|past) (?:hour|day|\d+ hours?|\d+ hrs?|few hours|several hours)",
        r"since (?:yesterday|this morning|last night|this afternoon)",
        r"todo el (?:tiempo|dia|rato)", r"toda la (?:noche|tarde|manana)", r"constante(?:mente)?",
        "sin parar",
        r"continuamente", r"continu[oa]", r"(?:por|durante) horas", r"horas (?:y horas|seguidas)",
        r"dias seguidos",
        r"(?:desde hace|hace|por|durante|lleva|llevamos|ya van|ya son) (?:mas de |casi |como |unas |unos )?"
        r"(?:varias|varios|muchas|muchos|un par de|" + _NUM + r") (?:horas|dias|semanas)",
        r"desde (?:ayer|anoche|la manana|en la manana|hoy)",
    ),
    "weight_bearing": (
        r"(?:when|while|whenever|if|once|only when) (?:" + _SHE + r" )?(?:is |s )?"
        r"(?:tries to |tried to |trying to |try to |starts? to )?"
        + _any("stand", "stands", "standing", "stood", r"bear(?:s|ing)? weight", r"put(?:s|ting)? weight",
               "stand up", "stands up"),
        r"(?:when|while|whenever|if|once) (?:i|we|you) (?:try to |tried to )?"
        r"(?:stand|put|hold|set|get|place) " + _HER + r" "
        + _any("up", r"on (?:her|his|their) (?:feet|legs)", "upright", "standing", "on the floor",
               "to stand"),
        r"bear(?:s|ing)? (?:any |some |her |his )?weight", "weight bearing", r"put(?:s|ting)? weight on",
        r"(?:only|just) (?:when )?standing", r"trying to stand",
        r"cuando se (?:para|paran|pone de pie|pone parad[oa]|levanta)",
        r"(?:cuando|si|al) (?:lo|la) (?:pongo|ponemos|pone|levanto|levantamos) "
        r"(?:de pie|parad[oa]|paradit[oa]|en pie|sobre sus pies)",
        r"(?:cuando|si|al) (?:lo|la) (?:paro|paramos|paran)",
        r"al (?:pararse|ponerse de pie|ponerl[oa] de pie|pararl[oa])",
        r"(?:intenta|trata de|quiere) (?:pararse|ponerse de pie)", "de pie", r"apoya[a-z]* (?:el |su )?peso",
        r"(?:esta|estar) parad[oa]",
    ),
    "more_frequent": (
        r"(?:getting|gets|got|gotten|becoming|became) worse",
        r"worse than (?:before|yesterday|last week|usual)",
        r"(?:getting|becoming|more and) more (?:often|frequent|intense|violent|strong|common)",
        r"more (?:and more )?(?:often|frequent(?:ly)?)", r"happen(?:ing|s)? more", "longer episodes",
        r"episodes (?:are )?(?:getting |lasting )?longer", r"last(?:ing|s)? longer", "increasing",
        "worsening",
        r"cada vez (?:mas|peor)", r"mas " + _any("seguido", "seguida", "frecuente", "frecuentes", "a menudo",
                                                 "largo", "larga", "largos", "largas", "fuerte", "fuertes"),
        r"dura(?:n)? mas", r"empeor[a-z]*", r"(?:esta|va a|va) peor", r"peor que (?:antes|ayer)", "mas veces",
    ),
}  # fmt: skip
# Frequency is read in a pass of its own: its phrases overlap other flags' words ("shaking all the time"
# is persistent too), and one pass never lets two matches share a word.
_FREQUENT_TERMS = (_SHAKE + " " + _gap(4) + _OFTEN, _OFTEN + " " + _gap(3) + _SHAKE)

# Extra words that only count after a negation ("not hot", "no temp", "no blue lips", "no peor").
_DENY_ONLY_TERMS: dict[str, tuple[str, ...]] = {
    "fever": (r"hot", r"warm", r"temp", r"temperature", r"calient[a-z]*", r"temperatura", "a fever"),
    "colour": (_DUSKY, r"pale", _DUSKY_ES, r"palid[oa]"),
    "lethargy": (r"sleepy", r"drowsy", r"somnolient[oa]"),
    "more_frequent": (r"worse", r"peor", r"more often", r"more frequent"),
    "one_side": (r"just one", r"only one", r"solo una", r"solo un lado"),
    "vomiting": (r"sick",),
}

# Words that open a negation. "won't" and "can't" are left out: with a symptom they usually state it
# ("won't stop", "can't breathe"), and those phrases are read whole above.
_CUE = _any(
    "no", "not", "nt", "isnt", "arent", "wasnt", "werent", "doesnt", "does not", "dont", "do not", "didnt",
    "did not", "hasnt", "has not", "havent", "have not", "hadnt", "never", "without", "w / o", "none",
    "nor", "neither", "denies", "free of", "sin", "nunca", "tampoco", "ni", "nada de", "ningun", "ninguna",
    "ninguno",
)  # fmt: skip
# Words a negation's scope never crosses: a turn ("but", "pero"), a new clause ("and", "y"), a new subject
# ("she", "baby"), or doubt ("not sure if", "no sé si"), which is no denial at all.
_SCOPE_ENDS = _any(
    "but", "pero", "and", "y", "e", "though", "although", "however", "aunque", "sino", "except",
    "if", "whether", "si", "sure", "know", "knw", "kno", "think", "creo", "idea", "tell",
    "now", "ahora", "then", "luego", "also", "tambien", "still", "todavia", "only", "just", "yet", "today",
    "hoy", "she", "he", "i", "im", "it", "its", "shes", "hes", "they", "we", "you", "baby", "bby", "ella",
    "el", "yo", "mi", "bebe",
)  # fmt: skip
_SCOPE_GAP = r"(?:(?!" + _SCOPE_ENDS + r" )[a-z0-9]+ ){0,3}?"
_CONTINUATION = _any("or", "nor", "ni", "o", "u") + r"(?: any| signs? of| tampoco)? " + _gap(2)


def _word(pattern: str) -> str:
    """`pattern` only at word boundaries of the normalized text."""
    return r"(?<![a-z0-9])(?:" + pattern + r")(?![a-z0-9])"


def _terms_group(terms: dict[str, tuple[str, ...]]) -> str:
    """One alternation with a named group per flag, so `match.lastgroup` says which flag matched."""
    groups = (f"(?P<{flag}>{_any(*alternatives)})" for flag, alternatives in terms.items())
    return "(?:" + "|".join(groups) + ")"


# After a negation, frequency can be denied too ("doesn't happen often"), and a few more words count.
_DENIABLE_TERMS = {
    flag: alternatives + _DENY_ONLY_TERMS.get(flag, ())
    for flag, alternatives in {**_TERMS, FREQUENT: _FREQUENT_TERMS}.items()
}


# One named group per phrase row ("p0", "p1", ...): `match.lastgroup` finds the row's kind and flags.
_PHRASE_ROWS = {f"p{index}": (kind, flags) for index, (kind, flags, _alternatives) in enumerate(_PHRASES)}
_PHRASE_PATTERN = re.compile(
    "|".join(
        f"(?P<p{index}>{_word(_any(*alternatives))})" for index, (_kind, _flags, alternatives) in enumerate(_PHRASES)
    )
)
_DENIAL_PATTERN = re.compile(_word(_CUE + " " + _SCOPE_GAP + _terms_group(_DENIABLE_TERMS)))
_DENIAL_CONTINUATION = re.compile(r" " + _word(_CONTINUATION + _terms_group(_DENIABLE_TERMS)))
_TERM_PATTERN = re.compile(_word(_terms_group(_TERMS)))
_FREQUENT_PATTERN = re.compile(_word(_any(*_FREQUENT_TERMS)))

_MASK = "\x01"  # overwrites a phrase already read, so no later rule can use its words again


def _masked(text: str, spans: Iterable[tuple[int, int]]) -> str:
    chars = list(text)
    for start, end in spans:
        chars[start:end] = _MASK * (end - start)
    return "".join(chars)


@dataclass(frozen=True)
class _Hit:
    """A flag read at a place in the normalized text."""

    flag: str
    start: int
    end: int


def find_flags(normalized: _Normalized) -> tuple[list[_Hit], list[_Hit]]:
    """Red flags found and flags denied in the words of a message (no numbers, no age rules yet)."""
    text = normalized.text
    found: list[_Hit] = []
    denied: list[_Hit] = []
    read: list[tuple[int, int]] = []

    for match in _PHRASE_PATTERN.finditer(text):
        kind, flags = _PHRASE_ROWS[match.lastgroup or ""]
        target = found if kind == "find" else denied
        target.extend(_Hit(flag, *match.span()) for flag in flags)
        read.append(match.span())
    text = _masked(text, read)

    read = []
    for match in _DENIAL_PATTERN.finditer(text):
        denied.append(_Hit(match.lastgroup or "", *match.span()))
        read.append(match.span())
        end = match.end()
        # "no fever or vomiting", "sin fiebre ni vómito": the negation carries over the list.
        while (more := _DENIAL_CONTINUATION.match(text, end)) is not None:
            denied.append(_Hit(more.lastgroup or "", *more.span()))
            read.append(more.span())
            end = more.end()
    text = _masked(text, read)

    for match in _TERM_PATTERN.finditer(text):
        found.append(_Hit(match.lastgroup or "", *match.span()))
    for match in _FREQUENT_PATTERN.finditer(text):
        found.append(_Hit(FREQUENT, *match.span()))
    return found, denied


# --- Temperatures and ages -----------------------------------------------------------------------------

_TEMPERATURE = re.compile(
    r"(?<![0-9a-z.,/:])(?<!: )(?<!/ )(?P<value>\d{2,3}(?:[.,']\d{1,2})?)"
    r"(?P<degree> ?(?:°|deg|degs|degree|degrees|grado|grados|o)(?![a-z0-9]))?"
    r"(?P<unit> ?(?:c|f|celsius|centigrade|centigrados|centigrado|fahrenheit|farenheit|farenheight)"
    r"(?![a-z0-9]))?"
    r"(?! ?[/:] ?\d)(?![0-9])"
)
# Words after a number that make it something other than a temperature: ages, times, amounts, counts.
_NOT_A_TEMPERATURE_AFTER = re.compile(
    r" (?:days?|d|dys?|weeks?|wks?|wk|w|months?|mos?|mths?|mnths?|m|years?|yrs?|yo|hours?|hrs?|hr|h|"
    r"minutes?|mins?|min|seconds?|secs?|sec|times|x|ml|mls|oz|ounces?|lbs?|pounds?|kg|kgs|kilos?|g|grams?|"
    r"gramos|cm|mm|inches|percent|%|mg|episodes?|episodios|veces|dias|semanas|meses|anos|horas|minutos|"
    r"segundos|libras|onzas|kilos|am|pm|st|nd|rd|th|pages?|dollars|euros|pesos|bucks|calls?|texts?|"
    r"messages?|people|kids|babies|year old|weeks old)(?![a-z0-9])"
)
# Words that name a temperature reading just before it: "temp is", "thermometer says", "temperatura de".
_READING_NAMED_BEFORE = re.compile(
    r"(?:temp|temps|temperature|thermometer|temperatura|termometro)"
    r"(?: (?:is|was|says|said|reads|read|of|at|de|es|only|just|marca|dice))* $"
)
# Before a bare number: the parent's own age, or an address.
_NOT_A_TEMPERATURE_BEFORE = re.compile(r"(?:^|(?<= ))(?:im|i am|age|aged|tengo|room|apt|number|pg) ?$")


def _to_float(value: str) -> float:
    return float(value.replace(",", ".").replace("'", "."))


def extract_temperature(text: str) -> tuple[float, tuple[int, int]] | None:
    """The highest body temperature stated in normalized `text`, in °C (1 decimal), and where it was said.

    A unit decides (°C/°F); without one, 34-43 is Celsius and 93-110 Fahrenheit. Numbers that are ages,
    durations or amounts ("38 days", "for 40 minutes", "100 ml") are not temperatures.
    """
    best: tuple[float, tuple[int, int]] | None = None
    for match in _TEMPERATURE.finditer(text):
        if _NOT_A_TEMPERATURE_AFTER.match(text, match.end()):
            continue
        if not match.group("degree") and not match.group("unit"):
            # Only the last couple of words matter; a bounded window keeps long messages linear.
            if _NOT_A_TEMPERATURE_BEFORE.search(text, max(0, match.start() - 12), match.start()):
                continue
        celsius = _read_temperature(_to_float(match.group("value")), (match.group("unit") or "").strip())
        if celsius is not None and (best is None or celsius > best[0]):
            best = (celsius, match.span())
    return best


def _read_temperature(value: float, unit: str) -> float | None:
    """`value` in °C if it is a plausible body temperature, else None. A nonsensical unit is ignored."""
    if unit == "f" or unit.startswith(("fa", "farenh")):
        celsius = (value - 32) * 5 / 9
    elif unit:
        celsius = value
    else:
        celsius = None
    # "38 F" is a slip for 38 °C, not 3 °C: when the unit gives nonsense, fall back to the number's range.
    if celsius is None or not 33.0 <= celsius <= 44.0:
        if 34.0 <= value <= 43.0:
            celsius = value
        elif 93.0 <= value <= 110.0:
            celsius = (value - 32) * 5 / 9
        else:
            return None
    return round(celsius, 1)


_AGE_UNITS: dict[str, str] = {
    **dict.fromkeys("day days dy dys dia dias".split(), "day"),
    **dict.fromkeys("week weeks wk wks wek weks sem semana semanas".split(), "week"),
    **dict.fromkeys("month months mo mos mth mths mnth mnths mon mes meses".split(), "month"),
    **dict.fromkeys("year years yr yrs yo ano anos".split(), "year"),
}
_ONE_LETTER_UNITS = {"d": "day", "w": "week", "m": "month", "y": "year"}
_AGE = re.compile(
    r"(?<![a-z0-9.,])(?P<number>" + _NUM + r")(?P<half> and a half| y medio| y media| 1 / 2)? ?"
    r"(?P<unit>" + _any(*sorted(_AGE_UNITS, key=len, reverse=True), *_ONE_LETTER_UNITS) + r")(?![a-z0-9])"
    r"(?P<half_after> and a half| y medio| y media)?"
    r"(?P<old> olds?| de nacid[oa]| de edad| de vida| de nacimiento)?(?![a-z0-9])"
)
_NEWBORN = re.compile(
    _word(_any("newborn", "new born", "newborns", "neonate", r"recien nacid[oa]", r"reciennacid[oa]"))
)
# Before a number: words that make "3 days" a duration or a past time, not the baby's age.
_DURATION_BEFORE = frozenset(
    "for since past last over in within every each after been per at hace desde durante por cada en ultimos "
    "ultimas hasta lleva llevamos llevo van son the next once twice almost".split()
)
_HEDGES_BEFORE = frozenset("about like almost nearly around approx roughly more than unos unas casi como".split())
# Before a number: words that make a bare "3 weeks" the baby's age ("she's 3 weeks", "bebé de 3 semanas").
_AGE_CONTEXT_BEFORE = frozenset(
    "my our shes hes she he baby bby babe son daughter girl boy aged age turned turns tiene cumplio cumple "
    "de mi bebe bb nino nina hijo hija nieta nieto grandson granddaughter infant little".split()
)
# "is"/"was" only count after the baby: "she is 3 weeks", not "it is 3 weeks since it started".
_SUBJECTS = frozenset("she he baby bby son daughter girl boy".split())
_AGE_CONTEXT_AFTER = re.compile(
    r" (?:old|olds|baby|bby|babe|girl|boy|son|daughter|infant|bebe|nino|nina|hij[oa]|preemie|twins)(?![a-z])"
)
# After a number: a past time or a duration ("2 weeks ago", "3 days in a row"), unless it says when the baby
# was born...
_PAST_AFTER = re.compile(r" (?:ago|atras|straight|in a row|later|each|of shaking|of this|of it)(?![a-z])")
# ...and gestation, which is never the baby's age ("born 3 weeks early", "36 weeks pregnant").
_GESTATION_AFTER = re.compile(
    r" (?:early|premature|preemie|gestation|gestational|pregnant|de gestacion|prematur[oa]|antes|"
    r"del embarazo|of pregnancy)(?![a-z])"
)


def _words_before(text: str, position: int, count: int = 3) -> list[str]:
    """The last `count` whole words before `position`, skipping hedges ("about", "more than", "casi")."""
    window = 60
    words = text[max(0, position - window) : position].split()
    if position > window and words:
        words = words[1:]  # may be cut in half
    if words[-2:] == ["mas", "de"]:
        words = words[:-2]
    while words and words[-1] in _HEDGES_BEFORE:
        words.pop()
    return words[-count:]


def extract_age(text: str) -> int | None:
    """The baby's age in days from normalized `text`, or None when it does not say.

    Weeks count 7 days, months 30, years 365, and "newborn" 14 (only when no number is given). Durations
    and past times ("for 3 days", "2 weeks ago", "born at 36 weeks") are not ages. With several ages the
    youngest wins: a younger baby is the more cautious reading.
    """
    ages: list[int] = []
    for match in _AGE.finditer(text):
        number, unit_word = match.group("number"), match.group("unit")
        unit = _AGE_UNITS.get(unit_word) or _ONE_LETTER_UNITS[unit_word]
        before = _words_before(text, match.start())
        previous = before[-1] if before else ""
        # "born 3 days ago" and "nació hace 5 días" are ages after all.
        born = bool({"born", "nacio", "nacida", "nacido"} & set(before[-2:]))
        # "at 2 months" is a past time and "born at 36 weeks" gestation; "2 weeks ago" or "early" follow.
        past = (
            previous == "at"
            or bool(_GESTATION_AFTER.match(text, match.end()))
            or (bool(_PAST_AFTER.match(text, match.end())) and not born)
        )
        if match.group("old") or unit_word == "yo":
            if past:
                continue
        else:
            if unit_word in _ONE_LETTER_UNITS:
                continue  # "3m", "2d": too ambiguous without "old"
            if (previous in _DURATION_BEFORE and not born) or past:
                continue
            context = (
                born
                or previous in _AGE_CONTEXT_BEFORE
                or (previous in {"is", "was"} and len(before) > 1 and before[-2] in _SUBJECTS)
                or bool(_AGE_CONTEXT_AFTER.match(text, match.end()))
            )
            # "once a month" is no age, but "un mes y medio" is.
            spelled_one = number in {"a", "an", "un", "una", "uno"} and not match.group("half_after")
            if (unit in {"day", "week"} or spelled_one) and not context:
                continue  # "fever 2 days" is a duration; "she is 2 days" or "2 day old" is an age
        count = _NUMBER_WORDS.get(number)
        amount = float(count) if count is not None else _to_float(number)
        if match.group("half") or match.group("half_after"):
            amount += 0.5
        ages.append(round(amount * DAYS_PER_UNIT[unit]))
    if ages:
        return min(ages)
    if _NEWBORN.search(text):
        return NEWBORN_DAYS
    return None


# --- Language ------------------------------------------------------------------------------------------

# Common words of each language in parents' texts, accents and apostrophes already gone. Words both
# languages use ("no", "a", "me", "come", "son", "normal", "ok") are in neither.
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

# Built once every table exists: a word any pattern or word list spells out is real and never "corrected"
# ("respira" is one letter from "respirar" but must stay itself).
_CORRECTIONS = _build_corrections()


def detect_language(text: str) -> str | None:
    """The language of `text`, "en" or "es"; None when it gives no clue ("1", "ok", "38.5") or a tie."""
    return _language_of(normalize(text or ""))


def _language_of(normalized: _Normalized) -> str | None:
    words = normalized.text.split()
    english = spanish = 0
    for index, word in enumerate(words):
        if word == "yo" and index and words[index - 1][0].isdigit():
            english += 1  # "2 yo": years old, not Spanish "I"
        elif word in _SPANISH_WORDS:
            spanish += 1
        elif word in _ENGLISH_WORDS:
            english += 1
    spanish += 2 * sum(1 for char in normalized.original if char in _SPANISH_MARKS)
    if english > spanish:
        return "en"
    if spanish > english:
        return "es"
    return None


# --- Putting it together -------------------------------------------------------------------------------


def apply_age_rules(found: list[Finding], frequent: str | None, age_days: int | None) -> list[Finding]:
    """Set what depends on age: fever is urgent under 90 days or at an unknown age, and "soon" from 90 days;
    frequent (`frequent`: the words that said so) or persistent shaking after six months adds
    `after_6_months`."""
    result: list[Finding] = []
    for finding in found:
        if finding.flag == "fever" and age_days is not None and age_days >= YOUNG_INFANT_DAYS:
            finding = Finding("fever", Level.SOON, finding.evidence)
        result.append(finding)
    if age_days is not None and age_days > SIX_MONTHS_DAYS:
        persistent = next((f.evidence for f in found if f.flag == "persistent"), None)
        evidence = frequent or persistent
        if evidence is not None:
            result.append(Finding("after_6_months", FLAG_LEVELS["after_6_months"], evidence))
    return result


def _unique(flags: Iterator[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(flags))


def screen_for_red_flags(text: str, *, age_days: int | None = None) -> Screening:
    """Screen one message for red flags.

    age_days: the baby's age if the conversation already knows it (the message may state a new one, which
    wins). It only feeds the age rules: `Screening.age_days` reports what this message itself says, so the
    caller can tell a newly stated age from nothing said.
    """
    normalized = normalize(text or "")
    hits, denials = find_flags(normalized)
    hits.sort(key=lambda hit: hit.start)
    denials.sort(key=lambda hit: hit.start)

    stated_age = extract_age(normalized.text)
    age = stated_age if stated_age is not None else age_days

    # A thermometer reading beats words either way: "feels hot, 37.2" is no fever, "no fever, 38.4" is one.
    temperature = extract_temperature(normalized.text)
    temperature_c = temperature[0] if temperature else None
    if temperature is not None:
        hits = [hit for hit in hits if hit.flag != "fever"]
        if temperature[0] >= FEVER_THRESHOLD_C:
            hits.insert(0, _Hit("fever", *temperature[1]))
            denials = [hit for hit in denials if hit.flag != "fever"]
        else:
            # "temp is 37.2": the words naming the reading are part of the denial (the search leaves them out).
            start, end = temperature[1]
            named = _READING_NAMED_BEFORE.search(normalized.text, max(0, start - 40), start)
            denials.append(_Hit("fever", named.start() if named else start, end))

    findings: dict[str, Finding] = {}
    frequent: str | None = None
    for hit in hits:
        evidence = normalized.evidence(hit.start, hit.end)
        if hit.flag == FREQUENT:
            frequent = frequent or evidence
        elif hit.flag not in findings:
            findings[hit.flag] = Finding(hit.flag, FLAG_LEVELS[hit.flag], evidence)

    ranked = apply_age_rules(list(findings.values()), frequent, age)
    ranked.sort(key=lambda finding: -finding.level)  # stable: message order within a level
    found_flags = {finding.flag for finding in ranked}
    denied = _unique(hit.flag for hit in denials if hit.flag in FLAG_LEVELS and hit.flag not in found_flags)
    searchable = normalized.without((hit.start, hit.end) for hit in denials if hit.flag in denied)

    return Screening(
        level=ranked[0].level if ranked else None,
        findings=tuple(ranked),
        denied=denied,
        temperature_c=temperature_c,
        age_days=stated_age,
        language=_language_of(normalized),
        searchable=searchable,
    )
