"""`python -m tests.evaluation [--misses] [SET ...]`: play every set (or the named ones) and print the report.

Starts its own private redis-server (never the machine's default Redis). --misses lists individual misses, and is
refused for a sealed set: only aggregate figures are ever shown for it. Exit status 1 when a threshold is missed.
"""

from __future__ import annotations

import argparse
import logging
import sys
import time

from hotline.redis_server import RedisServer, free_port
from tests.evaluation.metrics import check, load_thresholds, summarize
from tests.evaluation.play import hotline_services, play_set
from tests.evaluation.report import format_misses, format_summary
from tests.evaluation.sets import load_set, set_dirs


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.evaluation", description=__doc__.splitlines()[0])
    parser.add_argument("sets", nargs="*", metavar="SET", help="set folder names under tests/evaluation/")
    parser.add_argument("--misses", action="store_true", help="list each miss (not for a sealed set)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)  # the hotline's INFO lines would bury the report

    found = {d.name: d for d in set_dirs()}
    unknown = [name for name in args.sets if name not in found]
    if unknown:
        parser.error(f"no such set: {', '.join(unknown)} (found: {', '.join(found) or 'none'})")
    names = args.sets or list(found)
    status = 0
    with RedisServer(port=free_port()) as server:
        for name in names:
            eval_set = load_set(found[name])
            started = time.perf_counter()
            with hotline_services(server.url) as services:
                played = play_set(services, eval_set)
            elapsed = time.perf_counter() - started
            summary = summarize(played)
            try:
                failed: list[str] | None = check(summary, load_thresholds(name))
            except KeyError as missing:
                print(f"note: {missing.args[0]}", file=sys.stderr)
                failed = None
            print(format_summary(summary, failed))
            print(f"{'Played in':<32} {elapsed:.1f} s")
            if args.misses:
                if eval_set.sealed:
                    print("(misses are not listed for a sealed set)")
                else:
                    print(format_misses(played))
            print()
            status |= bool(failed)
    return status


if __name__ == "__main__":
    sys.exit(main())
