"""From a specification to protected, audited files: the one pipeline behind jobs and ``build_table``.

1. compute the table in the warehouse (``stats_app.warehouse.query``);
2. protect it with the dataset's disclosure policy (``stats_app.disclosure``);
3. audit the protection independently: a table that fails never reaches a checker;
4. write the files atomically, with their checksums (``stats_app.outputs``).
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
from stats_app import outputs
from stats_app.catalogue import ResolvedSpecification
from stats_app.disclosure import Policy, audit, protect
from stats_app.models import Dataset, DisclosurePolicy, JobStage
from stats_app.warehouse import query, schema


class TableRefused(Exception):
    """The table cannot be released as specified; the message says why, for staff."""


@dataclass(frozen=True)
class BuildResult:
    destination: Path
    files: dict[str, dict]
    summary: dict


def policy_for(dataset: Dataset, *, seed: str) -> Policy:
    return Policy(
        method=dataset.disclosure_policy,
        threshold=dataset.threshold,
        publish_zeros=dataset.publish_zeros,
        dominance_n=dataset.dominance_n,
        dominance_k=dataset.dominance_k,
        p_percent=dataset.p_percent,
        protection_level=dataset.protection_level,
        rounding_base=dataset.rounding_base,
        seed=seed,
    )


def rounding_seed(specification: ResolvedSpecification, snapshot: dict | None) -> str:
    """The same table on the same data always draws the same random rounding, and no outsider can replay it.

    Keyed with the deployment's secret: a reader who knows the specification and
    the snapshot cannot recompute the draws, hence cannot tell which way a cell was rounded.
    """
    message = json.dumps({"specification": specification.as_json(), "snapshot": snapshot}, sort_keys=True, default=str)
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
) -> BuildResult:
    """Run the pipeline for ``specification`` and write its files into ``destination``.

    Raises ``TableRefused`` when the protected table fails the audit; the
    warehouse's own errors (e.g. a lost connection) propagate for the caller
    to retry.
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
    policy = policy_for(dataset, seed=rounding_seed(specification, snapshot))
    protected = protect(table, policy)

    stage(JobStage.AUDITING)
    # protect() ends with the independent audit; a table that failed it goes no further.
    if not protected.report.audit_passed:
        problems = audit(protected, policy).problems  # solved again only to name the problems for staff
        raise TableRefused(_("The disclosure audit failed: %(problems)s") % {"problems": "; ".join(problems[:5])})

    stage(JobStage.WRITING)
    report = protected.report
    metadata = {
        "specification": specification.as_json(),
        "dataset": {"code": dataset.code, "custodian": dataset.custodian.code},
        "data_snapshot": snapshot,
        "disclosure": asdict(report),
        "suppressed_cells": report.suppressed,
        "software": {"name": "portal", "version": portal.__version__},
        "timestamps": {
            "computation_started": started.isoformat(),
            "computation_finished": computed.isoformat(),
            "written": timezone.now().isoformat(),
        },
        "language": language,
    }
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
    summary = {
        "cells": report.cells,
        "suppressed": report.suppressed,
        "smallest_published_count": report.smallest_published_count,
        "method": report.method,
        "parameters": report.parameters,
        "suppressed_by_rule": report.suppressed_by_rule,
        "audit_notes": list(report.audit_notes),
    }
    return BuildResult(destination=destination, files=files, summary=summary)
