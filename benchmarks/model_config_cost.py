"""Per-task model configs at concurrency: N tasks, each with its own scripted AG2 config whose model call waits L
seconds, run by the plugin (`eval_model_config` with one shared bare `Agent`) and by
`ag2.eval.run_agent(model_config=...)` at the same concurrency; the target is <= 1.2x run_agent's wall.

The target compares in-process times (pytest's own "in X s", collection included; run_agent timed inside its
script, suite loading included), which the startup noise of this machine does not swamp; startup-adjusted
walls are printed beside them. Medians over rounds.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable

from harness import (
    AG2_MISSING,
    ChildRun,
    Verdicts,
    add_common_arguments,
    ag2_available,
    machine_line,
    median,
    per_round_values,
    positive_int,
    print_table,
    pytest_args,
    run_child,
    run_rounds,
    seconds,
    temp_project,
    write_suite,
)

MAX_OVER_AG2 = 1.2


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tasks", type=positive_int, default=100, help="tasks in the suite (default 100)")
    parser.add_argument("--latency", type=float, default=0.2, help="seconds each model call waits (default 0.2)")
    parser.add_argument("--concurrency", type=positive_int, default=10, help="concurrency of both (default 10)")
    add_common_arguments(parser, rounds=5)
    args = parser.parse_args(argv)
    print(machine_line())
    verdicts = Verdicts()
    if not ag2_available():
        verdicts.skip("plugin / run_agent with per-task model configs", AG2_MISSING)
        return verdicts.exit_code(args.strict)
    print(f"{args.tasks} tasks x {args.latency:g} s model call, one config per task, concurrency "
          f"{args.concurrency}; {args.rounds} rounds, medians\n")
    with temp_project("model-config", args.keep) as root:
        write_suite(root / "suite.jsonl", args.tasks)
        env = {"BENCH_SUITE": "suite.jsonl", "BENCH_AGENT": "ag2-config", "BENCH_LATENCY": str(args.latency)}
        runner = [sys.executable, "ag2_runner.py", "suite.jsonl", f"--concurrency={args.concurrency}"]
        cases: dict[str, Callable[[], ChildRun]] = {
            "pytest startup": lambda: run_child(pytest_args("test_empty.py"), root, env, expect=(5,)),
            "plugin, eval_model_config": lambda: run_child(
                pytest_args("--eval-suite=suite.jsonl", f"--eval-concurrency={args.concurrency}"), root, env),
            "ag2 startup": lambda: run_child([*runner, "--import-only"], root, env),
            "ag2 run_agent(model_config=)": lambda: run_child([*runner, "--model-config"], root, env),
        }
        runs = run_rounds(cases, args.rounds)
    plugin = per_round_values(runs, lambda one: one["plugin, eval_model_config"].pytest_s)
    ag2 = per_round_values(runs, lambda one: float(str(one["ag2 run_agent(model_config=)"].last_json()["seconds"])))
    ours, theirs, ours_empty, theirs_empty = ("plugin, eval_model_config", "ag2 run_agent(model_config=)",
                                              "pytest startup", "ag2 startup")
    adjusted = per_round_values(runs, lambda one: (one[ours].wall_s - one[ours_empty].wall_s)
                                / (one[theirs].wall_s - one[theirs_empty].wall_s))
    print_table(["case", "raw wall s (median)"], [[name, seconds(median([r.wall_s for r in each]))]
                                                   for name, each in runs.items()])
    print(f"\nin-process: plugin {seconds(median(plugin))} s, run_agent {seconds(median(ag2))} s "
          f"(ideal {args.tasks / args.concurrency * args.latency:.3f} s)\n")
    verdicts.check_rounds("plugin / run_agent with per-task model configs, in-process",
                          [ours / theirs for ours, theirs in zip(plugin, ag2, strict=True)], MAX_OVER_AG2, "x",
                          note=f"(startup-adjusted walls: median {median(adjusted):.3f}x)")
    return verdicts.exit_code(args.strict)


if __name__ == "__main__":
    sys.exit(main())
