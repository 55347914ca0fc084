"""`make bench`: measure what parents and operators feel; print a table and write bench/results/latest.json."""

from __future__ import annotations

import json
import os
import platform
import sys
from pathlib import Path

from bench import engine, imports, redis_cost, staff_pages, startup, webhooks

RESULTS = Path(__file__).resolve().parent / "results"


def machine() -> str:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    return f"{os.cpu_count()} cores, {cpu}, Python {platform.python_version()}"


def main() -> int:
    only = set(sys.argv[1:])
    figures: dict[str, object] = {"machine": machine()}
    if not only or "engine" in only:
        figures["engine"] = engine.run()
        e = figures["engine"]
        print(f"engine: step median {e['step_median_us']:.0f} us (p99 {e['step_p99_us']:.0f} us), "
              f"safety screen median {e['screen_median_us']:.0f} us over {e['messages']} messages; "
              f"a 10,000-character message {e['screen_10k_chars_median_ms']:.1f} ms, "
              f"a 64 KB one {e['screen_64k_chars_ms']:.1f} ms (read up to 10,000 characters)")
    if not only or "redis" in only:
        figures["redis"] = r = redis_cost.run()
        print(f"redis: {r['round_trips_per_webhook']:.2f} round trips and {r['commands_per_webhook']:.1f} "
              f"commands per SMS webhook ({r['webhooks']} webhooks)")
    if not only or "webhooks" in only:
        rows = webhooks.run()
        figures["webhooks"] = rows
        print("\nSMS webhooks under gunicorn (2 workers x 4 threads, as the Procfile), medians of 3 runs")
        print(f"{'conc':>4} {'requests':>8} {'errors':>6} {'req/s':>7} {'p50 ms':>7} {'p90 ms':>7} "
              f"{'p99 ms':>7} {'cpu ms/req':>10}")
        for row in rows:
            print(f"{row['concurrency']:>4} {row['requests']:>8.0f} {row['errors']:>6} {row['rps']:>7.0f} "
                  f"{row['p50_ms']:>7.1f} {row['p90_ms']:>7.1f} {row['p99_ms']:>7.1f} "
                  f"{row['server_cpu_ms_per_request']:>10.2f}")
    if not only or "startup" in only:
        figures["startup"] = s = startup.run()
        print(f"\nstart-up: `hotline dev` to first answered webhook in {s['seconds_to_first_webhook']:.2f} s")
    if not only or "staff" in only:
        figures["staff"] = p = staff_pages.run()
        print(f"\nstaff pages with {p['enrollments']:,} enrollments ({p['ended']} ended on an error), median ms:")
        for path, ms in p["median_ms"].items():
            print(f"  {path:<40} {ms:>7.1f}")
    if not only or "imports" in only:
        print()
        figures["imports"] = i = imports.run()
        imports.show(i)
    extra = Path(__file__).resolve().parent / "reminders.py"
    if extra.exists() and (not only or "reminders" in only):
        from bench import reminders  # type: ignore[attr-defined]

        figures["reminders"] = reminders.run()
        print(f"\nreminders: {json.dumps(figures['reminders'])}")
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "latest.json").write_text(json.dumps(figures, indent=2))
    print(f"\nfigures written to {RESULTS / 'latest.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
