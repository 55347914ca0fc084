"""The page of Redis keys (docs/redis-keys.md) is exactly the table the code builds its keys from
(hotline/store/keys.py), as docs/clinical-rules.md is the protocol the engine runs."""

from __future__ import annotations

from pathlib import Path

import pytest

from hotline.store import keys

ROOT = Path(__file__).resolve().parent.parent


def test_the_page_of_redis_keys_is_the_table_the_code_builds_keys_from() -> None:
    page = (ROOT / "docs" / "redis-keys.md").read_text()
    assert page == keys.page(), "regenerate it: hotline redis-keys > docs/redis-keys.md"


@pytest.mark.parametrize("family", keys.FAMILIES, ids=lambda f: f.pattern)
def test_each_family_says_who_owns_it_and_how_long_it_lives(family: keys.Family) -> None:
    for module in (family.owner, *family.also_written_by):
        assert (ROOT / module).is_file(), f"{family.pattern}: no module {module}"
    kind, longest = family.lifetime.kind, family.lifetime.longest
    assert kind in (keys.EXPIRES, keys.TRIMMED, keys.KEPT)
    if kind == keys.EXPIRES:
        assert longest is not None, f"{family.pattern}: expires, but when?"
    if kind == keys.KEPT:
        assert longest is None, f"{family.pattern}: kept, or does it expire?"
    assert bool(family.forget) == family.number, f"{family.pattern}: what does `hotline forget` do to it?"
    assert "|" not in family.holds + family.lifetime.words + family.forget  # a table cell


def test_every_key_belongs_to_one_family_however_alike_their_patterns() -> None:
    for family in keys.FAMILIES:
        example = family.pattern.replace("{", "").replace("}", "")  # hl:session:number, hl:case:case_id:log
        assert keys.family_of(example) is family, example
    assert keys.family_of("hl:case:open:+12025550100") is keys.family(keys.open_case)
    assert keys.family_of("rq:job:imp-1") is None


def test_a_script_builds_a_key_as_the_table_spells_it() -> None:
    assert keys.lua(keys.case_log, OPTOUTS=keys.OPTOUTS) == (
        "local function key_case_log(case_id) return 'hl:case:' .. case_id .. ':log' end\n"
        "local OPTOUTS = 'hl:optouts'\n")
