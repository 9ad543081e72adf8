"""`python -m pytest_agenteval`: the `agenteval` command."""

from __future__ import annotations

import sys

from pytest_agenteval.cli import main

if __name__ == "__main__":
    sys.exit(main())
