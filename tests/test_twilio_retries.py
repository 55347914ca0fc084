"""Twilio retries a webhook it got no answer to: three replays change nothing twice."""

from __future__ import annotations

from hotline.devtools.signed import new_sid, reply_texts
from hotline.store import keys

PARENT = "+12025550163"


def test_replaying_a_yes_enrollment_three_times_enrolls_once_and_texts_nothing_extra(twilio, redis, services,
                                                                                      fake_twilio):
    for body in ["hi", "4", "3", "2", "1", "2", "4", "4", "2"]:  # to a home outcome, then "check-in texts"
        reply_texts(twilio.sms(body, PARENT))
    before_log = redis.llen(keys.transcript(PARENT))
    sid = new_sid("SM")
    token = "idem-yes-1"
    first = reply_texts(twilio.sms("YES", PARENT, message_sid=sid, headers={"I-Twilio-Idempotency-Token": token}))
    for _ in range(3):
        again = reply_texts(twilio.sms("YES", PARENT, message_sid=sid, headers={"I-Twilio-Idempotency-Token": token}))
        assert again == first
    enrollments = [e for e in services.reminders.enrollments.all() if e.number == PARENT]
    assert len(enrollments) == 1
    assert redis.llen(keys.transcript(PARENT)) == before_log + 1 + len(first)  # one in, its replies
    assert fake_twilio.messages == []  # a webhook reply goes back as TwiML, never as an extra text


def test_replaying_a_call_step_three_times_changes_nothing_twice(twilio, redis, services):
    call_sid = new_sid("CA")
    twilio.post("/twilio/voice", twilio.voice_params(call_sid, PARENT))
    gather = "/twilio/voice/gather?n=1"
    first = twilio.post(gather, twilio.voice_params(call_sid, PARENT, Digits="1")).data
    entries = redis.llen(keys.transcript(PARENT))
    state = redis.get(keys.call(call_sid))
    for _ in range(3):
        assert twilio.post(gather, twilio.voice_params(call_sid, PARENT, Digits="1")).data == first
    assert redis.llen(keys.transcript(PARENT)) == entries
    assert redis.get(keys.call(call_sid)) == state


# --- Replays by someone else, after the de-duplication window (security review F18) ---------------------
# Twilio's signature carries no timestamp: a captured signed request stays valid for ever. Twilio's own retries
# come within the day a reply is kept (keys.reply(MessageSid)); a STOP, START or YES that comes again after
# that is a replay, and must not change whether the number is opted out.

OPTED = "+12025550166"


def opted_out(redis) -> bool:  # type: ignore[no-untyped-def]
    return bool(redis.hexists(keys.OPTOUTS, OPTED))


def the_day_passes(redis) -> None:  # type: ignore[no-untyped-def]
    """Twilio's retries are over: every reply kept for them has expired (simulated: deleted)."""
    for key in redis.scan_iter(match=keys.reply("*")):
        assert 0 < redis.ttl(key) <= 24 * 3600
        redis.delete(key)


def test_a_start_replayed_after_the_window_does_not_undo_a_later_stop(twilio, redis, services):
    reply_texts(twilio.sms("hi", OPTED))
    reply_texts(twilio.sms("STOP", OPTED))
    captured = twilio.sms_params("START", OPTED)  # what someone who saw the request kept
    assert "Welcome back" in "".join(reply_texts(twilio.post("/twilio/sms", captured)))
    assert "no more texts" in "".join(reply_texts(twilio.sms("STOP", OPTED)))
    stopped_at = redis.hget(keys.OPTOUTS, OPTED)
    entries = redis.llen(keys.transcript(OPTED))
    the_day_passes(redis)

    replayed = twilio.post("/twilio/sms", captured)
    assert reply_texts(replayed) == []  # 200, nothing said
    assert opted_out(redis) and redis.hget(keys.OPTOUTS, OPTED) == stopped_at
    assert redis.llen(keys.transcript(OPTED)) == entries
    # ...and so for the whole retention period, though nothing it keeps names the number.
    record = keys.keyword(captured["MessageSid"])
    assert 24 * 3600 < redis.ttl(record) <= services.conversations.retention_ttl
    assert OPTED.encode() not in redis.get(record)

    # The parent's own START, a new message, still opts back in.
    assert "Welcome back" in "".join(reply_texts(twilio.sms("START", OPTED)))
    assert not opted_out(redis)


def test_a_yes_sent_before_a_stop_and_replayed_after_it_does_not_opt_back_in(twilio, redis):
    # YES to the check-in offer enrolls; after a STOP, YES is also a word that opts back in.
    for body in ["hi", "5"]:  # the menu's "Check-in texts"
        reply_texts(twilio.sms(body, OPTED))
    captured = twilio.sms_params("YES", OPTED)
    assert "check-in tomorrow" in "".join(reply_texts(twilio.post("/twilio/sms", captured)))
    reply_texts(twilio.sms("STOP", OPTED))
    the_day_passes(redis)

    assert reply_texts(twilio.post("/twilio/sms", captured)) == []
    assert opted_out(redis)


def test_a_stop_replayed_after_the_window_does_not_undo_a_later_start(twilio, redis):
    reply_texts(twilio.sms("hi", OPTED))
    captured = twilio.sms_params("STOP", OPTED)
    reply_texts(twilio.post("/twilio/sms", captured))
    assert "Welcome back" in "".join(reply_texts(twilio.sms("START", OPTED)))
    the_day_passes(redis)

    assert reply_texts(twilio.post("/twilio/sms", captured)) == []
    assert not opted_out(redis)
    assert "1 Is this normal?" in "".join(reply_texts(twilio.sms("menu", OPTED)))


def test_a_retried_stop_within_the_window_still_gets_its_first_answer(twilio, redis):
    reply_texts(twilio.sms("hi", OPTED))
    captured = twilio.sms_params("STOP", OPTED)
    first = reply_texts(twilio.post("/twilio/sms", captured))
    assert "no more texts" in "".join(first)
    assert reply_texts(twilio.post("/twilio/sms", captured)) == first  # Twilio's retry: the same answer
    assert opted_out(redis)
