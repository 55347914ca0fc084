"""Reminder pages of the staff dashboard, through the Flask test client (the browser tests drive them too)."""

from __future__ import annotations

import html
import io
import re
import time

import pytest

from hotline.channels.segments import encoding, segment_count
from hotline.reminders.store import ENDED
from tests.support.reminders import run_worker

STOP_EN = "Checking in: how is the shaking today? Reply 1 better, 2 same, 3 worse. Text STOP to stop."
STOP_ES = "¿Cómo sigue el temblor? Responda 1 mejor, 2 igual, 3 peor. STOP para salir."


def csrf_from(page: bytes) -> str:
    return re.search(rb'name="csrf_token" value="([^"]+)"', page)[1].decode()


def text_of(response) -> str:
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.data.decode())))


def schedule_form(token: str, name: str = "fever-followup", steps=None, **extra) -> dict[str, str]:
    steps = steps if steps is not None else [("2", "hour", "", STOP_EN, STOP_ES)]
    data = {"csrf_token": token, "name": name, "description": "After a fever", "active": "1", "checkin": "1",
            "step_count": str(len(steps)), "action": "save"}
    for i, (amount, unit, at, en, es) in enumerate(steps):
        data.update({f"step-{i}-amount": amount, f"step-{i}-unit": unit, f"step-{i}-at": at,
                     f"step-{i}-en": en, f"step-{i}-es": es})
    data.update(extra)
    return data


# --- schedules ----------------------------------------------------------------------------------------------


def test_the_schedules_page_lists_name_status_steps_and_enrollments(staff, services):
    services.reminders.enroll("+12025550123", "checkin")
    page = text_of(staff.get("/staff/schedules"))
    assert "checkin" in page and "ships with the hotline" in page
    row = re.search(r"checkin ships with the hotline (.*?) Active (\d+) (\d+)", page)
    assert row and row[2] == "3" and row[3] == "1", page


def test_a_new_schedule_is_validated_saved_and_listed(staff, services):
    response = staff.post("/staff/schedules/new", data=schedule_form(
        staff.token, steps=[("2", "hour", "", STOP_EN, STOP_ES), ("1", "day", "10:00", STOP_EN, STOP_ES)]))
    assert response.status_code == 302
    saved = services.reminders.schedules.get("fever-followup")
    assert [s.offset_minutes for s in saved.steps] == [120, 1440] and saved.steps[1].at == (10, 0)
    assert saved.description == "After a fever" and saved.active and saved.checkin
    page = text_of(staff.get("/staff/schedules"))
    assert "Schedule 'fever-followup' created with 2 step(s)." in page and "After a fever" in page


@pytest.mark.parametrize(("steps", "message"), [
    ([("2", "hour", "", "How is your baby today?", STOP_ES)], "step 1 text (en): every reminder must say how to stop"),
    ([("2", "hour", "", "How is it \u2019today\u2019? Text STOP to stop.", STOP_ES)], "must be plain GSM-7"),
    ([("two", "hour", "", STOP_EN, STOP_ES)], "step 1: write how long after enrolling as a whole number"),
    ([("2", "hour", "25:00", STOP_EN, STOP_ES)], "'at' must be a local time of day"),
    ([("1", "day", "", STOP_EN, STOP_ES), ("2", "hour", "", STOP_EN, STOP_ES)], "list steps in order"),
    ([("2", "hour", "", "Hi {name}. Text STOP to stop.", STOP_ES)], "unknown placeholder {name}"),
    ([("2", "hour", "", STOP_EN + " x" * 200, STOP_ES)], "too long"),
])
def test_schedule_errors_are_shown_with_the_input_kept(staff, services, steps, message):
    response = staff.post("/staff/schedules/new", data=schedule_form(staff.token, steps=steps))
    assert response.status_code == 400
    page = text_of(response)
    assert "Not saved:" in page and message in page, page
    body = response.data.decode()
    assert 'value="fever-followup"' in body and 'value="After a fever"' in body
    assert html.escape(steps[0][3], quote=False) in body  # the message typed is still in its box
    assert services.reminders.schedules.get("fever-followup") is None


def test_a_bad_name_and_a_taken_name_are_explained(staff):
    response = staff.post("/staff/schedules/new", data=schedule_form(staff.token, name="Fever Follow-up!"))
    assert response.status_code == 400 and "must be 1-40 lowercase letters" in text_of(response)
    response = staff.post("/staff/schedules/new", data=schedule_form(staff.token, name="checkin"))
    assert response.status_code == 409 and "A schedule named 'checkin' already exists" in text_of(response)


def test_the_counter_under_each_message_shows_parts_and_encoding(staff):
    page = text_of(staff.get("/staff/schedules/checkin"))
    shipped = staff.application.extensions["hotline"].reminders.schedules.get("checkin")
    for step in shipped.steps:
        for lang in ("en", "es"):
            text = step.text[lang]
            parts = segment_count(text)
            assert f"{parts} SMS part{'' if parts == 1 else 's'} · {encoding(text)} · {len(text)} characters" in page
    # Spanish accents make a text UCS-2; the English ones are GSM-7.
    assert "UCS-2" in page and "GSM-7" in page


def test_adding_and_removing_steps_then_editing_replans_enrollments(staff, services):
    staff.post("/staff/schedules/new", data=schedule_form(staff.token))
    added = staff.post("/staff/schedules/fever-followup", data=schedule_form(staff.token, action="add_step"))
    assert added.status_code == 200 and 'id="step-1-amount"' in added.data.decode()
    assert services.reminders.schedules.get("fever-followup").steps[0].offset_minutes == 120  # nothing saved yet

    services.reminders.enroll("+12025550123", "fever-followup")
    response = staff.post("/staff/schedules/fever-followup", data=schedule_form(
        staff.token, steps=[("2", "hour", "", STOP_EN, STOP_ES), ("3", "hour", "", STOP_EN, STOP_ES)],
        **{"step-0-remove": "1"}))
    assert response.status_code == 302
    assert [s.offset_minutes for s in services.reminders.schedules.get("fever-followup").steps] == [180]
    assert "1 enrolled number(s) follow the new steps" in text_of(staff.get("/staff/schedules"))


def test_pausing_stops_reminders_and_activating_plans_them_again(staff, services):
    services.reminders.enroll("+12025550123", "checkin")
    assert services.reminders.enrollments.pending_count() == 1
    staff.post("/staff/schedules/checkin/active", data={"csrf_token": staff.token, "active": "0"})
    assert not services.reminders.schedules.get("checkin").active
    assert services.reminders.enrollments.pending_count() == 0
    page = text_of(staff.get("/staff/enrollments"))
    assert "none planned (schedule paused or finished)" in page
    staff.post("/staff/schedules/checkin/active", data={"csrf_token": staff.token, "active": "1"})
    assert services.reminders.schedules.get("checkin").active
    assert services.reminders.enrollments.pending_count() == 1


def test_deleting_a_schedule_with_enrollments_is_refused_unless_they_are_cancelled_too(staff, services):
    staff.post("/staff/schedules/new", data=schedule_form(staff.token))
    eid = services.reminders.enroll("+12025550123", "fever-followup").enrollment.id
    refused = staff.post("/staff/schedules/fever-followup/delete", data={"csrf_token": staff.token})
    assert refused.status_code == 409
    assert "Not deleted: 1 number(s) are still enrolled in 'fever-followup'" in text_of(refused)
    assert services.reminders.schedules.get("fever-followup") is not None

    done = staff.post("/staff/schedules/fever-followup/delete",
                      data={"csrf_token": staff.token, "cancel_enrollments": "1"})
    assert done.status_code == 302
    assert services.reminders.schedules.get("fever-followup") is None
    cancelled = services.reminders.enrollments.get(eid)
    assert cancelled.status == "cancelled" and cancelled.reason == "schedule 'fever-followup' deleted"
    assert "deleted; 1 enrollment(s) cancelled" in text_of(staff.get("/staff/schedules"))


def test_the_shipped_schedule_cannot_be_deleted(staff, services):
    response = staff.post("/staff/schedules/checkin/delete", data={"csrf_token": staff.token,
                                                                   "cancel_enrollments": "1"})
    assert response.status_code == 409 and "ships with the hotline and cannot be deleted" in text_of(response)
    assert services.reminders.schedules.get("checkin") is not None


def test_an_unknown_schedule_is_a_404(staff):
    assert staff.get("/staff/schedules/nope").status_code == 404


# --- enrollments -------------------------------------------------------------------------------------------


def test_a_bad_number_says_so_and_keeps_what_was_typed(staff, services):
    response = staff.post("/staff/enrollments", data={"csrf_token": staff.token, "number": "555-CALL-ME",
                                                      "schedule": "checkin", "language": "es", "baby_name": "Ana"})
    assert response.status_code == 400
    assert "'555-CALL-ME' is not a valid phone number" in text_of(response)
    body = response.data.decode()
    assert 'value="555-CALL-ME"' in body and 'value="Ana"' in body and '<option value="es" selected>' in body
    assert services.reminders.enrollments.all() == []


@pytest.mark.parametrize(("field", "value", "message"), [
    ("timezone", "Mars/Olympus", "Unknown time zone 'Mars/Olympus'"),
    ("schedule", "nope", "No schedule named 'nope'"),
    ("baby_name", "A" * 31, "Baby_name: 30 plain characters at most"),
])
def test_other_enrollment_errors_are_explained(staff, field, value, message):
    data = {"csrf_token": staff.token, "number": "+12025550123", "schedule": "checkin", "language": "en", field: value}
    response = staff.post("/staff/enrollments", data=data)
    assert response.status_code == 400 and message in text_of(response)


def test_an_enrolled_number_shows_with_its_first_reminder_among_the_upcoming(staff, services):
    response = staff.post("/staff/enrollments", data={"csrf_token": staff.token, "number": "(202) 555-0123",
                                                      "schedule": "checkin", "language": "en"})
    assert response.status_code == 302
    page = text_of(staff.get("/staff/enrollments"))
    assert re.search(r"Enrolled \+1\*+123 in 'checkin'\. First reminder: \w{3} \d\d, 10:00\.", page), page
    upcoming = page.split("Upcoming reminders")[1].split("Delivery problems")[0]
    assert "+1*******123" in upcoming and "1 day after enrolling" in upcoming
    assert "+12025550123" not in staff.get("/staff/enrollments").data.decode()  # masked everywhere

    again = staff.post("/staff/enrollments", data={"csrf_token": staff.token, "number": "+12025550123",
                                                   "schedule": "checkin"})
    assert again.status_code == 409 and "is already enrolled in 'checkin'" in text_of(again)


def test_cancelling_an_enrollment(staff, services):
    eid = services.reminders.enroll("+12025550123", "checkin").enrollment.id
    response = staff.post(f"/staff/enrollments/{eid}/cancel", data={"csrf_token": staff.token})
    assert response.status_code == 302
    assert services.reminders.enrollments.get(eid).status == "cancelled"
    assert services.reminders.enrollments.pending_count() == 0
    page = text_of(staff.get("/staff/enrollments"))
    assert "Cancelled: +1*******123 gets no more reminders from 'checkin'." in page
    staff.post(f"/staff/enrollments/{eid}/cancel", data={"csrf_token": staff.token})
    assert "That enrollment was already cancelled." in text_of(staff.get("/staff/enrollments"))
    assert staff.post("/staff/enrollments/999/cancel", data={"csrf_token": staff.token}).status_code == 404


def listed(page: bytes) -> list[str]:
    """The last three digits of each masked number in the enrollments table, top to bottom."""
    table = page.decode().split('<table id="enrollments">')[1].split("</table>")[0]
    return [re.search(r"\+1\*{7}(\d{3})", row)[1] for row in table.split("<tr>")[2:]]  # [1] is the header


def test_the_list_shows_the_newest_enrollments_first_with_the_total(staff, services):
    reminders = services.reminders
    numbers = [f"+1202555{1000 + i}" for i in range(600)]  # ends in 000 ... 599, across five record buckets
    assert reminders.enroll_many(numbers, "checkin") == (600, 0)
    reminders.enrollments.forget(numbers[598])
    reminders.cancel(reminders.enrollments.newest(600)[-11].id)  # the 11th enrolled: ends in 010

    page = staff.get("/staff/enrollments")
    assert "Showing the newest 200 of 599." in text_of(page)
    rows = listed(page.data)
    assert rows[:3] == ["599", "597", "596"] and len(rows) == 200 and rows[-1] == "399"

    cancelled = staff.get("/staff/enrollments?status=cancelled")
    assert listed(cancelled.data) == ["010"] and "Showing the newest" not in text_of(cancelled)


def upload(staff, content: bytes, schedule: str = "checkin", name: str = "parents.csv"):
    return staff.post("/staff/enrollments/import", content_type="multipart/form-data", data={
        "csrf_token": staff.token, "schedule": schedule, "file": (io.BytesIO(content), name)})


def test_a_csv_import_reports_bad_rows_by_line_and_counts_the_rest(staff, services, redis, env):
    services.reminders.enroll("+12025550199", "checkin")
    csv = (b"number,language,timezone\n"
           b"+12025550123,en,\n"
           b"not a number,en,\n"
           b"\n"
           b"+12025550124,fr,\n"
           b"+12025550125,es,Mars/Olympus\n"
           b"+12025550199,en,\n"
           b"(202) 555-0126,es,America/Chicago\n")
    response = upload(staff, csv)
    assert response.status_code == 303  # to the import's own page, which follows the background job
    run_worker(redis)
    page = text_of(staff.get(response.headers["Location"]))
    assert "parents.csv: 2 imported, 1 already enrolled, 3 row(s) with problems." in page
    assert "3 'not a number' is not a valid phone number" in page
    assert "5 language must be one of en, es, got 'fr'" in page
    assert "6 unknown time zone 'Mars/Olympus'" in page
    assert len(services.reminders.enrollments.all()) == 3


@pytest.mark.parametrize(("content", "message"), [
    (b"", "Choose a CSV file first"),
    (b"phone_no,lang\n+12025550123,en\n", "The first line must be a header with a 'number' column"),
    (b"number\n", "The file has no rows to import"),
    ("number\n+12025550123\n".encode("utf-16"), "The file must be saved as CSV UTF-8"),
])
def test_a_csv_that_cannot_be_read_is_explained_at_once(staff, content, message):
    response = upload(staff, content)
    assert response.status_code == 400
    assert message in text_of(response)


def test_an_upload_that_is_too_large_gets_a_readable_page_with_the_limit(staff):
    response = upload(staff, b"number\n" + b"+12025550123\n" * 170_000)  # 2.1 MB
    assert response.status_code == 413
    assert "The file is larger than 2 MB" in text_of(response)
    assert "split it into smaller files" in text_of(response)


# --- overview and CSRF -----------------------------------------------------------------------------------


def test_the_overview_counts_reminders_due_today_and_delivery_failures(staff, services):
    reminders = services.reminders
    soon = reminders.enroll("+12025550123", "checkin").enrollment
    reminders.enrollments.wake_at(soon.id, time.time() + 60)  # due within the hour
    reminders.enroll("+12025550124", "checkin")  # due tomorrow at 10:00
    failed = reminders.enroll("+12025550125", "checkin").enrollment
    reminders.enrollments.record_sent_and_advance(failed, 1440, {"status": "sent", "sid": "SM" + "1" * 32,
                                                                 "at": time.time()},
                                                  checkin=False, next_due=time.time() + 3 * 86400)
    reminders.enrollments.record_status("SM" + "1" * 32, "undelivered", "30003", time.time())
    ended = reminders.enroll("+12025550126", "checkin").enrollment
    reminders.enrollments.end(ended.id, ENDED, "twilio error 21610")
    reminders.cancel(reminders.enroll("+12025550127", "checkin").enrollment.id)  # staff's choice: no problem

    page = text_of(staff.get("/staff/"))
    assert re.search(r"Reminders due today (\d+)", page)[1] == "1"
    assert re.search(r"Delivery failures (\d+)", page)[1] == "2"
    problems = text_of(staff.get("/staff/enrollments")).split("Delivery problems")[1].split("Enrolled numbers")[0]
    assert "+1*******125 checkin Reminder undelivered 30003" in problems
    # The newest problem first, with when it happened.
    assert re.search(r"\+1\*{7}126 checkin Enrollment ended twilio error 21610 [A-Z][a-z]{2} \d+, \d\d:\d\d", problems)
    assert problems.index("126") < problems.index("125")
    assert "127" not in problems

    reminders.enrollments.forget("+12025550126")
    assert re.search(r"Delivery failures (\d+)", text_of(staff.get("/staff/")))[1] == "1"


@pytest.mark.parametrize(("path", "data"), [
    ("/staff/schedules/new", schedule_form("")),
    ("/staff/schedules/checkin", schedule_form("", name="checkin")),
    ("/staff/schedules/checkin/active", {"active": "0"}),
    ("/staff/schedules/checkin/delete", {"cancel_enrollments": "1"}),
    ("/staff/enrollments", {"number": "+12025550123", "schedule": "checkin"}),
    ("/staff/enrollments/1/cancel", {}),
])
def test_every_reminder_form_needs_its_csrf_token(staff, services, path, data):
    services.reminders.enroll("+12025550199", "checkin")
    data = {k: v for k, v in data.items() if k != "csrf_token"}
    response = staff.post(path, data=data)
    assert response.status_code == 400
    assert services.reminders.schedules.get("checkin").active
    assert [e.status for e in services.reminders.enrollments.all()] == ["active"]


def test_the_reminder_pages_are_in_the_navigation(staff):
    nav = staff.get("/staff/").data.decode().split('<nav aria-label="Main">')[1].split("</nav>")[0]
    labels = re.findall(r">([^<]+)</a>", nav)
    assert labels == ["Overview", "Inbox", "Conversations", "Callbacks", "Schedules", "Enrollments", "Insights",
                      "Opt-outs", "Outbox", "Simulator"]


def test_the_api_imports_a_csv_larger_than_the_webhook_size_cap(client, redis, env):
    from hotline.store.staff_tokens import StaffTokens

    token = StaffTokens(redis).create("coordinator")
    rows = "\n".join(f"+1202555{n:04d}" for n in range(100, 200))
    body = "number\n" + rows + "\n" + "#" * 100_000 + "\n"  # well over 64 KB
    headers = {"Authorization": f"Bearer {token}"}
    response = client.post("/api/enrollments/import", data=body.encode(),
                           headers={**headers, "Content-Type": "text/csv"})
    assert response.status_code == 202, response.data
    run_worker(redis)
    assert client.get(response.headers["Location"], headers=headers).get_json()["imported"] == 100
