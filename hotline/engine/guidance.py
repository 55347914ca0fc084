"""Guidance passages: short, sourced answers a parent can read in one text, and their validating parser.

Each passage paraphrases one section of the source article (its `section` id, from `SECTIONS`), so staff
can trace every piece of advice back to where it came from. The parser is the passages' compiler: a broken
content file fails at load time with a message that names the file, the passage and the fix.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from hotline.engine.levels import SECTIONS

LANGUAGES: tuple[str, ...] = ("en", "es")
TOPICS: tuple[str, ...] = ("normal", "why", "worry", "soothe", "doctor")

# The engine adds a header and footer and caps a reply at 3 SMS parts. English stays in GSM-7
# (153 characters a part); any Spanish accent switches the message to UCS-2 (67 a part), hence the
# much tighter Spanish budget.
MAX_LENGTH: Mapping[str, int] = MappingProxyType({"en": 300, "es": 150})

# The GSM 03.38 basic character set that is also ASCII. Extension characters ([ ] { } ~ ^ | \) are left
# out on purpose: each costs two septets and none belongs in a message to a parent.
GSM7_ASCII = frozenset(
    "\n\r !\"#%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz$"
)
# GSM-7 letters Spanish uses (é ñ ü ¿ ¡ are in the basic set), plus the accented vowels it lacks. Those
# force UCS-2, which the Spanish length budget already assumes.
SPANISH_EXTRA = frozenset("éÉñÑüÜ¿¡áíóúÁÍÓÚ")
ALLOWED_CHARACTERS: Mapping[str, frozenset[str]] = MappingProxyType(
    {"en": GSM7_ASCII, "es": GSM7_ASCII | SPANISH_EXTRA}
)

# Placeholders the engine fills in before sending. Braces are not plain GSM-7, so the character check
# skips a known placeholder; the length check counts it as written, which is longer than any emergency
# number it stands for.
PLACEHOLDERS: tuple[str, ...] = ("{emergency}",)

REQUIRED_KEYS = ("id", "section", "topic", "text")
OPTIONAL_KEYS = ("questions", "keywords")


class ContentError(ValueError):
    """A content file is wrong; message names the file, the passage id and the fix."""


@dataclass(frozen=True)
class Passage:
    """One piece of guidance, in every supported language, with the wordings that should find it."""

    id: str
    section: str
    topic: str
    # Mappings are not hashable, so a passage hashes by its identity fields only.
    text: Mapping[str, str] = field(hash=False)
    questions: Mapping[str, tuple[str, ...]] = field(hash=False)
    keywords: Mapping[str, tuple[str, ...]] = field(hash=False)

    def in_language(self, language: str) -> str:
        """The passage text in `language` ("es", "es-MX", ...), or in English when there is none."""
        base = language.split("-")[0].split("_")[0].lower()
        return self.text.get(base) or self.text["en"]


def parse_passages(data: object, source: str) -> dict[str, Passage]:
    """Validate parsed YAML; raise ContentError naming `source` (the file path), the passage and the problem:
    unknown section (list the valid ids, suggest the closest with difflib), duplicate id, missing language,
    text too long (say by how much), non-GSM-7 character in English (name the character and its position),
    unknown topic.

    Returns the passages by id, in file order.
    """
    if not isinstance(data, Mapping) or "passages" not in data:
        raise ContentError(f"{source}: expected a mapping with a 'passages' list at the top level")
    entries = data["passages"]
    if not isinstance(entries, list) or not entries:
        raise ContentError(f"{source}: 'passages' must be a non-empty list of passages")

    passages: dict[str, Passage] = {}
    for index, entry in enumerate(entries, start=1):
        passage = _parse_passage(entry, f"{source}: passage #{index}", source)
        if passage.id in passages:
            raise ContentError(
                f"{source}: passage '{passage.id}': duplicate id (passage #{index} reuses it); "
                "give each passage its own id"
            )
        passages[passage.id] = passage
    return passages


def _parse_passage(entry: object, where: str, source: str) -> Passage:
    if not isinstance(entry, Mapping):
        raise ContentError(f"{where}: expected a mapping with keys {', '.join(REQUIRED_KEYS)}")
    passage_id = entry.get("id")
    if not isinstance(passage_id, str) or not passage_id.strip():
        raise ContentError(f"{where}: missing 'id' (a short name such as 'why-tired')")
    where = f"{source}: passage '{passage_id}'"

    for key in entry:
        if key not in REQUIRED_KEYS + OPTIONAL_KEYS:
            raise ContentError(
                f"{where}: unknown key {key!r}{_did_you_mean(str(key), REQUIRED_KEYS + OPTIONAL_KEYS)}"
            )
    for key in REQUIRED_KEYS:
        if key not in entry:
            raise ContentError(f"{where}: missing '{key}'")

    section = entry["section"]
    if section not in SECTIONS:
        raise ContentError(
            f"{where}: unknown section {section!r}{_did_you_mean(str(section), SECTIONS)}; "
            f"valid sections: {', '.join(SECTIONS)}"
        )
    topic = entry["topic"]
    if topic not in TOPICS:
        raise ContentError(
            f"{where}: unknown topic {topic!r}{_did_you_mean(str(topic), TOPICS)}; "
            f"valid topics: {', '.join(TOPICS)}"
        )

    text = _parse_text(entry["text"], where)
    questions = _parse_phrases(entry.get("questions", {}), "questions", where)
    keywords = _parse_phrases(entry.get("keywords", {}), "keywords", where)
    return Passage(
        id=passage_id,
        section=section,
        topic=topic,
        text=MappingProxyType(text),
        questions=MappingProxyType(questions),
        keywords=MappingProxyType(keywords),
    )


def _parse_text(value: object, where: str) -> dict[str, str]:
    if not isinstance(value, Mapping):
        raise ContentError(f"{where}: 'text' must map each language ({', '.join(LANGUAGES)}) to a string")
    _check_languages(value, "text", where)
    text: dict[str, str] = {}
    for language in LANGUAGES:
        if language not in value:
            raise ContentError(f"{where}: missing language '{language}' in 'text'; add text.{language}")
        body = value[language]
        if not isinstance(body, str) or not body.strip():
            raise ContentError(f"{where}: text.{language} must be a non-empty string")
        limit = MAX_LENGTH[language]
        if len(body) > limit:
            raise ContentError(
                f"{where}: text.{language} is too long: {len(body)} characters, {len(body) - limit} over "
                f"the limit of {limit}; shorten it by {len(body) - limit}"
            )
        for position, character in _characters_outside_placeholders(body):
            if character not in ALLOWED_CHARACTERS[language]:
                kind = "non-GSM-7 character" if language == "en" else "character not allowed in Spanish SMS"
                raise ContentError(
                    f"{where}: text.{language} has a {kind} {character!r} (U+{ord(character):04X}) at "
                    f"position {position}; {_plain_replacement(character)}"
                )
        text[language] = body
    return text


def _characters_outside_placeholders(body: str) -> list[tuple[int, str]]:
    """(1-based position, character) for every character not inside a known placeholder."""
    covered: set[int] = set()
    for placeholder in PLACEHOLDERS:
        start = body.find(placeholder)
        while start >= 0:
            covered.update(range(start, start + len(placeholder)))
            start = body.find(placeholder, start + 1)
    return [(index + 1, character) for index, character in enumerate(body) if index not in covered]


def _parse_phrases(value: object, key: str, where: str) -> dict[str, tuple[str, ...]]:
    if not isinstance(value, Mapping):
        raise ContentError(f"{where}: '{key}' must map each language to a list of strings")
    _check_languages(value, key, where)
    phrases: dict[str, tuple[str, ...]] = {}
    for language in LANGUAGES:
        items = value.get(language, [])
        if not isinstance(items, list) or not all(isinstance(item, str) and item.strip() for item in items):
            raise ContentError(f"{where}: {key}.{language} must be a list of non-empty strings")
        phrases[language] = tuple(items)
    return phrases


def _check_languages(value: Mapping[object, object], key: str, where: str) -> None:
    for language in value:
        if language not in LANGUAGES:
            hint = _did_you_mean(str(language), LANGUAGES)
            raise ContentError(
                f"{where}: unknown language {language!r} in '{key}'{hint}; supported: {', '.join(LANGUAGES)}"
            )


def _did_you_mean(word: str, choices: Iterable[str]) -> str:
    close = difflib.get_close_matches(word, list(choices), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


# What a writer most often pastes in from a word processor, and what to type instead.
_PLAIN = {
    "\u2018": "use a straight quote (') instead",
    "\u2019": "use a straight quote (') instead",
    "\u201c": 'use a straight double quote (") instead',
    "\u201d": 'use a straight double quote (") instead',
    "\u2013": "use a hyphen (-) instead",
    "\u2014": "use a hyphen (-) or a new sentence instead",
    "\u2026": "use three dots (...) instead",
    "\u00a0": "use a plain space instead",
}


def _plain_replacement(character: str) -> str:
    return _PLAIN.get(character, "remove it or use a plain letter")
