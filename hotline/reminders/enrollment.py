"""The rules for schedules and enrollments, each written once; the JSON API, the staff pages and the CLI call them
and only say the named errors (hotline/errors.py) their own way.

- enroll one number, many numbers, or a CSV file's rows, with the same checks (EnrollmentError, UnknownSchedule);
- create a schedule (ScheduleExists); save one, then replan its enrollments; activate or deactivate one, then
  replan (UnknownSchedule);
- delete a schedule: it exists (UnknownSchedule), it does not ship with the hotline (ShippedSchedule), it has no
  active enrollments unless they are to be cancelled too (ScheduleInUse), then they are cancelled and it is deleted;
- cancel an enrollment only while it is active (UnknownEnrollment, EnrollmentNotActive).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from hotline.channels.segments import non_gsm7_characters
from hotline.errors import (
    EnrollmentError,
    EnrollmentNotActive,
    ScheduleExists,
    ScheduleInUse,
    ShippedSchedule,
    UnknownEnrollment,
    UnknownSchedule,
)
from hotline.phone import E164, normalize_number
from hotline.privacy import NumberRefs
from hotline.reminders.imports import IMPORT_BATCH, ROW_ERROR, ImportReport, csv_rows
from hotline.reminders.planning import QuietHours, plan_next, zone_for_number
from hotline.reminders.schedules import LANGUAGES, ReminderSchedule, ScheduleStore
from hotline.reminders.store import ACTIVE, CANCELLED, Enrollment, EnrollmentStore
from hotline.settings import Settings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class EnrollResult:
    enrollment: Enrollment
    created: bool  # False: the number was already in this schedule


@dataclass(frozen=True)
class Deleted:
    schedule: str
    cancelled: int  # active enrollments cancelled with it


class EnrollmentRules:
    """Enrollments and the schedules they follow. `enrolled` is called when something new may be due (the reminders
    service starts its dispatcher then)."""

    def __init__(self, settings: Settings, schedules: ScheduleStore, enrollments: EnrollmentStore,
                 quiet: QuietHours, refs: NumberRefs, enrolled: Callable[[], None],
                 clock: Callable[[], float] = time.time) -> None:
        self.settings = settings
        self.clock = clock  # the services' clock (hotline/clock.py): "now" when a caller gives none
        self.schedules = schedules
        self.enrollments = enrollments
        self.quiet = quiet
        self.refs = refs
        self.enrolled = enrolled

    def _now(self, now: datetime | None) -> datetime:
        return now or datetime.fromtimestamp(self.clock(), UTC)

    # --- schedules --------------------------------------------------------------------------------------

    def schedule(self, name: str) -> ReminderSchedule:
        schedule = self.schedules.get(name)
        if schedule is None:
            raise UnknownSchedule(name)
        return schedule

    def create_schedule(self, schedule: ReminderSchedule) -> None:
        """A new schedule; its name must be free."""
        if self.schedules.get(schedule.name):
            raise ScheduleExists(schedule.name)
        self.schedules.save(schedule)

    def save_schedule(self, schedule: ReminderSchedule) -> int:
        """Create or replace a schedule; its enrollments follow the new steps. Returns how many were replanned."""
        self.schedules.save(schedule)
        return self.replan(schedule.name)

    def set_active(self, name: str, active: bool) -> int:
        """Activate or deactivate a schedule, then replan its enrollments; returns how many were replanned."""
        if self.schedules.set_active(name, active) is None:
            raise UnknownSchedule(name)
        return self.replan(name)

    def delete_schedule(self, name: str, *, cancel_active: bool = False) -> Deleted:
        self.schedule(name)
        if name in self.schedules.shipped():
            raise ShippedSchedule(name)
        active = [e for e in self.enrollments.in_schedule(name) if e.status == ACTIVE]
        if active and not cancel_active:
            raise ScheduleInUse(name, len(active))
        for enrollment in active:
            self.cancel(enrollment.id, f"schedule '{name}' deleted")
        self.schedules.delete(name)
        return Deleted(name, len(active))

    def replan(self, schedule_name: str, now: datetime | None = None) -> int:
        """After a schedule is saved, activated or deactivated: new wake-up times for its enrollments."""
        schedule = self.schedules.get(schedule_name)
        moment = self._now(now)
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
            self.enrolled()
        return count

    # --- enrollments ------------------------------------------------------------------------------------

    def enrollment(self, eid: str) -> Enrollment:
        enrollment = self.enrollments.get(eid)  # None for an unknown or malformed id
        if enrollment is None:
            raise UnknownEnrollment(eid)
        return enrollment

    def cancel_active(self, eid: str, reason: str = "cancelled by staff") -> Enrollment:
        """Cancel an enrollment that is still active; returns it as it is now."""
        enrollment = self.enrollment(eid)
        if enrollment.status != ACTIVE:
            raise EnrollmentNotActive(eid, enrollment.status)
        return self.cancel(eid, reason) or enrollment

    def cancel(self, eid: str, reason: str = "cancelled by staff") -> Enrollment | None:
        """End an enrollment at whatever step it is (nothing happens to one that already ended)."""
        enrollment = self.enrollments.get(eid)
        if enrollment is None:
            return None
        self.enrollments.end(eid, CANCELLED, reason)
        return self.enrollments.get(eid)

    def enroll(self, raw_number: str, schedule_name: str = "checkin", *, channel: str = "staff",
               language: str = "en", zone: str | None = None, baby_name: str | None = None,
               now: datetime | None = None, restart: bool = True, trusted: bool = False) -> EnrollResult:
        """Enroll a number. Raises EnrollmentError or UnknownSchedule with the reason.

        Staff input is checked strictly; `trusted` is for the E.164 number Twilio says a parent texted
        from, kept as is (carriers use numbers phonenumbers may not know yet).
        """
        moment = self._now(now)
        enrollment, due = self._prepare(raw_number, schedule_name, channel, language, zone, baby_name, moment,
                                        trusted)
        created, eid = self.enrollments.add(enrollment, due, restart=restart)
        stored = self.enrollments.get(eid)
        assert stored is not None
        if created:
            log.info("enrolled %s in %s by %s as %s", self.refs.of(enrollment.number), enrollment.schedule,
                     channel, eid)
            self.enrolled()
        return EnrollResult(stored, created)

    def _prepare(self, raw_number: str, schedule_name: str, channel: str, language: str, zone: str | None,
                 baby_name: str | None, moment: datetime, trusted: bool = False,
                 schedule: ReminderSchedule | None = None) -> tuple[Enrollment, float | None]:
        """The checked enrollment and its first wake-up; raises EnrollmentError or UnknownSchedule with the reason."""
        number = raw_number if trusted and E164.match(raw_number) else normalize_number(
            raw_number, self.settings.default_region)
        if not number:
            raise EnrollmentError(f"'{raw_number}' is not a valid phone number; "
                                  "use E.164 (+15551234567) or a national number")
        schedule = schedule or self.schedules.get(schedule_name)
        if schedule is None:
            raise UnknownSchedule(schedule_name)
        if language not in LANGUAGES:
            raise EnrollmentError(f"language must be one of {', '.join(LANGUAGES)}, got '{language}'")
        if zone is not None and not isinstance(zone, str) or baby_name is not None and not isinstance(baby_name, str):
            raise EnrollmentError("timezone and baby_name must be text")
        if zone:
            try:
                ZoneInfo(zone)
            except (ZoneInfoNotFoundError, ValueError, OSError):  # OSError: 'America' is a directory
                raise EnrollmentError(f"unknown time zone '{zone}' (use an IANA name like America/Chicago)") from None
        if baby_name is not None:
            baby_name = baby_name.strip() or None
        if baby_name and (len(baby_name) > 30 or non_gsm7_characters(baby_name) or "{" in baby_name):
            raise EnrollmentError("baby_name: 30 plain characters at most")
        enrollment = Enrollment("", number, schedule.name, moment.timestamp(), language, -1, ACTIVE,
                                zone or None, baby_name, channel)
        return enrollment, self._first_due(schedule, enrollment, moment)

    def enroll_many(self, numbers: Iterable[str], schedule_name: str = "checkin", *, channel: str = "import",
                    language: str = "en", now: datetime | None = None, chunk: int = 1000) -> tuple[int, int]:
        """Enroll many numbers (imports, benchmarks) with the same checks as enroll(), written in
        pipelined chunks: (enrolled, already enrolled). Numbers already in the schedule are kept as is."""
        moment = self._now(now)
        schedule = self.schedule(schedule_name)
        created = duplicates = 0
        batch: list[tuple[Enrollment, float | None]] = []

        def flush() -> None:
            nonlocal created, duplicates
            for was_created, _ in self.enrollments.add_many(batch):
                created += was_created
                duplicates += not was_created
            batch.clear()

        for number in numbers:
            batch.append(self._prepare(number, schedule_name, channel, language, None, None, moment,
                                       schedule=schedule))
            if len(batch) >= chunk:
                flush()
        flush()
        if created:
            self.enrolled()
        return created, duplicates

    def _first_due(self, schedule: ReminderSchedule, enrollment: Enrollment, now: datetime) -> float | None:
        if not schedule.active:
            return None
        zone = zone_for_number(enrollment.number, self.settings.default_timezone, enrollment.zone)
        planned = plan_next(schedule, datetime.fromtimestamp(enrollment.enrolled_at, UTC),
                            enrollment.last_offset, zone, self.quiet, now)
        return planned.due.timestamp() if planned else None

    def import_csv(self, text: str, schedule_name: str = "checkin", *, now: datetime | None = None,
                   batch: int = IMPORT_BATCH,
                   progress: Callable[[ImportReport], None] | None = None) -> ImportReport:
        """Enroll every good row; report bad ones with their line numbers. Importing twice adds nothing.

        Columns: number (required), schedule, language, timezone, baby_name (hotline/reminders/imports.py
        reads the file; check_csv there refuses a file as a whole). Each row gets the checks enroll()
        makes; `batch` rows at a time are then written in one pipelined round trip, and `progress` is
        called with the report so far before the first batch and after each one.
        """
        rows = list(csv_rows(text))
        if rows and rows[0][0] == -1:
            return ImportReport(errors=[(1, rows[0][1]["error"])])
        moment = self._now(now)
        report = ImportReport(rows_total=len(rows))
        schedules: dict[str, ReminderSchedule | None] = {}
        if progress:
            progress(report)
        for start in range(0, len(rows), max(1, batch)):
            chunk = rows[start:start + max(1, batch)]
            prepared: list[tuple[Enrollment, float | None]] = []
            for line, row in chunk:
                if ROW_ERROR in row:  # a line the CSV reader could not read: reported, and the import goes on
                    report.errors.append((line, row[ROW_ERROR]))
                    continue
                name = row.get("schedule") or schedule_name
                if name not in schedules:
                    schedules[name] = self.schedules.get(name)
                try:
                    prepared.append(self._prepare(
                        row.get("number", ""), name, "import", (row.get("language") or "en").lower(),
                        row.get("timezone") or None, row.get("baby_name") or None, moment,
                        schedule=schedules[name]))
                except (EnrollmentError, UnknownSchedule) as error:
                    report.errors.append((line, str(error)))
            for created, _ in self.enrollments.add_many(prepared):  # kept as is when already enrolled
                report.imported += created
                report.duplicates += not created
            report.rows_done += len(chunk)
            if progress:
                progress(report)
        if report.imported:
            self.enrolled()
        return report
