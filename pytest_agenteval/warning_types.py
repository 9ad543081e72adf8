"""The plugin's warning categories."""

from __future__ import annotations

import pytest


class AgentEvalWarning(pytest.PytestWarning):
    """Base of every pytest-agenteval warning; never raised directly."""


class BudgetExceededWarning(AgentEvalWarning, UserWarning):
    """A task went over a token, time or cost budget.

    Make budgets blocking with `-W error::pytest_agenteval.BudgetExceededWarning`.
    """


class SequentialRunWarning(AgentEvalWarning):
    """Tasks run one at a time because the agent is not shared between items."""


class TraceWarning(AgentEvalWarning):
    """A task's trace may be incomplete: spans still open, attributes dropped, or spans in no task."""


class PrefetchWarning(AgentEvalWarning):
    """Agent calls cannot be started ahead of their items here, so tasks run one at a time."""


class SuiteWarning(AgentEvalWarning):
    """A suite loaded with something to fix: records without `task_id`, or unknown keys kept in metadata."""
