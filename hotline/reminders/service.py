"""Reminders end to end: enroll, plan, dispatch due steps to RQ, deliver each step at most once."""

from __future__ import annotations

import logging
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import redis
from rq import Queue, Retry

from hotline.errors import EnrollmentError as EnrollmentError
from hotline.insights import InsightCounters
from hotline.metrics import Metrics
from hotline.metrics import configure as configure_metrics
from hotline.privacy import NumberRefs
from hotline.reminders.delivery import DeliveryOutcome, Pacer
from hotline.reminders.enrollment import EnrollmentRules, EnrollResult
from hotline.reminders.imports import IMPORT_BATCH, ImportReport
from hotline.reminders.planning import QuietHours, next_allowed, plan_next, zone_for_number
from hotline.reminders.schedules import ReminderSchedule, ScheduleStore, render
from hotline.reminders.store import (
    ACTIVE,
    COMPLETED,
    ENDED,
    Enrollment,
    EnrollmentStore,
)
from hotline.sender import NO_LOOKUP, PermanentSendError, Sender, TransientSendError
from hotline.settings import Settings

log = logging.getLogger(__name__)



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
BACKOFF_SECONDS = (30, 120, 600, 1800, 3600)  # transient Twilio errors; then the step is given up
DISPATCHER_KEY = "hl:rem:dispatcher"
DELIVER = "workers.reminders.deliver"
DELIVER_BATCH = "workers.reminders.deliver_batch"
DISPATCH = "workers.reminders.dispatch"
UNREPLICATED_RETRY_SECONDS = 5.0  # a claim no replica confirmed: looked at again this soon
LOOKUP_SLACK_SECONDS = 60.0  # clock skew allowed between us and Twilio when matching a message's time


# What {baby_name} says when the parent gave no name, in the enrollment's language.
UNNAMED_BABY = {"en": "your baby", "es": "su bebé"}

def _now(now: datetime | None) -> datetime:
    return now or datetime.now(UTC)


def claim_time(value: bytes | str | None) -> float:
    """When a claim was taken: its value is "epoch[:token]"."""
    if not value:
        return 0.0
    text = value.decode() if isinstance(value, bytes) else value
    try:
        return float(text.partition(":")[0])
    except ValueError:
        return 0.0


class Reminders:
    def __init__(self, settings: Settings, connection: redis.Redis, queue: Queue | None = None,
                 refs: NumberRefs | None = None, metrics: Metrics | None = None) -> None:
        self.settings = settings
        self.metrics = metrics or configure_metrics(settings.metrics_directory)
        self.refs = refs or NumberRefs.for_settings(settings)
        self.redis = connection
        self.queue = queue or Queue(settings.queue_name, connection=connection)
        self.schedules = ScheduleStore(connection, settings.flows_dir / "schedules")
        self.enrollments = EnrollmentStore(connection, InsightCounters.for_settings(settings))
        self.quiet = QuietHours(settings.quiet_hours_start, settings.quiet_hours_end)
        self.pacer = Pacer.for_settings(settings, connection)
        self.rules = EnrollmentRules(settings, self.schedules, self.enrollments, self.quiet, self.refs,
                                     enrolled=self.ensure_dispatcher)

    # --- enrollment (the rules live in hotline/reminders/enrollment.py) ---------------------------------

    def zone(self, enrollment: Enrollment) -> ZoneInfo:
        return zone_for_number(enrollment.number, self.settings.default_timezone, enrollment.zone)

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

    def pending_checkin(self, number: str) -> str | None:
        return self.enrollments.pending_checkin(number)

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
        moment = _now(now)
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

    def deliver(self, eid: str, sender: Sender, now: datetime | None = None) -> DeliveryOutcome:
        """Send the enrollment's due step at most once. Safe to run twice, or after a crash."""
        outcome = self._deliver(eid, self.enrollments.get(eid), sender, _now(now), {})
        self.metrics.reminder(outcome)
        return outcome

    def deliver_many(self, ids: list[str], sender: Sender, now: datetime | None = None, *, threads: int = 1,
                     sender_factory: Callable[[], Sender] | None = None) -> dict[str, int]:
        """Deliver a batch: records read in one round trip, each schedule read once, one sender (one
        HTTP session) per thread. Every guarantee is checked per text, atomically, at send time (see
        _deliver), so `threads` only overlaps the waits on Twilio and Redis.
        """
        moment = _now(now)
        records = self.enrollments.get_many(ids)
        schedules: dict[str, ReminderSchedule | None] = {}
        for name in {r.schedule for r in records.values()}:
            self._schedule(name, schedules)
        counts: list[Counter[DeliveryOutcome]] = []

        def run(part: list[str], part_sender: Sender) -> None:
            outcomes: Counter[DeliveryOutcome] = Counter()
            counts.append(outcomes)  # one counter per thread, added up at the end
            for eid in part:
                try:
                    outcome = self._deliver(eid, records.get(eid), part_sender, moment, schedules)
                except redis.RedisError:
                    raise  # the job fails and RQ retries it; what was sent is recorded
                except Exception:
                    # One bad enrollment must not hold up the batch: it stays leased and comes back.
                    log.exception("reminder enrollment %s: delivery failed", eid)
                    outcome = DeliveryOutcome.ERROR
                outcomes[outcome] += 1
                self.metrics.reminder(outcome)

        threads = max(1, min(threads, len(ids)))
        if threads == 1 or sender_factory is None:
            run(list(ids), sender)
        else:
            parts = [list(ids[i::threads]) for i in range(threads)]
            senders = [sender] + [sender_factory() for _ in range(threads - 1)]
            with ThreadPoolExecutor(max_workers=threads, thread_name_prefix="reminder-send") as pool:
                for future in [pool.submit(run, part, s) for part, s in zip(parts, senders, strict=True)]:
                    future.result()
        return {outcome.value: count for outcome, count in sum(counts, Counter()).items()}

    def _schedule(self, name: str, cache: dict[str, ReminderSchedule | None]) -> ReminderSchedule | None:
        if name not in cache:
            cache[name] = self.schedules.get(name)
        return cache[name]

    def _deliver(self, eid: str, enrollment: Enrollment | None, sender: Sender, moment: datetime,
                 schedules: dict[str, ReminderSchedule | None]) -> DeliveryOutcome:
        if enrollment is None or enrollment.status != ACTIVE:
            self.enrollments.sleep(eid)
            return DeliveryOutcome.INACTIVE
        schedule = self._schedule(enrollment.schedule, schedules)
        if schedule is None or not schedule.active:
            self.enrollments.sleep(eid)  # deactivating stops it; activating again replans
            return DeliveryOutcome.INACTIVE
        zone = self.zone(enrollment)
        enrolled_at = datetime.fromtimestamp(enrollment.enrolled_at, UTC)
        planned = plan_next(schedule, enrolled_at, enrollment.last_offset, zone, self.quiet, moment)
        if planned is None:
            self.enrollments.advance(enrollment, enrollment.last_offset, COMPLETED, "all steps handled")
            return DeliveryOutcome.COMPLETED
        for step in planned.skipped:
            self.enrollments.write_log(eid, step.offset_minutes, {"status": "skipped", "error": "late",
                                                                  "at": moment.timestamp()})
        # Counted once the enrollment moves past them (below), not on every look that leaves them where they are.
        skipped_late = len(planned.skipped)
        offset = planned.step.offset_minutes
        if planned.due > moment:
            self.enrollments.wake_at(eid, planned.due.timestamp())
            return DeliveryOutcome.NOT_DUE
        allowed = next_allowed(moment, zone, self.quiet)
        if allowed > moment:  # late (retries, a backlog) and now inside quiet hours
            self.enrollments.wake_at(eid, allowed.timestamp())
            return DeliveryOutcome.QUIET

        def move_on(status: str = ACTIVE, reason: str = "") -> None:
            self.metrics.reminder("late", skipped_late)
            after = plan_next(schedule, enrolled_at, offset, zone, self.quiet, moment)
            final = status if (after or status != ACTIVE) else COMPLETED
            self.enrollments.advance(enrollment, offset, final, reason,
                                     after.due.timestamp() if after else None)

        unnamed = UNNAMED_BABY.get(enrollment.language, UNNAMED_BABY["en"])
        values = {"emergency": self.settings.emergency_number, "baby_name": enrollment.baby_name or unnamed}
        body = render(planned.step.text.get(enrollment.language) or planned.step.text["en"], values)

        # One round trip, atomically: the enrollment is still active at this step, the number has not
        # opted out (checked at send time: a step due while stopped is dropped for good), and this
        # run claims the step (SET NX). `entry` is the step's record so far.
        token = uuid.uuid4().hex[:12]
        replicas = self.settings.replicas_to_wait_for
        result, entry, held = self.enrollments.claim(eid, enrollment, offset, time.time(), token, replicas)
        if result == "unreplicated":
            # No replica confirmed the claim in time: a failover now could lose it, and a resend follow. Send
            # nothing; let the claim go and look again shortly (docs/operations.md#redis-failover).
            self.enrollments.release(eid, offset)
            self.enrollments.wake_at(eid, moment.timestamp() + UNREPLICATED_RETRY_SECONDS)
            log.warning("reminder %s:%s: no replica confirmed its claim; not sent yet", eid, offset)
            return DeliveryOutcome.UNREPLICATED
        if result == "moved":
            return DeliveryOutcome.DUPLICATE  # another run handled this step and moved the enrollment on
        if result == "opted_out":
            self.enrollments.write_log(eid, offset, {"status": "skipped", "error": "opted out",
                                                     "at": moment.timestamp()})
            move_on()
            return DeliveryOutcome.OPTED_OUT
        reconciled = False
        if result == "held":
            if entry.get("sid") or entry.get("status") in ("failed", "unknown"):
                move_on()  # sent (or settled) by another run that did not get to move on
                return DeliveryOutcome.DUPLICATE
            claimed = claim_time(held)
            if time.time() - claimed <= self.settings.reminder_claim_stale_seconds:
                self.enrollments.wake_at(eid, moment.timestamp() + self.settings.reminder_claim_stale_seconds)
                return DeliveryOutcome.BUSY
            # A worker died (or its request failed on the network) between claiming and recording:
            # Twilio may or may not have the message. Take the claim over (one run wins), then ask.
            if not self.enrollments.take_over(eid, offset, held, time.time(), token, replicas):
                self.enrollments.wake_at(eid, moment.timestamp() + self.settings.reminder_claim_stale_seconds)
                return DeliveryOutcome.BUSY
            try:
                found = sender.find_sent(enrollment.number, body, claimed - LOOKUP_SLACK_SECONDS)
            except Exception as error:  # Twilio unreachable: keep the claim, ask again once it is stale
                log.warning("reminder %s:%s: could not check Twilio for an abandoned send (%s)", eid, offset,
                            type(error).__name__)
                self.enrollments.wake_at(eid, moment.timestamp() + self.settings.reminder_claim_stale_seconds)
                return DeliveryOutcome.BUSY
            if found is NO_LOOKUP:
                # This sender cannot be asked: at most once wins, the step is not sent again.
                self.enrollments.write_log(eid, offset, {**entry, "status": "unknown",
                                                         "error": "worker stopped mid-send; not resent",
                                                         "at": moment.timestamp()})
                move_on()
                log.warning("reconciled an abandoned claim on reminder %s:%s (not resent)", eid, offset)
                return DeliveryOutcome.RECONCILED
            if found is not None:
                self.metrics.reminder("late", skipped_late)
                self.enrollments.record_sent_and_advance(
                    enrollment, offset, {"status": found.status, "sid": found.sid, "reconciled": True,
                                         "attempts": int(entry.get("attempts", 0)) + 1, "at": moment.timestamp()},
                    checkin=schedule.checkin, next_due=self._next_due(schedule, enrolled_at, offset, zone, moment))
                log.info("reminder %s:%s: the abandoned send had reached Twilio; recorded, not resent", eid, offset)
                return DeliveryOutcome.RECONCILED
            reconciled = True  # Twilio has no such message: send it now (this run holds the claim)

        attempts = int(entry.get("attempts", 0)) + 1
        self.pacer.wait()
        try:
            sent = sender.send(enrollment.number, body)
        except TransientSendError as error:
            if error.status is None:
                # No answer (timeout, reset): the request may have reached Twilio. Keep the claim but
                # mark it stale, so the next attempt checks Twilio's message list before resending.
                self.enrollments.mark_stale(eid, offset, token)
            else:
                self.enrollments.release(eid, offset)  # Twilio answered: nothing went out
            if attempts > len(BACKOFF_SECONDS):
                self.enrollments.write_log(eid, offset, {"status": "failed", "attempts": attempts,
                                                         "error": f"gave up: {error.code or 'network'}",
                                                         "at": moment.timestamp()})
                move_on()
                return DeliveryOutcome.GAVE_UP
            self.enrollments.write_log(eid, offset, {"status": "retrying", "attempts": attempts,
                                                     "error": str(error.code or "network"),
                                                     "at": moment.timestamp()})
            self.enrollments.wake_at(eid, moment.timestamp() + BACKOFF_SECONDS[attempts - 1])
            return DeliveryOutcome.RETRY
        except PermanentSendError as error:
            self.enrollments.write_log(eid, offset, {"status": "failed", "attempts": attempts,
                                                     "error": str(error.code), "at": moment.timestamp()})
            move_on(ENDED, f"twilio error {error.code}")
            log.info("reminder enrollment %s ended: twilio error %s", eid, error.code)
            return DeliveryOutcome.ENDED
        # The MessageSid, the sent record and the next wake-up in one round trip.
        self.metrics.reminder("late", skipped_late)
        self.enrollments.record_sent_and_advance(
            enrollment, offset, {"status": sent.status, "sid": sent.sid, "attempts": attempts,
                                 "at": moment.timestamp()},
            checkin=schedule.checkin, next_due=self._next_due(schedule, enrolled_at, offset, zone, moment))
        return DeliveryOutcome.RESENT if reconciled else DeliveryOutcome.SENT

    def _next_due(self, schedule: ReminderSchedule, enrolled_at: datetime, offset: int, zone: ZoneInfo,
                  moment: datetime) -> float | None:
        after = plan_next(schedule, enrolled_at, offset, zone, self.quiet, moment)
        return after.due.timestamp() if after else None

    # --- staff views ---------------------------------------------------------------------------------

    def upcoming(self, limit: int = 100) -> list[dict[str, object]]:
        upcoming = self.enrollments.upcoming(limit)
        records = self.enrollments.get_many([eid for eid, _ in upcoming])
        schedules: dict[str, ReminderSchedule | None] = {}
        rows = []
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
