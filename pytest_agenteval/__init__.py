"""pytest-agenteval: agent-evaluation suites as pytest tests.

The public API is what `__all__` names; each name is imported on first use, so loading the plugin stays light.
PYTEST_DONT_REWRITE: the plugin has no test asserts, and pytester re-imports it in-process.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pytest_agenteval.budgets import Budgets, BudgetViolation
    from pytest_agenteval.collect.inline_suite import InlineSuite, inline_suite
    from pytest_agenteval.scoring.core import Feedback, Scorer, ScorerReturnTypeError, scorer
    from pytest_agenteval.task import Task
    from pytest_agenteval.tracing.conventions import SpanConvention
    from pytest_agenteval.tracing.model import AgentStep, ErrorInfo, ModelCall, SpanData, TokenUsage, ToolCall, Trace
    from pytest_agenteval.tracing.reading import SpanReading
    from pytest_agenteval.warning_types import (
        AgentEvalWarning,
        BudgetExceededWarning,
        PrefetchWarning,
        SequentialRunWarning,
        SuiteWarning,
        TraceWarning,
    )

_HOMES = {name: module for module, names in {
    "budgets": ["Budgets", "BudgetViolation"],
    "collect.inline_suite": ["InlineSuite", "inline_suite"],
    "scoring.core": ["Feedback", "Scorer", "ScorerReturnTypeError", "scorer"],
    "task": ["Task"],
    "tracing.conventions": ["SpanConvention"],
    "tracing.reading": ["SpanReading"],
    "tracing.model": ["AgentStep", "ErrorInfo", "ModelCall", "SpanData", "TokenUsage", "ToolCall", "Trace"],
    "warning_types": [
        "AgentEvalWarning", "BudgetExceededWarning", "PrefetchWarning", "SequentialRunWarning", "SuiteWarning",
        "TraceWarning",
    ],
}.items() for name in names}

__all__ = [
    "AgentEvalWarning",
    "AgentStep",
    "BudgetExceededWarning",
    "BudgetViolation",
    "Budgets",
    "ErrorInfo",
    "Feedback",
    "InlineSuite",
    "ModelCall",
    "PrefetchWarning",
    "Scorer",
    "ScorerReturnTypeError",
    "SequentialRunWarning",
    "SpanConvention",
    "SpanData",
    "SpanReading",
    "SuiteWarning",
    "Task",
    "TokenUsage",
    "ToolCall",
    "Trace",
    "TraceWarning",
    "inline_suite",
    "scorer",
]


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'pytest_agenteval' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"pytest_agenteval.{home}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
