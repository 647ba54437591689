"""Linked tables: a new table is protected together with everything already released from its dataset.

The attacker holds every table ever released from a dataset (DESIGN §4, "Linked
tables"). Two tables that differ by one region, a persons table beside an events
table on the same cells, the same cells asked again with one category dropped:
each combination tells the attacker more than either table alone. So a new table
is protected by one attacker program over its own cells *and* the cells of the
linked tables it can be combined with.

**Populations.** Every cell counts a population: per dimension of the dataset, a
set of categories (the cell's category; the table's domain for ``Total``; the
filter, or every category, for a dimension the table does not show). Two cells
of the same measure over the same population are the same number, whichever
table shows them: they become one *node*.

**Relations between nodes.** Besides each table's own margins:

- *nested populations* along one dimension: when a table's whole domain ``A``
  (e.g. regions 01–17) lies inside another table's ``C`` (all regions), with
  everything else equal, the difference ``C − A`` is itself a count the
  attacker can compute: a *derived* node, whose true value the portal knows.
  For events and amounts it is the count of the complement population (region
  18); for distinct persons, the persons of ``C`` with nothing in ``A``, which is
  at most the persons of the complement. A derived node that counts 1 to
  threshold − 1 (any non-zero amount) must stay as hidden as a suppressed cell.
- *measures of one dataset*: a person count never exceeds the events of the
  same population, and a published zero of one makes the other zero (a
  published non-zero count makes the other at least one).

**What may change.** Released tables never change: their published cells are
constants (``frozen``), their suppressed cells stay suppressed and must stay
protected. Only the new table's cells can be suppressed further. The new table
is first protected alone (``protect``), so a table that overlaps nothing gets
exactly the single-table pattern; joint secondary suppression then adds the
cells the linkage needs, chosen by the same cheapest-deviation programs, and the
single-table engine gives any cell the linkage hides its own complements, so
the table still passes its own audit (``_attempt`` alternates the two). When no
pattern of the new table can protect a node, the table is refused
(``LinkedRefusal``), naming the released tables and the population at stake.

Only the part of the linked tables that the new table can reach is built: the
nodes of the new table, and from them, through relations, the suppressed and
derived nodes of the others (published linked cells are constants and stop the
walk). A released table whose populations do not meet the new table's adds
nothing to the program.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace

import numpy as np

from stats_app.disclosure.attack import Attacker, required_width, upward_protection
from stats_app.disclosure.audit import audit
from stats_app.disclosure.errors import DisclosureError
from stats_app.disclosure.lattice import Lattice, Link
from stats_app.disclosure.primary import SECONDARY, primary_rule
from stats_app.disclosure.protect import complement_costs, protect, upward_requirements
from stats_app.disclosure.secondary import choose_complements
from stats_app.disclosure.table import (
    TOTAL,
    ZERO,
    CellStats,
    Key,
    Policy,
    ProtectedTable,
    Table,
    TableDimension,
    audit_note,
)

#: Measures whose counts are linked by ``persons <= events`` and "zero together".
PERSONS = "distinct_persons"
EVENTS = "events"
AMOUNT = "amount"
MEASURES = (PERSONS, EVENTS, AMOUNT)


class LinkedRefusal(DisclosureError):
    """No suppression pattern of the new table keeps every linked population protected.

    ``tables``: the labels of the linked tables involved; ``populations``: short
    descriptions of the populations that would be narrowed. The message is for
    staff (it names released tables and populations), never for the requester.
    """

    def __init__(self, message: str, *, tables: Sequence[str], populations: Sequence[str]) -> None:
        super().__init__(message)
        self.tables = list(tables)
        self.populations = list(populations)


@dataclass(frozen=True)
class LinkedTable:
    """A table already released (or held for checking at the same time): what the attacker has of it.

    ``cells``: every key of the table -> (the warehouse's stats, the published
    value or ``None`` when suppressed). ``fixed``: for the dataset's dimensions
    the table does not show, the categories it covers (a filter); a dimension
    absent from ``fixed`` covers every category.
    """

    reference: str
    label: str
    measure: str
    dimensions: tuple[TableDimension, ...]
    cells: Mapping[Key, tuple[CellStats, int | None]]
    fixed: Mapping[str, frozenset[str]] = field(default_factory=dict)


@dataclass
class Linkage:
    """What the linkage did, for the checker's page and the table's provenance."""

    #: References of the linked tables whose cells entered the joint program.
    tables: list[str]
    #: Cells of the new table suppressed because of the linkage, beyond the single-table pattern.
    extra_suppressed: int
    #: Nodes in the joint program, and how many were derived differences.
    nodes: int = 0
    derived: int = 0
    #: Linked populations already narrowed by the released tables alone (the new table cannot mend them).
    preexisting: list[str] = field(default_factory=list)


def population_of(
    dimensions: Sequence[TableDimension],
    key: Key,
    fixed: Mapping[str, frozenset[str]],
    universe: Mapping[str, frozenset],
) -> dict[str, frozenset[str]]:
    """The population a cell counts: per dataset dimension, a set of categories."""
    sets = {code: frozenset(fixed.get(code, categories)) for code, categories in universe.items()}
    for dimension, entry in zip(dimensions, key, strict=True):
        sets[dimension.code] = frozenset(dimension.categories) if entry == TOTAL else frozenset({entry})
    return sets


def population_names(
    table: Table, universe: Mapping[str, Iterable[str]], fixed: Mapping[str, Iterable[str]] | None = None
) -> dict[Key, str]:
    """Each key's population as a canonical text, the same whatever table shows it (random rounding's draw)."""
    frozen_universe = {code: frozenset(categories) for code, categories in universe.items()}
    frozen_fixed = {code: frozenset(categories) for code, categories in (fixed or {}).items()}
    names = {}
    for key in table.keys():  # noqa: SIM118 (a Table, not a dict)
        population = population_of(table.dimensions, key, frozen_fixed, frozen_universe)
        names[key] = ";".join(
            f"{code}=" + ("*" if categories == frozen_universe[code] else ",".join(sorted(categories)))
            for code, categories in sorted(population.items())
        )
    return names


def describe(population: Mapping[str, frozenset[str]], universe: Mapping[str, frozenset[str]]) -> str:
    """``region 18 × diagnosis_chapter 02``: the dimensions that do not cover everything, for messages."""
    parts = []
    for code, categories in population.items():
        if categories == universe.get(code):
            continue
        shown = sorted(categories)
        text = " ".join(shown) if len(shown) <= 3 else f"{shown[0]}…{shown[-1]} ({len(shown)} categories)"
        parts.append(f"{code} {text}")
    return " × ".join(parts) or "every person"


class _Source:
    """One table in the joint program: its dimensions as positions of the dataset's dimensions."""

    def __init__(self, number: int, table: LinkedTable, joint: JointLattice) -> None:
        self.number = number
        self.table = table
        self.measure = table.measure
        self.positions = [joint.position[dimension.code] for dimension in table.dimensions]
        self.shown = dict(zip(self.positions, range(len(self.positions)), strict=True))
        #: Per dataset position: the set id of the table's whole set there (its domain, or its fixed set).
        self.whole = [0] * len(joint.order)
        for position, code in enumerate(joint.order):
            if position in self.shown:
                categories = table.dimensions[self.shown[position]].categories
            else:
                categories = table.fixed.get(code, joint.universe[code])
            self.whole[position] = joint.intern(position, frozenset(categories))
        #: Per dimension of the table: set id -> category code (the singletons it shows), TOTAL for the domain.
        self.entry_of: list[dict[int, str]] = []
        for index, dimension in enumerate(table.dimensions):
            position = self.positions[index]
            entries = {joint.intern(position, frozenset({category})): category for category in dimension.categories}
            entries[self.whole[position]] = TOTAL  # a one-category domain: its total is that category's cell
            self.entry_of.append(entries)

    def key_of(self, population: tuple[int, ...]) -> Key | None:
        """The table's key for a population, or ``None`` when the table has no such cell."""
        for position, set_id in enumerate(population):
            if position not in self.shown and set_id != self.whole[position]:
                return None
        key = []
        for index, position in enumerate(self.positions):
            entry = self.entry_of[index].get(population[position])
            if entry is None:
                return None
            key.append(entry)
        return tuple(key)

    def population_of(self, key: Key, joint: JointLattice) -> tuple[int, ...]:
        population = list(self.whole)
        for index, entry in enumerate(key):
            if entry != TOTAL:
                population[self.positions[index]] = joint.intern(self.positions[index], frozenset({entry}))
        return tuple(population)


class JointLattice:
    """The nodes of the joint attacker program and the relations between them (the ``Lattice`` interface).

    Node 0.. are created as the walk reaches them: first every cell of the new
    table, then the linked and derived nodes their relations lead to.
    """

    def __init__(
        self,
        new: LinkedTable,
        linked: Sequence[LinkedTable],
        universe: Mapping[str, Iterable[str]],
        policy: Policy,
    ) -> None:
        self.universe = {code: frozenset(categories) for code, categories in universe.items()}
        self.order = tuple(sorted(self.universe))
        self.position = {code: position for position, code in enumerate(self.order)}
        self.policy = policy
        self._sets: list[list[frozenset[str]]] = [[] for _ in self.order]
        self._set_ids: list[dict[frozenset[str], int]] = [{} for _ in self.order]
        for table in (new, *linked):
            unknown = {dimension.code for dimension in table.dimensions} - set(self.universe)
            if unknown:
                raise DisclosureError(f"{table.label}: dimensions outside the dataset: {sorted(unknown)}.")
        self.sources = [_Source(number, table, self) for number, table in enumerate((new, *linked))]
        #: Dimension code -> whether each person falls in one of its categories (sex): persons add up along it.
        # (Only persons tables say it: an events table is additive along every dimension.)
        self._partitions_persons = {
            dimension.code: dimension.additive
            for table in (new, *linked)
            if table.measure == PERSONS
            for dimension in table.dimensions
        }
        self.new = self.sources[0]
        # Which sources can hold a set along each position (bit masks of source numbers), per measure.
        self._holders: list[dict[int, int]] = [{} for _ in self.order]
        self._by_measure = dict.fromkeys(MEASURES, 0)
        for source in self.sources:
            self._by_measure[source.measure] = self._by_measure.get(source.measure, 0) | 1 << source.number
            for position in range(len(self.order)):
                ids = (
                    source.entry_of[source.shown[position]].keys()
                    if position in source.shown
                    else (source.whole[position],)
                )
                for set_id in ids:
                    self._holders[position][set_id] = self._holders[position].get(set_id, 0) | 1 << source.number
        self._whole_sets = [
            sorted({source.whole[position] for source in self.sources}) for position in range(len(self.order))
        ]

        # The nodes.
        self.keys: list[tuple] = []  # (measure, population) or ("derived", ...) descriptions
        self.values: list[int] = []
        self.stats: list[CellStats] = []
        self.floors: list[float] = []
        self.ceilings: list[float] = []
        self.fixed_published: list[int | None] = []  # published by a linked table: a constant
        self.linked_hidden: list[bool] = []  # suppressed by a linked table
        self.derived: list[bool] = []
        self.new_key: list[Key | None] = []
        self.sources_of: list[int] = []  # bit mask
        self.measure_of: list[str] = []
        self.population: list[tuple[int, ...] | None] = []
        self._node_of: dict[tuple, int] = {}
        self.links: list[Link] = []
        self._link_ids: set[tuple] = set()
        self.links_of: list[list[int]] = []

        for key in new.cells:
            self._node(new.measure, self.new.population_of(key, self))
        self._walk()

    # --- sets ------------------------------------------------------------------------------------------------------

    def intern(self, position: int, categories: frozenset[str]) -> int:
        ids = self._set_ids[position]
        if categories not in ids:
            ids[categories] = len(self._sets[position])
            self._sets[position].append(categories)
        return ids[categories]

    def categories(self, position: int, set_id: int) -> frozenset[str]:
        return self._sets[position][set_id]

    def describe_node(self, node: int) -> str:
        key = self.keys[node]
        if key[0] == "derived":
            _, measure, outer, inner = key
            complement = self._describe(self.population[node])
            if measure == PERSONS:
                return f"{measure}: of {self._describe(outer)}, those with nothing in {self._describe(inner)}"
            return f"{measure}: {complement} ({self._describe(outer)} minus {self._describe(inner)})"
        measure, population = key
        return f"{measure}: {self._describe(population)}"

    def _describe(self, population: tuple[int, ...]) -> str:
        return describe(
            {code: self.categories(position, population[position]) for position, code in enumerate(self.order)},
            self.universe,
        )

    # --- nodes -----------------------------------------------------------------------------------------------------

    def __len__(self) -> int:
        return len(self.keys)

    def _holders_of(self, measure: str, population: tuple[int, ...]) -> int:
        mask = self._by_measure.get(measure, 0)
        for position, set_id in enumerate(population):
            mask &= self._holders[position].get(set_id, 0)
            if not mask:
                return 0
        return mask

    def _node(self, measure: str, population: tuple[int, ...]) -> int | None:
        """The node of a population, created on first use; ``None`` when no table shows it."""
        node = self._node_of.get((measure, population))
        if node is not None:
            return node
        holders = self._holders_of(measure, population)
        if not holders:
            return None
        stats: CellStats | None = None
        published: int | None = None
        hidden = False
        new_key = None
        for number in _bits(holders):
            source = self.sources[number]
            key = source.key_of(population)
            if key is None:
                continue
            if number == 0:
                new_key = key
                stats = source.table.cells[key][0]
                continue
            cell_stats, value = source.table.cells[key]
            stats = stats or cell_stats
            if value is None:
                hidden = True
            elif published is None:
                published = value
        node = self._add(
            (measure, population),
            stats or ZERO,
            measure=measure,
            population=population,
            sources=holders,
            new_key=new_key,
            published=published,
            hidden=hidden and published is None,
        )
        return node

    def _add(
        self,
        key: tuple,
        stats: CellStats,
        *,
        measure: str,
        population: tuple[int, ...] | None,
        sources: int,
        new_key: Key | None = None,
        published: int | None = None,
        hidden: bool = False,
        derived: bool = False,
    ) -> int:
        node = len(self.keys)
        self._node_of[key] = node
        self.keys.append(key)
        self.values.append(stats.value)
        self.stats.append(stats)
        self.floors.append(0.0)
        self.ceilings.append(np.inf)
        self.fixed_published.append(published)
        self.linked_hidden.append(hidden)
        self.derived.append(derived)
        self.new_key.append(new_key)
        self.sources_of.append(sources)
        self.measure_of.append(measure)
        self.population.append(population)
        self.links_of.append([])
        return node

    def _link(self, parent: int, children: Sequence[int], *, additive: bool, capped: bool = True) -> None:
        identity = (parent, tuple(children), additive, capped)
        if identity in self._link_ids or len(children) == 0:
            return
        self._link_ids.add(identity)
        number = len(self.links)
        self.links.append(Link(parent=parent, children=tuple(children), additive=additive, capped=capped))
        for member in (parent, *children):
            self.links_of[member].append(number)

    def new_node(self, key: Key) -> int:
        """The node of one of the new table's cells."""
        return self._node_of[(self.new.measure, self.new.population_of(key, self))]

    def is_constant(self, node: int) -> bool:
        return self.fixed_published[node] is not None

    # --- the walk --------------------------------------------------------------------------------------------------

    def _walk(self) -> None:
        """From every node of the new table, through relations, to the linked nodes that are not constants."""
        expanded: set[int] = set()
        frontier = list(range(len(self.keys)))
        while frontier:
            node = frontier.pop()
            if node in expanded:
                continue
            expanded.add(node)
            before = len(self.links)
            self._relations_of(node)
            for link in self.links[before:]:
                for member in link.members:
                    if member not in expanded and not self.is_constant(member):
                        frontier.append(member)

    def _relations_of(self, node: int) -> None:
        if self.derived[node]:
            return
        measure = self.measure_of[node]
        population = self.population[node]
        for number in _bits(self.sources_of[node]):
            self._table_relations(self.sources[number], population)
        self._nested_relations(node, measure, population)
        self._measure_relations(node, measure, population)

    def _table_relations(self, source: _Source, population: tuple[int, ...]) -> None:
        """The table's own margins around this cell: as the margin of its parts, and as a part of its margins."""
        key = source.key_of(population)
        dimensions = source.table.dimensions
        for index in range(len(key)):
            dimension = dimensions[index]
            parent_key = (*key[:index], TOTAL, *key[index + 1 :])
            children = [(*key[:index], category, *key[index + 1 :]) for category in dimension.categories]
            parent = self._node(source.measure, source.population_of(parent_key, self))
            nodes = [self._node(source.measure, source.population_of(child, self)) for child in children]
            if parent == nodes[0] and len(nodes) == 1:
                continue
            additive = source.measure != PERSONS or dimension.additive
            self._link(parent, nodes, additive=additive)

    def _nested_relations(self, node: int, measure: str, population: tuple[int, ...]) -> None:
        """Along one dimension, this population's whole set inside, or around, another table's whole set."""
        for position, set_id in enumerate(population):
            if not any(self.sources[number].whole[position] == set_id for number in _bits(self.sources_of[node])):
                continue  # a single category of a table: its relations are the table's own
            mine = self.categories(position, set_id)
            for other_id in self._whole_sets[position]:
                other = self.categories(position, other_id)
                if other_id == set_id or not (other < mine or mine < other):
                    continue
                partner_population = (*population[:position], other_id, *population[position + 1 :])
                partner = self._node(measure, partner_population)
                if partner is None or self.sources_of[partner] & self.sources_of[node]:
                    continue  # no table shows it, or one table shows both: its own margins relate them
                outer, inner = (node, partner) if other < mine else (partner, node)
                self._difference(measure, position, outer, inner)

    def _difference(self, measure: str, position: int, outer: int, inner: int) -> None:
        """``outer = inner + rest``, where ``rest`` is the complement's node or a derived one."""
        outer_population, inner_population = self.population[outer], self.population[inner]
        complement = self.categories(position, outer_population[position]) - self.categories(
            position, inner_population[position]
        )
        complement_population = (
            *outer_population[:position],
            self.intern(position, complement),
            *outer_population[position + 1 :],
        )
        dimension_code = self.order[position]
        additive = measure != PERSONS or self._partitions_persons.get(dimension_code, False)
        real = self._node(measure, complement_population)
        if additive and real is not None:
            self._link(outer, [inner, real], additive=True)
            return
        key = ("derived", measure, outer_population, inner_population)
        derived = self._node_of.get(key)
        if derived is None:
            value = max(self.values[outer] - self.values[inner], 0)
            derived = self._add(
                key,
                CellStats(value=value, contributors=value),
                measure=measure,
                population=complement_population,  # for messages only: a derived node has no relations of its own
                sources=0,
                derived=True,
            )
        self._link(outer, [inner, derived], additive=True)
        if real is not None:
            # The persons of ``outer`` with nothing in ``inner`` are among the persons of the complement.
            self._link(real, [derived], additive=False, capped=False)

    def _measure_relations(self, node: int, measure: str, population: tuple[int, ...]) -> None:
        """Persons never exceed events on the same population, and the two are zero together."""
        if measure not in (PERSONS, EVENTS):
            return
        other = self._node(EVENTS if measure == PERSONS else PERSONS, population)
        if other is None:
            return
        persons, events = (node, other) if measure == PERSONS else (other, node)
        self._link(events, [persons], additive=False, capped=False)
        for this, that in ((persons, events), (events, persons)):
            published = self.fixed_published[that]
            if published == 0:
                self.ceilings[this] = 0.0
            elif published is not None and self.values[this] >= 1:
                self.floors[this] = max(self.floors[this], 1.0)


@dataclass
class _Attempt:
    #: Per node of the joint program, and per key of the new table (a cell a released table publishes may be
    #: hidden in the new table, yet known to the attacker).
    hidden: list[bool]
    table_hidden: dict[Key, bool]
    attacker: Attacker
    #: Nodes the new table leaves narrowed (the released tables alone do not).
    failing: list[int]
    preexisting: list[str]


@dataclass(frozen=True)
class _Own:
    """The new table on its own: its lattice and what its cells need there (the single-table guarantee)."""

    lattice: Lattice
    required: list[float]
    upward: list[int]
    costs: list[float]


#: Rounds of "alone, then jointly" before a pattern that keeps growing is given up (refused by the audit).
MAX_REPAIRS = 4


def _attempt(joint: JointLattice, own: _Own, required, upward, costs, hidden_at_start) -> _Attempt:
    """Choose the complements from the new table's cells ``hidden_at_start(key)``; what the attacker then finds.

    The pattern must hold against the new table alone as well as jointly. The
    joint attacker knows more, so a node it finds protected is protected alone
    too, except the populations the released tables already narrow by
    themselves, which the joint program cannot mend and so does not protect. A
    cell hidden because a released table hides it may be one of those: then
    the single-table engine gives it complements of its own, and the joint
    program checks those in turn, until neither adds a cell. A pattern that
    holds alone after the joint program is taken as it is.
    """
    keys = own.lattice.keys
    nodes = [joint.new_node(key) for key in keys]
    constant = [joint.is_constant(node) for node in nodes]
    # A cell a released table publishes is published here too, unless the table alone needs it hidden.
    start = [not constant[number] and hidden_at_start(key) for number, key in enumerate(keys)]
    hidden = [False] * len(joint)
    frozen = [False] * len(joint)
    for node in range(len(joint)):
        if joint.is_constant(node):
            frozen[node] = True
        elif joint.derived[node] or joint.linked_hidden[node]:
            hidden[node] = True
    for _round in range(MAX_REPAIRS):
        view = list(hidden)
        for node, is_hidden in zip(nodes, start, strict=True):
            view[node] = view[node] or is_hidden
        chosen = choose_complements(joint, view, required, costs, upward=upward, frozen=frozen)
        pattern = [start[number] if constant[number] else chosen.hidden[node] for number, node in enumerate(nodes)]
        # Alone, a cell published by a released table may need hiding too (a zero margin that pins its zero
        # parts): the attacker still knows it, so jointly it stays a constant.
        start = choose_complements(own.lattice, pattern, own.required, own.costs, upward=own.upward).hidden
        if list(start) == pattern:
            break  # the pattern holds alone as well
    published_view = [
        None if is_hidden else value for value, is_hidden in zip(joint.values, chosen.hidden, strict=True)
    ]
    # The last round's groups are this view's (the same pattern): what their programs found stands.
    attacker = Attacker(joint, published_view, required, upward, known=chosen.groups)
    unproven = [
        node for node in attacker.suppressed if required[node] > 0 and not attacker.group(node).surely_protects(node)
    ]
    failing: list[int] = []
    preexisting: list[str] = []
    if unproven:
        # A population the released tables narrow alone (the new table hidden whole) is narrowed in this view
        # too, which only publishes more: it is checked there first, and only the others here.
        alone = _alone(joint, required, upward)
        for node in unproven:
            if not alone.protects(node):
                preexisting.append(joint.describe_node(node))
            elif not attacker.protects(node):
                failing.append(node)
    return _Attempt(
        hidden=list(chosen.hidden),
        table_hidden=dict(zip(keys, pattern, strict=True)),
        attacker=attacker,
        failing=failing,
        preexisting=preexisting,
    )


def _primary(table: Table, key: Key, policy: Policy) -> bool:
    """Whether a primary rule hides this cell (the cells every pattern hides)."""
    return primary_rule(table.cell(key), table.kind, policy) is not None


def _bits(mask: int) -> Iterable[int]:
    number = 0
    while mask:
        if mask & 1:
            yield number
        mask >>= 1
        number += 1


def _is_sensitive(kind: str, value: int, policy: Policy) -> bool:
    """Whether a derived count must stay hidden: a count of 1 to threshold − 1, or any non-zero amount (whose
    contributors the difference does not tell, so the dominance rules cannot clear it)."""
    if kind == "amount":
        return value > 0
    return 1 <= value < policy.threshold


def _requirements(joint: JointLattice, kind: str, policy: Policy) -> tuple[list[float], list[float]]:
    required, upward = [], []
    for node in range(len(joint)):
        value = joint.values[node]
        if joint.derived[node]:
            required.append(required_width(kind, value, policy) if _is_sensitive(kind, value, policy) else 0.0)
            upward.append(0.0)
            continue
        required.append(required_width(kind, value, policy))
        upward.append(upward_protection(kind, joint.stats[node], policy))
    return required, upward


def protect_linked(
    table: Table,
    policy: Policy,
    *,
    measure: str,
    universe: Mapping[str, Iterable[str]],
    linked: Sequence[LinkedTable] = (),
    fixed: Mapping[str, frozenset[str]] | None = None,
    populations: Mapping[Key, str] | None = None,
) -> tuple[ProtectedTable, Linkage]:
    """Protect ``table`` (of ``measure``) jointly with the ``linked`` tables of its dataset.

    ``universe``: every dimension of the dataset with all its categories.
    Returns the protected table, whose report counts the linkage's extra cells
    as secondary suppressions (the requester is never told why a cell is hidden),
    and the ``Linkage`` for staff. Raises ``LinkedRefusal`` when no pattern of
    this table keeps the linked populations protected, ``DisclosureError`` for
    a table or policy that cannot be protected at all.
    """
    single = protect(table, policy, populations=populations)
    if single.report.method != "suppression" or not linked:
        return single, Linkage(tables=[], extra_suppressed=0)
    joint = _joint(table, single.published, policy, measure=measure, universe=universe, linked=linked, fixed=fixed)
    kind = table.kind
    required, upward = _requirements(joint, kind, policy)
    costs = [
        value + width if joint.new_key[node] is not None else 0.0
        for node, (value, width) in enumerate(zip(joint.values, required, strict=True))
    ]
    total = (TOTAL,) * len(table.dimensions)
    # First, the single-table pattern extended (a table that overlaps nothing keeps it exactly). When that
    # cannot protect the linkage without its grand total, the joint program chooses the complements again
    # from the primary suppressions alone: the single pattern's secondary cells were chosen blind to the
    # linked tables and may be the wrong ones (a suppressed cell pinned from below by a published person count).
    lattice = Lattice(table)
    own_required = [required_width(kind, value, policy) for value in lattice.values]
    own = _Own(
        lattice, own_required, upward_requirements(table, lattice, policy), complement_costs(lattice, own_required)
    )
    first = _attempt(joint, own, required, upward, costs, lambda key: single.published[key] is None)
    chosen = first
    if first.failing or first.table_hidden[total]:
        again = _attempt(joint, own, required, upward, costs, lambda key: _primary(table, key, policy))
        if not again.failing and not again.table_hidden[total]:
            chosen = again
    if chosen.failing:
        raise _refusal(joint, chosen.attacker, chosen.failing)
    if chosen.table_hidden[total]:
        # What is left exists only to be subtracted from a released table. Refuse it with the reason, rather
        # than release a table without its total.
        raise _refusal(joint, chosen.attacker, _differences_at(joint, total, required) or [joint.new_node(total)])

    published = {
        key: None if chosen.table_hidden[key] else table.cell(key).value
        for key in single.published  # the table's keys, in its order
    }
    preexisting = chosen.preexisting
    extra = sum(1 for key, value in published.items() if value is None and single.published[key] is not None)
    used = sorted(
        {
            joint.sources[number].table.reference
            for node in range(len(joint))
            for number in _bits(joint.sources_of[node])
            if number != 0 and joint.links_of[node]
        }
    )
    suppressed = sum(value is None for value in published.values())
    primaries = sum(count for rule, count in single.report.suppressed_by_rule.items() if rule != SECONDARY)
    alone = single
    if published != single.published:
        # The table's own audit, again, on the pattern that will be published.
        alone = ProtectedTable(table=table, published=published, report=replace(single.report))
        result = audit(alone, policy)
        alone.report.audit_passed, alone.report.audit_notes = result.passed, list(result.notes)
    report = replace(
        alone.report,
        suppressed=suppressed,
        suppressed_by_rule={**single.report.suppressed_by_rule, SECONDARY: suppressed - primaries},
        audit_notes=[
            *alone.report.audit_notes,
            audit_note("linked_protection", tables=len(used), populations=len(joint), derived=sum(joint.derived)),
        ],
    )
    shown = [value for value in published.values() if value is not None]
    if kind == "count":
        report.smallest_published_count = min((value for value in shown if value > 0), default=None)
    linkage = Linkage(
        tables=used, extra_suppressed=extra, nodes=len(joint), derived=sum(joint.derived), preexisting=preexisting
    )
    return ProtectedTable(table=table, published=published, report=report), linkage


def audit_linked(
    protected: ProtectedTable,
    policy: Policy,
    *,
    measure: str,
    universe: Mapping[str, Iterable[str]],
    linked: Sequence[LinkedTable],
    fixed: Mapping[str, frozenset[str]] | None = None,
) -> list[str]:
    """Re-check a protected table against the linked tables: the problems (empty when it passes).

    Used again at release time, when tables released since the table was made
    may have changed what it can be combined with.
    """
    if protected.report.method != "suppression" or not linked:
        return []
    table = protected.table
    joint = _joint(table, protected.published, policy, measure=measure, universe=universe, linked=linked, fixed=fixed)
    required, upward = _requirements(joint, table.kind, policy)
    published_view = []
    for node in range(len(joint)):
        key = joint.new_key[node]
        if joint.is_constant(node):
            published_view.append(joint.fixed_published[node])
        elif joint.derived[node] or joint.linked_hidden[node] or protected.published[key] is None:
            published_view.append(None)
        else:
            published_view.append(protected.published[key])
    attacker = Attacker(joint, published_view, required, upward)
    failing = [node for node in attacker.suppressed if required[node] > 0 and not attacker.protects(node)]
    if failing:
        failing, _ = _split_preexisting(joint, failing, required, upward)
    problems = []
    for node in failing[:20]:
        interval = attacker.group(node).interval(node)
        problems.append(
            f"{joint.describe_node(node)} can be narrowed to [{interval.low:g}, {interval.high:g}]"
            f" (needs {required[node]:g}), with {', '.join(_tables_near(joint, attacker, node))}."
        )
    return problems


def _joint(
    table: Table,
    published: Mapping[Key, int | None],
    policy: Policy,
    *,
    measure: str,
    universe: Mapping[str, Iterable[str]],
    linked: Sequence[LinkedTable],
    fixed: Mapping[str, frozenset[str]] | None,
) -> JointLattice:
    new = LinkedTable(
        reference="new",
        label="this table",
        measure=measure,
        dimensions=table.dimensions,
        cells={key: (table.cell(key), published[key]) for key in table.keys()},  # noqa: SIM118 (a Table)
        fixed=dict(fixed or {}),
    )
    relevant = [other for other in linked if other.measure in _linked_measures(measure)]
    return JointLattice(new, _overlapping(new, relevant, universe), universe, policy)


def _overlapping(
    new: LinkedTable, linked: Sequence[LinkedTable], universe: Mapping[str, Iterable[str]]
) -> list[LinkedTable]:
    """The linked tables whose populations meet the new table's, directly or through other such tables.

    Every relation of the joint program joins two populations that share persons
    (the same population, one inside the other, or a part of it), so a table
    whose whole population meets none of these adds nothing the walk could
    reach: it is dropped before the program is built, rather than indexed.
    """
    universe_sets = {code: frozenset(categories) for code, categories in universe.items()}

    def whole(table: LinkedTable) -> dict[str, frozenset[str]]:
        sets = {code: frozenset(table.fixed.get(code, categories)) for code, categories in universe_sets.items()}
        for dimension in table.dimensions:
            sets[dimension.code] = frozenset(dimension.categories)
        return sets

    wholes = [whole(table) for table in linked]
    reached = [False] * len(linked)
    frontier = [whole(new)]
    while frontier:
        population = frontier.pop()
        for number, other in enumerate(wholes):
            if not reached[number] and all(population[code] & other[code] for code in population):
                reached[number] = True
                frontier.append(other)
    return [table for table, kept in zip(linked, reached, strict=True) if kept]


def _linked_measures(measure: str) -> tuple[str, ...]:
    """The measures a table of ``measure`` is combined with: its own, and persons with events."""
    if measure in (PERSONS, EVENTS):
        return (PERSONS, EVENTS)
    return (measure,)


def _split_preexisting(
    joint: JointLattice, failing: list[int], required: Sequence[float], upward: Sequence[float]
) -> tuple[list[int], list[str]]:
    """Separate the nodes the new table narrows from those the released tables already narrow alone."""
    attacker = _alone(joint, required, upward)
    caused, preexisting = [], []
    for node in failing:
        if attacker.protects(node):
            caused.append(node)
        else:
            preexisting.append(joint.describe_node(node))
    return caused, preexisting


def _alone(joint: JointLattice, required: Sequence[float], upward: Sequence[float]) -> Attacker:
    """The attacker of the released tables alone: the new table's cells as if it were not published at all."""
    alone = [joint.fixed_published[node] if joint.is_constant(node) else None for node in range(len(joint))]
    return Attacker(joint, alone, required, upward)


def _tables_near(joint: JointLattice, attacker: Attacker, node: int) -> list[str]:
    """The linked tables whose cells take part in ``node``'s group: the ones it is combined with."""
    group = attacker.group(node)
    numbers = set()
    for cell in group.cells:
        for link_number in joint.links_of[cell]:
            for member in joint.links[link_number].members:
                numbers.update(_bits(joint.sources_of[member]))
    numbers.discard(0)
    return sorted(joint.sources[number].table.label for number in numbers) or ["the released tables"]


def _differences_at(joint: JointLattice, key: Key, required: Sequence[float]) -> list[int]:
    """The sensitive derived nodes the new table's cell ``key`` is one side of."""
    node = joint.new_node(key)
    return [
        member
        for link_number in joint.links_of[node]
        for member in joint.links[link_number].members
        if joint.derived[member] and required[member] > 0
    ]


def _refusal(joint: JointLattice, attacker: Attacker, failing: list[int]) -> LinkedRefusal:
    tables = sorted({label for node in failing for label in _tables_near(joint, attacker, node)})
    populations = [joint.describe_node(node) for node in failing]
    message = (
        f"This table cannot be released safely: combined with {', '.join(tables)}, it would reveal"
        f" {len(failing)} small populations ({'; '.join(populations[:3])}), unless so much of it is suppressed"
        " that its grand total goes too. Change the table so that it does not differ from the released ones by a"
        " small group: drop or widen the filter, or choose other dimensions."
    )
    return LinkedRefusal(message, tables=tables, populations=populations)
