"""The human-readable report: aggregates for any set; individual misses only for a set that is not sealed."""

from __future__ import annotations

from tests.evaluation.metrics import INSTRUCTION_WINDOW, Confusion, Summary, guided
from tests.evaluation.play import Played
from tests.evaluation.sets import LEVELS, RANK


def _fraction(hits: int, total: int) -> str:
    return f"{hits / total:.3f} ({hits}/{total})" if total else "n/a (0)"


def matrix(title: str, m: Confusion) -> list[str]:
    width = 10
    lines = [title, "  label \\ predicted " + "".join(f"{p:>{width}}" for p in LEVELS) + f"{'total':>8}{'exact':>8}"]
    for label in LEVELS:
        row = m[label]
        total = sum(row.values())
        if not total:
            continue
        lines.append(f"  {label:<18}" + "".join(f"{row[p]:>{width}}" for p in LEVELS)
                     + f"{total:>8}{row[label] / total:>8.2f}")
    return lines


def format_summary(s: Summary, failed: list[str] | None = None) -> str:
    lines = [f"=== Triage evaluation: {s.name} ({s.messages} messages, {s.conversations} conversations) ===", ""]
    lines += matrix("Confusion matrix, all messages (rows = label, columns = predicted):", s.confusion)
    for kind, groups in (("language", s.by_language), ("channel", s.by_channel)):
        for key, m in groups.items():
            n = sum(sum(row.values()) for row in m.values())
            lines += ["", *matrix(f"By {kind}: {key} ({n} messages)", m)]
    under = ", ".join(f"{label} {s.under_by_label[label]}" for label in LEVELS if RANK[label] > 0)
    late = (f"{s.emergency_instruction_late} of {s.emergency_total} (911 not in the first {INSTRUCTION_WINDOW} "
            f"characters after the welcome; {s.emergency_instruction_late_raw} counting the welcome)")
    mention = (f"{_fraction(s.must_mention_hits, s.must_mention_total)} without welcome and menu; "
               f"{_fraction(s.must_mention_hits_raw, s.must_mention_total)} on the whole reply")
    figures = [
        ("Exact level accuracy", _fraction(s.exact_hits, s.messages)),
        ("Under-triage by label", under),
        ("Emergency recall", f"{_fraction(s.emergency_total - s.emergency_missed, s.emergency_total)}, "
                             f"missed {s.emergency_missed}"),
        ("Emergency instruction late", late),
        ("Urgent-or-above below urgent", str(s.urgent_under)),
        ("Home answered emergency", _fraction(s.home_to_emergency, s.home_total)),
        ("Guidance rate", _fraction(s.guidance_hits, s.guidance_total)),
        ("must_mention hit rate", mention),
        ("Conversation turn accuracy", _fraction(s.conversation_turns_held, s.conversation_turns)),
        ("Conversations fully held", _fraction(s.conversations_all_held, s.conversations)),
        ("Conversation emergencies missed", f"{s.conversation_emergency_missed} of {s.conversation_emergency_turns}"
                                            " emergency turns"),
    ]
    lines += [""] + [f"{name:<32} {value}" for name, value in figures]
    if failed is not None:
        lines += ["", "Thresholds: all met" if not failed else "Thresholds MISSED:", *(f"  - {f}" for f in failed)]
    return "\n".join(lines)


def _short(text: str, limit: int = 110) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def format_misses(played: Played) -> str:
    """Each wrong level, missing must_mention and wrong conversation turn. Refused for a sealed set."""
    if played.sealed:
        raise PermissionError(f"set {played.name!r} is sealed: only aggregate figures may be shown")
    from tests.evaluation.replies import mentions

    lines = ["", "Level misses (id, label -> predicted, channel/lang, text):"]
    misses = sorted((p for p in played.messages if p.heard.level != p.message.level),
                    key=lambda p: (-RANK[p.message.level], p.message.id))
    lines += [f"  {p.message.id:<7} {p.message.level:>9} -> {p.heard.level:<9} "
              f"{p.message.channel}/{p.message.lang}  {_short(p.message.text)}" for p in misses]
    lines += ["", "must_mention misses (id, wanted, reply without welcome and menu):"]
    lines += [f"  {p.message.id:<7} {list(p.message.must_mention)!s:<18} {_short(p.substance, 90) or '(empty)'}"
              for p in played.messages if p.message.must_mention and not mentions(p.substance, p.message.must_mention)]
    lines += ["", "Not guided: no article section recorded, or only the welcome and menu (id, label, reply):"]
    lines += [f"  {p.message.id:<7} {p.message.level:>9}  {_short(p.substance, 90) or '(empty)'}"
              for p in played.messages if p.message.level != "none" and not guided(p)]
    lines += ["", "Conversation turns not held (id, turn, expected -> held, text):"]
    for c in played.conversations:
        for index, t in enumerate(c.turns, 1):
            if t.expect is not None and t.held != t.expect:
                lines.append(f"  {c.conversation.id:<5} {index}  {t.expect:>9} -> {t.held:<9} "
                             f"{c.conversation.channel}/{c.conversation.lang}  {_short(t.say)}")
    return "\n".join(lines)
