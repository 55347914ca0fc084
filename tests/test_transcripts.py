"""Whole conversations as data: every tests/transcripts/*.yaml is played through the real signed SMS webhook and
through the real voice webhook (the caller speaks: Gather's SpeechResult), against the tests' redis-server.

A transcript is a list of steps: what the parent sends, and what the hotline must answer (phrases or the full
text, the level it records, what it does: enrolled, opted out, a callback, a staff case). Where a channel
legitimately differs, the step says so (`sms_only`, `voice_only`, or `sms:` / `voice:` expectations). The format
is tests/transcripts/README.md; the player is tests/evaluation/play.py's, the one the triage evaluation uses.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from hotline.engine.yamlfile import load_yaml
from hotline.services import Services
from hotline.store.calls import CallStore
from tests.evaluation.play import Heard, Hotline

TRANSCRIPTS = Path(__file__).resolve().parent / "transcripts"
CHANNELS = ("sms", "voice")
LEVELS = ("none", "home", "soon", "urgent", "emergency")
PARENT = "+15551230001"

TOP_KEYS = {"name", "language", "steps"}
EXPECT_KEYS = {"send", "level", "says", "not_says", "reply", "effects"}
STEP_KEYS = EXPECT_KEYS | {"sms_only", "voice_only", *CHANNELS}
EFFECTS = {"enrolled": bool, "opted_out": bool, "callback": bool, "case": str}


class TranscriptError(ValueError):
    pass


@dataclass(frozen=True)
class Step:
    number: int  # 1-based, as the file is read
    send: str
    level: str | None = None
    says: tuple[str, ...] = ()
    not_says: tuple[str, ...] = ()
    reply: str | None = None
    effects: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Transcript:
    path: Path
    name: str
    language: str
    steps: tuple[dict[str, Any], ...]

    def steps_for(self, channel: str) -> list[Step]:
        """The steps as played on `channel`: the other channel's own steps left out, this channel's expectations
        laid over the shared ones."""
        played = []
        for number, raw in enumerate(self.steps, 1):
            if raw.get("sms_only") and channel != "sms" or raw.get("voice_only") and channel != "voice":
                continue
            merged = {k: v for k, v in raw.items() if k in EXPECT_KEYS}
            merged.update(raw.get(channel) or {})
            played.append(_step(self.path, number, merged))
        return played


def _phrases(path: Path, number: int, key: str, value: Any) -> tuple[str, ...]:
    values = [value] if isinstance(value, str) else value
    if not isinstance(values, list) or not all(isinstance(v, str) and v.strip() for v in values):
        raise TranscriptError(f"{path.name}: step {number}: `{key}` is a phrase or a list of phrases")
    return tuple(values)


def _step(path: Path, number: int, raw: dict[str, Any]) -> Step:
    where = f"{path.name}: step {number}"
    send = raw.get("send")
    if not isinstance(send, str):
        raise TranscriptError(f"{where}: `send` must be text; quote it (a bare yes or no is read as true or false)")
    level = raw.get("level")
    if level is not None and level not in LEVELS:
        raise TranscriptError(f"{where}: level {level!r} is not one of {', '.join(LEVELS)}")
    effects = raw.get("effects") or {}
    for name, value in effects.items():
        kind = EFFECTS.get(name)
        if kind is None:
            raise TranscriptError(f"{where}: unknown effect {name!r} (known: {', '.join(EFFECTS)})")
        if kind is str and value is not False and value not in LEVELS[1:]:
            raise TranscriptError(f"{where}: `case` is a level ({', '.join(LEVELS[1:])}) or false")
        if kind is bool and not isinstance(value, bool):
            raise TranscriptError(f"{where}: `{name}` is true or false")
    reply = raw.get("reply")
    if reply is not None and not isinstance(reply, str):
        raise TranscriptError(f"{where}: `reply` is the full text of the answer")
    return Step(number, send, level, _phrases(path, number, "says", raw.get("says", [])),
                _phrases(path, number, "not_says", raw.get("not_says", [])), reply, dict(effects))


def load_transcript(path: Path) -> Transcript:
    data = load_yaml(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict) or not isinstance(data.get("steps"), list) or not data["steps"]:
        raise TranscriptError(f"{path.name}: a transcript is a mapping with a non-empty list of `steps`")
    unknown = set(data) - TOP_KEYS
    if unknown:
        raise TranscriptError(f"{path.name}: unknown key(s) {', '.join(sorted(unknown))} "
                              f"(known: {', '.join(sorted(TOP_KEYS))})")
    language = data.get("language", "en")
    if language not in ("en", "es"):
        raise TranscriptError(f"{path.name}: language is en or es")
    for number, step in enumerate(data["steps"], 1):
        if not isinstance(step, dict):
            raise TranscriptError(f"{path.name}: step {number} is a mapping")
        unknown = set(step) - STEP_KEYS
        for channel in CHANNELS:
            unknown |= {f"{channel}.{k}" for k in set(step.get(channel) or {}) - EXPECT_KEYS}
        if unknown:
            raise TranscriptError(f"{path.name}: step {number}: unknown key(s) {', '.join(sorted(unknown))}")
        if step.get("sms_only") and step.get("voice_only"):
            raise TranscriptError(f"{path.name}: step {number}: sms_only and voice_only together play nowhere")
    transcript = Transcript(path, str(data.get("name") or path.stem), language, tuple(data["steps"]))
    for channel in CHANNELS:
        transcript.steps_for(channel)  # every step is checked as each channel will play it
    return transcript


def _flat(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def what_it_did(services: Services, number: str) -> dict[str, Any]:
    """What the hotline now holds for the number, in the effects' words."""
    enrollments = [e for e in services.reminders.enrollments.all() if e.number == number and e.status == "active"]
    callbacks = [c for c in CallStore(services.redis, services.conversations).callbacks() if c.number == number]
    cases = [c for c in services.cases.store.open_cases() if c.number == number]
    return {"enrolled": bool(enrollments), "opted_out": services.conversations.is_opted_out(number),
            "callback": bool(callbacks), "case": cases[0].level or "unassessed" if cases else False}


def check(step: Step, heard: Heard, done: dict[str, Any]) -> list[str]:
    problems = []
    reply = _flat(heard.reply)
    if step.level is not None and heard.level != step.level:
        problems.append(f"level {heard.level}, expected {step.level}")
    problems += [f"no {phrase!r} in the reply" for phrase in step.says if _flat(phrase) not in reply]
    problems += [f"{phrase!r} in the reply" for phrase in step.not_says if _flat(phrase) in reply]
    if step.reply is not None and reply != _flat(step.reply):
        problems.append(f"the reply is not the one written (got {reply!r})")
    problems += [f"{name}: {done[name]!r}, expected {value!r}" for name, value in step.effects.items()
                 if done[name] != value]
    return problems


def play(services: Services, transcript: Transcript, channel: str) -> list[str]:
    """Play the transcript on one channel; every step that did not answer as written, with what it answered."""
    hotline = Hotline(services)
    call = hotline.call(PARENT, transcript.language) if channel == "voice" else None
    problems = []
    for step in transcript.steps_for(channel):
        heard = call.say(step.send) if call else hotline.sms(PARENT, step.send)
        found = check(step, heard, what_it_did(services, PARENT))
        if found:
            problems.append(f"step {step.number} ({step.send!r}): " + "; ".join(found)
                            + f"\n    heard [{heard.level}]: {_flat(heard.reply)[:400]}")
    return problems


FILES = sorted(TRANSCRIPTS.glob("*.yaml"))


def test_there_are_transcripts_of_the_main_journeys() -> None:
    assert len(FILES) >= 12


@pytest.mark.parametrize("channel", CHANNELS)
@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
def test_each_transcript_plays_as_written(services, path: Path, channel: str) -> None:  # type: ignore[no-untyped-def]
    problems = play(services, load_transcript(path), channel)
    assert not problems, f"{path.name} by {channel}:\n" + "\n".join(problems)


# --- The format's own checks ------------------------------------------------------------------------------------


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "t.yaml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(("text", "problem"), [
    ("steps:\n  - send: no\n", "quote it"),
    ("steps:\n  - send: hi\n    levle: home\n", "unknown key(s) levle"),
    ("steps:\n  - send: hi\n    voice: {sends: x}\n", "voice.sends"),
    ("steps:\n  - send: hi\n    level: serious\n", "not one of"),
    ("steps:\n  - send: hi\n    effects: {enroled: true}\n", "unknown effect"),
    ("steps:\n  - send: hi\n    sms_only: true\n    voice_only: true\n", "play nowhere"),
    ("steps:\n  - send: hi\n  - send: hi\n    says: [a]\n    says: [b]\n", "written twice"),
    ("name: x\n", "non-empty list of `steps`"),
])
def test_a_mistake_in_a_transcript_is_named(tmp_path: Path, text: str, problem: str) -> None:
    with pytest.raises(Exception, match=re.escape(problem)):
        load_transcript(_write(tmp_path, text))


def test_a_channel_plays_its_own_steps_and_expectations(tmp_path: Path) -> None:
    transcript = load_transcript(_write(tmp_path, (
        "steps:\n"
        "  - send: hi\n    says: [\"How can I help?\"]\n    voice: {says: [Press 1]}\n"
        "  - send: STOP\n    sms_only: true\n"
        "  - send: call me back\n    voice_only: true\n")))
    sms, voice = transcript.steps_for("sms"), transcript.steps_for("voice")
    assert [(s.number, s.send, s.says) for s in sms] == [(1, "hi", ("How can I help?",)), (2, "STOP", ())]
    assert [(s.number, s.send, s.says) for s in voice] == [(1, "hi", ("Press 1",)), (3, "call me back", ())]


def test_a_wrong_expectation_fails_with_what_was_heard() -> None:
    step = Step(1, "hi", level="home", says=("nurse",), effects={"enrolled": True})
    problems = check(step, Heard("none", False, "How can I help?"), {"enrolled": False})
    assert problems == ["level none, expected home", "no 'nurse' in the reply", "enrolled: False, expected True"]
