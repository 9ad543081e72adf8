"""`llm_judge`: a scorer that asks a model (through pydantic-ai, the `judge` extra) for a structured verdict.

The verdict is a reason, pass or fail, and a score when a scale is declared. A verdict that cannot be read is asked
for again, up to `retries` times, with a prompt that names the attempt (so no cache replays the bad answer). What the
judge spends is kept on its feedback (`Feedback.usage`), apart from the agent's tokens. pydantic-ai loads on use.
"""

from __future__ import annotations

import hashlib
import importlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from pytest_agenteval.judges.prompt import INSTRUCTIONS, Material, verdict_prompt
from pytest_agenteval.scoring.core import Feedback, ModelUsage, Scorer
from pytest_agenteval.tracing.model import ErrorInfo, TokenUsage, Trace, user_traceback
from pytest_agenteval.tracing.pricing import estimate_cost

OutputMode = Literal["tool", "native", "prompted"]
OUTPUT_MODES = ("tool", "native", "prompted")
MISSING_EXTRA = "llm_judge needs pydantic-ai: pip install 'pytest-agenteval[judge]'"


class MalformedVerdictError(Exception):
    """Every attempt of a judge answered with something that is not a verdict."""


def pydantic_ai(module: str = "") -> Any:
    """A pydantic-ai module, or an ImportError that names the `judge` extra."""
    name = f"pydantic_ai.{module}" if module else "pydantic_ai"
    try:
        return importlib.import_module(name)
    except ImportError as exc:
        raise ImportError(MISSING_EXTRA) from exc


def llm_judge(rubric: str, *, model: Any, key: str | None = None, include_input: bool = True,
              include_reference: bool = False, include_trace: bool = False,
              scale: tuple[float, float] | None = None, threshold: float | None = None, retries: int = 2,
              output_mode: OutputMode = "tool", model_settings: Mapping[str, Any] | None = None,
              instrument: Any = None) -> Scorer:
    """A scorer that has `model` (a pydantic-ai model name such as "openai:gpt-4o-mini", or a `Model`) grade the
    output against `rubric`. Without `scale` the model's pass/fail decides; with `scale=(1, 5)` the feedback is the
    score, which decides against `threshold` (without one it only informs, like any number). `retries`: how many
    more times a malformed verdict is asked for. The key defaults to `llm_judge[<8 hex digits of the rubric>]`."""
    pydantic_ai()
    if not isinstance(rubric, str) or not rubric.strip():
        raise ValueError("llm_judge: the rubric must be a non-empty string saying what a good output is")
    if scale is not None and (len(scale) != 2 or not scale[0] < scale[1]):
        raise ValueError(f"llm_judge: scale {scale!r} must be (low, high) with low < high")
    if threshold is not None and scale is None:
        raise ValueError("llm_judge: a threshold needs a scale, e.g. scale=(1, 5), threshold=4")
    if threshold is not None and scale is not None and not scale[0] <= threshold <= scale[1]:
        raise ValueError(f"llm_judge: threshold {threshold:g} is outside the scale {scale!r}")
    if not isinstance(retries, int) or retries < 0:
        raise ValueError(f"llm_judge: retries must be a whole number of at least 0, not {retries!r}")
    if output_mode not in OUTPUT_MODES:
        raise ValueError(f"llm_judge: output_mode {output_mode!r} is not one of {', '.join(OUTPUT_MODES)}")
    key = key or f"llm_judge[{hashlib.sha256(rubric.encode()).hexdigest()[:8]}]"
    judge = LLMJudge(key, rubric, model, scale=scale, threshold=threshold, retries=retries, output_mode=output_mode,
                     model_settings=dict(model_settings) if model_settings is not None else None,
                     instrument=instrument, include_input=include_input, include_reference=include_reference,
                     include_trace=include_trace)
    return Scorer(judge.score, key=key)


@dataclass
class LLMJudge:
    """One judge: its rubric, model and options; the pydantic-ai agent is made at the first verdict."""

    key: str
    rubric: str
    model: Any
    scale: tuple[float, float] | None = None
    threshold: float | None = None
    retries: int = 2
    output_mode: OutputMode = "tool"
    model_settings: dict[str, Any] | None = None
    instrument: Any = None
    include_input: bool = True
    include_reference: bool = False
    include_trace: bool = False
    _agent: Any = field(default=None, init=False, repr=False)

    @property
    def model_name(self) -> str:
        """The judge's model as stored with its verdicts: the name given, or `<system>:<model name>`."""
        if isinstance(self.model, str):
            return self.model
        return f"{getattr(self.model, 'system', '?')}:{getattr(self.model, 'model_name', type(self.model).__name__)}"

    def agent(self) -> Any:
        if self._agent is None:
            output = pydantic_ai("output")
            wrapper = {"tool": output.ToolOutput, "native": output.NativeOutput,
                       "prompted": output.PromptedOutput}[self.output_mode]
            agent = pydantic_ai().Agent(self.model, output_type=wrapper(verdict_model(self.scale)),
                                        instructions=INSTRUCTIONS, retries=0, name="llm_judge",
                                        model_settings=self.model_settings)
            if self.instrument is not None:
                agent.instrument = self.instrument
            self._agent = agent
        return self._agent

    async def score(self, inputs: Mapping[str, Any], outputs: Mapping[str, Any],
                    reference_outputs: Mapping[str, Any] | None, trace: Trace) -> Feedback:
        """Ask for a verdict, again while it is malformed; a judge that fails is a failed feedback, its cost kept.
        A run that crashed with no output fails unjudged: there is nothing to pay a judge for."""
        if trace.exception is not None and not outputs:
            return Feedback(key=self.key, score=False, comment=f"not judged: the run raised {trace.exception.type}",
                            detail={"judge": self.model_name, "skipped": "the run crashed", "attempts": 0})
        material = Material(output=outputs.get("body", outputs.get("content")),
                            input=inputs.get("input") if self.include_input else None,
                            reference=reference_outputs if self.include_reference else None,
                            trace=trace if self.include_trace else None)
        attempts, usage, problem = self.retries + 1, ModelUsage(), None
        for attempt in range(1, attempts + 1):
            prompt = verdict_prompt(self.rubric, material, scale=self.scale, attempt=attempt, attempts=attempts,
                                    previous_error=problem)
            with pydantic_ai().capture_run_messages() as messages:
                try:
                    result = await self.agent().run(prompt)
                except pydantic_ai("exceptions").UnexpectedModelBehavior as exc:
                    usage, problem = usage + usage_of(messages), str(exc)
                    continue
                except Exception as exc:  # the model is unreachable, a cassette has no recording: a failed grade
                    return self.failed(exc, attempt, usage + usage_of(messages))
            return self.verdict(result.output, attempt, usage + usage_of(result.all_messages()))
        error = MalformedVerdictError(f"no readable verdict in {attempts} attempt(s); the last: {problem}")
        return self.failed(error, attempts, usage)

    def verdict(self, verdict: Any, attempts: int, usage: ModelUsage) -> Feedback:
        detail = self.detail(attempts, usage, passed=verdict.passed, score=getattr(verdict, "score", None))
        if self.scale is not None and self.threshold is not None:
            return Feedback(key=self.key, score=float(verdict.score), threshold=self.threshold, comment=verdict.reason,
                            detail=detail, usage=usage)
        return Feedback(key=self.key, score=bool(verdict.passed), comment=verdict.reason, detail=detail, usage=usage)

    def failed(self, exc: Exception, attempts: int, usage: ModelUsage) -> Feedback:
        return Feedback(key=self.key, error=ErrorInfo.from_exception(exc), traceback=user_traceback(exc),
                        comment=f"judge raised {type(exc).__name__}: {exc}", detail=self.detail(attempts, usage),
                        usage=usage)

    def detail(self, attempts: int, usage: ModelUsage, **verdict: Any) -> dict[str, Any]:
        """What the run stores with the verdict: the judge, its verdict, its attempts and what it cost."""
        return {"judge": self.model_name, **verdict, "attempts": attempts, "requests": usage.requests,
                "tokens": {"input": usage.tokens.input, "output": usage.tokens.output}, "cost": usage.cost}


def verdict_model(scale: tuple[float, float] | None) -> Any:
    """The verdict's pydantic model: a reason first (the model writes it before deciding), pass, and a score on
    the scale when there is one (out of range is malformed)."""
    pydantic = importlib.import_module("pydantic")
    fields: dict[str, Any] = {
        "reason": (str, pydantic.Field(description="Why, in one or two sentences.")),
        "passed": (bool, pydantic.Field(description="True when the output meets the rubric.")),
    }
    if scale is not None:
        fields["score"] = (float, pydantic.Field(ge=scale[0], le=scale[1],
                                                 description=f"From {scale[0]:g} (worst) to {scale[1]:g} (best)."))
    return pydantic.create_model("Verdict", __doc__="The judge's verdict on one output.", **fields)


def usage_of(messages: Sequence[Any]) -> ModelUsage:
    """Tokens, price (genai-prices, by each response's model) and requests of a run's model responses."""
    total = ModelUsage()
    response_type = pydantic_ai("messages").ModelResponse
    for message in messages:
        if isinstance(message, response_type):
            used = message.usage
            tokens = TokenUsage(input=used.input_tokens, output=used.output_tokens,
                                cache_read=used.cache_read_tokens, cache_write=used.cache_write_tokens)
            total = total + ModelUsage(tokens, estimate_cost(tokens, message.model_name, message.provider_name), 1)
    return total
