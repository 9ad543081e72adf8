"""Command-line options and their ini twins: one table, checked by argparse `type=` functions.

Every option `--eval-x-y` has the ini key `eval_x_y`, which is also its dest; the command line wins.
"""

from __future__ import annotations

import argparse
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

from .budgets import Budgets
from .gates import GateSpec, fraction, gate_spec

RUN_ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")
WORKER_RUN_ID = "agenteval_run_id"


def positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a positive integer")
    return value


def positive_number(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = 0.0
    if not value > 0:
        raise argparse.ArgumentTypeError(f"{text!r} is not a positive number")
    return value


def import_path(text: str) -> str:
    module, colon, attribute = text.partition(":")
    if not (module and colon and attribute):
        raise argparse.ArgumentTypeError(f"{text!r} is not an import path of the form 'package.module:attribute'")
    return text


def run_id(text: str) -> str:
    if not RUN_ID_PATTERN.match(text):
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a usable run id: letters, digits, '.', '_' and '-' only (it names the JSON file)"
        )
    return text


@dataclass(frozen=True)
class OptionSpec:
    """One option: its flag, its ini twin (`dest`), how to check a value, and its help."""

    flag: str
    help: str
    type: Callable[[str], Any] = str
    metavar: str | None = None
    repeatable: bool = False
    ini: str | None = None
    switch: bool = False  # a flag without a value; its ini twin is a bool

    @property
    def dest(self) -> str:
        return self.ini or self.flag.lstrip("-").replace("-", "_")


OPTIONS = (
    OptionSpec("--eval-suite", "suite file (JSONL) to run; repeatable, globs allowed. "
               "ini: eval_suites, one glob per line, also collected by a bare `pytest` and by IDEs",
               metavar="PATH", repeatable=True, ini="eval_suites"),
    OptionSpec("--eval-store", "directory where the run JSON <run_id>.json is written (nothing written if unset)",
               metavar="DIR"),
    OptionSpec("--eval-repeats", "run each task N times; node ids get [r1]..[rN] (default 1)",
               positive_int, "N"),
    OptionSpec("--eval-run-id", "id of this run and name of its JSON file (default: UTC time + random suffix)",
               run_id, "ID"),
    OptionSpec("--eval-label", "free label stored with the run (e.g. a model or prompt name)", metavar="TEXT"),
    OptionSpec("--eval-agent", "agent to evaluate, as module:attribute (used when no eval_agent fixture is defined)",
               import_path, "MOD:ATTR"),
    OptionSpec("--eval-scorers", "scorers, as module:attribute naming a scorer or a list of them "
               "(used when no eval_scorers fixture is defined)", import_path, "MOD:ATTR"),
    OptionSpec("--eval-max-tokens", "token budget per task; over it, a BudgetExceededWarning", positive_int, "N"),
    OptionSpec("--eval-max-seconds", "time budget per task; over it, a BudgetExceededWarning",
               positive_number, "SECONDS"),
    OptionSpec("--eval-max-cost", "cost budget per task (as reported by spans, usually USD); "
               "over it, a BudgetExceededWarning", positive_number, "AMOUNT"),
    OptionSpec("--eval-concurrency", "agent calls run at once in each process, started ahead of their items "
               "when the agent is shared (default 4)", positive_int, "N"),
    OptionSpec("--eval-timeout", "seconds an agent call may take; then it is cancelled and its item fails",
               positive_number, "SECONDS"),
    OptionSpec("--eval-task-pass-rate", "fraction of a task's repeats that must pass (default 1.0); a miss it "
               "tolerates is reported as xfailed", fraction, "P"),
    OptionSpec("--eval-fail-under", "gate: fail the session when the fraction of passing tasks is under RATE; "
               "KEY=RATE gates the tasks of one tag or one scorer key. Repeatable; ini: eval_fail_under, one per line",
               gate_spec, "[KEY=]RATE", repeatable=True),
    OptionSpec("--eval-baseline", "run JSON to compare with, or 'latest' (the newest run in --eval-store "
               "with the same --eval-label)", metavar="PATH|latest"),
    OptionSpec("--eval-fail-on-regression", "gate: fail the session when a task or scorer that passed in the "
               "baseline fails now", switch=True),
    OptionSpec("--eval-markdown", "write a Markdown summary of the run to PATH", metavar="PATH"),
    OptionSpec("--eval-github-summary", "append the Markdown summary to $GITHUB_STEP_SUMMARY", switch=True),
)


@dataclass(frozen=True)
class EvalOptions:
    """The resolved configuration of this pytest process."""

    store: Path | None
    repeats: int
    run_id: str
    label: str | None
    agent: str | None
    scorers: str | None
    budgets: Budgets
    concurrency: int = 4
    timeout: float | None = None
    task_pass_rate: float = 1.0
    fail_under: tuple[GateSpec, ...] = ()
    baseline: str | None = None
    fail_on_regression: bool = False
    markdown: Path | None = None
    github_summary: bool = False


OPTIONS_KEY = pytest.StashKey[EvalOptions]()
RUN_ID_KEY = pytest.StashKey[str]()


def add_options(parser: pytest.Parser) -> None:
    group = parser.getgroup("agenteval", "agent evaluation suites (pytest-agenteval)")
    for spec in OPTIONS:
        if spec.repeatable:
            group.addoption(spec.flag, action="append", dest=spec.dest, type=spec.type,
                            default=None, metavar=spec.metavar, help=spec.help)
            parser.addini(spec.dest, spec.help, type="linelist", default=[])
        elif spec.switch:
            group.addoption(spec.flag, action="store_true", dest=spec.dest, default=None,
                            help=f"{spec.help}. ini: {spec.dest}")
            parser.addini(spec.dest, spec.help, type="bool", default=False)
        else:
            group.addoption(spec.flag, dest=spec.dest, type=spec.type, default=None, metavar=spec.metavar,
                            help=f"{spec.help}. ini: {spec.dest}")
            parser.addini(spec.dest, spec.help, type="string", default="")


def read_options(config: pytest.Config) -> EvalOptions:
    """Resolve every option once per process (command line over ini) and cache it."""
    if OPTIONS_KEY not in config.stash:
        values = {spec.dest: _value(config, spec) for spec in OPTIONS}
        config.stash[OPTIONS_KEY] = EvalOptions(
            store=_store_dir(config),
            repeats=values["eval_repeats"] or 1,
            run_id=config.stash.get(RUN_ID_KEY, None) or values["eval_run_id"] or new_run_id(),
            label=values["eval_label"],
            agent=values["eval_agent"],
            scorers=values["eval_scorers"],
            budgets=Budgets(values["eval_max_tokens"], values["eval_max_seconds"], values["eval_max_cost"]),
            concurrency=values["eval_concurrency"] or 4,
            timeout=values["eval_timeout"],
            task_pass_rate=values["eval_task_pass_rate"] or 1.0,
            fail_under=tuple(values["eval_fail_under"] or ()),
            baseline=values["eval_baseline"],
            fail_on_regression=bool(values["eval_fail_on_regression"]),
            markdown=config.invocation_params.dir / values["eval_markdown"] if values["eval_markdown"] else None,
            github_summary=bool(values["eval_github_summary"]),
        )
    return config.stash[OPTIONS_KEY]


def _store_dir(config: pytest.Config) -> Path | None:
    given: str | None = config.getoption("eval_store")
    if given:
        return config.invocation_params.dir / given
    ini: str = config.getini("eval_store")
    return config.rootpath / ini if ini else None


def _value(config: pytest.Config, spec: OptionSpec) -> Any:
    given = config.getoption(spec.dest)
    if given is not None:
        return given
    ini = config.getini(spec.dest)
    if spec.switch:
        return bool(ini)
    if spec.repeatable:
        return [_checked(spec, line) for line in ini] or None
    if not ini:
        return None
    return _checked(spec, ini)


def _checked(spec: OptionSpec, text: str) -> Any:
    try:
        return spec.type(text)
    except argparse.ArgumentTypeError as exc:
        raise pytest.UsageError(f"ini option {spec.dest}: {exc}") from None


def new_run_id() -> str:
    """Sortable and unique: `20261127T070102Z-3fa9c1`."""
    return f"{datetime.now(timezone.utc):%Y%m%dT%H%M%SZ}-{secrets.token_hex(3)}"
