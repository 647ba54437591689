"""Secondary suppression: hide enough further cells that no suppressed cell can be pinned down.

The method is the classic LP-guided heuristic (after Kelly, Golden and Assad,
and Fischetti and Salazar-González's protection programs), repeated until the
attacker's programs are satisfied. It reasons on *deviations* from the true
values: a deviation ``y`` keeps every relation (equalities, and the
inequalities of distinct-person margins) and every cell non-negative. If two
deviations that leave the published cells alone give a cell values ``W``
apart, the attacker's interval for that cell is at least ``W`` wide.

1. For each suppressed cell not protected, find the cheapest deviation
   that moves it down as far as it can go (up to ``W``) and the cheapest one
   that moves it up by the rest, where moving a published cell costs what the
   cell is worth and moving a suppressed cell is free. The upward part comes
   first: it needs complements large enough to decrease, and the downward part
   can then reuse them for free.
2. Suppress every published cell these deviations move. The deviations are
   then feasible points of the attacker's program: the cell is protected by
   construction.
3. Re-check every suppressed cell (complements need protection too) and repeat
   with the cells that fail. A few joint attacker programs per group prove most
   cells protected at once; each remaining cell gets one exact program (two
   deviations, published cells fixed, its values ``W`` apart: feasible or not).

A cell's cost is its value plus the width it would itself need: small cells are
preferred, margins (large) are avoided, and an empty cell is not free. As the
deviations respect non-negativity, an empty cell is never used to absorb a
decrease. Each round suppresses at least one more cell or stops, so the
procedure terminates (with everything suppressed every cell's maximum is
unbounded). Cells are visited in key order and HiGHS is deterministic, so the
same table always gets the same pattern.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy import sparse

from stats_app.disclosure.attack import Attacker, Group, solve_program
from stats_app.disclosure.lattice import Lattice


@dataclass
class SecondaryResult:
    hidden: list[bool]
    rounds: int
    programs_solved: int
    #: The attacker's groups on ``hidden`` by their cells, with what their programs found (for ``Attacker``'s
    #: ``known``: a later view of the same pattern need not solve them again).
    groups: dict[tuple[int, ...], Group] = field(default_factory=dict)


def choose_complements(
    lattice: Lattice,
    primary: Sequence[bool],
    required: Sequence[float],
    cost: Sequence[float],
    *,
    upward: Sequence[float] | None = None,
    frozen: Sequence[bool] | None = None,
) -> SecondaryResult:
    """Suppress further cells until every suppressed cell's attacker interval is at least ``required`` wide.

    ``primary``: the cells that must be suppressed; ``required``: per cell, the
    width its interval needs if suppressed; ``upward``: per cell, how far above
    its value the interval must reach (zero when not given); ``cost``: per cell,
    what publishing it is worth; ``frozen``: published cells that may not be
    suppressed (published already elsewhere: hiding them would hide nothing).
    """
    hidden = list(primary)
    frozen_cells = np.array(frozen if frozen is not None else [False] * len(lattice), dtype=bool)
    deviations = Deviations(lattice, frozen=frozen_cells)
    costs = np.array(cost, dtype=float)
    rises = list(upward) if upward is not None else [0.0] * len(lattice)
    rounds = 0
    programs = 0
    # The groups of the last round: one whose cells no new suppression reached is the same program, proven
    # as far as before (its joint programs are not solved again).
    known: dict[tuple[int, ...], Group] = {}
    while True:
        attacker = Attacker(lattice, _published(lattice, hidden), required, rises, known=known)
        unproven = [cell for cell in attacker.suppressed if not attacker.group(cell).surely_protects(cell)]
        programs += attacker.programs_solved
        known = {tuple(group.cells): group for group in attacker.groups()}
        if not unproven:
            break
        rounds += 1
        suppressed_before = sum(hidden)
        unchanged = True  # no cell suppressed yet this round: ``hidden`` is still the attacker's pattern
        for cell in unproven:
            if deviations.can_spread(cell, required[cell], hidden=hidden, upward=rises[cell]):
                if unchanged:
                    # The deviations move suppressed cells only: feasible points of the cell's group, which
                    # prove it protected in the attacker's view too (a later view taking the group need not
                    # solve its programs again).
                    group = attacker.group(cell)
                    for point in deviations.spread_points:
                        group.witness(point)
                continue
            if not _protect_cell(cell, required[cell], rises[cell], hidden, deviations, costs):
                if _suppress_cheapest_neighbour(lattice, cell, hidden, required, costs, frozen_cells):
                    unchanged = False
            else:
                unchanged = False
        if sum(hidden) == suppressed_before:
            # Every unproven cell was checked exactly and found protected, or nothing more can be
            # suppressed around the ones that fail (the audit will then refuse the table).
            break
    return SecondaryResult(
        hidden=hidden, rounds=rounds, programs_solved=programs + deviations.programs_solved, groups=known
    )


#: Programs over at least this many cells are solved without HiGHS's presolve.
PRESOLVE_BELOW = 1000


class Deviations:
    """The table's relations as linear constraints on deviations ``y = increase − decrease`` from the truth.

    Every program here is solved over a *neighbourhood* of the cell it is about,
    by column generation: the cells outside it keep a zero deviation, which the
    relations allow, so any answer of the small program is a deviation of the
    whole table; a cell outside joins it while its reduced cost (from the
    program's duals) is negative, or while the program is infeasible. When no
    cell outside can improve the optimum, the optimum is the whole table's:
    the same answer, exactly, as one program over every cell, for a fraction of
    its size (a protected cell's deviations reach a few dozen cells, not the
    table).
    """

    def __init__(self, lattice: Lattice, *, frozen: np.ndarray | None = None) -> None:
        self.size = size = len(lattice)
        values = lattice.values
        self.frozen = frozen if frozen is not None else np.zeros(size, dtype=bool)
        # How far each cell may go down and up from its true value and stay within the attacker's bounds.
        self.down_room = np.array(values, dtype=float) - np.array(lattice.floors, dtype=float)
        self.up_room = np.array(lattice.ceilings, dtype=float) - np.array(values, dtype=float)
        equality_rows: list[list[tuple[int, int]]] = []
        inequality_rows: list[list[tuple[int, int]]] = []
        slack: list[int] = []
        for link in lattice.links:
            if link.additive:
                equality_rows.append([(child, 1) for child in link.children] + [(link.parent, -1)])
                continue
            # true + deviation must still satisfy max(children) <= parent <= sum(children).
            parent = values[link.parent]
            for child in link.children:
                inequality_rows.append([(child, 1), (link.parent, -1)])
                slack.append(parent - values[child])
            if link.capped:
                inequality_rows.append([(link.parent, 1)] + [(child, -1) for child in link.children])
                slack.append(sum(values[child] for child in link.children) - parent)
        self.equalities = _sparse(equality_rows, size)
        self.inequalities = _sparse(inequality_rows, size)
        self.slack = np.array(slack, dtype=float)
        self.values = np.array(values, dtype=float)
        # Every relation as one row ``lower <= rows · y <= upper``: the inequalities, then the equalities.
        self.rows = _sparse(inequality_rows + equality_rows, size)
        if self.rows is None:
            self.rows = sparse.csr_array((0, size))
        self.rows.sort_indices()
        self.by_column = sparse.csc_array(self.rows)
        self.by_column.sort_indices()
        # The transpose, row-wise, for the reduced costs of every cell from a neighbourhood's duals.
        self.by_column_rows = sparse.csr_array(self.rows.T)
        self.by_column_rows.sort_indices()
        self._column_start = self.by_column.indptr[:-1].astype(np.int64)
        self._column_length = np.diff(self.by_column.indptr).astype(np.int64)
        self._row_number = np.full(self.rows.shape[0], -1, dtype=np.int64)  # scratch: row -> row of a block
        self.row_lower = np.concatenate([np.full(len(inequality_rows), -np.inf), np.zeros(len(equality_rows))])
        self.row_upper = np.concatenate([self.slack, np.zeros(len(equality_rows))])
        # The margins of each cell (the parents of its relations), for a first neighbourhood that can move.
        self.parents: list[list[int]] = [[] for _ in range(size)]
        for link in lattice.links:
            for child in link.children:
                self.parents[child].append(link.parent)
        self.programs_solved = 0
        #: The deviations (``y``, per cell) with which the last ``can_spread`` that succeeded proved its cell.
        self.spread_points: list[np.ndarray] = []
        #: The moves ``moved_cells`` found impossible: (cell, amount, direction, the cells that may not move).
        # Whether a move exists does not depend on which cells are hidden (only its cost does) but on the cells
        # that may not move: a move found impossible once is not searched for again.
        self._impossible: set[tuple[int, float, bool, bytes]] = set()

    def can_spread(self, cell: int, spread: float, *, hidden: Sequence[bool], upward: float = 0.0) -> bool:
        """Whether two deviations moving suppressed cells only give ``cell`` values ``spread`` apart, the
        first raising it by at least ``upward``.

        That is the attacker's interval being wide enough (and high enough): the
        highest deviation of ``cell`` reaches ``upward``, and the highest and the
        lowest are ``spread`` apart. Each is one program, capped at what is needed;
        published cells do not move.
        """
        self.spread_points = []
        movable = np.array(hidden, dtype=bool)
        up_bound = np.where(movable, np.maximum(self.up_room, 0.0), 0.0)
        down_bound = np.where(movable, np.maximum(self.down_room, 0.0), 0.0)
        tolerance = 1e-7 * max(1.0, spread)
        need_up = max(spread, upward)
        # The highest value: cell's increase capped at what is needed, its decrease nil.
        cost = np.zeros(self.size)
        cost[cell] = -1.0
        high_up = up_bound.copy()
        high_up[cell] = min(high_up[cell], need_up)
        high_down = down_bound.copy()
        high_down[cell] = 0.0
        point = self._optimise(cell, cost, np.zeros(self.size), np.zeros(self.size), high_up, high_down, movable)
        if point is None:
            return False
        rise = float(point[0][cell] - point[1][cell])
        if rise < upward - tolerance:
            return False
        highest = point[0] - point[1]
        if rise >= spread - tolerance:
            self.spread_points = [highest]
            return True
        # The lowest value, capped at the rest of the spread.
        low_up = up_bound.copy()
        low_up[cell] = 0.0
        low_down = down_bound.copy()
        low_down[cell] = min(low_down[cell], spread - rise)
        point = self._optimise(cell, cost * -1.0, np.zeros(self.size), np.zeros(self.size), low_up, low_down, movable)
        if point is None:
            return False
        if rise + float(point[1][cell] - point[0][cell]) >= spread - tolerance:
            self.spread_points = [highest, point[0] - point[1]]
            return True
        return False

    def moved_cells(
        self, cell: int, amount: float, *, upward: bool, hidden: Sequence[bool], cost: np.ndarray
    ) -> list[int]:
        """The published cells (ascending) the cheapest deviation moving ``cell`` by ``amount`` touches."""
        is_hidden = np.array(hidden, dtype=bool)
        unit_cost = np.where(is_hidden, 0.0, cost)
        fixed = self.frozen & ~is_hidden
        increase_upper = np.where(fixed, 0.0, np.maximum(self.up_room, 0.0))
        decrease_upper = np.where(fixed, 0.0, np.maximum(self.down_room, 0.0))
        impossible = (cell, float(amount), upward, np.packbits(fixed).tobytes())
        if impossible in self._impossible:
            return []
        increase_lower = np.zeros(self.size)
        decrease_lower = np.zeros(self.size)
        if upward:
            increase_lower[cell] = amount
            increase_upper[cell] = np.inf if np.isinf(self.up_room[cell]) else max(amount, self.up_room[cell])
            decrease_upper[cell] = 0.0
        else:
            increase_upper[cell] = 0.0
            decrease_lower[cell] = amount
            decrease_upper[cell] = max(amount, self.down_room[cell])
        point = self._optimise(
            cell, unit_cost, increase_lower, decrease_lower, increase_upper, decrease_upper, ~fixed, cost_down=unit_cost
        )
        if point is None:
            self._impossible.add(impossible)
            return []
        movement = point[0] + point[1]
        tolerance = 1e-7 * max(1.0, amount)
        return [int(moved) for moved in np.flatnonzero((movement > tolerance) & ~is_hidden)]

    def _block(self, columns: np.ndarray) -> tuple[np.ndarray, _Columns]:
        """The rows the ``columns`` touch (ascending), and ``[block, −block]`` column-wise: the relations over
        the columns' increases then decreases, sliced from the precomputed matrix with index arrays.

        The same matrix, entry for entry, as ``hstack([rows[touched][:, columns], −…])``, for a fraction of
        scipy's slicing and stacking.
        """
        starts = self._column_start[columns]
        lengths = self._column_length[columns]
        total = int(lengths.sum())
        ends = np.cumsum(lengths)
        # The positions of the columns' entries in the whole matrix: each column's run, one after the other.
        positions = np.arange(total, dtype=np.int64) + np.repeat(starts - (ends - lengths), lengths)
        rows = self.by_column.indices[positions]
        data = self.by_column.data[positions]
        touched = np.unique(rows)
        number = self._row_number
        number[touched] = np.arange(len(touched))
        local = number[rows]
        number[touched] = -1
        indptr = np.concatenate([[0], ends, total + ends])
        matrix = _Columns(
            shape=(len(touched), 2 * len(columns)),
            indptr=indptr.astype(np.int32),
            indices=np.concatenate([local, local]).astype(np.int32),
            data=np.concatenate([data, -data]),
        )
        return touched, matrix

    def _optimise(
        self,
        cell: int,
        cost_up: np.ndarray,
        increase_lower: np.ndarray,
        decrease_lower: np.ndarray,
        increase_upper: np.ndarray,
        decrease_upper: np.ndarray,
        movable: np.ndarray,
        *,
        cost_down: np.ndarray | None = None,
    ) -> tuple[np.ndarray, np.ndarray] | None:
        """The cheapest deviation ``(increase, decrease)`` of the whole table within the bounds, costing
        ``cost_up · increase + cost_down · decrease`` (``cost_down``: ``−cost_up`` when not given, the cost of
        the deviation ``y`` itself); ``None`` when there is none.

        Solved by column generation from ``cell`` and its margins (see the class).
        """
        if cost_down is None:
            cost_down = -cost_up
        room_up = increase_upper > 0
        room_down = decrease_upper > 0
        inside = np.zeros(self.size, dtype=bool)
        start = {cell}
        # The cell's margins, and theirs: moving a cell and every margin above it by the same amount keeps
        # every relation, so this first neighbourhood is usually feasible.
        frontier = [cell]
        while frontier:
            for parent in self.parents[frontier.pop()]:
                if parent not in start:
                    start.add(parent)
                    frontier.append(parent)
        inside[list(start)] = True
        inside &= movable
        inside[cell] = True
        infeasible_rounds = 0
        while True:
            columns = np.flatnonzero(inside)
            touched, matrix = self._block(columns)
            result = solve_program(
                np.concatenate([cost_up[columns], cost_down[columns]]),
                matrix,
                self.row_lower[touched],
                self.row_upper[touched],
                np.concatenate([increase_lower[columns], decrease_lower[columns]]),
                np.concatenate([increase_upper[columns], decrease_upper[columns]]),
                # Presolve costs more than it saves on a program over most of a table (measured: half the time).
                presolve=len(columns) < PRESOLVE_BELOW,
            )
            self.programs_solved += 1
            if result.optimal:
                # Reduced costs of the cells outside: cost − (their column)ᵀ · duals, for y's two signs.
                duals = np.zeros(self.rows.shape[0])
                duals[touched] = result.row_dual
                pressure = self.by_column_rows @ duals
                tolerance = 1e-7
                joining = (
                    ~inside
                    & movable
                    & (
                        (room_up & (cost_up - pressure < -tolerance))
                        | (room_down & (cost_down + pressure < -tolerance))
                    )
                )
            else:
                # Infeasible so small: every movable cell sharing a relation with the neighbourhood joins; after
                # two such rounds, every movable cell (the whole program: growing it further costs more solves
                # than it saves, as in a joint lattice, where a deviation must reach past the released cells).
                infeasible_rounds += 1
                joining = np.zeros(self.size, dtype=bool)
                if infeasible_rounds > 2:
                    joining[:] = True
                else:
                    joining[self.rows[touched].indices] = True
                joining &= ~inside & movable & (room_up | room_down)
            if not joining.any():
                break
            inside |= joining
        if not result.optimal:
            return None
        increase = np.zeros(self.size)
        decrease = np.zeros(self.size)
        increase[columns] = result.x[: len(columns)]
        decrease[columns] = result.x[len(columns) :]
        return increase, decrease


@dataclass
class _Columns:
    """A column-wise sparse matrix as HiGHS takes it (``solve_program`` reads these four fields)."""

    shape: tuple[int, int]
    indptr: np.ndarray
    indices: np.ndarray
    data: np.ndarray


def _protect_cell(
    cell: int,
    required: float,
    rise: float,
    hidden: list[bool],
    deviations: Deviations,
    costs: np.ndarray,
) -> bool:
    """Make ``cell``'s interval ``required`` wide, reaching ``rise`` above its value, by suppressing the cells
    the cheapest deviations move.

    False when the programs found nothing to suppress.
    """
    room = deviations.down_room[cell]
    upward = max(rise, required - min(room, required))
    downward = max(0.0, min(room, required - upward))
    added = False
    for amount, is_upward in ((upward, True), (downward, False)):
        if amount <= 0:
            continue
        for moved in deviations.moved_cells(cell, amount, upward=is_upward, hidden=hidden, cost=costs):
            hidden[moved] = True
            added = True
    return added


def _suppress_cheapest_neighbour(
    lattice: Lattice, cell: int, hidden: list[bool], required: Sequence[float], costs: np.ndarray, frozen: np.ndarray
) -> bool:
    """The last resort when the programs find nothing (solver noise): hide the cheapest published cell
    sharing a relation with ``cell``'s group of suppressed cells. False when there is none."""
    # The group's cells and relations only (``connected``'s walk, on ``hidden``): its programs are not needed here.
    links, links_of = lattice.links, lattice.links_of
    cells = {cell}
    seen: set[int] = set()
    neighbours: set[int] = set()
    frontier = [cell]
    while frontier:
        for link_number in links_of[frontier.pop()]:
            if link_number in seen:
                continue
            seen.add(link_number)
            for member in links[link_number].members:
                if hidden[member]:
                    if member not in cells:
                        cells.add(member)
                        frontier.append(member)
                elif not frozen[member]:
                    neighbours.add(member)
    if not neighbours:
        return False
    hidden[min(neighbours, key=lambda candidate: (costs[candidate], candidate))] = True
    return True


def _published(lattice: Lattice, hidden: Sequence[bool]) -> list[int | None]:
    return [None if is_hidden else value for value, is_hidden in zip(lattice.values, hidden, strict=True)]


def _sparse(rows: list[list[tuple[int, int]]], size: int) -> sparse.csr_array | None:
    if not rows:
        return None
    row_numbers = [number for number, row in enumerate(rows) for _ in row]
    columns = [cell for row in rows for cell, _ in row]
    coefficients = [coefficient for row in rows for _, coefficient in row]
    return sparse.csr_array((coefficients, (row_numbers, columns)), shape=(len(rows), size), dtype=float)
