"""The run's pairwise comparisons (`RunResult.pairwise`), as the terminal and the Markdown summary show them.
Plain text; the callers escape control characters (`printable`) as for every other line."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from pytest_agenteval.results.pairwise_models import OrderRecord, PairOutcome, PairwiseComparison, PairwiseSection

SHOWN_OUTCOMES = 5  # errors and not-compared tasks listed per comparison in the short terminal summary
REASON_CHARS = 200
# How the Markdown summary draws a table (`markdown.table`, which imports this module): header, rows -> lines.
Table = Callable[[Sequence[object], Sequence[Sequence[object]]], list[str]]


def pair_name(comparison: PairwiseComparison, outcome: PairOutcome) -> str:
    """`suite::task`, with `#k` when the comparison paired repeats."""
    repeats = any(each.repeat > 1 for each in comparison.outcomes)
    return f"{outcome.suite}::{outcome.task_id}" + (f"#{outcome.repeat}" if repeats else "")


def describe_pairwise(c: PairwiseComparison) -> str:
    """`mini vs gpt-4o by helpful: mini won 1, gpt-4o won 3, 2 ties of 6 pairs; mini's win rate 25.0% ...`."""
    if c.problem is not None:
        return f"{c.variant_a} vs {c.variant_b} by {c.key}: not compared, {c.problem}"
    text = (f"{c.variant_a} vs {c.variant_b} by {c.key} (judge {c.judge}): {c.variant_a} won {c.wins_a}, "
            f"{c.variant_b} won {c.wins_b}, {c.ties} ties, of {c.pairs} pairs judged")
    if c.win_rate is None or c.interval is None:
        return f"{text}; no pair decided, so no win rate"
    decided = c.wins_a + c.wins_b
    return (f"{text}; {c.variant_a}'s win rate {c.win_rate:.1%} [95% CI {c.interval[0]:.1%}-{c.interval[1]:.1%}] "
            f"over {decided} decided")


def bias_line(c: PairwiseComparison) -> str:
    """The position-bias measure: how often the two orders disagreed."""
    if not c.swap:
        return "position bias not measured (swap=False: each pair judged once, A shown first)"
    first = (f"; the answer shown first was picked in {c.shown_first_rate:.1%} of {c.decisive_verdicts} decisive "
             "verdicts (50%: no position bias)" if c.shown_first_rate is not None else "")
    return f"flips (the two orders disagreed, so a tie): {c.flips} of {c.pairs} pairs{first}"


def listed(c: PairwiseComparison, status: str, limit: int | None) -> str:
    """The pairs with `status`, with the error or the reason, the first `limit` (None: all)."""
    found = [o for o in c.outcomes if o.status == status]
    shown = found if limit is None else found[:limit]
    text = ", ".join(f"{pair_name(c, o)} ({why(o)})" for o in shown)
    return text + (f" ... and {len(found) - len(shown)} more" if len(found) > len(shown) else "")


def why(outcome: PairOutcome) -> str:
    if outcome.error is not None:
        return f"{outcome.error.type}: {outcome.error.message}"[:REASON_CHARS]
    return outcome.reason or ""


def spent_line(section: PairwiseSection) -> str | None:
    """What the pairwise judges spent together; None when nothing was counted."""
    tokens = section.tokens
    if not tokens.total and section.cost is None:
        return None
    priced = f", cost {section.cost:.6g}" if section.cost is not None else ", cost unknown (no price for its model)"
    return (f"pairwise judges, apart from the agents' and the per-task judges' totals: tokens input={tokens.input} "
            f"output={tokens.output} total={tokens.total}{priced}")


def pairwise_lines(section: PairwiseSection | None, *, full: bool = False) -> list[str]:
    """The terminal's lines: each comparison, its flips, its errors and the tasks it could not compare."""
    if section is None:
        return []
    limit = None if full else SHOWN_OUTCOMES
    lines = ["pairwise (each task's two outputs judged in both orders; a win only when both orders agree):"]
    lines.extend(f"  {problem}" for problem in section.problems)
    for c in section.comparisons:
        lines.append(f"  {describe_pairwise(c)}")
        if c.problem is not None:
            continue
        lines.append(f"    {bias_line(c)}")
        if c.errors:
            lines.append(f"    judge errors: {c.errors}: {listed(c, 'error', limit)}")
        if c.not_compared:
            lines.append(f"    not compared: {c.not_compared}: {listed(c, 'not_compared', limit)}")
    spent = spent_line(section)
    return lines + ([f"  {spent}"] if spent else [])


def outcome_cells(c: PairwiseComparison, outcome: PairOutcome) -> list[str]:
    """task, outcome, what each order said, and why (the reasons, the error, or why it was not compared)."""
    result = {"judged": {"a": f"{c.variant_a} won", "b": f"{c.variant_b} won", "tie": "tie"}.get(
        outcome.winner or "", "tie"), "error": "error", "not_compared": "not compared"}[outcome.status]
    result += " (flip)" if outcome.flipped else ""
    picked = [picked_variant(c, order, a_shown_first) for order, a_shown_first in ((outcome.a_first, True),
                                                                                  (outcome.b_first, False))]
    reasons = "; ".join(f"{shown} first: {order.reason}" for shown, order in (("A", outcome.a_first),
                                                                              ("B", outcome.b_first))
                        if order is not None and order.reason)
    return [pair_name(c, outcome), result, *picked, (why(outcome) or reasons)[:REASON_CHARS]]


def picked_variant(c: PairwiseComparison, order: OrderRecord | None, a_shown_first: bool) -> str:
    """The variant one order's verdict picked (its position translated), "tie", or "-" when it has none."""
    if order is None:
        return "-"
    if order.better == "tie":
        return "tie"
    return c.variant_a if (order.better == "first") == a_shown_first else c.variant_b


def pairwise_markdown(section: PairwiseSection | None, table: Table) -> list[str]:
    """The comparisons as one table, then each comparison's pairs folded into <details>."""
    if section is None:
        return []
    lines = ["### Pairwise comparisons", "", "Each task's outputs of two variants, judged in both orders: a win only "
             "when both orders agree, a flip (a tie) when they disagree, which measures the judge's position bias; "
             "the win rate is A's share of the decided pairs.", ""]
    lines.extend([*(f"- {problem}" for problem in section.problems), ""] if section.problems else [])
    rows = [[f"{c.variant_a} vs {c.variant_b}", c.key, c.judge, c.pairs, c.wins_a, c.wins_b, c.ties,
             c.flips if c.swap else "not measured",
             "-" if c.shown_first_rate is None or not c.swap else f"{c.shown_first_rate:.1%}", c.errors, c.not_compared,
             "-" if c.win_rate is None else f"{c.win_rate:.1%}",
             "-" if c.interval is None else f"{c.interval[0]:.1%}-{c.interval[1]:.1%}"]
            for c in section.comparisons if c.problem is None]
    if rows:
        lines.extend(table(["A vs B", "key", "judge", "pairs", "A won", "B won", "ties", "flips", "shown first picked",
                            "errors", "not compared", "A's win rate", "95% CI"], rows))
    for c in section.comparisons:
        if c.problem is not None:
            lines.extend([f"- {describe_pairwise(c)}", ""])
            continue
        header = ["task", "outcome", "picked, A shown first", "picked, B shown first", "why"]
        lines.extend([f"<details><summary>{c.variant_a} vs {c.variant_b} by {c.key}: {len(c.outcomes)} tasks"
                      "</summary>", "", *table(header, [outcome_cells(c, o) for o in c.outcomes]), "</details>", ""])
    spent = spent_line(section)
    return lines + ([f"{spent[0].upper()}{spent[1:]}.", ""] if spent else [])
