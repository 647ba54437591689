"""Statistical disclosure control: the guarantee that no published cell can be tied to a person.

Pure Python (no Django): a ``Table`` of cells with their contributors goes in,
a ``ProtectedTable`` (published values, ``None`` where suppressed) and a
``DisclosureReport`` come out. ``audit`` re-checks a protected table with the
attacker's linear programs before anyone may see it.

``protect(table, policy)`` applies the policy and audits the result;
``audit(protected, policy)`` is the independent re-check, whose ``passed`` the
caller must honour; ``DisclosureError`` marks a table or policy that cannot be
protected as given.
"""

from stats_app.disclosure.audit import AuditResult, audit
from stats_app.disclosure.errors import DisclosureError
from stats_app.disclosure.protect import protect
from stats_app.disclosure.table import (
    TOTAL,
    CellStats,
    DisclosureReport,
    Key,
    Policy,
    ProtectedTable,
    Relation,
    Table,
    TableDimension,
)

__all__ = [
    "TOTAL",
    "AuditResult",
    "CellStats",
    "DisclosureError",
    "DisclosureReport",
    "Key",
    "Policy",
    "ProtectedTable",
    "Relation",
    "Table",
    "TableDimension",
    "audit",
    "protect",
]
