"""`hotline schedules ...`, `hotline enroll`, `hotline import`, `hotline reminders ...`.

The rules are hotline/reminders/enrollment.py's; a named error they raise (hotline/errors.py) becomes a click error
with the message _refusal gives it here (exit status 1).
"""

from __future__ import annotations

import json
import sys
from contextlib import ExitStack
from pathlib import Path

import click
import yaml

from hotline.errors import HotlineError, ImportRefused, ScheduleError, ScheduleInUse
from hotline.privacy import mask_number
from hotline.reminders.imports import ImportReport, check_csv
from hotline.reminders.schedules import parse_schedule
from hotline.reminders.service import Reminders


def _reminders() -> Reminders:
    from hotline.dev import settings_with_dev_redis
    from hotline.services import connect_redis

    settings = settings_with_dev_redis()
    return Reminders(settings, connect_redis(settings))


def _refusal(error: HotlineError, file: Path | None = None) -> click.ClickException:
    """A named error as the CLI says it: the file it came from first, and what to type instead."""
    match error:
        case ScheduleInUse(name=name, count=count):
            return click.ClickException(f"'{name}' has {count} active enrollment(s); use --force to cancel them")
        case ScheduleError() | ImportRefused() if file is not None:
            return click.ClickException(f"{file}: {error}")
    return click.ClickException(str(error))


@click.group()
def schedules() -> None:
    """Reminder schedules: list, show, save from a YAML file, activate, deactivate, delete."""


@schedules.command("list")
def schedules_list() -> None:
    reminders = _reminders()
    for schedule in reminders.schedules.all():
        state = "active" if schedule.active else "inactive"
        click.echo(f"{schedule.name:<20} {state:<9} {len(schedule.steps)} steps  "
                   f"{reminders.active_count(schedule.name)} enrolled  {schedule.description}")


@schedules.command("show")
@click.argument("name")
def schedules_show(name: str) -> None:
    try:
        schedule = _reminders().rules.schedule(name)
    except HotlineError as error:
        raise _refusal(error) from None
    click.echo(yaml.safe_dump(schedule.to_dict(), allow_unicode=True, sort_keys=False))


@schedules.command("save")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def schedules_save(file: Path) -> None:
    """Create or replace a schedule from a YAML or JSON file; its enrollments follow the new steps."""
    try:
        schedule = parse_schedule(yaml.safe_load(file.read_text(encoding="utf-8")))
    except yaml.YAMLError as error:
        raise click.ClickException(f"{file}: {error}") from None
    except HotlineError as error:
        raise _refusal(error, file) from None
    moved = _reminders().rules.save_schedule(schedule)
    click.echo(f"saved '{schedule.name}' ({len(schedule.steps)} steps); {moved} enrollment(s) replanned")


def _set_active(name: str, active: bool) -> None:
    try:
        _reminders().rules.set_active(name, active)
    except HotlineError as error:
        raise _refusal(error) from None
    click.echo(f"'{name}' is {'active' if active else 'inactive'}")


@schedules.command("activate")
@click.argument("name")
def schedules_activate(name: str) -> None:
    _set_active(name, True)


@schedules.command("deactivate")
@click.argument("name")
def schedules_deactivate(name: str) -> None:
    """Stop sending this schedule's reminders (enrollments are kept)."""
    _set_active(name, False)


@schedules.command("delete")
@click.argument("name")
@click.option("--force", is_flag=True, help="Cancel its active enrollments too.")
def schedules_delete(name: str, force: bool) -> None:
    try:
        deleted = _reminders().rules.delete_schedule(name, cancel_active=force)
    except HotlineError as error:
        raise _refusal(error) from None
    click.echo(f"deleted '{name}' ({deleted.cancelled} enrollment(s) cancelled)")


@click.command()
@click.argument("number")
@click.option("--schedule", default="checkin", show_default=True)
@click.option("--language", type=click.Choice(["en", "es"]), default="en", show_default=True)
@click.option("--timezone", "zone", default=None, help="IANA zone; default: from the number.")
@click.option("--baby-name", default=None)
def enroll(number: str, schedule: str, language: str, zone: str | None, baby_name: str | None) -> None:
    """Enroll NUMBER in a reminder schedule."""
    try:
        result = _reminders().rules.enroll(number, schedule, channel="staff", language=language, zone=zone,
                                           baby_name=baby_name)
    except HotlineError as error:
        raise _refusal(error) from None
    e = result.enrollment
    if result.created:
        click.echo(f"enrolled {mask_number(e.number)} in '{e.schedule}' (enrollment {e.id})")
    else:
        click.echo(f"{mask_number(e.number)} is already in '{e.schedule}' (enrollment {e.id}); nothing changed")


@click.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--schedule", default="checkin", show_default=True, help="For rows without a schedule column.")
def import_(file: Path, schedule: str) -> None:
    """Enroll every row of a CSV (header: number[,schedule,language,timezone,baby_name]).

    The same checks and the same batched import as the dashboard's and the API's background job, run
    here and now, with a progress bar; any size (the 2 MB limit is the web's).
    """
    reminders = _reminders()
    try:
        text = check_csv(file.read_bytes(), schedule, reminders.schedules, max_bytes=None)
    except HotlineError as error:
        raise _refusal(error, file) from None
    with ExitStack() as stack:
        bar = None

        def progress(report: ImportReport) -> None:
            nonlocal bar
            if bar is None:
                bar = stack.enter_context(click.progressbar(length=report.rows_total, label="Importing",
                                                            file=sys.stderr))
            bar.update(report.rows_done - bar.pos)

        report = reminders.import_csv(text, schedule, progress=progress)
    click.echo(f"{report.imported} enrolled, {report.duplicates} already enrolled, {len(report.errors)} bad row(s)")
    for line, problem in report.errors:
        click.echo(f"  line {line}: {problem}")
    if report.errors:
        raise SystemExit(1)


@click.group()
def reminders() -> None:
    """Reminders: what goes out next, and what went out."""


@reminders.command("recount")
def reminders_recount() -> None:
    """Rebuild the counts the staff pages show (active enrollments per schedule, enrollments ended on
    an error) from the enrollment records. Run once after upgrading from a version without them."""
    counts = _reminders().enrollments.recount()
    for name, count in sorted(counts.items()):
        click.echo(f"{name:<20} {count} active")
    click.echo(f"recounted {sum(counts.values())} active enrollment(s) in {len(counts)} schedule(s)")


@reminders.command("upcoming")
@click.option("--limit", default=50, show_default=True)
@click.option("--json", "as_json", is_flag=True)
def reminders_upcoming(limit: int, as_json: bool) -> None:
    rows = _reminders().upcoming(limit)
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    if not rows:
        click.echo("no reminders pending")
    for row in rows:
        click.echo(f"{row['due']}  enrollment {row['enrollment']:<6} {row['schedule']:<12} "
                   f"{mask_number(str(row['number']))}  step +{row['step_offset_minutes']} min")


@reminders.command("sent")
@click.option("--limit", default=50, show_default=True)
def reminders_sent(limit: int) -> None:
    for row in _reminders().sent(limit):
        click.echo(f"{row['sent_at']}  enrollment {row['enrollment']:<6} {row['schedule']:<12} "
                   f"{mask_number(str(row['number']))}  {row['status']}  {row.get('answer') or ''}")


COMMANDS = (schedules, enroll, import_, reminders)
