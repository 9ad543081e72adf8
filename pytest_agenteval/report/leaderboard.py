"""The variants' leaderboard and paired comparisons, as the terminal and the Markdown summary show them."""

from __future__ import annotations

from pytest_agenteval.results.models import LeaderboardRow, PairedComparison, VariantsSummary

SIGNIFICANCE = 0.05
SHOWN_FLIPS = 5


def leaderboard_header(summary: VariantsSummary) -> list[str]:
    """The leaderboard's columns: rank, variant, tasks, pass rate, interval, then one per scorer key."""
    keys = scorer_keys(summary)
    return ["rank", "variant", "tasks passing", "pass rate", "95% CI", *keys]


def scorer_keys(summary: VariantsSummary) -> list[str]:
    return sorted({key for row in summary.leaderboard for key in row.scores})


def leaderboard_cells(summary: VariantsSummary) -> list[list[str]]:
    """One row of cells per variant, best first."""
    keys = scorer_keys(summary)
    return [[str(row.rank), row.variant, f"{row.passed_tasks}/{row.total_tasks}", f"{row.pass_rate:.1%}",
             f"{row.interval[0]:.1%}-{row.interval[1]:.1%}", *(score_cell(row, key) for key in keys)]
            for row in summary.leaderboard]


def score_cell(row: LeaderboardRow, key: str) -> str:
    """A pass rate as a percentage, a mean score as a number; '-' where the key never scored the variant."""
    score = row.scores.get(key)
    if score is None or score.n == 0:
        return "-"
    return f"{score.score:.1%}" if score.interval is not None else f"{score.score:.3g}"


def describe_comparison(comparison: PairedComparison) -> str:
    """`b vs a: 1 won, 3 lost of 4 paired tasks (exact McNemar p=0.62, not significant)`."""
    c = comparison
    verdict = "significant" if c.p_value < SIGNIFICANCE else "not significant"
    return (f"{c.variant} vs {c.against}: {c.only_variant} won, {c.only_against} lost, {c.both_passed} both passed, "
            f"{c.neither_passed} neither, of {c.tasks} paired tasks (exact McNemar p={c.p_value:.3g}, {verdict} at "
            f"{SIGNIFICANCE:g})")


def flipped_tasks(comparison: PairedComparison, limit: int | None = SHOWN_FLIPS) -> str:
    """The tasks only one of the two passed, `task (by variant)`; the first `limit` (None: all)."""
    flips = comparison.flips if limit is None else comparison.flips[:limit]
    shown = ", ".join(f"{flip.suite}::{flip.task_id} (by {flip.passed_by})" for flip in flips)
    more = len(comparison.flips) - len(flips)
    return shown + (f" ... and {more} more" if more else "")


def variant_lines(summary: VariantsSummary | None) -> list[str]:
    """The terminal's lines: the leaderboard as an aligned table, then each paired comparison and its flips."""
    if summary is None:
        return []
    header, rows = leaderboard_header(summary), leaderboard_cells(summary)
    widths = [max(len(cells[i]) for cells in [header, *rows]) for i in range(len(header))]
    lines = ["variants (ranked by the tasks that meet the pass policy):"]
    lines.extend("  " + "  ".join(cell.ljust(width) for cell, width in zip(cells, widths, strict=True)).rstrip()
                 for cells in [header, *rows])
    for comparison in summary.comparisons:
        lines.append(f"  {describe_comparison(comparison)}")
        if comparison.flips:
            lines.append(f"    flips: {flipped_tasks(comparison)}")
    return lines
