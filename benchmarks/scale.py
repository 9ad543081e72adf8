"""Scale: a large suite's collection time (`--collect-only -q`) and the peak memory of a full run, with an
agent emitting no spans and one emitting many per task, to show memory follows the run JSON, not span volume.

Peak RSS is the child's own ru_maxrss (os.wait4). Times are medians over rounds run back to back.
"""

from __future__ import annotations

import argparse
import shutil
import sys
from collections.abc import Callable
from pathlib import Path

from harness import (
    ChildRun,
    Verdicts,
    add_common_arguments,
    machine_line,
    median,
    per_round,
    positive_int,
    print_table,
    pytest_args,
    run_child,
    run_rounds,
    seconds,
    temp_project,
    write_suite,
)

MAX_COLLECT_S = 2.0
MAX_PEAK_MB = 300.0
# Span growth allowed beyond what the JSON keeps: in-memory objects are ~10x their JSON, plus allocator noise.
JSON_TO_MEMORY = 10.0
SLACK_MB = 25.0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tasks", type=positive_int, default=10_000, help="records in the suite (default 10000)")
    parser.add_argument("--spans", type=positive_int, default=50,
                        help="spans per task in the span-heavy run (default 50)")
    parser.add_argument("--memory-rounds", type=positive_int, default=1,
                        help="full runs per span setting; peak RSS varies little (default 1)")
    parser.add_argument("--skip-memory", action="store_true", help="measure collection only")
    add_common_arguments(parser, rounds=3)
    args = parser.parse_args(argv)
    print(machine_line())
    print(f"{args.tasks} records; collection: {args.rounds} rounds, medians\n")
    verdicts = Verdicts()
    with temp_project("scale", args.keep) as root:
        write_suite(root / "suite.jsonl", args.tasks)
        measure_collection(root, args.rounds, verdicts)
        if not args.skip_memory:
            print()
            measure_memory(root, args.spans, args.memory_rounds, args.tasks, verdicts)
    return verdicts.exit_code(args.strict)


def measure_collection(root: Path, rounds: int, verdicts: Verdicts) -> None:
    cases: dict[str, Callable[[], ChildRun]] = {
        "pytest startup": lambda: run_child(pytest_args("test_empty.py"), root, expect=(5,)),
        "--collect-only -q": lambda: run_child(pytest_args("--eval-suite=suite.jsonl", "--collect-only"), root),
    }
    runs = run_rounds(cases, rounds)
    collect = runs["--collect-only -q"]
    adjusted = per_round(runs, lambda one: one["--collect-only -q"].wall_s - one["pytest startup"].wall_s)
    print_table(["case", "raw wall s", "startup s", "adjusted s", "pytest-reported s"], [
        ["--collect-only -q", seconds(median([r.wall_s for r in collect])),
         seconds(median([r.wall_s for r in runs["pytest startup"]])), seconds(adjusted),
         seconds(median([r.pytest_s for r in collect]))],
    ])
    print("\nadjusted = wall minus an empty pytest run's wall in the same round (configure, collection, "
          "printing the ids); pytest-reported = its own 'collected in X s'\n")
    verdicts.check("collection, startup-adjusted wall", adjusted, MAX_COLLECT_S, " s",
                   note=f"(pytest-reported {median([r.pytest_s for r in collect]):.3f} s)")


def measure_memory(root: Path, spans: int, rounds: int, tasks: int, verdicts: Verdicts) -> None:
    store = root / "runs"

    def full_run(span_count: int) -> Callable[[], ChildRun]:
        def run() -> ChildRun:
            shutil.rmtree(store, ignore_errors=True)
            result = run_child(pytest_args("--eval-suite=suite.jsonl", "--eval-store=runs"), root,
                               {"BENCH_SPANS": str(span_count)})
            sizes[span_count].append(sum(p.stat().st_size for p in store.glob("*.json")) / 2**20)
            return result
        return run

    sizes: dict[int, list[float]] = {0: [], spans: []}
    cases = {"pytest startup": lambda: run_child(pytest_args("test_empty.py"), root, expect=(5,)),
             "0 spans/task": full_run(0), f"{spans} spans/task": full_run(spans)}
    runs = run_rounds(cases, rounds)
    peak = {name: median([r.peak_rss_mb for r in each]) for name, each in runs.items()}
    json_mb = {0: median(sizes[0]), spans: median(sizes[spans])}
    rows = [["pytest startup (empty run)", f"{peak['pytest startup']:.1f}", "", ""]]
    for count in (0, spans):
        name = f"{count} spans/task"
        wall = median([r.wall_s for r in runs[name]])
        rows.append([name, f"{peak[name]:.1f}", f"{json_mb[count]:.1f}", f"{wall:.1f} s, "
                     f"{(wall - median([r.wall_s for r in runs['pytest startup']])) / tasks * 1000:.2f} ms/task"])
    print_table(["full run", "peak RSS MB", "run JSON MB", "wall"], rows)
    print()
    for count in (0, spans):
        verdicts.check(f"peak RSS of a full run, {count} spans/task", peak[f"{count} spans/task"], MAX_PEAK_MB,
                       " MB")
    growth = peak[f"{spans} spans/task"] - peak["0 spans/task"]
    json_growth = json_mb[spans] - json_mb[0]
    allowed = SLACK_MB + JSON_TO_MEMORY * max(json_growth, 0.0)
    verdicts.check(f"peak RSS growth from 0 to {spans} spans/task", growth, allowed, " MB",
                   note=f"(allowed = {SLACK_MB:g} MB + {JSON_TO_MEMORY:g} x JSON growth {json_growth:.1f} MB; "
                        f"{tasks * spans} spans were emitted)")


if __name__ == "__main__":
    sys.exit(main())
