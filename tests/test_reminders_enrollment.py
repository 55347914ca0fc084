"""Enrollment by the parent's YES, by staff (API, CLI, CSV), and check-in replies going back into triage."""

from __future__ import annotations

import json
import re

import pytest
from click.testing import CliRunner

from hotline.cli import main
from hotline.devtools.signed import reply_texts
from hotline.store import keys
from hotline.store.staff_tokens import StaffTokens
from tests.support.reminders import local, run_worker

PARENT = "+12125550123"



@pytest.fixture
def api(client, redis):
    token = StaffTokens(redis).create("nurse")

    class Api:
        headers = {"Authorization": f"Bearer {token}"}

        def get(self, path, **kw):
            return client.get(path, headers=self.headers, **kw)

        def post(self, path, **kw):
            return client.post(path, headers=self.headers, **kw)

        def put(self, path, **kw):
            return client.put(path, headers=self.headers, **kw)

        def delete(self, path, **kw):
            return client.delete(path, headers=self.headers, **kw)

    return Api()


def text(twilio, body: str, number: str = PARENT) -> str:
    return "\n\n".join(reply_texts(twilio.sms(body, number)))


def enrollments(reminders, number: str = PARENT):
    return [e for e in reminders.enrollments.all() if e.number == number]


# --- By the parent ------------------------------------------------------------------------------------


def test_yes_after_a_symptom_check_enrolls_with_consent_time_and_channel(twilio, reminders):
    for body in ["4", "1", "2", "1", "2", "4"]:
        text(twilio, body)
    outcome = text(twilio, "4")
    assert "YES, send me check-in texts" in outcome
    reply = text(twilio, "YES")
    assert "We will text you a short check-in tomorrow" in reply
    [enrollment] = enrollments(reminders)
    assert (enrollment.schedule, enrollment.channel, enrollment.status) == ("checkin", "sms", "active")
    assert enrollment.enrolled_at > 0
    assert reminders.enrollments.pending_count() == 1


def test_yes_from_the_checkin_menu_enrolls_once_even_when_repeated(twilio, reminders):
    text(twilio, "hi")
    assert "YES, send me check-ins" in text(twilio, "5")
    text(twilio, "yes")
    text(twilio, "5")
    text(twilio, "yes")
    assert len(enrollments(reminders)) == 1


def test_yes_from_a_number_phonenumbers_does_not_know_still_enrolls(twilio, reminders):
    text(twilio, "5", "+15551230001")
    assert "We will text you" in text(twilio, "yes", "+15551230001")
    assert len(enrollments(reminders, "+15551230001")) == 1


def test_yes_in_spanish_enrolls_in_spanish(twilio, reminders):
    text(twilio, "hola, necesito ayuda con mi bebé")
    text(twilio, "5")
    assert "Listo" in text(twilio, "sí")
    [enrollment] = enrollments(reminders)
    assert enrollment.language == "es"


def test_yes_while_opted_out_is_still_start_and_does_not_enroll(twilio, reminders):
    text(twilio, "STOP")
    assert "You will get texts from the Baby Shaky Legs Line again" in text(twilio, "YES")
    assert enrollments(reminders) == []


# --- Check-in replies -------------------------------------------------------------------------------


def send_first_checkin(reminders, redis, number: str = PARENT) -> str:
    eid = reminders.enroll(number, now=local("America/New_York", 2027, 5, 10, 12, 0)).enrollment.id
    reminders.dispatch(local("America/New_York", 2027, 5, 11, 10, 0))
    run_worker(redis)
    return eid


@pytest.mark.parametrize(("reply", "answer", "expected"), [
    ("1", "better", "So glad it is better"),
    ("better thanks", "better", "So glad it is better"),
    ("2", "same", "Would you like to check your baby's symptoms?"),
    ("about the same", "same", "Would you like to check your baby's symptoms?"),
    ("3", "worse", "How old is your baby?"),
    ("worse", "worse", "How old is your baby?"),
    ("not better", "worse", "How old is your baby?"),
    ("still shaking", "same", "Would you like to check your baby's symptoms?"),
    ("still not better", "worse", "How old is your baby?"),
])
def test_a_checkin_reply_is_read_in_the_checkins_context(twilio, reminders, redis, fake_twilio,
                                                         reply, answer, expected):
    eid = send_first_checkin(reminders, redis)
    response = text(twilio, reply)
    assert expected in response
    assert "Hi, this is" not in response  # no welcome: they are answering our text
    assert reminders.enrollments.log(eid, 1440)["answer"] == answer


def test_a_checkin_reply_is_answered_in_the_language_the_parent_enrolled_in(twilio, reminders, redis, fake_twilio):
    reminders.enroll(PARENT, language="es", now=local("America/New_York", 2027, 5, 10, 12, 0))
    reminders.dispatch(local("America/New_York", 2027, 5, 11, 10, 0))
    run_worker(redis)
    assert fake_twilio.bodies_to(PARENT)[0].startswith("Línea de Piernas Temblorosas")
    response = text(twilio, "1")  # a digit says nothing about the language: the enrollment does
    assert "mejor" in response.lower() and "glad" not in response


def test_same_gets_the_soothing_guidance(twilio, reminders, redis, fake_twilio):
    send_first_checkin(reminders, redis)
    assert "hold" in text(twilio, "2").lower()


def test_a_red_flag_in_a_checkin_reply_goes_through_the_safety_screen_first(twilio, reminders, redis, fake_twilio):
    eid = send_first_checkin(reminders, redis)
    assert text(twilio, "3 she is having a seizure now").startswith("Call 911 now")
    assert reminders.enrollments.log(eid, 1440)["answer"] == "worse"
    fever = send_first_checkin(reminders, redis, "+12125550124")
    reply = text(twilio, "he has a fever", "+12125550124")
    assert "fever" in reply.lower() and "How old is your baby?" in reply
    assert reminders.enrollments.log(fever, 1440)["answer"] == "worse"
    # An answer that also reports a red flag gets the level first, as any message would.
    worse = send_first_checkin(reminders, redis, "+12125550125")
    reply = text(twilio, "worse, now she has a fever", "+12125550125")
    assert reply.startswith("Please have your baby seen by a doctor today") and "How old is your baby?" in reply
    assert reminders.enrollments.log(worse, 1440)["answer"] == "worse"


def test_only_the_first_message_after_a_checkin_is_read_as_its_answer(twilio, reminders, redis, fake_twilio):
    eid = send_first_checkin(reminders, redis)
    text(twilio, "menu")
    assert reminders.enrollments.log(eid, 1440)["answer"] == "other"
    assert "So glad it is better" not in text(twilio, "1")  # now "1" is the menu's "Is this normal?"


# --- By staff: API -------------------------------------------------------------------------------------


def test_api_enrolls_a_number_once_per_schedule(api, reminders):
    created = api.post("/api/enrollments", json={"number": "(212) 555-0123", "timezone": "America/Chicago"})
    assert created.status_code == 201, created.json
    assert (created.json["number"], created.json["timezone"]) == (PARENT, "America/Chicago")
    again = api.post("/api/enrollments", json={"number": PARENT})
    assert again.status_code == 409 and again.json["enrollment"]["id"] == created.json["id"]
    listed = api.get("/api/enrollments?schedule=checkin").json
    assert [e["number"] for e in listed["enrollments"]] == [PARENT]


@pytest.mark.parametrize(("body", "status", "message"), [
    ({"number": "12345"}, 400, "not a valid phone number"),
    ({"number": PARENT, "schedule": "nope"}, 404, "no schedule named 'nope'"),
    ({"number": PARENT, "timezone": "Mars/Base"}, 400, "unknown time zone"),
    ({"number": PARENT, "language": "fr"}, 400, "language must be"),
    ({"phone": PARENT}, 400, "number"),
])
def test_api_refuses_bad_enrollments_and_writes_nothing(api, reminders, body, status, message):
    response = api.post("/api/enrollments", json=body)
    assert response.status_code == status and message in response.json["error"]
    assert reminders.enrollments.all() == []


def test_api_cancels_an_enrollment_and_shows_its_reminders(api, reminders):
    eid = api.post("/api/enrollments", json={"number": PARENT}).json["id"]
    assert api.post(f"/api/enrollments/{eid}/cancel").json["status"] == "cancelled"
    assert api.post(f"/api/enrollments/{eid}/cancel").status_code == 409
    assert api.post("/api/enrollments/999/cancel").status_code == 404
    assert api.get(f"/api/enrollments/{eid}").json["reminders"] == []
    assert reminders.enrollments.pending_count() == 0


SCHEDULE = {"name": "newborn", "description": "Two quick checks", "steps": [
    {"after": "2 hours", "text": {"en": "How is {baby_name}? Reply 1, 2 or 3. Text STOP to stop.",
                                  "es": "¿Cómo está {baby_name}? Responda 1, 2 o 3. STOP para salir."}},
    {"after": "2 days", "at": "11:00", "text": {"en": "Checking in. Reply 1, 2 or 3. Text STOP to stop.",
                                                 "es": "Seguimiento. Responda 1, 2 o 3. STOP para salir."}}]}


def test_api_schedule_crud(api, reminders):
    assert api.post("/api/schedules", json=SCHEDULE).status_code == 201
    assert api.post("/api/schedules", json=SCHEDULE).status_code == 409
    names = [s["name"] for s in api.get("/api/schedules").json["schedules"]]
    assert names == ["checkin", "newborn"]
    changed = {**SCHEDULE, "active": False}
    assert api.put("/api/schedules/newborn", json=changed).json["active"] is False
    assert api.put("/api/schedules/newborn", json={**SCHEDULE, "name": "other"}).status_code == 400
    assert api.put("/api/schedules/missing", json=SCHEDULE).status_code == 404
    assert api.get("/api/schedules/newborn").json["steps"][1]["at"] == "11:00"
    api.put("/api/schedules/newborn", json=SCHEDULE)
    api.post("/api/enrollments", json={"number": PARENT, "schedule": "newborn", "baby_name": "Ana"})
    refused = api.delete("/api/schedules/newborn")
    assert refused.status_code == 409 and "active enrollment" in refused.json["error"]
    assert api.get("/api/schedules/newborn").status_code == 200
    assert api.delete("/api/schedules/newborn?force=true").json["cancelled_enrollments"] == 1
    assert api.get("/api/schedules/newborn").status_code == 404
    assert api.delete("/api/schedules/checkin").status_code == 409  # ships with the hotline


def test_api_refuses_an_invalid_schedule_with_the_reason(api, reminders):
    bad = {**SCHEDULE, "steps": [{"after": "1 day", "text": {"en": "Hi {name} STOP", "es": "STOP"}}]}
    response = api.post("/api/schedules", json=bad)
    assert response.status_code == 400 and "unknown placeholder {name}" in response.json["error"]
    assert api.post("/api/schedules", data="not json").status_code == 400
    assert api.get("/api/schedules/newborn").status_code == 404


@pytest.mark.parametrize("name", ["checkin\n", "newborn\n"])
def test_a_schedule_name_ending_in_a_newline_is_refused_so_no_schedule_passes_for_another(api, reminders, name):
    # The review's copy of the shipped schedule: "checkin\n" looked exactly like "checkin" on every page.
    response = api.post("/api/schedules", json={**SCHEDULE, "name": name})
    assert response.status_code == 400 and "name" in response.json["error"]
    assert [s["name"] for s in api.get("/api/schedules").json["schedules"]] == ["checkin"]
    enrolled = api.post("/api/enrollments", json={"number": PARENT, "schedule": name})
    assert enrolled.status_code == 404 and reminders.enrollments.all() == []


def test_a_lookalike_schedule_saved_before_names_were_checked_is_left_out_and_the_rest_still_work(
        api, reminders, redis, client):
    redis.hset(keys.SCHEDULES, "checkin\n", json.dumps({**SCHEDULE, "name": "checkin\n"}))
    response = api.get("/api/schedules")
    assert response.status_code == 200 and [s["name"] for s in response.json["schedules"]] == ["checkin"]
    assert api.get("/api/schedules/checkin%0A").status_code == 404


def test_api_upcoming_sent_and_optouts(api, reminders, redis, twilio, fake_twilio):
    send_first_checkin(reminders, redis)
    [upcoming] = api.get("/api/reminders/upcoming").json["reminders"]
    assert (upcoming["number"], upcoming["step_offset_minutes"]) == (PARENT, 4320)
    [sent] = api.get("/api/reminders/sent").json["reminders"]
    assert sent["status"] == "queued" and sent["sid"].startswith("SM")
    twilio.status(sent["sid"], "delivered")
    assert api.get("/api/reminders/sent").json["reminders"][0]["status"] == "delivered"
    text(twilio, "STOP")
    assert [o["number"] for o in api.get("/api/optouts").json["optouts"]] == [PARENT]


def test_api_needs_a_staff_token(client):
    assert client.get("/api/enrollments").status_code == 401
    assert client.post("/api/schedules", json=SCHEDULE).status_code == 401


CSV = """number,language,timezone,baby_name
(212) 555-0123,en,,Ana
+14155550123,es,,
not a number,en,,
+12125550199,fr,,
+12125550188,en,Mars/Base,
+12125550123,en,,
"""


def test_api_imports_a_csv_reporting_bad_rows_by_line_and_twice_adds_nothing(api, reminders, redis):
    def imported() -> dict:
        started = api.post("/api/enrollments/import", data=CSV, content_type="text/csv")
        assert started.status_code == 202
        run_worker(redis)
        return api.get(started.json["status_url"]).json

    first = imported()
    assert (first["status"], first["imported"], first["duplicates"]) == ("finished", 2, 1)
    assert [e["line"] for e in first["errors"]] == [4, 5, 6]
    assert "not a valid phone number" in first["errors"][0]["error"]
    second = imported()
    assert (second["imported"], second["duplicates"]) == (0, 3)
    assert len(reminders.enrollments.all()) == 2
    no_header = api.post("/api/enrollments/import", data="phone_nr\n1\n", content_type="text/csv")
    assert no_header.status_code == 400 and "'number' column" in no_header.json["error"]
    assert api.post("/api/enrollments/import?schedule=nope", data=CSV, content_type="text/csv").status_code == 404


def test_openapi_document_describes_exactly_the_api_routes(app, api):
    document = api.get("/api/openapi.json").json
    documented = {(path, method.upper()) for path, ops in document["paths"].items() for method in ops}
    served = set()
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/"):
            path = re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", r"{\1}", rule.rule).replace("{eid}", "{id}")
            served |= {(path, m) for m in rule.methods - {"HEAD", "OPTIONS"}}
    assert documented == served


# --- By staff: CLI -------------------------------------------------------------------------------------


@pytest.fixture
def cli(env):
    runner = CliRunner()
    return lambda *args: runner.invoke(main, list(args), catch_exceptions=False)


def test_cli_enrolls_lists_upcoming_and_refuses_invalid_numbers(cli, reminders):
    result = cli("enroll", "212-555-0123", "--timezone", "America/Chicago")
    assert result.exit_code == 0 and "enrolled +1*******123 in 'checkin'" in result.output
    assert "already in 'checkin'" in cli("enroll", PARENT).output
    bad = cli("enroll", "555")
    assert bad.exit_code == 1 and "not a valid phone number" in bad.output
    upcoming = cli("reminders", "upcoming")
    assert "checkin" in upcoming.output and PARENT not in upcoming.output  # masked
    [row] = json.loads(cli("reminders", "upcoming", "--json").output)
    assert row["number"] == PARENT


def test_cli_recount_rebuilds_the_staff_counts_after_an_upgrade(cli, reminders, redis):
    for n in range(3):
        reminders.enroll(f"+1212555{n:04d}")
    reminders.enrollments.end("2", "ended", "twilio error 21610")
    redis.delete(keys.ACTIVE_COUNTS, keys.ENDED)  # as data written before the counts existed
    assert reminders.active_count("checkin") == 0
    result = cli("reminders", "recount")
    assert result.exit_code == 0 and "recounted 2 active enrollment(s) in 1 schedule(s)" in result.output
    assert reminders.active_count("checkin") == 2
    assert [eid for eid, _ in reminders.enrollments.ended_recently(10)] == ["2"]


def test_cli_imports_a_csv_with_a_progress_bar(cli, reminders, tmp_path):
    path = tmp_path / "parents.csv"
    path.write_text(CSV)
    result = cli("import", str(path))
    assert result.exit_code == 1  # bad rows
    assert "2 enrolled, 1 already enrolled, 3 bad row(s)" in result.output
    assert "line 4: 'not a number' is not a valid phone number" in result.output
    assert "0 enrolled, 3 already enrolled" in cli("import", str(path)).output


def test_cli_schedules(cli, reminders, tmp_path):
    path = tmp_path / "newborn.json"
    path.write_text(json.dumps(SCHEDULE))
    assert "saved 'newborn' (2 steps)" in cli("schedules", "save", str(path)).output
    assert "newborn" in cli("schedules", "list").output
    cli("enroll", PARENT, "--schedule", "newborn")
    assert cli("schedules", "deactivate", "newborn").exit_code == 0
    assert reminders.enrollments.pending_count() == 0
    cli("schedules", "activate", "newborn")
    assert reminders.enrollments.pending_count() == 1
    refused = cli("schedules", "delete", "newborn")
    assert refused.exit_code == 1 and "--force" in refused.output
    assert "1 enrollment(s) cancelled" in cli("schedules", "delete", "newborn", "--force").output
    assert "ships with the hotline" in cli("schedules", "delete", "checkin").output
