"""Remake the README's screenshots of the HTML report from a real run: the example suites run by pytest with
`--eval-html`, then the report opened in Debian's chromium (headless, through Playwright).

    python docs/make_screenshot.py            # writes docs/images/html-report.png and html-report-task.png
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parent.parent
IMAGES = ROOT / "docs" / "images"


def run_example_suites(work: Path) -> Path:
    """The README's main command, with repeats and the report: one task misses on purpose, the gate tolerates it."""
    report = work / "report.html"
    subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:randomly",
                    "--eval-suite=example_suites/weather.jsonl", "--eval-suite=example_suites/qa.jsonl",
                    f"--eval-store={work / 'runs'}", "--eval-repeats=3", "--eval-fail-under=0.9",
                    "--eval-label=example agents", f"--eval-html={report}"], cwd=ROOT, check=True,
                   stdout=subprocess.DEVNULL)
    return report


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    parser.add_argument("--out", type=Path, default=IMAGES)
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as playwright:
        report = run_example_suites(Path(tmp))
        browser = playwright.chromium.launch(executable_path=args.chromium, args=["--no-sandbox"], headless=True)
        page = browser.new_page(viewport={"width": 1280, "height": 1000}, color_scheme="light")
        page.goto(report.as_uri())
        page.wait_for_selector("body[data-ready='1']")
        page.screenshot(path=args.out / "html-report.png", full_page=True)
        page.select_option("#f-tag", "tools")
        page.locator(".task-row", has_text="weather-oslo-fahrenheit").click()
        page.locator("#detail .tab", has_text="r2").click()
        page.locator("#detail h3", has_text="Scorers").evaluate("h => h.scrollIntoView({block: 'start'})")
        page.screenshot(path=args.out / "html-report-task.png")
        browser.close()
    print(f"written: {args.out / 'html-report.png'}, {args.out / 'html-report-task.png'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
