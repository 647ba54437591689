"""Primary suppression: the cells that may not be published, whatever else is.

Each rule is a plain predicate on one cell, so that the audit can re-run them on
every published cell. All arithmetic is on integers: a cell exactly at a rule's
limit is decided without rounding error.
"""

from __future__ import annotations

from stats_app.disclosure.table import CellStats, Policy, ValueKind

#: The rules in the order they are tried; a cell caught by several counts for the first.
COUNT_RULES = ("threshold", "zeros")
AMOUNT_RULES = ("threshold", "zeros", "dominance", "p_percent")
SECONDARY = "secondary"


def is_below_threshold(count: int, policy: Policy) -> bool:
    """A count of 1 to threshold − 1 (persons, or contributors to an amount) may point at someone."""
    return 1 <= count < policy.threshold


def is_hidden_zero(stats: CellStats, policy: Policy) -> bool:
    """An empty cell, when the dataset does not publish zeros."""
    return not policy.publish_zeros and stats.value == 0 and stats.contributors == 0


def is_dominated(stats: CellStats, policy: Policy) -> bool:
    """(n, k) dominance: the ``dominance_n`` largest contributions exceed k % of the cell."""
    largest = sum(stats.top[: policy.dominance_n])
    return stats.value > 0 and 100 * largest > policy.dominance_k * stats.value


def fails_p_percent(stats: CellStats, policy: Policy) -> bool:
    """p % rule: the second largest contributor could estimate the largest within p %.

    What the others contribute, value − x1 − x2, is what hides x1 from x2; it
    must be at least p % of x1.
    """
    if stats.value <= 0:
        return False
    first = stats.top[0] if stats.top else 0
    second = stats.top[1] if len(stats.top) > 1 else 0
    return 100 * (stats.value - first - second) < policy.p_percent * first


def primary_rule(stats: CellStats, kind: ValueKind, policy: Policy) -> str | None:
    """The first rule that forbids publishing this cell, or ``None`` when it may be published."""
    if kind == "count":
        if is_below_threshold(stats.value, policy):
            return "threshold"
        if not policy.publish_zeros and stats.value == 0:
            return "zeros"
        return None
    if is_below_threshold(stats.contributors, policy):
        return "threshold"
    if is_hidden_zero(stats, policy):
        return "zeros"
    if is_dominated(stats, policy):
        return "dominance"
    if fails_p_percent(stats, policy):
        return "p_percent"
    return None


def rules_for(kind: ValueKind) -> tuple[str, ...]:
    return COUNT_RULES if kind == "count" else AMOUNT_RULES
