"""The hotline's errors: one small tree. A rule raises a named error; an edge (the JSON API, the staff pages, the
CLI, a worker) catches it and says it its own way: a 400/404/409 with a JSON message, a message next to a form,
a click error.

    HotlineError
    ├── InputError                    400: input the hotline cannot use; the message says what to fix
    │   ├── ScheduleError             a schedule that is not valid (which part, and how to fix it)
    │   ├── EnrollmentError           a number, language, time zone or baby name that cannot be enrolled
    │   └── ImportRefused             a CSV file refused as a whole (404 when it names no schedule, 413 too large)
    ├── NotFound                      404
    │   ├── UnknownSchedule           .name
    │   └── UnknownEnrollment         .eid
    ├── ConflictError                 409: the request is sound, but the state of things refuses it
    │   ├── ScheduleExists            .name: creating a schedule whose name is taken
    │   ├── ShippedSchedule           .name: deleting a schedule that ships with the hotline (flows/schedules/)
    │   ├── ScheduleInUse             .name, .count: deleting a schedule with active enrollments, unforced
    │   └── EnrollmentNotActive       .eid, .status: cancelling an enrollment that has already ended
    ├── ConfigurationError            the deployment is wrong; found at start, before anything is served
    │   ├── SettingsError             the message names every variable to fix
    │   └── RedisNotConfigured        neither REDIS_URL nor REDIS_SENTINELS is set
    ├── RedisServerError              the embedded development redis-server could not be found or started
    └── SendError                     a text could not be sent (.code: Twilio's error code, .status: its HTTP status)
        ├── TransientSendError        worth retrying later: rate limits, Twilio 5xx, network failures
        └── PermanentSendError        will never succeed for this number: unsubscribed, invalid, unreachable

The errors that were ValueErrors (InputError and SettingsError) or RuntimeErrors (RedisNotConfigured,
RedisServerError) still are, and each is still importable from the module that raises it.

Outside the tree, on purpose:
- the engine's load errors (FlowError, ContentError, ProtocolError, ScriptError, VocabularyError, PatternError):
  the engine imports nothing from the rest of the app (tests/test_engine_purity.py), and a broken flow stops the
  release, it is never answered to a user;
- AccountError (hotline/store/staff_accounts.py), a ValueError, belongs under InputError; it joins once that store's
  key registry change has landed, to keep the two changes apart.
"""

from __future__ import annotations


class HotlineError(Exception):
    """Every error the hotline raises on purpose."""

    http_status = 500  # what the JSON API answers when it has nothing better to say


# --- 400 ------------------------------------------------------------------------------------------------------


class InputError(HotlineError, ValueError):
    """Input the hotline cannot use; the message says what to fix."""

    http_status = 400


class ScheduleError(InputError):
    """A schedule is not valid; the message says which part and how to fix it."""


class EnrollmentError(InputError):
    """Staff input that cannot be enrolled; the message says why."""


class ImportRefused(InputError):
    """A file refused as a whole, before any row is imported; `http_status` is the status for the API."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.http_status = status

    @property
    def status(self) -> int:
        return self.http_status


# --- 404 ------------------------------------------------------------------------------------------------------


class NotFound(HotlineError):
    http_status = 404


class UnknownSchedule(NotFound):
    def __init__(self, name: str) -> None:
        super().__init__(f"no schedule named '{name}'")
        self.name = name


class UnknownEnrollment(NotFound):
    def __init__(self, eid: str) -> None:
        super().__init__(f"no enrollment {eid}")
        self.eid = eid


# --- 409 ------------------------------------------------------------------------------------------------------


class ConflictError(HotlineError):
    """The request is sound, but the state of things refuses it."""

    http_status = 409


class ScheduleExists(ConflictError):
    def __init__(self, name: str) -> None:
        super().__init__(f"a schedule named '{name}' already exists")
        self.name = name


class ShippedSchedule(ConflictError):
    def __init__(self, name: str) -> None:
        super().__init__(f"'{name}' ships with the hotline; deactivate it instead")
        self.name = name


class ScheduleInUse(ConflictError):
    def __init__(self, name: str, count: int) -> None:
        super().__init__(f"'{name}' has {count} active enrollment(s)")
        self.name = name
        self.count = count


class EnrollmentNotActive(ConflictError):
    def __init__(self, eid: str, status: str) -> None:
        super().__init__(f"enrollment {eid} is already {status}")
        self.eid = eid
        self.status = status


# --- configuration and development ------------------------------------------------------------------------------


class ConfigurationError(HotlineError):
    """The deployment is wrong; found at start, before anything is served."""


class SettingsError(ConfigurationError, ValueError):
    """The configuration is wrong; the message names every variable to fix."""


class RedisNotConfigured(ConfigurationError, RuntimeError):
    """Neither REDIS_URL nor REDIS_SENTINELS is set."""


class RedisServerError(HotlineError, RuntimeError):
    """No redis-server could be found or started."""


# --- sending --------------------------------------------------------------------------------------------------


class SendError(HotlineError):
    """A text could not be sent."""

    def __init__(self, message: str, *, code: int | None = None, status: int | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.status = status


class TransientSendError(SendError):
    """Worth retrying later: rate limits (429/20429), Twilio 5xx, network failures."""


class PermanentSendError(SendError):
    """Will never succeed for this number: unsubscribed (21610), invalid (21211), unreachable (21614)."""
