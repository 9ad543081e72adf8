"""Command-line options and their ini twins in one table: flag, ini key, type, default and path base.

Every option `--eval-x-y` has the ini key `eval_x_y` (its dest); the command line wins. Paths given on the
command line resolve against the current directory, paths from the ini file against the ini file's directory.
Standard library and pytest only: options are read at configure time, before anything heavy is imported.
"""

from __future__ import annotations

import argparse
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Literal

import pytest

from pytest_agenteval.budgets import Budgets
from pytest_agenteval.gates.spec import GateSpec, fraction, gate_spec
from pytest_agenteval.keys import OPTIONS_KEY, RUN_ID_KEY

RUN_ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")
WORKER_RUN_ID = "agenteval_run_id"  # the controller's run id, sent to xdist workers in `workerinput`


def positive_int(text: str) -> int:
    """argparse type: an integer of at least 1."""
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a positive integer")
    return value


def positive_number(text: str) -> float:
    """argparse type: a number above 0."""
    try:
        value = float(text)
    except ValueError:
        value = 0.0
    if not value > 0:
        raise argparse.ArgumentTypeError(f"{text!r} is not a positive number")
    return value


def import_path(text: str) -> str:
    """argparse type: `package.module:attribute`."""
    module, colon, attribute = text.partition(":")
    if not (module and colon and attribute):
        raise argparse.ArgumentTypeError(f"{text!r} is not an import path of the form 'package.module:attribute'")
    return text


def regex(text: str) -> str:
    """argparse type: a regular expression that compiles."""
    try:
        re.compile(text)
    except re.error as exc:
        raise argparse.ArgumentTypeError(f"{text!r} is not a regular expression: {exc}") from None
    return text


def run_id(text: str) -> str:
    """argparse type: a run id usable as a file name (no control characters, no trailing newline)."""
    if not RUN_ID_PATTERN.fullmatch(text):
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a usable run id: letters, digits, '.', '_' and '-' only (it names the JSON file)"
        )
    return text


def variant_name(text: str) -> str:
    """argparse type: a variant name, as `eval_variants` keys it (it appears in node ids as `task[NAME]`)."""
    if not text.strip() or text != text.strip():
        raise argparse.ArgumentTypeError(f"{text!r} is not a variant name: give the name without surrounding spaces")
    return text


SUMMARY_STYLES = ("short", "full")
RECORD_MODES = ("none", "new", "all")
MATCH_FIELDS = ("method", "scheme", "host", "port", "path", "query", "body")


def match_rule(text: str) -> str:
    """argparse type: `[HOST=]FIELD,FIELD...`, the request parts a recording must match (for one host)."""
    _, _, fields = text.rpartition("=")
    unknown = [field for field in fields.split(",") if field.strip() not in MATCH_FIELDS]
    if not fields or unknown:
        raise argparse.ArgumentTypeError(f"{text!r}: match on a comma-separated list of {', '.join(MATCH_FIELDS)}"
                                         f", optionally after HOST=")
    return text


def record_mode(text: str) -> str:
    """argparse type: what replay may record."""
    if text not in RECORD_MODES:
        raise argparse.ArgumentTypeError(f"{text!r} is not a record mode: write none, new or all")
    return text


def summary_style(text: str) -> str:
    """argparse type: how much the terminal summary lists."""
    if text not in SUMMARY_STYLES:
        raise argparse.ArgumentTypeError(f"{text!r} is not a summary style: write short or full")
    return text


Kind = Literal["value", "list", "switch"]


@dataclass(frozen=True)
class OptionSpec:
    """One option: its flag, how to check a value, its default, and whether it names a path."""

    flag: str
    help: str
    type: Callable[[str], Any] = str
    metavar: str | None = None
    default: Any = None
    kind: Kind = "value"  # "list": repeatable, one ini line each; "switch": a flag, a bool in the ini
    path: bool = False  # resolved against the current directory (command line) or the ini file's directory
    ini: str | None = None

    @property
    def dest(self) -> str:
        return self.ini or self.flag.lstrip("-").replace("-", "_")

    @property
    def full_help(self) -> str:
        shown_default = f" (default {self.default})" if self.default not in (None, False, ()) else ""
        return f"{self.help}{shown_default}. ini: {self.dest}"


OPTIONS = (
    OptionSpec("--eval-suite", "suite file (JSONL) to run; repeatable, globs allowed; used when no test path is "
               "given. ini: one glob per line, also collected by a bare `pytest` and by IDEs",
               metavar="PATH", kind="list", path=True, ini="eval_suites"),
    OptionSpec("--eval-store", "directory where the run JSON <run_id>.json is written (nothing written if unset)",
               metavar="DIR", path=True),
    OptionSpec("--eval-repeats", "run each task N times; node ids get [r1]..[rN]", positive_int, "N", default=1),
    OptionSpec("--eval-run-id", "id of this run and name of its JSON file (default: UTC time + random suffix)",
               run_id, "ID"),
    OptionSpec("--eval-label", "free label stored with the run (e.g. a model or prompt name)", metavar="TEXT"),
    OptionSpec("--eval-variant", "run the eval_variants entry NAME: each task x variant x repeat is an item "
               "(task[NAME], task[NAME-r2]); repeatable. ini: the variants a bare run compares, one per line",
               variant_name, "NAME", kind="list", ini="eval_variants"),
    OptionSpec("--eval-agent", "agent to evaluate, as module:attribute (used when no eval_agent fixture is defined)",
               import_path, "MOD:ATTR"),
    OptionSpec("--eval-scorers", "scorers, as module:attribute naming a scorer or a list of them "
               "(used when no eval_scorers fixture is defined)", import_path, "MOD:ATTR"),
    OptionSpec("--eval-pairwise", "pairwise judges, as module:attribute naming a pairwise_judge(...) or a list of "
               "them: once every item ran, each compares two variants' outputs of every task in both orders (by "
               "default every variant against the leaderboard's first); repeatable, one per ini line",
               import_path, "MOD:ATTR", kind="list"),
    OptionSpec("--eval-max-tokens", "token budget per task; over it, a BudgetExceededWarning", positive_int, "N"),
    OptionSpec("--eval-max-seconds", "time budget per task; over it, a BudgetExceededWarning",
               positive_number, "SECONDS"),
    OptionSpec("--eval-max-cost", "cost budget per task (as reported by spans, usually USD); "
               "over it, a BudgetExceededWarning", positive_number, "AMOUNT"),
    OptionSpec("--eval-max-judge-tokens", "token budget per task for the LLM judges grading it (apart from the "
               "agent's); over it, a BudgetExceededWarning", positive_int, "N"),
    OptionSpec("--eval-max-judge-cost", "cost budget per task for the LLM judges grading it (genai-prices, USD); "
               "over it, a BudgetExceededWarning", positive_number, "AMOUNT"),
    OptionSpec("--eval-concurrency", "agent calls run at once in each process, started ahead of their items "
               "when the agent is shared", positive_int, "N", default=4),
    OptionSpec("--eval-timeout", "seconds an agent call may take; then it is cancelled and its item fails",
               positive_number, "SECONDS"),
    OptionSpec("--eval-scorer-timeout", "seconds the scorers of one task may take together; then they are "
               "abandoned and the item fails; also what a pairwise judge may take for one pair's two orders (then "
               "that pair is an error) (default: --eval-timeout, else none)", positive_number, "SECONDS"),
    OptionSpec("--eval-task-pass-rate", "fraction of a task's repeats that must pass; a miss it tolerates is "
               "reported as xfailed", fraction, "P", default=1.0),
    OptionSpec("--eval-fail-under", "gate: fail the session when the fraction of passing tasks is under RATE; "
               "KEY=RATE gates the tasks of one tag or one scorer key. Repeatable; one per ini line",
               gate_spec, "[KEY=]RATE", kind="list"),
    OptionSpec("--eval-baseline", "run JSON to compare with, or 'latest' (the newest run in --eval-store "
               "with the same --eval-label)", metavar="PATH|latest", path=True),
    OptionSpec("--eval-fail-on-regression", "gate: fail the session when a task or scorer that passed in the "
               "baseline fails now", kind="switch", default=False),
    OptionSpec("--eval-summary", "terminal summary: 'short' fits a screen (failing tasks grouped by cause, the "
               "first few of each listing, a pointer to the rest); 'full' lists every flaky and failing task",
               summary_style, "short|full", default="short"),
    OptionSpec("--eval-markdown", "write a Markdown summary of the run to PATH", metavar="PATH", path=True),
    OptionSpec("--eval-html", "write the run as one self-contained HTML report to PATH (tasks, traces, gates; opens "
               "from file://, fetches nothing)", metavar="PATH", path=True),
    OptionSpec("--eval-resume", "run only the task x repeat items missing from the stored run RUN_ID (or the "
               "latest run in --eval-store) and store one complete run", metavar="RUN_ID|latest"),
    OptionSpec("--eval-resume-errors", "with --eval-resume, also rerun the items that ended in an error",
               kind="switch", default=False),
    OptionSpec("--eval-redact", "regular expression whose matches are masked in everything the plugin writes or "
               "prints (secret-looking environment variables are masked anyway); repeatable, one per ini line",
               regex, "REGEX", kind="list"),
    OptionSpec("--eval-export-traces", "write each task's spans (its whole trace) as OTLP/JSON, one file per trace, "
               "to DIR: they open in Jaeger, Tempo or Phoenix", metavar="DIR", path=True),
    OptionSpec("--eval-traces", "grade stored traces instead of calling the agent: OTLP/JSON files or JSONL (as "
               "--eval-export-traces, the collector's file exporter or Tempo write them) or AG2 trace files, a file "
               "or a directory; each task gets the trace whose spans carry its id; repeatable, one per ini line",
               metavar="PATH", kind="list", path=True),
    OptionSpec("--eval-trace-task-attribute", "with --eval-traces: the span attribute holding the task id "
               "(default: agenteval.task_id, then ag2.eval.task_id)", metavar="NAME"),
    OptionSpec("--eval-cassettes", "replay each task x repeat's HTTP calls from its own cassette under DIR "
               "(needs the replay extra); requests without a recording fail their item", metavar="DIR", path=True),
    OptionSpec("--eval-record", "with --eval-cassettes: 'none' replays only, 'new' records what is missing, 'all' "
               "records every call afresh", record_mode, "none|new|all", default="none"),
    OptionSpec("--eval-match-on", "with --eval-cassettes: the request parts a recording must match, for every "
               "host or (HOST=...) for one (default: all of method,scheme,host,port,path,query,body; JSON bodies "
               "compare as JSON); repeatable, one per ini line", match_rule, "[HOST=]FIELDS", kind="list"),
    OptionSpec("--eval-allow-host", "with --eval-cassettes: a host live connections may still reach (other "
               "connections are blocked while replaying); repeatable, one per ini line", metavar="HOST",
               kind="list", ini="eval_allow_hosts"),
    OptionSpec("--eval-github-summary", "append the Markdown summary to $GITHUB_STEP_SUMMARY", kind="switch",
               default=False),
)
SPECS = {spec.dest: spec for spec in OPTIONS}
KEEP_AS_GIVEN = frozenset({"latest"})  # path options' words that name no file


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
    concurrency: int
    timeout: float | None
    scorer_timeout: float | None
    task_pass_rate: float
    fail_under: tuple[GateSpec, ...]
    baseline: str | None
    fail_on_regression: bool
    summary: str
    markdown: Path | None
    github_summary: bool
    resume: str | None
    resume_errors: bool
    redact: tuple[str, ...]
    cassettes: Path | None = None
    record: str = "none"
    allow_hosts: tuple[str, ...] = ()
    match_on: tuple[str, ...] = ()
    export_traces: Path | None = None
    html: Path | None = None
    variants: tuple[str, ...] = ()
    traces: tuple[Path, ...] = ()
    trace_task_attribute: str | None = None
    pairwise: tuple[str, ...] = ()


def add_options(parser: pytest.Parser) -> None:
    """Register every option of the table, with its ini twin."""
    group = parser.getgroup("agenteval", "agent evaluation suites (pytest-agenteval)")
    for spec in OPTIONS:
        if spec.kind == "list":
            group.addoption(spec.flag, action="append", dest=spec.dest, type=spec.type,
                            default=None, metavar=spec.metavar, help=spec.full_help)
            parser.addini(spec.dest, spec.help, type="linelist", default=[])
        elif spec.kind == "switch":
            group.addoption(spec.flag, action="store_true", dest=spec.dest, default=None, help=spec.full_help)
            parser.addini(spec.dest, spec.help, type="bool", default=False)
        else:
            group.addoption(spec.flag, dest=spec.dest, type=spec.type, default=None, metavar=spec.metavar,
                            help=spec.full_help)
            parser.addini(spec.dest, spec.help, type="string", default="")


def read_options(config: pytest.Config) -> EvalOptions:
    """Resolve every option once per process (command line over ini) and cache it."""
    if OPTIONS_KEY not in config.stash:
        values = {spec.dest: option_value(config, spec) for spec in OPTIONS}
        store, markdown = values["eval_store"], values["eval_markdown"]
        config.stash[OPTIONS_KEY] = EvalOptions(
            store=Path(store) if store else None,
            repeats=eval_repeats(config, values["eval_repeats"]),
            run_id=config.stash.get(RUN_ID_KEY, None) or values["eval_run_id"] or new_run_id(),
            label=values["eval_label"],
            agent=values["eval_agent"],
            scorers=values["eval_scorers"],
            budgets=Budgets(values["eval_max_tokens"], values["eval_max_seconds"], values["eval_max_cost"],
                            values["eval_max_judge_tokens"], values["eval_max_judge_cost"]),
            concurrency=values["eval_concurrency"],
            timeout=values["eval_timeout"],
            scorer_timeout=values["eval_scorer_timeout"] or values["eval_timeout"],
            task_pass_rate=values["eval_task_pass_rate"],
            fail_under=tuple(values["eval_fail_under"]),
            baseline=values["eval_baseline"],
            fail_on_regression=values["eval_fail_on_regression"],
            summary=values["eval_summary"],
            markdown=Path(markdown) if markdown else None,
            github_summary=values["eval_github_summary"],
            resume=values["eval_resume"],
            resume_errors=values["eval_resume_errors"],
            redact=tuple(values["eval_redact"]),
            cassettes=Path(values["eval_cassettes"]) if values["eval_cassettes"] else None,
            record=values["eval_record"],
            allow_hosts=tuple(values["eval_allow_hosts"]),
            match_on=tuple(values["eval_match_on"]),
            export_traces=Path(values["eval_export_traces"]) if values["eval_export_traces"] else None,
            html=Path(values["eval_html"]) if values["eval_html"] else None,
            variants=unique_variants(values["eval_variants"]),
            traces=tuple(Path(path) for path in values["eval_traces"]),
            trace_task_attribute=values["eval_trace_task_attribute"],
            pairwise=tuple(values["eval_pairwise"]),
        )
    return config.stash[OPTIONS_KEY]


def unique_variants(names: tuple[str, ...]) -> tuple[str, ...]:
    """The variants to run, each once: a name given twice is a usage error (its items would share node ids)."""
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise pytest.UsageError(f"--eval-variant / eval_variants: {', '.join(map(repr, repeated))} given twice")
    return names


def eval_repeats(config: pytest.Config, repeats: int) -> int:
    """--eval-repeats, or pytest-repeat's --count N (its parametrization reaches Python tests only, so for eval items
    it means --eval-repeats=N); both given and different: a usage error, not a silent pick."""
    count = getattr(config.option, "count", 1) if config.pluginmanager.has_plugin("repeat") else 1
    if not isinstance(count, int) or count == 1:
        return repeats
    explicit = config.getoption("eval_repeats") is not None or bool(config.getini("eval_repeats"))
    if explicit and repeats != count:
        raise pytest.UsageError(f"--count={count} (pytest-repeat) and --eval-repeats={repeats} disagree: eval "
                                f"items repeat --count times unless --eval-repeats says otherwise; give one of them")
    if count < 1:
        raise pytest.UsageError(f"--count={count} (pytest-repeat): eval items need a count of at least 1")
    return count


def option_value(config: pytest.Config, spec: OptionSpec) -> Any:
    """The value of one option: the command line's, else the ini file's, else the table's default."""
    given = config.getoption(spec.dest)
    if given is not None and given != []:
        return _resolved(spec, given, config.invocation_params.dir)
    ini = config.getini(spec.dest)
    if spec.kind == "switch":
        return bool(ini)
    if spec.kind == "list":
        return _resolved(spec, [_checked(spec, line) for line in ini], ini_dir(config)) if ini else ()
    if not ini:
        return spec.default
    return _resolved(spec, _checked(spec, ini), ini_dir(config))


def ini_dir(config: pytest.Config) -> Path:
    """Where ini paths resolve: the ini file's directory, or the rootdir when there is no ini file."""
    return config.inipath.parent if config.inipath is not None else config.rootpath


def _resolved(spec: OptionSpec, value: Any, base: Path) -> Any:
    if not spec.path:
        return tuple(value) if spec.kind == "list" else value
    if spec.kind == "list":
        return tuple(str(base / each) for each in value)
    return value if value in KEEP_AS_GIVEN else str(base / value)


def _checked(spec: OptionSpec, text: str) -> Any:
    try:
        return spec.type(text)
    except argparse.ArgumentTypeError as exc:
        raise pytest.UsageError(f"ini option {spec.dest}: {exc}") from None


def new_run_id() -> str:
    """Sortable and unique: `20261127T070102Z-3fa9c1`."""
    return f"{datetime.now(timezone.utc):%Y%m%dT%H%M%SZ}-{secrets.token_hex(3)}"
