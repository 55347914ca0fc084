"""The floor: the least an SMS webhook can do and still keep what issue 16 says it must keep.

Not the hotline. A bare WSGI callable (no Flask), as lean as this machine's Python allows, that does only the
work the issue lists as required of every webhook, with none of the hotline's own work (no engine, no
findings, no transcript format, no staff cases, no metrics, no security headers):

- the form parsed once (`urllib.parse.parse_qsl`, C-accelerated, no limits);
- the X-Twilio-Signature checked with one HMAC over the exact public URL (`hmac.digest`, as the hotline does);
- two Redis round trips: one read (the caller's session and the idempotency key, pipelined), one write (a
  Lua script: compare-and-set of the session's version, idempotency key with a TTL, one transcript entry);
- a fixed TwiML reply written as a string.

`python -m bench floor` runs it under the Procfile's web line beside the stateless reference and the hotline,
interleaved: whatever it costs is the cost no hotline that keeps those guarantees can go below on this
machine and server, so it says which of the issue's targets are reachable at all.
"""

from __future__ import annotations

import base64
import hmac
import os
import urllib.parse
from collections.abc import Callable, Iterable
from typing import Any

import redis

_WRITE = """
local version = redis.call('GET', KEYS[1] .. ':v')
if version and version ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1] .. ':v', tonumber(ARGV[1] or '0') + 1)
redis.call('SET', KEYS[1], ARGV[2])
redis.call('SET', KEYS[2], '1', 'EX', 86400)
redis.call('RPUSH', KEYS[3], ARGV[3])
return 1
"""

_REPLY = (b'<?xml version="1.0" encoding="UTF-8"?><Response><Message>Thanks. If your baby is having trouble '
          b'breathing or turning blue, call 911 now.</Message></Response>')


def create_app() -> Callable[..., Iterable[bytes]]:
    token = os.environ["TWILIO_AUTH_TOKEN"].encode()
    url = os.environ["PUBLIC_BASE_URL"].rstrip("/") + "/twilio/sms"
    client = redis.Redis.from_url(os.environ["REDIS_URL"])
    write = client.register_script(_WRITE)

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if environ["PATH_INFO"] == "/healthz":
            start_response("200 OK", [("Content-Type", "application/json")])
            return [b'{"status": "ok"}']
        body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        form = dict(urllib.parse.parse_qsl(body.decode("utf-8"), keep_blank_values=True))
        data = url + "".join([name + form[name] for name in sorted(form)])
        expected = base64.b64encode(hmac.digest(token, data.encode("utf-8"), "sha1"))
        if not hmac.compare_digest(expected, environ.get("HTTP_X_TWILIO_SIGNATURE", "").encode()):
            start_response("403 Forbidden", [("Content-Type", "text/plain")])
            return [b"bad signature"]
        caller = form.get("From", "")
        session_key = f"floor:s:{caller}"
        idempotency_key = f"floor:i:{environ.get('HTTP_I_TWILIO_IDEMPOTENCY_TOKEN', '')}"
        pipe = client.pipeline(transaction=False)
        pipe.get(session_key + ":v")
        pipe.get(session_key)
        pipe.exists(idempotency_key)
        version, _session, seen = pipe.execute()
        if not seen:
            write(keys=[session_key, idempotency_key, f"floor:t:{caller}"],
                  args=[version or b"0", form.get("Body", ""), form.get("Body", "")])
        start_response("200 OK", [("Content-Type", "text/xml"), ("Content-Length", str(len(_REPLY)))])
        return [_REPLY]

    return app
