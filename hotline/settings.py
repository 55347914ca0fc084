"""Every environment variable the hotline reads, typed and validated once at start."""

from __future__ import annotations

import os
import re
import secrets
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dotenv import dotenv_values

from hotline.errors import SettingsError as SettingsError

ROOT = Path(__file__).resolve().parent.parent
TWILIO_API = "https://api.twilio.com"


def _bool(value: str) -> bool:
    lowered = value.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off", ""}:
        return False
    raise ValueError(f"expected true or false, got {value!r}")


def _int(value: str) -> int:
    return int(value.strip())


def _hour_minute(value: str) -> tuple[int, int]:
    hours, _, minutes = value.strip().partition(":")
    h, m = int(hours), int(minutes or 0)
    if not (0 <= h < 24 and 0 <= m < 60):
        raise ValueError(f"expected a time of day like 21:00, got {value!r}")
    return h, m


def _positive(kind: type) -> Any:
    def convert(value: str) -> Any:
        number = kind(value.strip())
        if number <= 0:
            raise ValueError(f"must be more than 0, got {value!r}")
        return number

    return convert


def _hours_range(value: str) -> tuple[tuple[int, int], tuple[int, int]]:
    start, sep, end = value.partition("-")
    if not sep:
        raise ValueError(f"expected a range like 08:00-20:00, got {value!r}")
    return _hour_minute(start), _hour_minute(end)


_E164 = re.compile(r"^\+[1-9][0-9]{6,14}\Z")  # ASCII digits only, as hotline.phone.E164


def _numbers(value: str) -> tuple[str, ...]:
    """Comma-separated E.164 numbers, in order, each once."""
    numbers = [part.strip() for part in value.split(",") if part.strip()]
    bad = [n for n in numbers if not _E164.match(n)]
    if bad:
        raise ValueError(f"expected E.164 numbers separated by commas (+15551234567,+15557654321); "
                         f"not E.164: {', '.join(repr(b) for b in bad)}")
    return tuple(dict.fromkeys(numbers))


def _minutes(value: str) -> float:
    """Minutes (a decimal allowed: 0.5) as seconds, more than 0."""
    try:
        minutes = float(value.strip())
    except ValueError:
        raise ValueError(f"expected a number of minutes, got {value!r}") from None
    if not minutes > 0 or minutes == float("inf"):
        raise ValueError(f"must be more than 0 minutes, got {value!r}")
    return minutes * 60


def _bind(value: str) -> tuple[str, int]:
    """HOST:PORT (an IPv6 host in brackets: [::1]:9464), or :PORT for every interface."""
    host, sep, port = value.strip().rpartition(":")
    if not sep or not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError(f"expected HOST:PORT such as 127.0.0.1:9464, got {value!r}")
    return host.strip("[]") or "0.0.0.0", int(port)


def _log_format(value: str) -> str:
    if value.strip().lower() not in ("text", "json"):
        raise ValueError(f"expected text or json, got {value!r}")
    return value.strip().lower()


def _redis_url(value: str) -> str:
    """A redis://, rediss:// (TLS) or unix:// URL. TLS is set by HOTLINE_REDIS_CA_FILE and HOTLINE_REDIS_TLS_VERIFY,
    never by options in the URL: redis-py would take `?ssl_cert_reqs=none` and switch verification off unseen."""
    scheme, sep, _ = value.partition("://")
    if not sep or scheme.lower() not in {"redis", "rediss", "unix"}:
        raise ValueError("expected a redis://, rediss:// (TLS) or unix:// URL, like redis://localhost:6379/0")
    query = value.partition("?")[2].lower()
    tls_options = sorted({name for name in re.findall(r"(?:^|&)(ssl_[a-z_]+)=", query)})
    if tls_options:
        raise ValueError(f"TLS options in the URL ({', '.join(tls_options)}) are not read: use "
                         "HOTLINE_REDIS_CA_FILE and HOTLINE_REDIS_TLS_VERIFY")
    return value


def _sentinels(value: str) -> tuple[tuple[str, int], ...]:
    """Comma-separated host:port pairs (an IPv6 address in brackets: [::1]:26379), in order, each once."""
    found: list[tuple[str, int]] = []
    bad: list[str] = []
    for part in (p.strip() for p in value.split(",")):
        if not part:
            continue
        match = re.fullmatch(r"\[([0-9A-Fa-f:.]+)\]:([0-9]{1,5})|([A-Za-z0-9._-]+):([0-9]{1,5})", part)
        port = int(match.group(2) or match.group(4)) if match else 0
        if not match or not 0 < port < 65536:
            bad.append(part)
            continue
        found.append((match.group(1) or match.group(3), port))
    if bad or not found:
        shown = ", ".join(repr(b) for b in bad) or "none given"
        raise ValueError(f"expected host:port pairs separated by commas (10.0.0.5:26379,10.0.0.6:26379); "
                         f"not host:port: {shown}")
    return tuple(dict.fromkeys(found))


TLS_VERIFY = ("full", "chain", "off")


def _tls_verify(value: str) -> str:
    lowered = value.strip().lower()
    if lowered not in TLS_VERIFY:
        raise ValueError(f"expected full, chain or off, got {value!r}")
    return lowered


def _readable_file(value: str) -> Path:
    path = Path(value)
    try:
        with path.open("rb"):
            pass
    except OSError as error:
        raise ValueError(f"cannot read {value!r} ({error.strerror})") from None
    return path


def _count(value: str) -> int:
    number = int(value.strip())
    if number < 0:
        raise ValueError(f"must be 0 or more, got {value!r}")
    return number


def _zone(value: str) -> str:
    try:
        ZoneInfo(value.strip())
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {value!r} (use an IANA name like America/New_York)") from None
    return value.strip()


@dataclass(frozen=True)
class Settings:
    """The hotline's configuration. Build with `Settings.from_env()`; tests build it directly."""

    env: str = "development"
    redis_url: str | None = None
    # TLS to REDIS_URL (rediss://): a private CA, and how much of the server's certificate is checked.
    redis_ca_file: Path | None = None
    redis_tls_verify: str = "full"  # full (chain and host name), chain (no host name check) or off (logged)
    # Redis Sentinel instead of REDIS_URL: the sentinels, the primary's name there, and passwords.
    redis_sentinels: tuple[tuple[str, int], ...] = ()
    redis_sentinel_master: str | None = None
    redis_sentinel_password: str | None = None
    redis_password: str | None = None  # the primary's and replicas' password (Sentinel; else in REDIS_URL)
    # Replicas that must have a reminder's claim before it is sent (and that a conversation's write waits for,
    # briefly): None is 1 with Sentinel, else 0 (docs/operations.md#redis-failover).
    redis_wait_replicas: int | None = None
    twilio_account_sid: str | None = None
    twilio_auth_token: str | None = None
    twilio_from_number: str | None = None
    twilio_messaging_service_sid: str | None = None
    twilio_api_base_url: str = TWILIO_API
    public_base_url: str | None = None
    secret_key: str | None = None
    emergency_number: str = "911"
    validate_signatures: bool = True
    access_log: bool = False  # one private line per web request on stdout (hotline.access_log)
    log_format: str = "text"  # or "json": one JSON object per line (hotline.logs)
    # Prometheus metrics (hotline.metrics): the folder every process counts in (None: data_dir/metrics), and
    # an address of their own to serve them on, without a token (None: /metrics on the app's port, with one).
    metrics_dir: Path | None = None
    metrics_bind: tuple[str, int] | None = None
    trust_proxy: bool = False
    proxy_count: int = 1
    host: str = "127.0.0.1"
    port: int = 5000
    data_dir: Path = ROOT / "var"
    flows_dir: Path = ROOT / "flows"
    session_ttl_seconds: int = 24 * 3600
    transcript_retention_days: int = 90
    # A flood from one number is stored up to a cap per window (the rest only counted), and a transcript keeps
    # at most its newest entries: what one number can make the hotline keep is bounded.
    flood_store_limit: int = 60
    flood_window_seconds: int = 3600
    transcript_max_entries: int = 1000
    # The staff's insights are per-day counters that hold no number (hotline/insights.py): kept longer than
    # transcripts, so a year can be compared with the one before.
    insights_retention_days: int = 400
    default_region: str = "US"
    default_timezone: str = "America/New_York"
    quiet_hours_start: tuple[int, int] = (21, 0)
    quiet_hours_end: tuple[int, int] = (8, 0)
    sends_per_second: int = 1
    transfer_number: str | None = None
    staffed_hours: tuple[tuple[int, int], tuple[int, int]] = ((8, 0), (20, 0))
    voice_en: str = "Polly.Joanna"
    voice_es: str = "Polly.Lupe"
    queue_name: str = "hotline"
    # Reminder delivery tuning (the soak tests shorten the first two; production keeps the defaults).
    reminder_lease_seconds: float = 300.0
    reminder_claim_stale_seconds: float = 120.0
    reminder_batch: int = 200
    reminder_send_threads: int = 4
    # A nurse in the loop (docs/on-call.md): who is texted when a case opens, when to alert again, and how long a
    # claim lasts without a word from staff.
    oncall_numbers: tuple[str, ...] = ()
    escalate_after_seconds: float = 600.0
    claim_timeout_seconds: float = 1800.0
    # Threads per web process (the Procfile's WEB_THREADS): the live feed may hold all but two of them.
    web_threads: int = 4

    @property
    def production(self) -> bool:
        return self.env == "production"

    @property
    def live_streams(self) -> int:
        """Staff pages a web process streams the live case feed to at once. A stream holds one of the process's
        threads for up to 15 s, so two are always left for Twilio's webhooks; other pages ask every 2 s instead."""
        return max(0, self.web_threads - 2)

    @property
    def metrics_directory(self) -> Path:
        return self.metrics_dir or self.data_dir / "metrics"

    @property
    def redis_configured(self) -> bool:
        """Redis is named: by REDIS_URL, or by Sentinel (REDIS_SENTINELS with REDIS_SENTINEL_MASTER)."""
        return bool(self.redis_url or self.redis_sentinels)

    @property
    def replicas_to_wait_for(self) -> int:
        """HOTLINE_REDIS_WAIT_REPLICAS, or when unset: 1 with Sentinel (it implies a replica), else 0."""
        if self.redis_wait_replicas is not None:
            return self.redis_wait_replicas
        return 1 if self.redis_sentinels else 0

    @property
    def twilio_configured(self) -> bool:
        """Real texts go out only when both credentials are set; otherwise the console outbox is used."""
        return bool(self.twilio_account_sid and self.twilio_auth_token)

    def with_(self, **changes: object) -> Settings:
        return replace(self, **changes)  # type: ignore[arg-type]

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, dotenv: Path | None = None) -> Settings:
        """Read the environment (and `.env` when present; real environment variables win)."""
        values: dict[str, str] = {}
        dotenv_path = dotenv if dotenv is not None else Path.cwd() / ".env"
        if dotenv_path.is_file():
            values.update({k: v for k, v in dotenv_values(dotenv_path).items() if v is not None})
        values.update(os.environ if environ is None else environ)
        return cls._parse(values)

    @classmethod
    def _parse(cls, values: Mapping[str, str]) -> Settings:
        problems: list[str] = []
        kwargs: dict[str, object] = {}

        def take(name: str, attr: str, convert=str) -> None:  # type: ignore[no-untyped-def]
            raw = values.get(name)
            if raw is None or raw.strip() == "":
                return
            try:
                kwargs[attr] = convert(raw.strip())
            except ValueError as error:
                problems.append(f"{name}: {error}")

        take("HOTLINE_ENV", "env")
        take("REDIS_URL", "redis_url", _redis_url)
        take("HOTLINE_REDIS_CA_FILE", "redis_ca_file", _readable_file)
        take("HOTLINE_REDIS_TLS_VERIFY", "redis_tls_verify", _tls_verify)
        take("REDIS_SENTINELS", "redis_sentinels", _sentinels)
        take("REDIS_SENTINEL_MASTER", "redis_sentinel_master")
        take("REDIS_SENTINEL_PASSWORD", "redis_sentinel_password")
        take("REDIS_PASSWORD", "redis_password")
        take("HOTLINE_REDIS_WAIT_REPLICAS", "redis_wait_replicas", _count)
        take("TWILIO_ACCOUNT_SID", "twilio_account_sid")
        take("TWILIO_AUTH_TOKEN", "twilio_auth_token")
        take("TWILIO_FROM_NUMBER", "twilio_from_number")
        take("TWILIO_MESSAGING_SERVICE_SID", "twilio_messaging_service_sid")
        take("TWILIO_API_BASE_URL", "twilio_api_base_url", lambda v: v.rstrip("/"))
        take("PUBLIC_BASE_URL", "public_base_url", lambda v: v.rstrip("/"))
        take("HOTLINE_SECRET_KEY", "secret_key")
        take("HOTLINE_EMERGENCY_NUMBER", "emergency_number")
        take("HOTLINE_VALIDATE_SIGNATURES", "validate_signatures", _bool)
        take("HOTLINE_ACCESS_LOG", "access_log", _bool)
        take("HOTLINE_LOG_FORMAT", "log_format", _log_format)
        take("HOTLINE_METRICS_DIR", "metrics_dir", Path)
        take("HOTLINE_METRICS_BIND", "metrics_bind", _bind)
        take("HOTLINE_TRUST_PROXY", "trust_proxy", _bool)
        take("HOTLINE_PROXY_COUNT", "proxy_count", _positive(int))
        take("HOTLINE_HOST", "host")
        take("HOTLINE_PORT", "port", _int)
        take("HOTLINE_DATA_DIR", "data_dir", Path)
        take("HOTLINE_FLOWS_DIR", "flows_dir", Path)
        take("HOTLINE_SESSION_TTL_HOURS", "session_ttl_seconds", lambda v: int(float(v) * 3600))
        take("HOTLINE_TRANSCRIPT_RETENTION_DAYS", "transcript_retention_days", _int)
        take("HOTLINE_FLOOD_STORE_LIMIT", "flood_store_limit", _positive(int))
        take("HOTLINE_FLOOD_WINDOW_MINUTES", "flood_window_seconds", lambda v: _positive(int)(v) * 60)
        take("HOTLINE_TRANSCRIPT_MAX_ENTRIES", "transcript_max_entries", _positive(int))
        take("HOTLINE_INSIGHTS_RETENTION_DAYS", "insights_retention_days", _positive(int))
        take("HOTLINE_DEFAULT_REGION", "default_region", str.upper)
        take("HOTLINE_DEFAULT_TIMEZONE", "default_timezone", _zone)
        take("HOTLINE_QUIET_HOURS_START", "quiet_hours_start", _hour_minute)
        take("HOTLINE_QUIET_HOURS_END", "quiet_hours_end", _hour_minute)
        take("HOTLINE_SENDS_PER_SECOND", "sends_per_second", _int)
        take("HOTLINE_TRANSFER_NUMBER", "transfer_number")
        take("HOTLINE_STAFFED_HOURS", "staffed_hours", _hours_range)
        take("HOTLINE_REMINDER_LEASE_SECONDS", "reminder_lease_seconds", _positive(float))
        take("HOTLINE_REMINDER_CLAIM_STALE_SECONDS", "reminder_claim_stale_seconds", _positive(float))
        take("HOTLINE_REMINDER_BATCH", "reminder_batch", _positive(int))
        take("HOTLINE_REMINDER_SEND_THREADS", "reminder_send_threads", _positive(int))
        take("HOTLINE_ONCALL_NUMBERS", "oncall_numbers", _numbers)
        take("HOTLINE_ESCALATE_AFTER_MINUTES", "escalate_after_seconds", _minutes)
        take("HOTLINE_CLAIM_TIMEOUT_MINUTES", "claim_timeout_seconds", _minutes)
        take("WEB_THREADS", "web_threads", _positive(int))
        take("HOTLINE_VOICE_EN", "voice_en")
        take("HOTLINE_VOICE_ES", "voice_es")

        problems += _redis_problems(values, kwargs)
        env = kwargs.get("env", "development")
        if env not in {"development", "production", "test"}:
            problems.append(f"HOTLINE_ENV: expected development, production or test, got {env!r}")
        if env == "production":
            required = {
                "TWILIO_AUTH_TOKEN": "twilio_auth_token",
                "HOTLINE_SECRET_KEY": "secret_key",
                "REDIS_URL": "redis_url",
            }
            missing = [name for name, attr in required.items() if not kwargs.get(attr)
                       and not (name == "REDIS_URL" and kwargs.get("redis_sentinels"))]
            missing = [name if name != "REDIS_URL" else "REDIS_URL (or REDIS_SENTINELS)" for name in missing]
            if missing:
                problems.append(
                    "production needs " + ", ".join(missing) + " (set them in the environment or .env)"
                )
            if kwargs.get("validate_signatures") is False:
                problems.append("HOTLINE_VALIDATE_SIGNATURES: signature checks cannot be switched off in production")
            # Otherwise the URL a signature is checked against would be built from the client's Host header,
            # and a webhook signed for another app on the same Twilio account would be accepted here.
            if not kwargs.get("public_base_url") and not kwargs.get("trust_proxy"):
                problems.append("production needs PUBLIC_BASE_URL (the https URL Twilio calls), or "
                                "HOTLINE_TRUST_PROXY=true behind a proxy that sets X-Forwarded-Proto/-Host")
        if "proxy_count" in kwargs and not kwargs.get("trust_proxy"):
            problems.append("HOTLINE_PROXY_COUNT: counts the proxies to trust, so it needs HOTLINE_TRUST_PROXY=true")
        if int(kwargs.get("sends_per_second", 1)) < 0:  # type: ignore[call-overload]
            problems.append("HOTLINE_SENDS_PER_SECOND: must be 0 (no pacing) or more")
        if problems:
            raise SettingsError("Configuration problems:\n  - " + "\n  - ".join(problems))
        return cls(**kwargs)  # type: ignore[arg-type]


def _redis_problems(values: Mapping[str, str], kwargs: Mapping[str, object]) -> list[str]:
    """How the Redis variables fit together: one way to reach Redis, TLS settings only where TLS is used."""
    problems: list[str] = []

    def given(name: str) -> bool:
        return bool((values.get(name) or "").strip())

    url = str(kwargs.get("redis_url") or "")
    if given("REDIS_SENTINELS") or given("REDIS_SENTINEL_MASTER"):
        if not given("REDIS_SENTINEL_MASTER"):
            problems.append("REDIS_SENTINELS: needs REDIS_SENTINEL_MASTER, the name the sentinels monitor the "
                            "primary under (their `sentinel monitor NAME ...` line)")
        if not given("REDIS_SENTINELS"):
            problems.append("REDIS_SENTINEL_MASTER: needs REDIS_SENTINELS, the sentinels' host:port list")
        if given("REDIS_URL"):
            problems.append("REDIS_URL and REDIS_SENTINELS are both set: use one (REDIS_URL for one Redis or a "
                            "managed endpoint, REDIS_SENTINELS with REDIS_SENTINEL_MASTER for Sentinel)")
        if given("HOTLINE_REDIS_CA_FILE") or given("HOTLINE_REDIS_TLS_VERIFY"):
            problems.append("HOTLINE_REDIS_CA_FILE/HOTLINE_REDIS_TLS_VERIFY: TLS is for a rediss:// REDIS_URL; "
                            "connections through Sentinel are not encrypted (keep them on a private network)")
    else:
        for name in ("REDIS_PASSWORD", "REDIS_SENTINEL_PASSWORD"):
            if given(name):
                problems.append(f"{name}: is for Sentinel (REDIS_SENTINELS); with REDIS_URL, put the password in "
                                "the URL: rediss://:PASSWORD@host:port/0")
        tls = url.lower().startswith("rediss://")
        if not tls and (given("HOTLINE_REDIS_CA_FILE") or given("HOTLINE_REDIS_TLS_VERIFY")):
            problems.append("HOTLINE_REDIS_CA_FILE/HOTLINE_REDIS_TLS_VERIFY: need a rediss:// REDIS_URL (TLS); "
                            "with redis:// they would be ignored")
    return problems


def server_secret(settings: Settings) -> str:
    """The server's secret, which signs staff sessions and keys number references: HOTLINE_SECRET_KEY, or,
    outside production, a random key made once for the data directory and kept there (mode 0600), so
    sessions and references survive a restart and the web app and workers share it."""
    if settings.secret_key:
        return settings.secret_key
    if settings.production:
        raise SettingsError("Configuration problems:\n  - production needs HOTLINE_SECRET_KEY")
    path = settings.data_dir / "secret_key"
    try:
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            # Written aside (mkstemp makes it 0600) and linked into place: processes that start at once,
            # like gunicorn's workers, all end up reading the one key that got there first.
            descriptor, aside = tempfile.mkstemp(dir=path.parent, prefix=".secret_key.")
            try:
                with os.fdopen(descriptor, "w") as file:
                    file.write(secrets.token_hex(32) + "\n")
                os.link(aside, path)
            except FileExistsError:
                pass
            finally:
                os.unlink(aside)
        key = path.read_text().strip()
    except OSError as error:
        raise SettingsError(
            f"HOTLINE_SECRET_KEY is not set and {path} cannot be kept ({error.strerror}): set HOTLINE_SECRET_KEY,"
            " or HOTLINE_DATA_DIR to a folder this user can write") from None
    if len(key) < 32:
        raise SettingsError(f"{path} holds no usable key: delete it to make a new one, or set HOTLINE_SECRET_KEY")
    return key
