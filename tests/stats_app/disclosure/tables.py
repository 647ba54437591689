"""Tables for the disclosure tests, and an attacker written independently of the package.

The attacker here rebuilds its linear programs from ``Table.relations()`` with
dense matrices, so that the tests do not grade the package with its own code.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Sequence

import numpy as np
from scipy.optimize import Bounds, LinearConstraint, linprog, milp

from stats_app.disclosure import TOTAL, CellStats, Key, Policy, Table, TableDimension
from stats_app.disclosure.rounding_rules import redaction_rule, round_half_up


def keys(table: Table) -> list[Key]:
    """Every key of the table, in output order."""
    return list(table.keys())


def dimension(code: str, *categories: str, additive: bool = True) -> TableDimension:
    return TableDimension(code=code, categories=tuple(categories), additive=additive)


def matches(key: Key, categories: Sequence[Iterable[str]]) -> bool:
    """Whether a person (one set of categories per dimension) belongs to the cell ``key``."""
    return all(entry == TOTAL or entry in chosen for entry, chosen in zip(key, categories, strict=True))


def count_table(dimensions: Sequence[TableDimension], finest: dict[Key, int]) -> Table:
    """A count table additive along every dimension, margins summed from the finest cells given (others 0)."""
    table = Table(dimensions=tuple(dimensions), kind="count")
    cells = {}
    for key in keys(table):
        under = itertools.product(
            *(
                dimension.categories if entry == TOTAL else (entry,)
                for dimension, entry in zip(dimensions, key, strict=True)
            )
        )
        value = sum(finest.get(finest_key, 0) for finest_key in under)
        if value:
            cells[key] = CellStats(value=value, contributors=value)
    table.cells = cells
    return table


def persons_table(dimensions: Sequence[TableDimension], groups: Sequence[tuple[int, Sequence[Sequence[str]]]]) -> Table:
    """Distinct persons: each group is (how many identical persons, the categories they fall in per dimension).

    Along an additive dimension a person falls in one category; along another
    one (years) in several, so that margin counts each person once.
    """
    table = Table(dimensions=tuple(dimensions), kind="count")
    cells = {}
    for key in keys(table):
        value = sum(size for size, categories in groups if matches(key, categories))
        if value:
            cells[key] = CellStats(value=value, contributors=value)
    table.cells = cells
    return table


def amount_table(
    dimensions: Sequence[TableDimension], persons: Sequence[tuple[Sequence[str], int]], *, top: int = 2
) -> Table:
    """Amounts in cents: each person is (one category per dimension, what the person was paid)."""
    table = Table(dimensions=tuple(dimensions), kind="amount")
    cells = {}
    for key in keys(table):
        amounts = sorted(
            (amount for categories, amount in persons if matches(key, [[entry] for entry in categories])),
            reverse=True,
        )
        if amounts:
            cells[key] = CellStats(value=sum(amounts), contributors=len(amounts), top=tuple(amounts[:top]))
    table.cells = cells
    return table


def required_width(table: Table, key: Key, policy: Policy) -> float:
    level = policy.protection_level or policy.threshold
    if table.kind == "count":
        return level
    return max(100 * level, math.ceil(policy.p_percent * table.cell(key).value / 100))


def attacker_interval(
    table: Table, published: dict[Key, int | None], key: Key, *, equalities: bool = False
) -> tuple[float, float]:
    """The attacker's [min, max] for the suppressed cell ``key`` (max ``inf`` when unbounded).

    ``equalities=True`` treats every relation as additive: the mistake a
    protection ignoring distinct-person margins would make.
    """
    hidden = [cell for cell in keys(table) if published[cell] is None]
    column = {cell: index for index, cell in enumerate(hidden)}
    equality_rows, equality_right, inequality_rows, inequality_right = [], [], [], []

    def row(terms):
        coefficients = np.zeros(len(hidden))
        constant = 0.0
        for cell, sign in terms:
            if published[cell] is None:
                coefficients[column[cell]] += sign
            else:
                constant += sign * published[cell]
        return coefficients, -constant

    for relation in table.relations():
        members = (relation.parent, *relation.children)
        if all(published[member] is not None for member in members):
            continue
        if relation.additive or equalities:
            coefficients, right = row([(child, 1) for child in relation.children] + [(relation.parent, -1)])
            equality_rows.append(coefficients)
            equality_right.append(right)
        else:
            for child in relation.children:
                coefficients, right = row([(child, 1), (relation.parent, -1)])
                inequality_rows.append(coefficients)
                inequality_right.append(right)
            coefficients, right = row([(relation.parent, 1)] + [(child, -1) for child in relation.children])
            inequality_rows.append(coefficients)
            inequality_right.append(right)
    extremes = []
    for sign in (1.0, -1.0):
        objective = np.zeros(len(hidden))
        objective[column[key]] = sign
        result = linprog(
            objective,
            A_ub=np.array(inequality_rows) if inequality_rows else None,
            b_ub=np.array(inequality_right) if inequality_rows else None,
            A_eq=np.array(equality_rows) if equality_rows else None,
            b_eq=np.array(equality_right) if equality_rows else None,
            bounds=(0, None),
            method="highs",
        )
        if result.status == 3:
            extremes.append(math.inf)
        elif result.status == 2:
            extremes.append(math.nan)  # infeasible: the system contradicts the published values
        else:
            assert result.status == 0, result.message
            extremes.append(sign * result.fun)
    return extremes[0], extremes[1]


def width(interval: tuple[float, float]) -> float:
    return interval[1] - interval[0]


def suppressed(published: dict[Key, int | None]) -> set[Key]:
    return {key for key, value in published.items() if value is None}


def finest_keys(table: Table) -> list[Key]:
    return list(itertools.product(*(dimension.categories for dimension in table.dimensions)))


def rounding_attacker_ranges(
    table: Table,
    published: dict[Key, int | None],
    policy: Policy,
    redacted: Iterable[Key],
    *,
    secondary: bool,
    only_pinned: bool = False,
) -> dict[Key, tuple[float, float]]:
    """The integer [min, max] an attacker of suppress-then-round can be sure of, for each key of ``redacted``.

    Written apart from ``stats_app.disclosure.pinning``: what each published
    or redacted value allows is found by trying every count with the rounding
    rules themselves, and the programs have integer variables (``secondary``:
    whether extra cells, all above what the rule redacts, were hidden).
    ``only_pinned``: the minimum is left at −inf for a cell whose maximum reaches t.
    """
    cells = keys(table)
    column = {cell: index for index, cell in enumerate(cells)}
    tried = range(policy.threshold + 4 * policy.rounding_base + max(value or 0 for value in published.values()))
    rule_hides = [count for count in tried if redaction_rule(count, policy) is not None]
    lower, upper = np.zeros(len(cells)), np.full(len(cells), np.inf)
    for cell in cells:
        if is_sum_of_finest(table, cell):
            continue
        value = published[cell]
        if value is None:
            lower[column[cell]] = min(rule_hides)
            upper[column[cell]] = np.inf if secondary else max(rule_hides)
        else:
            possible = [
                count
                for count in tried
                if redaction_rule(count, policy) is None and round_half_up(count, policy.rounding_base) == value
            ]
            lower[column[cell]], upper[column[cell]] = min(possible), max(possible)
    rows, lows, highs = [], [], []

    def add(terms, low, high):
        row = np.zeros(len(cells))
        for cell, sign in terms:
            row[column[cell]] += sign
        rows.append(row)
        lows.append(low)
        highs.append(high)

    for relation in table.relations():
        if relation.additive:
            add([(child, 1) for child in relation.children] + [(relation.parent, -1)], 0, 0)
        else:
            for child in relation.children:
                add([(child, 1), (relation.parent, -1)], -np.inf, 0)
            add([(relation.parent, 1)] + [(child, -1) for child in relation.children], -np.inf, 0)
    constraints = [LinearConstraint(np.array(rows), lows, highs)]

    def extreme(key: Key, sign: float) -> float:
        objective = np.zeros(len(cells))
        objective[column[key]] = sign
        result = milp(
            objective,
            integrality=np.ones(len(cells)),
            bounds=Bounds(lower, upper),
            constraints=constraints,
        )
        if sign == -1.0 and result.status != 0:
            # The true table is feasible, so a maximum that fails is an unbounded one.
            assert result.status in (3, 4), result.message
            return math.inf
        assert result.status == 0, result.message
        return round(sign * result.fun)

    ranges = {}
    for key in redacted:
        high = extreme(key, -1.0)
        # A maximum of t or more already clears the cell; its minimum is only needed otherwise.
        low = extreme(key, 1.0) if high < policy.threshold or not only_pinned else -math.inf
        ranges[key] = (low, high)
    return ranges


def is_sum_of_finest(table: Table, key: Key) -> bool:
    """Whether suppress-then-round publishes ``key`` as the sum of the published finest cells under it."""
    totals = [index for index, entry in enumerate(key) if entry == TOTAL]
    return bool(totals) and all(table.dimensions[index].additive for index in totals)


def pinned_by_rounding(
    table: Table, published: dict[Key, int | None], policy: Policy, *, secondary: bool
) -> dict[Key, tuple[float, float]]:
    """The redacted keys the independent attacker pins inside [1, t − 1], with their ranges.

    The true table is one the attacker must allow for, so only a cell whose true
    value lies in [1, t − 1] can be pinned: the others are not solved for.
    """
    small = [key for key in suppressed(published) if 1 <= table.cell(key).value < policy.threshold]
    ranges = rounding_attacker_ranges(table, published, policy, small, secondary=secondary, only_pinned=True)
    return {key: bounds for key, bounds in ranges.items() if bounds[0] >= 1 and bounds[1] <= policy.threshold - 1}
