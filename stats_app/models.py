"""The data catalogue (DESIGN §4).

Requesters never write queries: they pick a dataset, one of its measures and up
to four of its dimensions, with filters on the dimensions' categories. The
catalogue is data, editable by staff in the admin. No identifying attribute
(name, address, postal code, date of birth, insurance number) is, or can be,
a dimension: see ``IDENTIFYING_CODES``.
"""

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from portal.i18n import BilingualNameMixin

code_validator = RegexValidator(
    r"^[a-z][a-z0-9_]*$", _("Use lower-case letters, digits and underscores, starting with a letter.")
)

#: Attributes that identify a person. None may ever become a dimension code.
IDENTIFYING_CODES = frozenset(
    {
        "name",
        "first_name",
        "last_name",
        "surname",
        "address",
        "street",
        "postal_code",
        "postcode",
        "zip",
        "date_of_birth",
        "birth_date",
        "dob",
        "insurance_number",
        "health_insurance_number",
        "nam",
        "email",
        "phone",
        "person_id",
    }
)


def not_identifying(code: str) -> None:
    if code in IDENTIFYING_CODES:
        raise ValidationError(_("“%(code)s” identifies persons and can never be a dimension."), params={"code": code})


class Custodian(BilingualNameMixin, models.Model):
    """An organisation that owns data: the agency itself, the Ministry, an institution."""

    code = models.CharField(_("code"), max_length=40, unique=True, validators=[code_validator])
    name_fr = models.CharField(_("name (French)"), max_length=200)
    name_en = models.CharField(_("name (English)"), max_length=200)
    is_agency = models.BooleanField(
        _("is the agency"),
        default=False,
        help_text=_("Data owned by the agency needs no consultation of its owner."),
    )
    contact_email = models.EmailField(_("consultation e-mail"), blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["code"]
        verbose_name = _("custodian")
        verbose_name_plural = _("custodians")
        constraints = [
            models.UniqueConstraint(
                fields=["is_agency"], condition=models.Q(is_agency=True), name="custodian_single_agency"
            )
        ]

    def __str__(self) -> str:
        return self.name


class DisclosurePolicy(models.TextChoices):
    SUPPRESSION = "suppression", _("Cell suppression (threshold, dominance, p% and secondary suppression)")
    SUPPRESS_THEN_ROUND = "suppress_then_round", _("Suppress small counts, then round to base 5")
    RANDOM_ROUNDING = "random_rounding", _("Random rounding to base 5")


class Dimension(BilingualNameMixin, models.Model):
    """A way to break a table down: year, region, age group, sex, specialty..."""

    code = models.CharField(_("code"), max_length=40, unique=True, validators=[code_validator, not_identifying])
    label_fr = models.CharField(_("label (French)"), max_length=200)
    label_en = models.CharField(_("label (English)"), max_length=200)
    history = HistoricalRecords()

    class Meta:
        ordering = ["code"]
        verbose_name = _("dimension")
        verbose_name_plural = _("dimensions")

    def __str__(self) -> str:
        return self.label


class Category(BilingualNameMixin, models.Model):
    """One value of a dimension, e.g. region ``06`` (Montréal)."""

    dimension = models.ForeignKey(Dimension, on_delete=models.CASCADE, related_name="categories")
    code = models.CharField(_("code"), max_length=40)
    label_fr = models.CharField(_("label (French)"), max_length=200)
    label_en = models.CharField(_("label (English)"), max_length=200)
    order = models.PositiveIntegerField(_("order"), default=0)
    history = HistoricalRecords()

    class Meta:
        ordering = ["dimension", "order", "code"]
        verbose_name = _("category")
        verbose_name_plural = _("categories")
        constraints = [models.UniqueConstraint(fields=["dimension", "code"], name="category_unique_code")]

    def __str__(self) -> str:
        return f"{self.code} – {self.label}"


class Dataset(BilingualNameMixin, models.Model):
    """A body of health data the agency can produce statistics from."""

    code = models.CharField(_("code"), max_length=40, unique=True, validators=[code_validator])
    name_fr = models.CharField(_("name (French)"), max_length=200)
    name_en = models.CharField(_("name (English)"), max_length=200)
    description_fr = models.TextField(_("description (French)"), blank=True)
    description_en = models.TextField(_("description (English)"), blank=True)
    custodian = models.ForeignKey(Custodian, on_delete=models.PROTECT, related_name="datasets")
    dimensions = models.ManyToManyField(Dimension, related_name="datasets", verbose_name=_("dimensions"))
    is_active = models.BooleanField(_("offered to requesters"), default=True)

    disclosure_policy = models.CharField(
        _("disclosure policy"), max_length=30, choices=DisclosurePolicy.choices, default=DisclosurePolicy.SUPPRESSION
    )
    threshold = models.PositiveSmallIntegerField(
        _("minimum cell count"),
        default=5,
        validators=[MinValueValidator(2)],
        help_text=_("Counts from 1 to this value minus one are suppressed."),
    )
    publish_zeros = models.BooleanField(_("zeros are publishable"), default=True)
    dominance_n = models.PositiveSmallIntegerField(_("dominance: n contributors"), default=2)
    dominance_k = models.PositiveSmallIntegerField(
        _("dominance: k percent"), default=85, validators=[MinValueValidator(1), MaxValueValidator(100)]
    )
    p_percent = models.PositiveSmallIntegerField(
        _("p% rule: p"), default=10, validators=[MinValueValidator(1), MaxValueValidator(100)]
    )
    protection_level = models.PositiveSmallIntegerField(
        _("protection level"),
        null=True,
        blank=True,
        help_text=_("Minimum width of a suppressed cell's feasible interval; empty means the threshold."),
    )
    rounding_base = models.PositiveSmallIntegerField(_("rounding base"), default=5, validators=[MinValueValidator(2)])
    history = HistoricalRecords(m2m_fields=[dimensions])

    class Meta:
        ordering = ["code"]
        verbose_name = _("dataset")
        verbose_name_plural = _("datasets")

    def __str__(self) -> str:
        return self.name

    @property
    def needs_custodian_consent(self) -> bool:
        return not self.custodian.is_agency

    @property
    def effective_protection_level(self) -> int:
        return self.protection_level or self.threshold


class MeasureKind(models.TextChoices):
    DISTINCT_PERSONS = "distinct_persons", _("Count of distinct persons")
    EVENTS = "events", _("Count of events")
    AMOUNT = "amount", _("Sum of an amount")


class Measure(BilingualNameMixin, models.Model):
    """What a table counts or sums, within one dataset."""

    dataset = models.ForeignKey(Dataset, on_delete=models.CASCADE, related_name="measures")
    code = models.CharField(_("code"), max_length=40, validators=[code_validator])
    name_fr = models.CharField(_("name (French)"), max_length=200)
    name_en = models.CharField(_("name (English)"), max_length=200)
    kind = models.CharField(_("kind"), max_length=20, choices=MeasureKind.choices)
    history = HistoricalRecords()

    class Meta:
        ordering = ["dataset", "code"]
        verbose_name = _("measure")
        verbose_name_plural = _("measures")
        constraints = [models.UniqueConstraint(fields=["dataset", "code"], name="measure_unique_code")]

    def __str__(self) -> str:
        return f"{self.dataset.code}.{self.code}"
