"""Triage quality: every labelled set under tests/evaluation/ played through the signed webhooks, gated on thresholds.

One test per set (devset, and sealed once it is dropped in). `pytest -s` shows the report; a failure lists every
metric that missed its threshold in tests/evaluation/thresholds.yaml. Only aggregate figures are ever printed here:
`python -m tests.evaluation --misses devset` lists the individual misses of the development set.
"""

from __future__ import annotations

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
