"""Scale: a large suite against a plain parametrized test over the same records, CPU per task from a small to
a large suite, the teardown after pytest's last line, collection time (`--collect-only -q`), and the peak
memory of a full run with an agent emitting no spans and one emitting many per task (memory follows the run
JSON, not span volume).

- versus plain (--versus-tasks, default 20,000): the plugin with --eval-store against the plain
  parametrized test over the same records: startup-adjusted wall and raw peak RSS, each a ratio (<= 1.6x);
  and the time from pytest's last line ("N passed in X s", read as the child streams it) to the child's exit
  (<= 1 s), printed for both.
- growth (--growth-sizes, default 1,000 and 50,000): the plugin's CPU seconds per task at both sizes;
  growth <= 10%. Each child's CPU counts from its session's start to its exit (its whole ru_utime + ru_stime
  less what it had used when the session started, which the benchmark conftest writes down): the
  interpreter's start, the imports and configure are a fixed cost that varies by a few tenths of a second
  between runs, as much as the small size's whole per-task signal. The baseline subtracted is a plugin run of
  a 1-task suite, so the session's fixed cost does not dilute the small size's figure. The small and the 1-task
  suites run --growth-repeats times a round (the median run kept): one short run is one moment of a shared
  machine, the large one a minute of it. The same growth on the children's whole CPU, and over an empty pytest
  run, is printed too, and the CPU per task of each phase (collection, items, publishing to exit).

Peak RSS and CPU are the child's own (os.wait4). Ratios are taken within a round; min, median and max over
rounds are printed.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from collections.abc import Callable, Mapping
from dataclasses import replace
from pathlib import Path

from harness import (
    ChildRun,
    Verdicts,
    add_common_arguments,
    machine_line,
    median,
    per_round,
    per_round_values,
    positive_int,
    print_table,
    pytest_args,
    run_child,
    run_rounds,
    seconds,
    spread,
    temp_project,
    write_suite,
)

MAX_COLLECT_S = 2.0
MAX_PEAK_MB = 300.0
# Span growth allowed beyond what the JSON keeps: in-memory objects are ~10x their JSON, plus allocator noise.
JSON_TO_MEMORY = 10.0
SLACK_MB = 25.0
MAX_VERSUS_PLAIN = 1.6  # issue 11: wall and peak memory of the plugin / the plain parametrized test
MAX_EXIT_LAG_S = 1.0  # issue 11: no multi-second teardown after the last line
MAX_CPU_GROWTH = 0.10  # issue 11: CPU per task flat from the small to the large suite
PLUGIN, PLAIN = "plugin, --eval-store", "plain parametrized test"
STARTUP, PLAIN_STARTUP = "pytest startup", "pytest startup, plugin disabled"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tasks", type=positive_int, default=10_000,
                        help="records in the collection and memory suite (default 10000)")
    parser.add_argument("--spans", type=positive_int, default=50,
                        help="spans per task in the span-heavy run (default 50)")
    parser.add_argument("--memory-rounds", type=positive_int, default=1,
                        help="full runs per span setting; peak RSS varies little (default 1)")
    parser.add_argument("--versus-tasks", type=positive_int, default=20_000,
                        help="records in the plugin-versus-plain-test comparison (default 20000)")
    parser.add_argument("--growth-sizes", type=positive_int, nargs=2, default=[1000, 50_000],
                        metavar=("SMALL", "LARGE"), help="suite sizes for CPU per task growth (default 1000 50000)")
    parser.add_argument("--growth-repeats", type=positive_int, default=9,
                        help="runs of the small and the 1-task suite per round, the median taken (default 9)")
    parser.add_argument("--skip-collect", action="store_true", help="do not measure collection")
    parser.add_argument("--skip-versus", action="store_true", help="do not compare with the plain test")
    parser.add_argument("--skip-growth", action="store_true", help="do not measure CPU per task growth")
    parser.add_argument("--skip-memory", action="store_true", help="do not measure peak RSS with 0 and N spans")
    add_common_arguments(parser, rounds=3)
    args = parser.parse_args(argv)
    print(machine_line())
    print(f"{args.rounds} rounds per comparison, interleaved\n")
    verdicts = Verdicts()
    with temp_project("scale", args.keep) as root:
        if not (args.skip_collect and args.skip_memory):
            write_suite(root / "suite.jsonl", args.tasks)
        if not args.skip_collect:
            print(f"== collection of {args.tasks} records")
            measure_collection(root, args.rounds, verdicts)
        if not args.skip_versus:
            print(f"\n== {args.versus_tasks} tasks: the plugin against a plain parametrized test")
            measure_versus_plain(root, args.versus_tasks, args.rounds, verdicts)
        if not args.skip_growth:
            small, large = args.growth_sizes
            print(f"\n== CPU per task, {small} against {large} tasks")
            measure_growth(root, small, large, args.rounds, args.growth_repeats, verdicts)
        if not args.skip_memory:
            print(f"\n== peak RSS of {args.tasks} tasks with 0 and {args.spans} spans per task")
            measure_memory(root, args.spans, args.memory_rounds, args.tasks, verdicts)
    return verdicts.exit_code(args.strict)


def stored_run(root: Path, suite: str, store: str) -> Callable[[], ChildRun]:
    """A full plugin run with --eval-store into an emptied directory, its output streamed; with the CPU it had
    used at points of its session (`ChildRun.cpu_points`, written by the benchmark conftest)."""
    def run() -> ChildRun:
        shutil.rmtree(root / store, ignore_errors=True)
        points_file = root / f"{store}.session-cpu.json"
        points_file.unlink(missing_ok=True)
        child = run_child(pytest_args(f"--eval-suite={suite}", f"--eval-store={store}"), root,
                          {"BENCH_SESSION_CPU_FILE": str(points_file)}, stream=True)
        return replace(child, cpu_points=json.loads(points_file.read_text()))
    return run


def median_of(run: Callable[[], ChildRun], times: int) -> Callable[[], ChildRun]:
    """`run` done `times` times back to back; the run whose session CPU is the median of them."""
    def repeated() -> ChildRun:
        runs = sorted((run() for _ in range(times)), key=session_cpu)
        return runs[len(runs) // 2]
    return repeated


# The phases of a session, between the CPU points the benchmark conftest writes; the last ends at the child's exit.
PHASES = (("collection", "session start", "collected"), ("items", "collected", "run"),
          ("publishing, summary, exit", "run", None))


def session_cpu(run: ChildRun, start: str = "session start", end: str | None = None) -> float:
    """The child's CPU between two points of its session (`end` None: its exit)."""
    if run.cpu_points is None or start not in run.cpu_points or (end is not None and end not in run.cpu_points):
        raise RuntimeError(f"the child did not write its CPU at {start!r} and {end!r}:\n{run.tail()}")
    return (run.cpu_s if end is None else run.cpu_points[end]) - run.cpu_points[start]


def lag(run: ChildRun) -> float:
    if run.exit_lag_s is None:
        raise RuntimeError(f"no pytest duration line in the output:\n{run.tail()}")
    return run.exit_lag_s


def measure_versus_plain(root: Path, tasks: int, rounds: int, verdicts: Verdicts) -> None:
    write_suite(root / "versus.jsonl", tasks)
    env = {"BENCH_SUITE": "versus.jsonl"}
    cases: dict[str, Callable[[], ChildRun]] = {
        STARTUP: lambda: run_child(pytest_args("test_empty.py"), root, env, expect=(5,), stream=True),
        PLAIN_STARTUP: lambda: run_child(pytest_args("-p", "no:agenteval", "test_empty.py"), root, env,
                                         expect=(5,), stream=True),
        PLUGIN: stored_run(root, "versus.jsonl", "runs"),
        PLAIN: lambda: run_child(pytest_args("-p", "no:agenteval", "test_plain.py"), root, env, stream=True),
    }
    runs = run_rounds(cases, rounds)

    def adjusted(case: str, startup: str) -> Callable[[Mapping[str, ChildRun]], float]:
        return lambda one: one[case].wall_s - one[startup].wall_s

    def row(case: str, startup: str | None) -> list[str]:
        each = runs[case]
        return [case, seconds(median([r.wall_s for r in each])),
                "" if startup is None else seconds(median([r.wall_s for r in runs[startup]])),
                "" if startup is None else seconds(per_round(runs, adjusted(case, startup))),
                seconds(median([r.pytest_s for r in each])), seconds(median([r.cpu_s for r in each])),
                f"{median([r.peak_rss_mb for r in each]):.1f}", seconds(median([lag(r) for r in each]))]

    rows = [row(STARTUP, None), row(PLAIN_STARTUP, None), row(PLUGIN, STARTUP), row(PLAIN, PLAIN_STARTUP)]
    print_table(["case", "raw wall s", "startup s", "adjusted s", "pytest-reported s", "CPU s", "peak RSS MB",
                 "exit lag s"], rows)
    print("\nadjusted = wall minus an empty run of the same tool in the same round; exit lag = from reading "
          "pytest's last line ('N passed in X s') to the child's exit; all medians over rounds\n")
    wall = per_round_values(runs, lambda one: adjusted(PLUGIN, STARTUP)(one) / adjusted(PLAIN, PLAIN_STARTUP)(one))
    raw = per_round_values(runs, lambda one: one[PLUGIN].wall_s / one[PLAIN].wall_s)
    verdicts.check_rounds(f"{tasks} tasks: plugin / plain parametrized test, startup-adjusted wall", wall,
                          MAX_VERSUS_PLAIN, "x", note=f"(raw wall ratio {median(raw):.2f}x)")
    memory = per_round_values(runs, lambda one: one[PLUGIN].peak_rss_mb / one[PLAIN].peak_rss_mb)
    verdicts.check_rounds(f"{tasks} tasks: plugin / plain parametrized test, peak RSS", memory, MAX_VERSUS_PLAIN,
                          "x")
    plugin_lag, plain_lag = [lag(r) for r in runs[PLUGIN]], [lag(r) for r in runs[PLAIN]]
    verdicts.check_rounds(f"{tasks} tasks: plugin's exit lag after pytest's last line", plugin_lag, MAX_EXIT_LAG_S,
                          " s", note=f"(plain parametrized test: {spread(plain_lag, ' s')})")


def measure_growth(root: Path, small: int, large: int, rounds: int, repeats: int, verdicts: Verdicts) -> None:
    write_suite(root / "one.jsonl", 1)
    write_suite(root / "small.jsonl", small)
    write_suite(root / "large.jsonl", large)
    one_case, small_case, large_case = "plugin, 1 task", f"plugin, {small} tasks", f"plugin, {large} tasks"
    cases: dict[str, Callable[[], ChildRun]] = {
        STARTUP: lambda: run_child(pytest_args("test_empty.py"), root, expect=(5,), stream=True),
        # A short run is one moment of a shared machine; the large one spans a minute of it.
        one_case: median_of(stored_run(root, "one.jsonl", "runs-one"), repeats),
        small_case: median_of(stored_run(root, "small.jsonl", "runs-small"), repeats),
        large_case: stored_run(root, "large.jsonl", "runs-large"),
    }
    runs = run_rounds(cases, rounds)

    def cpu_ms(case: str, tasks: int, base: str = one_case) -> Callable[[Mapping[str, ChildRun]], float]:
        base_tasks = 1 if base == one_case else 0
        return lambda one: (one[case].cpu_s - one[base].cpu_s) / (tasks - base_tasks) * 1000

    def session_cpu_ms(case: str, tasks: int, start: str = "session start",
                       end: str | None = None) -> Callable[[Mapping[str, ChildRun]], float]:
        return lambda one: (session_cpu(one[case], start, end) - session_cpu(one[one_case], start, end)) \
            / (tasks - 1) * 1000

    def wall_ms(case: str, tasks: int, base: str = one_case) -> Callable[[Mapping[str, ChildRun]], float]:
        base_tasks = 1 if base == one_case else 0
        return lambda one: (one[case].wall_s - one[base].wall_s) / (tasks - base_tasks) * 1000

    def medians(case: str) -> list[str]:  # raw wall, CPU, session CPU (none for the empty run: no session)
        each = runs[case]
        return [seconds(median([r.wall_s for r in each])), seconds(median([r.cpu_s for r in each])),
                "" if case == STARTUP else seconds(median([session_cpu(r) for r in each]))]

    rows = [[case, *medians(case), "", "", "", "", seconds(median([lag(r) for r in runs[case]]))]
            for case in (STARTUP, one_case)]
    for case, tasks in ((small_case, small), (large_case, large)):
        rows.append([case, *medians(case),
                     f"{per_round(runs, session_cpu_ms(case, tasks)):.3f}",
                     f"{per_round(runs, cpu_ms(case, tasks)):.3f}",
                     f"{per_round(runs, wall_ms(case, tasks)):.3f}",
                     f"{per_round(runs, cpu_ms(case, tasks, STARTUP)):.3f}",
                     seconds(median([lag(r) for r in runs[case]]))])
    print_table(["case", "raw wall s", "CPU s", "session CPU s", "session CPU ms/task", "CPU ms/task",
                 "wall ms/task", "CPU ms/task over empty run", "exit lag s"], rows)
    print(f"\nsession CPU = the child's CPU from its session's start to its exit (interpreter start, imports and "
          f"configure left out); per task = (the run's figure - the '{one_case}' run's in the same round) / "
          "(tasks - 1); the last CPU column subtracts the empty pytest run's whole CPU instead (fixed costs "
          "included); CPU = the child's ru_utime + ru_stime\n")
    growth = per_round_values(runs, lambda one: session_cpu_ms(large_case, large)(one)
                              / session_cpu_ms(small_case, small)(one) - 1)
    whole_growth = per_round_values(runs, lambda one: cpu_ms(large_case, large)(one)
                                    / cpu_ms(small_case, small)(one) - 1)
    wall_growth = per_round_values(runs, lambda one: wall_ms(large_case, large)(one)
                                   / wall_ms(small_case, small)(one) - 1)
    over_empty = per_round_values(runs, lambda one: cpu_ms(large_case, large, STARTUP)(one)
                                  / cpu_ms(small_case, small, STARTUP)(one) - 1)
    verdicts.check_rounds(f"growth of the plugin's session CPU per task from {small} to {large} tasks", growth,
                          MAX_CPU_GROWTH, "", note=f"(the children's whole CPU per task: {spread(whole_growth)}; "
                                                   f"wall per task: {spread(wall_growth)}; CPU per task over an "
                                                   f"empty run: {spread(over_empty)})")
    for phase, start, end in PHASES:
        at_small = per_round_values(runs, session_cpu_ms(small_case, small, start, end))
        at_large = per_round_values(runs, session_cpu_ms(large_case, large, start, end))
        phase_growth = [large_ms / small_ms - 1 for small_ms, large_ms in zip(at_small, at_large, strict=True)]
        print(f"INFO  {phase}: CPU ms per task {median(at_small):.3f} at {small}, {median(at_large):.3f} at {large}; "
              f"growth {spread(phase_growth)}")
    large_lag = [lag(r) for r in runs[large_case]]
    print(f"INFO  exit lag after pytest's last line at {large} tasks: {spread(large_lag, ' s')}")


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
    verdicts.check_rounds("collection, startup-adjusted wall",
                          per_round_values(runs, lambda one: one["--collect-only -q"].wall_s
                                           - one["pytest startup"].wall_s),
                          MAX_COLLECT_S, " s", note=f"(pytest-reported {median([r.pytest_s for r in collect]):.3f} s)")


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
