"""The error tree drawn in hotline/errors.py: each error sits on its branch, keeps the builtin it was, and is still
importable from the module that raises it."""

from __future__ import annotations

import importlib

import pytest

from hotline import errors


@pytest.mark.parametrize(("name", "branch", "builtin", "home"), [
    ("ScheduleError", errors.InputError, ValueError, "hotline.reminders.schedules"),
    ("EnrollmentError", errors.InputError, ValueError, "hotline.reminders.service"),
    ("ImportRefused", errors.InputError, ValueError, "hotline.reminders.imports"),
    ("UnknownSchedule", errors.NotFound, Exception, None),
    ("UnknownEnrollment", errors.NotFound, Exception, None),
    ("ScheduleExists", errors.ConflictError, Exception, None),
    ("ShippedSchedule", errors.ConflictError, Exception, None),
    ("ScheduleInUse", errors.ConflictError, Exception, None),
    ("EnrollmentNotActive", errors.ConflictError, Exception, None),
    ("SettingsError", errors.ConfigurationError, ValueError, "hotline.settings"),
    ("RedisNotConfigured", errors.ConfigurationError, RuntimeError, "hotline.redis_connection"),
    ("RedisServerError", errors.HotlineError, RuntimeError, "hotline.redis_server"),
    ("TransientSendError", errors.SendError, Exception, "hotline.sender"),
    ("PermanentSendError", errors.SendError, Exception, "hotline.sender"),
])
def test_each_error_sits_on_its_branch_of_the_tree(name, branch, builtin, home):
    error = getattr(errors, name)
    assert issubclass(error, branch) and issubclass(error, errors.HotlineError) and issubclass(error, builtin)
    assert name in errors.__doc__
    if home:
        assert getattr(importlib.import_module(home), name) is error


@pytest.mark.parametrize(("error", "status", "message"), [
    (errors.EnrollmentError("language must be one of en, es, got 'fr'"), 400, "language must be one of en, es"),
    (errors.ImportRefused("too large", 413), 413, "too large"),
    (errors.UnknownSchedule("nope"), 404, "no schedule named 'nope'"),
    (errors.UnknownEnrollment("7"), 404, "no enrollment 7"),
    (errors.ScheduleExists("checkin"), 409, "a schedule named 'checkin' already exists"),
    (errors.ShippedSchedule("checkin"), 409, "'checkin' ships with the hotline"),
    (errors.ScheduleInUse("newborn", 2), 409, "'newborn' has 2 active enrollment(s)"),
    (errors.EnrollmentNotActive("7", "cancelled"), 409, "enrollment 7 is already cancelled"),
])
def test_an_error_carries_its_http_status_and_says_what_is_wrong(error, status, message):
    assert error.http_status == status and message in str(error)


def test_an_import_refused_still_answers_to_status():
    assert errors.ImportRefused("no schedule named 'x'", 404).status == 404
