"""Aggregate figures for a played set (devset/README.md, 'Using it'), and the check against thresholds.yaml."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import yaml

from tests.evaluation.play import Played, PlayedMessage
from tests.evaluation.replies import mentions
from tests.evaluation.sets import HERE, LEVELS, RANK

THRESHOLDS = HERE / "thresholds.yaml"
INSTRUCTION_WINDOW = 160  # the emergency number must be within this many characters of the reply

Confusion = dict[str, dict[str, int]]  # label -> predicted -> count


def confusion(played: Iterable[PlayedMessage]) -> Confusion:
    matrix = {label: dict.fromkeys(LEVELS, 0) for label in LEVELS}
    for p in played:
        matrix[p.message.level][p.heard.level] += 1
    return matrix


def rate(hits: int, total: int, empty: float = 1.0) -> float:
    return hits / total if total else empty


def below(predicted: str, label: str) -> bool:
    return RANK[predicted] < RANK[label]


def instruction_first(p: PlayedMessage, emergency: str) -> bool:
    """The emergency number is among the first characters, not counting the welcome every first text gets."""
    return emergency in p.after_welcome[:INSTRUCTION_WINDOW]


def guided(p: PlayedMessage) -> bool:
    """An assessment traced to article sections, and a reply that is more than the welcome and the menu."""
    return p.heard.sections and bool(p.substance)


@dataclass(frozen=True)
class Summary:
    name: str
    messages: int
    confusion: Confusion
    by_language: dict[str, Confusion]
    by_channel: dict[str, Confusion]
    exact_hits: int
    exact_accuracy: float
    under_by_label: dict[str, int]
    emergency_total: int
    emergency_missed: int
    emergency_recall: float
    emergency_instruction_late: int
    emergency_instruction_late_raw: int  # the same, counting the welcome's "In an emergency, call 911"
    urgent_under: int  # labelled urgent or emergency, answered below urgent
    home_total: int
    home_to_emergency: int
    home_to_emergency_rate: float
    guidance_total: int
    guidance_hits: int
    guidance_rate: float
    must_mention_total: int
    must_mention_hits: int
    must_mention_rate: float
    must_mention_hits_raw: int  # the same, matched against the whole reply, welcome and menu included
    conversations: int
    conversation_turns: int  # turns with an expected level
    conversation_turns_held: int
    conversation_turn_accuracy: float
    conversations_all_held: int
    conversation_emergency_turns: int
    conversation_emergency_missed: int

    def value(self, metric: str) -> float:
        return float(getattr(self, metric))


def summarize(played: Played) -> Summary:
    ms = played.messages
    emergency = [p for p in ms if p.message.level == "emergency"]
    home = [p for p in ms if p.message.level == "home"]
    clinical = [p for p in ms if p.message.level != "none"]
    mentioned = [p for p in ms if p.message.must_mention]
    turns = [(c, t) for c in played.conversations for t in c.turns if t.expect is not None]
    emergency_turns = [t for _, t in turns if t.expect == "emergency"]
    held = sum(t.held == t.expect for _, t in turns)
    return Summary(
        name=played.name,
        messages=len(ms),
        confusion=confusion(ms),
        by_language={lang: confusion(p for p in ms if p.message.lang == lang)
                     for lang in sorted({p.message.lang for p in ms})},
        by_channel={ch: confusion(p for p in ms if p.message.channel == ch)
                    for ch in sorted({p.message.channel for p in ms})},
        exact_hits=sum(p.heard.level == p.message.level for p in ms),
        exact_accuracy=rate(sum(p.heard.level == p.message.level for p in ms), len(ms)),
        under_by_label={label: sum(p.message.level == label and below(p.heard.level, label) for p in ms)
                        for label in LEVELS},
        emergency_total=len(emergency),
        emergency_missed=sum(p.heard.level != "emergency" for p in emergency),
        emergency_recall=rate(sum(p.heard.level == "emergency" for p in emergency), len(emergency)),
        emergency_instruction_late=sum(not instruction_first(p, played.emergency_number) for p in emergency),
        emergency_instruction_late_raw=sum(played.emergency_number not in p.heard.reply[:INSTRUCTION_WINDOW]
                                           for p in emergency),
        urgent_under=sum(RANK[p.message.level] >= RANK["urgent"] and below(p.heard.level, "urgent") for p in ms),
        home_total=len(home),
        home_to_emergency=sum(p.heard.level == "emergency" for p in home),
        home_to_emergency_rate=rate(sum(p.heard.level == "emergency" for p in home), len(home), empty=0.0),
        guidance_total=len(clinical),
        guidance_hits=sum(guided(p) for p in clinical),
        guidance_rate=rate(sum(guided(p) for p in clinical), len(clinical)),
        must_mention_total=len(mentioned),
        must_mention_hits=sum(mentions(p.substance, p.message.must_mention) for p in mentioned),
        must_mention_rate=rate(sum(mentions(p.substance, p.message.must_mention) for p in mentioned),
                               len(mentioned)),
        must_mention_hits_raw=sum(mentions(p.heard.reply, p.message.must_mention) for p in mentioned),
        conversations=len(played.conversations),
        conversation_turns=len(turns),
        conversation_turns_held=held,
        conversation_turn_accuracy=rate(held, len(turns)),
        conversations_all_held=sum(all(t.held == t.expect for t in c.turns if t.expect is not None)
                                   for c in played.conversations),
        conversation_emergency_turns=len(emergency_turns),
        conversation_emergency_missed=sum(t.held != "emergency" for t in emergency_turns),
    )


def load_thresholds(set_name: str, path: Path = THRESHOLDS) -> dict[str, float]:
    data = yaml.safe_load(path.read_text(encoding="utf-8")) if path.is_file() else {}
    block = (data or {}).get(set_name)
    if not isinstance(block, Mapping):
        raise KeyError(f"{path.name} has no block for set {set_name!r}")
    return {str(k): float(v) for k, v in block.items()}


def check(summary: Summary, thresholds: Mapping[str, float]) -> list[str]:
    """Every metric that misses its threshold, as 'metric value (min|max threshold)'. Keys end in _min or _max."""
    failed = []
    for key, limit in thresholds.items():
        metric, _, bound = key.rpartition("_")
        if bound not in ("min", "max") or not hasattr(summary, metric):
            failed.append(f"{key}: unknown threshold (expected <metric>_min or <metric>_max)")
            continue
        value = summary.value(metric)
        if (bound == "min" and value < limit) or (bound == "max" and value > limit):
            shown = f"{value:.3f}" if isinstance(getattr(summary, metric), float) else f"{value:.0f}"
            failed.append(f"{metric} = {shown} ({bound} {limit:g})")
    return failed
