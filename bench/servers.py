"""Server comparison: the same app and load under each candidate web server and its settings, one-liners a
Heroku-style platform could run as the Procfile's web line ($PORT set by the platform).

    python -m bench servers [repetitions]

Every line is run for the hotline and for the stateless reference app (bench/reference_app.py), at each
concurrency, interleaved (all lines once, then all again), medians over the repetitions.
"""

from __future__ import annotations

import statistics
from typing import Any

from bench.webhooks import HOTLINE, REFERENCE, LoadResult, measure, procfile_web

GUNICORN = "gunicorn --bind 0.0.0.0:$PORT"
APP = "'hotline:create_app()'"
BEFORE = (f"{GUNICORN} --workers 2 --threads 4 --access-logfile - --logger-class hotline.access_log.AccessLog "
          f"--access-logformat '%(m)s %(U)s %(s)s %(M)sms' {APP}")
GRANIAN = "granian --interface wsgi --host 0.0.0.0 --port $PORT --no-access-log"
UWSGI = "uwsgi --http11-socket 0.0.0.0:$PORT --master --die-on-term --need-app --disable-logging"

CONFIGS: dict[str, str] = {
    "gunicorn gthread 2x4 + access log (the Procfile before)": BEFORE,
    "gunicorn gthread 2x4": f"{GUNICORN} --workers 2 --threads 4 {APP}",
    "gunicorn gthread 2x2": f"{GUNICORN} --workers 2 --threads 2 {APP}",
    "gunicorn gthread 3x2": f"{GUNICORN} --workers 3 --threads 2 {APP}",
    "gunicorn gthread 4x2": f"{GUNICORN} --workers 4 --threads 2 {APP}",
    "gunicorn sync 4": f"{GUNICORN} --workers 4 {APP}",
    "granian 2 workers x 1 thread": f"{GRANIAN} --workers 2 --blocking-threads 1 --factory hotline:create_app",
    "granian 2 workers x 4 threads": f"{GRANIAN} --workers 2 --blocking-threads 4 --factory hotline:create_app",
    "granian 3 workers x 1 thread": f"{GRANIAN} --workers 3 --blocking-threads 1 --factory hotline:create_app",
    "uwsgi 2 processes": f"{UWSGI} --processes 2 --module {APP}",
    "uwsgi 4 processes": f"{UWSGI} --processes 4 --module {APP}",
    "uwsgi 2 processes x 2 threads": f"{UWSGI} --processes 2 --threads 2 --module {APP}",
}


def compare(repetitions: int = 1, concurrencies: tuple[int, ...] = (1, 8, 32), seconds: float = 6.0,
            configs: dict[str, str] | None = None) -> list[dict[str, Any]]:
    configs = configs or dict(CONFIGS, **{"the Procfile now": procfile_web()})
    results: dict[tuple[str, str, int], list[LoadResult]] = {}
    for _ in range(repetitions):
        for name, command in configs.items():
            for app in (HOTLINE, REFERENCE):
                for concurrency in concurrencies:
                    try:
                        result = measure(command, app, concurrency, seconds)
                    except RuntimeError as error:  # a server that does not start: reported, not fatal
                        print(f"  {name}: {error}")
                        continue
                    results.setdefault((name, app, concurrency), []).append(result)
    rows = []
    for name, command in configs.items():
        row: dict[str, Any] = {"server": name, "command": command}
        for app, label in ((HOTLINE, "hotline"), (REFERENCE, "reference")):
            for concurrency in concurrencies:
                found = results.get((name, app, concurrency), [])
                if not found:
                    continue
                row[f"{label}_rps_c{concurrency}"] = statistics.median(r.rps for r in found)
                row[f"{label}_p99_ms_c{concurrency}"] = statistics.median(r.pct(99) for r in found)
                row[f"{label}_cpu_ms_c{concurrency}"] = statistics.median(
                    1000 * r.server_cpu_s / max(1, r.requests) for r in found)
                row[f"{label}_errors_c{concurrency}"] = max(r.errors for r in found)
        rows.append(row)
    return rows


def table(rows: list[dict[str, Any]], concurrencies: tuple[int, ...] = (1, 8, 32)) -> str:
    high = concurrencies[-1]
    rps_heading = "hotline req/s c=" + "/".join(map(str, concurrencies))
    lines = [f"{'server (one-liner in the Procfile)':<56} {rps_heading:>22}"
             f" {'p99 c=' + str(high):>9} {'cpu ms':>7} {'ref req/s':>20} {'ref cpu':>7} {'ratio':>15} {'err':>4}"]
    for row in rows:
        def get(key: str, row: dict[str, Any] = row) -> float:
            return float(row.get(key, float("nan")))

        rps = "/".join(f"{get(f'hotline_rps_c{c}'):.0f}" for c in concurrencies)
        ref = "/".join(f"{get(f'reference_rps_c{c}'):.0f}" for c in concurrencies)
        ratio = "/".join(f"{get(f'hotline_rps_c{c}') / get(f'reference_rps_c{c}'):.2f}" for c in concurrencies)
        cpu = statistics.median(get(f"hotline_cpu_ms_c{c}") for c in concurrencies)
        ref_cpu = statistics.median(get(f"reference_cpu_ms_c{c}") for c in concurrencies)
        errors = sum(int(row.get(f"{app}_errors_c{c}", 0)) for app in ("hotline", "reference") for c in concurrencies)
        lines.append(f"{row['server']:<56} {rps:>22} {get(f'hotline_p99_ms_c{high}'):>9.1f} {cpu:>7.2f} {ref:>20}"
                     f" {ref_cpu:>7.2f} {ratio:>15} {errors:>4}")
    return "\n".join(lines)
