"""Plumbing shared by the benchmark scripts: temp projects, timed child runs, medians, tables, verdicts, and the
loopback servers some of them talk to.

Every measurement is a real `pytest` (or AG2 runner) process; of the plugin this module imports only an option check.
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
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, TypeVar

from pytest_agenteval.config import positive_int as positive_int  # the plugin's own check, re-exported

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
    """One finished child process: wall time, peak RSS, CPU time, exit code and combined output.

    `cpu_s` is ru_utime + ru_stime from os.wait4 (the child and the descendants it waited for, such as
    xdist workers). `exit_lag_s`, for streamed runs only, is the time from reading pytest's last
    "... in X s" line to the child's exit.
    """

    wall_s: float
    peak_rss_mb: float
    returncode: int
    output: str
    cpu_s: float = 0.0
    exit_lag_s: float | None = None
    cpu_points: Mapping[str, float] | None = None  # CPU seconds used at points of the session (the conftest's)

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
              expect: Sequence[int] = (0,), *, stream: bool = False) -> ChildRun:
    """Run a command to the end; peak RSS and CPU come from wait4 for this very child (and the descendants it
    waited for), not from all of this process's children.

    stream=True reads the output through a pipe as it comes (the child runs with PYTHONUNBUFFERED=1) and
    times the last line holding pytest's "in X s" against the exit: `ChildRun.exit_lag_s`.
    """
    full_env = {**os.environ, **(env or {})}
    full_env.pop("GITHUB_STEP_SUMMARY", None)
    # Bytecode (and pytest's rewritten plugin modules) cached as on a user's machine; without the cache every
    # child would compile the plugin's engine from source, a fixed cost no real session pays twice.
    full_env.pop("PYTHONDONTWRITEBYTECODE", None)
    full_env["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"  # see pytest_args
    lag: float | None = None
    if stream:
        full_env["PYTHONUNBUFFERED"] = "1"
        chunks: list[bytes] = []
        last_line_at: float | None = None
        started = time.perf_counter()
        process = subprocess.Popen(list(args), cwd=cwd, env=full_env, stdout=subprocess.PIPE,
                                   stderr=subprocess.STDOUT)
        assert process.stdout is not None
        for line in process.stdout:  # ends at EOF: the child (and whatever shares its stdout) has closed it
            if PYTEST_DURATION.search(line.decode(errors="replace")):
                last_line_at = time.perf_counter()
            chunks.append(line)
        _, status, usage = os.wait4(process.pid, 0)
        ended = time.perf_counter()
        process.stdout.close()
        wall = ended - started
        lag = None if last_line_at is None else ended - last_line_at
        output = b"".join(chunks).decode(errors="replace")
    else:
        with tempfile.TemporaryFile() as out:
            started = time.perf_counter()
            process = subprocess.Popen(list(args), cwd=cwd, env=full_env, stdout=out, stderr=subprocess.STDOUT)
            _, status, usage = os.wait4(process.pid, 0)
            wall = time.perf_counter() - started
            out.seek(0)
            output = out.read().decode(errors="replace")
    process.returncode = os.waitstatus_to_exitcode(status)
    scale = 1024 * 1024 if sys.platform == "darwin" else 1024  # ru_maxrss: bytes on macOS, KiB on Linux
    run = ChildRun(wall, usage.ru_maxrss / scale, process.returncode, output,
                   cpu_s=usage.ru_utime + usage.ru_stime, exit_lag_s=lag)
    if run.returncode not in expect:
        raise RuntimeError(f"{' '.join(args)} exited {run.returncode} (expected {list(expect)}):\n{run.tail()}")
    return run


# Children load only the plugins a user of this one has (it, pytest-asyncio and pytest-xdist, its dependencies),
# not whatever else the dev environment auto-loads (hypothesis imports itself in every terminal summary).
AUTOLOADED = ("pytest_asyncio", "xdist.plugin", "xdist.looponfail")
PLUGIN = "pytest_agenteval.plugin"


def pytest_args(*args: str) -> list[str]:
    """`python -m pytest -q -p no:cacheprovider -p PLUGIN... ARGS` with this interpreter; "-p no:agenteval" in
    ARGS leaves this plugin out (the plain-pytest cases)."""
    without_plugin = "no:agenteval" in args
    plugins = [flag for name in (*AUTOLOADED, *(() if without_plugin else (PLUGIN,))) for flag in ("-p", name)]
    return [sys.executable, *PYTEST, *plugins, *args]


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
    return median(per_round_values(runs, value))


def per_round_values(runs: Mapping[str, list[ChildRun]],
                     value: Callable[[Mapping[str, ChildRun]], float]) -> list[float]:
    """A value computed from each round's runs, one per round, in round order."""
    rounds = len(next(iter(runs.values())))
    return [value({name: each[index] for name, each in runs.items()}) for index in range(rounds)]


def spread(values: Sequence[float], unit: str = "", digits: int = 3) -> str:
    """'min A, median B, max C over N rounds' for per-round figures."""
    return (f"min {min(values):.{digits}f}{unit}, median {median(values):.{digits}f}{unit}, "
            f"max {max(values):.{digits}f}{unit} over {len(values)} round(s)")


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


def add_latency_arguments(parser: argparse.ArgumentParser, prefix: str, case: str, *, tasks: int, latency: float,
                          concurrency: int) -> None:
    """`--PREFIX-tasks`, `--PREFIX-latency` and `--PREFIX-concurrency` (`--tasks`, ... without a prefix) of one
    case whose agent waits; argparse names them `PREFIX_tasks`, ..."""
    flag = f"--{prefix}-" if prefix else "--"
    parser.add_argument(f"{flag}tasks", type=positive_int, default=tasks, help=f"{case}: tasks (default {tasks})")
    parser.add_argument(f"{flag}latency", type=float, default=latency,
                        help=f"{case}: seconds each agent call waits (default {latency:g})")
    parser.add_argument(f"{flag}concurrency", type=positive_int, default=concurrency,
                        help=f"{case}: --eval-concurrency (default {concurrency})")


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

    def check_rounds(self, target: str, values: Sequence[float], limit: float, unit: str = "", *,
                     higher_is_better: bool = False, note: str = "") -> bool:
        """check() on the median of per-round figures; the line also gives their min, median and max."""
        extra = f"[{spread(values, unit)}]" + (f" {note}" if note else "")
        return self.check(target, median(values), limit, unit, higher_is_better=higher_is_better, note=extra)

    def skip(self, target: str, reason: str) -> None:
        print(f"SKIP  {target}: {reason}")

    def exit_code(self, strict: bool) -> int:
        return 1 if strict and self.missed else 0


def seconds(value: float) -> str:
    return f"{value:.3f}"


class QuietJsonHandler(BaseHTTPRequestHandler):
    """Answers JSON and logs nothing, for the loopback servers the benchmarks talk to."""

    def send_json(self, body: Any) -> None:
        payload = json.dumps(body, ensure_ascii=False).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, format: str, *args: Any) -> None:
        pass


Server = TypeVar("Server", bound=ThreadingHTTPServer)


@contextmanager
def serving(server: Server) -> Iterator[Server]:
    """`server` on a daemon thread until the block ends, then shut down and closed."""
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
