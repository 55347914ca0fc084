"""Redis Sentinel failover, for real: the primary is SIGKILLed while parents are texting and check-ins are going
out, and the hotline carries on without a restart.

The topology is real redis-server processes on loopback (a primary, two replicas, three sentinels; append-only
file on, min-replicas-to-write 1, as docs/operations.md recommends). The web app (in this process), two
`hotline worker` processes and the `hotline` command all reach Redis through the sentinels; the twilio client
sends to the fake Twilio API. What a parent would notice is what is checked:

- every webhook is answered 200: the outage reply while there is no primary, then normal service;
- a conversation answered before the crash carries on after it, where it was;
- every check-in text arrives exactly once (none lost, none sent twice).

`make test` runs one failover; `make soak` runs more reminders across three failovers in a row, the killed node
coming back as a replica each time. Each prints its figures (docs/operations.md#measured-failover).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import redis as redis_lib

from hotline import create_app
from hotline.devtools.fake_twilio import FakeTwilio
from hotline.devtools.signed import SignedTwilio, reply_texts
from hotline.redis_connection import WORKER_RETRIES, connect_redis
from hotline.reminders.schedules import parse_schedule
from hotline.reminders.service import Reminders
from hotline.services import build_services
from hotline.settings import Settings
from tests.support.sentinel import SentinelTopology

ROOT = Path(__file__).resolve().parent.parent
ACCOUNT, TOKEN = "AC" + "0" * 31 + "3", "failover-token"
PUBLIC = "https://hotline.example.org"
PARENT = "+15551230001"
BACKSTOP = 600.0  # seconds; only a broken run gets near it: every wait below is for an event
WORKER_ENV = {
    "HOTLINE_ENV": "test", "HOTLINE_SENDS_PER_SECOND": "0", "HOTLINE_SECRET_KEY": "failover",
    "HOTLINE_QUIET_HOURS_START": "00:00", "HOTLINE_QUIET_HOURS_END": "00:00",  # no quiet hours
    # A job cut off by the crash leaves its enrollments leased and its claims unrecorded: short limits bring them
    # back in seconds rather than minutes (production keeps 300 s and 120 s).
    "HOTLINE_REMINDER_LEASE_SECONDS": "8", "HOTLINE_REMINDER_CLAIM_STALE_SECONDS": "4",
    "HOTLINE_REMINDER_BATCH": "5", "HOTLINE_REMINDER_SEND_THREADS": "1",
    "TWILIO_ACCOUNT_SID": ACCOUNT, "TWILIO_AUTH_TOKEN": TOKEN, "TWILIO_FROM_NUMBER": "+15005550006",
    "PUBLIC_BASE_URL": PUBLIC,
}
CHECKIN = "Failover check-in for {baby_name}. Reply 1, 2 or 3. Text STOP to stop."


@dataclass
class Figures:
    """What one failover looked like from the outside."""

    without_primary: float = 0.0  # SIGKILL -> the first write through the sentinels succeeds (probed every 50 ms)
    until_normal_answer: float = 0.0  # SIGKILL -> the first webhook answered normally again
    webhooks: Counter[str] = field(default_factory=Counter)  # during that time: "outage", "normal", or a status

    def line(self) -> str:
        return (f"{self.without_primary:.1f} s without a primary, first normal answer after "
                f"{self.until_normal_answer:.1f} s; webhooks meanwhile: {dict(self.webhooks)}")


@pytest.fixture
def fake() -> Iterator[FakeTwilio]:
    with FakeTwilio(ACCOUNT, TOKEN) as server:
        server.delay = 0.2  # a slow Twilio: the check-ins take several seconds, so the crash lands mid-delivery
        yield server


@pytest.fixture
def topology(tmp_path) -> Iterator[SentinelTopology]:  # type: ignore[no-untyped-def]
    with SentinelTopology(tmp_path / "redis", password="data-secret-1", sentinel_password="sentinel-secret-1") as t:
        yield t


def _settings(topology: SentinelTopology, fake: FakeTwilio, tmp_path: Path) -> Settings:
    """The settings every process has: the same variables the workers get, read by the same parser."""
    return Settings._parse({**WORKER_ENV, **topology.env, "TWILIO_API_BASE_URL": fake.base_url,
                            "HOTLINE_DATA_DIR": str(tmp_path / "var")})


def _process_env(topology: SentinelTopology, fake: FakeTwilio, tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("REDIS_", "HOTLINE_", "TWILIO_"))}
    return {**env, **WORKER_ENV, **topology.env, "TWILIO_API_BASE_URL": fake.base_url,
            "HOTLINE_DATA_DIR": str(tmp_path / "var"), "PYTHONPATH": str(ROOT)}


def _hotline(*args: str) -> list[str]:
    return [sys.executable, "-m", "hotline.cli", *args]  # this checkout's code, whatever is installed


def _start_workers(count: int, env: dict[str, str], log: Path) -> list[subprocess.Popen[bytes]]:
    output = log.open("ab")
    return [subprocess.Popen(_hotline("worker", "--with-scheduler", "--maintenance-interval", "2",
                                      "--logging-level", os.environ.get("TEST_WORKER_LOG", "WARNING")),
                             cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT, start_new_session=True)
            for _ in range(count)]


def _stop_workers(workers: list[subprocess.Popen[bytes]]) -> None:
    """SIGTERM (a deploy): each finishes or abandons its job and says goodbye; nothing is in flight after."""
    for worker in workers:
        if worker.poll() is None:
            os.killpg(worker.pid, signal.SIGTERM)
    for worker in workers:
        try:
            worker.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(worker.pid, signal.SIGKILL)
            worker.wait()


def _enroll(settings: Settings, count: int) -> tuple[Reminders, list[str]]:
    # The test's own reads and writes wait out Redis being unavailable, as a worker does: on a loaded machine a
    # stalled Redis can make the sentinels fail over once more than planned, and that must not fail the test.
    reminders = Reminders(settings, connect_redis(settings, retries=WORKER_RETRIES))
    reminders.schedules.save(parse_schedule({"name": "failover", "description": "failover test", "steps": [
        {"after": "1 minute", "text": {"en": CHECKIN, "es": CHECKIN}}]}))
    numbers = [f"+1212{3000000 + i:07d}" for i in range(count)]
    enrolled = datetime.now(UTC) - timedelta(minutes=2)  # the only step fell due a minute ago
    for number in numbers:
        reminders.enroll(number, "failover", zone="America/New_York", now=enrolled, restart=False)
    return reminders, numbers


def _wait_for(what: str, check, workers: list[subprocess.Popen[bytes]],  # type: ignore[no-untyped-def]
              timeout: float = BACKSTOP) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, f"never happened: {what}"
        quit_ = [w.returncode for w in workers if w.poll() is not None]
        assert not quit_, f"a worker quit (exit {quit_}) waiting for {what}: see workers.log"
        time.sleep(0.1)


def _arrived(fake: FakeTwilio) -> Counter[str]:
    with fake._lock:
        return Counter(m.to for m in fake.messages)


class WriteProbe:
    """Writes through the sentinels every 50 ms, without retries, and keeps when each write that succeeded began
    and ended: the time without a primary as the app sees it, to within 50 ms."""

    def __init__(self, settings: Settings) -> None:
        self.connection = connect_redis(settings, retries=0)
        self.successes: list[tuple[float, float]] = []
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        while not self.stop.is_set():
            began = time.monotonic()
            try:
                self.connection.set("hl:test:probe", "x")
                self.successes.append((began, time.monotonic()))
            except redis_lib.RedisError:
                pass
            self.stop.wait(0.05)

    def first_write_after(self, moment: float) -> float:
        """When the first write begun after `moment` succeeded."""
        _wait_for("a write after the crash", lambda: any(b > moment for b, _ in self.successes), [])
        self.stop.set()
        self.thread.join(timeout=10)
        return min(ended for began, ended in self.successes if began > moment)


def _fail_over(topology: SentinelTopology, settings: Settings, signer: SignedTwilio,
               parents: Iterator[str]) -> Figures:
    """SIGKILL the primary while webhooks keep coming, one after another, until one is answered normally and
    the sentinels have a new primary taking writes. Every webhook must be answered 200."""
    figures = Figures()
    probe = WriteProbe(settings)
    old, killed = topology.kill_primary()
    new_primary_at: float | None = None
    normal_at: float | None = None
    while new_primary_at is None or normal_at is None:
        response = signer.sms("hi", next(parents))
        if response.status_code != 200:
            figures.webhooks[f"HTTP {response.status_code}"] += 1
            continue
        reply = "\n".join(reply_texts(response))
        outage = "went wrong" in reply
        figures.webhooks["outage" if outage else "normal"] += 1
        if not outage and normal_at is None:
            normal_at = time.monotonic()
        if new_primary_at is None and topology.primary() is not old:
            _, new_primary_at = topology.wait_for_new_primary(old)
        assert time.monotonic() - killed < BACKSTOP, f"no failover: {figures.line()}"
    figures.without_primary = probe.first_write_after(killed) - killed
    figures.until_normal_answer = normal_at - killed
    topology.restart(old)  # a supervisor brings the dead node back; the sentinels make it a replica
    return figures


def run_scenario(topology: SentinelTopology, fake: FakeTwilio, tmp_path: Path, *, reminders_count: int,
                 failovers: int) -> list[Figures]:
    settings = _settings(topology, fake, tmp_path)
    app = create_app(services=build_services(settings))
    signer = SignedTwilio(app.test_client(), TOKEN, PUBLIC, ACCOUNT)
    parents = (f"+1415{5000000 + i:07d}" for i in range(1_000_000))

    # A conversation under way before the crash: the parent has been asked the baby's age question.
    signer.sms("hi", PARENT)
    assert "How old is your baby?" in "\n".join(reply_texts(signer.sms("4", PARENT)))

    reminders, numbers = _enroll(settings, reminders_count)
    workers = _start_workers(2, _process_env(topology, fake, tmp_path), tmp_path / "workers.log")
    figures = []
    try:
        for round_ in range(failovers):
            # Each crash lands mid-delivery: some check-ins out, most still to go.
            share = (round_ + 1) * len(numbers) // (failovers + 2)
            _wait_for(f"{share} check-ins sent", lambda s=share: sum(_arrived(fake).values()) >= s,  # type: ignore[misc]
                      workers)
            figures.append(_fail_over(topology, settings, signer, parents))
            print(f"\nfailover {round_ + 1}: {figures[-1].line()}", flush=True)

        # The conversation carries on where it was before the crash (its state was on a replica). A parent who
        # got the outage reply (an extra failover on a loaded machine) sends the answer again.
        deadline = time.monotonic() + BACKSTOP
        while "went wrong" in (reply := "\n".join(reply_texts(signer.sms("1", PARENT)))):
            assert time.monotonic() < deadline, "the outage reply, for ever"
        assert "trouble breathing" in reply

        # Every enrollment's step recorded, then the workers stopped: nothing is in flight when counting.
        def all_recorded() -> bool:
            records = reminders.enrollments.get_many([str(i) for i in range(1, len(numbers) + 1)])
            return all(r.status != "active" for r in records.values())

        _wait_for("every check-in recorded as handled", all_recorded, workers)
    finally:
        _stop_workers(workers)

    arrived = _arrived(fake)
    lost = [n for n in numbers if arrived[n] == 0]
    twice = {n: c for n, c in arrived.items() if c > 1}
    print(f"check-ins: {len(numbers)} due, {sum(arrived[n] > 0 for n in numbers)} delivered, lost {len(lost)}, "
          f"sent twice {len(twice)}", flush=True)
    assert not lost and not twice, f"lost {lost[:5]}..., twice {twice}"
    entries = [reminders.enrollments.log(str(eid), 1) for eid in range(1, len(numbers) + 1)]
    assert all(e.get("sid", "").startswith("SM") for e in entries), [e for e in entries if "sid" not in e][:5]
    # Sends cut off by a crash (claimed, not recorded) are found in Twilio's message list, not sent again.
    print(f"check-ins recorded from Twilio's list after a crash cut them off: "
          f"{sum(bool(e.get('reconciled')) for e in entries)}", flush=True)
    with fake._lock:
        assert {m.body for m in fake.messages} == {CHECKIN.format(baby_name="your baby")}
    return figures


def test_the_primary_killed_mid_conversation_and_mid_delivery_fails_over_with_nothing_lost_or_sent_twice(
        topology, fake, tmp_path):
    [figures] = run_scenario(topology, fake, tmp_path, reminders_count=40, failovers=1)
    assert figures.webhooks["outage"] + figures.webhooks["normal"] == sum(figures.webhooks.values())  # all 200
    # The outage reply while there was no primary (a webhook gives Redis under a second), then normal service.
    assert figures.webhooks["outage"] >= 1 and figures.webhooks["normal"] >= 1

    # The `hotline` command finds the new primary through the same sentinels.
    done = subprocess.run(_hotline("staff", "tokens"), cwd=ROOT, env=_process_env(topology, fake, tmp_path),
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and "no API tokens" in done.stdout, done.stderr


@pytest.mark.soak
@pytest.mark.timeout(900)
def test_three_failovers_in_a_row_lose_no_reminder_and_send_none_twice(topology, fake, tmp_path):
    rounds = run_scenario(topology, fake, tmp_path, reminders_count=300, failovers=3)
    for figures in rounds:
        assert figures.webhooks["outage"] + figures.webhooks["normal"] == sum(figures.webhooks.values())


def test_the_sentinels_name_the_primary_the_app_writes_to(topology, fake, tmp_path):
    """Not a failover: the client asks the sentinels, not a fixed address, and its passwords are the right ones."""
    settings = _settings(topology, fake, tmp_path)
    connection = connect_redis(settings)
    connection.set("hl:test:where", "here")
    assert topology.primary().client().get("hl:test:where") == b"here"
    assert settings.replicas_to_wait_for == 1
