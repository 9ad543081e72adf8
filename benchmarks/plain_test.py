"""A plain parametrized pytest test doing what an eval item does: the agent call and the three scorers.

Copied into a temp project as test_plain.py; the suite comes from BENCH_SUITE.
"""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
import workload

RECORDS: list[dict[str, Any]] = [json.loads(line) for line in Path(os.environ.get("BENCH_SUITE", "suite.jsonl"))
                                 .read_text().splitlines() if line.strip()]
LOOP = asyncio.new_event_loop()
# BENCH_AGENT=ag2: the same AG2 agent and TelemetryMiddleware as the plugin runs, on a provider of its own.
AGENT: Callable[[str], Awaitable[str]] = (
    workload.ag2_call_for_plugin(workload.memory_provider()) if os.environ.get("BENCH_AGENT") == "ag2"
    else workload.agent
)


@pytest.mark.parametrize("record", RECORDS, ids=[record["task_id"] for record in RECORDS])
def test_task(record: dict[str, Any]) -> None:
    body = LOOP.run_until_complete(AGENT(record["inputs"]["input"]))
    outputs = {"body": body, "content": body, "raw": body}
    assert workload.score_all(outputs, record["reference_outputs"])
