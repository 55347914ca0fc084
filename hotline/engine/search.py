"""Ranked free-text search over guidance passages: which passage answers what a parent just texted?

The scorer is small on purpose. A message and every passage (its questions, keywords and text, in the
message's language) are reduced to stemmed terms. Each term weighs what it tells apart (BM25's inverse
document frequency over the passages), so "fever" decides far more than "baby" or "legs". A passage's
score (0..1) blends two parts:

- coverage: how much of the message's weight the passage's terms explain. A constant is added to the
  message's weight so that a message made only of light words ("my baby", "how are you") never looks
  confident, and a word no passage uses counts against every passage;
- closeness: how well the passage's single closest stored question matches the whole message, which
  breaks ties in favour of the passage written for exactly that question.

Words every message is about (baby, legs, shaking, ages) weigh almost nothing, and question words
("why", "cómo") little, so neither can carry a match alone. A word not in the vocabulary is matched to the
nearest known word with the same first letter (rapidfuzz), so typos still land. Below THRESHOLD the engine
shows the menu instead of guessing.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from rapidfuzz import process
from rapidfuzz.distance import OSA

from hotline.engine.guidance import LANGUAGES, Passage
from hotline.engine.text import AGE_UNITS, alternation

THRESHOLD: float = 0.4

# How much a term counts depending on where a passage has it: questions and keywords are written to be
# searched; the text is written to be read, so its words are weaker evidence.
QUESTION_WEIGHT = 1.0
KEYWORD_WEIGHT = 1.0
TEXT_WEIGHT = 0.5

# Added to the message's total weight: the evidence a message must bring before any passage scores high,
# about the weight of one moderately specific word.
EVIDENCE_PRIOR = 1.0
COVERAGE_SHARE = 0.7  # the rest of the score is closeness to the best single question

# A word no passage uses weighs as much as a fairly specific one: it suggests the message is about
# something else, but one unforeseen filler word ("sometimes") must not sink a clear question.
UNKNOWN_WEIGHT = 2.0
# An unknown word of three letters or fewer is more likely shorthand or a slip ("wen", "abt") than a topic.
SHORT_UNKNOWN_WEIGHT = 0.5
# Question words shape a message ("why ...", "how ...") but must not carry a match on their own.
CUE_WEIGHT = 0.5
CUE_WORDS: Mapping[str, frozenset[str]] = {
    "en": frozenset({"why", "how", "when"}),
    "es": frozenset({"porque", "como", "cuando"}),
}

# Similarity (0..1, edit distance with swapped letters counting as one edit) an unknown word needs to
# count as a known one: one slip in five letters. So "suger" finds "sugar" and "normla" finds "normal",
# but "cold" never becomes "hold" and "clima" (weather) never becomes "calma".
FUZZY_CUTOFF = 0.79  # a hair under 0.8, so that exactly one slip in five letters always passes
FUZZY_MIN_LENGTH = 4
_CACHE_LIMIT = 10_000

STOPWORDS: Mapping[str, frozenset[str]] = {
    "en": frozenset(
        """
        a about after again also am an and any are as at be because been being but by can cant could did didnt
        do does doesnt doing dont every for from get gets getting go going got had has have having he hes
        her hers him his i id if im in into is isnt it its ive just keep keeps kept me mine my no not now
        of on or our she shes should so some that thats the their them then there these they this those
        to u up ur r us very was we were what whats which while who will with wont would you your
        hi hello hey oh ok okay yes yeah yep please pls plz thanks thank thx ty sorry lol idk um hmm
        really question wondering give gives gave giving said says told think thought only just
        """.split()
    ),
    "es": frozenset(
        """
        a al algo ante con de del el ella ellas ellos en es esa ese eso esta estan estar estas estoy este
        esto fue ha he hay ir la las le les lo los me mi mis mientras muy no nos o para pero pues por q
        que k se si sera ser son su sus tan te tengo tiene tienen tu tus u un una uno unos unas usted va
        voy y ya yo da dar doy hace hacer puedo puede pueden poder debo debe deberia ahora
        hola gracias buenas buenos tardes noches ok okey vale favor oiga disculpe perdon
        """.split()
    ),
}

# What every message is about, whether or not a passage says so: the baby (however a parent names them),
# the legs, the shaking, and when (age, time of day). Counting these as present in every passage makes
# them weigh almost nothing, so "my baby's legs" alone never looks like a confident match, and "my son"
# or "2 months old" or "tonight" never counts against one.
CONTEXT_WORDS: Mapping[str, str] = {
    "en": "baby babies infant son daughter boy girl kid child little leg legs shake shakes shaking shaky "
    "tremble trembles trembling tremor tremors twitch twitches twitching "
    "time times day days night nights morning evening today tonight week weeks month months old",
    "es": "bebe bebes bebito bebita hijo hija nino nina pierna piernas piernita piernitas tiembla tiemblan "
    "tiemble tiemblen temblar temblando temblor temblores tembloroso temblorosa temblorosos temblorosas "
    "tiempo dia dias noche noches manana tarde hoy semana semanas mes meses",
}

# Texting shorthand, and irregular forms the stemmer cannot reach, mapped to a word it handles.
_ALIASES: Mapping[str, Mapping[str, str]] = {
    "en": {
        "shook": "shake",
        "fed": "feed",
        "ate": "eat",
        "threw": "throw",
        "slept": "sleep",
        "bc": "because",
        "cuz": "because",
        "alot": "lot",
        "y": "why",
        "wat": "what",
        "wen": "when",
        "abt": "about",
    },
    "es": {"xq": "porque", "pq": "porque", "porq": "porque", "xk": "porque", "pk": "porque"},
}


def _age(unit_is_months: bool) -> Callable[[re.Match[str]], str]:
    """An age becomes one word: "past6months" from 6 months on (what the guidance tells apart), nothing
    before (every message may be about a young baby). So "7 weeks" never meets "7 months"."""
    def replace(match: re.Match[str]) -> str:
        return " past6months " if unit_is_months and int(match.group(1)) >= 6 else " "
    return replace


def _units(days: Callable[[int], bool], *, leave_out: frozenset[str] = frozenset()) -> str:
    """An alternation of the age units (`text.AGE_UNITS`) whose length in days passes `days`, longest first."""
    return alternation(unit for unit, length in AGE_UNITS.items() if days(length) and unit not in leave_out)


# "y" is no unit here (Spanish "2 y 3"), nor Spanish "yo" ("tiene 3 yo creo").
_NOT_HERE = {"en": frozenset({"y"}), "es": frozenset({"y", "yo"})}
_ONE = {"en": "a|one", "es": "un"}
_AGES: Mapping[str, tuple[tuple[re.Pattern[str], Callable[[re.Match[str]], str]], ...]] = {
    language: (
        (re.compile(rf"\b(\d{{1,2}}) ?-? ?(?:{_units(lambda d: d == 30, leave_out=leave_out)})\b(?: old)?"),
         _age(True)),
        (re.compile(rf"\b(\d{{1,3}}) ?-? ?(?:{_units(lambda d: d < 30, leave_out=leave_out)})\b(?: old)?"),
         _age(False)),
        (re.compile(rf"\b(?:(\d{{1,2}})|{_ONE[language]}) ?-? ?(?:{_units(lambda d: d == 365, leave_out=leave_out)})"
                    r"\b(?: old)?"), lambda _: " past6months "),
    )
    for language, leave_out in _NOT_HERE.items()
}

# Phrases rewritten before splitting into words, because their words mean something else alone:
# "little one" is the baby, not "one leg"; "won't stop" / "no se le quita" is the opposite of "stop";
# "what can I do" / "qué hago" asks for help; "por qué" is why; "se para" / "lo paro" is standing up
# ("para" alone is the stopword "for").
_PHRASES: Mapping[str, tuple[tuple[re.Pattern[str], str], ...]] = {
    "en": (
        (re.compile(r"'s\b"), ""),
        (re.compile(r"\blittle ones?\b"), "baby"),
        (
            re.compile(r"\b(?:won'?t|will not|doesn'?t|does not|don'?t|not|never|can'?t|cannot) stop"),
            "nonstop",
        ),
        (
            re.compile(
                r"\b(?:what|anything) (?:(?:can|should|could|do) )?(?:i|we) (?:can |could |should )?do\b"
            ),
            "help",
        ),
        # "is that ok?" asks whether it is normal ("ok" alone is a stopword: "ok thanks").
        (re.compile(r"\b(?:is|are) (?:it|that|this|they|these|those) (?:ok|okay|alright|all right|fine)\b"),
         "is it normal"),
        # Falling asleep is tiredness; a fall (an injury) is not the startle reflex's "feeling of falling".
        (re.compile(r"\b(?:fall|falls|falling|fell) (?:back )?asleep\b"), "asleep"),
        (re.compile(r"\b(?:had|took) a (?:bad |big )?(?:fall|tumble)\b|\bfell (?:off|down|out|from|over)\b|"
                    r"\b(?:hit|bumped|banged) (?:his|her|their|the) head\b"), "injury"),
    ),
    "es": (
        (re.compile(r"\bpor\s+que\b"), "porque"),
        (re.compile(r"\bno (?:se )?(?:le )?(?:para|paran|detiene|detienen|quita)\b"), "constante"),
        (re.compile(r"\bque (?:hago|hacemos|puedo hacer|podemos hacer|debo hacer)\b"), "ayudar"),
        (re.compile(r"\b(?:se|lo|la)\s+par(?:a|o|an|e|en)\b"), "pararse"),
        # A fall or a knock is an injury, not the startle reflex's feeling of falling ("caer").
        (re.compile(r"\bse (?:le )?(?:cayo|cae|callo|golpeo|pego)\b|\b(?:tuvo|tiene) una caida\b|"
                    r"\bse (?:dio|pego) un golpe\b|\bun golpe en la cabeza\b"), "lesion"),
    ),
}
# "cómo" (how) loses its accent in most texts and would then stem like "come" (eats).
_UNSTEMMED_ES = frozenset({"como"})

_WORD = re.compile(r"[a-z0-9]+")


@dataclass(frozen=True)
class Match:
    """A passage and how well it answers the message, from 0 (not at all) to 1."""

    passage: Passage
    score: float


@dataclass(frozen=True)
class _Language:
    """Everything the scorer knows about one language, built once, laid out by term so that a search only
    touches the passages and questions that share a word with the message."""

    passages: tuple[Passage, ...]
    fields: Mapping[str, tuple[tuple[int, float], ...]]  # term -> (passage number, strongest field weight)
    questions: Mapping[str, tuple[int, ...]]  # term -> numbers of the stored questions that have it
    question_passage: tuple[int, ...]  # question number -> passage number
    question_weight: tuple[float, ...]  # question number -> total weight of its terms
    weights: Mapping[str, float]  # term -> how much it tells passages apart
    # Surface words by first letter, for typo matching ("asucar" is near "azucar", not near its stem).
    # Typos rarely change a word's first letter, and keeping to it stops "cries" becoming "tries".
    vocabulary: Mapping[str, list[str]]
    stopwords: Mapping[str, list[str]]


class PassageIndex:
    """Searches passages by what a parent wrote, in English or Spanish. Build once at load time."""

    def __init__(self, passages: Iterable[Passage]) -> None:
        passages = tuple(passages)
        self._languages = {language: _index_language(passages, language) for language in LANGUAGES}
        self._corrections: dict[tuple[str, str], tuple[str, float] | None] = {}

    def search(self, text: str, language: str, limit: int = 3) -> list[Match]:
        """The passages that answer `text`, best first, only those scoring at least THRESHOLD."""
        language = _language(language)
        index = self._languages[language]
        query = self._query_terms(text, language)
        if not query:
            return []
        # weight: how much each message term matters; evidence: the same, discounted by typo distance.
        weight = {term: index.weights.get(term, _unknown_weight(term)) for term in query}
        evidence = {term: weight[term] * quality for term, quality in query.items()}
        total = sum(weight.values())

        explained: dict[int, float] = {}  # passage number -> message weight its terms explain
        shared: dict[int, float] = {}  # question number -> evidence it shares with the message
        overlap: dict[int, float] = {}  # question number -> weight of its terms the message has
        for term in query:
            for number, field_weight in index.fields.get(term, ()):
                explained[number] = explained.get(number, 0.0) + evidence[term] * field_weight
            for question in index.questions.get(term, ()):
                shared[question] = shared.get(question, 0.0) + evidence[term]
                overlap[question] = overlap.get(question, 0.0) + weight[term]

        # Closeness: weighted Jaccard similarity of the message and the passage's closest question.
        closeness: dict[int, float] = {}
        for question, value in shared.items():
            number = index.question_passage[question]
            union = total + index.question_weight[question] - overlap[question]
            closeness[number] = max(closeness.get(number, 0.0), value / union)

        scored: list[tuple[float, int]] = []
        for number, value in explained.items():
            coverage = value / (total + EVIDENCE_PRIOR)
            score = COVERAGE_SHARE * coverage + (1.0 - COVERAGE_SHARE) * closeness.get(number, 0.0)
            if score >= THRESHOLD:
                scored.append((round(min(score, 1.0), 4), number))
        scored.sort(key=lambda item: (-item[0], item[1]))  # ties keep the content file's order
        return [Match(passage=index.passages[number], score=score) for score, number in scored[:limit]]

    def best(self, text: str, language: str) -> Passage | None:
        """The single best passage for `text`, or None when nothing reaches THRESHOLD."""
        found = self.search(text, language, limit=1)
        return found[0].passage if found else None

    def _query_terms(self, text: str, language: str) -> dict[str, float]:
        """The message's terms, each with a match quality: 1.0 exact, less for a corrected typo, 0.0 for a
        word no passage uses. Empty when the message has no words (a bare number, "ok", "thanks")."""
        stopwords = STOPWORDS[language]
        words = [word for word in _words(text, language) if word not in stopwords]
        if not any(word.isalpha() and len(word) > 1 for word in words):
            return {}
        query: dict[str, float] = {}
        for word in words:
            found = self._resolve(word, language)
            if found is not None:
                term, quality = found
                query[term] = max(query.get(term, 0.0), quality)
        return query

    def _resolve(self, word: str, language: str) -> tuple[str, float] | None:
        """The known term `word` means and how sure we are, or None to ignore it (a misspelled stopword,
        a number no passage uses)."""
        index = self._languages[language]
        term = stem(word, language)
        if term in index.weights:
            return term, 1.0
        if word.isdigit():
            return None  # an age or a count; only the numbers passages use ("6 months") mean anything
        if len(word) < FUZZY_MIN_LENGTH or not word.isalpha():
            return term, 0.0
        key = (language, word)
        if key in self._corrections:
            return self._corrections[key]
        correction = _correct(word, language, index)
        if len(self._corrections) >= _CACHE_LIMIT:  # messages are unbounded; the cache must not be
            self._corrections.clear()
        self._corrections[key] = correction
        return correction


def terms(text: str, language: str) -> list[str]:
    """The searchable terms of `text`: normalized, stopwords removed, stemmed, in order."""
    stopwords = STOPWORDS[_language(language)]
    return [stem(word, language) for word in _words(text, language) if word not in stopwords]


def stem(word: str, language: str) -> str:
    """A light suffix-stripping stem, enough to make plurals, -ing and common verb endings meet."""
    return _stem_es(word) if _language(language) == "es" else _stem_en(word)


def _index_language(passages: tuple[Passage, ...], language: str) -> _Language:
    stopwords = STOPWORDS[language]
    context_terms = terms(CONTEXT_WORDS[language], language)
    surface_words: set[str] = set(CONTEXT_WORDS[language].split())
    fields: dict[str, list[tuple[int, float]]] = {}
    questions: dict[str, list[int]] = {}
    question_terms: list[frozenset[str]] = []
    question_passage: list[int] = []
    for number, passage in enumerate(passages):
        strongest: dict[str, float] = dict.fromkeys(context_terms, TEXT_WEIGHT)
        for field_text, field_weight in (
            *((phrase, QUESTION_WEIGHT) for phrase in passage.questions.get(language, ())),
            *((phrase, KEYWORD_WEIGHT) for phrase in passage.keywords.get(language, ())),
            (passage.text.get(language, ""), TEXT_WEIGHT),
        ):
            for word in _words(field_text, language):
                if word not in stopwords:
                    surface_words.add(word)
                    term = stem(word, language)
                    strongest[term] = max(strongest.get(term, 0.0), field_weight)
        for term, field_weight in strongest.items():
            fields.setdefault(term, []).append((number, field_weight))
        for question in passage.questions.get(language, ()):
            for term in set(terms(question, language)):
                questions.setdefault(term, []).append(len(question_terms))
            question_terms.append(frozenset(terms(question, language)))
            question_passage.append(number)

    # A term's weight: BM25's inverse document frequency over passages, capped for question words.
    weights = {term: _idf(len(passages), len(postings)) for term, postings in fields.items()}
    for cue in (stem(word, language) for word in CUE_WORDS[language]):
        if cue in weights:
            weights[cue] = min(weights[cue], CUE_WEIGHT)
    return _Language(
        passages=passages,
        fields={term: tuple(postings) for term, postings in fields.items()},
        questions={term: tuple(numbers) for term, numbers in questions.items()},
        question_passage=tuple(question_passage),
        question_weight=tuple(sum(weights[term] for term in question) for question in question_terms),
        weights=weights,
        vocabulary=_by_first_letter(surface_words),
        stopwords=_by_first_letter(stopwords),
    )


def _by_first_letter(words: Iterable[str]) -> dict[str, list[str]]:
    grouped: dict[str, list[str]] = {}
    for word in sorted(words):
        grouped.setdefault(word[0], []).append(word)
    return grouped


def _correct(word: str, language: str, index: _Language) -> tuple[str, float] | None:
    """Fix a typo: the nearest known word's term and the similarity, None for a misspelled stopword
    ("shoud"), or the word itself with quality 0.0 when nothing is near."""
    similarity = OSA.normalized_similarity
    candidates, fillers = index.vocabulary.get(word[0], []), index.stopwords.get(word[0], [])
    known = process.extractOne(word, candidates, scorer=similarity, score_cutoff=FUZZY_CUTOFF)
    filler = process.extractOne(word, fillers, scorer=similarity, score_cutoff=FUZZY_CUTOFF)
    if filler is not None and (known is None or filler[1] >= known[1]):
        return None
    if known is not None:
        return stem(known[0], language), known[1]
    return stem(word, language), 0.0


def _words(text: str, language: str) -> list[str]:
    """Lowercase words without accents, possessive 's dropped, shorthand and phrases resolved."""
    text = text.lower().replace("\u2019", "'").replace("\u2018", "'")
    if not text.isascii():  # ASCII has nothing to decompose
        text = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    language = _language(language)
    for phrase, replacement in _PHRASES[language]:
        text = phrase.sub(replacement, text)
    for age, rewrite in _AGES[language]:
        text = age.sub(rewrite, text)
    text = text.replace("'", "")  # don't -> dont, so it meets the stopword list
    aliases = _ALIASES[language]
    return [aliases.get(word, word) for word in _WORD.findall(text)]


def _stem_en(word: str) -> str:
    if len(word) > 4 and word.endswith(("ies", "ied")):
        word = word[:-3] + "y"
    elif len(word) > 5 and word.endswith("ing"):
        word = word[:-3]
    elif len(word) > 4 and word.endswith("ed") and not word.endswith("eed"):
        word = word[:-2]
    elif len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us")):
        word = word[:-1]
    if len(word) > 3 and word.endswith("e"):
        word = word[:-1]
    return word


def _stem_es(word: str) -> str:
    if word in _UNSTEMMED_ES:
        return word
    for ending in ("ando", "iendo"):
        if len(word) > len(ending) + 2 and word.endswith(ending):
            return word[: -len(ending)]
    if len(word) > 4 and word.endswith(("ar", "er", "ir")):
        return word[:-2]
    if len(word) > 4 and word.endswith(("an", "en")):
        word = word[:-1]
    if len(word) > 3 and word.endswith("s"):
        word = word[:-1]
    if len(word) > 3 and word[-1] in "aeo":
        word = word[:-1]
    return word


def _unknown_weight(term: str) -> float:
    return SHORT_UNKNOWN_WEIGHT if len(term) <= 3 else UNKNOWN_WEIGHT


def _language(language: str) -> str:
    base = language.split("-")[0].split("_")[0].lower()
    return base if base in LANGUAGES else "en"


def _idf(count: int, frequency: int) -> float:
    # BM25's idf, which stays positive even for a term every passage has.
    return math.log(1.0 + (count - frequency + 0.5) / (frequency + 0.5))
