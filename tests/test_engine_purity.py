"""The triage engine decides what to say; it never talks to the web, Redis, RQ or Twilio itself, nor reaches
into the rest of the app (which imports it, not the other way round)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ENGINE = Path(__file__).resolve().parent.parent / "hotline" / "engine"
# Libraries that talk to the world: the web app, the store, the queue, Twilio, HTTP.
WORLD = {"flask", "flask_wtf", "werkzeug", "redis", "rq", "twilio", "requests", "urllib3", "gunicorn", "socket"}


def imports_of(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module)
    return names


@pytest.mark.parametrize("path", sorted(ENGINE.glob("*.py")), ids=lambda p: p.name)
def test_an_engine_module_imports_nothing_that_talks_to_the_world_nor_the_rest_of_the_app(path: Path) -> None:
    names = imports_of(path)
    assert {n for n in names if n.split(".")[0] in WORLD} == set()
    assert {n for n in names if n.startswith("hotline") and not n.startswith("hotline.engine")} == set()
