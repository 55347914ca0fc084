"""Staff dashboard accounts: usernames with argon2 password hashes, and a login-attempt limiter."""

from __future__ import annotations

import hashlib
import hmac
import re

import redis
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

KEY = "hl:staff:accounts"
USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,39}$")
MAX_USERNAME = 40  # the longest USERNAME allows
MIN_PASSWORD = 10


class AccountError(ValueError):
    """A username or password that cannot be used; the message says why."""


class StaffAccounts:
    def __init__(self, connection: redis.Redis) -> None:
        self.redis = connection
        self.hasher = PasswordHasher()

    def add(self, username: str, password: str, *, replace: bool = False) -> None:
        username = username.strip().lower()
        if not USERNAME.match(username):
            raise AccountError("a username is 2-40 characters: lowercase letters, digits, dot, dash or underscore")
        if len(password) < MIN_PASSWORD:
            raise AccountError(f"a password needs at least {MIN_PASSWORD} characters")
        if not replace and self.redis.hexists(KEY, username):
            raise AccountError(f"'{username}' already exists (use --reset to set a new password)")
        self.redis.hset(KEY, username, self.hasher.hash(password))

    def verify(self, username: str, password: str) -> bool:
        stored = self.redis.hget(KEY, username.strip().lower())
        if not stored:
            # Hash anyway so a wrong username takes as long as a wrong password.
            self.hasher.hash(password)
            return False
        try:
            return bool(self.hasher.verify(stored.decode(), password))
        except (VerificationError, InvalidHashError):
            return False

    def usernames(self) -> list[str]:
        return sorted(k.decode() for k in self.redis.hkeys(KEY))


class AttemptLimiter:
    """At most `limit` attempts per `window` seconds for a key (a username, an IP, a phone number).

    A key is stored as a keyed digest: the same size however long the input, and no username or address
    in Redis for whoever can read it.
    """

    def __init__(self, connection: redis.Redis, prefix: str, limit: int, window: int, secret: bytes) -> None:
        self.redis = connection
        self.prefix = prefix
        self.limit = limit
        self.window = window
        self.secret = secret

    def _name(self, key: str) -> str:
        digest = hmac.new(self.secret, key.encode(), hashlib.sha256).hexdigest()[:32]
        return f"hl:limit:{self.prefix}:{digest}"

    def hit(self, key: str) -> bool:
        """Count an attempt; True while within the limit."""
        name = self._name(key)
        with self.redis.pipeline() as pipe:
            # SET NX EX starts the window once; INCR keeps its expiry (works on Redis 6.2, unlike EXPIRE NX).
            pipe.set(name, 0, ex=self.window, nx=True)
            pipe.incr(name)
            _, count = pipe.execute()
        return int(count) <= self.limit

    def retry_after(self, key: str) -> int:
        return max(0, int(self.redis.ttl(self._name(key))))

    def reset(self, key: str) -> None:
        self.redis.delete(self._name(key))
