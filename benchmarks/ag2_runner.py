"""Runs `ag2.eval.run_agent` on a suite with the workload's AG2 agent and scorers; prints timing as JSON.

Copied into a temp project. `--import-only` imports the same modules and exits: the startup baseline.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time

import workload
from ag2.eval import Suite, run_agent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("suite", nargs="?", default="suite.jsonl")
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--import-only", action="store_true")
    parser.add_argument("--model-config", action="store_true",
                        help="a bare Agent and one scripted config per task id (model_config=)")
    args = parser.parse_args()
    if args.import_only:
        print(json.dumps({"seconds": 0.0}))
        return
    started = time.perf_counter()
    suite = Suite.from_jsonl(args.suite)
    if args.model_config:
        from ag2 import Agent

        configs = workload.ag2_model_configs(task.task_id for task in suite)
        run = run_agent(suite, agent=Agent("bench"), scorers=workload.ag2_scorers(), model_config=configs,
                        concurrency=args.concurrency)
    else:
        run = run_agent(suite, agent=workload.ag2_agent(), scorers=workload.ag2_scorers(),
                        concurrency=args.concurrency)
    result = asyncio.run(run)
    elapsed = time.perf_counter() - started
    passed = sum(all(fb.score is True for fb in task.feedback) for task in result.tasks)
    print(json.dumps({"seconds": elapsed, "tasks": len(result.tasks), "passed": passed}))


if __name__ == "__main__":
    main()
