"""Reminders end to end, the service the app, the workers and the CLI hold: enrolling and the schedule rules
(enrollment.py), the dispatcher chain that hands due steps to RQ (here), delivering each step at most once
(delivery.py), and the staff's views of what is coming and what went out."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta

import redis
from rq import Queue, Retry

from hotline.errors import EnrollmentError as EnrollmentError
from hotline.insights import InsightCounters
from hotline.metrics import Metrics
from hotline.metrics import configure as configure_metrics
from hotline.privacy import NumberRefs
from hotline.reminders.delivery import Delivery, Pacer
from hotline.reminders.enrollment import EnrollmentRules, EnrollResult
from hotline.reminders.imports import IMPORT_BATCH, ImportReport
from hotline.reminders.planning import QuietHours
from hotline.reminders.schedules import ReminderSchedule, ScheduleStore
from hotline.reminders.store import Enrollment, EnrollmentStore
from hotline.sender import Sender
from hotline.settings import Settings
from hotline.store import keys

DISPATCH_INTERVAL = 10.0  # seconds between dispatcher runs
# Tuning, from Settings (HOTLINE_REMINDER_*):
# - reminder_lease_seconds: a taken enrollment is looked at again after this if its job was lost.
# - reminder_claim_stale_seconds: a claim this old without a MessageSid was left by a dead worker (a
#   live one records the sid within the HTTP timeout, 10 s): the step is reconciled with Twilio's
#   message list before anything is resent.
# - reminder_batch: due enrollments per delivery job, so RQ's per-job cost (a fork, a Redis connection,
#   an HTTP session) is paid once per batch instead of once per text.
# - reminder_send_threads: texts of one batch in flight at once, each thread with its own HTTP session.
# Unpaced, one dispatcher run hands out at most this many (10 s of work for two fast workers).
UNPACED_TAKE = 20_000
DISPATCHER_KEY = keys.DISPATCHER
DELIVER_BATCH = "workers.reminders.deliver_batch"
DISPATCH = "workers.reminders.dispatch"


class Reminders:
    def __init__(self, settings: Settings, connection: redis.Redis, queue: Queue | None = None,
                 refs: NumberRefs | None = None, metrics: Metrics | None = None,
                 clock: Callable[[], float] = time.time) -> None:
        self.settings = settings
        self.clock = clock  # the services' clock (hotline/clock.py); RQ schedules on the system's time
        self.metrics = metrics or configure_metrics(settings.metrics_directory)
        self.refs = refs or NumberRefs.for_settings(settings)
        self.redis = connection
        self.queue = queue or Queue(settings.queue_name, connection=connection)
        self.schedules = ScheduleStore(connection, settings.flows_dir / "schedules")
        self.enrollments = EnrollmentStore(connection, InsightCounters.for_settings(settings), clock=clock)
        self.quiet = QuietHours(settings.quiet_hours_start, settings.quiet_hours_end)
        self.delivery = Delivery(settings, self.schedules, self.enrollments, self.quiet, self.metrics,
                                 Pacer.for_settings(settings, connection), clock=clock)
        self.rules = EnrollmentRules(settings, self.schedules, self.enrollments, self.quiet, self.refs,
                                     enrolled=self.ensure_dispatcher, clock=clock)

    # --- enrollment (the rules live in hotline/reminders/enrollment.py) ---------------------------------

    def enroll(self, raw_number: str, schedule_name: str = "checkin", *, channel: str = "staff",
               language: str = "en", zone: str | None = None, baby_name: str | None = None,
               now: datetime | None = None, restart: bool = True, trusted: bool = False) -> EnrollResult:
        """Enroll a number (EnrollmentRules.enroll)."""
        return self.rules.enroll(raw_number, schedule_name, channel=channel, language=language, zone=zone,
                                 baby_name=baby_name, now=now, restart=restart, trusted=trusted)

    def enroll_many(self, numbers: Iterable[str], schedule_name: str = "checkin", *, channel: str = "import",
                    language: str = "en", now: datetime | None = None, chunk: int = 1000) -> tuple[int, int]:
        return self.rules.enroll_many(numbers, schedule_name, channel=channel, language=language, now=now,
                                      chunk=chunk)

    def import_csv(self, text: str, schedule_name: str = "checkin", *, now: datetime | None = None,
                   batch: int = IMPORT_BATCH,
                   progress: Callable[[ImportReport], None] | None = None) -> ImportReport:
        return self.rules.import_csv(text, schedule_name, now=now, batch=batch, progress=progress)

    def cancel(self, eid: str, reason: str = "cancelled by staff") -> Enrollment | None:
        return self.rules.cancel(eid, reason)

    def replan(self, schedule_name: str, now: datetime | None = None) -> int:
        return self.rules.replan(schedule_name, now)

    def active_count(self, schedule_name: str) -> int:
        return self.enrollments.active_count(schedule_name)

    # --- check-ins ---------------------------------------------------------------------------------------

    def answer_checkin(self, number: str, ref: str, answer: str) -> None:
        self.enrollments.answer_checkin(number, ref, answer)

    # --- dispatch -------------------------------------------------------------------------------------

    def ensure_dispatcher(self) -> None:
        """Start the self-rescheduling dispatcher job unless one is alive (cheap: one SET NX)."""
        token = uuid.uuid4().hex[:12]
        if self.redis.set(DISPATCHER_KEY, token, nx=True, ex=int(DISPATCH_INTERVAL * 6)):
            self._schedule_tick(token, 0, 1.0)

    def dispatch(self, now: datetime | None = None, limit: int | None = None) -> list[str]:
        """Enqueue delivery jobs (a batch of ids each) for the enrollments whose next step is due."""
        moment = now or datetime.fromtimestamp(self.clock(), UTC)
        sps = self.settings.sends_per_second
        # With pacing on, take only what the senders can send before the next run.
        if limit is None:
            limit = max(1, int(sps * DISPATCH_INTERVAL * 2)) if sps else UNPACED_TAKE
        ids = self.enrollments.take_due(moment.timestamp(), self.settings.reminder_lease_seconds, limit)
        # Paced, smaller batches spread the sends over the workers (each batch waits for the pace).
        batch = self.settings.reminder_batch
        size = max(1, min(batch, int(sps * DISPATCH_INTERVAL))) if sps else batch
        with self.redis.pipeline(transaction=False) as pipe:
            for start in range(0, len(ids), size):
                chunk = ids[start:start + size]
                # Jobs carry ids only (RQ stores and logs a job's arguments); the description stays short.
                self.queue.enqueue(DELIVER_BATCH, chunk, now=moment.timestamp() if now else None,
                                   retry=Retry(max=2, interval=[30, 120]), result_ttl=60,
                                   failure_ttl=7 * 24 * 3600, description=f"deliver {len(chunk)} reminder(s)",
                                   pipeline=pipe)
            pipe.execute()
        return ids

    def run_dispatcher_tick(self, chain: str, tick: int) -> None:
        """One run of the dispatcher chain, then schedule the next (unless another chain took over)."""
        current = self.redis.get(DISPATCHER_KEY)
        if current is not None and current.decode() != chain:
            return  # another chain is alive: let this one end
        self.redis.set(DISPATCHER_KEY, chain, ex=int(DISPATCH_INTERVAL * 6))
        # Schedule the next run first: a work-horse killed during this run must not end the chain
        # (an idle RQ worker may not run its maintenance, which would restart it, for minutes).
        self._schedule_tick(chain, tick + 1, DISPATCH_INTERVAL)
        self.dispatch()

    def _schedule_tick(self, chain: str, tick: int, delay: float) -> None:
        # Through RQ's scheduler (workers run --with-scheduler): one scheduled job per chain at a time.
        job = self.queue.create_job(DISPATCH, kwargs={"chain": chain, "tick": tick},
                                    job_id=f"hl-dispatch-{chain}-{tick}", result_ttl=0, failure_ttl=24 * 3600)
        self.queue.schedule_job(job, datetime.now(UTC) + timedelta(seconds=delay))

    # --- delivery -----------------------------------------------------------------------------------

    def deliver_many(self, ids: list[str], sender: Sender, now: datetime | None = None, *, threads: int = 1,
                     sender_factory: Callable[[], Sender] | None = None) -> dict[str, int]:
        """Deliver a batch (Delivery.deliver_many): how many ended which way."""
        return self.delivery.deliver_many(ids, sender, now, threads=threads, sender_factory=sender_factory)

    def _schedule(self, name: str, cache: dict[str, ReminderSchedule | None]) -> ReminderSchedule | None:
        if name not in cache:
            cache[name] = self.schedules.get(name)
        return cache[name]

    # --- staff views ---------------------------------------------------------------------------------

    def upcoming(self, limit: int = 100) -> list[dict[str, object]]:
        upcoming = self.enrollments.upcoming(limit)
        records = self.enrollments.get_many([eid for eid, _ in upcoming])
        schedules: dict[str, ReminderSchedule | None] = {}
        rows: list[dict[str, object]] = []
        for eid, due in upcoming:
            enrollment = records.get(eid)
            schedule = self._schedule(enrollment.schedule, schedules) if enrollment else None
            following = schedule.steps_after(enrollment.last_offset) if (schedule and enrollment) else ()
            rows.append({"enrollment": eid, "number": enrollment.number if enrollment else None,
                         "schedule": enrollment.schedule if enrollment else None,
                         "step_offset_minutes": following[0].offset_minutes if following else None,
                         "due": datetime.fromtimestamp(due, UTC).isoformat()})
        return rows

    def sent(self, limit: int = 100) -> list[dict[str, object]]:
        sent = self.enrollments.sent(limit)
        records = self.enrollments.get_many([eid for eid, _, _ in sent])
        entries = self.enrollments.log_entries([(eid, offset) for eid, offset, _ in sent])
        rows = []
        for (eid, offset, at), entry in zip(sent, entries, strict=True):
            enrollment = records.get(eid)
            rows.append({"enrollment": eid, "number": enrollment.number if enrollment else None,
                         "schedule": enrollment.schedule if enrollment else None,
                         "step_offset_minutes": offset, "sent_at": datetime.fromtimestamp(at, UTC).isoformat(),
                         "sid": entry.get("sid"), "status": entry.get("status"), "error": entry.get("error"),
                         "answer": entry.get("answer")})
        return rows
