"""pytest-agenteval: agent-evaluation suites as pytest tests.

PYTEST_DONT_REWRITE: the plugin has no test asserts, and pytester re-imports it in-process.
"""

from __future__ import annotations

from .budgets import Budgets, BudgetViolation
from .scoring import Feedback, Scorer, ScorerReturnTypeError, scorer
from .task import Task
from .tracing.model import AgentStep, ErrorInfo, ModelCall, TokenUsage, ToolCall, Trace
from .warning_types import AgentEvalWarning, BudgetExceededWarning

__all__ = [
    "AgentEvalWarning",
    "AgentStep",
    "BudgetExceededWarning",
    "BudgetViolation",
    "Budgets",
    "ErrorInfo",
    "Feedback",
    "ModelCall",
    "Scorer",
    "ScorerReturnTypeError",
    "Task",
    "TokenUsage",
    "ToolCall",
    "Trace",
    "scorer",
]
