"""The public transparency page (issue 5): no sign-in, one closed year, charts with their tables.

The figures come from ``requests_app.transparency`` already protected by the
disclosure engine; this module only chooses the year (a closed one: the current
year answers 400), formats numbers and dates for the active language and draws
the charts. It needs no JavaScript.
"""

from __future__ import annotations

from dataclasses import dataclass

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.formats import date_format, number_format
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_safe

from portal import charts
from requests_app import transparency
from requests_app.forms import PortalForm
from requests_app.transparency import Breakdown, PublishedCount, PublishedFigures, Shown, Statistic


class PeriodForm(PortalForm):
    """The year shown, among the closed years; empty means the last closed year."""

    year = forms.IntegerField(
        label=gettext_lazy("Year"),
        required=False,
        error_messages={"invalid": gettext_lazy("Enter a year as four digits, for example %(example)s.")},
    )

    def __init__(self, *args, years: list[int], current_year: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.years = years
        self.current_year = current_year
        self.fields["year"].widget = forms.Select(choices=[(year, year) for year in reversed(years)])
        self.fields["year"].initial = years[-1]
        self.fields["year"].required_for_submission = False
        self.fields["year"].error_messages["invalid"] = self.fields["year"].error_messages["invalid"] % {
            "example": years[-1]
        }

    def clean_year(self) -> int:
        year = self.cleaned_data["year"]
        if year is None:
            return self.years[-1]
        if year == self.current_year:
            raise forms.ValidationError(
                _(
                    "The figures for %(year)s are published once the year has ended."
                    " Choose a year from %(first)s to %(last)s."
                ),
                code="open_period",
                params={"year": year, "first": self.years[0], "last": self.years[-1]},
            )
        if year not in self.years:
            raise forms.ValidationError(
                _("Figures exist from %(first)s to %(last)s: choose a year in that range."),
                code="out_of_range",
                params={"first": self.years[0], "last": self.years[-1]},
            )
        return year


# --- Formatting for the active language --------------------------------------------------------


def _number(value: float, decimals: int = 0) -> str:
    return number_format(value, decimal_pos=decimals, use_l10n=True, force_grouping=True)


@dataclass(frozen=True)
class Cell:
    """A count as written in a table: ``text`` for the eye, ``spoken`` for a screen reader when it differs."""

    text: str
    spoken: str = ""
    shown: str = Shown.VALUE


def _cell(count: PublishedCount, threshold: int) -> Cell:
    if count.shown == Shown.HIDDEN:
        return Cell(text=_("hidden"), shown=Shown.HIDDEN)
    return Cell(text=_number(count.value))


def _bar(label: str, count: PublishedCount, cell: Cell, threshold: int) -> charts.Bar:
    if count.shown == Shown.HIDDEN:
        return charts.Bar(label=label, value=None, text=cell.text, hatched=True)
    return charts.Bar(label=label, value=count.value, text=cell.text)


@dataclass(frozen=True)
class Row:
    label: str
    cell: Cell


@dataclass(frozen=True)
class Section:
    """One breakdown of the page: its chart and, beside it, the same numbers in a table."""

    slug: str
    title: str
    column: str
    #: The heading of the numbers' column.
    counted: str
    chart: SafeString | None
    rows: list[Row]
    total: Row | None
    note: str = ""

    @property
    def withheld(self) -> bool:
        return self.chart is None


def _section(
    *,
    slug: str,
    title: str,
    column: str,
    counted: str,
    breakdown: Breakdown,
    threshold: int,
    horizontal: bool,
    label_of=None,
    short_label_of=None,
    total_label: str = "",
    note: str = "",
) -> Section:
    total = Row(total_label, _cell(breakdown.total, threshold)) if breakdown.total is not None else None
    if breakdown.rows is None:
        return Section(
            slug=slug, title=title, column=column, counted=counted, chart=None, rows=[], total=total, note=note
        )
    rows, bars = [], []
    for key, label, count in breakdown.rows:
        cell = _cell(count, threshold)
        rows.append(Row(label_of(key) if label_of else label, cell))
        bars.append(_bar(short_label_of(key) if short_label_of else label, count, cell, threshold))
    draw = charts.horizontal_bar_chart if horizontal else charts.bar_chart
    chart = draw(
        chart_id=f"chart-{slug}",
        title=title,
        description=_("Bar chart. The same numbers are in the table beside it."),
        bars=bars,
    )
    return Section(
        slug=slug, title=title, column=column, counted=counted, chart=chart, rows=rows, total=total, note=note
    )


def _statistic(statistic: Statistic, *, percent: bool = False) -> str:
    if statistic.value is None:
        return _("hidden")
    text = _number(statistic.value, 0 if float(statistic.value).is_integer() else 1)
    return _("%(value)s%%") % {"value": text} if percent else text


def _statistic_cell(statistic: Statistic, *, percent: bool = False) -> Cell:
    return Cell(
        text=_statistic(statistic, percent=percent), shown=Shown.HIDDEN if statistic.value is None else Shown.VALUE
    )


def page_context(figures: PublishedFigures) -> dict:
    """Everything the template shows, formatted for the active language."""
    threshold = figures.threshold
    year = figures.period.year
    by_month = _section(
        slug="months",
        title=_("Requests received per month, %(year)s") % {"year": year},
        column=_("Month"),
        counted=_("Requests"),
        breakdown=figures.by_month,
        threshold=threshold,
        horizontal=False,
        label_of=lambda month: date_format(month, "YEAR_MONTH_FORMAT"),
        short_label_of=lambda month: date_format(month, "N"),
        total_label=_("Total received"),
    )
    sections = [
        by_month,
        _section(
            slug="categories",
            title=_("Requests received by category of requester, %(year)s") % {"year": year},
            column=_("Category of requester"),
            counted=_("Requests"),
            breakdown=figures.by_category,
            threshold=threshold,
            horizontal=True,
            total_label=_("Total received"),
        ),
        _section(
            slug="datasets",
            title=_("Requests received by dataset asked for, %(year)s") % {"year": year},
            column=_("Dataset"),
            counted=_("Requests"),
            breakdown=figures.by_dataset,
            threshold=threshold,
            horizontal=True,
            note=_("A request may ask for several datasets, so these numbers add up to more than the requests."),
        ),
        _section(
            slug="outcomes",
            title=_("Decisions by outcome, %(year)s") % {"year": year},
            column=_("Outcome"),
            counted=_("Decisions"),
            breakdown=figures.by_outcome,
            threshold=threshold,
            horizontal=True,
            total_label=_("Total decisions"),
        ),
    ]
    return {
        "figures": figures,
        "threshold": _number(threshold),
        "minimum_cases": _number(transparency.MINIMUM_CASES_FOR_STATISTICS),
        "key_figures": [
            (_("Requests received"), _cell(figures.received, threshold)),
            (_("Decisions signed"), _cell(figures.decisions, threshold)),
            (_("Median days from receipt to decision"), _statistic_cell(figures.median_days_to_decision)),
            (_("Decisions signed within the legal delay"), _statistic_cell(figures.share_within_delay, percent=True)),
            (_("Requests whose delay was extended"), _cell(figures.extensions_used, threshold)),
            (_("Requests withdrawn by the requester"), _cell(figures.withdrawn, threshold)),
            (_("Requests with an accommodation asked for"), _cell(figures.accommodations, threshold)),
            (_("Reviews asked of the Commission d'accès à l'information"), _cell(figures.reviews, threshold)),
        ],
        "sections": sections,
        "updated_on": date_format(timezone.localdate(), "DATE_FORMAT"),
    }


@require_safe
def transparency_page(request: HttpRequest) -> HttpResponse:
    """The public figures of one closed year (``?year=``, last year by default).

    A bad year, or the current one (its figures are still changing), answers 400 with the reason.
    """
    now = timezone.now()
    form = PeriodForm(
        request.GET or None,
        years=transparency.available_years(now=now),
        current_year=transparency.current_year(now=now),
    )
    if request.GET and not form.is_valid():
        return render(request, "transparency/page.html", {"form": form}, status=400)
    year = form.cleaned_data["year"] if request.GET else form.years[-1]
    # The form admits closed years only, so ``PeriodNotClosed`` cannot arise here.
    figures = transparency.published_figures(year=year, now=now, since=form.years[0])
    return render(request, "transparency/page.html", {"form": form, **page_context(figures)})
