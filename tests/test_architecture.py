"""Guardrails for the layout: no import circles anywhere in the package (imports inside functions count too:
they are circles postponed, not removed); one module spells the Redis keys; staff views go through stores; one
clock, in Services. The engine's own purity is tests/test_engine_purity.py."""

from __future__ import annotations

import ast
from pathlib import Path

from hotline.store import keys

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "hotline"
KEYS_MODULE = PACKAGE / "store" / "keys.py"


def _module(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports() -> dict[str, set[str]]:
    modules = {_module(p): p for p in PACKAGE.rglob("*.py")}
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        found: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                found |= {a.name for a in node.names if a.name in modules}
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                if node.module in modules:
                    found.add(node.module)
                found |= {f"{node.module}.{a.name}" for a in node.names if f"{node.module}.{a.name}" in modules}
        graph[name] = found - {name, "hotline"}  # the package's __init__ is the app factory everyone may reach
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    out: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                out.append(sorted(component))

    for v in graph:
        if v not in index:
            visit(v)
    return out


def test_no_module_imports_itself_through_others() -> None:
    assert _cycles(_imports()) == []


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_staff_views_read_redis_only_through_stores() -> None:
    """A view passes the connection to a store (StaffAccounts(services().redis)); it never sends a command itself."""
    found = []
    for path in sorted((PACKAGE / "staff").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Attribute) and (
                    isinstance(node.value, ast.Attribute) and node.value.attr == "redis"
                    or isinstance(node.value, ast.Name) and node.value.id == "redis"):
                found.append(f"{path.relative_to(PACKAGE.parent)}:{node.lineno}: .redis.{node.attr}")
    assert found == []


def key_spellings() -> set[str]:
    """What spells a key: the prefix, and each family's name up to its first placeholder (the outbox's predates
    the prefix)."""
    return {keys.P} | {family.pattern.partition("{")[0] for family in keys.FAMILIES}


def spelled_outside_the_table(paths: list[Path]) -> list[str]:
    found, spellings = [], sorted(key_spellings())
    for path in paths:
        name = path.relative_to(ROOT) if path.is_relative_to(ROOT) else path.name
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            found += [f"{name}:{number}: {spelling}" for spelling in spellings if spelling in line]
    return found


def test_only_the_keys_module_spells_a_redis_key() -> None:
    """Code, comments and docstrings alike: a key is built with hotline/store/keys.py's builders (Lua gets them
    from keys.lua()), so the table is the one list of what the hotline keeps."""
    paths = [p for p in sorted([*PACKAGE.rglob("*.py"), *(ROOT / "workers").rglob("*.py")]) if p != KEYS_MODULE]
    assert spelled_outside_the_table(paths) == []


def test_the_spelling_check_finds_a_key_and_the_outbox(tmp_path: Path) -> None:
    module = tmp_path / "store.py"
    module.write_text('OUTBOX = "hotline:outbox"\nkey = f"hl:session:{number}"\nlabel = "hotline: a parent"\n')
    found = spelled_outside_the_table([module])
    assert found[0] == "store.py:1: hotline:outbox"
    assert {line.split(": ")[0] for line in found} == {"store.py:1", "store.py:2"}


def module_clocks_and_time_patches(paths: list[Path]) -> list[str]:
    """A module-level name bound to time.time (a clock tests would swap), or a test replacing time.time (for the
    whole process: redis-py, Flask and the fake Twilio too)."""
    found = []
    for path in paths:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        name = path.relative_to(ROOT) if path.is_relative_to(ROOT) else path.name
        for node in tree.body:
            value = node.value if isinstance(node, ast.Assign | ast.AnnAssign) else None
            if value is not None and ast.unparse(value) in ("time.time", "time.monotonic", "datetime.now"):
                found.append(f"{name}:{node.lineno}: a module-level clock")
        for node in ast.walk(tree):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "setattr"
                    and len(node.args) >= 2 and isinstance(node.args[1], ast.Constant)
                    and node.args[1].value in ("time", "clock", "now")):
                found.append(f"{name}:{node.lineno}: {ast.unparse(node)}")
    return found


def test_time_comes_from_the_services_clock() -> None:
    """One clock, Services.clock (hotline/clock.py): no module keeps its own, and tests set the services' clock
    instead of patching time for the whole process."""
    paths = sorted([*PACKAGE.rglob("*.py"), *(ROOT / "workers").rglob("*.py"), *(ROOT / "tests").rglob("*.py"),
                    *(ROOT / "bench").rglob("*.py")])
    assert module_clocks_and_time_patches(paths) == []


def test_the_clock_check_finds_a_module_clock_and_a_time_patch(tmp_path: Path) -> None:
    module = tmp_path / "calls.py"
    module.write_text("import time\nclock = time.time\n\n\ndef test(monkeypatch):\n"
                      "    monkeypatch.setattr(dashboard.time, 'time', lambda: 0)\n")
    found = module_clocks_and_time_patches([module])
    assert [line.split(": ")[0] for line in found] == ["calls.py:2", "calls.py:6"]
