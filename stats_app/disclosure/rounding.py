"""The rounding policies for counts: suppress-then-round (NHS England, OpenSAFELY) and random rounding (Statistics
Canada)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Set

from stats_app.disclosure.lattice import Lattice
from stats_app.disclosure.pinning import Pinned, pinned_cells
from stats_app.disclosure.primary import SECONDARY
from stats_app.disclosure.rounding_rules import finest_under, is_summed_margin, redaction_rule, round_half_up
from stats_app.disclosure.table import Key, Policy, Table


def round_and_redact(
    table: Table, policy: Policy, *, also_redact: Set[Key] = frozenset()
) -> tuple[dict[Key, int | None], dict[str, int]]:
    """The redaction rule alone: published values and the number of cells each rule hid.

    Finest cells and margins that are not sums: 0 per ``publish_zeros``, 1..t
    redacted, the rest rounded to ``rounding_base``. Summed margins: the sum of
    the published finest cells under them (redacted cells count as nothing).
    ``also_redact``: own-rounded cells to redact although the rule publishes
    them (not counted here).
    """
    published: dict[Key, int | None] = {}
    redacted = {"threshold": 0, "zeros": 0, "rounding": 0}
    summed: list[Key] = []
    keys = list(table.keys())
    for key in keys:
        if is_summed_margin(table, key):
            summed.append(key)
            continue
        value = table.cell(key).value
        rule = redaction_rule(value, policy)
        if rule is not None:
            redacted[rule] += 1
        hidden = rule is not None or key in also_redact
        published[key] = None if hidden else round_half_up(value, policy.rounding_base)
    for key in summed:
        total = sum(published[finest] or 0 for finest in finest_under(table, key))
        if total == 0 and not policy.publish_zeros:
            redacted["zeros"] += 1
            published[key] = None
        else:
            published[key] = total
    return {key: published[key] for key in keys}, redacted


def suppress_then_round(table: Table, policy: Policy) -> tuple[dict[Key, int | None], dict[str, int]]:
    """Published values and the number of cells each redaction rule hid, with no redacted cell pinned.

    The rule alone (``round_and_redact``) can leave a redacted count that the
    published rounded values pin inside [1, t − 1] (distinct-person margins
    are rounded on their own, so they bound their parts). While some cell is
    pinned, a published non-zero count is redacted too: the smallest of those
    whose intervals hold its maximum down, else the smallest nearest to it in
    the relations. Those are counted as ``secondary``, a key present only when
    some were needed. A table no extra redaction can clear is returned as it
    stands, and its audit refuses it.
    """
    # pinning builds its intervals on this module's rules, so it can only be imported once they exist.

    lattice = Lattice(table)
    extra: set[Key] = set()
    while True:
        published, redacted = round_and_redact(table, policy, also_redact=extra)
        pinned = pinned_cells(table, published, policy, secondary=bool(extra))
        chosen = _complements(lattice, published, pinned) if pinned else set()
        if not chosen:
            break
        extra |= chosen
    if extra:
        redacted[SECONDARY] = len(extra)
    return published, redacted


def _complements(lattice: Lattice, published: Mapping[Key, int | None], pinned: Mapping[Key, Pinned]) -> set[Key]:
    """For each pinned cell, the smallest published non-zero own-rounded count worth redacting.

    First among the cells whose intervals hold its maximum down, else the
    nearest in the relations. A cell already chosen for another pinned cell
    serves that one too: the next round of programs tells whether it was enough.
    """
    table = lattice.table
    eligible = {cell for cell, key in enumerate(lattice.keys) if published[key] and not is_summed_margin(table, key)}
    neighbours: list[set[int]] = [set() for _ in lattice.keys]
    for link in lattice.links:
        for member in link.members:
            neighbours[member].update(link.members)
    chosen: set[int] = set()
    for key in sorted(pinned, key=lattice.number.__getitem__):
        start = lattice.number[key]
        holding = {lattice.number[holder] for holder in pinned[key].held_by}
        if (holding or neighbours[start]) & chosen:
            continue
        nearest = holding & eligible
        seen, ring = {start}, {start}
        while not nearest and ring:
            ring = set().union(*(neighbours[cell] for cell in ring)) - seen
            seen |= ring
            nearest = ring & eligible
        if nearest:
            chosen.add(min(nearest, key=lambda cell: (lattice.values[cell], cell)))
    return {lattice.keys[cell] for cell in chosen}


def random_draw(seed: str, key: Key | str) -> float:
    """A number in [0, 1) that depends only on the seed and the key (a table key, or a population's name)."""
    digest = hashlib.sha256(json.dumps([seed, key if isinstance(key, str) else list(key)]).encode()).digest()
    # 53 bits: exactly representable as a float, so the draw is never 1.0.
    return (int.from_bytes(digest[:8], "big") >> 11) / 2**53


def random_round(value: int, base: int, draw: float) -> int:
    """Up to the next multiple of ``base`` with probability (value mod base) / base, else down: unbiased."""
    remainder = value % base
    if remainder == 0:
        return value
    down = value - remainder
    return down + base if draw * base < remainder else down


def random_rounding(
    table: Table, policy: Policy, populations: Mapping[Key, str] | None = None
) -> dict[Key, int | None]:
    """Every cell, margins included, rounded on its own; same seed and key, same draw.

    With ``populations`` (key -> the name of the population it counts), the draw
    depends on the population instead of the key: the same population, asked
    again in any table, is rounded the same way, so averaging many tables that
    share it tells nothing (Statistics Canada keys its draws the same way).
    """
    keys = list(table.keys())
    return {
        key: random_round(
            table.cell(key).value,
            policy.rounding_base,
            random_draw(policy.seed, populations[key] if populations is not None else key),
        )
        for key in keys
    }
