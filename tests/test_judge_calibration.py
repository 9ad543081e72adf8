"""Calibrating a judge against people: Cohen's kappa on label sets worked out by hand, and `agenteval calibrate` on a
real run (agreement, kappa, confusion matrix, blinded cases that map back, the --min-kappa gate, its errors)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pytest_agenteval.cli import main
from pytest_agenteval.judges.calibration import (
    CalibrationError,
    calibrate,
    cohen_kappa,
    read_labels,
)
from pytest_agenteval.results.store import read_run

from .helpers import record, write_suite

pytest.importorskip("pydantic_ai", reason="needs the judge extra")


def test_kappa_of_sklearns_documented_example() -> None:
    # p_o = 4/5 = 0.8; marginals (neg, pos, neu) 2,2,1 and 3,1,1: p_e = (2*3 + 2*1 + 1*1) / 25 = 0.36;
    # kappa = (0.8 - 0.36) / (1 - 0.36) = 0.6875 (scikit-learn's cohen_kappa_score gives the same).
    people = ["negative", "positive", "negative", "neutral", "positive"]
    judge = ["negative", "positive", "negative", "neutral", "negative"]
    assert cohen_kappa(people, judge) == pytest.approx(0.6875)


def test_kappa_of_the_textbook_fifty_applicants() -> None:
    # yes/yes 20, yes/no 5, no/yes 10, no/no 15: p_o = 35/50 = 0.7; p_e = 0.5*0.6 + 0.5*0.4 = 0.5; kappa = 0.4.
    people = [True] * 20 + [True] * 5 + [False] * 10 + [False] * 15
    judge = [True] * 20 + [False] * 5 + [True] * 10 + [False] * 15
    assert cohen_kappa(people, judge) == pytest.approx(0.4)


def test_kappa_is_one_for_full_agreement_minus_one_for_full_disagreement_and_undefined_for_one_category() -> None:
    assert cohen_kappa([True, False, True], [True, False, True]) == 1.0
    # p_o = 0; p_e = 0.5*0.5 + 0.5*0.5 = 0.5; kappa = -0.5 / 0.5 = -1
    assert cohen_kappa([True, False, True, False], [False, True, False, True]) == -1.0
    assert cohen_kappa([True, True], [True, True]) is None  # chance alone agrees fully: kappa is 0/0
    with pytest.raises(ValueError, match="equally long"):
        cohen_kappa([True], [])


CONFTEST = '''
import pytest
from pydantic_ai.messages import ModelResponse, ToolCallPart
from pydantic_ai.models.function import FunctionModel
from pytest_agenteval.judges import llm_judge


def verdict(messages, info):
    output = messages[-1].parts[-1].content.split("<output>")[1]
    score = 5 if "sunny" in output else 2
    return ModelResponse(parts=[ToolCallPart(info.output_tools[0].name,
                                             {"reason": "-", "passed": score > 3, "score": score})])


@pytest.fixture(scope="session")
def eval_agent():
    return lambda prompt: prompt


@pytest.fixture(scope="session")
def eval_scorers():
    model = FunctionModel(verdict, model_name="judge")
    return [llm_judge("Gives the weather.", model=model, key="weather"),
            llm_judge("Gives the weather, scored.", model=model, key="scored", scale=(1, 5), threshold=4)]
'''
# The judge passes t0..t5 (their answers say sunny) and fails t6..t9. People pass t0..t3 and t6.
PEOPLE = {f"t{i}": i in (0, 1, 2, 3, 6) for i in range(10)}


@pytest.fixture
def stored_run(pytester: pytest.Pytester) -> Path:
    pytester.makeconftest(CONFTEST)
    write_suite(pytester.path / "s.jsonl", [record(f"t{i}", "sunny" if i < 6 else "rain") for i in range(10)])
    pytester.runpytest("--eval-suite=s.jsonl", "--eval-store=runs", "--eval-run-id=r1").assert_outcomes(
        passed=6, failed=4)
    return pytester.path / "runs" / "r1.json"


def write_labels(path: Path, labels: list[dict[str, object]]) -> Path:
    path.write_text("".join(json.dumps(label) + "\n" for label in labels), encoding="utf-8")
    return path


def test_calibrate_reports_agreement_kappa_and_the_confusion_matrix(
        stored_run: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    labels = write_labels(tmp_path / "labels.jsonl", [{"task_id": t, "passed": p} for t, p in PEOPLE.items()])
    # people fail / judge fail: t7 t8 t9 = 3; people fail / judge pass: t4 t5 = 2; people pass / judge fail: t6 = 1;
    # both pass: t0..t3 = 4. p_o = 7/10; p_e = 0.5*0.6 + 0.5*0.4 = 0.5; kappa = (0.7 - 0.5) / 0.5 = 0.4.
    assert main(["calibrate", str(stored_run), "--labels", str(labels), "--key", "weather"]) == 0
    assert capsys.readouterr().out.splitlines() == [
        "judge weather: 10 labelled verdicts (passed)",
        "  agreement: 7/10 (70.0%)",
        "  Cohen's kappa: 0.400",
        "  confusion (rows: people, columns: judge):",
        "    people \\ judge  fail  pass",
        "              fail     3     2",
        "              pass     1     4",
    ]
    assert main(["calibrate", str(stored_run), "--labels", str(labels), "--key", "weather", "--min-kappa", "0.6"]) == 1
    assert "agenteval calibrate: Cohen's kappa 0.400 is under --min-kappa=0.6" in capsys.readouterr().err


def test_score_labels_are_compared_with_the_judges_scores(stored_run: Path, tmp_path: Path) -> None:
    labels = write_labels(tmp_path / "labels.jsonl", [{"task_id": f"t{i}", "score": 5 if i < 3 else 2}
                                                      for i in range(10)])
    result = calibrate(read_run(stored_run), read_labels(labels), "scored")
    # judge: 5 on t0..t5, 2 on t6..t9; people: 5 on t0..t2, 2 on t3..t9. p_o = 7/10; marginals of 5: 0.3 and 0.6,
    # of 2: 0.7 and 0.4: p_e = 0.18 + 0.28 = 0.46; kappa = 0.24 / 0.54 = 0.444...
    assert (result.kind, result.categories, result.matrix) == ("score", ("2", "5"), ((4, 3), (0, 3)))
    assert result.kappa == pytest.approx(0.24 / 0.54)


def test_blinded_cases_hide_ids_and_map_back_to_their_tasks(stored_run: Path, tmp_path: Path,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    cases_file = tmp_path / "cases.jsonl"
    assert main(["calibrate", str(stored_run), "--export-cases", str(cases_file)]) == 0
    assert "wrote 10 blinded cases" in capsys.readouterr().out
    cases = [json.loads(line) for line in cases_file.read_text().splitlines()]
    assert all(set(case) == {"case_id", "input", "reference_outputs", "output", "passed"} for case in cases)
    text = cases_file.read_text()
    assert '"t1"' not in text and "weather" not in text  # no task id, no judge key or verdict
    assert [case["output"] for case in cases] != ["sunny"] * 6 + ["rain"] * 4  # shuffled
    for case in cases:  # a person who agrees with the judge on every case
        case["passed"] = case["output"] == "sunny"
    labelled = write_labels(tmp_path / "labelled.jsonl", cases)
    result = calibrate(read_run(stored_run), read_labels(labelled), "weather")
    assert (result.compared, result.agreed, result.kappa) == (10, 10, 1.0)


def test_the_only_judge_key_is_the_default_and_several_need_key(stored_run: Path, tmp_path: Path,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    labels = write_labels(tmp_path / "labels.jsonl", [{"task_id": "t0", "passed": True}])
    assert main(["calibrate", str(stored_run), "--labels", str(labels)]) == 2
    assert ("agenteval calibrate: error: say which verdicts to calibrate with --key (the run has scored, weather)"
            in capsys.readouterr().err)


def test_bad_label_lines_are_named_by_file_and_line(tmp_path: Path) -> None:
    labels = tmp_path / "labels.jsonl"
    labels.write_text('{"task_id": "a", "passed": true}\n{"passed": true}\n{"task_id": "b", "passed": "yes"}\n'
                      '{"task_id": "c", "passed": null}\n')
    with pytest.raises(CalibrationError, match=(r"labels.jsonl:2: 'task_id' \(or 'case_id'\) is missing.*"
                                                r"labels.jsonl:3: 'passed' is 'yes'; write true or false")):
        read_labels(labels)
    labels.write_text('{"task_id": "a", "passed": true}\n{"task_id": "c", "passed": null}\n')
    assert [label.task_id for label in read_labels(labels)] == ["a"]  # an unlabelled case is left out


def test_labels_for_unknown_tasks_are_counted_not_compared(stored_run: Path, tmp_path: Path) -> None:
    labels = write_labels(tmp_path / "labels.jsonl", [{"task_id": "t0", "passed": True},
                                                      {"task_id": "gone", "passed": False}])
    result = calibrate(read_run(stored_run), read_labels(labels), "weather")
    assert (result.compared, result.unmatched) == (1, (2,))
