"""Evaluators users already trust, in `eval_scorers` as they are: pydantic-evals `Evaluator`s (its `LLMJudge` on an
offline FunctionModel, `HasMatchingSpan` over the task's own spans) and openevals evaluators (its real
`create_llm_as_judge` on an OpenAI client pointed at a judge on 127.0.0.1, `exact_match`, and a plain callable that
returns `{"key", "score", "comment"}`)."""

from __future__ import annotations

from typing import Any

import pytest

from pytest_agenteval.scoring.coerce import as_scorer
from pytest_agenteval.scoring.core import ScorerReturnTypeError, normalize_feedback
from pytest_agenteval.scoring.openevals import is_keyword_evaluator

from .helpers import read_single_run, record, write_suite
from .judge_model_server import serve

# Imported here, before any inner run: pytester drops the modules an inner run imported, and langchain-core (under
# openevals) cannot be imported again once pydantic has seen its models.
pytest.importorskip("pydantic_evals", reason="needs pydantic-evals (dev)")
pytest.importorskip("openevals", reason="needs openevals (dev)")

PYDANTIC_EVALS_CONFTEST = '''
from dataclasses import dataclass
import pytest
from pydantic_ai.messages import ModelResponse, ToolCallPart
from pydantic_ai.models.function import FunctionModel
from pydantic_evals.evaluators import Contains, EvaluationReason, Evaluator, HasMatchingSpan, LLMJudge
from tests.pydantic_ai_weather import build_agent


def grading(messages, info):
    prompt = messages[-1].parts[-1].content
    passed = "sunny" in prompt.split("<Output>")[-1]
    return ModelResponse(parts=[ToolCallPart(info.output_tools[0].name,
                                             {"reason": "sunny it says" if passed else "no weather", "pass": passed,
                                              "score": 1.0 if passed else 0.0})])


@dataclass
class Polite(Evaluator):
    def evaluate(self, ctx):
        said = str(ctx.output)
        return {"polite": EvaluationReason(value="please" not in said, reason=f"{len(said)} characters"),
                "length": len(said), "tone": "flat"}


@pytest.fixture(scope="session")
def eval_agent():
    return build_agent()


@pytest.fixture
def eval_scorers():
    return [Contains("sunny"), LLMJudge(rubric="The answer gives the weather.", model=FunctionModel(grading)),
            HasMatchingSpan(query={"name_contains": "get_weather"}, evaluation_name="used_weather_tool"), Polite()]
'''

OPENEVALS_CONFTEST = '''
import os
import openai
import pytest
from openevals.exact import exact_match
from openevals.llm import create_llm_as_judge

@pytest.fixture(scope="session")
def eval_agent():
    return lambda prompt: prompt

def mentions_city(*, inputs=None, outputs=None, reference_outputs=None, **kwargs):
    city = reference_outputs["city"]
    return {"key": "mentions_city", "score": city in outputs["body"], "comment": f"looked for {city}"}

@pytest.fixture(scope="session")
def eval_scorers():
    client = openai.OpenAI(base_url=os.environ["JUDGE_URL"], api_key="sk-test", max_retries=0)
    judge = create_llm_as_judge(prompt="Does this answer give the weather? {outputs}", judge=client,
                                model="openai:gpt-4o-mini", feedback_key="gives_weather")
    return [judge, mentions_city, exact_match]
'''


def test_pydantic_evals_evaluators_run_as_scorers_with_the_tasks_spans(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(PYDANTIC_EVALS_CONFTEST)
    write_suite(pytester.path / "s.jsonl", [record("paris", "weather in Paris"), record("hello", "hello please")])
    result = pytester.runpytest("--eval-suite=s.jsonl", "--eval-store=runs")
    result.assert_outcomes(passed=1, failed=1)
    paris, hello = read_single_run(pytester.path / "runs")["tasks"]
    by_key = {fb["key"]: fb for fb in paris["feedback"]}
    assert set(by_key) == {"Contains", "LLMJudge", "used_weather_tool", "polite", "length", "tone"}
    assert by_key["Contains"]["passed"] is True
    assert (by_key["LLMJudge"]["passed"], by_key["LLMJudge"]["comment"]) == (True, "sunny it says")
    assert by_key["used_weather_tool"]["passed"] is True  # found among the task's own spans
    assert (by_key["polite"]["passed"], by_key["polite"]["comment"]) == (True, "21 characters")
    assert (by_key["length"]["score"], by_key["tone"]["value"]) == (21, "flat")
    failed = {fb["key"]: fb["passed"] for fb in hello["feedback"]}
    assert failed == {"Contains": False, "LLMJudge": False, "used_weather_tool": False, "polite": False,
                      "length": None, "tone": None}


def test_openevals_evaluators_run_as_scorers_against_a_judge_on_localhost(pytester: pytest.Pytester,
                                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    pytester.makeconftest(OPENEVALS_CONFTEST)
    write_suite(pytester.path / "s.jsonl", [
        record("paris", "sunny in Paris", reference_outputs={"city": "Paris"}),
        record("rome", "no idea", reference_outputs={"city": "Rome"})])
    with serve() as server:
        monkeypatch.setenv("JUDGE_URL", server.url)
        result = pytester.runpytest("--eval-suite=s.jsonl", "--eval-store=runs")
        assert len(server.prompts) == 2 and server.prompts[0].startswith("Does this answer give the weather?")
    result.assert_outcomes(failed=2)  # exact_match compares outputs with reference_outputs: never equal here
    paris, rome = read_single_run(pytester.path / "runs")["tasks"]
    judged = {fb["key"]: (fb["passed"], fb["comment"]) for fb in paris["feedback"]}
    assert judged == {"gives_weather": (True, "it gives the weather"), "mentions_city": (True, "looked for Paris"),
                      "exact_match": (False, None)}
    assert {fb["key"]: fb["passed"] for fb in rome["feedback"]} == {
        "gives_weather": False, "mentions_city": False, "exact_match": False}


def keyword_evaluator(*, inputs: Any = None, outputs: Any = None, **kwargs: Any) -> dict[str, Any]:
    return {"key": "k", "score": 0.25, "comment": "a quarter", "metadata": {"why": "test"}}


def test_keyword_evaluators_are_told_from_scorers_the_protocol_refuses() -> None:
    assert is_keyword_evaluator(keyword_evaluator)
    assert not is_keyword_evaluator(lambda outputs: True)  # a plain scorer
    assert not is_keyword_evaluator(lambda *args, **kwargs: True)
    assert not is_keyword_evaluator(lambda config, **kwargs: True)  # a required parameter we cannot give
    assert as_scorer(keyword_evaluator).key == "keyword_evaluator"


def test_a_result_dict_is_a_feedback_and_a_dict_without_key_is_still_refused() -> None:
    [feedback] = normalize_feedback({"key": "k", "score": 0.25, "comment": "a quarter", "metadata": {"a": 1}}, "s",
                                    threshold=0.5)
    assert (feedback.key, feedback.score, feedback.comment, feedback.passed) == ("k", 0.25, "a quarter", False)
    assert feedback.detail == {"a": 1}
    [label] = normalize_feedback([{"key": "tone", "value": "flat", "score": None}], "s")
    assert (label.value, label.passed) == ("flat", None)
    with pytest.raises(ScorerReturnTypeError, match="returned dict"):
        normalize_feedback({"score": 1}, "s")
    with pytest.raises(ScorerReturnTypeError, match="score 'high' is not a bool or number"):
        normalize_feedback({"key": "k", "score": "high"}, "s")
