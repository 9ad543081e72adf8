"""xdist scaling: the plugin on `-n W` workers against one process, for CPU-bound and for I/O-bound tasks.

- CPU-bound (--tasks, default 400; --scorer-cpu-ms, default 5): an instant agent, and `exact_match` burns
  that many ms of CPU per task (BENCH_SCORER_CPU_MS in workload.py). Target: one process's
  startup-adjusted wall / the `-n W` run's >= 1.6x on 2 cores. Also printed: each process's CPU (the
  benchmark conftest writes it at points of each session), and the speedup that CPU allows on W cores packed
  perfectly: one process's CPU on its items / ((the workers' CPU on theirs + the controller's) / W).
- I/O-bound (--io-tasks, default 200; --io-latency, default 0.1 s; --io-concurrency, default 20): the
  agent waits, the scorers are instant. The same ratio is printed with no target: it says when xdist costs
  more than it gives.

Each run's startup is an empty run with the same -n (an `-n W` session also starts its workers). CPU is the
child's ru_utime + ru_stime from os.wait4, workers included (the controller waits for them). Ratios are
taken within a round; min, median and max over rounds are printed.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable, Mapping
from dataclasses import replace
from pathlib import Path

from harness import (
    ChildRun,
    Verdicts,
    add_common_arguments,
    add_latency_arguments,
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

MIN_SPEEDUP = 1.6  # issue 11: -n 2 with CPU-heavy scorers, on 2 cores
STARTUP, XDIST_STARTUP = "pytest startup", "pytest startup, -n {workers}"
CPU_ONE, CPU_XDIST = "CPU-bound, 1 process", "CPU-bound, -n {workers}"
IO_ONE, IO_XDIST = "I/O-bound, 1 process", "I/O-bound, -n {workers}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workers", type=positive_int, default=2, help="xdist workers, -n (default 2)")
    parser.add_argument("--tasks", type=positive_int, default=400, help="CPU-bound case: tasks (default 400)")
    parser.add_argument("--scorer-cpu-ms", type=float, default=5.0,
                        help="CPU-bound case: ms of CPU one scorer burns per task (default 5)")
    add_latency_arguments(parser, "io", "I/O-bound case", tasks=200, latency=0.1, concurrency=20)
    parser.add_argument("--skip-io", action="store_true", help="measure the CPU-bound case only")
    add_common_arguments(parser, rounds=5)  # an -n run's startup (its workers' too) varies by a second or more
    args = parser.parse_args(argv)
    workers = args.workers
    names = {key: value.format(workers=workers) for key, value in
             {"startup": STARTUP, "xdist startup": XDIST_STARTUP, "cpu one": CPU_ONE, "cpu xdist": CPU_XDIST,
              "io one": IO_ONE, "io xdist": IO_XDIST}.items()}
    print(machine_line())
    print(f"CPU-bound: {args.tasks} tasks, instant agent, {args.scorer_cpu_ms:g} ms of scorer CPU per task "
          f"({args.tasks * args.scorer_cpu_ms / 1000:.2f} s in all)")
    if not args.skip_io:
        ideal = args.io_tasks / args.io_concurrency * args.io_latency
        print(f"I/O-bound: {args.io_tasks} tasks x {args.io_latency:g} s agent latency, concurrency "
              f"{args.io_concurrency}: ideal in one process {ideal:.3f} s")
    print(f"-n {workers} against one process; {args.rounds} rounds, interleaved\n")
    if (os.cpu_count() or 1) < workers:
        print(f"note: {os.cpu_count()} CPUs for {workers} workers\n")
    with temp_project("xdist", args.keep) as root:
        write_suite(root / "cpu.jsonl", args.tasks)
        cpu_env = {"BENCH_SCORER_CPU_MS": str(args.scorer_cpu_ms)}
        n = ("-n", str(workers))
        cases: dict[str, Callable[[], ChildRun]] = {
            names["startup"]: lambda: run_child(pytest_args("test_empty.py"), root, expect=(5,)),
            names["xdist startup"]: lambda: run_child(pytest_args(*n, "test_empty.py"), root, expect=(5,)),
            names["cpu one"]: lambda: cpu_points_run(pytest_args("--eval-suite=cpu.jsonl"), root, cpu_env),
            names["cpu xdist"]: lambda: cpu_points_run(pytest_args(*n, "--eval-suite=cpu.jsonl"), root, cpu_env),
        }
        if not args.skip_io:
            write_suite(root / "io.jsonl", args.io_tasks)
            io_env = {"BENCH_LATENCY": str(args.io_latency)}
            io = ("--eval-suite=io.jsonl", f"--eval-concurrency={args.io_concurrency}")
            cases |= {
                names["io one"]: lambda: run_child(pytest_args(*io), root, io_env),
                names["io xdist"]: lambda: run_child(pytest_args(*n, *io), root, io_env),
            }
        runs = run_rounds(cases, args.rounds)
    verdicts = Verdicts()
    report(runs, names, args.skip_io, workers, verdicts)
    return verdicts.exit_code(args.strict)


def cpu_points_run(args: list[str], root: Path, env: Mapping[str, str]) -> ChildRun:
    """A run whose processes (the controller, "main", and each worker) write their CPU at points of their session
    (the benchmark conftest); in `ChildRun.cpu_points` as "<process> <point>"."""
    target = root / "session-cpu.json"
    for old in root.glob("session-cpu.json*"):
        old.unlink()
    child = run_child(args, root, {**env, "BENCH_SESSION_CPU_FILE": str(target)})
    points = {f"{'main' if path == target else path.suffix.lstrip('.')} {point}": cpu
              for path in root.glob("session-cpu.json*") for point, cpu in json.loads(path.read_text()).items()}
    return replace(child, cpu_points=points)


def cpu_bound(one: ChildRun, xdist: ChildRun, workers: int) -> tuple[float, float, float, float]:
    """(one process's CPU on its items, the workers' on theirs, the controller's from its session's start to the
    run's end, the speedup that CPU allows on `workers` cores packed perfectly)."""
    assert one.cpu_points is not None and xdist.cpu_points is not None
    alone = one.cpu_points["main run"] - one.cpu_points["main collected"]
    ids = {key.split()[0] for key in xdist.cpu_points} - {"main"}
    on_workers = sum(xdist.cpu_points[f"{worker} run"] - xdist.cpu_points[f"{worker} collected"] for worker in ids)
    controller = xdist.cpu_points["main run"] - xdist.cpu_points["main session start"]
    return alone, on_workers, controller, alone / ((on_workers + controller) / workers)


def report(runs: Mapping[str, list[ChildRun]], names: Mapping[str, str], skip_io: bool, workers: int,
           verdicts: Verdicts) -> None:
    def adjusted(case: str) -> Callable[[Mapping[str, ChildRun]], float]:
        startup = names["xdist startup"] if case.endswith(f"-n {workers}") else names["startup"]
        return lambda one: one[case].wall_s - one[startup].wall_s

    cases = [names["cpu one"], names["cpu xdist"]] + ([] if skip_io else [names["io one"], names["io xdist"]])
    def wall(case: str) -> str:
        return seconds(median([r.wall_s for r in runs[case]]))

    def cpu(case: str) -> str:
        return seconds(median([r.cpu_s for r in runs[case]]))

    rows = [[name, wall(name), "", "", cpu(name)] for name in (names["startup"], names["xdist startup"])]
    for case in cases:
        rows.append([case, wall(case), seconds(per_round(runs, adjusted(case))),
                     seconds(median([r.pytest_s for r in runs[case]])), cpu(case)])
    print_table(["case", "raw wall s", "adjusted s", "pytest-reported s", "CPU s (workers included)"], rows)
    print(f"\nadjusted = wall minus an empty run with the same -n in the same round; speedup = one process's "
          f"adjusted wall / -n {workers}'s; all medians over rounds\n")
    speedup = per_round_values(runs, lambda one: adjusted(names["cpu one"])(one) / adjusted(names["cpu xdist"])(one))
    raw = per_round_values(runs, lambda one: one[names["cpu one"]].wall_s / one[names["cpu xdist"]].wall_s)
    verdicts.check_rounds(f"CPU-bound scorers: -n {workers} speedup over one process, startup-adjusted wall",
                          speedup, MIN_SPEEDUP, "x", higher_is_better=True,
                          note=f"(raw wall: {spread(raw, 'x')})")
    per_round_cpu = [cpu_bound(alone, spread_out, workers)
                     for alone, spread_out in zip(runs[names["cpu one"]], runs[names["cpu xdist"]], strict=True)]
    alone, on_workers, controller, bound = (list(column) for column in zip(*per_round_cpu, strict=True))
    print(f"INFO  CPU-bound, CPU per process (medians): one process's items {median(alone):.3f} s; under -n {workers} "
          f"the workers' items {median(on_workers):.3f} s in all and the controller {median(controller):.3f} s from "
          f"its session's start to the run's end; the speedup that CPU allows on {workers} cores, packed perfectly: "
          f"{spread(bound, 'x')}")
    if skip_io:
        return
    io_speedup = per_round_values(runs, lambda one: adjusted(names["io one"])(one) / adjusted(names["io xdist"])(one))
    io_raw = per_round_values(runs, lambda one: one[names["io one"]].wall_s / one[names["io xdist"]].wall_s)
    print(f"INFO  I/O-bound agent: -n {workers} speedup over one process, startup-adjusted wall: "
          f"{spread(io_speedup, 'x')}; raw wall: {spread(io_raw, 'x')} (below 1x, xdist costs more than it gives)")


if __name__ == "__main__":
    sys.exit(main())
