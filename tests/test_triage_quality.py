"""Triage quality: every labelled set under tests/evaluation/ played through the signed webhooks, gated on thresholds.

One test per set (devset, and sealed once it is dropped in). `pytest -s` shows the report; a failure lists every
metric that missed its threshold in tests/evaluation/thresholds.yaml. Only aggregate figures are ever printed here:
`python -m tests.evaluation --misses devset` lists the individual misses of the development set.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from hotline.redis_server import RedisServer
from tests.evaluation.metrics import Summary, check, load_thresholds, summarize
from tests.evaluation.play import hotline_services, play_set
from tests.evaluation.report import format_summary
from tests.evaluation.sets import load_set, set_dirs


def evaluate(folder: Path, redis_url: str) -> Summary:
    """Play the set and keep only its aggregates (no message text outlives this call)."""
    with hotline_services(redis_url) as services:
        return summarize(play_set(services, load_set(folder)))


@pytest.mark.parametrize("folder", set_dirs(), ids=lambda folder: folder.name)
def test_triage_meets_the_thresholds_of_the_set(folder: Path, redis_server: RedisServer) -> None:
    summary = evaluate(folder, redis_server.url)
    try:
        thresholds = load_thresholds(folder.name)
    except KeyError as missing:
        pytest.fail(str(missing.args[0]), pytrace=False)
    failed = check(summary, thresholds)
    print("\n" + format_summary(summary, failed))
    if failed:
        pytest.fail(f"set {folder.name}: {len(failed)} threshold(s) missed:\n" + "\n".join(failed), pytrace=False)


def _with_conversations() -> list[Path]:
    return [f for f in set_dirs() if f.name != "sealed" and load_set(f).conversations]


@pytest.mark.parametrize("folder", _with_conversations(), ids=lambda folder: folder.name)
def test_each_conversation_holds_its_levels_when_played_on_the_other_channel(folder: Path,
                                                                             redis_server: RedisServer) -> None:
    """The same conversations, texted instead of said and said instead of texted: the one engine behind both
    channels keeps every emergency turn and (within 0.02) the turn accuracy the set's gates ask for."""
    eval_set = load_set(folder)
    flipped = dataclasses.replace(eval_set, messages=(), conversations=tuple(
        dataclasses.replace(c, channel="voice" if c.channel == "sms" else "sms") for c in eval_set.conversations))
    with hotline_services(redis_server.url) as services:
        summary = summarize(play_set(services, flipped))
    gates = load_thresholds(folder.name)
    assert summary.conversation_emergency_missed <= gates["conversation_emergency_missed_max"], (
        f"{folder.name} on the other channel: {summary.conversation_emergency_missed} emergency turns missed")
    assert summary.conversation_turn_accuracy >= gates["conversation_turn_accuracy_min"] - 0.02, (
        f"{folder.name} on the other channel: turn accuracy {summary.conversation_turn_accuracy:.3f}")
