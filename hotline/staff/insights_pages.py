"""The Insights page: charts of what the hotline did, from the per-day counters (hotline/insights.py), and each
chart's numbers as a CSV file of counts (no number, no message text).

A view is plumbing: read the filters, read the counters of those days (one round trip), turn them into charts.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from flask import Response, abort, render_template, request, url_for
from markupsafe import Markup

from hotline.engine.levels import SECTIONS
from hotline.insights import (
    CONVERSATION_CHANNELS,
    LEVELS,
    REPLY_BUCKETS,
    Counts,
    Filters,
    bucket_label,
    bucket_name,
    duration_label,
    percentile_bound,
    read_counts,
)
from hotline.reminders.schedules import NAME, offset_label
from hotline.staff.charts import Bar, Column, Series, bar_chart, column_chart
from hotline.staff.pages import NAV_ITEMS, bp, services

DEFAULT_DAYS = 30
CHANNEL_LABELS = {"sms": "Text", "voice": "Phone", "staff": "Enrolled by staff", "import": "CSV import"}
LANGUAGE_LABELS = {"en": "English", "es": "Spanish"}
LEVEL_LABELS = {"emergency": "emergency", "urgent": "urgent", "soon": "soon", "home": "home",
                "none": "no assessment"}
LEVEL_SERIES = [Series(level, LEVEL_LABELS[level], f"s-{level}") for level in reversed(LEVELS)]  # bottom up
CHANNEL_SERIES = [Series(channel, CHANNEL_LABELS[channel], f"s-{channel}") for channel in CONVERSATION_CHANNELS]
ANSWER_SERIES = [Series("better", "better", "s-better"), Series("same", "same", "s-same"),
                 Series("worse", "worse", "s-worse"), Series("other", "other reply", "s-other")]
FUNNEL_SERIES = [Series(stage, stage, f"s-{stage}") for stage in ("enrolled", "sent", "delivered", "answered")]
REPLY_SERIES = [Series("cases", "first replies", "s-reply")]


# --- Filters --------------------------------------------------------------------------------------------------


def _date(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


def read_filters() -> tuple[Filters, list[str]]:
    """The filters in the query string, or the defaults (the last 30 days, everything), and what was wrong."""
    today = services().clock.today(services().settings.default_timezone)
    most = services().settings.insights_retention_days
    args = request.args
    problems = []
    end = _date(args.get("to"))
    if args.get("to") and end is None:
        problems.append(f"'{args['to']}' is not a date: the last day shown is today.")
    start = _date(args.get("from"))
    if args.get("from") and start is None:
        problems.append(f"'{args['from']}' is not a date: the {DEFAULT_DAYS} days before the last day are shown.")
    end = end or today
    start = start or end - timedelta(days=DEFAULT_DAYS - 1)
    if start > end:
        problems.append("The first day is after the last day: they are shown the other way round.")
        start, end = end, start
    if (end - start).days + 1 > most:
        problems.append(f"At most {most} days can be shown (counts are kept that long): the {most} days up to "
                        f"{end.isoformat()} are shown.")
        start = end - timedelta(days=most - 1)
    channel = args.get("channel", "")
    language = args.get("language", "")
    schedule = args.get("schedule", "")
    # Any valid schedule name: a deleted schedule's counts are still there to be shown.
    return Filters(start, end, channel if channel in CHANNEL_LABELS else "",
                   language if language in LANGUAGE_LABELS else "",
                   schedule if NAME.match(schedule) else ""), problems


def _query(filters: Filters) -> dict[str, str]:
    query = {"from": filters.start.isoformat(), "to": filters.end.isoformat()}
    for name in ("channel", "language", "schedule"):
        if getattr(filters, name):
            query[name] = getattr(filters, name)
    return query


# --- Charts ---------------------------------------------------------------------------------------------------


def _day_label(day: str) -> str:
    d = date.fromisoformat(day)
    return f"{d:%b} {d.day}"


def _span(filters: Filters) -> str:
    if filters.start == filters.end:
        return f"on {_day_label(filters.start.isoformat())}, {filters.start.year}"
    return (f"from {_day_label(filters.start.isoformat())}, {filters.start.year} to "
            f"{_day_label(filters.end.isoformat())}, {filters.end.year}")


@dataclass(frozen=True)
class Chart:
    """One chart on the page: its heading, its SVG (None when there is nothing to show), its legend and notes."""

    name: str  # also its CSV's name
    heading: str
    svg: Markup | None
    legend: list[tuple[Series, int]]
    summary: str = ""
    empty: str = "Nothing was counted in these days."


def _per_day_chart(counts: Counts, filters: Filters, by: str) -> Chart:
    series = LEVEL_SERIES if by == "level" else CHANNEL_SERIES
    per_day = counts.conversations_per_day(by)
    totals = counts.conversation_totals(by)
    every = max(1, math.ceil(len(counts.days) / 12))
    last = len(counts.days) - 1
    columns = [Column(_day_label(day) if (last - i) % every == 0 else "", _day_label(day), per_day[day])
                    for i, day in enumerate(counts.days)]
    total = sum(totals.values())
    listed = list(reversed(series)) if by == "level" else series  # the most serious level first
    parts = ", ".join(f"{s.label} {totals.get(s.key, 0)}" for s in listed)
    heading = f"Conversations per day by {by}"
    description = f"Conversations per day {_span(filters)}: {total} in all ({parts})."
    svg = column_chart(f"chart-conversations-by-{by}", heading, description, columns, series) if total else None
    return Chart(f"conversations-by-{by}", heading, svg, [(s, totals.get(s.key, 0)) for s in listed],
                 summary=f"{total} conversations {_span(filters)}.")


def _sections_chart(counts: Counts, filters: Filters) -> Chart:
    totals = counts.section_totals()
    series = [Series("conversations", "conversations", "s-section")]
    bars = [Bar(SECTIONS.get(section, section), {"conversations": n}) for section, n in totals]
    heading = "Article sections asked about most"
    description = (f"Conversations {_span(filters)} whose guidance drew on each section of the article, most first: "
                   + "; ".join(f"{bar.label}: {bar.values['conversations']}" for bar in bars) + ".")
    svg = bar_chart("chart-sections", heading, description, bars, series) if bars else None
    return Chart("sections", heading, svg, [], empty="No guidance was given in these days.")


def _levels_by_language_chart(counts: Counts, filters: Filters) -> Chart:
    by_language = counts.levels_by_language()
    series = [s for s in reversed(LEVEL_SERIES)]
    bars = [Bar(LANGUAGE_LABELS.get(language, language), levels, note="conversations")
            for language, levels in by_language.items() if sum(levels.values())]
    heading = "Share of conversations at each level, by language"
    description = f"How conversations {_span(filters)} were answered, by language: " + "; ".join(
        f"{bar.label}: " + ", ".join(f"{s.label} {bar.values.get(s.key, 0)}" for s in series) for bar in bars) + "."
    svg = bar_chart("chart-levels-by-language", heading, description, bars, series, share=True) if bars else None
    return Chart("levels-by-language", heading, svg, [(s, 0) for s in series])


def _funnel_chart(counts: Counts, filters: Filters) -> Chart:
    enrolled, steps = counts.funnel()

    def share(n: int) -> str:
        return f"{round(100 * n / enrolled)}% of enrolled" if enrolled else ""

    bars = [Bar("Enrolled", {"enrolled": enrolled})]
    for step in steps:
        when = f"Step {offset_label(step.minutes)} after enrolling"
        bars += [Bar(f"{when}: sent", {"sent": step.sent}, share(step.sent)),
                 Bar(f"{when}: delivered", {"delivered": step.delivered}, share(step.delivered)),
                 Bar(f"{when}: answered", {"answered": step.answered}, share(step.answered))]
    heading = "Reminder funnel"
    description = (f"Enrollments made {_span(filters)} and their check-ins: " + "; ".join(
        f"{bar.label} {sum(bar.values.values())}" for bar in bars) + ".")
    svg = bar_chart("chart-reminder-funnel", heading, description, bars, FUNNEL_SERIES) if enrolled or steps else None
    return Chart("reminder-funnel", heading, svg, [], empty="Nobody was enrolled in these days.")


def _answers_chart(counts: Counts, filters: Filters) -> Chart:
    by_step = counts.answers_by_step()
    bars = [Bar(f"Step {offset_label(minutes)} after enrolling", answers, note="answered")
            for minutes, answers in by_step.items()]
    totals = {s.key: sum(bar.values.get(s.key, 0) for bar in bars) for s in ANSWER_SERIES}
    heading = "Check-in answers per step"
    description = (f"Answers to the check-ins of enrollments made {_span(filters)}, per step: " + "; ".join(
        f"{bar.label}: " + ", ".join(f"{s.label} {bar.values.get(s.key, 0)}" for s in ANSWER_SERIES)
        for bar in bars) + ".")
    svg = bar_chart("chart-checkin-answers", heading, description, bars, ANSWER_SERIES) if bars else None
    return Chart("checkin-answers", heading, svg, [(s, totals[s.key]) for s in ANSWER_SERIES],
                 empty="No check-in was answered.")


def _first_reply_chart(counts: Counts, filters: Filters) -> Chart:
    histogram = counts.reply_histogram()
    total = sum(histogram.values())
    columns = [Column(bucket_label(bound), bucket_label(bound), {"cases": n}) for bound, n in histogram.items()]
    median, p95 = percentile_bound(histogram, 0.5), percentile_bound(histogram, 0.95)
    summary = (f"{total} case{'' if total == 1 else 's'} had a first reply {_span(filters)}: median "
               f"{_bound_words(median)}, 95th percentile (p95) {_bound_words(p95)}.") if total else ""
    heading = "Time to a nurse's first reply"
    description = (f"How long after a case opened a nurse first texted the parent, {_span(filters)}: "
                   + ", ".join(f"{c.label} {c.values['cases']}" for c in columns) + ". " + summary)
    svg = column_chart("chart-first-reply", heading, description, columns, REPLY_SERIES) if total else None
    return Chart("first-reply", heading, svg, [], summary=summary, empty="No case had a first reply in these days.")


def _bound_words(bound: float | None) -> str:
    """A percentile read from the histogram: the bucket's upper bound ("within 15 min"), or "over 24 h"."""
    if bound is None:
        return "none"
    if bound == math.inf:
        return f"over {duration_label(REPLY_BUCKETS[-2])}"
    return f"within {duration_label(bound)}"


# --- Pages ----------------------------------------------------------------------------------------------------


@bp.get("/insights")
def insights() -> str:
    filters, problems = read_filters()
    counts = read_counts(services().redis, filters)
    charts = [_per_day_chart(counts, filters, "level"), _per_day_chart(counts, filters, "channel"),
              _sections_chart(counts, filters), _levels_by_language_chart(counts, filters),
              _funnel_chart(counts, filters), _answers_chart(counts, filters), _first_reply_chart(counts, filters)]
    schedules = [schedule.name for schedule in services().reminders.schedules.all()]
    if filters.schedule and filters.schedule not in schedules:
        schedules.append(filters.schedule)
    return render_template(
        "staff/insights.html", filters=filters, problems=problems, charts=charts, query=_query(filters),
        channels=CHANNEL_LABELS, languages=LANGUAGE_LABELS, schedules=schedules,
        zone=services().settings.default_timezone, retention=services().settings.insights_retention_days,
        span=_span(filters))


def _csv_rows(counts: Counts, chart: str) -> Iterator[Iterable[Any]]:
    """A chart's numbers, a row per day and what the chart shows: counts only, never a number or a text."""
    if chart in ("conversations-by-level", "conversations-by-channel"):
        by = chart.rsplit("-", 1)[1]
        yield ["day", by, "conversations"]
        per_day = counts.conversations_per_day(by)
        order = LEVELS if by == "level" else CONVERSATION_CHANNELS
        for day in counts.days:
            for key in order:
                if per_day[day].get(key):
                    yield [day, key, per_day[day][key]]
    elif chart == "sections":
        yield ["day", "section", "section_title", "conversations"]
        totals: dict[tuple[str, str], int] = {}
        for day, _, _, section, n in counts.sections:
            totals[(day, section)] = totals.get((day, section), 0) + n
        for (day, section), n in sorted(totals.items()):
            yield [day, section, SECTIONS.get(section, ""), n]
    elif chart == "levels-by-language":
        yield ["day", "language", "level", "conversations"]
        grouped: dict[tuple[str, str, str], int] = {}
        for day, _, level, language, n in counts.conversations:
            grouped[(day, language, level)] = grouped.get((day, language, level), 0) + n
        for (day, language, level), n in sorted(grouped.items(), key=lambda i: (i[0][0], i[0][1], LEVELS.index(
                i[0][2]) if i[0][2] in LEVELS else 9)):
            yield [day, language, level, n]
    elif chart == "reminder-funnel":
        yield ["enrollment_day", "step_minutes", "stage", "count"]
        rows: dict[tuple[str, int, int], int] = {}
        stages = ("enrolled", "sent", "delivered", "answered")
        for day, _, _, _, n in counts.enrolled:
            rows[(day, -1, 0)] = rows.get((day, -1, 0), 0) + n
        for index, source in ((1, counts.sent), (2, counts.delivered)):
            for day, _, _, _, step, n in source:
                rows[(day, step, index)] = rows.get((day, step, index), 0) + n
        for day, _, _, _, step, _, n in counts.answers:
            rows[(day, step, 3)] = rows.get((day, step, 3), 0) + n
        for (day, step, index), n in sorted(rows.items()):
            yield [day, "" if step < 0 else step, stages[index], n]
    elif chart == "checkin-answers":
        yield ["enrollment_day", "step_minutes", "answer", "count"]
        answers: dict[tuple[str, int, str], int] = {}
        for day, _, _, _, step, answer, n in counts.answers:
            answers[(day, step, answer)] = answers.get((day, step, answer), 0) + n
        for (day, step, answer), n in sorted(answers.items()):
            yield [day, step, answer, n]
    elif chart == "first-reply":
        yield ["day", "first_reply_within", "upper_bound_seconds", "cases"]
        replies: dict[tuple[str, float], int] = {}
        for day, _, _, bound, n in counts.replies:
            replies[(day, bound)] = replies.get((day, bound), 0) + n
        for (day, bound), n in sorted(replies.items()):
            yield [day, bucket_label(bound), bucket_name(bound), n]


CHART_NAMES = ("conversations-by-level", "conversations-by-channel", "sections", "levels-by-language",
               "reminder-funnel", "checkin-answers", "first-reply")


@bp.get("/insights/<chart>.csv")
def insights_csv(chart: str) -> Response:
    """One chart's numbers with the page's filters, as a file a spreadsheet opens."""
    if chart not in CHART_NAMES:
        abort(404)
    filters, _ = read_filters()
    reminders = chart in ("reminder-funnel", "checkin-answers")
    # The reminders by enrollment day, not by week; and only the hashes this chart's numbers are in.
    counts = read_counts(services().redis, filters, per_day=True, days_counts=not reminders,
                         reminder_counts=reminders)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerows(_csv_rows(counts, chart))
    name = f"insights-{chart}-{filters.start.isoformat()}-to-{filters.end.isoformat()}.csv"
    return Response(out.getvalue(), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"})


def csv_url(chart: str, query: dict[str, str]) -> str:
    values: dict[str, Any] = {"chart": chart, **query}
    return url_for("staff.insights_csv", **values)


bp.add_app_template_global(csv_url, "insights_csv_url")

_at = next(i for i, (endpoint, _) in enumerate(NAV_ITEMS) if endpoint == "staff.opt_outs")
NAV_ITEMS.insert(_at, ("staff.insights", "Insights"))
