"""Cases in Redis: one open case per number, claims that expire, an audit of every action, and a live feed.

A case is opened when a parent's text or call is assessed urgent or emergency, a caller asks for a callback,
or a check-in is answered "worse" (hotline/cases.py decides; this module only keeps them). Every change is one
atomic step: the case is opened in a MULTI/EXEC transaction that watches the number's open-case key (two
messages racing from one number open one case) and carries the on-call alert job with it (the job is queued
if and only if the case is created); claim, release, close and the rest are Lua scripts, so two nurses
pressing "Claim" at once find exactly one winner.

Its keys are built in hotline/store/keys.py, which says what each holds and how long it lives (docs/redis-keys.md):
the case (a hash: number, level, flags, reasons, status, who claimed it and when, the last staff action, alerts sent)
and its history; the number's open case and, while a nurse has the conversation, its claim (the bot stays silent
apart from the safety screen; the claim expires after HOTLINE_CLAIM_TIMEOUT_MINUTES without a staff action, so a
parent is never left unanswered, whether or not a worker has noticed yet); the delivery status of each staff text
or alert by MessageSid; the open cases in the inbox's order, the recently closed, the last case id; the live feed
(case ids only) and the audit of who did what to which case, kept a year.

Scripts derive a case's number keys from the number stored in the case (one Redis, not a cluster), as the
reminder store's scripts do, with the spellings keys.lua() gives them.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass

import redis

from hotline.insights import REPLY_BUCKETS, InsightCounters, bucket_name
from hotline.store import keys
from hotline.store.audit import KEEP_SECONDS as AUDIT_KEEP_SECONDS

OPEN = keys.OPEN_CASES
CLOSED = keys.CLOSED_CASES
SEQ = keys.CASE_SEQ
FEED = keys.CASE_FEED
AUDIT = keys.CASE_AUDIT
FEED_LENGTH = 1000
FEED_TTL = 24 * 3600

OPEN_STATUS, CLAIMED, CLOSED_STATUS = "open", "claimed", "closed"
# How serious a case is, for the inbox order. A case with no level (a callback or a "worse" check-in before any
# assessment) ranks under urgent and above soon: unknown is the worse answer, but not an emergency.
RANKS = {"emergency": 5, "urgent": 4, "": 3, "soon": 2, "home": 1}
SYSTEM = "hotline"  # who the hotline's own actions are recorded as
STATUS_RANK = {"accepted": 1, "queued": 1, "scheduled": 1, "sending": 2, "sent": 3, "delivered": 4,
               "undelivered": 4, "failed": 4, "read": 5}


# The first-reply histogram's finite bounds, for the script (a wait over the last one counts as "inf").
REPLY_BOUNDS = ",".join(bucket_name(bound) for bound in REPLY_BUCKETS if bound != float("inf"))


def rank_of(level: str | None) -> int:
    return RANKS.get(level or "", RANKS[""])


def inbox_score(rank: int, opened_at: float) -> float:
    """Ascending: the most serious first, and within a level the oldest first."""
    return (10 - rank) * 1e10 + opened_at


# The keys the scripts build from a case's id or number, and the case indexes, as hotline/store/keys.py spells them.
_KEYS = keys.lua(keys.case, keys.case_log, keys.open_case, keys.case_claim, keys.case_message,
                 OPEN_CASES=keys.OPEN_CASES, CLOSED_CASES=keys.CLOSED_CASES, CASE_FEED=keys.CASE_FEED,
                 CASE_AUDIT=keys.CASE_AUDIT, OPTOUTS=keys.OPTOUTS)

# Shared by every script: the case's history, the audit stream and the live feed, written in the same step.
# ARGV of each script starts with: by, now, retention seconds, audit min id (ms).
_RECORD_STEPS = """
local case_key = KEYS[1]
local id = string.sub(case_key, string.len(key_case('')) + 1)
local by, now, retention, audit_min = ARGV[1], ARGV[2], tonumber(ARGV[3]), ARGV[4]
local function record(what, detail)
  redis.call('RPUSH', key_case_log(id), cjson.encode({at = tonumber(now), by = by, what = what, detail = detail}))
  redis.call('EXPIRE', key_case_log(id), retention)
  redis.call('XADD', CASE_AUDIT, 'MINID', '~', audit_min, '*', 'by', by, 'case', id, 'what', what,
             'detail', detail)
  redis.call('EXPIRE', CASE_AUDIT, __AUDIT_KEEP__)
end
local function feed(kind)
  redis.call('XADD', CASE_FEED, 'MAXLEN', '~', __FEED_LENGTH__, '*', 'kind', kind, 'case', id, 'by', by)
  redis.call('EXPIRE', CASE_FEED, __FEED_TTL__)
end
local function touch()
  redis.call('HSET', case_key, 'updated_at', now)
  redis.call('EXPIRE', case_key, retention)
  local number = redis.call('HGET', case_key, 'number')
  if number and redis.call('GET', key_open_case(number)) == id then
    redis.call('EXPIRE', key_open_case(number), retention)  -- the open key lives as long as its case
  end
end
local function reopen_score(rank)
  local opened = tonumber(redis.call('HGET', case_key, 'opened_at'))
  redis.call('ZADD', OPEN_CASES, (10 - rank) * 1e10 + opened, id)
end
""".replace("__AUDIT_KEEP__", str(AUDIT_KEEP_SECONDS)).replace("__FEED_LENGTH__", str(FEED_LENGTH)).replace(
    "__FEED_TTL__", str(FEED_TTL))
_RECORD = _KEYS + _RECORD_STEPS

# A message, assessment, callback or check-in for a number with an open case: fold it into that case.
# KEYS: the number's open key. ARGV: by, now, retention, audit_min, level, rank, flags (comma-separated), reason,
#       message ("1": a parent's message: tell the live feed), kind of live event ("" = none)
# Returns {id, claimed_by, raised} or nil when the number has no open case.
_FOLD = _KEYS + """
local open_key = KEYS[1]
local id = redis.call('GET', open_key)
if not id then return nil end
KEYS[1] = key_case(id)
""" + _RECORD_STEPS + """
local status = redis.call('HGET', case_key, 'status')
if not status or status == 'closed' then
  redis.call('DEL', open_key)  -- a case expired or closed under it: the number has no open case
  return nil
end
local raised = 0
local rank = tonumber(ARGV[6])
if ARGV[5] ~= '' or ARGV[8] ~= '' then
  local current = tonumber(redis.call('HGET', case_key, 'rank') or '0')
  if ARGV[5] ~= '' and rank > current then
    redis.call('HSET', case_key, 'level', ARGV[5], 'rank', rank)
    reopen_score(rank)
    raised = 1
    record('level raised', ARGV[5])
    feed('raised')
  end
  if ARGV[7] ~= '' then
    local flags = redis.call('HGET', case_key, 'flags') or ''
    for flag in string.gmatch(ARGV[7], '[^,]+') do
      if not string.find(',' .. flags .. ',', ',' .. flag .. ',', 1, true) then
        flags = (flags == '' and flag) or (flags .. ',' .. flag)
      end
    end
    redis.call('HSET', case_key, 'flags', flags)
  end
  if ARGV[8] ~= '' then
    local reasons = redis.call('HGET', case_key, 'reasons') or ''
    if not string.find(',' .. reasons .. ',', ',' .. ARGV[8] .. ',', 1, true) then
      redis.call('HSET', case_key, 'reasons', (reasons == '' and ARGV[8]) or (reasons .. ',' .. ARGV[8]))
      record('also', ARGV[8])
    end
  end
end
if ARGV[9] == '1' then redis.call('HSET', case_key, 'last_message_at', now) end
if ARGV[10] ~= '' then feed(ARGV[10]) end
touch()
return {id, redis.call('HGET', case_key, 'claimed_by') or '', raised}
"""

# KEYS: case. ARGV: by, now, retention, audit_min, claim timeout (ms), token.
# Returns 'ok' | 'mine' | 'gone' | 'closed' | 'taken:<who>'.
_CLAIM = _RECORD + """
local status = redis.call('HGET', case_key, 'status')
if not status then return 'gone' end
if status == 'closed' then return 'closed' end
local number = redis.call('HGET', case_key, 'number')
local claim = key_case_claim(number)
local current = redis.call('GET', claim)
if current then
  local holder = string.match(current, '^[^|]*|(.*)|[^|]*$')
  if holder == by then return 'mine' end
  return 'taken:' .. holder
end
redis.call('SET', claim, id .. '|' .. by .. '|' .. ARGV[6], 'PX', ARGV[5])
redis.call('HSET', case_key, 'status', 'claimed', 'claimed_by', by, 'claimed_at', now, 'claim_token', ARGV[6],
           'last_staff_at', now, 'handled', '1')
record('claimed', '')
feed('claimed')
touch()
return 'ok'
"""

# Before a staff text goes out: the case is claimed by this staff member, the claim is alive and the number has
# not opted out. The claim's time starts again (staff silence is what ends a claim).
# KEYS: case. ARGV: by, now, retention, audit_min, claim timeout (ms).
# Returns {'ok', number} | {'gone'|'closed'|'not-claimed'|'opted-out'|'taken:<who>'}.
_RESERVE = _RECORD + """
local status = redis.call('HGET', case_key, 'status')
if not status then return {'gone'} end
if status == 'closed' then return {'closed'} end
local number = redis.call('HGET', case_key, 'number')
local current = redis.call('GET', key_case_claim(number))
if not current or string.sub(current, 1, string.len(id) + 1) ~= id .. '|' then return {'not-claimed'} end
local holder = string.match(current, '^[^|]*|(.*)|[^|]*$')
if holder ~= by then return {'taken:' .. holder} end
if redis.call('HEXISTS', OPTOUTS, number) == 1 then return {'opted-out'} end
redis.call('PEXPIRE', key_case_claim(number), ARGV[5])
redis.call('HSET', case_key, 'last_staff_at', now)
touch()
return {'ok', number}
"""

# A text a nurse (or the hotline, for a note) sent for a case: into the parent's transcript, with its delivery
# status kept by MessageSid. A case's first reply from a nurse is counted for the staff's insights: how long after
# the case opened, in the histogram's bucket, by the channel that opened it and the parent's language.
# KEYS: case, transcript, contact, msg status key ("" = none), insights (today's counters, "" = none).
# ARGV: by, now, retention, audit_min, entry (JSON), max entries, what, detail, kind (reply | note),
#       insights ttl, bucket bounds (seconds, ascending, comma-separated)
_SENT = _RECORD + """
local length = redis.call('RPUSH', KEYS[2], ARGV[5])
local most = tonumber(ARGV[6])
if length > most then
  redis.call('LTRIM', KEYS[2], -most, -1)
  redis.call('HINCRBY', KEYS[3], 'trimmed', length - most)
end
redis.call('EXPIRE', KEYS[2], retention)
if KEYS[4] ~= '' then
  redis.call('HSET', KEYS[4], 'case', id, 'status', 'queued', 'kind', ARGV[9], 'at', now)
  redis.call('EXPIRE', KEYS[4], retention)
end
record(ARGV[7], ARGV[8])
feed(ARGV[9])
if ARGV[9] == 'reply' and KEYS[5] ~= '' and redis.call('HSETNX', case_key, 'first_reply_at', now) == 1 then
  local waited = tonumber(now) - tonumber(redis.call('HGET', case_key, 'opened_at') or now)
  local bucket = 'inf'
  for bound in string.gmatch(ARGV[11], '[^,]+') do
    if waited <= tonumber(bound) then bucket = bound break end
  end
  local began = string.match(redis.call('HGET', case_key, 'reasons') or '', '^[^,]*')
  local channel = ((began == 'voice' or began == 'callback') and 'voice') or 'sms'
  local language = redis.call('HGET', KEYS[3], 'language') or 'en'
  redis.call('HINCRBY', KEYS[5], 'reply:' .. channel .. ':' .. language .. ':' .. bucket, 1)
  redis.call('EXPIRE', KEYS[5], ARGV[10])
end
touch()
return 1
"""

# Hand back: the bot answers the number again. Only the staff member holding the claim hands it back.
# KEYS: case. ARGV: by, now, retention, audit_min. Returns {'ok', number} | {'gone'|'closed'|'not-claimed'|'taken:x'}.
_RELEASE = _RECORD + """
local status = redis.call('HGET', case_key, 'status')
if not status then return {'gone'} end
if status == 'closed' then return {'closed'} end
local holder = redis.call('HGET', case_key, 'claimed_by') or ''
if status ~= 'claimed' or holder == '' then return {'not-claimed'} end
if holder ~= by then return {'taken:' .. holder} end
local number = redis.call('HGET', case_key, 'number')
local claim = key_case_claim(number)
local current = redis.call('GET', claim)
if current and string.sub(current, 1, string.len(id) + 1) == id .. '|' then redis.call('DEL', claim) end
redis.call('HSET', case_key, 'status', 'open', 'claimed_by', '', 'claim_token', '', 'last_staff_at', now)
record('handed back', '')
feed('released')
touch()
return {'ok', number}
"""

# Close: anyone may. KEYS: case. ARGV: by, now, retention, audit_min.
# Returns {'ok', number, claimed ("1" when a claim was alive: the bot is back)} | {'gone'} | {'closed'}.
_CLOSE = _RECORD + """
local status = redis.call('HGET', case_key, 'status')
if not status then return {'gone'} end
if status == 'closed' then return {'closed'} end
local number = redis.call('HGET', case_key, 'number')
local claim = key_case_claim(number)
local current = redis.call('GET', claim)
local claimed = '0'
if current and string.sub(current, 1, string.len(id) + 1) == id .. '|' then
  redis.call('DEL', claim)
  claimed = '1'
end
if redis.call('GET', key_open_case(number)) == id then redis.call('DEL', key_open_case(number)) end
redis.call('ZREM', OPEN_CASES, id)
redis.call('ZADD', CLOSED_CASES, now, id)
redis.call('ZREMRANGEBYSCORE', CLOSED_CASES, '-inf', '(' .. string.format('%.3f', tonumber(now) - retention))
redis.call('EXPIRE', CLOSED_CASES, retention)
redis.call('HSET', case_key, 'status', 'closed', 'closed_at', now, 'closed_by', by, 'claimed_by', '',
           'claim_token', '')
record('closed', '')
feed('closed')
touch()
return {'ok', number, claimed}
"""

# A claim's timer: still alive (a staff action refreshed it) -> its milliseconds left; ended -> the case is open
# and unclaimed again. KEYS: case. ARGV: by, now, retention, audit_min, token.
# Returns {'alive', ms} | {'expired', number} | {'stale'} (released, closed or claimed again since).
_EXPIRE = _RECORD + """
local status = redis.call('HGET', case_key, 'status')
if status ~= 'claimed' or redis.call('HGET', case_key, 'claim_token') ~= ARGV[5] then return {'stale'} end
local number = redis.call('HGET', case_key, 'number')
local claim = key_case_claim(number)
local current = redis.call('GET', claim)
if current and string.sub(current, -string.len(ARGV[5]) - 1) == '|' .. ARGV[5] then
  return {'alive', redis.call('PTTL', claim)}
end
local holder = redis.call('HGET', case_key, 'claimed_by') or ''
redis.call('HSET', case_key, 'status', 'open', 'claimed_by', '', 'claim_token', '', 'handled', '0')
record('claim expired', holder)
feed('expired')
touch()
return {'expired', number}
"""

# An on-call alert, at most once per case, round and number. KEYS: case. ARGV: by, now, retention, audit_min,
# field ("alert:{round}:{index}"), then "claim" | "sent" (sid, detail) | "release".
_ALERT = _RECORD + """
if redis.call('EXISTS', case_key) == 0 then return 0 end
if ARGV[6] == 'claim' then
  return redis.call('HSETNX', case_key, ARGV[5], 'sending')
elseif ARGV[6] == 'release' then
  redis.call('HDEL', case_key, ARGV[5])
  return 1
end
redis.call('HSET', case_key, ARGV[5], (ARGV[7] ~= '' and ARGV[7]) or 'failed')
if ARGV[7] ~= '' then
  redis.call('HSET', key_case_message(ARGV[7]), 'case', id, 'status', 'queued', 'kind', 'alert', 'at', now)
  redis.call('EXPIRE', key_case_message(ARGV[7]), retention)
end
record('alerted', ARGV[8])
feed('alerted')
touch()
return 1
"""

# Something the hotline notes on a case: in its history and the audit (what, detail) and on the live feed (kind,
# addressed to feed_by). KEYS: case. ARGV: by, now, retention, audit_min, what ("" = none), detail, kind, feed_by.
_EVENT = _RECORD + """
if redis.call('EXISTS', case_key) == 0 then return 0 end
if ARGV[5] ~= '' then record(ARGV[5], ARGV[6]) end
if ARGV[7] ~= '' then
  by = ARGV[8]
  feed(ARGV[7])
end
touch()
return 1
"""

# Delivery status of a staff text or alert; a status never moves back (delivered stays delivered).
# KEYS: msg key. ARGV: status, error code, now, ranks (JSON). Returns 0 unknown sid, 1 kept, 2 updated.
_STATUS = _KEYS + """
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
local ranks = cjson.decode(ARGV[4])
local current = redis.call('HGET', KEYS[1], 'status') or ''
if (ranks[ARGV[1]] or 0) <= (ranks[current] or 0) then return 1 end
redis.call('HSET', KEYS[1], 'status', ARGV[1], 'error', ARGV[2], 'status_at', ARGV[3])
local id = redis.call('HGET', KEYS[1], 'case')
redis.call('XADD', CASE_FEED, 'MAXLEN', '~', __FEED_LENGTH__, '*', 'kind', 'status', 'case', id, 'by', '')
return 2
""".replace("__FEED_LENGTH__", str(FEED_LENGTH))


@dataclass(frozen=True)
class Case:
    id: str
    number: str
    level: str  # "" when no assessment came with it (a callback, a "worse" check-in)
    flags: tuple[str, ...]
    reasons: tuple[str, ...]  # sms, voice, callback, checkin: what opened it and what was folded into it since
    status: str
    opened_at: float
    claimed_by: str = ""
    claimed_at: float | None = None
    claim_token: str = ""
    last_staff_at: float | None = None
    last_message_at: float | None = None
    closed_at: float | None = None
    closed_by: str = ""
    handled: bool = False  # claimed since it opened (or since a claim expired): no more escalation
    alerts: tuple[tuple[str, str], ...] = ()  # (alert:{round}:{index}, MessageSid or state)

    @property
    def rank(self) -> int:
        return rank_of(self.level)

    @property
    def is_open(self) -> bool:
        return self.status != CLOSED_STATUS

    @classmethod
    def from_hash(cls, raw: dict[bytes, bytes]) -> Case:
        data = {k.decode(): v.decode() for k, v in raw.items()}

        def moment(name: str) -> float | None:
            return float(data[name]) if data.get(name) else None

        return cls(
            id=data["id"], number=data["number"], level=data.get("level", ""),
            flags=tuple(f for f in data.get("flags", "").split(",") if f),
            reasons=tuple(r for r in data.get("reasons", "").split(",") if r),
            status=data.get("status", OPEN_STATUS), opened_at=float(data["opened_at"]),
            claimed_by=data.get("claimed_by", ""), claimed_at=moment("claimed_at"),
            claim_token=data.get("claim_token", ""), last_staff_at=moment("last_staff_at"),
            last_message_at=moment("last_message_at"), closed_at=moment("closed_at"),
            closed_by=data.get("closed_by", ""), handled=data.get("handled") == "1",
            alerts=tuple(sorted((k, v) for k, v in data.items() if k.startswith("alert:"))),
        )


@dataclass(frozen=True)
class Outcome:
    """What a staff action came to: 'ok', or why not ('gone', 'closed', 'not-claimed', 'opted-out', 'taken:<who>',
    'mine'), with the case's number when the caller needs it to text the parent."""

    result: str
    number: str = ""
    extra: str = ""

    @property
    def ok(self) -> bool:
        return self.result == "ok"

    @property
    def holder(self) -> str:
        return self.result.split(":", 1)[1] if self.result.startswith("taken:") else ""


class CaseStore:
    def __init__(self, connection: redis.Redis, retention_seconds: int, max_entries: int = 1000,
                 clock: Callable[[], float] = time.time, insights: InsightCounters | None = None) -> None:
        self.redis = connection
        self.insights = insights  # None: first replies are not counted for the staff's insights
        self.retention = int(retention_seconds)
        self.max_entries = max_entries
        self.clock = clock
        self._fold = connection.register_script(_FOLD)
        self._claim = connection.register_script(_CLAIM)
        self._reserve = connection.register_script(_RESERVE)
        self._sent = connection.register_script(_SENT)
        self._release = connection.register_script(_RELEASE)
        self._close = connection.register_script(_CLOSE)
        self._expire = connection.register_script(_EXPIRE)
        self._alert = connection.register_script(_ALERT)
        self._status = connection.register_script(_STATUS)
        self._event = connection.register_script(_EVENT)

    def _common(self, by: str) -> list[str | int]:
        now = self.clock()
        return [by, f"{now:.3f}", self.retention, str(int((now - AUDIT_KEEP_SECONDS) * 1000))]

    # --- opening ----------------------------------------------------------------------------------

    def fold(self, number: str, *, level: str = "", flags: tuple[str, ...] = (), reason: str = "",
             message: bool = False, event: str = "") -> tuple[str, str, bool] | None:
        """Fold into the number's open case: raise its level, add flags and the reason, tell the live feed.
        Returns (case id, who has it claimed or "", whether the level rose), or None when there is no open case."""
        result = self._fold(keys=[keys.open_case(number)], args=[
            *self._common(SYSTEM), level, rank_of(level), ",".join(flags), reason, "1" if message else "0", event])
        if result is None:
            return None
        case_id, holder, raised = result
        return case_id.decode(), holder.decode(), bool(int(raised))

    def open(self, number: str, *, ref: str, level: str, flags: tuple[str, ...], reason: str,
             enqueue: Callable[[str, redis.client.Pipeline], None], event: str = "",
             none_open: bool = False) -> tuple[str, bool]:
        """The number's open case, folded into, or a new one: (case id, created). `enqueue(case_id, pipeline)`
        queues the alert job inside the transaction that creates the case, so the job exists if and only if the
        case does: a crash can lose neither, and a racing message from the same number cannot open a second.
        `none_open`: the caller has just read that the number has no open case (skip the first fold)."""
        with self.redis.pipeline() as pipe:
            while True:
                if not none_open:
                    folded = self.fold(number, level=level, flags=flags, reason=reason, event=event,
                                       message=event == "message")
                    if folded is not None:
                        return folded[0], False
                none_open = False
                try:
                    pipe.watch(keys.open_case(number))
                    if pipe.get(keys.open_case(number)) is not None:
                        pipe.unwatch()
                        continue  # opened meanwhile (or a stale key the fold just cleared): fold into it
                    case_id = str(pipe.incr(SEQ))
                    now = self.clock()
                    common = self._common(SYSTEM)
                    entry = json.dumps({"at": round(now, 3), "by": SYSTEM, "what": "opened",
                                        "detail": ",".join(filter(None, [level, reason]))})
                    key = keys.case(case_id)
                    pipe.multi()
                    pipe.hset(key, mapping={
                        "id": case_id, "number": number, "ref": ref, "level": level, "rank": rank_of(level),
                        "flags": ",".join(dict.fromkeys(flags)), "reasons": reason, "status": OPEN_STATUS,
                        "opened_at": f"{now:.3f}", "updated_at": f"{now:.3f}", "last_message_at": f"{now:.3f}",
                        "handled": "0", "alert_round": "0"})
                    pipe.expire(key, self.retention)
                    pipe.rpush(keys.case_log(case_id), entry)
                    pipe.expire(keys.case_log(case_id), self.retention)
                    pipe.set(keys.open_case(number), case_id, ex=self.retention)
                    pipe.zadd(OPEN, {case_id: inbox_score(rank_of(level), now)})
                    pipe.xadd(AUDIT, {"by": SYSTEM, "case": case_id, "what": "opened",
                                      "detail": ",".join(filter(None, [level, reason]))},
                              minid=common[3], approximate=True)
                    pipe.expire(AUDIT, AUDIT_KEEP_SECONDS)
                    pipe.xadd(FEED, {"kind": "opened", "case": case_id, "by": SYSTEM}, maxlen=FEED_LENGTH,
                              approximate=True)
                    pipe.expire(FEED, FEED_TTL)
                    enqueue(case_id, pipe)
                    pipe.execute()
                    return case_id, True
                except redis.WatchError:
                    continue

    # --- staff actions ----------------------------------------------------------------------------

    def claim(self, case_id: str, by: str, timeout_seconds: float) -> Outcome:
        token = uuid.uuid4().hex[:12]
        result = self._claim(keys=[keys.case(case_id)], args=[*self._common(by), int(timeout_seconds * 1000), token])
        return Outcome(result.decode(), extra=token)

    def reserve_reply(self, case_id: str, by: str, timeout_seconds: float) -> Outcome:
        result = [part.decode() for part in self._reserve(
            keys=[keys.case(case_id)], args=[*self._common(by), int(timeout_seconds * 1000)])]
        return Outcome(result[0], number=result[1] if len(result) > 1 else "")

    def record_sent(self, case_id: str, number: str, *, by: str, entry: dict[str, object], sid: str, what: str,
                    detail: str, kind: str) -> None:
        now = self.clock()
        names = [keys.case(case_id), keys.transcript(number), keys.contact(number),
                 keys.case_message(sid) if sid else "",
                 self.insights.key(self.insights.day(now)) if self.insights else ""]
        common = self._common(by)
        common[1] = f"{now:.3f}"  # the same moment as the transcript entry's
        self._sent(keys=names, args=[*common, json.dumps({"at": round(now, 3), **entry}, ensure_ascii=False),
                                    self.max_entries, what, detail, kind,
                                    self.insights.ttl_seconds if self.insights else 0, REPLY_BOUNDS])

    def release(self, case_id: str, by: str) -> Outcome:
        result = [part.decode() for part in self._release(keys=[keys.case(case_id)], args=self._common(by))]
        return Outcome(result[0], number=result[1] if len(result) > 1 else "")

    def close(self, case_id: str, by: str) -> Outcome:
        result = [part.decode() for part in self._close(keys=[keys.case(case_id)], args=self._common(by))]
        if len(result) > 1:
            return Outcome(result[0], number=result[1], extra=result[2])
        return Outcome(result[0])

    def expire_claim(self, case_id: str, token: str) -> Outcome:
        result = self._expire(keys=[keys.case(case_id)], args=[*self._common(SYSTEM), token])
        kind = result[0].decode()
        if kind == "alive":
            return Outcome(kind, extra=str(int(result[1])))
        return Outcome(kind, number=result[1].decode() if len(result) > 1 else "")

    def event(self, case_id: str, *, what: str = "", detail: str = "", kind: str = "", to: str = "",
              by: str = SYSTEM) -> None:
        """Note something on a case's history and audit (`what`), and/or tell the live feed (`kind`, for `to`)."""
        self._event(keys=[keys.case(case_id)], args=[*self._common(by), what, detail, kind, to])

    def note_round(self, case_id: str, round_: int) -> None:
        self.redis.hset(keys.case(case_id), "alert_round", round_)

    def alert_round(self, case_id: str) -> int:
        """The last round of on-call alerts noted for the case (0: none yet)."""
        return int(self.redis.hget(keys.case(case_id), "alert_round") or 0)

    # --- alerts -----------------------------------------------------------------------------------

    def claim_alert(self, case_id: str, round_: int, index: int) -> bool:
        return bool(self._alert(keys=[keys.case(case_id)], args=[*self._common(SYSTEM), f"alert:{round_}:{index}",
                                                          "claim"]))

    def release_alert(self, case_id: str, round_: int, index: int) -> None:
        self._alert(keys=[keys.case(case_id)], args=[*self._common(SYSTEM), f"alert:{round_}:{index}", "release"])

    def alert_sent(self, case_id: str, round_: int, index: int, sid: str, detail: str) -> None:
        self._alert(keys=[keys.case(case_id)], args=[*self._common(SYSTEM), f"alert:{round_}:{index}", "sent",
                                              sid, detail])

    def record_status(self, sid: str, status: str, error_code: str, now: float) -> str:
        """'unknown' (no staff text or alert), 'kept' (duplicate or older news) or 'updated'."""
        result = self._status(keys=[keys.case_message(sid)],
                              args=[status, error_code, f"{now:.3f}", json.dumps(STATUS_RANK)])
        return {0: "unknown", 1: "kept", 2: "updated"}[int(result)]

    def statuses(self, sids: list[str]) -> dict[str, tuple[str, str]]:
        """MessageSid -> (status, error code), one pipelined read."""
        if not sids:
            return {}
        with self.redis.pipeline(transaction=False) as pipe:
            for sid in sids:
                pipe.hmget(keys.case_message(sid), "status", "error")
            found = pipe.execute()
        return {sid: ((s or b"").decode(), (e or b"").decode()) for sid, (s, e) in zip(sids, found, strict=True)}

    # --- reads --------------------------------------------------------------------------------------

    def get(self, case_id: str) -> Case | None:
        if not case_id.isdigit() or len(case_id) > 18:
            return None
        raw = self.redis.hgetall(keys.case(case_id))
        return Case.from_hash(raw) if raw else None

    def _many(self, ids: list[str], index: str) -> list[Case]:
        with self.redis.pipeline(transaction=False) as pipe:
            for case_id in ids:
                pipe.hgetall(keys.case(case_id))
            found = pipe.execute()
        cases = []
        for case_id, raw in zip(ids, found, strict=True):
            if raw:
                cases.append(Case.from_hash(raw))
            else:  # expired with the retention period
                self.redis.zrem(index, case_id)
        return cases

    def open_cases(self, limit: int = 200) -> list[Case]:
        """Open cases, the most serious first and, within a level, the oldest first."""
        return self._many([i.decode() for i in self.redis.zrange(OPEN, 0, limit - 1)], OPEN)

    def closed_cases(self, limit: int = 50) -> list[Case]:
        return self._many([i.decode() for i in self.redis.zrevrange(CLOSED, 0, limit - 1)], CLOSED)

    def counts(self) -> dict[str, int]:
        """Open cases, and how many of them nobody has claimed (the tab title's count): one pipelined read of
        each open case's status."""
        ids = self.redis.zrange(OPEN, 0, -1)
        with self.redis.pipeline(transaction=False) as pipe:
            for case_id in ids:
                pipe.hget(keys.case(case_id.decode()), "status")
            statuses = pipe.execute() if ids else []
        found = [s for s in statuses if s is not None]
        return {"open": len(found), "waiting": sum(1 for s in found if s != CLAIMED.encode())}

    def history(self, case_id: str) -> list[dict[str, object]]:
        return [json.loads(raw) for raw in self.redis.lrange(keys.case_log(case_id), 0, -1)]

    def claim_of(self, number: str) -> tuple[str, str] | None:
        """(case id, staff) while the number's conversation is claimed."""
        raw = self.redis.get(keys.case_claim(number))
        if not raw:
            return None
        case_id, holder, _ = raw.decode().split("|")
        return case_id, holder

    # --- the live feed ----------------------------------------------------------------------------------

    def feed_position(self) -> str:
        """The id of the newest feed event ("0-0" when none): a page starts listening after it."""
        newest = self.redis.xrevrange(FEED, count=1)
        return newest[0][0].decode() if newest else "0-0"

    def read_feed(self, after: str, block_ms: int | None = None,
                  connection: redis.Redis | None = None) -> list[tuple[str, dict[str, str]]]:
        found = (connection or self.redis).xread({FEED: after}, count=200, block=block_ms)
        if not found:
            return []
        return [(event_id.decode(), {k.decode(): v.decode() for k, v in fields.items()})
                for event_id, fields in found[0][1]]

    # --- forget -------------------------------------------------------------------------------------------

    def forget(self, number: str) -> dict[str, int]:
        """Erase every case of a number (its record, history and keys); the audit names cases by id only. What was
        removed."""
        ids = [i.decode() for index in (OPEN, CLOSED) for i in self.redis.zrange(index, 0, -1)]
        removed = 0
        for case_id in ids:
            if self.redis.hget(keys.case(case_id), "number") == number.encode():
                with self.redis.pipeline() as pipe:
                    pipe.delete(keys.case(case_id), keys.case_log(case_id))
                    pipe.zrem(OPEN, case_id)
                    pipe.zrem(CLOSED, case_id)
                    pipe.execute()
                removed += 1
        self.redis.delete(keys.open_case(number), keys.case_claim(number))
        return {"staff cases": removed}
