"""A nurse in the loop (issue 14, docs/on-call.md): cases open on serious assessments, on-call staff are texted by a
real RQ worker through the fake Twilio API, a nurse claims a case and texts the parent while the bot stays silent
(but for the safety screen), hands it back, and every action is audited. The dashboard in a browser:
tests/test_cases_browser.py."""

from __future__ import annotations

import json
import logging
import re
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner
from rq import Queue
from rq.job import Job

from hotline.cases import CaseError, alert_targets, check_reply_text
from hotline.cli import main
from hotline.devtools.signed import reply_texts
from hotline.engine.flow import load_flow
from hotline.engine.runner import Context, RecordAssessment, State, advance
from hotline.settings import Settings, SettingsError
from hotline.store import keys
from hotline.store.cases import AUDIT, FEED
from hotline.store.staff_accounts import StaffAccounts
from hotline.store.staff_tokens import StaffTokens
from tests.support.reminders import run_worker
from tests.test_staff_access import csrf_from, log_in
from tests.test_voice import Call, in_language

ONCALL = ("+15557650001", "+15557650002")
PARENT = "+12025550181"
OTHER = "+12025550182"
ALERTS = "hotline-alerts"
EMERGENCY = "Call 911 now"
NO_DOTENV = Path("/nonexistent/.env")


@pytest.fixture
def settings(settings):  # type: ignore[no-untyped-def]
    return settings.with_(oncall_numbers=ONCALL)


@pytest.fixture
def nurse(client, redis):  # type: ignore[no-untyped-def]
    """Nurse Kim, logged in to the dashboard."""
    StaffAccounts(redis).add("nurse.kim", "correct horse battery")
    log_in(client)
    return client


def api_client(app, redis, name: str):  # type: ignore[no-untyped-def]
    token = StaffTokens(redis).create(name)
    client = app.test_client()
    headers = {"Authorization": f"Bearer {token}"}

    class Api:
        def get(self, path: str, **kw):  # type: ignore[no-untyped-def]
            return client.get(path, headers=headers, **kw)

        def post(self, path: str, **kw):  # type: ignore[no-untyped-def]
            return client.post(path, headers=headers, **kw)

    return Api()


@pytest.fixture
def api(app, redis):  # type: ignore[no-untyped-def]
    return api_client(app, redis, "nurse.kim")


def alerts(fake_twilio) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    return [(m.to, m.body) for m in fake_twilio.messages if m.to in ONCALL]


def only_case(services):  # type: ignore[no-untyped-def]
    [case] = services.cases.store.open_cases()
    return case


def feed_kinds(redis) -> list[str]:  # type: ignore[no-untyped-def]
    return [fields[b"kind"].decode() for _, fields in redis.xrange(FEED)]


# --- Done when: an emergency text opens a case and alerts the on-call numbers once ---------------------------


def test_an_emergency_text_opens_a_case_and_a_real_worker_alerts_the_on_call_number_once(
        services, twilio, redis, fake_twilio, env):
    assert reply_texts(twilio.sms("my baby is having a seizure", PARENT))[0].startswith(EMERGENCY)
    case = only_case(services)
    assert (case.number, case.level, case.flags, case.reasons, case.status) == (
        PARENT, "emergency", ("seizure",), ("sms",), "open")
    # The alert job carries the case id only: RQ stores and logs a job's arguments.
    [job_id] = Queue(ALERTS, connection=redis).job_ids
    assert Job.fetch(job_id, connection=redis).args == (case.id, 0)

    run_worker(redis, ALERTS)
    [(to, body)] = alerts(fake_twilio)
    assert to == ONCALL[0]
    assert body == f"Hotline: new EMERGENCY case {case.id}. https://hotline.example.org/staff/cases/{case.id}"
    assert PARENT[2:] not in body and "seizure" not in body  # only the level and a link: no number, no words

    # More from the same number is folded into the one open case, and alerts nobody again.
    reply_texts(twilio.sms("she is still jerking and now she feels hot", PARENT))
    reply_texts(twilio.sms("she stopped breathing for a moment", PARENT))
    [again] = services.cases.store.open_cases()
    assert again.id == case.id and "breathing" in again.flags
    Queue(ALERTS, connection=redis).enqueue("workers.cases.alert", case.id, 0)  # a repeated job, as after a crash
    run_worker(redis, ALERTS)
    assert len(alerts(fake_twilio)) == 1
    assert [m.status_callback for m in fake_twilio.messages] == ["https://hotline.example.org/twilio/status"]
    history = [h["what"] for h in services.cases.store.history(case.id)]
    assert history[:2] == ["opened", "alerted"]


def test_an_urgent_text_opens_a_case_and_a_home_one_does_not(services, twilio, redis):
    reply_texts(twilio.sms("my baby's legs shake when she cries", OTHER))
    assert services.cases.store.open_cases() == []
    reply_texts(twilio.sms("my 3 week old is shaking and has a fever of 38.5", PARENT))
    case = only_case(services)
    assert case.level == "urgent" and case.number == PARENT


def test_racing_messages_from_one_number_open_one_case_and_queue_one_alert(services, redis):
    barrier = threading.Barrier(8)

    def open_one(_: int) -> tuple[str, bool]:
        barrier.wait()
        return services.cases.open(PARENT, level="emergency", flags=("seizure",), reason="sms")

    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(open_one, range(8)))
    assert len({case_id for case_id, _ in results}) == 1
    assert sum(created for _, created in results) == 1
    assert len(Queue(ALERTS, connection=redis).job_ids) == 1


def test_a_call_assessed_emergency_and_a_callback_request_open_one_case_and_one_alert(
        services, twilio, redis, fake_twilio, env):
    call = in_language(Call(twilio, number=PARENT), "en")
    call.press("9")  # the caller's word that it is an emergency
    call.press("1")  # outside staffed hours: ask a nurse to call back
    call.recorded()
    case = only_case(services)
    assert case.level == "emergency" and case.reasons == ("voice", "callback")
    run_worker(redis, ALERTS)
    assert len(alerts(fake_twilio)) == 1


def test_a_check_in_answered_worse_opens_a_case(services, twilio, redis, fake_twilio, env):
    zone = ZoneInfo("America/New_York")
    services.reminders.enroll(PARENT, "checkin", channel="sms", trusted=True,
                              now=datetime(2027, 5, 10, 12, 0, tzinfo=zone))
    services.reminders.dispatch(datetime(2027, 5, 11, 10, 0, tzinfo=zone))
    run_worker(redis)
    assert fake_twilio.bodies_to(PARENT)  # the check-in went out
    reply_texts(twilio.sms("3", PARENT))  # worse
    case = only_case(services)
    assert case.reasons == ("checkin",) and case.level == ""


def test_alerts_ignore_parents_opt_outs_and_a_case_without_on_call_numbers_alerts_nobody(
        services, twilio, redis, fake_twilio, env):
    redis.hset(keys.OPTOUTS, ONCALL[0], time.time())  # staff numbers are not parents: STOP lists are for parents
    reply_texts(twilio.sms("my baby is having a seizure", PARENT))
    run_worker(redis, ALERTS)
    assert [to for to, _ in alerts(fake_twilio)] == [ONCALL[0]]


def test_a_transient_twilio_failure_is_retried_by_rq_without_texting_anyone_twice(
        services, twilio, redis, fake_twilio, env):
    reply_texts(twilio.sms("my baby is having a seizure", PARENT))
    case = only_case(services)
    fake_twilio.fail_next(20500)
    run_worker(redis, ALERTS)
    assert alerts(fake_twilio) == []
    job = Job.fetch(f"hl-case-{case.id}-alert-0", connection=redis)
    assert job.retries_left == 2  # RQ's Retry has it scheduled again
    assert job.get_status() == "scheduled"
    from workers.cases import alert

    assert alert(case.id, 0) == "sent"  # the retry, run now
    assert alert(case.id, 0) == "already-sent"
    assert len(alerts(fake_twilio)) == 1


# --- Done when: the re-alert after the timeout ---------------------------------------------------------------


@pytest.fixture
def quick(settings, redis, monkeypatch):  # type: ignore[no-untyped-def]
    """The hotline with its escalation after 1 second (HOTLINE_ESCALATE_AFTER_MINUTES takes decimals), for the web
    app and the workers' jobs alike."""
    from hotline.services import build_services
    from tests.support.reminders import worker_env

    quick = settings.with_(escalate_after_seconds=1.0)
    worker_env(monkeypatch, quick)
    return build_services(quick)


def wait_and_run(redis, seconds: float = 1.1) -> None:  # type: ignore[no-untyped-def]
    time.sleep(seconds)
    run_worker(redis, ALERTS)  # a real worker with RQ's scheduler: it moves the due jobs to the queue first


def test_an_unclaimed_case_alerts_again_then_the_next_number_then_everyone(quick, redis, fake_twilio):
    case_id, _ = quick.cases.open(PARENT, level="urgent", reason="sms")
    run_worker(redis, ALERTS)
    for _ in range(4):  # the fourth finds the escalation over: nothing more
        wait_and_run(redis)
    sent = alerts(fake_twilio)
    assert [to for to, _ in sent] == [ONCALL[0], ONCALL[0], ONCALL[1], ONCALL[0], ONCALL[1]]
    assert sent[0][1] == f"Hotline: new URGENT case {case_id}. https://hotline.example.org/staff/cases/{case_id}"
    assert re.fullmatch(rf"Hotline: URGENT case {case_id} unclaimed for \d s\. "
                        rf"https://hotline\.example\.org/staff/cases/{case_id}", sent[1][1])
    assert [h["what"] for h in quick.cases.store.history(case_id)].count("alerted") == 5


def test_the_escalation_stops_once_a_case_is_claimed(quick, redis, fake_twilio):
    case_id, _ = quick.cases.open(PARENT, level="emergency", reason="sms")
    run_worker(redis, ALERTS)
    quick.cases.claim(case_id, "nurse.kim")
    wait_and_run(redis)
    assert len(alerts(fake_twilio)) == 1


def test_alert_rounds_follow_the_list():
    assert [alert_targets(r, 1) for r in range(4)] == [[0], [0], [], []]
    assert [alert_targets(r, 3) for r in range(6)] == [[0], [0], [1], [2], [0, 1, 2], []]
    assert alert_targets(0, 0) == []


# --- Inbox and takeover ----------------------------------------------------------------------------------------


def test_while_claimed_the_bot_is_silent_but_the_screen_still_answers_an_emergency_and_hand_back_returns_it(
        services, twilio, redis, fake_twilio, api, env):
    reply_texts(twilio.sms("my 3 week old is shaking and has a fever of 38.5", PARENT))
    case = only_case(services)
    claimed = api.post(f"/api/cases/{case.id}/claim")
    assert claimed.status_code == 200 and claimed.json["case"]["claimed_by"] == "nurse.kim"

    assert reply_texts(twilio.sms("she is sleeping now, is that ok?", PARENT)) == []  # for the nurse, not the bot
    sent = api.post(f"/api/cases/{case.id}/reply", json={"text": "This is nurse Kim. Please wake her gently."})
    assert sent.status_code == 201 and sent.json["parts"] == 1 and sent.json["encoding"] == "GSM-7"
    assert fake_twilio.bodies_to(PARENT) == ["This is nurse Kim. Please wake her gently."]
    staff = [e for e in services.conversations.transcript(PARENT) if e["dir"] == "staff"]
    assert [(e["by"], e["text"], e["sid"]) for e in staff] == [
        ("nurse.kim", "This is nurse Kim. Please wake her gently.", sent.json["sid"])]
    looked_up = api.post("/api/conversations/lookup", json={"number": PARENT}).json["transcript"]
    assert [(e["dir"], e["by"]) for e in looked_up if e["dir"] == "staff"] == [("staff", "nurse.kim")]

    # An emergency while claimed: the emergency instruction at once, the case raised, the nurse alerted live.
    reply = reply_texts(twilio.sms("her lips are turning blue", PARENT))
    assert reply and reply[0].startswith(EMERGENCY)
    assert only_case(services).level == "emergency"
    assert "emergency" in feed_kinds(redis)
    assert "emergency while claimed" in [h["what"] for h in services.cases.store.history(case.id)]

    released = api.post(f"/api/cases/{case.id}/release")
    assert released.status_code == 200 and released.json["case"]["status"] == "open"
    note = fake_twilio.bodies_to(PARENT)[-1]
    assert note.startswith("Thank you for talking with our nurse.") and "MENU" in note
    assert "How can I help?" in "\n".join(reply_texts(twilio.sms("menu", PARENT)))  # the bot answers again
    assert api.post(f"/api/cases/{case.id}/reply", json={"text": "hello"}).status_code == 409


def test_a_flood_while_claimed_gets_no_slow_down_text_from_the_bot(services, twilio):
    reply_texts(twilio.sms("my baby is having a seizure", PARENT))
    services.cases.claim(only_case(services).id, "nurse.kim")
    replies = [reply_texts(twilio.sms(f"message {i}", PARENT)) for i in range(20)]
    assert replies == [[]] * 20


def test_a_claim_times_out_after_staff_silence_and_the_bot_answers_again(
        settings, services, twilio, redis, fake_twilio, api, monkeypatch):
    from tests.support.reminders import worker_env

    services.settings = services.cases.settings = settings.with_(claim_timeout_seconds=2.0)
    worker_env(monkeypatch, services.settings)
    reply_texts(twilio.sms("my baby is having a seizure", PARENT))
    case = only_case(services)
    assert api.post(f"/api/cases/{case.id}/claim").status_code == 200
    time.sleep(1.2)
    assert api.post(f"/api/cases/{case.id}/reply", json={"text": "Nurse Kim here."}).status_code == 201
    time.sleep(1.2)  # 2.4 s since the claim, 1.2 s since the reply: a staff action started the clock again
    assert reply_texts(twilio.sms("ok she is calmer", PARENT)) == []
    run_worker(redis, ALERTS)  # the first alert, and the claim's timer finds the claim alive: it looks again later
    time.sleep(1.0)
    # Two seconds of staff silence: the claim has ended, whether or not a worker has noticed yet.
    assert reply_texts(twilio.sms("menu", PARENT)) != []
    wait_and_run(redis, 0.1)
    after = services.cases.store.get(case.id)
    assert (after.status, after.claimed_by) == ("open", "")
    assert "claim expired" in [h["what"] for h in services.cases.store.history(case.id)]
    assert fake_twilio.bodies_to(PARENT)[-1].startswith("Our nurse cannot reply right now")
    refused = api.post(f"/api/cases/{case.id}/reply", json={"text": "Still there?"})
    assert refused.status_code == 409 and "Claim case" in refused.json["error"]


def test_stop_during_a_claim_wins_and_the_reply_box_says_so(services, twilio, redis, fake_twilio, nurse, api):
    reply_texts(twilio.sms("my baby is having a seizure", PARENT))
    case = only_case(services)
    page = nurse.get("/staff/inbox")
    assert nurse.post(f"/staff/cases/{case.id}/claim", data={"csrf_token": csrf_from(page.data)}).status_code == 303
    [stopped] = reply_texts(twilio.sms("STOP", PARENT))
    assert "no more texts" in stopped  # STOP is answered and honoured, claim or not

    page = nurse.get(f"/staff/cases/{case.id}")
    html = page.data.decode()
    assert "This number has opted out (it texted STOP)" in html
    assert re.search(r'<textarea id="reply-text"[^>]*disabled', html)
    refused = nurse.post(f"/staff/cases/{case.id}/reply", data={"csrf_token": csrf_from(page.data),
                                                                "text": "Are you there?"})
    assert refused.status_code == 409 and "This number has opted out" in refused.data.decode()
    assert "Are you there?" in refused.data.decode()  # what she typed is kept
    by_api = api.post(f"/api/cases/{case.id}/reply", json={"text": "Are you there?"})
    assert by_api.status_code == 409 and "opted out" in by_api.json["error"]
    assert api.get("/api/cases").json["cases"][0]["opted_out"] is True
    # Hand back: no note either.
    assert nurse.post(f"/staff/cases/{case.id}/release", data={"csrf_token": csrf_from(page.data)}).status_code == 303
    assert fake_twilio.bodies_to(PARENT) == []
    assert "no note to the parent" in [h["what"] for h in services.cases.store.history(case.id)]


def test_two_nurses_claiming_at_once_one_wins(services, app, redis):
    kim, lee = api_client(app, redis, "nurse.kim"), api_client(app, redis, "nurse.lee")
    for attempt in range(10):
        case_id, _ = services.cases.open(f"+1202555{attempt:04d}", level="emergency", reason="sms")
        barrier = threading.Barrier(2)

        def claim(api, barrier=barrier, case_id=case_id):  # type: ignore[no-untyped-def]
            barrier.wait()
            return api.post(f"/api/cases/{case_id}/claim")

        with ThreadPoolExecutor(2) as pool:
            answers = list(pool.map(claim, [kim, lee]))
        assert sorted(a.status_code for a in answers) == [200, 409], attempt
        [winner] = [a for a in answers if a.status_code == 200]
        [loser] = [a for a in answers if a.status_code == 409]
        holder = winner.json["case"]["claimed_by"]
        assert loser.json["error"] == f"Case {case_id} is claimed by {holder}."
        claims = [f for _, f in redis.xrange(AUDIT) if f[b"case"] == case_id.encode() and f[b"what"] == b"claimed"]
        assert [c[b"by"].decode() for c in claims] == [holder]


def test_the_inbox_lists_the_most_serious_first_then_the_oldest(services, nurse, api):
    first, _ = services.cases.open("+12025550191", level="urgent", reason="sms")
    second, _ = services.cases.open("+12025550192", level="emergency", reason="voice")
    third, _ = services.cases.open("+12025550193", level="", reason="callback")
    fourth, _ = services.cases.open("+12025550194", level="emergency", reason="sms")
    listed = api.get("/api/cases").json
    assert [c["id"] for c in listed["cases"]] == [second, fourth, first, third]
    assert (listed["open"], listed["waiting"]) == (4, 4)
    assert listed["cases"][0]["number"] == "+1*******192"
    html = nurse.get("/staff/inbox").data.decode()
    assert html.index(f"Case {second}<") < html.index(f"Case {fourth}<") < html.index(f"Case {first}<")
    assert "+12025550192" not in html and "+1*******192" in html


def test_staff_replies_show_delivered_or_failed_from_twilio_status_callbacks(services, twilio, nurse):
    reply_texts(twilio.sms("my baby is having a seizure", PARENT))
    case = only_case(services)
    page = nurse.get("/staff/inbox")
    nurse.post(f"/staff/cases/{case.id}/claim", data={"csrf_token": csrf_from(page.data)})
    page = nurse.get(f"/staff/cases/{case.id}")
    sent = nurse.post(f"/staff/cases/{case.id}/reply", data={"csrf_token": csrf_from(page.data),
                                                             "text": "Nurse Kim here: is she awake?"})
    assert sent.status_code == 303
    [entry] = [e for e in services.conversations.transcript(PARENT) if e["dir"] == "staff"]
    live = nurse.get(f"/staff/cases/{case.id}/live").data.decode()
    assert "delivery-sending" in live
    twilio.status(entry["sid"], "sent")
    twilio.status(entry["sid"], "delivered")
    twilio.status(entry["sid"], "sent")  # late and out of order: ignored
    assert "delivery-delivered" in nurse.get(f"/staff/cases/{case.id}/live").data.decode()
    conversation = nurse.get(f"/staff/conversations/{services.refs.of(PARENT)}").data.decode()
    assert "Nurse Kim here: is she awake?" in conversation


@pytest.mark.parametrize(("text", "message"), [
    ("", "Type a message first."),
    ("   \n ", "Type a message first."),
    ("x" * 460, "That message takes 4 SMS parts (GSM-7); 3 at most. Please shorten it."),
    ("é" * 10 + "\u2019" * 200, "That message takes 4 SMS parts (UCS-2); 3 at most. Please shorten it."),
])
def test_a_reply_with_bad_text_gets_a_clear_message_and_nothing_is_sent(services, twilio, nurse, api, fake_twilio,
                                                                       text, message):
    reply_texts(twilio.sms("my baby is having a seizure", PARENT))
    case = only_case(services)
    api.post(f"/api/cases/{case.id}/claim")
    by_api = api.post(f"/api/cases/{case.id}/reply", json={"text": text})
    assert (by_api.status_code, by_api.json["error"]) == (400, message)
    with pytest.raises(CaseError):
        check_reply_text(text)
    assert fake_twilio.bodies_to(PARENT) == []


def test_staff_forms_and_the_api_refuse_what_cannot_be_done_with_a_message(services, twilio, nurse, api):
    assert api.post("/api/cases/999/claim").json["error"] == "There is no case 999 (it may have expired)."
    assert api.post("/api/cases/999/claim").status_code == 404
    assert api.post("/api/cases/x%0a/close").status_code == 404
    assert api.post("/api/cases/1/reply", data="not json").status_code == 400
    assert api.get("/api/cases?status=everything").status_code == 400
    reply_texts(twilio.sms("my baby is having a seizure", PARENT))
    case = only_case(services)
    page = nurse.get(f"/staff/cases/{case.id}")
    assert "Claim this case to text the parent" in page.data.decode()
    refused = nurse.post(f"/staff/cases/{case.id}/reply", data={"csrf_token": csrf_from(page.data), "text": "hi"})
    assert refused.status_code == 409 and "Claim case" in refused.data.decode()
    assert api.post(f"/api/cases/{case.id}/release").status_code == 409
    assert api.post(f"/api/cases/{case.id}/close").json["case"]["status"] == "closed"
    assert api.post(f"/api/cases/{case.id}/close").json["error"] == f"Case {case.id} is closed."
    assert nurse.get("/staff/cases/12345").status_code == 404


def test_closing_a_claimed_case_returns_the_bot_and_a_new_message_opens_a_new_case(
        services, twilio, api, fake_twilio):
    reply_texts(twilio.sms("my baby is having a seizure", PARENT))
    first = only_case(services)
    api.post(f"/api/cases/{first.id}/claim")
    assert api.post(f"/api/cases/{first.id}/close").status_code == 200
    assert fake_twilio.bodies_to(PARENT)[-1].startswith("Thank you for talking with our nurse.")
    assert reply_texts(twilio.sms("menu", PARENT)) != []
    assert services.cases.store.open_cases() == []
    reply_texts(twilio.sms("she is having a seizure again", PARENT))
    assert only_case(services).id != first.id
    assert [c["id"] for c in api.get("/api/cases?status=closed").json["cases"]] == [first.id]


def test_every_action_is_audited_with_who_when_and_what(services, twilio, api, redis, env):
    reply_texts(twilio.sms("my baby is having a seizure", PARENT))
    case = only_case(services)
    run_worker(redis, ALERTS)
    api.post(f"/api/cases/{case.id}/claim")
    api.post(f"/api/cases/{case.id}/reply", json={"text": "Nurse Kim here."})
    api.post(f"/api/cases/{case.id}/release")
    api.post(f"/api/cases/{case.id}/close")
    audit = [(f[b"by"].decode(), f[b"what"].decode()) for _, f in redis.xrange(AUDIT)
             if f[b"case"] == case.id.encode()]
    assert audit == [("hotline", "opened"), ("hotline", "alerted"), ("nurse.kim", "claimed"),
                     ("nurse.kim", "replied"), ("nurse.kim", "handed back"), ("hotline", "note sent"),
                     ("nurse.kim", "closed")]
    assert all(0 < time.time() - int(entry_id.split(b"-")[0]) / 1000 < 60 for entry_id, _ in redis.xrange(AUDIT))
    everything = b" ".join(v for _, f in redis.xrange(AUDIT) for v in f.values())
    assert PARENT[2:].encode() not in everything and b"Nurse Kim here" not in everything


def test_no_number_in_any_log_line(services, twilio, api, redis, env, caplog):
    caplog.set_level(logging.DEBUG)
    reply_texts(twilio.sms("my baby is having a seizure", PARENT))
    case = only_case(services)
    run_worker(redis, ALERTS)
    api.post(f"/api/cases/{case.id}/claim")
    api.post(f"/api/cases/{case.id}/reply", json={"text": "Nurse Kim here."})
    api.post(f"/api/cases/{case.id}/release")
    logged = caplog.text
    for number in (PARENT, *ONCALL):
        assert number[2:] not in logged


def test_the_cli_lists_open_cases_with_masked_numbers(services, settings, monkeypatch):
    case_id, _ = services.cases.open(PARENT, level="emergency", reason="sms")
    services.cases.claim(case_id, "nurse.kim")
    services.cases.open(OTHER, level="urgent", reason="voice")
    monkeypatch.setenv("REDIS_URL", settings.redis_url)
    monkeypatch.setenv("HOTLINE_SECRET_KEY", "test-secret")
    monkeypatch.setenv("PUBLIC_BASE_URL", "https://hotline.example.org")
    monkeypatch.chdir(settings.data_dir.parent)
    result = CliRunner().invoke(main, ["cases", "list"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert "EMERGENCY" in lines[0] and "+1*******181" in lines[0] and "claimed by nurse.kim" in lines[0]
    assert "URGENT" in lines[1] and "waiting" in lines[1]
    assert lines[-1] == "2 open, 1 waiting for a nurse"
    assert PARENT not in result.output
    listed = json.loads(CliRunner().invoke(main, ["cases", "list", "--json"]).output)
    assert [c["level"] for c in listed] == ["emergency", "urgent"]
    assert listed[0]["link"] == f"https://hotline.example.org/staff/cases/{case_id}"


def test_the_live_feed_streams_case_events_with_counts_and_never_a_number(services, twilio, nurse, monkeypatch):
    import hotline.staff.cases_pages as pages

    monkeypatch.setattr(pages, "STREAM_SECONDS", 0.3)
    after = services.cases.store.feed_position()
    reply_texts(twilio.sms("my baby is having a seizure", PARENT))
    reply_texts(twilio.sms("she is still shaking", PARENT))
    response = nurse.get(f"/staff/cases/feed?after={after}")
    assert response.mimetype == "text/event-stream"
    body = response.data.decode()
    events = [json.loads(line[6:]) for line in body.splitlines() if line.startswith("data: ")]
    assert events[0] == {"streaming": True, "open": 1, "waiting": 1}
    assert [e["kind"] for e in events[1:]] == ["opened", "message"]
    assert events[1]["level"] == "emergency" and events[1]["waiting"] == 1
    assert PARENT[2:] not in body and "seizure" not in body
    # Reconnecting with Last-Event-ID gets only what came after it.
    last = re.findall(r"^id: (\S+)$", body, re.M)[-1]
    api_case = only_case(services)
    services.cases.claim(api_case.id, "nurse.kim")
    again = nurse.get("/staff/cases/feed", headers={"Last-Event-ID": last}).data.decode()
    kinds = [json.loads(line[6:]).get("kind") for line in again.splitlines() if line.startswith("data: ")]
    assert kinds == [None, "claimed"]


def test_the_engine_screens_a_claimed_conversation_and_otherwise_stays_silent():
    flow = load_flow(Path(__file__).resolve().parent.parent / "flows")
    state = State(step="menu")
    claimed = Context(known_contact=True, claimed=True)
    quiet = advance(flow, state, "is it normal that she sleeps so much?", claimed)
    assert quiet.replies == () and quiet.effects == ()
    flagged = advance(flow, state, "she has a fever and is only 3 weeks old", claimed)
    assert flagged.replies == () and [type(e) for e in flagged.effects] == [RecordAssessment]
    emergency = advance(flow, state, "he is having a seizure", claimed)
    assert emergency.replies[0].text.startswith("Call 911 now")
    stop = advance(flow, state, "STOP", claimed)
    assert stop.replies[0].message == "stopped"


def test_on_call_settings_are_checked_at_start():
    parsed = Settings.from_env({"HOTLINE_ONCALL_NUMBERS": " +15557650001, +15557650002,+15557650001",
                                "HOTLINE_ESCALATE_AFTER_MINUTES": "2.5", "HOTLINE_CLAIM_TIMEOUT_MINUTES": "45"},
                               dotenv=NO_DOTENV)
    assert parsed.oncall_numbers == ONCALL
    assert (parsed.escalate_after_seconds, parsed.claim_timeout_seconds) == (150.0, 2700.0)
    assert (Settings().escalate_after_seconds, Settings().claim_timeout_seconds) == (600.0, 1800.0)
    with pytest.raises(SettingsError, match=r"HOTLINE_ONCALL_NUMBERS: .*not E\.164: '555-0100'"):
        Settings.from_env({"HOTLINE_ONCALL_NUMBERS": "+15557650001,555-0100"}, dotenv=NO_DOTENV)
    with pytest.raises(SettingsError, match="HOTLINE_CLAIM_TIMEOUT_MINUTES: must be more than 0 minutes"):
        Settings.from_env({"HOTLINE_CLAIM_TIMEOUT_MINUTES": "0"}, dotenv=NO_DOTENV)
    with pytest.raises(SettingsError, match="HOTLINE_ESCALATE_AFTER_MINUTES: expected a number of minutes"):
        Settings.from_env({"HOTLINE_ESCALATE_AFTER_MINUTES": "ten"}, dotenv=NO_DOTENV)


def test_twilio_refusing_a_reply_is_explained_and_recorded(services, twilio, api, fake_twilio):
    reply_texts(twilio.sms("my baby is having a seizure", PARENT))
    case = only_case(services)
    api.post(f"/api/cases/{case.id}/claim")
    fake_twilio.fail_next(21610)  # the carrier has the number as unsubscribed
    refused = api.post(f"/api/cases/{case.id}/reply", json={"text": "Nurse Kim here."})
    assert refused.status_code == 409 and "opted out" in refused.json["error"]
    fake_twilio.fail_next(20500)
    unreachable = api.post(f"/api/cases/{case.id}/reply", json={"text": "Nurse Kim here."})
    assert unreachable.status_code == 503 and "was not sent" in unreachable.json["error"]
    assert [h["detail"] for h in services.cases.store.history(case.id) if h["what"] == "reply not sent"] == [
        "Twilio error 21610", "Twilio unreachable (20500)"]
    assert not [e for e in services.conversations.transcript(PARENT) if e["dir"] == "staff"]


def test_a_case_that_expired_under_its_open_key_does_not_stop_a_new_one(services, twilio, redis):
    reply_texts(twilio.sms("my baby is having a seizure", PARENT))
    old = only_case(services)
    redis.delete(keys.case(old.id))  # its retention period is over
    reply_texts(twilio.sms("she is having a seizure again", PARENT))
    new = only_case(services)
    assert new.id != old.id and redis.get(keys.open_case(PARENT)) == new.id.encode()
    assert 0 < redis.ttl(keys.open_case(PARENT)) <= services.conversations.retention_ttl


def test_the_inbox_rows_claim_hand_back_and_close(services, twilio, nurse, fake_twilio):
    reply_texts(twilio.sms("my baby is having a seizure", PARENT))
    case = only_case(services)
    page = nurse.get("/staff/inbox")
    token = csrf_from(page.data)
    assert f'aria-label="Claim case {case.id}"' in page.data.decode()
    claimed = nurse.post(f"/staff/cases/{case.id}/claim", data={"csrf_token": token, "back": "inbox"})
    assert claimed.headers["Location"].endswith("/staff/inbox")
    html = nurse.get("/staff/inbox").data.decode()
    assert f'aria-label="Hand back case {case.id}"' in html and f'aria-label="Open case {case.id} to reply"' in html
    assert "<td>You</td>" in html
    back = nurse.post(f"/staff/cases/{case.id}/release", data={"csrf_token": token, "back": "inbox"})
    assert back.headers["Location"].endswith("/staff/inbox")
    assert "handed back" in nurse.get("/staff/inbox").data.decode()
    closed = nurse.post(f"/staff/cases/{case.id}/close", data={"csrf_token": token})
    assert closed.headers["Location"].endswith("/staff/inbox")
    html = nurse.get("/staff/inbox").data.decode()
    assert "No open cases." in html and f"Case {case.id}</a>" in html.split("Closed recently")[1]


def test_the_live_feed_requests_never_write_the_session_cookie(services, twilio, nurse, monkeypatch):
    """They run beside page loads with the page's cookie: written back, an old copy would bring back a flash
    message already shown (found by the browser test)."""
    import hotline.staff.cases_pages as pages

    monkeypatch.setattr(pages, "STREAM_SECONDS", 0.1)
    reply_texts(twilio.sms("my baby is having a seizure", PARENT))
    case = only_case(services)
    for path in ["/staff/cases/feed", "/staff/inbox/rows", f"/staff/cases/{case.id}/live"]:
        assert "Set-Cookie" not in nurse.get(path).headers, path
    assert "Set-Cookie" in nurse.get("/staff/inbox").headers  # pages still refresh it
