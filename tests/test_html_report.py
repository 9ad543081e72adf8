"""The HTML report (`--eval-html`, `agenteval html`) in a real browser: Debian's chromium driven by Playwright. It
shows the tasks and their traces, filters and sorts, keeps hostile text as text, and makes no request.

Screenshots go to $AGENTEVAL_ARTIFACTS (CI uploads it), else to a temporary directory named in the output. Inner
pytest runs are subprocesses: Playwright's sync API keeps an event loop running in this process."""

from __future__ import annotations

import json
import os
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Dialog, Page, Request, Route, expect, sync_playwright

from pytest_agenteval.cli import main
from pytest_agenteval.report.html import render_html
from pytest_agenteval.report.html_view import build_view
from pytest_agenteval.report.terminal import printable
from pytest_agenteval.results.models import RunResult
from pytest_agenteval.results.store import read_run, write_run

from .helpers import record, write_suite
from .html_runs import PAYLOADS, synthetic_run

CHROMIUM = os.environ.get("AGENTEVAL_CHROMIUM", "/usr/bin/chromium")

TRACED_CONFTEST = '''
import json
import pytest
from opentelemetry import trace
from pytest_agenteval import Feedback, scorer

PAYLOAD = "<img src=x onerror=\\"window.__pwned = 1; alert(1)\\">"

@scorer
def echoed(inputs, outputs):
    ok = outputs.get("body") == "sunny in " + inputs["input"]
    return Feedback(key="echoed", score=ok, comment=None if ok else "got " + str(outputs.get("body")) + " " + PAYLOAD)

@pytest.fixture(scope="session")
def eval_agent():
    tracer = trace.get_tracer("test-agent")
    def agent(prompt):
        with tracer.start_as_current_span("invoke_agent weather", attributes={
                "gen_ai.operation.name": "invoke_agent", "gen_ai.agent.name": "weather"}):
            with tracer.start_as_current_span("chat gpt-4o", attributes={
                    "gen_ai.operation.name": "chat", "gen_ai.system": "openai", "gen_ai.request.model": "gpt-4o",
                    "gen_ai.usage.input_tokens": 42, "gen_ai.usage.output_tokens": 7}):
                pass
            with tracer.start_as_current_span("execute_tool get_weather", attributes={
                    "gen_ai.operation.name": "execute_tool", "gen_ai.tool.name": "get_weather",
                    "gen_ai.tool.call.arguments": json.dumps({"city": prompt}),
                    "gen_ai.tool.call.result": json.dumps({"conditions": "sunny"})}):
                pass
        return "sunny in " + prompt if prompt != "</script><b>Oslo" else "</script><script>alert(2)</script>"
    return agent

@pytest.fixture
def eval_scorers():
    return [echoed]
'''


@dataclass
class OpenReport:
    """A report open in a fresh browser context, with every request and dialog it caused."""

    page: Page
    requests: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)  # uncaught exceptions in the page's script

    def count(self) -> str:
        return self.page.locator("#shown-count").inner_text()

    def open_task(self, text: str) -> None:
        self.page.locator(".task-row", has_text=text).first.click()
        expect(self.page.locator("#detail")).to_be_visible()

    def filter_text(self, text: str) -> None:
        """Search, and wait until the table shows the result (the search box waits for typing to pause)."""
        self.page.fill("#f-text", text)
        self.page.wait_for_function("text => document.getElementById('shown-count').dataset.text === text",
                                    arg=text.strip().lower())


OpenReportFactory = Callable[[Path], OpenReport]


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"], headless=True)
        yield launched
        launched.close()


@pytest.fixture(scope="module")
def artifacts(tmp_path_factory: pytest.TempPathFactory) -> Path:
    where = os.environ.get("AGENTEVAL_ARTIFACTS")
    path = Path(where) if where else tmp_path_factory.mktemp("html-report-artifacts")
    path.mkdir(parents=True, exist_ok=True)
    print(f"HTML report screenshots: {path}")
    return path


@pytest.fixture
def open_report(browser: Browser) -> Iterator[OpenReportFactory]:
    contexts, reports = [], []

    def opener(path: Path) -> OpenReport:
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        contexts.append(context)
        page = context.new_page()
        report = OpenReport(page)

        def on_route(route: Route) -> None:
            if route.request.url.startswith("file:"):
                route.continue_()
            else:
                report.requests.append(route.request.url)
                route.abort()

        def on_request(request: Request) -> None:
            if not request.url.startswith("file:"):
                report.requests.append(request.url)

        def on_dialog(dialog: Dialog) -> None:
            report.dialogs.append(dialog.message)
            dialog.dismiss()

        context.route("**/*", on_route)
        page.on("request", on_request)
        page.on("dialog", on_dialog)
        page.on("pageerror", lambda error: report.errors.append(str(error)))
        reports.append(report)
        page.goto(path.as_uri())
        page.wait_for_selector("body[data-ready='1']", timeout=30_000)
        return report

    yield opener
    for context in contexts:
        context.close()
    assert [error for report in reports for error in report.errors] == []


@pytest.fixture(scope="module")
def hostile_run() -> RunResult:
    base = synthetic_run(40, repeats=3, seed=1, run_id="base")
    return synthetic_run(40, repeats=3, variants=["gpt-4o", "claude"], hostile=True, base=base, run_id="hostile")


@pytest.fixture(scope="module")
def hostile_report(hostile_run: RunResult, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The synthetic run stored, then rendered by `agenteval html`, as a user would."""
    store = tmp_path_factory.mktemp("html-store")
    path = write_run(hostile_run, store)
    assert main(["html", str(path)]) == 0
    return path.with_suffix(".html")


@pytest.fixture(scope="module")
def plain_hostile_report(hostile_run: RunResult, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The same run with its data embedded as plain JSON, the form in which hostile text sits in the page itself."""
    path = tmp_path_factory.mktemp("html-plain") / "hostile.html"
    path.write_text(render_html(hostile_run, compress=False), encoding="utf-8")
    return path


def assert_nothing_ran(report: OpenReport) -> None:
    page = report.page
    assert page.evaluate("typeof window.__pwned") == "undefined"
    assert report.dialogs == []
    assert page.evaluate("document.scripts.length") == 2  # the data block and the report's own script
    assert page.locator("img, svg, iframe, object, embed, a[href]").count() == 0
    assert page.evaluate("[...document.querySelectorAll('*')].flatMap(e => [...e.attributes])"
                         ".filter(a => a.name.startsWith('on')).length") == 0


def test_eval_html_writes_a_report_of_the_run_that_shows_its_tasks_and_trace_tree(
        pytester: pytest.Pytester, open_report: OpenReportFactory, artifacts: Path) -> None:
    pytester.makeconftest(TRACED_CONFTEST)
    write_suite(pytester.path / "s.jsonl", [record("paris", "Paris", tags=["tools"]), record("tokyo", "Tokyo"),
                                            record("</script><b>oslo", "</script><b>Oslo", tags=["<i>x</i>"])])
    result = pytester.runpytest_subprocess("--eval-suite=s.jsonl", "--eval-store=runs", "--eval-html=out/report.html")
    result.assert_outcomes(passed=2, failed=1)
    result.stdout.fnmatch_lines([f"HTML report: written to {pytester.path / 'out' / 'report.html'}"])
    report = open_report(pytester.path / "out" / "report.html")
    page = report.page
    expect(page.locator("#shown-count")).to_have_text("3 of 3 tasks")
    expect(page.locator(".task-row")).to_have_count(3)
    expect(page.locator(".task-row").first).to_contain_text("</script><b>oslo")  # failures first, as text
    report.open_task("paris")
    detail = page.locator("#detail")
    expect(detail.locator(".step-name")).to_have_text(["weather", "gpt-4o (openai)", "get_weather"])
    expect(detail.locator("details.step-agent details.step-tool")).to_have_count(1)  # nested under its agent
    expect(detail).to_contain_text("42 in / 7 out tokens")
    tool = detail.locator("details.step-tool")
    expect(tool.locator(".step-name")).to_have_text("get_weather")
    expect(tool.locator("pre.args")).to_have_text(json.dumps({"city": "Paris"}, indent=2))
    expect(tool.locator("pre.result")).to_contain_text('"conditions": "sunny"')
    page.screenshot(path=artifacts / "real-run-task.png")
    page.locator("#detail .close").click()
    report.open_task("oslo")
    expect(detail.locator("pre.output")).to_have_text("</script><script>alert(2)</script>")
    expect(detail.locator("td.comment")).to_contain_text('<img src=x onerror="window.__pwned = 1; alert(1)">')
    assert_nothing_ran(report)
    assert report.requests == []


def test_a_report_that_cannot_be_written_is_a_warning_and_the_run_is_still_stored(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(TRACED_CONFTEST)
    write_suite(pytester.path / "s.jsonl", [record("paris", "Paris")])
    pytester.mkdir("taken")
    result = pytester.runpytest_subprocess("--eval-suite=s.jsonl", "--eval-store=runs", "--eval-html=taken")
    assert result.ret == 0
    result.stdout.fnmatch_lines([f"WARNING: HTML report not written to {pytester.path / 'taken'}: Is a directory"])
    assert len(list((pytester.path / "runs").glob("*.json"))) == 1


def test_the_data_cannot_end_its_script_block_and_parses_back_to_the_run(hostile_run: RunResult) -> None:
    first = hostile_run.tasks[0]
    nan_score = first.feedback[0].model_copy(update={"score": float("nan")})  # JSON has no NaN: it becomes null
    run = hostile_run.model_copy(update={"tasks": [first.model_copy(update={"feedback": [nan_score]}),
                                                   *hostile_run.tasks[1:]]})
    page = render_html(run, compress=False)
    assert page.count("</script>") == 2 and page.count("<script") == 2
    assert "<!--" not in page and "\u2028" not in page and "\u2029" not in page
    data = re.search(r'<script type="application/json" id="run-data" data-encoding="json">(.*?)</script>', page, re.S)
    assert data is not None
    embedded = json.loads(data.group(1), parse_constant=lambda name: pytest.fail(f"{name} is not JSON"))
    assert embedded["run"]["tasks"][0]["feedback"][0]["score"] is None
    assert [t["task_id"] for t in embedded["run"]["tasks"]] == [t.task_id for t in hostile_run.tasks]
    assert embedded["run"]["tasks"][0]["inputs"]["input"] == PAYLOADS[0]
    assert "default-src 'none'" in page and "http" not in page.split("<style>")[0].replace("http-equiv", "")


def test_filters_narrow_the_table_by_verdict_suite_tag_scorer_variant_and_text(
        hostile_run: RunResult, hostile_report: Path, open_report: OpenReportFactory) -> None:
    rows = build_view(hostile_run)["rows"]
    report = open_report(hostile_report)
    page = report.page
    total = len(rows)
    assert total == 80  # 40 tasks x 2 variants, repeats grouped
    expect(page.locator("#shown-count")).to_have_text(f"{total} of {total} tasks")

    def narrowed(select: str, value: str, expected: int) -> None:
        page.select_option(select, value)
        expect(page.locator("#shown-count")).to_have_text(f"{expected} of {total} tasks")

    # Independent of the page: a row errs when none of its repeats passed and one crashed.
    groups: dict[tuple[str, str, str | None], list[str]] = {}
    for task in hostile_run.tasks:
        groups.setdefault((task.suite, task.base_task_id, task.variant), []).append(task.verdict)
    errors = sum(1 for verdicts in groups.values() if "passed" not in verdicts and "error" in verdicts)
    assert errors > 0
    narrowed("#f-status", "error", errors)
    expect(page.locator(".task-row .badge")).to_have_text(["error"] * min(errors, 28))
    narrowed("#f-status", "flaky", sum(1 for v in groups.values() if "passed" in v and set(v) != {"passed"}))
    narrowed("#f-status", "", total)
    narrowed("#f-suite", "evals/suite-1.jsonl", sum(1 for s, _, _ in groups if s == "evals/suite-1.jsonl"))
    narrowed("#f-suite", "", total)
    narrowed("#f-tag", "math", sum(1 for r in rows if "math" in r["tags"]))
    narrowed("#f-variant", "claude", sum(1 for r in rows if "math" in r["tags"] and r["variant"] == "claude"))
    narrowed("#f-tag", "", 40)
    narrowed("#f-scorer", "tool_used", sum(1 for r in rows if r["variant"] == "claude" and "tool_used" in r["missed"]))
    narrowed("#f-scorer", "", 40)
    narrowed("#f-variant", "", total)
    report.filter_text("TASK-00013")  # case-insensitive, over ids, inputs, outputs, comments and errors
    expect(page.locator("#shown-count")).to_have_text(f"2 of {total} tasks")
    expect(page.locator(".task-row")).to_have_count(2)
    report.filter_text("wrong 22")  # an output
    expect(page.locator("#shown-count")).to_have_text(f"2 of {total} tasks")
    report.filter_text("no task says this")
    expect(page.locator("#shown-count")).to_have_text(f"0 of {total} tasks")
    expect(page.locator("#no-rows")).to_be_visible()


def test_columns_sort_both_ways(hostile_report: Path, open_report: OpenReportFactory) -> None:
    report = open_report(hostile_report)
    page = report.page
    page.click(".vt-head [data-key=tokens]")
    page.click(".vt-head [data-key=task]")
    first = page.locator(".task-row").first.locator(".vt-cell").nth(2).inner_text()
    page.click(".vt-head [data-key=task]")
    expect(page.locator(".vt-head [data-key=task]")).to_have_attribute("aria-sort", "descending")
    last = page.locator(".task-row").first.locator(".vt-cell").nth(2).inner_text()
    assert first < last
    assert last == "task-00039"


def test_a_task_shows_its_repeats_with_pass_at_k_its_scorers_and_its_trace(
        hostile_report: Path, open_report: OpenReportFactory, artifacts: Path) -> None:
    report = open_report(hostile_report)
    page = report.page
    report.filter_text("task-00019")
    expect(page.locator("#shown-count")).to_have_text("2 of 80 tasks")
    page.select_option("#f-variant", "gpt-4o")
    report.open_task("task-00019")  # fails its second repeat: flaky
    detail = page.locator("#detail")
    expect(detail.locator("h2 .badge")).to_have_text("flaky")
    expect(detail).to_contain_text("2/3 (misses the pass rate)")
    expect(detail.locator(".fact", has_text="pass@3")).to_contain_text("1")
    expect(detail.locator(".tab")).to_have_text(["r1 passed", "r2 failed", "r3 passed"])
    detail.locator(".tab", has_text="r2").click()
    expect(detail.locator("td.comment").first).to_have_text("expected 'answer 19', got 'wrong 19'")
    expect(detail.locator("pre.output")).to_have_text("wrong 19")
    tree = detail.locator("ul.tree").first
    expect(tree.locator(":scope > li > details > summary .step-name")).to_have_text(["research_agent"])
    expect(tree.locator("details.step-tool pre.args").first).to_contain_text('"query": "query 19"')
    expect(tree.locator("details.step-model")).to_have_count(2)
    page.screenshot(path=artifacts / "task-detail.png")
    page.keyboard.press("Escape")
    expect(detail).to_be_hidden()


def test_a_task_shows_its_budget_overrun_and_its_replay_misses(
        hostile_report: Path, open_report: OpenReportFactory) -> None:
    report = open_report(hostile_report)
    page = report.page
    report.filter_text("task-00014")  # over its token budget, and replayed with a miss
    page.select_option("#f-variant", "gpt-4o")
    report.open_task("task-00014")
    detail = page.locator("#detail")
    expect(detail.locator(".fact", has_text="over budget")).to_have_text("over budgettokens: 2,500 > 2,000")
    expect(detail.locator(".fact", has_text="replay")).to_contain_text("missed")
    expect(detail.locator(".fact", has_text="misses")).to_contain_text("POST https://api.example.com/v1/chat (14)")
    expect(detail.locator(".fact", has_text="cassette")).to_contain_text("suite/task-00014/r1.json")
    expect(detail.locator(".fact", has_text="judge tokens")).to_have_text("judge tokens100 ($0.00005)")
    assert report.requests == []  # a URL shown as text is not fetched
    page.keyboard.press("Escape")
    page.locator("#unused-cassettes summary").click()
    expect(page.locator("#unused-cassettes li")).to_have_text(["suite/retired-task/r1.json"])


def test_hostile_text_stays_text_everywhere_and_runs_no_script(
        plain_hostile_report: Path, open_report: OpenReportFactory, artifacts: Path) -> None:
    report = open_report(plain_hostile_report)
    page = report.page
    expect(page.locator("h1 .label")).to_have_text(PAYLOADS[0])
    for payload in PAYLOADS:
        needle = payload.split("\u2028")[0]
        shown = printable(payload)  # controls, line separators, bidi overrides: visible escapes, as in the terminal
        report.filter_text(needle)
        expect(page.locator(".task-row").first).to_be_visible()
        row = page.locator(".task-row").first
        task_cell = row.locator(".vt-cell").nth(2)
        assert task_cell.evaluate("cell => cell.textContent") == shown
        row.click()
        detail = page.locator("#detail")
        expect(detail.locator("pre.input")).to_be_visible()
        assert detail.locator("pre.input").evaluate("pre => pre.textContent") == shown
        assert shown in page.locator("#detail h2").evaluate("h => h.textContent")
        page.keyboard.press("Escape")
    page.screenshot(path=artifacts / "hostile.png", full_page=True)
    assert_nothing_ran(report)
    assert report.requests == []


def test_a_link_to_a_task_opens_it_and_long_text_shows_its_start_with_a_button_for_the_rest(
        hostile_run: RunResult, tmp_path: Path, open_report: OpenReportFactory) -> None:
    long_output = "x" * 50_000 + "THE END"
    tasks = list(hostile_run.tasks)
    tasks[0] = tasks[0].model_copy(update={"outputs": {"body": long_output}})
    path = tmp_path / "long.html"
    path.write_text(render_html(hostile_run.model_copy(update={"tasks": tasks})), encoding="utf-8")
    rows = build_view(hostile_run)["rows"]
    index = next(i for i, row in enumerate(rows) if 0 in row["items"])
    report = open_report(path)
    report.page.goto(f"{path.as_uri()}#task={index}")
    report.page.reload()  # a link with the task in its fragment, opened afresh
    report.page.wait_for_selector("body[data-ready='1']")
    output = report.page.locator("#detail pre.output")
    expect(output).to_be_visible()
    assert len(output.inner_text()) == 20_000
    report.page.locator("#detail button.more", has_text="show all 50,007 characters").click()
    assert output.inner_text().endswith("THE END")


def test_no_request_leaves_the_page_and_its_policy_blocks_any_that_a_bug_would_make(
        hostile_report: Path, open_report: OpenReportFactory) -> None:
    report = open_report(hostile_report)
    page = report.page
    page.select_option("#f-status", "failed")
    report.open_task("task-")
    page.locator("#detail details.step summary").first.click()
    blocked = page.evaluate("""() => new Promise(resolve => {
        document.addEventListener('securitypolicyviolation', e => resolve(e.violatedDirective), {once: true});
        fetch('http://127.0.0.1:9/leak').catch(() => {});
    })""")
    assert blocked == "connect-src"
    assert report.requests == []


def test_variants_show_a_leaderboard_a_task_by_variant_matrix_and_pairwise_outcomes(
        hostile_run: RunResult, hostile_report: Path, open_report: OpenReportFactory) -> None:
    report = open_report(hostile_report)
    page = report.page
    section = page.locator("#variants")
    assert hostile_run.variants is not None
    leader = hostile_run.variants.leaderboard[0]
    first_row = section.locator("table").first.locator("tbody tr").first
    expect(first_row).to_contain_text(f"{leader.passed_tasks}/{leader.total_tasks}")
    expect(first_row).to_contain_text(f"{hostile_run.variants.aggregates[leader.variant].tokens.total:,}")
    comparison = hostile_run.variants.comparisons[0]
    expect(section).to_contain_text(f"{len(comparison.flips)} task(s)")
    matrix = section.locator("table.matrix")
    expect(matrix.locator("thead th")).to_have_text(["task", "gpt-4o", "claude"])
    expect(matrix.locator("tbody tr")).to_have_count(40)
    page.check("#matrix-disagree")
    expect(matrix.locator("tbody tr")).to_have_count(len(comparison.flips))
    matrix.locator("button.cell").first.click()
    expect(page.locator("#detail")).to_be_visible()


VARIANTS_CONFTEST = '''
import pytest
from pytest_agenteval import scorer

@scorer
def echoed(inputs, outputs):
    return outputs.get("body") == inputs["input"]

@pytest.fixture(scope="session")
def eval_variants():
    return {"echo": lambda prompt: prompt, "shout": lambda prompt: prompt.upper()}

@pytest.fixture
def eval_scorers():
    return [echoed]
'''


def test_a_real_run_of_two_variants_shows_its_leaderboard_matrix_and_comparison(
        pytester: pytest.Pytester, open_report: OpenReportFactory, artifacts: Path) -> None:
    pytester.makeconftest(VARIANTS_CONFTEST)
    write_suite(pytester.path / "s.jsonl", [record("a"), record("b"), record("C")])
    result = pytester.runpytest_subprocess("--eval-suite=s.jsonl", "--eval-variant=echo", "--eval-variant=shout",
                                           "--eval-html=variants.html")
    result.assert_outcomes(passed=4, failed=2)
    report = open_report(pytester.path / "variants.html")
    page = report.page
    board = page.locator("#variants table").first.locator("tbody tr")
    expect(board).to_have_count(2)
    expect(board.first).to_contain_text("echo")
    expect(board.first).to_contain_text("3/3")
    expect(board.nth(1)).to_contain_text("1/3")
    expect(page.locator("#variants")).to_contain_text("2 task(s)")  # a and b: passed by echo only
    matrix = page.locator("#variants table.matrix")
    expect(matrix.locator("thead th")).to_have_text(["task", "echo", "shout"])
    expect(matrix.locator("tbody tr")).to_have_count(3)
    expect(page.locator("#shown-count")).to_have_text("6 of 6 tasks")
    page.select_option("#f-variant", "shout")
    page.select_option("#f-status", "failed")
    expect(page.locator("#shown-count")).to_have_text("2 of 6 tasks")
    page.locator("#variants").screenshot(path=artifacts / "variants.png")


def test_the_baseline_flips_and_the_failed_gates_say_why(
        hostile_run: RunResult, hostile_report: Path, open_report: OpenReportFactory) -> None:
    report = open_report(hostile_report)
    page = report.page
    assert hostile_run.baseline is not None
    expect(page.locator("#baseline")).to_contain_text(f"{hostile_run.baseline.flips} flip(s)")
    regressed = hostile_run.baseline.with_status("regressed")
    expect(page.locator("#baseline .badge", has_text="regressed")).to_have_count(len(regressed))
    judged = hostile_run.aggregates.judge_tokens.total
    assert judged > 0
    expect(page.locator("header .fact", has_text="judge tokens")).to_contain_text(f"{judged:,}")
    gates = page.locator("#gates li")
    expect(gates).to_have_count(2)
    expect(gates.first).to_contain_text("FAIL")
    expect(gates.first).to_contain_text("required: short by")


@pytest.mark.parametrize("tasks", [10_000])
def test_ten_thousand_tasks_load_compressed_and_filter(
        tasks: int, tmp_path: Path, open_report: OpenReportFactory, artifacts: Path) -> None:
    run = synthetic_run(tasks, repeats=1, base=synthetic_run(tasks, seed=1, run_id="base"))
    assert run.baseline is not None
    changed = sum(1 for task in run.baseline.tasks if task.status != "unchanged")
    path = tmp_path / "big.html"
    page_text = render_html(run)
    path.write_text(page_text, encoding="utf-8")
    assert 'data-encoding="gzip+base64"' in page_text
    started = time.perf_counter()
    report = open_report(path)
    print(f"{tasks} tasks: {path.stat().st_size / 1e6:.1f} MB, interactive after {time.perf_counter() - started:.2f} s")
    page = report.page
    expect(page.locator("#shown-count")).to_have_text(f"{tasks:,} of {tasks:,} tasks")
    assert page.locator(".task-row").count() < 60  # rows are rendered as they scroll into view
    expect(page.locator("#baseline tbody tr")).to_have_count(5 + 100)  # the deltas, then the first changed tasks
    expect(page.locator("#baseline button.more")).to_have_text(f"show all {changed} changed tasks")
    page.locator("#task-rows").evaluate("body => { body.scrollTop = body.scrollHeight; }")
    expect(page.locator(".task-row", has_text="passed").last).to_be_visible()
    report.filter_text("task-09999")
    expect(page.locator("#shown-count")).to_have_text(f"1 of {tasks:,} tasks")
    report.open_task("task-09999")
    expect(page.locator("#detail details.step-tool")).to_have_count(1)
    page.screenshot(path=artifacts / "ten-thousand.png")
    assert report.requests == []


def test_plain_and_compressed_embeddings_render_the_same_table(
        hostile_run: RunResult, tmp_path: Path, open_report: OpenReportFactory) -> None:
    shown = []
    for compress in (False, True):
        path = tmp_path / f"report-{compress}.html"
        path.write_text(render_html(hostile_run, compress=compress), encoding="utf-8")
        page = open_report(path).page
        page.select_option("#f-status", "not-passed")
        shown.append((page.locator("#shown-count").inner_text(),
                      page.locator(".task-row .vt-cell:nth-child(3)").all_inner_texts()))
    assert shown[0] == shown[1]


def test_merged_and_resumed_runs_render(pytester: pytest.Pytester, open_report: OpenReportFactory) -> None:
    pytester.makeconftest(TRACED_CONFTEST)
    write_suite(pytester.path / "s.jsonl", [record("paris", "Paris"), record("tokyo", "Tokyo")])
    for shard, selection in (("shard-1", "paris"), ("shard-2", "tokyo")):
        pytester.runpytest_subprocess("--eval-suite=s.jsonl", "--eval-store=runs", f"--eval-run-id={shard}", "-k",
                                      selection)
    runs = pytester.path / "runs"
    assert main(["merge", str(runs / "shard-1.json"), str(runs / "shard-2.json"), "-o", str(runs / "all.json")]) == 0
    assert main(["html", str(runs / "all.json"), "-o", str(pytester.path / "all.html")]) == 0
    assert read_run(runs / "all.json").run_id == "all"
    page = open_report(pytester.path / "all.html").page
    expect(page.locator("h1 code")).to_have_text("all")
    expect(page.locator("#shown-count")).to_have_text("2 of 2 tasks")
    resumed = pytester.runpytest_subprocess("--eval-suite=s.jsonl", "--eval-store=runs", "--eval-run-id=resumed",
                                            "--eval-resume=shard-1", "--eval-html=resumed.html")
    resumed.assert_outcomes(passed=1, deselected=1)
    page = open_report(pytester.path / "resumed.html").page
    expect(page.locator("#shown-count")).to_have_text("2 of 2 tasks")  # the result kept from shard-1 included
    expect(page.locator("header .meta")).to_contain_text("resumed from shard-1")



HOSTILE_JUDGE = '''

def hostile(messages, info):
    return verdict(info, "tie", "<img src=x onerror=\\"window.__pwned = 1; alert(3)\\">")


HOSTILE = pairwise_judge("x", model=FunctionModel(hostile, model_name="hostile"), key="<b>hostile</b>")
'''


def test_pairwise_judges_show_their_comparisons_and_outcomes_and_their_text_stays_text(
        pytester: pytest.Pytester, open_report: OpenReportFactory, artifacts: Path) -> None:
    pytest.importorskip("pydantic_ai", reason="needs the judge extra")
    from .test_pairwise_runs import CONFTEST, INI, JUDGES, TASKS

    pytester.makeconftest(CONFTEST)
    pytester.makepyfile(judges_here=JUDGES + HOSTILE_JUDGE)
    pytester.makeini(INI)
    write_suite(pytester.path / "s.jsonl", [*TASKS, record("boom", "explode")])
    result = pytester.runpytest_subprocess("--eval-pairwise=judges_here:HELPFUL", "--eval-pairwise=judges_here:HOSTILE",
                                           "--eval-html=pairwise.html")
    result.assert_outcomes(passed=8)
    report = open_report(pytester.path / "pairwise.html")
    page = report.page
    rows = page.locator("#pairwise-judges table tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.first).to_contain_text("terse vs good")
    expect(rows.first.locator("td").nth(4)).to_have_text("0")  # terse won none
    expect(rows.first.locator("td").nth(5)).to_have_text("3")  # good won three, the fourth was a judge error
    expect(rows.first.locator("td").nth(9)).to_have_text("1")
    expect(rows.first.locator("td").nth(11)).to_have_text("0.0%")
    rows.first.locator("summary").click()
    expect(rows.first).to_contain_text("s.jsonl::boom error \u2014 RuntimeError: judge backend down")
    expect(rows.first).to_contain_text("s.jsonl::paris good won")
    expect(rows.nth(1)).to_contain_text("<b>hostile</b>")
    rows.nth(1).locator("summary").click()
    expect(rows.nth(1)).to_contain_text('<img src=x onerror="window.__pwned = 1; alert(3)">')
    assert_nothing_ran(report)
    page.locator("#pairwise-judges").screenshot(path=artifacts / "pairwise.png")
