"""The run JSON's models: a superset of AG2's schema 0.2 (`ag2.eval.load_run` reads it), gates and
baseline comparison included. Data only: `store` reads and writes them, `report` renders them.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import ConfigDict, Field

from pytest_agenteval.results.pairwise_models import PairwiseSection
from pytest_agenteval.results.record import Record as Record
from pytest_agenteval.results.record import TokenTotals as TokenTotals
from pytest_agenteval.tracing.model import AgentStep, ErrorInfo, ModelCall, ToolCall

SCHEMA_VERSION = "0.2"
# 1.1: crash tracebacks (`traceback` on tasks and feedback); 1.2: `replay`; 1.3: `variant` and `variants`;
# 1.4: what LLM judges spent (`judge_tokens`, `judge_cost` on tasks and aggregates; judge budgets);
# 1.5: `pairwise`, variants' outputs compared by a judge in both orders
PLUGIN_SCHEMA = "agenteval/1.5"

Verdict = Literal["passed", "failed", "error"]
GateKind = Literal["suite", "tag", "scorer", "regression"]
ChangeStatus = Literal["regressed", "fixed", "unchanged", "drifted", "added", "removed"]
StepRecord = Annotated[ModelCall | ToolCall | AgentStep, Field(discriminator="kind")]


class FeedbackRecord(Record):
    """AG2's feedback fields, plus the threshold, the pass/fail it decided, and a scorer crash."""

    # Frozen: held results share equal records, one object each (`results.footprint`).
    model_config = ConfigDict(extra="forbid", frozen=True)

    key: str
    score: bool | int | float | None = None
    value: str | None = None
    comment: str | None = None
    detail: dict[str, Any] | None = None
    threshold: float | None = None
    passed: bool | None = None
    error: ErrorInfo | None = None
    traceback: str | None = None  # where the scorer crashed, without plugin frames


class TokenRecord(Record):
    """Per-task tokens: AG2's four fields plus reasoning and total."""

    model_config = ConfigDict(extra="forbid", frozen=True)  # as FeedbackRecord's

    input: int = 0
    output: int = 0
    cache_creation: int = 0
    cache_read: int = 0
    reasoning: int = 0
    total: int = 0


class TraceRef(Record):
    trace_id: str
    task_id: str
    metadata: dict[str, Any] = Field(default_factory=dict)


ReplayStatus = Literal["replayed", "recorded", "missed", "no requests"]


class ReplayRecord(Record):
    """What a task x repeat did with its cassette (`--eval-cassettes`)."""

    status: ReplayStatus
    cassette: str  # relative to the cassette directory
    played: int = 0
    recorded: int = 0
    misses: list[str] = Field(default_factory=list)
    unused: int = 0  # recordings in the cassette the task did not play (stale, if the agent changed)


class BudgetViolationRecord(Record):
    budget: Literal["tokens", "seconds", "cost", "judge_tokens", "judge_cost"]
    limit: float
    actual: float


class TraceRecord(Record):
    """The trace in a documented, stable form: ordered steps tagged by `kind`, and totals."""

    steps: list[StepRecord] = Field(default_factory=list)
    input: Any = None
    output: Any = None
    model_calls: int = 0
    tool_calls: int = 0
    cost: float | None = None
    notes: list[str] = Field(default_factory=list)


class TaskResult(Record):
    """One item: a task at one repeat. AG2's fields first, then ours."""

    task_id: str
    inputs: dict[str, Any]
    reference_outputs: dict[str, Any] | None = None
    tags: list[str] = Field(default_factory=list)
    metadata: dict[str, Any] = Field(default_factory=dict)
    duration_ms: float = 0.0
    events: list[Any] = Field(default_factory=list)  # AG2 stores framework events here; ours are in `trace`
    exception: ErrorInfo | None = None
    traceback: str | None = None  # where the agent crashed, without plugin frames
    failed_in: str | None = None  # what raised `exception` when it was not the agent, e.g. "fixture 'eval_agent'"
    tokens: TokenRecord = Field(default_factory=TokenRecord)
    feedback: list[FeedbackRecord] = Field(default_factory=list)
    budget_violation: bool = False
    trace_ref: TraceRef | None = None
    base_task_id: str
    repeat: int = 1
    suite: str
    line: int
    node_id: str
    verdict: Verdict
    outcome: str | None = None  # pytest's outcome, which `-W error` on a budget warning can turn to failed
    outputs: dict[str, Any] = Field(default_factory=dict)
    cost: float | None = None
    budget_violations: list[BudgetViolationRecord] = Field(default_factory=list)
    budgets: dict[str, int | float] = Field(default_factory=dict)  # the limits this task ran under (max_tokens, ...)
    trace: TraceRecord = Field(default_factory=TraceRecord)
    worker: str = "main"
    attempts: int = 1  # runs of this item in its session (pytest-rerunfailures); the result is the last one
    replay: ReplayRecord | None = None  # None: the agent's calls ran live
    cost_estimated: bool = False  # `cost` (in part) from tokens and model names by genai-prices, not from spans
    variant: str | None = None  # the `eval_variants` entry that ran it; None without variants
    judge_tokens: TokenRecord = Field(default_factory=TokenRecord)  # LLM judges grading it; never in `tokens`
    judge_cost: float | None = None  # what those judge calls cost (genai-prices); never in `cost`

    @property
    def item_key(self) -> tuple[str, str, str | None]:
        """Which item this is the result of: suite, run task id (`id#k` with repeats) and variant. A later result
        with the same key is a rerun of that item; two runs with the same key overlap."""
        return self.suite, self.task_id, self.variant


class GateRecord(Record):
    """One gate as judged at the end of the run."""

    kind: GateKind
    spec: str  # as the user wrote it: "0.8", "adversarial=0.9", "--eval-fail-on-regression"
    name: str | None = None  # the tag or scorer key
    required: float | None = None
    rate: float | None = None
    passed_tasks: int = 0
    total_tasks: int = 0
    passed: bool
    problem: str | None = None  # why it could not be measured, or what broke it
    variant: str | None = None  # with variants, every rate gate is judged for each variant apart


class Pair(Record):
    """A number in the baseline and now; None where a run has no such number."""

    base: float | None = None
    current: float | None = None

    @property
    def delta(self) -> float | None:
        return None if self.base is None or self.current is None else self.current - self.base


class ScorerChange(Record):
    """One scorer on one task: its pass rate over repeats, then and now."""

    key: str
    base: float | None = None
    current: float | None = None
    flipped: bool = False  # met the task pass rate in the baseline, misses it now


def task_name(suite: str, task_id: str, variant: str | None) -> str:
    """How summaries name a suite task: `suite::task_id`, with `[variant]` when it has one."""
    return f"{suite}::{task_id}" + (f"[{variant}]" if variant is not None else "")


class TaskChange(Record):
    """One suite task compared with the baseline (repeats grouped)."""

    suite: str
    task_id: str
    variant: str | None = None
    status: ChangeStatus
    base_passes: int = 0
    base_runs: int = 0
    passes: int = 0
    runs: int = 0
    drift: list[str] = Field(default_factory=list)  # fields that changed: the task is not comparable
    scorers: list[ScorerChange] = Field(default_factory=list)
    tokens: Pair = Field(default_factory=Pair)  # mean total tokens per repeat
    duration_ms: Pair = Field(default_factory=Pair)  # mean per repeat
    cost: Pair = Field(default_factory=Pair)  # mean per repeat

    @property
    def name(self) -> str:
        return task_name(self.suite, self.task_id, self.variant)


class RunDiff(Record):
    """A run compared with a baseline run, task by task and scorer by scorer."""

    run_id: str
    base_run_id: str
    base_label: str | None = None
    base_path: str | None = None
    task_pass_rate: float = 1.0  # both runs are judged by the current run's policy
    tasks: list[TaskChange] = Field(default_factory=list)
    suite_rate: Pair = Field(default_factory=Pair)  # fraction of tasks meeting the policy
    scorer_rates: dict[str, Pair] = Field(default_factory=dict)  # per-item pass rate of each scorer
    tokens: Pair = Field(default_factory=Pair)
    duration_ms: Pair = Field(default_factory=Pair)
    cost: Pair = Field(default_factory=Pair)

    def with_status(self, status: ChangeStatus) -> list[TaskChange]:
        return [task for task in self.tasks if task.status == status]

    @property
    def flips(self) -> int:
        """Pass-to-fail flips on comparable tasks: tasks that regressed, or scorers that flipped."""
        return sum(1 for task in self.tasks if task.status == "regressed" or any(s.flipped for s in task.scorers))


class SuiteInfo(Record):
    """AG2's `suite`: with several suites, `name` joins their names and `source` their paths."""

    name: str
    size: int
    source: str


class ScoreStats(Record):
    mean: float
    p50: float
    p95: float
    n: int


class PassCount(Record):
    passed: int
    total: int


class Aggregates(Record):
    """AG2's aggregates (a scorer crash counts as a fail here), plus counts, verdicts and cost."""

    pass_rate: dict[str, float] = Field(default_factory=dict)
    score_stats: dict[str, ScoreStats] = Field(default_factory=dict)
    value_counts: dict[str, dict[str, int]] = Field(default_factory=dict)
    tokens: TokenTotals = Field(default_factory=TokenTotals)
    errors: int = 0
    budget_violations: int = 0
    pass_counts: dict[str, PassCount] = Field(default_factory=dict)
    verdicts: dict[str, int] = Field(default_factory=dict)
    budget_violations_by_budget: dict[str, int] = Field(default_factory=dict)
    cost: float | None = None
    judge_tokens: TokenTotals = Field(default_factory=TokenTotals)  # LLM judges' tokens, apart from the agents'
    judge_cost: float | None = None


class VariantScore(Record):
    """One scorer key for one variant, as AG2's `VariantRunResult.leaderboard(key)` ranks it: the pass rate of a
    boolean key over the variant's items (n = its items), else the mean of its numeric scores."""

    score: float
    n: int
    rank: int  # competition ranking among the variants for this key (ties share: 1, 1, 3)
    interval: tuple[float, float] | None = None  # Wilson, for pass rates


class LeaderboardRow(Record):
    """One variant, ranked by the fraction of its tasks that meet the run's pass policy (ties share a rank)."""

    rank: int
    variant: str
    passed_tasks: int
    total_tasks: int
    pass_rate: float
    interval: tuple[float, float]  # Wilson 95% of pass_rate
    items: int  # task x repeat items
    scores: dict[str, VariantScore] = Field(default_factory=dict)


class TaskFlip(Record):
    """A task on which two variants disagree (one meets the pass policy, the other does not)."""

    suite: str
    task_id: str
    passed_by: str  # the variant that passed it


class PairedComparison(Record):
    """A variant against the leader on the tasks both ran: the tasks only one of them passed decide it (exact
    McNemar / sign test, two-sided), not two overlapping intervals."""

    variant: str
    against: str  # the leaderboard's first row
    tasks: int  # tasks both variants ran
    both_passed: int
    neither_passed: int
    only_variant: int  # passed by `variant`, failed by `against`
    only_against: int
    p_value: float  # 1.0 when no task flips
    flips: list[TaskFlip] = Field(default_factory=list)


class VariantsSummary(Record):
    """Variants side by side: the leaderboard, each variant's paired comparison with the leader, and each
    variant's own aggregates."""

    names: list[str]  # in the order `eval_variants` gives them
    leaderboard: list[LeaderboardRow] = Field(default_factory=list)
    comparisons: list[PairedComparison] = Field(default_factory=list)
    aggregates: dict[str, Aggregates] = Field(default_factory=dict)


class RunConfig(Record):
    """How the run was configured."""

    repeats: int = 1
    timeout: float | None = None  # --eval-timeout, seconds per agent call
    max_tokens: int | None = None
    max_seconds: float | None = None
    max_cost: float | None = None
    max_judge_tokens: int | None = None
    max_judge_cost: float | None = None
    scorers: list[str] = Field(default_factory=list)
    agent: str | None = None
    pytest_args: list[str] = Field(default_factory=list)
    workers: int = 0
    task_pass_rate: float = 1.0  # fraction of a task's repeats that must pass
    fail_under: list[str] = Field(default_factory=list)  # gate specs as given: "0.8", "adversarial=0.9"
    baseline: str | None = None  # as given: a path or "latest"
    fail_on_regression: bool = False
    variants: list[str] = Field(default_factory=list)  # the variants that ran (eval_variants / --eval-variant)
    traces: list[str] = Field(default_factory=list)  # --eval-traces: graded from these stored traces, no agent ran
    cassettes: str | None = None  # --eval-cassettes, as given
    record: str | None = None  # --eval-record, when cassettes are on


class Provenance(Record):
    plugin_version: str
    python_version: str
    pytest_version: str
    platform: str
    git_commit: str | None = None
    git_dirty: bool | None = None


class RunResult(Record):
    """The whole run: `<store>/<run_id>.json`."""

    schema_version: str = SCHEMA_VERSION
    format: str = PLUGIN_SCHEMA
    run_id: str
    label: str | None = None
    created_at: str
    duration_ms: float
    suite: SuiteInfo
    target: str | None = None
    concurrency: int = 1
    tasks: list[TaskResult]
    aggregates: Aggregates
    suites: list[str] = Field(default_factory=list)
    invalid_records: list[str] = Field(default_factory=list)  # "file:line: problem", one per bad suite line
    unused_cassettes: list[str] = Field(default_factory=list)  # cassette files under --eval-cassettes no task used
    partial: bool = False
    exit_status: int | None = None
    config: RunConfig = Field(default_factory=RunConfig)
    provenance: Provenance | None = None
    gates: list[GateRecord] = Field(default_factory=list)  # judged at the end of the run
    baseline: RunDiff | None = None  # the comparison with --eval-baseline
    resumed_from: str | None = None  # the run id `--eval-resume` continued; its results are included
    variants: VariantsSummary | None = None  # with `eval_variants`: leaderboard and paired comparisons
    pairwise: PairwiseSection | None = None  # with pairwise judges: variants' outputs compared task by task
