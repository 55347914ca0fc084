"""Staff dashboard accounts: usernames with argon2 password hashes, and a login-attempt limiter."""

from __future__ import annotations

import hashlib
import hmac
import re

import redis
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from hotline.store import keys

KEY = keys.STAFF_ACCOUNTS
# Username -> session generation. A session keeps the generation it began in and is good only while the
# account exists with that generation: raising it ends every session of the account at once.
SESSIONS = keys.STAFF_SESSIONS
USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,39}\Z")  # \Z: $ would let a final newline through
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
        with self.redis.pipeline() as pipe:
            pipe.hset(KEY, username, self.hasher.hash(password))
            # A new password ends the sessions of the old one, and a new account under a deleted one's
            # name does not inherit its sessions.
            pipe.hincrby(SESSIONS, username, 1)
            pipe.execute()

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

    def session_generation(self, username: str) -> int | None:
        """The generation a session of this account must carry to be valid; None when there is no account."""
        with self.redis.pipeline(transaction=False) as pipe:
            pipe.hexists(KEY, username)
            pipe.hget(SESSIONS, username)
            exists, generation = pipe.execute()
        return int(generation or 0) if exists else None

    def end_sessions(self, username: str) -> None:
        """End every session of the account, in every browser (logging out does this)."""
        self.redis.hincrby(SESSIONS, username, 1)

    def remove(self, username: str) -> bool:
        """Delete an account, which ends its sessions (they are good only while it exists); False when there
        was none."""
        return bool(self.redis.hdel(KEY, username.strip().lower()))

    def usernames(self) -> list[str]:
        return sorted(k.decode() for k in self.redis.hkeys(KEY))


class AttemptLimiter:
    """At most `limit` login attempts per `window` seconds for a key (a username, an address), counted by
    `counter` ("account" or "address").

    A key is stored as a keyed digest: the same size however long the input, and no username or address
    in Redis for whoever can read it.
    """

    def __init__(self, connection: redis.Redis, counter: str, limit: int, window: int, secret: bytes) -> None:
        self.redis = connection
        self.counter = counter
        self.limit = limit
        self.window = window
        self.secret = secret

    def _name(self, key: str) -> str:
        digest = hmac.new(self.secret, key.encode(), hashlib.sha256).hexdigest()[:32]
        return keys.login_attempts(self.counter, digest)

    def hit(self, key: str) -> bool:
        """Count an attempt; True while within the limit."""
        name = self._name(key)
        with self.redis.pipeline() as pipe:
            # SET NX EX starts the window once; INCR keeps its expiry (works on Redis 6.2, unlike EXPIRE NX).
            pipe.set(name, 0, ex=self.window, nx=True)
            pipe.incr(name)
            _, count = pipe.execute()
        return int(count) <= self.limit

    def take_back(self, key: str) -> None:
        """Uncount one attempt; the window still ends when it would have."""
        self.redis.register_script(_TAKE_BACK)(keys=[self._name(key)])

    def retry_after(self, key: str) -> int:
        return max(0, int(self.redis.ttl(self._name(key))))

    def reset(self, key: str) -> None:
        self.redis.delete(self._name(key))


# DECR on a counter whose window has just ended would bring it back without an expiry, for good.
_TAKE_BACK = """
if redis.call('EXISTS', KEYS[1]) == 1 then redis.call('DECR', KEYS[1]) end
"""


class LoginThrottle:
    """Failed logins: at most 5 per account and 20 per client address in 15 minutes.

    Each attempt is counted before its password is checked, so guesses sent all at once get no more
    tries than guesses sent one by one. An attempt that is turned away or succeeds is taken back, and a
    success clears its account: only failures stay counted. The address allows more than the account
    because colleagues behind one proxy or office network share it.
    """

    def __init__(self, connection: redis.Redis, secret: bytes, *, per_account: int = 5, per_address: int = 20,
                 window: int = 15 * 60) -> None:
        self.accounts = AttemptLimiter(connection, "account", per_account, window, secret)
        self.addresses = AttemptLimiter(connection, "address", per_address, window, secret)

    def begin(self, username: str | None, address: str) -> int:
        """Count an attempt. 0: go on and check the password; otherwise the seconds to wait.

        `username` is None when it cannot be an account (too long): only its address is counted.
        """
        counted = [(self.addresses, address)] + ([(self.accounts, username)] if username is not None else [])
        locked = [(limiter, key) for limiter, key in counted if not limiter.hit(key)]
        if not locked:
            return 0
        for limiter, key in counted:
            limiter.take_back(key)
        return max(1, *(limiter.retry_after(key) for limiter, key in locked))

    def succeeded(self, username: str, address: str) -> None:
        self.accounts.reset(username)
        self.addresses.take_back(address)
