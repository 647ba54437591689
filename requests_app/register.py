"""The public register of releases (A-2.1, r. 2, s. 4 par. 8): what left the agency, for anyone to read.

A released table becomes public once ``PUBLICATION_DELAY_WORKING_DAYS``
business days have passed since its release (``clock.last_day_published``).
The register shows the anonymised decision: its outcome, date and legal basis,
never the requester, the request's title or any member of staff. The table is
shown by its catalogue labels and its files as they were released (the CSV,
which holds codes, values and flags only). Its provenance (data snapshot,
disclosure method and parameters, checksum) comes from the release ledger.

Publishing adds nothing to what an attacker holds: every released table is in
the ledger already, and every later table is protected against it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.http import Http404
from django.utils import timezone

from requests_app import clock
from requests_app.models import Decision, TableSpecification
from requests_app.production.models import PublicationWithholding, TableJob
from requests_app.selectors import SpecificationRow, label_specifications
from requests_app.states import JobState
from stats_app import outputs
from stats_app.models import Category, Dataset, Dimension, LedgerEntry

#: A withholding keeps its table out of the register from its proposal until a second person lifts it.
WITHHELD = (PublicationWithholding.Outcome.PENDING, PublicationWithholding.Outcome.CONFIRMED)

#: Dimensions the register filters by category, as its users search: by year and by region.
CATEGORY_FILTERS = ("year", "region")


@dataclass(frozen=True)
class Publication:
    """One released table as the public sees it."""

    job: TableJob
    row: SpecificationRow
    published_on: date
    decision: Decision | None
    ledger: LedgerEntry | None

    @property
    def pk(self) -> int:
        return self.job.pk

    @property
    def checksum(self) -> str:
        return (self.job.files.get(outputs.CSV_NAME) or {}).get("sha256", "")

    @property
    def has_legend(self) -> bool:
        """Tables produced before the legend existed have none."""
        return outputs.LEGEND_NAME in self.job.files

    def covers(self, dimension: str, category: str) -> bool:
        """Whether the table counts ``category`` of ``dimension``: shown or not, unless a filter leaves it out."""
        kept = self.job.specification.get("filters", {}).get(dimension)
        return kept is None or category in kept


def published_on(released_at: datetime, calendar=None) -> date:
    """The day a table released at ``released_at`` enters the register (``calendar``: ``clock.holidays()``,
    read here when not given)."""
    return clock.business_days_after(clock.local_date(released_at), settings.PUBLICATION_DELAY_WORKING_DAYS, calendar)


def published_jobs(*, now: datetime | None = None):
    """The released tables whose publication delay has passed and that no one withholds, newest first."""
    today = clock.local_date(now or timezone.now())
    last = clock.last_day_published(today, settings.PUBLICATION_DELAY_WORKING_DAYS)
    before = timezone.make_aware(datetime.combine(last + timedelta(days=1), time.min))
    return (
        TableJob.objects.filter(state=JobState.RELEASED, released_at__lt=before)
        .exclude(withholdings__outcome__in=WITHHELD)
        .select_related("request", "table__dataset", "table__measure")
        .order_by("-released_at", "-pk")
    )


def _as_run(job: TableJob) -> TableSpecification:
    """The table as it was run (the owner's exclusions applied), labelled like any specification."""
    run = job.specification
    return TableSpecification(
        request=job.request,
        dataset=job.table.dataset,
        measure=job.table.measure,
        dimensions=list(run.get("dimensions", job.table.dimensions)),
        filters=dict(run.get("filters", job.table.filters or {})),
    )


def _publications(jobs: list[TableJob]) -> list[Publication]:
    rows = label_specifications([_as_run(job) for job in jobs])
    decisions: dict[int, Decision] = {}
    for decision in Decision.objects.filter(
        request__in={job.request_id for job in jobs}, signed_off_at__isnull=False
    ).prefetch_related("provisions"):
        decisions[decision.request_id] = decision  # ordered by proposal: the last signed one stands
    released = [clock.local_date(job.released_at) for job in jobs]
    calendar = (
        clock.holidays(
            first=min(released), last=max(released) + timedelta(days=2 * settings.PUBLICATION_DELAY_WORKING_DAYS + 21)
        )
        if jobs
        else {}
    )
    ledger = {
        entry.source_reference: entry
        for entry in LedgerEntry.objects.filter(source_reference__in=[ledger_reference(job) for job in jobs])
    }
    return [
        Publication(
            job=job,
            row=row,
            published_on=published_on(job.released_at, calendar),
            decision=decisions.get(job.request_id),
            ledger=ledger.get(ledger_reference(job)),
        )
        for job, row in zip(jobs, rows, strict=True)
    ]


def ledger_reference(job: TableJob) -> str:
    """How the ledger names a job's release (``jobs.output_release`` records it so)."""
    return f"job-{job.pk}-run-{job.run}"


@dataclass(frozen=True)
class Search:
    text: str = ""
    dataset: str = ""
    dimension: str = ""
    year: str = ""
    region: str = ""


def search(query: Search, *, now: datetime | None = None) -> list[Publication]:
    """The published tables matching ``query``: every word of ``text`` in the table's labels, the dataset,
    a dimension the table shows, and a year and a region it counts."""
    jobs = published_jobs(now=now)
    if query.dataset:
        jobs = jobs.filter(table__dataset__code=query.dataset)
    found = _publications(list(jobs))
    words = query.text.casefold().split()
    if query.dimension:
        found = [item for item in found if query.dimension in item.job.specification.get("dimensions", [])]
    for dimension in CATEGORY_FILTERS:
        category = getattr(query, dimension)
        if category:
            found = [item for item in found if item.covers(dimension, category)]
    if words:
        found = [item for item in found if all(word in _searchable(item) for word in words)]
    return found


def _searchable(item: Publication) -> str:
    row = item.row
    parts = [row.dataset, row.measure, *row.dimensions]
    for dimension, categories in row.filters:
        parts += [dimension, *categories]
    return " ".join(parts).casefold()


def get_publication(pk: int, *, now: datetime | None = None) -> Publication:
    """A published table, or 404 (a table not released, or not yet public, is not there)."""
    job = published_jobs(now=now).filter(pk=pk).first()
    if job is None:
        raise Http404
    return _publications([job])[0]


def filter_choices() -> dict[str, list[tuple[str, str]]]:
    """The register's filters: datasets, dimensions, and the years and regions of the catalogue."""
    return {
        "dataset": [(dataset.code, dataset.name) for dataset in Dataset.objects.order_by("pk")],
        "dimension": [(dimension.code, dimension.label) for dimension in Dimension.objects.order_by("pk")],
        **{
            code: [
                (category.code, category.label)
                for category in Category.objects.filter(dimension__code=code).order_by("pk")
            ]
            for code in CATEGORY_FILTERS
        },
    }


def answers(publication: Publication, specification) -> bool:
    """Whether a published table already holds what ``specification`` (a draft's table) asks for: the same
    dataset and measure, every dimension it asks for, and every category its filters keep."""
    run = publication.job.specification
    if (publication.job.table.dataset_id, publication.job.table.measure_id) != (
        specification.dataset_id,
        specification.measure_id,
    ):
        return False
    if not set(specification.dimensions) <= set(run.get("dimensions", [])):
        return False
    asked = specification.filters or {}
    for dimension in {*asked, *run.get("filters", {})}:
        kept = run.get("filters", {}).get(dimension)
        if kept is None:
            continue  # the published table counts every category of it
        if dimension not in asked or not set(asked[dimension]) <= set(kept):
            return False
    return True


def matching(specifications, *, now: datetime | None = None) -> list[tuple[object, list[Publication]]]:
    """For each of a draft's tables that a published table already answers: the table and those
    publications (shown before the requester sends the request: search before you ask)."""
    specifications = list(specifications)
    if not specifications:
        return []
    jobs = published_jobs(now=now).filter(
        table__dataset__in={spec.dataset_id for spec in specifications},
        table__measure__in={spec.measure_id for spec in specifications},
    )
    published = _publications(list(jobs[:200]))
    found = []
    for spec in specifications:
        hits = [item for item in published if answers(item, spec)]
        if hits:
            found.append((spec, hits[:5]))
    return found
