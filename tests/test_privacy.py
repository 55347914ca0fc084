"""No full phone number, message text or token appears in any log line."""

from __future__ import annotations

import logging

import pytest

from tests.support.signed import reply_texts

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


def test_transcripts_expire_after_the_retention_period(services, twilio, redis):
    assert redis.ttl(f"hl:transcript:{PARENT}") == -2
    twilio.sms("hi", PARENT)
    ttl = redis.ttl(f"hl:transcript:{PARENT}")
    assert 0 < ttl <= services.settings.transcript_retention_days * 24 * 3600
    assert 0 < redis.ttl(f"hl:contact:{PARENT}") <= services.settings.transcript_retention_days * 24 * 3600
