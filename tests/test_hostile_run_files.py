"""Hostile run files: every `agenteval` command, `--eval-baseline` and `--eval-resume` answer a malformed, deep,
huge, special or unreadable file with one line (exit 2 for the CLI, a usage error for pytest), never a
traceback or a hang; `bless --to` replaces only a run file unless forced. FIFOs and devices are read in a
process of their own, so a hang fails the test instead of stalling it."""

from __future__ import annotations

import ctypes
import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from pytest_agenteval.cli import main

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="FIFOs, devices and file modes")

CONFTEST = '''
import pytest

@pytest.fixture(scope="session")
def eval_agent():
    return lambda prompt: prompt
'''
PR_CAPBSET_DROP, CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH = 24, 1, 2


def write_bytes(data: bytes) -> Callable[[Path], object]:
    return lambda path: path.write_bytes(data)


def symlink_loop(path: Path) -> None:
    path.symlink_to(path.with_name("other.link"))
    path.with_name("other.link").symlink_to(path)


def unreadable(path: Path) -> None:
    path.write_text("{}")
    path.chmod(0)


# kind -> (how to make x.json, what the one line says about it)
HOSTILE: dict[str, tuple[Callable[[Path], object], str]] = {
    "malformed": (write_bytes(b'{"run_id": '), "not valid JSON: Expecting value (line 1)"),
    "deep": (write_bytes(b"[" * 100_000 + b"]" * 100_000), "not valid JSON: nested too deeply to read"),
    "huge": (write_bytes(b'{"run_id": "x", "duration_ms": ' + b"7" * 5000 + b"}"),
             "not valid JSON: an integer has more than 4300 digits"),
    "not-utf8": (write_bytes(b'\xff{"run_id": "x"}'), "not UTF-8: invalid start byte at byte 0"),
    "not-a-run": (write_bytes(b'{"run_id": "x"}'), "not a pytest-agenteval run: created_at: Field required"),
    "fifo": (os.mkfifo, "not a regular file (a FIFO)"),
    "directory": (Path.mkdir, "not a regular file (a directory)"),
    "device": (lambda path: path.symlink_to("/dev/zero"), "not a regular file (a character device)"),
    "symlink-loop": (symlink_loop, "cannot read: Too many levels of symbolic links"),
    "unreadable": (unreadable, "cannot read: Permission denied"),
}


SUBPROCESS_KINDS = frozenset({"fifo", "device", "unreadable"})  # a hang must fail, not stall; root needs a process


@pytest.fixture
def workdir(pytester: pytest.Pytester) -> Path:
    """A project with one stored run, `runs/good.json`."""
    pytester.makeconftest(CONFTEST)
    (pytester.path / "s.jsonl").write_text('{"task_id": "a", "inputs": {"input": "a"}}\n')
    pytester.runpytest("--eval-suite=s.jsonl", "--eval-store=runs", "--eval-run-id=good").assert_outcomes(passed=1)
    return pytester.path


def without_permission_override() -> None:
    """Root reads any file: drop the two capabilities that let it (prctl PR_CAPBSET_DROP), so mode 000 holds."""
    libc = ctypes.CDLL(None, use_errno=True)
    for capability in (CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH):
        if libc.prctl(PR_CAPBSET_DROP, capability, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP) failed")


def run(cwd: Path, *command: str, unprivileged: bool = False) -> subprocess.CompletedProcess[str]:
    switch = without_permission_override if unprivileged and os.geteuid() == 0 else None
    return subprocess.run([sys.executable, *command], cwd=cwd, capture_output=True, text=True, timeout=120,
                          preexec_fn=switch)


def one_line(stderr: str, stdout: str = "") -> str:
    assert "Traceback" not in stderr + stdout, stderr
    lines = [line for line in stderr.splitlines() if line]
    assert len(lines) == 1, stderr
    return lines[0]


def agenteval(kind: str, cwd: Path, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """Exit code, stdout and the one line on stderr of `agenteval ARGS`: in its own process for the kinds that
    could hang or that need one, else in this one."""
    if kind in SUBPROCESS_KINDS:
        done = run(cwd, "-m", "pytest_agenteval", *args, unprivileged=kind == "unreadable")
        return done.returncode, done.stdout, one_line(done.stderr, done.stdout)
    capsys.readouterr()
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, one_line(err, out)


def pytest_session(kind: str, pytester: pytest.Pytester, *args: str) -> tuple[int, str]:
    """Exit code and the one line on stderr of a pytest session (own process as for `agenteval`)."""
    if kind in SUBPROCESS_KINDS:
        done = run(pytester.path, "-m", "pytest", "-p", "no:cacheprovider", *args, unprivileged=kind == "unreadable")
        return done.returncode, one_line(done.stderr, done.stdout)
    result = pytester.runpytest(*args)
    return result.ret, one_line(result.stderr.str(), result.stdout.str())


@pytest.mark.parametrize("kind", HOSTILE)
def test_every_command_answers_a_hostile_run_file_with_one_line_and_exit_code_2(
        kind: str, workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    make, says = HOSTILE[kind]
    make(workdir / "x.json")
    good = "runs/good.json"
    commands = {
        "show": ["x.json"], "diff": ["x.json", good], "merge": [good, "x.json", "-o", "merged.json"],
        "bless": ["x.json", "--to", "base.json"],
    }
    for name, args in commands.items():
        code, _, line = agenteval(kind, workdir, capsys, name, *args)
        assert (code, line) == (2, f"agenteval {name}: error: x.json: {says}"), name
    assert not (workdir / "merged.json").exists() and not (workdir / "base.json").exists()


@pytest.mark.parametrize("kind", HOSTILE)
def test_ls_skips_a_hostile_file_in_the_store_with_one_line(
        kind: str, workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    make, says = HOSTILE[kind]
    make(workdir / "runs" / "x.json")
    code, out, line = agenteval(kind, workdir, capsys, "ls", "runs", "--format=json")
    assert code == 0
    assert [row["run_id"] for row in json.loads(out)] == ["good"]
    assert line == f"agenteval ls: skipped runs/x.json: {says}"


@pytest.mark.parametrize("kind", HOSTILE)
def test_eval_baseline_and_eval_resume_answer_a_hostile_file_with_a_usage_error(
        kind: str, pytester: pytest.Pytester, workdir: Path) -> None:
    make, says = HOSTILE[kind]
    make(workdir / "runs" / "x.json")
    code, line = pytest_session(kind, pytester, "--eval-suite=s.jsonl", "--eval-baseline=runs/x.json")
    assert code == pytest.ExitCode.USAGE_ERROR
    assert line == f"ERROR: --eval-baseline: {workdir}/runs/x.json: {says}; pass a run JSON or 'latest'"
    code, line = pytest_session(kind, pytester, "--eval-suite=s.jsonl", "--eval-store=runs", "--eval-resume=x")
    assert code == pytest.ExitCode.USAGE_ERROR
    assert line == f"ERROR: --eval-resume=x: {workdir}/runs/x.json: {says}"


def load(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text())
    return data


def test_bless_replaces_only_a_run_file_unless_forced(workdir: Path) -> None:
    bless = ["-m", "pytest_agenteval", "bless", "runs/good.json", "--to"]
    (workdir / "notes.json").write_text("my notes, not a run\n")
    refused = run(workdir, *bless, "notes.json")
    assert refused.returncode == 2
    assert one_line(refused.stderr) == ("agenteval bless: error: --to notes.json: not replaced, it is not a run file "
                                 "(notes.json: not valid JSON: Expecting value (line 1)); pass --force to replace it "
                                 "anyway")
    assert (workdir / "notes.json").read_text() == "my notes, not a run\n"
    forced = run(workdir, *bless, "notes.json", "--force")
    assert forced.returncode == 0, forced.stderr
    assert load(workdir / "notes.json")["run_id"] == "good"
    assert run(workdir, *bless, "notes.json").returncode == 0  # a run file is a baseline: replaced as before
    os.mkfifo(workdir / "pipe.json")
    assert one_line(run(workdir, *bless, "pipe.json").stderr) == (
        "agenteval bless: error: --to pipe.json: not replaced, it is not a run file (pipe.json: not a regular file "
        "(a FIFO)); pass --force to replace it anyway")
    (workdir / "folder").mkdir()
    assert one_line(run(workdir, *bless, "folder", "--force").stderr) == (
        "agenteval bless: error: --to folder: is a directory; name the baseline file")
