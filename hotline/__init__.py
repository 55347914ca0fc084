"""Hotline: parents text or call one number about a baby's shaking legs and get safe guidance."""

from __future__ import annotations

import gc
import importlib
import logging
from datetime import timedelta

import redis
from flask import Flask, Request, Response, jsonify, redirect, request, url_for
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface, SessionMixin
from flask_wtf.csrf import CSRFProtect
from werkzeug.middleware.proxy_fix import ProxyFix

from hotline.logs import RequestLog, configure_logging, note_route
from hotline.metrics import WebhookTimer, exposition, scrape_registry, serve
from hotline.services import Services, build_services
from hotline.settings import Settings, server_secret
from hotline.uploads import HotlineRequest, raise_upload_limit

# Modules that add routes to the staff blueprints (hotline/staff/pages.py, api_base.py), in navigation order.
STAFF_ROUTES = ("hotline.staff.dashboard", "hotline.staff.cases_pages", "hotline.staff.reminders_pages",
                "hotline.staff.insights_pages", "hotline.staff.api", "hotline.staff.cases_api",
                "hotline.staff.reminders_api")

log = logging.getLogger("hotline")

MAX_REQUEST_BYTES = 64 * 1024  # Twilio's webhook forms are a few KB; anything far larger is not Twilio.
# Only the CSV imports take more (hotline/uploads.py: a view declares it with @accepts_upload).

# The staff pages load their one stylesheet and their scripts from /static and run nothing inline, so an
# injected <script>, style or event handler is refused even if escaping ever fails; no site may frame them.
CONTENT_SECURITY_POLICY = "; ".join([
    "default-src 'self'", "script-src 'self'", "style-src 'self'", "img-src 'self'", "object-src 'none'",
    "base-uri 'none'", "form-action 'self'", "frame-ancestors 'none'",
])
HSTS_SECONDS = 365 * 24 * 3600


def security_headers(settings: Settings) -> dict[str, str]:
    """The headers every response carries; HSTS only when the public URL is https (a browser ignores it over
    plain http, and `hotline dev` on http://127.0.0.1 must not pin localhost to https)."""
    headers = {
        "Content-Security-Policy": CONTENT_SECURITY_POLICY,
        "X-Frame-Options": "DENY",
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "same-origin",
    }
    if (settings.public_base_url or "").lower().startswith("https://"):
        headers["Strict-Transport-Security"] = f"max-age={HSTS_SECONDS}"
    return headers


class StaffSessions(SecureCookieSessionInterface):
    """Sessions are the staff's: a Twilio webhook (/twilio/*) neither reads nor sets a cookie, so none is
    opened for it (no signing serializer built, no cookie parsed, nothing to save) and it gets Flask's null
    session, as an app without a secret key would."""

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        if request.path.startswith("/twilio/"):
            return None
        return super().open_session(app, request)

    def should_set_cookie(self, app: Flask, session: SessionMixin) -> bool:
        # The live feed's requests run beside page loads with the cookie the page had: they never write it.
        from flask import request as current

        from hotline.staff.pages import COOKIE_QUIET_ENDPOINTS

        if current.endpoint in COOKIE_QUIET_ENDPOINTS:
            return False
        return bool(super().should_set_cookie(app, session))


def create_app(settings: Settings | None = None, services: Services | None = None) -> Flask:
    """The one place where things are wired: settings -> services -> blueprints."""
    settings = settings or (services.settings if services else Settings.from_env())
    services = services or build_services(settings)
    configure_logging(settings)

    app = Flask(__name__)
    app.request_class = HotlineRequest
    app.session_interface = StaffSessions()
    app.config.update(
        SECRET_KEY=server_secret(settings),
        MAX_CONTENT_LENGTH=MAX_REQUEST_BYTES,
        PERMANENT_SESSION_LIFETIME=timedelta(hours=8),
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.production,
        WTF_CSRF_TIME_LIMIT=8 * 3600,
    )
    app.extensions["hotline"] = services
    try:
        # The reminder dispatcher is a self-rescheduling RQ job: make sure one is alive (one SET NX).
        services.reminders.ensure_dispatcher()
    except Exception:  # Redis not up yet: the next enrollment starts it
        log.warning("could not start the reminder dispatcher; it starts with the next enrollment")
    # Twilio's webhooks are answered in front of Flask (hotline/webhooks.py: the same checks, use cases and headers,
    # without Flask's per-request machinery); everything else falls through to it, /twilio/* timed for /metrics.
    from hotline.webhooks import TwilioWebhooks

    app.wsgi_app = TwilioWebhooks(  # type: ignore[method-assign]
        app, services, WebhookTimer(app.wsgi_app, services.metrics), security_headers(settings))
    if settings.trust_proxy:
        # Twilio signs the public https URL; behind a TLS-terminating proxy request.url is http. And the
        # client's address, which failed logins are counted by, is the one the proxy puts in X-Forwarded-For.
        # Each proxy appends to these headers: the values the outermost one wrote are `proxies` from the end,
        # and anything before them is the client's own. Only the headers the README names are believed.
        proxies = settings.proxy_count
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies, x_port=0, x_prefix=0)
    if settings.log_format == "json":
        app.wsgi_app = RequestLog(app.wsgi_app, records=settings.access_log)  # type: ignore[method-assign]
    elif settings.access_log:
        from hotline.access_log import AccessLogMiddleware

        app.wsgi_app = AccessLogMiddleware(app.wsgi_app)  # type: ignore[method-assign]
    if not settings.validate_signatures:
        log.warning("Twilio signature validation is OFF (development only): anyone can post to /twilio/*")

    # The staff blueprints and the modules that add routes to them, in one place (this order is the navigation's).
    for module in STAFF_ROUTES:
        importlib.import_module(module)
    from hotline.staff.api_base import bp as api
    from hotline.staff.pages import bp as dashboard
    from hotline.webhooks import bp as webhooks

    if settings.log_format == "json":
        app.before_request(note_route)  # first, so a request refused by a later hook still has its route
    # A view that takes a larger upload (the CSV imports) says so; this must run before the CSRF check below,
    # which parses the form, and before_request hooks run in the order they are registered.
    app.before_request(raise_upload_limit)
    # Every dashboard form carries a CSRF token; Twilio webhooks are signed and the API uses bearer tokens.
    csrf = CSRFProtect(app)
    csrf.exempt(webhooks)
    csrf.exempt(api)
    app.register_blueprint(webhooks)
    app.register_blueprint(api)
    app.register_blueprint(dashboard)

    headers = [(name.lower(), name, value) for name, value in security_headers(settings).items()]

    @app.after_request
    def add_security_headers(response: Response) -> Response:
        # Each header unless the view set its own: one pass over the response's headers, not one per name.
        present = {name.lower() for name in response.headers.keys()}
        for lower, name, value in headers:
            if lower not in present:
                response.headers.add(name, value)
        return response

    @app.get("/")
    def home():  # type: ignore[no-untyped-def]
        return redirect(url_for("staff.overview"))

    @app.get("/healthz")
    def healthz():  # type: ignore[no-untyped-def]
        try:
            services.redis.ping()
        except Exception as error:  # any failure to reach Redis is "down" for a health check
            if isinstance(error, redis.RedisError):
                services.metrics.redis_error("healthz")
            return jsonify(status="unavailable", redis="down"), 503
        return jsonify(status="ok", redis="up")

    add_metrics_endpoint(app, services)
    return app


def web_app() -> Flask:
    """The factory the web server calls once per process (Procfile, `make run`): `create_app`, then everything it
    loaded (the vocabulary's patterns, the flows, the routes: about 1.7 million objects) is moved out of the garbage
    collector's reach for the life of the process. A full collection would otherwise walk all of it, about a third
    of a second in the middle of some webhook."""
    app = create_app()
    gc.freeze()
    return app


def add_metrics_endpoint(app: Flask, services: Services) -> None:
    """Every process's counts and RQ's queues in Prometheus' text format: on HOTLINE_METRICS_BIND when set (no
    token: keep that address private), else at /metrics on the app's own port, for a staff API token."""
    from hotline.cases import alert_queue_name
    from hotline.metrics import directory
    from hotline.staff.api_base import problem, staff_token_required

    settings = services.settings
    registry = scrape_registry(directory() or settings.metrics_directory, services.redis,
                               (alert_queue_name(settings), settings.queue_name),
                               on_redis_error=lambda: services.metrics.redis_error("scrape"))
    if settings.metrics_bind:
        app.extensions["hotline_metrics_server"] = serve(settings.metrics_bind, registry)
        return

    @staff_token_required
    def scrape() -> Response:
        body, content_type = exposition(registry, request.headers.get("Accept", ""))
        return Response(body, content_type=content_type)

    @app.get("/metrics")
    def metrics():  # type: ignore[no-untyped-def]
        try:
            return scrape()
        except redis.RedisError:  # the token is checked in Redis
            services.metrics.redis_error("scrape")
            return problem(503, "Redis is unreachable, so the staff token cannot be checked; set "
                                "HOTLINE_METRICS_BIND to scrape the metrics without one")
