"""The schedule and enrollment rules, written once (hotline/reminders/enrollment.py), raise named errors
(hotline/errors.py); each edge says every one of them its own way: the JSON API as a 400/404/409, the staff pages
next to their form (or a 404), the CLI as a click error."""

from __future__ import annotations

import io
import json

import pytest
from click.testing import CliRunner

from hotline.cli import main
from hotline.errors import (
    EnrollmentError,
    EnrollmentNotActive,
    ImportRefused,
    ScheduleExists,
    ScheduleInUse,
    ShippedSchedule,
    UnknownEnrollment,
    UnknownSchedule,
)
from hotline.reminders.imports import check_csv
from hotline.reminders.schedules import parse_schedule
from hotline.store.staff_tokens import StaffTokens
from tests.test_dashboard_reminders import STOP_EN, STOP_ES, schedule_form, text_of

PARENT = "+12125550123"
OTHER = "+12125550124"
NEWBORN = {"name": "newborn", "description": "Two quick checks", "steps": [
    {"after": "2 hours", "text": {"en": "How is {baby_name}? Reply 1, 2 or 3. Text STOP to stop.",
                                  "es": "¿Cómo está {baby_name}? Responda 1, 2 o 3. STOP para salir."}}]}
BAD = {**NEWBORN, "name": "bad", "steps": [{"after": "1 day", "text": {"en": "Hi {name} STOP", "es": "STOP"}}]}


@pytest.fixture
def scene(services, env):
    """'newborn' with one active enrollment, and a cancelled enrollment in 'checkin'; its id is scene['cancelled']."""
    reminders = services.reminders
    reminders.schedules.save(parse_schedule(NEWBORN))
    reminders.enroll(PARENT, "newborn")
    cancelled = reminders.enroll(OTHER, "checkin").enrollment.id
    reminders.cancel(cancelled)
    return {"cancelled": cancelled}


def unchanged(services) -> tuple[object, ...]:
    reminders = services.reminders
    return (sorted(s.name for s in reminders.schedules.all()),
            sorted((e.id, e.status) for e in reminders.enrollments.all()), reminders.enrollments.pending_count())


# --- the rules ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("call", "error"), [
    (lambda rules, ids: rules.schedule("nope"), UnknownSchedule),
    (lambda rules, ids: rules.set_active("nope", False), UnknownSchedule),
    (lambda rules, ids: rules.delete_schedule("nope", cancel_active=True), UnknownSchedule),
    (lambda rules, ids: rules.delete_schedule("checkin", cancel_active=True), ShippedSchedule),
    (lambda rules, ids: rules.delete_schedule("newborn"), ScheduleInUse),
    (lambda rules, ids: rules.create_schedule(parse_schedule(NEWBORN)), ScheduleExists),
    (lambda rules, ids: rules.create_schedule(parse_schedule({**NEWBORN, "name": "checkin"})), ScheduleExists),
    (lambda rules, ids: rules.enrollment("999"), UnknownEnrollment),
    (lambda rules, ids: rules.cancel_active("999"), UnknownEnrollment),
    (lambda rules, ids: rules.cancel_active(ids["cancelled"]), EnrollmentNotActive),
    (lambda rules, ids: rules.enroll("555"), EnrollmentError),
    (lambda rules, ids: rules.enroll(PARENT, "nope"), UnknownSchedule),
    (lambda rules, ids: rules.enroll_many([PARENT], "nope"), UnknownSchedule),
    (lambda rules, ids: check_csv(b"number\n+12125550199\n", "nope", rules.schedules), ImportRefused),
], ids=lambda value: value.__name__ if isinstance(value, type) else "")
def test_a_refused_rule_raises_its_named_error_and_changes_nothing(services, scene, call, error):
    before = unchanged(services)
    with pytest.raises(error):
        call(services.reminders.rules, scene)
    assert unchanged(services) == before


def test_a_schedule_in_use_says_how_many_enrollments_and_is_deleted_with_them_when_asked(services, scene):
    rules = services.reminders.rules
    with pytest.raises(ScheduleInUse) as refused:
        rules.delete_schedule("newborn")
    assert (refused.value.name, refused.value.count) == ("newborn", 1)
    deleted = rules.delete_schedule("newborn", cancel_active=True)
    assert (deleted.schedule, deleted.cancelled) == ("newborn", 1)
    [cancelled] = [e for e in rules.enrollments.all() if e.schedule == "newborn"]
    assert (cancelled.status, cancelled.reason) == ("cancelled", "schedule 'newborn' deleted")


# --- the JSON API -------------------------------------------------------------------------------------------


@pytest.fixture
def api(client, redis):  # type: ignore[no-untyped-def]
    headers = {"Authorization": f"Bearer {StaffTokens(redis).create('coordinator')}"}

    def call(method: str, path: str, **kw):  # type: ignore[no-untyped-def]
        return client.open(path, method=method, headers=headers, **kw)

    return call


@pytest.mark.parametrize(("error", "method", "path", "body", "status", "said"), [
    ("UnknownSchedule", "GET", "/api/schedules/nope", {}, 404, {"error": "no schedule named 'nope'"}),
    ("UnknownSchedule", "PUT", "/api/schedules/nope", {"json": NEWBORN}, 404, {"error": "no schedule named 'nope'"}),
    ("UnknownSchedule", "DELETE", "/api/schedules/nope", {}, 404, {"error": "no schedule named 'nope'"}),
    ("UnknownSchedule", "POST", "/api/enrollments", {"json": {"number": PARENT, "schedule": "nope"}}, 404,
     {"error": "no schedule named 'nope'"}),
    ("UnknownEnrollment", "GET", "/api/enrollments/999", {}, 404, {"error": "no enrollment 999"}),
    ("UnknownEnrollment", "POST", "/api/enrollments/999/cancel", {}, 404, {"error": "no enrollment 999"}),
    ("ScheduleExists", "POST", "/api/schedules", {"json": NEWBORN}, 409,
     {"error": "a schedule named 'newborn' exists; PUT /api/schedules/newborn to change it"}),
    ("ShippedSchedule", "DELETE", "/api/schedules/checkin?force=true", {}, 409,
     {"error": "'checkin' ships with the hotline (flows/schedules/); deactivate it instead: "
               "PUT it with \"active\": false"}),
    ("ScheduleInUse", "DELETE", "/api/schedules/newborn", {}, 409,
     {"error": "'newborn' has 1 active enrollment(s); cancel them first or delete with ?force=true to cancel them "
               "all", "active_enrollments": 1}),
    ("EnrollmentNotActive", "POST", "/api/enrollments/{cancelled}/cancel", {}, 409,
     {"error": "enrollment {cancelled} is already cancelled"}),
    ("ScheduleError", "POST", "/api/schedules", {"json": BAD}, 400,
     {"error": "step 1 text (en): unknown placeholder {name}; use {baby_name}, {emergency}"}),
    ("EnrollmentError", "POST", "/api/enrollments", {"json": {"number": "555"}}, 400,
     {"error": "'555' is not a valid phone number; use E.164 (+15551234567) or a national number"}),
    ("ImportRefused", "POST", "/api/enrollments/import?schedule=nope",
     {"data": "number\n+12125550199\n", "content_type": "text/csv"}, 404, {"error": "no schedule named 'nope'"}),
])
def test_the_api_answers_each_named_error_with_its_status_and_message(services, scene, api, error, method, path,
                                                                     body, status, said):
    before = unchanged(services)
    response = api(method, path.replace("{cancelled}", scene["cancelled"]), **body)
    expected = {key: value.replace("{cancelled}", scene["cancelled"]) if isinstance(value, str) else value
                for key, value in said.items()}
    assert (response.status_code, response.json) == (status, expected), error
    assert unchanged(services) == before


# --- the staff pages ----------------------------------------------------------------------------------------


def form(**fields: str):  # type: ignore[no-untyped-def]
    return lambda token: {"data": {"csrf_token": token, **fields}}


def schedule(name: str, steps=None):  # type: ignore[no-untyped-def]
    return lambda token: {"data": schedule_form(token, name=name, steps=steps)}


def upload(text: str, schedule: str):  # type: ignore[no-untyped-def]
    return lambda token: {"content_type": "multipart/form-data", "data": {
        "csrf_token": token, "schedule": schedule, "file": (io.BytesIO(text.encode()), "parents.csv")}}


@pytest.mark.parametrize(("error", "path", "send", "status", "said"), [
    ("UnknownSchedule", "/staff/schedules/nope", None, 404, None),
    ("UnknownSchedule", "/staff/schedules/nope", schedule("nope"), 404, None),
    ("UnknownSchedule", "/staff/schedules/nope/active", form(active="0"), 404, None),
    ("UnknownSchedule", "/staff/schedules/nope/delete", form(cancel_enrollments="1"), 404, None),
    ("UnknownSchedule", "/staff/enrollments", form(number=PARENT, schedule="nope"), 400, "No schedule named 'nope'."),
    ("UnknownEnrollment", "/staff/enrollments/999/cancel", form(), 404, None),
    ("ScheduleExists", "/staff/schedules/new", schedule("newborn"), 409,
     "A schedule named 'newborn' already exists. Choose another name, or edit that one."),
    ("ShippedSchedule", "/staff/schedules/checkin/delete", form(cancel_enrollments="1"), 409,
     "'checkin' ships with the hotline and cannot be deleted. Untick \"Active\" to pause it instead."),
    ("ScheduleInUse", "/staff/schedules/newborn/delete", form(), 409,
     "Not deleted: 1 number(s) are still enrolled in 'newborn'. Tick \"Also cancel its enrollments\" to stop their "
     "reminders and delete it, or pause the schedule instead."),
    ("EnrollmentNotActive", "/staff/enrollments/{cancelled}/cancel", form(), 200,  # a flash, on the list
     "That enrollment was already cancelled."),
    ("ScheduleError", "/staff/schedules/new", schedule("bad", [("1", "day", "", "Hi {name} " + STOP_EN, STOP_ES)]),
     400, "step 1 text (en): unknown placeholder {name}; use {baby_name}, {emergency}"),
    ("EnrollmentError", "/staff/enrollments", form(number="555", schedule="checkin"), 400,
     "'555' is not a valid phone number; use E.164 (+15551234567) or a national number."),
    ("ImportRefused", "/staff/enrollments/import", upload("number\n+12125550199\n", "nope"), 404,
     "No schedule named 'nope'."),
])
def test_the_pages_say_each_named_error_next_to_its_form(services, scene, staff, error, path, send, status, said):
    before = unchanged(services)
    path = path.replace("{cancelled}", scene["cancelled"])
    response = staff.get(path) if send is None else staff.post(path, follow_redirects=True, **send(staff.token))
    assert response.status_code == status, error
    if said:
        assert said in text_of(response), error
    assert unchanged(services) == before


# --- the CLI ------------------------------------------------------------------------------------------------


@pytest.fixture
def cli(env):
    runner = CliRunner()
    return lambda *args: runner.invoke(main, list(args), catch_exceptions=False)


@pytest.mark.parametrize(("error", "args", "said"), [
    ("UnknownSchedule", ["schedules", "show", "nope"], "no schedule named 'nope'"),
    ("UnknownSchedule", ["schedules", "deactivate", "nope"], "no schedule named 'nope'"),
    ("UnknownSchedule", ["schedules", "delete", "nope", "--force"], "no schedule named 'nope'"),
    ("UnknownSchedule", ["enroll", PARENT, "--schedule", "nope"], "no schedule named 'nope'"),
    ("ShippedSchedule", ["schedules", "delete", "checkin", "--force"], "'checkin' ships with the hotline; "
                                                                       "deactivate it instead"),
    ("ScheduleInUse", ["schedules", "delete", "newborn"], "'newborn' has 1 active enrollment(s); use --force to "
                                                          "cancel them"),
    ("ScheduleError", ["schedules", "save", "{bad}"], "{bad}: step 1 text (en): unknown placeholder {name}"),
    ("EnrollmentError", ["enroll", "555"], "'555' is not a valid phone number"),
    ("ImportRefused", ["import", "{csv}", "--schedule", "nope"], "{csv}: no schedule named 'nope'"),
])
def test_the_cli_says_each_named_error_as_a_click_error(services, scene, cli, tmp_path, error, args, said):
    files = {"bad": tmp_path / "bad.json", "csv": tmp_path / "parents.csv"}
    files["bad"].write_text(json.dumps(BAD))
    files["csv"].write_text("number\n+12125550199\n")
    before = unchanged(services)
    result = cli(*[str(files[arg[1:-1]]) if arg in ("{bad}", "{csv}") else arg for arg in args])
    assert result.exit_code == 1, error
    for name, path in files.items():
        said = said.replace("{" + name + "}", str(path))
    assert f"Error: {said}" in result.output, error
    assert unchanged(services) == before
