"""`--eval-export-traces DIR`: each task's whole trace (the `eval.task` root and every span under it) as one
OTLP/JSON file, which OpenTelemetry's own protobuf definitions parse, with the task's id and repeat on the root."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from .helpers import read_single_run, record, write_suite

CONFTEST = '''
import pytest
from opentelemetry import trace

@pytest.fixture(scope="session")
def eval_agent():
    def agent(prompt):
        tracer = trace.get_tracer("app")
        with tracer.start_as_current_span("chat m", attributes={"gen_ai.operation.name": "chat",
                                                                 "gen_ai.request.model": "m",
                                                                 "gen_ai.usage.input_tokens": 7, "score": 0.5,
                                                                 "flags": ("a", "b"), "ok": True}):
            with tracer.start_as_current_span("execute_tool lookup",
                                              attributes={"gen_ai.operation.name": "execute_tool"}):
                pass
        return prompt
    return agent
'''


def exported(directory: Path) -> list[dict[str, Any]]:
    return [json.loads(path.read_text()) for path in sorted(directory.glob("*.json"))]


def test_each_task_x_repeat_is_one_otlp_file_with_its_root(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(CONFTEST)
    write_suite(pytester.path / "s.jsonl", [record("a"), record("b")])
    pytester.runpytest("--eval-suite=s.jsonl", "--eval-store=runs", "--eval-repeats=2",
                       "--eval-export-traces=traces").assert_outcomes(passed=4)
    documents = exported(pytester.path / "traces")
    stored = {task["trace_ref"]["trace_id"]: task for task in read_single_run(pytester.path / "runs")["tasks"]}
    assert sorted(path.stem for path in (pytester.path / "traces").glob("*.json")) == sorted(stored)
    for document in documents:
        spans = document["resourceSpans"][0]["scopeSpans"][0]["spans"]
        root, chat, tool = spans
        attributes = {item["key"]: item["value"] for item in root["attributes"]}
        task = stored[root["traceId"]]
        assert root["name"] == "eval.task" and "parentSpanId" not in root
        assert attributes["agenteval.task_id"] == {"stringValue": task["task_id"]}
        assert attributes["agenteval.repeat"] == {"intValue": str(task["repeat"])}
        assert chat["parentSpanId"] == root["spanId"] and tool["parentSpanId"] == chat["spanId"]
        assert {item["key"]: item["value"] for item in chat["attributes"]}["flags"] == {
            "arrayValue": {"values": [{"stringValue": "a"}, {"stringValue": "b"}]}}


def test_the_files_parse_as_otlp_with_opentelemetrys_own_definitions(pytester: pytest.Pytester) -> None:
    trace_service = pytest.importorskip("opentelemetry.proto.collector.trace.v1.trace_service_pb2")
    json_format = pytest.importorskip("google.protobuf.json_format")
    pytester.makeconftest(CONFTEST)
    write_suite(pytester.path / "s.jsonl", [record("a")])
    pytester.runpytest("--eval-suite=s.jsonl", "--eval-export-traces=traces").assert_outcomes(passed=1)
    (path,) = (pytester.path / "traces").glob("*.json")
    request = json_format.Parse(path.read_text(), trace_service.ExportTraceServiceRequest())
    spans = request.resource_spans[0].scope_spans[0].spans
    assert [span.name for span in spans] == ["eval.task", "chat m", "execute_tool lookup"]
    assert spans[1].parent_span_id == spans[0].span_id
    # OTLP/JSON writes ids as hex (protobuf's own JSON mapping would read them as base64): check them as written.
    raw = json.loads(path.read_text())["resourceSpans"][0]["scopeSpans"][0]["spans"]
    assert all(re.fullmatch(r"[0-9a-f]{32}", span["traceId"]) and re.fullmatch(r"[0-9a-f]{16}", span["spanId"])
               for span in raw)
    chat_attributes = {attribute.key: attribute.value for attribute in spans[1].attributes}
    assert chat_attributes["gen_ai.usage.input_tokens"].int_value == 7
    assert chat_attributes["score"].double_value == 0.5 and chat_attributes["ok"].bool_value is True


def test_a_trace_that_cannot_be_written_is_a_warning_and_the_task_keeps_its_verdict(
        pytester: pytest.Pytester) -> None:
    pytester.makeconftest(CONFTEST)
    write_suite(pytester.path / "s.jsonl", [record("a")])
    (pytester.path / "traces").write_text("a file where the directory should be")
    result = pytester.runpytest("--eval-suite=s.jsonl", "--eval-store=runs", "--eval-export-traces=traces",
                                "-W", "always::pytest_agenteval.TraceWarning")
    result.assert_outcomes(passed=1, warnings=1)
    result.stdout.fnmatch_lines(["*TraceWarning: a: trace not exported to *traces*"])
    (task,) = read_single_run(pytester.path / "runs")["tasks"]
    assert task["verdict"] == "passed" and task["trace"]["notes"][0].startswith("trace not exported")


def test_without_the_option_nothing_is_written(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(CONFTEST)
    write_suite(pytester.path / "s.jsonl", [record("a")])
    pytester.runpytest("--eval-suite=s.jsonl").assert_outcomes(passed=1)
    assert not (pytester.path / "traces").exists()
