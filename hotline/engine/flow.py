"""The flow model and its loader: the loader is the flows' compiler.

`load_flow` reads the guidance passages, the triage flow and what a call says around it (`flows/voice.yaml`,
`call_script.py`). A broken file fails at load time with a message that names the file, the entry and the fix,
e.g. `flows/triage.yaml: step 'fever', choice 1 -> unknown step 'breathin' (did you mean 'breathing'?)`.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import yaml

from hotline.engine.call_script import ScriptError, VoiceScript, parse_voice_script
from hotline.engine.guidance import ContentError, Passage, parse_passages
from hotline.engine.levels import Level
from hotline.engine.search import PassageIndex
from hotline.engine.yamlfile import load_yaml

LANGUAGES = ("en", "es")
FLOW_FILE = "triage.yaml"
GUIDANCE_FILE = "guidance.yaml"
VOICE_FILE = "voice.yaml"
REQUIRED_MESSAGES = (
    "welcome", "welcome_back", "help", "stopped", "started", "not_understood", "no_match", "language_set",
    "choices_intro", "menu_hint", "level_emergency", "level_urgent", "level_soon", "level_home",
    "worse_watch", "error", "slow_down", "thanks", "acknowledged", "media_received", "still_emergency",
    "still_urgent",
)


class FlowError(ValueError):
    """A flow file is wrong. The message names the file, the step and what to fix."""


Localized = Mapping[str, str]


@dataclass(frozen=True)
class Choice:
    key: str
    label: Localized
    words: Mapping[str, tuple[str, ...]]
    next: str
    flags: tuple[str, ...] = ()
    age_days: int | None = None
    # The words written for this choice alone ("keeps going", "se detiene"), not a shared yes or no list
    own_words: tuple[str, ...] = ()


@dataclass(frozen=True)
class Step:
    id: str
    text: Localized
    choices: tuple[Choice, ...] = ()
    guidance: tuple[str, ...] = ()
    outcome: bool = False
    skip_when_known: str | None = None
    only_if_age_over: int | None = None
    enroll: str | None = None  # arriving here enrolls the parent in this reminder schedule (with consent)
    asks: tuple[str, ...] = ()  # the red flags the question names, when not just what its answers report
    explain: Localized | None = None  # what the question means, said when a parent asks ("wdym hard to wake?")

    @cached_property  # (a step is read many times a conversation step and never changes)
    def asked(self) -> frozenset[str]:
        """The red flags this question asks about (`asks`, or else what its answers report): a message that
        denies all of them answers it, and it is not asked."""
        return frozenset(self.asks or (flag for c in self.choices for flag in c.flags))

    @cached_property
    def is_question(self) -> bool:
        """A symptom-check question: some answer reports a red flag or an age."""
        return any(c.flags or c.age_days is not None for c in self.choices)

    def choice(self, key: str) -> Choice | None:
        return next((c for c in self.choices if c.key == key), None)

    @property
    def plain_choice(self) -> Choice | None:
        """The answer that reports nothing (no red flag): what a denial, or skipping the question, comes to."""
        return next((c for c in self.choices if not c.flags), None)


@dataclass(frozen=True)
class ExampleTurn:
    say: str
    level: Level | None = None
    step: str | None = None
    reply_contains: str | None = None


@dataclass(frozen=True)
class Example:
    name: str
    turns: tuple[ExampleTurn, ...]


@dataclass(frozen=True)
class Flow:
    start: str
    check_start: str
    steps: Mapping[str, Step]
    messages: Mapping[str, Localized]
    red_flags: Mapping[str, str]
    outcome_guidance: Mapping[Level, tuple[str, ...]]
    passages: Mapping[str, Passage]
    index: PassageIndex = field(repr=False, compare=False)
    voice: VoiceScript = field(repr=False, compare=False)  # what a call says around the flow (flows/voice.yaml)
    examples: tuple[Example, ...] = ()
    checkin: str | None = None  # the step a reply to a check-in text is read against
    # What answers a message with no red flag: finding (flows/findings.yaml) -> guidance passages, in the
    # order the parent's question is best answered (questions first, then the situation they describe).
    topics: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    def message(self, name: str, language: str) -> str:
        texts = self.messages[name]
        return texts.get(language) or texts["en"]


def _closest(word: str, options: Any) -> str:
    match = difflib.get_close_matches(word, list(options), n=1)
    return f" (did you mean '{match[0]}'?)" if match else ""


class _Reader:
    """Turns parsed YAML into the model, collecting problems with their place in the file."""

    def __init__(self, source: str) -> None:
        self.source = source

    def fail(self, where: str, problem: str) -> FlowError:
        return FlowError(f"{self.source}: {where}: {problem}")

    def localized(self, value: Any, where: str) -> dict[str, str]:
        if isinstance(value, str):
            raise self.fail(where, "needs a text for each language (en: ..., es: ...), got a single string")
        if not isinstance(value, dict):
            raise self.fail(where, f"expected en/es texts, got {type(value).__name__}")
        missing = [lang for lang in LANGUAGES if not isinstance(value.get(lang), str) or not value[lang].strip()]
        if missing:
            raise self.fail(where, f"missing text in {', '.join(missing)}")
        return {lang: str(value[lang]).strip() for lang in LANGUAGES}

    def words(self, value: Any, where: str) -> dict[str, tuple[str, ...]]:
        value = value or {}
        if not isinstance(value, dict):
            raise self.fail(where, "words must map a language to a list of words")
        # A list may hold a shared list by its YAML alias (`[*yes_en, "it stops"]`): it is flattened.
        def flat(items: Any) -> list[str]:
            if not isinstance(items, list):
                raise self.fail(where, "words must map a language to a list of words")
            return [w for item in items for w in (flat(item) if isinstance(item, list) else [str(item).lower()])]
        return {lang: tuple(dict.fromkeys(flat(value.get(lang, []) or []))) for lang in LANGUAGES}

    @staticmethod
    def own_words(value: Any) -> tuple[str, ...]:
        """The words written for one choice alone, not those of a shared list it names by alias."""
        value = value if isinstance(value, dict) else {}
        return tuple(str(w).lower() for lang in LANGUAGES for w in value.get(lang) or [] if not isinstance(w, list))


def parse_flow(data: Any, source: str, passages: Mapping[str, Passage], known_flags: frozenset[str],
               voice: VoiceScript) -> Flow:
    """Validate a parsed flow file against the passages and the safety screen's flags."""
    read = _Reader(source)
    if not isinstance(data, dict):
        raise read.fail("top level", "expected a mapping with start, messages, red_flags and steps")
    raw_steps = data.get("steps")
    if not isinstance(raw_steps, dict) or not raw_steps:
        raise read.fail("steps", "no steps defined")

    messages = {}
    raw_messages = data.get("messages") or {}
    for name in REQUIRED_MESSAGES:
        if name not in raw_messages:
            raise read.fail("messages", f"message '{name}' is missing")
    for name, value in raw_messages.items():
        messages[name] = read.localized(value, f"message '{name}'")

    def check_passage(pid: str, where: str) -> str:
        if pid not in passages:
            raise read.fail(where, f"unknown guidance passage '{pid}'{_closest(pid, passages)}")
        return pid

    red_flags = {}
    for flag, pid in (data.get("red_flags") or {}).items():
        if flag not in known_flags:
            raise read.fail(f"red_flags '{flag}'",
                            f"the safety screen has no flag '{flag}'{_closest(flag, known_flags)}")
        red_flags[flag] = check_passage(str(pid), f"red_flags '{flag}'")
    for flag in sorted(known_flags - set(red_flags)):
        raise read.fail("red_flags", f"flag '{flag}' has no guidance passage: add '{flag}: <passage id>'")

    outcome_guidance: dict[Level, tuple[str, ...]] = {}
    for level_name, pids in (data.get("outcome_guidance") or {}).items():
        try:
            outcome_level = Level.parse(str(level_name))
        except ValueError as error:
            raise read.fail("outcome_guidance", str(error)) from None
        outcome_guidance[outcome_level] = tuple(check_passage(str(p), f"outcome_guidance '{level_name}'") for p in pids)

    steps: dict[str, Step] = {}
    for step_id, raw in raw_steps.items():
        where = f"step '{step_id}'"
        if not isinstance(raw, dict):
            raise read.fail(where, "expected a mapping with text and choices")
        unknown = set(raw) - {"text", "choices", "guidance", "outcome", "skip_when_known", "only_if_age_over",
                              "enroll", "asks", "explain"}
        if unknown:
            raise read.fail(where, f"unknown key(s) {', '.join(sorted(unknown))}")
        choices = []
        seen_keys: set[str] = set()
        for number, raw_choice in enumerate(raw.get("choices") or [], start=1):
            cwhere = f"{where}, choice {number}"
            key = str(raw_choice.get("key", "")).strip()
            if not key or key in seen_keys:
                raise read.fail(cwhere, f"key {key!r} is missing or used twice")
            seen_keys.add(key)
            flags = tuple(str(f) for f in raw_choice.get("flags") or [])
            for flag in flags:
                if flag not in known_flags:
                    raise read.fail(cwhere, f"unknown flag '{flag}'{_closest(flag, known_flags)}")
            if "next" not in raw_choice:
                raise read.fail(cwhere, "has no 'next' step")
            choices.append(Choice(
                key=key,
                label=read.localized(raw_choice.get("label"), f"{cwhere} label"),
                words=read.words(raw_choice.get("words"), cwhere),
                own_words=read.own_words(raw_choice.get("words")),
                next=str(raw_choice["next"]),
                flags=flags,
                age_days=int(raw_choice["age"]) if raw_choice.get("age") is not None else None,
            ))
        guidance = tuple(check_passage(str(p), where) for p in raw.get("guidance") or [])
        asks = tuple(str(f) for f in raw.get("asks") or [])
        for flag in asks:
            if flag not in known_flags:
                raise read.fail(f"{where}, asks", f"unknown flag '{flag}'{_closest(flag, known_flags)}")
        steps[str(step_id)] = Step(
            id=str(step_id),
            text=read.localized(raw.get("text"), f"{where} text"),
            choices=tuple(choices),
            guidance=guidance,
            outcome=bool(raw.get("outcome", False)),
            skip_when_known=raw.get("skip_when_known"),
            only_if_age_over=raw.get("only_if_age_over"),
            enroll=str(raw["enroll"]) if raw.get("enroll") else None,
            asks=asks,
            explain=read.localized(raw["explain"], f"{where} explain") if raw.get("explain") else None,
        )

    for step in steps.values():
        for number, choice in enumerate(step.choices, start=1):
            if choice.next not in steps:
                raise read.fail(
                    f"step '{step.id}', choice {number}",
                    f"-> unknown step '{choice.next}'{_closest(choice.next, steps)}",
                )
        if not step.choices:
            raise read.fail(f"step '{step.id}'", "has no choices: every step must offer a way on")
        if step.skip_when_known == "age" and len({c.next for c in step.choices}) != 1:
            raise read.fail(f"step '{step.id}'", "skip_when_known: age needs every choice to lead to the same step")
    start = str(data.get("start", ""))
    check_start = str(data.get("check_start", "age"))
    checkin = str(data["checkin"]) if data.get("checkin") else None
    for name, step_id in (("start", start), ("check_start", check_start), ("checkin", checkin or start)):
        if step_id not in steps:
            raise read.fail(name, f"unknown step '{step_id}'{_closest(step_id, steps)}")
    if not any(s.outcome for s in steps.values()):
        raise read.fail("steps", "no step has 'outcome: true', so no check can reach an assessment")
    _check_reachable(read, steps, start, *([checkin] if checkin else []))

    topics: dict[str, tuple[str, ...]] = {}
    from hotline.engine.safety import READER

    for finding, pids in (data.get("topics") or {}).items():
        if finding not in READER.kinds:
            raise read.fail(f"topics '{finding}'", f"unknown finding '{finding}'{_closest(str(finding), READER.kinds)}")
        topics[str(finding)] = tuple(check_passage(str(p), f"topics '{finding}'") for p in pids)

    examples = []
    for number, raw in enumerate(data.get("examples") or [], start=1):
        turns = []
        for t, turn in enumerate(raw.get("turns") or [], start=1):
            where = f"example {number} ('{raw.get('name', '')}'), turn {t}"
            if "say" not in turn:
                raise read.fail(where, "needs 'say'")
            level: Level | None = None
            if turn.get("level"):
                try:
                    level = Level.parse(str(turn["level"]))
                except ValueError as error:
                    raise read.fail(where, str(error)) from None
            if turn.get("step") and turn["step"] not in steps:
                raise read.fail(where, f"unknown step '{turn['step']}'{_closest(turn['step'], steps)}")
            turns.append(ExampleTurn(str(turn["say"]), level, turn.get("step"), turn.get("reply_contains")))
        examples.append(Example(str(raw.get("name", f"example {number}")), tuple(turns)))

    return Flow(
        start=start,
        check_start=check_start,
        steps=steps,
        messages=messages,
        red_flags=red_flags,
        outcome_guidance=outcome_guidance,
        passages=passages,
        index=PassageIndex(passages.values()),
        voice=voice,
        examples=tuple(examples),
        checkin=checkin,
        topics=topics,
    )


def _check_reachable(read: _Reader, steps: Mapping[str, Step], start: str, *entries: str) -> None:
    seen, todo = set(), [start, *entries]
    while todo:
        step_id = todo.pop()
        if step_id in seen:
            continue
        seen.add(step_id)
        todo.extend(c.next for c in steps[step_id].choices)
    unreachable = sorted(set(steps) - seen)
    if unreachable:
        raise read.fail(f"step '{unreachable[0]}'",
                        f"cannot be reached from '{start}'; link it from a choice or remove it")


def _read_yaml(path: Path) -> Any:
    try:
        return load_yaml(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise FlowError(f"{path}: file not found") from None
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "somewhere"
        raise FlowError(f"{path}: not valid YAML at {where}: {getattr(error, 'problem', error)}") from None


def load_flow(flows_dir: Path) -> Flow:
    """Read and validate the guidance passages, the triage flow and the call's phrases and menus in `flows_dir`."""
    from hotline.engine.safety import FLAGS

    guidance_path = flows_dir / GUIDANCE_FILE
    try:
        passages = parse_passages(_read_yaml(guidance_path), str(guidance_path))
    except ContentError as error:
        raise FlowError(str(error)) from None
    voice_path = flows_dir / VOICE_FILE
    try:
        voice = parse_voice_script(_read_yaml(voice_path), str(voice_path))
    except ScriptError as error:
        raise FlowError(str(error)) from None
    flow_path = flows_dir / FLOW_FILE
    return parse_flow(_read_yaml(flow_path), str(flow_path), passages, frozenset(FLAGS), voice)
