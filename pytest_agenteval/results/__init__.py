"""Results: the run file's models (`models`, on the base in `record`; its `pairwise` section in `pairwise_models`),
building a run (`build`; where it came from, git included, in `provenance`), per-task verdicts (`verdicts`), the
variants' leaderboard (`variants`), comparing runs (`compare`), values made safe to store (`storable`), the store
(`store`), the journal that survives a killed session (`journal`, its models in `journal_models`) and what a resumed
run keeps (`resume`). Pure: imports neither pytest nor the collect/run stages.

Public for tools that read stored runs: `RunResult`, `TaskResult`, `read_run`.
"""

from pytest_agenteval.results.models import RunResult, TaskResult
from pytest_agenteval.results.store import read_run

__all__ = ["RunResult", "TaskResult", "read_run"]
