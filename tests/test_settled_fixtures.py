"""Session fixtures pytest already computed reach each eval item as pytest would give them: the closest
definition's cached value, once computed; an error cached by pytest is still each item's error; anything not
settled (function scope) is still resolved per item."""

from __future__ import annotations

import json

import pytest

from .helpers import record, stored_tasks, write_suite

COUNTING_CONFTEST = '''
import json, pytest
from _pytest.fixtures import FixtureDef
from pytest_agenteval import scorer

LOOKUPS = {}
_execute = FixtureDef.execute

def counting_execute(self, request):
    LOOKUPS[self.argname] = LOOKUPS.get(self.argname, 0) + 1
    return _execute(self, request)

FixtureDef.execute = counting_execute

def pytest_sessionfinish(session):
    FixtureDef.execute = _execute
    with open("lookups.json", "w") as out:
        json.dump(LOOKUPS, out)

@pytest.fixture(scope="session")
def client(request):
    return {"prefix": "top:"}

@pytest.fixture(scope="session")
def eval_agent(client):
    return lambda prompt: client["prefix"] + prompt

@pytest.fixture
def item_node_id(request):
    return request.node.nodeid

@pytest.fixture(scope="session")
def eval_scorers():
    @scorer
    def prefixed(outputs):
        return outputs["body"].startswith("top:")
    return [prefixed]
'''


def test_cached_session_fixtures_are_not_looked_up_again_per_item(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(COUNTING_CONFTEST)
    write_suite(pytester.path / "s.jsonl", [record(f"t{index}") for index in range(6)])
    pytester.runpytest("--eval-suite=s.jsonl", "--eval-store=runs").assert_outcomes(passed=6)
    lookups = json.loads((pytester.path / "lookups.json").read_text())
    # pytest looks each one up on every item (6 each); computed once, the value is handed over as cached.
    assert lookups["eval_agent"] == 1 and lookups["client"] == 1 and lookups["eval_budgets"] == 1
    assert {task["outputs"]["body"] for task in stored_tasks(pytester.path / "runs").values()} == {
        f"top:t{index}" for index in range(6)}


def test_a_closer_override_in_a_subdirectory_wins(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(COUNTING_CONFTEST)
    write_suite(pytester.path / "s.jsonl", [record("outer")])
    inner = pytester.mkdir("inner")
    (inner / "conftest.py").write_text(
        "import pytest\n\n@pytest.fixture(scope='session')\n"
        "def eval_agent():\n    return lambda prompt: 'inner:' + prompt\n")
    write_suite(inner / "s.jsonl", [record("inner-a"), record("inner-b")])
    result = pytester.runpytest("--eval-suite=s.jsonl", "--eval-suite=inner/s.jsonl", "--eval-store=runs")
    result.assert_outcomes(passed=1, failed=2)  # the inner agent answers "inner:", which the scorer fails
    bodies = {task_id: task["outputs"]["body"] for task_id, task in stored_tasks(pytester.path / "runs").items()}
    assert bodies == {"outer": "top:outer", "inner-a": "inner:inner-a", "inner-b": "inner:inner-b"}


def test_an_error_cached_by_pytest_is_every_items_error(pytester: pytest.Pytester) -> None:
    pytester.makeconftest('''
import pytest

@pytest.fixture(scope="session")
def eval_agent():
    raise RuntimeError("no credentials")
''')
    write_suite(pytester.path / "s.jsonl", [record(f"t{index}") for index in range(3)])
    result = pytester.runpytest("--eval-suite=s.jsonl", "--eval-store=runs")
    result.assert_outcomes(errors=3)
    tasks = stored_tasks(pytester.path / "runs")
    assert len(tasks) == 3
    assert all(task["exception"]["type"] == "RuntimeError" and task["failed_in"] == "fixture 'eval_agent'"
               for task in tasks.values())


def test_function_scoped_fixtures_are_still_made_per_item(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(COUNTING_CONFTEST.replace('@pytest.fixture(scope="session")\ndef eval_scorers():',
                                                    '@pytest.fixture\ndef eval_scorers(item_node_id):'))
    write_suite(pytester.path / "s.jsonl", [record(f"t{index}") for index in range(4)])
    pytester.runpytest("--eval-suite=s.jsonl").assert_outcomes(passed=4)
    lookups = json.loads((pytester.path / "lookups.json").read_text())
    assert lookups["eval_scorers"] == 4 and lookups["item_node_id"] == 4 and lookups["eval_agent"] == 1


def test_a_parametrized_dependency_fails_the_items_on_the_fixture_that_needs_it(pytester: pytest.Pytester) -> None:
    # A plain test computes eval_agent first with each of db's parameters; eval items have none, so pytest fails
    # them when eval_agent asks for db, and eval_agent, not db, is what the stored results name.
    pytester.makeconftest('''
import pytest

@pytest.fixture(scope="session", params=["sqlite", "pg"])
def db(request):
    return request.param

@pytest.fixture(scope="session")
def eval_agent(db):
    return lambda prompt: db + ":" + prompt
''')
    pytester.makepyfile(test_a="def test_uses(eval_agent):\n    assert eval_agent('x')\n")
    write_suite(pytester.path / "s.jsonl", [record("t1"), record("t2")])
    result = pytester.runpytest("--eval-suite=s.jsonl", "--eval-store=runs", "test_a.py", "s.jsonl")
    result.assert_outcomes(passed=2, errors=2)
    tasks = stored_tasks(pytester.path / "runs")
    assert {task["failed_in"] for task in tasks.values()} == {"fixture 'eval_agent'"} and len(tasks) == 2
