"""Ranked free-text search over guidance passages: which passage answers what a parent just texted?

The scorer is small on purpose. A message and every passage (its questions, keywords and text, in the
message's language) are reduced to stemmed terms. Each term counts by how rare it is across passages
(BM25-style inverse document frequency), so "fever" decides far more than "baby" or "legs". A passage's
score (0..1) blends two things:

- coverage: how much of the message's weight the passage's terms explain, with a constant added to the
  denominator so that a message made only of everyday words ("my baby") never looks confident;
- closeness: how well the single closest stored question matches the whole message, which breaks ties
  in favour of the passage written for exactly that question.

Words missing from the vocabulary are matched to the nearest known term with rapidfuzz, so typos still
land. Below THRESHOLD the engine shows the menu instead of guessing.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from rapidfuzz import fuzz, process

from hotline.engine.guidance import LANGUAGES, Passage

THRESHOLD: float = 0.4

# How much a term counts depending on where a passage has it: questions and keywords are written to be
# searched; the text is written to be read, so its words are weaker evidence.
QUESTION_WEIGHT = 1.0
KEYWORD_WEIGHT = 1.0
TEXT_WEIGHT = 0.5

# Added to the message's total term weight: the evidence a message must bring before any passage scores
# high. About the weight of one moderately specific word.
EVIDENCE_PRIOR = 1.0
COVERAGE_SHARE = 0.7  # the rest of the score is closeness to the best single question

# rapidfuzz ratio (0..100) an unknown word needs to count as a known one. Four-letter words need a
# higher bar because one changed letter already drops them to 75 ("cold" must not become "hold").
FUZZY_CUTOFF = 80.0
FUZZY_CUTOFF_SHORT = 85.0
FUZZY_MIN_LENGTH = 4
_CACHE_LIMIT = 10_000

STOPWORDS: Mapping[str, frozenset[str]] = {
    "en": frozenset(
        """
        a about again also am an and any are as at be because been being but by can cant could did didnt do does
        doesnt doing dont for from get gets getting go going got had has have having he hes her hers him his
        i id if im in into is isnt it its ive just lol me mine my no not now of oh ok okay on or our
        please pls plz really she shes should so some that thats the their them then there
        these they this those to u ur r us very was we were what whats which who will with would y yes yeah
        yep you your hi hello hey thanks thank thx ty idk um hmm
        """.split()
    ),
    "es": frozenset(
        """
        a al algo ante con de del el ella ellas ellos en es esa ese eso esta estan estoy este esto fue
        ha he hay la las le les lo los me mi mis muy no nos o para pero pues por que se si sera ser
        son su sus tan te tengo tiene tienen tu tus u un una uno unos unas usted y ya yo hola gracias
        buenas buenos dias tardes noches ok okey vale favor oiga ahora
        """.split()
    ),
}

# Irregular English forms a parent is likely to use, mapped to a word the stemmer already handles.
_IRREGULAR_EN = {"shook": "shake", "fed": "feed", "ate": "eat", "threw": "throw", "slept": "sleep"}
# "cómo" (how) loses its accent in most texts and would then stem like "come" (eats).
_UNSTEMMED_ES = frozenset({"como"})

_WORD = re.compile(r"[a-z0-9]+")


@dataclass(frozen=True)
class Match:
    """A passage and how well it answers the message, from 0 (not at all) to 1."""

    passage: Passage
    score: float


@dataclass(frozen=True)
class _Document:
    """One passage as the scorer sees it in one language."""

    passage: Passage
    weights: Mapping[str, float]  # term -> field weight
    questions: tuple[frozenset[str], ...]


class PassageIndex:
    """Searches passages by what a parent wrote, in English or Spanish. Build once at load time."""

    def __init__(self, passages: Iterable[Passage]) -> None:
        self._passages = tuple(passages)
        self._documents: dict[str, tuple[_Document, ...]] = {}
        self._idf: dict[str, dict[str, float]] = {}
        self._unknown_idf: dict[str, float] = {}
        self._vocabulary: dict[str, list[str]] = {}
        self._stopword_list: dict[str, list[str]] = {}
        self._corrections: dict[str, dict[str, tuple[str, float] | None]] = {}
        for language in LANGUAGES:
            self._index_language(language)

    def search(self, text: str, language: str, limit: int = 3) -> list[Match]:
        """The passages that answer `text`, best first, only those scoring at least THRESHOLD."""
        language = _language(language)
        query = self._query_terms(text, language)
        if not query:
            return []
        idf = self._idf[language]
        unknown = self._unknown_idf[language]
        # weight: how much each message term matters; evidence: the same, discounted by typo distance.
        weight = {term: idf.get(term, unknown) for term in query}
        evidence = {term: weight[term] * quality for term, quality in query.items()}
        total = sum(weight.values())

        matches: list[Match] = []
        for document in self._documents[language]:
            coverage = sum(
                evidence[term] * document.weights.get(term, 0.0) for term in query
            ) / (total + EVIDENCE_PRIOR)
            if coverage <= 0.0:
                continue
            closeness = max(
                (_closeness(question, evidence, weight, total, idf) for question in document.questions),
                default=0.0,
            )
            score = COVERAGE_SHARE * coverage + (1.0 - COVERAGE_SHARE) * closeness
            if score >= THRESHOLD:
                matches.append(Match(passage=document.passage, score=round(min(score, 1.0), 4)))
        # sorted() is stable, so equal scores keep the content file's order.
        return sorted(matches, key=lambda match: -match.score)[:limit]

    def best(self, text: str, language: str) -> Passage | None:
        """The single best passage for `text`, or None when nothing reaches THRESHOLD."""
        found = self.search(text, language, limit=1)
        return found[0].passage if found else None

    def _index_language(self, language: str) -> None:
        documents = []
        document_frequency: dict[str, int] = {}
        for passage in self._passages:
            weights: dict[str, float] = {}
            for field_text, field_weight in (
                *((phrase, QUESTION_WEIGHT) for phrase in passage.questions.get(language, ())),
                *((phrase, KEYWORD_WEIGHT) for phrase in passage.keywords.get(language, ())),
                (passage.text.get(language, ""), TEXT_WEIGHT),
            ):
                for term in terms(field_text, language):
                    weights[term] = max(weights.get(term, 0.0), field_weight)
            questions = tuple(
                frozenset(terms(question, language)) for question in passage.questions.get(language, ())
            )
            documents.append(_Document(passage=passage, weights=weights, questions=questions))
            for term in weights:
                document_frequency[term] = document_frequency.get(term, 0) + 1

        count = len(documents)
        self._documents[language] = tuple(documents)
        self._idf[language] = {term: _idf(count, frequency) for term, frequency in document_frequency.items()}
        self._unknown_idf[language] = _idf(count, 0)
        self._vocabulary[language] = sorted(document_frequency)
        self._stopword_list[language] = sorted(STOPWORDS[language])
        self._corrections[language] = {}

    def _query_terms(self, text: str, language: str) -> dict[str, float]:
        """The message's terms, each with a match quality (1.0 exact, less for a corrected typo).

        Empty when the message has no words at all (a bare number, "ok", "thanks").
        """
        words = [word for word in _words(text, language) if len(word) > 1 or word.isdigit()]
        if not any(word.isalpha() and word not in STOPWORDS[language] for word in words):
            return {}
        query: dict[str, float] = {}
        for word in words:
            if word in STOPWORDS[language]:
                continue
            found = self._resolve(word, language)
            if found is not None:
                term, quality = found
                query[term] = max(query.get(term, 0.0), quality)
        return query

    def _resolve(self, word: str, language: str) -> tuple[str, float] | None:
        """Map a word to a known term (with quality), keep it as unknown (quality 0), or drop it
        (None) when it is closest to a misspelled stopword."""
        term = stem(word, language)
        if term in self._idf[language] or len(word) < FUZZY_MIN_LENGTH or word.isdigit():
            return term, 1.0 if term in self._idf[language] else 0.0
        cache = self._corrections[language]
        if word in cache:
            return cache[word]
        cutoff = FUZZY_CUTOFF_SHORT if len(word) == FUZZY_MIN_LENGTH else FUZZY_CUTOFF
        known = process.extractOne(term, self._vocabulary[language], scorer=fuzz.ratio, score_cutoff=cutoff)
        filler = process.extractOne(word, self._stopword_list[language], scorer=fuzz.ratio, score_cutoff=cutoff)
        result: tuple[str, float] | None
        if filler is not None and (known is None or filler[1] > known[1]):
            result = None
        elif known is not None:
            result = known[0], known[1] / 100.0
        else:
            result = term, 0.0
        if len(cache) >= _CACHE_LIMIT:  # messages are unbounded; the cache must not be
            cache.clear()
        cache[word] = result
        return result


def terms(text: str, language: str) -> list[str]:
    """The searchable terms of `text`: normalized, stopwords removed, stemmed, in order."""
    stopwords = STOPWORDS[_language(language)]
    return [stem(word, language) for word in _words(text, language) if word not in stopwords]


def stem(word: str, language: str) -> str:
    """A light suffix-stripping stem, enough to make plurals, -ing and verb endings meet."""
    return _stem_es(word) if _language(language) == "es" else _stem_en(word)


def _words(text: str, language: str) -> list[str]:
    """Lowercase words without accents; possessive 's dropped and "por qué" joined into one word."""
    text = text.lower().replace("\u2019", "'").replace("\u2018", "'")
    text = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    if _language(language) == "es":
        text = re.sub(r"\bpor\s+que\b", "porque", text)
    else:
        text = re.sub(r"'s\b", "", text)
    text = text.replace("'", "")  # don't -> dont, so it meets the stopword list
    return _WORD.findall(text)


def _stem_en(word: str) -> str:
    word = _IRREGULAR_EN.get(word, word)
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


def _language(language: str) -> str:
    base = language.split("-")[0].split("_")[0].lower()
    return base if base in LANGUAGES else "en"


def _idf(count: int, frequency: int) -> float:
    # BM25's idf, which stays positive even for a term every passage has.
    return math.log(1.0 + (count - frequency + 0.5) / (frequency + 0.5))


def _closeness(
    question: frozenset[str],
    evidence: Mapping[str, float],
    weight: Mapping[str, float],
    total: float,
    idf: Mapping[str, float],
) -> float:
    """Weighted Jaccard similarity of the message and one stored question."""
    shared = sum(evidence[term] for term in evidence if term in question)
    if shared <= 0.0:
        return 0.0
    question_only = sum(idf.get(term, 0.0) for term in question if term not in weight)
    return shared / (total + question_only)
