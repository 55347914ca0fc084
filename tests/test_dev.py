"""`hotline dev` (what `make run` runs): starts everything, refuses a second copy, Ctrl-C leaves nothing behind."""

from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import sys
import time
import urllib.request
import uuid
from pathlib import Path

import pytest

from hotline.redis_server import free_port

BIN = Path(sys.executable).parent


def processes_with_marker(marker: str) -> list[int]:
    """Every live process whose environment carries `marker` (children inherit it)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            if marker.encode() in (entry / "environ").read_bytes():
                status = (entry / "status").read_text()
                if "\nState:\tZ" not in status:
                    found.append(int(entry.name))
        except OSError:
            continue
    return found


def wait_for(url: str, timeout: float = 30) -> int:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=1) as response:
                return int(response.status)
        except Exception:
            time.sleep(0.2)
    raise AssertionError(f"{url} did not answer within {timeout} s")


@pytest.fixture
def dev_env(tmp_path):  # type: ignore[no-untyped-def]
    marker = f"HOTLINE_TEST_MARKER={uuid.uuid4().hex}"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("REDIS_URL", "TWILIO_", "HOTLINE_"))}
    env.update(HOTLINE_PORT=str(free_port()), HOTLINE_DATA_DIR=str(tmp_path / "var"), HOTLINE_TEST_MARKER=marker)
    env["HOTLINE_TEST_MARKER"] = marker.split("=", 1)[1]
    yield env, marker
    for pid in processes_with_marker(marker):
        os.kill(pid, signal.SIGKILL)


def test_dev_serves_refuses_a_second_copy_and_ctrl_c_leaves_no_process(dev_env, tmp_path):
    env, marker = dev_env
    port = env["HOTLINE_PORT"]
    # Ctrl-C in a terminal signals the whole foreground process group: give dev its own group to signal.
    dev = subprocess.Popen([str(BIN / "hotline"), "dev"], env=env, cwd=tmp_path, start_new_session=True,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        assert wait_for(f"http://127.0.0.1:{port}/healthz") == 200
        state = json.loads((tmp_path / "var" / "dev.json").read_text())
        assert state["web_url"] == f"http://127.0.0.1:{port}"
        # Without HOTLINE_SECRET_KEY, staff sessions are signed with the data directory's own key.
        assert stat.S_IMODE((tmp_path / "var" / "secret_key").stat().st_mode) == 0o600
        assert len(processes_with_marker(marker)) >= 4  # dev, redis-server, gunicorn (+workers), rq worker

        second = subprocess.run([str(BIN / "hotline"), "dev"], env=env, cwd=tmp_path, capture_output=True,
                                text=True, timeout=30)
        assert second.returncode == 1
        assert "already running" in second.stderr

        os.killpg(dev.pid, signal.SIGINT)
        output, _ = dev.communicate(timeout=30)
    finally:
        if dev.poll() is None:
            os.killpg(dev.pid, signal.SIGKILL)
    assert dev.returncode == 0
    assert "/twilio/sms" in output and "hotline simulate" in output
    time.sleep(0.5)
    assert processes_with_marker(marker) == []
    # The embedded Redis kept its append-only file, so a restart finds conversations again.
    assert list((tmp_path / "var" / "redis").glob("appendonly.aof*"))


@pytest.mark.parametrize("configured_token", [None, "a-real-twilio-auth-token-0123456789"],
                         ids=["local signing token", "TWILIO_AUTH_TOKEN set"])
def test_dev_tells_simulate_where_it_runs_in_a_private_file_that_holds_no_token(dev_env, tmp_path, configured_token):
    env, _ = dev_env
    if configured_token:
        env["TWILIO_AUTH_TOKEN"] = configured_token
    dev = subprocess.Popen([str(BIN / "hotline"), "dev"], env=env, cwd=tmp_path, start_new_session=True,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for(f"http://127.0.0.1:{env['HOTLINE_PORT']}/healthz")
        state_file = tmp_path / "var" / "dev.json"
        assert stat.S_IMODE(state_file.stat().st_mode) == 0o600
        state = json.loads(state_file.read_text())
        assert set(state) == {"pid", "web_url", "redis_url"}
        if configured_token:  # the real token is written nowhere
            for path in (tmp_path / "var").rglob("*"):
                assert not path.is_file() or configured_token.encode() not in path.read_bytes(), path
        for path in (tmp_path / "var").iterdir():  # nothing of dev's own is readable by other users
            if path.is_file():
                assert stat.S_IMODE(path.stat().st_mode) & 0o077 == 0, path

        # `hotline simulate`, in another terminal with the same configuration, still signs as Twilio does.
        chat = subprocess.run([str(BIN / "hotline"), "simulate"], env=env, cwd=tmp_path, input="hi\nquit\n",
                              capture_output=True, text=True, timeout=60)
        assert chat.returncode == 0, chat.stdout + chat.stderr
        assert "does not replace a doctor" in chat.stdout, chat.stdout
    finally:
        os.killpg(dev.pid, signal.SIGINT)
        dev.wait(timeout=30)
    assert not state_file.exists()
    assert [p.name for p in (tmp_path / "var").iterdir() if p.is_file() and p.name.startswith("dev")] == []
