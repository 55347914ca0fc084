"""CPU per SMS webhook in-process: the app's WSGI callable (the webhook dispatcher in front of Flask) called
directly (no HTTP server), signed requests as Twilio sends them, production settings and a real Redis; and where
that CPU goes, by component.

    python -m bench inprocess          # as `make bench` prints it
    python -m bench.inprocess 40       # the same, plus cProfile's 40 most expensive functions

The figure is this process's CPU time (`time.process_time`) per request: redis-py's packing and parsing and
the kernel's side of the socket calls are in it; Redis's own CPU and the time spent waiting for it are not.
The split wraps the functions named in COMPONENTS and charges the thread's CPU time (`time.thread_time_ns`)
to each, exclusively, on a separate run: unlike cProfile's wall-clock timer it does not count waiting for
Redis, and it adds about 1 us per wrapped call instead of cProfile's per-call overhead everywhere. The
optional cProfile listing (wall clock) is for finding the functions inside a component.
"""

from __future__ import annotations

import cProfile
import io
import logging
import pstats
import random
import statistics
import time
import urllib.parse
from collections.abc import Callable, Iterable
from typing import Any

from twilio.request_validator import RequestValidator

from bench.webhooks import ACCOUNT_SID, AUTH_TOKEN, SCRIPTS
from hotline import create_app
from hotline.redis_server import RedisServer, free_port
from hotline.services import build_services
from hotline.settings import Settings

PUBLIC = "https://hotline.example.org"

# Component -> the functions whose CPU time is that component's, as (module, attribute path). Time is charged
# exclusively: a component called inside another (form parsing inside the signature check) is its own.
COMPONENTS: dict[str, list[tuple[str, str]]] = {
    "signature check": [("hotline.webhooks", "_signature_valid")],
    "form parsing (werkzeug)": [("flask.wrappers", "Request._load_form_data"),
                                ("werkzeug.wrappers.request", "Request._load_form_data")],
    "Redis: load (redis-py, one read script, socket calls)": [
        ("hotline.store.conversations", "ConversationStore.load")],
    "Redis: commit (redis-py, one Lua script, transcript JSON, socket calls)": [
        ("hotline.store.conversations", "ConversationStore.commit")],
    "engine (safety screen, reader, runner)": [("hotline.conversation", "advance")],
    "session JSON (State.from_json / to_json)": [("hotline.engine.records", "JsonRecord.from_json"),
                                                  ("hotline.engine.records", "JsonRecord.to_json")],
    "SMS packing (render_sms)": [("hotline.conversation", "render_sms")],
    "TwiML": [("hotline.webhooks", "twiml_messages"), ("hotline.webhooks", "twiml_reply"),
              ("hotline.webhooks", "twiml")],
    "staff cases (a case's fold or opening and its alert job: Redis, RQ)": [
        ("hotline.conversation", "apply_case_effects")],
}
REST = ("request handling and the rest (the webhook dispatcher or Flask's routing, request and response objects, "
        "hotline glue)")


class CpuSplit:
    """Wraps the functions named in COMPONENTS (those this version of the code has) to charge the thread's
    CPU time to each, exclusively; the rest of the app's CPU is taken around each WSGI call. About 1 us of
    overhead per wrapped call."""

    def __init__(self) -> None:
        self.totals: dict[str, int] = dict.fromkeys([*COMPONENTS, "security headers", REST], 0)
        self.stack: list[list[Any]] = []
        self.undo: list[tuple[Any, str, Any]] = []

    def _wrap(self, name: str, function: Callable[..., Any]) -> Callable[..., Any]:
        clock = time.thread_time_ns

        def wrapper(*args: Any, **kwargs: Any) -> Any:
            frame = [0]  # CPU of wrapped calls inside this one
            self.stack.append(frame)
            started = clock()
            try:
                return function(*args, **kwargs)
            finally:
                spent = clock() - started
                self.stack.pop()
                self.totals[name] += spent - frame[0]
                if self.stack:
                    self.stack[-1][0] += spent

        return wrapper

    def install(self, app: Any) -> None:
        import importlib

        for name, targets in COMPONENTS.items():
            for module_name, path in targets:
                owner: Any = importlib.import_module(module_name)
                *parents, attr = path.split(".")
                for parent in parents:
                    owner = getattr(owner, parent)
                original = owner.__dict__.get(attr)
                if original is None:  # a name this version of the code does not have
                    continue
                function = original.__func__ if isinstance(original, classmethod) else original
                wrapped = self._wrap(name, function)
                setattr(owner, attr, classmethod(wrapped) if isinstance(original, classmethod) else wrapped)
                self.undo.append((owner, attr, original))
        funcs = app.after_request_funcs[None]
        self.undo.append((funcs, "", list(funcs)))
        funcs[:] = [self._wrap("security headers", f) for f in funcs]
        self.undo.append((app, "wsgi_app", app.wsgi_app))
        app.wsgi_app = self._wrap(REST, app.wsgi_app)

    def uninstall(self) -> None:
        for owner, attr, original in reversed(self.undo):
            if isinstance(owner, list):
                owner[:] = original
            else:
                setattr(owner, attr, original)
        self.undo.clear()

    def per_request_ms(self, requests: int) -> dict[str, float]:
        return {name: ns / 1e6 / requests for name, ns in self.totals.items()}


def signed_environs(count: int, numbers: int, seed: int = 1, first: int = 0) -> list[dict[str, Any]]:
    """Up to `count` WSGI environs for SMS webhooks from `numbers` distinct callers (numbered from `first`),
    each playing a script in order, eight conversations interleaved at a time (as eight concurrent
    callers would be), signed for PUBLIC as Twilio signs them, with all of Twilio's usual parameters."""
    from werkzeug.test import EnvironBuilder

    rng = random.Random(seed)
    validator = RequestValidator(AUTH_TOKEN)
    conversations = [(f"+1202{n // 10000 % 1000:03d}{n % 10000:04d}", SCRIPTS[n % len(SCRIPTS)])
                     for n in range(first, first + numbers)]
    ordered: list[tuple[str, str]] = []
    for group in range(0, len(conversations), 8):
        batch = conversations[group:group + 8]
        for step in range(max(len(script) for _, script in batch)):
            ordered += [(number, script[step]) for number, script in batch if step < len(script)]
    environs: list[dict[str, Any]] = []
    for number, body in ordered[:count]:
        sid = f"SM{rng.getrandbits(128):032x}"
        params = {
            "ToCountry": "US", "ToState": "CA", "SmsMessageSid": sid, "NumMedia": "0", "ToCity": "",
            "FromZip": "", "SmsSid": sid, "FromState": "", "SmsStatus": "received", "FromCity": "",
            "Body": body, "FromCountry": "US", "To": "+15005550006", "ToZip": "", "NumSegments": "1",
            "MessageSid": sid, "AccountSid": ACCOUNT_SID, "From": number, "ApiVersion": "2010-04-01",
        }
        builder = EnvironBuilder(
            path="/twilio/sms", method="POST", base_url="http://127.0.0.1:8000",
            data=urllib.parse.urlencode(params), content_type="application/x-www-form-urlencoded",
            headers={"X-Twilio-Signature": validator.compute_signature(PUBLIC + "/twilio/sms", params),
                     "I-Twilio-Idempotency-Token": f"{rng.getrandbits(64):016x}"},
        )
        environs.append(builder.get_environ())
    return environs


def _call(app: Callable[..., Iterable[bytes]], environs: list[dict[str, Any]]) -> int:
    statuses: list[str] = []

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
        statuses.append(status)
        return None

    errors = 0
    for environ in environs:
        body = app(environ, start_response)
        b"".join(body)
        if hasattr(body, "close"):
            body.close()
        errors += 0 if statuses[-1].startswith("200") else 1
    return errors


def _app(redis_url: str):  # type: ignore[no-untyped-def]
    settings = Settings(env="production", redis_url=redis_url, twilio_auth_token=AUTH_TOKEN,
                        public_base_url=PUBLIC, secret_key="bench")
    app = create_app(services=build_services(settings))
    logging.getLogger("hotline").setLevel(logging.WARNING)  # as production logs: no line per webhook here
    return app


def run(requests: int = 6000, repetitions: int = 3, numbers: int = 1000, profile: bool = True,
        functions: int = 0) -> dict[str, Any]:
    with RedisServer(port=free_port()) as server:
        app = _app(server.url)
        _call(app, signed_environs(300, 50, seed=99, first=900_000))  # warm-up: Lua script loaded, caches filled
        cpu, wall, errors = [], [], 0
        for rep in range(repetitions):
            environs = signed_environs(requests, numbers, seed=rep, first=rep * numbers)
            started_cpu, started = time.process_time(), time.perf_counter()
            errors += _call(app, environs)
            cpu.append((time.process_time() - started_cpu) * 1000 / requests)
            wall.append((time.perf_counter() - started) * 1000 / requests)
        result: dict[str, Any] = {
            "requests": requests, "repetitions": repetitions, "distinct_callers": numbers, "errors": errors,
            "cpu_ms_per_request": statistics.median(cpu), "cpu_ms_runs": cpu,
            "wall_ms_per_request": statistics.median(wall),
        }
        if profile:
            environs = signed_environs(requests, numbers, seed=42, first=repetitions * numbers)
            cpu_split = CpuSplit()
            cpu_split.install(app)
            try:
                _call(app, environs)
            finally:
                cpu_split.uninstall()
            result["split_ms"] = cpu_split.per_request_ms(len(environs))
        if functions:
            environs = signed_environs(requests, numbers, seed=43, first=(repetitions + 1) * numbers)
            profiler = cProfile.Profile()
            profiler.enable()
            _call(app, environs)
            profiler.disable()
            out = io.StringIO()
            pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(functions)
            result["top_functions"] = out.getvalue()
    return result


def main(argv: list[str] | None = None) -> None:
    import sys

    argv = sys.argv[1:] if argv is None else argv
    result = run(functions=int(argv[0]) if argv else 0)
    print(f"in-process SMS webhook: {result['cpu_ms_per_request']:.3f} ms CPU per request "
          f"(runs {', '.join(f'{v:.3f}' for v in result['cpu_ms_runs'])}; wall {result['wall_ms_per_request']:.3f} ms;"
          f" {result['errors']} errors)")
    for name, ms in result.get("split_ms", {}).items():
        print(f"  {ms:6.3f} ms  {name}")
    if result.get("top_functions"):
        print(result["top_functions"])


if __name__ == "__main__":
    main()
