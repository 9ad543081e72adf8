"""Tool scorers: `tool_called`, `no_tool_errors`, `tool_args_match`, on literal traces."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from pytest_agenteval.scorers import no_tool_errors, tool_args_match, tool_called
from pytest_agenteval.scoring import Feedback, ScoreContext, Scorer
from pytest_agenteval.task import Task
from pytest_agenteval.tracing.model import ErrorInfo, ModelCall, ToolCall, ToolRequest, Trace


def grade(scorer: Scorer, trace: Trace, reference: dict[str, Any] | None = None) -> Feedback:
    task = Task(task_id="weather", inputs={"input": "Weather in Paris?"}, reference_outputs=reference)
    [feedback] = asyncio.run(scorer.score(ScoreContext(task=task, outputs={}, trace=trace)))
    return feedback


def asked_and_ran(*calls: ToolCall) -> Trace:
    """A model call requesting each tool, then the executed calls."""
    requests = tuple(ToolRequest(call.name, call.arguments) for call in calls)
    return Trace(steps=(ModelCall(model="m", tool_requests=requests), *calls, ModelCall(model="m")))


PARIS = ToolCall("get_weather", {"city": "Paris", "unit": "C"})
LYON = ToolCall("get_weather", {"city": "Lyon", "unit": "C"})
SEARCH = ToolCall("search", '{"q": "Paris events"}')  # arguments as a span carries them: a JSON string


def test_tool_called_counts_executed_calls_of_that_name() -> None:
    trace = asked_and_ran(PARIS, LYON, SEARCH)
    assert grade(tool_called("get_weather"), trace).score is True
    assert grade(tool_called("get_weather", at_least=3), trace).score is False
    assert grade(tool_called("get_weather", exactly=2), trace).score is True
    assert grade(tool_called("search", exactly=0), trace).score is False
    assert grade(tool_called("book", exactly=0), trace).score is True


def test_tool_called_comment_says_count_and_expectation() -> None:
    feedback = grade(tool_called("search", at_least=2), asked_and_ran(SEARCH))
    assert feedback.comment == "'search' ran 1 time(s); expected at least 2"
    feedback = grade(tool_called("search", exactly=0), asked_and_ran(SEARCH))
    assert feedback.comment == "'search' ran 1 time(s); expected exactly 0"


def test_tool_called_key_names_the_tool() -> None:
    assert tool_called("search").key == "tool_called[search]"
    assert grade(tool_called("search"), Trace()).key == "tool_called[search]"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"name": ""}, "tool_called: name must be a non-empty string, got ''"),
        ({"name": "s", "at_least": 0}, "tool_called: at_least must be an integer >= 1, got 0"),
        ({"name": "s", "exactly": -1}, "tool_called: exactly must be an integer >= 0, got -1"),
        ({"name": "s", "exactly": True}, "tool_called: exactly must be an integer >= 0, got True"),
        ({"name": "s", "at_least": 2, "exactly": 2}, "tool_called: give at_least or exactly, not both"),
    ],
)
def test_tool_called_rejects_bad_arguments(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        tool_called(**kwargs)


def test_no_tool_errors_passes_a_clean_run() -> None:
    feedback = grade(no_tool_errors(), asked_and_ran(PARIS, SEARCH))
    assert (feedback.key, feedback.score, feedback.comment) == ("no_tool_errors", True, None)


def test_no_tool_errors_fails_on_a_failed_tool_with_its_error() -> None:
    failed = ToolCall("get_weather", {"city": "Atlantis"}, error=ErrorInfo("KeyError", "'Atlantis'"))
    feedback = grade(no_tool_errors(), asked_and_ran(failed))
    assert (feedback.score, feedback.comment) == (False, "tool 'get_weather' failed: KeyError: 'Atlantis'")


def test_no_tool_errors_fails_a_crashed_run_that_made_no_tool_calls() -> None:
    feedback = grade(no_tool_errors(), Trace(exception=ErrorInfo("TimeoutError", "model took too long")))
    assert (feedback.score, feedback.comment) == (False, "run crashed: TimeoutError: model took too long")


def test_no_tool_errors_fails_when_a_requested_tool_never_ran() -> None:
    trace = Trace(
        steps=(
            ModelCall(tool_requests=(ToolRequest("get_weathr", {"city": "Paris"}), ToolRequest("search"))),
            SEARCH,
        )
    )
    feedback = grade(no_tool_errors(), trace)
    assert (feedback.score, feedback.comment) == (False, "model asked for tool 'get_weathr', which never ran")


def test_no_tool_errors_lists_every_problem() -> None:
    failed = ToolCall("search", error=ErrorInfo("ConnectionError", "offline"))
    trace = Trace(
        steps=(ModelCall(tool_requests=(ToolRequest("ghost"),)), failed), exception=ErrorInfo("E", "x")
    )
    assert grade(no_tool_errors(), trace).comment == (
        "run crashed: E: x; tool 'search' failed: ConnectionError: offline; "
        "model asked for tool 'ghost', which never ran"
    )


def test_tool_args_match_exact_needs_equal_arguments() -> None:
    trace = asked_and_ran(PARIS, SEARCH)
    assert grade(tool_args_match({"get_weather": {"city": "Paris", "unit": "C"}}), trace).score is True
    assert grade(tool_args_match({"get_weather": {"city": "Paris"}}), trace).score is False
    assert grade(tool_args_match({"search": {"q": "Paris events"}}), trace).score is True  # JSON string read


def test_tool_args_match_superset_allows_extra_actual_arguments() -> None:
    trace = asked_and_ran(PARIS)
    assert grade(tool_args_match({"get_weather": {"city": "Paris"}}, mode="superset"), trace).score is True
    assert grade(tool_args_match({"get_weather": {"city": "Rome"}}, mode="superset"), trace).score is False


def test_tool_args_match_subset_forbids_arguments_beyond_the_expected() -> None:
    trace = asked_and_ran(PARIS)
    wide = {"get_weather": {"city": "Paris", "unit": "C", "days": 3}}
    assert grade(tool_args_match(wide, mode="subset"), trace).score is True
    assert grade(tool_args_match({"get_weather": {"city": "Paris"}}, mode="subset"), trace).score is False


def test_tool_args_match_per_tool_modes_override_the_default() -> None:
    trace = asked_and_ran(PARIS, SEARCH)
    expected = {"get_weather": {"city": "Paris", "unit": "C"}, "search": {"q": "anything"}}
    assert grade(tool_args_match(expected), trace).score is False
    assert grade(tool_args_match(expected, per_tool_modes={"search": "ignore"}), trace).score is True


def test_tool_args_match_list_form_needs_one_distinct_call_per_expected_call() -> None:
    trace = asked_and_ran(PARIS, LYON)
    both = [{"name": "get_weather", "arguments": {"city": c, "unit": "C"}} for c in ("Lyon", "Paris")]
    assert grade(tool_args_match(both), trace).score is True
    twice = [{"name": "get_weather", "arguments": {"city": "Paris", "unit": "C"}}] * 2
    assert grade(tool_args_match(twice), trace).score is False


def test_tool_args_match_finds_a_matching_even_when_greedy_would_miss_it() -> None:
    # {"unit": "C"} fits both calls; taken greedily by the Paris call it would leave Paris unmatched.
    loose = [
        {"name": "get_weather", "arguments": {"unit": "C"}},
        {"name": "get_weather", "arguments": {"city": "Paris"}},
    ]
    assert grade(tool_args_match(loose, mode="superset"), asked_and_ran(PARIS, LYON)).score is True


def test_tool_args_match_comment_shows_expected_and_seen_arguments() -> None:
    trace = asked_and_ran(PARIS)
    feedback = grade(tool_args_match({"get_weather": {"city": "Rome"}, "search": {"q": "x"}}), trace)
    assert feedback.comment == (
        "no 'get_weather' call matches {'city': 'Rome'} (exact); "
        "arguments seen: [{'city': 'Paris', 'unit': 'C'}]; "
        "'search' never ran (expected arguments {'q': 'x'})"
    )


def test_tool_args_match_reads_reference_tool_args_when_expected_is_none() -> None:
    trace = asked_and_ran(PARIS)
    scorer = tool_args_match(mode="superset")
    assert grade(scorer, trace, {"tool_args": {"get_weather": {"city": "Paris"}}}).score is True
    assert (
        grade(scorer, trace, {"tool_args": [{"name": "get_weather", "arguments": {"city": "Rome"}}]}).score
        is False
    )
    missing = grade(scorer, trace, {"answer": "sunny"})
    assert (missing.score, missing.comment) == (False, "reference_outputs has no 'tool_args'")
    bad = grade(scorer, trace, {"tool_args": "get_weather"})
    assert bad.score is False
    assert bad.comment is not None
    assert bad.comment.startswith("reference_outputs['tool_args']: expected must be {tool: arguments}")


def test_tool_args_match_keys_name_a_mode_other_than_exact() -> None:
    assert tool_args_match({"s": {}}).key == "tool_args_match"
    assert tool_args_match({"s": {}}, mode="superset").key == "tool_args_match[superset]"
    assert tool_args_match({"s": {}}, key="weather_args").key == "weather_args"


@pytest.mark.parametrize(
    ("args", "kwargs", "message"),
    [
        (
            ({"s": {}},),
            {"mode": "fuzzy"},
            "tool_args_match: mode must be one of 'exact', 'subset', 'superset'",
        ),
        (({"s": {}},), {"per_tool_modes": {"s": "loose"}}, r"tool_args_match: per_tool_modes\['s'\] must be"),
        (({},), {}, "expected names no tool calls; give at least one"),
        (("search",), {}, "expected must be {tool: arguments} or a list of"),
        (({"search": "q=1"},), {}, "expected call 'search' needs a tool name and an arguments dict: 'q=1'"),
        (([{"arguments": {}}],), {}, "expected call None needs a tool name"),
        ((["search"],), {}, "each expected call must be a dict with 'name' and 'arguments'"),
    ],
)
def test_tool_args_match_rejects_bad_arguments(
    args: tuple[Any, ...], kwargs: dict[str, Any], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        tool_args_match(*args, **kwargs)
