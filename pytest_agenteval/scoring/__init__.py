"""Scoring: the AG2-compatible scorer protocol (`core`: `Scorer`, `@scorer`, `Feedback`), turning what users
hand over into scorers (`coerce`), and the bridge that runs `ag2.eval` scorers (`ag2`). The built-in catalog
is `pytest_agenteval.scorers`. Imports neither pytest nor the collect/run stages.
"""

from pytest_agenteval.scoring.coerce import as_scorer
from pytest_agenteval.scoring.core import (
    Feedback,
    ScoreContext,
    Scorer,
    ScorerReturnTypeError,
    apply_scorers,
    normalize_feedback,
    scorer,
)

__all__ = [
    "Feedback",
    "ScoreContext",
    "Scorer",
    "ScorerReturnTypeError",
    "apply_scorers",
    "as_scorer",
    "normalize_feedback",
    "scorer",
]
