"""`--eval-traces`: stored traces graded without calling the agent. The traces a live run exported grade to the
live run's feedback and tokens, and to what AG2's `evaluate_traces` makes of the same files; OTLP JSONL, Tempo
responses (base64 ids) and AG2's own trace files load; a task without a trace is its own error."""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from .helpers import TESTS_IMPORTABLE, load_run_json, record, write_suite

ag2_eval = pytest.importorskip("ag2.eval", reason="needs the frameworks extra")

LIVE = TESTS_IMPORTABLE + '''
import pytest
from tests.ag2_weather import ag2_scorers, build_agent

@pytest.fixture(scope="session")
def eval_agent():
    return build_agent()

@pytest.fixture
def eval_scorers():
    return ag2_scorers()
'''
STORED = TESTS_IMPORTABLE + '''
import pytest
from tests.ag2_weather import ag2_scorers

@pytest.fixture(scope="session")
def eval_agent():
    raise AssertionError("grading stored traces must not ask for the agent")

@pytest.fixture
def eval_scorers():
    return ag2_scorers()
'''
RECORDS = [
    record("weather", "weather in Paris", reference_outputs={"answer": "sunny", "city": "Paris"}, tags=["tools"]),
    record("forecast", "forecast in Oslo", reference_outputs={"answer": "sunny", "city": "Oslo"}, tags=["tools"]),
    record("crash", reference_outputs={"answer": "anything"}),
    record("hello", reference_outputs={"answer": "hello"}),
]


def graded(task: dict[str, Any]) -> tuple[Any, ...]:
    """What grading decides for a task: verdict, error, every feedback, tokens, model and tool calls."""
    feedback = [(fb["key"], fb["score"], fb["value"], fb["comment"], fb["passed"]) for fb in task["feedback"]]
    return (task["verdict"], task["exception"], feedback, task["tokens"], task["trace"]["model_calls"],
            task["trace"]["tool_calls"], task["outputs"].get("body"))


def graded_run(path: Path) -> dict[str, tuple[Any, ...]]:
    return {task["task_id"]: graded(task) for task in load_run_json(path)["tasks"]}


@pytest.fixture
def exported(pytester: pytest.Pytester) -> pytest.Pytester:
    """A live run of the AG2 weather agent that exported its traces to `traces/`."""
    pytester.makeconftest(LIVE)
    write_suite(pytester.path / "s.jsonl", RECORDS)
    live = pytester.runpytest("s.jsonl", "--eval-store=runs", "--eval-run-id=live", "--eval-export-traces=traces",
                              "--eval-repeats=2")
    live.assert_outcomes(failed=8)  # token_budget(60) fails the tool tasks, fragile crashes on "crash"
    pytester.makeconftest(STORED)
    return pytester


@pytest.mark.parametrize("workers", [(), ("-n", "2")], ids=["single", "xdist"])
def test_exported_traces_grade_to_the_live_runs_feedback_and_tokens(exported: pytest.Pytester,
                                                                    workers: tuple[str, ...]) -> None:
    result = exported.runpytest("s.jsonl", "--eval-store=runs", "--eval-run-id=stored", "--eval-traces=traces",
                                "--eval-repeats=2", *workers)
    result.assert_outcomes(failed=8)
    live = graded_run(exported.path / "runs" / "live.json")
    assert graded_run(exported.path / "runs" / "stored.json") == live
    assert load_run_json(exported.path / "runs" / "stored.json")["config"]["traces"] == [
        str(exported.path / "traces")]
    assert live["weather#1"][3]["total"] > 0 and live["weather#1"][5] == 1  # the traces carried tokens and a tool
    assert live["crash#2"][1] == {"type": "ValueError", "message": "provider exploded"}


def test_ag2_evaluate_traces_grades_the_exported_traces_alike(exported: pytest.Pytester) -> None:
    from ag2.eval.sources import TraceRef
    from ag2.eval.sources._otlp_json import otlp_json_to_spans
    from ag2.eval.sources._spans import spans_to_trace

    from .ag2_weather import ag2_scorers

    class ExportedTraces:
        """AG2's TraceSource protocol over our exported OTLP/JSON files, parsed by AG2's own OTLP reader."""

        def __init__(self, directory: Path) -> None:
            self.documents = {path.stem: json.loads(path.read_text()) for path in directory.glob("*.json")}

        async def list(self) -> AsyncIterator[TraceRef]:
            for trace_id, document in sorted(self.documents.items()):
                root = next(span for span in otlp_json_to_spans(document) if span.name == "eval.task")
                yield TraceRef(trace_id=trace_id, task_id=str(root.attributes["agenteval.task_id"]))

        async def load(self, ref: TraceRef) -> Any:
            return spans_to_trace(otlp_json_to_spans(self.documents[ref.trace_id]))

    suite = ag2_eval.Suite.from_list([dict(each) for each in RECORDS])
    repeated = ag2_eval.Suite.from_list([{**dict(each), "task_id": f"{each['task_id']}#{k}"}
                                          for each in RECORDS for k in (1, 2)])
    assert len(suite) == 4
    theirs = asyncio.run(ag2_eval.evaluate_traces(ExportedTraces(exported.path / "traces"), scorers=ag2_scorers(),
                                                  store_dir=exported.path / "ag2runs", suite=repeated))
    exported.runpytest("s.jsonl", "--eval-store=runs", "--eval-run-id=stored", "--eval-traces=traces",
                       "--eval-repeats=2")
    ours = {task["task_id"]: task for task in load_run_json(exported.path / "runs" / "stored.json")["tasks"]}
    compared = 0
    for task in theirs.tasks:
        if task.task.task_id.startswith("crash"):
            continue  # AG2 grades a crashed run's trace reference-free; ours keeps it an error
        mine = {fb["key"]: fb["score"] for fb in ours[task.task.task_id]["feedback"]}
        assert {fb.key: fb.score for fb in task.feedback} == mine, task.task.task_id
        compared += len(mine)
    assert compared >= 6 * 7  # six graded tasks, seven or eight scorers each: never an empty comparison


def test_collector_jsonl_tempo_batches_and_ag2_trace_files_load(exported: pytest.Pytester) -> None:
    traces = sorted((exported.path / "traces").glob("*.json"))
    documents = [json.loads(path.read_text()) for path in traces]
    mixed = exported.path / "mixed"
    mixed.mkdir()
    # The collector's file exporter: one OTLP document per line.
    (mixed / "collector.jsonl").write_text("".join(json.dumps(doc) + "\n" for doc in documents[:3]))
    # Tempo's GET /api/traces/{id}: `batches`, ids in base64 (protobuf's JSON mapping).
    for doc in documents[3:6]:
        for scope in doc["resourceSpans"][0]["scopeSpans"]:
            for span in scope["spans"]:
                for field in ("traceId", "spanId", "parentSpanId"):
                    if field in span:
                        span[field] = base64.b64encode(bytes.fromhex(span[field])).decode()
        (mixed / f"tempo-{documents.index(doc)}.json").write_text(json.dumps({"batches": doc["resourceSpans"]}))
    # AG2's DirectoryTraceSource files, written by AG2's own save_trace.
    from ag2.eval.sources._otlp_json import otlp_json_to_spans
    from ag2.eval.sources.trace_source import save_trace

    for doc in documents[6:]:
        spans = otlp_json_to_spans(doc)
        root = next(span for span in spans if span.name == "eval.task")
        save_trace(mixed / "ag2", root.attributes["agenteval.run_id"] + str(documents.index(doc)), spans,
                   task_id=str(root.attributes["agenteval.task_id"]))
    result = exported.runpytest("s.jsonl", "--eval-store=runs", "--eval-run-id=mixed", "--eval-traces=mixed",
                                "--eval-repeats=2")
    result.assert_outcomes(failed=8)
    assert graded_run(exported.path / "runs" / "mixed.json") == graded_run(exported.path / "runs" / "live.json")


def test_a_task_without_a_trace_is_its_error_and_a_bad_file_is_named(exported: pytest.Pytester) -> None:
    traces = exported.path / "traces"
    weather = next(path for path in traces.glob("*.json") if '"weather#2"' in path.read_text())
    weather.unlink()
    (traces / "broken.jsonl").write_text('{"resourceSpans": []}\n{not json\n')
    hello = next(path for path in traces.glob("*.json") if '"hello#1"' in path.read_text())
    (traces / "copy.json").write_text(hello.read_text())  # the same trace twice is one trace
    (traces / "other.json").write_text(hello.read_text().replace(hello.stem, "f" * 32))  # another trace: ambiguous
    result = exported.runpytest("s.jsonl", "--eval-store=runs", "--eval-run-id=holes", "--eval-traces=traces",
                                "--eval-repeats=2")
    result.assert_outcomes(failed=8)
    tasks = {task["task_id"]: task for task in load_run_json(exported.path / "runs" / "holes.json")["tasks"]}
    assert len(tasks) == 8
    assert tasks["weather#2"]["exception"]["type"] == "MissingTraceError"
    assert tasks["weather#2"]["failed_in"] == "--eval-traces"
    assert "broken.jsonl:2: not JSON" in tasks["weather#2"]["exception"]["message"]
    assert tasks["hello#1"]["exception"]["type"] == "AmbiguousTraceError"
    assert tasks["weather#1"]["verdict"] == "failed" and tasks["weather#1"]["exception"] is None
    result.stdout.fnmatch_lines(["*TraceWarning: --eval-traces: *broken.jsonl:2: not JSON*"])


def test_a_path_that_does_not_exist_is_a_usage_error(exported: pytest.Pytester) -> None:
    result = exported.runpytest("s.jsonl", "--eval-traces=nowhere")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*--eval-traces: no such file or directory: *nowhere*"])


def test_the_task_id_attribute_is_configurable(exported: pytest.Pytester) -> None:
    renamed = exported.path / "renamed"
    renamed.mkdir()
    for path in (exported.path / "traces").glob("*.json"):
        (renamed / path.name).write_text(path.read_text().replace('"agenteval.task_id"', '"app.case"'))
    unnamed = exported.runpytest("s.jsonl", "--eval-traces=renamed", "--eval-repeats=2")
    unnamed.stdout.fnmatch_lines(["*names no task (no span has agenteval.task_id or ag2.eval.task_id)*"])
    exported.runpytest("s.jsonl", "--eval-traces=renamed", "--eval-trace-task-attribute=app.case",
                       "--eval-repeats=2", "--eval-store=runs", "--eval-run-id=renamed")
    assert graded_run(exported.path / "runs" / "renamed.json") == graded_run(exported.path / "runs" / "live.json")


def test_a_trace_without_the_plugins_root_span_answers_with_its_last_model_response(
        exported: pytest.Pytester) -> None:
    from ag2.eval.sources._otlp_json import otlp_json_to_spans
    from ag2.eval.sources.trace_source import save_trace

    foreign = exported.path / "foreign"
    for path in (exported.path / "traces").glob("*.json"):
        spans = otlp_json_to_spans(json.loads(path.read_text()))
        root = next(span for span in spans if span.name == "eval.task")
        if "crash" not in str(root.attributes["agenteval.task_id"]):  # a crash is recorded on the root only
            save_trace(foreign, path.stem, [span for span in spans if span is not root],  # as AG2 writes its own
                       task_id=str(root.attributes["agenteval.task_id"]))
    exported.runpytest("s.jsonl", "--eval-store=runs", "--eval-run-id=foreign", "--eval-traces=foreign",
                       "--eval-repeats=2")
    live = graded_run(exported.path / "runs" / "live.json")
    again = graded_run(exported.path / "runs" / "foreign.json")
    graded = [task_id for task_id in live if not task_id.startswith("crash")]
    assert {task_id: again[task_id] for task_id in graded} == {task_id: live[task_id] for task_id in graded}
    assert live["weather#1"][6] == "It is sunny in Paris."  # the answer came from the last model call's text
