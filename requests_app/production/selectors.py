"""Reads of production: table jobs for the pages, the preview of a produced table."""

import csv
from dataclasses import dataclass
from typing import NamedTuple

from django.db.models import Case, Count, F, IntegerField, Q, Value, When
from django.http import Http404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from requests_app import permissions
from requests_app.production.jobs import holder_of, output_folder
from requests_app.production.models import TableJob
from requests_app.states import JOB_CHECKER_QUEUE_STATES, JobState
from stats_app import ledger, outputs
from stats_app.disclosure import TOTAL
from stats_app.disclosure.primary import SECONDARY
from stats_app.models import Category, Dimension

#: Rows of a table on each page of the checker's bench; every row is one page away.
PREVIEW_ROWS = 200


def case_jobs(case) -> list[TableJob]:
    return list(
        TableJob.objects.filter(request=case).select_related(
            "request", "table__dataset", "table__measure", "checked_by"
        )
    )


def jobs_to_check_visible_to(user):
    """The table jobs ``user`` may open as an output checker: all of them for the role, none otherwise."""
    if not permissions.user_is_output_checker(user):
        return TableJob.objects.none()
    return TableJob.objects.all()


def get_job_for_checker(user, pk):
    job = jobs_to_check_visible_to(user).filter(pk=pk).select_related("request", "table").first()
    if job is None:
        raise Http404
    return job


def checker_queue():
    """Outputs waiting for a checker first, the request due soonest first; then the ones already checked."""
    waiting_first = Case(
        When(state=JobState.READY_FOR_CHECKING, then=Value(0)), default=Value(1), output_field=IntegerField()
    )
    return (
        TableJob.objects.filter(state__in=JOB_CHECKER_QUEUE_STATES)
        # The checks of the current run, for a dataset that needs two independent ones ("1 of 2 checks done").
        .annotate(checks_done=Count("reviews", filter=Q(reviews__run=F("run"))))
        .select_related("request", "table__dataset", "table__measure", "checked_by")
        .order_by(waiting_first, "request__due_at", "finished_at", "pk")
    )


class PreviewRow(NamedTuple):
    #: The dimensions' labels, the value, its flag.
    cells: list[str]
    suppressed: bool
    #: For staff only: why the value is suppressed (``suppression_reason``), or nothing.
    why: str = ""


#: Why a value is suppressed, told to staff only: knowing which cells fail a primary rule tells which are small.
SUPPRESSION_REASONS = {
    "threshold": gettext_lazy("Primary: fewer than the minimum count"),
    "zeros": gettext_lazy("Primary: a zero, and the dataset does not publish zeros"),
    "dominance": gettext_lazy("Primary: dominated by a few contributors"),
    "p_percent": gettext_lazy("Primary: the p-percent rule"),
    "rounding": gettext_lazy("Primary: it would round to the minimum count or below"),
    SECONDARY: gettext_lazy("Secondary: hidden so that other cells cannot be recovered"),
}


def suppression_reasons(job: TableJob) -> dict[tuple, str]:
    """Why each suppressed value of ``job``'s table is hidden, in the active language. Staff pages only."""
    rules = ledger.suppression_rules(holder=holder_of(job), job_id=job.pk)
    return {key: str(SUPPRESSION_REASONS.get(rule, rule)) for key, rule in rules.items()}


@dataclass(frozen=True)
class Preview:
    header: list[str]
    rows: list[PreviewRow]
    total_rows: int
    #: Rows the view holds (all, or the suppressed ones only), the page shown and the pages there are.
    matching: int = 0
    page: int = 1
    pages: int = 1
    suppressed_only: bool = False


def _catalogue_labels(codes: list[str]) -> tuple[dict[tuple[str, str], str], dict[str, str]]:
    """The labels, in the active language, of the categories ((dimension, category) -> label) and of the
    dimensions (code -> label) of a table's dimensions ``codes``, in two queries."""
    categories = Category.objects.filter(dimension__code__in=codes).select_related("dimension")
    dimensions = Dimension.objects.filter(code__in=codes)
    return (
        {(category.dimension.code, category.code): category.label for category in categories},
        {dimension.code: dimension.label for dimension in dimensions},
    )


def preview(
    job: TableJob,
    *,
    page: int = 1,
    per_page: int | None = None,
    suppressed_only: bool = False,
    reasons: dict[tuple, str] | None = None,
) -> Preview | None:
    """One page of ``table.csv`` (every row, or the suppressed ones), labelled in the active language.

    ``reasons`` (``suppression_reasons``, for staff pages only) says why each suppressed value is hidden.
    """
    path = output_folder(job) / outputs.CSV_NAME
    if not job.output_path or not path.is_file():
        return None
    dimension_codes = job.specification.get("dimensions", [])
    labels, dimension_labels = _catalogue_labels(dimension_codes)
    per_page = per_page or PREVIEW_ROWS
    rows: list[PreviewRow] = []
    total = matching = 0
    first = (max(page, 1) - 1) * per_page
    total_label = _("Total")
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle)
        header = next(reader)
        for record in reader:
            total += 1
            suppressed = record[-1] == outputs.SUPPRESSED_FLAG
            if suppressed_only and not suppressed:
                continue
            matching += 1
            if first < matching <= first + per_page:
                cells = [
                    total_label if code == TOTAL else labels.get((dimension, code), code)
                    for dimension, code in zip(dimension_codes, record, strict=False)
                ]
                why = (reasons or {}).get(tuple(record[: len(dimension_codes)]), "") if suppressed else ""
                rows.append(PreviewRow(cells + record[-2:], suppressed, why))
    # The columns: the dimensions' codes, their labels in the requester's language (read here in the page's
    # instead), then the value and its flag.
    named = [dimension_labels.get(code, code) for code in header[: len(dimension_codes)]] + header[-2:]
    pages = max(1, -(-matching // per_page))
    return Preview(
        header=named,
        rows=rows,
        total_rows=total,
        matching=matching,
        page=min(max(page, 1), pages),
        pages=pages,
        suppressed_only=suppressed_only,
    )


@dataclass(frozen=True)
class PivotChoice:
    """A dimension the reader may put in rows or columns, or fix at one of its categories (or its total)."""

    code: str
    label: str
    #: (category code, label) in the table's order, ``Total`` last.
    categories: list[tuple[str, str]]
    #: The category shown when the dimension is neither the rows nor the columns.
    fixed: str


@dataclass(frozen=True)
class Pivot:
    """The table as a grid: one dimension down, one across, every other one fixed at a category."""

    rows: PivotChoice
    columns: PivotChoice
    #: The dimensions the reader may choose from, and the ones fixed in this view.
    dimensions: list[PivotChoice]
    #: (row label, [(value, suppressed) for each column]).
    grid: list[tuple[str, list[tuple[str, bool]]]]

    @property
    def fixed(self) -> list[PivotChoice]:
        return [choice for choice in self.dimensions if choice.code not in (self.rows.code, self.columns.code)]


def pivot(job: TableJob, *, rows: str = "", columns: str = "", fixed: dict | None = None) -> Pivot | None:
    """``table.csv`` as a grid (``rows`` × ``columns``, the other dimensions at their ``fixed`` category, their
    total by default), labelled in the active language. Anything the reader typed that the table does not have
    falls back to the default view. ``None`` for a table of fewer than two dimensions, or with no file."""
    path = output_folder(job) / outputs.CSV_NAME
    codes = job.specification.get("dimensions", [])
    if len(codes) < 2 or not job.output_path or not path.is_file():
        return None
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle)
        next(reader)
        flag = outputs.SUPPRESSED_FLAG
        records = [(tuple(record[: len(codes)]), record[-2], record[-1] == flag) for record in reader]
    order: dict[str, dict[str, None]] = {code: {} for code in codes}
    for key, _value, _suppressed in records:
        for code, category in zip(codes, key, strict=True):
            order[code][category] = None
    labels, names = _catalogue_labels(codes)
    total = _("Total")
    fixed = fixed or {}

    def choice(code: str) -> PivotChoice:
        categories = sorted(order[code], key=lambda category: category == TOTAL)
        chosen = fixed.get(code, TOTAL)
        return PivotChoice(
            code=code,
            label=names.get(code, code),
            categories=[
                (category, total if category == TOTAL else labels.get((code, category), category))
                for category in categories
            ],
            fixed=chosen if chosen in order[code] else TOTAL,
        )

    dimensions = [choice(code) for code in codes]
    by_code = {choice.code: choice for choice in dimensions}
    down = rows if rows in by_code else codes[0]
    across = columns if columns in by_code and columns != down else next(code for code in codes if code != down)
    position = {code: index for index, code in enumerate(codes)}
    wanted = {choice.code: choice.fixed for choice in dimensions if choice.code not in (down, across)}
    cells = {
        (key[position[down]], key[position[across]]): (value, suppressed)
        for key, value, suppressed in records
        if all(key[position[code]] == category for code, category in wanted.items())
    }
    grid = [
        (row_label, [cells.get((row, column), ("", False)) for column, _label in by_code[across].categories])
        for row, row_label in by_code[down].categories
    ]
    return Pivot(rows=by_code[down], columns=by_code[across], dimensions=dimensions, grid=grid)


#: The plain-text rendering of a table, for screen readers and braille displays (Access Act s. 47, 1.1°).
TEXT_NAME = "table.txt"


def plain_text(job: TableJob, *, title: str) -> str | None:
    """The released table as plain text, one line per cell, each naming its categories in the active
    language: a screen reader reads "Age group: 0 to 17 years; Region: Montréal; value: 17" where a grid
    would read a column of numbers. ``None`` when the file is missing."""
    table = preview(job, per_page=10**9)
    if table is None:
        return None
    dimensions, value = table.header[:-2], table.header[-2]
    lines = [
        title,
        _("%(rows)d values. A suppressed value reads “suppressed”: it is hidden to protect small counts.")
        % {"rows": table.total_rows},
        "",
    ]
    for cells, suppressed, _why in table.rows:
        named = [f"{name}: {cell}" for name, cell in zip(dimensions, cells, strict=False)]
        shown = _("suppressed") if suppressed else cells[len(dimensions)]
        lines.append("; ".join([*named, f"{value}: {shown}"]))
    return "\n".join(lines) + "\n"
