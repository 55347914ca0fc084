"""Twilio retries a webhook it got no answer to: three replays change nothing twice."""

from __future__ import annotations

from tests.support.signed import new_sid, reply_texts

PARENT = "+12025550163"


def test_replaying_a_yes_enrollment_three_times_enrolls_once_and_texts_nothing_extra(twilio, redis, services,
                                                                                      fake_twilio):
    for body in ["hi", "4", "3", "2", "1", "2", "4", "4", "2"]:  # to a home outcome, then "check-in texts"
        reply_texts(twilio.sms(body, PARENT))
    before_log = redis.llen(f"hl:transcript:{PARENT}")
    sid = new_sid("SM")
    token = "idem-yes-1"
    first = reply_texts(twilio.sms("YES", PARENT, message_sid=sid, headers={"I-Twilio-Idempotency-Token": token}))
    for _ in range(3):
        again = reply_texts(twilio.sms("YES", PARENT, message_sid=sid, headers={"I-Twilio-Idempotency-Token": token}))
        assert again == first
    enrollments = [e for e in services.reminders.enrollments.all() if e.number == PARENT]
    assert len(enrollments) == 1
    assert redis.llen(f"hl:transcript:{PARENT}") == before_log + 1 + len(first)  # one in, its replies
    assert fake_twilio.messages == []  # a webhook reply goes back as TwiML, never as an extra text


def test_replaying_a_call_step_three_times_changes_nothing_twice(twilio, redis, services):
    call_sid = new_sid("CA")
    twilio.post("/twilio/voice", twilio.voice_params(call_sid, PARENT))
    gather = "/twilio/voice/gather?n=1"
    first = twilio.post(gather, twilio.voice_params(call_sid, PARENT, Digits="1")).data
    entries = redis.llen(f"hl:transcript:{PARENT}")
    state = redis.get(f"hl:call:{call_sid}")
    for _ in range(3):
        assert twilio.post(gather, twilio.voice_params(call_sid, PARENT, Digits="1")).data == first
    assert redis.llen(f"hl:transcript:{PARENT}") == entries
    assert redis.get(f"hl:call:{call_sid}") == state
