"""Reminder schedules as data: named, ordered steps with an offset, an optional local time and a message.

A schedule is validated when it is saved (from a file in flows/schedules/ or by staff through the
API or CLI): a broken one is refused with a message naming the step and the fix.
"""

from __future__ import annotations

import json
import logging
import re
import string
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import redis
import yaml

from hotline.channels.segments import MAX_SEGMENTS, non_gsm7_characters, segment_count
from hotline.errors import ScheduleError as ScheduleError
from hotline.store import keys

log = logging.getLogger(__name__)

UNITS = {"minute": 1, "hour": 60, "day": 24 * 60, "week": 7 * 24 * 60}
PLACEHOLDERS = {"baby_name", "emergency"}
# Worst-case values for the length check: a long name and a long emergency number.
SAMPLE_VALUES = {"baby_name": "x" * 30, "emergency": "0" * 15}
# \Z, not $: $ also matches before a final newline, and "checkin\n" would pass for "checkin".
NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}\Z")
LANGUAGES = ("en", "es")
SCHEDULES_KEY = keys.SCHEDULES


def offset_label(minutes: int | None) -> str:
    """A step's offset as staff read it: 1440 -> "1 day", 90 -> "90 minutes"."""
    if minutes is None:
        return ""
    for unit in ("week", "day", "hour", "minute"):
        size = UNITS[unit]
        if minutes % size == 0:
            amount = minutes // size
            return f"{amount} {unit}{'' if amount == 1 else 's'}"
    return f"{minutes} minutes"


@dataclass(frozen=True)
class ScheduleStep:
    """One text: sent `amount` `unit`s after enrollment, at local time `at` when given."""

    amount: int
    unit: str  # minute | hour | day | week
    text: Mapping[str, str]
    at: tuple[int, int] | None = None

    @property
    def offset_minutes(self) -> int:
        """The step's identity within its schedule: edits keep a step when they keep its offset."""
        return self.amount * UNITS[self.unit]

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"after": f"{self.amount} {self.unit}{'' if self.amount == 1 else 's'}"}
        if self.at:
            data["at"] = f"{self.at[0]:02d}:{self.at[1]:02d}"
        data["text"] = dict(self.text)
        data["offset_minutes"] = self.offset_minutes
        return data


@dataclass(frozen=True)
class ReminderSchedule:
    name: str
    description: str
    steps: tuple[ScheduleStep, ...]
    active: bool = True
    checkin: bool = True  # replies to its texts are read as check-in answers (1 better, 2 same, 3 worse)
    source: str = "redis"  # "redis" (staff-made or edited) or the file it ships in

    def steps_after(self, offset_minutes: int) -> tuple[ScheduleStep, ...]:
        return tuple(s for s in self.steps if s.offset_minutes > offset_minutes)

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name, "description": self.description, "active": self.active,
            "checkin": self.checkin, "steps": [s.to_dict() for s in self.steps],
        }


def render(text: str, values: Mapping[str, str]) -> str:
    """The message with its placeholders filled (placeholders were checked when the schedule was saved)."""
    return string.Formatter().vformat(text, (), dict(values))


def _placeholders(text: str, where: str) -> set[str]:
    try:
        names = {name for _, name, spec, conv in string.Formatter().parse(text) if name is not None}
        if any(spec or conv for _, name, spec, conv in string.Formatter().parse(text) if name is not None):
            raise ScheduleError(f"{where}: placeholders take no format, write {{baby_name}}")
    except ValueError as error:
        raise ScheduleError(f"{where}: {error} (write literal braces as {{{{ and }}}})") from None
    unknown = names - PLACEHOLDERS
    if unknown:
        raise ScheduleError(f"{where}: unknown placeholder {{{sorted(unknown)[0]}}}; "
                            f"use {', '.join('{' + p + '}' for p in sorted(PLACEHOLDERS))}")
    return names


def _after(value: Any, where: str) -> tuple[int, str]:
    if isinstance(value, Mapping) and len(value) == 1:
        (unit, amount), = value.items()
        value = f"{amount} {unit}"
    match = re.fullmatch(r"\s*(\d+)\s*(minute|hour|day|week)s?\s*", str(value or ""))
    if not match:
        raise ScheduleError(f"{where}: 'after' must look like '30 minutes', '2 hours', '1 day' or '1 week', "
                            f"got {value!r}")
    amount = int(match[1])
    if amount > 52 * 7 * 24 * 60:
        raise ScheduleError(f"{where}: 'after' is too far ahead (a year at most)")
    return amount, match[2]


def _at(value: Any, where: str) -> tuple[int, int] | None:
    if value in (None, ""):
        return None
    match = re.fullmatch(r"\s*(\d{1,2}):(\d{2})\s*", str(value))
    if not match or not (0 <= int(match[1]) < 24 and 0 <= int(match[2]) < 60):
        raise ScheduleError(f"{where}: 'at' must be a local time of day like \"10:00\", got {value!r}")
    return int(match[1]), int(match[2])


def _check_text(text: str, language: str, where: str) -> None:
    _placeholders(text, where)
    sample = render(text, SAMPLE_VALUES)
    if language == "en" and non_gsm7_characters(text):
        odd = "".join(non_gsm7_characters(text))
        raise ScheduleError(f"{where}: English texts must be plain GSM-7; replace {odd!r} "
                            f"(curly quotes, long dashes and emoji make every part shorter)")
    if segment_count(sample) > MAX_SEGMENTS:
        raise ScheduleError(f"{where}: too long ({segment_count(sample)} SMS parts with a long baby name); "
                            f"keep it to {MAX_SEGMENTS}")
    if "STOP" not in text:
        raise ScheduleError(f"{where}: every reminder must say how to stop (mention STOP)")


def parse_schedule(data: Any, source: str = "redis") -> ReminderSchedule:
    """Validate a schedule given as a mapping (from YAML or JSON)."""
    if not isinstance(data, Mapping):
        raise ScheduleError("a schedule must be an object with name, description and steps")
    unknown = set(data) - {"name", "description", "active", "checkin", "steps"}
    if unknown:
        raise ScheduleError(f"unknown field(s) {', '.join(sorted(unknown))}; "
                            "a schedule has name, description, active, checkin and steps")
    name = str(data.get("name") or "")
    if not NAME.match(name):
        raise ScheduleError(f"name {name!r} must be 1-40 lowercase letters, digits, '-' or '_'")
    raw_steps = data.get("steps")
    if not isinstance(raw_steps, list) or not raw_steps:
        raise ScheduleError("steps: a schedule needs at least one step")
    if len(raw_steps) > 50:
        raise ScheduleError("steps: 50 steps at most")
    steps = []
    for number, raw in enumerate(raw_steps, start=1):
        where = f"step {number}"
        if not isinstance(raw, Mapping):
            raise ScheduleError(f"{where}: expected an object with after, at and text")
        extra = set(raw) - {"after", "at", "text", "offset_minutes"}
        if extra:
            raise ScheduleError(f"{where}: unknown field(s) {', '.join(sorted(extra))}")
        amount, unit = _after(raw.get("after"), where)
        text = raw.get("text")
        if not isinstance(text, Mapping) or not all(isinstance(text.get(lang), str) and text[lang].strip()
                                                    for lang in LANGUAGES):
            raise ScheduleError(f"{where}: text needs both 'en' and 'es'")
        for lang in LANGUAGES:
            _check_text(text[lang], lang, f"{where} text ({lang})")
        steps.append(ScheduleStep(amount, unit, {lang: text[lang].strip() for lang in LANGUAGES},
                                  _at(raw.get("at"), where)))
    offsets = [s.offset_minutes for s in steps]
    if offsets != sorted(offsets) or len(set(offsets)) != len(offsets):
        raise ScheduleError("steps: list steps in order, each later than the one before")
    active = data.get("active", True)
    checkin = data.get("checkin", True)
    if not isinstance(active, bool) or not isinstance(checkin, bool):
        raise ScheduleError("active and checkin must be true or false")
    description = str(data.get("description") or "")
    if len(description) > 500:
        raise ScheduleError("description: 500 characters at most")
    return ReminderSchedule(name, description, tuple(steps), active, checkin, source)


_SHIPPED: dict[str, tuple[object, dict[str, ReminderSchedule]]] = {}


@dataclass
class ScheduleStore:
    """Schedules that ship in flows/schedules/*.yaml, overlaid by staff-made or edited ones in Redis."""

    redis: redis.Redis
    directory: Path
    _files: dict[str, ReminderSchedule] | None = field(default=None, repr=False)

    def shipped(self) -> dict[str, ReminderSchedule]:
        if self._files is None:
            paths = sorted(self.directory.glob("*.yaml"))
            # Parsed once per process for the same files (worker jobs build a store per job).
            stamp = (str(self.directory), tuple((str(p), p.stat().st_mtime_ns) for p in paths))
            cached = _SHIPPED.get(stamp[0])
            if cached and cached[0] == stamp:
                self._files = cached[1]
                return self._files
            found = {}
            for path in paths:
                try:
                    schedule = parse_schedule(yaml.safe_load(path.read_text(encoding="utf-8")), str(path))
                except ScheduleError as error:
                    raise ScheduleError(f"{path}: {error}") from None
                found[schedule.name] = schedule
            _SHIPPED[stamp[0]] = (stamp, found)
            self._files = found
        return self._files

    def get(self, name: str) -> ReminderSchedule | None:
        raw = self.redis.hget(SCHEDULES_KEY, name)
        if raw:
            return _stored(name, raw)
        return self.shipped().get(name)

    def all(self) -> list[ReminderSchedule]:
        read = {k.decode(): _stored(k.decode(), v) for k, v in self.redis.hgetall(SCHEDULES_KEY).items()}
        stored = {name: schedule for name, schedule in read.items() if schedule is not None}
        return [stored.get(n) or s for n, s in self.shipped().items()] + [
            s for n, s in sorted(stored.items()) if n not in self.shipped()]

    def save(self, schedule: ReminderSchedule) -> None:
        data = schedule.to_dict()
        for step in data["steps"]:
            step.pop("offset_minutes")
        self.redis.hset(SCHEDULES_KEY, schedule.name, json.dumps(data, ensure_ascii=False))

    def set_active(self, name: str, active: bool) -> ReminderSchedule | None:
        schedule = self.get(name)
        if schedule is None:
            return None
        schedule = replace(schedule, active=active)
        self.save(schedule)
        return schedule

    def delete(self, name: str) -> None:
        self.redis.hdel(SCHEDULES_KEY, name)


def _stored(name: str, raw: bytes) -> ReminderSchedule | None:
    """A schedule kept in Redis, or None when it no longer passes the checks (saved before a check was added,
    like the name "checkin\\n" that passed for "checkin"): left out, so every other schedule still works and
    its enrollments wait as for a deleted schedule."""
    try:
        return parse_schedule(json.loads(raw))
    except (ScheduleError, json.JSONDecodeError) as error:
        log.warning("schedule %r in Redis is ignored: %s", name, error)
        return None
