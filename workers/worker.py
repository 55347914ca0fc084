"""The RQ worker class the Procfile and `hotline dev` run: `rq worker -w workers.worker.HotlineWorker`.

RQ's default worker forks a work-horse per job and the job's modules are imported in that horse,
so every job paid for importing twilio, the flows and the reminder code again (about 140 ms) before
sending one text. Importing them here, in the parent, lets every fork inherit them ready to use.
HerokuWorker's SIGTERM handling (stop the job at once, as platforms expect) is kept.

RQ's worker quits on a Redis error met outside its dequeue loop (say Redis restarts while a job
runs): this one waits for Redis to come back and carries on instead.

An idle RQ worker waits on its queue for worker_ttl - 15 s (405 s by default) and runs its maintenance
only between waits. Maintenance is what starts a scheduler when the worker holding the scheduler lock
died, and (here) what restarts the reminder dispatcher: with every worker idle, nothing moved scheduled
jobs for minutes after such a crash, and due reminders waited (the crash soak caught it). This worker
waits at most one maintenance interval.
"""

from __future__ import annotations

import gc
import os
import time

import redis
from rq.worker import HerokuWorker

import hotline.conversation  # noqa: F401  (preloaded for the work-horses; imports check numbers with it)
import hotline.reminders.service  # noqa: F401
import hotline.sender  # noqa: F401
import workers.cases  # noqa: F401
import workers.imports  # noqa: F401
import workers.reminders  # noqa: F401
import workers.summary  # noqa: F401
from hotline import metrics
from hotline.redis_connection import unavailable
from workers.base import InlineWorker, PromptExit

__all__ = ["HotlineWorker", "InlineWorker"]


def _warm_up() -> None:
    """Load what the twilio client imports lazily on first use, and the shipped schedules; open the metrics
    directory (its files are the work-horses' to share) and set the log format."""
    from twilio.rest import Client

    client = Client("AC" + "0" * 32, "warm-up")
    client.api.v2010.account.messages  # noqa: B018  (imports the Messages resource modules)
    try:
        from hotline.logs import configure_logging
        from hotline.reminders.schedules import ScheduleStore
        from hotline.settings import Settings

        settings = Settings.from_env()
        ScheduleStore(None, settings.flows_dir / "schedules").shipped()  # type: ignore[arg-type]
        metrics.configure(settings.metrics_directory)
        if settings.log_format == "json":
            configure_logging(settings)  # before rq's CLI sets up its own text handlers, so it sets up none
    except Exception:  # a broken environment is reported by the first job, with its context
        pass


_warm_up()
# Everything imported so far lives as long as the worker: keep it out of the garbage collector's
# scans, and out of the pages a work-horse would copy just by collecting (copy-on-write).
gc.freeze()


def _named(error: Exception) -> str:
    """The error's class, and Redis' error code for a refusal (NOREPLICAS, READONLY): never a key or a value."""
    code = str(error).split()[0] if isinstance(error, redis.ResponseError) and str(error) else ""
    return f"{type(error).__name__} {code}".strip()


class HotlineWorker(PromptExit, HerokuWorker):
    """A forking worker whose work-horses inherit the app's modules already imported.

    It also keeps the reminder dispatcher chain alive: a chain whose tick died with a killed
    work-horse ends, and without a web request or an enrollment nothing would start another.
    """

    @property
    def dequeue_timeout(self) -> int:
        return max(1, min(super().dequeue_timeout, self.maintenance_interval))

    def run_maintenance_tasks(self) -> None:
        try:
            super().run_maintenance_tasks()
        except redis.RedisError as error:
            self._wait_for_redis(error)
        self._ensure_dispatcher()

    def execute_job(self, job, queue) -> None:  # type: ignore[no-untyped-def]
        try:
            super().execute_job(job, queue)
        except redis.RedisError as error:
            if not unavailable(error):
                raise
            # The work-horse's own Redis calls fail too and it ends; its job stays "started" until
            # RQ abandons it, and its reminders come back when their lease runs out (claims keep
            # every text at most once).
            pid = getattr(self, "_horse_pid", 0)
            if pid:
                try:
                    os.waitpid(pid, 0)
                except ChildProcessError:
                    pass
            self._wait_for_redis(error)

    def main_work_horse(self, job, queue) -> None:  # type: ignore[no-untyped-def]
        metrics.name_work_horse()  # count into this worker's horse files, not into a new set per job
        super().main_work_horse(job, queue)

    def heartbeat(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        try:
            super().heartbeat(*args, **kwargs)
        except redis.RedisError as error:
            self._wait_for_redis(error)

    def check_for_suspension(self, burst: bool) -> None:
        try:
            super().check_for_suspension(burst)
        except redis.RedisError as error:
            self._wait_for_redis(error)

    def _wait_for_redis(self, error: Exception) -> None:
        """Wait out an error that says Redis will be back (hotline.redis_connection.unavailable); raise others."""
        if not unavailable(error):
            raise error
        self.log.warning("Worker %s: Redis unavailable (%s); waiting for it", self.name, _named(error))
        counted = metrics.current()
        if counted is not None:
            counted.redis_error("worker")
        delay = 0.5
        while True:
            time.sleep(delay)
            try:
                self.connection.ping()
            except redis.RedisError as again:
                if not unavailable(again):
                    raise
                delay = min(delay * 2, 10.0)
                continue
            self.log.warning("Worker %s: Redis is back", self.name)
            return

    def bootstrap(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().bootstrap(*args, **kwargs)
        self._ensure_dispatcher()

    def _ensure_dispatcher(self) -> None:
        try:
            from hotline.reminders.service import Reminders
            from hotline.settings import Settings

            settings = Settings.from_env()
            if settings.queue_name in self.queue_names():
                Reminders(settings, self.connection).ensure_dispatcher()
        except Exception as error:  # Redis down: the next maintenance run tries again
            self.log.warning("could not check the reminder dispatcher: %s", type(error).__name__)
