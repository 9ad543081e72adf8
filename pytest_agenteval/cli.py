"""`agenteval` (and `python -m pytest_agenteval`): show, diff, merge, list, bless and recover stored runs, render
them as HTML, calibrate their LLM judges against people's labels, and judge their variants pairwise.

Exit codes: 0 fine, 1 a gate or a regression check failed, 2 a bad file or bad arguments (one line, no traceback).
"""

from __future__ import annotations

import argparse
import dataclasses
import importlib
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from pytest_agenteval.config import run_id as run_id_type
from pytest_agenteval.gates.merge import MergeError, merge_runs
from pytest_agenteval.judges.calibration import (
    CalibrationError,
    blinded_cases,
    calibrate,
    read_labels,
    render_calibration,
)
from pytest_agenteval.judges.pairwise import PairwiseJudge, judges_in
from pytest_agenteval.judges.variant_pairs import judge_run_pairs
from pytest_agenteval.report.html import render_html
from pytest_agenteval.report.markdown import render_baseline as markdown_baseline
from pytest_agenteval.report.markdown import render_markdown, table
from pytest_agenteval.report.pairwise import pairwise_lines, pairwise_markdown
from pytest_agenteval.report.redact import Redactor
from pytest_agenteval.report.terminal import printable, render_baseline, render_summary
from pytest_agenteval.results.compare import compare
from pytest_agenteval.results.journal import (
    JournalState,
    RecoverError,
    journal_state,
    journals_in,
    read_journal,
    recover_journal,
)
from pytest_agenteval.results.models import RunResult
from pytest_agenteval.results.store import (
    NotRegularFileError,
    RunExistsError,
    RunFileError,
    read_run,
    replace_run_file,
    run_json_schema,
    stored_runs,
    write_or_append,
    write_run,
)
from pytest_agenteval.results.verdicts import gates_passed, task_verdicts

FORMATS = ("text", "json", "markdown")


class CliError(Exception):
    """A problem the user can fix; printed as one line, exit code 2."""


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `agenteval` console script."""
    args = parser().parse_args(argv)
    try:
        code: int = args.command(args)
    except (RunFileError, MergeError, CliError, RunExistsError, CalibrationError) as exc:
        print(f"agenteval {args.name}: error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:  # a file that cannot be written (or read) where the command needs it
        where = f"{exc.filename}: " if exc.filename else ""
        print(f"agenteval {args.name}: error: {where}{exc.strerror or exc}", file=sys.stderr)
        return 2
    return code


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="agenteval", description="Inspect, combine and recover pytest-agenteval run "
                                   "JSON files.")
    commands = root.add_subparsers(title="commands", required=True, metavar="COMMAND")
    fmt = argparse.ArgumentParser(add_help=False)
    fmt.add_argument("--format", choices=FORMATS, default="text", help="output format (default text)")
    add = commands.add_parser
    show = add("show", parents=[fmt], help="summarize one run, as the terminal summary did")
    show.add_argument("run", type=Path, metavar="RUN")
    diff = add("diff", parents=[fmt], help="compare RUN with BASE, task by task and scorer by scorer")
    diff.add_argument("run", type=Path, metavar="RUN")
    diff.add_argument("base", type=Path, metavar="BASE")
    diff.add_argument("--fail-on-regression", action="store_true", help="exit 1 when a task or scorer flipped to fail")
    merge = add("merge", parents=[fmt], help="merge the runs of CI shards into one run; exit 1 when a gate fails")
    merge.add_argument("runs", type=Path, nargs="+", metavar="RUN")
    merge.add_argument("-o", "--output", type=Path, required=True, metavar="OUT",
                       help="the merged run's file; its name (without .json) becomes the run id")
    ls = add("ls", parents=[fmt], help="list the runs in a store directory, oldest first, with the journals of "
             "sessions still running or stopped before they stored their run (orphaned: see recover)")
    ls.add_argument("store", type=Path, metavar="STORE")
    bless = add("bless", help="copy a run to a baseline file, after checking it is a complete run; an existing "
                "file is replaced only when it is a run, or with --force")
    bless.add_argument("run", type=Path, metavar="RUN")
    bless.add_argument("--to", type=Path, required=True, metavar="PATH", dest="target",
                       help="the baseline file to write (what --eval-baseline=PATH reads)")
    bless.add_argument("--force", action="store_true", help="replace PATH even when it is not a run file")
    recover = add("recover", help="store the run of each session that was killed (kill -9, OOM, power loss) as a "
                  "partial run <run_id>.json, from the journal it left in STORE; journals of running sessions are "
                  "left alone")
    recover.add_argument("store", type=Path, metavar="STORE", help="the --eval-store directory of those sessions")
    html = add("html", help="render a stored run (merged and resumed runs too) as one self-contained HTML report: "
               "tasks, traces, gates, baseline and variants; opens from file://, fetches nothing")
    html.add_argument("run", type=Path, metavar="RUN")
    html.add_argument("-o", "--output", type=Path, metavar="PATH",
                      help="the HTML file to write (default: RUN with the suffix .html)")
    calibration = add("calibrate", help="how far an LLM judge agrees with people: agreement, Cohen's kappa and the "
                      "confusion matrix of RUN's verdicts against --labels; exit 1 under --min-kappa. "
                      "--export-cases writes blinded cases for people to label")
    calibration.add_argument("run", type=Path, metavar="RUN")
    source = calibration.add_mutually_exclusive_group(required=True)
    source.add_argument("--labels", type=Path, metavar="FILE",
                        help="JSONL: task_id (or case_id) and passed (or score) on each line")
    source.add_argument("--export-cases", type=Path, metavar="OUT", help="write one blinded case a line (input, "
                        "reference, output; no task id, variant or verdict), in shuffled order, to OUT")
    calibration.add_argument("--key", help="the judge's feedback key (default: the run's only llm_judge key)")
    calibration.add_argument("--min-kappa", type=float, metavar="K", help="exit 1 when Cohen's kappa is under K")
    calibration.add_argument("--format", choices=("text", "json"), default="text", help="output format")
    pairwise = add("pairwise", parents=[fmt], help="judge RUN's variants pairwise, offline: each task's outputs of "
                   "two variants compared by --judge in both orders (a merged run of one variant per CI job too); "
                   "exit 1 when a judge call failed")
    pairwise.add_argument("run", type=Path, metavar="RUN")
    pairwise.add_argument("--judge", action="append", required=True, metavar="MOD:ATTR", help="a pairwise_judge(...) "
                          "or a list of them, imported with the current directory importable; repeatable")
    pairwise.add_argument("--a", metavar="VARIANT", help="compare only this variant (A) ... ")
    pairwise.add_argument("--b", metavar="VARIANT", help="... with this one (B); default: each judge's pairs, else "
                          "every variant against the leaderboard's first")
    pairwise.add_argument("-o", "--output", type=Path, metavar="OUT", help="write RUN with this pairwise section to "
                          "OUT (a new run file; its name without .json becomes the run id)")
    pairwise.add_argument("--concurrency", type=int, default=4, metavar="N", help="pairs judged at once (default 4)")
    pairwise.add_argument("--timeout", type=float, metavar="SECONDS", help="seconds a pair's two orders may take")
    add("schema", help="print the JSON Schema of the run file")
    for name, sub, command in [("show", show, cmd_show), ("diff", diff, cmd_diff), ("merge", merge, cmd_merge),
                               ("ls", ls, cmd_ls), ("bless", bless, cmd_bless), ("recover", recover, cmd_recover),
                               ("calibrate", calibration, cmd_calibrate), ("html", html, cmd_html),
                               ("pairwise", pairwise, cmd_pairwise)]:
        sub.set_defaults(command=command, name=name)
    commands.choices["schema"].set_defaults(command=cmd_schema, name="schema")
    return root


def cmd_show(args: argparse.Namespace) -> int:
    run = read_run(args.run)
    print(render_run(run, args.format, str(args.run)))
    return 0


def render_run(run: RunResult, fmt: str, path: str | None) -> str:
    if fmt == "json":
        return run.model_dump_json(indent=2)
    if fmt == "markdown":
        return render_markdown(run)
    return "\n".join(render_summary(run, path, gates=True))


def cmd_diff(args: argparse.Namespace) -> int:
    run, base = read_run(args.run), read_run(args.base)
    diff = compare(run.tasks, run.run_id, base, run.config.task_pass_rate, args.base)
    if args.format == "json":
        print(diff.model_dump_json(indent=2))
    elif args.format == "markdown":
        print("\n".join(markdown_baseline(diff)))
    else:
        print("\n".join(render_baseline(diff)))
    return 1 if args.fail_on_regression and diff.flips else 0


def cmd_merge(args: argparse.Namespace) -> int:
    out: Path = args.output
    if out.suffix != ".json":
        raise CliError(f"-o {out}: the merged run's file must end in .json")
    try:
        run_id = run_id_type(out.stem)
    except argparse.ArgumentTypeError as exc:
        raise CliError(f"-o {out}: {exc}") from None
    merged = merge_runs([read_run(path) for path in args.runs], run_id)
    write_run(merged, out.parent)
    print(render_run(merged, args.format, str(out)))
    return 1 if merged_run_fails(merged) else 0


def merged_run_fails(run: RunResult) -> bool:
    """Its gates fail; without gates, as pytest would judge it: a task missed its pass rate."""
    if run.gates:
        return not gates_passed(run.gates)
    return not all(v.meets_policy for v in task_verdicts(run.tasks, run.config.task_pass_rate))


def cmd_ls(args: argparse.Namespace) -> int:
    if not args.store.is_dir():
        raise CliError(f"{args.store}: no such store directory")
    found = stored_runs(args.store)
    runs = sorted(((path, run) for path, run in found if isinstance(run, RunResult)), key=lambda pr: pr[1].created_at)
    for _, error in ((p, r) for p, r in found if not isinstance(r, RunResult)):
        print(f"agenteval ls: skipped {error}", file=sys.stderr)
    rows: list[list[object]] = [[run.run_id, run.created_at, run.label or "", len(run.tasks),
                                 run.aggregates.verdicts.get("passed", 0), gates_word(run),
                                 "partial" if run.partial else "complete", path.name]
                                for path, run in runs]
    journals = journal_rows(args.store)
    rows.extend(row for _, row in journals)
    header: list[object] = ["run_id", "created_at", "label", "items", "passed", "gates", "state", "file"]
    if args.format == "json":
        print(json.dumps([dict(zip(header, row, strict=True)) for row in rows], indent=2))
    elif args.format == "markdown":
        print("\n".join(table(header, rows)))
    else:
        widths = [max(len(str(row[i])) for row in [header, *rows]) for i in range(len(header))]
        print("\n".join("  ".join(f"{value!s:<{w}}" for value, w in zip(row, widths, strict=True)).rstrip()
                        for row in [header, *rows]))
    if any(state == "orphaned" for state, _ in journals):
        print(f"agenteval ls: orphaned journals: `agenteval recover {args.store}` stores each as a partial run",
              file=sys.stderr)
    return 0


def journal_rows(store: Path) -> list[tuple[JournalState, list[object]]]:
    """One row per journal: a running session's, or an orphaned one (its session is gone)."""
    rows: list[tuple[JournalState, list[object]]] = []
    for path in journals_in(store):
        try:
            state, content = journal_state(path), read_journal(path)
        except OSError as exc:
            print(f"agenteval ls: skipped {file_problem(path, exc)}", file=sys.stderr)
            continue
        header = content.header
        if header is None:
            print(f"agenteval ls: skipped {'; '.join(content.problems)}", file=sys.stderr)
            continue
        passed = sum(1 for task in content.tasks if task.verdict == "passed")
        rows.append((state, [header.run_id, header.created_at, header.label or "", len(content.tasks), passed, "-",
                             state, path.name]))
    return rows


def file_problem(path: Path, exc: OSError) -> str:
    return str(exc) if isinstance(exc, NotRegularFileError) else f"{path}: {exc.strerror or exc}"


def gates_word(run: RunResult) -> str:
    if not run.gates:
        return "-"
    return "pass" if gates_passed(run.gates) else "FAIL"


def cmd_bless(args: argparse.Namespace) -> int:
    run = read_run(args.run)
    if run.partial:
        raise CliError(f"{args.run}: run {run.run_id} is partial (the session was interrupted); bless a complete run")
    target: Path = args.target
    if target.is_dir():
        raise CliError(f"--to {target}: is a directory; name the baseline file")
    if not args.force and os.path.lexists(target):
        try:
            read_run(target)
        except RunFileError as exc:
            raise CliError(f"--to {target}: not replaced, it is not a run file ({exc}); pass --force to replace "
                           "it anyway") from None
    replace_run_file(run, target)
    print(f"blessed run {run.run_id} as the baseline {target}; compare with --eval-baseline={target}")
    return 0


def cmd_recover(args: argparse.Namespace) -> int:
    store: Path = args.store
    if not store.is_dir():
        raise CliError(f"{store}: no such store directory")
    journals = list(journals_in(store))
    if not journals:
        print(f"no journal in {store}: nothing to recover")
        return 0
    failed = False
    for path in journals:
        try:
            lines = recover_journal(path)
        except (RecoverError, RunFileError, RunExistsError) as exc:
            print(f"agenteval recover: {exc}", file=sys.stderr)
            failed = True
            continue
        except OSError as exc:
            print(f"agenteval recover: {file_problem(path, exc)}; nothing recovered", file=sys.stderr)
            failed = True
            continue
        for line in lines:
            print(line)
    return 2 if failed else 0


def cmd_html(args: argparse.Namespace) -> int:
    run = read_run(args.run)
    out: Path = args.output if args.output is not None else args.run.with_suffix(".html")
    if out.is_dir():
        raise CliError(f"-o {out}: is a directory; name the HTML file")
    if (out.suffix == ".json" and os.path.lexists(out)) or os.path.realpath(out) == os.path.realpath(args.run):
        raise CliError(f"-o {out}: not replaced, it may be a run file; name an .html file")
    write_or_append(out, render_html(run).encode("utf-8"), append=False)
    print(f"HTML report of run {run.run_id}: written to {out}")
    return 0


def cmd_calibrate(args: argparse.Namespace) -> int:
    run = read_run(args.run)
    if args.export_cases is not None:
        cases = blinded_cases(run)
        args.export_cases.write_text("".join(json.dumps(case, ensure_ascii=False) + "\n" for case in cases),
                                     encoding="utf-8")
        print(f"wrote {len(cases)} blinded cases to {args.export_cases}; fill in 'passed' (or 'score') on each "
              f"line, then: agenteval calibrate {args.run} --labels {args.export_cases}")
        return 0
    result = calibrate(run, read_labels(args.labels), args.key)
    if args.format == "json":
        print(json.dumps({"key": result.key, "kind": result.kind, "compared": result.compared,
                          "agreed": result.agreed, "agreement": result.agreement, "kappa": result.kappa,
                          "categories": list(result.categories), "matrix": [list(row) for row in result.matrix],
                          "unmatched_label_lines": list(result.unmatched), "no_verdict": result.no_verdict},
                         indent=2))
    else:
        print("\n".join(render_calibration(result)))
    if args.min_kappa is not None and (result.kappa is None or result.kappa < args.min_kappa):
        shown = "undefined" if result.kappa is None else f"{result.kappa:.3f}"
        print(f"agenteval calibrate: Cohen's kappa {shown} is under --min-kappa={args.min_kappa:g}", file=sys.stderr)
        return 1
    return 0


def cmd_pairwise(args: argparse.Namespace) -> int:
    if (args.a is None) != (args.b is None):
        raise CliError("--a and --b go together: name both variants of the pair, or neither")
    if args.concurrency < 1:
        raise CliError(f"--concurrency {args.concurrency}: give at least 1")
    out: Path | None = args.output
    out_id = None if out is None else output_run_id(out)
    run = read_run(args.run)
    judges = [judge for spec in args.judge for judge in import_judges(spec)]
    if args.a is not None:
        judges = [dataclasses.replace(judge, pairs=((args.a, args.b),)) for judge in judges]
    ranking = [row.variant for row in run.variants.leaderboard] if run.variants else []
    section = judge_run_pairs(run.tasks, judges, ranking=ranking, concurrency=args.concurrency, timeout=args.timeout,
                              mask=Redactor.from_environment(os.environ).text)
    if args.format == "json":
        print(section.model_dump_json(indent=2))
    else:
        shown = pairwise_markdown(section, table) if args.format == "markdown" else pairwise_lines(section, full=True)
        print("\n".join(printable(line) for line in shown))  # a judge's words never drive the terminal
    if out is not None and out_id is not None:
        write_run(run.model_copy(update={"run_id": out_id, "pairwise": section}), out.parent)
        print(f"wrote {out}: run {run.run_id} with its pairwise section, as run {out_id}", file=sys.stderr)
    return 1 if any(comparison.errors for comparison in section.comparisons) else 0


def output_run_id(out: Path) -> str:
    """The run id a new run file `out` gives its run: its name without `.json`."""
    if out.suffix != ".json":
        raise CliError(f"-o {out}: the run's file must end in .json")
    try:
        return run_id_type(out.stem)
    except argparse.ArgumentTypeError as exc:
        raise CliError(f"-o {out}: {exc}") from None


def import_judges(spec: str) -> list[PairwiseJudge]:
    """The pairwise judges `package.module:attribute` names, imported with the current directory importable."""
    module_name, colon, attribute = spec.partition(":")
    if not (module_name and colon and attribute):
        raise CliError(f"--judge {spec}: not an import path of the form 'package.module:attribute'")
    sys.path.insert(0, os.getcwd())
    try:
        found: object = importlib.import_module(module_name)
        for part in attribute.split("."):
            found = getattr(found, part)
    except (ImportError, AttributeError) as exc:
        raise CliError(f"--judge {spec}: cannot import it: {type(exc).__name__}: {exc}") from None
    finally:
        sys.path.remove(os.getcwd())
    judges = judges_in(found)
    if judges is None:
        raise CliError(f"--judge {spec}: {type(found).__name__} is not a pairwise judge or a list of them; make each "
                       "with pytest_agenteval.judges.pairwise_judge(...)")
    return judges


def cmd_schema(args: argparse.Namespace) -> int:
    print(json.dumps(run_json_schema(), indent=2))
    return 0
