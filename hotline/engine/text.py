"""Text as the reader sees it: one message folded into tokens, whatever the parent's keyboard did.

`tokenize` applies, in order: Unicode NFKC (full-width digits, ligatures), removal of invisible format
characters (category Cf: soft hyphen, zero-width space and joiner, bidi marks, which would otherwise hide
a word such as "sei\\u00adzure"), case folding, accent folding ("médico" -> "medico"), numbers said in words
("a hundred and two", "treinta y ocho punto cuatro", "ninety six point two") turned into digits, letters
split from digits ("3mo" -> "3 mo", "101F" -> "101 f"), and one-letter slips in long key words corrected
("siezure", "breating"). Punctuation that ends a clause is kept as its own token: it ends the scope of a
negation or a hypothetical.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TypeVar

import wordninja

# Clause breaks (kept as tokens); every other symbol or emoji becomes a space.
BREAKS = frozenset(".,;:!?")
# Words said or typed while thinking or laughing ("um", "este", "jaja"): they say nothing of the baby.
FILLERS = frozenset(("um", "uh", "uhm", "er", "hm", "hmm", "eh", "ah", "oh", "well", "ehm", "mmm", "pues", "este",
                     "lol", "lmao", "omg"))
_DRAWN_OUT = re.compile(r"um+|uh+|hm+|eh+|ah+|mm+|(?:ha)+h?|(?:ja)+j?")


def is_filler(word: str) -> bool:
    """Whether a word is a filler, drawn out or not ("ummm", "jajaja")."""
    return word in FILLERS or _DRAWN_OUT.fullmatch(word) is not None


_TOKEN = re.compile(r"\b(?:w/out|w/o|b/c)\b|\bw/|[a-z]+|\d+(?:[.,]\d+)?|[.,;:!?°%/]")
# Text-speak written with a slash: "5-6 hrs w/o eating", "shaky w/ a fever", "b/c she's hungry".
_SLASHED = {"w/o": "without", "w/out": "without", "w/": "with", "b/c": "because"}


_DIGIT_APOSTROPHE = re.compile(r"(?<=\d)['’](?=\d)")


class CharTable(dict[int, str]):
    """A str.translate table whose entries `fold` works out on first use, one character at a time, and keeps
    for the common scripts (below U+3000: hostile input cannot grow it past them)."""

    def fold(self, char: str) -> str:
        raise NotImplementedError

    def __missing__(self, code: int) -> str:
        out = self.fold(chr(code))
        if code < 0x3000:
            self[code] = out
        return out


def without_marks(char: str) -> str:
    """One character casefolded and decomposed (NFKD), without its combining marks ("É" -> "e")."""
    return "".join(c for c in unicodedata.normalize("NFKD", char.casefold()) if not unicodedata.combining(c))


class _FoldMap(CharTable):
    """Each character (after NFKC) to its folded form for reading."""

    def fold(self, char: str) -> str:
        if unicodedata.category(char) == "Cf" or char in "'’‘ʼ`´′":
            return ""  # invisible format characters and apostrophes ("won't" -> wont)
        if char in "º˚":
            return "°"
        return without_marks(char)


_FOLD = _FoldMap()


def _fold(text: str) -> str:
    text = _DIGIT_APOSTROPHE.sub(".", text.replace("º", "°"))  # "38'5" is 38.5; "39º" is degrees, not "39o"
    if text.isascii():  # (most messages: NFKC leaves ASCII as it is, and folding it is lower case without apostrophes)
        return text.lower().replace("'", "").replace("`", "")
    return unicodedata.normalize("NFKC", text).translate(_FOLD)


# --- Numbers said in words (speech recognisers and some parents write them so) -------------------------

_UNITS = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15,
    "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19,
    "cero": 0, "uno": 1, "una": 1, "un": 1, "dos": 2, "tres": 3, "cuatro": 4, "cinco": 5, "seis": 6,
    "siete": 7, "ocho": 8, "nueve": 9, "diez": 10, "once": 11, "doce": 12, "trece": 13, "catorce": 14,
    "quince": 15, "dieciseis": 16, "diecisiete": 17, "dieciocho": 18, "diecinueve": 19,
}  # fmt: skip
_TENS = {
    "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80,
    "ninety": 90, "veinte": 20, "treinta": 30, "cuarenta": 40, "cincuenta": 50, "sesenta": 60,
    "setenta": 70, "ochenta": 80, "noventa": 90,
}  # fmt: skip
_HUNDRED = {"hundred": 100, "cien": 100, "ciento": 100}
_POINT = {"point", "punto", "coma"}
# Words a speech recogniser writes for a digit said inside a number ("a hundred and won point two").
_SOUNDS_LIKE = {"won": 1, "to": 2, "too": 2, "tree": 3, "for": 4, "ate": 8}
# "once meses" is eleven months: a Spanish unit after it makes "once" a number (alone it is English).
_AGE_UNIT_WORDS = {"meses", "semanas", "dias", "anos"}
_JOIN = {"and", "y"}
# "one", "un", "una" alone are too common as words ("one leg", "un lado") to become digits by themselves.
_ALONE_OK = set(_UNITS) - {"one", "un", "una", "uno", "once"} | set(_TENS) | {"uno"}
# The words a number said in words can start with ("a hundred", "un ciento"): any other word is passed over at once.
_NUMBER_STARTS = frozenset(_UNITS) | frozenset(_TENS) | frozenset(_HUNDRED) | {"a"}
# A message with none of these words has no number said in words and no decimal said after digits.
_NUMBER_WORDS = _NUMBER_STARTS - {"a"} | _POINT | {"con"}


def _number_at(words: list[str], i: int) -> tuple[str, int] | None:
    """A number said in words starting at words[i]: (digits, words used), or None."""
    value, used, seen = 0, 0, False
    j = i
    # Digit by digit, as thermometers are read aloud: "one oh four point one" is 104.1.
    if words[j] == "one" and j + 2 < len(words) and words[j + 1] in ("oh", "o", "zero") and \
            words[j + 2] in _UNITS and _UNITS[words[j + 2]] < 10:
        value, j, seen = 100 + _UNITS[words[j + 2]], j + 3, True
        digits = str(value)
        if j + 1 < len(words) and words[j] in _POINT and words[j + 1] in _UNITS and _UNITS[words[j + 1]] < 10:
            digits += "." + str(_UNITS[words[j + 1]])
            j += 2
        return digits, j - i
    if j < len(words) and words[j] in {"a", "one", "un"} and j + 1 < len(words) and words[j + 1] in _HUNDRED:
        j += 1
    if j < len(words) and words[j] in _HUNDRED:
        value, j, seen = 100, j + 1, True
        if j < len(words) and words[j] in _JOIN and j + 1 < len(words) and words[j + 1] in _SOUNDS_LIKE:
            value, j = value + _SOUNDS_LIKE[words[j + 1]], j + 2  # the recogniser's "a hundred and won point two"
        elif j < len(words) and words[j] in _JOIN and j + 1 < len(words) and (
                words[j + 1] in _UNITS or words[j + 1] in _TENS):
            j += 1
    if j < len(words) and words[j] in _TENS:
        value, j, seen = value + _TENS[words[j]], j + 1, True
        if j + 1 < len(words) and words[j] in _JOIN and words[j + 1] in _UNITS and _UNITS[words[j + 1]] < 10:
            value, j = value + _UNITS[words[j + 1]], j + 2
        elif j < len(words) and words[j] in _UNITS and 0 < _UNITS[words[j]] < 10:
            value, j = value + _UNITS[words[j]], j + 1
    elif j < len(words) and words[j] in _UNITS:
        if not seen and words[j] not in _ALONE_OK and not (
                j + 1 < len(words) and (words[j + 1] in _POINT
                                        or words[j] == "once" and words[j + 1] in _AGE_UNIT_WORDS)
                                   or words[j] in ("once", "una") and j and words[j - 1] in ("las", "la", "son")):
            return None
        value, j, seen = value + _UNITS[words[j]], j + 1, True
    if not seen:
        return None
    digits = str(value)
    if j + 1 < len(words) and words[j] in _POINT and words[j + 1] in _UNITS and _UNITS[words[j + 1]] < 10:
        digits += "." + str(_UNITS[words[j + 1]])
        j += 2
    elif value >= 100 and j + 1 < len(words) and words[j] in _POINT and words[j + 1] in _SOUNDS_LIKE:
        digits += "." + str(_SOUNDS_LIKE[words[j + 1]])  # "a hundred and one point to"
        j += 2
    used = j - i
    return digits, used


# How a speech recogniser writes a small number it heard before an age: "my son is for weeks old" (four), "to
# months old" (two).
_HEARD_AS = {"for": "4", "to": "2", "too": "2"}
_HEARD_UNITS = frozenset(("days", "weeks", "months", "wks", "mos"))


def _heard_numbers(words: list[str]) -> list[str]:
    if "old" not in words:
        return words
    return [_HEARD_AS[w] if w in _HEARD_AS and i + 2 < len(words) and words[i + 1] in _HEARD_UNITS
            and words[i + 2] == "old" and (i == 0 or not words[i - 1][:1].isdigit()) else w
            for i, w in enumerate(words)]


def _numbers_in_words(words: list[str]) -> list[str]:
    words = _heard_numbers(words)
    if _NUMBER_WORDS.isdisjoint(words):  # ("a" starts a number only before "hundred", which is in the set)
        return _said_decimals(_and_a_half(words) if "half" in words else words)
    out: list[str] = []
    i = 0
    while i < len(words):
        found = _number_at(words, i) if words[i] in _NUMBER_STARTS else None
        if found:
            out.append(found[0])
            i += found[1]
        elif out and out[-1].isdigit() and (words[i] in _POINT or words[i] == "con" and 34 <= int(out[-1]) <= 42) \
                and i + 1 < len(words) and (
                len(words[i + 1]) == 1 and words[i + 1].isdigit()
                or words[i + 1] in _UNITS and _UNITS[words[i + 1]] < 10):
            # "100 point 6", "38 punto cinco", "treinta y siete con cinco": the digits typed, the decimal said.
            out[-1] += "." + (words[i + 1] if words[i + 1].isdigit() else str(_UNITS[words[i + 1]]))
            i += 2
        else:
            out.append(words[i])
            i += 1
    out = _emergency_number_said(out)
    return _said_decimals(_and_a_half(out) if "half" in out else out)


def _emergency_number_said(words: list[str]) -> list[str]:
    """ "nueve uno uno", "nine one one" said digit by digit: the number 911, as a parent types it."""
    if "9" not in words:
        return words
    out: list[str] = []
    i = 0
    while i < len(words):
        if words[i] == "9" and i + 2 < len(words) and words[i + 1] in ("1", "one") and words[i + 2] in ("1", "one"):
            out.append("911")
            i += 3
        else:
            out.append(words[i])
            i += 1
    return out


_AFTER_NOT_DECIMAL = frozenset((
    "days", "day", "weeks", "week", "wks", "months", "month", "mo", "mos", "years", "dias", "dia", "semanas", "semana",
    "meses", "mes", "anos", "ano", "min", "minutes", "minutos", "hours", "horas", "times", "veces", "oz", "ml"))


_DURATION_UNITS = frozenset({"min", "mins", "minute", "minutes", "hour", "hours", "hr", "hrs"})


def _and_a_half(words: list[str]) -> list[str]:
    """ "8 and a half minutes", "eight and half minutes": a duration of 8.5 (how long an episode has gone on)."""
    out: list[str] = []
    i = 0
    while i < len(words):
        for size in (4, 3):  # "8 and a half minutes", "8 and half minutes"
            part = words[i:i + size + 1]
            if len(part) == size + 1 and part[0].isdigit() and part[1] == "and" and part[-2] == "half" and \
                    (size == 3 or part[2] == "a") and part[-1] in _DURATION_UNITS:
                out += [f"{part[0]}.5", part[-1]]
                i += size + 1
                break
        else:
            out.append(words[i])
            i += 1
    return out


def _said_decimals(words: list[str]) -> list[str]:
    """"treinta y siete ocho", "thirty eight six": a temperature said as whole degrees then a digit is 37.8."""
    if not any(34 <= int(word) <= 42 or 95 <= int(word) <= 106 for word in filter(str.isdigit, words)):
        return words  # (most messages have no whole degrees in them)
    out: list[str] = []
    i = 0
    while i < len(words):
        word = words[i]
        if word.isdigit() and 34 <= int(word) <= 42 and i + 1 < len(words) and len(words[i + 1]) == 1 and \
                words[i + 1].isdigit() and (i + 2 >= len(words) or words[i + 2] not in _AFTER_NOT_DECIMAL):
            out.append(f"{word}.{words[i + 1]}")
            i += 2
            continue
        if word.isdigit() and (34 <= int(word) <= 42 or 95 <= int(word) <= 106) and i + 2 < len(words) and \
                words[i + 1] == "y" and words[i + 2] in ("medio", "media"):
            out.append(f"{word}.5")  # "treinta y siete y medio": 37.5
            i += 3
            continue
        if word.isdigit() and (34 <= int(word) <= 42 or 95 <= int(word) <= 106) and \
                words[i + 1:i + 4] == ["and", "a", "half"]:
            out.append(f"{word}.5")  # "a fever of 100 and a half": 100.5
            i += 4
            continue
        out.append(word)
        i += 1
    return out


# --- One-letter slips in long key words -----------------------------------------------------------------

def _deletes(word: str) -> set[str]:
    return {word[:i] + word[i + 1:] for i in range(len(word))}


_DROPPED_D = ("ao", "aos", "io", "ios")
# Words of two letters or one that may stand between others in words run together ("legsshakinwhenistandhimup").
_SHORT_PIECES = frozenset(("i", "is", "im", "my", "up", "he", "no", "mi", "de", "me", "le", "la", "el", "se", "to",
                           "at", "it", "in", "on", "so", "mo"))
# The units an age or a duration is said in, with their length in days (the one list: every other use derives from
# it).
AGE_UNITS: dict[str, int] = {
    "day": 1, "days": 1, "d": 1, "dys": 1, "dias": 1, "dia": 1, "diitas": 1,
    "week": 7, "weeks": 7, "wk": 7, "wks": 7, "w": 7, "wkr": 7, "weeks old": 7, "semana": 7, "semanas": 7,
    "sem": 7, "semanitas": 7, "wek": 7, "weks": 7,
    "month": 30, "months": 30, "mnth": 30, "mnths": 30, "mo": 30, "mos": 30, "mon": 30, "mons": 30, "mth": 30,
    "mths": 30, "m": 30,
    "mes": 30, "meses": 30, "mese": 30, "mesecitos": 30, "monthes": 30, "mounths": 30, "monts": 30, "moth": 30,
    "year": 365, "years": 365, "yr": 365, "yrs": 365, "yo": 365, "y": 365, "ano": 365, "anos": 365, "anito": 365,
}  # fmt: skip


def alternation(words: Iterable[str]) -> str:
    """A regular expression's alternation of plain words, the longest first (the age units' patterns use it)."""
    return "|".join(re.escape(word) for word in sorted(words, key=len, reverse=True))


# Units that run into the "old" after them ("3wksold"); not a single letter ("mold").
_UNITS_BEFORE_OLD = frozenset(unit for unit in AGE_UNITS if len(unit) > 1 and " " not in unit)


class Speller:
    """Corrects a token one edit away (delete, insert, replace, swap) from exactly one key word.

    Only words of 7 letters or more are keys, and a token that is itself a known word is never changed,
    so "breathed" stays "breathed" and "seizre" becomes "seizure".
    """

    def __init__(self, keys: Iterable[str], known: Iterable[str], stems: Iterable[str] = ()) -> None:
        self.known = frozenset(known) | frozenset(keys)
        self.stems = tuple(sorted(set(stems)))  # a word any pattern's stem covers is no typo ("quejido")
        index: dict[str, set[str]] = {}
        for key in keys:
            if len(key) < 7:
                continue
            for variant in {key, *_deletes(key)}:
                index.setdefault(variant, set()).add(key)
        self.index = index
        self.cache: dict[str, str] = {}
        self.joined: dict[str, tuple[str, ...]] = {}
        self.covered: dict[str, bool] = {}

    def correct(self, token: str) -> str:
        if token in self.known:
            return token
        if (hit := self.cache.get(token)) is not None:
            return hit
        # Caribbean, Andean and Chilean speech drops the d of -ado and -ido, and so do parents who write as they
        # speak: "desviao", "cansaos", "hundío" (hundido). The full word when the vocabulary knows it.
        if len(token) >= 4 and token.endswith(_DROPPED_D) and not token.startswith(self.stems):
            full = token[:-1] + "do" if token[-1] == "o" else token[:-2] + "dos"
            if full in self.known or full.startswith(self.stems):
                return self._remember(token, full)
        # Text-speak drops the g of -ing and the e of -ed: "breathin", "gettin", "stoppd", "jerkd".
        if len(token) >= 5 and token.endswith("in") and token + "g" in self.known:
            return self._remember(token, token + "g")
        if len(token) >= 5 and token.endswith("d") and not token.endswith("ed") and token[:-1] + "ed" in self.known:
            return self._remember(token, token[:-1] + "ed")
        if len(token) < 6:
            return token
        if token.startswith(self.stems):
            return self._remember(token, token)
        candidates: set[str] = set()
        for variant in {token, *_deletes(token)}:
            for key in self.index.get(variant, ()):
                if abs(len(key) - len(token)) <= 1 and _one_edit(token, key):
                    candidates.add(key)
        result = candidates.pop() if len(candidates) == 1 else token
        return self._remember(token, result)

    def unjoin(self, words: tuple[str, ...]) -> tuple[str, ...]:
        """Words typed without spaces, split into the words they are made of ("babyshakingcantwakehim",
        "wontlatch", "teniafiebre", "3wksold"); every other word as it is."""
        if all(len(w) < 6 or w in self.known for w in words):
            return words  # (almost every message)
        out: list[str] = []
        for word in words:
            if len(word) < 6 or word in self.known or not word.isalpha():
                out.append(word)
                continue
            if (pieces := self.joined.get(word)) is None:
                # (a typo the speller mends is one word: "breastfeedin"; so is a word a pattern's stem covers:
                # "nonresponsive", "tempratura", "chestfeeding")
                pieces = _kept(self.joined, word, self._pieces(word) if self.correct(word) == word and
                               not self._covered(word) else (word,))
            out.extend(pieces)
        return tuple(out)

    def rejoin(self, words: tuple[str, ...]) -> tuple[str, ...]:
        """A long word a recogniser heard as two or three ("ser trali na", "predni sona", "con vulsiones"), made
        one again when it is a word of the vocabulary and one of its parts is none."""
        known = self.known
        unknown = [w not in known and w.isalpha() and not self._covered(w) for w in words]
        if True not in unknown:
            return words  # (most messages)
        out: list[str] = []
        i, n = 0, len(words)
        while i < n:
            for size in (3, 2):
                if i + size <= n and any(unknown[i:i + size]) and all(w.isalpha() for w in words[i:i + size]):
                    whole = "".join(words[i:i + size])
                    if len(whole) >= 7 and whole in self.known:
                        out.append(whole)
                        i += size
                        break
            else:
                out.append(words[i])
                i += 1
        return tuple(out)

    def _covered(self, word: str) -> bool:
        """Whether the vocabulary knows the word or one of its patterns' stems covers it."""
        if (hit := self.covered.get(word)) is None:
            hit = _kept(self.covered, word, word in self.known or word.startswith(self.stems))
        return hit

    def _pieces(self, token: str) -> tuple[str, ...]:
        """The fewest known words that make up `token` (the longer the better), when they are surely words run
        together: a token of 12 letters or more that splits into words of 3.5 letters on average, one of 9 to 11
        into two words of 4 letters or more, or a unit run into "old". A word of its own ("understand",
        "babysitting", "motionless": wordninja's English word list) is never split."""
        if token.endswith("old") and token[:-3] in _UNITS_BEFORE_OLD:
            return token[:-3], "old"
        n = len(token)
        if n < 9:
            return (token,)
        best: list[tuple[int, int, tuple[str, ...]] | None] = [None] * (n + 1)
        best[0] = (0, 0, ())
        for i in range(n):
            here = best[i]
            if here is None:
                continue
            for j in range(i + 1, n + 1):
                piece = token[i:j]
                if piece in _SHORT_PIECES or (len(piece) >= 3 and piece in self.known):
                    candidate = (here[0] + 1, here[1] - len(piece) ** 2, (*here[2], piece))
                    there = best[j]
                    if there is None or candidate[:2] < there[:2]:
                        best[j] = candidate
        found = best[n]
        if found is None or len(found[2]) < 2:
            return (token,)
        pieces = found[2]
        surely = n / len(pieces) >= 3.5 if n >= 12 else len(pieces) == 2 and min(map(len, pieces)) >= 4
        if not surely or wordninja.split(token) == [token]:
            return (token,)
        return pieces

    def _remember(self, token: str, result: str) -> str:
        return _kept(self.cache, token, result)


_CACHE_MAX = 50_000  # words remembered by each of the speller's caches (a flood of new words cannot grow them)
_Value = TypeVar("_Value")


def _kept(cache: dict[str, _Value], key: str, value: _Value) -> _Value:
    """`value`, remembered in `cache` under `key` while the cache has room."""
    if len(cache) < _CACHE_MAX:
        cache[key] = value
    return value


def _one_edit(a: str, b: str) -> bool:
    if a == b:
        return True
    if len(a) == len(b):
        diff = [i for i in range(len(a)) if a[i] != b[i]]
        return len(diff) == 1 or (len(diff) == 2 and diff[1] == diff[0] + 1
                                  and a[diff[0]] == b[diff[1]] and a[diff[1]] == b[diff[0]])
    if len(a) > len(b):
        a, b = b, a
    return any(a == b[:i] + b[i + 1:] for i in range(len(b)))


@dataclass(frozen=True)
class Tokens:
    """A message as tokens: lowercase ASCII words, numbers ("38.5"), and clause-break punctuation."""

    words: tuple[str, ...]

    def __len__(self) -> int:
        return len(self.words)

    @property
    def text(self) -> str:
        return " ".join(self.words)


@functools.lru_cache(maxsize=256)
def _raw_words(text: str) -> tuple[str, ...]:
    return tuple(t.replace(",", ".") if t[0].isdigit() else _SLASHED.get(t, t) for t in _TOKEN.findall(_fold(text)))


@functools.lru_cache(maxsize=256)
def _with_numbers(raw: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(_numbers_in_words(list(raw)))


# "I don't think so", "I guess so" end a clause: "no i dont think so shes breathing okay" is two statements,
# not "i dont think ... shes breathing okay". A break is put after them when more words follow.
_SO_ANSWERS = frozenset(("think", "guess", "hope", "believe", "suppose"))


def _answer_breaks(words: tuple[str, ...]) -> tuple[str, ...]:
    if "so" not in words:
        return words
    out: list[str] = []
    for i, word in enumerate(words):
        out.append(word)
        if word == "so" and i and words[i - 1] in _SO_ANSWERS and i + 1 < len(words) and words[i + 1] not in BREAKS:
            out.append(",")
    return tuple(out)


def tokenize(text: str, speller: Speller | None = None, misspellings: dict[str, str] | None = None) -> Tokens:
    # A step reads its message more than once (the reading, the language guess): the pure parts are remembered.
    raw = _raw_words(text)
    if speller is not None:
        raw = speller.rejoin(speller.unjoin(raw))
    if misspellings:
        raw = tuple(misspellings.get(w, w) for w in raw)
    words: Iterable[str] = _answer_breaks(_with_numbers(raw))
    if speller is not None:
        words = [speller.correct(w) if w.isalpha() else w for w in words]
    return Tokens(tuple(words))
