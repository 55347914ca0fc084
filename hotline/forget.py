"""Erase everything the hotline keeps about one phone number (a parent's request to be forgotten)."""

from __future__ import annotations

import json
from collections.abc import Iterator

import redis

from hotline.reminders.import_jobs import ImportJobs
from hotline.reminders.store import checkin_key
from hotline.sender import OUTBOX_KEY
from hotline.services import Services


def _scan_json(connection: redis.Redis, pattern: str, number: str, field: str) -> Iterator[bytes]:
    """Keys matching `pattern` whose JSON value names `number` in `field` (call states, summaries)."""
    for key in connection.scan_iter(match=pattern, count=500):
        raw = connection.get(key)
        try:
            if raw and json.loads(raw).get(field) == number:
                yield key
        except (ValueError, AttributeError):
            continue


def forget_number(services: Services, number: str, *, include_opt_out: bool = False) -> dict[str, int]:
    """Delete the number's data everywhere; returns how many records of each kind were removed."""
    r = services.redis
    removed: dict[str, int] = {}
    with r.pipeline() as pipe:
        pipe.delete(f"hl:session:{number}")
        pipe.delete(f"hl:contact:{number}")
        pipe.llen(f"hl:transcript:{number}")
        pipe.delete(f"hl:transcript:{number}")
        pipe.zrem("hl:conversations", number)
        pipe.delete(f"hl:rate:{number}", f"hl:flood:{number}", checkin_key(number))
        pipe.delete(f"hl:ref:{services.refs.of(number)}")
        session, contact, transcript_len, _, listed, _, _ = pipe.execute()
    removed["conversation session"] = int(session)
    removed["contact record"] = int(contact)
    removed["transcript entries"] = int(transcript_len)
    removed["conversation list entry"] = int(listed)

    removed["enrollments"] = services.reminders.enrollments.forget(number)
    removed["imports waiting for a worker"] = ImportJobs(services.reminders).forget(number)

    callbacks = 0
    for callback_id in [i.decode() for i in r.zrange("hl:callbacks", 0, -1)]:
        raw = r.get(f"hl:callback:{callback_id}")
        if raw and json.loads(raw).get("number") == number:
            r.delete(f"hl:callback:{callback_id}")
            r.zrem("hl:callbacks", callback_id)
            callbacks += 1
    removed["callback requests"] = callbacks

    # A ref key written under an earlier secret key (the one above is the current ref's).
    for key in r.scan_iter(match="hl:ref:*", count=500):
        if r.get(key) == number.encode():
            r.delete(key)

    calls = list(_scan_json(r, "hl:call:*", number, "number"))
    removed["call states"] = int(r.delete(*calls)) if calls else 0
    for key in calls:  # and the answers given to each of those calls' webhooks
        replies = list(r.scan_iter(match=key.decode() + ":reply:*", count=500))
        if replies:
            r.delete(*replies)
    summaries = list(_scan_json(r, "hl:summary:*", number, "number"))
    removed["call summaries"] = int(r.delete(*summaries)) if summaries else 0

    outbox = 0
    for raw in r.lrange(OUTBOX_KEY, 0, -1):
        if json.loads(raw).get("to") == number:
            outbox += int(r.lrem(OUTBOX_KEY, 0, raw))
    removed["outbox texts"] = outbox

    removed["staff cases"] = services.cases.store.forget(number)

    if include_opt_out:
        removed["opt-out"] = int(r.hdel("hl:optouts", number))
    return removed
