"""LLM judges and their honesty: `llm` (`llm_judge`, a structured verdict with bounded retries, its own cost),
`prompt` (what the judge is told), `calibration` (agreement and Cohen's kappa against people's labels, blinded
cases to label), `pairwise` (two answers judged in both orders: a win only when both orders agree). Built on
pydantic-ai (the `judge` extra), imported on use. Imports neither pytest nor collect/run.
"""

from pytest_agenteval.judges.calibration import Calibration, blinded_cases, calibrate, cohen_kappa, read_labels
from pytest_agenteval.judges.llm import MalformedVerdictError, llm_judge
from pytest_agenteval.judges.pairwise import PairJudgement, PairwiseSummary, judge_pair, llm_pairwise, summarize

__all__ = ["Calibration", "MalformedVerdictError", "PairJudgement", "PairwiseSummary", "blinded_cases", "calibrate",
           "cohen_kappa", "judge_pair", "llm_judge", "llm_pairwise", "read_labels", "summarize"]
