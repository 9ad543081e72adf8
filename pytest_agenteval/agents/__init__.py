"""Agents: anything users hand over (a callable, an object with `ask`/`run`/`ainvoke`/`invoke`, a framework
agent) becomes one `async call(task)`. `calls` adapts, `frameworks` lists the framework adapters, one per file.

Internal: framework modules are imported only when an adapter binds.
"""

__all__: list[str] = []
