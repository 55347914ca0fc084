"""The staff dashboard: server-rendered pages for nurses and coordinators, behind a login."""

from __future__ import annotations

import logging
import math
import secrets
from datetime import timedelta
from typing import Any

from flask import (
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.typing import ResponseReturnValue

from hotline.conversation import Inbound, handle_inbound
from hotline.phone import sender_number
from hotline.privacy import mask_number
from hotline.sender import ConsoleOutbox
from hotline.staff.pages import NAV_ITEMS, OVERVIEW_PANELS, PAGE_ENTRIES, bp, services
from hotline.store.audit import RevealAudit
from hotline.store.staff_accounts import MAX_USERNAME, LoginThrottle, StaffAccounts

log = logging.getLogger(__name__)

SESSION_HOURS = 8
LEVEL_ORDER = {"emergency": 0, "urgent": 1, "soon": 2, "home": 3, None: 4}


def login_throttle() -> LoginThrottle:
    return LoginThrottle(services().redis, secret=current_app.config["SECRET_KEY"].encode())


PUBLIC_ENDPOINTS = {"staff.login"}


@bp.before_request
def require_login() -> ResponseReturnValue | None:
    if request.endpoint in PUBLIC_ENDPOINTS or request.endpoint == "staff.static":
        return None
    user = session.get("staff")
    started = session.get("staff_at", 0)
    if not user or services().clock() - started > SESSION_HOURS * 3600 or not _session_still_valid(user):
        session.clear()
        return redirect(url_for("staff.login", next=request.full_path if request.method == "GET" else None))
    return None


def _session_still_valid(user: str) -> bool:
    # The cookie is signed, but a copy of it would live its 8 hours whatever happens on the server: a
    # session is good only while its account exists and has not ended its sessions since (log out, reset).
    generation = StaffAccounts(services().redis).session_generation(user)
    return generation is not None and session.get("staff_generation") == generation


@bp.app_context_processor
def inject() -> dict[str, Any]:
    return {"staff_user": session.get("staff"), "mask": mask_number, "nav_items": NAV_ITEMS}


# --- Login --------------------------------------------------------------------------------------

WRONG_LOGIN = "That username and password do not match. Please try again."


@bp.route("/login", methods=["GET", "POST"])
def login() -> Any:
    error, status, headers = None, 200, {}
    if request.method == "POST":
        username = request.form.get("username", "").strip().lower()
        password = request.form.get("password", "")
        # No account has a longer name: a wrong username, never looked up and never kept in a key.
        account = username if len(username) <= MAX_USERNAME else None
        # Behind a trusted proxy (HOTLINE_TRUST_PROXY), ProxyFix has put the client's address here.
        address = request.remote_addr or "unknown"
        throttle = login_throttle()
        wait = throttle.begin(account, address)
        if wait:
            minutes = math.ceil(wait / 60)
            error = (f"Too many failed logins. Please wait {minutes} minute{'' if minutes == 1 else 's'} "
                     "and try again.")
            status, headers = 429, {"Retry-After": str(wait)}
            log.warning("login refused: too many failed attempts for the account or address")
        elif account is not None and StaffAccounts(services().redis).verify(account, password):
            throttle.succeeded(account, address)
            session.clear()
            session.permanent = True
            session["staff"] = account
            session["staff_at"] = services().clock()
            session["staff_generation"] = StaffAccounts(services().redis).session_generation(account)
            target = request.args.get("next") or ""
            # Only local paths: never redirect a nurse to another site after login.
            # No control characters either: a line break cannot go in a Location header.
            if (not target.startswith("/staff") or target.startswith("//")
                    or any(ord(c) < 32 or ord(c) == 127 for c in target)):
                target = url_for("staff.overview")
            return redirect(target)
        else:
            error, status = WRONG_LOGIN, 401
    return render_template("staff/login.html", error=error, max_username=MAX_USERNAME), status, headers


@bp.post("/logout")
def logout() -> Any:
    """Log out: ends this account's sessions everywhere, not only this browser's copy of the cookie."""
    StaffAccounts(services().redis).end_sessions(session["staff"])
    session.clear()
    flash("You are logged out.")
    return redirect(url_for("staff.login"))


# --- Overview -----------------------------------------------------------------------------------


def _conversation_rows(since: float | None = None, limit: int = 200,
                       number: str | None = None) -> list[dict[str, Any]]:
    """The newest conversations (or those since a time), or the one with `number` however old it is, within
    the retention period."""
    store = services().conversations
    if number is not None:
        last = store.last_active(number)
        rows = [] if last is None else [(number, last)]
    else:
        rows = store.rows(since, limit)
    # Each row links to its conversation by ref: make sure that ref opens it (one pipelined round trip).
    store.index_refs(rows)
    latest = store.latest_assessments([n for n, _ in rows])
    result = []
    for number, last in rows:
        assessment = latest.get(number)
        result.append({
            "number": number,
            "ref": services().refs.of(number),
            "last": last,
            "level": assessment.get("level") if assessment else None,
            "flags": assessment.get("flags", []) if assessment else [],
        })
    return result


def _start_of_today() -> float:
    now = services().clock.local(services().settings.default_timezone)
    return now.replace(hour=0, minute=0, second=0, microsecond=0).timestamp()


def _at(entry: dict[str, object]) -> float:
    at = entry.get("at", 0)
    return float(at) if isinstance(at, int | float | str) else 0.0


@bp.get("/")
def overview() -> str:
    today = _conversation_rows(since=_start_of_today())
    today.sort(key=lambda row: (LEVEL_ORDER.get(row["level"], 4), -row["last"]))
    counts = {level: sum(1 for r in today if r["level"] == level) for level in ("emergency", "urgent", "soon", "home")}
    panels = {name: provider() for name, provider in OVERVIEW_PANELS.items()}
    return render_template("staff/overview.html", rows=today, counts=counts, panels=panels)


# --- Conversations ------------------------------------------------------------------------------


@bp.get("/conversations")
def conversations() -> str:
    query = request.args.get("q", "").strip()
    error = None
    rows = []
    if query:
        number = sender_number(query, services().settings.default_region)
        if not number:
            error = f"'{query}' is not a phone number we can read. Try the full number, e.g. +1 555 123 4567."
        else:
            rows = _conversation_rows(number=number)
            if not rows:
                error = "No conversation with that number (it may have expired)."
    else:
        rows = _conversation_rows(limit=100)
    return render_template("staff/conversations.html", rows=rows, query=query, error=error)


@bp.get("/conversations/<ref>")
def conversation(ref: str) -> str:
    """A conversation with the number masked. Revealing it is a POST (reveal_number): a GET, which any other
    site can make a logged-in browser send, must never write a reveal in a nurse's name."""
    return _conversation_page(ref, reveal=False)


@bp.post("/conversations/<ref>/reveal")
def reveal_number(ref: str) -> str:
    """Show the full number, recorded with the staff member's name (the form carries the CSRF token)."""
    return _conversation_page(ref, reveal=True)


def _conversation_page(ref: str, *, reveal: bool) -> str:
    number = _number_for_ref(ref)
    store = services().conversations
    if reveal:
        RevealAudit(services().redis).record(session["staff"], ref)
        log.info("staff %s revealed the number of %s", session["staff"], ref)
    entries = store.transcript(number)
    assessments = [e for e in entries if e.get("dir") == "assessment"]
    shown = entries[-PAGE_ENTRIES:]
    return render_template(
        "staff/conversation.html",
        ref=ref,
        number=number if reveal else mask_number(number),
        revealed=reveal,
        entries=shown,
        hidden=len(entries) - len(shown),
        not_stored=store.not_stored(number),
        store=store,
        assessment=assessments[-1] if assessments else None,
        opted_out=store.is_opted_out(number),
        sections=_section_titles(),
    )


@bp.get("/reveals")
def reveals() -> str:
    """Who saw which conversation's full number, and when: the audit kept in Redis, newest first."""
    return render_template("staff/reveals.html", reveals=RevealAudit(services().redis).recent(200))


def _number_for_ref(ref: str) -> str:
    """Pages name a conversation by a reference, so full numbers never appear in URLs or access logs. One
    lookup (the ref's key), never a scan of every number."""
    number = services().conversations.number_for_ref(ref)
    if number is None:
        abort(404)
    return number


def _section_titles() -> dict[str, str]:
    from hotline.engine.levels import SECTIONS

    return SECTIONS


# --- Opt-outs and outbox ------------------------------------------------------------------------


@bp.get("/opt-outs")
def opt_outs() -> str:
    rows = sorted(services().conversations.opt_outs().items(), key=lambda item: -item[1])
    return render_template("staff/opt_outs.html", rows=rows)


@bp.get("/outbox")
def outbox() -> str:
    dev = not services().settings.twilio_configured
    return render_template("staff/outbox.html", entries=ConsoleOutbox.read(services().redis, 100), dev=dev)


# --- Simulator ----------------------------------------------------------------------------------


def _sim_number() -> str:
    number = session.get("sim_number")
    if not number:
        # A number in the 555-01xx range, reserved for fiction: it can never reach a real phone.
        number = f"+1202555{100 + secrets.randbelow(100):04d}"
        session["sim_number"] = number
    return str(number)


@bp.route("/simulator", methods=["GET", "POST"])
def simulator() -> Any:
    """Staff text as a parent (SMS) or press keys as a caller (voice, shown as text), through the real flows."""
    number = _sim_number()
    mode = request.values.get("mode", session.get("sim_mode", "sms"))
    mode = mode if mode in ("sms", "voice") else "sms"
    session["sim_mode"] = mode
    if request.method == "POST":
        # Named buttons say what was clicked (no script needed): a key, "silence", "new", or the default.
        action = request.form.get("do") or ("key" if request.form.get("key") else request.form.get("action", "send"))
        if action == "new":
            for key in ("sim_number", "sim_call", "sim_path"):
                session.pop(key, None)
            return redirect(url_for("staff.simulator", mode=mode))
        if mode == "voice":
            _simulate_call(number, action, request.form.get("message", ""))
        else:
            text = request.form.get("message", "")
            if not text.strip():
                flash("Type a message first.")
            else:
                handle_inbound(Inbound(number=number, text=text[:1600], channel="sms"), services())
        return redirect(url_for("staff.simulator", mode=mode))
    entries = services().conversations.transcript(number)
    cutoff = services().clock() - timedelta(hours=24).total_seconds()
    entries = [e for e in entries if _at(e) >= cutoff and e.get("channel", "sms") == mode
               or e.get("dir") == "assessment" and _at(e) >= cutoff]
    return render_template("staff/simulator.html", number=number, entries=entries, ref=services().refs.of(number),
                           mode=mode, in_call=bool(session.get("sim_path")))


def _simulate_call(number: str, action: str, words: str) -> None:
    """One step of a simulated call: the same handler Twilio's voice webhooks reach, without the network."""
    from urllib.parse import parse_qs, urlsplit

    from hotline.calls import handle_call
    from hotline.channels.voice import call_event

    path = session.get("sim_path")
    if action == "call" or not path:
        session["sim_call"] = "CA" + secrets.token_hex(16)
        path = "/twilio/voice"
    form = {"CallSid": session["sim_call"], "From": number, "To": "+15005550006"}
    if action == "key":
        form["Digits"] = request.form.get("key", "")[:1]
    elif action == "say" and words.strip():
        form["SpeechResult"] = words.strip()[:300]
    parts = urlsplit(path)
    kind = {"/twilio/voice": "start", "/twilio/voice/gather": "input"}.get(parts.path, "input")
    args = {k: v[0] for k, v in parse_qs(parts.query).items()}
    twiml = handle_call(call_event(kind, form, args, services().settings.default_region), services())
    session["sim_path"] = _next_action(twiml)


def _next_action(twiml: str) -> str | None:
    """Where Twilio would post next: the Gather's action, else a Redirect; None when the call ends."""
    import xml.etree.ElementTree as ET

    root = ET.fromstring(twiml)
    gather = root.find("Gather")
    if gather is not None and gather.get("action"):
        return str(gather.get("action"))
    redirect_to = root.find("Redirect")
    return redirect_to.text if redirect_to is not None and redirect_to.text else None


# --- Callback requests (from the phone line) ----------------------------------------------------


@bp.route("/callbacks", methods=["GET", "POST"])
def callbacks() -> Any:
    from hotline.store.calls import CallStore

    store = CallStore(services().redis, services().conversations)
    if request.method == "POST":
        if store.mark_done(request.form.get("id", ""), session.get("staff", "")):
            flash("Marked as done.")
        else:
            flash("That callback request no longer exists (it may have expired).")
        return redirect(url_for("staff.callbacks"))
    return _callbacks_page(store)


@bp.post("/callbacks/<callback_id>/reveal")
def reveal_callback(callback_id: str) -> Any:
    """Show one caller's full number on the callbacks page, recorded like a reveal on a conversation page
    (a POST with the CSRF token, so no other site can make a nurse's browser write one)."""
    from hotline.store.calls import CallStore

    store = CallStore(services().redis, services().conversations)
    callback = store.callback(callback_id)
    if callback is None:
        abort(404)
    ref = services().refs.of(callback.number)
    RevealAudit(services().redis).record(session["staff"], ref, via="callbacks")
    log.info("staff %s revealed the number of %s on the callbacks page", session["staff"], ref)
    return _callbacks_page(store, revealed=callback.id)


def _callbacks_page(store: Any, revealed: str | None = None) -> str:
    rows = store.callbacks(limit=200)
    waiting = [c for c in rows if not c.done_at]
    done = [c for c in rows if c.done_at][:50]
    return render_template("staff/callbacks.html", waiting=waiting, done=done, revealed=revealed)


def _callbacks_panel() -> dict[str, Any]:
    from hotline.store.calls import CallStore

    waiting = [c for c in CallStore(services().redis, services().conversations).callbacks(200) if not c.done_at]
    return {"title": "Callbacks waiting", "count": len(waiting), "link": url_for("staff.callbacks"),
            "link_text": "See callback requests"}


NAV_ITEMS.insert(2, ("staff.callbacks", "Callbacks"))
OVERVIEW_PANELS["callbacks"] = _callbacks_panel
