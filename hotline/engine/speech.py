"""Text for the ear: the engine's replies as short spoken parts, options as "Press 1, or say normal.", spoken
keys ("two", "number 2", "dos") as digits, and speech hints. Pure: the call's state machine uses it; the voice
channel turns what it decides into TwiML.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from hotline.engine.call_script import VoiceScript
from hotline.engine.runner import Option, normalize

MAX_SAY_CHARS = 220  # one <Say> per sentence group: a caller can take in about this much at once
MAX_HINTS = 60

# Words a caller may say instead of pressing star, in both languages.
REPEAT_WORDS = frozenset({"repeat", "again", "say again", "repetir", "repita", "otra vez", "star", "asterisco"})
NUMBER_WORDS = {
    "zero": "0", "oh": "0", "one": "1", "two": "2", "to": "2", "too": "2", "three": "3", "four": "4",
    "for": "4", "five": "5", "six": "6", "seven": "7", "eight": "8", "nine": "9",
    "cero": "0", "uno": "1", "una": "1", "dos": "2", "tres": "3", "cuatro": "4", "cinco": "5", "seis": "6",
    "siete": "7", "ocho": "8", "nueve": "9",
}
_NUMBER_PREFIX = re.compile(r"^(?:number|option|press|numero|opcion|oprima|el|la)\s+")
# Always worth hinting: the words that work at any prompt.
_CALL_WORDS = {"en": ("repeat", "menu", "emergency"), "es": ("repetir", "menú", "emergencia")}


def spoken_key(text: str) -> str | None:
    """A spoken key ("two", "number 2", "dos") as the digit it stands for, else None."""
    norm = _NUMBER_PREFIX.sub("", normalize(text))
    if re.fullmatch(r"\d", norm):
        return norm
    return NUMBER_WORDS.get(norm)


def says_any(norm: str, words: Iterable[str]) -> str | None:
    """The longest of `words` said as whole words in `norm` (a normalized utterance), else None."""
    found = [word for word in words
             if (w := normalize(word)) and re.search(rf"(?<!\w){re.escape(w)}(?!\w)", norm)]
    return max(found, key=lambda word: len(normalize(word))) if found else None


def speech_parts(text: str, limit: int = MAX_SAY_CHARS) -> list[str]:
    """Split text into short parts at sentence ends (never inside a sentence unless it is very long)."""
    flat = " ".join(text.replace("\n", " ").split())
    # SMS line items ("1 Is this normal?") and bullets read badly; plain sentences read well.
    flat = re.sub(r"\s*[•·]\s*", ". ", flat)
    # "100.4 F / 38 C" is written for a screen; "100.4 °F, 38 °C" is read as degrees in either language.
    flat = re.sub(r"(\d+(?:\.\d+)?) ?([FC])\b", r"\1 °\2", flat)
    flat = re.sub(r"(°[FC]) / ", r"\1, ", flat)
    sentences = [s for s in re.split(r"(?<=[.!?])\s+", flat) if s]
    parts: list[str] = []
    for sentence in sentences:
        while len(sentence) > limit:
            cut = sentence.rfind(", ", 0, limit)
            cut = cut + 1 if cut > limit // 3 else sentence.rfind(" ", 0, limit)
            if cut <= 0:
                cut = limit
            parts.append(sentence[:cut].strip())
            sentence = sentence[cut:].strip()
        if parts and len(parts[-1]) + 1 + len(sentence) <= limit and not parts[-1].endswith("?"):
            parts[-1] = f"{parts[-1]} {sentence}"
        elif sentence:
            parts.append(sentence)
    return parts


def spoken_word(option: Option) -> str:
    """What to tell the caller to say for an option: a word the engine matches, as close to the label as can be."""
    label = normalize(option.label)
    words = [w for w in option.words if len(normalize(w)) > 1 and not normalize(w).isdigit()]
    in_label = [w for w in words if re.search(rf"(?<!\w){re.escape(normalize(w))}(?!\w)", label)]
    if in_label:
        return max(in_label, key=len)
    return words[0] if words else option.label.rstrip("?.!")


def option_sentences(options: Sequence[Option], language: str, script: VoiceScript) -> list[str]:
    """"Is this normal? Press 1, or say normal." for every option."""
    sentences = []
    for option in options:
        word = spoken_word(option)
        press = script.phrase("press", language).replace("{key}", option.key).replace("{word}", word)
        label = option.label.strip()
        if normalize(label) == normalize(word):
            sentences.append(press)
        else:
            end = "" if label[-1:] in ".?!" else "."
            sentences.append(f"{label}{end} {press}")
    return sentences


def hints(words: Iterable[str], language: str) -> str:
    """Speech hints: the words that answer this prompt, plus the call's own key words."""
    found = [*words, *_CALL_WORDS["en" if language == "en" else "es"]]
    unique = list(dict.fromkeys(h.strip() for h in found if h.strip() and "," not in h))
    return ", ".join(unique[:MAX_HINTS])


def hints_for(options: Sequence[Option], language: str) -> str:
    """Speech hints for a flow question: each option's label and words."""
    found: list[str] = []
    for option in options:
        found.append(option.label.rstrip("?.!¿¡"))
        found.extend(w for w in option.words if len(w) > 1)
    return hints(found, language)
