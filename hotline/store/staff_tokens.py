"""Staff API tokens: only a SHA-256 of each token is stored; the token itself is shown once."""

from __future__ import annotations

import hashlib
import json
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass

import redis

from hotline.store import keys

KEY = keys.STAFF_TOKENS  # SHA-256 of a token -> {"name", "created", "expires"} (before expiry existed: the name)
USED = keys.STAFF_TOKENS_USED  # SHA-256 of a token -> when it last opened the API
ID_LENGTH = 12
DAY = 24 * 3600


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class StaffToken:
    """A token as staff see it listed: never the token itself, only the start of its digest as an id."""

    id: str
    name: str
    created: float | None
    expires: float | None
    last_used: float | None

    def expired(self, now: float) -> bool:
        return self.expires is not None and now >= self.expires


def _record(raw: bytes) -> dict[str, object]:
    text = raw.decode()
    try:
        data = json.loads(text)
    except ValueError:
        data = None
    if isinstance(data, dict) and isinstance(data.get("name"), str):
        return data
    return {"name": text}  # kept before tokens had a creation time and an expiry: it never expires


def _time(value: object) -> float | None:
    return float(value) if isinstance(value, int | float) else None


class StaffTokens:
    def __init__(self, connection: redis.Redis, clock: Callable[[], float] = time.time) -> None:
        self.redis = connection
        self.clock = clock  # the services' clock where there are services (hotline/clock.py)

    def create(self, name: str, days: int | None = None) -> str:
        """A new token for `name`, valid for `days` when given, else until revoked."""
        token = "hlt_" + secrets.token_urlsafe(32)
        now = self.clock()
        record = {"name": name, "created": now, "expires": now + days * DAY if days else None}
        self.redis.hset(KEY, _digest(token), json.dumps(record))
        return token

    def who(self, token: str) -> str | None:
        """The staff name a token belongs to, or None (unknown, revoked or expired). Notes when it was used."""
        if not token:
            return None
        digest = _digest(token)
        raw = self.redis.hget(KEY, digest)
        if not raw:
            return None
        record, now = _record(raw), self.clock()
        expires = _time(record.get("expires"))
        if expires is not None and now >= expires:
            return None
        self.redis.hset(USED, digest, repr(now))
        return str(record["name"])

    def all(self) -> list[StaffToken]:
        """Every token, oldest first (those kept before creation times were recorded come first)."""
        with self.redis.pipeline(transaction=False) as pipe:
            pipe.hgetall(KEY)
            pipe.hgetall(USED)
            records, used = pipe.execute()
        tokens = []
        for digest, raw in records.items():
            record = _record(raw)
            tokens.append(StaffToken(digest.decode()[:ID_LENGTH], str(record["name"]), _time(record.get("created")),
                                     _time(record.get("expires")), _time(float(used[digest])) if digest in used
                                     else None))
        return sorted(tokens, key=lambda t: (t.created or 0, t.name))

    def revoke(self, name: str) -> int:
        """Revoke every token of `name`; how many there were."""
        return self._delete([d for d, raw in self.redis.hgetall(KEY).items() if _record(raw)["name"] == name])

    def revoke_id(self, token_id: str) -> int:
        """Revoke the token whose id (as `all()` lists it) is `token_id`; 0 when there is none."""
        token_id = token_id.strip().lower()
        if len(token_id) != ID_LENGTH:
            return 0
        return self._delete([d for d in self.redis.hkeys(KEY) if d.decode()[:ID_LENGTH] == token_id])

    def _delete(self, digests: list[bytes]) -> int:
        if not digests:
            return 0
        with self.redis.pipeline() as pipe:
            pipe.hdel(KEY, *digests)
            pipe.hdel(USED, *digests)
            removed, _ = pipe.execute()
        return int(removed)
