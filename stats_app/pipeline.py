"""From a specification to protected, audited files: the one pipeline behind jobs and ``build_table``.

1. compute the table in the warehouse (``stats_app.warehouse.query``);
2. protect it with the dataset's disclosure policy, jointly with every table of the same dataset and data
   version already released or held for checking (``stats_app.ledger``, ``disclosure.linked``); one dataset
   is protected by one worker at a time, so two tables made at once are each protected against the other;
3. audit the protection independently: a table that fails never reaches a checker;
4. write the files atomically, with their checksums (``stats_app.outputs``);
5. keep the table in the linkage: *held* until a checker releases it (a table job), or recorded in the
   ledger at once (``build_table --release``).
"""

import hashlib
import hmac
import json
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path

from django.conf import settings
from django.utils import timezone, translation
from django.utils.translation import gettext as _

import portal
from stats_app import ledger, outputs
from stats_app.catalogue import ResolvedSpecification
from stats_app.disclosure import DisclosureError, Policy, ProtectedTable, Table, audit
from stats_app.disclosure.linked import Linkage, LinkedRefusal, LinkedTable, population_names, protect_linked
from stats_app.models import Dataset, DisclosurePolicy, JobStage, LedgerEntry
from stats_app.warehouse import query, schema


class TableRefused(Exception):
    """The table cannot be released as specified; the message says why, for staff."""


@dataclass(frozen=True)
class BuildResult:
    destination: Path
    files: dict[str, dict]
    summary: dict
    #: The ledger entry, when the table was released by the build itself (``Release``).
    entry: LedgerEntry | None = None


@dataclass(frozen=True)
class Release:
    """Record the table in the release ledger as soon as its files are written (``build_table --release``)."""

    source: str
    source_reference: str
    released_at: datetime
    checked_by: object = None
    request_reference: str = ""
    decision_reference: str = ""


@dataclass(frozen=True)
class Replay:
    """Make a released table again as it was made (``rerun_release``): its policy and its linked tables."""

    policy: Policy
    linked: list[LinkedTable]


def policy_for(dataset: Dataset, *, seed: str, minimum_count: int | None = None) -> Policy:
    """The dataset's policy; ``minimum_count`` raises its threshold (a data owner's condition), never lowers it."""
    return Policy(
        method=dataset.disclosure_policy,
        threshold=max(dataset.threshold, minimum_count or 0),
        publish_zeros=dataset.publish_zeros,
        dominance_n=dataset.dominance_n,
        dominance_k=dataset.dominance_k,
        p_percent=dataset.p_percent,
        protection_level=dataset.protection_level,
        rounding_base=dataset.rounding_base,
        seed=seed,
    )


def rounding_seed(specification: ResolvedSpecification, snapshot: dict | None) -> str:
    """One seed per dataset, measure and data version: the draws of random rounding are keyed by population.

    So the same population, asked again in any table (another filter, another
    request), is rounded the same way, and averaging many tables tells nothing.
    Keyed with the deployment's secret: a reader who knows the specification and
    the snapshot cannot recompute the draws, hence cannot tell which way a cell was rounded.
    """
    message = json.dumps(
        {
            "dataset": specification.dataset.code,
            "measure": specification.measure.code,
            "version": (snapshot or {}).get("dataset_version", ""),
        },
        sort_keys=True,
    )
    return hmac.new(settings.SECRET_KEY.encode(), message.encode(), hashlib.sha256).hexdigest()


def domains(specification: ResolvedSpecification) -> list[tuple[str, tuple[str, ...]]]:
    """Each dimension with the categories the table covers: its filter, or the whole catalogue list."""
    result = []
    for dimension in specification.dimensions:
        kept = specification.filters.get(dimension.code)
        if not kept:
            kept = tuple(dimension.categories.order_by("order", "code").values_list("code", flat=True))
        result.append((dimension.code, tuple(kept)))
    return result


def _labels(specification: ResolvedSpecification, language: str) -> outputs.Labels:
    with translation.override(language):
        dimensions = {
            dimension.code: (
                dimension.label,
                {category.code: category.label for category in dimension.categories.all()},
            )
            for dimension in specification.dimensions
        }
        return outputs.Labels(
            title=f"{specification.dataset.name} — {specification.measure.name}",
            measure=specification.measure.name,
            dimensions=dimensions,
            total=_("Total"),
            value=_("Value"),
            flag=_("Flag"),
            flag_note=_("x: value suppressed to protect confidentiality."),
            legend_header=(_("Column"), _("Code"), _("Meaning")),
            label_column=_("%(dimension)s, in words"),
            suppressed=_("Value suppressed to protect confidentiality."),
            about_sheet=_("About"),
            table_sheet=_("Table"),
        )


def _about(specification: ResolvedSpecification, report, snapshot: dict | None, language: str) -> list[tuple[str, str]]:
    with translation.override(language):
        return [
            (_("Dataset"), specification.dataset.name),
            (_("Measure"), specification.measure.name),
            (_("Dimensions"), ", ".join(dimension.label for dimension in specification.dimensions)),
            (_("Data snapshot"), str((snapshot or {}).get("snapshot_date", ""))),
            (_("Disclosure control"), str(DisclosurePolicy(report.method).label)),
            (_("Cells"), str(report.cells)),
            (_("Cells suppressed"), str(report.suppressed)),
            (_("Software"), f"portal {portal.__version__}"),
        ]


def build_table(
    specification: ResolvedSpecification,
    destination: Path,
    *,
    language: str = "fr",
    now: datetime | None = None,
    on_stage: Callable[[str], None] | None = None,
    using: str = "warehouse",
    hold_as: str = "",
    release: Release | None = None,
    replay: Replay | None = None,
    minimum_count: int | None = None,
) -> BuildResult:
    """Run the pipeline for ``specification`` and write its files into ``destination``.

    ``hold_as`` names the holder (``job-<pk>``) under which the table stays in
    the linkage until it is released or dropped; ``release`` records it in the
    ledger at once instead. ``minimum_count`` raises the dataset's threshold for this table (a data owner's
    condition). ``replay`` makes a released table again with the
    policy and the linked tables it was made with, and keeps it out of the ledger.

    Raises ``TableRefused`` when the table cannot be made safe (its linkage
    with released tables, or the audit) and then writes nothing; the
    warehouse's own errors (e.g. a lost connection) propagate for the caller to retry.
    """
    now = now or timezone.now()
    stage = on_stage or (lambda _stage: None)
    dataset = specification.dataset

    stage(JobStage.COMPUTING)
    started = timezone.now()
    try:
        table = query.compute_table(
            dataset=dataset.code,
            measure_kind=specification.measure.kind,
            dimensions=domains(specification),
            top_n=max(dataset.dominance_n, 2),
            using=using,
        )
    except query.UnknownExpression as error:
        raise TableRefused(str(error)) from error
    snapshot = schema.snapshot(using=using)
    computed = timezone.now()

    stage(JobStage.PROTECTING)
    # Protection, files and the table's place in the linkage under one lock of the dataset: the next
    # table of the dataset is protected against this one.
    with ledger.dataset_lock(dataset):
        policy = (
            replay.policy
            if replay
            else policy_for(dataset, seed=rounding_seed(specification, snapshot), minimum_count=minimum_count)
        )
        linked = (
            replay.linked
            if replay
            else ledger.linked_tables(
                dataset,
                data_version=(snapshot or {}).get("dataset_version", ""),
                dimensions=table.dimensions,
                exclude_holder=hold_as,
            )
        )
        protected, linkage = protect_against(table, policy, specification=specification, linked=linked)

        stage(JobStage.AUDITING)
        # protect() ends with the independent audit; a table that failed it goes no further.
        if not protected.report.audit_passed:
            problems = audit(protected, policy).problems  # solved again only to name the problems for staff
            raise TableRefused(_("The disclosure audit failed: %(problems)s") % {"problems": "; ".join(problems[:5])})

        stage(JobStage.WRITING)
        labels = {table.reference: table.label for table in linked}
        linked_json = ledger.linkage_json(linkage, labels)
        report = protected.report
        metadata = {
            "specification": specification.as_json(),
            "dataset": {"code": dataset.code, "custodian": dataset.custodian.code},
            "data_snapshot": snapshot,
            "disclosure": asdict(report),
            "suppressed_cells": report.suppressed,
            # Provenance for a replay: which ledger entries (or tables then held) it was protected against, by
            # reference only. Their descriptions and what they cost are for staff (the job's summary).
            "linked_tables": [table["reference"] for table in linked_json],
            "software": {"name": "portal", "version": portal.__version__},
            "timestamps": {
                "computation_started": started.isoformat(),
                "computation_finished": computed.isoformat(),
                "written": timezone.now().isoformat(),
            },
            "language": language,
        }
        if release:
            metadata["release"] = release_metadata(
                checked_by=release.checked_by,
                released_at=release.released_at,
                request_reference=release.request_reference,
                decision_reference=release.decision_reference,
            )
        allowed = frozenset(dataset.dimensions.values_list("code", flat=True))
        files = outputs.write_outputs(
            protected=protected,
            allowed_columns=allowed,
            labels=_labels(specification, language),
            about=_about(specification, report, snapshot, language),
            metadata=metadata,
            destination=destination,
            created=now,
        )
        csv_sha256 = files[outputs.CSV_NAME]["sha256"]
        entry = None
        if hold_as and not replay:
            ledger.hold(
                holder=hold_as,
                label=table_label(specification),
                specification=specification,
                protected=protected,
                linkage=linkage,
                linked_labels=labels,
                snapshot=snapshot,
                csv_sha256=csv_sha256,
                language=language,
            )
        elif release and not replay:
            entry = ledger.record(
                specification=specification,
                protected=protected,
                snapshot=snapshot,
                released_at=release.released_at,
                source=release.source,
                source_reference=release.source_reference,
                csv_sha256=csv_sha256,
                linkage=linkage,
                linked_labels=labels,
                checked_by=release.checked_by,
                request_reference=release.request_reference,
                decision_reference=release.decision_reference,
                language=language,
            )
    summary = {
        "cells": report.cells,
        "suppressed": report.suppressed,
        "smallest_published_count": report.smallest_published_count,
        "method": report.method,
        "parameters": report.parameters,
        "suppressed_by_rule": report.suppressed_by_rule,
        "audit_notes": list(report.audit_notes),
        # For staff only (the checker's page): what the table was protected against, and what it cost.
        "linked_tables": linked_json,
        "linked_extra_suppressed": linkage.extra_suppressed,
        "linked_preexisting": list(linkage.preexisting),
    }
    return BuildResult(destination=destination, files=files, summary=summary, entry=entry)


def protect_against(
    table: Table, policy: Policy, *, specification: ResolvedSpecification, linked: list[LinkedTable]
) -> tuple[ProtectedTable, Linkage]:
    """Protect ``table`` jointly with the ``linked`` tables of its dataset; ``TableRefused`` when it cannot be.

    The refusal names the released tables and the populations at stake: it is
    for the officer, who may drop a category or a dimension, never for the requester.
    """
    space = ledger.universe(specification.dataset)
    try:
        return protect_linked(
            table,
            policy,
            measure=specification.measure.kind,
            universe=space,
            linked=linked,
            populations=population_names(table, space),
        )
    except LinkedRefusal as refusal:
        raise TableRefused(
            _(
                "Combined with tables already released or being checked (%(tables)s), this table would narrow"
                " small counts: %(populations)s. Remove or widen the dimension or filter that differs from"
                " those tables, or ask for the same cells as they show."
            )
            % {"tables": "; ".join(refusal.tables[:5]), "populations": "; ".join(refusal.populations[:5])}
        ) from refusal
    except DisclosureError as error:
        raise TableRefused(str(error)) from error


def table_label(specification: ResolvedSpecification) -> str:
    dimensions = " × ".join(specification.dimension_codes) or _("grand total")
    return f"{specification.dataset.code}: {specification.measure.code} by {dimensions}"


def release_metadata(*, checked_by, released_at: datetime, request_reference: str, decision_reference: str) -> dict:
    """The release's part of ``table.json``: who checked it, when it left, for which request and decision."""
    return {
        "checked_by": (checked_by.get_full_name() or checked_by.email) if checked_by else "",
        "released_at": released_at.isoformat(),
        "request_reference": request_reference,
        "decision_reference": decision_reference,
    }
