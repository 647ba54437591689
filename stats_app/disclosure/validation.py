"""Refuse what cannot be protected: a policy out of range, or a table that contradicts itself.

The attacker's linear programs assume that the warehouse values satisfy the
table's own relations; a table that does not (a margin smaller than one of its
parts, a negative count) is a bug upstream, and protecting it would prove
nothing.
"""

from __future__ import annotations

from typing import get_args

from stats_app.disclosure.errors import DisclosureError
from stats_app.disclosure.lattice import Lattice
from stats_app.disclosure.table import TOTAL, Method, Policy, Table, ValueKind


def validate_policy(policy: Policy) -> None:
    if policy.method not in get_args(Method):
        raise DisclosureError(f"Unknown disclosure method {policy.method!r}.")
    if policy.threshold < 1:
        raise DisclosureError("The threshold must be at least 1.")
    if policy.protection_level is not None and policy.protection_level < 0:
        raise DisclosureError("The protection level cannot be negative.")
    if policy.rounding_base < 1:
        raise DisclosureError("The rounding base must be at least 1.")
    if policy.dominance_n < 1 or not 0 <= policy.dominance_k <= 100:
        raise DisclosureError("Dominance needs n >= 1 and k between 0 and 100.")
    if not 0 <= policy.p_percent <= 100:
        raise DisclosureError("The p % rule needs p between 0 and 100.")


def validate_table(table: Table, lattice: Lattice, policy: Policy) -> None:
    if table.kind not in get_args(ValueKind):
        raise DisclosureError(f"Unknown value kind {table.kind!r}.")
    for dimension in table.dimensions:
        categories = dimension.categories
        if not categories or TOTAL in categories or len(set(categories)) != len(categories):
            raise DisclosureError(f"Dimension {dimension.code!r} needs distinct categories other than {TOTAL!r}.")
    unknown = [key for key in table.cells if key not in lattice.number]
    if unknown:
        raise DisclosureError(f"{len(unknown)} cells have keys outside the table, e.g. {unknown[0]!r}.")
    top_needed = max(policy.dominance_n, 2)
    for key, stats in zip(lattice.keys, lattice.stats, strict=True):
        if stats.value < 0 or stats.contributors < 0 or any(share < 0 for share in stats.top):
            raise DisclosureError(f"Cell {key!r} has a negative value, contributor count or contribution.")
        if table.kind != "amount":
            continue
        if stats.value > 0 and stats.contributors == 0:
            raise DisclosureError(f"Cell {key!r} has an amount but no contributor.")
        if list(stats.top) != sorted(stats.top, reverse=True) or sum(stats.top) > stats.value:
            raise DisclosureError(f"Cell {key!r}: the top contributions must be descending and within the value.")
        if len(stats.top) > stats.contributors:
            raise DisclosureError(f"Cell {key!r} has more top contributions than contributors.")
        if stats.value > 0 and len(stats.top) < min(stats.contributors, top_needed):
            # Without them the dominance rules cannot run, and a dominated cell would be published.
            raise DisclosureError(f"Cell {key!r} lacks its {top_needed} largest contributions.")
    values = lattice.values
    for link in lattice.links:
        parts = [values[child] for child in link.children]
        parent = values[link.parent]
        if link.additive and parent != sum(parts):
            raise DisclosureError(f"Margin {lattice.keys[link.parent]!r} is not the sum of its parts.")
        if not link.additive and not max(parts) <= parent <= sum(parts):
            raise DisclosureError(f"Margin {lattice.keys[link.parent]!r} lies outside [largest part, sum of parts].")
