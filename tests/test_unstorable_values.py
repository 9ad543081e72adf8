"""A value that cannot be stored as it is (non-UTF-8 bytes, cycles, a repr that raises, lone surrogates, huge or
deep or non-finite values) is stored in a marked, truncated form and its item fails as an error naming the field;
the task is never missing and the run file is always strict JSON that `agenteval show` reads."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Any

import pytest

from pytest_agenteval.results.models import TaskResult
from pytest_agenteval.results.storable import MAX_DEPTH, MAX_TEXT, Problems, storable
from pytest_agenteval.run.grade import Evaluation, to_task_result
from pytest_agenteval.scoring.core import Feedback
from pytest_agenteval.task import Task
from pytest_agenteval.tracing.model import ErrorInfo, Trace

HOSTILE_CONFTEST = '''
import pytest
from pytest_agenteval import Feedback, scorer

class BadRepr:
    def __repr__(self):
        raise RuntimeError("no repr")
    def __str__(self):
        return "a BadRepr"

class Unprintable:
    def __repr__(self):
        raise RuntimeError("no repr")
    __str__ = __repr__

def nested(depth):
    value = []
    for _ in range(depth):
        value = [value]
    return value

@scorer
def details(inputs):
    if inputs["input"] == "detail-bytes":
        return Feedback(key="details", score=True, detail={"raw": b"\\xff\\xfe"})
    if inputs["input"] == "detail-huge-int":
        return Feedback(key="details", score=True, detail={"n": 10 ** 5000})
    return True

@pytest.fixture(scope="session")
def eval_agent():
    def agent(prompt):
        cyclic = {}
        cyclic["self"] = cyclic
        looped = []
        looped.append(looped)
        return {
            "bytes": b"\\xff\\xfe", "cyclic-dict": cyclic, "cyclic-list": looped, "bad-repr": BadRepr(),
            "surrogate": "a\\ud800b", "nan": {"n": float("nan")}, "deep": nested(150),
            "huge-text": "x" * 10_000_001, "unprintable": Unprintable(),
        }.get(prompt, prompt)
    return agent

@pytest.fixture
def eval_scorers():
    return [details]
'''
# task id -> (the stored field that holds the marked value, what the error message says)
HOSTILE = {
    "bytes": ("outputs.content", "bytes that are not valid UTF-8 at outputs.content"),
    "cyclic-dict": ("outputs.content.self", "a reference cycle at outputs.content.self"),
    "cyclic-list": ("outputs.content.0", "a reference cycle at outputs.content[0]"),
    "bad-repr": ("outputs.content", "an object whose repr raises RuntimeError at outputs.content"),
    "surrogate": ("outputs.body", "text with a lone surrogate at outputs.body"),
    "nan": ("outputs.content.n", "nan, which JSON cannot hold at outputs.content.n"),
    "deep": ("outputs.content" + ".0" * MAX_DEPTH, f"nested deeper than {MAX_DEPTH} levels at outputs.content"),
    "huge-text": ("outputs.body", f"text longer than {MAX_TEXT:,} characters at outputs.body"),
    "detail-bytes": ("feedback.0.detail.raw", "bytes that are not valid UTF-8 at feedback.details.detail.raw"),
    "detail-huge-int": ("feedback.0.detail.n", "an integer too large to read back at feedback.details.detail.n"),
}


def write_suite(path: Path, task_ids: list[str]) -> None:
    path.write_text("".join(json.dumps({"task_id": t, "inputs": {"input": t}}) + "\n" for t in task_ids),
                    encoding="utf-8")


def at(value: Any, dotted: str) -> Any:
    for part in dotted.split("."):
        value = value[int(part)] if isinstance(value, list) else value[part]
    return value


def strict_json(text: str) -> Any:
    def refuse(constant: str) -> Any:
        raise AssertionError(f"{constant} is not JSON")
    return json.loads(text, parse_constant=refuse)


@pytest.mark.parametrize("dist", [[], ["-n", "2"]], ids=["single", "xdist"])
def test_each_unstorable_value_is_stored_marked_and_fails_its_item_while_the_run_stays_readable(
        pytester: pytest.Pytester, dist: list[str]) -> None:
    pytester.makeconftest(HOSTILE_CONFTEST)
    write_suite(pytester.path / "s.jsonl", [*HOSTILE, "unprintable", "plain"])
    result = pytester.runpytest("--eval-suite=s.jsonl", "--eval-store=runs", *dist)
    result.assert_outcomes(passed=1, failed=len(HOSTILE) + 1)
    result.stdout.fnmatch_lines(["*result not stored as it is, kept in a safe marked form: "
                                 "bytes that are not valid UTF-8 at outputs.content"])
    (path,) = (pytester.path / "runs").glob("*.json")
    run = strict_json(path.read_text(encoding="utf-8"))
    tasks = {task["task_id"]: task for task in run["tasks"]}
    assert sorted(tasks) == sorted([*HOSTILE, "unprintable", "plain"])
    for task_id, (field, message) in HOSTILE.items():
        stored = tasks[task_id]
        assert stored["verdict"] == "error", task_id
        assert stored["exception"]["type"] == "UnstorableValue", task_id
        assert message in stored["exception"]["message"], (task_id, stored["exception"]["message"])
        marked = at(stored, field)
        assert set(marked) == {"unstorable", "type", "repr"} and len(marked["repr"]) <= 200, (task_id, marked)
    assert tasks["bytes"]["outputs"]["content"] == {"unstorable": "bytes that are not valid UTF-8", "type": "bytes",
                                                   "repr": "b'\\xff\\xfe'"}
    assert tasks["cyclic-dict"]["outputs"]["body"] == "{'self': {...}}"  # the rest of the output is kept
    assert tasks["unprintable"]["verdict"] == "error"  # neither str nor repr works: kept, as an error
    assert tasks["plain"]["verdict"] == "passed"
    assert run["aggregates"]["errors"] == len(HOSTILE) + 1
    shown = subprocess.run([sys.executable, "-m", "pytest_agenteval", "show", str(path)], capture_output=True,
                           text=True, timeout=120, check=False)
    assert shown.returncode == 0, shown.stderr
    assert "tasks: 12 items, 1 passed, 0 failed, 11 errors" in shown.stdout


class Opaque:
    def __repr__(self) -> str:
        return "<Opaque>"


class RaisingRepr:
    def __repr__(self) -> str:
        raise ValueError("no")


def cycle() -> dict[str, Any]:
    value: dict[str, Any] = {}
    value["me"] = [value]
    return value


def deep(levels: int) -> list[Any]:
    value: list[Any] = []
    for _ in range(levels):
        value = [value]
    return value


@pytest.mark.parametrize(("value", "why", "where"), [
    pytest.param(b"\xff", "bytes that are not valid UTF-8", "outputs.v", id="bytes"),
    pytest.param(cycle(), "a reference cycle", "outputs.v.me[0]", id="cycle"),
    pytest.param(RaisingRepr(), "an object whose repr raises ValueError", "outputs.v", id="repr-raises"),
    pytest.param("\udfff", "text with a lone surrogate", "outputs.v", id="surrogate"),
    pytest.param(10 ** 5000, "an integer too large to read back", "outputs.v", id="huge-int"),
    pytest.param(float("-inf"), "-inf, which JSON cannot hold", "outputs.v", id="infinity"),
    pytest.param(deep(MAX_DEPTH + 5), f"nested deeper than {MAX_DEPTH} levels", "outputs.v" + "[0]" * (MAX_DEPTH - 1),
                 id="too-deep"),
    pytest.param(["x"] * 1_000_001, "more than 1,000,000 elements", "outputs.v", id="too-many-elements"),
])
def test_storable_never_raises_and_names_what_it_marked(value: Any, why: str, where: str) -> None:
    problems: Problems = []
    stored = storable({"v": value}, "outputs", problems)
    json.dumps(stored, allow_nan=False).encode("utf-8")  # strict JSON, always
    assert problems == [(where, why)]


def test_storable_keeps_a_value_just_under_the_depth_bound() -> None:
    problems: Problems = []
    assert storable({"v": deep(MAX_DEPTH - 2)}, "outputs", problems) == {"v": deep(MAX_DEPTH - 2)}
    assert problems == []


def test_storable_keeps_what_json_can_hold_without_a_problem() -> None:
    problems: Problems = []
    value: Mapping[Any, Any] = MappingProxyType({"text": b"caf\xc3\xa9", "set": {3}, "tuple": (1, 2.5),
                                                 "object": Opaque(), 7: None})
    assert storable(value, "outputs", problems) == {"text": "caf\u00e9", "set": [3], "tuple": [1, 2.5],
                                                    "object": "<Opaque>", "7": None}
    assert problems == []


def test_surrogates_in_inputs_reference_and_the_agents_error_make_an_error_result_that_serializes() -> None:
    task = Task(task_id="t", inputs={"input": "a\ud800"}, reference_outputs={"x": "\udfff"}, suite="s.jsonl",
                line=1)
    crash = ErrorInfo("ValueError", "bad \ud800 value")
    evaluation = Evaluation(task, {}, Trace(input=task.input, exception=crash),
                            (Feedback(key="k", score=False, comment="c\udc80"),), ())
    result = to_task_result(evaluation, node_id="s.jsonl::t", worker="main")
    stored = strict_json(result.model_dump_json())
    assert stored["verdict"] == "error"
    assert stored["exception"] == {"type": "ValueError", "message": "bad \\ud800 value"}  # the agent's cause first
    (note,) = stored["trace"]["notes"]
    assert note.startswith("UnstorableValue: ") and "inputs.input" in note and "reference_outputs.x" in note
    assert stored["inputs"]["input"]["unstorable"] == "text with a lone surrogate"
    assert stored["feedback"][0]["comment"] == "c\\udc80"
    TaskResult.model_validate(stored)


def test_a_fixture_error_holding_a_lone_surrogate_reaches_the_xdist_controller(pytester: pytest.Pytester) -> None:
    pytester.makeconftest('''
import pytest

@pytest.fixture(scope="session")
def eval_agent():
    raise ValueError("bad \\udcff byte")
''')
    write_suite(pytester.path / "s.jsonl", ["a"])
    result = pytester.runpytest("--eval-suite=s.jsonl", "--eval-store=runs", "-n", "2")
    result.assert_outcomes(errors=1)  # execnet refuses such text: unescaped, the report never arrived
    (path,) = (pytester.path / "runs").glob("*.json")
    (stored,) = strict_json(path.read_text(encoding="utf-8"))["tasks"]
    assert stored["exception"]["type"] == "ValueError"
    assert stored["exception"]["message"] == "bad \\udcff byte"
