"""The rounding rule's primitives: the rounding itself, what it redacts, and which margins it sums.

A leaf of ``disclosure``: ``rounding`` (the policies) and ``pinning`` (their attacker) both read it.
"""

from __future__ import annotations

from itertools import product

from stats_app.disclosure.table import TOTAL, Key, Policy, Table


def round_half_up(value: int, base: int) -> int:
    """The nearest multiple of ``base``; halfway goes up (12.5 → 15 with base 5)."""
    return (2 * value + base) // (2 * base) * base


def redaction_rule(value: int, policy: Policy) -> str | None:
    """Why suppress-then-round redacts this count, or ``None`` when it publishes it rounded.

    A count whose rounded value would itself be 1..t (6 or 7 → 5 with t = 5)
    is redacted too, so that no published count lies in [1, t].
    """
    if value == 0:
        return None if policy.publish_zeros else "zeros"
    if value <= policy.threshold:
        return "threshold"
    if round_half_up(value, policy.rounding_base) <= policy.threshold:
        return "rounding"
    return None


def is_summed_margin(table: Table, key: Key) -> bool:
    """Whether suppress-then-round publishes this key as the sum of its published finest cells.

    True for a margin whose every ``TOTAL`` position is along an additive
    dimension; a distinct-person margin across years is no such sum, and is
    published as its own rounded value.
    """
    totals = [index for index, entry in enumerate(key) if entry == TOTAL]
    return bool(totals) and all(table.dimensions[index].additive for index in totals)


def finest_under(table: Table, key: Key) -> list[Key]:
    """The finest cells (no ``TOTAL``) a margin adds up."""
    axes = [
        dimension.categories if entry == TOTAL else (entry,)
        for dimension, entry in zip(table.dimensions, key, strict=True)
    ]
    return list(product(*axes))
