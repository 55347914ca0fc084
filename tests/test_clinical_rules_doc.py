"""The clinician's page (docs/clinical-rules.md) lists exactly the rules the engine runs (flows/protocol.yaml)."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent


def test_every_rule_the_engine_applies_is_on_the_clinicians_page_with_its_source() -> None:
    rules = yaml.safe_load((ROOT / "flows" / "protocol.yaml").read_text())["rules"]
    page = (ROOT / "docs" / "clinical-rules.md").read_text()
    listed = dict(re.findall(r"^\| `([a-z0-9-]+)` \| [^|]* \| (.*) \|$", page, re.MULTILINE))
    assert set(listed) == {rule["id"] for rule in rules}
    for rule in rules:
        assert listed[rule["id"]] == rule["source"], rule["id"]
