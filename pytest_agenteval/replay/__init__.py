"""Record and replay of agents' HTTP calls, one cassette per task x repeat (needs the `replay` extra: vcrpy).

`cassettes` says where each task's cassette lives and what happened to it; `router` is what vcrpy's patched
clients talk to, routing each request to the cassette of the task it belongs to; `guard` blocks the
connections no cassette covers; `readable` is the cassette file format.
"""

from pytest_agenteval.replay.cassettes import CassetteMissError

__all__ = ["CassetteMissError"]
