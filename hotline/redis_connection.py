"""The one way the web app, the workers and the `hotline` command connect to Redis, built from Settings.

Three shapes, one client type (redis.Redis):
- REDIS_URL `redis://` (or `unix://`): one Redis, or a managed endpoint that fails over behind one address;
- REDIS_URL `rediss://`: the same over TLS, the server's certificate checked against the system's CAs or
  HOTLINE_REDIS_CA_FILE, with its host name (HOTLINE_REDIS_TLS_VERIFY says how much; `off` is logged at start);
- REDIS_SENTINELS + REDIS_SENTINEL_MASTER: the sentinels are asked where the primary is, and asked again when
  it stops answering, so a failover needs no restart (docs/operations.md#redis-failover).

Timeouts and retries are a webhook's: Twilio waits 15 s, and a webhook whose Redis is unreachable still answers
(the outage reply), so one command gives up within about a second and a half against a refused port, a few
seconds against a silent one, rather than redis-py's default ten retries.
"""

from __future__ import annotations

import logging
import ssl
from typing import Any

import redis
from redis.backoff import ExponentialWithJitterBackoff
from redis.retry import Retry
from redis.sentinel import Sentinel

from hotline.errors import RedisNotConfigured as RedisNotConfigured
from hotline.settings import Settings

log = logging.getLogger(__name__)

SOCKET_TIMEOUT = 2.0  # a command's reply; RQ's worker raises its own connection's for its blocking dequeue
CONNECT_TIMEOUT = 1.0
SENTINEL_TIMEOUT = 0.5  # each sentinel asked; an unreachable one is skipped for the next
RETRIES = 4  # a command is tried 5 times: ~0.75 s of backoff in all, then the caller's outage path runs
# A worker's own connection (RQ's loop: dequeue, heartbeats) waits longer, ~15 s, so a failover or a new primary
# waiting for its replica is ridden out inside a command rather than ending RQ's loop.
WORKER_RETRIES = 20

# WAIT's limits (Redis' WAIT counts the writes of the connection it runs on, so it goes in the same pipeline as
# the write): a reminder is sent only once its claim is on a replica (a hard gate: at most a second, then the send
# waits for a later run); a conversation's write waits briefly for one, and the parent is answered either way.
CLAIM_WAIT_MS = 1000
COMMIT_WAIT_MS = 250


def unavailable(error: BaseException) -> bool:
    """Redis cannot take this now but will soon: unreachable, no primary yet (Sentinel), a primary refusing
    writes until a replica has caught up (NOREPLICAS, min-replicas-to-write), or a write that reached a primary
    since demoted to a replica (READONLY: a managed endpoint's name still pointing at it). The two refusals ran
    nowhere; a connection error or timeout is what redis-py retries by default, and the hotline's writes are
    compare-and-set or claims, so a write that did land before its reply was lost is found on the next try."""
    if isinstance(error, (redis.ConnectionError, redis.TimeoutError)):
        return True
    return isinstance(error, redis.ResponseError) and (
        isinstance(error, redis.ReadOnlyError) or "NOREPLICAS" in str(error))


def _retry(retries: int) -> Retry:
    return Retry(ExponentialWithJitterBackoff(base=0.05, cap=0.5 if retries <= RETRIES else 1.0), retries,
                 supported_errors=(redis.ConnectionError, redis.TimeoutError, OSError, redis.ResponseError),
                 is_retryable=unavailable)


def connection_options(settings: Settings, retries: int = RETRIES) -> dict[str, Any]:
    """The keyword arguments for each Redis connection (the primary's, through Sentinel or not)."""
    options: dict[str, Any] = {
        "socket_timeout": SOCKET_TIMEOUT,
        "socket_connect_timeout": CONNECT_TIMEOUT,
        "health_check_interval": 30,
        "retry": _retry(retries),
    }
    if settings.redis_sentinels:
        if settings.redis_password:
            options["password"] = settings.redis_password
    elif (settings.redis_url or "").lower().startswith("rediss://"):
        options.update(tls_options(settings))
    return options


def tls_options(settings: Settings) -> dict[str, Any]:
    """redis-py's TLS arguments for HOTLINE_REDIS_CA_FILE and HOTLINE_REDIS_TLS_VERIFY. Never silent: `off` is
    logged by `warn_if_unverified` wherever a process connects."""
    verify = settings.redis_tls_verify
    return {
        "ssl_cert_reqs": ssl.CERT_NONE if verify == "off" else ssl.CERT_REQUIRED,
        "ssl_check_hostname": verify == "full",
        "ssl_ca_certs": str(settings.redis_ca_file) if settings.redis_ca_file else None,
        "ssl_min_version": ssl.TLSVersion.TLSv1_2,
    }


def warn_if_unverified(settings: Settings) -> None:
    if (settings.redis_url or "").lower().startswith("rediss://") and settings.redis_tls_verify != "full":
        what = ("NOT verified at all: the connection is encrypted but anyone on the path can impersonate Redis"
                if settings.redis_tls_verify == "off" else "checked against the CA but not for its host name")
        log.warning("HOTLINE_REDIS_TLS_VERIFY=%s: Redis' TLS certificate is %s", settings.redis_tls_verify, what)


def connect_redis(settings: Settings, *, retries: int = RETRIES) -> redis.Redis:
    """A client for the Redis primary that Settings names. It connects lazily: nothing is asked yet. `retries`:
    how often a command Redis cannot take yet (`unavailable`) is tried again."""
    if settings.redis_sentinels:
        if not settings.redis_sentinel_master:  # Settings.from_env refuses this; a Settings built by hand may not
            raise RedisNotConfigured("REDIS_SENTINELS is set without REDIS_SENTINEL_MASTER")
        sentinel_options: dict[str, Any] = {"socket_timeout": SENTINEL_TIMEOUT,
                                            "socket_connect_timeout": SENTINEL_TIMEOUT}
        if settings.redis_sentinel_password:
            sentinel_options["password"] = settings.redis_sentinel_password
        sentinel = Sentinel(list(settings.redis_sentinels), sentinel_kwargs=sentinel_options,
                            **connection_options(settings, retries))
        primary: redis.Redis = sentinel.master_for(settings.redis_sentinel_master)
        return primary
    if not settings.redis_url:
        raise RedisNotConfigured("REDIS_URL is not set (run `hotline dev` to start an embedded Redis, or set "
                                 "REDIS_SENTINELS and REDIS_SENTINEL_MASTER)")
    warn_if_unverified(settings)
    return redis.Redis.from_url(settings.redis_url, **connection_options(settings, retries))


def describe(settings: Settings) -> str:
    """Where Redis is, for a banner or a log line: no password."""
    if settings.redis_sentinels:
        where = ",".join(f"[{h}]:{p}" if ":" in h else f"{h}:{p}" for h, p in settings.redis_sentinels)
        return f"Sentinel primary '{settings.redis_sentinel_master}' via {where}"
    url = settings.redis_url or ""
    scheme, _, rest = url.partition("://")
    return f"{scheme}://{rest.rpartition('@')[2]}" if rest else url
