"""The data catalogue (DESIGN §4).

Requesters never write queries: they pick a dataset, one of its measures and up
to four of its dimensions, with filters on the dimensions' categories. The
catalogue is data, editable by staff in the admin. No identifying attribute
(name, address, postal code, date of birth, insurance number) is, or can be,
a dimension: see ``IDENTIFYING_CODES``.
"""

import pgtrigger
from django.conf import settings
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


class IndependentChecks(models.IntegerChoices):
    """How many output checkers, each on their own, check a table of the dataset before it is released."""

    ONE = 1, _("One output checker")
    TWO = 2, _("Two independent output checkers")


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
    independent_checks = models.PositiveSmallIntegerField(
        _("independent output checks"),
        choices=IndependentChecks.choices,
        default=IndependentChecks.ONE,
        help_text=_(
            "With two, a table is released only after two different output checkers have each checked it, "
            "the second without seeing the first's check."
        ),
    )
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


#: The fields of a dataset's disclosure control, and how many checkers release its tables. Once a
#: dataset exists, they change only through ``stats_app.governance``: one lead proposes, another
#: approves (``DisclosureSettingsChange``).
DISCLOSURE_SETTINGS = (
    "disclosure_policy",
    "threshold",
    "publish_zeros",
    "dominance_n",
    "dominance_k",
    "p_percent",
    "protection_level",
    "rounding_base",
    "independent_checks",
)


class DisclosureSettingsChange(models.Model):
    """A proposed change to a dataset's disclosure settings, and what a second lead decided.

    ``current`` is what the settings were when it was proposed: a decision on a
    proposal the dataset has moved away from is refused (``governance``). The
    database holds the four-eyes rule and at most one open proposal per dataset.
    """

    class Outcome(models.TextChoices):
        PENDING = "pending", _("Awaiting a second lead")
        APPROVED = "approved", _("Approved and applied")
        REJECTED = "rejected", _("Rejected")

    dataset = models.ForeignKey(
        Dataset, on_delete=models.PROTECT, related_name="settings_changes", verbose_name=_("dataset")
    )
    current = models.JSONField(_("settings when proposed"))
    proposed = models.JSONField(_("proposed settings"))
    reason = models.TextField(_("reason"))
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("proposed by")
    )
    proposed_at = models.DateTimeField(_("proposed at"))
    outcome = models.CharField(_("outcome"), max_length=10, choices=Outcome.choices, default=Outcome.PENDING)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        verbose_name=_("decided by"),
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    rejection_reason = models.TextField(_("reason for the rejection"), blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-proposed_at", "-pk"]
        verbose_name = _("change to disclosure settings")
        verbose_name_plural = _("changes to disclosure settings")
        permissions = [("decide_disclosuresettingschange", "Can approve or reject a change to disclosure settings")]
        constraints = [
            models.UniqueConstraint(
                fields=["dataset"],
                condition=models.Q(outcome="pending"),
                name="settings_change_one_open_per_dataset",
            ),
            models.CheckConstraint(
                condition=models.Q(outcome="pending", decided_by__isnull=True, decided_at__isnull=True)
                | (
                    ~models.Q(outcome="pending")
                    & models.Q(decided_by__isnull=False, decided_at__isnull=False)
                    & ~models.Q(decided_by=models.F("proposed_by"))
                ),
                name="settings_change_decided_by_another_lead",
            ),
            models.CheckConstraint(
                condition=~models.Q(outcome="rejected") | ~models.Q(rejection_reason=""),
                name="settings_change_rejection_has_reason",
            ),
            models.CheckConstraint(condition=~models.Q(reason=""), name="settings_change_has_reason"),
        ]

    def __str__(self) -> str:
        return f"{self.dataset.code}: {', '.join(self.changed_fields()) or '—'} ({self.get_outcome_display()})"

    def changed_fields(self) -> list[str]:
        return [name for name in DISCLOSURE_SETTINGS if self.proposed.get(name) != self.current.get(name)]


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


class JobStage(models.TextChoices):
    COMPUTING = "computing", _("Computing the table in the warehouse")
    PROTECTING = "protecting", _("Applying disclosure control")
    AUDITING = "auditing", _("Auditing the protection")
    WRITING = "writing", _("Writing the files")


class LedgerEntry(models.Model):
    """One table released to a requester, or published before the portal existed: the release ledger.

    The attacker holds every table ever released from a dataset (DESIGN §4,
    "Linked tables"), so every new table of the dataset is protected against the
    entries of its dataset and data version. Entries and their cells are never
    changed or deleted: PostgreSQL refuses it (triggers), and ``stats_app.ledger``
    is the only writer.
    """

    class Source(models.TextChoices):
        JOB = "job", _("Released by an output checker")
        IMPORT = "import", _("Imported: published before the portal")
        COMMAND = "command", _("Released with build_table --release")

    dataset = models.ForeignKey(Dataset, on_delete=models.PROTECT, related_name="ledger_entries")
    measure = models.ForeignKey(Measure, on_delete=models.PROTECT, related_name="ledger_entries")
    measure_kind = models.CharField(_("measure kind"), max_length=20, choices=MeasureKind.choices)
    #: The specification as run: dataset, measure, dimensions and filters codes.
    specification = models.JSONField(_("specification"))
    #: The table's dimensions as protected: [{"code", "categories", "additive"}], in the specification's order.
    dimensions = models.JSONField(_("dimensions"))
    data_snapshot = models.JSONField(_("data snapshot"), null=True, blank=True)
    #: The snapshot's ``dataset_version`` ("" when the warehouse had none): tables of one version are linked.
    data_version = models.CharField(_("data version"), max_length=200, blank=True)
    method = models.CharField(_("disclosure method"), max_length=30, choices=DisclosurePolicy.choices)
    #: The policy's parameters as run (never the random-rounding secret).
    parameters = models.JSONField(_("disclosure parameters"), default=dict)
    checked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("output checker"),
    )
    released_at = models.DateTimeField(_("released at"))
    request_reference = models.CharField(_("request reference"), max_length=40, blank=True)
    decision_reference = models.CharField(_("decision reference"), max_length=60, blank=True)
    source = models.CharField(_("source"), max_length=10, choices=Source.choices)
    #: The table job released (``Source.JOB``), the imported file's name (``IMPORT``), or the output folder.
    source_reference = models.CharField(_("source reference"), max_length=300, blank=True)
    #: SHA-256 of the released ``table.csv``: what ``rerun_release`` compares.
    csv_sha256 = models.CharField(_("CSV SHA-256"), max_length=64, blank=True)
    #: The language of the files' labels (the requester's): ``rerun_release`` writes them in it again.
    language = models.CharField(_("language of the labels"), max_length=2, blank=True)
    cells = models.PositiveIntegerField(_("cells"))
    suppressed = models.PositiveIntegerField(_("suppressed cells"))
    #: The entries this table was protected against, and what that cost.
    linked_entries = models.JSONField(_("linked tables"), default=list, blank=True)
    linked_extra_suppressed = models.PositiveIntegerField(_("cells suppressed for linked tables"), default=0)
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-released_at", "-pk"]
        verbose_name = _("release ledger entry")
        verbose_name_plural = _("release ledger")
        indexes = [models.Index(fields=["dataset", "data_version"], name="ledger_dataset_version")]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(source="job") | models.Q(checked_by__isnull=False),
                name="ledger_job_release_has_checker",
            ),
            models.CheckConstraint(condition=models.Q(suppressed__lte=models.F("cells")), name="ledger_suppressed_le"),
        ]
        triggers = [
            pgtrigger.Protect(name="ledger_entry_append_only", operation=pgtrigger.Update | pgtrigger.Delete),
        ]

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        """How staff pages and refusals name the entry: its request (or source) and release date."""
        origin = self.request_reference or self.get_source_display()
        dimensions = " × ".join(dimension["code"] for dimension in self.dimensions) or _("grand total")
        return f"#{self.pk} {origin}: {self.measure_kind} by {dimensions} ({self.released_at:%Y-%m-%d})"


class LedgerCell(models.Model):
    """One cell of a ledger entry: the population it counts, what was published, and the warehouse's value.

    ``published`` is ``None`` where the cell was suppressed. ``value``,
    ``contributors`` and ``top`` are the warehouse's (never shown outside staff):
    the joint protection needs them to keep the released suppressions protected.
    """

    entry = models.ForeignKey(LedgerEntry, on_delete=models.PROTECT, related_name="ledger_cells")
    position = models.PositiveIntegerField(_("position"))
    #: One entry per dimension of the table: a category code or "Total".
    key = models.JSONField(_("key"))
    #: Dimension code -> the categories the cell counts (every dimension of the dataset).
    population = models.JSONField(_("population"))
    published = models.BigIntegerField(_("published value"), null=True, blank=True)
    value = models.BigIntegerField(_("warehouse value"))
    contributors = models.BigIntegerField(_("contributors"), default=0)
    top = models.JSONField(_("largest contributions"), default=list, blank=True)

    class Meta:
        ordering = ["entry", "position"]
        verbose_name = _("release ledger cell")
        verbose_name_plural = _("release ledger cells")
        constraints = [models.UniqueConstraint(fields=["entry", "position"], name="ledger_cell_unique_position")]
        triggers = [
            pgtrigger.Protect(name="ledger_cell_append_only", operation=pgtrigger.Update | pgtrigger.Delete),
        ]

    def __str__(self) -> str:
        return f"{self.entry_id}:{self.position}"


class HeldTable(models.Model):
    """A protected table produced but not yet released: tables checked at the same time are protected against
    each other too. Replaced by a ledger entry on release, removed when the table is returned or run again."""

    holder = models.CharField(_("holder"), max_length=100, unique=True)
    label = models.CharField(_("label"), max_length=300)
    dataset = models.ForeignKey(Dataset, on_delete=models.CASCADE, related_name="held_tables")
    measure = models.ForeignKey(Measure, on_delete=models.CASCADE, related_name="held_tables")
    specification = models.JSONField(_("specification"))
    dimensions = models.JSONField(_("dimensions"))
    data_snapshot = models.JSONField(_("data snapshot"), null=True, blank=True)
    data_version = models.CharField(_("data version"), max_length=200, blank=True)
    method = models.CharField(_("disclosure method"), max_length=30, choices=DisclosurePolicy.choices)
    parameters = models.JSONField(_("disclosure parameters"), default=dict)
    #: [[key, value, contributors, top, published], ...] for every key of the table.
    cells = models.JSONField(_("cells"))
    linked_entries = models.JSONField(_("linked tables"), default=list, blank=True)
    linked_extra_suppressed = models.PositiveIntegerField(default=0)
    csv_sha256 = models.CharField(_("CSV SHA-256"), max_length=64, blank=True)
    language = models.CharField(_("language of the labels"), max_length=2, blank=True)
    held_at = models.DateTimeField(_("held since"), auto_now_add=True)

    class Meta:
        ordering = ["held_at", "pk"]
        verbose_name = _("table held for checking")
        verbose_name_plural = _("tables held for checking")

    def __str__(self) -> str:
        return self.label
