"""Engine cost in-process: one conversation step, and one safety screen, median over many messages."""

from __future__ import annotations

import gc
import statistics
import time
from pathlib import Path

import yaml

from hotline.engine import reading
from hotline.engine.flow import load_flow
from hotline.engine.runner import Context, State, advance
from hotline.engine.safety import detect_language, screen_for_red_flags
from hotline.engine.text import _raw_words, _with_numbers

# Pure functions of one message, remembered for the next call about the same message within a step.
_MESSAGE_CACHES = (detect_language, _raw_words, _with_numbers)

ROOT = Path(__file__).resolve().parent.parent


def run(total: int = 10_000) -> dict[str, float]:
    flow = load_flow(ROOT / "flows")
    gc.freeze()  # what is loaded is kept out of the collector's scans, as the web process does (hotline.web_app)
    # The independent development sets (tests/evaluation/*/messages.yaml): what parents really write.
    messages = [m["text"] for path in sorted((ROOT / "tests/evaluation").glob("*/messages.yaml"))
                if path.parent.name != "sealed" for m in yaml.safe_load(path.read_text())]
    messages += ["1", "2", "4", "menu", "no", "yes", "how do i soothe him"]
    context = Context(known_contact=True)
    states = [None, State(step="menu"), State(step="fever", age_days=40), State(step="result", level=0)]
    steps, screens = [], []
    for i in range(total):
        text = messages[i % len(messages)]
        start = time.perf_counter_ns()
        advance(flow, states[i % len(states)], text, context)
        steps.append(time.perf_counter_ns() - start)
        for cache in _MESSAGE_CACHES:  # the screen alone, as if the step had not just read the same message
            cache.cache_clear()
        start = time.perf_counter_ns()
        screen_for_red_flags(text)
        screens.append(time.perf_counter_ns() - start)
    # The worst case a webhook can be handed: a 10,000-character message (the body cap allows more, but
    # Twilio concatenates at most 10 segments of 153-160 characters; this is a margin for hostile input).
    long_message = ("my 3 week old has shaky legs, no fever, eating ok, she's not floppy. " * 150)[:10_000]
    longs = []
    for _ in range(20):
        start = time.perf_counter_ns()
        screen_for_red_flags(long_message)
        longs.append(time.perf_counter_ns() - start)
    hostile = ("no fever, not floppy, " * 3000)[:64_000]  # the webhook's whole body cap, all denials
    start = time.perf_counter_ns()
    screen_for_red_flags(hostile)
    hostile_ms = (time.perf_counter_ns() - start) / 1e6
    return {
        "compiled": float(not (reading.__file__ or "").endswith(".py")),  # 1: the mypyc build (make compile) ran
        "messages": total,
        "step_median_us": statistics.median(steps) / 1000,
        "step_p99_us": sorted(steps)[int(0.99 * total)] / 1000,
        "screen_median_us": statistics.median(screens) / 1000,
        "screen_10k_chars_median_ms": statistics.median(longs) / 1e6,
        "screen_64k_chars_ms": hostile_ms,
    }
