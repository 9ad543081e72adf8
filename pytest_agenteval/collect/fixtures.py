"""The plugin's fixtures. `eval_agent`, `eval_scorers`, `eval_budgets` and `eval_span_conventions` are defaults
a conftest.py overrides; `eval_task` and `eval_tracer_provider` are provided for those overrides to use.

Light at import (the plugin module imports this one): the engine is imported inside the fixtures.
"""

from __future__ import annotations

import asyncio
import importlib
import sys
from collections.abc import AsyncIterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import pytest
import pytest_asyncio

from pytest_agenteval.budgets import Budgets
from pytest_agenteval.config import read_options
from pytest_agenteval.keys import HOST_KEY

if TYPE_CHECKING:
    from pytest_agenteval.task import Task
    from pytest_agenteval.tracing.conventions import SpanConvention


def import_object(spec: str, option: str, config: pytest.Config) -> Any:
    """Import `package.module:attribute`, with the rootdir importable (as for conftest.py files) meanwhile."""
    module_name, _, attribute = spec.partition(":")
    root = str(config.rootpath)
    added = root not in sys.path
    if added:
        sys.path.insert(0, root)
    try:
        target: Any = importlib.import_module(module_name)
        for part in attribute.split("."):
            target = getattr(target, part)
    except (ImportError, AttributeError) as exc:
        pytest.fail(f"{option}={spec}: cannot import it: {type(exc).__name__}: {exc}", pytrace=False)
    finally:
        if added and root in sys.path:
            sys.path.remove(root)
    return target


@pytest.fixture(scope="session")
def eval_agent(request: pytest.FixtureRequest) -> Any:
    """The agent under evaluation; define this fixture in conftest.py, or pass --eval-agent=MOD:ATTR."""
    spec = read_options(request.config).agent
    if spec is None:
        variants = request.getfixturevalue("eval_variants")
        if variants:
            names = ", ".join(map(repr, variants)) if isinstance(variants, Mapping) else repr(variants)
            pytest.fail(f"eval_variants gives {names}, but no variant is named for this run, so the plugin does not "
                        "know them when it collects: list them under eval_variants in the ini file (one per line) "
                        "or pass --eval-variant NAME for each", pytrace=False)
        pytest.fail("no agent to evaluate: define an `eval_agent` fixture in conftest.py "
                    "or pass --eval-agent=package.module:attribute", pytrace=False)
    return import_object(spec, "--eval-agent", request.config)


@pytest.fixture(scope="session")
def eval_variants() -> Mapping[str, Any] | None:
    """Agents to compare, `{name: agent}`; each task runs once per variant named by `--eval-variant` or the ini's
    `eval_variants` (names must be known when items are collected). Override it session-scoped in conftest.py."""
    return None


@pytest.fixture(scope="session")
def eval_scorers(request: pytest.FixtureRequest) -> Any:
    """Scorers applied to every task: from --eval-scorers=MOD:ATTR, else none. Override in conftest.py."""
    spec = read_options(request.config).scorers
    return [] if spec is None else import_object(spec, "--eval-scorers", request.config)


@pytest.fixture(scope="session")
def eval_budgets(request: pytest.FixtureRequest) -> Budgets:
    """Per-task budgets from --eval-max-tokens/-seconds/-cost; override to return Budgets or a dict."""
    return read_options(request.config).budgets


@pytest.fixture(scope="session")
def eval_model_config() -> Any:
    """The model config each agent call gets (AG2 `ask(config=)`, pydantic-ai `run(model=)`, or a callable's
    `config` parameter): None (the default), one config, a mapping by task id (`id#k` for one repeat), or a
    function `(task) -> config`. Override it session-scoped, so calls still start ahead of their items."""
    return None


@pytest.fixture(scope="session")
def eval_span_conventions() -> Sequence[SpanConvention]:
    """Extra span conventions (your own `SpanConvention`s), tried before the built-in GenAI and OpenInference
    readers; override in conftest.py to read spans of an in-house dialect."""
    return ()


@pytest.fixture
def eval_task(request: pytest.FixtureRequest) -> Task:
    """The task the current item runs (its repeat included), for per-task agents or model configs."""
    from pytest_agenteval.collect.items import EvalItem

    if not isinstance(request.node, EvalItem):
        pytest.fail("eval_task is only available to items collected from eval suites", pytrace=False)
    return request.node.task


@pytest.fixture(scope="session")
def eval_tracer_provider(request: pytest.FixtureRequest) -> Any:
    """The OpenTelemetry TracerProvider the plugin listens on, for frameworks that take one explicitly."""
    return request.config.stash[HOST_KEY].runtime_for(request).tracer.provider


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def agenteval_event_loop(request: pytest.FixtureRequest) -> AsyncIterator[asyncio.AbstractEventLoop]:
    """pytest-asyncio's session loop, on which agent calls run; pending calls are cancelled at the end."""
    yield asyncio.get_running_loop()
    await request.config.stash[HOST_KEY].cancel_pending()
