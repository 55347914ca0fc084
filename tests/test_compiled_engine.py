"""The reading modules run compiled (mypyc) when built for exactly the current source, and then read every
message exactly as the Python source does: the speed is the only difference."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from hotline.engine import native, reading

ROOT = Path(__file__).resolve().parent.parent

# What a reading and its screen decide, as plain data.
_DESCRIBE = """
import json, sys
from hotline.engine.safety import screen_for_red_flags
out = []
for text in json.load(sys.stdin):
    s = screen_for_red_flags(text)
    r = s.reading
    out.append([s.level, list(s.flags), s.age_days, s.temperature_c, list(s.topics),
                None if r is None else [[f.finding, f.assertion, f.start, f.end] for f in r.findings],
                None if r is None else [r.minutes, r.breaths_per_minute, r.temperature_site]])
json.dump(out, sys.stdout)
"""


def _compiled() -> bool:
    return not (reading.__file__ or "").endswith(".py")


def _messages() -> list[str]:
    texts: list[str] = []
    for path in sorted((ROOT / "tests" / "evaluation").glob("devset*/messages.yaml")):
        texts += [m["text"] for m in yaml.safe_load(path.read_text(encoding="utf-8"))]
    return texts[::4]  # every fourth of the development sets: thousands of real messages in both languages


def _describe(texts: list[str], pure: bool) -> list[object]:
    env = {**os.environ, "HOTLINE_PURE_PYTHON": "1"} if pure else {
        k: v for k, v in os.environ.items() if k != "HOTLINE_PURE_PYTHON"}
    done = subprocess.run([sys.executable, "-c", _DESCRIBE], input=json.dumps(texts), env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=600, check=True)
    return list(json.loads(done.stdout))


def test_make_runs_the_compiled_engine() -> None:
    """`make test` builds it first (make compile); a machine with no C compiler runs Python, and CI must not."""
    if not _compiled():
        if os.environ.get("CI"):
            pytest.fail(f"the engine is not compiled for this source ({native.build_dir()}): run make compile")
        pytest.skip("the engine is not compiled here (make compile needs a C compiler)")
    assert native.compiled_path() is not None
    assert Path(reading.__file__ or "").is_relative_to(native.build_dir())


def test_the_compiled_engine_reads_every_message_as_the_python_source_does() -> None:
    if not _compiled():
        pytest.skip("the engine is not compiled here")
    texts = _messages()
    assert len(texts) > 1000
    compiled, pure = _describe(texts, pure=False), _describe(texts, pure=True)
    differ = [(text, c, p) for text, c, p in zip(texts, compiled, pure, strict=True) if c != p]
    assert differ == [], differ[:3]


def test_a_build_of_other_source_is_never_used(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An edited module runs as Python until it is rebuilt: the build is found by the source's fingerprint."""
    source = ROOT / "hotline" / "engine"
    for name in native.MODULES:
        (tmp_path / f"{name}.py").write_bytes((source / f"{name}.py").read_bytes())
    built = native.build_dir()
    monkeypatch.setattr(native, "_HERE", tmp_path)
    assert native.build_dir() == built  # the same source: the same build
    assert (native.compiled_path() is not None) == _compiled()
    with (tmp_path / "reading.py").open("a") as edited:
        edited.write("# edited\n")
    assert native.build_dir() != built
    assert native.compiled_path() is None
    monkeypatch.setattr(native, "_HERE", source)
    monkeypatch.setenv("HOTLINE_PURE_PYTHON", "1")
    assert native.compiled_path() is None  # asked for the Python source
