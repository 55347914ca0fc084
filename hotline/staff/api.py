"""The staff JSON API under /api/: every route needs a staff bearer token."""

from __future__ import annotations

from typing import Any

from flask import g, jsonify, request

from hotline.phone import sender_number
from hotline.privacy import mask_number
from hotline.staff.api_base import bp, problem, services, staff_token_required
from hotline.store.conversations import NotStored


@bp.post("/conversations/lookup")
@staff_token_required
def conversation() -> Any:
    """A parent's conversation, found by the number in the JSON body: never in the URL, which access logs
    and proxies keep."""
    svc = services()
    try:
        body = request.get_json(silent=True)
    except RecursionError:  # nested deeper than the JSON parser goes
        body = None
    number = body.get("number") if isinstance(body, dict) else None
    if not isinstance(number, str):
        return problem(400, 'send the number as JSON in the body: {"number": "+15551234567"}')
    e164 = sender_number(number, svc.settings.default_region)
    if not e164:
        return problem(400, f"'{number}' is not a valid phone number; use E.164, e.g. +15551234567")
    store = svc.conversations
    transcript = store.transcript(e164)
    if not transcript and not store.contact(e164):
        return problem(404, "no conversation with this number (or it has expired)")
    assessments = [e for e in transcript if e.get("dir") == "assessment"]
    messages = [e for e in transcript if e.get("dir") in ("in", "out", "staff")]  # staff: a nurse's text
    latest = assessments[-1] if assessments else None
    contact = store.contact(e164)
    not_stored = NotStored.of(contact)
    return jsonify(
        number=e164,
        ref=svc.refs.of(e164),
        opted_out=store.is_opted_out(e164),
        language=contact.get("language"),
        assessment=({k: latest[k] for k in ("level", "flags", "sections", "at")} if latest else None),
        assessments=assessments,
        transcript=messages,
        # What the transcript is missing: texts of a flood past the limit, and its oldest entries past the maximum.
        texts_not_stored=not_stored.flood_texts,
        last_text_not_stored_at=not_stored.last_flood_text_at,
        older_entries_removed=not_stored.trimmed_entries,
    )


@bp.get("/callbacks")
@staff_token_required
def callbacks() -> Any:
    """Callers who asked a nurse to call them back, newest first. Numbers are masked, as on the dashboard,
    with the conversation's ref; `?reveal=1` gives them in E.164 and records a reveal of each in the token
    owner's name (listed at /staff/reveals)."""
    from hotline.store.audit import RevealAudit
    from hotline.store.calls import CallStore

    svc = services()
    limit = request.args.get("limit", default=100, type=int) or 100
    reveal = request.args.get("reveal", "").lower() in ("1", "true", "yes")
    found = CallStore(svc.redis, svc.conversations).callbacks(limit=max(1, min(limit, 500)))
    listed = []
    for callback in found:
        ref = svc.refs.of(callback.number)
        if reveal:
            RevealAudit(svc.redis).record(g.staff, ref, via="api callbacks")
        listed.append({**callback.to_dict(), "number": callback.number if reveal else mask_number(callback.number),
                       "ref": ref})
    return jsonify(callbacks=listed)
