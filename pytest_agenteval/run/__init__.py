"""Run: the per-process runtime that runs agent calls concurrently (`runtime`, owned by `host`), which items
may start early (`prefetch`, `worker_queue`), output routing (`isolation`) and grading one task (`grade`).

Internal: imports no collect stage; the items in `collect` drive it.
"""

__all__: list[str] = []
