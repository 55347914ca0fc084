"""Dashboard pages for cases (docs/on-call.md): the inbox, a case's page, and the live feed every page listens to.

The live feed is server-sent events: `GET /staff/cases/feed` reads the cases' feed stream (case ids and what
happened, never a number or a message) and passes each event on with the current counts; the page's script
(static/staff/live.js: the Content-Security-Policy allows no inline script) puts the count of cases waiting in
the tab's title, plays a sound, and re-fetches the part of the page the event changed (server-rendered
fragments, the same templates the pages use). A streaming response holds a web thread: each web process
streams to at most `Settings.live_streams` pages at once (its threads less two, kept for Twilio's webhooks), each
for up to STREAM_SECONDS, and any other page gets what is
new and is told to ask again in POLL_MS (EventSource reconnects by itself, with Last-Event-ID).
"""

from __future__ import annotations

import functools
import json
import re
import threading
import time
from collections.abc import Iterator
from typing import Any

from flask import (
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    session,
    stream_with_context,
    url_for,
)

from hotline.cases import OPTED_OUT, REASONS, CaseError
from hotline.channels.segments import GSM7_BASIC, GSM7_EXTENDED, MAX_SEGMENTS, encoding, segment_count
from hotline.staff.pages import COOKIE_QUIET_ENDPOINTS, NAV_ITEMS, OVERVIEW_PANELS, PAGE_ENTRIES, bp, services
from hotline.store.cases import CLAIMED, CLOSED_STATUS, Case

STREAM_SECONDS = 15.0  # then the response ends and the browser reconnects at once, with Last-Event-ID
POLL_MS = 2000  # a page that found no stream free asks again this often
INBOX_ROWS = 200  # open cases the inbox lists (the most serious and oldest); it says how many more there are
KEEPALIVE_SECONDS = 1.0  # an idle stream writes a comment this often, so a closed tab frees its thread soon
_EVENT_ID = re.compile(r"^\d{1,20}-\d{1,20}\Z")
STATUS_WORDS = {"queued": "sending", "accepted": "sending", "sending": "sending", "sent": "sent",
                "delivered": "delivered", "read": "delivered", "undelivered": "failed", "failed": "failed"}


def _store() -> Any:
    return services().cases.store


@functools.cache
def _stream_slots(count: int) -> threading.BoundedSemaphore | None:
    """The pages this web process may stream to at once: each stream holds one of the server's threads."""
    return threading.BoundedSemaphore(count) if count > 0 else None


# The live feed's requests (the event stream, and the fragments a page fetches when an event comes) run beside
# page loads, with the cookie the page had; they never write it back (an old copy would overwrite a newer one).
LIVE_ENDPOINTS = {"staff.case_feed", "staff.inbox_rows", "staff.case_live"}
COOKIE_QUIET_ENDPOINTS.update(LIVE_ENDPOINTS)


@bp.app_context_processor
def live_feed() -> dict[str, Any]:
    """Every logged-in page listens to the live feed from the newest event at the time it was rendered."""
    if not session.get("staff"):
        return {}
    try:
        return {"live_after": _store().feed_position()}
    except Exception:  # Redis unreachable: the page still renders, the script starts from the newest event
        return {"live_after": "$"}


# --- the inbox --------------------------------------------------------------------------------------------


def _inbox_context() -> dict[str, Any]:
    store = _store()
    return {"cases": store.open_cases(INBOX_ROWS), "counts": store.counts(), "reasons": REASONS,
            "me": session.get("staff")}


@bp.get("/inbox")
def inbox() -> str:
    return render_template("staff/inbox.html", closed=_store().closed_cases(20), **_inbox_context())


@bp.get("/inbox/rows")
def inbox_rows() -> Response:
    """The inbox table's rows, for the live feed to put in place (the same template as the page)."""
    context = _inbox_context()
    response = Response(render_template("staff/_inbox_rows.html", **context), mimetype="text/html")
    response.headers["X-Open"], response.headers["X-Waiting"] = str(context["counts"]["open"]), \
        str(context["counts"]["waiting"])
    response.headers["Cache-Control"] = "no-store"
    return response


# --- a case -----------------------------------------------------------------------------------------------


def _case_or_404(case_id: str) -> Case:
    try:
        return services().cases.get(case_id)
    except CaseError:
        abort(404)


def _live_context(case: Case) -> dict[str, Any]:
    svc = services()
    me = session.get("staff")
    entries = svc.conversations.transcript(case.number)
    shown = entries[-PAGE_ENTRIES:]
    sids = [str(e["sid"]) for e in shown if e.get("sid")]
    opted_out = svc.conversations.is_opted_out(case.number)
    mine = case.status == CLAIMED and case.claimed_by == me
    if case.status == CLOSED_STATUS:
        blocked = "This case is closed."
    elif opted_out:
        blocked = OPTED_OUT
    elif not mine:
        blocked = (f"{case.claimed_by} has this case claimed: only they can text the parent." if case.claimed_by
                   else "Claim this case to text the parent (the hotline then stops answering this number).")
    else:
        blocked = ""
    return {
        "case": case, "me": me, "mine": mine, "opted_out": opted_out, "can_text": not blocked, "blocked": blocked,
        "entries": shown, "hidden": len(entries) - len(shown), "history": _store().history(case.id)[-50:],
        "statuses": {sid: (STATUS_WORDS.get(status, status or "sending"), error)
                     for sid, (status, error) in _store().statuses(sids).items()},
        "ref": svc.refs.of(case.number), "reasons": REASONS,
        "claim_minutes": round(svc.settings.claim_timeout_seconds / 60),
    }


def _reply_info(text: str) -> dict[str, Any]:
    parts = segment_count(text)
    summary = f"{parts} SMS part{'' if parts == 1 else 's'} · {encoding(text)} · {len(text)} characters"
    if parts > MAX_SEGMENTS:
        summary += f". Too long: {MAX_SEGMENTS} parts at most"
    return {"summary": summary, "over": parts > MAX_SEGMENTS}


def _case_page(case: Case, *, text: str = "", error: str | None = None, status: int = 200) -> Any:
    rules = {"basic": "".join(sorted(GSM7_BASIC)), "extended": "".join(sorted(GSM7_EXTENDED)), "samples": {},
             "max_parts": MAX_SEGMENTS}
    return render_template("staff/case.html", text=text, error=error, counter=_reply_info(text), rules=rules,
                           **_live_context(case)), status


@bp.get("/cases/<case_id>")
def case_page(case_id: str) -> Any:
    return _case_page(_case_or_404(case_id))


@bp.get("/cases/<case_id>/live")
def case_live(case_id: str) -> Response:
    """The live part of a case's page (status, actions, transcript, history), for the live feed to put in place;
    X-Can-Text says whether the reply box may be used, X-Blocked why not."""
    context = _live_context(_case_or_404(case_id))
    response = Response(render_template("staff/_case_live.html", **context), mimetype="text/html")
    response.headers["X-Can-Text"] = "1" if context["can_text"] else "0"
    response.headers["X-Blocked"] = context["blocked"].encode("ascii", "replace").decode()
    response.headers["Cache-Control"] = "no-store"
    return response


def _action(case_id: str, action: str) -> Any:
    """Claim, hand back or close from a page: back to where it was pressed, with what happened."""
    cases = services().cases
    me = session["staff"]
    try:
        if action == "claim":
            cases.claim(case_id, me)
            flash(f"You have case {case_id}: the hotline stops answering this number until you hand it back "
                  f"(or after {round(cases.settings.claim_timeout_seconds / 60)} minutes without a reply from you). "
                  "An emergency still gets the emergency instruction at once.")
        elif action == "release":
            cases.release(case_id, me)
            flash(f"Case {case_id} handed back: the hotline answers this number again, and the parent was told.")
        else:
            cases.close(case_id, me)
            flash(f"Case {case_id} closed.")
    except CaseError as error:
        if error.status == 404:
            flash(str(error))
            return redirect(url_for("staff.inbox"), 303)
        return _case_page(_case_or_404(case_id), error=str(error), status=error.status)
    if action == "close" or request.form.get("back") == "inbox":
        return redirect(url_for("staff.inbox"), 303)
    return redirect(url_for("staff.case_page", case_id=case_id), 303)


@bp.post("/cases/<case_id>/claim")
def case_claim(case_id: str) -> Any:
    return _action(case_id, "claim")


@bp.post("/cases/<case_id>/release")
def case_release(case_id: str) -> Any:
    return _action(case_id, "release")


@bp.post("/cases/<case_id>/close")
def case_close(case_id: str) -> Any:
    return _action(case_id, "close")


@bp.post("/cases/<case_id>/reply")
def case_reply(case_id: str) -> Any:
    text = request.form.get("text", "")
    try:
        sent = services().cases.reply(case_id, session["staff"], text)
    except CaseError as error:
        if error.status == 404:
            flash(str(error))
            return redirect(url_for("staff.inbox"), 303)
        return _case_page(_case_or_404(case_id), text=text, error=str(error), status=error.status)
    flash(f"Sent ({sent.parts} SMS part{'' if sent.parts == 1 else 's'}, {sent.encoding}). Its delivery shows "
          "under it.")
    return redirect(url_for("staff.case_page", case_id=case_id), 303)


# --- the live feed -------------------------------------------------------------------------------------------


def _sse(event: str, data: dict[str, Any], event_id: str | None = None) -> str:
    head = f"id: {event_id}\n" if event_id else ""
    return f"{head}event: {event}\ndata: {json.dumps(data, separators=(',', ':'))}\n\n"


@bp.get("/cases/feed")
def case_feed() -> Response:
    """Server-sent events: one `case` event per change to a case, each with the counts of open and waiting
    cases, starting after the Last-Event-ID the browser sends on reconnecting, or `?after=` (the newest event
    when the page was rendered)."""
    store = _store()
    after = request.headers.get("Last-Event-ID") or request.args.get("after") or "$"
    if after != "$" and not _EVENT_ID.match(after):
        after = "$"
    if after == "$":
        after = store.feed_position()
    slots = _stream_slots(services().settings.live_streams)
    streaming = slots is not None and slots.acquire(blocking=False)
    me = session.get("staff", "")

    def events() -> Iterator[str]:
        last = after
        try:
            yield f"retry: {250 if streaming else POLL_MS}\n\n"
            yield _sse("hello", {"streaming": streaming, **store.counts()})
            deadline = time.monotonic() + (STREAM_SECONDS if streaming else 0)
            while True:
                left = deadline - time.monotonic()
                block = max(1, int(min(left, KEEPALIVE_SECONDS) * 1000)) if streaming and left > 0 else None
                found = store.read_feed(last, block_ms=block)
                if found:
                    cases = {c.id: c for c in (store.get(fields.get("case", "")) for _, fields in found) if c}
                    counts = store.counts()
                    for event_id, fields in found:
                        last = event_id
                        case = cases.get(fields.get("case", ""))
                        yield _sse("case", {
                            "kind": fields.get("kind"), "case": fields.get("case"), "by": fields.get("by"),
                            "level": case.level if case else None, "status": case.status if case else None,
                            "claimed_by": (case.claimed_by or None) if case else None, "me": me, **counts,
                        }, event_id)
                elif streaming:
                    yield ": still here\n\n"
                if not streaming or time.monotonic() >= deadline:
                    return
        finally:
            if streaming and slots is not None:
                slots.release()

    response = Response(stream_with_context(events()), mimetype="text/event-stream")
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Accel-Buffering"] = "no"  # a proxy must pass each event on at once
    return response


def _cases_panel() -> dict[str, Any]:
    counts = _store().counts()
    return {"title": "Cases waiting for a nurse", "count": counts["waiting"], "link": url_for("staff.inbox"),
            "link_text": f"Open the inbox ({counts['open']} open)"}


NAV_ITEMS.insert(1, ("staff.inbox", "Inbox"))
OVERVIEW_PANELS["cases"] = _cases_panel
