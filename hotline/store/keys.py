"""Every Redis key the hotline writes, in one table: the only module that spells a key.

Each family of keys has a builder (a function, or the key itself for a family of one), the module that owns it
(writes it, reads it and, when it holds a phone number, forgets it), whether it holds a parent's phone number (in
its name or its value), and how long it lives. Stores build their keys here; a Lua script that derives a key from a
value it reads gets the spelling from `lua()`. tests/test_architecture.py fails when another module spells a key;
docs/redis-keys.md is made from this table (`hotline redis-keys > docs/redis-keys.md`,
tests/test_redis_keys_doc.py); tests/test_retention.py walks it: every family that holds a number is erased by
`hotline forget`, and every key expires within its lifetime.

Key strings are stored data: a change here is a data migration.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from hotline.settings import Settings

P = "hl:"
DAY = 24 * 3600

# --- Builders, by owner --------------------------------------------------------------------------------------

# hotline/store/conversations.py


def session(number: str) -> str:
    return f"{P}session:{number}"


def contact(number: str) -> str:
    return f"{P}contact:{number}"


def transcript(number: str) -> str:
    return f"{P}transcript:{number}"


CONVERSATIONS = f"{P}conversations"


def ref(ref: str) -> str:
    return f"{P}ref:{ref}"


def rate(number: str) -> str:
    return f"{P}rate:{number}"


def flood(number: str) -> str:
    return f"{P}flood:{number}"


OPTOUTS = f"{P}optouts"


def reply(message_sid: str) -> str:
    return f"{P}reply:{message_sid}"


def reply_token(token: str) -> str:
    return f"{P}reply:tok:{token}"


def keyword(message_sid: str) -> str:
    return f"{P}keyword:{message_sid}"


# hotline/store/calls.py


def call(call_sid: str) -> str:
    return f"{P}call:{call_sid}"


def call_reply(call_sid: str, n: int | str) -> str:
    return f"{P}call:{call_sid}:reply:{n}"


CALLBACKS = f"{P}callbacks"


def callback(callback_id: str) -> str:
    return f"{P}callback:{callback_id}"


def summary(summary_id: str) -> str:
    return f"{P}summary:{summary_id}"


def summary_sent(summary_id: str) -> str:
    return f"{P}summary:{summary_id}:sent"


# hotline/reminders/store.py, service.py, schedules.py and import_jobs.py

REMINDER_SEQ = f"{P}rem:seq"


def enrollments(bucket: int) -> str:
    return f"{P}rem:e:{bucket}"


def enrollment_index(schedule: str, bucket: int) -> str:
    return f"{P}rem:i:{schedule}:{bucket}"


DUE = f"{P}rem:due"


def reminder_log(enrollment_id: str) -> str:
    return f"{P}rem:log:{enrollment_id}"


def reminder_claim(enrollment_id: str, offset: int) -> str:
    return f"{P}rem:claim:{enrollment_id}:{offset}"


def reminder_sid(message_sid: str) -> str:
    return f"{P}rem:sid:{message_sid}"


SENT = f"{P}rem:sent"
ACTIVE_COUNTS = f"{P}rem:active"
ENDED = f"{P}rem:ended"


def checkin(number: str) -> str:
    return f"{P}rem:checkin:{number}"


def pace(sender: str) -> str:
    return f"{P}rem:pace:{sender}"


DISPATCHER = f"{P}rem:dispatcher"
SCHEDULES = f"{P}schedules"


def upload(import_id: str) -> str:
    return f"{P}import:{import_id}"


# hotline/store/cases.py


def case(case_id: str) -> str:
    return f"{P}case:{case_id}"


def case_log(case_id: str) -> str:
    return f"{P}case:{case_id}:log"


def open_case(number: str) -> str:
    return f"{P}case:open:{number}"


def case_claim(number: str) -> str:
    return f"{P}case:claim:{number}"


def case_message(message_sid: str) -> str:
    return f"{P}case:msg:{message_sid}"


OPEN_CASES = f"{P}cases:open"
CLOSED_CASES = f"{P}cases:closed"
CASE_SEQ = f"{P}cases:seq"
CASE_FEED = f"{P}cases:feed"
CASE_AUDIT = f"{P}audit:cases"

# hotline/store/audit.py

REVEAL_AUDIT = f"{P}audit:reveals"

# hotline/insights.py


def insights(day: str) -> str:
    return f"{P}insights:{day}"


def reminder_insights(day: str) -> str:
    return f"{P}insights:r:{day}"


def weekly_reminder_insights(monday: str) -> str:
    return f"{P}insights:r:w:{monday}"


# hotline/store/staff_accounts.py and staff_tokens.py

STAFF_ACCOUNTS = f"{P}staff:accounts"
STAFF_SESSIONS = f"{P}staff:sessions"
STAFF_TOKENS = f"{P}staff:tokens"
STAFF_TOKENS_USED = f"{P}staff:tokens:used"


def login_attempts(counter: str, digest: str) -> str:
    return f"{P}limit:login:{counter}:{digest}"


# hotline/sender.py (development only; its name predates the prefix)

OUTBOX = "hotline:outbox"


# --- Lifetimes ---------------------------------------------------------------------------------------------------

EXPIRES, TRIMMED, KEPT = "expires", "trimmed", "kept"
Seconds = Callable[["Settings"], float]


@dataclass(frozen=True)
class Lifetime:
    """How long a key lives: it expires (a TTL, renewed as it is written), it is trimmed (by age or by length, as it
    is written or read; `longest` when the key also expires), or it is kept (until `hotline forget`, or for as long
    as the hotline runs). `longest` is the most seconds its TTL may hold, from the settings."""

    kind: str
    words: str  # for docs/redis-keys.md
    longest: Seconds | None = None


def _seconds(value: int | Seconds) -> Seconds:
    if callable(value):
        return value
    return lambda _settings: value


def expires(longest: int | Seconds, words: str) -> Lifetime:
    return Lifetime(EXPIRES, words, _seconds(longest))


def trimmed(words: str, longest: int | Seconds | None = None) -> Lifetime:
    return Lifetime(TRIMMED, words, None if longest is None else _seconds(longest))


def kept(words: str) -> Lifetime:
    return Lifetime(KEPT, words)


def retention(settings: Settings) -> float:
    return settings.transcript_retention_days * DAY


def session_time(settings: Settings) -> float:
    return settings.session_ttl_seconds


def flood_window(settings: Settings) -> float:
    return settings.flood_window_seconds


def claim_timeout(settings: Settings) -> float:
    return settings.claim_timeout_seconds


def insights_retention(settings: Settings) -> float:
    return settings.insights_retention_days * DAY


# --- The table ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Family:
    """One family of keys: its builder (or the key, for a family of one), the module that writes, reads and forgets
    it, what it holds, whether that includes a phone number, its lifetime, and what `hotline forget` does to it."""

    key: Callable[..., str] | str
    owner: str
    holds: str
    number: bool
    lifetime: Lifetime
    forget: str = ""  # for a family with a number: what `hotline forget` does
    also_written_by: tuple[str, ...] = ()

    @property
    def pattern(self) -> str:
        """The key as docs/redis-keys.md writes it: hl:session:{number}."""
        if isinstance(self.key, str):
            return self.key
        return self.key(*(f"{{{name}}}" for name in inspect.signature(self.key).parameters))

    def matches(self, key: str) -> bool:
        """Whether a stored key is one of this family's (a placeholder stands for a value without a colon)."""
        parts = re.split(r"\{\w+\}", self.pattern)
        return re.fullmatch("[^:]+".join(re.escape(part) for part in parts), key) is not None


CONV = "hotline/store/conversations.py"
CALLS = "hotline/store/calls.py"
CASES = "hotline/store/cases.py"
REM = "hotline/reminders/store.py"
RETENTION = "`HOTLINE_TRANSCRIPT_RETENTION_DAYS`"
UNTIL_FORGET = "kept until `hotline forget`"

FAMILIES: tuple[Family, ...] = (
    # Conversations
    Family(session, CONV, "where the conversation is (the engine's state)", True,
           expires(session_time, "`HOTLINE_SESSION_TTL_HOURS` after the last message"), "erased"),
    Family(contact, CONV, "language, first and last seen; how many texts of a flood were not stored (and the last "
           "one's time), how many old transcript entries were removed; which of the day's insight counters counts "
           "its conversation and the article sections already counted for it (`insight_day`, `insight_field`, "
           "`insight_sections`)", True,
           expires(retention, f"{RETENTION} after the last message or call"), "erased", (CALLS, CASES)),
    Family(transcript, CONV, "texts, what was pressed and said on calls, assessments, staff replies: the newest "
           "`HOTLINE_TRANSCRIPT_MAX_ENTRIES`", True,
           expires(retention, f"{RETENTION} after the last message or call"), "erased", (CALLS, CASES)),
    Family(CONVERSATIONS, CONV, "sorted set: number -> last message or call, for staff views", True,
           trimmed(f"{RETENTION} after the number's last message or call, as its transcript: every write drops "
                   "older members and staff views read with the same cutoff; the key itself expires that long "
                   "after the last write", retention), "removed", (CALLS,)),
    Family(ref, CONV, "the number behind a conversation's reference (`n_...`), so a page opens it with one lookup",
           True, expires(retention, f"{RETENTION} after the number's last message or call, as its transcript (staff "
                         "listings write it again for conversations still listed)"), "erased", (CALLS,)),
    Family(rate, CONV, "messages in the current minute (flood limit)", True, expires(60, "60 seconds"), "erased"),
    Family(flood, CONV, "texts in the current flood window (past `HOTLINE_FLOOD_STORE_LIMIT` they are not stored, "
           "only counted)", True,
           expires(flood_window, "`HOTLINE_FLOOD_WINDOW_MINUTES` from the window's first text"), "erased"),
    Family(OPTOUTS, CONV, "hash: number -> time of STOP", True,
           kept("kept until the number texts START: a STOP is honoured for as long as the hotline runs"),
           "removed only with `--include-opt-out`"),
    Family(reply, CONV, "the reply already given to one message (Twilio retries)", False, expires(DAY, "1 day")),
    Family(reply_token, CONV, "the same, by Twilio's `I-Twilio-Idempotency-Token`", False, expires(DAY, "1 day")),
    Family(keyword, CONV, "the time an opt-out or opt-in text (STOP, START, YES...) was handled, so a replay of that "
           "signed request changes nothing after its reply has expired (docs/decisions/webhook-replays.md). Named "
           "by Twilio's MessageSid only, so `hotline forget` leaves it, and it keeps protecting the number's opt-out",
           False, expires(retention, f"{RETENTION} after it was handled")),
    # Calls
    Family(call, CALLS, "a call's state, with the caller's number", True,
           expires(4 * 3600, "4 hours after the call's last webhook"), "erased"),
    Family(call_reply, CALLS, "the TwiML answered to one step of a call (Twilio retries)", False,
           expires(4 * 3600, "4 hours")),
    Family(CALLBACKS, CALLS, "sorted set of callback ids (CallSids), newest first for staff", False,
           trimmed("an id whose request has expired is dropped when staff read the list")),
    Family(callback, CALLS, "a callback request: number, level, language, recording link", True,
           expires(retention, f"{RETENTION} after the request"), "erased"),
    Family(summary, CALLS, "the number and text of an advice-by-text request (its id: the CallSid and step)", True,
           expires(DAY, "1 day"), "erased"),
    Family(summary_sent, CALLS, "claimed by the worker before it sends an advice-by-text (SET NX), then the "
           "MessageSid", False, expires(DAY, "1 day")),
    # Reminders
    Family(REMINDER_SEQ, REM, "the last enrollment id handed out", False,
           kept("kept: enrollment ids count on from it")),
    Family(enrollments, REM, "enrollment records (number, schedule, language, baby's name, status), 128 a hash",
           True, kept(f"{UNTIL_FORGET}: ended, cancelled and completed enrollments stay, with their delivery "
                      "history, for staff"), "erased"),
    Family(enrollment_index, REM, "hash: number -> enrollment id (a number is in a schedule once)", True,
           kept(f"{UNTIL_FORGET}, as its enrollment"), "erased"),
    Family(DUE, REM, "sorted set: enrollment id -> when its next step should be looked at", False,
           kept("kept while the enrollment is active")),
    Family(reminder_log, REM, "the enrollment's delivery records by step: status, MessageSid, attempts, error, "
           "answer, and the day, week, schedule, consent channel and language its insights count under (`ins`)",
           False, kept("kept with its enrollment (erased by `hotline forget` with it)")),
    Family(reminder_claim, REM, "a step's claim before sending (SET NX): at most one send per step", False,
           expires(60 * DAY, "60 days, longer than any retry of its step")),
    Family(reminder_sid, REM, "the enrollment and step of a sent reminder, for Twilio's status callbacks", False,
           expires(30 * DAY, "30 days")),
    Family(SENT, REM, "sorted set of sent steps (`id:offset`) by send time, for staff", False,
           trimmed("the newest 10,000")),
    Family(ACTIVE_COUNTS, REM, "hash: schedule -> how many of its enrollments are active (`hotline reminders "
           "recount` rebuilds it)", False, kept("kept")),
    Family(ENDED, REM, "sorted set: enrollment id -> when it ended on an error, for staff", False,
           trimmed("the newest 10,000")),
    Family(checkin, REM, "the check-in text awaiting the parent's answer", True,
           expires(3 * DAY, "3 days after the check-in was sent"), "erased"),
    Family(pace, "hotline/reminders/service.py", "the last send slot reserved for one sending number or service, "
           "when sends are paced", False, expires(60, "60 seconds")),
    Family(DISPATCHER, "hotline/reminders/service.py", "the running dispatcher chain", False,
           expires(60, "60 seconds (six dispatcher runs) after its last run")),
    Family(SCHEDULES, "hotline/reminders/schedules.py", "hash: schedule name -> the schedules staff made or edited",
           False, kept("kept until staff delete the schedule")),
    Family(upload, "hotline/reminders/import_jobs.py", "a CSV file staff uploaded for import (dashboard or API), "
           "waiting for its background job", True,
           expires(3600, "1 hour at most: deleted as soon as the job has imported it"),
           "its rows with the number are blanked (a file a worker is already importing has been read: run "
           "`hotline forget` again after it)"),
    # Cases
    Family(case, CASES, "a staff case (docs/on-call.md): the number, its level and red flags, what opened it, who "
           "claimed, handed back or closed it and when, the alerts sent", True,
           expires(retention, f"{RETENTION} after the case last changed"), "erased"),
    Family(case_log, CASES, "the case's history: who did what, when; it names texts by MessageSid, never by number "
           "or words", False, expires(retention, f"{RETENTION} after the case last changed")),
    Family(open_case, CASES, "the id of the number's open case (one open case per number)", True,
           expires(retention, f"{RETENTION} after the case last changed; deleted when it is closed"), "erased"),
    Family(case_claim, CASES, "while a staff member has the conversation (the bot stays silent): the case, who, and "
           "the claim's token", True,
           expires(claim_timeout, "`HOTLINE_CLAIM_TIMEOUT_MINUTES` (30 minutes by default) after the last staff "
                                  "action; deleted on hand back or close"), "erased"),
    Family(case_message, CASES, "the delivery status of a staff reply, a note to a parent or an on-call alert",
           False, expires(retention, f"{RETENTION} after it was sent")),
    Family(OPEN_CASES, CASES, "sorted set of open case ids, in the inbox's order", False,
           trimmed("a case leaves it when it is closed; an id whose case has expired is dropped when read")),
    Family(CLOSED_CASES, CASES, "sorted set of closed case ids by when they closed", False,
           trimmed(f"closed longer ago than {RETENTION} are dropped as others close; the key expires that long "
                   "after the last close", retention)),
    Family(CASE_SEQ, CASES, "the last case id handed out", False, kept("kept: case ids count on from it")),
    Family(CASE_FEED, CASES, "stream of case ids and what happened, for the live feed of staff pages", False,
           trimmed("the newest 1,000 events; the key expires 1 day after the last", DAY)),
    Family(CASE_AUDIT, CASES, "who claimed, replied to, handed back, closed each case and when, and what the hotline "
           "did (opened, alerted, claim expired), by case id; `hotline forget` leaves it", False,
           trimmed("entries older than 365 days are trimmed as new ones are added; the key expires 365 days after "
                   "the last", 365 * DAY)),
    # Reveals
    Family(REVEAL_AUDIT, "hotline/store/audit.py", "who revealed which conversation's number, and when. It names the "
           "conversation by its reference (`n_...`, an HMAC of the number keyed with `HOTLINE_SECRET_KEY`), not by "
           "the number; `hotline forget` leaves it: it is the record of what staff did", False,
           trimmed("entries older than 365 days are trimmed as new ones are added; the key expires 365 days after "
                   "the last", 365 * DAY)),
    # Insights
    Family(insights, "hotline/insights.py", "the staff's Insights counts of a day (in `HOTLINE_DEFAULT_TIMEZONE`): "
           "conversations by channel, level and language, the article sections they drew on, nurses' first replies "
           "by waiting time. Fields are fixed words and numbers and values are counts, so no number or message is "
           "in them (the CSV files staff download are made from them); `hotline forget` leaves them", False,
           expires(insights_retention, "`HOTLINE_INSIGHTS_RETENTION_DAYS` (400 by default) after its last update"),
           also_written_by=(CONV, CALLS, CASES)),
    Family(reminder_insights, "hotline/insights.py", "reminders enrolled, sent, delivered and answered by schedule, "
           "channel, language and step, by the day of the enrollment", False,
           expires(insights_retention, "`HOTLINE_INSIGHTS_RETENTION_DAYS` after its last update"),
           also_written_by=(REM,)),
    Family(weekly_reminder_insights, "hotline/insights.py", "the same for the enrollments of a week (named by its "
           "Monday), so a long range is read a week at a time", False,
           expires(insights_retention, "`HOTLINE_INSIGHTS_RETENTION_DAYS` after its last update"),
           also_written_by=(REM,)),
    # Staff
    Family(STAFF_ACCOUNTS, "hotline/store/staff_accounts.py", "hash: username -> argon2 password hash", False,
           kept("kept until the account is removed")),
    Family(STAFF_SESSIONS, "hotline/store/staff_accounts.py", "hash: username -> session generation (raising it ends "
           "the account's sessions)", False, kept("kept")),
    Family(login_attempts, "hotline/store/staff_accounts.py", "failed logins of an account or an address (the "
           "counter), named by a keyed digest of the username or address", False,
           expires(15 * 60, "15 minutes from the first counted attempt")),
    Family(STAFF_TOKENS, "hotline/store/staff_tokens.py", "hash: SHA-256 of an API token -> its name, creation and "
           "expiry", False, kept("kept until the token is revoked")),
    Family(STAFF_TOKENS_USED, "hotline/store/staff_tokens.py", "hash: SHA-256 of an API token -> when it last "
           "opened the API", False, kept("kept until the token is revoked")),
    # Development
    Family(OUTBOX, "hotline/sender.py", "development only (no Twilio credentials): the texts the hotline would have "
           "sent, with their number", True,
           trimmed(f"{UNTIL_FORGET}, or pushed out by newer texts (the newest 500 are kept)"), "erased"),
)


def family(key: Callable[..., str] | str) -> Family:
    """The table's row for a builder, or for a family of one, its key."""
    [found] = [f for f in FAMILIES if f.key is key or (isinstance(key, str) and f.key == key)]
    return found


def family_of(key: str) -> Family | None:
    """The family a stored key belongs to, or None: not the hotline's."""
    matching = [f for f in FAMILIES if f.matches(key)]
    assert len(matching) <= 1, f"{key}: {[f.pattern for f in matching]}"
    return matching[0] if matching else None


def lua(*builders: Callable[..., str], **constants: str) -> str:
    """Lua declarations for a script that derives keys from values it reads (one Redis, not a cluster): a function
    `key_<builder>(...)` for each builder, and a local named after each keyword for a family of one, e.g.
    lua(case_claim, OPTOUTS=OPTOUTS) -> `local function key_case_claim(number) ... end` and `local OPTOUTS = ...`."""
    lines = []
    for build in builders:
        params = list(inspect.signature(build).parameters)
        pieces = re.split(r"\{(\w+)\}", family(build).pattern)  # literal, name, literal, ...
        expression = " .. ".join(piece if i % 2 else f"'{piece}'" for i, piece in enumerate(pieces) if piece)
        lines.append(f"local function key_{build.__name__}({', '.join(params)}) return {expression} end")
    for name, key in constants.items():
        lines.append(f"local {name} = '{family(key).pattern}'")
    return "\n".join(lines) + "\n"


# --- The page ----------------------------------------------------------------------------------------------------

INTRO = """# Redis keys

Everything the hotline keeps lives in Redis. This page lists every key it writes: what the key holds, the code that
owns it (writes it, reads it and, when it holds a parent's phone number, forgets it), and how long it lives.
`hotline forget NUMBER` erases the number from every key that holds it (`--include-opt-out` also removes the STOP
record): each owner's `forget(number)`, summed by `hotline/forget.py`.

The page is made from the table in `hotline/store/keys.py`, the only module that spells a key:
`hotline redis-keys > docs/redis-keys.md` (`tests/test_redis_keys_doc.py` keeps them in step).
`tests/test_retention.py` keeps it true: it has one parent text, enroll, get a check-in, call (a callback request,
the advice by text), have a nurse claim the case that opened and reply, and text STOP, then checks that every key
it finds is in the table, that every key holding the number is in a family marked as holding one (and every such
family was used), that each key with a lifetime expires within it, and that `hotline forget --include-opt-out`
leaves nothing with the number.

"Retention" is `HOTLINE_TRANSCRIPT_RETENTION_DAYS` (90 days by default); the session time is
`HOTLINE_SESSION_TTL_HOURS` (24 hours by default); the flood window is `HOTLINE_FLOOD_WINDOW_MINUTES` (60 by
default).
"""

OUTRO = """
RQ's own keys (`rq:*`) are not in the table: jobs carry ids, never numbers or text. An import's job
(`rq:job:imp-...`, its id is the import's) also keeps, in its meta and result, the report staff see, for a day: the
file's name, counts, and the first 100 bad rows with their line number and reason. A reason quotes a refused value:
a number column's value only when it is not a valid phone number.
"""


def _owners(f: Family) -> str:
    return ", ".join(f"`{module}`" for module in (f.owner, *f.also_written_by))


def page() -> str:
    """docs/redis-keys.md."""
    lines = [INTRO, "## Keys that hold a number", "",
             "| Key | What it holds | Owner | Lifetime | `hotline forget` |", "|---|---|---|---|---|"]
    lines += [f"| `{f.pattern}` | {f.holds} | {_owners(f)} | {f.lifetime.words} | {f.forget} |"
              for f in FAMILIES if f.number]
    lines += ["", "## Keys that hold no number", "",
              "| Key | What it holds | Owner | Lifetime |", "|---|---|---|---|"]
    lines += [f"| `{f.pattern}` | {f.holds} | {_owners(f)} | {f.lifetime.words} |" for f in FAMILIES if not f.number]
    return "\n".join(lines) + "\n" + OUTRO

