"""Bad input never gets a 5xx or a stack trace, and an unsigned request never changes anything."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.support.reminders import run_worker

FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
any_text = st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=300)
phone_like = st.one_of(any_text, st.from_regex(r"\+[0-9]{1,18}", fullmatch=True), st.just(""))


@FUZZ
@given(body=any_text, sender=phone_like, extra=st.dictionaries(st.text(max_size=20), any_text, max_size=5),
       drop=st.sets(st.sampled_from(["From", "Body", "MessageSid", "To", "AccountSid"])))
def test_any_signed_sms_form_gets_a_twiml_answer(twilio, body, sender, extra, drop):
    params = {**twilio.sms_params(body, sender), **extra}
    for key in drop:
        params.pop(key, None)
    response = twilio.post("/twilio/sms", params)
    assert response.status_code == 200, response.data
    root = ET.fromstring(response.data)
    assert root.tag == "Response"
    assert all(child.tag == "Message" for child in root)


@FUZZ
@given(body=any_text, signature=st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=40))
def test_unsigned_or_wrongly_signed_requests_get_403_and_write_nothing(twilio, client, redis, body, signature):
    before = redis.dbsize()
    params = twilio.sms_params(body, "+15551230001")
    response = client.post("/twilio/sms", data=params, headers={"X-Twilio-Signature": signature})
    assert response.status_code == 403
    assert redis.dbsize() == before


def test_wrong_content_types_are_refused_without_a_server_error(client, twilio):
    for content_type, data in [("application/json", '{"Body": "hi"}'), ("text/plain", "Body=hi"),
                               ("multipart/form-data; boundary=x", "--x--")]:
        response = client.post("/twilio/sms", data=data, headers={
            "Content-Type": content_type, "X-Twilio-Signature": twilio.sign("/twilio/sms", {})})
        assert response.status_code < 500


def test_huge_bodies_are_refused_before_they_are_read(client, twilio):
    params = twilio.sms_params("x" * 100_000, "+15551230001")
    response = client.post("/twilio/sms", data=params, headers={"X-Twilio-Signature": "x"})
    assert response.status_code == 413


# --- The staff API ------------------------------------------------------------------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | any_text,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(any_text, children, max_size=4),
    max_leaves=12,
)
schedule_like = st.fixed_dictionaries({}, optional={
    "name": any_text, "description": any_text, "active": json_values,
    "steps": st.lists(st.fixed_dictionaries({}, optional={
        "after": any_text | st.integers(), "at": any_text, "en": any_text, "es": any_text}), max_size=3),
})
enrollment_like = st.fixed_dictionaries({}, optional={
    "number": phone_like, "schedule": any_text, "language": any_text, "timezone": any_text,
    "baby_name": any_text | st.integers(),
})


def _keys(redis) -> set[bytes]:
    # Bookkeeping, not data a request could half-write: RQ's, the rate limits, and when a token was last used.
    return {k for k in redis.scan_iter(count=1000)
            if not k.startswith((b"rq:", b"hl:limit", b"hl:staff:tokens:used"))}


@FUZZ
@given(path_and_body=st.one_of(
    st.tuples(st.just("/api/schedules"), schedule_like | json_values),
    st.tuples(st.just("/api/enrollments"), enrollment_like | json_values),
))
def test_staff_api_answers_bad_json_with_4xx_and_writes_nothing(client, redis, path_and_body):
    from hotline.store.staff_tokens import StaffTokens

    token = StaffTokens(redis).create("fuzz")
    path, body = path_and_body
    before = _keys(redis)
    response = client.post(path, json=body, headers={"Authorization": f"Bearer {token}"})
    assert response.status_code < 500, response.data
    if response.status_code >= 400:
        assert response.get_json()["error"]  # says what is wrong
        assert _keys(redis) == before  # nothing half-written


@FUZZ
@given(raw=st.binary(max_size=300), content_type=st.sampled_from(
    ["application/json", "text/plain", "text/csv", "application/x-www-form-urlencoded"]))
def test_staff_api_survives_raw_garbage_bodies(client, redis, raw, content_type):
    from hotline.store.staff_tokens import StaffTokens

    token = StaffTokens(redis).create("fuzz")
    for path in ("/api/schedules", "/api/enrollments", "/api/enrollments/import"):
        response = client.post(path, data=raw, headers={"Authorization": f"Bearer {token}",
                                                        "Content-Type": content_type})
        assert response.status_code < 500, (path, response.data)


# --- The inputs the security review found answered with a 500 (F14) ----------------------------------------

NESTED = "[" * 30000 + "]" * 30000


@pytest.fixture
def staff_api(client, redis):  # type: ignore[no-untyped-def]
    from hotline.store.staff_tokens import StaffTokens

    headers = {"Authorization": f"Bearer {StaffTokens(redis).create('nurse')}"}

    def call(method: str, path: str, **kw):  # type: ignore[no-untyped-def]
        return client.open(path, method=method, headers={**headers, **kw.pop("headers", {})}, **kw)

    return call


@pytest.mark.parametrize(("method", "path", "body"), [
    ("GET", "/api/enrollments/%C2%B2", None),  # '²' is a digit to str.isdigit(), not to int()
    ("POST", "/api/enrollments/%C2%B2/cancel", None),
    ("GET", "/api/enrollments/%D9%A3", None),  # Arabic-Indic three
    ("POST", "/api/schedules", NESTED),
    ("POST", "/api/enrollments", NESTED),
    ("POST", "/api/conversations/lookup", NESTED),
    ("POST", "/api/enrollments", '{"number": "+12025550190", "timezone": "America"}'),  # a directory
    ("POST", "/api/enrollments", '{"number": "+12025550190", "timezone": "Europe"}'),
    ("POST", "/api/enrollments", '{"number": "+12025550195", "baby_name": 12345}'),
    ("POST", "/api/enrollments", '{"number": "+12025550196", "timezone": 5}'),
    ("POST", "/api/enrollments", '{"number": "+12025550196", "timezone": ["America/Chicago"]}'),
])
def test_the_staff_api_answers_the_reported_bad_inputs_with_a_message_not_a_server_error(
        staff_api, redis, method, path, body):
    before = _keys(redis)
    response = staff_api(method, path, data=body, headers={"Content-Type": "application/json"} if body else {})
    assert response.status_code in (400, 404), response.data
    assert response.get_json()["error"]
    assert _keys(redis) == before


def test_a_csv_import_with_bad_rows_imports_the_good_ones_and_reports_the_bad_ones_by_line(staff_api, reminders,
                                                                                            redis):
    csv = ("number,timezone,baby_name\n"
           "+12025550201,America/Chicago,\n"
           "+12025550202,Europe,\n"
           "+12025550203,America/Chicago,\n"
           "+12025550204,America/Chicago," + "a" * 140_000 + "\n"
           "+12025550205,,\n")
    response = staff_api("POST", "/api/enrollments/import", data=csv, headers={"Content-Type": "text/csv"})
    assert response.status_code == 202, response.data
    run_worker(redis)
    report = staff_api("GET", response.headers["Location"]).get_json()
    assert report["imported"] == 3
    assert [e["line"] for e in report["errors"]] == [3, 5]
    assert "time zone" in report["errors"][0]["error"] and "too long" in report["errors"][1]["error"]
    assert sorted(e.number for e in reminders.enrollments.all()) == ["+12025550201", "+12025550203", "+12025550205"]


def test_the_dashboard_enroll_form_explains_a_time_zone_that_is_a_region(client, redis, reminders):
    from hotline.store.staff_accounts import StaffAccounts
    from tests.test_staff_access import csrf_from, log_in

    StaffAccounts(redis).add("nurse.kim", "correct horse battery")
    log_in(client)
    token = csrf_from(client.get("/staff/enrollments").data)
    response = client.post("/staff/enrollments", data={
        "csrf_token": token, "number": "+12025550190", "schedule": "checkin", "language": "en",
        "timezone": "America", "baby_name": ""})
    assert response.status_code == 400 and "Unknown time zone" in response.data.decode()


def test_a_login_whose_next_page_has_a_line_break_goes_to_the_overview(client, redis):
    from hotline.store.staff_accounts import StaffAccounts
    from tests.test_staff_access import csrf_from

    StaffAccounts(redis).add("nurse.kim", "correct horse battery")
    login = "/staff/login?next=/staff%0d%0aX-Injected:%20y"
    token = csrf_from(client.get(login).data)
    response = client.post(login, data={"username": "nurse.kim", "password": "correct horse battery",
                                         "csrf_token": token})
    assert response.status_code == 302 and response.headers["Location"] == "/staff/"
    assert "X-Injected" not in response.headers
