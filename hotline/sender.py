"""Outbound texts: one interface, two implementations (Twilio's REST API, or a console outbox)."""

from __future__ import annotations

import json
import logging
import os
import re
import sys
import time
import urllib.parse
import urllib.request
import uuid
from dataclasses import dataclass
from typing import Any, Protocol, TextIO

import certifi
import redis
import urllib3
from twilio.base.exceptions import TwilioRestException
from twilio.http import HttpClient
from twilio.http.response import Response
from twilio.rest import Client

from hotline.errors import PermanentSendError as PermanentSendError
from hotline.errors import SendError as SendError
from hotline.errors import TransientSendError as TransientSendError
from hotline.privacy import NumberRefs
from hotline.settings import TWILIO_API, Settings
from hotline.store import keys

log = logging.getLogger(__name__)
# twilio's HTTP client logs each request's URL with its query string at INFO: a message-list query
# carries the parent's number there. Keep that logger quiet whatever the root level is.
logging.getLogger("twilio.http_client").setLevel(logging.WARNING)
# urllib3 (the transport below) logs each request line, query string included, at DEBUG: the same.
logging.getLogger("urllib3.connectionpool").setLevel(logging.WARNING)

OUTBOX_LIMIT = 500

# Twilio error codes that will never succeed for this recipient: retrying only repeats the failure.
PERMANENT_CODES = {21211, 21214, 21217, 21610, 21612, 21614, 30003, 30005, 30006}


@dataclass(frozen=True)
class SentMessage:
    sid: str
    status: str


@dataclass(frozen=True)
class FoundMessage:
    sid: str
    status: str


NO_LOOKUP = FoundMessage("", "")  # find_sent's answer from a sender that cannot list what it sent


class Sender(Protocol):
    def send(self, to: str, body: str) -> SentMessage: ...

    def find_sent(self, to: str, body: str, since: float) -> FoundMessage | None:
        """The message with this exact body sent to `to` since `since` (epoch); None when there is none, NO_LOOKUP
        when this sender cannot tell."""
        ...


class PooledHttpClient(HttpClient):
    """twilio's HttpClient interface over one urllib3 connection pool, optionally aimed at another base
    URL (a Twilio-compatible API or a local fake).

    twilio's default client goes through a requests Session: request hooks, cookie jars and the proxy
    environment re-read for every call were about half of a reminder's CPU. This one reads the proxy
    settings once, keeps connections alive, verifies TLS against certifi's CA bundle (as requests
    does), never retries or follows redirects (as twilio's client), and is safe to share between threads.
    """

    _TWILIO_HOST = re.compile(r"^https://[^/]*\.twilio\.com")

    def __init__(self, base_url: str = TWILIO_API, timeout: float = 10.0, pool_size: int = 8) -> None:
        super().__init__(logger=log, is_async=False, timeout=timeout)
        self.base_url = base_url.rstrip("/")
        target = urllib.parse.urlsplit(self.base_url)
        proxy = urllib.request.getproxies().get(target.scheme)
        ca_certs = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE") or certifi.where()
        options: dict[str, Any] = {"maxsize": pool_size, "cert_reqs": "CERT_REQUIRED", "ca_certs": ca_certs}
        self.pool: urllib3.PoolManager = (
            urllib3.ProxyManager(proxy, **options)
            if proxy is not None and not urllib.request.proxy_bypass(target.hostname or "")
            else urllib3.PoolManager(**options))

    def request(self, method: str, url: str, params: dict[str, object] | None = None,
                data: dict[str, object] | None = None, headers: dict[str, str] | None = None,
                auth: tuple[str, str] | None = None, timeout: float | None = None,
                allow_redirects: bool = False) -> Response:
        if self.base_url != TWILIO_API:  # aimed elsewhere: every Twilio host goes to that base URL
            url = self._TWILIO_HOST.sub(self.base_url, url)
        if params:
            url += "?" + urllib.parse.urlencode(params, doseq=True)
        headers = dict(headers or {})
        body = None
        if data is not None:
            if headers.get("Content-Type") in ("application/json", "application/scim+json"):
                body = json.dumps(data)
            else:
                headers.setdefault("Content-Type", "application/x-www-form-urlencoded")
                body = urllib.parse.urlencode(data, doseq=True)
        if auth:
            headers.update(urllib3.make_headers(basic_auth=f"{auth[0]}:{auth[1]}"))
        answer = self.pool.request(method.upper(), url, body=body, headers=headers, retries=False,
                                   redirect=allow_redirects, timeout=timeout or self.timeout)
        return Response(answer.status, answer.data.decode("utf-8", "replace"), answer.headers)


class TwilioSender:
    """Sends through twilio's REST client, with a status callback on every message."""

    def __init__(self, settings: Settings) -> None:
        self.client = Client(settings.twilio_account_sid, settings.twilio_auth_token,
                             http_client=PooledHttpClient(settings.twilio_api_base_url))
        self.from_number = settings.twilio_from_number
        self.messaging_service_sid = settings.twilio_messaging_service_sid
        self.status_callback = (
            f"{settings.public_base_url}/twilio/status" if settings.public_base_url else None
        )

    def send(self, to: str, body: str) -> SentMessage:
        kwargs: dict[str, str] = {"to": to, "body": body}
        if self.messaging_service_sid:
            kwargs["messaging_service_sid"] = self.messaging_service_sid
        else:
            kwargs["from_"] = self.from_number or ""
        if self.status_callback:
            kwargs["status_callback"] = self.status_callback
        try:
            message = self.client.messages.create(**kwargs)
        except TwilioRestException as error:
            kind = PermanentSendError if error.code in PERMANENT_CODES else TransientSendError
            if error.status and 400 <= error.status < 500 and error.status != 429 and kind is TransientSendError:
                # Other 4xx answers mean the request itself is wrong; repeating it cannot help.
                kind = PermanentSendError
            raise kind(f"Twilio refused the message: {error.code}", code=error.code, status=error.status) from None
        except (OSError, urllib3.exceptions.HTTPError) as error:  # refused, reset, timeout, TLS refused
            raise TransientSendError(f"could not reach Twilio: {type(error).__name__}") from None
        return SentMessage(sid=str(message.sid), status=str(message.status or "queued"))

    def find_sent(self, to: str, body: str, since: float) -> FoundMessage | None:
        """Asked of Twilio's message list. Twilio has no idempotency key; this is how a send abandoned by a dead
        worker is told apart from one that never left: the claim's time bounds the search, the rendered body
        identifies the step."""
        kwargs: dict[str, object] = {"to": to, "limit": 50, "page_size": 50}
        if self.from_number and not self.messaging_service_sid:
            kwargs["from_"] = self.from_number
        for message in self.client.messages.list(**kwargs):
            created = message.date_created
            if message.body == body and (created is None or created.timestamp() >= since):
                return FoundMessage(str(message.sid), str(message.status or "queued"))
        return None


class ConsoleOutbox:
    """Development sender: prints each text and keeps the latest ones in Redis for staff to read."""

    def __init__(self, connection: redis.Redis, refs: NumberRefs, stream: TextIO | None = None) -> None:
        self.connection = connection
        self.refs = refs
        self.stream = stream

    def send(self, to: str, body: str) -> SentMessage:
        sid = "SMdev" + uuid.uuid4().hex[:27]
        entry = {"sid": sid, "to": to, "body": body, "at": time.time()}
        with self.connection.pipeline() as pipe:
            pipe.lpush(keys.OUTBOX, json.dumps(entry))
            pipe.ltrim(keys.OUTBOX, 0, OUTBOX_LIMIT - 1)
            pipe.execute()
        stream = self.stream or sys.stdout
        print(f"\n[outbox] to {to}:\n{body}\n", file=stream, flush=True)
        log.info("outbox text %s to %s", sid, self.refs.of(to))
        return SentMessage(sid=sid, status="sent")

    def find_sent(self, to: str, body: str, since: float) -> FoundMessage | None:
        return NO_LOOKUP  # the outbox keeps only the latest texts: it cannot say a text was never sent

    @staticmethod
    def read(connection: redis.Redis, limit: int = 50) -> list[dict[str, object]]:
        return [json.loads(raw) for raw in connection.lrange(keys.OUTBOX, 0, limit - 1)]

    @staticmethod
    def forget(connection: redis.Redis, number: str) -> int:
        """Remove the texts to `number` from the outbox (`hotline forget`); how many."""
        removed = 0
        for raw in connection.lrange(keys.OUTBOX, 0, -1):
            if json.loads(raw).get("to") == number:
                removed += int(connection.lrem(keys.OUTBOX, 0, raw))
        return removed


def build_sender(settings: Settings, connection: redis.Redis, refs: NumberRefs | None = None) -> Sender:
    if settings.twilio_configured:
        return TwilioSender(settings)
    return ConsoleOutbox(connection, refs or NumberRefs.for_settings(settings))
