"""The clinician's page (docs/clinical-rules.md) is exactly what the engine runs (flows/protocol.yaml)."""

from __future__ import annotations

from pathlib import Path

import yaml

from hotline.engine.protocol import rules_page

ROOT = Path(__file__).resolve().parent.parent


def test_the_clinicians_page_lists_every_rule_the_engine_applies_with_its_source() -> None:
    data = yaml.safe_load((ROOT / "flows" / "protocol.yaml").read_text())
    page = (ROOT / "docs" / "clinical-rules.md").read_text()
    assert page == rules_page(data), "regenerate it: hotline flows rules > docs/clinical-rules.md"
    for rule in data["rules"]:
        assert f"| `{rule['id']}` |" in page and rule["source"] in page
