"""Play a flow's example conversations through the engine, so content edits can be tested."""

from __future__ import annotations

from dataclasses import dataclass

from hotline.engine.flow import Example, Flow
from hotline.engine.runner import Context, State, advance


@dataclass(frozen=True)
class ExampleResult:
    example: Example
    problems: tuple[str, ...]

    @property
    def passed(self) -> bool:
        return not self.problems


def run_example(flow: Flow, example: Example, emergency_number: str = "911") -> ExampleResult:
    context = Context(emergency_number=emergency_number, known_contact=False)
    state: State | None = None
    problems = []
    for number, expected in enumerate(example.turns, start=1):
        turn = advance(flow, state, expected.say, context)
        state = turn.state
        context = Context(emergency_number=emergency_number, known_contact=True)
        said = f"turn {number} ('{expected.say}')"
        level = turn.state.level
        if expected.level is not None and level != int(expected.level):
            got = "none" if level is None else type(expected.level)(level).label
            problems.append(f"{said}: expected level {expected.level.label}, got {got}")
        if expected.step is not None and turn.state.step != expected.step:
            problems.append(f"{said}: expected step '{expected.step}', got '{turn.state.step}'")
        if expected.reply_contains is not None:
            wanted = expected.reply_contains.replace("{emergency}", emergency_number)
            if not any(wanted in reply.text for reply in turn.replies):
                problems.append(f"{said}: no reply contains {wanted!r}")
    return ExampleResult(example, tuple(problems))


def run_examples(flow: Flow, emergency_number: str = "911") -> list[ExampleResult]:
    return [run_example(flow, example, emergency_number) for example in flow.examples]
