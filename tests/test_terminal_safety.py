"""Terminal safety: control characters from agents, suites and scorers (ESC/OSC/CSI sequences, CR, C1, bidi
overrides) reach the terminal, the CLI and the Markdown only as visible escapes such as `\\x1b`."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from pytest_agenteval.report.terminal import printable

HOSTILE_CONFTEST = r'''
import pytest
from pytest_agenteval import Feedback, scorer

@scorer
def labeled(inputs, outputs):
    return Feedback(key="labeled", value="\x1b[31mred\x1b[0m")

@scorer
def exact(inputs, outputs):
    return Feedback(key="exact", score=False, comment="forged\r10 passed\x1b[2J")

# Function-scoped, so no agent call is prefetched: a prefetched agent that prints while no item waits is not
# routed to its task (run/isolation.py routes only while an item waits), which is not what this file tests.
@pytest.fixture
def eval_agent():
    def agent(prompt):
        print("\x1b]0;pwned\x07\x1b[2J\r10 passed")
        if prompt == "crash":
            raise ValueError("boom \x1b[2J\x9b31m")
        return "out \x1b[1mbold\u202egnp.exe"
    return agent

@pytest.fixture
def eval_scorers():
    return [labeled, exact]
'''
# Raw bytes that must never reach a terminal: ESC, BEL, CR, CSI (C1), RIGHT-TO-LEFT OVERRIDE.
RAW = (b"\x1b", b"\x07", b"\r", "\x9b".encode(), "\u202e".encode())


def write_project(path: Path) -> None:
    (path / "conftest.py").write_text(HOSTILE_CONFTEST, encoding="utf-8")
    records = [{"task_id": "blink", "inputs": {"input": "\u001b[5mblink"}},
               {"task_id": "crash", "inputs": {"input": "crash"}}]
    (path / "s.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")


def run(path: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    """A real process, so its stdout holds exactly the bytes a terminal would receive."""
    return subprocess.run([sys.executable, *args], cwd=path, capture_output=True, timeout=300, check=False)


@pytest.mark.parametrize("dist", [[], ["-n", "2"]], ids=["single", "xdist"])
def test_control_sequences_from_agents_inputs_and_scorers_reach_the_terminal_escaped(
        pytester: pytest.Pytester, dist: list[str]) -> None:
    write_project(pytester.path)
    done = run(pytester.path, "-m", "pytest", "-p", "no:cacheprovider", "--color=no", "-vv", "-rA",
               "--eval-suite=s.jsonl", "--eval-store=runs", "--eval-markdown=summary.md", *dist)
    out = done.stdout
    assert done.returncode == 1, out.decode()
    for raw in RAW:
        assert raw not in out, raw
    for shown in [rb"\x1b]0;pwned\x07\x1b[2J\r10 passed",  # the agent output section
                  rb"input:  \x1b[5mblink",  # the failure text: the input...
                  rb"output: out \x1b[1mbold\u202egnp.exe",  # ...the output
                  rb"exact: False - forged\r10 passed\x1b[2J",  # ...and a scorer's comment
                  rb"ValueError: boom \x1b[2J\x9b31m",  # the agent's traceback (-vv)
                  rb"labeled  \x1b[31mred\x1b[0m=2"]:  # the terminal summary's labels
        assert shown in out, shown
    markdown = (pytester.path / "summary.md").read_bytes()
    assert re.search(rb"[\x00-\x09\x0b-\x1f\x7f]", markdown) is None
    assert rb"forged\r10 passed\x1b[2J" in markdown


def test_the_cli_renders_a_stored_run_with_control_characters_escaped(pytester: pytest.Pytester) -> None:
    write_project(pytester.path)
    run(pytester.path, "-m", "pytest", "-p", "no:cacheprovider", "--eval-suite=s.jsonl", "--eval-store=runs")
    (stored,) = (pytester.path / "runs").glob("*.json")
    assert "\\u001b" in stored.read_text(encoding="utf-8")  # the run keeps the data as it was, JSON-escaped
    for fmt in ("text", "markdown"):
        shown = run(pytester.path, "-m", "pytest_agenteval", "show", str(stored), f"--format={fmt}")
        assert shown.returncode == 0, shown.stderr.decode()
        for raw in RAW:
            assert raw not in shown.stdout, (fmt, raw)
        assert rb"forged\r10 passed\x1b[2J" in shown.stdout


@pytest.mark.parametrize(("text", "shown"), [
    pytest.param("\x1b]0;title\x07", "\\x1b]0;title\\x07", id="osc-title"),
    pytest.param("\x1b[2J\x1b[H", "\\x1b[2J\\x1b[H", id="csi-clear"),
    pytest.param("3 failed\r10 passed", "3 failed\\r10 passed", id="carriage-return"),
    pytest.param("\x9b31m\x85", "\\x9b31m\\x85", id="c1"),
    pytest.param("abc\u202edef\u2066", "abc\\u202edef\\u2066", id="bidi"),
    pytest.param("lone \ud800", "lone \\ud800", id="surrogate"),
    pytest.param("two\nlines\tand tab", "two\\nlines\\tand tab", id="newline-and-tab"),
    pytest.param("caf\u00e9 \u4e16\u754c", "caf\u00e9 \u4e16\u754c", id="printable-unicode"),
])
def test_printable_escapes_control_characters_on_one_line(text: str, shown: str) -> None:
    assert printable(text) == shown
    assert printable(printable(text)) == shown  # escaping twice changes nothing


def test_printable_keeps_newlines_and_tabs_in_a_block_but_not_carriage_returns() -> None:
    assert printable("a\r\n\tb\rc\x1b[2J\n", multiline=True) == "a\n\tb\\rc\\x1b[2J\n"
