"""RQ jobs for staff cases: on-call alerts (with their escalation) and claim timers. They take a case id (never a
number or a message) and are safe to run twice: each alert is claimed per case, round and number before it is
sent."""

from __future__ import annotations

from hotline.cases import Cases, build_cases
from hotline.privacy import NumberRefs
from hotline.sender import build_sender
from hotline.services import connect_redis
from hotline.settings import Settings
from hotline.store.conversations import ConversationStore


def _cases() -> Cases:
    settings = Settings.from_env()
    connection = connect_redis(settings)
    refs = NumberRefs.for_settings(settings)
    conversations = ConversationStore(connection, settings.session_ttl_seconds, settings.transcript_retention_days,
                                      refs=refs, max_entries=settings.transcript_max_entries)
    return build_cases(settings, connection, build_sender(settings, connection, refs), refs, conversations)


def alert(case_id: str, round_: int = 0) -> str:
    """Text this round's on-call number(s) about a case nobody has claimed; schedule the next round. Returns what
    happened (sent, already-sent, claimed, closed, gone, no-oncall, done); a transient Twilio failure raises, so
    RQ's Retry runs it again."""
    cases = _cases()
    try:
        return cases.alert(str(case_id), int(round_))
    finally:
        cases.redis.close()


def expire_claim(case_id: str, token: str, check: int = 0) -> str:
    """A claim's timer: alive (checked again when it would run out), expired (the bot answers again, the parent is
    told, the escalation starts over) or stale (handed back, closed or claimed again since)."""
    cases = _cases()
    try:
        return cases.expire_claim(str(case_id), str(token), int(check))
    finally:
        cases.redis.close()
