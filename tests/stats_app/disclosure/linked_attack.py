"""Microdata, tables computed from it, and the attacker who holds every released table: written for the tests.

The attacker here is built from the microdata's structure, not from the
package's joint lattice, so that the tests do not grade the package with its
own code:

- **events** (additive): the unknowns are the *atoms*, the finest cells over
  every dimension of the dataset. Every published cell of every table is the
  sum of its atoms; atoms are non-negative. This program is exact: any other
  reasoning about published sums is a consequence of it.
- **distinct persons**: one unknown per population that any table shows, or
  that the test asks about. The attacker knows the published values,
  that a population never counts more persons than a population containing it
  (along any number of dimensions), that a population counts at most the persons
  of parts that cover it, exactly their sum along sex (each person has one),
  and that persons never exceed events of the same population.

A target is a population the attacker wants to count: a cell of some table, a
finest cell, or, for persons, the persons of one population with nothing in a
nested one (``exclusive``).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from scipy.optimize import linprog

from stats_app.disclosure import TOTAL, CellStats, Key, Table, TableDimension
from stats_app.disclosure.linked import LinkedTable

Population = tuple[tuple[str, frozenset[str]], ...]


@dataclass(frozen=True)
class Event:
    person: int
    categories: Mapping[str, str]  # dimension -> category


@dataclass
class Microdata:
    universe: dict[str, tuple[str, ...]]  # every dimension of the dataset, in catalogue order
    events: list[Event]
    #: Dimensions along which each person has a single category (sex).
    partitions: frozenset[str] = frozenset({"sex"})

    def population(self, sets: Mapping[str, Iterable[str]]) -> Population:
        return tuple(
            (code, frozenset(sets.get(code, categories))) for code, categories in sorted(self.universe.items())
        )

    def count(self, population: Population, measure: str) -> int:
        inside = [event for event in self.events if all(event.categories[code] in s for code, s in population)]
        return len({event.person for event in inside}) if measure == "distinct_persons" else len(inside)

    def table(self, dimensions: Sequence[str], measure: str, filters: Mapping[str, Sequence[str]] | None = None):
        """The table of ``measure`` by ``dimensions`` (domains: the filter, or every category), with margins."""
        filters = filters or {}
        table_dimensions = tuple(
            TableDimension(
                code=code,
                categories=tuple(filters.get(code, self.universe[code])),
                additive=measure != "distinct_persons" or code in self.partitions,
            )
            for code in dimensions
        )
        table = Table(dimensions=table_dimensions, kind="count")
        cells = {}
        for key in table.keys():  # noqa: SIM118 (a Table, not a dict)
            value = self.count(self.cell_population(table_dimensions, key), measure)
            if value:
                cells[key] = CellStats(value=value, contributors=value)
        table.cells = cells
        return table

    def cell_population(self, dimensions: Sequence[TableDimension], key: Key) -> Population:
        sets = {}
        for dimension, entry in zip(dimensions, key, strict=True):
            sets[dimension.code] = dimension.categories if entry == TOTAL else (entry,)
        return self.population(sets)

    @property
    def frozen_universe(self) -> dict[str, frozenset[str]]:
        return {code: frozenset(categories) for code, categories in self.universe.items()}


@dataclass
class Release:
    """A table as the attacker has it: its measure, dimensions and published values."""

    measure: str
    table: Table
    published: dict[Key, int | None]
    reference: str = "released"

    def as_linked(self) -> LinkedTable:
        return LinkedTable(
            reference=self.reference,
            label=self.reference,
            measure=self.measure,
            dimensions=self.table.dimensions,
            cells={key: (self.table.cell(key), self.published[key]) for key in self.table.keys()},  # noqa: SIM118
        )


def _contains(inner: Population, outer: Population) -> bool:
    return all(a <= b for (_, a), (_, b) in zip(inner, outer, strict=True))


class JointAttacker:
    """Everything released, and the linear programs an attacker writes about it."""

    def __init__(self, data: Microdata, releases: Sequence[Release]) -> None:
        self.data = data
        self.releases = list(releases)

    # --- events: atoms --------------------------------------------------------------------------------------------

    def _atoms(self) -> list[tuple[str, ...]]:
        codes = sorted(self.data.universe)
        return list(itertools.product(*(self.data.universe[code] for code in codes)))

    def _atom_row(self, atoms, population: Population) -> np.ndarray:
        return np.array(
            [all(atom[index] in s for index, (_, s) in enumerate(population)) for atom in atoms], dtype=float
        )

    def events_interval(self, target: Population, *, measure: str = "events") -> tuple[float, float]:
        atoms = self._atoms()
        rows, right = [], []
        for release in self.releases:
            if release.measure != measure:
                continue
            for key, value in release.published.items():
                if value is not None:
                    rows.append(self._atom_row(atoms, self.data.cell_population(release.table.dimensions, key)))
                    right.append(value)
        return _extremes(self._atom_row(atoms, target), np.array(rows) if rows else None, right, len(atoms))

    # --- persons: populations ------------------------------------------------------------------------------------

    def persons_interval(self, target: Population, *, excluding: Population | None = None) -> tuple[float, float]:
        """The attacker's interval for the persons of ``target`` (minus those of ``excluding`` ⊂ target)."""
        populations: dict[tuple[str, Population], int] = {}

        def variable(measure: str, population: Population) -> int:
            return populations.setdefault((measure, population), len(populations))

        published: dict[int, int] = {}
        relations: list[tuple[int, list[int], bool]] = []  # (parent, children, additive)
        for release in self.releases:
            table = release.table
            for key, value in release.published.items():
                node = variable(release.measure, self.data.cell_population(table.dimensions, key))
                if value is not None:
                    published[node] = value
            for relation in table.relations():
                parent = variable(release.measure, self.data.cell_population(table.dimensions, relation.parent))
                children = [
                    variable(release.measure, self.data.cell_population(table.dimensions, child))
                    for child in relation.children
                ]
                relations.append((parent, children, release.measure != "distinct_persons" or relation.additive))
        target_node = variable("distinct_persons", target)
        excluded_node = variable("distinct_persons", excluding) if excluding is not None else None
        size = len(populations)
        upper_rows, upper_right, equal_rows, equal_right = [], [], [], []

        def row(terms):
            coefficients = np.zeros(size)
            for node, sign in terms:
                coefficients[node] += sign
            return coefficients

        for node, value in published.items():
            equal_rows.append(row([(node, 1)]))
            equal_right.append(value)
        for parent, children, additive in relations:
            if additive:
                equal_rows.append(row([(parent, -1)] + [(child, 1) for child in children]))
                equal_right.append(0)
            else:
                upper_rows.append(row([(parent, 1)] + [(child, -1) for child in children]))
                upper_right.append(0)
        items = list(populations.items())
        for (measure_a, a), node_a in items:
            for (measure_b, b), node_b in items:
                if node_a == node_b:
                    continue
                if measure_a == measure_b and _contains(a, b):
                    upper_rows.append(row([(node_a, 1), (node_b, -1)]))  # a ⊂ b: a <= b
                    upper_right.append(0)
                elif measure_a == "distinct_persons" and measure_b == "events" and a == b:
                    upper_rows.append(row([(node_a, 1), (node_b, -1)]))
                    upper_right.append(0)
        objective = row([(target_node, 1)] + ([(excluded_node, -1)] if excluded_node is not None else []))
        return _extremes(
            objective,
            np.array(equal_rows) if equal_rows else None,
            equal_right,
            size,
            upper=(np.array(upper_rows), upper_right) if upper_rows else None,
        )


def _extremes(objective, a_eq, b_eq, size, upper=None) -> tuple[float, float]:
    extremes = []
    for sign in (1.0, -1.0):
        result = linprog(
            sign * objective,
            A_ub=upper[0] if upper else None,
            b_ub=upper[1] if upper else None,
            A_eq=a_eq,
            b_eq=b_eq if a_eq is not None else None,
            bounds=[(0, None)] * size,
            method="highs",
        )
        if result.status == 3:
            extremes.append(math.inf)
        else:
            assert result.status == 0, result.message
            extremes.append(sign * result.fun)
    return extremes[0], extremes[1]


def width(interval: tuple[float, float]) -> float:
    return interval[1] - interval[0]
