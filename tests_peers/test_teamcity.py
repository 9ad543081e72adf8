"""PyCharm's runner (teamcity-messages, the `--teamcity` plugin PyCharm's `_jb_pytest_runner.py` loads): the tree
of a suite and its verdicts, and the location PyCharm needs to open a task at its record."""

from __future__ import annotations

import json
import re

import pytest

from .test_reporters import CONFTEST as AGENT_CONFTEST

# The reporters' agent and scorer (task "wrong" fails), plus a record of the locations pytest hands reporters.
CONFTEST = AGENT_CONFTEST + '''
LOCATIONS = []

def pytest_runtest_logstart(nodeid, location):
    LOCATIONS.append(location)

def pytest_sessionfinish(session):
    import json
    (session.config.rootpath / "locations.json").write_text(json.dumps(LOCATIONS))
'''
# Ids AG2's loader accepts; teamcity-messages turns "." into "_" and "/" into "." in its test names.
RECORDS = [("qa.001", "a"), ("hotpot/5a8b57f2", "b"), ("wrong", "wrong")]
MESSAGE = re.compile(r"##teamcity\[(\w+) (.*)\]$")
FIELD = re.compile(r"(\w+)='((?:\|.|[^'|])*)'")


def messages(output: list[str], kind: str) -> list[dict[str, str]]:
    found = []
    for line in output:
        match = MESSAGE.search(line)
        if match and match.group(1) == kind:
            found.append(dict(FIELD.findall(match.group(2))))
    return found


@pytest.fixture
def project(pytester: pytest.Pytester) -> pytest.Pytester:
    pytester.makeconftest(CONFTEST)
    lines = [json.dumps({"task_id": task_id, "inputs": {"input": prompt}}) for task_id, prompt in RECORDS]
    (pytester.path / "s.jsonl").write_text("\n\n".join(lines) + "\n")  # blank lines: records at lines 1, 3, 5
    return pytester


def test_the_tree_has_one_test_per_task_and_the_failing_task_fails(project: pytest.Pytester) -> None:
    result = project.runpytest("--eval-suite=s.jsonl", "--teamcity", "-p", "no:randomly")
    started = [message["name"] for message in messages(result.outlines, "testStarted")]
    assert started == ["s_jsonl.qa_001", "s_jsonl.hotpot.5a8b57f2", "s_jsonl.wrong"]
    assert [message["name"] for message in messages(result.outlines, "testFailed")] == ["s_jsonl.wrong"]
    assert len(messages(result.outlines, "testFinished")) == 3


def test_each_task_starts_at_its_jsonl_record(project: pytest.Pytester) -> None:
    # teamcity-messages since JetBrains' e2558c6 ("Propagate full location info") sends this location as the
    # testStarted `path` (joined to the rootdir) and `lineno` (plus one), which PyCharm navigates to.
    project.runpytest("--eval-suite=s.jsonl", "--teamcity", "-p", "no:randomly")
    locations = json.loads((project.path / "locations.json").read_text())
    assert locations == [["s.jsonl", 0, "qa.001"], ["s.jsonl", 2, "hotpot/5a8b57f2"], ["s.jsonl", 4, "wrong"]]
