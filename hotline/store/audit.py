"""The reveal audit: which staff member saw which conversation's full number, and when, kept in Redis.

A log line alone is no audit trail: whoever can put a line in the log (a URL-encoded newline in a path
once could) can write one that looks the same. Records name the conversation by its reference, never
by the number.

Key: keys.REVEAL_AUDIT, a stream of {by, ref, via}; its entry ids carry the time (Redis's clock). Entries
older than KEEP_DAYS are trimmed as new ones are added, and the key expires KEEP_DAYS after the last.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import redis

from hotline.store import keys

KEY = keys.REVEAL_AUDIT
KEEP_DAYS = 365
KEEP_SECONDS = KEEP_DAYS * 24 * 3600


@dataclass(frozen=True)
class Reveal:
    at: float  # epoch seconds
    by: str  # the staff username
    ref: str  # the conversation's number reference
    via: str = "conversation"  # where it was shown: "conversation", "callbacks" (page) or "api callbacks"


class RevealAudit:
    def __init__(self, connection: redis.Redis) -> None:
        self.redis = connection

    def record(self, by: str, ref: str, via: str = "conversation") -> None:
        oldest_kept = int((time.time() - KEEP_SECONDS) * 1000)
        with self.redis.pipeline() as pipe:
            pipe.xadd(KEY, {"by": by, "ref": ref, "via": via}, minid=oldest_kept, approximate=True)
            pipe.expire(KEY, KEEP_SECONDS)
            pipe.execute()

    def recent(self, limit: int = 200) -> list[Reveal]:
        """The newest reveals first."""
        return [Reveal(at=int(entry_id.split(b"-")[0]) / 1000, by=fields[b"by"].decode(), ref=fields[b"ref"].decode(),
                       via=fields.get(b"via", b"conversation").decode())
                for entry_id, fields in self.redis.xrevrange(KEY, count=limit)]
