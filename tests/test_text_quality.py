"""Every reply the hotline can send, in both languages: GSM-7 where it can be, at most 3 segments."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from hotline.channels.segments import non_gsm7_characters, segment_count
from hotline.channels.sms import render_sms
from hotline.engine.flow import load_flow
from hotline.engine.levels import Level
from hotline.engine.runner import Context, State, _Run

FLOW = load_flow(Path(__file__).resolve().parent.parent / "flows")
SPANISH_LETTERS = set("áíóúÁÍÓÚ")
LONGEST_EMERGENCY_NUMBER = "112"


def every_turn(language: str):
    """Yield (what, rendered messages) for every step, every outcome level and every system message."""
    context = Context(emergency_number=LONGEST_EMERGENCY_NUMBER, known_contact=True)
    for step_id in FLOW.steps:
        run = _Run(FLOW, context, State(step="menu", language=language))
        run.go(step_id, skip=False)
        yield f"step {step_id}", run
    for flag in FLOW.red_flags:
        for age in (30, 200):
            run = _Run(FLOW, context, State(step="pattern", language=language, flags=(flag,), age_days=age))
            run.go("result")
            yield f"outcome for {flag} at {age} days", run
    run = _Run(FLOW, context, State(step="pattern", language=language))
    run.go("result")
    yield "outcome home", run
    for name in FLOW.messages:
        run = _Run(FLOW, context, State(step="menu", language=language))
        run.say(name)
        yield f"message {name}", run


CASES = [(lang, what, run) for lang in ("en", "es") for what, run in every_turn(lang)]


@pytest.mark.parametrize(("language", "what", "run"), CASES, ids=[f"{c[0]}-{c[1]}" for c in CASES])
def test_every_reply_is_gsm7_where_possible_and_at_most_3_segments(language, what, run):
    turn = run.turn(None)
    for message in render_sms(turn, FLOW.message("choices_intro", language)):
        assert segment_count(message) <= 3, f"{what}: {segment_count(message)} segments:\n{message}"
        odd = set(non_gsm7_characters(message))
        allowed = SPANISH_LETTERS if language == "es" else set()
        assert odd <= allowed, f"{what}: characters {sorted(odd - allowed)} would switch to UCS-2:\n{message}"


def test_every_outcome_level_has_wording_in_both_languages():
    for level in Level:
        for language in ("en", "es"):
            assert FLOW.message(f"level_{level.label}", language)


def test_no_reply_fits_badly_in_spanish():
    # Spanish accents make a text UCS-2: 67 characters a part. Check the heaviest outcome still fits.
    run = _Run(FLOW, Context(known_contact=True), State(step="pattern", language="es",
                                                          flags=("fever", "one_side"), age_days=30))
    run.go("result")
    messages = render_sms(run.turn(None), FLOW.message("choices_intro", "es"))
    assert all(segment_count(m) <= 3 for m in messages)
    assert replace(run.state).level == int(Level.URGENT)
