"""Apply a dataset's disclosure policy to a table, and audit the result."""

from __future__ import annotations

from collections.abc import Mapping

from stats_app.disclosure.attack import required_width, upward_protection
from stats_app.disclosure.audit import audit, effective_method
from stats_app.disclosure.lattice import Lattice
from stats_app.disclosure.primary import SECONDARY, primary_rule, rules_for
from stats_app.disclosure.rounding import random_rounding, suppress_then_round
from stats_app.disclosure.secondary import choose_complements
from stats_app.disclosure.table import DisclosureReport, Key, Policy, ProtectedTable, Table
from stats_app.disclosure.validation import validate_policy, validate_table


def protect(table: Table, policy: Policy, *, populations: Mapping[Key, str] | None = None) -> ProtectedTable:
    """Protect ``table`` with ``policy``: every key of the table published (``None`` where hidden), and a report.

    Amount tables are always protected by suppression, whatever the policy's
    method. The report is filled after ``audit`` ran, so ``audit_passed`` tells
    whether the result may be shown; the caller must still refuse it when not.
    The same table and policy always give the same result. ``populations``
    names the population each key counts (random rounding draws by population,
    so that a population published again is rounded the same way whatever the
    table it is part of).

    Raises ``DisclosureError`` for a policy or a table that cannot be protected
    (negative values, margins that contradict their parts, unknown method).
    """
    validate_policy(policy)
    lattice = Lattice(table)
    validate_table(table, lattice, policy)
    method = effective_method(table, policy)
    if method == "suppression":
        published, by_rule = _suppress(table, lattice, policy)
    elif method == "suppress_then_round":
        published, by_rule = suppress_then_round(table, policy)
    else:
        published, by_rule = random_rounding(table, policy, populations), {}
    shown = [value for value in published.values() if value is not None]
    smallest = min((value for value in shown if value > 0), default=None) if table.kind == "count" else None
    report = DisclosureReport(
        method=method,
        parameters=_parameters(table, policy, method),
        suppressed_by_rule=by_rule,
        cells=len(published),
        suppressed=len(published) - len(shown),
        smallest_published_count=smallest,
        audit_passed=False,
    )
    protected = ProtectedTable(table=table, published=published, report=report)
    result = audit(protected, policy)
    report.audit_passed = result.passed
    report.audit_notes = list(result.notes)
    return protected


def _suppress(table: Table, lattice: Lattice, policy: Policy) -> tuple[dict[Key, int | None], dict[str, int]]:
    rules = [primary_rule(stats, table.kind, policy) for stats in lattice.stats]
    required = [required_width(table.kind, value, policy) for value in lattice.values]
    upward = upward_requirements(table, lattice, policy)
    chosen = choose_complements(
        lattice, [rule is not None for rule in rules], required, complement_costs(lattice, required), upward=upward
    )
    by_rule = dict.fromkeys(rules_for(table.kind), 0)
    for rule in rules:
        if rule is not None:
            by_rule[rule] += 1
    by_rule[SECONDARY] = sum(chosen.hidden) - sum(by_rule.values())
    published = {
        key: None if hidden else value
        for key, value, hidden in zip(lattice.keys, lattice.values, chosen.hidden, strict=True)
    }
    return published, by_rule


def complement_costs(lattice: Lattice, required) -> list[float]:
    """What publishing a cell is worth: its value (small cells are cheap to hide), plus the width it would
    itself need, so that an empty cell, which cannot absorb a decrease, is not free."""
    return [value + width for value, width in zip(lattice.values, required, strict=True)]


def upward_requirements(table: Table, lattice: Lattice, policy: Policy) -> list[int]:
    """Per cell, how far above its value a suppressed cell's interval must reach (the p % rule's upper
    protection; zero for counts and for amount cells the rule does not protect)."""
    return [upward_protection(table.kind, stats, policy) for stats in lattice.stats]


def _parameters(table: Table, policy: Policy, method: str) -> dict:
    """The rules' parameters as run. Never the random-rounding seed: with it, anyone could replay the draws."""
    if method == "random_rounding":
        return {"rounding_base": policy.rounding_base}
    parameters: dict = {"threshold": policy.threshold, "publish_zeros": policy.publish_zeros}
    if method == "suppress_then_round":
        return {**parameters, "rounding_base": policy.rounding_base}
    parameters["protection_level"] = policy.effective_protection_level
    if table.kind == "amount":
        parameters |= {
            "dominance_n": policy.dominance_n,
            "dominance_k": policy.dominance_k,
            "p_percent": policy.p_percent,
        }
    if policy.method != method:
        parameters["requested_method"] = policy.method
    return parameters
