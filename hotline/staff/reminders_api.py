"""Staff JSON API for reminders: schedules, enrollments, upcoming and sent reminders, opt-outs.

Views are plumbing: parse, call the rules (hotline/reminders/enrollment.py), answer JSON. The rules raise named
errors (hotline/errors.py); _problem says each as a 400, 404 or 409 with a message, and nothing is written before
the input has been checked.
"""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify, request, url_for

from hotline.errors import HotlineError, ScheduleExists, ScheduleInUse, ShippedSchedule
from hotline.reminders.import_jobs import ImportJobs
from hotline.reminders.imports import MAX_IMPORT_BYTES, MAX_IMPORT_REQUEST_BYTES, TOO_LARGE
from hotline.reminders.schedules import parse_schedule
from hotline.staff.api_base import TOO_LARGE_MESSAGES, bp, problem, services, staff_token_required
from hotline.uploads import accepts_upload


def _limit() -> int:
    return max(1, min(request.args.get("limit", default=100, type=int) or 100, 1000))


def _json_body() -> dict[str, Any] | None:
    try:
        data = request.get_json(silent=True)
    except RecursionError:  # nested deeper than the JSON parser goes: no body we take
        return None
    return data if isinstance(data, dict) else None


def _problem(error: HotlineError) -> tuple[Response, int]:
    """A named error as the API says it: its status (400, 404, 409) and a message that says what to do here."""
    match error:
        case ScheduleExists(name=name):
            return problem(409, f"a schedule named '{name}' exists; PUT /api/schedules/{name} to change it")
        case ShippedSchedule(name=name):
            return problem(409, f"'{name}' ships with the hotline (flows/schedules/); deactivate it instead: "
                                f"PUT it with \"active\": false")
        case ScheduleInUse(name=name, count=count):
            return problem(409, f"'{name}' has {count} active enrollment(s); cancel them first or "
                                "delete with ?force=true to cancel them all", active_enrollments=count)
    return problem(error.http_status, str(error))


# --- schedules ----------------------------------------------------------------------------------------


def _schedule_json(schedule: Any) -> dict[str, Any]:
    reminders = services().reminders
    return {**schedule.to_dict(), "active_enrollments": reminders.active_count(schedule.name),
            "shipped": schedule.name in reminders.schedules.shipped()}


@bp.get("/schedules")
@staff_token_required
def list_schedules() -> Any:
    return jsonify(schedules=[_schedule_json(s) for s in services().reminders.schedules.all()])


@bp.post("/schedules")
@staff_token_required
def create_schedule() -> Any:
    body = _json_body()
    if body is None:
        return problem(400, "send the schedule as a JSON object")
    try:
        schedule = parse_schedule(body)
        services().reminders.rules.create_schedule(schedule)
    except HotlineError as error:
        return _problem(error)
    return jsonify(_schedule_json(schedule)), 201


@bp.get("/schedules/<name>")
@staff_token_required
def get_schedule(name: str) -> Any:
    try:
        schedule = services().reminders.rules.schedule(name)
    except HotlineError as error:
        return _problem(error)
    return jsonify(_schedule_json(schedule))


@bp.put("/schedules/<name>")
@staff_token_required
def update_schedule(name: str) -> Any:
    """Replace a schedule. Future steps of its enrollments follow the new version."""
    body = _json_body()
    if body is None:
        return problem(400, "send the schedule as a JSON object")
    rules = services().reminders.rules
    try:
        rules.schedule(name)
        if body.setdefault("name", name) != name:
            return problem(400, "a schedule cannot be renamed; create a new one")
        schedule = parse_schedule(body)
        rules.save_schedule(schedule)
    except HotlineError as error:
        return _problem(error)
    return jsonify(_schedule_json(schedule))


@bp.delete("/schedules/<name>")
@staff_token_required
def delete_schedule(name: str) -> Any:
    force = request.args.get("force", "").lower() in {"1", "true", "yes"}
    try:
        deleted = services().reminders.rules.delete_schedule(name, cancel_active=force)
    except HotlineError as error:
        return _problem(error)
    return jsonify(deleted=deleted.schedule, cancelled_enrollments=deleted.cancelled)


# --- enrollments --------------------------------------------------------------------------------------


@bp.get("/enrollments")
@staff_token_required
def list_enrollments() -> Any:
    reminders = services().reminders
    schedule, status = request.args.get("schedule"), request.args.get("status")
    found = reminders.enrollments.in_schedule(schedule) if schedule else reminders.enrollments.all()
    found = [e for e in found if not status or e.status == status]
    found.sort(key=lambda e: int(e.id))
    return jsonify(enrollments=[e.to_dict() for e in found[:_limit()]], total=len(found))


@bp.post("/enrollments")
@staff_token_required
def create_enrollment() -> Any:
    body = _json_body()
    if body is None or not isinstance(body.get("number"), str):
        return problem(400, "send a JSON object with at least \"number\" (and optionally schedule, language, "
                            "timezone, baby_name)")
    unknown = set(body) - {"number", "schedule", "language", "timezone", "baby_name"}
    if unknown:
        return problem(400, f"unknown field(s): {', '.join(sorted(unknown))}")
    try:
        result = services().reminders.rules.enroll(
            body["number"], str(body.get("schedule") or "checkin"), channel="staff",
            language=str(body.get("language") or "en"), zone=body.get("timezone") or None,
            baby_name=body.get("baby_name"))
    except HotlineError as error:
        return _problem(error)
    if not result.created:
        return problem(409, "this number is already enrolled in this schedule",
                       enrollment=result.enrollment.to_dict())
    return jsonify(result.enrollment.to_dict()), 201


@bp.get("/enrollments/<eid>")
@staff_token_required
def get_enrollment(eid: str) -> Any:
    reminders = services().reminders
    try:
        enrollment = reminders.rules.enrollment(eid)
    except HotlineError as error:
        return _problem(error)
    logs = reminders.enrollments.logs(eid)
    return jsonify({**enrollment.to_dict(),
                    "reminders": [{"step_offset_minutes": k, **v} for k, v in sorted(logs.items())]})


@bp.post("/enrollments/<eid>/cancel")
@staff_token_required
def cancel_enrollment(eid: str) -> Any:
    try:
        cancelled = services().reminders.rules.cancel_active(eid)
    except HotlineError as error:
        return _problem(error)
    return jsonify(cancelled.to_dict())


@bp.post("/enrollments/import")
@accepts_upload(MAX_IMPORT_REQUEST_BYTES)  # the token is checked before anything reads the body
@staff_token_required
def import_enrollments() -> Any:
    """A CSV file (text/csv body or multipart 'file'), checked as a whole at once, then imported by a
    background job: 202 with the URL to GET for its progress and report."""
    upload = request.files.get("file")
    raw = upload.read(MAX_IMPORT_BYTES + 1) if upload else request.get_data(cache=False)
    if not raw:
        return problem(400, "send a CSV file: a text/csv body or a multipart field named 'file'")
    try:
        import_id = ImportJobs(services().reminders).start(
            raw, request.args.get("schedule", "checkin"), (upload.filename if upload else "") or "")
    except HotlineError as error:
        return _problem(error)
    where = url_for("api.import_status", import_id=import_id)
    response = jsonify(id=import_id, status="queued", status_url=where)
    response.headers["Location"] = where
    return response, 202


@bp.get("/enrollments/import/<import_id>")
@staff_token_required
def import_status(import_id: str) -> Any:
    """An import's progress (rows done of all rows, counts, bad rows so far), then its report."""
    job = ImportJobs(services().reminders).status(import_id)
    if job is None:
        return problem(404, f"no import {import_id} (an import's report is kept for a day)")
    return jsonify(job.to_dict())


TOO_LARGE_MESSAGES["api.import_enrollments"] = TOO_LARGE


# --- reminders and opt-outs -----------------------------------------------------------------------------


@bp.get("/reminders/upcoming")
@staff_token_required
def upcoming_reminders() -> Any:
    return jsonify(reminders=services().reminders.upcoming(_limit()))


@bp.get("/reminders/sent")
@staff_token_required
def sent_reminders() -> Any:
    return jsonify(reminders=services().reminders.sent(_limit()))


@bp.get("/optouts")
@staff_token_required
def optouts() -> Any:
    found = services().conversations.opt_outs()
    return jsonify(optouts=[{"number": n, "at": at} for n, at in sorted(found.items(), key=lambda i: -i[1])])


@bp.get("/openapi.json")
@staff_token_required
def openapi() -> Any:
    from hotline.staff.openapi import document

    return jsonify(document())
