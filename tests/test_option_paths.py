"""Every option in one table: paths from the ini file resolve against the ini file's directory, paths on the
command line against the current directory, and defaults are stated once (and shown in --help)."""

from __future__ import annotations

import json

import pytest

AGENT_CONFTEST = '''
import pytest

@pytest.fixture(scope="session")
def eval_agent():
    return lambda prompt: prompt
'''

SUBFOLDER_INI = """[pytest]
eval_suites = suites/*.jsonl
eval_store = runs
eval_markdown = reports/summary.md
eval_html = reports/report.html
asyncio_default_fixture_loop_scope = function
"""


@pytest.fixture
def project_in_a_subfolder(pytester: pytest.Pytester) -> pytest.Pytester:
    """An ini file in `sub/`, as in a monorepo where the IDE's --rootdir is the workspace folder above it."""
    sub = pytester.path / "sub"
    (sub / "suites").mkdir(parents=True)
    (sub / "pytest.ini").write_text(SUBFOLDER_INI)
    (sub / "conftest.py").write_text(AGENT_CONFTEST)
    (sub / "suites" / "qa.jsonl").write_text('{"task_id": "a", "inputs": {"input": "hi"}}\n')
    return pytester


def test_ini_paths_resolve_against_the_ini_files_directory(project_in_a_subfolder: pytest.Pytester) -> None:
    root = project_in_a_subfolder.path
    result = project_in_a_subfolder.runpytest("-c", "sub/pytest.ini", f"--rootdir={root}", "sub")
    result.assert_outcomes(passed=1)
    assert len(list((root / "sub" / "runs").glob("*.json"))) == 1
    assert (root / "sub" / "reports" / "summary.md").read_text().startswith("#")
    assert (root / "sub" / "reports" / "report.html").read_text().startswith("<!DOCTYPE html>")
    assert not (root / "runs").exists()


def test_command_line_paths_resolve_against_the_current_directory(project_in_a_subfolder: pytest.Pytester) -> None:
    root = project_in_a_subfolder.path
    result = project_in_a_subfolder.runpytest("-c", "sub/pytest.ini", f"--rootdir={root}", "sub",
                                              "--eval-store=here", "--eval-markdown=here.md", "--eval-html=here.html")
    result.assert_outcomes(passed=1)
    (run_file,) = (root / "here").glob("*.json")
    assert json.loads(run_file.read_text())["tasks"][0]["task_id"] == "a"
    assert (root / "here.md").exists() and not (root / "sub" / "runs").exists()
    assert (root / "here.html").exists() and not (root / "sub" / "reports" / "report.html").exists()


def test_help_shows_each_default_once_with_its_ini_twin(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest("--help")
    result.stdout.fnmatch_lines(["*--eval-concurrency=N*"])
    text = " ".join(result.stdout.str().split())
    assert "(default 4). ini: eval_concurrency" in text
    assert "--eval-html=PATH write the run as one self-contained HTML report to PATH" in text
    assert "(default 1). ini: eval_repeats" in text
    assert "ini: eval_suites" in text
