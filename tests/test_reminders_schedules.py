"""Schedules as data, and when each reminder goes out: pure planning with an injected 'now'."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import yaml

from hotline.channels.segments import is_gsm7, segment_count
from hotline.reminders.planning import (
    QuietHours,
    in_quiet_hours,
    next_allowed,
    plan_next,
    step_due,
    zone_for_number,
)
from hotline.reminders.schedules import ScheduleError, parse_schedule, render
from tests.support.reminders import local

ROOT = Path(__file__).resolve().parent.parent
CHECKIN = parse_schedule(yaml.safe_load((ROOT / "flows/schedules/checkin.yaml").read_text()))
QUIET = QuietHours((21, 0), (8, 0))


def schedule(**step: object) -> dict:
    base = {"after": "1 day", "text": {"en": "How is it going? Reply 1, 2 or 3. Text STOP to stop.",
                                       "es": "¿Cómo va? Responda 1, 2 o 3. STOP para salir."}}
    return {"name": "test", "description": "", "steps": [{**base, **step}]}


def test_the_default_checkin_schedule_asks_better_same_worse_on_day_1_3_and_7_at_10():
    assert [(s.amount, s.unit, s.at) for s in CHECKIN.steps] == [(1, "day", (10, 0)), (3, "day", (10, 0)),
                                                                  (1, "week", (10, 0))]
    for step in CHECKIN.steps:
        english = render(step.text["en"], {"emergency": "911", "baby_name": "Ana"})
        assert "1 if better" in english and "3 if worse" in english and "STOP" in english
        assert is_gsm7(english) and segment_count(english) <= 3
        assert segment_count(render(step.text["es"], {"emergency": "911", "baby_name": "Ana"})) <= 3


@pytest.mark.parametrize(("change", "message"), [
    ({"text": {"en": "Hi {baby} STOP", "es": "Hola STOP"}}, "unknown placeholder {baby}"),
    ({"text": {"en": "It’s better? STOP", "es": "¿Mejor? STOP"}}, "GSM-7"),
    ({"text": {"en": "x" * 470 + " STOP", "es": "STOP"}}, "too long"),
    ({"text": {"en": "Reply 1, 2 or 3.", "es": "Responda. STOP"}}, "STOP"),
    ({"text": {"en": "Hi STOP"}}, "both 'en' and 'es'"),
    ({"after": "tomorrow"}, "'after' must look like"),
    ({"at": "25:00"}, "'at' must be a local time"),
    ({"text": {"en": "Hi {baby_name!r} STOP", "es": "STOP"}}, "placeholders take no format"),
])
def test_a_bad_schedule_is_refused_with_a_message_saying_what_to_fix(change, message):
    with pytest.raises(ScheduleError, match=message.replace("{", r"\{").replace("}", r"\}")):
        parse_schedule(schedule(**change))


def test_steps_must_be_in_order_and_names_plain():
    data = schedule()
    data["steps"] = [data["steps"][0], {**data["steps"][0], "after": "2 hours"}]
    with pytest.raises(ScheduleError, match="in order"):
        parse_schedule(data)
    with pytest.raises(ScheduleError, match="name"):
        parse_schedule({**schedule(), "name": "Check In!"})


@pytest.mark.parametrize("name", ["test\n", "\ntest", "test\r\n", "te\nst", "test "])
def test_a_schedule_name_is_the_whole_string_with_no_newline_before_or_after(name):
    with pytest.raises(ScheduleError, match="name"):
        parse_schedule({**schedule(), "name": name})


@pytest.mark.parametrize(("number", "zone"), [
    ("+12125550123", "America/New_York"),
    ("+14155550123", "America/Los_Angeles"),
    ("+18085550123", "Pacific/Honolulu"),
    ("+442079460000", "Europe/London"),
    ("+15551230001", "America/New_York"),  # 555: no zone of its own -> the configured default
])
def test_the_zone_comes_from_the_number_or_the_default(number, zone):
    assert str(zone_for_number(number, "America/New_York")) == zone


def test_a_per_enrollment_zone_overrides_the_number():
    assert str(zone_for_number("+12125550123", "America/New_York", "America/Chicago")) == "America/Chicago"


@pytest.mark.parametrize("zone", ["America/New_York", "America/Los_Angeles", "Europe/Madrid", "Asia/Tokyo"])
def test_day_1_at_10_is_10_local_the_next_day_in_every_zone(zone):
    enrolled = local(zone, 2027, 5, 10, 15, 30)
    due = step_due(enrolled.astimezone(UTC), CHECKIN.steps[0], ZoneInfo(zone)).astimezone(ZoneInfo(zone))
    assert (due.date(), due.hour, due.minute) == (datetime(2027, 5, 11).date(), 10, 0)


def test_day_3_at_10_stays_10_local_across_the_spring_dst_change():
    zone = ZoneInfo("America/New_York")
    enrolled = local("America/New_York", 2027, 3, 12, 18, 0)  # DST starts 2027-03-14
    due = step_due(enrolled.astimezone(UTC), CHECKIN.steps[1], zone)
    assert due.astimezone(zone).replace(tzinfo=None) == datetime(2027, 3, 15, 10, 0)
    assert due.astimezone(UTC).hour == 14  # EDT: UTC-4, where it was UTC-5 at enrollment


def test_day_offsets_without_a_time_keep_the_wall_clock_across_the_autumn_dst_change():
    zone = ZoneInfo("Europe/Madrid")
    step = parse_schedule(schedule(after="2 days")).steps[0]
    enrolled = local("Europe/Madrid", 2027, 10, 30, 12, 0)  # DST ends 2027-10-31
    due = step_due(enrolled.astimezone(UTC), step, zone)
    assert due.astimezone(zone).replace(tzinfo=None) == datetime(2027, 11, 1, 12, 0)
    assert due - enrolled == timedelta(hours=49)


@pytest.mark.parametrize(("hour", "quiet"), [(20, False), (21, True), (23, True), (3, True), (7, True), (8, False)])
def test_quiet_hours_are_21_to_8_local(hour, quiet):
    zone = ZoneInfo("America/Chicago")
    assert in_quiet_hours(local("America/Chicago", 2027, 6, 1, hour, 59 if hour == 7 else 0), zone, QUIET) is quiet


@pytest.mark.parametrize("hour", [22, 2])
def test_a_step_falling_in_quiet_hours_goes_out_when_the_window_opens(hour):
    zone = ZoneInfo("America/Los_Angeles")
    moment = local("America/Los_Angeles", 2027, 6, 1, hour, 15)
    opens = next_allowed(moment, zone, QUIET).astimezone(zone)
    assert (opens.hour, opens.minute) == (8, 0)
    assert opens.date() == (moment.date() + timedelta(days=1) if hour == 22 else moment.date())


def test_plan_next_defers_an_hours_step_out_of_the_night_and_ends_after_the_last_step():
    zone = ZoneInfo("America/New_York")
    data = schedule(after="3 hours")
    data["steps"][0].pop("at", None)
    two = parse_schedule(data)
    enrolled = local("America/New_York", 2027, 6, 1, 19, 0)
    planned = plan_next(two, enrolled.astimezone(UTC), -1, zone, QUIET, enrolled)
    assert planned is not None
    assert planned.due.astimezone(zone).replace(tzinfo=None) == datetime(2027, 6, 2, 8, 0)
    assert plan_next(two, enrolled.astimezone(UTC), 180, zone, QUIET, enrolled) is None
