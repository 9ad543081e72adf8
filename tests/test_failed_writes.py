"""Writes that fail are failures: a store that cannot be written is a usage error before anything runs; a run,
journal or Markdown write that fails at the end fails the session and says so, and never leaves a truncated
file. Full and read-only disks are real tmpfs mounts (the tests run as root; they skip where mount is refused).
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from pytest_agenteval.cli import main

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="tmpfs mounts")

# Every call is logged; each answer is its prompt repeated REPEAT times (big results fill a small disk fast).
CONFTEST = '''
import os, pytest

@pytest.fixture(scope="session")
def eval_agent():
    def agent(prompt):
        with open("calls.log", "a") as log:
            log.write(prompt + "\\n")
        return prompt * int(os.environ.get("REPEAT", "1"))
    return agent
'''
Mount = Callable[..., Path]


def project(pytester: pytest.Pytester, count: int, tags: bool = False) -> None:
    pytester.makeconftest(CONFTEST)
    (pytester.path / "s.jsonl").write_text("".join(
        json.dumps({"task_id": f"t{i}", "inputs": {"input": f"q{i}"},
                    "tags": [f"tag_{i:03d}_with_a_long_name_for_a_wide_table"] if tags else []}) + "\n"
        for i in range(count)))


@pytest.fixture
def tmpfs(pytester: pytest.Pytester) -> Iterator[Mount]:
    """Mounts a real tmpfs of the given size (and options) at a new directory; unmounted at the end."""
    mounted: list[Path] = []

    def mount(name: str, size: str = "64k", *options: str) -> Path:
        target = pytester.path / name
        target.mkdir()
        done = subprocess.run(["mount", "-t", "tmpfs", "-o", ",".join([f"size={size}", *options]), "tmpfs",
                               str(target)], capture_output=True, text=True)
        if done.returncode:
            pytest.skip(f"cannot mount a tmpfs here (it needs root): {done.stderr.strip()}")
        mounted.append(target)
        return target

    yield mount
    for target in reversed(mounted):
        subprocess.run(["umount", "-l", str(target)], check=False)


def fill(directory: Path, keep: bytes = b"") -> None:
    """Fill the file system of `directory` to the last byte."""
    with (directory / "filler").open("wb", buffering=0) as handle:
        try:
            while True:
                handle.write(b"\0" * 4096)
        except OSError:
            pass


def names(directory: Path) -> list[str]:
    return sorted(path.name for path in directory.iterdir())


def test_a_store_that_is_a_file_is_a_usage_error_before_anything_runs(pytester: pytest.Pytester) -> None:
    project(pytester, 2)
    (pytester.path / "runs").write_text("not a directory")
    result = pytester.runpytest("--eval-suite=s.jsonl", "--eval-store=runs")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["ERROR: --eval-store: */runs: cannot hold runs: it is not a directory; give a "
                                 "directory this session can write"])
    assert not (pytester.path / "calls.log").exists()


def test_a_read_only_store_is_a_usage_error_before_anything_runs(pytester: pytest.Pytester, tmpfs: Mount) -> None:
    project(pytester, 2)
    store = tmpfs("ro", "64k", "ro")
    result = pytester.runpytest("--eval-suite=s.jsonl", f"--eval-store={store}")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([f"ERROR: --eval-store: {store}: cannot write there: Read-only file system; give a "
                                 "directory this session can write"])
    assert not (pytester.path / "calls.log").exists()


def test_a_full_store_fails_the_session_and_keeps_what_the_journal_holds_for_recover(
        pytester: pytest.Pytester, tmpfs: Mount, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    project(pytester, 30)
    store = tmpfs("full", "64k")
    monkeypatch.setenv("REPEAT", "1000")  # each journaled result is about 6 KB: the journal fills the disk
    result = pytester.runpytest("--eval-suite=s.jsonl", f"--eval-store={store}", "--eval-run-id=w")
    result.assert_outcomes(passed=30)
    assert result.ret == pytest.ExitCode.TESTS_FAILED  # every item passed: the failed writes fail the session
    result.stdout.fnmatch_lines([
        "run JSON: NOT WRITTEN (see the ERROR below)",
        f"ERROR: run JSON not written: {store}/w.json: No space left on device",
        f"ERROR: journal: cannot append to {store}/w.journal.jsonl: No space left on device",
        f"ERROR: the journal {store}/w.journal.jsonl keeps the * result(s) it holds: once the store can be "
        f"written, `agenteval recover {store}` stores them",
    ])
    assert names(store) == ["w.journal.jsonl"]  # no half-written run, no temp file
    lines = (store / "w.journal.jsonl").read_bytes().split(b"\n")
    assert lines[-1] == b""  # the line the disk had no room for was cut back off
    kept = [json.loads(line)["task"]["task_id"] for line in lines[1:-1]]
    assert 0 < len(kept) < 30
    assert f"keeps the {len(kept)} result(s)" in result.stdout.str()
    subprocess.run(["mount", "-o", "remount,size=4m", str(store)], check=True)
    capsys.readouterr()
    assert main(["recover", str(store)]) == 0
    run = json.loads((store / "w.json").read_text())
    assert ([t["task_id"] for t in run["tasks"]], run["partial"]) == (sorted(kept, key=lambda t: int(t[1:])), True)


def test_markdown_on_a_full_disk_fails_the_session_and_leaves_the_old_summary_whole(
        pytester: pytest.Pytester, tmpfs: Mount) -> None:
    project(pytester, 3)
    disk = tmpfs("md", "64k")
    (disk / "summary.md").write_text("the summary of an earlier run\n")
    fill(disk)
    result = pytester.runpytest("--eval-suite=s.jsonl", "--eval-store=runs", f"--eval-markdown={disk}/summary.md")
    result.assert_outcomes(passed=3)
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines([f"ERROR: Markdown summary not written to {disk}/summary.md: No space left on device"])
    assert (disk / "summary.md").read_text() == "the summary of an earlier run\n"
    assert names(disk) == ["filler", "summary.md"]
    assert len(list((pytester.path / "runs").glob("*.json"))) == 1  # the run itself was stored


def test_an_append_to_a_full_github_summary_is_cut_back_to_what_it_was(
        pytester: pytest.Pytester, tmpfs: Mount, monkeypatch: pytest.MonkeyPatch) -> None:
    project(pytester, 80, tags=True)  # a tag table longer than the one page the file has
    disk = tmpfs("gh", "64k")
    summary = disk / "step_summary.md"
    summary.write_text("# an earlier step\n")
    fill(disk)
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    result = pytester.runpytest("--eval-suite=s.jsonl", "--eval-github-summary")
    result.assert_outcomes(passed=80)
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines([f"ERROR: Markdown summary not written to {summary}: No space left on device"])
    assert summary.read_text() == "# an earlier step\n"


def test_junit_on_a_full_disk_is_pytest_s_own_error_and_the_run_is_still_stored(
        pytester: pytest.Pytester, tmpfs: Mount) -> None:
    project(pytester, 3)
    disk = tmpfs("junit", "64k")
    fill(disk)
    done = subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "--eval-suite=s.jsonl",
                           "--eval-store=runs", f"--junitxml={disk}/junit.xml"], cwd=pytester.path,
                          capture_output=True, text=True, timeout=300)
    # pytest's junitxml raises from its sessionfinish hook: a traceback and exit code 1, whatever the tests did.
    assert done.returncode == 1
    assert "OSError: [Errno 28] No space left on device" in done.stderr + done.stdout
    assert len(list((pytester.path / "runs").glob("*.json"))) == 1
