"""Throughput: tasks whose agent waits L seconds, at concurrency C, through the plugin and through AG2.

Two cases, run interleaved in the same rounds:
- narrow (--tasks/--latency/--concurrency, default 200 x 100 ms at 20): the plugin's in-process time
  (pytest's own "in X s") against the ideal N / C x L, and the plugin against `ag2.eval.run_agent`;
- wide (--wide-*, default 1,000 x 50 ms at 200): the plugin's in-process time against
  max(ideal, plain pytest's own time for N items), where the latter is the in-process time of the plain
  parametrized test over the same records with an instant agent (it runs serially: pytest's per-item cost).

Prints wall times (raw, startup, startup-adjusted, in-process, child CPU) and each ratio's min, median and
max over rounds; ratios are taken within a round.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Mapping

from harness import (
    AG2_MISSING,
    ChildRun,
    Verdicts,
    add_common_arguments,
    add_latency_arguments,
    ag2_available,
    machine_line,
    median,
    per_round,
    per_round_values,
    print_table,
    pytest_args,
    run_child,
    run_rounds,
    seconds,
    spread,
    temp_project,
    write_suite,
)

MAX_OVER_IDEAL = 1.05  # narrow case, in-process (pytest-reported) time / ideal
MAX_WIDE = 1.25  # wide case, in-process time / max(ideal, plain pytest's in-process time for as many items)
MAX_OVER_AG2 = 1.1
WIDE = "plugin, wide"
PLAIN_WIDE = "plain parametrized test, wide, instant agent"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--case", choices=("both", "narrow", "wide"), default="both",
                        help="which case to run (default both, interleaved in the same rounds)")
    add_latency_arguments(parser, "", "narrow case", tasks=200, latency=0.1, concurrency=20)
    add_latency_arguments(parser, "wide", "wide case", tasks=1000, latency=0.05, concurrency=200)
    add_common_arguments(parser, rounds=5)
    args = parser.parse_args(argv)
    narrow, wide = args.case in ("both", "narrow"), args.case in ("both", "wide")
    ideal = args.tasks / args.concurrency * args.latency
    wide_ideal = args.wide_tasks / args.wide_concurrency * args.wide_latency
    with_ag2 = narrow and ag2_available()
    print(machine_line())
    if narrow:
        print(f"narrow: {args.tasks} tasks x {args.latency:g} s agent latency, concurrency {args.concurrency}: "
              f"ideal {ideal:.3f} s")
    if wide:
        print(f"wide: {args.wide_tasks} tasks x {args.wide_latency:g} s agent latency, concurrency "
              f"{args.wide_concurrency}: ideal {wide_ideal:.3f} s")
    print(f"{args.rounds} rounds, interleaved\n")
    with temp_project("throughput", args.keep) as root:
        env = {"BENCH_LATENCY": str(args.latency)}
        cases: dict[str, Callable[[], ChildRun]] = {
            "pytest startup": lambda: run_child(pytest_args("test_empty.py"), root, env, expect=(5,)),
        }
        if narrow:
            write_suite(root / "suite.jsonl", args.tasks)
            plugin = pytest_args("--eval-suite=suite.jsonl", f"--eval-concurrency={args.concurrency}")
            cases["plugin"] = lambda: run_child(plugin, root, env)
        if with_ag2:
            ag2_env = {**env, "BENCH_AGENT": "ag2"}
            runner = [sys.executable, "ag2_runner.py", "suite.jsonl", f"--concurrency={args.concurrency}"]
            cases |= {
                "ag2 startup": lambda: run_child([sys.executable, "ag2_runner.py", "--import-only"], root, env),
                "ag2 run_agent": lambda: run_child(runner, root, env),
                "pytest startup, ag2 imported": lambda: run_child(pytest_args("test_empty.py"), root, ag2_env,
                                                                  expect=(5,)),
                "plugin, same AG2 agent": lambda: run_child(plugin, root, ag2_env),
            }
        if wide:
            write_suite(root / "wide.jsonl", args.wide_tasks)
            wide_env = {"BENCH_LATENCY": str(args.wide_latency)}
            plain_env = {"BENCH_LATENCY": "0", "BENCH_SUITE": "wide.jsonl"}
            wide_plugin = pytest_args("--eval-suite=wide.jsonl", f"--eval-concurrency={args.wide_concurrency}")
            cases |= {
                "pytest startup, plugin disabled": lambda: run_child(
                    pytest_args("-p", "no:agenteval", "test_empty.py"), root, plain_env, expect=(5,)),
                WIDE: lambda: run_child(wide_plugin, root, wide_env),
                PLAIN_WIDE: lambda: run_child(pytest_args("-p", "no:agenteval", "test_plain.py"), root, plain_env),
            }
        runs = run_rounds(cases, args.rounds)
    verdicts = Verdicts()
    print_rows(runs, ideal if narrow else None, wide_ideal if wide else None)
    if narrow:
        report_narrow(runs, ideal, with_ag2, verdicts)
    if wide:
        report_wide(runs, wide_ideal, args.wide_tasks, verdicts)
    return verdicts.exit_code(args.strict)


def adjusted(case: str, startup: str) -> Callable[[Mapping[str, ChildRun]], float]:
    return lambda one: one[case].wall_s - one[startup].wall_s


def in_process(run: ChildRun, kind: str) -> float:
    return run.pytest_s if kind == "pytest" else float(str(run.last_json()["seconds"]))


def print_rows(runs: Mapping[str, list[ChildRun]], ideal: float | None, wide_ideal: float | None) -> None:
    pairs = []
    if ideal is not None:
        pairs += [("plugin", "pytest startup", "pytest", ideal)]
        if "ag2 run_agent" in runs:
            pairs += [("ag2 run_agent", "ag2 startup", "ag2", ideal),
                      ("plugin, same AG2 agent", "pytest startup, ag2 imported", "pytest", ideal)]
    if wide_ideal is not None:
        pairs += [(WIDE, "pytest startup", "pytest", wide_ideal),
                  (PLAIN_WIDE, "pytest startup, plugin disabled", "pytest", wide_ideal)]
    rows = []
    for case, startup, kind, its_ideal in pairs:
        inside = median([in_process(run, kind) for run in runs[case]])
        extra = per_round(runs, adjusted(case, startup))
        rows.append([case, seconds(median([r.wall_s for r in runs[case]])),
                     seconds(median([r.wall_s for r in runs[startup]])), seconds(extra), seconds(inside),
                     seconds(median([r.cpu_s for r in runs[case]])),
                     f"{inside / its_ideal:.2f}x"])
    if ideal is not None:
        rows.append(["ideal, narrow (tasks / concurrency x latency)", "", "", seconds(ideal), seconds(ideal), "",
                     "1.00x"])
    if wide_ideal is not None:
        rows.append(["ideal, wide", "", "", seconds(wide_ideal), seconds(wide_ideal), "", "1.00x"])
    print_table(["case", "raw wall s", "startup s", "adjusted s", "in-process s", "CPU s", "in-process / ideal"],
                rows)
    print("\nadjusted = wall of the run minus wall of an empty run of the same tool in the same round "
          "(interpreter, imports, plugin and conftest loading); in-process = pytest's own 'in X s' "
          "(collection included) or run_agent timed inside its script (suite loading included); "
          "CPU = the child's ru_utime + ru_stime; all medians over rounds\n")


def report_narrow(runs: Mapping[str, list[ChildRun]], ideal: float, with_ag2: bool, verdicts: Verdicts) -> None:
    over_ideal = per_round_values(runs, lambda one: one["plugin"].pytest_s / ideal)
    over_ideal_adjusted = per_round_values(runs, lambda one: adjusted("plugin", "pytest startup")(one) / ideal)
    verdicts.check_rounds("narrow: plugin in-process (pytest-reported) time / ideal", over_ideal, MAX_OVER_IDEAL,
                          "x", note=f"(startup-adjusted wall / ideal: {spread(over_ideal_adjusted, 'x')})")
    if not with_ag2:
        verdicts.skip("plugin / AG2 run_agent", AG2_MISSING)
        return
    ratio = per_round_values(runs, lambda one: (one["plugin"].wall_s - one["pytest startup"].wall_s)
                             / (one["ag2 run_agent"].wall_s - one["ag2 startup"].wall_s))
    raw = per_round(runs, lambda one: one["plugin"].wall_s / one["ag2 run_agent"].wall_s)
    verdicts.check_rounds("narrow: plugin / AG2 run_agent, startup-adjusted wall", ratio, MAX_OVER_AG2, "x",
                          note=f"(raw wall ratio {raw:.2f}x, pytest startup included)")
    same = per_round_values(runs, lambda one: (one["plugin, same AG2 agent"].wall_s
                                               - one["pytest startup, ag2 imported"].wall_s)
                            / (one["ag2 run_agent"].wall_s - one["ag2 startup"].wall_s))
    verdicts.check_rounds("narrow: plugin running the same AG2 agent / AG2 run_agent, startup-adjusted", same,
                          MAX_OVER_AG2, "x")


def report_wide(runs: Mapping[str, list[ChildRun]], ideal: float, tasks: int, verdicts: Verdicts) -> None:
    def bound(one: Mapping[str, ChildRun]) -> float:
        return max(ideal, one[PLAIN_WIDE].pytest_s)

    ratio = per_round_values(runs, lambda one: one[WIDE].pytest_s / bound(one))
    plain = median([run.pytest_s for run in runs[PLAIN_WIDE]])
    adjusted_ratio = per_round_values(
        runs, lambda one: adjusted(WIDE, "pytest startup")(one)
        / max(ideal, adjusted(PLAIN_WIDE, "pytest startup, plugin disabled")(one)))
    verdicts.check_rounds("wide: plugin in-process time / max(ideal, plain pytest's in-process time for as many "
                          "items)", ratio, MAX_WIDE, "x",
                          note=f"(ideal {ideal:.3f} s, plain in-process median {plain:.3f} s; the same ratio on "
                               f"startup-adjusted walls: {spread(adjusted_ratio, 'x')})")
    # With the calls in flight the items run back to back: the ratio is about (plain item + added) / plain item.
    plain_item = per_round_values(runs, lambda one: one[PLAIN_WIDE].pytest_s / tasks * 1000)
    added = per_round_values(runs, lambda one: (one[WIDE].pytest_s - one[PLAIN_WIDE].pytest_s) / tasks * 1000)
    print(f"INFO  wide: plain pytest's own item {median(plain_item):.3f} ms; the plugin's item, its agent's waiting "
          f"overlapped, adds {spread(added, ' ms')} to it")


if __name__ == "__main__":
    sys.exit(main())
