"""Validate a table specification against the catalogue.

Every way a specification enters the portal (the intake form, a crafted POST,
an officer's adjustment, ``build_table SPEC.json``) goes through
``validate_specification``. What comes out refers only to catalogue rows, so no
identifying attribute can be named: such attributes are not in the catalogue,
and ``IDENTIFYING_CODES`` stops anyone from adding one as a dimension.
"""

from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from stats_app.models import IDENTIFYING_CODES, Category, Dataset, Dimension, Measure


@dataclass(frozen=True)
class ResolvedSpecification:
    """A specification whose every part is a catalogue row."""

    dataset: Dataset
    measure: Measure
    dimensions: tuple[Dimension, ...]
    #: dimension code -> category codes kept, in catalogue order.
    filters: dict[str, tuple[str, ...]] = field(default_factory=dict)

    @property
    def dimension_codes(self) -> list[str]:
        return [dimension.code for dimension in self.dimensions]

    def as_json(self) -> dict:
        return {
            "dataset": self.dataset.code,
            "measure": self.measure.code,
            "dimensions": self.dimension_codes,
            "filters": {code: list(values) for code, values in self.filters.items()},
        }


def _may_be_code(value: str) -> bool:
    """No catalogue code holds a NUL character, which PostgreSQL text cannot store: such a value is unknown."""
    return "\x00" not in value


def _as_list_of_strings(value, field_name: str) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str) or not isinstance(value, list | tuple):
        raise ValidationError({field_name: _("Give a list of codes.")})
    if not all(isinstance(item, str) for item in value):
        raise ValidationError({field_name: _("Every code must be text.")})
    return list(value)


def validate_specification(*, dataset, measure, dimensions, filters=None) -> ResolvedSpecification:
    """Resolve a specification through the catalogue or raise ``ValidationError``.

    ``dataset`` and ``measure`` are catalogue rows or codes; ``dimensions`` is
    an ordered list of dimension codes; ``filters`` maps a dimension code to a
    non-empty list of category codes. Errors are keyed by the field at fault.
    """
    if not isinstance(dataset, Dataset):
        if not isinstance(dataset, str):
            raise ValidationError({"dataset": _("Choose a dataset from the catalogue.")})
        dataset = (
            Dataset.objects.filter(code=dataset, is_active=True).select_related("custodian").first()
            if _may_be_code(dataset)
            else None
        )
        if dataset is None:
            raise ValidationError({"dataset": _("This dataset is not in the catalogue. Choose one from the list.")})
    elif not dataset.is_active:
        raise ValidationError({"dataset": _("This dataset is not offered any more. Choose another one.")})

    if not isinstance(measure, Measure):
        if not isinstance(measure, str):
            raise ValidationError({"measure": _("Choose a measure of the dataset.")})
        measure = Measure.objects.filter(dataset=dataset, code=measure).first() if _may_be_code(measure) else None
    if measure is None or measure.dataset_id != dataset.pk:
        raise ValidationError(
            {"measure": _("This measure does not belong to the chosen dataset. Choose one of its measures.")}
        )

    codes = _as_list_of_strings(dimensions, "dimensions")
    limit = settings.SPECIFICATION_MAX_DIMENSIONS
    if len(codes) > limit:
        raise ValidationError({"dimensions": _("Choose at most %(limit)d dimensions.") % {"limit": limit}})
    if len(set(codes)) != len(codes):
        raise ValidationError({"dimensions": _("Each dimension may be chosen only once.")})
    offered = {dimension.code: dimension for dimension in dataset.dimensions.all()}
    unknown = [code for code in codes if code not in offered or code in IDENTIFYING_CODES]
    if unknown:
        raise ValidationError(
            {
                "dimensions": _("Not a dimension of this dataset: %(codes)s. Choose from the list.")
                % {"codes": ", ".join(unknown)}
            }
        )
    chosen = tuple(offered[code] for code in codes)

    if filters is None:
        filters = {}
    if not isinstance(filters, dict):
        raise ValidationError({"filters": _("Filters must map a dimension to a list of categories.")})
    resolved_filters: dict[str, tuple[str, ...]] = {}
    for code, values in filters.items():
        if code not in codes:
            raise ValidationError(
                {"filters": _("A filter on “%(code)s” needs that dimension in the table.") % {"code": code}}
            )
        wanted = _as_list_of_strings(values, "filters")
        if not wanted:
            raise ValidationError(
                {"filters": _("The filter on “%(code)s” keeps no category. Tick at least one.") % {"code": code}}
            )
        known = list(
            Category.objects.filter(
                dimension=offered[code], code__in=[value for value in wanted if _may_be_code(value)]
            )
            .order_by("order", "code")
            .values_list("code", flat=True)
        )
        missing = sorted(set(wanted) - set(known))
        if missing:
            raise ValidationError(
                {
                    "filters": _("Not a category of “%(code)s”: %(values)s.")
                    % {"code": code, "values": ", ".join(missing)}
                }
            )
        resolved_filters[code] = tuple(known)
    return ResolvedSpecification(dataset=dataset, measure=measure, dimensions=chosen, filters=resolved_filters)
