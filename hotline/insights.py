"""Insights for staff: per-day counters kept as things happen, read without scanning a single transcript.

Redis hashes of counts, by day (in HOTLINE_DEFAULT_TIMEZONE; their keys are built in hotline/store/keys.py):
  keys.insights(day)                  what happened that day: conversations, the sections they drew on, first replies
  keys.reminder_insights(day)         the reminders of the enrollments made that day: enrolled, sent, delivered,
                                      answered
  keys.weekly_reminder_insights(day)  the same for the enrollments of a week (named by its Monday), so a long range
                                      is read a week at a time (the page reads a hash a day, and the reminders a week
                                      a hash)

Each counter is updated by the same Lua script that records its event (the conversation's commit, the call's commit,
the enrollment, the reminder's sent record, its status callback, the check-in answer, the staff reply), so it moves
if and only if the event was saved, and a Twilio retry answered from the saved reply counts nothing twice. No field
and no value holds a phone number or a message's words: fields are made of fixed vocabularies (channel, level,
language, article section, schedule name, step, answer, time bucket) and values are counts. A hash expires
HOTLINE_INSIGHTS_RETENTION_DAYS after its last update.

Fields (each a count):
  conv:{channel}:{level}:{language}      conversations, by the channel they began on (sms, voice), the highest
                                         level assessed that day (none: no assessment) and their latest language
  sec:{channel}:{language}:{section}     conversations whose guidance drew on an article section (once per
                                         conversation and section): what parents asked about
  reply:{channel}:{language}:{bucket}    staff cases whose first reply from a nurse came within the bucket (its
                                         upper bound in seconds; inf: over a day), on the day of the reply
  enr:{schedule}:{channel}:{language}    enrollments (channel: how consent was given: sms, voice, staff, import)
  sent:{schedule}:{channel}:{language}:{step}          reminders sent, by step (minutes after enrolling)
  dlv:{schedule}:{channel}:{language}:{step}           reminders Twilio reported delivered (or read)
  ans:{schedule}:{channel}:{language}:{step}:{answer}  check-ins answered: better, same, worse or other

A conversation is a number's texts and calls on one day: it is counted once, on its first message or call of the
day, and moved (one down there, one up here) when a later message raises its level or changes its language. The
number's contact hash remembers which field counts it today and the sections already counted for it (insight_day,
insight_field, insight_sections). Texts and calls whose number could not be read keep nothing, and count nothing.

Reminder counts are counted on the day (and week) of the enrollment: a date range's funnel follows the enrollments
made in it, from enrolled to answered. The sent record keeps that day and week and the enrollment's schedule, channel
and language (its `ins` field) for the status callback and the answer, which count on it later.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import redis

from hotline.settings import Settings
from hotline.store import keys

LEVELS = ("emergency", "urgent", "soon", "home", "none")  # most serious first; none: no assessment that day
CONVERSATION_CHANNELS = ("sms", "voice")
ENROLLMENT_CHANNELS = ("sms", "voice", "staff", "import")
LANGUAGES = ("en", "es")
ANSWERS = ("better", "same", "worse", "other")
# The first-reply histogram's buckets, by upper bound in seconds; the last one holds everything over a day.
REPLY_BUCKETS = (60, 300, 900, 1800, 3600, 7200, 14400, 28800, 86400, math.inf)


def bucket_name(bound: float) -> str:
    return "inf" if bound == math.inf else str(int(bound))


def duration_label(seconds: float) -> str:
    """60 -> "1 min", 7200 -> "2 h"."""
    if seconds < 3600:
        return f"{int(seconds // 60)} min"
    return f"{int(seconds // 3600)} h"


def bucket_label(bound: float) -> str:
    """"under 1 min", "1-5 min", ..., "over 24 h"."""
    index = REPLY_BUCKETS.index(bound)
    if index == 0:
        return f"under {duration_label(bound)}"
    lower = REPLY_BUCKETS[index - 1]
    if bound == math.inf:
        return f"over {duration_label(lower)}"
    low, high = duration_label(lower), duration_label(bound)
    if low.split()[1] == high.split()[1]:
        low = low.split()[0]
    return f"{low}\u2013{high}"


@dataclass(frozen=True)
class InsightCounters:
    """Where today's counters go: the hotline's day (its default time zone) and how long a day's hash is kept."""

    zone: ZoneInfo
    ttl_seconds: int

    @classmethod
    def for_settings(cls, settings: Settings) -> InsightCounters:
        return cls(ZoneInfo(settings.default_timezone), settings.insights_retention_days * 24 * 3600)

    def day(self, at: float) -> str:
        return datetime.fromtimestamp(at, self.zone).strftime("%Y-%m-%d")

    def key(self, day: str) -> str:
        return keys.insights(day)

    def cohort(self, enrolled_at: float, schedule: str, channel: str, language: str) -> str:
        """Where an enrollment's reminders count: "day|week|schedule|channel|language" (the week by its Monday). The
        sent record keeps it (`ins`), so the delivery report and the answer count with the enrollment."""
        day = datetime.fromtimestamp(enrolled_at, self.zone).date()
        week = day - timedelta(days=day.weekday())
        return f"{day.isoformat()}|{week.isoformat()}|{schedule}|{channel}|{language}"

    def today(self) -> date:
        return datetime.now(self.zone).date()


# Lua shared by the two transcript writers (hotline/store/conversations.py and calls.py), after the contact hash
# is written: count the number's conversation of the day (see the module docstring) and the sections its reply
# drew on. KEYS and ARGV stay the callers'.
COUNT_CONVERSATION = """
local INSIGHT_RANK = {none = 0, home = 1, soon = 2, urgent = 3, emergency = 4}
local function count_conversation(contact, insights, day, channel, level, language, ttl)
  local seen = redis.call('HMGET', contact, 'insight_day', 'insight_field')
  local began, was = nil, nil
  if seen[1] == day and seen[2] then began, was = string.match(seen[2], '^conv:([^:]+):([^:]+):') end
  if began then
    if level == '' or (INSIGHT_RANK[level] or 0) < (INSIGHT_RANK[was] or 0) then level = was end
    channel = began
  elseif level == '' then
    level = 'none'
  end
  local counted = 'conv:' .. channel .. ':' .. level .. ':' .. language
  if began and counted == seen[2] then return end
  if began and redis.call('HINCRBY', insights, seen[2], -1) <= 0 then redis.call('HDEL', insights, seen[2]) end
  redis.call('HINCRBY', insights, counted, 1)
  redis.call('HSET', contact, 'insight_day', day, 'insight_field', counted)
  if not began then redis.call('HSET', contact, 'insight_sections', ',') end
  redis.call('EXPIRE', insights, ttl)
end
-- After count_conversation: each section once per conversation (insight_sections: those counted today).
local function count_sections(contact, insights, channel, language, sections, ttl)
  if sections == '' then return end
  local counted = redis.call('HGET', contact, 'insight_sections') or ','
  local before = counted
  for section in string.gmatch(sections, '[^,]+') do
    if not string.find(counted, ',' .. section .. ',', 1, true) then
      redis.call('HINCRBY', insights, 'sec:' .. channel .. ':' .. language .. ':' .. section, 1)
      counted = counted .. section .. ','
    end
  end
  if counted ~= before then
    redis.call('HSET', contact, 'insight_sections', counted)
    redis.call('EXPIRE', insights, ttl)
  end
end
"""


# Lua shared by the reminder store's scripts (hotline/reminders/store.py): count an enrollment, a sent or delivered
# reminder or an answer on the enrollment's day and week. `cohort` is InsightCounters.cohort's ('' or anything else
# unreadable: nothing is counted); `what` is enr, sent, dlv or ans; `rest` the field's end (":{step}[:{answer}]").
COUNT_REMINDER = keys.lua(keys.reminder_insights, keys.weekly_reminder_insights) + """
local function count_reminder(cohort, what, rest, ttl)
  if type(cohort) ~= 'string' then return end
  local day, week, schedule, channel, language = string.match(cohort, '^([^|]+)|([^|]+)|([^|]+)|([^|]+)|([^|]+)$')
  if not day then return end
  local field = what .. ':' .. schedule .. ':' .. channel .. ':' .. language .. rest
  for _, key in ipairs({key_reminder_insights(day), key_weekly_reminder_insights(week)}) do
    redis.call('HINCRBY', key, field, 1)
    redis.call('EXPIRE', key, ttl)
  end
end
"""


# --- Reading --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Filters:
    """What the insights page shows: days from `start` to `end` (both included), and "" for all of a dimension.
    The channel is the conversation's (sms, voice), the enrollment's consent channel (also staff, import) or the
    case's; the schedule applies to the reminder counts only."""

    start: date
    end: date
    channel: str = ""
    language: str = ""
    schedule: str = ""

    def days(self) -> list[date]:
        return [self.start + timedelta(days=n) for n in range((self.end - self.start).days + 1)]


@dataclass(frozen=True)
class Step:
    """One reminder step's funnel for the enrollments in range."""

    minutes: int
    enrolled: int
    sent: int
    delivered: int
    answered: int


@dataclass
class Counts:
    """The counters of a date range after the filters: one row per day and dimensions, as stored."""

    days: list[str]
    conversations: list[tuple[str, str, str, str, int]] = field(default_factory=list)  # day, channel, level, lang
    sections: list[tuple[str, str, str, str, int]] = field(default_factory=list)  # day, channel, lang, section
    enrolled: list[tuple[str, str, str, str, int]] = field(default_factory=list)  # day, schedule, channel, lang
    sent: list[tuple[str, str, str, str, int, int]] = field(default_factory=list)  # ..., step
    delivered: list[tuple[str, str, str, str, int, int]] = field(default_factory=list)
    answers: list[tuple[str, str, str, str, int, str, int]] = field(default_factory=list)  # ..., step, answer
    replies: list[tuple[str, str, str, float, int]] = field(default_factory=list)  # day, channel, lang, bucket

    # --- what the charts show ---------------------------------------------------------------------------------

    def conversations_per_day(self, by: str) -> dict[str, dict[str, int]]:
        """day -> level (by="level") or channel (by="channel") -> conversations."""
        result: dict[str, dict[str, int]] = {day: defaultdict(int) for day in self.days}
        for day, channel, level, _, n in self.conversations:
            result[day][level if by == "level" else channel] += n
        return result

    def conversation_totals(self, by: str) -> dict[str, int]:
        totals: dict[str, int] = defaultdict(int)
        for _, channel, level, _, n in self.conversations:
            totals[level if by == "level" else channel] += n
        return totals

    def section_totals(self) -> list[tuple[str, int]]:
        """(section, replies), most asked about first."""
        totals: dict[str, int] = defaultdict(int)
        for _, _, _, section, n in self.sections:
            totals[section] += n
        return sorted(((s, n) for s, n in totals.items() if n > 0), key=lambda item: (-item[1], item[0]))

    def levels_by_language(self) -> dict[str, dict[str, int]]:
        found: dict[tuple[str, str], int] = defaultdict(int)
        for _, _, level, language, n in self.conversations:
            found[(language, level)] += n
        result: dict[str, dict[str, int]] = {language: {} for language in LANGUAGES}
        for (language, level), n in found.items():
            result.setdefault(language, {})[level] = n
        return result

    def funnel(self) -> tuple[int, list[Step]]:
        """(enrolled, one Step per step offset seen): every step's funnel starts from the same enrollments."""
        enrolled = sum(row[4] for row in self.enrolled)
        sent: dict[int, int] = defaultdict(int)
        delivered: dict[int, int] = defaultdict(int)
        answered: dict[int, int] = defaultdict(int)
        for row in self.sent:
            sent[row[4]] += row[5]
        for row in self.delivered:
            delivered[row[4]] += row[5]
        for answer_row in self.answers:
            answered[answer_row[4]] += answer_row[6]
        steps = sorted(set(sent) | set(delivered) | set(answered))
        return enrolled, [Step(m, enrolled, sent[m], delivered[m], answered[m]) for m in steps]

    def answers_by_step(self) -> dict[int, dict[str, int]]:
        found: dict[tuple[int, str], int] = defaultdict(int)
        for row in self.answers:
            found[(row[4], row[5])] += row[6]
        result: dict[int, dict[str, int]] = {}
        for (step, answer), n in sorted(found.items()):
            result.setdefault(step, {})[answer] = n
        return result

    def reply_histogram(self) -> dict[float, int]:
        result = dict.fromkeys(REPLY_BUCKETS, 0)
        for row in self.replies:
            result[row[3]] += row[4]
        return result


def percentile_bound(histogram: dict[float, int], q: float) -> float | None:
    """The upper bound of the bucket that holds the q-th quantile (0.95 for p95): at least that share of the
    counted replies came within it. None when nothing was counted. From the buckets, never raw samples."""
    total = sum(histogram.values())
    if total == 0:
        return None
    rank = math.ceil(q * total)
    running = 0
    for bound in sorted(histogram):
        running += histogram[bound]
        if running >= rank:
            return bound
    return REPLY_BUCKETS[-1]


def reminder_hashes(filters: Filters, per_day: bool = False) -> list[tuple[str, str]]:
    """(the day it is shown under, the key) of the reminder counts covering the range: a week's hash for each whole
    week (Monday to Sunday) inside it, a day's hash for the days at either end; every day's with `per_day`."""
    found = []
    day = filters.start
    while day <= filters.end:
        if not per_day and day.weekday() == 0 and day + timedelta(days=6) <= filters.end:
            found.append((day.isoformat(), keys.weekly_reminder_insights(day.isoformat())))
            day += timedelta(days=7)
        else:
            found.append((day.isoformat(), keys.reminder_insights(day.isoformat())))
            day += timedelta(days=1)
    return found


def read_counts(connection: redis.Redis, filters: Filters, *, per_day: bool = False,
                days_counts: bool = True, reminder_counts: bool = True) -> Counts:
    """The counts of the range, in one pipelined round trip: a HGETALL a day, and one for the reminders of each whole
    week in the range (their rows then carry the week's Monday), or of each day with `per_day` (for the CSV files).
    A CSV file of one chart leaves out what it does not need (`days_counts`, `reminder_counts`)."""
    days = [day.isoformat() for day in filters.days()]
    sources = [(day, keys.insights(day)) for day in days] if days_counts else []
    sources += reminder_hashes(filters, per_day) if reminder_counts else []
    with connection.pipeline(transaction=False) as pipe:
        for _, key in sources:
            pipe.hgetall(key)
        hashes = pipe.execute()
    counts = Counts(days)
    # Days repeat the same few hundred field names: each is read (and checked against the filters) once.
    known: dict[bytes, tuple[list[Any], tuple[Any, ...]] | None] = {}
    for (day, _), fields in zip(sources, hashes, strict=True):
        for raw_name, raw_value in fields.items():
            if raw_name in known:
                target = known[raw_name]
            else:
                target = known[raw_name] = _field(counts, raw_name.decode(), filters)
            if target is not None:
                value = int(raw_value)
                if value > 0:  # 0: a conversation that moved on to another field
                    target[0].append((day, *target[1], value))
    return counts


def _field(counts: Counts, name: str, filters: Filters) -> tuple[list[Any], tuple[Any, ...]] | None:
    """Which of the counts a field goes to and its dimensions, or None when the filters leave it out (or this
    version does not know it)."""
    kind, *parts = name.split(":")
    channel, language, schedule = filters.channel, filters.language, filters.schedule
    try:
        if kind in ("conv", "sec", "reply"):
            ch, lang = (parts[0], parts[2]) if kind == "conv" else (parts[0], parts[1])
            if len(parts) != 3 or (channel and ch != channel) or (language and lang != language):
                return None
            if kind == "conv":
                return counts.conversations, tuple(parts)
            if kind == "sec":
                return counts.sections, tuple(parts)
            bound = next(b for b in REPLY_BUCKETS if bucket_name(b) == parts[2])
            return counts.replies, (ch, lang, bound)
        if kind in ("enr", "sent", "dlv", "ans"):
            sched, ch, lang = parts[:3]
            if (schedule and sched != schedule) or (channel and ch != channel) or (language and lang != language):
                return None
            if kind == "enr" and len(parts) == 3:
                return counts.enrolled, (sched, ch, lang)
            if kind in ("sent", "dlv") and len(parts) == 4:
                return counts.sent if kind == "sent" else counts.delivered, (sched, ch, lang, int(parts[3]))
            if kind == "ans" and len(parts) == 5:
                return counts.answers, (sched, ch, lang, int(parts[3]), parts[4])
    except (ValueError, IndexError, StopIteration):
        pass
    return None


# --- Field names, for the stores' scripts and the benchmark -------------------------------------------------


def enrolled_field(schedule: str, channel: str, language: str) -> str:
    return f"enr:{schedule}:{channel}:{language}"


def sent_field(schedule: str, channel: str, language: str, step: int) -> str:
    return f"sent:{schedule}:{channel}:{language}:{step}"


def conversation_field(channel: str, level: str, language: str) -> str:
    return f"conv:{channel}:{level}:{language}"


def section_field(channel: str, language: str, section: str) -> str:
    return f"sec:{channel}:{language}:{section}"


def delivered_field(schedule: str, channel: str, language: str, step: int) -> str:
    return f"dlv:{schedule}:{channel}:{language}:{step}"


def answer_field(schedule: str, channel: str, language: str, step: int, answer: str) -> str:
    return f"ans:{schedule}:{channel}:{language}:{step}:{answer}"


def reply_field(channel: str, language: str, bound: float) -> str:
    return f"reply:{channel}:{language}:{bucket_name(bound)}"


def sections_argument(sections: Iterable[str]) -> str:
    """The sections a reply drew on, as the scripts take them: comma-separated, each once."""
    return ",".join(dict.fromkeys(s for s in sections if s and "," not in s and ":" not in s))
