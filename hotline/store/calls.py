"""Phone calls in Redis: call state by CallSid, replayable answers, callbacks and text summaries.

Like conversations, a webhook costs two round trips: one read (`load`, one MGET) and one Lua script
(`commit`) that writes only if the call state is still what `load` saw. The call's transcript goes
into the same list as the caller's SMS conversation, so staff see texts and calls together.

Its keys are built in hotline/store/keys.py, which says what each holds and how long it lives (docs/redis-keys.md):
the call's state by CallSid and the answer given to each of its webhooks (for Twilio's retries), callback requests
and their index, and advice-by-text requests with the worker's claim on each.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass

import redis

from hotline.insights import COUNT_CONVERSATION, sections_argument
from hotline.store import keys
from hotline.store.conversations import APPEND_TRIMMED, ConversationStore, entry_arguments

CALL_TTL = 4 * 3600
SUMMARY_TTL = 24 * 3600

# KEYS: call, reply, transcript, contact, conversations, ref ("" = none), insights (today's counters, "" = none)
# ARGV: expected ("" = none), new_state, call_ttl, reply, retention_ttl, now, language, number, max_entries,
#       insights ttl, day, level ("" = no assessment), sections (comma-separated), entries...
_COMMIT = APPEND_TRIMMED + COUNT_CONVERSATION + """
local current = redis.call('GET', KEYS[1]) or ''
if current ~= ARGV[1] then return 0 end
if redis.call('EXISTS', KEYS[2]) == 1 then return 2 end
redis.call('SET', KEYS[1], ARGV[2], 'EX', ARGV[3])
redis.call('SET', KEYS[2], ARGV[4], 'EX', ARGV[3])
if ARGV[8] ~= '' then
  redis.call('HSET', KEYS[4], 'language', ARGV[7], 'last_seen', ARGV[6])
  redis.call('HSETNX', KEYS[4], 'first_seen', ARGV[6])
  redis.call('EXPIRE', KEYS[4], ARGV[5])
  redis.call('ZADD', KEYS[5], ARGV[6], ARGV[8])
  -- As conversations.py: the index keeps a number as long as its transcript.
  redis.call('ZREMRANGEBYSCORE', KEYS[5], '-inf', '(' .. string.format('%.3f', tonumber(ARGV[6]) - tonumber(ARGV[5])))
  redis.call('EXPIRE', KEYS[5], ARGV[5])
  if KEYS[6] ~= '' then redis.call('SET', KEYS[6], ARGV[8], 'EX', ARGV[5]) end
  if KEYS[7] ~= '' then
    count_conversation(KEYS[4], KEYS[7], ARGV[11], 'voice', ARGV[12], ARGV[7], ARGV[10])
    count_sections(KEYS[4], KEYS[7], 'voice', ARGV[7], ARGV[13], ARGV[10])
  end
  if #ARGV > 13 then
    append_trimmed(KEYS[3], KEYS[4], 14, ARGV[9], ARGV[5])
  end
end
return 1
"""


@dataclass(frozen=True)
class LoadedCall:
    state_raw: str
    previous_reply: str | None  # the answer already given to this webhook


@dataclass(frozen=True)
class Callback:
    id: str
    number: str
    level: str | None
    language: str
    requested_at: float
    recording_url: str | None = None
    recording_seconds: int | None = None
    done_at: float | None = None
    done_by: str | None = None

    def to_dict(self) -> dict[str, object]:
        return {
            "id": self.id, "number": self.number, "level": self.level, "language": self.language,
            "requested_at": self.requested_at, "recording_url": self.recording_url,
            "recording_seconds": self.recording_seconds, "done_at": self.done_at, "done_by": self.done_by,
        }


class CallStore:
    def __init__(self, connection: redis.Redis, conversations: ConversationStore) -> None:
        self.redis = connection
        self.retention_ttl = conversations.retention_ttl
        self.conversations = conversations
        self.clock = conversations.clock  # one clock for a number's calls and texts (hotline/clock.py)
        self._commit = connection.register_script(_COMMIT)

    def load(self, call_sid: str, n: int) -> LoadedCall:
        raw, reply = self.redis.mget(keys.call(call_sid), keys.call_reply(call_sid, n))
        return LoadedCall(raw.decode() if raw else "", reply.decode() if reply else None)

    def commit(self, call_sid: str, n: int, *, expected: str, new_state: str, reply: str, number: str,
               language: str, entries: list[dict[str, object]], level: str = "",
               sections: tuple[str, ...] = ()) -> str:
        """Save the call's new state and answer; returns 'ok', 'conflict' or 'duplicate'. With a number, the same
        script counts the call for the staff's insights, as a text's commit does (hotline/insights.py)."""
        # The conversation's own keys, so calls and texts share one transcript per number.
        now = self.clock()
        insights = self.conversations.insights
        day = insights.day(now) if insights else ""
        names = [keys.call(call_sid), keys.call_reply(call_sid, n), keys.transcript(number or "-"),
                 keys.contact(number or "-"), keys.CONVERSATIONS, self.conversations.ref_key(number),
                 insights.key(day) if insights else ""]
        args: list[str | int | float] = [expected, new_state, CALL_TTL, reply, self.retention_ttl, f"{now:.3f}",
                              language, number, self.conversations.max_entries,
                              insights.ttl_seconds if insights else 0, day, level, sections_argument(sections)]
        args += entry_arguments(entries, now)
        result = self._commit(keys=names, args=args)
        return {1: "ok", 0: "conflict", 2: "duplicate"}[int(result)]

    # --- callbacks ------------------------------------------------------------------------------

    def request_callback(self, callback: Callback) -> None:
        """Record a callback request once (a retried webhook does not make a second one)."""
        key = keys.callback(callback.id)
        if self.redis.set(key, json.dumps(callback.to_dict()), nx=True, ex=self.retention_ttl):
            self.redis.zadd(keys.CALLBACKS, {callback.id: callback.requested_at})

    def attach_recording(self, callback_id: str, url: str, seconds: int | None) -> None:
        self._update_callback(callback_id, recording_url=url, recording_seconds=seconds)

    def mark_done(self, callback_id: str, by: str) -> bool:
        """Staff called the parent back. False when there is no such callback request."""
        return self._update_callback(callback_id, done_at=self.clock(), done_by=by)

    def _update_callback(self, callback_id: str, **changes: object) -> bool:
        key = keys.callback(callback_id)
        with self.redis.pipeline() as pipe:
            while True:
                try:
                    pipe.watch(key)
                    raw = pipe.get(key)
                    if not raw:
                        return False
                    data = json.loads(raw)
                    data.update(changes)
                    pipe.multi()
                    pipe.set(key, json.dumps(data), keepttl=True)
                    pipe.execute()
                    return True
                except redis.WatchError:
                    continue

    def callback(self, callback_id: str) -> Callback | None:
        raw = self.redis.get(keys.callback(callback_id))
        return Callback(**json.loads(raw)) if raw else None

    def callbacks(self, limit: int = 100) -> list[Callback]:
        ids = [i.decode() for i in self.redis.zrevrange(keys.CALLBACKS, 0, limit - 1)]
        if not ids:
            return []
        found = []
        for callback_id, raw in zip(ids, self.redis.mget([keys.callback(i) for i in ids]), strict=True):
            if raw is None:  # expired with the retention period
                self.redis.zrem(keys.CALLBACKS, callback_id)
                continue
            found.append(Callback(**json.loads(raw)))
        return found

    # --- advice by text -------------------------------------------------------------------------

    def save_summary(self, summary_id: str, number: str, text: str) -> None:
        payload = json.dumps({"number": number, "text": text}, ensure_ascii=False)
        self.redis.set(keys.summary(summary_id), payload, ex=SUMMARY_TTL, nx=True)

    # --- forget ---------------------------------------------------------------------------------

    def forget(self, number: str) -> dict[str, int]:
        """Erase the number's callback requests, call states (with the answers given to each call's webhooks)
        and advice-by-text requests; what was removed. Calls and summaries are named by CallSid, so this scans
        them (their keys live hours, so there are few)."""
        callbacks = 0
        for callback_id in [i.decode() for i in self.redis.zrange(keys.CALLBACKS, 0, -1)]:
            raw = self.redis.get(keys.callback(callback_id))
            if raw and json.loads(raw).get("number") == number:
                self.redis.delete(keys.callback(callback_id))
                self.redis.zrem(keys.CALLBACKS, callback_id)
                callbacks += 1
        calls = list(self._naming(keys.call("*"), number))
        for key in calls:  # and the answers given to each of those calls' webhooks
            replies = list(self.redis.scan_iter(match=keys.call_reply(key.decode()[len(keys.call("")):], "*"),
                                                count=500))
            if replies:
                self.redis.delete(*replies)
        summaries = list(self._naming(keys.summary("*"), number))
        return {"callback requests": callbacks,
                "call states": int(self.redis.delete(*calls)) if calls else 0,
                "call summaries": int(self.redis.delete(*summaries)) if summaries else 0}

    def _naming(self, pattern: str, number: str) -> Iterator[bytes]:
        """Keys matching `pattern` whose JSON value names `number` (call states, summaries)."""
        for key in self.redis.scan_iter(match=pattern, count=500):
            raw = self.redis.get(key)
            try:
                if raw and json.loads(raw).get("number") == number:
                    yield key
            except (ValueError, AttributeError):
                continue


class SummaryStore:
    """What the summary worker needs: read a request, claim it once, remember what was sent."""

    def __init__(self, connection: redis.Redis) -> None:
        self.redis = connection

    def read(self, summary_id: str) -> tuple[str, str] | None:
        raw = self.redis.get(keys.summary(summary_id))
        if not raw:
            return None
        data = json.loads(raw)
        return str(data["number"]), str(data["text"])

    def claim(self, summary_id: str) -> bool:
        return bool(self.redis.set(keys.summary_sent(summary_id), "sending", nx=True, ex=SUMMARY_TTL))

    def release(self, summary_id: str) -> None:
        self.redis.delete(keys.summary_sent(summary_id))

    def sent(self, summary_id: str, message_sid: str) -> None:
        self.redis.set(keys.summary_sent(summary_id), message_sid, ex=SUMMARY_TTL)
