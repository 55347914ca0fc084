"""`hotline dev`: Redis, the web app and an RQ worker in one terminal, stopped together by Ctrl-C."""

from __future__ import annotations

import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from hotline.metrics import process_alive
from hotline.redis_connection import connect_redis, describe
from hotline.redis_server import RedisServer, free_port
from hotline.settings import Settings

DEV_REDIS_PORT = 6390  # a fixed port so the append-only data is found again; not Redis' default 6379


@dataclass(frozen=True)
class DevState:
    """What a running `hotline dev` tells other commands (`hotline simulate`): written to var/dev.json.

    It holds no token. With TWILIO_AUTH_TOKEN set, `simulate` signs with its own copy from the environment
    or .env; without one, `dev` makes a signing token for this run only and keeps it in var/dev-token.
    Both files are readable by their owner only and removed when `dev` stops.
    """

    pid: int
    web_url: str
    redis_url: str

    @staticmethod
    def path(settings: Settings) -> Path:
        return settings.data_dir / "dev.json"

    @staticmethod
    def token_path(settings: Settings) -> Path:
        return settings.data_dir / "dev-token"

    @classmethod
    def read(cls, settings: Settings) -> DevState | None:
        try:
            data = json.loads(cls.path(settings).read_text())
            state = cls(**data)
        except (OSError, ValueError, TypeError):
            return None
        return state if process_alive(state.pid) else None

    def local_token(self, settings: Settings) -> str | None:
        """The signing token this `dev` made because no TWILIO_AUTH_TOKEN was set, else None."""
        try:
            return self.token_path(settings).read_text().strip() or None
        except OSError:
            return None


def _write_private(path: Path, text: str) -> None:
    """Write `path` readable by this user only (mkstemp makes it 0600 whatever the umask), replacing any
    older copy at once, so no reader ever sees a half-written or world-readable file."""
    descriptor, aside = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(descriptor, "w") as file:
            file.write(text)
        os.replace(aside, path)
    except BaseException:
        Path(aside).unlink(missing_ok=True)
        raise


def _port_taken(host: str, port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex((host, port)) == 0


def _wait_for_http(url: str, timeout: float) -> bool:
    import urllib.request

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=1) as response:  # noqa: S310 (loopback only)
                if response.status in (200, 503):
                    return True
        except Exception:  # not up yet
            time.sleep(0.1)
    return False


def run_dev(settings: Settings) -> int:
    """Start everything, print where to find it, and stop every child on Ctrl-C. Returns an exit code."""
    running = DevState.read(settings)
    if running:
        print(f"The hotline is already running (pid {running.pid}) at {running.web_url}.\n"
              "Stop it with Ctrl-C in its terminal, or use `hotline simulate` to talk to it.", file=sys.stderr)
        return 1
    if _port_taken(settings.host, settings.port):
        print(f"Port {settings.port} on {settings.host} is already in use by another program.\n"
              "Set HOTLINE_PORT to a free port, e.g. HOTLINE_PORT=5050 make run", file=sys.stderr)
        return 1

    settings.data_dir.mkdir(parents=True, exist_ok=True)
    children: list[subprocess.Popen[bytes]] = []
    redis_server: RedisServer | None = None
    stopping = False

    def stop(*_: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)

    try:
        redis_url = settings.redis_url or ""
        if not settings.redis_configured:
            port = DEV_REDIS_PORT if not _port_taken("127.0.0.1", DEV_REDIS_PORT) else free_port()
            redis_server = RedisServer(port=port, data_dir=settings.data_dir / "redis")
            redis_server.start()
            redis_url = redis_server.url
            settings = settings.with_(redis_url=redis_url)
        else:
            connect_redis(settings).ping()

        # Without Twilio credentials, a local signing token lets `hotline simulate` sign like Twilio.
        auth_token = settings.twilio_auth_token
        if not auth_token:
            auth_token = secrets.token_hex(16)
            _write_private(DevState.token_path(settings), auth_token + "\n")
        web_url = f"http://{settings.host}:{settings.port}"
        env = dict(os.environ, TWILIO_AUTH_TOKEN=auth_token, HOTLINE_ENV=settings.env, PYTHONUNBUFFERED="1")
        if redis_url:  # with Sentinel the children read REDIS_SENTINELS from this same environment
            env["REDIS_URL"] = redis_url
        if not settings.public_base_url:
            env["PUBLIC_BASE_URL"] = web_url
        bin_dir = Path(sys.executable).parent
        # Each child gets its own session so Ctrl-C reaches only us; we stop them in order.
        web = subprocess.Popen(
            [str(bin_dir / "gunicorn"), "--bind", f"{settings.host}:{settings.port}", "--workers", "2",
             "--threads", "4", "--graceful-timeout", "5", "hotline:web_app()"],
            env=env, start_new_session=True,
        )
        children.append(web)
        worker = subprocess.Popen(
            [str(bin_dir / "hotline"), "worker", "--with-scheduler", "--maintenance-interval", "60",
             "--logging-level", "WARNING"],  # `hotline worker`: the alerts queue first, then the hotline's
            env=env, start_new_session=True,
        )
        children.append(worker)
        _write_private(DevState.path(settings),
                       json.dumps({"pid": os.getpid(), "web_url": web_url, "redis_url": redis_url}))

        if not _wait_for_http(f"{web_url}/healthz", timeout=20):
            print("The web app did not start; see the messages above.", file=sys.stderr)
            return 1
        print(_banner(settings, web_url, describe(settings), redis_server is not None), flush=True)

        while not stopping:
            for child in children:
                if child.poll() is not None:
                    print(f"A hotline process exited (code {child.returncode}); stopping the others.",
                          file=sys.stderr)
                    return child.returncode or 1
            time.sleep(0.2)
        print("\nStopping the hotline...", flush=True)
        return 0
    finally:
        for child in reversed(children):
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)
        for child in reversed(children):
            try:
                child.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(child.pid, signal.SIGKILL)
                child.wait()
            # RQ's work-horse runs in its own process group: make sure none outlives its worker.
            try:
                os.killpg(child.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        if redis_server:
            redis_server.stop()
        DevState.path(settings).unlink(missing_ok=True)
        DevState.token_path(settings).unlink(missing_ok=True)


def _banner(settings: Settings, web_url: str, redis_where: str, embedded: bool) -> str:
    outbound = "Twilio" if settings.twilio_configured else "the console outbox (no Twilio credentials set)"
    store = f"embedded Redis at {redis_where}, data in {settings.data_dir / 'redis'}" if embedded else redis_where
    return f"""
Hotline is running.
  SMS webhook:     {web_url}/twilio/sms      (POST; set as "A message comes in" in the Twilio console)
  Voice webhook:   {web_url}/twilio/voice    (POST; "A call comes in")
  Status callback: {web_url}/twilio/status
  Staff dashboard: {web_url}/staff/
  Health:          {web_url}/healthz
  Redis:           {store}
  Outbound texts:  {outbound}

Try it without a phone, in another terminal:  .venv/bin/hotline simulate
Press Ctrl-C to stop everything.
"""


def settings_with_dev_redis() -> Settings:
    """Settings whose REDIS_URL falls back to the Redis a running `hotline dev` started (for the CLI)."""
    import click

    from hotline.settings import SettingsError

    try:
        settings = Settings.from_env()
    except SettingsError as error:
        raise click.ClickException(str(error)) from None
    if not settings.redis_configured:
        state = DevState.read(settings)
        if not state:
            raise click.ClickException("REDIS_URL is not set and no `hotline dev` is running.")
        settings = settings.with_(redis_url=state.redis_url)
    return settings
