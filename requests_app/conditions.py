"""A data owner's conditional yes, as obligations the portal keeps (Access Act s. 47; DESIGN §4).

When the owner of a dataset agrees on conditions, what it set binds every table
of the case drawn from that dataset, at every step after the decision:

- **categories excluded** (e.g. "no cell for Nunavik"): where a table shows or
  filters the dimension, the specification as run filters them out, so it neither
  shows them nor counts them in a total (``restrict``, at every queueing of a job);
- **a minimum cell count** above the dataset's: the disclosure policy runs with the
  higher threshold (``minimum_count``);
- **no release before a date**, and **free-text conditions**, which the checker
  must attest before release.

``release_obstacles`` checks all of them again when the checker releases: the
table as made against the conditions as they stand. Letters list them
(``sentences``), so what leaves the agency is what the owner and the letter said.
"""

from dataclasses import dataclass, field
from datetime import date

from django.utils import formats
from django.utils.translation import gettext as _

from requests_app.models import Consultation, ConsultationAnswer, DataRequest
from stats_app.models import Category, Dataset


@dataclass(frozen=True)
class OwnerConditions:
    """What the owners of one dataset set for a case's tables of it; empty when they set nothing."""

    #: dimension code -> category codes the tables may not show nor count.
    excluded: dict[str, frozenset[str]] = field(default_factory=dict)
    minimum_count: int | None = None
    not_before: date | None = None
    #: (owner, text) of each free-text condition: the checker attests them before release.
    free_text: tuple[tuple[object, str], ...] = ()
    #: (owner, sentences) of each owner who set conditions, for letters and pages.
    by_owner: tuple[tuple[object, tuple[str, ...]], ...] = ()

    def __bool__(self) -> bool:
        return bool(self.excluded or self.minimum_count or self.not_before or self.free_text)


def _sentences(consultation: Consultation, categories: list[Category]) -> tuple[str, ...]:
    """The owner's conditions as a letter states them, in the active language."""
    sentences = []
    by_dimension: dict = {}
    for category in categories:
        by_dimension.setdefault(category.dimension, []).append(category.label)
    for dimension, labels in by_dimension.items():
        sentences.append(
            _("no figure for %(dimension)s: %(categories)s (neither its cells nor its share of the totals)")
            % {"dimension": dimension.label, "categories": ", ".join(labels)}
        )
    if consultation.minimum_count:
        sentences.append(_("no count below %(count)s") % {"count": consultation.minimum_count})
    if consultation.not_before:
        sentences.append(
            _("not released before %(date)s") % {"date": formats.date_format(consultation.not_before, "DATE_FORMAT")}
        )
    if consultation.conditions:
        sentences.append(consultation.conditions)
    return tuple(sentences)


def for_dataset(case: DataRequest, dataset: Dataset) -> OwnerConditions:
    """The conditions the owner of ``dataset`` set on ``case`` (every conditional yes it gave)."""
    consultations = (
        case.consultations.filter(custodian_id=dataset.custodian_id, answer=ConsultationAnswer.YES_WITH_CONDITIONS)
        .select_related("custodian")
        .prefetch_related("excluded_categories__dimension")
        .order_by("pk")
    )
    excluded: dict[str, set[str]] = {}
    minimum, not_before, free_text, by_owner = None, None, [], []
    dimensions = set(dataset.dimensions.values_list("code", flat=True))
    for consultation in consultations:
        categories = sorted(
            (c for c in consultation.excluded_categories.all() if c.dimension.code in dimensions),
            key=lambda c: (c.dimension.code, c.order, c.code),
        )
        for category in categories:
            excluded.setdefault(category.dimension.code, set()).add(category.code)
        if consultation.minimum_count:
            minimum = max(minimum or 0, consultation.minimum_count)
        if consultation.not_before:
            not_before = max(not_before or consultation.not_before, consultation.not_before)
        if consultation.conditions:
            free_text.append((consultation.custodian, consultation.conditions))
        sentences = _sentences(consultation, categories)
        if sentences:
            by_owner.append((consultation.custodian, sentences))
    return OwnerConditions(
        excluded={code: frozenset(codes) for code, codes in excluded.items()},
        minimum_count=minimum,
        not_before=not_before,
        free_text=tuple(free_text),
        by_owner=tuple(by_owner),
    )


def restrict(specification: dict, conditions: OwnerConditions, dataset: Dataset) -> dict:
    """``specification`` (as run: codes) with the owner's excluded categories filtered out of the table.

    Where the table shows or filters the dimension, its filter becomes its
    categories (or the filter's) less the excluded ones: their cells are gone,
    and so is their share of every total, which would otherwise give them back
    by subtraction. A table without the dimension has no cell for them.
    """
    if not conditions.excluded:
        return specification
    filters = {code: list(codes) for code, codes in (specification.get("filters") or {}).items()}
    for dimension, excluded in sorted(conditions.excluded.items()):
        if dimension not in filters and dimension not in specification.get("dimensions", ()):
            continue
        allowed = filters.get(dimension) or list(
            Category.objects.filter(dimension__code=dimension).order_by("order", "code").values_list("code", flat=True)
        )
        filters[dimension] = [code for code in allowed if code not in excluded]
    return {**specification, "filters": filters}


def excluded_still_present(specification: dict, conditions: OwnerConditions) -> list[str]:
    """The excluded categories a specification as run still lets in (none, once ``restrict`` was applied)."""
    present = []
    filters = specification.get("filters") or {}
    for dimension, excluded in sorted(conditions.excluded.items()):
        if dimension not in filters and dimension not in specification.get("dimensions", ()):
            continue
        allowed = filters.get(dimension)
        if not allowed:
            present.extend(sorted(excluded))
        else:
            present.extend(sorted(excluded & set(allowed)))
    return present


def release_obstacles(
    *, specification: dict, threshold_run: int | None, conditions: OwnerConditions, today: date, attested: bool
) -> list[str]:
    """Why a table made from ``specification`` with ``threshold_run`` may not be released today; empty if nothing."""
    problems = []
    present = excluded_still_present(specification, conditions)
    if present:
        problems.append(
            _("The table still counts categories its data's owner excluded (%(codes)s): return it to the officer.")
            % {"codes": ", ".join(present)}
        )
    if conditions.minimum_count and (threshold_run or 0) < conditions.minimum_count:
        problems.append(
            _("The owner asked for no count below %(count)s; the table was protected with %(run)s. Return it.")
            % {"count": conditions.minimum_count, "run": threshold_run}
        )
    if conditions.not_before and today < conditions.not_before:
        problems.append(
            _("The data's owner allows no release before %(date)s.")
            % {"date": formats.date_format(conditions.not_before, "DATE_FORMAT")}
        )
    if conditions.free_text and not attested:
        problems.append(_("Attest that the owner's conditions are met: tick the box, then release."))
    return problems
