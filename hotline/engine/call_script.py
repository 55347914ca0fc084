"""What a call says around the flow, as data: `flows/voice.yaml`'s phrases and menus, and their checking parser.

A menu is a list of rows, one key each: the action the call's state machine (`hotline/engine/call.py`) takes
when that key is pressed or one of its words is said, the sentence that announces it ("To hear it again,
{press}." is read "To hear it again, press 2."), and a condition. For each key the machine takes the first row
whose condition holds now, and announces and accepts only those rows, so the digit a caller hears and the
branch it takes come from the same row and cannot drift apart.

The parser is the file's compiler: a broken file fails at load with a message that names the file, the entry
and the fix, e.g. `flows/voice.yaml: menu 'outcome', row 2 (key 2): unknown action 'repeet' (did you mean
'repeat'?)`. Pure: no I/O.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Literal, cast, get_args

LANGUAGES: tuple[str, ...] = ("en", "es")

# What a menu row can do: the call state machine's handlers (it handles every one; mypy checks that it does).
MenuAction = Literal[
    "send_summary",  # text the advice just heard, then goodbye
    "no_text",  # "Sorry, I cannot text this number", then goodbye
    "repeat",  # say the last prompt again
    "enroll_checkins",  # sign up for check-in texts (the caller's consent), then the after_checkins menu
    "main_menu",  # back to the flow's main menu
    "connect_nurse",  # dial the nurse line
    "call_back",  # record a message for a nurse to call back
    "no_callback",  # "I cannot see your phone number", then goodbye
]
MENU_ACTIONS: tuple[str, ...] = get_args(MenuAction)

# When a row is offered: facts the machine knows on every webhook.
Condition = Literal[
    "always",
    "can_text",  # the caller's number is known and has not texted STOP
    "can_transfer",  # a nurse line is set, staffed now, and has not failed on this call
    "has_number",  # the caller's number is known (not hidden)
]
CONDITIONS: tuple[str, ...] = get_args(Condition)

# An action that texts, dials or calls back is only ever offered when it can be done.
NEEDS: Mapping[str, str] = {
    "send_summary": "can_text", "enroll_checkins": "can_text", "connect_nurse": "can_transfer",
    "call_back": "has_number",
}

# The menus the machine opens, by the call's mode.
MENUS: tuple[str, ...] = ("outcome", "emergency", "after_checkins")

# Every phrase the machine says, with the placeholders it may hold beyond {emergency} (the emergency number).
PHRASES: Mapping[str, frozenset[str]] = {
    **{name: frozenset() for name in (
        "greeting", "choose_language", "thanks", "acknowledged", "keys_help", "silence", "not_understood",
        "goodbye_no_answer", "goodbye_long_call", "summary_intro", "emergency_hang_up", "connecting",
        "transfer_done", "transfer_failed", "record_prompt", "callback_saved", "no_number", "summary_queued",
        "checkins_enrolled", "checkins_not_possible", "summary_not_possible", "help", "error")},
    "press": frozenset({"key", "word"}),  # a flow option: "Press {key}, or say {word}."
    "press_key": frozenset({"key"}),  # what {press} in a menu row becomes: "press {key}"
}
_PLACEHOLDER = re.compile(r"\{(\w*)\}")
# Pressed anywhere in a call: 9 is the emergency key, star repeats, pound ends an input.
RESERVED_KEYS: Mapping[str, str] = {"9": "the emergency key", "*": "the repeat key", "#": "the end-of-input key"}


class ScriptError(ValueError):
    """flows/voice.yaml is wrong; the message names the file, the entry and the fix."""


@dataclass(frozen=True)
class MenuRow:
    key: str
    action: MenuAction
    when: Condition = "always"
    say: Mapping[str, str] | None = field(default=None, hash=False)  # None: accepted, never announced
    words: tuple[str, ...] = ()  # said instead of pressing the key (both languages: a caller may mix them)


@dataclass(frozen=True)
class Menu:
    name: str
    rows: tuple[MenuRow, ...]

    def active(self, holds: Callable[[Condition], bool]) -> tuple[MenuRow, ...]:
        """The row each key leads to now: per key the first row whose condition holds, in file order."""
        taken: set[str] = set()
        rows = []
        for row in self.rows:
            if row.key not in taken and holds(row.when):
                taken.add(row.key)
                rows.append(row)
        return tuple(rows)

    def words(self, key: str) -> tuple[str, ...]:
        """What a caller may say instead of pressing `key`: the words of all its rows."""
        return tuple(dict.fromkeys(word for row in self.rows if row.key == key for word in row.words))


@dataclass(frozen=True)
class VoiceScript:
    phrases: Mapping[str, Mapping[str, str]]
    menus: Mapping[str, Menu]

    def phrase(self, name: str, language: str, emergency: str = "") -> str:
        texts = self.phrases[name]
        return (texts.get(language) or texts["en"]).replace("{emergency}", emergency)

    def sentence(self, row: MenuRow, language: str, emergency: str = "") -> str:
        """The row's announcement, with {press} read from the row's own key ("press 1" / "oprima 1")."""
        assert row.say is not None, "a silent row is never announced"
        template = row.say.get(language) or row.say["en"]
        press = self.phrase("press_key", language).replace("{key}", row.key)
        text = template.replace("{press}", press).replace("{emergency}", emergency)
        return text[:1].upper() + text[1:] if template.startswith("{press}") else text


def _did_you_mean(word: str, options: Iterable[str]) -> str:
    match = difflib.get_close_matches(word, list(options), n=1)
    return f" (did you mean '{match[0]}'?)" if match else ""


class _Reader:
    def __init__(self, source: str) -> None:
        self.source = source

    def fail(self, where: str, problem: str) -> ScriptError:
        return ScriptError(f"{self.source}: {where}: {problem}")

    def localized(self, value: object, where: str, allowed: frozenset[str], required: frozenset[str]) -> dict[str, str]:
        if isinstance(value, str):
            raise self.fail(where, "needs a text for each language (en: ..., es: ...), got a single string")
        if not isinstance(value, Mapping):
            raise self.fail(where, f"expected en: and es: texts, got {type(value).__name__}")
        unknown = sorted(set(map(str, value)) - set(LANGUAGES))
        if unknown:
            raise self.fail(where, f"unknown language '{unknown[0]}'; write en: and es:")
        texts: dict[str, str] = {}
        for language in LANGUAGES:
            text = value.get(language)
            if not isinstance(text, str) or not text.strip():
                raise self.fail(where, f"missing text in {language}: add `{language}: ...`")
            names = set(_PLACEHOLDER.findall(text))
            for name in sorted(names - allowed):
                raise self.fail(where, f"{language}: unknown placeholder {{{name}}}"
                                f"{_did_you_mean(name, allowed)}; allowed: "
                                + ", ".join(f"{{{a}}}" for a in sorted(allowed)))
            for name in sorted(required - names):
                raise self.fail(where, f"{language}: needs {{{name}}}, where the call says it")
            texts[language] = " ".join(text.split())
        return texts

    def words(self, value: object, where: str) -> tuple[str, ...]:
        if value is None:
            return ()
        if not isinstance(value, Mapping) or any(not isinstance(v, list | None) for v in value.values()):
            raise self.fail(where, "words must map a language to a list of words (en: [text, text me])")
        unknown = sorted(set(map(str, value)) - set(LANGUAGES))
        if unknown:
            raise self.fail(where, f"words: unknown language '{unknown[0]}'; write en: and es:")
        return tuple(str(w).strip().lower() for lang in LANGUAGES for w in value.get(lang) or [] if str(w).strip())


ROW_KEYS = ("key", "do", "when", "say", "words")


def parse_voice_script(data: object, source: str) -> VoiceScript:
    """Validate parsed flows/voice.yaml: every phrase in en and es with only its own placeholders, every menu
    the machine opens, and every row's key, action, condition, sentence and words."""
    read = _Reader(source)
    if not isinstance(data, Mapping):
        raise read.fail("top level", "expected a mapping with 'phrases' and 'menus'")
    for key in data:
        if key not in ("phrases", "menus"):
            raise read.fail("top level", f"unknown key '{key}'{_did_you_mean(str(key), ('phrases', 'menus'))}")

    raw_phrases = data.get("phrases")
    if not isinstance(raw_phrases, Mapping):
        raise read.fail("phrases", "expected a mapping of phrase name -> en/es texts")
    for name in PHRASES:
        if name not in raw_phrases:
            raise read.fail("phrases", f"phrase '{name}' is missing: the call says it; add it with en: and es:")
    phrases: dict[str, dict[str, str]] = {}
    for name, value in raw_phrases.items():
        where = f"phrase '{name}'"
        if name not in PHRASES:
            raise read.fail(where, f"unknown phrase{_did_you_mean(str(name), PHRASES)}: the call never says it; "
                            "fix its name or remove it")
        allowed = PHRASES[name] | {"emergency"}
        phrases[str(name)] = read.localized(value, where, allowed, PHRASES[name])

    raw_menus = data.get("menus")
    if not isinstance(raw_menus, Mapping):
        raise read.fail("menus", f"expected a mapping with the menus {', '.join(MENUS)}")
    for name in MENUS:
        if name not in raw_menus:
            raise read.fail("menus", f"menu '{name}' is missing: the call opens it; add its rows")
    menus: dict[str, Menu] = {}
    for name, raw_rows in raw_menus.items():
        if name not in MENUS:
            raise read.fail(f"menu '{name}'", f"unknown menu{_did_you_mean(str(name), MENUS)}; "
                            f"the call opens only {', '.join(MENUS)}")
        menus[str(name)] = _parse_menu(read, str(name), raw_rows)
    return VoiceScript(phrases=phrases, menus=menus)


def _parse_menu(read: _Reader, name: str, raw_rows: object) -> Menu:
    if not isinstance(raw_rows, list) or not raw_rows:
        raise read.fail(f"menu '{name}'", "expected a list of rows (key, do, when, say, words)")
    rows: list[MenuRow] = []
    for number, raw in enumerate(raw_rows, start=1):
        where = f"menu '{name}', row {number}"
        if not isinstance(raw, Mapping):
            raise read.fail(where, "expected a mapping with key, do and optionally when, say and words")
        for unknown in raw:
            if unknown not in ROW_KEYS:
                raise read.fail(where, f"unknown key '{unknown}'{_did_you_mean(str(unknown), ROW_KEYS)}")
        key = str(raw.get("key", "")).strip()
        if key in RESERVED_KEYS:
            raise read.fail(where, f"key {key} is {RESERVED_KEYS[key]} everywhere in a call; use another digit")
        if not re.fullmatch(r"[0-8]", key):
            raise read.fail(where, f"key {key!r}: a menu key is one digit, 0 to 8")
        where = f"{where} (key {key})"
        action = str(raw.get("do", ""))
        if action not in MENU_ACTIONS:
            raise read.fail(where, f"unknown action '{action}'{_did_you_mean(action, MENU_ACTIONS)}; "
                            f"actions: {', '.join(MENU_ACTIONS)}")
        when = str(raw.get("when", "always"))
        if when not in CONDITIONS:
            raise read.fail(where, f"unknown condition '{when}'{_did_you_mean(when, CONDITIONS)}; "
                            f"conditions: {', '.join(CONDITIONS)}")
        if action in NEEDS and when != NEEDS[action]:
            raise read.fail(where, f"'{action}' can only be offered when it can be done: add `when: {NEEDS[action]}`")
        say = None
        if raw.get("say") is not None:
            say = read.localized(raw["say"], f"{where} say", frozenset({"press", "emergency"}), frozenset({"press"}))
        for earlier_number, earlier in enumerate(rows, start=1):
            if earlier.key == key and earlier.when in ("always", when):
                raise read.fail(where, f"is never reached: row {earlier_number} takes key {key} "
                                f"{'always' if earlier.when == 'always' else 'when ' + when} before it; "
                                "remove this row or give the earlier one another condition")
        rows.append(MenuRow(key=key, action=cast(MenuAction, action), when=cast(Condition, when), say=say,
                            words=read.words(raw.get("words"), where)))
    keys = dict.fromkeys(row.key for row in rows)
    menu = Menu(name, tuple(rows))
    owner: dict[str, str] = {}
    for key in keys:
        for word in menu.words(key):
            if owner.setdefault(word, key) != key:
                raise read.fail(f"menu '{name}'", f"the word '{word}' is on keys {owner[word]} and {key}; "
                                "a word may stand for one key only")
    if not any(row.say for row in rows):
        raise read.fail(f"menu '{name}'", "announces nothing: give at least one row a `say:`")
    return menu
