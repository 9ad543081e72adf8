"""What the plugin costs a session that collects no suite: the import of `pytest_agenteval.plugin` (measured
with `python -X importtime`, pytest and pytest-asyncio already loaded), and the wall time of a session of
plain tests with the plugin against the same session with the plugin disabled (`-p no:agenteval`).
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys

from harness import (
    Verdicts,
    add_common_arguments,
    machine_line,
    median,
    per_round,
    print_table,
    pytest_args,
    run_child,
    run_rounds,
    seconds,
    temp_project,
)

MAX_SESSION_RATIO = 1.05  # a session without suites pays nothing measurable
IMPORT_LINE = re.compile(r"import time:\s+(\d+) \|\s+(\d+) \|(\s*)(\S+)")
PLAIN_TESTS = "".join(f"def test_{index}():\n    assert {index} == {index}\n\n" for index in range(50))


def plugin_import_ms() -> tuple[float, list[tuple[str, float]]]:
    """Cumulative import time of the plugin module, and its five costliest modules (self time), in ms."""
    code = "import pytest, pytest_asyncio; import pytest_agenteval.plugin"
    stderr = subprocess.run([sys.executable, "-X", "importtime", "-c", code], capture_output=True, text=True,
                            check=True).stderr
    lines = [(match[4], int(match[1]) / 1000, int(match[2]) / 1000)
             for match in map(IMPORT_LINE.match, stderr.splitlines()) if match]
    start = max(index for index, (name, _, _) in enumerate(lines) if name == "pytest_asyncio")
    ours = lines[start + 1:]
    total = next(cumulative for name, _, cumulative in ours if name == "pytest_agenteval.plugin")
    costliest = sorted(((name, own) for name, own, _ in ours), key=lambda pair: -pair[1])[:5]
    return total, costliest


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    add_common_arguments(parser, rounds=9)
    args = parser.parse_args(argv)
    print(machine_line())
    imports = [plugin_import_ms() for _ in range(args.rounds)]
    import_ms = median([total for total, _ in imports])
    with temp_project("import", args.keep) as root:
        (root / "test_plain.py").write_text(PLAIN_TESTS)
        cases = {
            "plain tests, plugin loaded": lambda: run_child(pytest_args("test_plain.py"), root),
            "plain tests, plugin disabled": lambda: run_child(pytest_args("test_plain.py", "-p", "no:agenteval"),
                                                              root),
        }
        runs = run_rounds(cases, args.rounds)
    walls = {name: [run.wall_s for run in each] for name, each in runs.items()}
    ratio = per_round(runs, lambda r: r["plain tests, plugin loaded"].wall_s / r["plain tests, plugin disabled"].wall_s)
    print_table(["session (50 plain tests, no suite)", "min s", "median s"],
                [[name, seconds(min(values)), seconds(median(values))] for name, values in walls.items()])
    print(f"import of pytest_agenteval.plugin: {import_ms:.1f} ms (median of {args.rounds}; "
          "after pytest and pytest-asyncio)")
    print("costliest modules (self ms): " + ", ".join(f"{name} {own:.1f}" for name, own in imports[0][1]))
    verdicts = Verdicts()
    verdicts.check("session without suites, plugin loaded / disabled", ratio, MAX_SESSION_RATIO, "x")
    return verdicts.exit_code(args.strict)


if __name__ == "__main__":
    sys.exit(main())
