"""Soak tests (issue 7), run by `make soak`, not by `make test`: the reminder workers lose nothing and
send nothing twice when one is killed with SIGKILL again and again, and carry on across a Redis restart.

They run the production path: real `rq worker --with-scheduler -w workers.worker.HotlineWorker`
processes (forking), the self-rescheduling dispatcher, the fake Twilio API counting what arrives.
Leases and the stale-claim limit are shortened through the environment so a run takes minutes.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import redis as redis_lib

from hotline.devtools.fake_twilio import FakeTwilio
from hotline.redis_server import RedisServer, free_port
from hotline.reminders.schedules import parse_schedule
from hotline.reminders.service import Reminders
from hotline.settings import Settings

# Each scenario waits up to 5 minutes for its texts; the suite-wide 120 s timeout is for ordinary tests.
pytestmark = [pytest.mark.soak, pytest.mark.timeout(900)]

ROOT = Path(__file__).resolve().parent.parent
ACCOUNT, TOKEN = "AC" + "0" * 31 + "2", "soak-token"
SOAK_ENV = {
    "HOTLINE_ENV": "test", "HOTLINE_SENDS_PER_SECOND": "0",
    "HOTLINE_QUIET_HOURS_START": "00:00", "HOTLINE_QUIET_HOURS_END": "00:00",  # no quiet hours
    "HOTLINE_REMINDER_LEASE_SECONDS": "20", "HOTLINE_REMINDER_CLAIM_STALE_SECONDS": "10",
    "HOTLINE_REMINDER_BATCH": "25", "HOTLINE_REMINDER_SEND_THREADS": "2",
    "TWILIO_ACCOUNT_SID": ACCOUNT, "TWILIO_AUTH_TOKEN": TOKEN, "TWILIO_FROM_NUMBER": "+15005550006",
    "PUBLIC_BASE_URL": "https://hotline.example.org",
}


def _numbers(count: int, first: int = 0) -> list[str]:
    return [f"+1212{2000000 + first + i:07d}" for i in range(count)]


def _reminders(url: str, fake: FakeTwilio, tmp_path: Path) -> Reminders:
    settings = Settings(env="test", redis_url=url, twilio_account_sid=ACCOUNT, twilio_auth_token=TOKEN,
                        twilio_from_number="+15005550006", twilio_api_base_url=fake.base_url,
                        public_base_url="https://hotline.example.org", secret_key="soak", sends_per_second=0,
                        quiet_hours_start=(0, 0), quiet_hours_end=(0, 0), data_dir=tmp_path / "var",
                        reminder_lease_seconds=20, reminder_claim_stale_seconds=10, reminder_batch=25,
                        reminder_send_threads=2)  # the same knobs SOAK_ENV gives the worker processes
    reminders = Reminders(settings, redis_lib.Redis.from_url(url))
    reminders.schedules.save(parse_schedule({"name": "soak", "description": "soak test", "steps": [
        {"after": "1 minute", "text": {"en": "Soak check. Reply 1, 2 or 3. Text STOP to stop.",
                                       "es": "Control. Responda 1, 2 o 3. STOP para salir."}}]}))
    return reminders


def _enroll_due_now(reminders: Reminders, numbers: list[str]) -> None:
    enrolled = datetime.now(UTC) - timedelta(minutes=2)  # the only step fell due a minute ago
    for number in numbers:
        reminders.enroll(number, "soak", zone="America/New_York", now=enrolled, restart=False)


class Workers:
    def __init__(self, url: str, fake: FakeTwilio, log: Path) -> None:
        self.env = {**os.environ, **SOAK_ENV, "REDIS_URL": url, "TWILIO_API_BASE_URL": fake.base_url}
        self.url = url
        self.log = log.open("ab")  # the workers' own output, for a failed run's post-mortem

    def start(self) -> subprocess.Popen[bytes]:
        rq = str(Path(sys.executable).parent / "rq")
        return subprocess.Popen([rq, "worker", "--with-scheduler", "-w", "workers.worker.HotlineWorker",
                                 "--maintenance-interval", "5", "--url", self.url, "--logging_level", "WARNING",
                                 "hotline"], cwd=ROOT, env=self.env, stdout=self.log, stderr=subprocess.STDOUT,
                                start_new_session=True)


def _descendants(pid: int) -> list[int]:
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
    found, frontier = [], [pid]
    while frontier:
        current = frontier.pop()
        children = [p for p, parent in parents.items() if parent == current]
        found += children
        frontier += children
    return found


def _crash(process: subprocess.Popen[bytes]) -> None:
    """SIGKILL a worker and its work-horse (which runs in its own process group), as a machine crash would."""
    for pid in [process.pid, *_descendants(process.pid)]:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    process.wait(timeout=10)


def _stop(processes: list[subprocess.Popen[bytes]]) -> None:
    for process in processes:
        if process.poll() is None:
            _crash(process)


def _wait_for(fake: FakeTwilio, numbers: list[str], timeout: float) -> float:
    started = time.monotonic()
    wanted = set(numbers)
    while time.monotonic() - started < timeout:
        with fake._lock:
            if wanted <= {m.to for m in fake.messages}:
                break
        time.sleep(0.5)
    time.sleep(2.0)  # anything late (a duplicate) would arrive now
    return time.monotonic() - started


def _tally(fake: FakeTwilio, numbers: list[str]) -> dict[str, int]:
    with fake._lock:
        counts = Counter(m.to for m in fake.messages)
    return {"reminders": len(numbers), "sent": sum(1 for n in numbers if counts[n]),
            "duplicates": sum(c - 1 for c in counts.values() if c > 1),
            "lost": sum(1 for n in numbers if not counts[n]), "requests": sum(counts.values())}


def _post_mortem(url: str, fake: FakeTwilio, numbers: list[str]) -> str:
    """What Redis says about the reminders that never arrived, and about the dispatcher and RQ."""
    from hotline.reminders.store import DUE, claim_key, index_key, record_key
    from hotline.store import keys

    r = redis_lib.Redis.from_url(url)
    with fake._lock:
        arrived = {m.to for m in fake.messages}
    lines, now = [], time.time()
    for number in [n for n in numbers if n not in arrived][:10]:
        eid = (r.hget(index_key("soak", number), number) or b"").decode()
        score = r.zscore(DUE, eid)
        lines.append(f"{eid}: record={r.hget(record_key(eid), eid)} "
                     f"due={None if score is None else round(score - now, 1)} "
                     f"claim={r.get(claim_key(eid, 1))} log={r.hgetall(keys.reminder_log(eid))}")
    lines.append(f"due-set: {r.zcard(DUE)} members, {r.zcount(DUE, '-inf', now)} due now")
    lines.append(f"dispatcher key: {r.get(keys.DISPATCHER)} ttl {r.ttl(keys.DISPATCHER)}")
    for key in sorted(k.decode() for k in r.keys("rq:*")):
        kind = r.type(key).decode()
        size = {"zset": r.zcard, "list": r.llen, "set": r.scard}.get(kind)
        if size is not None:
            lines.append(f"{key} ({kind}) {size(key)}"
                         + (f" {r.zrange(key, 0, 5, withscores=True)}" if kind == "zset" else ""))
        elif "lock" in key or "scheduler" in key:
            lines.append(f"{key} = {r.get(key) if kind == 'string' else kind} ttl {r.ttl(key)}")
    return "\n".join(lines)


@pytest.fixture
def fake() -> Iterator[FakeTwilio]:
    with FakeTwilio(ACCOUNT, TOKEN) as server:
        server.delay = 0.02  # a slow Twilio: sends spread over several seconds, kills land mid-send
        yield server


def test_2000_reminders_with_a_worker_killed_again_and_again_are_each_sent_exactly_once(fake, tmp_path):
    rng = random.Random(int(os.environ.get("SOAK_SEED", "7")))
    numbers = _numbers(2000)
    with RedisServer(port=free_port()) as server:
        reminders = _reminders(server.url, fake, tmp_path)
        _enroll_due_now(reminders, numbers)
        workers = Workers(server.url, fake, tmp_path / "workers.log")
        victim, steady = workers.start(), workers.start()
        kills = 0
        try:
            while kills < 6 and len(fake.messages) < len(numbers):
                time.sleep(rng.uniform(0.3, 1.5))
                _crash(victim)
                kills += 1
                victim = workers.start()
            elapsed = _wait_for(fake, numbers, timeout=300)
        finally:
            _stop([victim, steady])
        figures = _tally(fake, numbers) | {"kills": kills, "seconds": round(elapsed, 1),
                                           "lookups": fake.lookups}
        print(f"\nsoak: worker SIGKILLed: {figures}")
        if figures["lost"]:
            print(_post_mortem(server.url, fake, numbers))
    assert kills >= 3, "sending finished before the worker could be killed several times"
    assert figures["duplicates"] == 0, (tmp_path / "workers.log").read_text()[-5000:]
    assert figures["lost"] == 0, (tmp_path / "workers.log").read_text()[-5000:]


def test_workers_survive_a_redis_restart_and_carry_on_sending(fake, tmp_path):
    first, second = _numbers(600), _numbers(200, first=5000)
    server = RedisServer(port=free_port(), data_dir=tmp_path / "redis").start()  # append-only on
    workers = Workers(server.url, fake, tmp_path / "workers.log")
    processes = [workers.start(), workers.start()]
    try:
        reminders = _reminders(server.url, fake, tmp_path)
        _enroll_due_now(reminders, first)
        deadline = time.monotonic() + 60
        while len(fake.messages) < 100 and time.monotonic() < deadline:
            time.sleep(0.05)
        server.stop()  # mid-sending
        stopped_at = len(fake.messages)
        time.sleep(3.0)
        server.start()
        elapsed = _wait_for(fake, first, timeout=240)
        assert all(p.poll() is None for p in processes), (tmp_path / "workers.log").read_text()[-5000:]
        reminders = _reminders(server.url, fake, tmp_path)  # a new client: the old one's pool is stale
        _enroll_due_now(reminders, second)
        _wait_for(fake, second, timeout=120)
        assert all(p.poll() is None for p in processes)
    finally:
        _stop(processes)
        server.stop()
    figures = _tally(fake, first + second) | {"sent_before_outage": stopped_at, "seconds": round(elapsed, 1)}
    print(f"\nsoak: Redis restarted mid-sending: {figures}")
    assert figures["duplicates"] == 0, (tmp_path / "workers.log").read_text()[-5000:]
    assert figures["lost"] == 0, (tmp_path / "workers.log").read_text()[-5000:]
