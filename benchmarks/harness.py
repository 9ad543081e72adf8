"""Plumbing shared by the benchmark scripts: temp projects, timed child runs, medians, tables, verdicts.

Every measurement is a real `pytest` (or AG2 runner) process; this module imports nothing from the plugin.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from pytest_agenteval.config import positive_int  # the same check as the plugin's own options

HERE = Path(__file__).resolve().parent
# pytest's last line: "200 passed in 1.05s", "10000 tests collected in 1.87s", "... in 75.12s (0:01:15)".
PYTEST_DURATION = re.compile(r" in (\d+(?:\.\d+)?)s\b")
# The files each temp project gets, copied from this directory (so they are linted like any code).
PROJECT_FILES = {"workload.py": "workload.py", "project_conftest.py": "conftest.py",
                 "plain_test.py": "test_plain.py", "ag2_runner.py": "ag2_runner.py"}
PYTEST_INI = "[pytest]\nasyncio_default_fixture_loop_scope = function\n"
PYTEST = ("-m", "pytest", "-q", "-p", "no:cacheprovider")


@dataclass(frozen=True, slots=True)
class ChildRun:
    """One finished child process: wall time, peak RSS, exit code and combined output."""

    wall_s: float
    peak_rss_mb: float
    returncode: int
    output: str

    @property
    def pytest_s(self) -> float:
        """The duration pytest printed on its last line (collection included)."""
        found = PYTEST_DURATION.findall(self.output)
        if not found:
            raise RuntimeError(f"no pytest duration in the output:\n{self.tail()}")
        return float(found[-1])

    def last_json(self) -> dict[str, object]:
        """The last line of the output, parsed as JSON (what ag2_runner.py prints)."""
        line = self.output.strip().splitlines()[-1]
        value = json.loads(line)
        assert isinstance(value, dict)
        return value

    def tail(self, lines: int = 25) -> str:
        return "\n".join(self.output.splitlines()[-lines:])


def run_child(args: Sequence[str], cwd: Path, env: Mapping[str, str] | None = None,
              expect: Sequence[int] = (0,)) -> ChildRun:
    """Run a command to the end; peak RSS comes from wait4 for this very child, not all children."""
    full_env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1", **(env or {})}
    full_env.pop("GITHUB_STEP_SUMMARY", None)
    with tempfile.TemporaryFile() as out:
        started = time.perf_counter()
        process = subprocess.Popen(list(args), cwd=cwd, env=full_env, stdout=out, stderr=subprocess.STDOUT)
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        output = out.read().decode(errors="replace")
    scale = 1024 * 1024 if sys.platform == "darwin" else 1024  # ru_maxrss: bytes on macOS, KiB on Linux
    run = ChildRun(wall, usage.ru_maxrss / scale, process.returncode, output)
    if run.returncode not in expect:
        raise RuntimeError(f"{' '.join(args)} exited {run.returncode} (expected {list(expect)}):\n{run.tail()}")
    return run


def pytest_args(*args: str) -> list[str]:
    """`python -m pytest -q -p no:cacheprovider ARGS` with this interpreter."""
    return [sys.executable, *PYTEST, *args]


def run_rounds(cases: Mapping[str, Callable[[], ChildRun]], rounds: int) -> dict[str, list[ChildRun]]:
    """Run every case once per round, back to back; the order rotates so no case always goes first."""
    names = list(cases)
    runs: dict[str, list[ChildRun]] = {name: [] for name in names}
    for index in range(rounds):
        shift = index % len(names)
        for name in names[shift:] + names[:shift]:
            runs[name].append(cases[name]())
        print(f"  round {index + 1}/{rounds} done", file=sys.stderr, flush=True)
    return runs


def median(values: Sequence[float]) -> float:
    return statistics.median(values)


def per_round(runs: Mapping[str, list[ChildRun]], value: Callable[[Mapping[str, ChildRun]], float]) -> float:
    """The median over rounds of a value computed from one round's runs (ratios stay within a round)."""
    rounds = len(next(iter(runs.values())))
    return median([value({name: each[index] for name, each in runs.items()}) for index in range(rounds)])


def ag2_available() -> bool:
    try:
        import ag2.eval  # noqa: F401
    except ImportError:
        return False
    return True


AG2_MISSING = "ag2 not installed in this interpreter: pip install -e \".[dev]\" (the frameworks extra)"


@contextmanager
def temp_project(name: str, keep: bool) -> Iterator[Path]:
    """A fresh directory holding the workload, conftest, plain test and AG2 runner; removed unless kept."""
    root = Path(tempfile.mkdtemp(prefix=f"agenteval-bench-{name}-"))
    for source, target in PROJECT_FILES.items():
        shutil.copyfile(HERE / source, root / target)
    (root / "pytest.ini").write_text(PYTEST_INI)
    (root / "test_empty.py").write_text('"""No tests: the startup baseline."""\n')
    try:
        yield root
    finally:
        if keep:
            print(f"kept the benchmark project in {root}")
        else:
            shutil.rmtree(root, ignore_errors=True)


def write_suite(path: Path, tasks: int, answer: str = "ok") -> Path:
    """A suite of `tasks` records, each with a tag and metadata like a real suite."""
    tags = ("smoke", "tools", "math", "safety", "chat")
    with path.open("w") as out:
        for index in range(tasks):
            record = {"task_id": f"task-{index:05d}", "inputs": {"input": f"question number {index}?"},
                      "reference_outputs": {"answer": answer}, "tags": [tags[index % len(tags)]],
                      "metadata": {"index": index}}
            out.write(json.dumps(record) + "\n")
    return path


def add_common_arguments(parser: argparse.ArgumentParser, rounds: int) -> None:
    parser.add_argument("--rounds", type=positive_int, default=rounds,
                        help=f"rounds of back-to-back runs; medians are reported (default {rounds})")
    parser.add_argument("--keep", action="store_true", help="keep the temp project and print its path")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")



def machine_line() -> str:
    """nproc, CPU model, Python, pytest and the 1-minute load (shared machines are noisy)."""
    model = "unknown CPU"
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    return (f"machine: {os.cpu_count()} CPUs, {model}, Python {platform.python_version()}, "
            f"{platform.system()}, load {load:.2f}")


def print_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
    widths = [max(len(str(row[i])) for row in [header, *rows]) for i in range(len(header))]
    line = "  ".join("{:<" + str(w) + "}" if i == 0 else "{:>" + str(w) + "}" for i, w in enumerate(widths))
    print(line.format(*header))
    print("  ".join("-" * w for w in widths))
    for row in rows:
        print(line.format(*row))


class Verdicts:
    """PASS / MISS / SKIP lines, one per target; `--strict` turns a miss into exit code 1."""

    def __init__(self) -> None:
        self.missed: list[str] = []

    def check(self, target: str, measured: float, limit: float, unit: str = "", *, higher_is_better: bool = False,
              note: str = "") -> bool:
        met = measured >= limit if higher_is_better else measured <= limit
        sign = ">=" if higher_is_better else "<="
        word = "PASS" if met else "MISS"
        print(f"{word}  {target}: {measured:.3f}{unit} (target {sign} {limit:g}{unit}){'  ' + note if note else ''}")
        if not met:
            self.missed.append(target)
        return met

    def skip(self, target: str, reason: str) -> None:
        print(f"SKIP  {target}: {reason}")

    def exit_code(self, strict: bool) -> int:
        return 1 if strict and self.missed else 0


def seconds(value: float) -> str:
    return f"{value:.3f}"
