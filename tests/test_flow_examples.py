"""The flow file's own example conversations (flows/triage.yaml `examples:`) are specifications too: a content
edit that breaks one fails `make test`, not only `hotline flows check`."""

from __future__ import annotations

from pathlib import Path

import pytest

from hotline.engine.examples import run_example
from hotline.engine.flow import load_flow

FLOW = load_flow(Path(__file__).resolve().parent.parent / "flows")


def test_the_flow_has_examples() -> None:
    assert len(FLOW.examples) >= 5


@pytest.mark.parametrize("example", FLOW.examples, ids=lambda e: e.name)
def test_each_flow_example_plays_as_written(example) -> None:  # type: ignore[no-untyped-def]
    result = run_example(FLOW, example)
    assert result.passed, "\n".join(result.problems)
