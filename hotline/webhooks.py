"""Twilio webhooks: verify the signature, parse, hand to the conversation, render TwiML."""

from __future__ import annotations

import base64
import functools
import hmac
import logging
from collections.abc import Callable, Mapping
from typing import Any

import redis
from flask import Blueprint, Response, abort, current_app, request
from twilio.request_validator import RequestValidator

from hotline.channels.sms import twiml_reply
from hotline.conversation import Inbound, fallback_messages, handle_inbound
from hotline.logs import note_number
from hotline.services import Services

log = logging.getLogger(__name__)

bp = Blueprint("twilio", __name__, url_prefix="/twilio")


def services() -> Services:
    return current_app.extensions["hotline"]  # type: ignore[no-any-return]


def signed_url() -> str | None:
    """The URL Twilio signed: PUBLIC_BASE_URL + path + query when set; else, behind a trusted proxy, the URL
    the proxy reports (ProxyFix has applied its X-Forwarded-Proto/-Host), or None when it reported no host;
    else (development only: production needs one of the two) the URL as this app sees it."""
    settings = services().settings
    base = settings.public_base_url
    if not base:
        # The Host header is the client's to choose: never let it name the URL a signature is checked for.
        if settings.trust_proxy and not _proxy_reported_host():
            log.warning("no X-Forwarded-Host from the proxy: set PUBLIC_BASE_URL, or have the proxy set it")
            return None
        return request.url
    query = request.query_string.decode("latin-1")
    return f"{base}{request.path}" + (f"?{query}" if query else "")


def _proxy_reported_host() -> bool:
    """Whether ProxyFix took the host from X-Forwarded-Host: as it does, when the header holds a value from
    each trusted proxy (HOTLINE_PROXY_COUNT of them)."""
    forwarded = request.headers.get("X-Forwarded-Host", "")
    values = [value.strip() for value in forwarded.split(",")] if forwarded else []
    count = services().settings.proxy_count
    return len(values) >= count and bool(values[-count])


def expected_signature(auth_token: bytes, url: str, params: Mapping[str, str]) -> str:
    """X-Twilio-Signature for `url` and form `params`, as twilio's RequestValidator.compute_signature signs
    them (HMAC-SHA1 of the URL followed by each name and value, names sorted, base64), one value per name.
    One C call for the HMAC instead of the validator's per-name lookups (it tries .getall, then .getlist)."""
    data = url + "".join([name + params[name] for name in sorted(params)])
    return base64.b64encode(hmac.digest(auth_token, data.encode("utf-8"), "sha1")).decode("ascii")


def _signature_valid(auth_token: str, signature: str) -> bool:
    url = signed_url()
    if url is None:
        return False
    if request.mimetype == "application/json" and "bodySHA256" in request.args:
        params: Any = request.get_data(as_text=True)  # JSON webhooks sign bodySHA256 in the URL
    else:
        form = request.form  # parsed once: the view reads the same MultiDict
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


def twilio_signed(view: Callable[..., Any]) -> Callable[..., Any]:
    """Answer 403 unless X-Twilio-Signature is valid for this request."""

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        settings = services().settings
        if settings.validate_signatures:
            signature = request.headers.get("X-Twilio-Signature", "")
            if not signature or not settings.twilio_auth_token or not _signature_valid(
                settings.twilio_auth_token, signature
            ):
                # No phone number in the log: the path and whether a signature was present are enough.
                log.warning("rejected unsigned or badly signed request to %s (signature %s)",
                            request.path, "present" if signature else "missing")
                abort(403)
        return view(*args, **kwargs)

    return wrapper


def twiml(document: object) -> Response:
    return Response(str(document), mimetype="text/xml")


@bp.post("/sms")
@twilio_signed
def inbound_sms() -> Response:
    svc = services()
    inbound = Inbound.from_sms(request.form, request.headers, svc.settings.default_region)
    note_number(svc.refs, inbound.number)
    try:
        messages = handle_inbound(inbound, svc).messages
    except Exception as error:
        # A parent never hears an application error: log it (no number, no text) and answer safely.
        log.exception("inbound SMS failed; answered with the fallback")
        if isinstance(error, redis.RedisError):
            svc.metrics.redis_error("sms")
        fallback = fallback_messages(svc, inbound.text)
        svc.metrics.outage_answer("sms", "emergency" if fallback.emergency else "apology")
        messages = fallback.messages
    return twiml(twiml_reply(messages))


@bp.post("/status")
@twilio_signed
def message_status() -> Response:
    """Delivery status of an outbound text: kept on its reminder; duplicates and old news are ignored."""
    form = request.form
    sid, status = form.get("MessageSid", ""), (form.get("MessageStatus") or form.get("SmsStatus") or "").lower()
    if sid and status:
        svc = services()
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
    return twiml(twiml_reply(()))


# --- Voice: every call webhook goes through hotline.calls; a failure is answered, never a 5xx ------


def _call(kind: str) -> Response:
    from hotline.calls import call_apology, handle_call
    from hotline.channels.voice import call_event

    svc = services()
    try:
        event = call_event(kind, request.form, request.args, svc.settings.default_region)
        note_number(svc.refs, event.number)
        return twiml(handle_call(event, svc))
    except Exception as error:
        log.exception("voice webhook %s failed; answered with the apology", kind)
        if isinstance(error, redis.RedisError):
            svc.metrics.redis_error("voice")
        svc.metrics.outage_answer("voice", "apology")
        return twiml(call_apology(svc))


@bp.post("/voice")
@twilio_signed
def inbound_call() -> Response:
    return _call("start")


@bp.post("/voice/gather")
@twilio_signed
def call_input() -> Response:
    return _call("input")


@bp.post("/voice/dialed")
@twilio_signed
def call_dialed() -> Response:
    return _call("dialed")


@bp.post("/voice/recorded")
@twilio_signed
def call_recorded() -> Response:
    return _call("recorded")
