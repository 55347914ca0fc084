"""The attacks of the outside security review that HELD, kept as tests so that they keep holding.

The review (../shared/reviews/security-review.md, run at ff59b46) tried about 150 attacks. Its 24 findings
(F1-F24) have their own tests (issue 13's closing note); this file is the other list, "Every attack tried" rows
marked *held* that no test kept (issue 13: "the review's held list still holds"). Each test sends the review's
own payload through the edge the review used (signed Twilio webhooks, the dashboard with a real session and
CSRF token, the API with a bearer token, the CLI), against the real redis-server, and asserts what a nurse or
an operator would notice if the defence broke: markup shown as text instead of parsed, a cookie a script cannot
read, a planted session that stays anonymous, one account however its name is typed, tokens refused unless
exact, a signature that covers exactly what is processed, Redis keys no input can bend, a time zone that
cannot name a file, STOP and red flags read in any width, and no URL from a request fetched.

Section numbers are the review's. Running the markup in Chromium is in tests/test_dashboard_browser.py
(test_stored_and_reflected_markup_never_runs_in_the_browser). A test marked xfail(strict=True) is an attack
that succeeds today: its reason says what happens.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
import socket
import threading
import time
from email.utils import parsedate_to_datetime
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import quote, urlencode, urljoin, urlsplit

import pytest
from twilio.request_validator import RequestValidator

from hotline import create_app
from hotline.devtools.signed import SignedTwilio, new_sid, reply_texts
from hotline.services import build_services
from hotline.store import keys
from hotline.store.audit import RevealAudit
from hotline.store.staff_accounts import AccountError, StaffAccounts
from hotline.store.staff_tokens import StaffTokens
from tests.conftest import AUTH_TOKEN, PUBLIC_BASE_URL
from tests.support.reminders import run_worker
from tests.test_staff_access import csrf_from, log_in
from tests.test_voice import Call, in_language

ROOT = Path(__file__).resolve().parent.parent
PARENT = "+15551230101"
PASSWORD = "correct horse battery"
EMERGENCY = "Call 911 now"
STOPPED = "no more texts"

# The review's stored-XSS payloads (section 1, "SMS Body"), each made to leave a trace if it ever ran:
# window.__pwned, or a request for /pwned-* (which a browser makes even where the page's CSP stops the script).
XSS = [
    "<script>window.__pwned=1</script>",
    "<img src=/pwned-img onerror=window.__pwned=1>",
    '"><svg onload=window.__pwned=1>',
    "javascript:window.__pwned=1",
    "{{7*7}}{% if true %}template-ran{% endif %}",
    "</Message><Redirect>https://evil.example/pwned-twiml</Redirect>",
    "</textarea><script>window.__pwned=1</script>",
]
# What fits where only plain GSM-7 text without braces goes: a baby's name (30 characters) and English step texts.
BABY_XSS = "<img src=x onerror=alert(1)>"  # the review's own, 28 characters, accepted


# --- Reading a page as a browser's HTML parser does ------------------------------------------------------


class Page(HTMLParser):
    """A staff page's elements (with attributes) and its text, as an HTML parser reads them."""

    INJECTED_TAGS = {"img", "svg", "iframe", "object", "embed", "base", "redirect", "message", "math"}

    def __init__(self, body: bytes) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict[str, str]]] = []
        self.texts: list[str] = []
        self.feed(body.decode())
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, {name: value or "" for name, value in attrs}))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)

    def handle_data(self, data: str) -> None:
        self.texts.append(data)

    @property
    def text(self) -> str:
        return "".join(self.texts)

    @property
    def words(self) -> str:
        """The text with every run of white space made one space, as a reader sees it."""
        return " ".join(self.text.split())

    def attribute_values(self, name: str | None = None) -> list[str]:
        return [value for _, attrs in self.elements for key, value in attrs.items() if name in (None, key)]

    def injected(self) -> list[str]:
        """Markup no staff page has of its own: what an injection would add."""
        found = []
        for tag, attrs in self.elements:
            if tag in self.INJECTED_TAGS:
                found.append(f"<{tag}>")
            if tag == "script" and not (attrs.get("src", "").startswith("/static/")
                                        or attrs.get("type") == "application/json"):
                found.append("an inline <script>")
            found += [f"<{tag} {name}>" for name in attrs if name.startswith("on")]
            found += [f"<{tag} {name}={value}>" for name, value in attrs.items()
                      if name in ("href", "src", "action", "formaction")
                      and value.strip().lower().startswith(("javascript:", "data:", "vbscript:"))]
        return found

    def shows(self, payload: str) -> bool:
        """The payload is on the page as text (or as a form field's value), character for character."""
        return payload in self.text or payload in self.attribute_values()


def shown_as_text(response, *payloads: str, status: int = 200) -> Page:  # type: ignore[no-untyped-def]
    assert response.status_code == status, response.data[:500]
    page = Page(response.data)
    assert page.injected() == [], page.injected()
    for payload in payloads:
        assert page.shows(payload), f"{payload!r} is not shown as text"
    return page


def everything_in(redis) -> bytes:  # type: ignore[no-untyped-def]
    """Every key and value in Redis, for 'was this stored anywhere?'."""
    out: list[bytes] = []
    for key in redis.scan_iter(count=1000):
        out.append(key)
        kind = redis.type(key)
        if kind == b"string":
            out.append(redis.get(key) or b"")
        elif kind == b"list":
            out += redis.lrange(key, 0, -1)
        elif kind == b"hash":
            out += [part for item in redis.hgetall(key).items() for part in item]
        elif kind == b"set":
            out += list(redis.smembers(key))
        elif kind == b"zset":
            out += redis.zrange(key, 0, -1)
    return b"\n".join(out)


def snapshot(redis) -> dict[bytes, bytes]:  # type: ignore[no-untyped-def]
    return {key: redis.dump(key) for key in redis.scan_iter(count=1000)}


def written_since(before: dict[bytes, bytes], redis) -> list[bytes]:  # type: ignore[no-untyped-def]
    """Keys added or changed since `before` (a key that expired meanwhile is no write)."""
    return sorted(key for key, value in snapshot(redis).items() if before.get(key) != value)


def hostile_keys(redis) -> list[bytes]:  # type: ignore[no-untyped-def]
    """Keys with a character no key of the hotline has: a glob, a hash tag, a line break, a space."""
    return [key for key in redis.scan_iter(count=1000) if re.search(rb"[*?\[\]{}\s\x00]", key)]


@pytest.fixture
def nurse(redis) -> str:
    StaffAccounts(redis).add("nurse.kim", PASSWORD)
    return "nurse.kim"


@pytest.fixture
def staff(client, nurse):  # type: ignore[no-untyped-def]
    """A logged-in test client (a real session cookie); staff.token is a CSRF token for its forms."""
    assert log_in(client).status_code == 302
    client.token = csrf_from(client.get("/staff/schedules").data)
    return client


@pytest.fixture
def token(redis) -> str:
    return StaffTokens(redis).create("coordinator")


def api(client, method: str, path: str, token: str, **kwargs):  # type: ignore[no-untyped-def]
    return client.open(path, method=method, headers={"Authorization": f"Bearer {token}"}, **kwargs)


def transcript(redis, number: str) -> list[dict]:  # type: ignore[no-untyped-def]
    return [json.loads(e) for e in redis.lrange(keys.transcript(number), 0, -1)]


# ================================ 1. Stored and reflected XSS =================================================


def test_markup_in_a_parents_texts_is_shown_as_text_on_the_overview_the_conversation_and_its_reveal(
        staff, twilio, services, redis):
    for payload in XSS:  # with "seizure", so each is an emergency listed with its flags on the overview
        assert reply_texts(twilio.sms(f"{payload} she is having a seizure", PARENT))
    assert [e["text"] for e in transcript(redis, PARENT) if e["dir"] == "in"] == [
        f"{p} she is having a seizure" for p in XSS]

    overview = shown_as_text(staff.get("/staff/"))
    assert "emergency" in overview.text and "seizure" in overview.text
    shown_as_text(staff.get("/staff/conversations"))
    shown_as_text(staff.get(f"/staff/conversations?q={quote(PARENT)}"))
    ref = services.refs.of(PARENT)
    masked = staff.get(f"/staff/conversations/{ref}")
    shown_as_text(masked, *XSS)
    revealed = staff.post(f"/staff/conversations/{ref}/reveal", data={"csrf_token": csrf_from(masked.data)})
    assert PARENT in shown_as_text(revealed, *XSS).text


def test_markup_typed_into_the_simulator_is_shown_as_text(staff):
    for payload in XSS:
        response = staff.post("/staff/simulator", data={"csrf_token": staff.token, "message": f"{payload} seizure"})
        assert response.status_code == 302
    shown_as_text(staff.get("/staff/simulator"), *XSS)
    staff.post("/staff/simulator", data={"csrf_token": staff.token, "mode": "voice", "action": "call"})
    staff.post("/staff/simulator", data={"csrf_token": staff.token, "mode": "voice", "key": "1"})
    staff.post("/staff/simulator", data={"csrf_token": staff.token, "mode": "voice", "action": "say",
                                         "message": XSS[1]})
    shown_as_text(staff.get("/staff/simulator?mode=voice"), XSS[1])


def test_markup_in_mms_fields_is_never_kept_only_a_count_of_pictures(staff, twilio, services, redis):
    hostile = {"NumMedia": "<script>window.__pwned=1</script>", "MediaUrl0": "javascript:window.__pwned=1",
               "MediaContentType0": 'image/jpeg"><script>window.__pwned=1</script>'}
    for num_media, media in [(hostile["NumMedia"], 0), ("2", 2)]:
        params = {**twilio.sms_params("here is a video of her legs", PARENT), **hostile, "NumMedia": num_media}
        assert reply_texts(twilio.post("/twilio/sms", params))
        last_in = [e for e in transcript(redis, PARENT) if e["dir"] == "in"][-1]
        assert last_in.get("media", 0) == media
    stored = everything_in(redis)
    assert b"javascript:" not in stored and b"<script" not in stored
    page = shown_as_text(staff.get(f"/staff/conversations/{services.refs.of(PARENT)}"))
    assert "[2 picture(s) or video(s) attached, not kept]" in page.text


def test_markup_as_the_sender_is_not_a_number_and_is_answered_without_storing_anything(twilio, redis):
    replies = reply_texts(twilio.sms("she is having a seizure", "<script>window.__pwned=1</script>"))
    assert replies and replies[0].startswith(EMERGENCY)  # answered, statelessly
    assert redis.zcard(keys.CONVERSATIONS) == 0
    assert b"<script" not in everything_in(redis)


def test_markup_a_caller_says_is_shown_as_text_in_the_transcript(staff, twilio, services):
    call = in_language(Call(twilio, PARENT), "en")  # every TwiML answer is checked against Twilio's rules
    heard = call.say(f"{XSS[1]} she is having a seizure")
    assert heard.startswith(EMERGENCY) and "pwned" not in heard
    conversation = staff.get(f"/staff/conversations/{services.refs.of(PARENT)}")
    assert "voice" in shown_as_text(conversation, f"{XSS[1]} she is having a seizure").text


def leave_a_callback(twilio: SignedTwilio, recording_url: str) -> Call:
    """An emergency caller, with no transfer number configured, records a message for a callback."""
    call = Call(twilio, PARENT)
    in_language(call, "en").answers("4", "3", "1")
    call.press("1")
    assert call.root.find("Record") is not None
    call.recorded(recording_url)
    return call


def test_a_recording_url_that_is_not_https_is_refused_so_no_script_link_reaches_the_callbacks_page(
        staff, twilio, client, token):
    leave_a_callback(twilio, "javascript:window.__pwned=1//https://api.twilio.com/Recordings/RE1")
    [callback] = api(client, "GET", "/api/callbacks", token).get_json()["callbacks"]
    assert callback["recording_url"] is None
    page = shown_as_text(staff.get("/staff/callbacks"))
    assert not [href for href in page.attribute_values("href") if "javascript" in href.lower()]


def test_a_recording_url_with_markup_is_kept_only_inside_its_link(staff, twilio, client, token):
    url = 'https://evil.example/"><script>window.__pwned=1</script>'
    leave_a_callback(twilio, url)
    [callback] = api(client, "GET", "/api/callbacks", token).get_json()["callbacks"]
    assert callback["recording_url"] == url  # any https URL can be stored: only Twilio can sign one
    page = shown_as_text(staff.get("/staff/callbacks"))
    assert url in page.attribute_values("href")  # the whole URL is the link, nothing escapes the attribute


SCHEDULE_TEXTS = {  # plain GSM-7 (English), no braces (placeholders): the review's markup still fits
    "description": "<img src=/pwned-img onerror=window.__pwned=1> {{7*7}}",
    "en": "</textarea><script>window.__pwned=1</script> Text STOP to stop",
    "es": '"><svg onload=window.__pwned=1> STOP para salir',
}


def schedule_form(token: str, name: str, en: str, es: str, description: str) -> dict[str, str]:
    return {"csrf_token": token, "name": name, "description": description, "active": "1", "checkin": "1",
            "step_count": "1", "action": "save", "step-0-amount": "1", "step-0-unit": "day", "step-0-at": "",
            "step-0-en": en, "step-0-es": es}


def test_markup_in_a_schedules_description_and_texts_is_shown_as_text_wherever_it_is_edited_or_listed(
        staff, client, token):
    created = api(client, "POST", "/api/schedules", token, json={
        "name": "from-the-api", "description": SCHEDULE_TEXTS["description"],
        "steps": [{"after": "1 day", "text": {"en": SCHEDULE_TEXTS["en"], "es": SCHEDULE_TEXTS["es"]}}]})
    assert created.status_code == 201, created.get_json()
    form = staff.post("/staff/schedules/new", data=schedule_form(staff.token, "from-the-form", SCHEDULE_TEXTS["en"],
                                                                 SCHEDULE_TEXTS["es"], SCHEDULE_TEXTS["description"]))
    assert form.status_code == 302
    shown_as_text(staff.get("/staff/schedules"), SCHEDULE_TEXTS["description"])
    for name in ("from-the-api", "from-the-form"):
        shown_as_text(staff.get(f"/staff/schedules/{name}"), *SCHEDULE_TEXTS.values())
    # The editor's error path shows what was typed again (here: an English text without STOP).
    for path, name in [("/staff/schedules/new", "another"), ("/staff/schedules/from-the-form", "from-the-form")]:
        refused = staff.post(path, data=schedule_form(staff.token, name, "</textarea><script>window.__pwned=1</script>",
                                                      SCHEDULE_TEXTS["es"], SCHEDULE_TEXTS["description"]))
        page = shown_as_text(refused, "</textarea><script>window.__pwned=1</script>", SCHEDULE_TEXTS["es"],
                             SCHEDULE_TEXTS["description"], status=400)
        assert "mention STOP" in page.text


def test_a_schedule_name_with_markup_is_refused_and_the_refusal_shows_it_as_text(staff, client, token):
    name = "<img src=/pwned-img onerror=window.__pwned=1>"
    refused = api(client, "POST", "/api/schedules", token, json={
        "name": name, "steps": [{"after": "1 day", "text": {"en": "Hi. STOP to stop", "es": "Hola. STOP"}}]})
    assert refused.status_code == 400 and refused.mimetype == "application/json"
    page = shown_as_text(staff.post("/staff/schedules/new", data=schedule_form(
        staff.token, name, "Hi. Text STOP to stop", "Hola. STOP para salir", "")), name, status=400)
    assert "must be 1-40 lowercase letters" in page.text
    listed = api(client, "GET", "/api/schedules", token).get_json()["schedules"]
    assert listed and name not in [s["name"] for s in listed]


def csv_bytes(rows: list[list[str]]) -> bytes:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    return out.getvalue().encode()


def upload(staff, content: bytes, name: str = "parents.csv"):  # type: ignore[no-untyped-def]
    return staff.post("/staff/enrollments/import", content_type="multipart/form-data", data={
        "csrf_token": staff.token, "schedule": "checkin", "file": (io.BytesIO(content), name)})


def test_markup_as_a_babys_name_from_the_api_the_form_or_a_csv_is_shown_as_text(staff, client, token, redis, env):
    assert api(client, "POST", "/api/enrollments", token, json={
        "number": "+12025550141", "baby_name": BABY_XSS}).status_code == 201
    assert staff.post("/staff/enrollments", data={"csrf_token": staff.token, "number": "+12025550142",
                                                  "schedule": "checkin", "baby_name": BABY_XSS}).status_code == 302
    response = upload(staff, csv_bytes([["number", "baby_name"], ["+12025550143", BABY_XSS]]))
    assert response.status_code == 303
    run_worker(redis)
    page = shown_as_text(staff.get("/staff/enrollments"), BABY_XSS)
    assert page.text.count(BABY_XSS) == 3
    # The form's error path (a bad number) shows the name typed again, in its field.
    refused = staff.post("/staff/enrollments", data={"csrf_token": staff.token, "number": "555-CALL-ME",
                                                     "schedule": "checkin", "baby_name": BABY_XSS})
    assert BABY_XSS in shown_as_text(refused, status=400).attribute_values("value")


def test_markup_in_a_csv_and_its_file_name_is_shown_as_text_in_the_import_report(staff, client, token, redis, env):
    rows = [["number", "schedule", "language", "timezone"],
            ["<img src=/pwned-img onerror=window.__pwned=1>", "checkin", "en", ""],
            ["+12025550151", "<script>window.__pwned=1</script>", "en", ""],
            ["+12025550152", "checkin", '"><svg onload=window.__pwned=1>', ""],
            ["+12025550153", "checkin", "en", "</textarea><script>window.__pwned=1</script>"],
            ["+12025550154", "checkin", "en", ""]]
    filename = "<img src=/pwned-file onerror=window.__pwned=1>.csv"
    response = upload(staff, csv_bytes(rows), filename)
    assert response.status_code == 303
    run_worker(redis)
    page = shown_as_text(staff.get(response.headers["Location"]), filename, *[
        "'<img src=/pwned-img onerror=window.__pwned=1>' is not a valid phone number",
        "no schedule named '<script>window.__pwned=1</script>'",
        "got '\"><svg onload=window.__pwned=1>'",
        "unknown time zone '</textarea><script>window.__pwned=1</script>'"])
    assert "1 imported, 0 already enrolled, 4 row(s) with problems" in page.words

    # The API gives the same report as JSON, which no browser renders as a page.
    started = api(client, "POST", "/api/enrollments/import", token, data=csv_bytes(rows), content_type="text/csv")
    assert started.status_code == 202
    run_worker(redis)
    report = api(client, "GET", started.headers["Location"], token)
    assert report.mimetype == "application/json" and report.headers["X-Content-Type-Options"] == "nosniff"
    assert any("<script>" in e["error"] for e in report.get_json()["errors"])


def test_a_staff_username_with_markup_is_refused(settings, redis, monkeypatch):
    from click.testing import CliRunner

    from hotline.cli import main

    monkeypatch.setenv("REDIS_URL", settings.redis_url)
    result = CliRunner().invoke(main, ["staff", "add", "<script>x</script>", "--password", PASSWORD])
    assert result.exit_code != 0 and "lowercase letters, digits" in result.output
    assert StaffAccounts(redis).usernames() == []


def test_an_api_token_named_with_markup_is_shown_as_text_where_its_reveals_are_listed(
        staff, twilio, settings, client, redis, monkeypatch):
    from click.testing import CliRunner

    from hotline.cli import main

    name = "<img src=/pwned-img onerror=window.__pwned=1>"
    monkeypatch.setenv("REDIS_URL", settings.redis_url)
    result = CliRunner().invoke(main, ["staff", "token", name])
    assert result.exit_code == 0, result.output
    token = result.output.strip().splitlines()[-1]
    call = Call(twilio, PARENT)
    in_language(call, "en").press("9")
    call.press("1")  # a callback request
    assert api(client, "GET", "/api/callbacks?reveal=1", token).status_code == 200
    assert [r.by for r in RevealAudit(redis).recent()] == [name]
    shown_as_text(staff.get("/staff/reveals"), name)


def test_markup_in_the_console_outbox_is_shown_as_text(staff, redis):
    for payload in XSS:
        redis.lpush(keys.OUTBOX, json.dumps({"sid": "SMdev1", "to": payload, "body": payload, "at": time.time()}))
    shown_as_text(staff.get("/staff/outbox"), *XSS)


@pytest.mark.parametrize("payload", XSS)
def test_markup_in_a_url_or_a_form_is_not_reflected_as_markup(staff, payload):
    quoted = quote(payload, safe="")
    assert "is not a phone number" in shown_as_text(staff.get(f"/staff/conversations?q={quoted}"), payload).text
    shown_as_text(staff.get(f"/staff/enrollments?schedule={quoted}&status={quoted}"))
    shown_as_text(staff.get(f"/staff/simulator?mode={quoted}"))
    for path in (f"/staff/{quoted}", f"/staff/conversations/{quoted}", f"/api/{quoted}",
                 f"/staff/schedules/{quoted}", f"/staff/enrollments/import/{quoted}"):
        response = staff.get(path)
        assert response.status_code == 404, path
        assert Page(response.data).injected() == [] and payload.encode() not in response.data, path
    refused = staff.post("/staff/enrollments", data={"csrf_token": staff.token, "number": payload})
    assert "is not a valid phone number" in shown_as_text(refused, payload, status=400).text
    refused = staff.post("/staff/enrollments", data={"csrf_token": staff.token, "number": "+12025550161",
                                                     "timezone": payload})
    assert "Unknown time zone" in shown_as_text(refused, payload, status=400).text


@pytest.mark.parametrize("payload", XSS)
def test_a_parents_markup_never_reaches_the_twiml_of_a_text_or_a_call(twilio, payload):
    response = twilio.sms(f"{payload} is my baby ok", PARENT)
    replies = reply_texts(response)  # well-formed TwiML whose root is <Response>
    assert replies and all(payload not in reply for reply in replies)
    assert b"Redirect" not in response.data and b"evil.example" not in response.data
    call = in_language(Call(twilio, "+15551230102"), "en")
    heard = call.say(payload)  # each answer checked against Twilio's TwiML rules
    assert payload not in heard
    assert all(b"evil.example" not in document and b"pwned" not in document for document in call.documents)


# ================================ 2. Sessions and CSRF =======================================================


@pytest.fixture
def forms(services, redis, twilio):  # type: ignore[no-untyped-def]
    """Every form of the dashboard that changes something (path, fields besides the CSRF token)."""
    from hotline.reminders.schedules import parse_schedule

    reminders = services.reminders
    reminders.schedules.save(parse_schedule({"name": "fever", "steps": [
        {"after": "1 day", "text": {"en": "Hi. Text STOP to stop", "es": "Hola. STOP para salir"}}]}))
    enrollment = reminders.enroll("+12025550171", "fever").enrollment
    twilio.sms("she is having a seizure", PARENT)
    call = Call(twilio, "+15551230102")
    in_language(call, "en").press("9")
    call.press("1")
    return [
        ("/staff/logout", {}),
        ("/staff/simulator", {"message": "she is having a seizure"}),
        ("/staff/callbacks", {"id": call.sid}),
        ("/staff/callbacks/" + call.sid + "/reveal", {}),
        ("/staff/conversations/" + services.refs.of(PARENT) + "/reveal", {}),
        ("/staff/schedules/new", schedule_form("", "forged", "Hi. Text STOP to stop", "Hola. STOP", "")),
        ("/staff/schedules/fever", schedule_form("", "fever", "Changed. Text STOP to stop", "Hola. STOP", "")),
        ("/staff/schedules/fever/active", {"active": "0"}),
        ("/staff/schedules/fever/delete", {"cancel_enrollments": "1"}),
        ("/staff/enrollments", {"number": "+12025550172", "schedule": "fever"}),
        ("/staff/enrollments/import", {"schedule": "fever",
                                       "file": (io.BytesIO(b"number\n+12025550173\n"), "parents.csv")}),
        (f"/staff/enrollments/{enrollment.id}/cancel", {}),
    ]


@pytest.mark.parametrize("csrf", ["none", "forged", "another session's"])
def test_every_dashboard_form_refuses_a_missing_forged_or_borrowed_csrf_token_and_changes_nothing(
        app, staff, redis, forms, csrf):
    StaffAccounts(redis).add("nurse.lee", "another long password")
    other = app.test_client()
    assert log_in(other, "nurse.lee", "another long password").status_code == 302
    tokens = {"none": None, "forged": "IjNmM2FlZDk0YjQ1ZGM4MTQ1ZTk0In0.Z7xq3A.forged-forged-forged-forged",
              "another session's": csrf_from(other.get("/staff/").data)}
    before = snapshot(redis)
    for path, fields in forms:
        data = {k: (io.BytesIO(v[0].getvalue()), v[1]) if isinstance(v, tuple) else v
                for k, v in fields.items() if k != "csrf_token"}
        if tokens[csrf] is not None:
            data["csrf_token"] = tokens[csrf]
        response = staff.post(path, data=data)
        assert response.status_code == 400, (path, response.status_code)
        assert b"CSRF" in response.data, path
    assert written_since(before, redis) == []
    assert staff.get("/staff/").status_code == 200  # and the nurse is still logged in
    right = staff.post("/staff/schedules/fever/active", data={"csrf_token": staff.token, "active": "0"})
    assert right.status_code == 302  # the right token works


def test_a_login_without_a_csrf_token_or_without_the_cookie_it_belongs_to_is_refused(app, nurse):
    first = app.test_client()
    token = csrf_from(first.get("/staff/login").data)
    no_token = first.post("/staff/login", data={"username": nurse, "password": PASSWORD})
    no_cookie = app.test_client().post("/staff/login", data={"username": nurse, "password": PASSWORD,
                                                             "csrf_token": token})
    assert no_token.status_code == no_cookie.status_code == 400
    assert first.get("/staff/").status_code == 302


def where_a_browser_goes(location: str, page: str = "http://localhost/staff/login") -> str:
    """The host a browser lands on from a Location header: it drops tabs and line breaks and reads a backslash
    as a slash (the WHATWG URL standard), so '/\\evil.example' is another site, as '//evil.example' is."""
    cleaned = re.sub(r"[\t\n\r]", "", location).replace("\\", "/")
    return urlsplit(urljoin(page, cleaned)).netloc


OPEN_REDIRECTS = [  # the review's `next=` values, URL-decoded as the app receives them
    "javascript:alert(1)", "//evil.example/", "/staff/..//evil.example", "/staff/../..//evil.example",
    "/staff@evil.example", "/staff\\evil.example", "/staff/../\\evil.example/", "/staff/\t//evil.example",
    "/staff/..///evil.example", "/staff\r\nSet-Cookie: pwn=1", "/\\evil.example", "/staff/\n/evil.example",
]


@pytest.mark.parametrize("target", OPEN_REDIRECTS)
def test_after_login_no_next_value_leads_off_the_site_or_injects_a_header(client, nurse, target):
    token = csrf_from(client.get("/staff/login").data)
    response = client.post("/staff/login", query_string={"next": target},
                           data={"username": nurse, "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 302
    assert where_a_browser_goes(response.headers["Location"]) == "localhost", response.headers["Location"]
    assert "pwn" not in " ".join(response.headers.getlist("Set-Cookie"))
    assert all("\n" not in value and "\r" not in value for _, value in response.headers)


def cookie_attributes(header: str) -> dict[str, str]:
    name_value, *attributes = [part.strip() for part in header.split(";")]
    parsed = {"name": name_value.split("=", 1)[0]}
    for attribute in attributes:
        key, _, value = attribute.partition("=")
        parsed[key.lower()] = value
    return parsed


def test_in_production_the_only_cookie_is_the_session_secure_httponly_lax_for_eight_hours(settings, redis, nurse):
    app = create_app(services=build_services(settings.with_(env="production")))
    client = app.test_client()
    # Over https Flask-WTF also wants a same-site Referer on a form post, as a browser sends it.
    https = {"base_url": "https://hotline.example.org", "headers": {"Referer": "https://hotline.example.org/staff/login"}}
    login_page = client.get("/staff/login", **https)
    # Flask-WTF keeps the CSRF secret inside the session: there is no second, unprotected cookie.
    [before] = [cookie_attributes(h) for h in login_page.headers.getlist("Set-Cookie")]
    response = client.post("/staff/login", data={"username": nurse, "password": PASSWORD,
                                                 "csrf_token": csrf_from(login_page.data)}, **https)
    assert response.status_code == 302
    [after] = [cookie_attributes(h) for h in response.headers.getlist("Set-Cookie")]
    for cookie in (before, after):
        assert cookie["name"] == "session"
        assert "secure" in cookie and "httponly" in cookie and cookie["samesite"] == "Lax", cookie
    lifetime = parsedate_to_datetime(after["expires"]).timestamp() - time.time()
    assert 8 * 3600 - 120 < lifetime <= 8 * 3600 + 5


def test_outside_production_the_session_cookie_is_still_httponly_and_lax(client, nurse):
    response = log_in(client)
    [cookie] = [cookie_attributes(h) for h in response.headers.getlist("Set-Cookie")]
    assert "httponly" in cookie and cookie["samesite"] == "Lax"
    assert "secure" not in cookie  # `hotline dev` serves plain http on 127.0.0.1


def test_a_session_cookie_planted_before_login_is_replaced_and_stays_anonymous(app, nurse):
    attacker = app.test_client()
    planted_page = attacker.get("/staff/login")
    planted, planted_token = attacker.get_cookie("session").value, csrf_from(planted_page.data)
    victim = app.test_client()
    victim.set_cookie("session", planted)  # set by the attacker in the nurse's browser
    response = victim.post("/staff/login", data={"username": nurse, "password": PASSWORD,
                                                 "csrf_token": planted_token})
    assert response.status_code == 302
    assert victim.get_cookie("session").value != planted
    assert victim.get("/staff/").status_code == 200
    replayed = attacker.get("/staff/")  # the attacker's copy of the planted cookie did not log in with her
    assert replayed.status_code == 302 and "/staff/login" in replayed.headers["Location"]
    # Nor does the CSRF token that came with the planted cookie work in her new session.
    forged = victim.post("/staff/simulator", data={"csrf_token": planted_token, "message": "hi"})
    assert forged.status_code == 400


KIM_PASSWORD = "CorrectHorse42!"
SAME_NAME = ["KIM", " kim ", "Kim\t", "\u212aim", "kim\u00a0"]  # upper case, spaces, a tab, the Kelvin sign, NBSP
LOOKALIKES = ["\uff4b\uff49\uff4d", "k\u0131m", "k\u0456m", "kim\u200b"]  # fullwidth, dotless i, Cyrillic i, ZWSP


@pytest.fixture
def kim(redis) -> str:
    StaffAccounts(redis).add("kim", KIM_PASSWORD)
    return "kim"


@pytest.mark.parametrize("spelling", SAME_NAME + LOOKALIKES)
def test_no_spelling_of_a_username_makes_a_second_account(redis, kim, settings, monkeypatch, spelling):
    from click.testing import CliRunner

    from hotline.cli import main

    with pytest.raises(AccountError):
        StaffAccounts(redis).add(spelling, "another long password")
    monkeypatch.setenv("REDIS_URL", settings.redis_url)
    result = CliRunner().invoke(main, ["staff", "add", spelling, "--password", "another long password"])
    assert result.exit_code != 0
    assert StaffAccounts(redis).usernames() == ["kim"]
    assert StaffAccounts(redis).verify("kim", KIM_PASSWORD)


@pytest.mark.parametrize("spelling", SAME_NAME)
def test_a_username_typed_in_upper_case_with_spaces_or_a_kelvin_sign_logs_in_to_the_one_account(client, kim,
                                                                                              spelling):
    assert log_in(client, spelling, KIM_PASSWORD).status_code == 302
    assert "Log out kim" in Page(client.get("/staff/").data).text


def test_every_spelling_of_a_username_counts_against_the_same_failed_login_limit(client, kim):
    for spelling in SAME_NAME:  # five wrong passwords, each under another spelling of "kim"
        assert log_in(client, spelling, "wrong password!").status_code == 401
    locked = log_in(client, "kim", KIM_PASSWORD)
    assert locked.status_code == 429 and "Too many failed logins" in Page(locked.data).text
    assert client.get("/staff/").status_code == 302


@pytest.mark.parametrize("lookalike", LOOKALIKES)
def test_a_lookalike_username_never_opens_the_account_even_with_its_password(client, kim, lookalike):
    response = log_in(client, lookalike, KIM_PASSWORD)
    assert response.status_code == 401 and "do not match" in Page(response.data).text
    assert client.get("/staff/").status_code == 302


def without_csrf(body: bytes) -> bytes:
    return re.sub(rb'name="csrf_token" value="[^"]+"', b"", body)


def test_a_wrong_password_and_a_missing_user_get_the_same_answer(app, kim):
    known = log_in(app.test_client(), "kim", "wrong password!")
    unknown = log_in(app.test_client(), "nobody-here", "wrong password!")
    assert known.status_code == unknown.status_code == 401
    assert without_csrf(known.data) == without_csrf(unknown.data)


@pytest.mark.parametrize("password", ["wrong password!", "x" * 60_000])
def test_a_login_for_a_missing_user_does_the_same_password_hashing_as_for_a_real_one(client, kim, monkeypatch,
                                                                                     password):
    """The review's timing attack (12 tries each: 100.7 ms for kim, 97.5 ms for nobody) held because both
    paths run one Argon2 computation with the same cost. Timing it here would be flaky on a busy machine, so
    this checks the cause instead: each login runs Argon2 exactly once, with the same parameters."""
    import argon2._password_hasher as hasher
    from argon2 import extract_parameters

    runs: list[tuple[str, int, int, int]] = []
    real_hash, real_verify = hasher.hash_secret, hasher.verify_secret

    def hash_secret(**kwargs):  # type: ignore[no-untyped-def]
        runs.append(("hash", kwargs["time_cost"], kwargs["memory_cost"], kwargs["parallelism"]))
        return real_hash(**kwargs)

    def verify_secret(hash, secret, type):  # type: ignore[no-untyped-def]  # noqa: A002
        cost = extract_parameters(hash.decode())
        runs.append(("verify", cost.time_cost, cost.memory_cost, cost.parallelism))
        return real_verify(hash, secret, type)

    monkeypatch.setattr(hasher, "hash_secret", hash_secret)
    monkeypatch.setattr(hasher, "verify_secret", verify_secret)
    assert log_in(client, "kim", password).status_code == 401
    [(_, *known_cost)] = runs
    runs.clear()
    assert log_in(client, "nobody-here", password).status_code == 401
    [(_, *unknown_cost)] = runs
    assert known_cost == unknown_cost


def test_rotating_forwarded_for_headers_does_not_escape_the_per_address_limit_without_a_trusted_proxy(client, kim):
    for attempt in range(20):  # a new username and a new "address" for every guess
        headers = {"X-Forwarded-For": f"198.51.100.{attempt}", "X-Real-IP": f"203.0.113.{attempt}"}
        token = csrf_from(client.get("/staff/login", headers=headers).data)
        response = client.post("/staff/login", headers=headers, data={
            "username": f"guess{attempt}", "password": "wrong password!", "csrf_token": token})
        assert response.status_code == 401
    headers = {"X-Forwarded-For": "192.0.2.99", "X-Real-IP": "192.0.2.99"}
    token = csrf_from(client.get("/staff/login", headers=headers).data)
    response = client.post("/staff/login", headers=headers, data={"username": "kim", "password": KIM_PASSWORD,
                                                                  "csrf_token": token})
    assert response.status_code == 429


# ================================ 3. API tokens and access control ==========================================


def api_routes(app) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    routes = []
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/"):
            path = re.sub(r"<(?:[^:>]+:)?([^>]+)>", "1", rule.rule)
            routes += [(method, path) for method in sorted(rule.methods - {"HEAD", "OPTIONS"})]
    return routes


def test_every_api_route_refuses_every_variant_of_a_token_but_the_token_itself(app, staff, redis):
    tokens = StaffTokens(redis)
    good = tokens.create("coordinator")
    revoked = tokens.create("revokeme")
    assert tokens.revoke("revokeme") == 1
    digest = hashlib.sha256(good.encode()).hexdigest()
    assert redis.hexists(keys.STAFF_TOKENS, digest) and good.encode() not in everything_in(redis)
    variants = {
        "no header": {}, "empty bearer": {"Authorization": "Bearer "}, "bare scheme": {"Authorization": "Bearer"},
        "basic": {"Authorization": f"Basic {good}"}, "token scheme": {"Authorization": f"token {good}"},
        "x-api-key": {"X-Api-Key": good}, "revoked": {"Authorization": f"Bearer {revoked}"},
        "truncated": {"Authorization": f"Bearer {good[:-1]}"}, "prefix only": {"Authorization": f"Bearer {good[:4]}"},
        "suffix added": {"Authorization": f"Bearer {good}x"}, "prefix added": {"Authorization": f"Bearer x{good}"},
        "upper case": {"Authorization": f"Bearer {good.upper()}"},
        "lower case": {"Authorization": f"Bearer {good.lower()}"},
        "case swapped": {"Authorization": f"Bearer {good.swapcase()}"},
        "space inside": {"Authorization": f"Bearer {good[:20]} {good[20:]}"},
        "its digest": {"Authorization": f"Bearer {digest}"},
        "revoked digest": {"Authorization": f"Bearer {hashlib.sha256(revoked.encode()).hexdigest()}"},
        "NUL appended": {"Authorization": f"Bearer {good}\x00"},
    }
    routes = api_routes(app)
    assert len(routes) >= 16
    query = urlencode({"token": good, "access_token": good, "api_key": good})
    anonymous = app.test_client()
    for method, path in routes:
        for name, headers in variants.items():
            response = anonymous.open(path, method=method, headers=headers, json={})
            assert response.status_code in ((400, 401) if name == "NUL appended" else (401,)), (name, method, path)
        assert anonymous.open(f"{path}?{query}", method=method).status_code == 401, path
        assert staff.open(path, method=method, json={}).status_code == 401, path  # a dashboard session is no token
    spaced = anonymous.get("/api/schedules", headers={"Authorization": f"bearer   {good}  "})
    assert spaced.status_code == 200  # the token itself, however the header is spaced, is accepted


# ================================ 4. Twilio signatures ======================================================


def test_duplicate_form_keys_appended_to_a_signed_body_are_ignored_by_the_check_and_the_handling(
        client, twilio, redis):
    params = twilio.sms_params("hi", PARENT)
    appended = urlencode({"Body": "she is having a seizure", "From": "+15551239999", "MessageSid": "SMevil"})
    response = client.post("/twilio/sms", data=f"{urlencode(params)}&{appended}",
                           content_type="application/x-www-form-urlencoded",
                           headers={"X-Twilio-Signature": twilio.sign("/twilio/sms", params)})
    replies = reply_texts(response)
    assert not any(EMERGENCY in reply for reply in replies)
    assert [e["text"] for e in transcript(redis, PARENT) if e["dir"] == "in"] == ["hi"]
    assert redis.zrange(keys.CONVERSATIONS, 0, -1) == [PARENT.encode()]
    assert not redis.exists(keys.reply("SMevil")) and b"+15551239999" not in everything_in(redis)


def test_a_duplicate_form_key_prepended_to_a_signed_body_fails_the_signature(client, twilio, redis):
    params = twilio.sms_params("hi", PARENT)
    response = client.post("/twilio/sms", data=f"Body=she+is+having+a+seizure&{urlencode(params)}",
                           content_type="application/x-www-form-urlencoded",
                           headers={"X-Twilio-Signature": twilio.sign("/twilio/sms", params)})
    assert response.status_code == 403
    assert redis.zcard(keys.CONVERSATIONS) == 0


@pytest.mark.parametrize("trust_proxy", [False, True])
def test_with_the_public_url_set_the_host_header_never_changes_the_url_whose_signature_is_checked(
        settings, redis, trust_proxy):
    client = create_app(services=build_services(settings.with_(trust_proxy=trust_proxy))).test_client()
    params = SignedTwilio(client, AUTH_TOKEN, PUBLIC_BASE_URL, "AC1").sms_params("hi", PARENT)
    for_evil = RequestValidator(AUTH_TOKEN).compute_signature("http://evil.example/twilio/sms", params)
    genuine = RequestValidator(AUTH_TOKEN).compute_signature(f"{PUBLIC_BASE_URL}/twilio/sms", params)
    spoofs = [{"base_url": "http://evil.example"},
              {"headers": {"X-Forwarded-Host": "evil.example", "X-Forwarded-Proto": "http"}},
              {"base_url": "http://evil.example", "headers": {"X-Forwarded-Host": "evil.example",
                                                              "X-Forwarded-Proto": "http"}}]
    for spoof in spoofs:
        headers = {"X-Twilio-Signature": for_evil, **spoof.get("headers", {})}
        response = client.post("/twilio/sms", data=params, headers=headers, base_url=spoof.get("base_url"))
        assert response.status_code == 403, spoof
    assert redis.zcard(keys.CONVERSATIONS) == 0
    # And the signature Twilio made for the public URL still holds whatever Host the request names.
    headers = {"X-Twilio-Signature": genuine, **spoofs[2]["headers"]}
    assert client.post("/twilio/sms", data=params, headers=headers, base_url="http://evil.example").status_code == 200


def json_signed(body: str) -> tuple[str, str]:
    """Twilio's JSON webhooks: the body's SHA-256 goes in the URL, which alone is signed."""
    path = f"/twilio/sms?bodySHA256={hashlib.sha256(body.encode()).hexdigest()}"
    return path, RequestValidator(AUTH_TOKEN).compute_signature(PUBLIC_BASE_URL + path, {})


def test_a_json_body_signed_by_its_sha256_is_never_read_and_cannot_be_swapped_or_reused(client, twilio, redis):
    body = json.dumps({"Body": "she is having a seizure", "From": PARENT, "MessageSid": new_sid("SM")})
    path, signature = json_signed(body)
    signed = client.post(path, data=body, content_type="application/json", headers={"X-Twilio-Signature": signature})
    assert signed.status_code == 200  # valid, but its JSON is no form: nothing in it is read
    assert not any(EMERGENCY in reply for reply in reply_texts(signed))
    assert redis.zcard(keys.CONVERSATIONS) == 0

    changed = body.replace("seizure", "fever")
    other_path, _ = json_signed(changed)
    form = twilio.sms_params("she is having a seizure", PARENT)
    for what, sent_to, data, content_type in [
            ("changed body, same hash and signature", path, changed, "application/json"),
            ("new body and hash, old signature", other_path, changed, "application/json"),
            ("the JSON URL's signature on a form", path, form, None)]:
        response = client.post(sent_to, data=data, content_type=content_type,
                               headers={"X-Twilio-Signature": signature})
        assert response.status_code == 403, what
    assert redis.zcard(keys.CONVERSATIONS) == 0


# ================================ 5. Injection and input handling ===========================================


@pytest.mark.parametrize("sender", ["+1555123*", "+1555:1234567", "*", "+12025550161:x", "9" * 5000,
                                    "+1202555{0161}", "+1202555\n0161", "+12025550161\r\nx"])
def test_a_sender_that_is_not_a_number_writes_no_key_at_all(twilio, redis, sender):
    before = snapshot(redis)
    replies = reply_texts(twilio.sms("she is having a seizure", sender))
    assert replies[0].startswith(EMERGENCY)  # answered, statelessly
    assert written_since(before, redis) == []


SPELLINGS = ["+1 202 555 0180", "12025550180", "(202) 555-0180", "+1-202-555-0180", "+12025550180 ",
             "+12025550180\n", "\uff0b\uff11\uff12\uff10\uff12\uff15\uff15\uff15\uff10\uff11\uff18\uff10",
             "+\u0661\u0662\u0660\u0662\u0665\u0665\u0665\u0660\u0661\u0668\u0660"]  # fullwidth; Arabic-Indic


def test_every_spelling_of_one_number_is_one_conversation_and_one_rate_counter(twilio, redis):
    for spelling in SPELLINGS:
        assert reply_texts(twilio.sms("hi", spelling))
    assert redis.zrange(keys.CONVERSATIONS, 0, -1) == [b"+12025550180"]
    assert int(redis.get(keys.rate("+12025550180"))) == len(SPELLINGS)


# Found while writing these tests (beyond the review): E164 used \d, which matches any script's digits.
@pytest.mark.parametrize("spelling", ["+1\uff12\uff10\uff12\uff15\uff15\uff15\uff10\uff11\uff18\uff10",
                                      "+1\u0662\u0660\u0662\u0665\u0665\u0665\u0660\u0661\u0668\u0660"])
def test_a_number_with_ascii_first_digits_and_other_digits_after_is_the_same_number(twilio, redis, spelling):
    twilio.sms("hi", "+12025550180")
    twilio.sms("hi", spelling)
    assert redis.zrange(keys.CONVERSATIONS, 0, -1) == [b"+12025550180"]


def test_call_and_message_sids_cannot_shape_a_key(twilio, redis):
    for sid in ["CA*", "CA:evil:1", "CA\nx", "***", "\u03a3\u03a3\u03a3", "CA" + "a" * 500, "CA{x}"]:
        response = twilio.post("/twilio/voice", twilio.voice_params(sid, PARENT))
        assert response.status_code == 200 and b"<Response>" in response.data
    for sid in ["SM*", "SM:tok:abc", "SM\nx", "tok", "\u03a3\u039c1", "SM{x}"]:
        assert reply_texts(twilio.sms("hi", PARENT, message_sid=sid))
    assert hostile_keys(redis) == []
    calls = [key.decode() for key in redis.scan_iter("hl:call:*")]
    assert calls and all(re.fullmatch(r"hl:call:\w{0,64}(:reply:\d+)?", key) for key in calls), calls
    assert redis.exists(keys.reply("SMtokabc")) and not redis.exists("hl:reply:SM:tok:abc")


@pytest.mark.parametrize("ref", ["*", "n_*", "n_:x", "n_{x}", "n_\nx", "n_?", "n_[a-f]*", "hl:ref:n_"])
def test_a_conversation_reference_with_key_syntax_opens_nothing_and_records_no_reveal(staff, twilio, services,
                                                                                     redis, ref):
    twilio.sms("hi", PARENT)
    real = services.refs.of(PARENT)
    for variant in (ref, real + ref, real[:-1] + ref):
        quoted = quote(variant, safe="")
        assert staff.get(f"/staff/conversations/{quoted}").status_code == 404, variant
        assert staff.post(f"/staff/conversations/{quoted}/reveal",
                          data={"csrf_token": staff.token}).status_code == 404, variant
    assert RevealAudit(redis).recent() == []
    assert hostile_keys(redis) == []


@pytest.mark.parametrize("name", ["check*", "*", "checkin:x", "{checkin}", "checkin\n", "checkin\r", "check?n",
                                  "checkin "])
def test_a_schedule_name_with_key_syntax_names_no_schedule_and_writes_no_key(staff, client, token, services,
                                                                            redis, name):
    enrolled = services.reminders.enroll("+12025550181", "checkin").enrollment
    quoted = quote(name, safe="")
    assert api(client, "GET", f"/api/schedules/{quoted}", token).status_code == 404
    assert api(client, "PUT", f"/api/schedules/{quoted}", token, json={}).status_code == 404
    assert api(client, "DELETE", f"/api/schedules/{quoted}", token).status_code == 404
    created = api(client, "POST", "/api/schedules", token, json={"name": name, "steps": [
        {"after": "1 day", "text": {"en": "Hi. Text STOP to stop", "es": "Hola. STOP para salir"}}]})
    assert created.status_code == 400 and "must be 1-40 lowercase letters" in created.get_json()["error"]
    enroll = api(client, "POST", "/api/enrollments", token, json={"number": "+12025550182", "schedule": name})
    assert enroll.status_code == 404 and "no schedule named" in enroll.get_json()["error"]
    listed = api(client, "GET", f"/api/enrollments?schedule={quoted}", token).get_json()
    assert listed["total"] == 0
    page = Page(staff.get(f"/staff/enrollments?schedule={quoted}").data)
    assert "No enrollments match" in page.text
    assert staff.get(f"/staff/schedules/{quoted}").status_code == 404
    assert [e.id for e in services.reminders.enrollments.all()] == [enrolled.id]
    assert hostile_keys(redis) == []


@pytest.mark.parametrize("eid", ["1:2", "*", "1*", "{1}", "1\n", "1 ", "\u00b2", "\u0661", "9" * 5000, "-1", "0x1"])
def test_an_enrollment_id_with_key_syntax_finds_nothing_and_cancels_nothing(staff, client, token, services,
                                                                           redis, eid):
    enrollment = services.reminders.enroll("+12025550191", "checkin").enrollment
    assert enrollment.id == "1"
    quoted = quote(eid, safe="")
    assert api(client, "GET", f"/api/enrollments/{quoted}", token).status_code == 404
    assert api(client, "POST", f"/api/enrollments/{quoted}/cancel", token).status_code == 404
    assert staff.post(f"/staff/enrollments/{quoted}/cancel", data={"csrf_token": staff.token}).status_code == 404
    assert services.reminders.enrollments.get("1").status == "active"
    assert hostile_keys(redis) == []


@pytest.mark.parametrize("number", ["+1202555:0190", "+1202555*", "*", "+1202555{0190}", "+12025550190\n+1",
                                    "+1202555\n0190", "+12025550190:x"])
def test_an_enrollment_number_with_key_syntax_is_refused_with_a_message(staff, client, token, services, redis,
                                                                        number):
    response = api(client, "POST", "/api/enrollments", token, json={"number": number})
    assert response.status_code == 400 and "is not a valid phone number" in response.get_json()["error"]
    page = staff.post("/staff/enrollments", data={"csrf_token": staff.token, "number": number})
    assert page.status_code == 400
    assert services.reminders.enrollments.all() == []
    assert hostile_keys(redis) == []


TRAVERSALS = ["../../../../etc/passwd", "/etc/passwd", "zone.tab", "America/../../../../etc/passwd",
              "../../../../../../proc/self/environ", "America/Chicago\x00", "..", "/"]
CLEAR = "(use an IANA name like America/Chicago)"


@pytest.mark.parametrize("zone", TRAVERSALS)
def test_a_time_zone_that_is_a_path_is_refused_with_a_clear_message_from_the_api_and_the_form(
        staff, client, token, services, zone):
    response = api(client, "POST", "/api/enrollments", token, json={"number": "+12025550195", "timezone": zone})
    assert response.status_code == 400
    assert response.get_json()["error"] == f"unknown time zone '{zone}' {CLEAR}"
    page = staff.post("/staff/enrollments", data={"csrf_token": staff.token, "number": "+12025550195",
                                                  "timezone": zone})
    assert page.status_code == 400
    assert f"Unknown time zone '{zone.strip()}' {CLEAR}." in Page(page.data).text
    assert services.reminders.enrollments.all() == []


def test_time_zones_that_are_paths_in_a_csv_are_refused_row_by_row(staff, services, redis, env):
    zones = [z for z in TRAVERSALS if "\x00" not in z]
    rows = [["number", "timezone"], *[[f"+1202555{200 + i:04d}", z] for i, z in enumerate(zones)],
            ["+12025550299", "America/Chicago"]]
    response = upload(staff, csv_bytes(rows))
    assert response.status_code == 303
    run_worker(redis)
    page = Page(staff.get(response.headers["Location"]).data).words
    assert f"1 imported, 0 already enrolled, {len(zones)} row(s) with problems" in page
    for zone in zones:
        assert f"unknown time zone '{zone}' {CLEAR}" in page
    assert [e.number for e in services.reminders.enrollments.all()] == ["+12025550299"]


@pytest.fixture
def listener():  # type: ignore[no-untyped-def]
    """A local port that counts connections: fetching any URL that names it would connect here."""
    server = socket.create_server(("127.0.0.1", 0))
    server.settimeout(0.05)
    connections: list[object] = []
    done = threading.Event()

    def accept() -> None:
        while not done.is_set():
            try:
                connection, _ = server.accept()
            except OSError:  # the timeout: look at `done` again
                continue
            connections.append(connection.getpeername())
            connection.close()

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"127.0.0.1:{server.getsockname()[1]}", connections
    done.set()
    thread.join()
    server.close()


def test_no_url_a_request_carries_is_ever_fetched(staff, twilio, services, redis, env, listener):
    where, connections = listener
    params = {**twilio.sms_params("here is a video of her legs", PARENT), "NumMedia": "1",
              "MediaUrl0": f"http://{where}/media.jpg", "MediaContentType0": "video/mp4"}
    assert reply_texts(twilio.post("/twilio/sms", params))
    leave_a_callback(twilio, f"https://{where}/Recordings/RE1")
    twilio.status(new_sid("SM"), "delivered")
    run_worker(redis)  # whatever the webhooks queued (the call's summary for the nurse) runs too
    assert staff.get("/staff/callbacks").status_code == 200
    assert staff.get(f"/staff/conversations/{services.refs.of(PARENT)}").status_code == 200
    time.sleep(0.2)
    assert connections == []


def test_every_yaml_file_is_read_with_the_safe_loader():
    unsafe = re.compile(r"yaml\.(load|load_all|unsafe_load|unsafe_load_all|full_load|full_load_all)\(|Loader\s*=")
    found = [f"{path.relative_to(ROOT)}:{n}" for folder in ("hotline", "workers", "bench")
             for path in sorted((ROOT / folder).rglob("*.py"))
             for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1) if unsafe.search(line)]
    assert found == []
    assert any("yaml.safe_load(" in path.read_text(encoding="utf-8") for path in (ROOT / "hotline").rglob("*.py"))
    # The content files' strict loader (a repeated key is refused) is the safe loader with one check more.
    import yaml

    from hotline.engine import yamlfile
    assert issubclass(yamlfile._StrictLoader, yaml.SafeLoader)
    with pytest.raises(yaml.YAMLError):
        yamlfile.load_yaml("!!python/object/apply:os.system ['echo pwned']")


@pytest.mark.parametrize("word", ["\uff33\uff34\uff2f\uff30", "\uff35\uff2e\uff33\uff35\uff22\uff33\uff23\uff32"
                                  "\uff29\uff22\uff25", "STOP\u200b", "\u200bSTOP", "\u202eSTOP", "\u2060STOP",
                                  "STOP\ufe0f", "stop\u00a0"])
def test_stop_in_fullwidth_or_wrapped_in_invisible_characters_opts_out(twilio, redis, word):
    twilio.sms("hi", PARENT)
    assert STOPPED in "\n".join(reply_texts(twilio.sms(word, PARENT)))
    assert redis.hexists(keys.OPTOUTS, PARENT)
    assert reply_texts(twilio.sms("hello?", PARENT)) == []  # and nothing more is sent


@pytest.mark.parametrize("text", ["my baby is having a \uff53\uff45\uff49\uff5a\uff55\uff52\uff45",
                                  "MY BABY IS HAVING A SEIZURE",
                                  "my baby is having a s\u0308e\u0301i\u0301z\u0303u\u0301r\u0300e",
                                  "my baby is having a seizure\u202c",
                                  "\uff4d\uff59 \uff42\uff41\uff42\uff59 \uff49\uff53 \uff4e\uff4f\uff54 "
                                  "\uff42\uff52\uff45\uff41\uff54\uff48\uff49\uff4e\uff47"])
def test_a_red_flag_in_fullwidth_upper_case_or_with_extra_accents_is_still_an_emergency(twilio, redis, text):
    replies = reply_texts(twilio.sms(text, PARENT))
    assert replies[0].startswith(EMERGENCY), replies
    assert [e["level"] for e in transcript(redis, PARENT) if e["dir"] == "assessment"] == ["emergency"]
