"""Tables for the disclosure tests, and an attacker written independently of the package.

The attacker here rebuilds its linear programs from ``Table.relations()`` with
dense matrices, so that the tests do not grade the package with its own code.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Sequence

import numpy as np
from scipy.optimize import linprog

from stats_app.disclosure import TOTAL, CellStats, Key, Policy, Table, TableDimension


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
