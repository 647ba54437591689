"""The independent re-check every protected table passes before a person may see it.

``audit`` trusts nothing ``protect`` decided: it starts again from the
warehouse values and the published values, re-runs the primary rules on every
published cell and solves the attacker's programs for every suppressed cell.
Its ``problems`` name cells, for staff; its ``notes`` never do, since they are
copied into the disclosure report: they are ``audit_note``s, codes and numbers
that the portal words in its reader's language.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from stats_app.disclosure.attack import Attacker, required_width, upward_protection
from stats_app.disclosure.errors import DisclosureError
from stats_app.disclosure.lattice import Lattice
from stats_app.disclosure.pinning import PinningAttacker
from stats_app.disclosure.primary import primary_rule
from stats_app.disclosure.rounding_rules import finest_under, is_summed_margin, redaction_rule, round_half_up
from stats_app.disclosure.table import Method, Policy, ProtectedTable, Table, audit_note
from stats_app.disclosure.validation import validate_policy, validate_table

#: Problems listed one by one before the rest are only counted.
MAX_PROBLEMS = 50


@dataclass
class AuditResult:
    passed: bool
    problems: list[str] = field(default_factory=list)
    notes: list[dict] = field(default_factory=list)


def effective_method(table: Table, policy: Policy) -> Method:
    """Rounding applies to counts; amounts are always protected by suppression."""
    return "suppression" if table.kind == "amount" else policy.method


def audit(protected: ProtectedTable, policy: Policy) -> AuditResult:
    """Re-check ``protected`` against ``policy``; the caller must refuse the table when ``passed`` is False."""
    table = protected.table
    problems: list[str] = []
    notes: list[dict] = []
    try:
        validate_policy(policy)
        lattice = Lattice(table)
        validate_table(table, lattice, policy)
    except DisclosureError as error:
        return AuditResult(passed=False, problems=[str(error)])
    published = protected.published
    if set(published) != set(lattice.keys):
        return AuditResult(passed=False, problems=["The published cells are not exactly the table's cells."])
    wrong_type = [key for key, value in published.items() if value is not None and type(value) is not int]
    if wrong_type:
        return AuditResult(passed=False, problems=[f"Published value of {wrong_type[0]!r} is not an integer."])
    method = effective_method(table, policy)
    if protected.report.method != method:
        problems.append(f"The report says {protected.report.method!r}, the policy requires {method!r}.")
    if method == "suppression":
        _audit_suppression(protected, lattice, policy, problems, notes)
    elif method == "suppress_then_round":
        _audit_suppress_then_round(protected, lattice, policy, problems, notes)
    else:
        _audit_random_rounding(protected, lattice, policy, problems, notes)
    if len(problems) > MAX_PROBLEMS:
        problems = [*problems[:MAX_PROBLEMS], f"... and {len(problems) - MAX_PROBLEMS} more problems."]
    return AuditResult(passed=not problems, problems=problems, notes=notes)


def _audit_suppression(
    protected: ProtectedTable, lattice: Lattice, policy: Policy, problems: list[str], notes: list[dict]
) -> None:
    table = protected.table
    values = [protected.published[key] for key in lattice.keys]
    problems_before = len(problems)
    for key, stats, value in zip(lattice.keys, lattice.stats, values, strict=True):
        if value is None:
            continue
        if value != stats.value:
            problems.append(f"{key!r}: published {value}, the warehouse says {stats.value}.")
        if table.kind == "count" and 1 <= value < policy.threshold:
            problems.append(f"{key!r}: published count {value} is below the threshold {policy.threshold}.")
        rule = primary_rule(stats, table.kind, policy)
        if rule is not None:
            problems.append(f"{key!r} is published but fails the {rule} rule.")
    for link in lattice.links:
        members = [values[member] for member in link.members]
        if any(value is None for value in members):
            continue
        parent, *children = members
        if link.additive and parent != sum(children):
            problems.append(f"{lattice.keys[link.parent]!r}: published margin is not the sum of its published parts.")
        if not link.additive and not max(children) <= parent <= sum(children):
            problems.append(f"{lattice.keys[link.parent]!r}: published margin outside [largest part, sum of parts].")
    if len(problems) == problems_before:
        notes.append(audit_note("primary_rules_and_margins_hold"))

    widths = [required_width(table.kind, value, policy) for value in lattice.values]
    upward = [upward_protection(table.kind, stats, policy) for stats in lattice.stats]
    attacker = Attacker(lattice, values, widths, upward)
    suppressed = attacker.suppressed
    required = {cell: widths[cell] for cell in suppressed}
    narrowest = None
    try:
        for cell in suppressed:
            if not attacker.protects(cell):
                interval = attacker.group(cell).interval(cell)
                problems.append(
                    f"{lattice.keys[cell]!r} can be narrowed to [{interval.low:g}, {interval.high:g}],"
                    f" narrower than the required {required[cell]}"
                    + (f" or reaching less than {upward[cell]} above the value." if upward[cell] else ".")
                )
        narrowest = _narrowest(attacker, required)
    except DisclosureError as error:
        problems.append(str(error))
    notes.append(
        audit_note(
            "attacker_programs",
            solved=attacker.programs_solved,
            suppressed=len(suppressed),
            groups=len(attacker.groups()),
        )
    )
    if suppressed and narrowest is not None:
        # ``ratio`` is the narrowest width over its requirement; ``None`` when no interval is bounded.
        notes.append(audit_note("narrowest_interval", ratio=None if math.isinf(narrowest) else round(narrowest, 2)))


def _narrowest(attacker: Attacker, required: dict[int, int]) -> float:
    """The smallest interval width relative to its requirement, over all suppressed cells.

    Feasible points met while checking give each cell a width it certainly
    reaches; only the cells whose certain width could still be the narrowest
    need their own two programs.
    """
    certain = sorted((attacker.group(cell).seen(cell).width / required[cell], cell) for cell in required)
    narrowest = math.inf
    for certain_ratio, cell in certain:
        if certain_ratio >= narrowest:
            break
        narrowest = min(narrowest, attacker.group(cell).interval(cell).width / required[cell])
    return max(narrowest, 0.0)  # not −0.00 from solver noise


def _audit_suppress_then_round(
    protected: ProtectedTable, lattice: Lattice, policy: Policy, problems: list[str], notes: list[dict]
) -> None:
    table = protected.table
    published = protected.published
    base = policy.rounding_base
    for key, stats in zip(lattice.keys, lattice.stats, strict=True):
        value = published[key]
        if value is None:
            continue
        if 1 <= value <= policy.threshold:
            problems.append(f"{key!r}: published count {value} is at most the threshold {policy.threshold}.")
        if value % base:
            problems.append(f"{key!r}: published count {value} is not a multiple of {base}.")
        if value == 0 and not policy.publish_zeros:
            problems.append(f"{key!r}: a zero is published although the dataset does not publish zeros.")
        if is_summed_margin(table, key):
            parts = sum(published[finest] or 0 for finest in finest_under(table, key))
            if value != parts:
                problems.append(f"{key!r}: published margin {value} is not the sum {parts} of its published cells.")
        elif value != round_half_up(stats.value, base):
            problems.append(f"{key!r}: published {value} is not the warehouse value rounded to {base}.")
    notes.append(
        audit_note(
            "rounded_counts_checked",
            counts=sum(value is not None for value in published.values()),
            base=base,
            threshold=policy.threshold,
        )
    )
    _audit_pinning(protected, lattice, policy, problems, notes)


def _audit_pinning(
    protected: ProtectedTable, lattice: Lattice, policy: Policy, problems: list[str], notes: list[dict]
) -> None:
    """No redacted count may be pinned inside [1, t − 1] by the published rounded values.

    Whether cells were redacted beyond the rule is read from the warehouse
    values, not from the report: the attacker's bounds depend on it.
    """
    table = protected.table
    own = [
        (key, stats.value)
        for key, stats in zip(lattice.keys, lattice.stats, strict=True)
        if protected.published[key] is None and not is_summed_margin(table, key)
    ]
    secondary = any(redaction_rule(value, policy) is None for _, value in own)
    hidden_zeros = [key for key, value in own if value == 0] if policy.publish_zeros else []
    if hidden_zeros:
        # When zeros are published the attacker knows a redacted count is not empty; a hidden zero breaks that.
        problems.extend(f"{key!r}: a zero is redacted although the dataset publishes zeros." for key in hidden_zeros)
        return
    attacker = PinningAttacker(table, protected.published, policy, secondary=secondary)
    try:
        pinned = attacker.pinned()
    except DisclosureError as error:
        problems.append(str(error))
        return
    for key, bounds in pinned.items():
        problems.append(
            f"{key!r} can be narrowed to [{bounds.low}, {bounds.high}] from the published rounded values:"
            f" a non-zero count below the threshold {policy.threshold}."
        )
    notes.append(
        audit_note(
            "rounding_programs",
            solved=attacker.programs_solved,
            narrowed=len(pinned),
            below=policy.threshold - 1,
        )
    )


def _audit_random_rounding(
    protected: ProtectedTable, lattice: Lattice, policy: Policy, problems: list[str], notes: list[dict]
) -> None:
    base = policy.rounding_base
    for key, stats in zip(lattice.keys, lattice.stats, strict=True):
        value = protected.published[key]
        if value is None:
            continue
        if value % base:
            problems.append(f"{key!r}: published count {value} is not a multiple of {base}.")
        if abs(value - stats.value) >= base:
            problems.append(f"{key!r}: published {value} is {base} or more away from the warehouse value.")
    notes.append(audit_note("randomly_rounded_counts_checked", counts=len(lattice.keys), base=base, within=base - 1))
