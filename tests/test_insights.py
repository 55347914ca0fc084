"""Insights for staff: counts kept as things happen (hotline/insights.py), shown as charts on /staff/insights and
downloadable as CSV files of counts, never a number or a message. Everything is seeded through the real paths:
signed webhooks, enrollments, a real worker sending to the fake Twilio API, status callbacks, nurses' replies."""

from __future__ import annotations

import csv
import html
import io
import json
import math
import re
from collections import Counter
from dataclasses import dataclass
from datetime import timedelta

import pytest

from hotline.devtools.signed import reply_texts
from hotline.insights import REPLY_BUCKETS, InsightCounters, percentile_bound
from hotline.store import keys
from hotline.store.staff_accounts import StaffAccounts
from tests.support import insights as day
from tests.support.insights import deliver_due
from tests.support.reminders import zone_where_it_is_morning
from tests.test_staff_access import log_in
from tests.test_voice import Call, in_language

PARENT = "+12025550181"
CHARTS = ("conversations-by-level", "conversations-by-channel", "sections", "levels-by-language", "reminder-funnel",
          "checkin-answers", "first-reply")


@pytest.fixture
def settings(settings):  # type: ignore[no-untyped-def]
    """The hotline's day in a zone where it is morning: a nurse's reply three hours after a case opened, in
    tests/support/insights.py, falls on the same day whatever the hour of the run."""
    return settings.with_(default_timezone=zone_where_it_is_morning())


@pytest.fixture
def staff(client, redis):  # type: ignore[no-untyped-def]
    StaffAccounts(redis).add("nurse.kim", "correct horse battery")
    log_in(client)
    return client


def rows(staff, chart: str, **filters: str) -> list[dict[str, str]]:  # type: ignore[no-untyped-def]
    response = staff.get(f"/staff/insights/{chart}.csv", query_string=filters)
    assert response.status_code == 200, response.data
    assert response.mimetype == "text/csv"
    return list(csv.DictReader(io.StringIO(response.data.decode())))


def totals(staff, chart: str, by: str, value: str, **filters: str) -> dict[str, int]:  # type: ignore[no-untyped-def]
    found: Counter[str] = Counter()
    for row in rows(staff, chart, **filters):
        found[row[by]] += int(row[value])
    return dict(found)


def text(twilio, number: str, *bodies: str) -> str:  # type: ignore[no-untyped-def]
    reply = ""
    for body in bodies:
        reply = "\n".join(reply_texts(twilio.sms(body, number)))
    return reply


# --- A day at the hotline, from the charts' files --------------------------------------------------------------


@pytest.fixture
def seeded(services, twilio, redis, fake_twilio, env):  # type: ignore[no-untyped-def]
    return day.a_day_at_the_hotline(services, twilio, redis, fake_twilio)


def test_a_day_at_the_hotline_is_counted_in_every_chart(staff, seeded, redis):
    levels = totals(staff, "conversations-by-level", "level", "conversations")
    assert levels == {level: n for level, n in day.CONVERSATIONS_BY_LEVEL.items() if n}
    assert totals(staff, "conversations-by-channel", "channel", "conversations") == day.CONVERSATIONS_BY_CHANNEL
    by_language: dict[str, dict[str, int]] = {}
    for row in rows(staff, "levels-by-language"):
        by_language.setdefault(row["language"], {})[row["level"]] = int(row["conversations"])
    assert by_language == day.LEVELS_BY_LANGUAGE
    assert totals(staff, "sections", "section", "conversations") == dict(seeded.sections(redis))

    funnel: dict[tuple[str, str], int] = Counter()
    for row in rows(staff, "reminder-funnel"):
        funnel[(row["step_minutes"], row["stage"])] += int(row["count"])
    assert funnel.pop(("", "enrolled")) == day.ENROLLED
    assert funnel == {(str(step), stage): n for step, counts in day.FUNNEL.items()
                      for stage, n in zip(("sent", "delivered", "answered"), counts, strict=True) if n}
    answers: dict[int, dict[str, int]] = {}
    for row in rows(staff, "checkin-answers"):
        answers.setdefault(int(row["step_minutes"]), {})[row["answer"]] = int(row["count"])
    assert answers == day.ANSWERS

    assert totals(staff, "first-reply", "first_reply_within", "cases") == {
        "under 1 min": 1, "5\u201315 min": 1, "2\u20134 h": 1}
    page = staff.get("/staff/insights").data.decode()
    assert "3 cases had a first reply" in page
    assert "median within 15 min, 95th percentile (p95) within 4 h" in page


def test_the_csv_files_hold_counts_only_never_a_number_or_a_message(staff, seeded, services):
    everything = "\n".join(staff.get(f"/staff/insights/{chart}.csv").data.decode() for chart in CHARTS)
    for number in day.NUMBERS:
        assert number not in everything and number[2:] not in everything and number[-4:] not in everything
        assert services.refs.of(number) not in everything
    for message in seeded.texts:
        if len(message) > 3:  # "hi", "4" and "YES" are also words of the files' headings and labels
            assert message not in everything, message
    for chart in CHARTS:
        response = staff.get(f"/staff/insights/{chart}.csv")
        assert response.headers["Content-Disposition"].startswith(f'attachment; filename="insights-{chart}-')
        lines = response.data.decode().splitlines()
        assert len(lines) >= 2, chart  # the heading and the day's counts
        assert all(re.fullmatch(r"\d{4}-\d{2}-\d{2}", line.split(",")[0]) for line in lines[1:]), chart


def test_the_filters_narrow_every_chart_and_its_file(staff, seeded):
    assert totals(staff, "conversations-by-level", "level", "conversations", channel="voice") == {"urgent": 1}
    assert totals(staff, "conversations-by-level", "level", "conversations", language="es") == {"home": 1}
    assert totals(staff, "first-reply", "first_reply_within", "cases", channel="voice") == {"under 1 min": 1}
    assert totals(staff, "reminder-funnel", "stage", "count", channel="voice") == {"enrolled": 1, "sent": 2}
    assert totals(staff, "checkin-answers", "answer", "count", language="es") == {"better": 1, "same": 1}
    assert totals(staff, "reminder-funnel", "stage", "count", schedule="another") == {}
    # The schedule is a reminder filter: the conversations are all still there.
    assert sum(totals(staff, "conversations-by-level", "level", "conversations", schedule="another").values()) == 6
    yesterday = (InsightCounters.for_settings(staff.application.extensions["hotline"].settings).today()
                 - timedelta(days=1)).isoformat()
    for chart in CHARTS:
        assert rows(staff, chart, to=yesterday) == [], chart
    page = staff.get("/staff/insights", query_string={"to": yesterday}).data.decode()
    assert "<svg" not in page and page.count("Nothing was counted in these days.") == 3


# --- What a conversation is ------------------------------------------------------------------------------------


def test_a_conversation_is_a_numbers_texts_and_calls_of_a_day_counted_once_at_its_highest_level(staff, twilio):
    def levels() -> dict[str, int]:
        return totals(staff, "conversations-by-level", "level", "conversations")

    text(twilio, PARENT, "hi")
    assert levels() == {"none": 1}
    text(twilio, PARENT, "4", "1", "2", "1", "2", "4", "4")  # assessed home: the same conversation moves up
    assert levels() == {"home": 1}
    in_language(Call(twilio, PARENT), "en").answers("4", "1", "2", "1", "1")  # a call the same day, urgent
    assert levels() == {"urgent": 1}
    assert text(twilio, PARENT, "she is having a seizure").startswith("Call 911 now")
    assert levels() == {"emergency": 1}
    text(twilio, PARENT, "4", "1", "2", "1", "2", "4", "4")  # home again: a conversation's level never goes down
    assert levels() == {"emergency": 1}
    assert totals(staff, "conversations-by-channel", "channel", "conversations") == {"sms": 1}  # it began by text
    text(twilio, PARENT, "ESPANOL")  # its language is the latest one
    assert totals(staff, "levels-by-language", "language", "conversations") == {"es": 1}


@dataclass(frozen=True)
class Tomorrow(InsightCounters):
    """The hotline's calendar a day on, as if the next message came after midnight."""

    def day(self, at: float) -> str:
        return super().day(at + 24 * 3600)


def test_the_next_days_messages_are_a_new_conversation(staff, twilio, services):
    text(twilio, PARENT, "hi", "4", "1", "2", "1", "1")  # under 3 months, a fever: urgent
    services.conversations.insights = Tomorrow(services.conversations.insights.zone,
                                               services.conversations.insights.ttl_seconds)
    text(twilio, PARENT, "hi")
    today = InsightCounters.for_settings(services.settings).today()
    assert rows(staff, "conversations-by-level", to=(today + timedelta(days=1)).isoformat()) == [
        {"day": today.isoformat(), "level": "urgent", "conversations": "1"},
        {"day": (today + timedelta(days=1)).isoformat(), "level": "none", "conversations": "1"}]


def test_a_twilio_retry_of_a_message_counts_nothing_twice(staff, twilio):
    twilio.sms("why do babies legs shake", PARENT, message_sid="SM" + "1" * 32)
    before = staff.get("/staff/insights/sections.csv").data
    twilio.sms("why do babies legs shake", PARENT, message_sid="SM" + "1" * 32)
    assert staff.get("/staff/insights/sections.csv").data == before
    assert totals(staff, "conversations-by-level", "level", "conversations") == {"home": 1}


def test_a_section_counts_once_a_conversation_however_often_it_is_asked_about(staff, twilio, redis):
    text(twilio, PARENT, "hi", "why do babies legs shake", "why do babies legs shake", "menu", "1")
    asked = totals(staff, "sections", "section", "conversations")
    assert "faq" in asked  # tests/test_sms_conversations.py: the question draws on "why", "physiology" or "faq"
    assert set(asked) == set(json.loads(redis.get(keys.session(PARENT)))["sections"])
    assert set(asked.values()) == {1}
    text(twilio, "+12025550182", "hi", "why do babies legs shake")
    assert totals(staff, "sections", "section", "conversations")["faq"] == 2


# --- Reminders and replies -------------------------------------------------------------------------------------


def test_a_delivery_report_counts_once_whatever_order_twilio_sends_them_in(staff, services, twilio, redis,
                                                                           fake_twilio, env):
    for number in (PARENT, "+12025550182"):
        services.reminders.enroll(number, channel="staff")
    deliver_due(services, redis)
    first, second = (message.sid for message in fake_twilio.messages)
    for status in ("read", "delivered", "sent", "read"):  # read without delivered first: it was delivered
        twilio.status(first, status)
    twilio.status(second, "failed", "30006")
    twilio.status(second, "delivered")  # a final status never moves: failed stays failed
    assert totals(staff, "reminder-funnel", "stage", "count") == {"enrolled": 2, "sent": 2, "delivered": 1}


def test_only_a_checkins_first_answer_counts(staff, services, twilio, redis, fake_twilio, env):
    services.reminders.enroll(PARENT, channel="staff")
    deliver_due(services, redis)
    text(twilio, PARENT, "1")
    text(twilio, PARENT, "3")  # now an ordinary message: the menu's third choice
    assert totals(staff, "checkin-answers", "answer", "count") == {"better": 1}
    [entry] = services.reminders.sent()
    assert entry["answer"] == "better"


@pytest.mark.parametrize(("waits", "median", "p95"), [
    ([30], 60, 60),
    ([30, 200, 200, 200], 300, 300),
    ([30] * 19 + [5000], 60, 60),  # the 95th of 20 is the 19th: within a minute
    ([30] * 18 + [5000] * 2, 60, 7200),
    ([90_000], math.inf, math.inf),
])
def test_the_percentiles_are_read_from_the_buckets_never_from_samples(waits, median, p95):
    histogram = dict.fromkeys(REPLY_BUCKETS, 0)
    for wait in waits:
        histogram[next(bound for bound in REPLY_BUCKETS if wait <= bound)] += 1
    assert percentile_bound(histogram, 0.5) == median
    assert percentile_bound(histogram, 0.95) == p95
    assert percentile_bound(dict.fromkeys(REPLY_BUCKETS, 0), 0.95) is None


# --- The page ----------------------------------------------------------------------------------------------------


def test_the_page_reads_a_hash_a_day_whatever_the_conversations_and_never_a_transcript(staff, twilio, redis):
    def commands_for_the_page() -> dict[str, int]:
        redis.config_resetstat()
        assert staff.get("/staff/insights", query_string={"from": "2020-01-01", "to": "2020-03-30"}).status_code == 200
        return {name.removeprefix("cmdstat_"): int(stat["calls"]) for name, stat in redis.info("commandstats").items()}

    text(twilio, PARENT, "hi", "4", "1", "2", "2")
    one = commands_for_the_page()
    for n in range(5):
        text(twilio, f"+1202555019{n}", "hi", "4", "1", "2", "2")
    assert commands_for_the_page() == one
    # 90 days: a hash each, the reminders of the 12 whole weeks a hash each and of the 6 days around them, and the
    # schedules for the filter.
    assert one["hgetall"] == 90 + 12 + 6 + 1
    assert not set(one) & {"lrange", "lindex", "scan", "keys", "hscan", "zrange", "zrangebyscore", "zrevrangebyscore"}


def test_the_counts_expire_after_the_insights_retention_and_hold_no_number(staff, seeded, redis, services):
    today = InsightCounters.for_settings(services.settings).today()
    monday = today - timedelta(days=today.weekday())
    found = sorted(key.decode() for key in redis.scan_iter(keys.insights("*")))
    # The day's counts, and the reminders of the day's enrollments by day and by week.
    assert found == [keys.insights(str(today)), keys.reminder_insights(str(today)),
                     keys.weekly_reminder_insights(str(monday))]
    for key in found:
        assert 0 < redis.ttl(key) <= services.settings.insights_retention_days * 24 * 3600
        stored = " ".join(f"{k.decode()} {v.decode()}" for k, v in redis.hgetall(key).items())
        assert not re.search(r"\d{7}", stored)  # no number, whole or in part
    by_day, by_week = keys.reminder_insights(str(today)), keys.weekly_reminder_insights(str(monday))
    assert redis.hgetall(by_day) == redis.hgetall(by_week)


@pytest.mark.parametrize(("query", "alert"), [
    ({"from": "last week"}, "'last week' is not a date"),
    ({"from": "2026-03-02", "to": "2026-03-01"}, "The first day is after the last day"),
    ({"from": "2020-01-01", "to": "2026-01-01"}, "At most 400 days can be shown"),
])
def test_a_filter_that_cannot_be_read_is_explained_and_a_sensible_one_is_used(staff, query, alert):
    page = staff.get("/staff/insights", query_string=query).data.decode()
    assert alert in html.unescape(page) and 'role="alert"' in page


def test_insights_is_in_the_staff_navigation_and_needs_a_login(staff, client):
    page = staff.get("/staff/").data.decode()
    assert '<a href="/staff/insights"' in page
    staff.post("/staff/logout", data={"csrf_token": re.search(r'name="csrf_token" value="([^"]+)"', page)[1]})
    for path in ("/staff/insights", "/staff/insights/sections.csv"):
        assert "/staff/login" in client.get(path).headers["Location"]
