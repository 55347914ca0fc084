"""When a reminder goes out: pure functions of (enrollment time, step, zone, quiet hours, now).

Days and weeks count in the recipient's wall-clock time, so "day 3 at 10:00" is 10:00 local even
across a daylight-saving change; minutes and hours count in elapsed time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import phonenumbers
from phonenumbers import timezone as phone_timezones

from hotline.reminders.schedules import ReminderSchedule, ScheduleStep

HourMinute = tuple[int, int]
# A step more than this late (the workers were down) is skipped rather than sent out of context.
STALE_AFTER = timedelta(hours=12)


@dataclass(frozen=True)
class QuietHours:
    start: HourMinute = (21, 0)
    end: HourMinute = (8, 0)


@lru_cache(maxsize=65_536)  # parsing the number is most of a reminder's CPU time; the answer never changes
def zone_for_number(number: str, default: str, override: str | None = None) -> ZoneInfo:
    """The recipient's zone: the enrollment's override, else the number's only zone, else the default."""
    if override:
        return ZoneInfo(override)
    try:
        zones = phone_timezones.time_zones_for_number(phonenumbers.parse(number, None))
    except phonenumbers.NumberParseException:
        zones = ()
    if len(zones) == 1:
        try:
            return ZoneInfo(zones[0])
        except (ZoneInfoNotFoundError, ValueError):  # "Etc/Unknown"
            pass
    return ZoneInfo(default)


def step_due(enrolled_at: datetime, step: ScheduleStep, zone: ZoneInfo) -> datetime:
    """When a step falls due, before quiet hours (aware, UTC)."""
    if step.unit in ("day", "week"):
        local = enrolled_at.astimezone(zone).replace(tzinfo=None)  # wall clock
        target = local + timedelta(minutes=step.offset_minutes)
        if step.at:
            target = datetime.combine(target.date(), time(*step.at))
        # zoneinfo maps a wall time in a spring-forward gap to the hour after it.
        return target.replace(tzinfo=zone).astimezone(UTC)
    due = enrolled_at + timedelta(minutes=step.offset_minutes)
    if step.at:
        local = due.astimezone(zone)
        candidate = datetime.combine(local.date(), time(*step.at), tzinfo=zone)
        if candidate < local:
            candidate = datetime.combine(local.date() + timedelta(days=1), time(*step.at), tzinfo=zone)
        due = candidate
    return due.astimezone(UTC)


def in_quiet_hours(moment: datetime, zone: ZoneInfo, quiet: QuietHours) -> bool:
    local = moment.astimezone(zone).time()
    start, end = time(*quiet.start), time(*quiet.end)
    if start == end:
        return False
    if start > end:  # the usual case: the window wraps over midnight
        return local >= start or local < end
    return start <= local < end


def next_allowed(moment: datetime, zone: ZoneInfo, quiet: QuietHours) -> datetime:
    """`moment` itself when texts may go out then, else when the quiet window ends (UTC)."""
    if not in_quiet_hours(moment, zone, quiet):
        return moment.astimezone(UTC)
    local = moment.astimezone(zone)
    day = local.date()
    if local.time() >= time(*quiet.end):  # evening: the window ends tomorrow morning
        day += timedelta(days=1)
    return datetime.combine(day, time(*quiet.end), tzinfo=zone).astimezone(UTC)


@dataclass(frozen=True)
class Planned:
    step: ScheduleStep
    due: datetime  # quiet hours applied (UTC)
    skipped: tuple[ScheduleStep, ...] = ()  # stale steps passed over to reach this one


def plan_next(schedule: ReminderSchedule, enrolled_at: datetime, last_offset: int, zone: ZoneInfo,
              quiet: QuietHours, now: datetime) -> Planned | None:
    """The next step after `last_offset` and when it goes out; None when the schedule is done."""
    skipped = []
    for step in schedule.steps_after(last_offset):
        due = next_allowed(step_due(enrolled_at, step, zone), zone, quiet)
        if due < now - STALE_AFTER:
            skipped.append(step)
            continue
        return Planned(step, due, tuple(skipped))
    return None
