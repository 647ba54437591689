"""The shapes disclosure control works on: a table with all its margins, a policy, a result.

A table has up to four dimensions; each cell is keyed by one entry per
dimension, a category code or ``TOTAL``. The table always holds every key of
the full product (categories + ``TOTAL``) along every dimension: finest cells
(no ``TOTAL``), margins, and the grand total (all ``TOTAL``). A key absent from
``cells`` is a zero cell with no contributor.

Additivity: counts of events and sums of amounts are additive along every
dimension (a margin is the sum of its parts). Counts of distinct persons are
additive only along a dimension that partitions persons (``additive=True``,
e.g. sex); along the others a person may fall in several categories (several
years, regions, specialties), so a margin lies between its largest part and the
sum of its parts. ``Table.relations`` states exactly these relations.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Literal

#: The code of a margin along a dimension, as written in the outputs.
TOTAL = "Total"

#: One entry per dimension, in the specification's order: a category code or ``TOTAL``.
Key = tuple[str, ...]

Method = Literal["suppression", "suppress_then_round", "random_rounding"]
ValueKind = Literal["count", "amount"]


@dataclass(frozen=True)
class TableDimension:
    code: str
    #: The filtered domain, in catalogue order. Never contains ``TOTAL``.
    categories: tuple[str, ...]
    #: Whether the measure is additive along this dimension (see the module docstring).
    additive: bool = True


@dataclass(frozen=True)
class CellStats:
    """What the warehouse says about one cell.

    ``value``: the count, or the amount in cents (an integer, never a float).
    ``contributors``: the distinct persons behind the cell (for amounts, the
    dominance rules' contributors; for counts it may equal ``value``).
    ``top``: the largest per-person contributions to the cell, descending, at
    least ``max(dominance_n, 2)`` of them when there are that many (amounts only).
    """

    value: int = 0
    contributors: int = 0
    top: tuple[int, ...] = ()


ZERO = CellStats()


@dataclass(frozen=True)
class Relation:
    """``parent`` is the margin of ``children`` along dimension ``dimension`` (its index).

    ``additive``: parent == sum(children). Otherwise: max(children) <= parent <= sum(children).
    """

    parent: Key
    children: tuple[Key, ...]
    dimension: int
    additive: bool


@dataclass
class Table:
    dimensions: tuple[TableDimension, ...]
    kind: ValueKind
    cells: dict[Key, CellStats] = field(default_factory=dict)

    def cell(self, key: Key) -> CellStats:
        return self.cells.get(key, ZERO)

    def keys(self) -> Iterator[Key]:
        """Every key, in output order: along each dimension its categories, then ``TOTAL``."""
        axes = [(*dimension.categories, TOTAL) for dimension in self.dimensions]
        return itertools.product(*axes)

    def relations(self) -> Iterator[Relation]:
        """For every margin and every dimension it totals: the relation with its parts along that dimension."""
        for key in self.keys():
            for index, entry in enumerate(key):
                if entry != TOTAL:
                    continue
                dimension = self.dimensions[index]
                children = tuple((*key[:index], category, *key[index + 1 :]) for category in dimension.categories)
                additive = self.kind != "count" or dimension.additive
                yield Relation(parent=key, children=children, dimension=index, additive=additive)


@dataclass(frozen=True)
class Policy:
    """A dataset's disclosure policy and its parameters (``stats_app.models.Dataset``)."""

    method: Method = "suppression"
    threshold: int = 5
    publish_zeros: bool = True
    dominance_n: int = 2
    dominance_k: int = 85
    p_percent: int = 10
    protection_level: int | None = None
    rounding_base: int = 5
    #: Seeds random rounding, so that the same input always yields the same output.
    seed: str = ""

    @property
    def effective_protection_level(self) -> int:
        return self.protection_level or self.threshold


def audit_note(note: str, **numbers) -> dict:
    """One line of the audit's account in codes and numbers, JSON as it is: ``{"note": "attacker_programs", ...}``.

    The engine writes no sentence: whoever shows a note words it in its reader's language.
    """
    return {"note": note, **numbers}


@dataclass
class DisclosureReport:
    """What was done, never to which cells: which rules ran, with which parameters, how many cells each hid."""

    method: Method
    parameters: dict
    #: rule name -> number of cells it suppressed (a cell caught by two rules counts for the first).
    suppressed_by_rule: dict[str, int]
    cells: int
    suppressed: int
    #: The smallest published non-zero count (``None`` for amounts or when none is published).
    smallest_published_count: int | None
    audit_passed: bool
    #: What the audit established, as ``audit_note``s (LPs solved, narrowest interval relative to the level).
    audit_notes: list[dict] = field(default_factory=list)


@dataclass
class ProtectedTable:
    table: Table
    #: Every key of ``table.keys()`` -> the published value (count, or amount in cents), ``None`` if suppressed.
    published: dict[Key, int | None]
    report: DisclosureReport
