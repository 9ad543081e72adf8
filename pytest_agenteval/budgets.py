"""Per-task budgets (tokens, seconds, cost) and the violations a trace makes. Imports nothing from pytest."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pytest_agenteval.tracing.model import Trace


BUDGET_FIELDS = ("max_tokens", "max_seconds", "max_cost", "max_judge_tokens", "max_judge_cost")


@dataclass(frozen=True, slots=True)
class BudgetViolation:
    """One budget a task went over."""

    budget: str  # "tokens" | "seconds" | "cost" | "judge_tokens" | "judge_cost"
    limit: float
    actual: float

    def __str__(self) -> str:
        return f"{self.budget} budget exceeded: {self.actual:g} > {self.limit:g}"


@dataclass(frozen=True, slots=True)
class Budgets:
    """Limits per task; None means no limit. Violations warn; they do not fail the item. The judge budgets bound
    what LLM judges spend on grading the task, apart from the agent's own tokens and cost."""

    max_tokens: int | None = None
    max_seconds: float | None = None
    max_cost: float | None = None
    max_judge_tokens: int | None = None
    max_judge_cost: float | None = None

    @classmethod
    def coerce(cls, value: Any) -> Budgets:
        """Accept what an `eval_budgets` fixture may return: Budgets, a dict of the same fields, AG2's
        `ag2.eval.BudgetThresholds`, or None."""
        if value is None:
            return cls()
        if isinstance(value, Budgets):
            return value
        if _is_ag2_budget_thresholds(value):
            return cls(max_tokens=value.max_tokens_per_task, max_seconds=value.max_seconds_per_task)
        if not isinstance(value, Mapping):
            raise TypeError(f"eval_budgets returned {type(value).__name__}; return pytest_agenteval.Budgets, "
                            "a dict of max_tokens/max_seconds/max_cost, ag2.eval.BudgetThresholds, or None")
        unknown = set(value) - set(BUDGET_FIELDS)
        if unknown:
            raise TypeError(f"eval_budgets: unknown budget(s) {sorted(unknown)}; use {', '.join(BUDGET_FIELDS)}")
        return cls(**value)

    def limits(self) -> dict[str, int | float]:
        """The limits that are set, by field name."""
        return {name: value for name in BUDGET_FIELDS if (value := getattr(self, name)) is not None}

    def violations(self, trace: Trace, judge_tokens: int = 0, judge_cost: float | None = None) -> list[BudgetViolation]:
        """The budgets the agent's trace, and the judges' tokens and cost, went over."""
        found = []
        if self.max_tokens is not None and trace.tokens.total > self.max_tokens:
            found.append(BudgetViolation("tokens", self.max_tokens, trace.tokens.total))
        seconds = trace.duration_ms / 1000
        if self.max_seconds is not None and seconds > self.max_seconds:
            found.append(BudgetViolation("seconds", self.max_seconds, round(seconds, 3)))
        cost = trace.cost
        if self.max_cost is not None and cost is not None and cost > self.max_cost:
            found.append(BudgetViolation("cost", self.max_cost, cost))
        if self.max_judge_tokens is not None and judge_tokens > self.max_judge_tokens:
            found.append(BudgetViolation("judge_tokens", self.max_judge_tokens, judge_tokens))
        if self.max_judge_cost is not None and judge_cost is not None and judge_cost > self.max_judge_cost:
            found.append(BudgetViolation("judge_cost", self.max_judge_cost, judge_cost))
        return found


def _is_ag2_budget_thresholds(value: Any) -> bool:
    """True for an `ag2.eval.BudgetThresholds` (decided without importing ag2)."""
    return any(cls.__name__ == "BudgetThresholds" and cls.__module__.startswith("ag2.eval")
               for cls in type(value).__mro__)
