"""Conversations in Redis: sessions, contacts, opt-outs, transcripts and idempotent replies.

A webhook costs two round trips: one read (`load`, a small Lua script: one command for redis-py to pack and
parse instead of a pipeline of nine) and one Lua script (`commit`) that writes everything only if the session is
still what `load` saw (compare-and-set), so two webhooks racing for one number never corrupt its session: the loser
runs the engine again on the new state. What they write and read as JSON (the reply kept for retries, transcript
entries) goes through orjson: compact UTF-8, as the readers (json or orjson) all parse it.

Its keys are built in hotline/store/keys.py, which says what each holds and how long it lives (docs/redis-keys.md):
the number's session, contact hash, transcript, flood and rate counters; the opt-outs; the index of conversations
for staff views (a member lives as long as its transcript: every write drops those older than the retention
period); the ref -> number key a page opens a conversation with; and per message the reply already given (by
MessageSid and by idempotency token) and the opt-out or opt-in word already handled. Twilio signs no timestamp, so a
captured signed STOP or START is valid for ever: once its reply has expired, the keyword key is what refuses a
replay of it (no reply, no effect) instead of letting it undo a later opt-out or opt-in. The same script counts the
staff's insights (hotline/insights.py).
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import orjson
import redis

from hotline.insights import COUNT_CONVERSATION, InsightCounters, sections_argument
from hotline.redis_connection import COMMIT_WAIT_MS
from hotline.store import keys

if TYPE_CHECKING:
    from hotline.privacy import NumberRefs

log = logging.getLogger(__name__)

RATE_WINDOW_SECONDS = 60


def dumps(value: object) -> bytes | str:
    """JSON for a value the scripts store (a reply, a transcript entry): orjson's compact UTF-8, or, for what it
    refuses (an integer beyond 64 bits, a lone surrogate), the standard library's."""
    try:
        return orjson.dumps(value)
    except TypeError:  # orjson.JSONEncodeError is a TypeError
        return json.dumps(value)  # escaped to ASCII: a lone surrogate too


def loads(raw: bytes | str) -> Any:
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError:  # what only the standard library reads (NaN, a lone surrogate's escape)
        return json.loads(raw)


def entry_arguments(entries: Iterable[dict[str, object]], at: float) -> list[bytes | str]:
    """Transcript entries as the scripts take them: each stamped with its time, as JSON."""
    stamp = round(at, 3)
    return [dumps({"at": stamp, **entry}) for entry in entries]


# One read of everything the engine needs about a number (Loaded), and with `count` ("1") the message counted in the
# number's rate window (SET NX EX opens the window once; INCR keeps its expiry). A script rather than a pipeline: the
# same keys and commands, one round trip either way, but one command for redis-py to pack and parse instead of nine.
# KEYS: session, contact, optouts, reply (by MessageSid), reply (by token), checkin, open case, case claim, rate
# ARGV: number, count ("1" | "0"), rate window (seconds)
_LOAD = """
local found = {redis.call('GET', KEYS[1]), redis.call('EXISTS', KEYS[2]), redis.call('HEXISTS', KEYS[3], ARGV[1]),
               redis.call('GET', KEYS[4]), redis.call('GET', KEYS[5]), redis.call('GET', KEYS[6]),
               redis.call('GET', KEYS[7]), redis.call('GET', KEYS[8]), 0}
if ARGV[2] == '1' then
  redis.call('SET', KEYS[9], 0, 'EX', ARGV[3], 'NX')
  found[9] = redis.call('INCR', KEYS[9])
end
return found
"""

# The commit script's KEYS: session, contact, transcript, optouts, conversations, reply_sid, reply_token, ref,
#       keyword ("" = none), flood, insights (today's counters, "" = none)
# ARGV: expected_session ("" = none), new_session, reply_json, optout ("set" | "del" | ""), now, language, number,
#       keep ("1": store even past the flood limit), day, channel, level ("" = no assessment),
#       sections (comma-separated), entries...
# The store's settings (SESSION_TTL, RETENTION_TTL, FLOOD_LIMIT, FLOOD_WINDOW, MAX_ENTRIES, INSIGHTS_TTL) are
# constants at the head of its copy of the script (`_commit_script`): six arguments fewer to pack on every commit.
# Lua shared by the scripts that write a transcript (this one, and a call's in hotline/store/calls.py): append
# the entries, keep the newest `most`, count those removed in the contact hash, renew the list's lifetime.
APPEND_TRIMMED = """
local function append_trimmed(list, contact, entries_from, most, ttl)
  local length = redis.call('RPUSH', list, unpack(ARGV, entries_from))
  most = tonumber(most)
  if length > most then
    redis.call('LTRIM', list, -most, -1)
    redis.call('HINCRBY', contact, 'trimmed', length - most)
  end
  redis.call('EXPIRE', list, ttl)
end
"""

_COMMIT = APPEND_TRIMMED + COUNT_CONVERSATION + """
local current = redis.call('GET', KEYS[1]) or ''
if current ~= ARGV[1] then return 0 end
if KEYS[6] ~= '' and redis.call('EXISTS', KEYS[6]) == 1 then return 2 end
if KEYS[7] ~= '' and redis.call('EXISTS', KEYS[7]) == 1 then return 2 end
-- An opt-out or opt-in word handled before, whose reply has expired: a replay, refused.
if KEYS[9] ~= '' and redis.call('EXISTS', KEYS[9]) == 1 then return 3 end
redis.call('SET', KEYS[1], ARGV[2], 'EX', SESSION_TTL)
redis.call('HSET', KEYS[2], 'language', ARGV[6], 'last_seen', ARGV[5])
redis.call('HSETNX', KEYS[2], 'first_seen', ARGV[5])
redis.call('EXPIRE', KEYS[2], RETENTION_TTL)
if #ARGV > 12 then
  -- A flood is stored up to flood_limit texts a window, then only counted ('keep': emergencies, urgent ones).
  local texts = redis.call('INCR', KEYS[10])
  if texts == 1 then redis.call('EXPIRE', KEYS[10], FLOOD_WINDOW) end
  if texts <= FLOOD_LIMIT or ARGV[8] == '1' then
    append_trimmed(KEYS[3], KEYS[2], 13, MAX_ENTRIES, RETENTION_TTL)
  else
    redis.call('HINCRBY', KEYS[2], 'dropped', 1)
    redis.call('HSET', KEYS[2], 'dropped_at', ARGV[5])
  end
end
if KEYS[11] ~= '' then
  count_conversation(KEYS[2], KEYS[11], ARGV[9], ARGV[10], ARGV[11], ARGV[6], INSIGHTS_TTL)
  count_sections(KEYS[2], KEYS[11], ARGV[10], ARGV[6], ARGV[12], INSIGHTS_TTL)
end
if ARGV[4] == 'set' then redis.call('HSET', KEYS[4], ARGV[7], ARGV[5]) end
if ARGV[4] == 'del' then redis.call('HDEL', KEYS[4], ARGV[7]) end
redis.call('ZADD', KEYS[5], ARGV[5], ARGV[7])
-- The index keeps a number as long as its transcript: drop those last active before the retention period.
redis.call('ZREMRANGEBYSCORE', KEYS[5], '-inf', '(' .. string.format('%.3f', tonumber(ARGV[5]) - RETENTION_TTL))
redis.call('EXPIRE', KEYS[5], RETENTION_TTL)
if KEYS[8] ~= '' then redis.call('SET', KEYS[8], ARGV[7], 'EX', RETENTION_TTL) end
-- The reply caches live a day (keys.DAY, their lifetime in the key registry).
if KEYS[6] ~= '' then redis.call('SET', KEYS[6], ARGV[3], 'EX', 86400) end
if KEYS[7] ~= '' then redis.call('SET', KEYS[7], ARGV[3], 'EX', 86400) end
if KEYS[9] ~= '' then redis.call('SET', KEYS[9], ARGV[5], 'EX', RETENTION_TTL) end
return 1
"""


@dataclass(frozen=True)
class NotStored:
    """What a number's transcript is missing, for staff: texts of a flood past the limit (how many, and when the
    last one came), and the oldest entries removed when the transcript reached its maximum length."""

    flood_texts: int = 0
    last_flood_text_at: float | None = None
    trimmed_entries: int = 0

    @classmethod
    def of(cls, contact: dict[str, str]) -> NotStored:
        at = contact.get("dropped_at")
        return cls(int(contact.get("dropped", 0)), float(at) if at else None, int(contact.get("trimmed", 0)))


@dataclass(frozen=True)
class Loaded:
    """What one read tells about a number before the engine runs."""

    session_raw: str
    known_contact: bool
    opted_out: bool
    previous_reply: tuple[str, ...] | None  # set when this exact message was already answered
    pending_checkin: str | None = None  # a check-in text awaiting its answer ("enrollment:offset")
    recent_messages: int = 0  # inbound messages from this number in the current rate window
    open_case: str | None = None  # the number's open case (hotline/cases.py), if any
    claim: str | None = None  # "{case}|{staff}|{token}" while a nurse has the conversation: the bot stays silent


class ConversationStore:
    def __init__(self, connection: redis.Redis, session_ttl: int, retention_days: int,
                 refs: NumberRefs | None = None, *, flood_limit: int = 60, flood_window: int = 3600,
                 max_entries: int = 1000, insights: InsightCounters | None = None,
                 wait_replicas: int = 0, clock: Callable[[], float] = time.time) -> None:
        self.redis = connection
        self.clock = clock  # the services' clock (hotline/clock.py): transcript times, the conversation index
        self.session_ttl = session_ttl
        self.retention_ttl = retention_days * 24 * 3600
        self.refs = refs  # None: writes keep no ref -> number key (a store that only reads)
        self.flood_limit = flood_limit  # texts stored per number per flood window (settings: HOTLINE_FLOOD_*)
        self.flood_window = flood_window
        self.max_entries = max_entries  # the newest entries a transcript keeps (HOTLINE_TRANSCRIPT_MAX_ENTRIES)
        self.insights = insights  # None: writes count nothing for the staff's insights (hotline/insights.py)
        # With replicas (Sentinel), a commit waits up to COMMIT_WAIT_MS for this many to have it, in the same
        # round trip, so a turn the parent was answered for survives a failover (docs/operations.md).
        self.wait_replicas = wait_replicas
        self._commit = connection.register_script(self._commit_script())
        self._load = connection.register_script(_LOAD)

    def _commit_script(self) -> str:
        """The commit script with this store's settings as constants (read once: they are the deployment's)."""
        settings = (self.session_ttl, self.retention_ttl, self.flood_limit, self.flood_window, self.max_entries,
                    self.insights.ttl_seconds if self.insights else 0)
        return ("local SESSION_TTL, RETENTION_TTL, FLOOD_LIMIT, FLOOD_WINDOW, MAX_ENTRIES, INSIGHTS_TTL = "
                + ", ".join(str(int(value)) for value in settings) + "\n" + _COMMIT)

    def ref_key(self, number: str) -> str:
        """The key naming the number behind its reference; "" when this store has no refs."""
        return keys.ref(self.refs.of(number)) if self.refs is not None and number else ""

    def load(self, number: str, message_sid: str = "", token: str = "", *, count: bool = False) -> Loaded:
        """Everything the engine needs about a number, in one round trip. `count` adds this message
        to the number's rate window (once per inbound message, not on compare-and-set retries)."""
        names = [keys.session(number), keys.contact(number), keys.OPTOUTS, keys.reply(message_sid or "-"),
                 keys.reply_token(token or "-"), keys.checkin(number),
                 keys.open_case(number), keys.case_claim(number),  # its staff case (hotline/cases.py)
                 keys.rate(number)]
        raw, known, opted_out, by_sid, by_token, checkin, case, claim, rate = self._load(
            keys=names, args=[number, "1" if count else "0", RATE_WINDOW_SECONDS])
        previous = by_sid or by_token
        return Loaded(
            session_raw=raw.decode() if raw else "",
            known_contact=bool(known),
            opted_out=bool(opted_out),
            previous_reply=tuple(loads(previous)) if previous else None,
            pending_checkin=checkin.decode() if checkin else None,
            recent_messages=int(rate),
            open_case=case.decode() if case else None,
            claim=claim.decode() if claim else None,
        )

    def commit(
        self,
        number: str,
        *,
        expected_session: str,
        new_session: str,
        language: str,
        reply: tuple[str, ...],
        entries: list[dict[str, object]],
        optout: str = "",
        message_sid: str = "",
        token: str = "",
        keyword: bool = False,
        keep: bool = False,
        channel: str = "sms",
        level: str = "",
        sections: tuple[str, ...] = (),
    ) -> str:
        """Write a handled message atomically. Returns 'ok', 'conflict' (session changed), 'duplicate' (already
        answered: the reply is kept) or 'replayed' (`keyword`: an opt-out or opt-in word whose MessageSid was
        handled before, over a day ago; nothing is written).

        Past the flood limit the entries are not stored, only counted, unless `keep` (an emergency or urgent
        assessment, which staff must see); everything else (session, opt-out, reply) is written as usual.

        The same script counts the message for the staff's insights (hotline/insights.py): the number's conversation
        of the day, at `level` if this message was assessed, and the article `sections` its reply drew on."""
        now = self.clock()
        day = self.insights.day(now) if self.insights else ""
        names = [keys.session(number), keys.contact(number), keys.transcript(number), keys.OPTOUTS,
                 keys.CONVERSATIONS, keys.reply(message_sid) if message_sid else "",
                 keys.reply_token(token) if token else "", self.ref_key(number),
                 keys.keyword(message_sid) if keyword and message_sid else "", keys.flood(number),
                 self.insights.key(day) if self.insights else ""]
        args: list[object] = [expected_session, new_session, dumps(reply), optout, f"{now:.3f}", language, number,
                              "1" if keep else "0", day, channel, level, sections_argument(sections)]
        args += entry_arguments(entries, now)
        if self.wait_replicas <= 0:
            result = self._commit(keys=names, args=args)
        else:
            with self.redis.pipeline(transaction=False) as pipe:  # one connection: WAIT counts its writes
                self._commit(keys=names, args=args, client=pipe)
                pipe.wait(self.wait_replicas, COMMIT_WAIT_MS)
                result, acked = pipe.execute()
            if int(result) == 1 and int(acked) < self.wait_replicas:
                log.warning("a conversation write reached %d of %d replicas within %d ms (a failover now could "
                            "lose it)", int(acked), self.wait_replicas, COMMIT_WAIT_MS)
        return {1: "ok", 0: "conflict", 2: "duplicate", 3: "replayed"}[int(result)]

    # --- staff reads --------------------------------------------------------------------------

    def transcript(self, number: str) -> list[dict[str, object]]:
        return [json.loads(raw) for raw in self.redis.lrange(keys.transcript(number), 0, -1)]

    def contact(self, number: str) -> dict[str, str]:
        return {k.decode(): v.decode() for k, v in self.redis.hgetall(keys.contact(number)).items()}

    def not_stored(self, number: str) -> NotStored:
        return NotStored.of(self.contact(number))

    def is_opted_out(self, number: str) -> bool:
        return bool(self.redis.hexists(keys.OPTOUTS, number))

    def opt_outs(self) -> dict[str, float]:
        return {k.decode(): float(v) for k, v in self.redis.hgetall(keys.OPTOUTS).items()}

    def listed_since(self) -> float:
        """Conversations last active before this are past the retention period (their transcripts have
        expired): staff views leave them out, though the next write has not yet dropped them."""
        return self.clock() - self.retention_ttl

    def number_for_ref(self, ref: str) -> str | None:
        """The number behind a page's reference, while its conversation is within the retention period: one
        GET and one ZSCORE, however many conversations there are."""
        raw = self.redis.get(keys.ref(ref)) if ref.startswith("n_") else None
        if raw is None:
            return None
        score = self.redis.zscore(keys.CONVERSATIONS, raw)
        return raw.decode() if score is not None and score >= self.listed_since() else None

    def index_refs(self, rows: list[tuple[str, float]]) -> None:
        """Make listed conversations (number, last activity) openable by their refs: those last written
        before the ref keys existed, or under another secret key. Each key expires with the transcript."""
        if self.refs is None or not rows:
            return
        now = self.clock()
        with self.redis.pipeline(transaction=False) as pipe:
            for number, last in rows:
                left = int(last + self.retention_ttl - now)
                if left > 0:
                    pipe.set(self.ref_key(number), number, ex=left)
            pipe.execute()

    def rows(self, since: float | None = None, limit: int = 200) -> list[tuple[str, float]]:
        """(number, last activity) of the newest conversations, or of those active since a time, within the
        retention period."""
        oldest = self.listed_since()
        rows = self.redis.zrevrangebyscore(keys.CONVERSATIONS, "+inf", max(since or oldest, oldest), start=0,
                                           num=limit, withscores=True)
        return [(n.decode(), score) for n, score in rows]

    def last_active(self, number: str) -> float | None:
        """When the number last texted or called, however long ago, if within the retention period."""
        score = self.redis.zscore(keys.CONVERSATIONS, number)
        return None if score is None or score < self.listed_since() else float(score)

    def latest_assessments(self, numbers: list[str], entries: int = 40) -> dict[str, dict[str, Any]]:
        """The latest assessment of each number among its newest `entries` transcript entries, read with one
        pipelined round trip."""
        with self.redis.pipeline(transaction=False) as pipe:
            for number in numbers:
                pipe.lrange(keys.transcript(number), -entries, -1)
            results = pipe.execute()
        latest: dict[str, dict[str, Any]] = {}
        for number, raws in zip(numbers, results, strict=True):
            for raw in reversed(raws):
                entry = json.loads(raw)
                if entry.get("dir") == "assessment":
                    latest[number] = entry
                    break
        return latest

    # --- forget -----------------------------------------------------------------------------------

    def forget(self, number: str) -> dict[str, int]:
        """Erase the number's conversation (session, contact, transcript, its place in the staff's list, its ref
        keys, its rate and flood counters), keeping its opt-out (forget_opt_out); what was removed."""
        with self.redis.pipeline() as pipe:
            pipe.delete(keys.session(number))
            pipe.delete(keys.contact(number))
            pipe.llen(keys.transcript(number))
            pipe.delete(keys.transcript(number))
            pipe.zrem(keys.CONVERSATIONS, number)
            pipe.delete(keys.rate(number), keys.flood(number))
            if self.refs is not None:
                pipe.delete(self.ref_key(number))
            session, contact, transcript_len, _, listed, *_ = pipe.execute()
        # A ref key written under an earlier secret key (the one above is the current ref's).
        for key in self.redis.scan_iter(match=keys.ref("*"), count=500):
            if self.redis.get(key) == number.encode():
                self.redis.delete(key)
        return {"conversation session": int(session), "contact record": int(contact),
                "transcript entries": int(transcript_len), "conversation list entry": int(listed)}

    def forget_opt_out(self, number: str) -> int:
        """Remove the number's STOP record (then it could be texted again); 1 when there was one."""
        return int(self.redis.hdel(keys.OPTOUTS, number))
