"""The `hotline` command: run locally, simulate a parent, check flows, manage staff access."""

from __future__ import annotations

import sys
import threading
import time
import uuid
import xml.etree.ElementTree as ET

import click

from hotline.clock import Clock
from hotline.dev import settings_with_dev_redis
from hotline.settings import Settings, SettingsError


def load_settings() -> Settings:
    try:
        return Settings.from_env()
    except SettingsError as error:
        raise click.ClickException(str(error)) from None


def cli_clock() -> Clock:
    """What a command takes for now: the Clock handed to it as Click's `obj` (tests hand in their services'),
    else the system's time."""
    context = click.get_current_context(silent=True)
    found = context.find_object(Clock) if context is not None else None
    return found if found is not None else Clock()


@click.group()
def main() -> None:
    """Hotline: safe guidance by text and phone for parents worried about a baby's shaking legs."""


@main.command()
def dev() -> None:
    """Run Redis (embedded unless REDIS_URL is set), the web app and a worker until Ctrl-C."""
    from hotline.dev import run_dev

    sys.exit(run_dev(load_settings()))


@main.command()
@click.argument("queues", nargs=-1)
@click.option("--with-scheduler", is_flag=True, help="Also run RQ's scheduler (every worker should: one runs it).")
@click.option("--maintenance-interval", type=click.IntRange(min=1), default=60, show_default=True,
              help="Seconds between maintenance runs (abandoned jobs, the scheduler's lock, the dispatcher).")
@click.option("--logging-level", default="INFO", show_default=True)
@click.option("--burst", is_flag=True, help="Quit once the queues are empty.")
@click.option("--name", default=None, help="The worker's name (default: RQ makes one).")
def worker(queues: tuple[str, ...], with_scheduler: bool, maintenance_interval: int, logging_level: str,
           burst: bool, name: str | None) -> None:
    """Run an RQ worker (workers.worker.HotlineWorker) on QUEUES (default: the alerts queue, then the hotline's),
    connected to Redis as the web app is: REDIS_URL, over TLS with rediss://, or through Sentinel."""
    from rq import Queue

    from hotline.dev import settings_with_dev_redis
    from hotline.redis_connection import WORKER_RETRIES, connect_redis, describe
    from workers.worker import HotlineWorker

    settings = settings_with_dev_redis()
    connection = connect_redis(settings, retries=WORKER_RETRIES)  # RQ's loop rides out a failover
    names = queues or (f"{settings.queue_name}-alerts", settings.queue_name)  # on-call alerts first
    click.echo(f"worker on {', '.join(names)}; Redis: {describe(settings)}", err=True)
    hotline_worker = HotlineWorker([Queue(n, connection=connection) for n in names], connection=connection,
                                   name=name, maintenance_interval=maintenance_interval)
    hotline_worker.work(burst=burst, with_scheduler=with_scheduler, logging_level=logging_level)


@main.command()
@click.option("--from", "from_", default="+15551234567", show_default=True, help="The parent's phone number.")
@click.option("--url", default=None, help="The running hotline (default: the one `hotline dev` started).")
@click.option("--voice", is_flag=True, help="Call instead of texting: type keys or words, read what is spoken.")
def simulate(from_: str, url: str | None, voice: bool = False) -> None:
    """Text the local hotline as a parent would, through signed webhooks; type 'quit' to leave."""
    import redis
    import requests
    from twilio.request_validator import RequestValidator

    from hotline.dev import DevState
    from hotline.redis_connection import connect_redis
    from hotline.sender import ConsoleOutbox

    settings = load_settings()
    state = DevState.read(settings)
    web_url = (url or (state.web_url if state else f"http://{settings.host}:{settings.port}")).rstrip("/")
    token = (state.local_token(settings) if state else None) or settings.twilio_auth_token
    if not token:
        raise click.ClickException("No running `hotline dev` found and TWILIO_AUTH_TOKEN is not set.")
    public = settings.public_base_url or web_url
    if state and state.redis_url:
        connection: redis.Redis | None = redis.Redis.from_url(state.redis_url)
    else:
        connection = connect_redis(settings) if settings.redis_configured else None
    seen = {e["sid"] for e in ConsoleOutbox.read(connection)} if connection else set()

    def watch_outbox() -> None:
        while connection is not None:
            try:
                for entry in reversed(ConsoleOutbox.read(connection)):
                    if entry["sid"] not in seen:
                        seen.add(str(entry["sid"]))
                        if entry["to"] == from_:
                            click.echo(click.style(f"\n[text arrives] {entry['body']}\n> ", fg="cyan"), nl=False)
            except Exception:  # Redis went away: stop watching, the chat still works
                return
            time.sleep(1)

    threading.Thread(target=watch_outbox, daemon=True).start()
    if voice:
        from hotline.call_simulator import CallSimulator

        def post(path: str, params: dict[str, str], headers: dict[str, str]) -> tuple[int, bytes]:
            try:
                response = requests.post(f"{web_url}{path}", data=params, headers=headers, timeout=15)
            except requests.RequestException:
                click.echo(f"Could not reach the hotline at {web_url}. Is `make run` running?")
                return 0, b""
            return response.status_code, response.content

        click.echo(f"Calling {web_url} as {from_}. Type a key (0-9 * #), words, Enter for silence, or 'quit'.")
        CallSimulator(post, public, token, from_).run(input, lambda line: click.echo(click.style(line, fg="green")))
        return
    click.echo(f"Texting {web_url} as {from_}. Type a message, or 'quit'.")
    validator = RequestValidator(token)
    while True:
        try:
            body = input("> ")
        except (EOFError, KeyboardInterrupt):
            click.echo()
            return
        if body.strip().lower() in {"quit", "exit"}:
            return
        sid = "SM" + uuid.uuid4().hex
        params = {"MessageSid": sid, "SmsSid": sid, "AccountSid": "AC" + "0" * 32, "From": from_,
                  "To": "+15005550006", "Body": body, "NumMedia": "0", "NumSegments": "1",
                  "ApiVersion": "2010-04-01", "FromCountry": "US", "ToCountry": "US", "SmsStatus": "received"}
        signature = validator.compute_signature(f"{public}/twilio/sms", params)
        try:
            response = requests.post(f"{web_url}/twilio/sms", data=params,
                                     headers={"X-Twilio-Signature": signature}, timeout=15)
        except requests.RequestException:
            click.echo(f"Could not reach the hotline at {web_url}. Is `make run` running?")
            continue
        if response.status_code != 200:
            click.echo(f"The hotline answered HTTP {response.status_code}.")
            continue
        for message in ET.fromstring(response.content).iter("Message"):
            click.echo(click.style(message.text or "", fg="green"))


@main.group()
def flows() -> None:
    """Flow files: validate them and play their example conversations."""


@flows.command("check")
def flows_check() -> None:
    """Load every flow file, report the first problem, and run the example conversations."""
    from hotline.engine.examples import run_examples
    from hotline.engine.flow import FlowError, load_flow

    settings = load_settings()
    try:
        flow = load_flow(settings.flows_dir)
    except FlowError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"{settings.flows_dir}: {len(flow.steps)} steps, {len(flow.passages)} guidance passages, "
               f"{len(flow.voice.phrases)} call phrases and {len(flow.voice.menus)} call menus: OK")
    results = run_examples(flow, settings.emergency_number)
    for result in results:
        mark = "ok  " if result.passed else "FAIL"
        click.echo(f"  {mark} {result.example.name}")
        for problem in result.problems:
            click.echo(f"         {problem}")
    failed = [r for r in results if not r.passed]
    click.echo(f"{len(results) - len(failed)} of {len(results)} example conversations passed")
    if failed:
        sys.exit(1)


@flows.command("rules")
def flows_rules() -> None:
    """Print the clinician's page of triage rules (docs/clinical-rules.md) from flows/protocol.yaml."""
    import yaml

    from hotline.engine.protocol import rules_page

    path = load_settings().flows_dir / "protocol.yaml"
    click.echo(rules_page(yaml.safe_load(path.read_text(encoding="utf-8"))), nl=False)


@main.command()
@click.argument("number")
@click.option("--include-opt-out", is_flag=True,
              help="Also forget that the number texted STOP (then it could be texted again).")
@click.confirmation_option(prompt="Erase everything kept about this number?")
def forget(number: str, include_opt_out: bool) -> None:
    """Erase a number's conversations, transcripts, enrollments, callbacks and texts, and say what went."""
    from hotline.forget import forget_number
    from hotline.phone import sender_number
    from hotline.services import build_services

    settings = settings_with_dev_redis()
    e164 = sender_number(number, settings.default_region)
    if not e164:
        raise click.ClickException(f"'{number}' is not a phone number; use E.164, e.g. +15551234567")
    services = build_services(settings)
    removed = forget_number(services, e164, include_opt_out=include_opt_out)
    click.echo(f"Erased for {e164}:")
    for kind, count in removed.items():
        click.echo(f"  {count:>5}  {kind}")
    if not include_opt_out:
        kept = "kept" if services.conversations.is_opted_out(e164) else "none on record"
        click.echo(f"  opt-out: {kept} (so this number is never texted again; --include-opt-out removes it)")
    click.echo("  Cached replies to single messages hold no number and expire within 24 hours.")


@main.command("redis-keys")
def redis_keys() -> None:
    """Print the page of every Redis key the hotline writes (docs/redis-keys.md) from hotline/store/keys.py."""
    from hotline.store.keys import page

    click.echo(page(), nl=False)


@main.group()
def staff() -> None:
    """Staff access."""


@staff.command("add")
@click.argument("username")
@click.option("--reset", is_flag=True, help="Set a new password for an existing account.")
@click.password_option("--password", prompt="Password (10 characters or more)", help="Asked for when not given.")
def staff_add(username: str, reset: bool, password: str) -> None:
    """Create a dashboard account (the password is stored as an argon2 hash)."""
    from hotline.services import connect_redis
    from hotline.store.staff_accounts import AccountError, StaffAccounts

    try:
        StaffAccounts(connect_redis(settings_with_dev_redis())).add(username, password, replace=reset)
    except AccountError as error:
        raise click.ClickException(str(error)) from None
    ended = " Its sessions have ended: every browser logs in again." if reset else ""
    click.echo(f"Account '{username.strip().lower()}' is ready. Log in at /staff/login.{ended}")


@staff.command("remove")
@click.argument("username")
@click.confirmation_option(prompt="Delete this account and revoke its API tokens?")
def staff_remove(username: str) -> None:
    """Delete USERNAME's dashboard account and revoke the API tokens made for that name."""
    from hotline.services import connect_redis
    from hotline.store.staff_accounts import StaffAccounts
    from hotline.store.staff_tokens import StaffTokens

    connection = connect_redis(settings_with_dev_redis())
    username = username.strip().lower()
    removed = StaffAccounts(connection).remove(username)
    tokens = StaffTokens(connection)
    # Token names are free text ("Nurse Kim"): only those spelled as the username, in any case, are its own.
    names = {t.name for t in tokens.all() if t.name.strip().lower() == username}
    revoked = sum(tokens.revoke(name) for name in names)
    if not removed and not revoked:
        raise click.ClickException(f"no account or API token named '{username}'")
    account = f"deleted the account '{username}'" if removed else f"no account '{username}'"
    click.echo(f"{account[0].upper()}{account[1:]}; revoked {revoked} API token(s).")


class _TokenCommands(click.Group):
    """`hotline staff token NAME` still creates a token, as it always did: a first word that is not a
    subcommand is the NAME of `token create`."""

    def resolve_command(self, ctx: click.Context, args: list[str]) -> tuple[str | None, click.Command | None,
                                                                             list[str]]:
        if args and args[0] not in self.commands and not args[0].startswith("-"):
            return "create", self.commands["create"], args
        return super().resolve_command(ctx, args)


@staff.group("token", cls=_TokenCommands)
def staff_token() -> None:
    """API tokens: `token NAME [--days N]` creates one (short for `token create`); `token revoke` ends them."""


@staff_token.command("create")
@click.argument("name")
@click.option("--days", type=click.IntRange(min=1), default=None,
              help="The token stops working after this many days (default: when revoked).")
def staff_token_create(name: str, days: int | None) -> None:
    """Create an API token for NAME and print it (it is shown only once)."""
    from hotline.services import connect_redis
    from hotline.store.staff_tokens import StaffTokens

    token = StaffTokens(connect_redis(settings_with_dev_redis()), cli_clock()).create(name, days=days)
    lasts = f"it stops working in {days} day(s)" if days else "it works until revoked"
    click.echo(f"API token for {name} (keep it secret; it is not shown again; {lasts}):\n{token}")


@staff_token.command("revoke")
@click.argument("token_ids", metavar="[ID]...", nargs=-1)
@click.option("--name", help="Revoke every token of this name instead.")
def staff_token_revoke(token_ids: tuple[str, ...], name: str | None) -> None:
    """Revoke API tokens by the ids `hotline staff tokens` lists, or all of one name with --name."""
    from hotline.services import connect_redis
    from hotline.store.staff_tokens import StaffTokens

    if bool(token_ids) == bool(name):
        raise click.UsageError("give the ids of the tokens to revoke (see `hotline staff tokens`), or --name NAME")
    tokens = StaffTokens(connect_redis(settings_with_dev_redis()))
    if name:
        revoked = tokens.revoke(name)
    else:
        unknown = [i for i in token_ids if not tokens.revoke_id(i)]
        revoked = len(token_ids) - len(unknown)
        if unknown:
            if revoked:
                click.echo(f"revoked {revoked} token(s)")
            raise click.ClickException(f"no token with the id {', '.join(unknown)} (see `hotline staff tokens`)")
    if not revoked:
        raise click.ClickException(f"no token named '{name}' (see `hotline staff tokens`)")
    click.echo(f"revoked {revoked} token(s)")


@staff.command("tokens")
def staff_tokens() -> None:
    """List API tokens: id, name, when made, when they expire and when they last opened the API."""
    from hotline.services import connect_redis
    from hotline.store.staff_tokens import StaffTokens

    now = cli_clock()()
    listed = StaffTokens(connect_redis(settings_with_dev_redis())).all()
    if not listed:
        click.echo("no API tokens")
    for token in listed:
        expiry = ("expired " if token.expired(now) else "expires ") + _when(token.expires) if token.expires \
            else "never expires"
        click.echo(f"{token.id}  {token.name:<20}  made {_when(token.created):<20}  {expiry:<28}  "
                   f"last used {_when(token.last_used)}")


@main.group()
def cases() -> None:
    """Staff cases: conversations a nurse should see (docs/on-call.md)."""


@cases.command("list")
@click.option("--closed", is_flag=True, help="The cases closed most recently instead of the open ones.")
@click.option("--limit", type=click.IntRange(min=1), default=200, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="As JSON, as GET /api/cases gives it (numbers masked).")
def cases_list(closed: bool, limit: int, as_json: bool) -> None:
    """Open cases, most serious and oldest first: id, level, who has it, masked number, when opened, why."""
    import json

    from hotline.privacy import mask_number
    from hotline.services import build_services

    services = build_services(settings_with_dev_redis())
    store = services.cases.store
    found = store.closed_cases(limit) if closed else store.open_cases(limit)
    if as_json:
        click.echo(json.dumps([{
            "id": c.id, "number": mask_number(c.number), "level": c.level or None, "flags": list(c.flags),
            "reasons": list(c.reasons), "status": c.status, "opened_at": c.opened_at,
            "claimed_by": c.claimed_by or None, "closed_at": c.closed_at, "closed_by": c.closed_by or None,
            "link": services.cases.link(c.id)} for c in found], indent=2))
        return
    if not found:
        click.echo("no closed cases" if closed else "no open cases")
        return
    for c in found:
        who = (f"closed by {c.closed_by} {_when(c.closed_at)}" if closed
               else f"claimed by {c.claimed_by}" if c.claimed_by else "waiting")
        click.echo(f"{c.id:>6}  {(c.level or 'unassessed').upper():<10}  {mask_number(c.number):<14}  "
                   f"opened {_when(c.opened_at):<20}  {who:<28}  {','.join(c.reasons):<14}  "
                   f"{services.cases.link(c.id)}")
    if not closed:
        counts = store.counts()
        click.echo(f"{counts['open']} open, {counts['waiting']} waiting for a nurse")


def _when(moment: float | None) -> str:
    return time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(moment)) if moment is not None else "never"


def _add_reminder_commands() -> None:
    from hotline.reminders.commands import COMMANDS

    for command in COMMANDS:
        main.add_command(command)


_add_reminder_commands()


if __name__ == "__main__":
    main()
