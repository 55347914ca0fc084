"""The call's state machine on its own (hotline/engine/call.py): no Redis, no Flask, no TwiML, no clock.

Its menus come from flows/voice.yaml: the key a row announces is the key that reaches the row's handler, and a
row whose condition is false is neither announced nor accepted.
"""

from __future__ import annotations

import copy
import dataclasses
import itertools
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from hotline.engine.call import (
    Ask,
    CallConfig,
    CallEvent,
    CallState,
    CallTurn,
    Connect,
    Goodbye,
    Record,
    RequestCallback,
    SendSummary,
    offered,
    step,
)
from hotline.engine.call_script import MENU_ACTIONS, MenuRow, parse_voice_script
from hotline.engine.flow import Flow, load_flow
from hotline.engine.runner import Enroll

FLOWS = Path(__file__).resolve().parent.parent / "flows"
FLOW = load_flow(FLOWS)
PARENT = "+15551230001"
HOME = ["4", "1", "2", "1", "2", "4", "4"]  # a symptom check that ends at home care


@dataclasses.dataclass(frozen=True)
class Caller:
    """Who calls and what the app knows on each webhook: their number, whether they texted STOP, the nurse line."""

    number: str = PARENT
    opted_out: bool = False
    transfer_open: bool = False
    flow: Flow = FLOW

    @property
    def config(self) -> CallConfig:
        return CallConfig(self.flow, "911", transfer_open=self.transfer_open,
                          can_text=bool(self.number) and not self.opted_out)

    def start(self) -> CallTurn:
        state = CallState(number=self.number, opted_out=self.opted_out)
        return step(state, CallEvent("start", "CA1", self.number), self.config)

    def then(self, turn: CallTurn, value: str) -> CallTurn:
        pressed = len(value) == 1 and value in "0123456789*#"
        event = CallEvent("input", "CA1", self.number, n=turn.state.seq,
                          digits=value if pressed else "", speech="" if pressed else value)
        return step(turn.state, event, self.config)

    def play(self, *values: str) -> CallTurn:
        turn = self.start()
        for value in values:
            turn = self.then(turn, value)
        return turn


CALLERS = [Caller(number, opted_out, transfer_open)
           for number, opted_out, transfer_open in itertools.product([PARENT, ""], [False, True], [False, True])
           if number or not opted_out]
TO_MENU = {"outcome": ["1", *HOME], "emergency": ["1", "9"], "after_checkins": ["1", *HOME, "3"]}


def at(caller: Caller, menu: str) -> CallTurn:
    return caller.play(*TO_MENU[menu])


def reaches(action: str, before: CallTurn, after: CallTurn) -> bool:
    """Whether `after` is what the handler of `action` answers."""
    reply, effects = after.reply, after.effects
    checks: dict[str, Callable[[], bool]] = {
        "send_summary": lambda: isinstance(reply, Goodbye) and any(isinstance(e, SendSummary) for e in effects),
        "no_text": lambda: isinstance(reply, Goodbye) and "cannot text this number" in " ".join(reply.parts),
        "repeat": lambda: isinstance(reply, Ask) and reply.question == before.state.question
        and reply.before == before.state.said,
        "enroll_checkins": lambda: Enroll("checkin") in effects and after.state.mode == "after_checkins",
        "main_menu": lambda: after.state.mode == "flow" and json.loads(after.state.engine)["step"] == FLOW.start,
        "connect_nurse": lambda: isinstance(reply, Connect) and after.state.mode == "dialing",
        "call_back": lambda: isinstance(reply, Record) and RequestCallback() in effects,
        "no_callback": lambda: isinstance(reply, Goodbye) and "cannot see your phone number" in " ".join(reply.parts),
    }
    assert set(checks) == set(MENU_ACTIONS)
    return checks[action]()


def menu_cases() -> list[tuple[Caller, str]]:
    return [(caller, menu) for caller in CALLERS for menu in TO_MENU
            if menu != "after_checkins" or caller.config.can_text]


def case_id(value: object) -> str:
    if isinstance(value, Caller):
        return "-".join(["number" if value.number else "hidden", *(["stop"] if value.opted_out else []),
                         "staffed" if value.transfer_open else "closed"])
    return str(value)


@pytest.mark.parametrize(("caller", "menu"), menu_cases(), ids=case_id)
def test_every_announced_key_and_word_reaches_its_rows_handler(caller: Caller, menu: str) -> None:
    turn = at(caller, menu)
    assert turn.state.mode == menu and isinstance(turn.reply, Ask)
    script = caller.flow.voice
    for row in offered(script.menus[menu], caller.config, turn.state):
        if row.say:
            sentence = script.sentence(row, "en", "911")
            assert f"press {row.key}" in sentence
            assert sentence in turn.reply.question
        assert reaches(row.action, turn, caller.then(turn, row.key)), (row, "pressed")
        for word in script.menus[menu].words(row.key):
            assert reaches(row.action, turn, caller.then(turn, f"I want {word} please")), (row, word)


def test_every_action_of_the_machine_is_reached_by_some_caller() -> None:
    reached = set()
    for caller, menu in menu_cases():
        turn = at(caller, menu)
        for row in offered(caller.flow.voice.menus[menu], caller.config, turn.state):
            if reaches(row.action, turn, caller.then(turn, row.key)):
                reached.add(row.action)
    assert reached == set(MENU_ACTIONS)


@pytest.mark.parametrize(("caller", "menu"), menu_cases(), ids=case_id)
def test_a_row_whose_condition_is_false_is_neither_announced_nor_accepted(caller: Caller, menu: str) -> None:
    turn = at(caller, menu)
    assert isinstance(turn.reply, Ask)
    script = caller.flow.voice
    live = offered(script.menus[menu], caller.config, turn.state)
    for row in script.menus[menu].rows:
        if row in live or any(other.key == row.key and other.action == row.action for other in live):
            continue
        if row.say:
            assert script.sentence(row, "en", "911") not in turn.reply.question
        assert not reaches(row.action, turn, caller.then(turn, row.key)), (row, "pressed")
        for word in row.words:
            assert not reaches(row.action, turn, caller.then(turn, word)), (row, word)


def test_a_caller_who_texted_stop_is_neither_offered_nor_signed_up_for_check_ins() -> None:
    caller = Caller(opted_out=True)
    turn = at(caller, "outcome")
    assert isinstance(turn.reply, Ask)
    assert not any("press 3" in sentence or "by text" in sentence for sentence in turn.reply.question)
    pressed = caller.then(turn, "3")
    assert isinstance(pressed.reply, Ask) and pressed.reply.before == ("Sorry, I did not catch that.",)
    assert caller.then(turn, "check in").effects == ()
    assert "cannot text" in " ".join(caller.then(turn, "1").spoken)


def test_the_outcome_menu_is_read_as_callers_hear_it_today() -> None:
    turn = at(Caller(), "outcome")
    assert isinstance(turn.reply, Ask)
    assert turn.reply.question == (
        "To get this advice by text, press 1.", "To hear it again, press 2.",
        "To get short check-in texts over the next week, press 3, or say check in.", "For the main menu, press 0.")
    spanish = Caller().play("2", *HOME)
    assert isinstance(spanish.reply, Ask)
    assert spanish.reply.question == (
        "Para recibir este consejo por texto, oprima 1.", "Para escucharlo otra vez, oprima 2.",
        "Para recibir mensajes de seguimiento durante la semana, oprima 3, o diga seguimiento.",
        "Para el menú, oprima 0.")


def test_the_emergency_menu_offers_a_nurse_when_staffed_else_a_callback_then_the_text() -> None:
    staffed = at(Caller(transfer_open=True), "emergency").reply
    closed = at(Caller(), "emergency").reply
    assert isinstance(staffed, Ask) and isinstance(closed, Ask)
    assert staffed.question == ("Please hang up now and call 911.",
                                "If you cannot call 911, press 1 to be connected to a nurse.",
                                "To get this advice by text, press 2.")
    assert closed.question[1] == "To ask a nurse to call you back at this number, press 1."


def test_a_failed_transfer_offers_the_callback_on_the_same_key() -> None:
    caller = Caller(transfer_open=True)
    dialing = caller.then(at(caller, "emergency"), "1")
    assert isinstance(dialing.reply, Connect)
    failed = step(dialing.state, CallEvent("dialed", "CA1", PARENT, n=dialing.state.seq, dial_status="busy"),
                  caller.config)
    assert isinstance(failed.reply, Ask) and failed.state.transfer_failed
    assert failed.reply.question == ("To ask a nurse to call you back at this number, press 1.",
                                     "To get this advice by text, press 2.")
    assert isinstance(caller.then(failed, "1").reply, Record)


def moved_keys() -> Flow:
    data: dict[str, Any] = copy.deepcopy(yaml.safe_load((FLOWS / "voice.yaml").read_text(encoding="utf-8")))
    for row in data["menus"]["outcome"]:
        row["key"] = {2: 4, 3: 2}.get(row["key"], row["key"])  # repeat on 4, check-ins on 2
    return dataclasses.replace(FLOW, voice=parse_voice_script(data, "moved.yaml"))


def test_moving_a_rows_key_in_the_file_moves_the_announcement_and_the_handler_together() -> None:
    caller = Caller(flow=moved_keys())
    turn = at(caller, "outcome")
    assert isinstance(turn.reply, Ask)
    assert "To hear it again, press 4." in turn.reply.question
    assert "To get short check-in texts over the next week, press 2, or say check in." in turn.reply.question
    assert reaches("repeat", turn, caller.then(turn, "4"))
    assert reaches("enroll_checkins", turn, caller.then(turn, "2"))


def test_the_longest_word_said_picks_the_row() -> None:
    caller = Caller()
    turn = caller.play("2", *HOME)
    assert reaches("enroll_checkins", turn, caller.then(turn, "quiero mensajes de texto de seguimiento"))
    assert reaches("send_summary", turn, caller.then(turn, "mandeme un texto"))


def test_yes_to_check_ins_from_the_flows_own_menu_is_an_enroll_effect() -> None:
    turn = Caller().play("1", "5", "2")
    assert "Done." in " ".join(turn.spoken)
    assert turn.effects == (Enroll("checkin"),)


def test_the_machine_is_a_function_of_its_inputs() -> None:
    first, second = at(Caller(), "outcome"), at(Caller(), "outcome")
    assert first == second
    assert isinstance(first.reply, Ask) and first.state.summary.startswith("From your call")


def test_a_silent_row_is_accepted_but_never_announced() -> None:
    silent: list[MenuRow] = [row for menu in FLOW.voice.menus.values() for row in menu.rows if row.say is None]
    assert {row.action for row in silent} == {"no_text", "no_callback"}


def test_an_age_said_in_a_sentence_with_nothing_to_answer_is_kept_for_the_next_answer() -> None:
    """A caller who opens with "I'm calling about my son, he's five months old" hears the menu again (there is
    nothing to answer yet), but the next sentence is answered for a five-month-old: a fever of 101 F with no
    shaking is for the pediatrician (soon), not the under-3-months rule it would be at an unknown age."""
    caller = Caller()
    opened = caller.play("1", "hi im calling about my son hes five months old")
    assert json.loads(opened.state.engine)["age_days"] == 150
    answered = caller.then(opened, "he has a fever of a hundred and one but no shaking")
    assert answered.assessment is not None and answered.assessment.level.label == "soon"
    unknown_age = caller.then(caller.play("1"), "he has a fever of a hundred and one but no shaking")
    assert unknown_age.assessment is not None and unknown_age.assessment.level.label == "urgent"
