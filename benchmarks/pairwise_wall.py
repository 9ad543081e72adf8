"""How long pairwise judging adds at the end of a session: `judge_run_pairs` over 100 tasks x 2 variants with a judge
whose every call takes 50 ms (an I/O-bound model call), at several `--eval-concurrency` values. Both orders of a pair
are asked at once, so a pair takes one call's time; the ideal is ceil(pairs / concurrency) x 50 ms.

    python benchmarks/pairwise_wall.py
"""

from __future__ import annotations

import asyncio
import math
import time
from typing import Any

from pytest_agenteval.judges.pairwise import OrderVerdict, PairwiseJudge
from pytest_agenteval.judges.variant_pairs import judge_run_pairs
from pytest_agenteval.results.models import TaskResult

TASKS, LATENCY = 100, 0.05


async def slow_longer(question: Any, first: str, second: str) -> OrderVerdict:
    await asyncio.sleep(LATENCY)
    return OrderVerdict("first" if len(first) > len(second) else "second" if len(second) > len(first) else "tie")


def results() -> list[TaskResult]:
    return [TaskResult(task_id=f"t{i}#1", base_task_id=f"t{i}", inputs={"input": f"q{i}"}, suite="s.jsonl", line=i,
                       node_id=f"s.jsonl::t{i}[{variant}]", verdict="passed", variant=variant,
                       outputs={"body": "a long answer" if variant == "good" else "short"})
            for i in range(1, TASKS + 1) for variant in ("good", "terse")]


def main() -> None:
    tasks = results()
    judge = PairwiseJudge("longer", slow_longer)
    print(f"{TASKS} pairs, both orders each ({2 * TASKS} judge calls of {LATENCY * 1000:.0f} ms)")
    for concurrency in (1, 4, 16):
        started = time.perf_counter()
        section = judge_run_pairs(tasks, [judge], ranking=["good"], concurrency=concurrency)
        took = time.perf_counter() - started
        ideal = math.ceil(TASKS / concurrency) * LATENCY
        assert section.comparisons[0].wins_b == TASKS
        print(f"  concurrency {concurrency:>2}: {took:6.2f} s (ideal {ideal:5.2f} s, x{took / ideal:.2f}; sequential "
              f"calls would take {2 * TASKS * LATENCY:.1f} s)")


if __name__ == "__main__":
    main()
