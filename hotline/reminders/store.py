"""Enrollments, the due-set and reminder records in Redis.

Why a due-set and not one RQ scheduled job per reminder: an RQ scheduled job costs about 1.5 KB of
Redis; a pending reminder here is one sorted-set member plus one compact hash field (measured by
bench/reminder_memory.py). The sorted set only says when to look at an enrollment again: the
delivery job recomputes what is due from the enrollment and its schedule, so a stale score is
harmless and edits to a schedule need no bookkeeping beyond a new wake-up time.

Keys (built in hotline/store/keys.py, all under `rem:`):
  seq                 counter for enrollment ids
  e:{id // 128}       hash id -> JSON array [number, schedule, enrolled epoch, language, offset (minutes)
                      of the last step handled, status, consent channel, zone override, baby name, reason]
  i:{schedule}:{crc32(number) % 1024}
                      hash number -> id: a number is in a schedule once
  (Records and the index are split into small hashes so Redis keeps each one in its compact listpack
  encoding: about a third of the memory of one big hash.)
  due                 sorted set id -> epoch when the enrollment's next step should be looked at
  log:{id}            hash step offset -> JSON {status, sid, at, attempts, error, answer}
  claim:{id}:{offset} SET NX before sending: at most one send per step, whatever the workers do.
                      Value "epoch:token"; a claim older than the stale limit without a MessageSid
                      is taken over (compare-and-set) by one run, which asks Twilio before resending.
  sid:{sid}           "id:offset" for status callbacks
  sent                sorted set "id:offset" -> send time, for staff views
  active              hash schedule -> how many of its enrollments are active, kept by the scripts
                      that enroll and move enrollments on (staff pages count without a scan)
  ended               sorted set id -> when the enrollment ended on an error (the newest 10,000),
                      so the staff's delivery problems need no scan of every enrollment
  checkin:{number}    "id:offset" of the check-in awaiting the parent's reply
  pace:{sender}       the last reserved send slot (epoch, Redis clock) when pacing is on
The scripts that enroll, record a send, a delivery status or an answer also count it for the staff's Insights page
(keys.reminder_insights, hotline/insights.py), on the enrollment's day, which the log entry keeps (`ins`).
"""

from __future__ import annotations

import json
import re
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import redis

from hotline.insights import COUNT_REMINDER, InsightCounters
from hotline.redis_connection import CLAIM_WAIT_MS
from hotline.store import keys


def checkin_key(number: str) -> str:
    """Where a sent check-in waits for its answer; the conversation store reads it with the session."""
    return keys.checkin(number)
DUE = keys.DUE
BUCKET = 128  # records per hash (Redis's hash-max-listpack-entries default)
INDEX_BUCKETS = 1024


def is_enrollment_id(eid: object) -> bool:
    """ASCII digits only: str.isdigit() also takes '²', which int() refuses."""
    return re.fullmatch(r"[0-9]{1,18}", str(eid)) is not None


def record_key(eid: str | int) -> str:
    return keys.enrollments(int(eid) // BUCKET)


def index_key(schedule: str, number: str) -> str:
    return keys.enrollment_index(schedule, zlib.crc32(number.encode()) % INDEX_BUCKETS)

SENT = keys.SENT
ENDED_INDEX = keys.ENDED
ACTIVE_COUNTS = keys.ACTIVE_COUNTS
OPTOUTS = keys.OPTOUTS  # the conversation store's opt-out hash (number -> when)


def claim_key(eid: str | int, offset: int) -> str:
    return keys.reminder_claim(str(eid), offset)


SENT_KEEP = 10_000
ENDED_KEEP = 10_000
CLAIM_TTL = 60 * 24 * 3600  # a claim outlives any retry of its step
SID_TTL = 30 * 24 * 3600
CHECKIN_TTL = 3 * 24 * 3600

ACTIVE, CANCELLED, ENDED, COMPLETED = "active", "cancelled", "ended", "completed"
# Delivery statuses only move forward: a late "sent" never overwrites "delivered".
STATUS_RANK = {"claimed": 0, "accepted": 1, "queued": 1, "scheduled": 1, "sending": 2, "sent": 3,
               "delivered": 4, "undelivered": 4, "failed": 4, "read": 5}

# Record keys are derived from ids inside the scripts (one Redis, not a cluster).
_RECORD_KEY = keys.lua(keys.enrollments) + """
local function record_key(id) return key_enrollments(math.floor(tonumber(id) / BUCKET)) end
""".replace("BUCKET", str(BUCKET))

# KEYS: idx, due, seq, active counts
# ARGV: number, record (JSON), due ('' = none), mode (keep|restart), schedule, insights cohort ('' = not counted),
#       insights ttl
_ENROLL = _RECORD_KEY + COUNT_REMINDER + """
local existing = redis.call('HGET', KEYS[1], ARGV[1])
if existing then
  local rec = redis.call('HGET', record_key(existing), existing)
  if rec and (ARGV[4] == 'keep' or cjson.decode(rec)[6] == 'active') then return {0, existing} end
end
local id = tostring(redis.call('INCR', KEYS[3]))
redis.call('HSET', record_key(id), id, ARGV[2])
redis.call('HSET', KEYS[1], ARGV[1], id)
redis.call('HINCRBY', KEYS[4], ARGV[5], 1)
if ARGV[3] ~= '' then redis.call('ZADD', KEYS[2], ARGV[3], id) end
count_reminder(ARGV[6], 'enr', '', ARGV[7])
return {1, id}
"""

# Move an active enrollment on (shared by _ADVANCE and _SENT). KEYS[1] record, KEYS[2] due;
# ARGV[1] id, ARGV[2] expected k, ARGV[3] new k, ARGV[4] new status; @REASON@ sets the end reason,
# ARGV[@DUE@] is the next due time ('' = none).
_MOVE_ON = """
local raw = redis.call('HGET', KEYS[1], ARGV[1])
if not raw then redis.call('ZREM', KEYS[2], ARGV[1]) return 0 end
local rec = cjson.decode(raw)
if rec[6] ~= 'active' then redis.call('ZREM', KEYS[2], ARGV[1]) return 0 end
if tostring(rec[5]) ~= ARGV[2] then return 0 end
rec[5] = tonumber(ARGV[3])
rec[6] = ARGV[4]
if ARGV[4] ~= 'active' then redis.call('HINCRBY', '@ACTIVE_COUNTS@', rec[2], -1) end
@REASON@
redis.call('HSET', KEYS[1], ARGV[1], cjson.encode(rec))
if ARGV[4] == 'active' and ARGV[@DUE@] ~= '' then redis.call('ZADD', KEYS[2], ARGV[@DUE@], ARGV[1])
else redis.call('ZREM', KEYS[2], ARGV[1]) end
return 1
""".replace("@ACTIVE_COUNTS@", ACTIVE_COUNTS)

# Move an active enrollment on; one that ends on an error joins the staff's index of them.
# KEYS: record, due, ended index  ARGV: id, expected k, new k, new status, reason, next due ('' = none), now
_ADVANCE = _MOVE_ON.replace("@DUE@", "6").replace("@REASON@", """if ARGV[5] ~= '' then
  for i = #rec + 1, 9 do rec[i] = '' end
  rec[10] = ARGV[5]
end
if ARGV[4] == 'ended' then
  redis.call('ZADD', KEYS[3], ARGV[7], ARGV[1])
  redis.call('ZREMRANGEBYRANK', KEYS[3], 0, -ENDED_KEEP - 1)
end""".replace("ENDED_KEEP", str(ENDED_KEEP)))

# Set the wake-up time of an enrollment that is still active. KEYS: record, due  ARGV: id, due
_WAKE = """
local raw = redis.call('HGET', KEYS[1], ARGV[1])
if not raw or cjson.decode(raw)[6] ~= 'active' then redis.call('ZREM', KEYS[2], ARGV[1]) return 0 end
redis.call('ZADD', KEYS[2], ARGV[2], ARGV[1])
return 1
"""

# Take the due enrollments and lease them (push their score ahead) so no other dispatcher takes them.
# KEYS: due  ARGV: now, lease_until, limit
_TAKE_DUE = """
local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[3]))
for _, id in ipairs(ids) do redis.call('ZADD', KEYS[1], ARGV[2], id) end
return ids
"""

# Claim a step at send time, atomically with the checks that must hold when the text leaves:
# the enrollment is still active at the step it was read at, and the number has not opted out.
# KEYS: record, optouts, claim, log  ARGV: id, expected last offset, offset, claim value, claim TTL
# Returns {'claimed', entry} | {'held', entry, claim value} | {'moved'} | {'opted_out'}
_CLAIM = """
local raw = redis.call('HGET', KEYS[1], ARGV[1])
if not raw then return {'moved'} end
local rec = cjson.decode(raw)
if rec[6] ~= 'active' or tostring(rec[5]) ~= ARGV[2] then return {'moved'} end
if redis.call('HEXISTS', KEYS[2], rec[1]) == 1 then return {'opted_out'} end
local entry = redis.call('HGET', KEYS[4], ARGV[3]) or ''
if redis.call('SET', KEYS[3], ARGV[4], 'NX', 'EX', tonumber(ARGV[5])) then return {'claimed', entry} end
return {'held', entry, redis.call('GET', KEYS[3]) or ''}
"""

# After a send: the step's record, the MessageSid index, the staff view, the pending check-in and
# the move to the next step, in one round trip and one script (a pipeline with a script costs an
# extra SCRIPT EXISTS round trip in redis-py).
# KEYS: record, due, log, sid index, sent, checkin ('' when the schedule has no check-in)
# ARGV: id, expected k, new k, status, next due ('' = none), entry (JSON), ref, sent at, sid TTL,
#       sent keep, checkin TTL, insights cohort ('' = not counted), insights ttl
_SENT = COUNT_REMINDER + """
redis.call('HSET', KEYS[3], ARGV[3], ARGV[6])
redis.call('SET', KEYS[4], ARGV[7], 'EX', tonumber(ARGV[9]))
redis.call('ZADD', KEYS[5], ARGV[8], ARGV[7])
redis.call('ZREMRANGEBYRANK', KEYS[5], 0, -tonumber(ARGV[10]) - 1)
if KEYS[6] ~= '' then redis.call('SET', KEYS[6], ARGV[7], 'EX', tonumber(ARGV[11])) end
count_reminder(ARGV[12], 'sent', ':' .. ARGV[3], ARGV[13])
""" + _MOVE_ON.replace("@DUE@", "5").replace("@REASON@", "")

# Replace a claim only if it still holds the value read (one run takes over a stale claim).
# KEYS: claim  ARGV: expected value, new value
_TAKE_OVER = """
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[2], 'KEEPTTL')
return 1
"""

# The first report that a reminder was delivered (or read) counts it for the staff's insights, on its enrollment's
# day (the sent record's `ins`, hotline/insights.py).
# KEYS: sid index  ARGV: status, error code, now, rank table (JSON), insights ttl
_STATUS = COUNT_REMINDER + keys.lua(keys.reminder_log) + """
local ref = redis.call('GET', KEYS[1])
if not ref then return 0 end
local sep = string.find(ref, ':')
local log_key = key_reminder_log(string.sub(ref, 1, sep - 1))
local offset = string.sub(ref, sep + 1)
local ranks = cjson.decode(ARGV[4])
local raw = redis.call('HGET', log_key, offset)
local entry = raw and cjson.decode(raw) or {}
local current = ranks[entry['status'] or 'claimed'] or 0
local new = ranks[ARGV[1]]
if not new or new <= current then return 1 end
if (ARGV[1] == 'delivered' or ARGV[1] == 'read') and entry['status'] ~= 'delivered' and entry['status'] ~= 'read' then
  count_reminder(entry['ins'], 'dlv', ':' .. offset, ARGV[5])
end
entry['status'] = ARGV[1]
entry['status_at'] = tonumber(ARGV[3])
if ARGV[2] ~= '' then entry['error'] = ARGV[2] end
redis.call('HSET', log_key, offset, cjson.encode(entry))
return 2
"""

# A check-in's answer: the next message is ordinary again; the first answer is kept on the step's record and
# counted for the staff's insights on its enrollment's day. KEYS: checkin, log  ARGV: offset, answer, now,
# insights ttl. Returns 1 when the answer was kept, 0 when there was no record or it already had one.
_ANSWER = COUNT_REMINDER + """
redis.call('DEL', KEYS[1])
local raw = redis.call('HGET', KEYS[2], ARGV[1])
if not raw then return 0 end
local entry = cjson.decode(raw)
if entry['answer'] then return 0 end
entry['answer'] = ARGV[2]
entry['answered_at'] = tonumber(ARGV[3])
redis.call('HSET', KEYS[2], ARGV[1], cjson.encode(entry))
count_reminder(entry['ins'], 'ans', ':' .. ARGV[1] .. ':' .. ARGV[2], ARGV[4])
return 1
"""


@dataclass(frozen=True)
class Enrollment:
    id: str
    number: str
    schedule: str
    enrolled_at: float
    language: str = "en"
    last_offset: int = -1
    status: str = ACTIVE
    zone: str | None = None
    baby_name: str | None = None
    channel: str = "staff"
    reason: str | None = None

    @classmethod
    def from_record(cls, eid: str, raw: bytes | str) -> Enrollment:
        r = json.loads(raw) + [""] * 4
        return cls(eid, r[0], r[1], float(r[2]), r[3], int(r[4]), r[5], r[7] or None, r[8] or None, r[6],
                   r[9] or None)

    def record(self) -> str:
        """A JSON array, short enough (under 64 bytes) for Redis's compact hash encoding."""
        data: list[Any] = [self.number, self.schedule, int(self.enrolled_at), self.language, self.last_offset,
                           self.status, self.channel, self.zone or "", self.baby_name or "", self.reason or ""]
        while data[-1] == "":
            data.pop()
        return json.dumps(data, separators=(",", ":"), ensure_ascii=False)

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "number": self.number, "schedule": self.schedule,
                "enrolled_at": self.enrolled_at, "language": self.language, "status": self.status,
                "timezone": self.zone, "baby_name": self.baby_name, "consent_channel": self.channel,
                "end_reason": self.reason, "last_step_offset_minutes": self.last_offset}


class EnrollmentStore:
    def __init__(self, connection: redis.Redis, insights: InsightCounters | None = None,
                 clock: Callable[[], float] = time.time) -> None:
        self.redis = connection
        self.clock = clock  # the services' clock (hotline/clock.py)
        self.insights = insights  # None: nothing is counted for the staff's insights (hotline/insights.py)
        self._enroll = connection.register_script(_ENROLL)
        self._advance = connection.register_script(_ADVANCE)
        self._wake = connection.register_script(_WAKE)
        self._take = connection.register_script(_TAKE_DUE)
        self._status = connection.register_script(_STATUS)
        self._claim = connection.register_script(_CLAIM)
        self._take_over = connection.register_script(_TAKE_OVER)
        self._sent = connection.register_script(_SENT)
        self._answer = connection.register_script(_ANSWER)

    def _cohort(self, enrollment: Enrollment) -> tuple[str, int]:
        """Where the enrollment's reminders count for the staff's insights ("" when nothing is counted), and the
        counters' lifetime."""
        if self.insights is None:
            return "", 0
        return (self.insights.cohort(enrollment.enrolled_at, enrollment.schedule, enrollment.channel,
                                     enrollment.language), self.insights.ttl_seconds)

    # --- enrollments ------------------------------------------------------------------------------

    def add(self, enrollment: Enrollment, due: float | None, *, restart: bool) -> tuple[bool, str]:
        """Enroll atomically; (False, existing id) when the number is already in the schedule."""
        cohort, ttl = self._cohort(enrollment)
        created, eid = self._enroll(
            keys=[index_key(enrollment.schedule, enrollment.number), DUE, keys.REMINDER_SEQ, ACTIVE_COUNTS],
            args=[enrollment.number, enrollment.record(), "" if due is None else f"{due:.3f}",
                  "restart" if restart else "keep", enrollment.schedule, cohort, ttl])
        return bool(created), eid.decode() if isinstance(eid, bytes) else str(eid)

    def add_many(self, items: list[tuple[Enrollment, float | None]]) -> list[tuple[bool, str]]:
        """add() for many enrollments (kept when already enrolled) in one pipelined round trip."""
        if not items:
            return []
        with self.redis.pipeline(transaction=False) as pipe:
            for enrollment, due in items:
                cohort, ttl = self._cohort(enrollment)
                self._enroll(keys=[index_key(enrollment.schedule, enrollment.number), DUE, keys.REMINDER_SEQ,
                                   ACTIVE_COUNTS],
                             args=[enrollment.number, enrollment.record(), "" if due is None else f"{due:.3f}",
                                   "keep", enrollment.schedule, cohort, ttl], client=pipe)
            replies = pipe.execute()
        return [(bool(created), eid.decode() if isinstance(eid, bytes) else str(eid)) for created, eid in replies]

    def get(self, eid: str) -> Enrollment | None:
        if not is_enrollment_id(eid):
            return None
        raw = self.redis.hget(record_key(eid), eid)
        return Enrollment.from_record(eid, raw) if raw else None

    def get_many(self, ids: list[str]) -> dict[str, Enrollment]:
        """Records of many enrollments in one round trip (missing ones left out)."""
        by_bucket: dict[str, list[str]] = {}
        for eid in dict.fromkeys(str(i) for i in ids if is_enrollment_id(i)):
            by_bucket.setdefault(record_key(eid), []).append(eid)
        with self.redis.pipeline(transaction=False) as pipe:
            for key, members in by_bucket.items():
                pipe.hmget(key, members)  # one command per bucket, not per record
            replies = pipe.execute()
        return {eid: Enrollment.from_record(eid, raw)
                for members, raws in zip(by_bucket.values(), replies, strict=True)
                for eid, raw in zip(members, raws, strict=True) if raw}

    def ids_in(self, schedule: str) -> list[str]:
        with self.redis.pipeline(transaction=False) as pipe:
            for bucket in range(INDEX_BUCKETS):
                pipe.hvals(keys.enrollment_index(schedule, bucket))
            return [v.decode() for values in pipe.execute() for v in values]

    def in_schedule(self, schedule: str) -> list[Enrollment]:
        return list(self.get_many(self.ids_in(schedule)).values())

    def forget(self, number: str) -> int:
        """Erase every enrollment of a number with its delivery records; returns how many were erased."""
        mine = [e for e in self.all() if e.number == number]
        with self.redis.pipeline() as pipe:
            for enrollment in mine:
                eid = enrollment.id
                logs = self.logs(eid)
                pipe.hdel(record_key(eid), eid)
                pipe.hdel(index_key(enrollment.schedule, number), number)
                pipe.zrem(DUE, eid)
                pipe.zrem(ENDED_INDEX, eid)
                if enrollment.status == ACTIVE:
                    pipe.hincrby(ACTIVE_COUNTS, enrollment.schedule, -1)
                pipe.delete(keys.reminder_log(eid))
                for offset, entry in logs.items():
                    pipe.delete(claim_key(eid, offset))
                    pipe.zrem(SENT, f"{eid}:{offset}")
                    if entry.get("sid"):
                        pipe.delete(keys.reminder_sid(entry["sid"]))
            pipe.delete(checkin_key(number))
            pipe.execute()
        return len(mine)

    def all(self) -> list[Enrollment]:
        return self._read_buckets(range(self._last_bucket() + 1))

    def newest(self, limit: int) -> list[Enrollment]:
        """The newest `limit` enrollments, newest first, reading record buckets from the newest down
        (a page of them, not every record)."""
        found: list[Enrollment] = []
        top = self._last_bucket()
        while top >= 0 and len(found) < limit:
            low = max(0, top - 3)
            found += sorted(self._read_buckets(range(low, top + 1)), key=lambda e: -int(e.id))
            top = low - 1
        return found[:limit]

    def count(self) -> int:
        with self.redis.pipeline(transaction=False) as pipe:
            for bucket in range(self._last_bucket() + 1):
                pipe.hlen(keys.enrollments(bucket))
            return sum(pipe.execute())

    def _last_bucket(self) -> int:
        return int(self.redis.get(keys.REMINDER_SEQ) or 0) // BUCKET

    def _read_buckets(self, buckets: range) -> list[Enrollment]:
        with self.redis.pipeline(transaction=False) as pipe:
            for bucket in buckets:
                pipe.hgetall(keys.enrollments(bucket))
            found = pipe.execute()
        return [Enrollment.from_record(k.decode(), v) for records in found for k, v in records.items()]

    def advance(self, enrollment: Enrollment, new_last: int, status: str = ACTIVE, reason: str = "",
                next_due: float | None = None) -> bool:
        return bool(self._advance(keys=[record_key(enrollment.id), DUE, ENDED_INDEX], args=[
            enrollment.id, str(enrollment.last_offset), str(new_last), status, reason,
            "" if next_due is None else f"{next_due:.3f}", f"{self.clock():.3f}"]))

    def end(self, eid: str, status: str, reason: str) -> bool:
        """Cancel or end whatever step it is at."""
        current = self.get(eid)
        return bool(current and current.status == ACTIVE
                    and self.advance(current, current.last_offset, status, reason))

    def wake_at(self, eid: str, due: float) -> None:
        self._wake(keys=[record_key(eid), DUE], args=[eid, f"{due:.3f}"])

    def sleep(self, eid: str) -> None:
        self.redis.zrem(DUE, eid)

    # --- the due-set --------------------------------------------------------------------------------

    def take_due(self, now: float, lease_seconds: float, limit: int) -> list[str]:
        ids = self._take(keys=[DUE], args=[f"{now:.3f}", f"{now + lease_seconds:.3f}", limit])
        return [i.decode() for i in ids]

    def upcoming(self, limit: int = 100) -> list[tuple[str, float]]:
        return [(i.decode(), s) for i, s in self.redis.zrange(DUE, 0, limit - 1, withscores=True)]

    def recount(self) -> dict[str, int]:
        """Rebuild the staff counts from the records (after an upgrade from a version without them):
        active enrollments per schedule, and the index of ended ones (an unknown end time is taken as
        the enrollment time; times already indexed are kept). Returns the active counts."""
        everything = self.all()
        active: dict[str, int] = {}
        for enrollment in everything:
            if enrollment.status == ACTIVE:
                active[enrollment.schedule] = active.get(enrollment.schedule, 0) + 1
        ended = {e.id: e.enrolled_at for e in everything if e.status == ENDED}
        with self.redis.pipeline() as pipe:  # MULTI: nobody sees half a recount
            pipe.delete(ACTIVE_COUNTS)
            if active:
                pipe.hset(ACTIVE_COUNTS, mapping=active)
            if ended:
                pipe.zadd(ENDED_INDEX, ended, nx=True)
                pipe.zremrangebyrank(ENDED_INDEX, 0, -ENDED_KEEP - 1)
            pipe.execute()
        return active

    def active_count(self, schedule: str) -> int:
        return int(self.redis.hget(ACTIVE_COUNTS, schedule) or 0)

    def ended_recently(self, limit: int) -> list[tuple[str, float]]:
        """(id, when) of the enrollments that ended on an error, newest first."""
        return [(i.decode(), at) for i, at in self.redis.zrevrange(ENDED_INDEX, 0, limit - 1, withscores=True)]

    def ended_count(self) -> int:
        return int(self.redis.zcard(ENDED_INDEX))

    def pending_count(self) -> int:
        return int(self.redis.zcard(DUE))

    def due_times(self, ids: list[str]) -> dict[str, float | None]:
        """When each enrollment's next step is looked at (None: nothing pending), one pipelined read."""
        with self.redis.pipeline(transaction=False) as pipe:
            for eid in ids:
                pipe.zscore(DUE, eid)
            return dict(zip(ids, pipe.execute(), strict=True))

    def due_count(self, until: float) -> int:
        """Enrollments whose next step is due by `until` (epoch)."""
        return int(self.redis.zcount(DUE, "-inf", until))

    # --- claims and reminder records ------------------------------------------------------------------

    def claim(self, eid: str, enrollment: Enrollment, offset: int, now: float, token: str,
              replicas: int = 0) -> tuple[str, dict[str, Any], bytes | None]:
        """(result, the step's record, the claim held by another run): see _CLAIM. With `replicas`, the claim
        counts only once that many replicas have it (WAIT, on the same connection): otherwise the result is
        'unreplicated', and the claim is still held on the primary."""
        names = [record_key(eid), OPTOUTS, claim_key(eid, offset), keys.reminder_log(eid)]
        args = [eid, str(enrollment.last_offset), str(offset), f"{now:.3f}:{token}", CLAIM_TTL]
        reply, acked = self._replicated(self._claim, names, args, replicas)
        result = reply[0].decode()
        if result == "claimed" and acked < replicas:
            result = "unreplicated"
        entry = json.loads(reply[1]) if len(reply) > 1 and reply[1] else {}
        return result, entry, (reply[2] if len(reply) > 2 else None)

    def _replicated(self, script: Any, keys: list[Any], args: list[Any], replicas: int) -> tuple[Any, int]:
        """Run a script; with `replicas`, follow it with WAIT in the same pipeline (WAIT counts the writes of
        its own connection). Returns the script's reply and how many replicas acknowledged."""
        if replicas <= 0:
            return script(keys=keys, args=args), 0
        with self.redis.pipeline(transaction=False) as pipe:
            script(keys=keys, args=args, client=pipe)
            pipe.wait(replicas, CLAIM_WAIT_MS)
            reply, acked = pipe.execute()
        return reply, int(acked)

    def take_over(self, eid: str, offset: int, held: bytes | None, now: float, token: str, replicas: int = 0) -> bool:
        """Take a stale claim over (compare-and-set); with `replicas`, True only once they have it too (a claim
        taken but not replicated is left to go stale again)."""
        reply, acked = self._replicated(self._take_over, [claim_key(eid, offset)],
                                        [held or b"", f"{now:.3f}:{token}"], replicas)
        return bool(reply) and acked >= replicas

    def mark_stale(self, eid: str, offset: int, token: str) -> None:
        """Keep the claim but date it 0: the next run checks Twilio before sending again."""
        self.redis.set(claim_key(eid, offset), f"0:{token}", xx=True, keepttl=True)

    def release(self, eid: str, offset: int) -> None:
        self.redis.delete(claim_key(eid, offset))

    def log(self, eid: str, offset: int) -> dict[str, Any]:
        raw = self.redis.hget(keys.reminder_log(eid), str(offset))
        return json.loads(raw) if raw else {}

    def log_entries(self, steps: list[tuple[str, int]]) -> list[dict[str, Any]]:
        """log() of many (id, offset) steps in one round trip."""
        with self.redis.pipeline(transaction=False) as pipe:
            for eid, offset in steps:
                pipe.hget(keys.reminder_log(eid), str(offset))
            return [json.loads(raw) if raw else {} for raw in pipe.execute()]

    def logs(self, eid: str) -> dict[int, dict[str, Any]]:
        return {int(k): json.loads(v) for k, v in self.redis.hgetall(keys.reminder_log(eid)).items()}

    def write_log(self, eid: str, offset: int, entry: dict[str, Any]) -> None:
        self.redis.hset(keys.reminder_log(eid), str(offset), json.dumps(entry, separators=(",", ":")))

    def record_sent_and_advance(self, enrollment: Enrollment, offset: int, entry: dict[str, Any], checkin: bool,
                                next_due: float | None) -> None:
        """The MessageSid, the sent record and the move to the next step (or completion): one round trip. The same
        script counts the text as sent for the staff's insights, on its enrollment's day; the record keeps that day
        and the enrollment's dimensions (`ins`) for its delivery status and its answer."""
        ref = f"{enrollment.id}:{offset}"
        cohort, ttl = self._cohort(enrollment)
        if cohort:
            entry = {**entry, "ins": cohort}
        self._sent(
            keys=[record_key(enrollment.id), DUE, keys.reminder_log(enrollment.id), keys.reminder_sid(entry["sid"]),
                  SENT, checkin_key(enrollment.number) if checkin else ""],
            args=[enrollment.id, str(enrollment.last_offset), str(offset), ACTIVE if next_due else COMPLETED,
                  "" if next_due is None else f"{next_due:.3f}", json.dumps(entry, separators=(",", ":")), ref,
                  entry["at"], SID_TTL, SENT_KEEP, CHECKIN_TTL, cohort, ttl])

    def sent(self, limit: int = 100) -> list[tuple[str, int, float]]:
        rows = self.redis.zrevrange(SENT, 0, limit - 1, withscores=True)
        out = []
        for ref, at in rows:
            eid, _, offset = ref.decode().partition(":")
            out.append((eid, int(offset), at))
        return out

    def record_status(self, sid: str, status: str, error_code: str, now: float) -> str:
        """'unknown' (not a reminder), 'kept' (duplicate or older news) or 'updated'."""
        result = self._status(keys=[keys.reminder_sid(sid)],
                              args=[status, error_code, f"{now:.3f}", json.dumps(STATUS_RANK),
                                    self.insights.ttl_seconds if self.insights else 0])
        return {0: "unknown", 1: "kept", 2: "updated"}[int(result)]

    # --- check-in replies ---------------------------------------------------------------------------

    def answer_checkin(self, number: str, ref: str, answer: str) -> bool:
        """Keep the parent's first answer on the check-in it answers (and count it for the staff's insights); the
        next message is ordinary again. One round trip. False when the step has no record or already an answer."""
        eid, _, offset = ref.partition(":")
        if not is_enrollment_id(eid) or re.fullmatch(r"-?[0-9]{1,9}", offset) is None:
            self.redis.delete(checkin_key(number))
            return False
        return bool(self._answer(keys=[checkin_key(number), keys.reminder_log(eid)],
                                 args=[str(int(offset)), answer, f"{self.clock():.3f}",
                                       self.insights.ttl_seconds if self.insights else 0]))
