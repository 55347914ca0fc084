"""The labelled sets: messages.yaml and conversations.yaml in a folder under tests/evaluation/ (devset/README.md)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

HERE = Path(__file__).resolve().parent
LEVELS = ("emergency", "urgent", "soon", "home", "none")  # most to least serious: the confusion matrix order
RANK = {level: rank for rank, level in enumerate(reversed(LEVELS))}  # none 0 < home 1 < ... < emergency 4
SEALED = ("sealed",)  # sets whose individual messages are never printed


@dataclass(frozen=True)
class Message:
    id: str
    lang: str
    channel: str  # sms | voice
    text: str
    level: str
    must_mention: tuple[str, ...] = ()


@dataclass(frozen=True)
class Turn:
    say: str
    expect: str | None  # expect_level_after; None when the set leaves it undecided


@dataclass(frozen=True)
class Conversation:
    id: str
    lang: str
    channel: str
    turns: tuple[Turn, ...]


@dataclass(frozen=True)
class EvalSet:
    name: str
    messages: tuple[Message, ...]
    conversations: tuple[Conversation, ...]

    @property
    def sealed(self) -> bool:
        return self.name in SEALED


def _level(value: Any, where: str) -> str:
    level = str(value).strip().lower()
    if level not in RANK:
        raise ValueError(f"{where}: unknown level {value!r} (expected one of {', '.join(LEVELS)})")
    return level


def _channel(value: Any, where: str) -> str:
    channel = str(value or "sms").strip().lower()
    if channel not in ("sms", "voice"):
        raise ValueError(f"{where}: unknown channel {value!r}")
    return channel


def _read(path: Path) -> list[dict[str, Any]]:
    if not path.is_file():
        return []
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or []
    if not isinstance(data, list):
        raise ValueError(f"{path}: expected a list")
    return data


def _message(m: dict[str, Any]) -> Message:
    where = str(m.get("id", "?"))
    return Message(
        id=where, lang=str(m.get("lang", "en")), channel=_channel(m.get("channel"), where),
        text=str(m["text"]), level=_level(m["level"], where),
        must_mention=tuple(str(s) for s in m.get("must_mention") or ()),
    )


def _conversation(c: dict[str, Any]) -> Conversation:
    where = str(c.get("id", "?"))
    turns = tuple(Turn(str(t["say"]), _level(t["expect_level_after"], where) if "expect_level_after" in t else None)
                  for t in c["turns"])
    return Conversation(id=where, lang=str(c.get("lang", "en")), channel=_channel(c.get("channel"), where),
                        turns=turns)


def load_set(folder: Path) -> EvalSet:
    """The set in `folder`. A malformed record is named by its id and file only (its text is never shown)."""
    try:
        messages = tuple(_message(m) for m in _read(folder / "messages.yaml"))
        conversations = tuple(_conversation(c) for c in _read(folder / "conversations.yaml"))
    except (KeyError, TypeError) as error:
        raise ValueError(f"{folder.name}: a record lacks a required field ({error})") from None
    return EvalSet(folder.name, messages, conversations)


def set_dirs(root: Path = HERE) -> list[Path]:
    """Every folder under tests/evaluation/ that holds a messages.yaml, by name."""
    return sorted(p.parent for p in root.glob("*/messages.yaml"))
