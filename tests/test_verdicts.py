"""Verdicts: crashes and failing scorers fail the item with a readable report; budgets warn after storing."""

from __future__ import annotations

import pytest

from .helpers import read_single_run, record, write_suite

SCORED_CONFTEST = '''
import pytest
from pytest_agenteval import Feedback, scorer

@scorer
def mentions_sunny(outputs):
    return Feedback("mentions_sunny", score="sunny" in (outputs.get("body") or ""), comment="looked for 'sunny'")

@scorer(threshold=0.5)
def quality(outputs):
    return 0.25 if "rain" in (outputs.get("body") or "") else 0.75

@scorer
def fragile(inputs):
    if inputs["input"] == "break-scorer":
        raise KeyError("missing-field")
    return True

@pytest.fixture(scope="session")
def eval_agent():
    async def agent(prompt):
        if prompt == "crash":
            raise ValueError("provider exploded")
        return "rain all day" if prompt == "rainy" else "sunny skies"
    return agent

@pytest.fixture
def eval_scorers():
    return [mentions_sunny, quality, fragile]
'''


@pytest.fixture
def scored(pytester: pytest.Pytester) -> pytest.Pytester:
    pytester.makeconftest(SCORED_CONFTEST)
    write_suite(pytester.path / "w.jsonl",
                [record("sunny"), record("rainy"), record("crash"), record("scorer-crash", "break-scorer")])
    return pytester


def test_failure_report_shows_task_input_output_and_failing_scorers(scored: pytest.Pytester) -> None:
    result = scored.runpytest("--eval-suite=w.jsonl")
    result.assert_outcomes(passed=1, failed=3)
    result.stdout.fnmatch_lines([
        "*task rainy (w.jsonl:2) failed",
        "*input:  rainy",
        "*output: rain all day",
        "*failing scorers:",
        "*mentions_sunny: False - looked for 'sunny'",
        "*quality: 0.25 < threshold 0.5",
    ])
    result.stdout.fnmatch_lines(["*task crash (w.jsonl:3) error", "*agent raised ValueError: provider exploded"])
    result.stdout.fnmatch_lines(["*fragile: scorer raised KeyError: 'missing-field'"])
    output = result.stdout.str()
    assert "pytest_agenteval" not in output.split("short test summary")[0]  # no plugin traceback frames


def test_crashed_task_and_crashed_scorer_count_as_failures_in_the_run(scored: pytest.Pytester) -> None:
    scored.runpytest("--eval-suite=w.jsonl", "--eval-store=runs")
    run = read_single_run(scored.path / "runs")
    verdicts = {task["task_id"]: task["verdict"] for task in run["tasks"]}
    assert verdicts == {"sunny": "passed", "rainy": "failed", "crash": "error", "scorer-crash": "failed"}
    crash = next(task for task in run["tasks"] if task["task_id"] == "crash")
    assert crash["exception"] == {"type": "ValueError", "message": "provider exploded"}
    assert crash["outputs"] == {}
    assert run["aggregates"]["pass_counts"]["fragile"] == {"passed": 3, "total": 4}
    assert run["aggregates"]["errors"] == 1


def test_budget_violations_warn_after_the_result_is_stored(pytester: pytest.Pytester) -> None:
    pytester.makeconftest('''
import time, pytest
@pytest.fixture(scope="session")
def eval_agent():
    def slow(prompt):
        time.sleep(0.05)
        return prompt
    return slow
''')
    write_suite(pytester.path / "s.jsonl", [record("slow")])
    warned = pytester.runpytest("--eval-suite=s.jsonl", "--eval-max-seconds=0.01", "--eval-store=a")
    warned.assert_outcomes(passed=1, warnings=1)
    warned.stdout.fnmatch_lines(["*BudgetExceededWarning: slow: seconds budget exceeded: * > 0.01*"])
    blocking = pytester.runpytest("--eval-suite=s.jsonl", "--eval-max-seconds=0.01", "--eval-store=b",
                                  "-W", "error::pytest_agenteval.BudgetExceededWarning")
    blocking.assert_outcomes(failed=1)
    (task,) = read_single_run(pytester.path / "b")["tasks"]
    assert (task["verdict"], task["outcome"], task["budget_violation"]) == ("passed", "failed", True)
    assert task["budget_violations"][0]["budget"] == "seconds"


def test_a_failing_agent_fixture_still_records_the_task_as_an_error(pytester: pytest.Pytester) -> None:
    pytester.makeconftest('''
import pytest
@pytest.fixture
def eval_agent(eval_task):
    if eval_task.task_id == "bad":
        raise RuntimeError("no model config for this task")
    return lambda prompt: prompt
''')
    write_suite(pytester.path / "s.jsonl", [record("ok"), record("bad")])
    result = pytester.runpytest("--eval-suite=s.jsonl", "--eval-store=runs")
    result.assert_outcomes(passed=1, errors=1)
    tasks = read_single_run(pytester.path / "runs")["tasks"]
    assert [(t["task_id"], t["verdict"]) for t in tasks] == [("ok", "passed"), ("bad", "error")]
    assert tasks[1]["exception"]["type"] == "RuntimeError"


def test_missing_agent_says_how_to_wire_one(pytester: pytest.Pytester) -> None:
    write_suite(pytester.path / "s.jsonl", [record("a")])
    result = pytester.runpytest("--eval-suite=s.jsonl")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*no agent to evaluate: define an `eval_agent` fixture in conftest.py or pass "
                                 "--eval-agent=package.module:attribute*"])


def test_eval_agent_and_eval_scorers_options_import_objects(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(my_agent='''
from pytest_agenteval import scorer
def agent(prompt):
    return prompt.upper()
@scorer
def shouted(outputs):
    return outputs["body"].isupper()
SCORERS = [shouted]
''')
    write_suite(pytester.path / "s.jsonl", [record("a", "hi")])
    result = pytester.runpytest("--eval-suite=s.jsonl", "--eval-agent=my_agent:agent",
                                "--eval-scorers=my_agent:SCORERS", "--eval-store=runs")
    result.assert_outcomes(passed=1)
    (task,) = read_single_run(pytester.path / "runs")["tasks"]
    assert (task["outputs"]["body"], task["feedback"][0]["key"]) == ("HI", "shouted")
    bad = pytester.runpytest("--eval-suite=s.jsonl", "--eval-agent=my_agent:nope")
    bad.stdout.fnmatch_lines(["*--eval-agent=my_agent:nope: cannot import it: AttributeError*"])


def test_a_provider_that_cannot_trace_fails_items_with_the_fix(pytester: pytest.Pytester) -> None:
    pytester.makeconftest('''
import pytest
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.sampling import ALWAYS_OFF

@pytest.fixture(scope="session")
def eval_agent():
    return lambda prompt: prompt

@pytest.fixture(scope="session", autouse=True)
def _never_sample(request):
    # hand the plugin a provider whose sampler drops every span
    from pytest_agenteval.keys import HOST_KEY
    from pytest_agenteval.tracing.capture import TaskTracer
    runtime = request.config.stash[HOST_KEY].runtime_for(request)
    runtime.tracer = TaskTracer(provider=TracerProvider(sampler=ALWAYS_OFF))
''')
    write_suite(pytester.path / "s.jsonl", [record("a")])
    result = pytester.runpytest("--eval-suite=s.jsonl", "--eval-store=runs")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*cannot trace the agent: the root span 'eval.task' was not recorded because the "
                                 "sampler AlwaysOffSampler drops spans; use an always-on sampler*"])
    assert read_single_run(pytester.path / "runs")["tasks"][0]["exception"]["type"] == "TracingUnavailableError"


@pytest.mark.parametrize(("fixtures", "message", "where"), [
    ("def eval_agent():\n    return 42\n",
     "cannot run 'int' as an agent: give a sync or async callable taking the input*", "eval_agent"),
    ("def eval_agent():\n    return str\n\n@pytest.fixture\ndef eval_scorers():\n    return [1]\n",
     "1 is not a scorer: pass a function or a pytest_agenteval.Scorer", "eval_scorers"),
    ("def eval_agent():\n    return str\n\n@pytest.fixture\ndef eval_scorers():\n"
     "    def judge(answer):\n        return True\n    return [judge]\n",
     "scorer 'judge': parameter 'answer' is not injectable; allowed parameters are: inputs, outputs, *",
     "eval_scorers"),
    ("def eval_agent():\n    return str\n\n@pytest.fixture\ndef eval_budgets():\n    return {'tokens': 5}\n",
     "eval_budgets: unknown budget(s) ['tokens']; use max_tokens, max_seconds, max_cost, max_judge_tokens, "
     "max_judge_cost", "eval_budgets"),
])
def test_wiring_mistakes_fail_with_a_message_and_no_traceback(
        pytester: pytest.Pytester, fixtures: str, message: str, where: str) -> None:
    pytester.makeconftest("import pytest\n\n@pytest.fixture\n" + fixtures)
    write_suite(pytester.path / "s.jsonl", [record("a")])
    result = pytester.runpytest("--eval-suite=s.jsonl", "--eval-store=runs")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines([message])
    assert "Traceback" not in result.stdout.str() and "pytest_agenteval/" not in result.stdout.str()
    stored = read_single_run(pytester.path / "runs")["tasks"][0]
    assert stored["verdict"] == "error" and stored["failed_in"] == f"wiring of {where}"
    result.stdout.fnmatch_lines([f"*wiring of {where} raised *"])  # the summary does not blame the agent
