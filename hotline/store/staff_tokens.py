"""Staff API tokens: only a SHA-256 of each token is stored; the token itself is shown once."""

from __future__ import annotations

import hashlib
import secrets

import redis

KEY = "hl:staff:tokens"


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class StaffTokens:
    def __init__(self, connection: redis.Redis) -> None:
        self.redis = connection

    def create(self, name: str) -> str:
        token = "hlt_" + secrets.token_urlsafe(32)
        self.redis.hset(KEY, _digest(token), name)
        return token

    def who(self, token: str) -> str | None:
        """The staff name a token belongs to, or None."""
        if not token:
            return None
        name = self.redis.hget(KEY, _digest(token))
        return name.decode() if name else None

    def revoke(self, name: str) -> int:
        doomed = [digest for digest, owner in self.redis.hgetall(KEY).items() if owner.decode() == name]
        return int(self.redis.hdel(KEY, *doomed)) if doomed else 0
