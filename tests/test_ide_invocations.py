"""IDE runners pass `--rootdir=<workspace>` and the ids to run: suites are found whatever the rootdir, and
`--eval-suite` works like pytest's testpaths (used only when no test path or node id is given), so running
one test from an IDE runs that test."""

from __future__ import annotations

import pytest

CONFTEST = '''
import pytest

@pytest.fixture(scope="session")
def eval_agent():
    return lambda prompt: prompt
'''


@pytest.fixture
def workspace(pytester: pytest.Pytester) -> pytest.Pytester:
    project = pytester.path / "project"
    (project / "suites").mkdir(parents=True)
    (project / "tests").mkdir()
    (project / "conftest.py").write_text(CONFTEST)
    (project / "pytest.ini").write_text("[pytest]\neval_suites = suites/*.jsonl\n"
                                        "asyncio_default_fixture_loop_scope = function\n")
    (project / "suites" / "qa.jsonl").write_text('{"task_id": "a", "inputs": {"input": "x"}}\n'
                                                 '{"task_id": "b", "inputs": {"input": "y"}}\n')
    (project / "tests" / "test_plain.py").write_text("def test_one():\n    pass\n\ndef test_two():\n    pass\n")
    return pytester


def test_discovery_with_the_workspace_as_rootdir_finds_suites_and_tests(workspace: pytest.Pytester) -> None:
    root = workspace.path
    result = workspace.runpytest("--collect-only", "-q", f"--rootdir={root}", "-c", "project/pytest.ini", "project")
    result.stdout.fnmatch_lines(["project/suites/qa.jsonl::a", "project/suites/qa.jsonl::b",
                                 "project/tests/test_plain.py::test_one", "*4 tests collected*"])


@pytest.mark.parametrize(("node_id", "ran"), [
    ("project/tests/test_plain.py::test_one", "passed=1"),
    ("project/suites/qa.jsonl::b", "passed=1"),
])
def test_running_one_id_with_eval_suite_in_the_arguments_runs_only_that_id(
        workspace: pytest.Pytester, node_id: str, ran: str) -> None:
    root = workspace.path
    result = workspace.runpytest(f"--rootdir={root}", "-c", "project/pytest.ini", "-v",
                                 "--eval-suite=project/suites/qa.jsonl", node_id)
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines([f"{node_id} PASSED*"])


def test_eval_suite_alone_runs_the_suites_like_testpaths(workspace: pytest.Pytester) -> None:
    root = workspace.path
    result = workspace.runpytest(f"--rootdir={root}", "-c", "project/pytest.ini",
                                 "--eval-suite=project/suites/qa.jsonl")
    result.assert_outcomes(passed=2)
