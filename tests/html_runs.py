"""Stored runs for the HTML report's tests and benchmark: any size, with repeats, traces, variants (summarized by
`build_run`, as the plugin does), a baseline and hostile text, built from the run file's own models (the renderer's
only input)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pytest_agenteval.results.build import build_run
from pytest_agenteval.results.compare import compare
from pytest_agenteval.results.models import (
    FeedbackRecord,
    GateRecord,
    RunConfig,
    RunResult,
    TaskResult,
)
from pytest_agenteval.results.verdicts import judge

# Each tries a different way out of text: a script block, its end tag, an event handler, a link, a JS line break,
# markup in entities, text reversed by a bidi override.
PAYLOADS = (
    "<script>window.__pwned = 1; alert(1)</script>",
    "</script><script>window.__pwned = 2; alert(2)</script>",
    '<img src=x onerror="window.__pwned = 3; alert(3)">',
    "javascript:window.__pwned = 4",
    "line\u2028separator\u2029paragraph",
    '"><svg onload="window.__pwned = 5">',
    "<!-- <script>window.__pwned = 6</script>",
    "&lt;b&gt;not bold&lt;/b&gt; &amp; <b>nor this</b>",
    "invoice\u202efdp.exe \x1b[2J\x1b]0;title\x07",  # a bidi override that reverses text; terminal controls
)
TAGS = ("smoke", "tools", "math", "adversarial", "long")
SCORERS = ("answer", "tool_used")


def trace(index: int, hostile: str | None, tool_error: bool) -> dict[str, Any]:
    """An agent step holding a model call that asks for a tool, the tool call, and a final model call."""
    agent, model = f"agent-{index}", f"model-{index}"
    query = hostile if hostile is not None else f"query {index}"
    error = {"type": "TimeoutError", "message": hostile or "search backend timed out"} if tool_error else None
    return {
        "steps": [
            {"kind": "agent", "name": "research_agent", "span_id": agent, "duration_ms": 40.0 + index % 17},
            {"kind": "model_call", "model": "gpt-4o-mini", "provider": "openai", "span_id": model, "parent_id": agent,
             "tokens": {"input": 120 + index % 50, "output": 18, "cache_read": 0, "cache_write": 0, "reasoning": 0},
             "tool_requests": [{"name": "search", "arguments": {"query": query}, "call_id": f"call-{index}"}],
             "finish_reason": "tool_calls", "duration_ms": 12.5},
            {"kind": "tool_call", "name": "search", "arguments": {"query": query, "limit": 3},
             "span_id": f"tool-{index}", "parent_id": agent,
             "result": None if tool_error else {"hits": [hostile or f"hit {index}"]},
             "error": error, "call_id": f"call-{index}", "duration_ms": 5.0},
            {"kind": "model_call", "model": "gpt-4o-mini", "provider": "openai", "span_id": f"final-{index}",
             "parent_id": agent, "tokens": {"input": 160, "output": 24, "cache_read": 64, "cache_write": 0,
                                           "reasoning": 0},
             "output_text": hostile or f"answer {index}", "finish_reason": "stop", "duration_ms": 14.0},
        ],
        "input": query, "output": hostile or f"answer {index}", "model_calls": 2, "tool_calls": 1,
    }


def task(index: int, *, suites: int, repeat: int, variant: str | None, failing: bool,
         hostile: str | None) -> TaskResult:
    base_id = hostile if hostile is not None else f"task-{index:05d}"
    suite = f"evals/suite-{index % suites}.jsonl"
    crashed = failing and index % 7 == 0
    tool_error = failing and index % 5 == 0
    feedback = [
        FeedbackRecord(key="answer", score=not failing, passed=not failing,
                       comment=hostile or (f"expected 'answer {index}', got 'wrong {index}'" if failing else None)),
        FeedbackRecord(key="tool_used", score=not tool_error, passed=not tool_error,
                       comment="search raised TimeoutError" if tool_error else None),
    ]
    data: dict[str, Any] = {
        "task_id": base_id if repeat == 1 and variant is None else f"{base_id}#{repeat}",
        "base_task_id": base_id, "repeat": repeat, "suite": suite, "line": index + 1,
        "node_id": f"{suite}::{base_id}", "variant": variant,
        "inputs": {"input": hostile or f"What is the answer to question {index}?", "context": {"n": index}},
        "reference_outputs": {"answer": hostile or f"answer {index}"},
        "tags": [TAGS[index % len(TAGS)], TAGS[(index + 2) % len(TAGS)]] + ([hostile] if hostile else []),
        "metadata": {"owner": hostile or "team-a"},
        "outputs": {} if crashed else {"body": hostile or (f"wrong {index}" if failing else f"answer {index}")},
        "verdict": "error" if crashed else "failed" if failing else "passed",
        "duration_ms": 50.0 + (index * 37) % 900,
        "tokens": {"input": 280, "output": 42, "cache_read": 64, "total": 322},
        "cost": 0.00021 + index % 3 * 0.0001,
        "judge_tokens": {"input": 90, "output": 10, "total": 100} if index % 2 == 0 else {},
        "judge_cost": 0.00005 if index % 2 == 0 else None,
        "feedback": [fb.model_dump() for fb in feedback],
        "trace": trace(index, hostile, tool_error),
        "budgets": {"max_tokens": 2000},
    }
    if index % 11 == 3:  # over its token budget
        data["budget_violations"] = [{"budget": "tokens", "limit": 2000, "actual": 2500}]
        data["budget_violation"] = True
    if index % 6 == 2:  # replayed from a cassette; some with a request it had no recording for
        missed = index % 12 == 2
        data["replay"] = {"status": "missed" if missed else "replayed", "cassette": f"suite/{base_id}/r{repeat}.json",
                          "played": 2, "misses": [f"POST https://api.example.com/v1/chat ({hostile or index})"]
                          if missed else []}
    if crashed:
        data["exception"] = {"type": "ValueError", "message": hostile or f"agent exploded on question {index}"}
        data["traceback"] = ('Traceback (most recent call last):\n  File "agent.py", line 12, in run\n'
                             f"ValueError: {index}\n")
    return TaskResult.model_validate(data)


def failing_at(index: int, repeat: int, variant_no: int, seed: int) -> bool:
    """A deterministic mix: most tasks pass, some always fail, some fail one repeat (flaky)."""
    if (index + seed) % 9 == 4:
        return True
    if (index + seed) % 13 == 6:
        return repeat == 2
    return variant_no == 1 and index % 4 == 1


def synthetic_run(n: int, *, repeats: int = 1, variants: Sequence[str] = (), suites: int = 3, hostile: bool = False,
                  seed: int = 0, run_id: str = "synthetic", base: RunResult | None = None) -> RunResult:
    """`n` tasks x `repeats` (x each variant); with `hostile`, the first tasks carry the PAYLOADS everywhere."""
    tasks = []
    for index in range(n):
        payload = PAYLOADS[index] if hostile and index < len(PAYLOADS) else None
        for variant_no, variant in enumerate(variants or [None]):
            for repeat in range(1, repeats + 1):
                tasks.append(task(index, suites=suites, repeat=repeat, variant=variant, hostile=payload,
                                  failing=failing_at(index, repeat, variant_no, seed)))
    config = RunConfig(repeats=repeats, fail_under=["0.8", "math=0.95"], variants=list(variants))
    run = build_run(tasks, run_id=run_id, label=PAYLOADS[0] if hostile else "gpt-4o-mini",
                    created_at="2026-12-02T03:00:00+00:00", duration_ms=1234.5, target="agents:research",
                    concurrency=4, config=config, invalid_records=[f"evals/suite-0.jsonl:{n + 3}: 'inputs.input' is "
                                                                   "missing; every record needs the prompt"],
                    partial=False, exit_status=1, provenance=None, gates=gates(tasks),
                    unused_cassettes=["suite/retired-task/r1.json"])
    if base is None:
        return run
    return run.model_copy(update={"baseline": compare(run.tasks, run.run_id, base, run.config.task_pass_rate)})


def gates(tasks: Sequence[TaskResult]) -> list[GateRecord]:
    by_task: dict[tuple[str, str, str | None], list[TaskResult]] = {}
    for result in tasks:
        by_task.setdefault((result.suite, result.base_task_id, result.variant), []).append(result)
    verdicts = [judge(group, 1.0) for group in by_task.values()]
    passed = sum(v.meets_policy for v in verdicts)
    math = [v for v in verdicts if "math" in v.tags]
    math_passed = sum(v.meets_policy for v in math)
    return [
        GateRecord(kind="suite", spec="0.8", required=0.8, rate=passed / len(verdicts), passed_tasks=passed,
                   total_tasks=len(verdicts), passed=passed / len(verdicts) >= 0.8),
        GateRecord(kind="tag", spec="math=0.95", name="math", required=0.95, rate=math_passed / max(1, len(math)),
                   passed_tasks=math_passed, total_tasks=len(math), passed=math_passed >= 0.95 * len(math)),
    ]

