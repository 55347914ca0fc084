"""Prometheus metrics: what the web processes and the RQ workers count, added up across all of them, and what RQ's
queues hold, read when /metrics is scraped. docs/operations.md#metrics lists them.

Counts are kept with prometheus_client's multiprocess mode: each process writes its own files (memory-mapped) in
one directory, HOTLINE_METRICS_DIR, and a scrape adds up every file there, so granian's several web processes, the
RQ workers and their work-horses all count into the same totals, whichever process answers the scrape. Processes
that share the figures must share the directory: one host, one directory.

How this uses the library, and why:

- The directory is emptied when a process starts and no process that wrote there is still alive (checked under a
  lock): the library wants it wiped between runs, and granian has no master-process hook to do it. A web process
  respawned beside live ones keeps the files of the one it replaces: a dead process's counts must stay in the
  totals, or the counters would go down.
- `mark_process_dead` removes only the files of gauges in a `live*` mode. The hotline has none (what a gauge would
  show, queue depth and age, is read from RQ at scrape time instead), so there is nothing for it to do.
- RQ forks a work-horse per job. With the library's default (a file set per process id), every job would leave
  files behind, and every scrape would read them all. A work-horse instead writes to one file set named after its
  worker (`rq<worker pid>`): a worker runs one horse at a time, so no two live processes write the same file.
- Label values come from fixed lists (routes, statuses, levels, outcomes, queue names): never a number or a text.
"""

from __future__ import annotations

import errno
import fcntl
import logging
import os
import re
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import redis
from prometheus_client import CollectorRegistry, Counter, Histogram, values
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.exposition import choose_encoder
from prometheus_client.multiprocess import MultiProcessCollector

log = logging.getLogger(__name__)

# The webhook routes, as Twilio calls them; anything else under /twilio/ is "other" (no path becomes a label).
ROUTES = ("/twilio/sms", "/twilio/status", "/twilio/voice", "/twilio/voice/gather", "/twilio/voice/dialed",
          "/twilio/voice/recorded")
OTHER_ROUTE = "other"
LEVELS = ("emergency", "urgent", "soon", "home")
CHANNELS = ("sms", "voice")
# A reminder step's DeliveryOutcome (hotline/reminders/delivery.py) -> the outcome counted; those not named are
# bookkeeping (not due yet, handled by another run, already over) and not counted.
REMINDER_OUTCOMES = {
    "sent": "sent", "resent": "sent",
    "quiet": "deferred_quiet_hours",
    "opted_out": "skipped", "late": "skipped",
    "gave_up": "failed", "ended": "failed",
    "retry": "retried",
    "reconciled": "reconciled",
    "error": "error",
}
# A delivery status Twilio reports for a reminder -> the outcome counted (only the final ones).
REMINDER_STATUSES = {"delivered": "delivered", "undelivered": "undelivered", "failed": "undelivered"}
REDIS_SOURCES = ("sms", "voice", "status", "healthz", "scrape", "worker")
ALERT_OUTCOMES = ("sent", "refused", "retried")
WEBHOOK_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 15.0)  # Twilio waits 15 s
ALERT_BUCKETS = (1.0, 2.0, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 600.0)
DIR_ENV = "PROMETHEUS_MULTIPROC_DIR"  # where the library's value class opens its files


class Metrics:
    """The hotline's counters and histograms, one set per process, with their label children bound in advance
    (a counted event is one dictionary lookup and one write to a memory-mapped file)."""

    def __init__(self) -> None:
        self.webhook_seconds = Histogram(
            "hotline_webhook_duration_seconds", "Twilio webhook requests by route and HTTP status, and how long "
            "the app took to answer them (the _count is the number of requests)",
            ("route", "status"), buckets=WEBHOOK_BUCKETS, registry=None)
        self.assessments = Counter("hotline_assessments", "Assessments given, by level and channel",
                                   ("level", "channel"), registry=None)
        self.redis_errors = Counter("hotline_redis_errors", "Redis errors met, by where they were met",
                                    ("source",), registry=None)
        self.outage_answers = Counter(
            "hotline_outage_answers", "Webhooks answered with the fallback because handling failed (Redis down or "
            "a bug): the emergency reply or the apology with the emergency number", ("channel", "reply"),
            registry=None)
        self.reminders = Counter("hotline_reminders", "Reminder texts by outcome", ("outcome",), registry=None)
        self.alerts = Counter("hotline_oncall_alerts", "On-call alert texts by outcome", ("outcome",), registry=None)
        self.alert_latency = Histogram(
            "hotline_oncall_alert_latency_seconds", "From a case opening to its first on-call alert being sent",
            buckets=ALERT_BUCKETS, registry=None)

        self._webhooks = {route: {"200": self.webhook_seconds.labels(route, "200")} for route in ROUTES}
        self._webhooks[OTHER_ROUTE] = {}
        self._assessments = {(level, channel): self.assessments.labels(level, channel)
                             for level in LEVELS for channel in CHANNELS}
        self._redis_errors = {source: self.redis_errors.labels(source) for source in REDIS_SOURCES}
        self._outage = {(channel, reply): self.outage_answers.labels(channel, reply)
                        for channel, reply in (("sms", "emergency"), ("sms", "apology"), ("voice", "apology"))}
        self._reminders = {outcome: self.reminders.labels(outcome)
                           for outcome in (*dict.fromkeys(REMINDER_OUTCOMES.values()), "delivered", "undelivered")}
        self._alerts = {outcome: self.alerts.labels(outcome) for outcome in ALERT_OUTCOMES}

    def webhook(self, path: str, status: str, seconds: float) -> None:
        statuses = self._webhooks.get(path) or self._webhooks[OTHER_ROUTE]
        child = statuses.get(status)
        if child is None:  # a status first seen: bind it once (the dict is replaced whole, so readers never race)
            child = self.webhook_seconds.labels(path if path in self._webhooks else OTHER_ROUTE, status)
            self._webhooks[path if path in self._webhooks else OTHER_ROUTE] = {**statuses, status: child}
        child.observe(seconds)

    def assessed(self, level: str, channel: str) -> None:
        child = self._assessments.get((level, channel))
        if child is not None:
            child.inc()

    def redis_error(self, source: str) -> None:
        self._redis_errors[source].inc()

    def outage_answer(self, channel: str, reply: str) -> None:
        self._outage[(channel, reply)].inc()

    def reminder(self, outcome: str, count: int = 1) -> None:
        """A reminder step's DeliveryOutcome (hotline/reminders/delivery.py), or "late" for a skipped step."""
        counted = REMINDER_OUTCOMES.get(outcome)
        if counted is not None and count:
            self._reminders[counted].inc(count)

    def reminder_status(self, status: str) -> None:
        """A delivery status Twilio reported for a reminder (each once, in order; duplicates never come here)."""
        counted = REMINDER_STATUSES.get(status)
        if counted is not None:
            self._reminders[counted].inc()

    def alert(self, outcome: str) -> None:
        self._alerts[outcome].inc()

    def first_alert_sent(self, seconds: float) -> None:
        self.alert_latency.observe(max(0.0, seconds))


class WebhookTimer:
    """WSGI middleware: each /twilio/* request's route, status and time into one histogram observation (the
    status as the server sends it: a 403 for a bad signature, a 413 for a huge form, a 500 if all else failed).
    The webhooks hotline.webhooks.TwilioWebhooks answers itself are observed there, the same way: this one sees
    the /twilio/* requests that fall through to Flask (another method, an unknown path)."""

    def __init__(self, app: Callable[..., Iterable[bytes]], metrics: Metrics) -> None:
        self.app = app
        self.webhook = metrics.webhook

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if not path.startswith("/twilio/"):
            return self.app(environ, start_response)
        started = time.perf_counter()
        status = ["500"]

        def record_status(code: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            status[0] = code[:3]
            return start_response(code, headers, exc_info)

        try:
            return self.app(environ, record_status)
        finally:
            self.webhook(path, status[0], time.perf_counter() - started)


# --- one directory per process --------------------------------------------------------------------------------

_lock = threading.Lock()
_state: dict[str, Any] = {"requested": None, "directory": None, "generation": 0, "horse": None}
_metrics: list[Metrics] = []
_named: list[Any] = [0, ""]  # the pid _identity last named, and its name


def _identity() -> str:
    """The name of this process's files: its pid, or `rq<worker pid>` in an RQ work-horse; a directory chosen
    after the first (tests do that) adds a generation, which makes every value open its file again, there.
    Called on every count: the name is kept until the pid changes (a fork) or the generation does."""
    pid = os.getpid()
    if pid == _named[0]:
        return _named[1]
    horse = _state["horse"]
    name = f"rq{horse[1]}" if horse and horse[0] == pid else str(pid)
    generation = _state["generation"]
    _named[:] = [pid, f"{name}g{generation}" if generation else name]
    return _named[1]


def configure(directory: Path) -> Metrics:
    """This process's metrics, writing to `directory` (made when missing; emptied when nobody who wrote there is
    alive). Cheap when called again with the same directory. An unusable directory is reported and replaced by a
    private temporary one: the hotline runs, and this process's counts are lost to the others'."""
    requested = directory = Path(directory).absolute()
    with _lock:
        if _state["requested"] == requested and _metrics:
            return _metrics[0]
        try:
            _prepare(directory)
        except OSError as error:
            fallback = Path(tempfile.mkdtemp(prefix="hotline-metrics-"))
            log.warning("metrics: cannot use %s (%s); counting in %s, which no other process reads: set "
                        "HOTLINE_METRICS_DIR to a folder every hotline process can write", directory,
                        error.strerror or error, fallback)
            directory = fallback
        os.environ[DIR_ENV] = str(directory)
        if _metrics:
            _state["generation"] += 1
            _named[0] = 0  # a new identity: the library re-opens every value's file, in the new directory
        else:
            values.ValueClass = values.MultiProcessValue(_identity)
        _state["requested"], _state["directory"] = requested, directory
        if not _metrics:
            _metrics.append(Metrics())
        else:
            # Reading any value re-opens them all there now, so every bound series shows (at 0) from the start.
            _metrics[0].reminders.collect()
        return _metrics[0]


def current() -> Metrics | None:
    """This process's metrics, if it has configured them."""
    return _metrics[0] if _metrics else None


def directory() -> Path | None:
    """The directory this process counts in (None before `configure`)."""
    return _state["directory"]  # type: ignore[no-any-return]


def name_work_horse() -> None:
    """Called first thing in an RQ work-horse: write to the worker's horse files, not to new ones of our own."""
    _state["horse"] = (os.getpid(), os.getppid())
    _named[0] = 0


_OWNER = re.compile(r"_(?:rq)?(\d+)(?:g\d+)?\.db\Z")


def process_alive(pid: int) -> bool:
    """Whether a process with this id is running (one we may not signal counts as running)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _prepare(path: Path) -> None:
    """Make the directory; empty it when every process that wrote a file there has ended (a new run)."""
    path.mkdir(parents=True, exist_ok=True)
    with open(path / ".lock", "a+b") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        files = list(path.glob("*.db"))
        owners = {int(match.group(1)) for match in (_OWNER.search(f.name) for f in files) if match}
        if files and not any(process_alive(pid) for pid in owners):
            for file in files:
                try:
                    file.unlink()
                except FileNotFoundError:
                    pass
        probe = path / f".probe-{os.getpid()}"
        probe.write_bytes(b"")  # fails here, not at the first count, when the folder cannot be written
        probe.unlink()


# --- the scrape ---------------------------------------------------------------------------------------------


class QueueCollector:
    """What RQ's queues hold, read at scrape time (a few Redis commands in two round trips): waiting jobs, the age
    of the oldest, failed jobs kept, and workers listening; and whether Redis answered at all."""

    def __init__(self, connection: redis.Redis, queue_names: Iterable[str],
                 on_redis_error: Callable[[], None] | None = None) -> None:
        self.redis = connection
        self.queue_names = tuple(queue_names)
        self.on_redis_error = on_redis_error

    def collect(self) -> Iterator[Metric]:
        from rq import Queue
        from rq.job import Job
        from rq.registry import FailedJobRegistry
        from rq.utils import str_to_date
        from rq.worker_registration import WORKERS_BY_QUEUE_KEY

        up = GaugeMetricFamily("hotline_redis_up", "1 when Redis answered this scrape, else 0")
        depth = GaugeMetricFamily("hotline_queue_jobs", "Jobs waiting in the RQ queue", labels=["queue"])
        oldest = GaugeMetricFamily("hotline_queue_oldest_job_age_seconds",
                                   "How long the oldest waiting job has waited (0 when none waits)", labels=["queue"])
        failed = GaugeMetricFamily("hotline_queue_failed_jobs", "Failed jobs RQ keeps for the queue",
                                   labels=["queue"])
        workers = GaugeMetricFamily("hotline_queue_workers", "RQ workers listening on the queue", labels=["queue"])
        now = time.time()
        try:
            with self.redis.pipeline(transaction=False) as pipe:
                for name in self.queue_names:
                    key = Queue(name, connection=self.redis).key
                    pipe.llen(key)
                    pipe.lindex(key, 0)
                    pipe.zcount(FailedJobRegistry(name, connection=self.redis).key, now, "+inf")
                    pipe.scard(WORKERS_BY_QUEUE_KEY % name)
                replies = pipe.execute()
            heads = [replies[i * 4 + 1] for i in range(len(self.queue_names))]
            with self.redis.pipeline(transaction=False) as pipe:
                for head in heads:
                    if head:
                        pipe.hget(Job.key_for(head.decode()), "enqueued_at")
                enqueued = iter(pipe.execute())
        except redis.RedisError:
            if self.on_redis_error is not None:
                self.on_redis_error()
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        for i, name in enumerate(self.queue_names):
            length, _head, failures, listening = replies[i * 4:i * 4 + 4]
            age = 0.0
            when = next(enqueued) if heads[i] else None
            if length and when:
                try:
                    age = max(0.0, now - str_to_date(when).timestamp())
                except ValueError:
                    pass
            depth.add_metric([name], length)
            oldest.add_metric([name], age)
            failed.add_metric([name], failures)
            workers.add_metric([name], listening)
        yield from (depth, oldest, failed, workers)


def scrape_registry(path: Path, connection: redis.Redis, queue_names: Iterable[str],
                    on_redis_error: Callable[[], None] | None = None) -> CollectorRegistry:
    """A registry for one scrape endpoint: every process's counts in `path`, and the queues read from RQ."""
    registry = CollectorRegistry()
    MultiProcessCollector(registry, path=str(path))
    registry.register(QueueCollector(connection, queue_names, on_redis_error))
    return registry


def exposition(registry: CollectorRegistry, accept: str = "") -> tuple[bytes, str]:
    """Everything `registry` collects in the format the scraper's Accept header asks for (Prometheus' text format
    unless it asks for OpenMetrics), and its content type."""
    encoder, content_type = choose_encoder(accept)
    return encoder(registry), content_type


def serve(bind: tuple[str, int], registry: CollectorRegistry) -> Any | None:
    """Serve the metrics on their own address (HOTLINE_METRICS_BIND), in a daemon thread, if this process is the
    first to bind it: every process reads the same directory, so any one of them gives the same answer. Returns
    the server (to shut down), or None when another process already serves it."""
    from prometheus_client.exposition import start_http_server

    host, port = bind
    try:
        server, _thread = start_http_server(port, addr=host, registry=registry)
    except OSError as error:
        if error.errno == errno.EADDRINUSE:
            return None  # a sibling process serves them
        raise
    log.info("metrics served on http://%s:%d/metrics", host, port)
    return server
