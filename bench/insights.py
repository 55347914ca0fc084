"""How long the Insights page takes with the counters of 100,000 conversations spread over 90 days.

    .venv/bin/python -m bench insights        (or: .venv/bin/python -m bench.insights [N])

Its own private redis-server; the app in-process through Flask's test client (no HTTP), logged in as a staff
member. The counters are written as the hotline's scripts write them (the same field names, hotline/insights.py),
for N conversations with a mix of channels, levels, languages and sections, N/5 enrollments in three schedules with
their reminders, deliveries and answers, and N/20 cases with a nurse's first reply. Every combination of channel,
level, language, section, schedule, step, answer and reply time occurs on every day, so each day's hash is as large
as it gets: the page's work grows with the days shown, never with the conversations (one HGETALL a day).
Each page: the median of 7 loads after one warm-up load.
"""

from __future__ import annotations

import os
import random
import statistics
import sys
import time
from collections import Counter
from datetime import date, timedelta

import redis

from hotline.engine.levels import SECTIONS
from hotline.insights import (
    ANSWERS,
    ENROLLMENT_CHANNELS,
    LEVELS,
    REPLY_BUCKETS,
    InsightCounters,
    answer_field,
    conversation_field,
    delivered_field,
    enrolled_field,
    reply_field,
    section_field,
    sent_field,
)
from hotline.redis_server import RedisServer, free_port
from hotline.store import keys

DAYS = 90
SCHEDULES = ("checkin", "fever-followup", "newborn")
STEPS = (1440, 4320, 10080)


def fill(connection: redis.Redis, counters: InsightCounters, conversations: int, days: int = DAYS,
         seed: int = 7) -> int:
    """The counters of `conversations` conversations over the `days` days up to today; returns the fields written."""
    rng = random.Random(seed)
    today = counters.today()
    dates = [(today - timedelta(days=n)).isoformat() for n in range(days)]
    per_day: dict[str, Counter[str]] = {day: Counter() for day in dates}
    reminders: dict[str, Counter[str]] = {day: Counter() for day in dates}  # by enrollment day
    sections = list(SECTIONS)
    for day in dates:  # every combination once a day: the largest a day's hash gets
        counts = per_day[day]
        for channel in ("sms", "voice"):
            for language in ("en", "es"):
                for level in LEVELS:
                    counts[conversation_field(channel, level, language)] += 1
                for section in sections:
                    counts[section_field(channel, language, section)] += 1
                for bound in REPLY_BUCKETS:
                    counts[reply_field(channel, language, bound)] += 1
        for schedule in SCHEDULES:
            for channel in ENROLLMENT_CHANNELS:
                for language in ("en", "es"):
                    reminders[day][enrolled_field(schedule, channel, language)] += 1
                    for step in STEPS:
                        reminders[day][sent_field(schedule, channel, language, step)] += 1
                        reminders[day][delivered_field(schedule, channel, language, step)] += 1
                        for answer in ANSWERS:
                            reminders[day][answer_field(schedule, channel, language, step, answer)] += 1
    for _ in range(conversations - days * 2 * 2 * len(LEVELS)):
        day = rng.choice(dates)
        channel = "sms" if rng.random() < 0.8 else "voice"
        language = "en" if rng.random() < 0.7 else "es"
        level = rng.choices(LEVELS, weights=(1, 6, 20, 50, 23))[0]
        per_day[day][conversation_field(channel, level, language)] += 1
        for section in rng.sample(sections, rng.randint(0, 3)):
            per_day[day][section_field(channel, language, section)] += 1
        if rng.random() < 0.2:
            schedule = rng.choice(SCHEDULES)
            reminders[day][enrolled_field(schedule, channel, language)] += 1
            for step in STEPS:
                reminders[day][sent_field(schedule, channel, language, step)] += 1
                if rng.random() < 0.9:
                    reminders[day][delivered_field(schedule, channel, language, step)] += 1
                if rng.random() < 0.5:
                    answer = rng.choices(ANSWERS, weights=(5, 3, 1, 1))[0]
                    reminders[day][answer_field(schedule, channel, language, step, answer)] += 1
        if rng.random() < 0.05:
            per_day[day][reply_field(channel, language, rng.choice(REPLY_BUCKETS[:6]))] += 1
    # The reminders as the scripts count them: on the enrollment's day and its week (named by its Monday).
    weeks: dict[str, Counter[str]] = {}
    for day, counts in reminders.items():
        monday = date.fromisoformat(day) - timedelta(days=date.fromisoformat(day).weekday())
        weeks.setdefault(monday.isoformat(), Counter()).update(counts)
    hashes = {keys.insights(day): counts for day, counts in per_day.items()}
    hashes.update({keys.reminder_insights(day): counts for day, counts in reminders.items()})
    hashes.update({keys.weekly_reminder_insights(week): counts for week, counts in weeks.items()})
    with connection.pipeline(transaction=False) as pipe:
        for key, counts in hashes.items():
            pipe.hset(key, mapping=dict(counts))  # type: ignore[arg-type]
            pipe.expire(key, counters.ttl_seconds)
        pipe.execute()
    return sum(len(counts) for day, counts in per_day.items()) + sum(len(c) for c in reminders.values())


def run(conversations: int = 100_000) -> dict[str, object]:
    with RedisServer(port=free_port()) as server:
        saved = dict(os.environ)
        os.environ.update(REDIS_URL=server.url, HOTLINE_ENV="test", HOTLINE_SECRET_KEY="bench")
        try:
            from hotline import create_app
            from hotline.settings import Settings
            from hotline.store.staff_accounts import StaffAccounts

            settings = Settings.from_env()
            connection = redis.Redis.from_url(server.url)
            counters = InsightCounters.for_settings(settings)
            fields = fill(connection, counters, conversations)
            accounts = StaffAccounts(connection)
            accounts.add("bench", "a bench password")
            client = create_app(settings).test_client()
            with client.session_transaction() as session:
                session["staff"], session["staff_at"] = "bench", time.time()
                session["staff_generation"] = accounts.session_generation("bench")
            today = counters.today()
            pages = {
                "/staff/insights (the last 30 days)": "/staff/insights",
                "/staff/insights (90 days, all of them)":
                    f"/staff/insights?from={(today - timedelta(days=DAYS - 1)).isoformat()}&to={today.isoformat()}",
                "/staff/insights (90 days, Spanish, checkin)":
                    f"/staff/insights?from={(today - timedelta(days=DAYS - 1)).isoformat()}&to={today.isoformat()}"
                    "&language=es&schedule=checkin",
                "/staff/insights/reminder-funnel.csv (90 days)":
                    f"/staff/insights/reminder-funnel.csv?from={(today - timedelta(days=DAYS - 1)).isoformat()}"
                    f"&to={today.isoformat()}",
            }
            timings: dict[str, float] = {}
            for name, path in pages.items():
                response = client.get(path)
                assert response.status_code == 200, (path, response.status_code)
                samples = []
                for _ in range(7):
                    started = time.perf_counter()
                    client.get(path)
                    samples.append((time.perf_counter() - started) * 1000)
                timings[name] = round(statistics.median(samples), 1)
            shown = client.get(pages["/staff/insights (90 days, all of them)"]).data.decode()
            assert f"{conversations} conversations" in shown, "the page does not show every conversation"
        finally:
            os.environ.clear()
            os.environ.update(saved)
    return {"conversations": conversations, "days": DAYS, "fields": fields, "median_ms": timings}


if __name__ == "__main__":
    figures = run(int(sys.argv[1]) if len(sys.argv) > 1 else 100_000)
    print(f"{figures['conversations']:,} conversations over {figures['days']} days ({figures['fields']:,} counters):")
    timings: dict[str, float] = figures["median_ms"]  # type: ignore[assignment]
    for path, ms in timings.items():
        print(f"  {path:<48} {ms:>7.1f} ms")
