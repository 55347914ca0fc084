"""Reminders end to end: enroll, plan, dispatch due steps to RQ, deliver each step at most once."""

from __future__ import annotations

import csv
import io
import logging
import re
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import redis
from rq import Queue, Retry

from hotline.channels.segments import non_gsm7_characters
from hotline.privacy import number_ref
from hotline.reminders.planning import QuietHours, next_allowed, plan_next, zone_for_number
from hotline.reminders.schedules import LANGUAGES, ReminderSchedule, ScheduleStore, render
from hotline.reminders.store import (
    ACTIVE,
    CANCELLED,
    COMPLETED,
    ENDED,
    Enrollment,
    EnrollmentStore,
)
from hotline.sender import PermanentSendError, Sender, TransientSendError
from hotline.settings import Settings

log = logging.getLogger(__name__)

DISPATCH_INTERVAL = 10.0  # seconds between dispatcher runs
LEASE_SECONDS = 300.0  # a taken enrollment is looked at again after this if its job was lost
CLAIM_STALE_SECONDS = 120.0  # a claim this old without a MessageSid was left by a dead worker
BACKOFF_SECONDS = (30, 120, 600, 1800, 3600)  # transient Twilio errors; then the step is given up
DISPATCHER_KEY = "hl:rem:dispatcher"
DELIVER = "workers.reminders.deliver"
DISPATCH = "workers.reminders.dispatch"


class EnrollmentError(ValueError):
    """Staff input that cannot be enrolled; the message says why."""


@dataclass(frozen=True)
class EnrollResult:
    enrollment: Enrollment
    created: bool  # False: the number was already in this schedule


@dataclass(frozen=True)
class ImportReport:
    imported: int
    duplicates: int
    errors: tuple[tuple[int, str], ...]  # (line number, problem)

    def to_dict(self) -> dict[str, object]:
        return {"imported": self.imported, "duplicates": self.duplicates,
                "errors": [{"line": line, "error": e} for line, e in self.errors]}


def _now(now: datetime | None) -> datetime:
    return now or datetime.now(UTC)


class Reminders:
    def __init__(self, settings: Settings, connection: redis.Redis, queue: Queue | None = None) -> None:
        self.settings = settings
        self.redis = connection
        self.queue = queue or Queue(settings.queue_name, connection=connection)
        self.schedules = ScheduleStore(connection, settings.flows_dir / "schedules")
        self.enrollments = EnrollmentStore(connection)
        self.quiet = QuietHours(settings.quiet_hours_start, settings.quiet_hours_end)

    # --- enrollment -----------------------------------------------------------------------------------

    def zone(self, enrollment: Enrollment) -> ZoneInfo:
        return zone_for_number(enrollment.number, self.settings.default_timezone, enrollment.zone)

    def enroll(self, raw_number: str, schedule_name: str = "checkin", *, channel: str = "staff",
               language: str = "en", zone: str | None = None, baby_name: str | None = None,
               now: datetime | None = None, restart: bool = True, trusted: bool = False) -> EnrollResult:
        """Enroll a number. Raises EnrollmentError with the reason.

        Staff input is checked strictly; `trusted` is for the E.164 number Twilio says a parent texted
        from, kept as is (carriers use numbers phonenumbers may not know yet).
        """
        from hotline.conversation import E164, normalize_number  # conversation.py itself uses this service

        number = raw_number if trusted and E164.match(raw_number) else normalize_number(
            raw_number, self.settings.default_region)
        if not number:
            raise EnrollmentError(f"'{raw_number}' is not a valid phone number; "
                                  "use E.164 (+15551234567) or a national number")
        schedule = self.schedules.get(schedule_name)
        if schedule is None:
            raise EnrollmentError(f"no schedule named '{schedule_name}'")
        if language not in LANGUAGES:
            raise EnrollmentError(f"language must be one of {', '.join(LANGUAGES)}, got '{language}'")
        if zone:
            try:
                ZoneInfo(zone)
            except (ZoneInfoNotFoundError, ValueError):
                raise EnrollmentError(f"unknown time zone '{zone}' (use an IANA name like America/Chicago)") from None
        if baby_name is not None:
            baby_name = baby_name.strip() or None
        if baby_name and (len(baby_name) > 30 or non_gsm7_characters(baby_name) or "{" in baby_name):
            raise EnrollmentError("baby_name: 30 plain characters at most")
        moment = _now(now)
        enrollment = Enrollment("", number, schedule.name, moment.timestamp(), language, -1, ACTIVE,
                                zone or None, baby_name, channel)
        due = self._first_due(schedule, enrollment, moment)
        created, eid = self.enrollments.add(enrollment, due, restart=restart)
        stored = self.enrollments.get(eid)
        assert stored is not None
        if created:
            log.info("enrolled %s in %s by %s as %s", number_ref(number), schedule.name, channel, eid)
            self.ensure_dispatcher()
        return EnrollResult(stored, created)

    def _first_due(self, schedule: ReminderSchedule, enrollment: Enrollment, now: datetime) -> float | None:
        if not schedule.active:
            return None
        planned = plan_next(schedule, datetime.fromtimestamp(enrollment.enrolled_at, UTC),
                            enrollment.last_offset, self.zone(enrollment), self.quiet, now)
        return planned.due.timestamp() if planned else None

    def cancel(self, eid: str, reason: str = "cancelled by staff") -> Enrollment | None:
        enrollment = self.enrollments.get(eid)
        if enrollment is None:
            return None
        self.enrollments.end(eid, CANCELLED, reason)
        return self.enrollments.get(eid)

    def replan(self, schedule_name: str, now: datetime | None = None) -> int:
        """After a schedule is saved, activated or deactivated: new wake-up times for its enrollments."""
        schedule = self.schedules.get(schedule_name)
        moment = _now(now)
        count = 0
        for enrollment in self.enrollments.in_schedule(schedule_name):
            if enrollment.status != ACTIVE:
                continue
            due = self._first_due(schedule, enrollment, moment) if schedule else None
            if due is None:
                self.enrollments.sleep(enrollment.id)
            else:
                self.enrollments.wake_at(enrollment.id, due)
            count += 1
        if count:
            self.ensure_dispatcher()
        return count

    def active_count(self, schedule_name: str) -> int:
        return sum(1 for e in self.enrollments.in_schedule(schedule_name) if e.status == ACTIVE)

    def import_csv(self, text: str, schedule_name: str = "checkin", *, now: datetime | None = None,
                   progress: Callable[[Iterable[tuple[int, dict[str, str]]]],
                                      Iterable[tuple[int, dict[str, str]]]] | None = None) -> ImportReport:
        """Enroll every good row; report bad ones with their line numbers. Importing twice adds nothing.

        Columns: number (required), schedule, language, timezone, baby_name.
        """
        rows = list(_csv_rows(text))
        if rows and rows[0][0] == -1:
            return ImportReport(0, 0, ((1, rows[0][1]["error"]),))
        imported = duplicates = 0
        errors: list[tuple[int, str]] = []
        for line, row in (progress(rows) if progress else rows):
            try:
                result = self.enroll(
                    row.get("number", ""), row.get("schedule") or schedule_name, channel="import",
                    language=(row.get("language") or "en").lower(), zone=row.get("timezone") or None,
                    baby_name=row.get("baby_name") or None, now=now, restart=False)
            except EnrollmentError as error:
                errors.append((line, str(error)))
                continue
            if result.created:
                imported += 1
            else:
                duplicates += 1
        return ImportReport(imported, duplicates, tuple(errors))

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

    def dispatch(self, now: datetime | None = None) -> list[str]:
        """Enqueue a delivery job for every enrollment whose next step is due; returns their ids."""
        moment = _now(now)
        sps = self.settings.sends_per_second
        # With pacing on, take only what the senders can send before the next run.
        limit = max(1, int(sps * DISPATCH_INTERVAL * 2)) if sps else 1000
        ids = self.enrollments.take_due(moment.timestamp(), LEASE_SECONDS, limit)
        for eid in ids:
            # Jobs carry ids only: RQ stores and logs a job's arguments.
            self.queue.enqueue(DELIVER, eid, now=moment.timestamp() if now else None,
                               retry=Retry(max=2, interval=[30, 120]), result_ttl=60,
                               failure_ttl=7 * 24 * 3600)
        return ids

    def run_dispatcher_tick(self, chain: str, tick: int) -> None:
        """One run of the dispatcher chain, then schedule the next (unless another chain took over)."""
        current = self.redis.get(DISPATCHER_KEY)
        if current is not None and current.decode() != chain:
            return  # another chain is alive: let this one end
        self.redis.set(DISPATCHER_KEY, chain, ex=int(DISPATCH_INTERVAL * 6))
        try:
            self.dispatch()
        finally:
            self._schedule_tick(chain, tick + 1, DISPATCH_INTERVAL)

    def _schedule_tick(self, chain: str, tick: int, delay: float) -> None:
        # Through RQ's scheduler (workers run --with-scheduler): one scheduled job per chain at a time.
        job = self.queue.create_job(DISPATCH, kwargs={"chain": chain, "tick": tick},
                                    job_id=f"hl-dispatch-{chain}-{tick}", result_ttl=0, failure_ttl=24 * 3600)
        self.queue.schedule_job(job, datetime.now(UTC) + timedelta(seconds=delay))

    # --- delivery -----------------------------------------------------------------------------------

    def deliver(self, eid: str, sender: Sender, now: datetime | None = None) -> str:
        """Send the enrollment's due step at most once. Safe to run twice, or after a crash.

        Returns what happened (for tests and logs): sent, not_due, quiet, opted_out, duplicate, busy,
        reconciled, retry, gave_up, ended, completed, inactive.
        """
        moment = _now(now)
        enrollment = self.enrollments.get(eid)
        if enrollment is None or enrollment.status != ACTIVE:
            self.enrollments.sleep(eid)
            return "inactive"
        schedule = self.schedules.get(enrollment.schedule)
        if schedule is None or not schedule.active:
            self.enrollments.sleep(eid)  # deactivating stops it; activating again replans
            return "inactive"
        zone = self.zone(enrollment)
        enrolled_at = datetime.fromtimestamp(enrollment.enrolled_at, UTC)
        planned = plan_next(schedule, enrolled_at, enrollment.last_offset, zone, self.quiet, moment)
        if planned is None:
            self.enrollments.advance(enrollment, enrollment.last_offset, COMPLETED, "all steps handled")
            return "completed"
        for step in planned.skipped:
            self.enrollments.write_log(eid, step.offset_minutes, {"status": "skipped", "error": "late",
                                                                  "at": moment.timestamp()})
        offset = planned.step.offset_minutes
        if planned.due > moment:
            self.enrollments.wake_at(eid, planned.due.timestamp())
            return "not_due"
        allowed = next_allowed(moment, zone, self.quiet)
        if allowed > moment:  # late (retries, a backlog) and now inside quiet hours
            self.enrollments.wake_at(eid, allowed.timestamp())
            return "quiet"

        def move_on(status: str = ACTIVE, reason: str = "") -> None:
            after = plan_next(schedule, enrolled_at, offset, zone, self.quiet, moment)
            final = status if (after or status != ACTIVE) else COMPLETED
            self.enrollments.advance(enrollment, offset, final, reason,
                                     after.due.timestamp() if after else None)

        # Opt-out is checked at send time: a step that falls due while stopped is dropped for good.
        if self.redis.hexists("hl:optouts", enrollment.number):
            self.enrollments.write_log(eid, offset, {"status": "skipped", "error": "opted out",
                                                     "at": moment.timestamp()})
            move_on()
            return "opted_out"

        entry = self.enrollments.log(eid, offset)
        if not self.enrollments.claim(eid, offset, time.time()):
            if entry.get("sid") or entry.get("status") in ("failed", "unknown"):
                move_on()  # sent (or settled) by another run that did not get to move on
                return "duplicate"
            claimed = self.enrollments.claimed_at(eid, offset) or 0.0
            if time.time() - claimed > CLAIM_STALE_SECONDS:
                # A worker died between claiming and recording: Twilio may have the message. At most
                # once wins: the step is not sent again, and the record says so.
                self.enrollments.write_log(eid, offset, {**entry, "status": "unknown",
                                                         "error": "worker stopped mid-send; not resent",
                                                         "at": moment.timestamp()})
                move_on()
                log.warning("reconciled an abandoned claim on reminder %s:%s", eid, offset)
                return "reconciled"
            self.enrollments.wake_at(eid, moment.timestamp() + CLAIM_STALE_SECONDS)
            return "busy"

        attempts = int(entry.get("attempts", 0)) + 1
        values = {"emergency": self.settings.emergency_number, "baby_name": enrollment.baby_name or "your baby"}
        body = render(planned.step.text.get(enrollment.language) or planned.step.text["en"], values)
        self.pace()
        try:
            sent = sender.send(enrollment.number, body)
        except TransientSendError as error:
            self.enrollments.release(eid, offset)  # Twilio answered: nothing went out
            if attempts > len(BACKOFF_SECONDS):
                self.enrollments.write_log(eid, offset, {"status": "failed", "attempts": attempts,
                                                         "error": f"gave up: {error.code or 'network'}",
                                                         "at": moment.timestamp()})
                move_on()
                return "gave_up"
            self.enrollments.write_log(eid, offset, {"status": "retrying", "attempts": attempts,
                                                     "error": str(error.code or "network"),
                                                     "at": moment.timestamp()})
            self.enrollments.wake_at(eid, moment.timestamp() + BACKOFF_SECONDS[attempts - 1])
            return "retry"
        except PermanentSendError as error:
            self.enrollments.write_log(eid, offset, {"status": "failed", "attempts": attempts,
                                                     "error": str(error.code), "at": moment.timestamp()})
            move_on(ENDED, f"twilio error {error.code}")
            log.info("reminder enrollment %s ended: twilio error %s", eid, error.code)
            return "ended"
        self.enrollments.record_sent(enrollment, offset, {"status": sent.status, "sid": sent.sid,
                                                          "attempts": attempts, "at": moment.timestamp()},
                                     checkin=schedule.checkin)
        move_on()
        return "sent"

    def pace(self) -> None:
        """At most settings.sends_per_second sends per second per sender, across all workers."""
        sps = self.settings.sends_per_second
        if not sps:
            return
        sender_id = self.settings.twilio_messaging_service_sid or self.settings.twilio_from_number or "outbox"
        while True:
            now = time.time()
            key = f"hl:rem:pace:{sender_id}:{int(now)}"
            with self.redis.pipeline() as pipe:
                pipe.incr(key)
                pipe.expire(key, 5)
                count, _ = pipe.execute()
            if count <= sps:
                return
            time.sleep(max(0.0, int(now) + 1 - now) + 0.001)

    # --- staff views ---------------------------------------------------------------------------------

    def upcoming(self, limit: int = 100) -> list[dict[str, object]]:
        rows = []
        for eid, due in self.enrollments.upcoming(limit):
            enrollment = self.enrollments.get(eid)
            schedule = self.schedules.get(enrollment.schedule) if enrollment else None
            following = schedule.steps_after(enrollment.last_offset) if (schedule and enrollment) else ()
            rows.append({"enrollment": eid, "number": enrollment.number if enrollment else None,
                         "schedule": enrollment.schedule if enrollment else None,
                         "step_offset_minutes": following[0].offset_minutes if following else None,
                         "due": datetime.fromtimestamp(due, UTC).isoformat()})
        return rows

    def sent(self, limit: int = 100) -> list[dict[str, object]]:
        rows = []
        for eid, offset, at in self.enrollments.sent(limit):
            enrollment = self.enrollments.get(eid)
            entry = self.enrollments.log(eid, offset)
            rows.append({"enrollment": eid, "number": enrollment.number if enrollment else None,
                         "schedule": enrollment.schedule if enrollment else None,
                         "step_offset_minutes": offset, "sent_at": datetime.fromtimestamp(at, UTC).isoformat(),
                         "sid": entry.get("sid"), "status": entry.get("status"), "error": entry.get("error"),
                         "answer": entry.get("answer")})
        return rows


HEADER_ALIASES = {"phone": "number", "phone_number": "number", "to": "number", "tz": "timezone",
                  "lang": "language", "name": "baby_name"}


def _csv_rows(text: str) -> Iterator[tuple[int, dict[str, str]]]:
    """(line number, row) for each data row; (-1, {"error": ...}) when the header is unusable."""
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff")))
    header: list[str] | None = None
    for fields in reader:
        line = reader.line_num
        if not any(f.strip() for f in fields):
            continue
        if header is None:
            header = [HEADER_ALIASES.get(h, h) for h in (re.sub(r"\s+", "_", f.strip().lower()) for f in fields)]
            if "number" not in header:
                yield -1, {"error": "the first line must be a header with a 'number' column "
                                    "(optional: schedule, language, timezone, baby_name)"}
                return
            continue
        padded = fields + [""] * (len(header) - len(fields))
        yield line, {name: value.strip() for name, value in zip(header, padded, strict=False)}
