"""Every stash key of the plugin, in one place: what each process keeps on its `pytest.Config` or items,
and the attributes its reports carry.

The keyed types are imported for type checking only, so importing this module imports none of them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from pytest_agenteval.collect.selection import SuiteSelection
    from pytest_agenteval.config import EvalOptions
    from pytest_agenteval.publish import RunPublisher
    from pytest_agenteval.recorder import RunRecorder
    from pytest_agenteval.results.models import TaskResult
    from pytest_agenteval.run.host import RuntimeHost
    from pytest_agenteval.run.worker_queue import QueuePeek

# On the config, in every process.
OPTIONS_KEY: pytest.StashKey[EvalOptions] = pytest.StashKey()
RUN_ID_KEY: pytest.StashKey[str] = pytest.StashKey()  # an xdist worker's run id, received from the controller
SELECTION_KEY: pytest.StashKey[SuiteSelection] = pytest.StashKey()
HOST_KEY: pytest.StashKey[RuntimeHost] = pytest.StashKey()
ORDER_KEY: pytest.StashKey[dict[str, int]] = pytest.StashKey()  # node id -> position in the session's items
SCANNED_KEY: pytest.StashKey[int] = pytest.StashKey()  # the last position whose item was offered for prefetch
SEQUENTIAL_WARNED_KEY: pytest.StashKey[bool] = pytest.StashKey()
QUEUE_PEEK_KEY: pytest.StashKey[QueuePeek | None] = pytest.StashKey()  # how an xdist worker reads its queue

# On the config, on the controller (or the single process) only.
RECORDER_KEY: pytest.StashKey[RunRecorder] = pytest.StashKey()
PUBLISHER_KEY: pytest.StashKey[RunPublisher] = pytest.StashKey()

# On an item.
RESULT_KEY: pytest.StashKey[TaskResult] = pytest.StashKey()  # the item's result, until its report carries it
CANDIDATE_KEY: pytest.StashKey[Any] = pytest.StashKey()  # the agent definition an item may be prefetched with

# On a report: data that survives xdist's serialization to the controller.
REPORT_ATTR = "agenteval_result"  # an eval item's result: its JSON text (from a worker) or the TaskResult itself
RECORD_ERROR_ATTR = "agenteval_record_error"  # an invalid suite line's message

# In xdist's `workerinput`: what the controller tells each worker.
INFLIGHT_DIR = "agenteval_inflight_dir"  # where workers log their agent calls in flight
SUSPECTS = "agenteval_suspects"  # items that run alone: a worker died while they may have been running
