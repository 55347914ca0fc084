"""The worker processes the Procfile runs stop when asked: a deploy (SIGTERM) or a drained burst.

A platform gives a worker a grace period (Heroku: 30 s) between SIGTERM and SIGKILL; a worker that
outlives it is killed mid-job. RQ 2.12 with redis-py 8 could wait 60 s on its pubsub listener on the
way out (see workers.worker.PromptExit).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from rq import Worker

from tests.support.reminders import wait_until_listening

ROOT = Path(__file__).resolve().parent.parent
RQ = str(Path(sys.executable).parent / "rq")
GRACE_SECONDS = 30  # Heroku's; the shortest common platform grace period


def _start(env: dict[str, str], worker_class: str, *options: str) -> subprocess.Popen:
    log = os.environ.get("TEST_WORKER_LOG")  # e.g. DEBUG: the worker's log on the test's stderr
    return subprocess.Popen([RQ, "worker", "-w", worker_class, *options, "--url", env["REDIS_URL"],
                             "--logging_level", log or "WARNING", "hotline"], cwd=ROOT, env={**os.environ, **env},
                            stdout=subprocess.DEVNULL, stderr=None if log else subprocess.DEVNULL,
                            start_new_session=True)


def test_a_production_worker_stops_within_the_grace_period_when_the_platform_asks(redis, env):
    worker = _start(env, "workers.worker.HotlineWorker", "--with-scheduler")
    try:
        wait_until_listening(redis)
        os.killpg(worker.pid, signal.SIGTERM)
        assert worker.wait(timeout=GRACE_SECONDS) == 0
    finally:
        if worker.poll() is None:
            os.killpg(worker.pid, signal.SIGKILL)
            worker.wait()
    assert Worker.all(connection=redis) == []  # it said goodbye: no ghost worker for staff to see


def test_burst_workers_exit_once_the_queue_is_drained(redis, env):
    workers = [_start(env, "workers.worker.InlineWorker", "--burst") for _ in range(4)]
    try:
        for worker in workers:
            assert worker.wait(timeout=GRACE_SECONDS) == 0
    finally:
        for worker in workers:
            if worker.poll() is None:
                os.killpg(worker.pid, signal.SIGKILL)
                worker.wait()
