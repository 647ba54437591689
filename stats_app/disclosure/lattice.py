"""A table seen as numbered cells and the relations between them, the form the linear programs work on."""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cached_property

from stats_app.disclosure.table import CellStats, Key, Table


@dataclass(frozen=True)
class Link:
    """A ``Relation`` between cell numbers: ``parent`` is the margin of ``children``."""

    parent: int
    children: tuple[int, ...]
    additive: bool
    #: For a relation that is not additive: whether ``parent <= sum(children)`` holds too. False for a bare
    #: bound (``child <= parent``), such as distinct persons never exceeding the events they had.
    capped: bool = True

    @cached_property  # read for every walk over the relations: built once
    def members(self) -> tuple[int, ...]:
        return (self.parent, *self.children)


class Lattice:
    """Every cell of a table by number (in ``Table.keys()`` order), its value, and the relations it is part of."""

    def __init__(self, table: Table) -> None:
        self.table = table
        self.keys: list[Key] = list(table.keys())
        self.number: dict[Key, int] = {key: number for number, key in enumerate(self.keys)}
        self.stats: list[CellStats] = [table.cell(key) for key in self.keys]
        self.values: list[int] = [stats.value for stats in self.stats]
        self.links: list[Link] = [
            Link(
                parent=self.number[relation.parent],
                children=tuple(self.number[child] for child in relation.children),
                additive=relation.additive,
            )
            for relation in table.relations()
        ]
        #: What the attacker knows of every cell before anything is published: at least 0, no upper bound.
        self.floors: list[float] = [0.0] * len(self.keys)
        self.ceilings: list[float] = [math.inf] * len(self.keys)
        #: cell number -> the numbers of the links it belongs to (as parent or child).
        self.links_of: list[list[int]] = [[] for _ in self.keys]
        for link_number, link in enumerate(self.links):
            for member in link.members:
                self.links_of[member].append(link_number)

    def __len__(self) -> int:
        return len(self.keys)
