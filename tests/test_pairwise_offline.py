"""Pairwise judges over HTTP and offline: an OpenAI-compatible judge on 127.0.0.1 compares the variants (sharing its
client with a per-task judge of the same session), an unreachable one makes every pair an error and the run is
still stored; `agenteval pairwise` judges a stored run, a merged run of one variant per CI job included; the pairing
itself (repeats paired by index, answers that are no verdict, a judge that hangs) over hand-made results."""

from __future__ import annotations

import asyncio
import fnmatch
import json
from typing import Any

import pytest

from pytest_agenteval.cli import main
from pytest_agenteval.judges.pairwise import OrderVerdict, PairwiseJudge
from pytest_agenteval.judges.variant_pairs import judge_run_pairs
from pytest_agenteval.results.models import TaskResult
from pytest_agenteval.tracing.model import ErrorInfo

from .helpers import load_run_json, read_single_run, record, write_suite
from .judge_model_server import COMPLETION_TOKENS, PROMPT_TOKENS, serve
from .test_pairwise_runs import CONFTEST, pairwise_project

pytest.importorskip("pydantic_ai", reason="needs the judge extra")

HTTP_JUDGES = '''
import os
from pydantic_ai.models.openai import OpenAIChatModel
from pydantic_ai.providers.openai import OpenAIProvider
from pytest_agenteval.judges import pairwise_judge

MODEL = OpenAIChatModel("gpt-4o-mini", provider=OpenAIProvider(base_url=os.environ["JUDGE_URL"], api_key="sk-test"))
WEATHER = pairwise_judge("The answer that gives the weather.", model=MODEL, key="weather", retries=1)
'''
HTTP_CONFTEST = CONFTEST + '''
from pytest_agenteval.judges import llm_judge

@pytest.fixture(scope="session")
def eval_scorers():
    from http_judges import MODEL  # the pairwise judge's model and client, used in the session's loop first
    return [llm_judge("The answer gives the weather.", model=MODEL, key="per_task")]
'''
PRICE = PROMPT_TOKENS * 0.15e-6 + COMPLETION_TOKENS * 0.6e-6  # one gpt-4o-mini request


@pytest.fixture
def http_project(pytester: pytest.Pytester) -> pytest.Pytester:
    return pairwise_project(pytester, HTTP_CONFTEST, http_judges=HTTP_JUDGES)


def test_a_judge_over_http_compares_the_variants_and_its_cost_stays_in_the_pairwise_section(
        http_project: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    with serve() as server:
        monkeypatch.setenv("JUDGE_URL", server.url)
        result = http_project.runpytest("--eval-store=runs", "--eval-pairwise=http_judges:WEATHER")
        pairwise_prompts = [prompt for prompt in server.prompts if "<first>" in prompt]
    result.assert_outcomes(passed=3, failed=3)  # the per-task judge fails terse's "no idea"
    run = read_single_run(http_project.path / "runs")
    (found,) = run["pairwise"]["comparisons"]
    assert (found["variant_a"], found["variant_b"], found["wins_a"], found["wins_b"]) == ("terse", "good", 0, 3)
    shown = sorted(prompt.split("<input>\n")[1].split("\n</input>")[0] for prompt in pairwise_prompts)
    assert shown == ["Oslo", "Oslo", "Paris", "Paris", "Rome", "Rome"]  # each task's input, in both orders (any order)
    assert found["tokens"]["total"] == 6 * (PROMPT_TOKENS + COMPLETION_TOKENS)
    assert found["cost"] == pytest.approx(6 * PRICE) and run["pairwise"]["cost"] == pytest.approx(6 * PRICE)
    # the per-task judge's 6 verdicts are the tasks' judge totals; the pairwise judge's are not among them
    assert run["aggregates"]["judge_tokens"]["total"] == 6 * (PROMPT_TOKENS + COMPLETION_TOKENS)


def test_a_verdict_still_malformed_after_the_retries_is_that_pairs_error_with_every_attempt_paid_for(
        http_project: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    http_project.makeconftest(CONFTEST.replace('if prompt != "explode" else "boom"', 'if prompt != "g" else "garble"'))
    write_suite(http_project.path / "s.jsonl", [record("paris", "Paris"), record("garbled", "g")])
    with serve() as server:
        monkeypatch.setenv("JUDGE_URL", server.url)
        http_project.runpytest("--eval-store=runs", "--eval-pairwise=http_judges:WEATHER").assert_outcomes(passed=4)
    (found,) = read_single_run(http_project.path / "runs")["pairwise"]["comparisons"]
    paris, garbled = found["outcomes"]
    assert (paris["status"], garbled["status"], garbled["error"]["type"]) == ("judged", "error",
                                                                              "MalformedVerdictError")
    assert garbled["error"]["message"].startswith("no readable verdict in 2 attempt(s); the last: ")
    assert garbled["tokens"]["total"] == 4 * (PROMPT_TOKENS + COMPLETION_TOKENS)  # 2 orders x 2 attempts
    assert (found["errors"], found["pairs"], found["wins_b"]) == (1, 1, 1)


def test_an_unreachable_judge_makes_every_pair_an_error_and_the_run_is_still_stored(
        http_project: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JUDGE_URL", "http://127.0.0.1:9/v1")  # nothing listens there
    http_project.makeconftest(CONFTEST)
    result = http_project.runpytest("--eval-store=runs", "--eval-pairwise=http_judges:WEATHER")
    result.assert_outcomes(passed=6)
    assert result.ret == pytest.ExitCode.OK  # no item depends on a pairwise verdict
    (found,) = read_single_run(http_project.path / "runs")["pairwise"]["comparisons"]
    assert (found["pairs"], found["errors"], found["win_rate"]) == (0, 3, None)
    assert {o["error"]["type"] for o in found["outcomes"]} == {"ModelConnectionError"}
    result.stdout.fnmatch_lines(["    judge errors: 3: s.jsonl::paris (ModelConnectionError: Connection error.)*"])


@pytest.fixture
def stored(pytester: pytest.Pytester) -> pytest.Pytester:
    pairwise_project(pytester)
    pytester.runpytest("--eval-store=runs", "--eval-run-id=plain").assert_outcomes(passed=6)
    return pytester


def test_agenteval_pairwise_judges_a_stored_run_and_writes_a_judged_copy(
        stored: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(stored.path)
    assert load_run_json(stored.path / "runs" / "plain.json")["pairwise"] is None
    code = main(["pairwise", "runs/plain.json", "--judge", "judges_here:HELPFUL", "--judge", "judges_here:BIASED",
                 "-o", "runs/judged.json"])
    out = capsys.readouterr()
    assert code == 0
    assert "  terse vs good by helpful (judge function:sunny): terse won 0, good won 3, 0 ties" in out.out
    assert "wrote runs/judged.json: run plain with its pairwise section, as run judged" in out.err
    judged = load_run_json(stored.path / "runs" / "judged.json")
    assert [(c["key"], c["wins_b"], c["flips"]) for c in judged["pairwise"]["comparisons"]] == [("helpful", 3, 0),
                                                                                              ("biased", 0, 3)]
    assert judged["tasks"] == load_run_json(stored.path / "runs" / "plain.json")["tasks"]
    assert main(["pairwise", "runs/plain.json", "--judge", "judges_here:HELPFUL", "--a", "good", "--b", "terse",
                 "--format", "json"]) == 0
    (named,) = json.loads(capsys.readouterr().out)["comparisons"]
    assert (named["variant_a"], named["wins_a"], named["win_rate"]) == ("good", 3, 1.0)


def test_agenteval_pairwise_judges_a_merged_run_of_one_variant_per_job(
        stored: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    for name in ("good", "terse"):
        stored.runpytest(f"--eval-store=jobs-{name}", f"--eval-run-id=job-{name}", f"--eval-variant={name}")
    monkeypatch.chdir(stored.path)
    assert main(["merge", "jobs-good/job-good.json", "jobs-terse/job-terse.json", "-o", "merged.json"]) == 0
    capsys.readouterr()
    assert main(["pairwise", "merged.json", "--judge", "judges_here:HELPFUL", "--format", "markdown"]) == 0
    assert "| terse vs good | helpful | function:sunny | 3 | 0 | 3 | 0 | 0 | 50.0% | 0 | 0 | 0.0% | 0.0%-56.1% |" in (
        capsys.readouterr().out)


def test_merging_shards_drops_their_pairwise_sections_and_the_merged_run_can_be_judged(
        stored: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    write_suite(stored.path / "t.jsonl", [record("lima", "Lima")])
    stored.runpytest("--eval-store=a", "--eval-run-id=a", "s.jsonl", "--eval-pairwise=judges_here:HELPFUL")
    stored.runpytest("--eval-store=b", "--eval-run-id=b", "t.jsonl", "--eval-pairwise=judges_here:HELPFUL")
    monkeypatch.chdir(stored.path)
    assert load_run_json(stored.path / "a" / "a.json")["pairwise"]["comparisons"][0]["pairs"] == 3
    assert main(["merge", "a/a.json", "b/b.json", "-o", "merged.json"]) == 0
    assert load_run_json(stored.path / "merged.json")["pairwise"] is None
    capsys.readouterr()
    assert main(["pairwise", "merged.json", "--judge", "judges_here:HELPFUL", "--format", "json"]) == 0
    (merged,) = json.loads(capsys.readouterr().out)["comparisons"]
    assert (merged["pairs"], merged["wins_b"]) == (4, 4)  # both shards' tasks


@pytest.mark.parametrize(("argv", "message"), [
    (["--judge", "judges_here:NOPE"], "--judge judges_here:NOPE: cannot import it: AttributeError: *"),
    (["--judge", "judges_here:shown"], "--judge judges_here:shown: function is not a pairwise judge or a list of "
                                       "them; make each with pytest_agenteval.judges.pairwise_judge(...)"),
    (["--judge", "judges_here"], "--judge judges_here: not an import path of the form 'package.module:attribute'"),
    (["--judge", "judges_here:HELPFUL", "--a", "good"], "--a and --b go together: name both variants of the pair, "
                                                         "or neither"),
    (["--judge", "judges_here:HELPFUL", "-o", "out.txt"], "-o out.txt: the run's file must end in .json"),
    (["--judge", "judges_here:HELPFUL", "--concurrency", "0"], "--concurrency 0: give at least 1"),
])
def test_agenteval_pairwise_says_what_is_wrong_in_one_line(stored: pytest.Pytester, monkeypatch: pytest.MonkeyPatch,
                                                           capsys: pytest.CaptureFixture[str], argv: list[str],
                                                           message: str) -> None:
    monkeypatch.chdir(stored.path)
    assert main(["pairwise", "runs/plain.json", *argv]) == 2
    (line,) = capsys.readouterr().err.splitlines()
    assert fnmatch.fnmatch(line, f"agenteval pairwise: error: {message}"), line


def result(task_id: str, variant: str, body: str, repeat: int = 1, crashed: bool = False) -> TaskResult:
    return TaskResult(task_id=f"{task_id}#{repeat}", base_task_id=task_id, repeat=repeat, inputs={"input": task_id},
                      suite="s.jsonl", line=1, node_id=f"s.jsonl::{task_id}[{variant}]", variant=variant,
                      verdict="error" if crashed else "passed", outputs={"body": body},
                      exception=ErrorInfo("ValueError", "boom") if crashed else None)


def judge(ask: Any, **options: Any) -> PairwiseJudge:
    return PairwiseJudge("k", ask, **options)


async def longer(question: Any, first: str, second: str) -> OrderVerdict:
    return OrderVerdict("tie" if len(first) == len(second) else "first" if len(first) > len(second) else "second")


def test_repeats_are_paired_by_index_and_a_repeat_one_variant_lacks_is_not_compared() -> None:
    tasks = [result("t", "a", "long answer", 1), result("t", "a", "x", 2), result("t", "b", "mid", 1),
             result("t", "b", "middle", 2), result("t", "a", "more", 3)]
    (found,) = judge_run_pairs(tasks, [judge(longer, pairs=(("a", "b"),))], ranking=()).comparisons
    assert [(o.repeat, o.status, o.winner, o.reason) for o in found.outcomes] == [
        (1, "judged", "a", None), (2, "judged", "b", None), (3, "not_compared", None, "b did not run it")]


def test_an_answer_that_is_no_verdict_is_an_error_and_a_bare_position_is_a_verdict() -> None:
    async def odd(question: Any, first: str, second: str) -> Any:
        return "first" if first == "yes" else 42

    tasks = [result("t", "a", "yes"), result("t", "b", "no"), result("u", "a", "no"), result("u", "b", "yes")]
    (found,) = judge_run_pairs(tasks, [judge(odd)], ranking=["b"]).comparisons
    assert (found.variant_a, found.variant_b, found.errors, found.pairs) == ("a", "b", 2, 0)
    assert found.outcomes[0].error == ErrorInfo("TypeError", "the judge's ask returned 42; return an OrderVerdict, "
                                                             "or 'first', 'second' or 'tie'")
    assert found.outcomes[0].a_first is not None and found.outcomes[0].a_first.better == "first"  # the order kept


def test_a_judge_that_hangs_is_that_pairs_timeout_and_the_other_pairs_are_judged() -> None:
    async def hangs_on_slow(question: Any, first: str, second: str) -> OrderVerdict:
        if "slow" in (first, second):
            await asyncio.sleep(30)
        return await longer(question, first, second)

    tasks = [result("t", "a", "slow"), result("t", "b", "x"), result("u", "a", "long"), result("u", "b", "x"),
             result("v", "a", "crash", crashed=True), result("v", "b", "x")]
    (found,) = judge_run_pairs(tasks, [judge(hangs_on_slow)], ranking=["b"], timeout=0.2).comparisons
    assert [(o.task_id, o.status) for o in found.outcomes] == [("t", "error"), ("u", "judged"), ("v", "not_compared")]
    assert found.outcomes[0].error == ErrorInfo("TimeoutError", "the judge took longer than 0.2 s on this pair")
    assert found.outcomes[2].reason == "a's run raised ValueError" and found.wins_a == 1


def test_the_pairwise_section_keeps_no_secret_the_judge_repeats() -> None:
    async def leaky(question: Any, first: str, second: str) -> OrderVerdict:
        raise RuntimeError("401 for key sk-live-0123456789abcdef")

    tasks = [result("t", "a", "x"), result("t", "b", "y")]
    section = judge_run_pairs(tasks, [judge(leaky)], ranking=["b"],
                              mask=lambda text: text.replace("sk-live-0123456789abcdef", "***"))
    assert section.comparisons[0].outcomes[0].error == ErrorInfo("RuntimeError", "401 for key ***")


@pytest.mark.parametrize("dist", [[], ["-n", "2"]], ids=["single", "xdist"])
def test_replaying_from_cassettes_blocks_the_pairwise_judges_live_calls_with_and_without_workers(
        http_project: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, dist: list[str]) -> None:
    pytest.importorskip("vcr", reason="needs the replay extra")
    http_project.makeconftest(CONFTEST)
    with serve() as server:
        monkeypatch.setenv("JUDGE_URL", server.url)
        result = http_project.runpytest("--eval-store=runs", "--eval-pairwise=http_judges:WEATHER",
                                        "--eval-cassettes=cassettes", *dist)
        assert not server.prompts  # nothing reached the judge
    result.assert_outcomes(passed=6)
    section = read_single_run(http_project.path / "runs")["pairwise"]
    assert section["problems"] == ["replaying (--eval-record=none): the pairwise judges' calls have no cassette, so "
                                   "their live connections are blocked unless --eval-allow-host allows the judge's "
                                   "host"]
    assert section["comparisons"][0]["errors"] == 3
    with serve() as server:
        monkeypatch.setenv("JUDGE_URL", server.url)
        allowed = http_project.runpytest("--eval-store=allowed", "--eval-pairwise=http_judges:WEATHER",
                                         "--eval-cassettes=cassettes", "--eval-allow-host=127.0.0.1", *dist)
    allowed.assert_outcomes(passed=6)
    assert read_single_run(http_project.path / "allowed")["pairwise"]["comparisons"][0]["wins_b"] == 3


def test_by_default_each_variant_meets_the_leader_in_leaderboard_order() -> None:
    tasks = [result("t", name, body) for name, body in (("a", "aa"), ("b", "b"), ("c", "ccc"))]
    section = judge_run_pairs(tasks, [judge(longer)], ranking=["c", "b", "a"])
    assert [(c.variant_a, c.variant_b, c.wins_b) for c in section.comparisons] == [("b", "c", 1), ("a", "c", 1)]
    unranked = judge_run_pairs(tasks, [judge(longer)])  # no leaderboard: the first variant seen leads
    assert [(c.variant_a, c.variant_b) for c in unranked.comparisons] == [("b", "a"), ("c", "a")]


def test_a_sync_ask_works_and_one_that_raises_before_awaiting_is_only_its_pairs_error() -> None:
    def sync(question: Any, first: str, second: str) -> str:
        if first == "bad" or second == "bad":
            raise LookupError("no such rubric")
        return "first" if len(first) > len(second) else "second"

    tasks = [result("t", "a", "long"), result("t", "b", "x"), result("u", "a", "bad"), result("u", "b", "x")]
    (found,) = judge_run_pairs(tasks, [judge(sync)], ranking=["b"]).comparisons
    assert [(o.status, o.winner) for o in found.outcomes] == [("judged", "a"), ("error", None)]
    assert found.outcomes[1].error == ErrorInfo("LookupError", "no such rubric")


@pytest.mark.parametrize(("options", "message"), [
    ({"criteria": " "}, "pairwise_judge: the criteria must be a non-empty string saying what a better answer is"),
    ({"retries": -1}, "pairwise_judge: retries must be a whole number of at least 0, not -1"),
    ({"pairs": [("a", "a")]}, "pairwise_judge: a pair compares two different variants, not (('a', 'a'),)"),
])
def test_pairwise_judge_refuses_what_cannot_judge_and_says_why(options: dict[str, Any], message: str) -> None:
    from pytest_agenteval.judges import pairwise_judge

    with pytest.raises(ValueError) as raised:
        pairwise_judge(**{"criteria": "better", "model": "test", **options})
    assert str(raised.value) == message


def test_pairwise_judge_names_its_key_after_the_criteria_and_its_model() -> None:
    from pydantic_ai.models.test import TestModel

    from pytest_agenteval.judges import pairwise_judge

    made = pairwise_judge("The answer that gives the weather.", model=TestModel())
    assert made.key.startswith("pairwise[") and len(made.key) == len("pairwise[12345678]")
    assert (made.judge, made.swap, made.pairs) == ("test:test", True, None)
    assert pairwise_judge("x", model="openai:gpt-4o-mini", key="k").judge == "openai:gpt-4o-mini"


def test_control_characters_a_judge_wrote_are_escaped_in_show_and_markdown(
        stored: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(stored.path)
    stored.makepyfile(hostile='''
from pytest_agenteval.judges import PairwiseJudge

async def ask(question, first, second):
    raise RuntimeError("\\x1b[2J\\x1b]0;owned\\x07 gone")

JUDGE = PairwiseJudge("k\\x1b[31m", ask)
''')
    assert main(["pairwise", "runs/plain.json", "--judge", "hostile:JUDGE", "-o", "runs/hostile.json"]) == 1
    judged = capsys.readouterr().out
    assert "\x1b" not in judged and "\\x1b[2J\\x1b]0;owned\\x07 gone" in judged
    for fmt in ("text", "markdown"):
        assert main(["show", "--format", fmt, "runs/hostile.json"]) == 0
        shown = capsys.readouterr().out
        assert "\x1b" not in shown and "\x07" not in shown
        assert "\\x1b[2J\\x1b]0;owned\\x07 gone" in shown and "k\\x1b[31m" in shown
