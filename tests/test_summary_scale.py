"""A summary that scales: at hundreds of tasks the agenteval section fits a screen, the gates, rejected records,
pass rates and scorers come first, failing tasks are grouped by cause with shared comments shown once, and a
pointer names where the rest is (`agenteval show`, the Markdown); `--eval-summary=full` lists everything."""

from __future__ import annotations

import json
import re

import pytest

from pytest_agenteval.cli import main
from pytest_agenteval.gates.rules import judge_gates
from pytest_agenteval.gates.spec import gate_spec
from pytest_agenteval.report.markdown import render_markdown
from pytest_agenteval.report.terminal import render_summary, summary_entries
from pytest_agenteval.results.build import build_run
from pytest_agenteval.results.compare import compare
from pytest_agenteval.results.models import FeedbackRecord, RunConfig, RunResult, TaskResult
from pytest_agenteval.results.verdicts import task_verdicts
from pytest_agenteval.tracing.model import ErrorInfo

SUITES = [f"suites/s{i}.jsonl" for i in range(4)]
TAGS = ["smoke", "tools", "math", "adversarial", "long", "i18n"]
SCORERS = ["final_answer", "tool_called", "no_tool_errors", "relevance", "tone"]
WRONG = "expected the forecast for the city asked about, got a refusal"
OFF_TOPIC = "the answer is about another city"
TIMEOUT = "agent call timed out after 30s"
REJECTED = [f"suites/s0.jsonl:{line}: 'inputs.input' is missing; every record needs the prompt the agent is asked"
            for line in range(900, 907)]


def cause(index: int) -> str | None:
    """Tasks 0-119 fail final_answer, 120-169 relevance, 170-199 time out; some only in one repeat."""
    return "wrong" if index < 120 else "off-topic" if index < 170 else "timeout" if index < 200 else None


def fails(index: int, repeat: int) -> bool:
    if cause(index) is None:
        return False
    flaky = index % 3 == 0  # a third of the failing tasks fail one repeat of three
    return repeat == 2 if flaky else True


def feedback(index: int, failed: bool) -> list[FeedbackRecord]:
    wrong = failed and cause(index) == "wrong"
    off_topic = failed and cause(index) == "off-topic"
    return [
        FeedbackRecord(key="final_answer", score=not wrong, passed=not wrong, comment=WRONG if wrong else None),
        FeedbackRecord(key="tool_called", score=True, passed=True),
        FeedbackRecord(key="no_tool_errors", score=True, passed=True),
        FeedbackRecord(key="relevance", score=0.2 + index % 4 / 10 if off_topic else 0.9, threshold=0.7,
                       passed=not off_topic, comment=OFF_TOPIC if off_topic else None),
        FeedbackRecord(key="tone", value="polite"),
    ]


def task_result(index: int, repeat: int, *, failing: bool = True) -> TaskResult:
    suite, task_id = SUITES[index % len(SUITES)], f"task-{index:03d}"
    failed = failing and fails(index, repeat)
    timed_out = failed and cause(index) == "timeout"
    return TaskResult(
        task_id=f"{task_id}#{repeat}", base_task_id=task_id, repeat=repeat, inputs={"input": f"prompt {index}"},
        tags=[TAGS[index % len(TAGS)], TAGS[(index // len(TAGS)) % len(TAGS)]], suite=suite, line=index + 1,
        node_id=f"{suite}::{task_id}[r{repeat}]", verdict="error" if timed_out else "failed" if failed else "passed",
        exception=ErrorInfo(type="TimeoutError", message=TIMEOUT) if timed_out else None,
        feedback=[] if timed_out else feedback(index, failed), outputs={"body": f"answer {index}"},
    )


def make_run(tasks: int = 700, repeats: int = 3, *, failing: bool = True, rejected: list[str] | None = None,
             gates: tuple[str, ...] = ("0.9", "smoke=0.5", "final_answer=0.95"), base: RunResult | None = None,
             run_id: str = "big", indices: range | None = None) -> RunResult:
    """A run of `tasks` tasks (or those of `indices`) x `repeats` over 4 suites, 6 tags and 5 scorers; of 700,
    200 fail (3 causes)."""
    results = [task_result(i, r, failing=failing) for i in indices or range(tasks) for r in range(1, repeats + 1)]
    verdicts = task_verdicts(results, 1.0)
    diff = compare(results, run_id, base, 1.0, None) if base is not None else None
    return build_run(results, run_id=run_id, label=None, created_at="2026-01-01T00:00:00+00:00", duration_ms=1.0,
                     target=None, concurrency=4, config=RunConfig(repeats=repeats), invalid_records=rejected or [],
                     partial=False, exit_status=1, provenance=None,
                     gates=judge_gates([gate_spec(g) for g in gates], verdicts), baseline=diff)


@pytest.fixture(scope="module")
def big_run() -> RunResult:
    return make_run(rejected=REJECTED, base=make_run(failing=False, run_id="base"))


def short(run: RunResult, run_file: str | None = "runs/big.json", markdown: str | None = None) -> list[str]:
    return [line for line, _ in summary_entries(run, run_file, full=False, run_file=run_file, markdown_path=markdown)]


def first_index(lines: list[str], prefix: str) -> int:
    return next(i for i, line in enumerate(lines) if line.startswith(prefix))


def test_a_700_task_run_fits_a_screen_with_the_most_useful_facts_first(big_run: RunResult) -> None:
    lines = short(big_run)
    assert len(lines) <= 80, "\n".join(lines)
    full = [line for line, _ in summary_entries(big_run, "runs/big.json", full=True)]
    assert len(full) > 800  # the full listing is what the short one spares the reader
    sections = ["run big", "gates:", "rejected suite records: 7", "suites:", "tasks:", "tasks by suite and tag:",
                "pass rate by scorer:", "repeats:", "failing tasks:", "baseline:", "tokens:", "run JSON:",
                "not shown here:"]
    positions = [first_index(lines, section) for section in sections]
    assert positions == sorted(positions), dict(zip(sections, positions, strict=True))
    assert lines[1:5] == [
        "gates:",
        "  FAIL suite: 71.4% of tasks pass (500/700) < 90.0% required: short by 18.6 points, "
        "130 more task(s) must pass [--eval-fail-under=0.9]",
        "  PASS tag smoke: 70.5% of tasks pass (153/217) >= 50.0% required [--eval-fail-under=smoke=0.5]",
        "  FAIL scorer final_answer: 80.9% of tasks pass (550/680) < 95.0% required: short by 14.1 points, "
        "96 more task(s) must pass [--eval-fail-under=final_answer=0.95]",
    ]
    # Several suites: each suite, then every tag across them, nested under "all suites".
    table = lines[first_index(lines, "tasks by suite and tag:") + 1:first_index(lines, "pass rate by scorer:")]
    assert [row.split()[0] for row in table] == [*(s for s in SUITES), "all", *(["tag"] * len(TAGS))]
    assert table[4].startswith("  all suites ") and "500/700 tasks pass" in table[4]
    scorers = lines[first_index(lines, "pass rate by scorer:") + 1:][:len(SCORERS) - 1]  # tone only labels
    assert [row.split()[0] for row in scorers] == sorted(set(SCORERS) - {"tone"})


def test_failing_tasks_are_grouped_by_cause_and_each_comment_is_shown_once(big_run: RunResult) -> None:
    lines = short(big_run)
    text = "\n".join(lines)
    for comment in (WRONG, OFF_TOPIC, TIMEOUT):
        assert text.count(comment) == 1, comment
    start = first_index(lines, "failing tasks:")
    assert lines[start] == "failing tasks: 200 of 700 (200 miss the task pass rate, 0 tolerated), by cause:"
    assert lines[start + 1:start + 7] == [
        f"  120 tasks  final_answer: False - {WRONG}",
        "    suites/s0.jsonl::task-000, suites/s0.jsonl::task-004, suites/s0.jsonl::task-008 ... and 117 more",
        f"  50 tasks   relevance: under threshold 0.7 - {OFF_TOPIC} (scores 0.2-0.5)",
        "    suites/s0.jsonl::task-120, suites/s0.jsonl::task-124, suites/s0.jsonl::task-128 ... and 47 more",
        f"  30 tasks   agent raised TimeoutError: {TIMEOUT}",
        "    suites/s0.jsonl::task-172, suites/s0.jsonl::task-176, suites/s0.jsonl::task-180 ... and 27 more",
    ]
    assert lines[start + 7].startswith("baseline:")  # three causes: nothing summed up
    # Only the flaky tasks are listed under repeats, capped; a task failing every repeat is under failing tasks.
    repeats = lines[first_index(lines, "repeats:"):start]
    assert repeats[0] == "repeats: task pass rate 1; 500 pass, 67 flaky, 133 fail"
    assert [row.split()[0] for row in repeats[1:-1]] == ["flaky"] * 10
    assert repeats[-1] == "  ... and 57 more flaky tasks"


def test_the_pointer_names_the_run_file_the_markdown_and_the_full_option(big_run: RunResult) -> None:
    hidden = ("not shown here: 4 of 7 rejected records, 57 of 67 flaky tasks, each of the 200 failing tasks with "
              "its reasons, 194 of 200 baseline changes")
    assert short(big_run, markdown="out/summary.md")[-2:] == [
        hidden, "  to see everything: `agenteval show runs/big.json`, out/summary.md, or --eval-summary=full"]
    assert short(big_run, run_file=None)[-2:] == [hidden, "  to see everything: --eval-summary=full (or keep the "
                                                          "run with --eval-store=DIR, then `agenteval show` it)"]
    assert short(big_run, run_file=None, markdown="s.md")[-1] == "  to see everything: s.md, or --eval-summary=full"
    small = make_run(tasks=12, repeats=1)
    assert not any(line.startswith("not shown") for line in short(small))  # nothing left out, no pointer


def test_the_full_summary_lists_every_failing_and_flaky_task_and_is_what_agenteval_show_prints(
        big_run: RunResult) -> None:
    full = render_summary(big_run, "runs/big.json")
    assert full == [line for line, _ in summary_entries(big_run, "runs/big.json", full=True, gates=False)]
    listed = [line for line in full if re.match(r"  suites/s\d\.jsonl::task-\d+  \d/3 passed", line)]
    assert len(listed) == 200
    assert full.count(f"    final_answer: False - {WRONG}") == 120  # task by task, as before
    assert sum(line.startswith(("  flaky  ", "  fail   ")) for line in full) == 200
    assert sum(line.startswith("    tag ") for line in full) == len(SUITES) * len(TAGS)  # tags within each suite
    assert sum(line.startswith("  regressed  ") for line in full) == 200
    assert not any(line.startswith(("not shown", "gates:")) for line in full)
    with_gates = render_summary(big_run, "runs/big.json", gates=True)
    assert with_gates[1] == "gates:" and with_gates[2].startswith("  FAIL suite: 71.4%")


def test_a_few_failing_tasks_are_still_listed_task_by_task() -> None:
    run = make_run(repeats=1, gates=(), indices=range(118, 126))  # 6 of them fail
    lines = short(run)
    start = first_index(lines, "failing tasks:")
    assert lines[start:start + 3] == ["failing tasks:", "  suites/s0.jsonl::task-124  0/1 passed (needs 1)",
                                      f"    relevance: 0.2 < threshold 0.7 - {OFF_TOPIC}"]
    assert len(lines) - start == 6 * 2 + 1 + 4  # each task with its reason, then the totals and run JSON
    assert not any(line.startswith(("gates:", "not shown")) for line in lines)


def test_causes_past_the_first_few_are_summed_up_per_scorer_and_crash() -> None:
    results = [task_result(i, 1) for i in range(30)]  # tasks 1, 2, 4, 5, ... fail final_answer (one repeat)
    results = [task.model_copy(update={"feedback": [fb.model_copy(update={"comment": f"expected city {n}"})
                                                    if fb.comment else fb for fb in task.feedback]})
               for n, task in enumerate(results)]
    results.append(task_result(170, 1).model_copy(update={"task_id": "t#1", "base_task_id": "t"}))  # a timeout
    run = build_run(results, run_id="many", label=None, created_at="2026-01-01T00:00:00+00:00", duration_ms=1.0,
                    target=None, concurrency=1, config=RunConfig(), invalid_records=[], partial=False,
                    exit_status=1, provenance=None)
    lines = short(run)
    start = first_index(lines, "failing tasks:")
    assert lines[start] == "failing tasks: 21 of 31 (21 miss the task pass rate, 0 tolerated), by cause:"
    assert lines[start + 1] == "  1 task     final_answer: False - expected city 4"  # s0 comes first
    assert lines[start + 13] == ("  ... and 15 more causes (final_answer: 14 tasks, agent raised TimeoutError: "
                                 "1 task)")
    assert len(lines) - start == 14 + 4 + 2  # causes, totals and run JSON, the pointer


def test_rejected_records_are_counted_named_and_never_read_as_all_good() -> None:
    nothing = make_run(tasks=0, rejected=REJECTED, gates=())
    entries = summary_entries(nothing, None, full=False)
    lines = [line for line, _ in entries]
    assert lines[1:6] == ["rejected suite records: 7, not run:", *(f"  {r}" for r in REJECTED[:3]),
                          "  ... and 4 more (the run JSON's invalid_records)"]
    assert all(alarming for _, alarming in entries[1:6]) and not any(alarming for _, alarming in entries[6:])
    assert "tasks: 0 items, 0 passed, 0 failed, 0 errors; 7 rejected suite records not run" in lines
    assert "errors: 0; rejected suite records: 7" in lines
    assert "suites: none ran" in lines
    one = make_run(tasks=4, repeats=1, failing=False, rejected=REJECTED[:1], gates=())
    assert short(one)[1] == f"rejected suite records: 1, not run: {REJECTED[0]}"
    assert "tasks: 4 items, 4 passed, 0 failed, 0 errors; 1 rejected suite records not run" in short(one)
    full = render_summary(nothing, None)
    assert [line.strip() for line in full[2:9]] == REJECTED


def test_the_markdown_of_a_big_run_puts_causes_first_and_folds_the_long_tables(big_run: RunResult) -> None:
    text = render_markdown(big_run)
    headings = [line for line in text.splitlines() if line.startswith("### ")]
    assert headings == ["### Rejected suite records: 7", "### Tasks by suite and tag", "### Scorers",
                        "### Failing tasks", "### Baseline `base`", "### Totals"]
    for comment, tasks in ((WRONG, 120), (OFF_TOPIC, 50)):
        assert text.count(comment) == 1 + tasks  # its cause row, then each task's row in the folded table
    causes = text[text.index("By cause"):text.index("<details><summary>all 200 failing tasks</summary>")]
    rows = [line for line in causes.splitlines() if line.startswith("| ") and not line.startswith("| cause")]
    assert [row.split(" | ")[1] for row in rows] == ["120", "50", "30"]
    assert rows[0].startswith(f"| final_answer: False - {WRONG} | 120 | suites/s0.jsonl::task-000, ")
    assert rows[0].endswith(" and 117 more |")
    assert "<details><summary>all 7 records</summary>" not in text  # 7 rows fit: not folded
    assert "| suites/s0.jsonl:900: 'inputs.input' is missing;" in text
    assert text.count("</details>") == 3  # the groups (28 rows), the failing tasks, the baseline changes
    assert "| 2100 | 70 | 7 | 0 | n/a | 0 |" in text  # totals: items, errors, rejected records, ...


# --- end to end, through pytest -------------------------------------------------------------------------------

CONFTEST = '''
import pytest
from pytest_agenteval import Feedback, scorer

@scorer
def final_answer(inputs, outputs):
    if outputs.get("body") == inputs["input"]:
        return Feedback(key="final_answer", score=True)
    return Feedback(key="final_answer", score=False, comment="expected the echo, got a refusal")

@pytest.fixture(scope="session")
def eval_agent():
    return lambda task: "I cannot help" if task.input.startswith("hard") else task.input

@pytest.fixture
def eval_scorers():
    return [final_answer]
'''


def project(pytester: pytest.Pytester, *, ini: str = "") -> None:
    """60 tasks in two suites; the 30 "hard" ones fail final_answer with one comment; a bad line in b.jsonl."""
    pytester.makeconftest(CONFTEST)
    if ini:
        pytester.makeini(f"[pytest]\n{ini}\n")
    for name, start in (("a", 0), ("b", 30)):
        lines = [json.dumps({"task_id": f"{name}{i:02d}", "inputs": {"input": f"{'hard' if i % 2 else 'easy'}-{i}"},
                             "tags": ["hard" if i % 2 else "easy"]}) for i in range(start, start + 30)]
        if name == "b":
            lines.append('{"task_id": "b-bad", "inputs": {}}')
        (pytester.path / f"{name}.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")


def agenteval_section(stdout: list[str]) -> list[str]:
    start = next(i for i, line in enumerate(stdout) if re.match(r"=+ agenteval =+$", line))
    end = next(i for i, line in enumerate(stdout) if i > start and line.startswith("Markdown summary:"))
    return stdout[start + 1:end]


def test_a_60_task_session_prints_the_short_summary_and_the_full_one_on_request(
        pytester: pytest.Pytester, capsys: pytest.CaptureFixture[str]) -> None:
    project(pytester)
    args = ["--eval-suite=a.jsonl", "--eval-suite=b.jsonl", "--eval-store=runs", "--eval-markdown=out/summary.md",
            "--eval-fail-under=0.4"]
    result = pytester.runpytest(*args, "--eval-run-id=short")
    assert result.ret == pytest.ExitCode.TESTS_FAILED  # the rejected record fails the session
    section = agenteval_section(result.stdout.lines)
    assert len(section) <= 30, "\n".join(section)
    assert section[:4] == [
        "run short",
        "gates:",
        "  PASS suite: 50.0% of tasks pass (30/60) >= 40.0% required [--eval-fail-under=0.4]",
        "rejected suite records: 1, not run: b.jsonl:31: 'inputs.input' is missing; every record needs the "
        "prompt the agent is asked",
    ]
    assert "tasks: 60 items, 30 passed, 30 failed, 0 errors; 1 rejected suite records not run" in section
    text = "\n".join(section)
    assert text.count("expected the echo, got a refusal") == 1
    assert "  30 tasks   final_answer: False - expected the echo, got a refusal" in section
    assert "    a.jsonl::a01, a.jsonl::a03, a.jsonl::a05, a.jsonl::a07 ... and 26 more" in section
    assert section[-2:] == ["not shown here: each of the 30 failing tasks with its reasons",
                            "  to see everything: `agenteval show runs/short.json`, out/summary.md, or "
                            "--eval-summary=full"]
    markdown = (pytester.path / "out" / "summary.md").read_text(encoding="utf-8")
    assert "### Rejected suite records: 1" in markdown and "| b.jsonl:31: 'inputs.input' is missing;" in markdown
    assert "| final_answer: False - expected the echo, got a refusal | 30 | a.jsonl::a01, " in markdown

    capsys.readouterr()
    assert main(["show", str(pytester.path / "runs" / "short.json")]) == 0  # where the pointer sends the reader
    shown = capsys.readouterr().out.splitlines()
    assert sum(re.fullmatch(r"  [ab]\.jsonl::[ab]\d\d  0/1 passed \(needs 1\)", line) is not None
               for line in shown) == 30

    full = pytester.runpytest(*args, "--eval-run-id=full", "--eval-summary=full")
    listing = agenteval_section(full.stdout.lines)
    assert sum(re.fullmatch(r"  [ab]\.jsonl::[ab]\d\d  0/1 passed \(needs 1\)", line) is not None
               for line in listing) == 30
    assert listing.count("    final_answer: False - expected the echo, got a refusal") == 30
    assert not any(line.startswith("not shown") for line in listing)


def test_the_ini_sets_the_summary_style_and_a_bad_style_is_a_usage_error(pytester: pytest.Pytester) -> None:
    project(pytester, ini="eval_summary = full")
    result = pytester.runpytest("--eval-suite=a.jsonl", "--eval-markdown=summary.md")
    section = agenteval_section(result.stdout.lines)
    assert section.count("    final_answer: False - expected the echo, got a refusal") == 15
    short_run = pytester.runpytest("--eval-suite=a.jsonl", "--eval-markdown=summary.md", "--eval-summary=short")
    assert "  15 tasks   final_answer: False - expected the echo, got a refusal" in agenteval_section(
        short_run.stdout.lines)
    bad = pytester.runpytest("--eval-suite=a.jsonl", "--eval-summary=long")
    assert bad.ret == pytest.ExitCode.USAGE_ERROR
    bad.stderr.fnmatch_lines(["*argument --eval-summary: 'long' is not a summary style: write short or full*"])
    pytester.makeini("[pytest]\neval_summary = tiny\n")
    bad_ini = pytester.runpytest("--eval-suite=a.jsonl")
    assert bad_ini.ret == pytest.ExitCode.USAGE_ERROR
    bad_ini.stderr.fnmatch_lines(["*ini option eval_summary: 'tiny' is not a summary style: write short or full*"])


def test_markdown_path_in_the_pointer_is_only_a_file_that_was_written(pytester: pytest.Pytester) -> None:
    project(pytester)
    (pytester.path / "out").write_text("a file where the Markdown's directory should be", encoding="utf-8")
    result = pytester.runpytest("--eval-suite=a.jsonl", "--eval-markdown=out/summary.md")
    result.stdout.fnmatch_lines(["not shown here: each of the 15 failing tasks with its reasons",
                                 "  to see everything: --eval-summary=full (or keep the run with --eval-store=DIR, "
                                 "then `agenteval show` it)"])
    result.stdout.fnmatch_lines(["ERROR: Markdown summary not written to */out/summary.md: *"])

