"""Staff JSON API for cases (docs/on-call.md): list them, claim, reply, hand back and close.

The token's name is who the action is recorded as, as a dashboard login is; every action goes into the case's
history and the audit. Errors are 400/404/409 (502/503 when Twilio refused or could not be reached) with
{"error": ...} saying what to do.
"""

from __future__ import annotations

from typing import Any

from flask import g, jsonify, request

from hotline.cases import CaseError
from hotline.privacy import mask_number
from hotline.staff.api_base import bp, problem, services, staff_token_required
from hotline.store.cases import Case


def case_json(case: Case) -> dict[str, Any]:
    """A case as staff see it: the number masked, with the conversation's ref and the case's page."""
    svc = services()
    return {
        "id": case.id, "number": mask_number(case.number), "ref": svc.refs.of(case.number),
        "level": case.level or None, "flags": list(case.flags), "reasons": list(case.reasons),
        "status": case.status, "opened_at": case.opened_at, "claimed_by": case.claimed_by or None,
        "claimed_at": case.claimed_at if case.claimed_by else None, "last_staff_at": case.last_staff_at,
        "last_message_at": case.last_message_at, "closed_at": case.closed_at, "closed_by": case.closed_by or None,
        "opted_out": svc.conversations.is_opted_out(case.number), "link": svc.cases.link(case.id),
    }


def _body() -> dict[str, Any]:
    try:
        data = request.get_json(silent=True)
    except RecursionError:
        data = None
    return data if isinstance(data, dict) else {}


@bp.get("/cases")
@staff_token_required
def list_cases() -> Any:
    """Open cases, the most serious first and, within a level, the oldest first; ?status=closed for those closed
    most recently."""
    store = services().cases.store
    status = request.args.get("status", "open")
    limit = max(1, min(request.args.get("limit", default=200, type=int) or 200, 1000))
    if status not in ("open", "closed"):
        return problem(400, "status is 'open' (the default) or 'closed'")
    found = store.open_cases(limit) if status == "open" else store.closed_cases(limit)
    return jsonify(cases=[case_json(c) for c in found], **store.counts())


def _act(action: str, case_id: str) -> Any:
    cases = services().cases
    try:
        if action == "reply":
            text = _body().get("text")
            if not isinstance(text, str):
                return problem(400, 'send the text as JSON in the body: {"text": "..."}')
            sent = cases.reply(case_id, g.staff, text)
            return jsonify(sid=sent.sid, status=sent.status, parts=sent.parts, encoding=sent.encoding,
                           case=case_json(cases.get(case_id))), 201
        case = {"claim": cases.claim, "release": cases.release, "close": cases.close}[action](case_id, g.staff)
    except CaseError as error:
        return problem(error.status, str(error))
    return jsonify(case=case_json(case))


@bp.post("/cases/<case_id>/claim")
@staff_token_required
def claim_case(case_id: str) -> Any:
    """Take the conversation over: the bot stays silent (but for the safety screen) until hand back or close, or
    until HOTLINE_CLAIM_TIMEOUT_MINUTES pass without a staff action. 409 when someone else has it."""
    return _act("claim", case_id)


@bp.post("/cases/<case_id>/reply")
@staff_token_required
def reply_to_case(case_id: str) -> Any:
    """Text the parent ({"text": ...}, at most 3 SMS parts), as the staff member who has the case claimed."""
    return _act("reply", case_id)


@bp.post("/cases/<case_id>/release")
@staff_token_required
def release_case(case_id: str) -> Any:
    """Hand the conversation back to the bot; the parent gets a short note (unless they opted out)."""
    return _act("release", case_id)


@bp.post("/cases/<case_id>/close")
@staff_token_required
def close_case(case_id: str) -> Any:
    return _act("close", case_id)
