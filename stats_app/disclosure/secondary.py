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

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import sparse
from scipy.optimize import linprog

from stats_app.disclosure.attack import Attacker
from stats_app.disclosure.lattice import Lattice


@dataclass
class SecondaryResult:
    hidden: list[bool]
    rounds: int
    programs_solved: int


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
    while True:
        attacker = Attacker(lattice, _published(lattice, hidden), required, rises)
        unproven = [cell for cell in attacker.suppressed if not attacker.group(cell).surely_protects(cell)]
        programs += attacker.programs_solved
        if not unproven:
            break
        rounds += 1
        suppressed_before = sum(hidden)
        for cell in unproven:
            if deviations.can_spread(cell, required[cell], hidden=hidden, upward=rises[cell]):
                continue
            if not _protect_cell(cell, required[cell], rises[cell], hidden, deviations, costs):
                _suppress_cheapest_neighbour(lattice, cell, hidden, required, costs, frozen_cells)
        if sum(hidden) == suppressed_before:
            # Every unproven cell was checked exactly and found protected, or nothing more can be
            # suppressed around the ones that fail (the audit will then refuse the table).
            break
    return SecondaryResult(hidden=hidden, rounds=rounds, programs_solved=programs + deviations.programs_solved)


class Deviations:
    """The table's relations as linear constraints on deviations ``y = increase − decrease`` from the truth."""

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
        self.programs_solved = 0

    def can_spread(self, cell: int, spread: float, *, hidden: Sequence[bool], upward: float = 0.0) -> bool:
        """Whether two deviations moving suppressed cells only give ``cell`` values ``spread`` apart, the
        first raising it by at least ``upward``.

        That is the attacker's interval being wide enough (and high enough), asked
        of one small program (published cells do not move, so only suppressed
        ones are columns).
        """
        columns = np.flatnonzero(np.array(hidden, dtype=bool))
        position = int(np.searchsorted(columns, cell))
        count = len(columns)
        equalities = _rows_touching(self.equalities[:, columns]) if self.equalities is not None else None
        inequalities, slack = None, np.zeros(0)
        if self.inequalities is not None:
            touched = np.flatnonzero(np.diff(self.inequalities[:, columns].tocsr().indptr))
            if len(touched):
                inequalities = self.inequalities[touched][:, columns]
                slack = self.slack[touched]
        bounds = [_room(room) for room in self.up_room[columns]] + [_room(room) for room in self.down_room[columns]]
        # y_first[cell] − y_second[cell] >= spread, and y_first[cell] >= upward, written as <= for linprog.
        spread_rows = sparse.csr_array(
            (
                [-1.0, 1.0, 1.0, -1.0, -1.0, 1.0],
                (
                    [0, 0, 0, 0, 1, 1],
                    [
                        position,
                        count + position,
                        2 * count + position,
                        3 * count + position,
                        position,
                        count + position,
                    ],
                ),
            ),
            shape=(2, 4 * count),
        )
        a_eq = _copies(equalities, 2)
        a_ub = _copies(inequalities, 2)
        result = linprog(
            np.zeros(4 * count),
            A_ub=spread_rows if a_ub is None else sparse.vstack([a_ub, spread_rows], format="csr"),
            b_ub=np.concatenate([slack, slack, [-spread, -upward]]),
            A_eq=a_eq,
            b_eq=None if a_eq is None else np.zeros(a_eq.shape[0]),
            bounds=bounds + bounds,
            method="highs",
        )
        self.programs_solved += 1
        return result.status == 0

    def moved_cells(
        self, cell: int, amount: float, *, upward: bool, hidden: Sequence[bool], cost: np.ndarray
    ) -> list[int]:
        """The published cells (ascending) the cheapest deviation moving ``cell`` by ``amount`` touches."""
        size = self.size
        is_hidden = np.array(hidden, dtype=bool)
        unit_cost = np.where(is_hidden, 0.0, cost)
        fixed = self.frozen & ~is_hidden
        increase_bounds = [(0.0, 0.0) if fixed[number] else _room(room) for number, room in enumerate(self.up_room)]
        decrease_bounds = [(0.0, 0.0) if fixed[number] else _room(room) for number, room in enumerate(self.down_room)]
        if upward:
            increase_bounds[cell] = (
                amount,
                None if math.isinf(self.up_room[cell]) else max(amount, self.up_room[cell]),
            )
            decrease_bounds[cell] = (0.0, 0.0)
        else:
            increase_bounds[cell] = (0.0, 0.0)
            decrease_bounds[cell] = (amount, max(amount, self.down_room[cell]))
        a_eq = _copies(self.equalities, 1)
        result = linprog(
            np.concatenate([unit_cost, unit_cost]),
            A_ub=_copies(self.inequalities, 1),
            b_ub=self.slack if self.inequalities is not None else None,
            A_eq=a_eq,
            b_eq=None if a_eq is None else np.zeros(a_eq.shape[0]),
            bounds=increase_bounds + decrease_bounds,
            method="highs",
            # Presolve costs more than it saves on this program over the whole table (measured: half the time).
            options={"presolve": False},
        )
        self.programs_solved += 1
        if result.status != 0:
            return []
        movement = result.x[:size] + result.x[size:]
        tolerance = 1e-7 * max(1.0, amount)
        return [int(moved) for moved in np.flatnonzero((movement > tolerance) & ~is_hidden)]


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
) -> None:
    """The last resort when the programs find nothing (solver noise): hide the cheapest published cell
    sharing a relation with ``cell``'s group of suppressed cells."""
    group = Attacker(lattice, _published(lattice, hidden), required).group(cell)
    neighbours = {
        member
        for member_cell in group.cells
        for link_number in lattice.links_of[member_cell]
        for member in lattice.links[link_number].members
        if not hidden[member] and not frozen[member]
    }
    if neighbours:
        hidden[min(neighbours, key=lambda candidate: (costs[candidate], candidate))] = True


def _room(room: float) -> tuple[float, float | None]:
    return (0.0, None if math.isinf(room) else float(max(room, 0.0)))


def _published(lattice: Lattice, hidden: Sequence[bool]) -> list[int | None]:
    return [None if is_hidden else value for value, is_hidden in zip(lattice.values, hidden, strict=True)]


def _sparse(rows: list[list[tuple[int, int]]], size: int) -> sparse.csr_array | None:
    if not rows:
        return None
    row_numbers = [number for number, row in enumerate(rows) for _ in row]
    columns = [cell for row in rows for cell, _ in row]
    coefficients = [coefficient for row in rows for _, coefficient in row]
    return sparse.csr_array((coefficients, (row_numbers, columns)), shape=(len(rows), size), dtype=float)


def _rows_touching(matrix: sparse.csr_array) -> sparse.csr_array | None:
    """The rows with at least one entry (a relation among published cells only says nothing about deviations)."""
    matrix = matrix.tocsr()
    touched = np.flatnonzero(np.diff(matrix.indptr))
    return matrix[touched] if len(touched) else None


def _copies(matrix: sparse.csr_array | None, copies: int) -> sparse.csr_array | None:
    """``copies`` independent deviations side by side, each as ``[increase, decrease]`` columns."""
    if matrix is None:
        return None
    one = sparse.hstack([matrix, -matrix], format="csr")
    return one if copies == 1 else sparse.block_diag([one] * copies, format="csr")
