"""What every staff API route shares: the /api blueprint, the bearer-token check, the error shape. The API's
modules (conversations and callbacks, reminders, cases) each add their routes to it; none imports another."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from flask import Blueprint, Response, current_app, g, jsonify, request

from hotline.services import Services
from hotline.store.staff_tokens import StaffTokens
from hotline.uploads import size_label

bp = Blueprint("api", __name__, url_prefix="/api")


def services() -> Services:
    return current_app.extensions["hotline"]  # type: ignore[no-any-return]


def problem(status: int, message: str, **extra: Any) -> tuple[Response, int]:
    return jsonify(error=message, **extra), status


# What a route says when its request is over its limit; other parts of the app add theirs (endpoint -> message).
TOO_LARGE_MESSAGES: dict[str, str] = {}


@bp.errorhandler(413)
def too_large(_error: Exception) -> Any:
    limit = request.max_content_length or current_app.config.get("MAX_CONTENT_LENGTH") or 0
    return problem(413, TOO_LARGE_MESSAGES.get(request.endpoint or "")
                   or f"the request is larger than {size_label(limit)}, the most this route takes")


def staff_token_required(view: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        header = request.headers.get("Authorization", "")
        scheme, _, token = header.partition(" ")
        tokens = StaffTokens(services().redis, services().clock)
        name = tokens.who(token.strip()) if scheme.lower() == "bearer" else None
        if not name:
            response, status = problem(401, "a valid staff token is needed: Authorization: Bearer <token> "
                                            "(create one with `hotline staff token NAME`)")
            response.headers["WWW-Authenticate"] = 'Bearer realm="hotline"'
            return response, status
        g.staff = name
        return view(*args, **kwargs)

    return wrapper
