"""flows/voice.yaml, what a call says around the flow, is checked when it is loaded: a broken file fails with a
message naming the file, the entry and the fix, in the app, the workers and `hotline flows check`."""

from __future__ import annotations

import copy
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from hotline.cli import main
from hotline.engine.call_script import MENU_ACTIONS, MENUS, PHRASES, ScriptError, parse_voice_script
from hotline.engine.flow import FlowError, load_flow

FLOWS = Path(__file__).resolve().parent.parent / "flows"
SOURCE = "flows/voice.yaml"


def shipped() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((FLOWS / "voice.yaml").read_text(encoding="utf-8"))
    return copy.deepcopy(data)  # the file's YAML anchors share objects between rows


def row(data: dict[str, Any], menu: str, key: int, action: str) -> dict[str, Any]:
    found: dict[str, Any] = next(r for r in data["menus"][menu] if r["key"] == key and r["do"] == action)
    return found


def test_the_shipped_file_loads_with_every_phrase_and_menu_in_both_languages() -> None:
    script = load_flow(FLOWS).voice
    assert set(script.phrases) == set(PHRASES)
    assert set(script.menus) == set(MENUS)
    assert all(set(texts) == {"en", "es"} for texts in script.phrases.values())
    used = {row.action for menu in script.menus.values() for row in menu.rows}
    assert used == set(MENU_ACTIONS), "every action the machine has is offered somewhere"


def test_press_is_read_from_the_rows_own_key_in_each_language() -> None:
    script = load_flow(FLOWS).voice
    [text_row] = [r for r in script.menus["emergency"].rows if r.action == "send_summary"]
    assert script.sentence(text_row, "en") == "To get this advice by text, press 2."
    assert script.sentence(text_row, "es") == "Para recibir este consejo por texto, oprima 2."


def _set(path: str, value: object) -> Any:
    def change(data: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        target: Any = data
        for part in parents:
            target = target[int(part)] if part.isdigit() else target[part]
        if value is KeyError:
            del target[last]
        else:
            target[int(last) if last.isdigit() else last] = value
    return change


@pytest.mark.parametrize(("change", "expected"), [
    (_set("menus.outcome.2.do", "repeet"),
     "flows/voice.yaml: menu 'outcome', row 3 (key 2): unknown action 'repeet' (did you mean 'repeat'?)"),
    (_set("menus.outcome.3.when", "can_txt"),
     "menu 'outcome', row 4 (key 3): unknown condition 'can_txt' (did you mean 'can_text'?)"),
    (_set("menus.outcome.3.when", KeyError),
     "menu 'outcome', row 4 (key 3): 'enroll_checkins' can only be offered when it can be done: add `when: can_text`"),
    (_set("menus.outcome.2.say", {"en": "To hear it again, press 2.", "es": "Para escucharlo otra vez, {press}."}),
     "menu 'outcome', row 3 (key 2) say: en: needs {press}, where the call says it"),
    (_set("menus.outcome.2.say", {"en": "To hear it again, {press}.", "es": ""}),
     "menu 'outcome', row 3 (key 2) say: missing text in es: add `es: ...`"),
    (_set("menus.outcome.2.key", 9), "menu 'outcome', row 3: key 9 is the emergency key everywhere in a call"),
    (_set("menus.outcome.2.key", 1),
     "menu 'outcome', row 3 (key 1): is never reached: row 2 takes key 1 always before it"),
    (_set("menus.outcome.3.words", {"en": ["text"]}),
     "menu 'outcome': the word 'text' is on keys 1 and 3; a word may stand for one key only"),
    (_set("menus.after_checkins", KeyError), "menus: menu 'after_checkins' is missing: the call opens it"),
    (_set("menus.outcomes", [{"key": 1, "do": "repeat", "say": {"en": "{press}", "es": "{press}"}}]),
     "menu 'outcomes': unknown menu (did you mean 'outcome'?)"),
    (_set("phrases.silence", {"en": "Sorry, I did not hear anything."}),
     "phrase 'silence': missing text in es: add `es: ...`"),
    (_set("phrases.help.en", "In an emergency, call {emergncy}."),
     "phrase 'help': en: unknown placeholder {emergncy} (did you mean 'emergency'?); allowed: {emergency}"),
    (_set("phrases.press.es", "Oprima {key}."), "phrase 'press': es: needs {word}, where the call says it"),
    (_set("phrases.greting", {"en": "Hi", "es": "Hola"}),
     "phrase 'greting': unknown phrase (did you mean 'greeting'?)"),
    (_set("phrases.keys_help", KeyError), "phrases: phrase 'keys_help' is missing: the call says it"),
])
def test_a_broken_voice_file_names_the_entry_and_the_fix(change: Any, expected: str) -> None:
    data = shipped()
    change(data)
    with pytest.raises(ScriptError) as error:
        parse_voice_script(data, SOURCE)
    assert str(error.value).startswith(SOURCE + ": ")
    assert expected in str(error.value)


@pytest.fixture
def broken_flows(tmp_path: Path) -> Path:
    flows = tmp_path / "flows"
    shutil.copytree(FLOWS, flows)
    data = shipped()
    row(data, "outcome", 2, "repeat")["do"] = "repeet"
    (flows / "voice.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return flows


def test_the_flow_loader_refuses_a_broken_voice_file(broken_flows: Path) -> None:
    with pytest.raises(FlowError) as error:
        load_flow(broken_flows)
    assert str(error.value).startswith(f"{broken_flows / 'voice.yaml'}: menu 'outcome', row 3 (key 2): unknown action")


def test_flows_check_in_the_release_step_fails_on_a_broken_voice_file(broken_flows: Path, monkeypatch) -> None:
    monkeypatch.setenv("HOTLINE_FLOWS_DIR", str(broken_flows))
    monkeypatch.chdir(broken_flows.parent)  # no stray .env from the working tree
    result = CliRunner().invoke(main, ["flows", "check"])
    assert result.exit_code != 0
    assert ("voice.yaml: menu 'outcome', row 3 (key 2): unknown action 'repeet' (did you mean 'repeat'?)"
            in result.output)
