"""CSV imports from the dashboard and the API: up to 2 MB, checked at once, imported by a background RQ job
(a real worker in this process) whose progress and report staff can follow (security review F23)."""

from __future__ import annotations

import io
import json
import re
import threading

import pytest
from click.testing import CliRunner
from rq import Queue

from hotline.cli import main
from hotline.store import keys
from hotline.store.staff_tokens import StaffTokens
from tests.support.reminders import run_worker
from tests.test_dashboard_reminders import text_of

KIB = 1024
MB = 1024 * 1024


def numbers(count: int, first: int = 0) -> list[str]:
    """Distinct valid US numbers (555 numbers in real area codes), `count` of them."""
    areas = ["202", "212", "312", "415", "617", "718", "919"]
    return [f"+1{areas[n // 10_000]}555{n % 10_000:04d}" for n in range(first, first + count)]


def csv_of(rows: list[str], header: str = "number") -> bytes:
    return (header + "\n" + "\n".join(rows) + "\n").encode()


def upload(staff, content: bytes, name: str = "parents.csv", **fields: str):  # type: ignore[no-untyped-def]
    return staff.post("/staff/enrollments/import", content_type="multipart/form-data", data={
        "csrf_token": staff.token, "schedule": "checkin", **fields, "file": (io.BytesIO(content), name)})


def queued_imports(redis) -> list[str]:  # type: ignore[no-untyped-def]
    return [job_id for job_id in Queue("hotline", connection=redis).job_ids if job_id.startswith("imp-")]


@pytest.fixture
def api(client, redis):  # type: ignore[no-untyped-def]
    headers = {"Authorization": f"Bearer {StaffTokens(redis).create('coordinator')}"}

    def call(method: str, path: str, **kw):  # type: ignore[no-untyped-def]
        return client.open(path, method=method, headers={**headers, **kw.pop("headers", {})}, **kw)

    return call


# --- The dashboard ------------------------------------------------------------------------------------------


def test_an_89_kib_csv_from_the_dashboard_is_imported_in_the_background(staff, services, redis, env):
    # The review's file: refused with 413 by the CSRF check's 64 KB form parse before this was fixed.
    content = csv_of(numbers(7_000))
    assert 88 * KIB < len(content) < 90 * KIB
    response = upload(staff, content)
    assert response.status_code == 303
    page = staff.get(response.headers["Location"])
    assert "Importing parents.csv" in text_of(page)
    assert "Waiting for a worker to start the import" in text_of(page)
    assert b'<meta http-equiv="refresh" content="1">' in page.data  # the page follows the job by itself

    run_worker(redis)
    done = staff.get(response.headers["Location"])
    assert "parents.csv: 7,000 imported, 0 already enrolled, 0 row(s) with problems." in text_of(done)
    assert b'http-equiv="refresh"' not in done.data
    assert services.reminders.enrollments.count() == 7_000


def test_a_2_mb_csv_from_the_dashboard_is_accepted_and_imported(staff, services, redis, env):
    # A file as a spreadsheet exports it, with a notes column nobody imports: just under 2 MB.
    note = "x" * 1_000
    content = csv_of([f"{n},{note}" for n in numbers(2_000)], header="number,notes")
    assert 1.9 * MB < len(content) <= 2 * MB
    response = upload(staff, content)
    assert response.status_code == 303
    run_worker(redis)
    assert "parents.csv: 2,000 imported" in text_of(staff.get(response.headers["Location"]))
    assert services.reminders.enrollments.count() == 2_000


@pytest.mark.parametrize("size", [2 * MB + 1, 2 * MB + 200 * KIB], ids=["just over", "far over"])
def test_a_csv_over_2_mb_is_refused_with_the_limit_in_words(staff, services, redis, size):
    content = csv_of(numbers(1)) + b"#" * (size - len(csv_of(numbers(1))))
    response = upload(staff, content)
    assert response.status_code == 413
    page = text_of(response)
    assert "The file is larger than 2 MB, the most one import takes (about 150,000 numbers)" in page
    assert "split it into smaller files" in page
    assert "Import a CSV file" in page  # back on the enrollments page, with the import form
    assert queued_imports(redis) == [] and list(redis.scan_iter(keys.upload("*"))) == []


def test_other_forms_still_refuse_more_than_64_kb(staff, client, services):
    response = staff.post("/staff/enrollments", data={"csrf_token": staff.token, "number": "+12025550123",
                                                      "schedule": "checkin", "baby_name": "x" * 89 * KIB})
    assert response.status_code == 413
    assert "This form takes at most 64 KB" in text_of(response)
    assert services.reminders.enrollments.count() == 0


def test_the_import_form_needs_its_csrf_token_even_for_a_large_file(staff, redis):
    response = staff.post("/staff/enrollments/import", content_type="multipart/form-data", data={
        "schedule": "checkin", "file": (io.BytesIO(csv_of(numbers(7_000))), "parents.csv")})
    assert response.status_code == 400
    assert queued_imports(redis) == []


def test_only_logged_in_staff_may_send_more_than_64_kb_to_the_import_form(client, redis):
    response = client.post("/staff/enrollments/import", content_type="multipart/form-data", data={
        "schedule": "checkin", "file": (io.BytesIO(csv_of(numbers(7_000))), "parents.csv")})
    assert response.status_code == 413  # refused before the form is read, as any other form
    small = client.post("/staff/enrollments/import", content_type="multipart/form-data", data={
        "schedule": "checkin", "file": (io.BytesIO(csv_of(numbers(2))), "parents.csv")})
    assert small.status_code == 400  # no CSRF token: strangers get no further
    assert queued_imports(redis) == []


def test_an_import_page_that_does_not_exist_is_a_404(staff):
    assert staff.get("/staff/enrollments/import/imp-" + "0" * 32).status_code == 404
    assert staff.get("/staff/enrollments/import/not-an-import").status_code == 404


# --- The API ------------------------------------------------------------------------------------------------


def test_the_api_answers_202_and_its_status_url_reports_progress_then_the_report(api, redis, reminders):
    rows = numbers(20_000) + ["not a number", "+12025550000"]  # 20,000 good rows, then a bad one and a repeat
    response = api("POST", "/api/enrollments/import?schedule=checkin", data=csv_of(rows),
                   headers={"Content-Type": "text/csv"})
    assert response.status_code == 202
    body = response.get_json()
    assert body["status"] == "queued" and response.headers["Location"] == body["status_url"]
    assert re.fullmatch(r"/api/enrollments/import/imp-[0-9a-f]{32}", body["status_url"])
    waiting = api("GET", body["status_url"]).get_json()
    assert (waiting["status"], waiting["rows_done"], waiting["rows_total"]) == ("queued", 0, None)

    # A staff member polls while a real worker imports (RQ's worker wants the main thread).
    seen: list[dict] = []
    finished = threading.Event()

    def poll() -> None:
        while not finished.is_set():
            seen.append(api("GET", body["status_url"]).get_json())

    poller = threading.Thread(target=poll)
    poller.start()
    try:
        run_worker(redis)
    finally:
        finished.set()
        poller.join()

    midway = [s for s in seen if s["status"] == "running" and 0 < s["rows_done"] < s["rows_total"]]
    assert midway, [(s["status"], s["rows_done"]) for s in seen]
    assert all(s["rows_total"] == 20_002 for s in midway)
    done = [s["rows_done"] for s in seen if s["status"] == "running"]
    assert done == sorted(done)  # progress only goes forward

    report = api("GET", body["status_url"]).get_json()
    assert report["status"] == "finished"
    assert (report["rows_done"], report["rows_total"]) == (20_002, 20_002)
    assert (report["imported"], report["duplicates"], report["error_count"]) == (20_000, 1, 1)
    assert report["errors"] == [{"line": 20_002, "error": "'not a number' is not a valid phone number; use E.164 "
                                                         "(+15551234567) or a national number"}]
    assert report["started_at"] <= report["ended_at"]
    assert reminders.enrollments.count() == 20_000
    assert list(redis.scan_iter(keys.upload("*"))) == []  # the file is gone once imported


def test_bad_rows_are_reported_by_line_and_a_long_list_is_cut_but_counted(api, staff, redis, reminders):
    rows = []
    for index, number in enumerate(numbers(300)):
        rows.append(f"{number},{'fr' if index % 2 else 'en'}")  # every other row has a language we do not have
    response = api("POST", "/api/enrollments/import", data=csv_of(rows, header="number,language"),
                   headers={"Content-Type": "text/csv"})
    run_worker(redis)
    report = api("GET", response.get_json()["status_url"]).get_json()
    assert (report["imported"], report["error_count"], len(report["errors"])) == (150, 150, 100)
    assert [e["line"] for e in report["errors"][:3]] == [3, 5, 7]  # line 1 is the header
    assert report["errors"][0]["error"] == "language must be one of en, es, got 'fr'"

    page = text_of(staff.get(f"/staff/enrollments/import/{response.get_json()['id']}"))
    assert "150 imported, 0 already enrolled, 150 row(s) with problems." in page
    assert "3 language must be one of en, es, got 'fr'" in page
    assert "The first 100 of 150 rows with problems are listed" in page


@pytest.mark.parametrize(("content", "status", "message"), [
    (b"phone_nr,lang\n+12025550123,en\n", 400, "the first line must be a header with a 'number' column"),
    (b"number\n", 400, "the file has no rows to import"),
    (b"PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00\xb5U0#\xf4\x00\x00\x00L\x02", 400,
     "the file must be saved as CSV UTF-8"),  # the first bytes of an .xlsx
    ("number\n+12025550123\n".encode("utf-16"), 400, "the file must be saved as CSV UTF-8"),
    (b"number\n" + b"+12025550123\n" * 170_000, 413, "the file is larger than 2 MB"),
])
def test_an_obviously_wrong_file_is_refused_at_once_and_nothing_is_queued(api, redis, content, status, message):
    response = api("POST", "/api/enrollments/import", data=content, headers={"Content-Type": "text/csv"})
    assert response.status_code == status
    assert response.get_json()["error"].startswith(message)
    assert queued_imports(redis) == [] and list(redis.scan_iter(keys.upload("*"))) == []


def test_other_api_routes_still_refuse_more_than_64_kb(api, reminders):
    response = api("POST", "/api/enrollments", data=json.dumps({"number": "+12025550123", "baby_name": "x" * 70_000}),
                   headers={"Content-Type": "application/json"})
    assert response.status_code == 413
    assert response.get_json()["error"] == "the request is larger than 64 KB, the most this route takes"
    assert reminders.enrollments.count() == 0


def test_an_unknown_import_is_a_404_and_other_jobs_are_not_imports(api, redis, reminders):
    assert api("GET", "/api/enrollments/import/imp-" + "0" * 32).status_code == 404
    reminders.queue.enqueue("workers.reminders.dispatch", job_id="imp-" + "1" * 32)
    assert api("GET", "/api/enrollments/import/imp-" + "1" * 32).status_code == 404


def test_the_cli_imports_with_the_same_checks_and_any_size(env, reminders, tmp_path):
    # Not a web request: no 2 MB limit, and no worker needed; the same rules decide what is refused.
    big = tmp_path / "big.csv"
    big.write_bytes(csv_of(numbers(10_000)) + b"#" * (2 * MB))  # over 2 MB, with one unreadable last row
    runner = CliRunner()
    result = runner.invoke(main, ["import", str(big)], catch_exceptions=False)
    assert "10000 enrolled, 0 already enrolled, 1 bad row(s)" in result.output
    wrong = tmp_path / "wrong.csv"
    wrong.write_bytes(b"phone_nr\n+12025550123\n")
    refused = runner.invoke(main, ["import", str(wrong)])
    assert refused.exit_code == 1
    assert "the first line must be a header with a 'number' column" in refused.output


# --- A parent forgotten while her number waits in an import -----------------------------------------------


def test_a_parent_forgotten_while_an_import_waits_is_not_enrolled_by_it(api, redis, reminders, settings,
                                                                          monkeypatch):
    parent, other = "+12025550163", "+12025550164"
    content = f"number,language\n{other},en\n\"(202) 555-0163\",es\nnot a number,en\n{parent},en\n".encode()
    response = api("POST", "/api/enrollments/import", data=content, headers={"Content-Type": "text/csv"})
    [key] = redis.scan_iter(keys.upload("*"))
    assert 0 < redis.ttl(key) <= 3600  # in Redis, for an hour at most; never on disk

    monkeypatch.chdir(settings.data_dir.parent)
    result = CliRunner().invoke(main, ["forget", parent, "--yes"])
    assert result.exit_code == 0 and re.search(r"1\s+imports waiting for a worker", result.output)
    assert parent.encode() not in redis.get(key) and b"555-0163" not in redis.get(key)

    run_worker(redis)
    report = api("GET", response.get_json()["status_url"]).get_json()
    assert [e.number for e in reminders.enrollments.all()] == [other]
    assert [e["line"] for e in report["errors"]] == [4]  # the other rows keep their line numbers


def test_an_import_whose_file_expired_before_a_worker_took_it_says_so(api, staff, redis, reminders):
    response = api("POST", "/api/enrollments/import", data=csv_of(numbers(3)), headers={"Content-Type": "text/csv"})
    [key] = redis.scan_iter(keys.upload("*"))
    redis.delete(key)  # what its hour's TTL does when no worker runs for that long
    run_worker(redis)
    status = api("GET", response.get_json()["status_url"]).get_json()
    assert status["status"] == "failed" and status["imported"] == 0
    assert status["failure"] == "the file waited more than an hour for a worker and was dropped; import it again"
    page = text_of(staff.get(f"/staff/enrollments/import/{status['id']}"))
    assert "The file waited more than an hour for a worker and was dropped; import it again." in page
    assert reminders.enrollments.count() == 0
