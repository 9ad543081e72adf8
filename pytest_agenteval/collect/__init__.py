"""Collect: which `.jsonl` files are suites (`selection`), reading them safely (`suite_file`), their records
(`records`), node names for task ids (`names`), the pytest items made from them (`items`), the fixtures
those items use (`fixtures`), the hooks of their reports (`reporting`) and what a resumed run skips (`resume`).

Internal: the public names are re-exported by `pytest_agenteval`.
"""

__all__: list[str] = []
