"""The attacker's linear programs: how narrowly can a suppressed cell be pinned down?

The variables are the suppressed cells (non-negative, or within the bounds the
lattice gives them); the constraints are the relations that involve at least
one of them, with the published values substituted as constants: parent ==
sum(children) for additive relations, max(children) <= parent <= sum(children)
for the others (only ``child <= parent`` for a bare bound). Minimising and
maximising one cell gives the interval the attacker can be sure of.

A suppressed cell is protected when its interval is at least ``required`` wide
and, for a cell the p % rule protects, reaches at least ``upward`` above its
true value: the second largest contributor, who knows the cell lies below the
attacker's upper bound, must not be able to estimate the largest contribution
more closely than p % from above (see ``upward_protection``).

Suppressed cells that share no relation cannot inform each other, so the
programs are solved per *group* (connected suppressed cells), which keeps each
one small.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import scipy.optimize._highspy._core as highs
from scipy import sparse

from stats_app.disclosure.errors import DisclosureError
from stats_app.disclosure.lattice import Lattice
from stats_app.disclosure.table import Policy, ValueKind

#: Slack granted to floating-point solutions: true intervals are rational numbers of integer data,
#: so a width short of the requirement by less than this (relative) is solver noise.
RELATIVE_TOLERANCE = 1e-6

OPTIMAL = highs.HighsModelStatus.kOptimal
UNBOUNDED = highs.HighsModelStatus.kUnbounded


@dataclass
class Solution:
    """What HiGHS found: its model status, and for an optimum the point and the duals (reduced costs are
    ``cost − matrixᵀ · row_dual``)."""

    status: object
    x: np.ndarray | None = None
    row_dual: np.ndarray | None = None
    message: str = ""

    @property
    def optimal(self) -> bool:
        return self.status == OPTIMAL


_local = threading.local()


def _solver():
    """This thread's HiGHS instance, made once: creating one costs as much as solving a small program, and
    ``passModel`` replaces the model, its basis and its solution, so every program is solved from scratch."""
    solver = getattr(_local, "solver", None)
    if solver is None:
        solver = _local.solver = highs._Highs()
        solver.setOptionValue("output_flag", False)
    return solver


def solve_program(
    cost: np.ndarray,
    matrix: sparse.csc_array | None,
    row_lower: np.ndarray,
    row_upper: np.ndarray,
    column_lower: np.ndarray,
    column_upper: np.ndarray,
    *,
    presolve: bool = True,
) -> Solution:
    """``min cost · x`` subject to ``row_lower <= matrix · x <= row_upper`` and the column bounds (``±inf``
    where unbounded), solved by HiGHS directly.

    ``scipy.optimize.linprog(method="highs")`` runs the same solver with the same
    dual simplex, but rebuilds and checks its inputs on every call and loops in
    Python over every column to fill multipliers these programs never read: on a
    whole-table program that is as long as the solve itself.
    """
    columns = len(cost)
    if matrix is None:
        matrix = sparse.csc_array((0, columns))
    rows = matrix.shape[0]
    program = highs.HighsLp()
    program.num_col_ = columns
    program.num_row_ = rows
    program.a_matrix_.num_col_ = columns
    program.a_matrix_.num_row_ = rows
    program.a_matrix_.format_ = highs.MatrixFormat.kColwise
    program.col_cost_ = np.asarray(cost, dtype=float)
    program.col_lower_ = np.asarray(column_lower, dtype=float)
    program.col_upper_ = np.asarray(column_upper, dtype=float)
    program.row_lower_ = np.asarray(row_lower, dtype=float)
    program.row_upper_ = np.asarray(row_upper, dtype=float)
    program.a_matrix_.start_ = matrix.indptr
    program.a_matrix_.index_ = matrix.indices
    program.a_matrix_.value_ = matrix.data
    solver = _solver()
    solver.setOptionValue("presolve", "choose" if presolve else "off")
    solver.passModel(program)
    solver.run()
    status = solver.getModelStatus()
    if status != OPTIMAL:
        return Solution(status=status, message=solver.modelStatusToString(status))
    solution = solver.getSolution()
    return Solution(status=status, x=np.array(solution.col_value), row_dual=np.array(solution.row_dual))


def required_width(kind: ValueKind, value: int, policy: Policy) -> int:
    """How wide a suppressed cell's interval must be.

    Counts: the protection level. Amounts (cents): the protection level in whole
    currency units, and at least p % of the cell, so that a large complement is
    not narrowed to a few cents. Never zero: exact recovery is never allowed.
    """
    level = max(policy.effective_protection_level, 1)
    if kind == "count":
        return level
    return max(100 * level, -(-policy.p_percent * value // 100), 1)


def upward_protection(kind: ValueKind, stats, policy: Policy) -> int:
    """How far above its true value the attacker's upper bound must reach for an amount cell (cents).

    The p % rule's upper protection (Hundepool et al., *Statistical Disclosure
    Control*, 4.2.3): the second largest contributor ``x2`` bounds the largest
    from above by ``upper − x2``, which must stay at least ``(1 + p/100) · x1``:
    ``upper − value >= p/100 · x1 − (value − x1 − x2)``. Zero for counts and for
    cells whose other contributors already hide the largest well enough.
    """
    if kind != "amount" or not stats.top or stats.value <= 0:
        return 0
    first = stats.top[0]
    second = stats.top[1] if len(stats.top) > 1 else 0
    return max(0, -(-policy.p_percent * first // 100) - (stats.value - first - second))


@dataclass(frozen=True)
class Interval:
    low: float
    high: float  # math.inf when the attacker cannot bound the cell from above

    @property
    def width(self) -> float:
        return self.high - self.low


class Group:
    """Suppressed cells linked by relations, and the linear system an attacker can write about them.

    ``required``: per cell number, the width its interval needs; ``upward``: how far above its true value
    the interval must reach (p % rule), zero when not given.
    """

    def __init__(
        self,
        lattice: Lattice,
        published: Sequence[int | None],
        required: Sequence[float],
        cells: list[int],
        links: list[int],
        upward: Sequence[float] | None = None,
    ) -> None:
        self.cells = cells
        self._cells = np.array(cells, dtype=np.int64)
        self.column = {cell: column for column, cell in enumerate(cells)}
        equalities = _Rows()
        inequalities = _Rows()
        for link_number in links:
            link = lattice.links[link_number]
            if link.additive:
                equalities.add([(child, 1) for child in link.children] + [(link.parent, -1)], published, self.column)
            else:
                for child in link.children:
                    inequalities.add([(child, 1), (link.parent, -1)], published, self.column)
                if link.capped:
                    inequalities.add(
                        [(link.parent, 1)] + [(child, -1) for child in link.children], published, self.column
                    )
        # The constraint matrix is the same for every program of the group: built once.
        self._matrix, self._row_lower, self._row_upper = _stacked(inequalities, equalities, len(cells))
        self.true_values = np.array([lattice.values[cell] for cell in cells], dtype=float)
        self.required = np.array([required[cell] for cell in cells], dtype=float)
        self.upward = np.array([upward[cell] if upward is not None else 0.0 for cell in cells], dtype=float)
        self.floors = np.array([lattice.floors[cell] for cell in cells], dtype=float)
        self.ceilings = np.array([lattice.ceilings[cell] for cell in cells], dtype=float)
        # Feasible points met so far: the true values, then every optimum found.
        self.seen_low = self.true_values.copy()
        self.seen_high = self.true_values.copy()
        self.programs_solved = 0
        self._lowest: dict[int, float] = {}
        self._highest: dict[int, float] = {}
        self._pushed = False

    def extreme(self, cell: int, *, maximise: bool) -> float:
        """The smallest or largest value the attacker can give ``cell``; ``math.inf`` when unbounded above."""
        column = self.column[cell]
        solved = self._highest if maximise else self._lowest
        if column not in solved:
            objective = np.zeros(len(self.cells))
            objective[column] = -1.0 if maximise else 1.0
            point = self._solve(objective, *self._bounds())
            if point is None:
                self.seen_high[column] = math.inf
                solved[column] = math.inf
            else:
                solved[column] = float(point[column])
        return solved[column]

    def witness(self, deviation: np.ndarray) -> None:
        """Record a feasible point met elsewhere: ``deviation`` (per cell of the lattice) from the true values
        moves no published cell and keeps every relation and bound (``Deviations.can_spread``'s)."""
        point = self.true_values + deviation[self._cells]
        np.minimum(self.seen_low, point, out=self.seen_low)
        np.maximum(self.seen_high, point, out=self.seen_high)

    def interval(self, cell: int) -> Interval:
        """The exact interval (two programs, unless solved before)."""
        return Interval(self.extreme(cell, maximise=False), self.extreme(cell, maximise=True))

    def seen(self, cell: int) -> Interval:
        """A sub-interval of the attacker's: the extremes of the feasible points met so far."""
        column = self.column[cell]
        return Interval(float(self.seen_low[column]), float(self.seen_high[column]))

    def protects(self, cell: int) -> bool:
        """Whether ``cell``'s interval is at least as wide as required.

        Feasible points already met often prove it without a program of its own.
        """
        column = self.column[cell]
        if not self._pushed:
            self._push_all()
        if self._certified()[column]:
            return True
        self.extreme(cell, maximise=True)
        if self._certified()[column]:
            return True
        self.extreme(cell, maximise=False)
        return bool(self._certified()[column])

    def surely_protects(self, cell: int) -> bool:
        """Whether the feasible points met so far (a few joint programs for the whole group) prove ``cell``
        protected; False means "not proven", not "narrow"."""
        if not self._pushed:
            self._push_all()
        return bool(self._certified()[self.column[cell]])

    def _certified(self) -> np.ndarray:
        wide = self.seen_high - self.seen_low >= self.required - RELATIVE_TOLERANCE * np.maximum(1.0, self.required)
        high = self.seen_high - self.true_values >= self.upward - RELATIVE_TOLERANCE * np.maximum(1.0, self.upward)
        return wide & high

    def _bounds(self, low: np.ndarray | None = None, high: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """The variables' lower and upper bounds: the lattice's floors and ceilings, narrowed by ``low`` and
        ``high`` if given."""
        floors = self.floors if low is None else np.maximum(self.floors, low)
        ceilings = self.ceilings if high is None else np.minimum(self.ceilings, high)
        return floors, ceilings

    def _push_all(self) -> None:
        """Certify most cells with a few programs: move every uncertified cell up, then down, by its required
        width at once (each capped there, and weighted by it), as long as that certifies more cells."""
        self._pushed = True
        pending = ~self._certified()
        needed = np.maximum(np.maximum(self.required, self.upward), 1e-9)
        while pending.any():
            weights = np.where(pending, 1.0 / needed, 0.0)
            ceiling = np.where(pending, self.true_values + needed, np.inf)
            floor = np.where(pending, np.maximum(0.0, self.true_values - self.required), 0.0)
            self._solve(-weights, *self._bounds(high=ceiling))
            self._solve(weights, *self._bounds(low=floor))
            still_pending = ~self._certified()
            if still_pending.sum() >= pending.sum():
                return
            pending = still_pending

    def _solve(self, objective: np.ndarray, low: np.ndarray, high: np.ndarray) -> np.ndarray | None:
        """Optimise over the attacker's system (within ``low`` and ``high``); the optimum, or ``None`` when
        unbounded."""
        result = solve_program(objective, self._matrix, self._row_lower, self._row_upper, low, high)
        self.programs_solved += 1
        if result.status == UNBOUNDED:
            return None
        if not result.optimal:
            # The true values satisfy every constraint, so this means inconsistent published values.
            raise DisclosureError(f"The attacker's program could not be solved: {result.message}")
        np.minimum(self.seen_low, result.x, out=self.seen_low)
        np.maximum(self.seen_high, result.x, out=self.seen_high)
        return result.x


class Attacker:
    """The attacker's view of one publication: the groups of suppressed cells, built on demand.

    ``required``: per cell number, the width its interval needs if suppressed.
    """

    def __init__(
        self,
        lattice: Lattice,
        published: Sequence[int | None],
        required: Sequence[float],
        upward: Sequence[float] | None = None,
        *,
        known: dict[tuple[int, ...], Group] | None = None,
    ) -> None:
        self.lattice = lattice
        self.published = published
        self.required = required
        self.upward = upward
        #: Groups of an earlier view of the same cells (the same values and requirements, published cells
        #: published at their values) by their cells: a group whose suppressed cells are the same has the same
        #: relations and the same program, so it is taken as it is, with what its programs found.
        self.known = known
        self._group_of: dict[int, Group] = {}
        self._groups: list[Group] = []

    @property
    def suppressed(self) -> list[int]:
        return [cell for cell, value in enumerate(self.published) if value is None]

    def group(self, cell: int) -> Group:
        if cell not in self._group_of:
            group = self._build_group(cell)
            for member in group.cells:
                self._group_of[member] = group
        return self._group_of[cell]

    def groups(self) -> list[Group]:
        return [self.group(cell) for cell in self.suppressed if self.group(cell).cells[0] == cell]

    def protects(self, cell: int) -> bool:
        return self.group(cell).protects(cell)

    @property
    def programs_solved(self) -> int:
        """The programs solved for this view (not those of the known groups it took)."""
        return sum(group.programs_solved for group in self._groups)

    def _build_group(self, start: int) -> Group:
        cells, link_numbers = connected(self.lattice, self.published, start)
        known = self.known.get(tuple(cells)) if self.known is not None else None
        if known is not None:
            return known
        group = Group(self.lattice, self.published, self.required, cells, link_numbers, self.upward)
        self._groups.append(group)
        return group


def connected(lattice: Lattice, published: Sequence[int | None], start: int) -> tuple[list[int], list[int]]:
    """The suppressed cells linked to ``start`` through relations (ascending), and those relations' numbers."""
    links = lattice.links
    cells = {start}
    link_numbers: set[int] = set()
    frontier = [start]
    while frontier:
        cell = frontier.pop()
        for link_number in lattice.links_of[cell]:
            if link_number in link_numbers:
                continue
            link_numbers.add(link_number)
            for member in links[link_number].members:
                if published[member] is None and member not in cells:
                    cells.add(member)
                    frontier.append(member)
    return sorted(cells), sorted(link_numbers)


class _Rows:
    """Rows of a sparse linear system, the published cells moved to the right-hand side."""

    def __init__(self) -> None:
        self.rows: list[int] = []
        self.columns: list[int] = []
        self.coefficients: list[float] = []
        self.right: list[float] = []

    def add(self, terms: list[tuple[int, int]], published: Sequence[int | None], column: dict[int, int]) -> None:
        constant = 0
        variables = []
        for cell, coefficient in terms:
            value = published[cell]
            if value is None:
                variables.append((column[cell], coefficient))
            else:
                constant += coefficient * value
        if not variables:
            return
        row = len(self.right)
        for variable, coefficient in variables:
            self.rows.append(row)
            self.columns.append(variable)
            self.coefficients.append(coefficient)
        self.right.append(-constant)


def _stacked(upper: _Rows, equal: _Rows, columns: int) -> tuple[sparse.csc_array, np.ndarray, np.ndarray]:
    """``upper · x <= right`` then ``equal · x == right`` as one column-wise matrix with its row bounds."""
    offset = len(upper.right)
    rows = np.concatenate([np.asarray(upper.rows, dtype=np.int64), np.asarray(equal.rows, dtype=np.int64) + offset])
    matrix = sparse.csc_array(
        (
            np.asarray(upper.coefficients + equal.coefficients, dtype=float),
            (rows, np.asarray(upper.columns + equal.columns, dtype=np.int64)),
        ),
        shape=(offset + len(equal.right), columns),
    )
    matrix.sum_duplicates()  # sorted indices, as HiGHS expects
    equal_right = np.asarray(equal.right, dtype=float)
    row_lower = np.concatenate([np.full(offset, -np.inf), equal_right])
    row_upper = np.concatenate([np.asarray(upper.right, dtype=float), equal_right])
    return matrix, row_lower, row_upper
