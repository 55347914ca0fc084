"""Redis cost per webhook: client round trips (counted in redis-py) and server commands (INFO commandstats)."""

from __future__ import annotations

import logging

import redis
from redis.connection import Connection

from bench.webhooks import ACCOUNT_SID, AUTH_TOKEN, SCRIPTS
from hotline import create_app
from hotline.redis_server import RedisServer, free_port
from hotline.services import build_services
from hotline.settings import Settings


class _Counter:
    round_trips = 0


def _counting(original):  # type: ignore[no-untyped-def]
    def send_packed_command(self, command, check_health=True):  # type: ignore[no-untyped-def]
        _Counter.round_trips += 1
        return original(self, command, check_health)

    return send_packed_command


def _commands(connection: redis.Redis) -> int:
    stats = connection.info("commandstats")
    return sum(int(v["calls"]) for k, v in stats.items() if k not in ("cmdstat_info", "cmdstat_config"))


def run(numbers: int = 200) -> dict[str, float]:
    from hotline.devtools.signed import SignedTwilio

    with RedisServer(port=free_port()) as server:
        settings = Settings(env="test", redis_url=server.url, twilio_auth_token=AUTH_TOKEN,
                            public_base_url="https://hotline.example.org", secret_key="bench")
        services = build_services(settings)
        client = create_app(services=services).test_client()
        logging.getLogger("hotline").setLevel(logging.WARNING)  # the table, not a log line per webhook
        signer = SignedTwilio(client, AUTH_TOKEN, "https://hotline.example.org", ACCOUNT_SID)
        signer.sms("warm up", "+12025559999")  # loads the Lua script once, as a running server has
        admin = redis.Redis.from_url(server.url)
        admin.config_resetstat()
        original = Connection.send_packed_command
        Connection.send_packed_command = _counting(original)  # type: ignore[method-assign]
        _Counter.round_trips = 0
        webhooks = 0
        try:
            for n in range(numbers):
                for body in SCRIPTS[n % len(SCRIPTS)]:
                    signer.sms(body, f"+1202555{n:04d}")
                    webhooks += 1
        finally:
            Connection.send_packed_command = original  # type: ignore[method-assign]
        commands = _commands(admin)
    return {
        "webhooks": webhooks,
        "round_trips_per_webhook": _Counter.round_trips / webhooks,
        "commands_per_webhook": commands / webhooks,
    }
