"""The public transparency figures (issue 5): what the agency received, and how and when it answered.

Every figure is for one **closed calendar year** in the agency's time zone
(America/Montreal). A year is published only once it has ended: the figures of
a running year grow from one day to the next, and two showings of it would
differ by the requests of the days between (a count as small as one). A closed
year's figures come from data that no longer changes, and the page derives
what it shows from them alone, the same way every time (no state, no clock).

Only **filed** requests count: a draft has not been received. Each figure is
counted on the date of its own event:

- *received*: requests whose ``received_at`` falls in the year, per month, per
  requester category and per dataset asked for. A request may ask for tables of
  several datasets, so the datasets add up to more than the requests received;
- *decisions*: decisions signed off in the year (``Decision.signed_off_at``),
  by outcome. The workflow signs at most one decision per case;
- *days to decision*: calendar days in Montréal from the day the request was
  received to the day its decision was signed off, clock stops included (time
  waiting for the requester counts here, as the requester lived it);
- *answered within the delay*: a decision signed off at or before the due date
  and time in force on the case (``DataRequest.due_at``: 20 days, plus the
  extension and the days the clock was stopped), the very instant the
  workspace flags a case overdue. The share is over the decisions signed in the
  year. A **withdrawn** request got no answer from the agency: it is in neither
  side of the share nor in the days to decision, and is counted on its own;
- *extensions used*: requests whose delay was extended in the year (``extended_at``);
- *withdrawn*: requests withdrawn by their requester in the year (``withdrawn_at``);
- *accommodations*: requests received in the year whose requester asked for an accommodation
  (Access Act s. 47, 1.1°), protected like every other count;
- *reviews*: requests for which a review by the Commission d'accès à l'information was asked in the
  year (``ReviewRequest.requested_on``, Access Act ss. 135, 137).

Disclosure (DESIGN §4, "Linked tables", applied to this page): the page's
figures are tables drawn from the portal's own cases, and the reader holds every
year the page has shown. Each figure and breakdown of a year is protected by the
statistics engine (``stats_app.disclosure.linked.protect_linked``) jointly with
every table the page shows for the earlier years and with the figures of the
same year it shares a total with, then re-checked by the engine's attacker audit
(``audit_linked``). A hidden count is shown as "hidden", whatever the reason:
a small count and the cell hidden to protect it look the same. A breakdown that
no pattern can protect is withheld. The share of decisions within the delay is
a table too (on time, late), since with the number of decisions it gives both;
a median or a share is shown only when computed over at least
``MINIMUM_CASES_FOR_STATISTICS`` decisions. What the engine decides for a year
is memoised in the cache under a digest of the numbers and of the code, which
saves solving it again and never changes it.

Every figure is one aggregate query (conditional ``COUNT``, ``TruncMonth``,
``GROUP BY``) for all the years at once: the rows of the cases never come into
Python, so the page costs the same handful of queries at a hundred or a hundred
thousand cases. The median is read from a histogram of day counts (one row per
distinct number of days), the same way on PostgreSQL and SQLite.
"""

from __future__ import annotations

import enum
import functools
import hashlib
import logging
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.cache import cache
from django.db.models import Count, DurationField, Exists, ExpressionWrapper, F, Min, OuterRef, Q
from django.db.models.functions import TruncDate, TruncMonth, TruncYear
from django.utils import timezone
from django.utils.translation import gettext_lazy

from requests_app.models import (
    DataRequest,
    Decision,
    DecisionOutcome,
    RequesterCategory,
    ReviewRequest,
    Status,
    TableSpecification,
)
from stats_app import disclosure
from stats_app.disclosure import TOTAL, CellStats, DisclosureError, Key, Policy, Table, TableDimension
from stats_app.disclosure.linked import EVENTS, PERSONS, LinkedRefusal, LinkedTable, audit_linked, protect_linked
from stats_app.models import Dataset

logger = logging.getLogger(__name__)

#: A median or a share (percentage) is shown only when computed over at least this many decisions.
MINIMUM_CASES_FOR_STATISTICS = 7

# --- The period -------------------------------------------------------------------------------


def agency_zone() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


class PeriodNotClosed(Exception):
    """The figures of a year are published only once the year has ended."""

    def __init__(self, year: int) -> None:
        super().__init__(f"The year {year} has not ended: its figures are not published yet.")
        self.year = year


@dataclass(frozen=True)
class Period:
    """A calendar year in the agency's time zone: ``start`` included, ``end`` excluded."""

    year: int
    start: datetime
    end: datetime
    #: The first day of each month shown: every month of a past year, up to the current month of this one.
    months: tuple[date, ...]
    #: Whether the year is still running (its figures are up to today), or still to come: never published.
    is_current: bool


def period_for(year: int, *, now: datetime) -> Period:
    zone = agency_zone()
    today = timezone.localtime(now, zone).date()
    last_month = today.month if year == today.year else 12
    return Period(
        year=year,
        start=datetime(year, 1, 1, tzinfo=zone),
        end=datetime(year + 1, 1, 1, tzinfo=zone),
        months=tuple(date(year, month, 1) for month in range(1, last_month + 1)),
        is_current=year >= today.year,
    )


def filed_requests():
    """Every request received by the agency: all but drafts (a filed request always has ``received_at``)."""
    return DataRequest.objects.exclude(status=Status.DRAFT)


def current_year(*, now: datetime) -> int:
    return timezone.localtime(now, agency_zone()).year


def available_years(*, now: datetime) -> list[int]:
    """The closed years a reader may choose, oldest first: from the first request received to last year.

    Last year is always there, even before any request, so that the page has a year to show.
    """
    zone = agency_zone()
    last_closed = current_year(now=now) - 1
    first = filed_requests().aggregate(first=Min("received_at"))["first"]
    first_year = min(timezone.localtime(first, zone).year, last_closed) if first else last_closed
    return list(range(first_year, last_closed + 1))


#: The category of a filed request that has none (older requests, or one filed without the field).
NOT_STATED = gettext_lazy("Not stated")


# --- Raw figures (never shown as such: see ``publish``) ---------------------------------------


@dataclass(frozen=True)
class Figures:
    """The exact figures of one period, before disclosure control. Lists keep the order of display."""

    period: Period
    received: int
    #: (first day of the month, requests received that month), for each month of ``period.months``.
    received_by_month: list[tuple[date, int]]
    #: (category code, label, requests); a filed request without a category is counted under "".
    received_by_category: list[tuple[str, str, int]]
    #: (dataset code, name in the active language, requests asking for it): the datasets offered, and
    #: any other asked for in the year.
    received_by_dataset: list[tuple[str, str, int]]
    decisions: int
    #: (outcome code, label, decisions signed off with that outcome).
    decisions_by_outcome: list[tuple[str, str, int]]
    answered_within_delay: int
    #: Decisions signed off per number of calendar days from receipt: {days: decisions}.
    days_to_decision: dict[int, int]
    extensions_used: int
    withdrawn: int
    #: Requests received that ask for at least one table (of any dataset): the margin of the datasets.
    received_with_tables: int = 0
    #: Requests received whose requester asked for an accommodation (Access Act s. 47, 1.1°).
    accommodations: int = 0
    #: Requests whose review by the Commission was asked in the year (Access Act ss. 135, 137).
    reviews: int = 0

    @property
    def median_days_to_decision(self) -> float | None:
        return median_of_histogram(self.days_to_decision)


def median_of_histogram(histogram: dict[int, int]) -> float | None:
    """The median of values given as {value: how many times}; ``None`` when there are none."""
    size = sum(histogram.values())
    if not size:
        return None
    wanted = {(size - 1) // 2, size // 2}
    found = []
    seen = 0
    for value in sorted(histogram):
        count = histogram[value]
        found.extend(value for position in wanted if seen <= position < seen + count)
        seen += count
    return sum(found) / len(found)


def _review_asked(start: datetime, end: datetime) -> Exists:
    """A review of the request was asked of the Commission between ``start`` and ``end`` (local dates)."""
    zone = agency_zone()
    first, last = timezone.localtime(start, zone).date(), timezone.localtime(end, zone).date()
    return Exists(ReviewRequest.objects.filter(request=OuterRef("pk"), requested_on__gte=first, requested_on__lt=last))


def _within(field_name: str, start: datetime, end: datetime) -> Q:
    return Q(**{f"{field_name}__gte": start, f"{field_name}__lt": end})


def compute_figures(period: Period) -> Figures:
    """The period's figures in six queries (five aggregates and the datasets' names), whatever the number of cases."""
    return compute_figures_of_periods([period])[0]


def compute_figures_of_periods(periods: Sequence[Period]) -> list[Figures]:
    """The figures of several periods, in the same six queries as one, in the order given."""
    zone = agency_zone()
    start, end = min(period.start for period in periods), max(period.end for period in periods)
    years = {period.year for period in periods}

    def year_of(moment: datetime) -> int:
        return timezone.localtime(moment, zone).year

    # 1. Counts over the requests, per period: received (in all, with a table, per category), extended, withdrawn.
    categories = [*RequesterCategory.choices, ("", NOT_STATED)]
    has_table = Exists(TableSpecification.objects.filter(request=OuterRef("pk")))
    counts = {}
    for period in periods:
        year = period.year
        received_in = _within("received_at", period.start, period.end)
        counts[f"received_{year}"] = Count("pk", filter=received_in)
        counts[f"with_tables_{year}"] = Count("pk", filter=received_in & Q(has_table))
        counts[f"extended_{year}"] = Count("pk", filter=_within("extended_at", period.start, period.end))
        counts[f"withdrawn_{year}"] = Count("pk", filter=_within("withdrawn_at", period.start, period.end))
        counts[f"accommodations_{year}"] = Count("pk", filter=received_in & ~Q(accommodation=""))
        counts[f"reviews_{year}"] = Count("pk", filter=Q(_review_asked(period.start, period.end)))
        for code, _label in categories:
            counts[f"category_{code or 'none'}_{year}"] = Count("pk", filter=received_in & Q(requester_category=code))
    totals = (
        filed_requests()
        .filter(
            _within("received_at", start, end)
            | _within("extended_at", start, end)
            | _within("withdrawn_at", start, end)
            | Q(_review_asked(start, end))
        )
        .aggregate(**counts)
    )

    # 2. Received per month, the month taken in Montréal.
    per_month = {
        timezone.localtime(month, zone).date(): requests
        for month, requests in filed_requests()
        .filter(_within("received_at", start, end))
        .annotate(month=TruncMonth("received_at", tzinfo=zone))
        .values("month")
        .annotate(requests=Count("pk"))
        .values_list("month", "requests")
    }

    # 3. Per dataset and year: distinct requests, since one request may ask for several tables of a dataset;
    #    then the datasets' names (those offered, and any other asked for in one of the years).
    per_dataset: dict[int, dict[int, int]] = {year: {} for year in years}
    for year, dataset, requests in (
        TableSpecification.objects.filter(_within("request__received_at", start, end))
        .exclude(request__status=Status.DRAFT)
        .annotate(year=TruncYear("request__received_at", tzinfo=zone))
        .values("year", "dataset")
        .annotate(requests=Count("request", distinct=True))
        .order_by()
        .values_list("year", "dataset", "requests")
    ):
        if year_of(year) in per_dataset:
            per_dataset[year_of(year)][dataset] = requests
    asked = {dataset for counts_of_year in per_dataset.values() for dataset in counts_of_year}
    datasets = sorted(
        Dataset.objects.filter(Q(is_active=True) | Q(pk__in=list(asked))), key=lambda dataset: dataset.name.casefold()
    )

    # 4. Decisions signed off, per year: by outcome, and those on time.
    signed = Decision.objects.filter(_within("signed_off_at", start, end)).annotate(
        year=TruncYear("signed_off_at", tzinfo=zone)
    )
    decided: dict[int, dict[str, tuple[int, int]]] = {year: {} for year in years}
    for year, outcome, total, on_time in (
        signed.values("year", "outcome")
        .annotate(total=Count("pk"), on_time=Count("pk", filter=Q(signed_off_at__lte=F("request__due_at"))))
        .order_by()
        .values_list("year", "outcome", "total", "on_time")
    ):
        if year_of(year) in decided:
            decided[year_of(year)][outcome] = (total, on_time)

    # 5. How many decisions took each number of calendar days (a few dozen rows per year, not one per case).
    elapsed = ExpressionWrapper(
        TruncDate("signed_off_at", tzinfo=zone) - TruncDate("request__received_at", tzinfo=zone),
        output_field=DurationField(),
    )
    histograms: dict[int, dict[int, int]] = {year: {} for year in years}
    for year, days, count in (
        signed.annotate(days=elapsed)
        .values("year", "days")
        .annotate(n=Count("pk"))
        .order_by()
        .values_list("year", "days", "n")
    ):
        if year_of(year) in histograms:
            histogram = histograms[year_of(year)]
            histogram[days.days] = histogram.get(days.days, 0) + count

    figures = []
    for period in periods:
        year = period.year
        by_category = [
            (code, str(label), totals[f"category_{code}_{year}"]) for code, label in RequesterCategory.choices
        ]
        if totals[f"category_none_{year}"]:
            by_category.append(("", str(NOT_STATED), totals[f"category_none_{year}"]))
        outcomes = decided[year]
        figures.append(
            Figures(
                period=period,
                received=totals[f"received_{year}"],
                received_by_month=[(month, per_month.get(month, 0)) for month in period.months],
                received_by_category=by_category,
                received_by_dataset=[
                    (dataset.code, dataset.name, per_dataset[year].get(dataset.pk, 0))
                    for dataset in datasets
                    if dataset.is_active or dataset.pk in per_dataset[year]
                ],
                decisions=sum(total for total, _on_time in outcomes.values()),
                decisions_by_outcome=[
                    (code, str(label), outcomes.get(code, (0, 0))[0]) for code, label in DecisionOutcome.choices
                ],
                answered_within_delay=sum(on_time for _total, on_time in outcomes.values()),
                days_to_decision=histograms[year],
                extensions_used=totals[f"extended_{year}"],
                withdrawn=totals[f"withdrawn_{year}"],
                received_with_tables=totals[f"with_tables_{year}"],
                accommodations=totals[f"accommodations_{year}"],
                reviews=totals[f"reviews_{year}"],
            )
        )
    return figures


# --- Disclosure control for this page -----------------------------------------------------------


def disclosure_threshold() -> int:
    """The minimum count outputs publish unless the agency sets another one for a dataset."""
    return Dataset._meta.get_field("threshold").get_default()


class Shown(enum.StrEnum):
    VALUE = "value"
    #: Hidden by the disclosure engine: a small count, or a count that would let a reader work one out.
    HIDDEN = "hidden"


@dataclass(frozen=True)
class PublishedCount:
    """A count as the page may show it: ``value`` is ``None`` unless ``shown`` is ``Shown.VALUE``."""

    value: int | None
    shown: Shown

    @property
    def is_value(self) -> bool:
        return self.shown == Shown.VALUE


HIDDEN = PublishedCount(None, Shown.HIDDEN)


def _published(value: int | None) -> PublishedCount:
    return HIDDEN if value is None else PublishedCount(value, Shown.VALUE)


#: The engine's code for a filed request without a requester category ("" in the database).
CATEGORY_NOT_STATED = "not_stated"
#: A category of the "dataset asked for" dimension that no table shows: the requests that ask for no table.
#: With it, the datasets' margin is never mistaken for the requests received.
NO_DATASET = "(none)"
MONTHS = tuple(f"{month:02d}" for month in range(1, 13))
TIMELINESS = ("on_time", "late")


@dataclass
class _Shown:
    """One of the page's own datasets (its cases seen one way), and every table the page has shown of it.

    The attacker holds all these tables: each new one is protected against them (``protect_linked``).
    """

    measure: str
    universe: dict[str, tuple[str, ...]]
    tables: list[LinkedTable] = field(default_factory=list)


@dataclass(frozen=True)
class _Release:
    """A table as published: per category code its count, its total, and whether it is withheld as a whole."""

    cells: dict[str, PublishedCount]
    total: PublishedCount
    withheld: bool


def _one_dimension_table(dimension: TableDimension, values: Sequence[int], total: int) -> Table:
    cells = {
        (code,): CellStats(value=value, contributors=value)
        for code, value in zip(dimension.categories, values, strict=True)
    }
    cells[(TOTAL,)] = CellStats(value=total, contributors=total)
    return Table(dimensions=(dimension,), kind="count", cells=cells)


def _release(
    shown: _Shown,
    *,
    name: str,
    year: int,
    dimension: TableDimension,
    values: Sequence[int],
    total: int,
    policy: Policy,
) -> _Release:
    """Protect one table of ``year`` against everything ``shown`` already holds, and add it there.

    A table the engine refuses (no pattern protects the linked populations) is withheld: every cell hidden,
    which never tells a reader more than a published pattern would.
    """
    table = _one_dimension_table(dimension, values, total)
    fixed = {} if dimension.code == "year" else {"year": frozenset({str(year)})}
    options = {"measure": shown.measure, "universe": shown.universe, "linked": shown.tables, "fixed": fixed}
    try:
        protected, _linkage = protect_linked(table, policy, **options)
        published: dict[Key, int | None] = dict(protected.published)
        withheld = not protected.report.audit_passed or bool(audit_linked(protected, policy, **options))
    except LinkedRefusal:
        withheld = True
    except DisclosureError:
        # A table the engine cannot take as given is a fault of this module: hide it, and say so to staff.
        logger.exception("Transparency table %s of %s could not be protected; it is withheld.", name, year)
        withheld = True
    if withheld:
        published = dict.fromkeys(table.keys())
    shown.tables.append(
        LinkedTable(
            reference=f"{name}-{year}",
            label=f"{name} {year}",
            measure=shown.measure,
            dimensions=table.dimensions,
            cells={key: (table.cell(key), published[key]) for key in table.keys()},  # noqa: SIM118
            fixed=fixed,
        )
    )
    return _Release(
        cells={code: _published(published[(code,)]) for code in dimension.categories},
        total=_published(published[(TOTAL,)]),
        withheld=withheld,
    )


# --- What the page may show -------------------------------------------------------------------


@dataclass(frozen=True)
class Breakdown:
    """A published breakdown: (key, label, count) rows, or ``None`` rows when withheld, and its total."""

    rows: list[tuple[object, str, PublishedCount]] | None
    total: PublishedCount | None


@dataclass(frozen=True)
class Statistic:
    """A median or a share: ``None`` when hidden (too few cases, or it would reveal a hidden count)."""

    value: float | None
    cases: int


@dataclass(frozen=True)
class PublishedFigures:
    period: Period
    threshold: int
    received: PublishedCount
    by_month: Breakdown
    by_category: Breakdown
    #: No total: a request may ask for several datasets (the received total is published above).
    by_dataset: Breakdown
    decisions: PublishedCount
    by_outcome: Breakdown
    median_days_to_decision: Statistic
    #: A percentage (0–100) of the decisions signed off, rounded down to one decimal: never overstated.
    share_within_delay: Statistic
    extensions_used: PublishedCount
    withdrawn: PublishedCount
    accommodations: PublishedCount
    reviews: PublishedCount


@dataclass(frozen=True)
class _Counts:
    """The numbers of one closed year that its protection depends on: no labels, no dates, no language."""

    year: int
    received: int
    months: tuple[int, ...]
    #: (engine code, requests), every category, "not stated" included.
    categories: tuple[tuple[str, int], ...]
    #: (dataset code, requests), the datasets asked for in the year, by code.
    datasets: tuple[tuple[str, int], ...]
    with_tables: int
    decisions: int
    outcomes: tuple[tuple[str, int], ...]
    on_time: int
    extensions: int
    withdrawn: int
    accommodations: int
    reviews: int


def _counts_of(figures: Figures) -> _Counts:
    if len(figures.received_by_month) != len(MONTHS):
        raise PeriodNotClosed(figures.period.year)
    categories = dict.fromkeys((*RequesterCategory.values, CATEGORY_NOT_STATED), 0)
    for code, _label, count in figures.received_by_category:
        categories[code or CATEGORY_NOT_STATED] = count
    return _Counts(
        year=figures.period.year,
        received=figures.received,
        months=tuple(count for _month, count in figures.received_by_month),
        categories=tuple(categories.items()),
        datasets=tuple(sorted((code, count) for code, _name, count in figures.received_by_dataset if count)),
        with_tables=figures.received_with_tables,
        decisions=figures.decisions,
        outcomes=tuple((code, count) for code, _label, count in figures.decisions_by_outcome),
        on_time=figures.answered_within_delay,
        extensions=figures.extensions_used,
        withdrawn=figures.withdrawn,
        accommodations=figures.accommodations,
        reviews=figures.reviews,
    )


def _nothing_shown() -> dict[str, _Shown]:
    """The page's datasets before any year is shown; each year adds itself (and its datasets) to the universes."""
    return {
        "requests": _Shown(
            measure=PERSONS,  # requests are the units: one may fall under several datasets, never two months
            universe={
                "year": (),
                "month": MONTHS,
                "category": (*RequesterCategory.values, CATEGORY_NOT_STATED),
                "dataset": (NO_DATASET,),
            },
        ),
        "decisions": _Shown(
            measure=EVENTS, universe={"year": (), "outcome": tuple(DecisionOutcome.values), "timeliness": TIMELINESS}
        ),
        "extensions": _Shown(measure=EVENTS, universe={"year": ()}),
        "withdrawals": _Shown(measure=EVENTS, universe={"year": ()}),
        "accommodations": _Shown(measure=EVENTS, universe={"year": ()}),
        "reviews": _Shown(measure=EVENTS, universe={"year": ()}),
    }


def _protect_year(counts: _Counts, shown: dict[str, _Shown], policy: Policy) -> dict[str, _Release]:
    """Every table of one year, each protected against all that ``shown`` holds (earlier years, and the tables
    of this year before it), in a fixed order: the totals first, then the breakdowns that share them."""
    year = counts.year
    for one in shown.values():
        one.universe["year"] = (*one.universe["year"], str(year))
    requests = shown["requests"].universe
    requests["dataset"] = tuple(sorted({*requests["dataset"], *(code for code, _count in counts.datasets)}))
    one_year = TableDimension("year", (str(year),))

    def table(dataset: str, name: str, dimension: TableDimension, values: Sequence[int], total: int) -> _Release:
        return _release(
            shown[dataset], name=name, year=year, dimension=dimension, values=values, total=total, policy=policy
        )

    def single(dataset: str, name: str, value: int) -> _Release:
        return table(dataset, name, one_year, [value], value)

    def breakdown(dataset: str, name: str, code: str, rows: Sequence[tuple[str, int]], total: int, **options):
        dimension = TableDimension(code, tuple(key for key, _count in rows), **options)
        return table(dataset, name, dimension, [count for _key, count in rows], total)

    releases = {"received": single("requests", "received", counts.received)}
    releases["by-month"] = breakdown(
        "requests", "by-month", "month", tuple(zip(MONTHS, counts.months, strict=True)), counts.received
    )
    releases["by-category"] = breakdown("requests", "by-category", "category", counts.categories, counts.received)
    releases["by-dataset"] = (
        breakdown("requests", "by-dataset", "dataset", counts.datasets, counts.with_tables, additive=False)
        if counts.datasets
        else _Release(cells={}, total=_published(0), withheld=False)
    )
    releases["decisions"] = single("decisions", "decisions", counts.decisions)
    releases["by-outcome"] = breakdown("decisions", "by-outcome", "outcome", counts.outcomes, counts.decisions)
    late = counts.decisions - counts.on_time
    timeliness = (("on_time", counts.on_time), ("late", late))
    releases["timeliness"] = breakdown("decisions", "timeliness", "timeliness", timeliness, counts.decisions)
    releases["extensions"] = single("extensions", "extensions", counts.extensions)
    releases["withdrawals"] = single("withdrawals", "withdrawals", counts.withdrawn)
    releases["accommodations"] = single("accommodations", "accommodations", counts.accommodations)
    releases["reviews"] = single("reviews", "reviews", counts.reviews)
    return releases


def _assemble(figures: Figures, releases: dict[str, _Release], policy: Policy) -> PublishedFigures:
    """The year as the page shows it: the protected counts with their labels, and the statistics they allow."""
    received, decisions = releases["received"].total, releases["decisions"].total
    months, by_category = releases["by-month"], releases["by-category"]
    by_dataset, by_outcome = releases["by-dataset"], releases["by-outcome"]
    enough = figures.decisions >= MINIMUM_CASES_FOR_STATISTICS
    # The share and the number of decisions give the on-time and late decisions: the share is shown only when
    # the engine publishes both.
    share_safe = decisions.is_value and all(cell.is_value for cell in releases["timeliness"].cells.values())
    on_time = figures.answered_within_delay
    share = math.floor(1000 * on_time / figures.decisions) / 10 if enough and share_safe else None
    return PublishedFigures(
        period=figures.period,
        threshold=policy.threshold,
        received=received,
        by_month=_breakdown(
            [(month, "", months.cells[f"{month.month:02d}"]) for month, _count in figures.received_by_month],
            months,
            total=received,
        ),
        by_category=_breakdown(
            [
                (code, label, by_category.cells[code or CATEGORY_NOT_STATED])
                for code, label, _count in figures.received_by_category
            ],
            by_category,
            total=received,
        ),
        by_dataset=_breakdown(
            # A dataset nobody asked for in the year is not in the table: its zero is known, and shown.
            [
                (code, name, by_dataset.cells.get(code, PublishedCount(0, Shown.VALUE)))
                for code, name, _count in figures.received_by_dataset
            ],
            by_dataset,
            total=None,
        ),
        decisions=decisions,
        by_outcome=_breakdown(
            [(code, label, by_outcome.cells[code]) for code, label, _count in figures.decisions_by_outcome],
            by_outcome,
            total=decisions,
        ),
        median_days_to_decision=Statistic(figures.median_days_to_decision if enough else None, figures.decisions),
        share_within_delay=Statistic(share, figures.decisions),
        extensions_used=releases["extensions"].total,
        withdrawn=releases["withdrawals"].total,
        accommodations=releases["accommodations"].total,
        reviews=releases["reviews"].total,
    )


def _breakdown(
    rows: list[tuple[object, str, PublishedCount]], release: _Release, *, total: PublishedCount | None
) -> Breakdown:
    # The "not stated" row appears only when not a published zero, so its presence never says it is non-zero.
    rows = [row for row in rows if row[0] != "" or row[2].value != 0]
    return Breakdown(rows=None if release.withheld else rows, total=total)


def policy_for(threshold: int) -> Policy:
    """The disclosure policy of this page: cell suppression, with the threshold outputs use by default."""
    return Policy(method="suppression", threshold=threshold)


#: How long a year's protection is remembered. It is a pure function of the years' numbers and of the code
#: (see ``_code_fingerprint``): remembering it never changes what is shown, only saves solving it again.
MEMO_SECONDS = 30 * 24 * 3600


@functools.cache
def _code_fingerprint() -> bytes:
    """The source of this module and of the disclosure engine: a change of either is a new memo."""
    digest = hashlib.sha256()
    for path in sorted((Path(__file__), *Path(disclosure.__file__).parent.glob("*.py"))):
        digest.update(path.read_bytes())
    return digest.digest()


def publish_all(figures: Iterable[Figures], *, threshold: int) -> list[PublishedFigures]:
    """Apply the engine to closed periods, oldest first, each protected against everything before it.

    A period's result depends only on its numbers and those of the periods before it (the universes grow
    year by year too), so showing a period again, after later ones have closed, shows it exactly as before.
    What the engine decided is memoised in the cache under a digest of those numbers and of the code.
    """
    ordered = sorted(figures, key=lambda one: one.period.year)
    policy = policy_for(threshold)
    counts = [_counts_of(one) for one in ordered]
    digest = hashlib.sha256(_code_fingerprint() + repr(policy).encode())
    keys = []
    for one in counts:
        digest.update(repr(one).encode())
        keys.append(f"transparency:{digest.hexdigest()}")
    # The latest year already solved: its state holds every table shown up to it.
    shown, releases, start = _nothing_shown(), [], 0
    for index in range(len(keys) - 1, -1, -1):
        memo = cache.get(keys[index])
        if memo is not None:
            shown, releases, start = memo["shown"], memo["releases"], index + 1
            break
    for index in range(start, len(counts)):
        releases = [*releases, _protect_year(counts[index], shown, policy)]
        cache.set(keys[index], {"shown": shown, "releases": releases}, MEMO_SECONDS)
    return [_assemble(one, release, policy) for one, release in zip(ordered, releases, strict=True)]


def publish(figures: Figures, *, threshold: int) -> PublishedFigures:
    """Apply this page's disclosure control to one closed period on its own (no earlier period shown)."""
    return publish_all([figures], threshold=threshold)[0]


def published_figures(
    *, year: int, now: datetime, since: int | None = None, threshold: int | None = None
) -> PublishedFigures:
    """What the transparency page shows for the closed ``year``: protected against every earlier year it shows.

    ``since``: the first year the page shows (``available_years``' first, looked up when not given).
    Raises ``PeriodNotClosed`` for the current year or a later one.
    """
    if year >= current_year(now=now):
        raise PeriodNotClosed(year)
    threshold = threshold or disclosure_threshold()
    first = available_years(now=now)[0] if since is None else since
    periods = [period_for(one, now=now) for one in range(min(first, year), year + 1)]
    return publish_all(compute_figures_of_periods(periods), threshold=threshold)[-1]
