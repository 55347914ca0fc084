"""CPU per voice webhook in-process: whole phone calls played through the Flask WSGI app called directly (no HTTP
server), signed as Twilio signs them, with production settings and a real Redis.

    python -m bench voice              # as `make bench` prints it
    python -m bench.calls              # the same, alone

Each call is a script of inputs (a digit or `*`/`#` is pressed, anything else is said, `recorded` ends a
callback request with a recording) posted to the action URL the previous answer carried (`?n=`), so every
webhook does what Twilio's would: load the call, run the call's state machine and the engine, render TwiML,
commit, apply effects (advice-by-text jobs, check-in enrollments, callback requests). The figure is this
process's CPU time per webhook (`time.process_time`), as in bench/inprocess.py; an answer that is the
apology ("something went wrong") counts as an error.
"""

from __future__ import annotations

import random
import statistics
import time
import urllib.parse
from typing import Any

from twilio.request_validator import RequestValidator

from bench.inprocess import PUBLIC, _app
from bench.webhooks import ACCOUNT_SID, AUTH_TOKEN
from hotline.redis_server import RedisServer, free_port

# Whole calls: the language, then a symptom check, the outcome and emergency menus, speech and the global keys.
CALL_SCRIPTS = [
    ["1", "4", "1", "2", "1", "2", "4", "4", "1"],  # home outcome, the advice by text
    ["2", "revisar", "menos de 3", "no", "sí", "no", "ninguna", "ninguna", "3", "1"],  # check-ins, then text
    ["1", "she is having a seizure", "1", "recorded"],  # emergency by speech, a callback with a message
    ["1", "1", "thanks", "*", "0", "3", "#", "4", "2", "2"],  # guidance, thanks, repeat, menu, silence
    ["1", "9", "2"],  # the emergency key, the advice by text
    ["1", "check symptoms", "3 to 6 months", "no", "no it keeps going", "text me"],  # urgent, by speech
]


def signed_calls(calls: int, seed: int = 1, first: int = 0) -> list[dict[str, Any]]:
    """WSGI environs for `calls` whole calls from distinct numbers, eight calls interleaved at a time (as eight
    concurrent callers would be), each webhook signed for PUBLIC with Twilio's usual voice parameters."""
    from werkzeug.test import EnvironBuilder

    rng = random.Random(seed)
    validator = RequestValidator(AUTH_TOKEN)
    scripts = []
    for n in range(first, first + calls):
        number, sid = f"+1303{n // 10000 % 1000:03d}{n % 10000:04d}", f"CA{rng.getrandbits(128):032x}"
        steps: list[tuple[str, dict[str, str]]] = [("/twilio/voice", {})]
        for index, value in enumerate(CALL_SCRIPTS[n % len(CALL_SCRIPTS)], start=1):
            if value == "recorded":
                steps.append((f"/twilio/voice/recorded?n={index}", {
                    "RecordingUrl": "https://api.twilio.com/2010-04-01/Accounts/AC1/Recordings/RE1",
                    "RecordingDuration": "12", "Digits": "#"}))
            elif len(value) == 1 and value in "0123456789*#":
                steps.append((f"/twilio/voice/gather?n={index}", {"Digits": value, "FinishedOnKey": ""}))
            else:
                steps.append((f"/twilio/voice/gather?n={index}", {"SpeechResult": value, "Confidence": "0.91"}))
        scripts.append((number, sid, steps))
    ordered: list[tuple[str, str, str, dict[str, str]]] = []
    for group in range(0, len(scripts), 8):
        batch = scripts[group:group + 8]
        for index in range(max(len(steps) for _, _, steps in batch)):
            ordered += [(number, sid, *steps[index]) for number, sid, steps in batch if index < len(steps)]
    environs = []
    for number, sid, path, extra in ordered:
        params = {
            "AccountSid": ACCOUNT_SID, "ApiVersion": "2010-04-01", "CallSid": sid, "CallStatus": "in-progress",
            "Called": "+15005550006", "Caller": number, "Direction": "inbound", "From": number,
            "FromCountry": "US", "To": "+15005550006", "ToCountry": "US", **extra,
        }
        builder = EnvironBuilder(
            path=path, method="POST", base_url="http://127.0.0.1:8000",
            data=urllib.parse.urlencode(params), content_type="application/x-www-form-urlencoded",
            headers={"X-Twilio-Signature": validator.compute_signature(PUBLIC + path, params),
                     "I-Twilio-Idempotency-Token": f"{rng.getrandbits(64):016x}"},
        )
        environs.append(builder.get_environ())
    return environs


def _post_all(app: Any, environs: list[dict[str, Any]]) -> int:
    """Posts every webhook; returns how many were not a 200 with a real answer (the apology counts as one)."""
    statuses: list[str] = []

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
        statuses.append(status)
        return None

    errors = 0
    for environ in environs:
        body = app(environ, start_response)
        data = b"".join(body)
        if hasattr(body, "close"):
            body.close()
        errors += 0 if statuses[-1].startswith("200") and b"went wrong" not in data else 1
    return errors


def run(calls: int = 600, repetitions: int = 3) -> dict[str, Any]:
    with RedisServer(port=free_port()) as server:
        app = _app(server.url)
        _post_all(app, signed_calls(30, seed=99, first=900_000))  # warm-up: Lua scripts loaded, caches filled
        cpu, wall, errors, webhooks = [], [], 0, 0
        for rep in range(repetitions):
            environs = signed_calls(calls, seed=rep, first=rep * calls)
            started_cpu, started = time.process_time(), time.perf_counter()
            errors += _post_all(app, environs)
            cpu.append((time.process_time() - started_cpu) * 1000 / len(environs))
            wall.append((time.perf_counter() - started) * 1000 / len(environs))
            webhooks = len(environs)
    return {"calls": calls, "webhooks": webhooks, "repetitions": repetitions, "errors": errors,
            "cpu_ms_per_webhook": statistics.median(cpu), "cpu_ms_runs": cpu,
            "wall_ms_per_webhook": statistics.median(wall)}


def show(result: dict[str, Any]) -> str:
    return (f"voice webhooks in-process ({result['calls']} calls, {result['webhooks']} webhooks a run): "
            f"{result['cpu_ms_per_webhook']:.3f} ms CPU a webhook (runs "
            f"{', '.join(f'{v:.3f}' for v in result['cpu_ms_runs'])}; wall {result['wall_ms_per_webhook']:.3f} ms; "
            f"{result['errors']} errors)")


if __name__ == "__main__":
    print(show(run()))
