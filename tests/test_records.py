"""Sessions and call states are saved as the same JSON as before, and read back whatever an older version wrote."""

from __future__ import annotations

import json
from dataclasses import asdict

from hypothesis import given, settings
from hypothesis import strategies as st

from hotline.calls import CallState
from hotline.engine.runner import State

words = st.text(max_size=30)
tuples = st.lists(words, max_size=6).map(tuple)
states = st.builds(
    State, step=st.none() | words, language=st.sampled_from(["en", "es"]),
    age_days=st.none() | st.integers(0, 5000), flags=tuples, denied=tuples, history=tuples, sections=tuples,
    level=st.none() | st.integers(0, 4), turns=st.integers(0, 10_000), findings=tuples,
    temperature_c=st.none() | st.floats(30, 45, allow_nan=False),
)
calls = st.builds(CallState, number=words, engine=words, said=tuples, question=tuples, hints=words,
                  level=st.none() | words, opted_out=st.booleans(), seq=st.integers(0, 10**6))


def old_json(record: object) -> str:
    return json.dumps(asdict(record), ensure_ascii=False, separators=(",", ":"))  # type: ignore[call-overload]


@settings(max_examples=300, deadline=None)
@given(states)
def test_a_session_is_written_as_before_and_reads_back_equal(state):
    assert state.to_json() == old_json(state)
    assert State.from_json(state.to_json()) == state
    assert State.from_json(state.to_json().encode()) == state


@settings(max_examples=100, deadline=None)
@given(calls)
def test_a_call_state_is_written_as_before_and_reads_back_equal(call):
    assert call.to_json() == old_json(call)
    assert CallState.from_json(call.to_json()) == call


def test_what_an_older_version_wrote_still_reads_and_garbage_starts_afresh():
    assert State.from_json('{"step":"menu","language":"es","gone_field":1,"flags":["a"]}') == \
        State(step="menu", language="es", flags=("a",))
    assert State.from_json('{"step":"fever","temperature_c":NaN}').step == "fever"  # json.dumps could write NaN
    for raw in ["", None, "not json", "[1, 2]", '{"turns": 1, "nope": }', b"\xff\xfe", "null"]:
        assert State.from_json(raw) is None
