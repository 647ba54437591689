"""Suppress-then-round's attacker: which redacted counts the published values pin inside [1, t − 1].

A redacted count is *pinned* when every table consistent with what was
published gives it a value from 1 to threshold − 1: the reader then learns that
a small non-zero group exists, which redaction was meant to hide.

What the attacker knows of each true value, the policy being public (b the
rounding base, m the largest count the redaction rule hides, see
``largest_redacted``):

- a count published as its own rounded value r: exactly 0 when r = 0;
  otherwise a count that rounds half up to r and escaped the rule, that is
  [max(r − ⌊b/2⌋, m + 1), ⌊(2r + b − 1)/2⌋];
- a redacted count: one the rule hides, [1, m] ([0, m] when zeros are not
  published); once extra redactions were made (``secondary``), which are always
  non-zero counts above m, the upper bound is gone but the lower one stays;
- a margin published as the sum of its published cells: only that it is at
  least 0 (its published value says nothing the cells do not);
- the table's relations between true values: a margin equals the sum of its
  parts, or, for distinct persons along a dimension that does not partition
  them, lies between its largest part and their sum.

Every one of these sets is an interval, so linear programs (HiGHS) give the
attacker's range. Counts are integers, though, and the relations of a table of
three or more dimensions can leave a fractional optimum where no integer table
reaches: then, and only then, a mixed-integer program settles the bound.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
from scipy import sparse
from scipy.optimize import Bounds, LinearConstraint, linprog, milp

from stats_app.disclosure.errors import DisclosureError
from stats_app.disclosure.lattice import Lattice
from stats_app.disclosure.rounding_rules import is_summed_margin, round_half_up
from stats_app.disclosure.table import Key, Policy, Table

#: Solutions within this of an integer are integers (the data and the bounds are integers).
INTEGER_TOLERANCE = 1e-6


@dataclass(frozen=True)
class Range:
    """The integer values the attacker cannot rule out for a cell: from ``low`` to ``high``."""

    low: int
    high: int


@dataclass(frozen=True)
class Pinned:
    """A redacted cell the attacker narrows to ``low``..``high``, inside [1, t − 1]."""

    low: int
    high: int
    #: The published cells whose intervals hold the maximum down: redacting one of them raises it.
    held_by: tuple[Key, ...] = ()


def largest_redacted(policy: Policy) -> int:
    """The largest count suppress-then-round redacts: the threshold, or more when it would round to 1..t."""
    largest = policy.threshold
    while round_half_up(largest + 1, policy.rounding_base) <= policy.threshold:
        largest += 1
    return largest


def published_range(value: int, policy: Policy) -> Range:
    """The true counts a count published as its own rounded ``value`` can be."""
    if value == 0:
        return Range(0, 0)
    base = policy.rounding_base
    return Range(max(value - base // 2, largest_redacted(policy) + 1), (2 * value + base - 1) // 2)


def redacted_floor(policy: Policy) -> int:
    """The smallest count a redacted cell can hold: 1 when zeros are published (a hidden cell is not empty)."""
    return 1 if policy.publish_zeros else 0


class PinningAttacker:
    """The attacker's programs over one suppress-then-round table.

    ``published``: every key of ``table`` -> its published value, ``None`` where
    redacted. ``secondary``: whether some redacted cells were hidden beyond the
    rule (the report says so), so that a redacted cell may hold more than m.
    """

    def __init__(self, table: Table, published: Mapping[Key, int | None], policy: Policy, *, secondary: bool) -> None:
        self.lattice = Lattice(table)
        self.policy = policy
        lattice = self.lattice
        size = len(lattice)
        self.lower = np.zeros(size)
        self.upper = np.full(size, np.inf)
        ceiling = math.inf if secondary else largest_redacted(policy)
        self.redacted: list[int] = []
        for cell, key in enumerate(lattice.keys):
            if is_summed_margin(table, key):
                if published[key] is None:
                    self.redacted.append(cell)
                continue
            value = published[key]
            if value is None:
                self.redacted.append(cell)
                self.lower[cell], self.upper[cell] = redacted_floor(policy), ceiling
            else:
                bounds = published_range(value, policy)
                self.lower[cell], self.upper[cell] = bounds.low, bounds.high
        equalities: list[dict[int, float]] = []
        inequalities: list[dict[int, float]] = []
        for link in lattice.links:
            if link.additive:
                equalities.append({link.parent: -1.0} | dict.fromkeys(link.children, 1.0))
                continue
            inequalities.extend({child: 1.0, link.parent: -1.0} for child in link.children)
            if link.capped:
                inequalities.append(dict.fromkeys(link.children, -1.0) | {link.parent: 1.0})
        self.a_eq = _matrix(equalities, size)
        self.a_ub = _matrix(inequalities, size)
        self.programs_solved = 0
        # The extreme values the integer solutions met so far reach, starting from the true table.
        self.reached_high = np.array(lattice.values, dtype=float)
        self.reached_low = self.reached_high.copy()
        #: cell number -> the cells whose bounds its maximum rests on.
        self.holding: dict[int, list[int]] = {}

    def pinned(self) -> dict[Key, Pinned]:
        """Every redacted cell pinned inside [1, t − 1], with the range the attacker is left with.

        Only a cell whose true value lies in [1, t − 1] can be pinned (the true
        table is always one the attacker must allow for), so only those are
        solved for; an integer solution met on the way, where another such cell
        reaches t or 0, clears that cell without a program of its own.
        """
        threshold = self.policy.threshold
        candidates = [cell for cell in self.redacted if 1 <= self.lattice.values[cell] < threshold]
        self._reach_together(candidates)
        pinned: dict[Key, Pinned] = {}
        for cell in candidates:
            if self.reached_high[cell] >= threshold or self.reached_low[cell] <= 0:
                continue
            high = self._extreme(cell, maximise=True, beyond=threshold - 1)
            if high is None or high >= threshold:
                continue
            low = self._extreme(cell, maximise=False, beyond=1)
            if low is not None and low >= 1:
                held_by = tuple(self.lattice.keys[number] for number in self.holding.get(cell, ()))
                pinned[self.lattice.keys[cell]] = Pinned(low, high, held_by)
        return pinned

    def _reach_together(self, candidates: list[int]) -> None:
        """Clear many candidates at once: one program pushes all of them up to t together.

        Capping them at t only narrows what the program may choose, so an
        integer optimum is still a table the attacker must allow for; every
        candidate it takes to t is cleared. Repeated while it clears some.
        """
        threshold = self.policy.threshold
        while True:
            open_cells = [cell for cell in candidates if self.reached_high[cell] < threshold]
            if not open_cells:
                return
            objective = np.zeros(len(self.lattice))
            objective[open_cells] = -1.0
            upper = self.upper.copy()
            upper[open_cells] = np.minimum(upper[open_cells], threshold)
            result = self._solve(objective, upper)
            if result.status != 0 or not _is_integral(result.x):
                return
            cleared = sum(result.x[cell] >= threshold - INTEGER_TOLERANCE for cell in open_cells)
            self._remember(result.x)
            if not cleared:
                return

    def _solve(self, objective: np.ndarray, upper: np.ndarray):
        self.programs_solved += 1
        return linprog(
            objective,
            A_ub=self.a_ub if self.a_ub.shape[0] else None,
            b_ub=np.zeros(self.a_ub.shape[0]) if self.a_ub.shape[0] else None,
            A_eq=self.a_eq if self.a_eq.shape[0] else None,
            b_eq=np.zeros(self.a_eq.shape[0]) if self.a_eq.shape[0] else None,
            bounds=np.column_stack([self.lower, upper]),
            method="highs",
        )

    def _extreme(self, cell: int, *, maximise: bool, beyond: int) -> int | None:
        """The largest (smallest) integer value of ``cell``; ``None`` when unbounded.

        The linear program answers unless its optimum passes ``beyond`` only by
        a fraction; then the integer program does.
        """
        objective = np.zeros(len(self.lattice))
        objective[cell] = -1.0 if maximise else 1.0
        result = self._solve(objective, self.upper)
        if result.status == 3:
            return None
        if result.status != 0:
            raise DisclosureError(f"The attacker's program for {self.lattice.keys[cell]!r} failed: {result.message}")
        self._remember(result.x)
        if maximise:
            # Bounds with a non-zero marginal are the ones the optimum rests on.
            resting = (np.abs(result.upper.marginals) > INTEGER_TOLERANCE) | (
                np.abs(result.lower.marginals) > INTEGER_TOLERANCE
            )
            self.holding[cell] = [number for number in np.flatnonzero(resting) if number != cell]
        optimum = result.x[cell]
        bound = math.floor(optimum + INTEGER_TOLERANCE) if maximise else math.ceil(optimum - INTEGER_TOLERANCE)
        passes = bound > beyond if maximise else bound < beyond
        if not passes or _is_integral(result.x):
            return bound
        constraints = [LinearConstraint(self.a_eq, 0, 0), LinearConstraint(self.a_ub, -np.inf, 0)]
        constraints = [constraint for constraint in constraints if constraint.A.shape[0]]
        integer = milp(
            objective,
            integrality=np.ones(len(self.lattice)),
            bounds=Bounds(self.lower, self.upper),
            constraints=constraints,
        )
        self.programs_solved += 1
        if integer.status != 0:
            raise DisclosureError(f"The attacker's program for {self.lattice.keys[cell]!r} failed: {integer.message}")
        self._remember(integer.x)
        return round(integer.x[cell])

    def _remember(self, solution: np.ndarray) -> None:
        if _is_integral(solution):
            np.maximum(self.reached_high, solution, out=self.reached_high)
            np.minimum(self.reached_low, solution, out=self.reached_low)


def pinned_cells(
    table: Table, published: Mapping[Key, int | None], policy: Policy, *, secondary: bool
) -> dict[Key, Pinned]:
    """The redacted cells of a suppress-then-round table pinned inside [1, t − 1], with their ranges."""
    return PinningAttacker(table, published, policy, secondary=secondary).pinned()


def _matrix(rows: list[dict[int, float]], size: int) -> sparse.csr_array:
    matrix = sparse.lil_array((len(rows), size))
    for number, row in enumerate(rows):
        for column, coefficient in row.items():
            matrix[number, column] = coefficient
    return matrix.tocsr()


def _is_integral(solution: np.ndarray) -> bool:
    return bool(np.all(np.abs(solution - np.round(solution)) <= INTEGER_TOLERANCE))
