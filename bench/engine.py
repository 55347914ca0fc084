"""Engine cost in-process: one conversation step, and one safety screen, median over many messages."""

from __future__ import annotations

import statistics
import time
from pathlib import Path

import yaml

from hotline.engine.flow import load_flow
from hotline.engine.runner import Context, State, advance
from hotline.engine.safety import screen_for_red_flags

ROOT = Path(__file__).resolve().parent.parent


def run(total: int = 10_000) -> dict[str, float]:
    flow = load_flow(ROOT / "flows")
    messages = [m["text"] for m in yaml.safe_load((ROOT / "tests/data/parent_messages.yaml").read_text())]
    messages += ["1", "2", "4", "menu", "no", "yes", "how do i soothe him"]
    context = Context(known_contact=True)
    states = [None, State(step="menu"), State(step="fever", age_days=40), State(step="result", level=0)]
    steps, screens = [], []
    for i in range(total):
        text = messages[i % len(messages)]
        start = time.perf_counter_ns()
        advance(flow, states[i % len(states)], text, context)
        steps.append(time.perf_counter_ns() - start)
        start = time.perf_counter_ns()
        screen_for_red_flags(text)
        screens.append(time.perf_counter_ns() - start)
    return {
        "messages": total,
        "step_median_us": statistics.median(steps) / 1000,
        "step_p99_us": sorted(steps)[int(0.99 * total)] / 1000,
        "screen_median_us": statistics.median(screens) / 1000,
    }
