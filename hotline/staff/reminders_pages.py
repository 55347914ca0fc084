"""Dashboard pages for reminders: schedules (with a live SMS segment counter), enrollments, upcoming.

Views are plumbing, like hotline/staff/reminders_api.py: read the form, call the rules (parse_schedule validates;
hotline/reminders/enrollment.py enrolls, cancels, saves, pauses and deletes schedules and replans) and show the
result. Every named error the rules raise (hotline/errors.py) is shown next to the form it came from, worded for
these pages by _message, with the staff's input kept; an unknown schedule or enrollment in the URL is a 404.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import abort, current_app, flash, redirect, render_template, request, session, url_for

from hotline.channels.segments import (
    GSM7_BASIC,
    GSM7_EXTENDED,
    MAX_SEGMENTS,
    encoding,
    non_gsm7_characters,
    segment_count,
)
from hotline.errors import (
    ConflictError,
    EnrollmentError,
    EnrollmentNotActive,
    HotlineError,
    ImportRefused,
    ScheduleError,
    ScheduleExists,
    ScheduleInUse,
    ShippedSchedule,
    UnknownEnrollment,
    UnknownSchedule,
)
from hotline.privacy import mask_number
from hotline.reminders.import_jobs import ImportJobs
from hotline.reminders.imports import COLUMNS, MAX_IMPORT_BYTES, MAX_IMPORT_REQUEST_BYTES, TOO_LARGE
from hotline.reminders.schedules import (
    LANGUAGES,
    SAMPLE_VALUES,
    ReminderSchedule,
    offset_label,
    parse_schedule,
    render,
)
from hotline.staff.pages import NAV_ITEMS, OVERVIEW_PANELS, bp, local_time, services
from hotline.uploads import accepts_upload, size_label

UNIT_LABELS = {"minute": "minutes", "hour": "hours", "day": "days", "week": "weeks"}
LANGUAGE_LABELS = {"en": "English", "es": "Spanish"}
FAILED_STATUSES = {"failed", "undelivered", "unknown"}
ENROLLMENT_ROWS = 200
IMPORT_REFRESH_SECONDS = 1


bp.add_app_template_filter(offset_label, "offset_label")


def _sentence(message: str) -> str:
    return message[:1].upper() + message[1:] + "."


def _message(error: HotlineError) -> str:
    """A named error as these pages say it, next to the form it came from."""
    match error:
        case ScheduleError():
            return str(error)  # as parse_schedule says it: "step 2: ..." marks the step in the editor
        case ScheduleExists(name=name):
            return f"A schedule named '{name}' already exists. Choose another name, or edit that one."
        case ShippedSchedule(name=name):
            return f"'{name}' ships with the hotline and cannot be deleted. Untick \"Active\" to pause it instead."
        case ScheduleInUse(name=name, count=count):
            return (f"Not deleted: {count} number(s) are still enrolled in '{name}'. Tick \"Also cancel its "
                    f"enrollments\" to stop their reminders and delete it, or pause the schedule instead.")
        case EnrollmentNotActive(status=status):
            return f"That enrollment was already {status}."
    return _sentence(str(error))


def _text_info(text: str, language: str) -> dict[str, Any]:
    """The counter under a message, computed here too so the page reads right before any script runs.

    The script in schedule_edit.html says the same with the same rules (hotline/channels/segments.py).
    """
    try:
        worst = segment_count(render(text, SAMPLE_VALUES))
    except (ValueError, KeyError, IndexError):  # a half-typed placeholder: saving explains it
        worst = segment_count(text)
    parts = segment_count(text)
    summary = f"{parts} SMS part{'' if parts == 1 else 's'} · {encoding(text)} · {len(text)} characters"
    if worst > parts:
        summary += f"; up to {worst} parts with a long baby name"
    odd = "".join(non_gsm7_characters(text)) if language == "en" else ""
    if worst > MAX_SEGMENTS:
        summary += f". Too long: {MAX_SEGMENTS} parts at most"
    if odd:
        summary += f". English texts must be plain GSM-7: replace {odd}"
    return {"summary": summary, "over": bool(worst > MAX_SEGMENTS or odd)}


# --- schedules ----------------------------------------------------------------------------------------


def _blank_step() -> dict[str, Any]:
    return {"amount": "", "unit": "day", "at": "", "text": {lang: "" for lang in LANGUAGES}}


def _form_from_schedule(schedule: ReminderSchedule) -> dict[str, Any]:
    return {
        "name": schedule.name, "description": schedule.description, "active": schedule.active,
        "checkin": schedule.checkin,
        "steps": [{"amount": str(s.amount), "unit": s.unit, "at": f"{s.at[0]:02d}:{s.at[1]:02d}" if s.at else "",
                   "text": dict(s.text)} for s in schedule.steps],
    }


def _form_from_request(name: str | None) -> dict[str, Any]:
    """The schedule form as typed (kept as is to show it again), steps ticked "remove" left out."""
    form = request.form
    steps = []
    for index in range(min(form.get("step_count", 0, type=int) or 0, 60)):
        if form.get(f"step-{index}-remove"):
            continue
        steps.append({
            "amount": form.get(f"step-{index}-amount", "").strip(),
            "unit": form.get(f"step-{index}-unit", "day"),
            "at": form.get(f"step-{index}-at", "").strip(),
            # Browsers send a typed line break as CRLF; a parent's phone shows a LF.
            "text": {lang: form.get(f"step-{index}-{lang}", "").replace("\r\n", "\n") for lang in LANGUAGES},
        })
    return {
        "name": name if name is not None else form.get("name", "").strip().lower(),
        "description": form.get("description", "").strip(),
        "active": bool(form.get("active")),
        "checkin": bool(form.get("checkin")),
        "steps": steps,
    }


def _schedule_data(data: dict[str, Any]) -> dict[str, Any]:
    """The form as the mapping parse_schedule validates (the same as the API's JSON body)."""
    steps = []
    for number, step in enumerate(data["steps"], start=1):
        if not step["amount"].isdigit():
            raise ScheduleError(f"step {number}: write how long after enrolling as a whole number "
                                f"(e.g. 1 {UNIT_LABELS.get(step['unit'], 'days')[:-1]})")
        steps.append({"after": f"{step['amount']} {step['unit']}", "at": step["at"] or None,
                      "text": {lang: step["text"][lang] for lang in LANGUAGES}})
    return {"name": data["name"], "description": data["description"], "active": data["active"],
            "checkin": data["checkin"], "steps": steps}


def _editor(data: dict[str, Any], *, creating: bool, error: str | None = None,
            delete_error: str | None = None, status: int = 200) -> Any:
    reminders = services().reminders
    name = data.get("name") or ""
    return render_template(
        "staff/schedule_edit.html", data=data, creating=creating, error=error, delete_error=delete_error,
        units=UNIT_LABELS, languages=LANGUAGE_LABELS, info=_text_info, max_segments=MAX_SEGMENTS,
        gsm7_basic="".join(sorted(GSM7_BASIC)), gsm7_extended="".join(sorted(GSM7_EXTENDED)),
        samples=SAMPLE_VALUES, error_step=_error_step(error),
        shipped=(not creating and name in reminders.schedules.shipped()),
        active_enrollments=(0 if creating else reminders.active_count(name)),
    ), status


def _error_step(error: str | None) -> int | None:
    match = re.match(r"step (\d+)\b", error or "")
    return int(match[1]) if match else None


@bp.get("/schedules")
def schedules() -> Any:
    reminders = services().reminders
    rows = [{"schedule": s, "active_enrollments": reminders.active_count(s.name),
             "shipped": s.name in reminders.schedules.shipped()} for s in reminders.schedules.all()]
    return render_template("staff/schedules.html", rows=rows)


@bp.route("/schedules/new", methods=["GET", "POST"])
def schedule_new() -> Any:
    if request.method == "GET":
        return _editor({"name": "", "description": "", "active": True, "checkin": True,
                        "steps": [_blank_step()]}, creating=True)
    data = _form_from_request(None)
    if request.form.get("action") == "add_step":
        data["steps"].append(_blank_step())
        return _editor(data, creating=True)
    try:
        schedule = parse_schedule(_schedule_data(data))
        services().reminders.rules.create_schedule(schedule)
    except (ScheduleError, ScheduleExists) as error:
        return _editor(data, creating=True, error=_message(error), status=error.http_status)
    flash(f"Schedule '{schedule.name}' created with {len(schedule.steps)} step(s).")
    return redirect(url_for("staff.schedules"))


@bp.route("/schedules/<name>", methods=["GET", "POST"])
def schedule_edit(name: str) -> Any:
    rules = services().reminders.rules
    try:
        current = rules.schedule(name)
    except UnknownSchedule:
        abort(404)
    if request.method == "GET":
        return _editor(_form_from_schedule(current), creating=False)
    data = _form_from_request(name)
    if request.form.get("action") == "add_step":
        data["steps"].append(_blank_step())
        return _editor(data, creating=False)
    try:
        moved = rules.save_schedule(parse_schedule(_schedule_data(data)))
    except ScheduleError as error:
        return _editor(data, creating=False, error=_message(error), status=400)
    flash(f"Schedule '{name}' saved; {moved} enrolled number(s) follow the new steps.")
    return redirect(url_for("staff.schedules"))


@bp.post("/schedules/<name>/active")
def schedule_set_active(name: str) -> Any:
    active = request.form.get("active") == "1"
    try:
        services().reminders.rules.set_active(name, active)
    except UnknownSchedule:
        abort(404)
    flash(f"Schedule '{name}' is {'active: reminders will be sent' if active else 'paused: nothing is sent'}.")
    return redirect(url_for("staff.schedules"))


@bp.post("/schedules/<name>/delete")
def schedule_delete(name: str) -> Any:
    rules = services().reminders.rules
    try:
        deleted = rules.delete_schedule(name, cancel_active=bool(request.form.get("cancel_enrollments")))
    except UnknownSchedule:
        abort(404)
    except ConflictError as error:  # shipped, or still in use: said under the delete button
        return _editor(_form_from_schedule(rules.schedule(name)), creating=False, status=409,
                       delete_error=_message(error))
    cancelled = deleted.cancelled
    flash(f"Schedule '{name}' deleted" + (f"; {cancelled} enrollment(s) cancelled." if cancelled else "."))
    return redirect(url_for("staff.schedules"))


# --- enrollments ----------------------------------------------------------------------------------------


def _due_times(ids: list[str]) -> dict[str, float | None]:
    return services().reminders.enrollments.due_times(ids)


def _upcoming(limit: int = 25) -> list[dict[str, Any]]:
    rows = services().reminders.upcoming(limit)
    for row in rows:
        row["due_at"] = datetime.fromisoformat(str(row["due"])).timestamp()
    return rows


def _delivery_problems(limit: int = 50) -> list[dict[str, Any]]:
    """Recent failed or undelivered reminders, and enrollments that ended on an error, newest first."""
    reminders = services().reminders
    problems: list[dict[str, Any]] = [
        {"number": r["number"], "schedule": r["schedule"], "what": f"Reminder {r['status']}",
         "why": r.get("error") or "", "at": datetime.fromisoformat(str(r["sent_at"])).timestamp()}
        for r in reminders.sent(500) if r.get("status") in FAILED_STATUSES]
    ended = reminders.enrollments.ended_recently(limit)
    records = reminders.enrollments.get_many([eid for eid, _ in ended])
    problems += [{"number": e.number, "schedule": e.schedule, "what": "Enrollment ended", "why": e.reason or "",
                  "at": at} for eid, at in ended if (e := records.get(eid)) is not None]
    problems.sort(key=lambda p: -p["at"])
    return problems[:limit]


def _problem_count() -> int:
    reminders = services().reminders
    return (sum(1 for r in reminders.sent(500) if r.get("status") in FAILED_STATUSES)
            + reminders.enrollments.ended_count())


def _enrollments_page(*, form: dict[str, str] | None = None, error: str | None = None,
                      import_error: str | None = None, status: int = 200) -> Any:
    reminders = services().reminders
    schedule_filter = request.args.get("schedule", "")
    status_filter = request.args.get("status", "")
    if schedule_filter or status_filter:
        found = (reminders.enrollments.in_schedule(schedule_filter) if schedule_filter
                 else reminders.enrollments.all())
        found = [e for e in found if not status_filter or e.status == status_filter]
        found.sort(key=lambda e: -int(e.id))
        total = len(found)
        found = found[:ENROLLMENT_ROWS]
    else:  # the page staff open most: only the newest records are read
        found, total = reminders.enrollments.newest(ENROLLMENT_ROWS), reminders.enrollments.count()
    return render_template(
        "staff/enrollments.html", enrollments=found, total=total, due=_due_times([e.id for e in found]),
        upcoming=_upcoming(), problems=_delivery_problems(), schedules=reminders.schedules.all(),
        form=form or {"schedule": "checkin", "language": "en"}, error=error,
        import_error=import_error, languages=LANGUAGE_LABELS, schedule_filter=schedule_filter,
        status_filter=status_filter, zone=services().settings.default_timezone,
    ), status


@bp.get("/enrollments")
def enrollments() -> Any:
    return _enrollments_page()


@bp.post("/enrollments")
def enrollment_add() -> Any:
    form = {key: request.form.get(key, "").strip() for key in ("number", "schedule", "language", "timezone",
                                                               "baby_name")}
    try:
        result = services().reminders.rules.enroll(
            form["number"], form["schedule"] or "checkin", channel="staff", language=form["language"] or "en",
            zone=form["timezone"] or None, baby_name=form["baby_name"] or None)
    except (EnrollmentError, UnknownSchedule) as error:  # both name a field of the form: a 400
        return _enrollments_page(form=form, error=_message(error), status=400)
    enrollment = result.enrollment
    if not result.created:
        return _enrollments_page(form=form, status=409, error=(
            f"{mask_number(enrollment.number)} is already enrolled in '{enrollment.schedule}'."))
    due = _due_times([enrollment.id])[enrollment.id]
    first = f" First reminder: {local_time(due)}." if due else " The schedule is paused: nothing is sent yet."
    flash(f"Enrolled {mask_number(enrollment.number)} in '{enrollment.schedule}'.{first}")
    return redirect(url_for("staff.enrollments"))


def _staff_session() -> bool:
    # The CSRF check parses the form before the blueprint's login check runs: only a signed staff session
    # gets the import's larger limit, so nobody else makes the server read 2 MB. require_login still
    # checks the session in full before the view runs.
    return bool(session.get("staff"))


@bp.post("/enrollments/import")
@accepts_upload(MAX_IMPORT_REQUEST_BYTES, only_if=_staff_session)
def enrollment_import() -> Any:
    """Check the file at once, then import it in the background: the import's own page shows how far it is."""
    upload = request.files.get("file")
    raw = upload.read(MAX_IMPORT_BYTES + 1) if upload else b""
    if not raw:
        return _enrollments_page(status=400, import_error=(
            f"Choose a CSV file first (its first line names the columns: {COLUMNS})."))
    try:
        import_id = ImportJobs(services().reminders).start(raw, request.form.get("schedule") or "checkin",
                                                           (upload.filename if upload else "") or "")
    except ImportRefused as refused:
        return _enrollments_page(import_error=_message(refused), status=refused.http_status)
    return redirect(url_for("staff.enrollment_import_status", import_id=import_id), 303)


@bp.get("/enrollments/import/<import_id>")
def enrollment_import_status(import_id: str) -> Any:
    """How far an import is; the page refreshes itself (a meta refresh: the pages run no inline script)
    until the import ends, then shows its report."""
    job = ImportJobs(services().reminders).status(import_id)
    if job is None:
        abort(404)
    return render_template("staff/import.html", job=job, refresh_seconds=None if job.done else IMPORT_REFRESH_SECONDS)


@bp.post("/enrollments/<eid>/cancel")
def enrollment_cancel(eid: str) -> Any:
    try:
        enrollment = services().reminders.rules.cancel_active(eid)
    except UnknownEnrollment:
        abort(404)
    except EnrollmentNotActive as error:
        flash(_message(error))
    else:
        flash(f"Cancelled: {mask_number(enrollment.number)} gets no more reminders from '{enrollment.schedule}'.")
    return redirect(url_for("staff.enrollments"))


@bp.errorhandler(413)
def too_large(_error: Exception) -> Any:
    limit = request.max_content_length or current_app.config.get("MAX_CONTENT_LENGTH") or 0
    if request.endpoint == "staff.enrollment_import" and limit >= MAX_IMPORT_BYTES:
        return _enrollments_page(import_error=_sentence(TOO_LARGE), status=413)
    return render_template("staff/too_large.html", limit=size_label(limit)), 413


# --- overview panels and navigation -------------------------------------------------------------------


def _due_today_panel() -> dict[str, Any]:
    now = services().clock.local(services().settings.default_timezone)
    end = (now.replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(days=1)).astimezone(UTC)
    count = services().reminders.enrollments.due_count(end.timestamp())
    return {"title": "Reminders due today", "count": count, "link": url_for("staff.enrollments") + "#upcoming",
            "link_text": "See upcoming reminders"}


def _failures_panel() -> dict[str, Any]:
    return {"title": "Delivery failures", "count": _problem_count(),
            "link": url_for("staff.enrollments") + "#problems", "link_text": "See delivery problems"}


OVERVIEW_PANELS["reminders_due"] = _due_today_panel
OVERVIEW_PANELS["delivery_failures"] = _failures_panel
_at = next(i for i, (endpoint, _) in enumerate(NAV_ITEMS) if endpoint == "staff.opt_outs")
NAV_ITEMS[_at:_at] = [("staff.schedules", "Schedules"), ("staff.enrollments", "Enrollments")]
