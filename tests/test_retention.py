"""Retention: staff never see a conversation older than the retention period; every Redis key the hotline writes
is in the table of hotline/store/keys.py (docs/redis-keys.md) and expires within the lifetime it says; every key
that holds a parent's number is in a family marked as holding one, and is erased by `hotline forget`."""

from __future__ import annotations

import ast
import time
import zlib
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner

from hotline.cli import main
from hotline.devtools.signed import reply_texts
from hotline.reminders.import_jobs import ImportJobs
from hotline.sender import ConsoleOutbox
from hotline.store import keys
from hotline.store.staff_accounts import StaffAccounts
from tests.support.reminders import run_worker
from tests.test_staff_access import csrf_from, log_in
from tests.test_voice import Call, in_language

ROOT = Path(__file__).resolve().parent.parent
PARENT = "+12025550163"
OLD = "+12025550164"
OTHER = "+12025550165"


@pytest.fixture
def staff(client, redis):  # type: ignore[no-untyped-def]
    StaffAccounts(redis).add("nurse.kim", "correct horse battery")
    log_in(client)
    return client


@pytest.mark.parametrize("next_write", ["a text", "a call"])
def test_a_conversation_older_than_the_retention_period_is_not_listed_revealed_or_kept(
        staff, services, twilio, redis, next_write):
    twilio.sms("hi", OLD)
    # Her last message was longer ago than the retention period, and her transcript has expired with it.
    retention = services.conversations.retention_ttl
    redis.zadd(keys.CONVERSATIONS, {OLD: time.time() - retention - 60})
    redis.delete(keys.session(OLD), keys.contact(OLD), keys.transcript(OLD))

    assert "+1*******164" not in staff.get("/staff/conversations").data.decode()
    assert "No conversation with that number" in staff.get(f"/staff/conversations?q={OLD}").data.decode()
    assert staff.get(f"/staff/conversations/{services.refs.of(OLD)}").status_code == 404
    token = csrf_from(staff.get("/staff/conversations").data)
    assert staff.post(f"/staff/conversations/{services.refs.of(OLD)}/reveal",
                      data={"csrf_token": token}).status_code == 404
    if next_write == "a text":
        twilio.sms("hi", OTHER)
    else:
        in_language(Call(twilio, number=OTHER), "en")
    assert redis.zscore(keys.CONVERSATIONS, OLD) is None
    assert redis.zscore(keys.CONVERSATIONS, OTHER) is not None
    assert 0 < redis.ttl(keys.CONVERSATIONS) <= retention


# --- Every key, from the table in hotline/store/keys.py ------------------------------------------------------


def stored(redis, key: bytes) -> bytes:  # type: ignore[no-untyped-def]
    """Everything stored under a key, whatever its type, compressed RQ job data included."""
    kind = redis.type(key).decode()
    values: list[bytes] = []
    if kind == "string":
        values = [redis.get(key) or b""]
    elif kind == "hash":
        values = [b for pair in redis.hgetall(key).items() for b in pair]
    elif kind == "list":
        values = redis.lrange(key, 0, -1)
    elif kind == "zset":
        values = redis.zrange(key, 0, -1)
    elif kind == "set":
        values = list(redis.smembers(key))
    elif kind == "stream":
        values = [b for _, fields in redis.xrange(key) for pair in fields.items() for b in pair]
    for value in list(values):
        try:
            values.append(zlib.decompress(value))
        except zlib.error:
            pass
    return b" ".join(values)


def keys_holding(redis, number: str) -> list[str]:  # type: ignore[no-untyped-def]
    return sorted(key.decode() for key in redis.scan_iter(count=1000)
                  if number in key.decode() or number.encode() in stored(redis, key))


def everything_a_parent_can_do(services, twilio, redis, fake_twilio) -> None:  # type: ignore[no-untyped-def]
    """Text, enroll, get a check-in, call (a callback request, the advice by text), have a nurse claim the case
    the call opened and reply, be in a staff import still waiting for a worker, then STOP."""
    for body in ["hi", "4", "1", "2", "1", "2"]:
        reply_texts(twilio.sms(body, PARENT))
    zone = ZoneInfo("America/New_York")
    services.reminders.enroll(PARENT, "checkin", channel="sms", trusted=True,
                              now=datetime(2027, 5, 10, 12, 0, tzinfo=zone))
    services.reminders.dispatch(datetime(2027, 5, 11, 10, 0, tzinfo=zone))
    callback = Call(twilio, number=PARENT)
    in_language(callback, "en").press("9")
    callback.press("1")
    callback.recorded()
    summary = Call(twilio, number=PARENT)
    in_language(summary, "en").press("9")
    summary.press("2")
    run_worker(redis)
    assert len(fake_twilio.bodies_to(PARENT)) == 2  # the check-in and the advice by text went out
    [case] = services.cases.store.open_cases()  # the emergency on the phone opened a staff case
    services.cases.claim(case.id, "nurse.kim")
    services.cases.reply(case.id, "nurse.kim", "This is nurse Kim from the hotline. How is your baby now?")
    # Staff import a CSV file she is in, which no worker has taken yet.
    ImportJobs(services.reminders).start(f"number\n+12025550100\n{PARENT}\n".encode(), "checkin", "parents.csv")
    ConsoleOutbox(redis, services.refs).send(PARENT, "a text in development, without Twilio")
    reply_texts(twilio.sms("STOP", PARENT))


def test_every_key_is_in_the_table_lives_as_long_as_it_says_and_forget_leaves_nothing_with_the_number(
        settings, services, twilio, redis, fake_twilio, env, monkeypatch):
    everything_a_parent_can_do(services, twilio, redis, fake_twilio)
    for key in sorted(k.decode() for k in redis.scan_iter(count=1000)):
        if key.startswith("rq:"):
            continue  # RQ's own (docs/redis-keys.md)
        family = keys.family_of(key)
        assert family is not None, f"{key} is not in hotline/store/keys.py"
        ttl, lifetime = redis.ttl(key), family.lifetime
        if lifetime.longest is not None:
            assert 0 < ttl <= lifetime.longest(services.settings), f"{key} must expire within {lifetime.words}"
        elif lifetime.kind == keys.KEPT:
            assert ttl == -1, f"{key} expires, but the table says it is {lifetime.words}"
    seen = set()
    for key in keys_holding(redis, PARENT):
        family = keys.family_of(key)
        assert family is not None and family.number, f"{key} holds the number, but its family says it holds none"
        seen.add(family.pattern)
    assert seen == {f.pattern for f in keys.FAMILIES if f.number}, \
        "the table says these hold a number, but this parent's data never used them: extend the scenario"

    monkeypatch.chdir(settings.data_dir.parent)
    result = CliRunner().invoke(main, ["forget", PARENT, "--include-opt-out", "--yes"])
    assert result.exit_code == 0, result.output
    assert keys_holding(redis, PARENT) == []


def test_each_module_that_owns_a_number_can_forget_it() -> None:
    """hotline/forget.py adds up the owners' forget(number): a family that holds a number has an owner with one."""
    for module in sorted({f.owner for f in keys.FAMILIES if f.number}):
        tree = ast.parse((ROOT / module).read_text(encoding="utf-8"))
        names = {node.name for node in ast.walk(tree) if isinstance(node, ast.FunctionDef)}
        assert "forget" in names, f"{module} owns a key with a number but has no forget()"
