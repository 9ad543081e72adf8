"""The record rules: every record AG2's `Suite.from_jsonl` reads loads with AG2's task id; ids are any string,
encoded in node ids only where pytest cannot parse them; tags are any string, markers where `-m` can name them;
unknown keys warn and are kept, near misses stay errors; rejected records are counted in the run.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from ag2.eval.dataset.suite import Suite

from pytest_agenteval.collect.names import RESERVED_MARKERS, node_name, task_id_of
from pytest_agenteval.collect.records import load_suite

CONFTEST = '''
import pytest
from pytest_agenteval import scorer

@scorer
def answered(outputs):
    return outputs.get("body") != "fail"

@scorer
def saw_metadata(task):
    return task.metadata.get("difficulty", "hard") == "hard"

@pytest.fixture(scope="session")
def eval_agent():
    return lambda prompt: str(prompt)

@pytest.fixture
def eval_scorers():
    return [answered, saw_metadata]
'''


def rec(task_id: Any = None, prompt: Any = "ok", **fields: Any) -> dict[str, Any]:
    record: dict[str, Any] = {"inputs": {"input": prompt}, **fields}
    if task_id is not None:
        record["task_id"] = task_id
    return record


def write_lines(path: Path, lines: list[dict[str, Any] | str]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    text = "\n".join(line if isinstance(line, str) else json.dumps(line, ensure_ascii=False) for line in lines)
    path.write_text(text + "\n", encoding="utf-8")
    return path


def project(pytester: pytest.Pytester, lines: list[dict[str, Any] | str], name: str = "s.jsonl") -> Path:
    pytester.makeconftest(CONFTEST)
    return write_lines(pytester.path / name, lines)


def stored_run(store: Path) -> dict[str, Any]:
    (path,) = store.glob("*.json")
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def ag2_task_ids(path: Path) -> list[str]:
    return [str(task.task_id) for task in Suite.from_jsonl(path)]


AG2_PROBE = [
    rec("qa.001"), rec("hotpot/5a8b57f2"), rec("HumanEval/0"), rec("level 1"), rec("naïve-ü"), rec("日本語/3"),
    rec("t-happy", tags=["happy-path"]), rec("t-level", tags=["level 1"]), rec("t-year", tags=["2024"]),
    rec("t-skip", tags=["skip"]), rec("t-one-tag", tags="smoke"), rec(), rec(7), rec(prompt="second without id"),
]


def test_every_record_of_ag2s_own_probe_loads_with_the_task_id_ag2_gives_it(tmp_path: Path) -> None:
    path = write_lines(tmp_path / "probe.jsonl", [*AG2_PROBE[:6], "", *AG2_PROBE[6:]])
    loaded = load_suite(path)
    assert loaded.errors == ()
    assert [each.record.task_id for each in loaded.records] == ag2_task_ids(path)
    ag2_tags = [tuple(str(tag) for tag in task.tags) for task in Suite.from_jsonl(path)]
    assert [each.record.tags for each in loaded.records] == ag2_tags
    assert [each.record.task_id for each in loaded.records][-3:] == ["task-0011", "7", "task-0013"]


def test_ids_with_dots_slashes_spaces_and_non_ascii_are_node_ids_as_written(pytester: pytest.Pytester) -> None:
    ids = ["qa.001", "hotpot/5a8b57f2", "HumanEval/0", "level 1", "naïve-ü", "日本語/3"]
    project(pytester, [rec(task_id) for task_id in ids])
    collected = pytester.runpytest("s.jsonl", "--collect-only", "-q")
    collected.stdout.fnmatch_lines([f"s.jsonl::{task_id}" for task_id in ids])
    picked = pytester.runpytest(*(f"s.jsonl::{task_id}" for task_id in ids[1:4]), "-v")
    picked.assert_outcomes(passed=3)
    picked.stdout.fnmatch_lines(["*s.jsonl::hotpot/5a8b57f2 PASSED*", "*s.jsonl::HumanEval/0 PASSED*",
                                 "*s.jsonl::level 1 PASSED*"])


def test_a_name_pytest_cannot_parse_is_percent_encoded_and_selects_only_its_task(pytester: pytest.Pytester) -> None:
    project(pytester, [rec("a::b"), rec("x[1]"), rec("x"), rec("50%"), rec("tab\there"), rec("line\u2028break")])
    collected = pytester.runpytest("s.jsonl", "--collect-only", "-q")
    collected.stdout.fnmatch_lines(["s.jsonl::a%3A%3Ab", "s.jsonl::x%5B1%5D", "s.jsonl::x", "s.jsonl::50%25",
                                    "s.jsonl::tab%09here", "s.jsonl::line%E2%80%A8break"])
    pytester.runpytest("s.jsonl::x").assert_outcomes(passed=1)  # not x[1] too, as a raw "[" would make it
    pytester.runpytest("s.jsonl::a%3A%3Ab", "s.jsonl::x%5B1%5D").assert_outcomes(passed=2)
    pytester.runpytest("s.jsonl", "-k", "a::b").assert_outcomes(passed=1, deselected=5)
    result = pytester.runpytest("s.jsonl", "--eval-store=runs")
    result.assert_outcomes(passed=6)
    tasks = stored_run(pytester.path / "runs")["tasks"]
    assert [(task["task_id"], task["node_id"]) for task in tasks][:2] == [
        ("a::b", "s.jsonl::a%3A%3Ab"), ("x[1]", "s.jsonl::x%5B1%5D")]


def test_node_names_decode_to_exactly_the_task_id_they_came_from() -> None:
    for task_id in ["a::b", "x[1]", "50%", "%41", "tab\there", "a:b", ":a", "ok/ok.1", "日本", "\x00\x7f\x85"]:
        assert task_id_of(node_name(task_id)) == task_id
    assert node_name("a:b") == "a:b"  # a single ':' is fine for pytest
    assert node_name("%41") != node_name("A")


@pytest.mark.parametrize("repeats", [1, 2])
def test_last_failed_reruns_tasks_with_slashes_or_encoded_names(pytester: pytest.Pytester, repeats: int) -> None:
    project(pytester, [rec("hotpot/5a8b57f2", "fail"), rec("a::b", "fail"), rec("x[1]", "fail"), rec("x"),
                       rec("qa.001")])
    first = pytester.runpytest("s.jsonl", f"--eval-repeats={repeats}")
    first.assert_outcomes(passed=2 * repeats, failed=3 * repeats)
    again = pytester.runpytest("s.jsonl", f"--eval-repeats={repeats}", "--lf")
    again.assert_outcomes(failed=3 * repeats, deselected=2 * repeats)


def test_a_record_without_task_id_gets_ag2s_positional_id_and_one_warning(pytester: pytest.Pytester) -> None:
    path = project(pytester, [rec("named"), "", rec(prompt="a"), rec(prompt="b"), rec(task_id="", prompt="c")])
    result = pytester.runpytest("s.jsonl", "--eval-store=runs")
    result.assert_outcomes(passed=4, warnings=1)
    result.stdout.fnmatch_lines([
        "*SuiteWarning: s.jsonl: 3 records without task_id (line 3, 4, 5) got AG2's id by position "
        "('task-0001', 'task-0002', ...), which changes when records are added, removed or moved; "
        "give each record a task_id"])
    tasks = stored_run(pytester.path / "runs")["tasks"]
    assert [task["task_id"] for task in tasks] == ag2_task_ids(path) == ["named", "task-0001", "task-0002",
                                                                          "task-0003"]


def test_under_w_error_a_suite_warning_is_an_error_item_and_the_records_still_run(pytester: pytest.Pytester) -> None:
    project(pytester, [rec(prompt="a"), rec("b")])
    (pytester.path / "other.jsonl").write_text(json.dumps(rec("other")) + "\n")
    result = pytester.runpytest("s.jsonl", "other.jsonl", "-W", "error::pytest_agenteval.warning_types.SuiteWarning")
    result.assert_outcomes(passed=3, errors=1)
    result.stdout.fnmatch_lines(["*ERROR at setup of suite-warning*",
                                 "s.jsonl: SuiteWarning, turned into an error by a warnings filter: s.jsonl: 1 record "
                                 "without task_id (line 1) got AG2's id by position ('task-0000'), *"])
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    assert "INTERNALERROR" not in result.stdout.str() + result.stderr.str()


def test_tags_that_are_marker_names_select_with_m_under_strict_markers(pytester: pytest.Pytester) -> None:
    project(pytester, [rec("simple_0", tags=["bfcl-v4", "simple"]), rec("simple_1", tags=["bfcl-v4"]),
                       rec("y", tags=["2024", "happy-path", "HumanEval/x"]), rec("plain")])
    bfcl = pytester.runpytest("s.jsonl", "-m", "bfcl-v4", "--strict-markers")
    bfcl.assert_outcomes(passed=2, deselected=2)
    pytester.runpytest("s.jsonl", "-m", "2024 and happy-path", "--strict-markers").assert_outcomes(
        passed=1, deselected=3)
    pytester.runpytest("s.jsonl", "-m", "not bfcl-v4", "--strict-markers").assert_outcomes(passed=2, deselected=2)


def test_a_tag_that_cannot_be_a_marker_is_still_a_tag_that_groups_gates_and_matches_k(
        pytester: pytest.Pytester) -> None:
    project(pytester, [rec("a", tags=["level 1"]), rec("b", "fail", tags=["level 1"]), rec("c", tags=["x:y"])])
    items, _ = pytester.inline_genitems("s.jsonl")
    assert [[mark.name for mark in item.iter_markers()] for item in items] == [[], [], []]
    pytester.runpytest("s.jsonl", "-k", "level").assert_outcomes(passed=1, failed=1, deselected=1)
    result = pytester.runpytest("s.jsonl", "--eval-store=runs", "--eval-fail-under=level 1=0.5")
    result.assert_outcomes(passed=2, failed=1)
    run = stored_run(pytester.path / "runs")
    assert [task["tags"] for task in run["tasks"]] == [["level 1"], ["level 1"], ["x:y"]]
    (gate,) = [gate for gate in run["gates"] if gate["name"] == "level 1"]
    assert (gate["passed_tasks"], gate["total_tasks"], gate["passed"]) == (1, 2, True)


def test_reserved_marker_names_stay_tags_and_never_become_pytest_marks(pytester: pytest.Pytester) -> None:
    reserved = sorted(RESERVED_MARKERS)
    project(pytester, [rec("t", tags=reserved), rec("u", tags=["skip"])])
    items, _ = pytester.inline_genitems("s.jsonl")
    assert [mark.name for item in items for mark in item.iter_markers()] == []
    result = pytester.runpytest("s.jsonl", "--strict-markers", "--eval-store=runs")
    result.assert_outcomes(passed=2)  # neither skipped, xfailed, rerun nor run on an event loop by a tag
    assert stored_run(pytester.path / "runs")["tasks"][0]["tags"] == reserved
    pytester.runpytest("s.jsonl", "-k", "skip").assert_outcomes(passed=2)
    pytester.runpytest("s.jsonl", "-m", "skip").assert_outcomes(deselected=2)


NEAR_MISSES = [
    ("refrence_outputs", "reference_outputs"), ("reference_output", "reference_outputs"), ("taskId", "task_id"),
    ("task-id", "task_id"), ("Tags", "tags"), ("tag", "tags"), ("input", "inputs"), ("metdata", "metadata"),
]


@pytest.mark.parametrize(("key", "meant"), NEAR_MISSES)
def test_a_near_miss_of_a_record_key_is_an_error_naming_the_key_it_resembles(
        tmp_path: Path, key: str, meant: str) -> None:
    path = write_lines(tmp_path / "s.jsonl", [rec("good"), rec("typo", **{key: {}}), rec("good-2")])
    loaded = load_suite(path, "s.jsonl")
    assert [str(error) for error in loaded.errors] == [f"s.jsonl:2: unknown key {key!r} (did you mean {meant!r}?)"]
    assert [each.record.task_id for each in loaded.records] == ["good", "good-2"]


def test_other_unknown_keys_warn_once_per_suite_and_are_kept_in_metadata(pytester: pytest.Pytester) -> None:
    project(pytester, [rec("a", difficulty="hard", source="web"), rec("b", difficulty="hard", metadata={"k": 1}),
                       rec("c", target="x", id=3, task="qa", reference={"a": 1}, meta={})])
    result = pytester.runpytest("s.jsonl", "--eval-store=runs")
    result.assert_outcomes(passed=3, warnings=1)  # saw_metadata: the scorer reads the kept key
    result.stdout.fnmatch_lines([
        "*SuiteWarning: s.jsonl: unknown key 'difficulty' (2 records, first on line 1), key 'source' (line 1), "
        "key 'target' (line 3), key 'id' (line 3), key 'task' (line 3), key 'reference' (line 3), "
        "key 'meta' (line 3) kept in each record's metadata (AG2 ignores them); "
        "move them into 'metadata' to silence this warning"])
    metadata = [task["metadata"] for task in stored_run(pytester.path / "runs")["tasks"]]
    assert metadata == [{"difficulty": "hard", "source": "web"}, {"k": 1, "difficulty": "hard"},
                        {"target": "x", "id": 3, "task": "qa", "reference": {"a": 1}, "meta": {}}]


def test_an_unknown_key_that_is_also_a_metadata_key_is_an_error(tmp_path: Path) -> None:
    path = write_lines(tmp_path / "s.jsonl", [rec("a", source="web", metadata={"source": "book"})])
    (error,) = load_suite(path, "s.jsonl").errors
    assert str(error) == ("s.jsonl:1: unknown key 'source' is also a key of 'metadata', where unknown keys are "
                          "kept; rename one")


def test_integer_ids_and_tags_load_as_their_digits(tmp_path: Path) -> None:
    path = write_lines(tmp_path / "s.jsonl", [rec(7, tags=[2024, "x"]), rec(10**30)])
    loaded = load_suite(path)
    assert [(each.record.task_id, each.record.tags) for each in loaded.records] == [("7", ("2024", "x")),
                                                                                    (str(10**30), ())]
    assert [each.record.task_id for each in loaded.records] == ag2_task_ids(path)


WRONG_TYPES = [
    ({"task_id": 1.5, "inputs": {"input": "x"}}, "'task_id' must be a string, got number"),
    ({"task_id": ["a"], "inputs": {"input": "x"}}, "'task_id' must be a string, got array"),
    ({"task_id": True, "inputs": {"input": "x"}}, "'task_id' must be a string, got boolean"),
    ({"task_id": "a", "inputs": "x"}, "'inputs' must be an object with 'input', got string"),
    ({"task_id": "a"}, "'inputs' is missing"),
    ({"task_id": "a", "inputs": {"question": "x"}},
     "'inputs.input' is missing; every record needs the prompt the agent is asked"),
    (rec("a", reference_outputs="Paris"), "'reference_outputs' must be an object or null, got string"),
    (rec("a", metadata=["x"]), "'metadata' must be an object, got array"),
    (rec("a", tags={"a": 1}), "'tags' must be a string or a list of strings, got object"),
    (rec("a", tags=["ok", None, 1.5]), "'tags.1' must be a string, got null; 'tags.2' must be a string, got number"),
]


@pytest.mark.parametrize(("record", "message"), WRONG_TYPES, ids=[message[:30] for _, message in WRONG_TYPES])
def test_a_wrong_type_is_an_error_naming_the_field_and_the_records_around_it_load(
        tmp_path: Path, record: dict[str, Any], message: str) -> None:
    path = write_lines(tmp_path / "s.jsonl", [rec("before"), record, rec("after")])
    loaded = load_suite(path, "s.jsonl")
    assert [str(error) for error in loaded.errors] == [f"s.jsonl:2: {message}"]
    assert [each.record.task_id for each in loaded.records] == ["before", "after"]


def test_duplicate_ids_name_the_first_line_and_a_derived_id_counts_too(tmp_path: Path) -> None:
    path = write_lines(tmp_path / "s.jsonl", [rec("a"), rec("task-0002"), rec(), rec("a"), rec(7), rec("7")])
    errors = [str(error) for error in load_suite(path, "s.jsonl").errors]
    assert errors == ["s.jsonl:3: duplicate its derived task_id 'task-0002' (first defined on line 2)",
                      "s.jsonl:4: duplicate task_id 'a' (first defined on line 1)",
                      "s.jsonl:6: duplicate task_id '7' (first defined on line 5)"]


def test_each_repeat_gets_its_own_copy_of_the_record(tmp_path: Path) -> None:
    path = write_lines(tmp_path / "s.jsonl", [rec("a", reference_outputs={"answer": ["x"]}, metadata={"m": [1]})])
    (loaded,) = load_suite(path).records
    first, second = loaded.task("s.jsonl", 1, 2), loaded.task("s.jsonl", 2, 2)
    assert (first.inputs, first.reference_outputs, first.metadata) == (second.inputs, second.reference_outputs,
                                                                       second.metadata)
    assert first.inputs is not second.inputs
    assert first.reference_outputs is not None and second.reference_outputs is not None
    assert first.reference_outputs["answer"] is not second.reference_outputs["answer"]


def test_rejected_records_are_each_in_the_run_json_and_fail_the_session(pytester: pytest.Pytester) -> None:
    project(pytester, [rec("a"), rec("b"), "{oops", rec("a"), rec("c", tags=["level 1"]), '["x"]', rec("d")])
    result = pytester.runpytest("s.jsonl", "--eval-store=runs", "--eval-fail-under=1.0")
    result.assert_outcomes(passed=4, errors=3)
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    run = stored_run(pytester.path / "runs")
    assert [task["task_id"] for task in run["tasks"]] == ["a", "b", "c", "d"]
    assert run["invalid_records"] == sorted([
        "s.jsonl:3: not valid JSON: Expecting property name enclosed in double quotes (column 2)",
        "s.jsonl:4: duplicate task_id 'a' (first defined on line 1)",
        "s.jsonl:6: must be a JSON object, got array"])
