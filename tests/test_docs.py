"""The docs stay true: the README stays short, every relative link leads somewhere, and
docs/configuration.md lists exactly the variables `Settings` reads, with the defaults it has."""

from __future__ import annotations

import ast
import dataclasses
import re
from pathlib import Path

import pytest

from hotline.settings import ROOT, Settings, SettingsError

README = ROOT / "README.md"
CONFIGURATION = ROOT / "docs" / "configuration.md"
README_MAX_BYTES = 6 * 1024

# Every Markdown page we write: the README, everything under docs/, and the content editors' guide.
PAGES = sorted([README, ROOT / "flows" / "README.md", *(ROOT / "docs").rglob("*.md")])

LINK = re.compile(r"(?<!!)\[[^\]]*\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")
FENCE = re.compile(r"^(```|~~~).*?^\1", re.S | re.M)
HEADING = re.compile(r"^#{1,6}\s+(.+?)\s*#*\s*$", re.M)


def _prose(page: Path) -> str:
    """The page without its fenced code blocks (a link inside code is an example, not a link)."""
    return FENCE.sub("", page.read_text(encoding="utf-8"))


def _anchor(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"[`*_]|\[([^\]]*)\]\([^)]*\)", r"\1", heading).strip().lower()
    return re.sub(r"[^\w\- ]", "", text).replace(" ", "-")


def _links(page: Path) -> list[str]:
    return [target for target in LINK.findall(_prose(page))
            if not re.match(r"^[a-z][a-z0-9+.-]*:", target)]  # http:, https:, mailto: are not ours to check


def test_the_readme_is_at_most_6_kb() -> None:
    size = len(README.read_bytes())
    assert size <= README_MAX_BYTES, (
        f"README.md is {size:,} bytes, over {README_MAX_BYTES:,}: move detail into docs/ and link it")


@pytest.mark.parametrize("page", PAGES, ids=lambda page: str(page.relative_to(ROOT)))
def test_every_relative_link_leads_to_a_file_and_heading_that_exist(page: Path) -> None:
    broken = []
    for target in _links(page):
        path, _, fragment = target.partition("#")
        file = (page.parent / path).resolve() if path else page
        if not file.exists():
            broken.append(f"{target}: no file {file.relative_to(ROOT) if file.is_relative_to(ROOT) else file}")
            continue
        if fragment and file.suffix == ".md":
            anchors = {_anchor(h) for h in HEADING.findall(_prose(file))}
            if fragment not in anchors:
                broken.append(f"{target}: {file.name} has no heading '#{fragment}'")
    assert not broken, f"{page.relative_to(ROOT)} has broken links:\n  " + "\n  ".join(broken)


def test_the_link_check_sees_links_and_skips_code() -> None:
    page = ROOT / "README.md"
    assert any(link.startswith("docs/") for link in _links(page)), "the README links to nothing under docs/"
    assert _anchor("Fields with no `variable`") == "fields-with-no-variable"


# --- docs/configuration.md and Settings -------------------------------------------------------------------

def _variables_settings_reads() -> dict[str, str]:
    """Environment variable -> Settings field, from the `take("NAME", "field", ...)` calls in Settings._parse."""
    tree = ast.parse((ROOT / "hotline" / "settings.py").read_text(encoding="utf-8"))
    found = {}
    for node in ast.walk(tree):
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "take"
                and len(node.args) >= 2 and all(isinstance(a, ast.Constant) for a in node.args[:2])):
            found[node.args[0].value] = node.args[1].value
    assert found, "no take('VARIABLE', 'field') calls found in hotline/settings.py: update this test's reading"
    return found


def _section(text: str, title: str) -> str:
    match = re.search(rf"^## {re.escape(title)}\n(.*?)(?=^## |\Z)", text, re.S | re.M)
    assert match, f"docs/configuration.md has no section '## {title}'"
    return match.group(1)


def _documented_settings() -> dict[str, str]:
    """Variable -> its Default cell, from every `| Variable | Default | Meaning |` table of the page."""
    rows: dict[str, str] = {}
    for table in re.findall(r"^\| Variable \| Default \| Meaning \|\n\|[-| ]+\|\n((?:\|.*\n?)+)",
                            CONFIGURATION.read_text(encoding="utf-8"), re.M):
        for line in table.splitlines():
            cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
            name = re.fullmatch(r"`([A-Z][A-Z0-9_]*)`", cells[0])
            assert name, f"docs/configuration.md: a row's Variable cell must be one `NAME`: {line}"
            assert name.group(1) not in rows, f"docs/configuration.md lists {name.group(1)} twice"
            rows[name.group(1)] = cells[1]
    return rows


# A variable whose default can only be parsed together with another one.
PARSED_WITH = {"HOTLINE_PROXY_COUNT": {"HOTLINE_TRUST_PROXY": "true"},
               "HOTLINE_REDIS_TLS_VERIFY": {"REDIS_URL": "rediss://redis.example.org:6380/0"}}


def test_configuration_lists_exactly_the_variables_settings_reads() -> None:
    read, documented = set(_variables_settings_reads()), set(_documented_settings())
    assert not read - documented, f"read by Settings but not in docs/configuration.md: {sorted(read - documented)}"
    assert not documented - read, f"in docs/configuration.md but not read by Settings: {sorted(documented - read)}"


@pytest.mark.parametrize("variable", sorted(_variables_settings_reads()))
def test_each_documented_default_is_the_default_settings_has(variable: str) -> None:
    field = _variables_settings_reads()[variable]
    cell = _documented_settings().get(variable)
    if cell is None:
        pytest.fail(f"{variable} is not in docs/configuration.md")
    default = getattr(Settings(), field)
    if cell.startswith("unset"):
        assert default is None or default == (), (
            f"{variable}: the page says unset, but Settings.{field} defaults to {default!r}")
        return
    literal = re.fullmatch(r"`([^`]+)`", cell)
    assert literal, f"{variable}: write the default as `value` or 'unset', not {cell!r}"
    try:
        parsed = getattr(Settings._parse({variable: literal.group(1), **PARSED_WITH.get(variable, {})}), field)
    except SettingsError as error:
        pytest.fail(f"{variable}: the documented default {literal.group(1)!r} is refused: {error}")
    if isinstance(parsed, Path) and not parsed.is_absolute():
        parsed = ROOT / parsed  # the page names the checkout's folder
    assert parsed == default, (f"{variable}: the page says {literal.group(1)!r} (read as {parsed!r}), "
                               f"but Settings.{field} defaults to {default!r}")


def test_every_settings_field_is_set_by_a_variable_or_listed_as_having_none() -> None:
    fields = {f.name for f in dataclasses.fields(Settings)}
    by_variable = set(_variables_settings_reads().values())
    without = set(re.findall(r"^- `(\w+)`", _section(CONFIGURATION.read_text(encoding="utf-8"),
                                                      "Fields with no variable"), re.M))
    assert not fields - by_variable - without, (
        f"Settings fields neither read from a variable nor under 'Fields with no variable': "
        f"{sorted(fields - by_variable - without)}")
    assert not without - fields, f"'Fields with no variable' names fields Settings lacks: {sorted(without - fields)}"
    both = without & by_variable
    assert not both, f"listed as having no variable, yet read from one: {sorted(both)}"


ENVIRON_READ = re.compile(r"""(?:os\.environ(?:\.get)?|os\.getenv)\s*[(\[]\s*["']([A-Z][A-Z0-9_]*)["']""")
SHELL_VARIABLE = re.compile(r"\$\{?([A-Z][A-Z0-9_]*)")


def _variables_read_elsewhere() -> dict[str, str]:
    """Variables the code reads directly (not through Settings) -> where: Python under hotline/, workers/ and
    tests/, and the Procfile and Makefile."""
    found: dict[str, str] = {}
    for folder in ("hotline", "workers", "tests"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            for name in ENVIRON_READ.findall(path.read_text(encoding="utf-8")):
                found.setdefault(name, str(path.relative_to(ROOT)))
    for name in ("Procfile", "Makefile"):
        for variable in SHELL_VARIABLE.findall((ROOT / name).read_text(encoding="utf-8")):
            found.setdefault(variable, name)
    found.pop("PATH", None)  # the shell's own
    return found


def test_every_variable_read_outside_settings_is_documented() -> None:
    outside = _section(CONFIGURATION.read_text(encoding="utf-8"), "Read outside Settings")
    listed = set(re.findall(r"`([A-Z][A-Z0-9_]*)`", outside)) | set(_documented_settings())
    missing = {name: where for name, where in _variables_read_elsewhere().items() if name not in listed}
    assert not missing, ("read directly but not in docs/configuration.md ('Read outside Settings'): "
                         + ", ".join(f"{name} ({where})" for name, where in sorted(missing.items())))


# --- docs/layout.md and the code -------------------------------------------------------------------------

def test_the_layout_page_names_every_top_level_module_and_package() -> None:
    page = (ROOT / "docs" / "layout.md").read_text(encoding="utf-8")
    named = set(re.findall(r"[\w.]+/?", page))
    missing = []
    for package in ("hotline", "workers"):
        for entry in sorted((ROOT / package).iterdir()):
            if entry.name.startswith((".", "__pycache__")):
                continue
            name = f"{entry.name}/" if entry.is_dir() else entry.name
            if (entry.suffix == ".py" or entry.is_dir()) and name not in named:
                missing.append(f"{package}/{name}")
    assert not missing, f"docs/layout.md does not name: {', '.join(missing)} (add a line saying what each is for)"
