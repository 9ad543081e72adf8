"""Tool scorers over the trace: which tools ran, whether they failed, and with what arguments."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Literal

from pytest_agenteval.scorers._checks import clip, require_choice, require_count, require_name, shorten
from pytest_agenteval.scoring.core import Feedback, Scorer
from pytest_agenteval.tracing.model import ToolCall, Trace

ArgsMode = Literal["exact", "subset", "superset", "ignore"]
ARGS_MODES: tuple[ArgsMode, ...] = ("exact", "subset", "superset", "ignore")
ExpectedCalls = list[tuple[str, dict[str, Any]]]


def tool_called(name: str, *, at_least: int = 1, exactly: int | None = None) -> Scorer:
    """Pass when tool `name` ran at least `at_least` times, or exactly `exactly` times."""
    require_name("tool_called", "name", name)
    require_count("tool_called", "at_least", at_least, minimum=1)
    if exactly is not None:
        require_count("tool_called", "exactly", exactly)
        if at_least != 1:
            raise ValueError("tool_called: give at_least or exactly, not both")
    key = f"tool_called[{name}]"

    def check(trace: Trace) -> Feedback:
        count = len(trace.tool_calls(name))
        passed = count >= at_least if exactly is None else count == exactly
        wanted = f"at least {at_least}" if exactly is None else f"exactly {exactly}"
        return Feedback(key=key, score=passed, comment=f"{name!r} ran {count} time(s); expected {wanted}")

    return Scorer(check, key=key)


def no_tool_errors() -> Scorer:
    """Pass when no tool failed, the run did not crash, and every tool the model asked for ran."""
    key = "no_tool_errors"

    def check(trace: Trace) -> Feedback:
        crash = trace.exception
        problems = [f"run crashed: {crash.type}: {clip(crash.message)}"] if crash is not None else []
        problems += [
            f"tool {call.name!r} failed: {call.error.type}: {clip(call.error.message)}"
            for call in trace.tool_errors()
            if call.error is not None
        ]
        ran = {call.name for call in trace.tool_calls()}
        asked = dict.fromkeys(request.name for call in trace.model_calls() for request in call.tool_requests)
        problems += [f"model asked for tool {name!r}, which never ran" for name in asked if name not in ran]
        return Feedback(key=key, score=not problems, comment="; ".join(problems) or None)

    return Scorer(check, key=key)


def tool_args_match(
    expected: Mapping[str, Mapping[str, Any]] | Sequence[Mapping[str, Any]] | None = None,
    *,
    mode: ArgsMode = "exact",
    per_tool_modes: Mapping[str, ArgsMode] | None = None,
    key: str | None = None,
) -> Scorer:
    """Pass when each expected call has its own executed call of that tool with matching arguments.

    Args:
        expected: `{tool: arguments}` or `[{"name": ..., "arguments": ...}]`; None reads
            `reference_outputs["tool_args"]`. Modes say what the actual arguments are to the expected ones.
    """
    require_choice("tool_args_match", "mode", mode, ARGS_MODES)
    modes = dict(per_tool_modes or {})
    for tool, tool_mode in modes.items():
        require_name("tool_args_match", "a per_tool_modes key", tool)
        require_choice("tool_args_match", f"per_tool_modes[{tool!r}]", tool_mode, ARGS_MODES)
    fixed = None if expected is None else read_expected_calls(expected)
    name = key or ("tool_args_match" if mode == "exact" else f"tool_args_match[{mode}]")

    def check(trace: Trace, reference_outputs: Mapping[str, Any] | None) -> Feedback:
        calls = fixed
        if calls is None:
            if not reference_outputs or "tool_args" not in reference_outputs:
                return Feedback(key=name, score=False, comment="reference_outputs has no 'tool_args'")
            try:
                calls = read_expected_calls(reference_outputs["tool_args"])
            except ValueError as exc:
                return Feedback(key=name, score=False, comment=f"reference_outputs['tool_args']: {exc}")
        missed = _unmatched(calls, trace.tool_calls(), lambda tool: modes.get(tool, mode))
        comments = [_describe_miss(calls[i], trace, modes.get(calls[i][0], mode)) for i in missed]
        return Feedback(key=name, score=not missed, comment="; ".join(comments) or None)

    return Scorer(check, key=name)


def read_expected_calls(expected: object) -> ExpectedCalls:
    """Read `{tool: arguments}` or `[{"name", "arguments"}]` into (name, arguments) pairs."""
    if isinstance(expected, Mapping):
        pairs = list(expected.items())
    elif isinstance(expected, Sequence) and not isinstance(expected, str):
        if not all(isinstance(item, Mapping) for item in expected):
            raise ValueError(f"each expected call must be a dict with 'name' and 'arguments': {expected!r}")
        pairs = [(item.get("name"), item.get("arguments", {})) for item in expected]
    else:
        raise ValueError(
            f"expected must be {{tool: arguments}} or a list of {{'name', 'arguments'}} dicts: {expected!r}"
        )
    if not pairs:
        raise ValueError("expected names no tool calls; give at least one")
    for tool, arguments in pairs:
        if not isinstance(tool, str) or not tool or not isinstance(arguments, Mapping):
            raise ValueError(f"expected call {tool!r} needs a tool name and an arguments dict: {arguments!r}")
    return [(tool, dict(arguments)) for tool, arguments in pairs]


def _arguments(value: Any) -> Any:
    if value is None:
        return {}
    if isinstance(value, str):  # spans often carry arguments as a JSON string
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def _arguments_match(expected: dict[str, Any], actual: Any, mode: ArgsMode) -> bool:
    if mode == "ignore":
        return True
    if not isinstance(actual, Mapping):
        return False
    if mode == "exact":
        return dict(actual) == expected
    inner, outer = (expected, actual) if mode == "superset" else (actual, expected)
    return all(name in outer and outer[name] == value for name, value in inner.items())


def _unmatched(
    expected: ExpectedCalls, calls: list[ToolCall], mode_of: Callable[[str], ArgsMode]
) -> list[int]:
    """Indexes of expected calls left over by a largest one-to-one matching (Kuhn's algorithm)."""

    def fits(tool: str, arguments: dict[str, Any], call: ToolCall) -> bool:
        return call.name == tool and _arguments_match(arguments, _arguments(call.arguments), mode_of(tool))

    candidates = [
        [j for j, call in enumerate(calls) if fits(tool, arguments, call)] for tool, arguments in expected
    ]
    owner: dict[int, int] = {}

    def assign(i: int, seen: set[int]) -> bool:
        for j in candidates[i]:
            if j not in seen:
                seen.add(j)
                if j not in owner or assign(owner[j], seen):
                    owner[j] = i
                    return True
        return False

    return [i for i in range(len(expected)) if not assign(i, set())]


def _describe_miss(call: tuple[str, dict[str, Any]], trace: Trace, mode: ArgsMode) -> str:
    tool, arguments = call
    seen = [_arguments(each.arguments) for each in trace.tool_calls(tool)]
    if not seen:
        return f"{tool!r} never ran (expected arguments {shorten(arguments)})"
    return f"no {tool!r} call matches {shorten(arguments)} ({mode}); arguments seen: {shorten(seen)}"
