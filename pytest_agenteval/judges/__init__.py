"""LLM judges and their honesty: `llm` (`llm_judge`, a structured verdict with bounded retries, its own cost),
`prompt` (what the judge is told), `calibration` (agreement and Cohen's kappa against people's labels, blinded
cases to label). Built on pydantic-ai (the `judge` extra), imported on use. Imports neither pytest nor collect/run.
"""

from pytest_agenteval.judges.calibration import Calibration, blinded_cases, calibrate, cohen_kappa, read_labels
from pytest_agenteval.judges.llm import MalformedVerdictError, llm_judge

__all__ = ["Calibration", "MalformedVerdictError", "blinded_cases", "calibrate", "cohen_kappa", "llm_judge",
           "read_labels"]
