"""`eval_model_config` resolved per task x repeat, as AG2's `run_agent(model_config=)` takes it: None, one config
for every task, a mapping by task id (the base id for every repeat, `id#k` for one repeat), or a function
`(task) -> config`. The agent gets it on each call: AG2 `ask(config=)`, pydantic-ai `run(model=)`, or a
callable's `config` parameter.
"""

from __future__ import annotations

import inspect
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from pytest_agenteval.task import Task

SHOWN_KEYS = 5


class ModelConfigError(LookupError):
    """`eval_model_config` maps task ids to configs and has none for this task."""


def configured(task: Task, value: Any) -> Task:
    """The task with its model config (the task itself when there is none)."""
    config = config_for(value, task)
    return task if config is None else replace(task, model_config=config)


def config_for(value: Any, task: Task) -> Any:
    if value is None:
        return None
    if isinstance(value, Mapping):  # as AG2: a mapping is per task id, never one config
        for key in (f"{task.task_id}#{task.repeat}", task.task_id):
            if key in value:
                return value[key]
        keys = ", ".join(repr(key) for key in list(value)[:SHOWN_KEYS]) + (", ..." if len(value) > SHOWN_KEYS else "")
        raise ModelConfigError(f"eval_model_config has no config for task {task.task_id!r} (nor for "
                               f"{task.task_id}#{task.repeat}); it has {keys}")
    if inspect.isfunction(value) or inspect.ismethod(value):  # a config object is never a plain function
        return value(task)
    return value


def config_keywords(task: Task, name: str) -> dict[str, Any]:
    """`{name: config}` for a framework call, or nothing when the task has no model config."""
    return {} if task.model_config is None else {name: task.model_config}


def refuse_config(task: Task, what: str) -> None:
    """Agents that cannot take a config from the plugin: a task that has one is an error, never a silent drop."""
    if task.model_config is not None:
        raise TypeError(f"eval_model_config gave task {task.task_id!r} a model config, but {what} cannot take one "
                        "from the plugin: configure the agent itself")
