"""The engine's side of reminders, without I/O: Enroll on YES, and check-in answers read in context."""

from __future__ import annotations

from pathlib import Path

import pytest

from hotline.engine.flow import load_flow
from hotline.engine.runner import CheckinReply, Context, Enroll, advance

FLOW = load_flow(Path(__file__).resolve().parent.parent / "flows")
CHECKIN = Context(known_contact=True, checkin=True)


def test_yes_on_the_outcome_emits_enroll_once():
    state = None
    for body in ["4", "1", "2", "1", "2", "4", "4"]:
        turn = advance(FLOW, state, body)
        state = turn.state
    assert state.step == "result"
    turn = advance(FLOW, state, "yes")
    assert Enroll("checkin") in turn.effects and turn.state.step == "enrolled"
    assert [e for e in advance(FLOW, turn.state, "1").effects if isinstance(e, Enroll)] == []


@pytest.mark.parametrize(("text", "answer", "step"), [
    ("1", "better", "checkin-better"), ("2", "same", "checkin-same"), ("3", "worse", "age"),
    ("mejor", "better", "checkin-better"), ("igual", "same", "checkin-same"), ("peor", "worse", "age"),
])
def test_a_checkin_answer_goes_to_its_step(text, answer, step):
    turn = advance(FLOW, None, text, CHECKIN)
    assert CheckinReply(answer) in turn.effects
    assert turn.state.step == step


def test_without_a_pending_checkin_1_is_the_menu():
    turn = advance(FLOW, None, "1", Context(known_contact=True))
    assert not any(isinstance(e, CheckinReply) for e in turn.effects)


def test_an_emergency_is_answered_first_and_counts_as_worse():
    turn = advance(FLOW, None, "1 but now he is not breathing", CHECKIN)
    assert turn.assessment is not None and turn.assessment.level.label == "emergency"
    assert turn.replies[0].text.startswith("Call 911 now")
    assert CheckinReply("worse") in turn.effects


def test_stop_after_a_checkin_is_still_stop():
    turn = advance(FLOW, None, "STOP", CHECKIN)
    assert [type(e).__name__ for e in turn.effects] == ["OptOut"]
