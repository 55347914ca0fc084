"""`make bench`: measure what parents and operators feel; print a table and write bench/results/latest.json."""

from __future__ import annotations

import json
import os
import platform
import sys
from pathlib import Path

from bench import calls, engine, imports, inprocess, insights, redis_cost, servers, staff_pages, startup, webhooks

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
        kind = "compiled" if e["compiled"] else "Python source: make compile builds it"
        print(f"engine ({kind}): step median {e['step_median_us']:.0f} us (p99 {e['step_p99_us']:.0f} us), "
              f"safety screen median {e['screen_median_us']:.0f} us over {e['messages']} messages; "
              f"a 10,000-character message {e['screen_10k_chars_median_ms']:.1f} ms, "
              f"a 64 KB one {e['screen_64k_chars_ms']:.1f} ms (read up to 10,000 characters)")
    if not only or "redis" in only:
        figures["redis"] = r = redis_cost.run()
        print(f"redis: {r['round_trips_per_webhook']:.2f} round trips and {r['commands_per_webhook']:.1f} "
              f"commands per SMS webhook ({r['webhooks']} webhooks)")
    if not only or "inprocess" in only:
        figures["inprocess"] = ip = inprocess.run()
        print(f"\nSMS webhook in-process (the app's WSGI callable called directly, production settings, real Redis, "
              f"{ip['distinct_callers']:,} callers a run): {ip['cpu_ms_per_request']:.3f} ms CPU a request "
              f"(runs {', '.join(f'{v:.3f}' for v in ip['cpu_ms_runs'])}); where it goes, ms a request:")
        for name, ms in ip["split_ms"].items():
            print(f"  {ms:6.3f}  {name}")
    if not only or "voice" in only:
        figures["voice"] = v = calls.run()
        print(f"\n{calls.show(v)}")
    if not only or "webhooks" in only:
        figures["webhooks"] = rows = webhooks.run()
        print(f"\nSMS webhooks under the Procfile's web line ({webhooks.procfile_web()}),\n"
              "hotline, the stateless reference app (bench/reference_app.py) and the floor (bench/floor_app.py:\n"
              "signature, two Redis round trips, compare-and-set, idempotency, nothing else) interleaved, "
              "medians of 3 runs")
        print(f"{'app':<10}{'conc':>4} {'requests':>8} {'errors':>6} {'req/s':>7} {'p50 ms':>7} {'p90 ms':>7} "
              f"{'p99 ms':>7} {'cpu ms/req':>10} {'callers':>7}")
        for name in ("hotline", "reference", "floor"):
            for row in rows[name]:
                print(f"{name:<10}{row['concurrency']:>4} {row['requests']:>8.0f} {row['errors']:>6} "
                      f"{row['rps']:>7.0f} {row['p50_ms']:>7.1f} {row['p90_ms']:>7.1f} {row['p99_ms']:>7.1f} "
                      f"{row['server_cpu_ms_per_request']:>10.2f} {row['distinct_callers']:>7.0f}")
        pairs = zip(rows["hotline"], rows["reference"], strict=True)
        ratios = " / ".join(f"{h['rps'] / r['rps']:.2f}" for h, r in pairs)
        print(f"hotline req/s as a ratio of the reference's at c=1/8/32: {ratios}")
        floor = " / ".join(f"{f['rps'] / r['rps']:.2f}" for f, r in zip(rows["floor"], rows["reference"], strict=True))
        print(f"floor req/s as a ratio of the reference's at c=1/8/32: {floor}")
    if not only or "servers" in only:
        figures["servers"] = compared = servers.compare()
        print("\nServer comparison (python -m bench servers: each line as the Procfile's web line; one run each,"
              " cpu = server CPU ms a request, median over c=1/8/32; ratio = hotline / reference req/s)")
        print(servers.table(compared))
    if not only or "startup" in only:
        figures["startup"] = s = startup.run()
        print(f"\nstart-up: `hotline dev` to first answered webhook in {s['seconds_to_first_webhook']:.2f} s")
    if not only or "staff" in only:
        figures["staff"] = p = staff_pages.run()
        print(f"\nstaff pages with {p['enrollments']:,} enrollments ({p['ended']} ended on an error), median ms:")
        for path, ms in p["median_ms"].items():
            print(f"  {path:<40} {ms:>7.1f}")
    if not only or "insights" in only:
        figures["insights"] = ins = insights.run()
        print(f"\ninsights page with {ins['conversations']:,} conversations' counters over {ins['days']} days "
              f"({ins['fields']:,} counters), median ms:")
        for path, ms in ins["median_ms"].items():
            print(f"  {path:<48} {ms:>7.1f}")
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
