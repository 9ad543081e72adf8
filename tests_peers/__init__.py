"""Eval suites under the common peer pytest plugins, each driven for real (installed by the `peers` extra; run
apart from the main suite: `pytest tests_peers -p no:randomly`)."""
