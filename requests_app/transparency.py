"""The public transparency figures (issue 5): what the agency received, and how and when it answered.

Every figure is for one **calendar year** in the agency's time zone
(America/Montreal); the current year runs to today. Calendar years never
overlap, so no two pages can be subtracted from each other to reveal a month or
a category that one of them hides (a rolling "last 12 months" would allow it).

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
- *withdrawn*: requests withdrawn by their requester in the year (``withdrawn_at``).

Disclosure (DESIGN §4, applied to this page): a published count from 1 to
threshold − 1 is shown as "< threshold", with the threshold outputs use by
default (``Dataset.threshold``). Where a breakdown has a total that is
published, more cells are hidden (``protect_breakdown``) so that the total does
not let a reader work a small count out, nor even narrow it beyond what "< 5"
says. A median or a share computed over fewer than threshold decisions is not
published; nor is a share that, with the number of decisions beside it, would
give a small number of late (or on-time) decisions.

Every figure is one aggregate query (conditional ``COUNT``, ``TruncMonth``,
``GROUP BY``): the rows of the cases never come into Python, so the page costs
the same handful of queries at a hundred or a hundred thousand cases. The median
is read from a histogram of day counts (one row per distinct number of days),
the same way on PostgreSQL and SQLite.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Count, DurationField, ExpressionWrapper, F, Min, Q
from django.db.models.functions import TruncDate, TruncMonth
from django.utils import timezone
from django.utils.translation import gettext_lazy

from requests_app.models import (
    DataRequest,
    Decision,
    DecisionOutcome,
    RequesterCategory,
    Status,
    TableSpecification,
)
from stats_app.models import Dataset

# --- The period -------------------------------------------------------------------------------


def agency_zone() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


@dataclass(frozen=True)
class Period:
    """A calendar year in the agency's time zone: ``start`` included, ``end`` excluded."""

    year: int
    start: datetime
    end: datetime
    #: The first day of each month shown: every month of a past year, up to the current month of this one.
    months: tuple[date, ...]
    #: Whether the year is still running (its figures are up to today).
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
        is_current=year == today.year,
    )


def filed_requests():
    """Every request received by the agency: all but drafts (a filed request always has ``received_at``)."""
    return DataRequest.objects.exclude(status=Status.DRAFT)


def available_years(*, now: datetime) -> list[int]:
    """The years a reader may choose, oldest first: from the first request received to the current year."""
    zone = agency_zone()
    current = timezone.localtime(now, zone).year
    first = filed_requests().aggregate(first=Min("received_at"))["first"]
    first_year = min(timezone.localtime(first, zone).year, current) if first else current
    return list(range(first_year, current + 1))


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
    #: (dataset code, name in the active language, requests asking for it).
    received_by_dataset: list[tuple[str, str, int]]
    decisions: int
    #: (outcome code, label, decisions signed off with that outcome).
    decisions_by_outcome: list[tuple[str, str, int]]
    answered_within_delay: int
    #: Decisions signed off per number of calendar days from receipt: {days: decisions}.
    days_to_decision: dict[int, int]
    extensions_used: int
    withdrawn: int

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


def _within(field: str, period: Period) -> Q:
    return Q(**{f"{field}__gte": period.start, f"{field}__lt": period.end})


def compute_figures(period: Period) -> Figures:
    """The period's figures in six queries (five aggregates and the datasets' names), whatever the number of cases."""
    zone = agency_zone()
    received_in = _within("received_at", period)

    # 1. Counts over the requests: received (in all and per category), extended, withdrawn.
    categories = [*RequesterCategory.choices, ("", NOT_STATED)]
    totals = (
        filed_requests()
        .filter(received_in | _within("extended_at", period) | _within("withdrawn_at", period))
        .aggregate(
            received=Count("pk", filter=received_in),
            extended=Count("pk", filter=_within("extended_at", period)),
            withdrawn=Count("pk", filter=_within("withdrawn_at", period)),
            **{
                f"category_{code or 'none'}": Count("pk", filter=received_in & Q(requester_category=code))
                for code, _label in categories
            },
        )
    )

    # 2. Received per month, the month taken in Montréal.
    per_month = dict(
        filed_requests()
        .filter(received_in)
        .annotate(month=TruncMonth("received_at", tzinfo=zone))
        .values("month")
        .annotate(requests=Count("pk"))
        .values_list("month", "requests")
    )
    per_month = {timezone.localtime(month, zone).date(): requests for month, requests in per_month.items()}

    # 3. Per dataset: distinct requests, since one request may ask for several tables of a dataset;
    #    then the datasets' names (those offered, and any other asked for in the year).
    per_dataset = dict(
        TableSpecification.objects.filter(_within("request__received_at", period))
        .exclude(request__status=Status.DRAFT)
        .values("dataset")
        .annotate(requests=Count("request", distinct=True))
        .order_by()
        .values_list("dataset", "requests")
    )
    datasets = sorted(
        (
            (dataset.code, dataset.name, per_dataset.get(dataset.pk, 0))
            for dataset in Dataset.objects.filter(Q(is_active=True) | Q(pk__in=list(per_dataset)))
        ),
        key=lambda row: row[1].casefold(),
    )

    # 4. Decisions signed off in the year: by outcome, and those on time.
    signed = Decision.objects.filter(_within("signed_off_at", period))
    decided = signed.aggregate(
        total=Count("pk"),
        on_time=Count("pk", filter=Q(signed_off_at__lte=F("request__due_at"))),
        **{f"outcome_{code}": Count("pk", filter=Q(outcome=code)) for code in DecisionOutcome.values},
    )

    # 5. How many decisions took each number of calendar days (a few dozen rows, not one per case).
    elapsed = ExpressionWrapper(
        TruncDate("signed_off_at", tzinfo=zone) - TruncDate("request__received_at", tzinfo=zone),
        output_field=DurationField(),
    )
    histogram: dict[int, int] = {}
    for days, count in signed.annotate(days=elapsed).values("days").annotate(n=Count("pk")).values_list("days", "n"):
        histogram[days.days] = histogram.get(days.days, 0) + count

    by_category = [(code, str(label), totals[f"category_{code}"]) for code, label in RequesterCategory.choices]
    if totals["category_none"]:
        by_category.append(("", str(NOT_STATED), totals["category_none"]))
    return Figures(
        period=period,
        received=totals["received"],
        received_by_month=[(month, per_month.get(month, 0)) for month in period.months],
        received_by_category=by_category,
        received_by_dataset=datasets,
        decisions=decided["total"],
        decisions_by_outcome=[
            (code, str(label), decided[f"outcome_{code}"]) for code, label in DecisionOutcome.choices
        ],
        answered_within_delay=decided["on_time"],
        days_to_decision=histogram,
        extensions_used=totals["extended"],
        withdrawn=totals["withdrawn"],
    )


# --- Disclosure control for this page -----------------------------------------------------------


def disclosure_threshold() -> int:
    """The minimum count outputs publish unless the agency sets another one for a dataset."""
    return Dataset._meta.get_field("threshold").get_default()


class Shown(enum.StrEnum):
    VALUE = "value"
    #: From 1 to threshold − 1: shown as "< threshold".
    SMALL = "small"
    #: Hidden so that a small count cannot be worked out from the total.
    HIDDEN = "hidden"


@dataclass(frozen=True)
class PublishedCount:
    """A count as the page may show it: ``value`` is ``None`` unless ``shown`` is ``Shown.VALUE``."""

    value: int | None
    shown: Shown

    @property
    def is_value(self) -> bool:
        return self.shown == Shown.VALUE


def publish_count(value: int, *, threshold: int) -> PublishedCount:
    """One count on its own: shown, or "< threshold" from 1 to threshold − 1. Zero is shown."""
    if 1 <= value < threshold:
        return PublishedCount(None, Shown.SMALL)
    return PublishedCount(value, Shown.VALUE)


def protect_breakdown(values: Sequence[int], *, threshold: int) -> list[PublishedCount] | None:
    """The cells of a breakdown whose total is published, or ``None`` when none can be shown safely.

    A cell from 1 to threshold − 1 is *small* (shown "< threshold"). Then, as
    long as a reader who knows the total, the published cells and these rules
    (a small cell is 1 to threshold − 1, a hidden one at least threshold, zeros
    are shown) could confine a small cell to a narrower range than 1 to
    threshold − 1, one more cell is *hidden*: the smallest that is enough, else
    the largest, and again. When even that cannot protect the small cells (or
    the total is itself small and several cells are not empty), the breakdown is
    withheld: ``None``.

    The reader is assumed to know the sum of the cells exactly, which also
    covers a breakdown whose cells add up to more than its total (datasets).
    """
    small = [index for index, value in enumerate(values) if 1 <= value < threshold]
    if not small:
        return [PublishedCount(value, Shown.VALUE) for value in values]
    if sum(values) < threshold:
        # The total is shown as "< threshold" too; a second non-empty cell would bound the first.
        if len(small) > 1:
            return None
        return [publish_count(value, threshold=threshold) for value in values]
    hidden = set(small)
    candidates = sorted((value, index) for index, value in enumerate(values) if value >= threshold)
    while (shortfall := _shortfall(values, hidden, len(small), threshold)) is not None:
        if not candidates:
            return None
        # A hidden cell of value v widens the range by v − threshold (and lifts the lower limit at once).
        enough = [candidate for candidate in candidates if candidate[0] - threshold >= shortfall]
        chosen = enough[0] if enough else candidates[-1]
        candidates.remove(chosen)
        hidden.add(chosen[1])
    return [
        PublishedCount(None, Shown.SMALL)
        if index in small
        else PublishedCount(None, Shown.HIDDEN)
        if index in hidden
        else PublishedCount(value, Shown.VALUE)
        for index, value in enumerate(values)
    ]


def _shortfall(values: Sequence[int], hidden: set[int], small: int, threshold: int) -> int | None:
    """How much the highest value a reader can deduce for a small cell falls short of threshold − 1.

    ``None`` when a reader can confine no small cell to less than 1 … threshold − 1.
    The hidden cells add up to what the published total leaves. One small cell
    is at most that sum minus the other hidden cells at their least (1 for a
    small cell, threshold for a larger one), and at least that sum minus the
    others at their most (threshold − 1 for a small cell; no limit once a
    larger cell is hidden).
    """
    total = sum(values[index] for index in hidden)
    larger = len(hidden) - small
    highest = total - (small - 1) - larger * threshold
    lowest = 1 if larger else total - (small - 1) * (threshold - 1)
    if highest >= threshold - 1 and lowest <= 1:
        return None
    return max(0, threshold - 1 - highest)


# --- What the page may show -------------------------------------------------------------------


@dataclass(frozen=True)
class Breakdown:
    """A published breakdown: (key, label, count) rows, or ``None`` rows when withheld, and its total."""

    rows: list[tuple[object, str, PublishedCount]] | None
    total: PublishedCount | None


@dataclass(frozen=True)
class Statistic:
    """A median or a share: ``None`` when computed over fewer than threshold cases."""

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


def _breakdown(rows: list[tuple[object, str, int]], *, total: int | None, threshold: int) -> Breakdown:
    cells = protect_breakdown([count for _key, _label, count in rows], threshold=threshold)
    published = (
        None if cells is None else [(key, label, cell) for (key, label, _count), cell in zip(rows, cells, strict=True)]
    )
    return Breakdown(rows=published, total=None if total is None else publish_count(total, threshold=threshold))


def publish(figures: Figures, *, threshold: int) -> PublishedFigures:
    """Apply this page's disclosure rules to ``figures``: nothing else from them reaches a reader."""
    decisions = figures.decisions
    enough = decisions >= threshold
    late = decisions - figures.answered_within_delay
    # The share and the number of decisions are both published: together they give the number of late
    # (and on-time) decisions, so the share is withheld whenever either would be a small count.
    sides_publishable = all(publish_count(side, threshold=threshold).is_value for side in (late, decisions - late))
    share = math.floor(1000 * figures.answered_within_delay / decisions) / 10 if enough and sides_publishable else None
    return PublishedFigures(
        period=figures.period,
        threshold=threshold,
        received=publish_count(figures.received, threshold=threshold),
        by_month=_breakdown(
            [(month, "", count) for month, count in figures.received_by_month],
            total=figures.received,
            threshold=threshold,
        ),
        by_category=_breakdown(figures.received_by_category, total=figures.received, threshold=threshold),
        by_dataset=_breakdown(figures.received_by_dataset, total=None, threshold=threshold),
        decisions=publish_count(decisions, threshold=threshold),
        by_outcome=_breakdown(figures.decisions_by_outcome, total=decisions, threshold=threshold),
        median_days_to_decision=Statistic(figures.median_days_to_decision if enough else None, decisions),
        share_within_delay=Statistic(share, decisions),
        extensions_used=publish_count(figures.extensions_used, threshold=threshold),
        withdrawn=publish_count(figures.withdrawn, threshold=threshold),
    )


def published_figures(*, year: int, now: datetime, threshold: int | None = None) -> PublishedFigures:
    """What the transparency page shows for ``year``: the figures, under the page's disclosure rules."""
    threshold = threshold or disclosure_threshold()
    return publish(compute_figures(period_for(year, now=now)), threshold=threshold)
