"""Collect: which `.jsonl` files are suites (`selection`), their records (`records`), the pytest items made
from them (`items`), the fixtures those items use (`fixtures`) and the hooks of their reports (`reporting`).

Internal: the public names are re-exported by `pytest_agenteval`.
"""

__all__: list[str] = []
