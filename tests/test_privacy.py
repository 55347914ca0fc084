"""No full phone number, message text or token appears in any log line."""

from __future__ import annotations

import hashlib
import logging
import re

import pytest

from hotline.devtools.signed import reply_texts
from hotline.store import keys

PARENT = "+12025550147"
SECRET_TEXTS = ["my daughter Emma has a fever of 38.9 and is 6 weeks old", "she is having a seizure",
                "Carlos tiene fiebre", "STOP", "START"]


@pytest.fixture
def all_logs(caplog):
    caplog.set_level(logging.DEBUG)
    return caplog


def assert_private(text: str, secrets: list[str]) -> None:
    for secret in secrets:
        assert secret not in text, f"{secret!r} leaked into the logs"


def test_a_full_sms_conversation_logs_no_number_text_or_token(twilio, all_logs, capfd):
    for body in ["hi", *SECRET_TEXTS, "4", "1", "2", "1", "1"]:
        reply_texts(twilio.sms(body, PARENT))
    # An unsigned request is logged too: still without the number.
    twilio.client.post("/twilio/sms", data=twilio.sms_params("Emma is fine", PARENT))
    out, err = capfd.readouterr()
    logged = all_logs.text + out + err
    assert "assessment urgent for n_" in logged  # the logs were captured, with a reference instead of the number
    assert "rejected unsigned" in logged
    assert_private(logged, [PARENT, PARENT[2:], *SECRET_TEXTS[:3], twilio.auth_token])


def test_a_number_reference_from_the_logs_cannot_be_reversed_by_hashing_every_number(twilio, all_logs):
    reply_texts(twilio.sms("my 5 week old is shaking and has a fever of 38.5", PARENT))
    ref = re.search(r"assessment urgent for (n_[0-9a-f]+)", all_logs.text)[1]
    # The review's attack: hash every number of the area code and compare. Here the 10,000 around PARENT.
    candidates = [f"{PARENT[:-4]}{i:04d}" for i in range(10_000)]
    found = [n for n in candidates if hashlib.sha256(n.encode()).hexdigest().startswith(ref[2:])]
    assert found == []


def test_number_references_are_keyed_with_the_deployments_secret_and_stable_under_it(settings, redis):
    from hotline.services import build_services

    ours, again = build_services(settings).refs, build_services(settings).refs
    other = build_services(settings.with_(secret_key="another deployment's secret")).refs
    assert ours.of(PARENT) == again.of(PARENT)  # pages link by ref and log lines can be followed
    assert ours.of(PARENT) != other.of(PARENT)
    assert ours.of(PARENT) != ours.of("+12025550148")


def test_transcripts_expire_after_the_retention_period(services, twilio, redis):
    assert redis.ttl(keys.transcript(PARENT)) == -2
    twilio.sms("hi", PARENT)
    ttl = redis.ttl(keys.transcript(PARENT))
    assert 0 < ttl <= services.settings.transcript_retention_days * 24 * 3600
    assert 0 < redis.ttl(keys.contact(PARENT)) <= services.settings.transcript_retention_days * 24 * 3600


def test_a_full_phone_call_and_reminder_sends_log_no_number_text_or_token(settings, services, twilio, redis,
                                                                           fake_twilio, all_logs, capfd,
                                                                           monkeypatch):
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from hotline.devtools.signed import new_sid
    from tests.support.reminders import run_worker, worker_env

    call = new_sid("CA")
    voice = [("/twilio/voice", {}), ("/twilio/voice/gather?n=1", {"Digits": "1"}),
             ("/twilio/voice/gather?n=2", {"SpeechResult": "Emma has a fever and her legs shake"}),
             ("/twilio/voice/gather?n=3", {"SpeechResult": "she is having a seizure"})]
    for path, extra in voice:
        assert twilio.post(path, twilio.voice_params(call, PARENT, **extra)).status_code == 200

    worker_env(monkeypatch, settings)
    zone = ZoneInfo("America/New_York")
    services.reminders.enroll(PARENT, "checkin", channel="sms", trusted=True,
                              now=datetime(2027, 5, 10, 12, 0, tzinfo=zone))
    services.reminders.dispatch(datetime(2027, 5, 11, 10, 0, tzinfo=zone))
    run_worker(redis)
    assert fake_twilio.bodies_to(PARENT)  # the check-in really went out
    body = fake_twilio.bodies_to(PARENT)[0]
    # Reconciling an abandoned send asks Twilio's message list with the number in the query string.
    from hotline.sender import TwilioSender
    assert TwilioSender(settings).find_sent(PARENT, body, 0) is not None

    out, err = capfd.readouterr()
    logged = all_logs.text + out + err
    assert_private(logged, [PARENT, PARENT[2:], "Emma has a fever", "having a seizure", body[:40],
                            twilio.auth_token])
