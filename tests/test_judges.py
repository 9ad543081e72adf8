"""`llm_judge` offline, on pydantic-ai's own test models: what the judge is shown, the verdict it gives, retries of
malformed verdicts (each with a prompt of its own), and the tokens it spends, counted apart."""

from __future__ import annotations

import asyncio
import json
import sys
from typing import Any

import pytest

from pytest_agenteval.judges import llm_judge
from pytest_agenteval.scoring.core import Feedback, ScoreContext, Scorer
from pytest_agenteval.task import Task
from pytest_agenteval.tracing.model import ErrorInfo, ModelCall, ToolCall, ToolRequest, Trace

pytest.importorskip("pydantic_ai", reason="needs the judge extra")

from pydantic_ai.messages import (
    ModelMessage,
    ModelRequest,
    ModelResponse,
    TextPart,
    ToolCallPart,
    UserPromptPart,
)
from pydantic_ai.models.function import AgentInfo, FunctionModel
from pydantic_ai.models.test import TestModel
from pydantic_ai.usage import RequestUsage

RUBRIC = "The answer names the capital of France and nothing false."
TASK = Task("capital", {"input": "What is the capital of France?"}, reference_outputs={"answer": "Paris"})


def user_prompt(messages: list[ModelMessage]) -> str:
    first = messages[-1] if isinstance(messages[-1], ModelRequest) else messages[0]
    assert isinstance(first, ModelRequest)
    return next(str(part.content) for part in first.parts if isinstance(part, UserPromptPart))


class ScriptedJudge:
    """A FunctionModel judge: answers each request with the next scripted tool arguments (a dict, or raw text for
    a malformed one); remembers every prompt it was sent."""

    def __init__(self, *answers: dict[str, Any] | str) -> None:
        self.answers = list(answers)
        self.prompts: list[str] = []

    def __call__(self, messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
        self.prompts.append(user_prompt(messages))
        answer = self.answers.pop(0)
        return ModelResponse(parts=[ToolCallPart(info.output_tools[0].name, answer)],
                             usage=RequestUsage(input_tokens=300, output_tokens=40))

    def model(self) -> FunctionModel:
        return FunctionModel(self, model_name="scripted-judge")


def grade(judge: Scorer, outputs: dict[str, Any], trace: Trace | None = None) -> Feedback:
    [feedback] = asyncio.run(judge.score(ScoreContext(task=TASK, outputs=outputs, trace=trace or Trace())))
    return feedback


def test_a_passing_verdict_is_a_true_score_with_the_reason_as_comment() -> None:
    script = ScriptedJudge({"reason": "Paris is right.", "passed": True})
    feedback = grade(llm_judge(RUBRIC, model=script.model(), key="capital"), {"body": "Paris"})
    assert (feedback.key, feedback.score, feedback.passed, feedback.comment) == ("capital", True, True,
                                                                                 "Paris is right.")
    assert feedback.detail is not None and feedback.detail["judge"] == "function:scripted-judge"
    assert feedback.detail["attempts"] == 1 and feedback.detail["tokens"] == {"input": 300, "output": 40}
    assert feedback.usage is not None and feedback.usage.tokens.total == 340 and feedback.usage.requests == 1


def test_a_failing_verdict_fails_the_feedback() -> None:
    script = ScriptedJudge({"reason": "Lyon is not the capital.", "passed": False})
    feedback = grade(llm_judge(RUBRIC, model=script.model()), {"body": "Lyon"})
    assert feedback.passed is False and feedback.comment == "Lyon is not the capital."


def test_the_judge_sees_rubric_input_and_output_and_the_reference_and_trace_only_when_asked() -> None:
    plain = ScriptedJudge({"reason": "ok", "passed": True})
    grade(llm_judge(RUBRIC, model=plain.model()), {"body": "Paris"})
    (prompt,) = plain.prompts
    assert f"<rubric>\n{RUBRIC}\n</rubric>" in prompt and "<output>\nParis\n</output>" in prompt
    assert "<input>\nWhat is the capital of France?\n</input>" in prompt
    assert "<reference>" not in prompt and "<trace>" not in prompt

    trace = Trace(steps=(ModelCall(model="gpt-x", tool_requests=(ToolRequest("search"),)),
                         ToolCall("search", {"q": "capital"}, result="Paris"),
                         ToolCall("geo", {}, error=ErrorInfo("Timeout", "slow"))))
    full = ScriptedJudge({"reason": "ok", "passed": True})
    grade(llm_judge(RUBRIC, model=full.model(), include_input=False, include_reference=True, include_trace=True),
          {"body": "Paris"}, trace)
    (prompt,) = full.prompts
    assert "<input>" not in prompt
    assert '<reference>\n{"answer": "Paris"}\n</reference>' in prompt
    assert ('<trace>\nmodel gpt-x asked for: search\ntool search({"q": "capital"}) -> Paris\n'
            'tool geo({}) -> error Timeout: slow\n</trace>') in prompt


def test_a_malformed_verdict_is_asked_for_again_with_a_prompt_naming_the_attempt() -> None:
    script = ScriptedJudge('{"reason": "cut off', {"reason": "Paris is right.", "passed": True})
    feedback = grade(llm_judge(RUBRIC, model=script.model(), retries=2), {"body": "Paris"})
    assert feedback.passed is True and feedback.detail is not None and feedback.detail["attempts"] == 2
    first, second = script.prompts
    assert "<attempt>" not in first
    assert second.startswith(first)  # the same material, then why it is asked again
    assert "This is attempt 2 of 3. The verdict of attempt 1 could not be read: Exceeded maximum" in second
    assert feedback.usage is not None and feedback.usage.tokens.total == 2 * 340  # the bad answer cost too
    assert feedback.usage.requests == 2


def test_a_judge_that_never_gives_a_verdict_fails_with_its_cost_kept() -> None:
    script = ScriptedJudge("nonsense", '{"passed": "maybe"}')
    feedback = grade(llm_judge(RUBRIC, model=script.model(), retries=1), {"body": "Paris"})
    assert feedback.passed is False and feedback.error is not None
    assert feedback.error.type == "MalformedVerdictError"
    assert feedback.error.message.startswith("no readable verdict in 2 attempt(s); the last: Exceeded maximum")
    assert feedback.usage is not None and feedback.usage.tokens.total == 680 and len(script.prompts) == 2


def test_a_score_outside_the_scale_is_malformed_and_a_score_on_it_decides_by_the_threshold() -> None:
    script = ScriptedJudge({"reason": "great", "passed": True, "score": 9},
                           {"reason": "good, one detail wrong", "passed": True, "score": 3})
    judge = llm_judge(RUBRIC, model=script.model(), scale=(1, 5), threshold=4)
    feedback = grade(judge, {"body": "Paris, on the Loire"})
    assert (feedback.score, feedback.threshold, feedback.passed) == (3.0, 4, False)  # the score decides, not pass
    assert feedback.detail is not None and feedback.detail["passed"] is True and feedback.detail["attempts"] == 2
    assert "Also give a score from 1 (worst) to 5 (best) on the rubric." in script.prompts[0]


def test_with_a_scale_and_no_threshold_the_verdict_decides_and_the_score_is_kept() -> None:
    script = ScriptedJudge({"reason": "fine", "passed": True, "score": 4.5})
    feedback = grade(llm_judge(RUBRIC, model=script.model(), scale=(1, 5)), {"body": "Paris"})
    assert feedback.score is True and feedback.detail is not None and feedback.detail["score"] == 4.5


def test_test_model_verdicts_count_their_tokens() -> None:
    feedback = grade(llm_judge(RUBRIC, model=TestModel(custom_output_args={"reason": "ok", "passed": True})),
                     {"body": "Paris"})
    assert feedback.passed is True and feedback.usage is not None
    assert feedback.usage.tokens.input > 50 and feedback.usage.tokens.output > 0
    assert feedback.usage.cost is None  # genai-prices knows no price for a test model


def test_prompted_output_reads_a_json_verdict_from_text() -> None:
    def answer(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
        return ModelResponse(parts=[TextPart(json.dumps({"reason": "Paris", "passed": True}))])

    feedback = grade(llm_judge(RUBRIC, model=FunctionModel(answer), output_mode="prompted"), {"body": "Paris"})
    assert feedback.passed is True and feedback.comment == "Paris"


def test_a_judge_whose_model_raises_is_a_failed_feedback_naming_the_error() -> None:
    def down(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
        raise ConnectionError("judge model unreachable")

    feedback = grade(llm_judge(RUBRIC, model=FunctionModel(down)), {"body": "Paris"})
    assert feedback.error is not None and feedback.error.type == "ConnectionError"
    assert feedback.comment == "judge raised ConnectionError: judge model unreachable"


def test_a_crashed_run_without_output_fails_unjudged_and_costs_nothing() -> None:
    script = ScriptedJudge()
    crashed = Trace(exception=ErrorInfo("ValueError", "agent exploded"))
    feedback = grade(llm_judge(RUBRIC, model=script.model()), {}, crashed)
    assert (feedback.passed, feedback.comment, feedback.usage) == (False, "not judged: the run raised ValueError", None)
    assert script.prompts == []


def test_the_default_key_is_stable_for_a_rubric() -> None:
    one, two = llm_judge(RUBRIC, model=TestModel()), llm_judge(RUBRIC, model=TestModel())
    assert one.key == two.key and one.key.startswith("llm_judge[") and len(one.key) == len("llm_judge[12345678]")
    assert llm_judge("another rubric", model=TestModel()).key != one.key


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"threshold": 3}, "a threshold needs a scale"),
    ({"scale": (5, 1)}, "must be (low, high) with low < high"),
    ({"scale": (1, 5), "threshold": 7}, "threshold 7 is outside the scale"),
    ({"retries": -1}, "retries must be a whole number of at least 0"),
    ({"output_mode": "json"}, "output_mode 'json' is not one of tool, native, prompted"),
])
def test_bad_options_are_refused_when_the_judge_is_made(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        llm_judge(RUBRIC, model=TestModel(), **kwargs)


def test_without_pydantic_ai_the_error_names_the_judge_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "pydantic_ai", None)  # what an environment without it sees on import
    with pytest.raises(ImportError, match=r"pip install 'pytest-agenteval\[judge\]'"):
        llm_judge(RUBRIC, model="openai:gpt-4o-mini")

