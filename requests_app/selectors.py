"""Reads of cases, filtered by permission in SQL."""

from dataclasses import dataclass, field
from datetime import datetime

from requests_app.models import DataRequest, Status, TableSpecification
from requests_app.permissions import requests_visible_to
from requests_app.workflow import TRANSITIONS
from stats_app.models import Category, Dimension


def my_requests(user):
    """The requester's own requests, newest first."""
    return requests_visible_to(user).filter(requester=user).order_by("-created_at")


@dataclass(frozen=True)
class SpecificationRow:
    """A table specification with its catalogue labels in the active language."""

    specification: TableSpecification
    dataset: str
    measure: str
    dimensions: list[str]
    #: (dimension label, [category labels kept]) for each filtered dimension.
    filters: list[tuple[str, list[str]]] = field(default_factory=list)


def specification_rows(case: DataRequest) -> list[SpecificationRow]:
    """The case's tables, labelled from the catalogue in three queries whatever their number."""
    specifications = list(case.specifications.select_related("dataset", "measure"))
    dimension_codes = {code for spec in specifications for code in [*spec.dimensions, *spec.filters]}
    dimensions = {dimension.code: dimension for dimension in Dimension.objects.filter(code__in=dimension_codes)}
    filtered_codes = {code for spec in specifications for code in spec.filters}
    categories = {
        (category.dimension.code, category.code): category
        for category in Category.objects.filter(dimension__code__in=filtered_codes).select_related("dimension")
    }

    def dimension_label(code: str) -> str:
        return dimensions[code].label if code in dimensions else code

    def category_label(dimension: str, code: str) -> str:
        category = categories.get((dimension, code))
        return category.label if category else code

    return [
        SpecificationRow(
            specification=spec,
            dataset=spec.dataset.name,
            measure=spec.measure.name,
            dimensions=[dimension_label(code) for code in spec.dimensions],
            filters=[
                (dimension_label(code), [category_label(code, value) for value in values])
                for code, values in spec.filters.items()
            ],
        )
        for spec in specifications
    ]


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime
    status: str
    status_label: str
    reason: str


def _public_reason(reason: str) -> str:
    """The change reason without the workflow's audit-event prefix (``request.submitted: ...``)."""
    for transition in TRANSITIONS.values():
        if reason == transition.audit_event:
            return ""
        prefix = f"{transition.audit_event}: "
        if reason.startswith(prefix):
            return reason[len(prefix) :]
    return reason


def status_timeline(case: DataRequest) -> list[TimelineEntry]:
    """Each change of status of the case, oldest first, from its history.

    Only the date, the status and the reason are read: who made a change is
    an agency record, not something the requester's page shows.
    """
    entries: list[TimelineEntry] = []
    previous = None
    records = case.history.order_by("history_date", "history_id").values_list(
        "history_date", "status", "history_change_reason"
    )
    for at, status, reason in records:
        if status == previous:
            continue
        previous = status
        entries.append(
            TimelineEntry(
                at=at,
                status=status,
                status_label=Status(status).label if status in Status.values else status,
                reason=_public_reason(reason or ""),
            )
        )
    return entries
