"""The Insights page in a real headless Chromium: a day at the hotline, seeded through the webhooks, the reminder
worker and the nurses' replies (tests/support/insights.py), shows in every chart with its numbers, under the pages'
Content-Security-Policy, without a request to anywhere but the hotline, and each chart downloads as a CSV file."""

from __future__ import annotations

import csv
import io
from urllib.parse import urlsplit

from hotline.engine.levels import SECTIONS
from hotline.insights import InsightCounters
from tests import test_dashboard_browser as dashboard
from tests.support import insights as day

# The dashboard tests' fixtures: a headless Chromium, the app on a live server, a logged-in page that fails the test
# on any Content-Security-Policy violation, and the hotline's day in a zone where it is morning (so a nurse's reply
# three hours after a case opened is still on the same day).
browser, live_server, page, csp_violations, settings = (dashboard.browser, dashboard.live_server, dashboard.page,
                                                        dashboard.csp_violations, dashboard.settings)
log_in, shot = dashboard.log_in, dashboard.shot


def bars(page, chart: str) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """A bar chart as its reader sees it: each bar's label -> the number written at its end."""
    found = {}
    for bar in page.locator(f"#chart-{chart} g.bar").all():
        found[bar.locator("text.label").text_content()] = bar.locator("text.value").text_content()
    return found


def titles(page, chart: str) -> list[str]:  # type: ignore[no-untyped-def]
    """What each bar or segment says when pointed at (its <title>)."""
    return page.locator(f"#chart-{chart} rect > title").all_text_contents()


def legend(page, chart: str) -> dict[str, str]:  # type: ignore[no-untyped-def]
    section = page.locator(f"section#{chart}")
    return {item.get_attribute("data-series"): item.locator("strong").text_content()
            for item in section.locator(".legend li").all()}


def test_a_coordinator_sees_a_day_at_the_hotline_in_every_chart_and_downloads_them(
        page, live_server, services, twilio, redis, fake_twilio, env, tmp_path):
    from playwright.sync_api import expect

    seeded = day.a_day_at_the_hotline(services, twilio, redis, fake_twilio)
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    log_in(page)
    page.get_by_role("link", name="Insights").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Insights")
    today = InsightCounters.for_settings(services.settings).today()
    label = f"{today:%b} {today.day}"

    # Conversations per day, stacked by level and by channel: today's column and the totals under each chart.
    column = page.locator("#chart-conversations-by-level g.column").last
    assert column.get_attribute("data-total") == "6"
    assert column.locator("text.total").text_content() == "6"
    assert sorted(titles(page, "conversations-by-level")) == sorted(
        f"{label}: {'no assessment' if level == 'none' else level} {n}"
        for level, n in day.CONVERSATIONS_BY_LEVEL.items() if n)
    assert legend(page, "conversations-by-level") == {k: str(v) for k, v in day.CONVERSATIONS_BY_LEVEL.items()}
    assert legend(page, "conversations-by-channel") == {k: str(v) for k, v in day.CONVERSATIONS_BY_CHANNEL.items()}
    assert page.get_by_role("img", name="Conversations per day by level").count() == 1  # named for a screen reader

    # The sections asked about most, most first.
    asked = seeded.sections(redis)
    assert bars(page, "sections") == {SECTIONS[section]: str(n) for section, n in asked.items()}
    counts = [int(value) for value in bars(page, "sections").values()]
    assert counts == sorted(counts, reverse=True)

    # The share answered at each level, by language: each bar is the whole of its language.
    assert bars(page, "levels-by-language") == {"English": "5 \u00b7 conversations",
                                                "Spanish": "1 \u00b7 conversations"}
    assert "English: urgent 2 (40%)" in titles(page, "levels-by-language")
    assert "Spanish: home 1 (100%)" in titles(page, "levels-by-language")
    assert "40%" in page.locator("#chart-levels-by-language text.on-bar").all_text_contents()

    # The reminder funnel, step by step, and the check-in answers per step.
    funnel = {"Enrolled": str(day.ENROLLED)}
    for minutes, (sent, delivered, answered) in day.FUNNEL.items():
        step = f"Step {'1 day' if minutes == 1440 else '3 days'} after enrolling"
        for stage, n in (("sent", sent), ("delivered", delivered), ("answered", answered)):
            funnel[f"{step}: {stage}"] = f"{n} \u00b7 {round(100 * n / day.ENROLLED)}% of enrolled"
    assert bars(page, "reminder-funnel") == funnel
    assert bars(page, "checkin-answers") == {"Step 1 day after enrolling": "2 \u00b7 answered",
                                             "Step 3 days after enrolling": "1 \u00b7 answered"}
    assert sorted(titles(page, "checkin-answers")) == ["Step 1 day after enrolling: better 1",
                                                        "Step 1 day after enrolling: worse 1",
                                                        "Step 3 days after enrolling: same 1"]
    assert legend(page, "checkin-answers") == {"better": "1", "same": "1", "worse": "1", "other": "0"}

    # Time to a nurse's first reply: the histogram, and the median and p95 read from it.
    columns = page.locator("#chart-first-reply g.column")
    assert [c.get_attribute("data-total") for c in columns.all()] == ["1", "0", "1", "0", "0", "0", "1", "0", "0", "0"]
    assert page.locator("#chart-first-reply text.x").all_text_contents()[:3] == ["under 1 min", "1\u20135 min",
                                                                               "5\u201315 min"]
    expect(page.locator("section#first-reply figcaption")).to_contain_text(
        "3 cases had a first reply from ")
    expect(page.locator("section#first-reply figcaption")).to_contain_text(
        "median within 15 min, 95th percentile (p95) within 4 h.")
    shot(page, "insights")

    # Nothing but the hotline was asked for anything: the charts are in the page.
    assert {urlsplit(url).netloc for url in requests} == {urlsplit(live_server).netloc}
    assert not [url for url in requests if urlsplit(url).path.startswith("/staff/insights/")]

    # Filters: phone calls only.
    page.get_by_label("Channel", exact=True).select_option("voice")
    page.get_by_role("button", name="Show").click()
    page.wait_for_url("**/staff/insights?*channel=voice*")
    assert legend(page, "conversations-by-level") == {"emergency": "0", "urgent": "1", "soon": "0", "home": "0",
                                                      "none": "0"}
    expect(page.locator("section#first-reply figcaption")).to_contain_text("1 case had a first reply")
    assert bars(page, "reminder-funnel")["Enrolled"] == "1"

    # Each chart downloads as a CSV file of counts, with the filters shown.
    with page.expect_download() as download:
        page.get_by_role("link", name="Download \u201cReminder funnel\u201d as CSV").click()
    path = tmp_path / "funnel.csv"
    download.value.save_as(path)
    assert download.value.suggested_filename.startswith("insights-reminder-funnel-")
    rows = list(csv.DictReader(io.StringIO(path.read_text())))
    assert {(row["step_minutes"], row["stage"]): row["count"] for row in rows} == {
        ("", "enrolled"): "1", ("1440", "sent"): "1", ("4320", "sent"): "1"}
    for number in day.NUMBERS:
        assert number not in path.read_text()

    # And it reads on a phone.
    page.set_viewport_size({"width": 375, "height": 740})
    page.goto("/staff/insights")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    shot(page, "phone-insights")
