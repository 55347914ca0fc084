"""`hotline forget NUMBER` erases a number's data everywhere and says what it removed."""

from __future__ import annotations

from click.testing import CliRunner

from hotline.cli import main
from hotline.devtools.signed import new_sid, reply_texts
from hotline.store import keys

PARENT = "+12025550177"
OTHER = "+12025550178"


def contents(redis, key: bytes) -> bytes:
    """Everything stored under a key, whatever its type, as one byte string to search."""
    kind = redis.type(key).decode()
    if kind == "string":
        return redis.get(key) or b""
    if kind == "hash":
        return b" ".join(k + b"=" + v for k, v in redis.hgetall(key).items())
    if kind == "list":
        return b" ".join(redis.lrange(key, 0, -1))
    if kind == "zset":
        return b" ".join(redis.zrange(key, 0, -1))
    if kind == "set":
        return b" ".join(redis.smembers(key))
    return b""


def test_forget_erases_a_number_everywhere_and_leaves_others_alone(settings, services, twilio, redis, monkeypatch):
    for number in (PARENT, OTHER):
        for body in ["hi", "4", "1", "2", "1", "2"]:
            reply_texts(twilio.sms(body, number))
        services.reminders.enroll(number, "checkin", channel="sms", trusted=True)
        call = new_sid("CA")
        twilio.post("/twilio/voice", twilio.voice_params(call, number))
    reply_texts(twilio.sms("STOP", PARENT))

    monkeypatch.setenv("REDIS_URL", settings.redis_url)
    monkeypatch.chdir(settings.data_dir.parent)
    result = CliRunner().invoke(main, ["forget", PARENT, "--yes"])
    assert result.exit_code == 0, result.output
    assert "transcript entries" in result.output and "enrollments" in result.output
    assert "opt-out: kept" in result.output

    leftovers = [k.decode() for k in redis.scan_iter(count=1000)
                 if PARENT in k.decode() or PARENT.encode() in contents(redis, k)]
    assert leftovers == [keys.OPTOUTS]  # only the STOP record, so the number is never texted again
    assert not [e for e in services.reminders.enrollments.all() if e.number == PARENT]
    assert [e for e in services.reminders.enrollments.all() if e.number == OTHER]
    assert redis.llen(keys.transcript(OTHER)) > 0


def test_forget_refuses_something_that_is_not_a_number(settings, monkeypatch):
    monkeypatch.setenv("REDIS_URL", settings.redis_url)
    result = CliRunner().invoke(main, ["forget", "my baby", "--yes"])
    assert result.exit_code != 0
    assert "not a phone number" in result.output
