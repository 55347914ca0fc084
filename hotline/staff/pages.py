"""What every staff page shares: the dashboard's blueprint, its navigation and overview panels, the clock it
shows times in. The dashboard, the reminder pages and the case pages each add their routes to it; none of them
imports another (no import circles)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask import Blueprint, current_app

from hotline.services import Services

bp = Blueprint("staff", __name__, url_prefix="/staff", template_folder="../templates")

PAGE_ENTRIES = 200  # the newest transcript entries a conversation page shows (the API returns them all)

# The pages in the top navigation; other parts of the app add theirs (endpoint, label).
NAV_ITEMS: list[tuple[str, str]] = [
    ("staff.overview", "Overview"),
    ("staff.conversations", "Conversations"),
    ("staff.opt_outs", "Opt-outs"),
    ("staff.outbox", "Outbox"),
    ("staff.simulator", "Simulator"),
]

# Endpoints whose responses never write the session cookie (the live feed's requests); see hotline.StaffSessions.
COOKIE_QUIET_ENDPOINTS: set[str] = set()

# The overview's cards beyond the conversations; other parts of the app add theirs (name -> data).
OVERVIEW_PANELS: dict[str, Callable[[], dict[str, Any]]] = {}


def services() -> Services:
    return current_app.extensions["hotline"]  # type: ignore[no-any-return]


def local_time(timestamp: float | str | None) -> str:
    if timestamp in (None, ""):
        return ""
    zone = ZoneInfo(services().settings.default_timezone)
    return datetime.fromtimestamp(float(timestamp), zone).strftime("%b %d, %H:%M")


bp.add_app_template_filter(local_time, "local_time")
