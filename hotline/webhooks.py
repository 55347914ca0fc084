"""Twilio webhooks: verify the signature, parse, hand to the use case, render TwiML.

Twilio's POSTs to the routes below are answered by `TwilioWebhooks`, a small WSGI dispatcher in front of the Flask
app, with a werkzeug Request and nothing else: no app or request context, URL matching, session, before/after hooks
or Response object per webhook (their CPU cost: docs/webhook-performance.md). Anything else (another method, another
path) falls through to Flask, whose blueprint below has the same routes: they answer the same requests the same way
(tests/test_webhook_dispatcher.py compares the two byte for byte), through the same functions: the signature check,
the use-case calls with their fallbacks, the TwiML. The dispatcher adds what the app adds around a view: the security
headers, the 64 KB body cap (413 before a larger body is read), Flask's error pages, the metrics observation and, in
JSON log mode, the route.
"""

from __future__ import annotations

import base64
import functools
import hmac
import io
import logging
import time
from collections.abc import Callable, Iterable, Mapping
from typing import IO, TYPE_CHECKING, Any

import redis
from flask import Blueprint, Response, abort, current_app, request
from twilio.request_validator import RequestValidator
from werkzeug.exceptions import Forbidden, HTTPException, InternalServerError
from werkzeug.wrappers import Request

from hotline.channels.sms import twiml_reply
from hotline.conversation import MAX_BODY_CHARS, Inbound, fallback_messages, handle_inbound
from hotline.logs import REQUEST, note_number
from hotline.services import Services
from hotline.settings import Settings

if TYPE_CHECKING:
    from flask import Flask

log = logging.getLogger(__name__)

bp = Blueprint("twilio", __name__, url_prefix="/twilio")


def services() -> Services:
    return current_app.extensions["hotline"]  # type: ignore[no-any-return]


# --- the signature ------------------------------------------------------------------------------------------


def signed_url(req: Request, settings: Settings) -> str | None:
    """The URL Twilio signed: PUBLIC_BASE_URL + path + query when set; else, behind a trusted proxy, the URL
    the proxy reports (ProxyFix has applied its X-Forwarded-Proto/-Host), or None when it reported no host;
    else (development only: production needs one of the two) the URL as this app sees it."""
    base = settings.public_base_url
    if not base:
        # The Host header is the client's to choose: never let it name the URL a signature is checked for.
        if settings.trust_proxy and not _proxy_reported_host(req, settings):
            log.warning("no X-Forwarded-Host from the proxy: set PUBLIC_BASE_URL, or have the proxy set it")
            return None
        return req.url
    query = req.query_string.decode("latin-1")
    return f"{base}{req.path}" + (f"?{query}" if query else "")


def _proxy_reported_host(req: Request, settings: Settings) -> bool:
    """Whether ProxyFix took the host from X-Forwarded-Host: as it does, when the header holds a value from
    each trusted proxy (HOTLINE_PROXY_COUNT of them)."""
    forwarded = req.headers.get("X-Forwarded-Host", "")
    values = [value.strip() for value in forwarded.split(",")] if forwarded else []
    count = settings.proxy_count
    return len(values) >= count and bool(values[-count])


def expected_signature(auth_token: bytes, url: str, params: Mapping[str, str]) -> str:
    """X-Twilio-Signature for `url` and form `params`, as twilio's RequestValidator.compute_signature signs
    them (HMAC-SHA1 of the URL followed by each name and value, names sorted, base64), one value per name.
    One C call for the HMAC instead of the validator's per-name lookups (it tries .getall, then .getlist)."""
    data = url + "".join([name + params[name] for name in sorted(params)])
    return base64.b64encode(hmac.digest(auth_token, data.encode("utf-8"), "sha1")).decode("ascii")


def _signature_valid(req: Request, settings: Settings, signature: str) -> bool:
    auth_token = settings.twilio_auth_token or ""
    url = signed_url(req, settings)
    if url is None:
        return False
    if req.mimetype == "application/json" and "bodySHA256" in req.args:
        params: Any = req.get_data(as_text=True)  # JSON webhooks sign bodySHA256 in the URL
    else:
        form = req.form  # parsed once: the use case reads the same MultiDict
        # The URL Twilio called, exactly: one HMAC for a valid request. Only a mismatch goes on to the
        # validator's two signatures, the URL with and without its port (Twilio's signing of a port differs).
        try:
            expected = expected_signature(auth_token.encode("utf-8"), url, form)
            if hmac.compare_digest(expected.encode("ascii"), signature.encode("utf-8", "replace")):
                return True
        except UnicodeError:
            pass  # the validator below decides
        params = form.to_dict(flat=True)
    try:
        return bool(RequestValidator(auth_token).validate(url, params, signature))
    except (TypeError, ValueError, UnicodeError):  # a malformed request is simply not a valid one
        return False


def refused(req: Request, settings: Settings) -> bool:
    """Whether this request must be answered 403: its X-Twilio-Signature is missing or not valid for it (with
    signature checks on). A refusal is logged, without the phone number."""
    if not settings.validate_signatures:
        return False
    signature = req.headers.get("X-Twilio-Signature", "")
    if signature and settings.twilio_auth_token and _signature_valid(req, settings, signature):
        return False
    # No phone number in the log: the path and whether a signature was present are enough.
    log.warning("rejected unsigned or badly signed request to %s (signature %s)",
                req.path, "present" if signature else "missing")
    return True


# --- the use cases: a parsed request in, TwiML out; a failure is answered, never raised ----------------------


def sms_answer(form: Mapping[str, str], headers: Mapping[str, str], svc: Services) -> str:
    """The TwiML for an inbound text. A parent never hears an application error: whatever fails (Redis down,
    a bug) is logged, without the number or the text, and answered with the fallback: the emergency reply if
    the text is an emergency, else an apology with the emergency number."""
    try:
        inbound = Inbound.from_sms(form, headers, svc.settings.default_region)
        note_number(svc.refs, inbound.number)
        messages = handle_inbound(inbound, svc).messages
    except Exception as error:
        log.exception("inbound SMS failed; answered with the fallback")
        if isinstance(error, redis.RedisError):
            svc.metrics.redis_error("sms")
        fallback = fallback_messages(svc, (form.get("Body") or "")[:MAX_BODY_CHARS])
        svc.metrics.outage_answer("sms", "emergency" if fallback.emergency else "apology")
        messages = fallback.messages
    return twiml_reply(messages)


def status_answer(form: Mapping[str, str], svc: Services) -> str:
    """Delivery status of an outbound text: kept on its reminder; duplicates and old news are ignored."""
    sid, status = form.get("MessageSid", ""), (form.get("MessageStatus") or form.get("SmsStatus") or "").lower()
    if sid and status:
        try:
            args = sid[:64], status[:20], (form.get("ErrorCode") or "")[:10], svc.clock()
            recorded = svc.reminders.enrollments.record_status(*args)
            if recorded == "unknown":
                svc.cases.record_status(*args)  # a staff reply, a note to a parent or an on-call alert
            elif recorded == "updated":
                svc.metrics.reminder_status(args[1])
        except Exception as error:  # Redis down: the status is lost, but Twilio is never answered with a 5xx
            log.exception("could not record a message status")
            if isinstance(error, redis.RedisError):
                svc.metrics.redis_error("status")
    return twiml_reply(())


def call_answer(kind: str, form: Mapping[str, str], args: Mapping[str, str], svc: Services) -> str:
    """Every call webhook goes through hotline.calls; a failure is answered with the apology, never a 5xx."""
    from hotline.calls import call_apology, handle_call
    from hotline.channels.voice import call_event

    try:
        event = call_event(kind, form, args, svc.settings.default_region)
        note_number(svc.refs, event.number)
        return handle_call(event, svc)
    except Exception as error:
        log.exception("voice webhook %s failed; answered with the apology", kind)
        if isinstance(error, redis.RedisError):
            svc.metrics.redis_error("voice")
        svc.metrics.outage_answer("voice", "apology")
        return call_apology(svc)


# Route (under /twilio) -> its answer from the request and the services; the Flask views and the dispatcher share it.
Answer = Callable[[Request, Services], str]
ANSWERS: dict[str, Answer] = {
    "/sms": lambda req, svc: sms_answer(req.form, req.headers, svc),
    "/status": lambda req, svc: status_answer(req.form, svc),
    "/voice": lambda req, svc: call_answer("start", req.form, req.args, svc),
    "/voice/gather": lambda req, svc: call_answer("input", req.form, req.args, svc),
    "/voice/dialed": lambda req, svc: call_answer("dialed", req.form, req.args, svc),
    "/voice/recorded": lambda req, svc: call_answer("recorded", req.form, req.args, svc),
}


# --- the Flask views -----------------------------------------------------------------------------------------


def twilio_signed(view: Callable[..., Any]) -> Callable[..., Any]:
    """Answer 403 unless X-Twilio-Signature is valid for this request."""

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if refused(request._get_current_object(), services().settings):  # type: ignore[attr-defined]
            abort(403)
        return view(*args, **kwargs)

    return wrapper


def twiml(document: object) -> Response:
    return Response(str(document), mimetype="text/xml")


def _view(route: str) -> Callable[[], Response]:
    answer = ANSWERS[route]

    def view() -> Response:
        return twiml(answer(request._get_current_object(), services()))  # type: ignore[attr-defined]

    return view


for _route, _endpoint in (("/sms", "inbound_sms"), ("/status", "message_status"), ("/voice", "inbound_call"),
                          ("/voice/gather", "call_input"), ("/voice/dialed", "call_dialed"),
                          ("/voice/recorded", "call_recorded")):
    bp.add_url_rule(_route, _endpoint, twilio_signed(_view(_route)), methods=["POST"])


# --- the dispatcher ------------------------------------------------------------------------------------------


class WebhookRequest(Request):
    """A webhook's request under the app's limits (set from its config for each request, as Flask's are):
    MAX_CONTENT_LENGTH (a larger body is refused with 413 before it is read), the form's memory and parts."""

    def _get_file_stream(self, total_content_length: int | None, content_type: str | None,
                         filename: str | None = None, content_length: int | None = None) -> IO[bytes]:
        return io.BytesIO()  # as hotline.uploads.HotlineRequest: nothing spooled to the disk


_XML = "text/xml; charset=utf-8"


class TwilioWebhooks:
    """WSGI: Twilio's POSTs to /twilio/sms, /status and /voice... answered directly (see the module's docstring);
    every other request goes to `fallback` (the Flask app, behind the metrics' WebhookTimer). Each webhook
    answered here is observed in the webhook histogram (route, status, seconds) as WebhookTimer would, and in
    JSON log mode names its route, as hotline.logs.note_route would."""

    def __init__(self, app: Flask, services: Services, fallback: Callable[..., Iterable[bytes]],
                 security_headers: Mapping[str, str]) -> None:
        self.flask = app
        self.services = services
        self.fallback = fallback
        self.observe = services.metrics.webhook
        self.routes = {bp.url_prefix + route: answer for route, answer in ANSWERS.items()}  # type: ignore[operator]
        self.headers = list(security_headers.items())

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        answer = self.routes.get(path)
        if answer is None or environ.get("REQUEST_METHOD") != "POST":
            return self.fallback(environ, start_response)
        started = time.perf_counter()
        fields = REQUEST.get()
        if fields is not None:
            fields["route"] = path
        status = "500"
        try:
            req = WebhookRequest(environ, populate_request=False)  # no cycle through the environ for the GC
            config = self.flask.config
            req.max_content_length = config["MAX_CONTENT_LENGTH"]
            req.max_form_memory_size = config["MAX_FORM_MEMORY_SIZE"]
            req.max_form_parts = config["MAX_FORM_PARTS"]
            svc = self.services
            try:
                if refused(req, svc.settings):
                    raise Forbidden()
                body = answer(req, svc).encode("utf-8")
            except HTTPException as error:  # 403, or 413 for a body over the cap
                status = str(error.code)
                return self._error(error, environ, start_response)
            except Exception as error:
                if self._propagate():
                    raise
                self.flask.logger.error("Exception on %s [%s]", req.path, req.method, exc_info=True)
                status = "500"
                return self._error(InternalServerError(original_exception=error), environ, start_response)
            start_response("200 OK", [("Content-Type", _XML), ("Content-Length", str(len(body))), *self.headers])
            status = "200"
            return [body]
        finally:
            self.observe(path, status, time.perf_counter() - started)

    def _error(self, error: HTTPException, environ: dict[str, Any],
               start_response: Callable[..., Any]) -> Iterable[bytes]:
        """Flask's answer to an HTTP error with no handler (werkzeug's page), with the security headers."""
        response = error.get_response(environ)
        present = {name.lower() for name in response.headers.keys()}
        for name, value in self.headers:
            if name.lower() not in present:
                response.headers.add(name, value)
        return response(environ, start_response)  # type: ignore[no-any-return]

    def _propagate(self) -> bool:
        """Whether Flask would let the exception out (testing or debugging) instead of answering 500."""
        config = self.flask.config
        propagate = config["PROPAGATE_EXCEPTIONS"]
        return bool(propagate if propagate is not None else (config["TESTING"] or config["DEBUG"]))
