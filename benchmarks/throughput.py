"""Throughput: N tasks whose agent waits L seconds, at concurrency C, through the plugin and through AG2.

Prints wall times (raw, startup, startup-adjusted, in-process) and the ratios against the ideal
N / C x L and against `ag2.eval.run_agent`, each the median over rounds run back to back.
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
    ag2_available,
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

MAX_OVER_IDEAL = 1.25
MAX_OVER_AG2 = 1.1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tasks", type=positive_int, default=200, help="tasks in the suite (default 200)")
    parser.add_argument("--latency", type=float, default=0.1, help="seconds each agent call waits (default 0.1)")
    parser.add_argument("--concurrency", type=positive_int, default=20, help="--eval-concurrency (default 20)")
    add_common_arguments(parser, rounds=5)
    args = parser.parse_args(argv)
    ideal = args.tasks / args.concurrency * args.latency
    with_ag2 = ag2_available()
    print(machine_line())
    print(f"{args.tasks} tasks x {args.latency:g} s agent latency, concurrency {args.concurrency}: "
          f"ideal {ideal:.3f} s; {args.rounds} rounds, medians\n")
    with temp_project("throughput", args.keep) as root:
        write_suite(root / "suite.jsonl", args.tasks)
        env = {"BENCH_LATENCY": str(args.latency)}
        ag2_env = {**env, "BENCH_AGENT": "ag2"}
        plugin = pytest_args("--eval-suite=suite.jsonl", f"--eval-concurrency={args.concurrency}")
        runner = [sys.executable, "ag2_runner.py", "suite.jsonl", f"--concurrency={args.concurrency}"]
        cases: dict[str, Callable[[], ChildRun]] = {
            "pytest startup": lambda: run_child(pytest_args("test_empty.py"), root, env, expect=(5,)),
            "plugin": lambda: run_child(plugin, root, env),
        }
        if with_ag2:
            cases |= {
                "ag2 startup": lambda: run_child([sys.executable, "ag2_runner.py", "--import-only"], root, env),
                "ag2 run_agent": lambda: run_child(runner, root, env),
                "pytest startup, ag2 imported": lambda: run_child(pytest_args("test_empty.py"), root, ag2_env,
                                                                  expect=(5,)),
                "plugin, same AG2 agent": lambda: run_child(plugin, root, ag2_env),
            }
        runs = run_rounds(cases, args.rounds)
    verdicts = Verdicts()
    report(runs, ideal, with_ag2, verdicts)
    return verdicts.exit_code(args.strict)


def adjusted(case: str, startup: str) -> Callable[[Mapping[str, ChildRun]], float]:
    return lambda one: one[case].wall_s - one[startup].wall_s


def report(runs: Mapping[str, list[ChildRun]], ideal: float, with_ag2: bool, verdicts: Verdicts) -> None:
    pairs = [("plugin", "pytest startup", "pytest")]
    if with_ag2:
        pairs += [("ag2 run_agent", "ag2 startup", "ag2"), ("plugin, same AG2 agent", "pytest startup, ag2 imported",
                                                             "pytest")]
    rows = []
    for case, startup, kind in pairs:
        inside = [run.pytest_s if kind == "pytest" else float(str(run.last_json()["seconds"])) for run in runs[case]]
        extra = per_round(runs, adjusted(case, startup))
        rows.append([case, seconds(median([r.wall_s for r in runs[case]])),
                     seconds(median([r.wall_s for r in runs[startup]])), seconds(extra), seconds(median(inside)),
                     f"{extra / ideal:.2f}x"])
    rows.append(["ideal (tasks / concurrency x latency)", "", "", seconds(ideal), seconds(ideal), "1.00x"])
    print_table(["case", "raw wall s", "startup s", "adjusted s", "in-process s", "adjusted / ideal"], rows)
    print("\nadjusted = wall of the run minus wall of an empty run of the same tool in the same round "
          "(interpreter, imports, plugin and conftest loading); in-process = pytest's own 'in X s' "
          "(collection included) or run_agent timed inside its script (suite loading included)\n")
    over_ideal = per_round(runs, adjusted("plugin", "pytest startup")) / ideal
    verdicts.check("plugin startup-adjusted wall / ideal", over_ideal, MAX_OVER_IDEAL, "x")
    if not with_ag2:
        verdicts.skip("plugin / AG2 run_agent", AG2_MISSING)
        return
    ratio = per_round(runs, lambda one: (one["plugin"].wall_s - one["pytest startup"].wall_s)
                      / (one["ag2 run_agent"].wall_s - one["ag2 startup"].wall_s))
    raw = per_round(runs, lambda one: one["plugin"].wall_s / one["ag2 run_agent"].wall_s)
    verdicts.check("plugin / AG2 run_agent, startup-adjusted wall", ratio, MAX_OVER_AG2, "x",
                   note=f"(raw wall ratio {raw:.2f}x, pytest startup included)")
    same = per_round(runs, lambda one: (one["plugin, same AG2 agent"].wall_s
                                        - one["pytest startup, ag2 imported"].wall_s)
                     / (one["ag2 run_agent"].wall_s - one["ag2 startup"].wall_s))
    verdicts.check("plugin running the same AG2 agent / AG2 run_agent, startup-adjusted", same, MAX_OVER_AG2, "x")


if __name__ == "__main__":
    sys.exit(main())
