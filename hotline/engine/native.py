"""The reading pipeline compiled to C with mypyc, when a build of exactly this source is at hand.

The engine is plain, fully typed Python (`mypy --strict`). mypyc, mypy's own compiler, turns the modules that
read a message (tokens, the lexicon, ConText, the protocol's facts, the screen) into a C extension that runs the
same code about a third faster. The build is kept inside the virtual environment, named by a hash of the
sources it was built from, and used only when that hash is the sources' hash now: an edited module is never
shadowed by a stale build; it runs as Python until the next `make` rebuilds it.

    python -m hotline.engine.native      build for the current sources (`make` does this; a no-op when built)
    HOTLINE_PURE_PYTHON=1                 run the Python source even when a build is at hand

Nothing here is needed to run: without a C compiler or mypy the engine runs as Python, only slower.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import sys
import sysconfig
import tempfile
from pathlib import Path

# The modules a message passes through on every step, in dependency order. (The runner stays Python: its
# records are dataclasses copied without __init__, which compiled classes do not allow.)
MODULES = ("text", "lexicon", "reading", "protocol", "safety")
GROUP = "hotline.engine.compiled"  # the shared library the modules' stubs load
_HERE = Path(__file__).resolve().parent
_COMPLETE = ".complete"


def _fingerprint() -> str:
    abi = sysconfig.get_config_var("SOABI")
    digest = hashlib.sha256(abi.encode() if abi else b"")
    for name in MODULES:
        digest.update(name.encode())
        digest.update((_HERE / f"{name}.py").read_bytes())
    return digest.hexdigest()[:20]


def build_dir() -> Path:
    """Where the build of the current sources lives (or would)."""
    return Path(sys.prefix) / "hotline-compiled" / _fingerprint()


def compiled_path() -> str | None:
    """The package directory of a complete build of the current sources, or None (then Python runs)."""
    if os.environ.get("HOTLINE_PURE_PYTHON"):
        return None
    try:
        where = build_dir()
    except OSError:
        return None
    return str(where / "hotline" / "engine") if (where / _COMPLETE).exists() else None


def build() -> Path:
    """Compile the modules for the current sources into build_dir(); returns it. Raises on failure."""
    target = build_dir()
    if (target / _COMPLETE).exists():
        return target
    from mypyc.build import mypycify  # (build-time tools: imported only to build)
    from setuptools import Distribution  # type: ignore[import-untyped]

    root = _HERE.parent.parent
    with tempfile.TemporaryDirectory(prefix="hotline-mypyc-") as work:
        cwd = os.getcwd()
        os.chdir(root)  # mypyc names the modules by their paths from the project root
        try:
            extensions = mypycify([f"hotline/engine/{name}.py" for name in MODULES], opt_level="3",
                                  group_name=GROUP, target_dir=os.path.join(work, "c"))
            dist = Distribution({"name": "hotline-compiled", "ext_modules": extensions})
            command = dist.get_command_obj("build_ext")
            command.build_lib = os.path.join(work, "lib")
            command.build_temp = os.path.join(work, "tmp")
            dist.run_command("build_ext")
        finally:
            os.chdir(cwd)
        staged = Path(work) / "lib"
        if target.exists():
            shutil.rmtree(target)  # an incomplete earlier attempt
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copytree(staged, target)
    # Builds of older sources are of no further use.
    for old in target.parent.iterdir():
        if old != target:
            shutil.rmtree(old, ignore_errors=True)
    (target / _COMPLETE).write_text("")
    return target


def main() -> int:
    try:
        where = build()
    except (Exception, SystemExit) as error:  # (SystemExit from setuptools, a missing compiler or mypy, a type error)
        print(f"note: the engine was not compiled ({error.__class__.__name__}: {error}); it runs as Python",
              file=sys.stderr)
        return 1
    print(f"engine compiled: {where}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
