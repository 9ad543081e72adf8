"""Collection at scale: peak RSS and wall of `pytest --collect-only -q` on a suite of N tiny records, on N
invalid lines, and on a plain test parametrized N times (what pytest itself costs for N items); and a full run
of the N invalid lines (each is reported and stored in the run's invalid_records).

Peak RSS is the child's own ru_maxrss (os.wait4); one round per case unless --rounds says otherwise.
Hypothesis' pytest plugin (a dev dependency) is disabled: its terminal summary walks every report.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from pathlib import Path

from harness import (
    ChildRun,
    Verdicts,
    add_common_arguments,
    machine_line,
    median,
    print_table,
    pytest_args,
    run_child,
    run_rounds,
    seconds,
    temp_project,
)

from pytest_agenteval.config import positive_int

MAX_PEAK_MB_AT_1M = 2048.0  # issue 9: a million tiny records collect in under 2 GB
NO_HYPOTHESIS = ("-p", "no:hypothesispytest")
PLAIN_TEST = '''
import pytest

@pytest.mark.parametrize("index", range({count}))
def test_task(index):
    pass
'''


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--records", type=positive_int, default=1_000_000, help="records per suite (default 1e6)")
    parser.add_argument("--skip-plain", action="store_true", help="do not measure the plain parametrized test")
    parser.add_argument("--skip-invalid", action="store_true", help="do not measure the invalid-lines suite")
    add_common_arguments(parser, rounds=1)
    args = parser.parse_args(argv)
    count = args.records
    print(machine_line())
    print(f"{count} items per case; {args.rounds} round(s), medians\n")
    with temp_project("collect-scale", args.keep) as root:
        write_tiny_suite(root / "tiny.jsonl", count)
        cases = {"eval suite, tiny records": lambda: run_child(
            pytest_args(*NO_HYPOTHESIS, "--eval-suite=tiny.jsonl", "--collect-only"), root)}
        if not args.skip_invalid:
            (root / "invalid.jsonl").write_text("{\n" * count)
            cases["eval suite, invalid lines"] = lambda: run_child(
                pytest_args(*NO_HYPOTHESIS, "--eval-suite=invalid.jsonl", "--collect-only"), root)
            cases[FULL_RUN] = lambda: full_invalid_run(root, count)
        if not args.skip_plain:
            (root / "test_param.py").write_text(PLAIN_TEST.format(count=count))
            cases["plain pytest, parametrized"] = lambda: run_child(
                pytest_args(*NO_HYPOTHESIS, "test_param.py", "--collect-only"), root)
        cases["pytest startup"] = lambda: run_child(pytest_args(*NO_HYPOTHESIS, "test_empty.py"), root, expect=(5,))
        runs = run_rounds(cases, args.rounds)
    peak = {name: median([run.peak_rss_mb for run in each]) for name, each in runs.items()}
    wall = {name: median([run.wall_s for run in each]) for name, each in runs.items()}
    plain = "plain pytest, parametrized"
    rows = []
    startup = peak["pytest startup"]
    for name in runs:
        ratio = f"{peak[name] / peak[plain]:.2f} / {wall[name] / wall[plain]:.2f}" if plain in runs else ""
        per_item = f"{(peak[name] - startup) * 2**20 / count:.0f}" if name != "pytest startup" else ""
        rows.append([name, f"{peak[name]:.0f}", per_item, seconds(wall[name]), ratio])
    print_table(["case (--collect-only -q unless said)", "peak RSS MB", "B/item over startup", "wall s",
                 "vs plain: RSS / wall"], rows)
    if FULL_RUN in runs:
        print(f"\n{FULL_RUN}: the run JSON lists {stored_invalid[-1]} invalid records")
    print()
    verdicts = Verdicts()
    tiny = peak["eval suite, tiny records"]
    if count == 1_000_000:
        verdicts.check("peak RSS, 1,000,000 tiny records", tiny, MAX_PEAK_MB_AT_1M, " MB")
    else:  # startup once, plus what each item costs over it, a million times
        projected = startup + (tiny - startup) * 1_000_000 / count
        verdicts.check("peak RSS, 1,000,000 tiny records (projected)", projected, MAX_PEAK_MB_AT_1M, " MB",
                       note=f"(measured {tiny:.0f} MB at {count}; run with --records 1000000 to measure it)")
    return verdicts.exit_code(args.strict)


FULL_RUN = "eval suite, invalid lines, full run"
stored_invalid: list[int] = []


def full_invalid_run(root: Path, count: int) -> ChildRun:
    store = root / "runs"
    shutil.rmtree(store, ignore_errors=True)
    run = run_child(pytest_args(*NO_HYPOTHESIS, "--eval-suite=invalid.jsonl", "--eval-store=runs"), root, expect=(1,))
    (path,) = store.glob("*.json")
    stored_invalid.append(len(json.loads(path.read_text())["invalid_records"]))
    return run


def write_tiny_suite(path: Path, count: int) -> None:
    with path.open("w") as out:
        for index in range(count):
            out.write(json.dumps({"task_id": f"t{index}", "inputs": {"input": "q"}}) + "\n")


if __name__ == "__main__":
    sys.exit(main())
