"""HTML report: how long a report of N tasks takes to write, and to become usable in a real browser (Debian's
chromium, headless, driven by Playwright), at 2,000 and 10,000 tasks by default.

Per size: the Python render time and file size; in the browser, the time from navigation to the table being
interactive (data decoded, rows shown: the page's own `__agentevalReady` mark), then a free-text filter over every
task, and opening a task with its trace. Targets (medians over rounds): a 2,000-task report interactive within
3 s; 10,000 tasks do not freeze it (interactive within 10 s); a filter over every task within 1 s. Tasks are the
tests' synthetic ones (tests/html_runs.py): four trace steps, two scorers, about a fifth of them failing.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

from harness import add_common_arguments, machine_line, median, print_table, spread

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from playwright.sync_api import Browser, sync_playwright

from pytest_agenteval.report.html import render_html
from tests.html_runs import synthetic_run

TARGETS = {2000: 3.0, 10000: 10.0}  # seconds to interactive
FILTER_TARGET = 1.0


def measure(browser: Browser, path: Path) -> tuple[float, float, float]:
    """(seconds to interactive, seconds for a text filter, seconds to open a task), in a fresh page."""
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    try:
        page.goto(path.as_uri())
        page.wait_for_selector("body[data-ready='1']", timeout=120_000)
        ready = page.evaluate("window.__agentevalReady") / 1000  # ms since navigation started
        started = time.perf_counter()
        page.fill("#f-text", "wrong 1")
        page.wait_for_function("() => document.getElementById('shown-count').dataset.text === 'wrong 1'")
        filtered = time.perf_counter() - started - 0.12  # the search box waits 120 ms for typing to pause
        started = time.perf_counter()
        page.locator(".task-row").first.click()
        page.wait_for_selector("#detail details.step-tool")
        opened = time.perf_counter() - started
        return ready, max(filtered, 0.0), opened
    finally:
        page.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[2000, 10000], help="tasks per report")
    parser.add_argument("--repeats", type=int, default=1, help="repeats per task (items = tasks x repeats)")
    parser.add_argument("--chromium", default="/usr/bin/chromium", help="the browser binary")
    add_common_arguments(parser, rounds=3)
    args = parser.parse_args()
    print(machine_line())
    rows, verdicts, missed = [], [], False
    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=args.chromium, args=["--no-sandbox"], headless=True)
        for size in args.sizes:
            run = synthetic_run(size, repeats=args.repeats)
            started = time.perf_counter()
            page = render_html(run)
            rendered = time.perf_counter() - started
            path = Path(tmp) / f"report-{size}.html"
            path.write_text(page, encoding="utf-8")
            results = [measure(browser, path) for _ in range(args.rounds)]
            ready, filtered, opened = ([r[i] for r in results] for i in range(3))
            target = TARGETS.get(size)
            ok = (target is None or median(ready) <= target) and median(filtered) <= FILTER_TARGET
            missed = missed or not ok
            rows.append([f"{size:,} x {args.repeats}", f"{path.stat().st_size / 1e6:.1f} MB", f"{rendered:.2f} s",
                         spread(ready, " s", 2), spread(filtered, " s", 3), spread(opened, " s", 3)])
            verdicts.append(f"{'PASS' if ok else 'MISS'} {size:,} tasks: interactive after {median(ready):.2f} s "
                            f"(target <= {target:g} s), a text filter in {median(filtered):.3f} s (target <= "
                            f"{FILTER_TARGET:g} s), medians" if target else f"{'PASS' if ok else 'MISS'} {size:,} "
                            f"tasks: a text filter in {median(filtered):.3f} s (target <= {FILTER_TARGET:g} s)")
        browser.close()
    print_table(["tasks x repeats", "file", "render (Python)", "interactive", "text filter", "open a task"], rows)
    print("\n".join(verdicts))
    return 1 if missed and args.strict else 0


if __name__ == "__main__":
    sys.exit(main())
