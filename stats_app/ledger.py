"""The release ledger: every table released from a dataset, cell by cell, and the one place that writes it.

The attacker holds every table ever released from a dataset, to anyone (DESIGN
§4, "Linked tables"). So each new table is protected against the ledger
entries of its dataset and data version, and against the tables *held*: produced
and waiting for an output checker, which may be released at the same time. The
protection of one dataset is serialised (``dataset_lock``), so two tables made
at once are each protected against the other.

Writers: ``hold`` when a table job has written its files, ``drop_hold`` when it
is returned, failed or run again, ``record_release`` when a checker releases it
(the linkage is checked again first: a table released meanwhile may have
changed what it can be combined with), ``record`` for ``build_table --release``
and ``import_release``. Entries are append-only in the database.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime

from django.db import connection, transaction
from django.utils.translation import gettext as _

from stats_app.catalogue import ResolvedSpecification
from stats_app.disclosure import CellStats, DisclosureReport, Policy, ProtectedTable, Table, TableDimension
from stats_app.disclosure.linked import Linkage, LinkedTable, audit_linked, population_of
from stats_app.disclosure.primary import SECONDARY, primary_rule
from stats_app.disclosure.rounding_rules import redaction_rule
from stats_app.models import Dataset, HeldTable, LedgerCell, LedgerEntry


class ReleaseRefused(Exception):
    """The table can no longer be released as it is: the message says why, for staff."""


@contextmanager
def dataset_lock(dataset: Dataset) -> Iterator[None]:
    """One protection at a time per dataset, until the surrounding transaction ends.

    PostgreSQL: a transaction-level advisory lock. SQLite (the embedded mode)
    runs one worker, and its write transactions are exclusive anyway.
    """
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(hashtext('dataset_protection'), %s)", [dataset.pk])
        yield


def universe(dataset: Dataset) -> dict[str, tuple[str, ...]]:
    """Every dimension of the dataset with all its categories: what "every category" means in a population."""
    return {
        dimension.code: tuple(dimension.categories.order_by("order", "code").values_list("code", flat=True))
        for dimension in dataset.dimensions.all()
    }


def dimensions_as_json(dimensions: tuple[TableDimension, ...]) -> list[dict]:
    return [
        {"code": dimension.code, "categories": list(dimension.categories), "additive": dimension.additive}
        for dimension in dimensions
    ]


def dimensions_from_json(document: list[dict]) -> tuple[TableDimension, ...]:
    return tuple(
        TableDimension(code=item["code"], categories=tuple(item["categories"]), additive=item["additive"])
        for item in document
    )


def _overlaps(dimensions: list[dict], with_dimensions: tuple[TableDimension, ...]) -> bool:
    """Whether two tables' populations can meet: along every dimension both show, their domains intersect."""
    mine = {item["code"]: set(item["categories"]) for item in dimensions}
    return all(mine[other.code] & set(other.categories) for other in with_dimensions if other.code in mine)


def linked_tables(
    dataset: Dataset,
    *,
    data_version: str,
    dimensions: tuple[TableDimension, ...] = (),
    exclude_holder: str = "",
) -> list[LinkedTable]:
    """The released and held tables of ``dataset`` on the same data a new table can be combined with.

    Tables whose domains cannot meet the new table's (``dimensions``) are left
    out: no population of theirs overlaps it.
    """
    entries = [
        entry
        for entry in LedgerEntry.objects.filter(dataset=dataset, data_version=data_version).order_by("pk")
        if _overlaps(entry.dimensions, dimensions)
    ]
    linked = entries_as_linked(entries)
    held = HeldTable.objects.filter(dataset=dataset, data_version=data_version).exclude(holder=exclude_holder)
    for table in held.select_related("measure").order_by("pk"):
        if not _overlaps(table.dimensions, dimensions):
            continue
        cells = {
            tuple(key): (CellStats(value=value, contributors=contributors, top=tuple(top)), published)
            for key, value, contributors, top, published in table.cells
        }
        linked.append(
            _linked(
                f"held-{table.holder}", table.label, table.measure.kind, dimensions_from_json(table.dimensions), cells
            )
        )
    return linked


def entries_as_linked(entries: list[LedgerEntry]) -> list[LinkedTable]:
    """Ledger entries as the attacker holds them; every entry's cells read in one query, not one per entry."""
    cells_of: dict[int, dict] = {entry.pk: {} for entry in entries}
    rows = LedgerCell.objects.filter(entry__in=entries).order_by("entry", "position")
    for entry_id, key, value, contributors, top, published in rows.values_list(
        "entry_id", "key", "value", "contributors", "top", "published"
    ):
        cells_of[entry_id][tuple(key)] = (CellStats(value=value, contributors=contributors, top=tuple(top)), published)
    return [
        _linked(
            f"ledger-{entry.pk}",
            entry.label,
            entry.measure_kind,
            dimensions_from_json(entry.dimensions),
            cells_of[entry.pk],
        )
        for entry in entries
    ]


def job_entry(job_id: int) -> LedgerEntry | None:
    """The ledger entry of a table job's release (its last, should it have been released more than once)."""
    return (
        LedgerEntry.objects.filter(source=LedgerEntry.Source.JOB, source_reference__startswith=f"job-{job_id}-run-")
        .order_by("-pk")
        .first()
    )


def linked_as_made(entry: LedgerEntry) -> tuple[list[LinkedTable], list[str]]:
    """The tables ``entry`` was protected against, as the ledger holds them now, and the ones it no longer holds.

    A table that was held for checking at the time is found by its job's
    release; one that was returned or run again instead is gone, and listed.
    """
    found: list[LedgerEntry] = []
    missing: list[str] = []
    for linked in entry.linked_entries:
        reference = linked["reference"]
        if reference.startswith("ledger-"):
            match = LedgerEntry.objects.filter(pk=int(reference.removeprefix("ledger-"))).first()
        else:
            match = job_entry(int(reference.removeprefix("held-job-")))
        if match is None:
            missing.append(linked["label"])
        else:
            found.append(match)
    return entries_as_linked(found), missing


def _linked(reference, label, measure_kind, dimensions, cells) -> LinkedTable:
    return LinkedTable(reference=reference, label=label, measure=measure_kind, dimensions=dimensions, cells=cells)


def _cells(protected: ProtectedTable) -> list[tuple]:
    table = protected.table
    return [
        (
            list(key),
            table.cell(key).value,
            table.cell(key).contributors,
            list(table.cell(key).top),
            protected.published[key],
        )
        for key in table.keys()  # noqa: SIM118 (a Table, not a dict)
    ]


def linkage_json(linkage: Linkage, labels: dict[str, str]) -> list[dict]:
    return [{"reference": reference, "label": labels.get(reference, reference)} for reference in linkage.tables]


def hold(
    *,
    holder: str,
    label: str,
    specification: ResolvedSpecification,
    protected: ProtectedTable,
    linkage: Linkage,
    linked_labels: dict[str, str],
    snapshot: dict | None,
    csv_sha256: str,
    language: str = "",
) -> HeldTable:
    """Keep a produced table in the linkage until it is released or dropped (replaces the holder's last one)."""
    HeldTable.objects.filter(holder=holder).delete()
    return HeldTable.objects.create(
        holder=holder,
        label=label,
        dataset=specification.dataset,
        measure=specification.measure,
        specification=specification.as_json(),
        dimensions=dimensions_as_json(protected.table.dimensions),
        data_snapshot=snapshot,
        data_version=(snapshot or {}).get("dataset_version", ""),
        method=protected.report.method,
        parameters=protected.report.parameters,
        cells=_cells(protected),
        linked_entries=linkage_json(linkage, linked_labels),
        linked_extra_suppressed=linkage.extra_suppressed,
        csv_sha256=csv_sha256,
        language=language,
    )


def drop_hold(holder: str) -> None:
    HeldTable.objects.filter(holder=holder).delete()


def policy_from(parameters: dict, method: str, *, seed: str = "") -> Policy:
    """The policy a table was protected with, from the parameters recorded with it."""
    known = {name: parameters[name] for name in Policy.__dataclass_fields__ if name in parameters and name != "seed"}
    return Policy(method=method, seed=seed, **known)


def record_release(
    *,
    holder: str,
    checked_by,
    released_at: datetime,
    request_reference: str,
    decision_reference: str,
    source_reference: str,
) -> LedgerEntry:
    """Move a held table into the ledger, once the linkage is checked again against the ledger as it is now.

    Raises ``ReleaseRefused`` when a table released since this one was made
    would, with it, narrow a population below the protection level.
    """
    with transaction.atomic():
        held = HeldTable.objects.select_related("dataset", "measure").filter(holder=holder).first()
        if held is None:
            raise ReleaseRefused(_("This output is not held for release any more; run the table again."))
        with dataset_lock(held.dataset):
            dimensions = dimensions_from_json(held.dimensions)
            protected = _protected_from(dimensions, held.measure.kind, held.cells, held.method)
            problems = audit_linked(
                protected,
                policy_from(held.parameters, held.method),
                measure=held.measure.kind,
                universe=universe(held.dataset),
                linked=linked_tables(
                    held.dataset, data_version=held.data_version, dimensions=dimensions, exclude_holder=holder
                ),
            )
            if problems:
                raise ReleaseRefused(
                    _(
                        "Tables released or made since this one was produced change what it can be combined with:"
                        " %(problems)s Return it to the officer so that it is produced again."
                    )
                    % {"problems": " ".join(problems[:3])}
                )
            entry = _write_entry(
                dataset=held.dataset,
                measure=held.measure,
                specification=held.specification,
                dimensions=held.dimensions,
                snapshot=held.data_snapshot,
                method=held.method,
                parameters=held.parameters,
                cells=held.cells,
                checked_by=checked_by,
                released_at=released_at,
                request_reference=request_reference,
                decision_reference=decision_reference,
                source=LedgerEntry.Source.JOB,
                source_reference=source_reference,
                csv_sha256=held.csv_sha256,
                language=held.language,
                linked_entries=held.linked_entries,
                linked_extra_suppressed=held.linked_extra_suppressed,
            )
            held.delete()
    return entry


def record(
    *,
    specification: ResolvedSpecification,
    protected: ProtectedTable,
    snapshot: dict | None,
    released_at: datetime,
    source: str,
    source_reference: str,
    csv_sha256: str = "",
    linkage: Linkage | None = None,
    linked_labels: dict[str, str] | None = None,
    checked_by=None,
    request_reference: str = "",
    decision_reference: str = "",
    language: str = "",
) -> LedgerEntry:
    """Record a table released outside a table job (``build_table --release``, ``import_release``)."""
    return _write_entry(
        dataset=specification.dataset,
        measure=specification.measure,
        specification=specification.as_json(),
        dimensions=dimensions_as_json(protected.table.dimensions),
        snapshot=snapshot,
        method=protected.report.method,
        parameters=protected.report.parameters,
        cells=_cells(protected),
        checked_by=checked_by,
        released_at=released_at,
        request_reference=request_reference,
        decision_reference=decision_reference,
        source=source,
        source_reference=source_reference,
        csv_sha256=csv_sha256,
        language=language,
        linked_entries=linkage_json(linkage, linked_labels or {}) if linkage else [],
        linked_extra_suppressed=linkage.extra_suppressed if linkage else 0,
    )


def _write_entry(*, dataset, dimensions, cells, snapshot, **fields) -> LedgerEntry:
    entry = LedgerEntry(
        dataset=dataset,
        dimensions=dimensions,
        data_snapshot=snapshot,
        data_version=(snapshot or {}).get("dataset_version", ""),
        cells=len(cells),
        suppressed=sum(1 for cell in cells if cell[4] is None),
        **fields,
    )
    entry.measure_kind = entry.measure.kind
    entry._change_reason = f"ledger.{entry.source}"
    entry.save()
    table_dimensions = dimensions_from_json(dimensions)
    space = {code: frozenset(categories) for code, categories in universe(dataset).items()}
    LedgerCell.objects.bulk_create(
        [
            LedgerCell(
                entry=entry,
                position=position,
                key=key,
                population={
                    code: sorted(categories)
                    for code, categories in population_of(table_dimensions, tuple(key), {}, space).items()
                },
                published=published,
                value=value,
                contributors=contributors,
                top=top,
            )
            for position, (key, value, contributors, top, published) in enumerate(cells)
        ],
        batch_size=2000,
    )
    return entry


def _protected_from(dimensions, measure_kind: str, cells: list, method: str) -> ProtectedTable:
    table = Table(dimensions=dimensions, kind="amount" if measure_kind == "amount" else "count")
    table.cells = {
        tuple(key): CellStats(value=value, contributors=contributors, top=tuple(top))
        for key, value, contributors, top, _published in cells
        if value or contributors
    }
    published = {tuple(key): published for key, _v, _c, _t, published in cells}
    report = DisclosureReport(
        method=method,
        parameters={},
        suppressed_by_rule={},
        cells=len(cells),
        suppressed=sum(1 for value in published.values() if value is None),
        smallest_published_count=None,
        audit_passed=True,
    )
    return ProtectedTable(table=table, published=published, report=report)


def suppression_rules(*, holder: str, job_id: int) -> dict[tuple, str]:
    """Why each suppressed cell of a job's table is hidden: the primary rule it fails, or ``SECONDARY`` for a
    cell hidden to protect others (its own table's, or those of the tables linked with it).

    For staff only: which cells fail a primary rule tells which are small. Read from the table as held for
    checking, or from the ledger once released, with the policy it was protected with; empty when neither
    holds the table.
    """
    held = HeldTable.objects.select_related("measure").filter(holder=holder).first()
    if held is not None:
        cells, kind, method, parameters = held.cells, held.measure.kind, held.method, held.parameters
    else:
        entry = job_entry(job_id)
        if entry is None:
            return {}
        kind, method, parameters = entry.measure_kind, entry.method, entry.parameters
        cells = entry.ledger_cells.values_list("key", "value", "contributors", "top", "published")
    policy = policy_from(parameters, method)
    kind = "amount" if kind == "amount" else "count"
    rules = {}
    for key, value, contributors, top, published in cells:
        if published is not None:
            continue
        if method == "suppress_then_round" and kind == "count":
            rule = redaction_rule(value, policy)
        else:
            rule = primary_rule(CellStats(value=value, contributors=contributors, top=tuple(top)), kind, policy)
        rules[tuple(key)] = rule or SECONDARY
    return rules
