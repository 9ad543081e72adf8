"""Gates: option values (`spec`), judging them over task verdicts (`rules`), the controller's judge with its
baseline (`keeper`), the per-process policy that reports tolerated misses as xfail (`tolerance`), and merging
CI shards into one judged run (`merge`).

Internal: `spec` is standard library only, so options can be read at configure time.
"""

__all__: list[str] = []
