"""The OpenAPI 3.1 document for /api/ (served at /api/openapi.json; a test checks it against the routes)."""

from __future__ import annotations

from typing import Any


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict[str, Any], description: str = "OK") -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


ERR = {"$ref": "#/components/responses/Error"}
LIMIT = {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 1000}}


def _op(summary: str, ok: dict[str, Any], *errors: int, body: dict[str, Any] | None = None,
        params: list[dict[str, Any]] | None = None, code: str = "200") -> dict[str, Any]:
    op: dict[str, Any] = {"summary": summary, "responses": {code: ok, "401": ERR, **{str(e): ERR for e in errors}}}
    if body:
        op["requestBody"] = body
    if params:
        op["parameters"] = params
    return op


def _path(name: str) -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}


def document() -> dict[str, Any]:
    schedule_body = {"required": True, "content": {"application/json": {"schema": _ref("ScheduleInput")}}}
    text = {"type": "object", "required": ["en", "es"],
            "properties": {"en": {"type": "string", "description": "GSM-7, 3 SMS parts at most, mentions STOP"},
                           "es": {"type": "string"}}}
    step = {"type": "object", "required": ["after", "text"], "properties": {
        "after": {"type": "string", "examples": ["30 minutes", "2 hours", "1 day", "1 week"]},
        "at": {"type": "string", "pattern": "^\\d{1,2}:\\d{2}$", "description": "local time of day"},
        "text": text}}
    schedule_input = {"type": "object", "required": ["name", "steps"], "properties": {
        "name": {"type": "string", "pattern": "^[a-z0-9][a-z0-9_-]{0,39}$"},
        "description": {"type": "string"}, "active": {"type": "boolean"}, "checkin": {"type": "boolean"},
        "steps": {"type": "array", "items": step, "minItems": 1}}}
    enrollment = {"type": "object", "properties": {
        "id": {"type": "string"}, "number": {"type": "string"}, "schedule": {"type": "string"},
        "enrolled_at": {"type": "number"}, "language": {"type": "string"},
        "status": {"enum": ["active", "cancelled", "ended", "completed"]},
        "timezone": {"type": ["string", "null"]}, "baby_name": {"type": ["string", "null"]},
        "consent_channel": {"type": "string"}, "end_reason": {"type": ["string", "null"]},
        "last_step_offset_minutes": {"type": "integer"}}}
    enrollment_input = {"type": "object", "required": ["number"], "properties": {
        "number": {"type": "string"}, "schedule": {"type": "string", "default": "checkin"},
        "language": {"enum": ["en", "es"]}, "timezone": {"type": "string"}, "baby_name": {"type": "string"}}}
    listing = {"type": "object", "additionalProperties": True}
    return {
        "openapi": "3.1.0",
        "info": {"title": "Hotline staff API", "version": "1.0",
                 "description": "Every route needs Authorization: Bearer <staff token> "
                                "(`hotline staff token NAME`)."},
        "components": {
            "securitySchemes": {"staff": {"type": "http", "scheme": "bearer"}},
            "responses": {"Error": _json(_ref("Error"), "An error with a message saying what is wrong")},
            "schemas": {
                "Error": {"type": "object", "required": ["error"], "properties": {"error": {"type": "string"}}},
                "ScheduleInput": schedule_input,
                "Schedule": {"allOf": [schedule_input, {"type": "object", "properties": {
                    "active_enrollments": {"type": "integer"}, "shipped": {"type": "boolean"}}}]},
                "Enrollment": enrollment,
                "EnrollmentInput": enrollment_input,
                "ImportStarted": {"type": "object", "required": ["id", "status", "status_url"], "properties": {
                    "id": {"type": "string", "pattern": "^imp-[0-9a-f]{32}$"}, "status": {"const": "queued"},
                    "status_url": {"type": "string", "description": "GET it for the progress, then the report"}}},
                "ImportStatus": {"type": "object", "properties": {
                    "id": {"type": "string"},
                    "status": {"enum": ["queued", "running", "finished", "failed"]},
                    "filename": {"type": "string"}, "schedule": {"type": "string"},
                    "rows_total": {"type": ["integer", "null"], "description": "null until a worker has read the file"},
                    "rows_done": {"type": "integer"},
                    "imported": {"type": "integer"},
                    "duplicates": {"type": "integer", "description": "already enrolled"},
                    "error_count": {"type": "integer", "description": "bad rows so far (all of them)"},
                    "errors": {"type": "array", "maxItems": 100, "description": "the first 100 bad rows",
                               "items": {"type": "object", "properties": {
                                   "line": {"type": "integer", "description": "line in the file (1 is the header)"},
                                   "error": {"type": "string"}}}},
                    "failure": {"type": ["string", "null"], "description": "why a failed import stopped"},
                    "enqueued_at": {"type": ["string", "null"], "format": "date-time"},
                    "started_at": {"type": ["string", "null"], "format": "date-time"},
                    "ended_at": {"type": ["string", "null"], "format": "date-time"},
                    "seconds": {"type": ["number", "null"], "description": "how long the worker took"}}},
            },
        },
        "security": [{"staff": []}],
        "paths": {
            "/api/openapi.json": {"get": _op("This document", _json({"type": "object"}))},
            "/api/conversations/lookup": {"post": _op(
                "A parent's conversation (transcript, assessments, opt-out, and how many texts of a flood and "
                "older entries were not kept), by the number in the body: "
                "never in the URL, which access logs keep", _json(listing), 400, 404,
                body={"required": True, "content": {"application/json": {"schema": {
                    "type": "object", "required": ["number"], "properties": {"number": {"type": "string"}}}}}})},
            "/api/callbacks": {"get": _op(
                "Callers who asked to be called back; numbers masked unless reveal=true, which records a reveal "
                "of each number in the token owner's name", _json(listing),
                params=[LIMIT, {"name": "reveal", "in": "query", "schema": {"type": "boolean"}}])},
            "/api/schedules": {
                "get": _op("All reminder schedules", _json({"type": "object", "properties": {
                    "schedules": {"type": "array", "items": _ref("Schedule")}}})),
                "post": _op("Create a schedule", _json(_ref("Schedule"), "Created"), 400, 409,
                            body=schedule_body, code="201"),
            },
            "/api/schedules/{name}": {
                "get": _op("One schedule", _json(_ref("Schedule")), 404, params=[_path("name")]),
                "put": _op("Replace a schedule (future steps of its enrollments follow; active=false stops them)",
                           _json(_ref("Schedule")), 400, 404, body=schedule_body, params=[_path("name")]),
                "delete": _op("Delete a schedule; refused while it has active enrollments unless force=true",
                              _json(listing), 404, 409, params=[_path("name"), {
                                  "name": "force", "in": "query", "schema": {"type": "boolean"}}]),
            },
            "/api/enrollments": {
                "get": _op("Enrollments", _json({"type": "object", "properties": {
                    "enrollments": {"type": "array", "items": _ref("Enrollment")}, "total": {"type": "integer"}}}),
                    params=[{"name": "schedule", "in": "query", "schema": {"type": "string"}},
                            {"name": "status", "in": "query", "schema": {"type": "string"}}, LIMIT]),
                "post": _op("Enroll one number", _json(_ref("Enrollment"), "Created"), 400, 404, 409,
                            body={"required": True, "content": {"application/json": {
                                "schema": _ref("EnrollmentInput")}}}, code="201"),
            },
            "/api/enrollments/{id}": {"get": _op("One enrollment with its reminders", _json(_ref("Enrollment")),
                                                 404, params=[_path("id")])},
            "/api/enrollments/{id}/cancel": {"post": _op("Cancel an enrollment", _json(_ref("Enrollment")),
                                                         404, 409, params=[_path("id")])},
            "/api/enrollments/import": {"post": _op(
                "Import a CSV of up to 2 MB (header: number[,schedule,language,timezone,baby_name]); idempotent. "
                "The file is checked as a whole at once (400: not CSV UTF-8, no 'number' column, no rows; 404: no "
                "such schedule; 413: over 2 MB), then a background job imports it: GET status_url (also in "
                "Location) for its progress and report",
                _json(_ref("ImportStarted"), "Accepted: the import is queued"), 400, 404, 413, code="202",
                body={"required": True, "content": {
                    "text/csv": {"schema": {"type": "string", "maxLength": 2 * 1024 * 1024}},
                    "multipart/form-data": {"schema": {"type": "object", "properties": {
                        "file": {"type": "string", "format": "binary"}}}}}},
                params=[{"name": "schedule", "in": "query", "schema": {"type": "string", "default": "checkin"},
                         "description": "for rows without a schedule column"}])},
            "/api/enrollments/import/{import_id}": {"get": _op(
                "An import's progress (rows done of rows_total, counts and bad rows so far), then its report "
                "(status finished or failed); kept for a day", _json(_ref("ImportStatus")), 404,
                params=[_path("import_id")])},
            "/api/reminders/upcoming": {"get": _op("Next reminder of each active enrollment, soonest first",
                                                   _json(listing), params=[LIMIT])},
            "/api/reminders/sent": {"get": _op("Sent reminders with delivery status and answers, newest first",
                                               _json(listing), params=[LIMIT])},
            "/api/optouts": {"get": _op("Numbers that texted STOP", _json(listing))},
            **_case_paths(),
        },
    }


def _case_paths() -> dict[str, Any]:
    """The staff cases' routes (hotline/staff/cases_api.py; docs/on-call.md)."""
    case = {"type": "object", "properties": {
        "id": {"type": "string"}, "number": {"type": "string", "description": "masked, e.g. +1*******567"},
        "ref": {"type": "string"}, "level": {"enum": ["emergency", "urgent", "soon", "home", None]},
        "flags": {"type": "array", "items": {"type": "string"}},
        "reasons": {"type": "array", "items": {"enum": ["sms", "voice", "callback", "checkin"]}},
        "status": {"enum": ["open", "claimed", "closed"]}, "opened_at": {"type": "number"},
        "claimed_by": {"type": ["string", "null"]}, "claimed_at": {"type": ["number", "null"]},
        "last_staff_at": {"type": ["number", "null"]}, "last_message_at": {"type": ["number", "null"]},
        "closed_at": {"type": ["number", "null"]}, "closed_by": {"type": ["string", "null"]},
        "opted_out": {"type": "boolean", "description": "texted STOP: nobody can text the number"},
        "link": {"type": "string", "description": "the case's page on the dashboard"}}}
    one = _json({"type": "object", "properties": {"case": case}})
    case_id = [_path("case_id")]
    return {
        "/api/cases": {"get": _op(
            "Open cases, most serious and oldest first (status=closed: those closed most recently), with how many "
            "are open and how many nobody has claimed", _json({"type": "object", "properties": {
                "cases": {"type": "array", "items": case}, "open": {"type": "integer"},
                "waiting": {"type": "integer"}}}), 400,
            params=[{"name": "status", "in": "query", "schema": {"enum": ["open", "closed"]}}, LIMIT])},
        "/api/cases/{case_id}/claim": {"post": _op(
            "Claim a case: the bot stays silent on that number (the safety screen still answers an emergency) "
            "until hand back, close, or HOTLINE_CLAIM_TIMEOUT_MINUTES without a staff action", one, 404, 409,
            params=case_id)},
        "/api/cases/{case_id}/reply": {"post": _op(
            "Text the parent as the staff member who has the case claimed (at most 3 SMS parts); refused (409) "
            "when the number has opted out", _json({"type": "object", "properties": {
                "sid": {"type": "string"}, "status": {"type": "string"}, "parts": {"type": "integer"},
                "encoding": {"enum": ["GSM-7", "UCS-2"]}, "case": case}}, "Sent"), 400, 404, 409, 502, 503,
            body={"required": True, "content": {"application/json": {"schema": {
                "type": "object", "required": ["text"], "properties": {"text": {"type": "string"}}}}}},
            params=case_id, code="201")},
        "/api/cases/{case_id}/release": {"post": _op(
            "Hand the conversation back to the bot (the parent gets a short note)", one, 404, 409, params=case_id)},
        "/api/cases/{case_id}/close": {"post": _op("Close a case (a claim on it ends too)", one, 404, 409,
                                                   params=case_id)},
    }
