"""The case: a data-access request and what it carries (DESIGN §3).

The ``status`` field is written by ``requests_app.workflow.transition`` and by
nothing else. Every model here that carries case data keeps its full history;
the notification outbox (``Notification``) is itself a log, and has none.
"""

import uuid
from pathlib import PurePath

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase
from simple_history.models import HistoricalRecords

from portal.i18n import pick
from requests_app.states import Status


class RequesterCategory(models.TextChoices):
    RESEARCHER = "researcher", _("Researcher")
    JOURNALIST = "journalist", _("Journalist")
    PUBLIC_BODY = "public_body", _("Public body")
    PRIVATE_COMPANY = "private_company", _("Private company")
    CITIZEN = "citizen", _("Citizen")
    ELECTED_OFFICIAL = "elected_official", _("Elected official")
    OTHER = "other", _("Other")


class LegalBasis(models.TextChoices):
    STATISTICAL_PURPOSES = "a29_s67", _("Health Insurance Act, s. 67: disclosure for statistical purposes")
    ACCESS_ACT = "a21_s9", _("Access Act, s. 9: right of access to documents of a public body")
    OTHER = "other", _("Other (explain)")


class EthicsApproval(models.TextChoices):
    OBTAINED = "obtained", _("Obtained")
    PENDING = "pending", _("Applied for, pending")
    NOT_REQUIRED = "not_required", _("Not required for this project")


class Accommodation(models.TextChoices):
    """A reasonable accommodation a requester with a disability may ask for (Access Act s. 47, 1.1°)."""

    FORMAT = "format", _("Documents in another format (large print, plain text, accessible files)")
    ASSISTANCE = "assistance", _("Help to make or follow the request (by telephone, in person)")
    OTHER = "other", _("Something else")


class AccommodationOutcome(models.TextChoices):
    GRANTED = "granted", _("Granted")
    PARTLY = "partly", _("Partly granted")
    REFUSED = "refused", _("Refused")


class DataRequest(models.Model):
    """A request for aggregate statistics, from draft to closure."""

    reference = models.CharField(_("reference"), max_length=20, unique=True, null=True, blank=True, editable=False)
    requester = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="data_requests", verbose_name=_("requester")
    )
    status = models.CharField(
        _("status"), max_length=30, choices=Status.choices, default=Status.DRAFT, editable=False, db_index=True
    )
    language = models.CharField(_("language of correspondence"), max_length=2, choices=settings.LANGUAGES, default="fr")

    # Step 1: who asks.
    contact_name = models.CharField(_("full name"), max_length=200, blank=True)
    organisation = models.CharField(_("organisation"), max_length=200, blank=True)
    position = models.CharField(_("position or title"), max_length=200, blank=True)
    phone = models.CharField(_("telephone"), max_length=40, blank=True)
    requester_category = models.CharField(
        _("requester category"), max_length=30, choices=RequesterCategory.choices, blank=True
    )
    # Access Act s. 47 (1.1°): a reasonable accommodation, asked for in plain words, decided with a reason.
    accommodation = models.CharField(_("accommodation"), max_length=20, choices=Accommodation.choices, blank=True)
    accommodation_details = models.TextField(_("accommodation: in your words"), blank=True)
    accommodation_outcome = models.CharField(
        _("accommodation decided"), max_length=10, choices=AccommodationOutcome.choices, blank=True, editable=False
    )
    accommodation_reason = models.TextField(_("accommodation: reason"), blank=True, editable=False)

    # Step 2: the project.
    title = models.CharField(_("project title"), max_length=200, blank=True)
    purpose = models.TextField(_("purpose of the request"), blank=True)
    public_interest = models.TextField(_("public interest"), blank=True)
    intended_publication = models.TextField(_("intended publication"), blank=True)
    use_starts_on = models.DateField(_("use of the data from"), null=True, blank=True)
    use_ends_on = models.DateField(_("use of the data until"), null=True, blank=True)
    legal_basis = models.CharField(_("legal basis claimed"), max_length=20, choices=LegalBasis.choices, blank=True)
    legal_basis_details = models.TextField(_("legal basis: details"), blank=True)
    ethics_approval = models.CharField(_("ethics approval"), max_length=20, choices=EthicsApproval.choices, blank=True)
    ethics_reference = models.CharField(_("ethics approval reference"), max_length=200, blank=True)

    # Step 5: declarations.
    declares_no_reidentification = models.BooleanField(
        _("I undertake not to attempt to identify any person from the statistics"), default=False
    )
    declares_source_citation = models.BooleanField(
        _("I undertake to cite the agency as the source of the statistics"), default=False
    )

    # The statutory clock (Access Act ss. 46-47).
    received_at = models.DateTimeField(_("received at"), null=True, blank=True, editable=False)
    due_at = models.DateTimeField(_("due at"), null=True, blank=True, editable=False)
    acknowledgement = models.TextField(_("acknowledgement of receipt"), blank=True, editable=False)

    # Access Act s. 47, last paragraph: one extension, with written notice, before the first delay expires.
    extension_days = models.PositiveSmallIntegerField(_("extension (days)"), default=0, editable=False)
    extended_at = models.DateTimeField(_("extended at"), null=True, blank=True, editable=False)
    extension_notice = models.TextField(_("notice of extension"), blank=True, editable=False)

    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="assigned_requests",
        verbose_name=_("assigned officer"),
        editable=False,
    )

    withdrawn_at = models.DateTimeField(_("withdrawn at"), null=True, blank=True, editable=False)
    withdrawal_reason = models.TextField(_("reason for withdrawal"), blank=True, editable=False)

    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("data-access request")
        verbose_name_plural = _("data-access requests")
        indexes = [
            models.Index(fields=["requester", "-created_at"]),
            # The workspace's queue counts read this index alone, never the (wide) rows.
            models.Index(fields=["status", "due_at"], include=["assigned_to"], name="request_status_due_idx"),
            models.Index(fields=["assigned_to", "status"]),
            # The queues' pages, sorted by due date or by receipt (either way): the first rows are read in
            # index order instead of sorting every filed case; the undecided cases (a few thousand among
            # 100 000) have an index of their own, so "overdue" does not walk years of closed cases.
            models.Index(fields=["due_at", "id"], name="request_due_id_idx"),
            models.Index(fields=["received_at", "id"], name="request_received_id_idx"),
            models.Index(
                fields=["due_at", "id"],
                condition=Q(status__in=["received", "under_review", "awaiting_requester", "decision_proposed"]),
                name="request_undecided_due_idx",
            ),
        ]
        permissions = [
            ("assign_datarequest", _("Can assign a request to an officer")),
            ("sign_off_datarequest", _("Can sign off a decision proposed by someone else")),
        ]
        constraints = [
            models.CheckConstraint(
                name="request_draft_has_no_reference_or_clock",
                condition=(
                    Q(status="draft", reference__isnull=True, received_at__isnull=True, due_at__isnull=True)
                    | (~Q(status="draft") & Q(reference__isnull=False, received_at__isnull=False, due_at__isnull=False))
                ),
            ),
            models.CheckConstraint(
                name="request_submitted_has_declarations",
                condition=Q(status="draft") | Q(declares_no_reidentification=True, declares_source_citation=True),
            ),
            models.CheckConstraint(
                name="request_accommodation_decided_with_reason",
                condition=Q(accommodation_outcome="") | (~Q(accommodation="") & ~Q(accommodation_reason="")),
            ),
            models.CheckConstraint(
                name="request_extension_fields_paired",
                condition=Q(extension_days=0, extended_at__isnull=True, extension_notice="")
                | (Q(extension_days__gt=0, extended_at__isnull=False) & ~Q(extension_notice="")),
            ),
            models.CheckConstraint(
                name="request_withdrawal_fields_paired",
                condition=Q(status="withdrawn", withdrawn_at__isnull=False)
                | Q(~Q(status="withdrawn"), withdrawn_at__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return self.reference or _("Draft #%(pk)s") % {"pk": self.pk}

    @property
    def is_draft(self) -> bool:
        return self.status == Status.DRAFT


class AttachmentKind(models.TextChoices):
    PROTOCOL = "protocol", _("Research protocol")
    ETHICS_APPROVAL = "ethics_approval", _("Ethics approval")
    OTHER = "other", _("Other document")


class Clarification(models.Model):
    """A question put to the requester. While it waits for an answer, the statutory clock stops."""

    request = models.ForeignKey(DataRequest, on_delete=models.CASCADE, related_name="clarifications")
    question = models.TextField(_("question"))
    asked_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    asked_at = models.DateTimeField(_("asked at"))
    #: The document the officer asks for, if any: the answer must bring one.
    requested_document = models.CharField(
        _("document asked for"), max_length=20, choices=AttachmentKind.choices, blank=True
    )
    answer = models.TextField(_("answer"), blank=True)
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["asked_at", "pk"]
        verbose_name = _("clarification")
        verbose_name_plural = _("clarifications")
        constraints = [
            models.UniqueConstraint(
                fields=["request"], condition=Q(answered_at__isnull=True), name="clarification_one_open_per_request"
            ),
            models.CheckConstraint(
                name="clarification_answer_paired",
                condition=Q(answered_at__isnull=True, answer="") | (Q(answered_at__isnull=False) & ~Q(answer="")),
            ),
            models.CheckConstraint(
                name="clarification_answered_after_asked",
                condition=Q(answered_at__isnull=True) | Q(answered_at__gte=models.F("asked_at")),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.request} – {self.asked_at:%Y-%m-%d}"


class DataRequestUserObjectPermission(UserObjectPermissionBase):
    """guardian: per-user rights on one case, in a direct foreign-key table."""

    content_object = models.ForeignKey(DataRequest, on_delete=models.CASCADE)


class DataRequestGroupObjectPermission(GroupObjectPermissionBase):
    content_object = models.ForeignKey(DataRequest, on_delete=models.CASCADE)


class TableSpecification(models.Model):
    """One table asked for: a dataset, a measure, up to four dimensions and filters.

    ``dimensions`` is the ordered list of dimension codes; ``filters`` maps a
    dimension code to the category codes kept. Both are validated against the
    catalogue by ``stats_app.catalogue.validate_specification`` before saving.
    """

    request = models.ForeignKey(DataRequest, on_delete=models.CASCADE, related_name="specifications")
    dataset = models.ForeignKey("stats_app.Dataset", on_delete=models.PROTECT, verbose_name=_("dataset"))
    measure = models.ForeignKey("stats_app.Measure", on_delete=models.PROTECT, verbose_name=_("measure"))
    dimensions = models.JSONField(_("dimensions"), default=list)
    filters = models.JSONField(_("filters"), default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["request", "created_at", "pk"]
        verbose_name = _("table specification")
        verbose_name_plural = _("table specifications")

    def __str__(self) -> str:
        return f"{self.dataset.code}.{self.measure.code} × {', '.join(self.dimensions) or '—'}"


def attachment_path(instance: "Attachment", filename: str) -> str:
    """A random name under the case's folder: the original name is kept in the row, never on disk."""
    suffix = PurePath(filename).suffix.lower()
    return f"attachments/{instance.request_id}/{uuid.uuid4().hex}{suffix}"


class Attachment(models.Model):
    """A document filed with a request; stored outside the web root."""

    request = models.ForeignKey(DataRequest, on_delete=models.CASCADE, related_name="attachments")
    kind = models.CharField(_("kind of document"), max_length=20, choices=AttachmentKind.choices)
    file = models.FileField(_("file"), upload_to=attachment_path, max_length=300)
    original_name = models.CharField(_("file name"), max_length=255)
    content_type = models.CharField(_("content type"), max_length=100)
    size = models.PositiveBigIntegerField(_("size in bytes"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)
    # After filing, a document comes with the answer to a question or with the requester's message.
    clarification = models.ForeignKey(
        Clarification,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="documents",
        verbose_name=_("sent with the answer to"),
    )
    message = models.ForeignKey(
        "Message",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="documents",
        verbose_name=_("sent with"),
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["uploaded_at", "pk"]
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        constraints = [
            models.CheckConstraint(
                name="attachment_with_one_answer_or_message",
                condition=Q(clarification__isnull=True) | Q(message__isnull=True),
            )
        ]

    def __str__(self) -> str:
        return self.original_name


class ReferenceSequence(models.Model):
    """The last reference number given in a year; locked while the next is taken."""

    year = models.PositiveSmallIntegerField(primary_key=True)
    last_number = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("reference sequence")

    def __str__(self) -> str:
        return f"{self.year}: {self.last_number}"


# --- Review against the Act (DESIGN §3) ------------------------------------------


class Act(models.TextChoices):
    ACCESS_ACT = "A-2.1", _("Act respecting access to documents held by public bodies (A-2.1)")
    HEALTH_INSURANCE_ACT = "A-29", _("Health Insurance Act (A-29)")
    HEALTH_INFORMATION_ACT = "R-22.1", _("Act respecting health and social services information (R-22.1)")


class LegalProvision(models.Model):
    """A section of an Act a decision may rely on; kept as data so the agency can correct it."""

    code = models.CharField(_("code"), max_length=40, unique=True)
    act = models.CharField(_("act"), max_length=10, choices=Act.choices)
    section = models.CharField(_("section"), max_length=20)
    summary_fr = models.TextField(_("summary (French)"))
    summary_en = models.TextField(_("summary (English)"))
    is_active = models.BooleanField(_("in force"), default=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["act", "code"]
        verbose_name = _("legal provision")
        verbose_name_plural = _("legal provisions")

    def __str__(self) -> str:
        # A provision relied on as a whole (no section, or "—" in the data) is cited by the Act's title alone.
        if self.section.strip() in ("", "—"):
            return str(self.get_act_display())
        return f"{self.act}, s. {self.section}"

    @property
    def summary(self) -> str:
        return pick(self, "summary")


class LegalCriterion(models.Model):
    """One point of the review checklist, with the provision it comes from."""

    code = models.CharField(_("code"), max_length=40, unique=True)
    text_fr = models.TextField(_("text (French)"))
    text_en = models.TextField(_("text (English)"))
    provision = models.ForeignKey(
        LegalProvision, on_delete=models.PROTECT, null=True, blank=True, verbose_name=_("provision")
    )
    mandatory = models.BooleanField(_("mandatory"), default=True)
    requester_categories = models.JSONField(
        _("requester categories"),
        default=list,
        blank=True,
        help_text=_("Codes of the requester categories it applies to; empty means every category."),
    )
    datasets = models.ManyToManyField(
        "stats_app.Dataset",
        blank=True,
        verbose_name=_("datasets"),
        help_text=_("The datasets it applies to; none means every dataset."),
    )
    only_for_external_data = models.BooleanField(
        _("only for data the agency does not own"),
        default=False,
        help_text=_("Applies only when a requested dataset belongs to another custodian."),
    )
    not_applicable_allowed = models.BooleanField(
        _("may be found not applicable"),
        default=False,
        help_text=_("Whether an officer may record that it does not apply to a request, giving the reason."),
    )
    not_applicable_categories = models.JSONField(
        _("not applicable for"),
        default=list,
        blank=True,
        help_text=_("Codes of the requester categories for which it may be not applicable; empty means every one."),
    )
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    is_active = models.BooleanField(_("in use"), default=True)
    history = HistoricalRecords(m2m_fields=[datasets])

    class Meta:
        ordering = ["order", "code"]
        verbose_name = _("legal criterion")
        verbose_name_plural = _("legal criteria")

    def __str__(self) -> str:
        return self.code

    @property
    def text(self) -> str:
        return pick(self, "text")

    def allows_not_applicable(self, requester_category: str) -> bool:
        """Whether "not applicable" may be recorded on it for a requester of this category."""
        categories = self.not_applicable_categories
        return self.not_applicable_allowed and (not categories or requester_category in categories)


class Assessment(models.TextChoices):
    MET = "met", _("Met")
    NOT_MET = "not_met", _("Not met")
    NOT_APPLICABLE = "not_applicable", _("Not applicable")


class CriterionAssessment(models.Model):
    """The officer's finding on one criterion for one case."""

    request = models.ForeignKey(DataRequest, on_delete=models.CASCADE, related_name="assessments")
    criterion = models.ForeignKey(LegalCriterion, on_delete=models.PROTECT, related_name="+")
    outcome = models.CharField(_("finding"), max_length=20, choices=Assessment.choices)
    note = models.TextField(_("note"), blank=True)
    assessed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    assessed_at = models.DateTimeField(_("assessed at"))
    history = HistoricalRecords()

    class Meta:
        ordering = ["criterion__order", "criterion__code"]
        verbose_name = _("criterion assessment")
        verbose_name_plural = _("criterion assessments")
        constraints = [models.UniqueConstraint(fields=["request", "criterion"], name="assessment_once_per_criterion")]

    def __str__(self) -> str:
        return f"{self.request} – {self.criterion.code}: {self.outcome}"


class ConsultationAnswer(models.TextChoices):
    YES = "yes", _("Yes, the custodian agrees")
    YES_WITH_CONDITIONS = "yes_with_conditions", _("Yes, with conditions")
    NO = "no", _("No, the custodian does not agree")


class Consultation(models.Model):
    """The data's owner is asked whether it agrees to the use of its data."""

    request = models.ForeignKey(DataRequest, on_delete=models.CASCADE, related_name="consultations")
    custodian = models.ForeignKey("stats_app.Custodian", on_delete=models.PROTECT, related_name="consultations")
    question = models.TextField(_("question to the custodian"))
    due_on = models.DateField(_("answer expected by"))
    asked_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    asked_at = models.DateTimeField(_("asked at"))
    answer = models.CharField(_("answer"), max_length=30, choices=ConsultationAnswer.choices, blank=True)
    # A conditional yes: what the engine enforces (``requests_app.conditions``) and what the checker attests.
    excluded_categories = models.ManyToManyField(
        "stats_app.Category", blank=True, related_name="+", verbose_name=_("categories excluded")
    )
    minimum_count = models.PositiveSmallIntegerField(_("minimum cell count required"), null=True, blank=True)
    not_before = models.DateField(_("not released before"), null=True, blank=True)
    conditions = models.TextField(_("other conditions"), blank=True)
    #: A "no" says why.
    reasons = models.TextField(_("reasons for the refusal"), blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    history = HistoricalRecords(m2m_fields=[excluded_categories])

    class Meta:
        ordering = ["asked_at", "pk"]
        verbose_name = _("consultation")
        verbose_name_plural = _("consultations")
        constraints = [
            models.CheckConstraint(
                name="consultation_answer_fields_paired",
                condition=Q(answer="", answered_by__isnull=True, answered_at__isnull=True)
                | (~Q(answer="") & Q(answered_by__isnull=False, answered_at__isnull=False)),
            ),
            models.CheckConstraint(
                name="consultation_conditions_only_with_conditional_yes",
                condition=Q(answer="yes_with_conditions")
                | Q(conditions="", minimum_count__isnull=True, not_before__isnull=True),
            ),
            models.CheckConstraint(
                name="consultation_reasons_exactly_with_no",
                condition=Q(answer="no", reasons__gt="") | (~Q(answer="no") & Q(reasons="")),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.request} – {self.custodian.code}"

    @property
    def is_answered(self) -> bool:
        return bool(self.answer)

    @property
    def agrees(self) -> bool:
        return self.answer in (ConsultationAnswer.YES, ConsultationAnswer.YES_WITH_CONDITIONS)


class ConsultationUserObjectPermission(UserObjectPermissionBase):
    content_object = models.ForeignKey(Consultation, on_delete=models.CASCADE)


class ConsultationGroupObjectPermission(GroupObjectPermissionBase):
    content_object = models.ForeignKey(Consultation, on_delete=models.CASCADE)


class DecisionOutcome(models.TextChoices):
    APPROVED = "approved", _("Approved")
    PARTIALLY_APPROVED = "partially_approved", _("Partially approved")
    REFUSED = "refused", _("Refused")


class Decision(models.Model):
    """A proposed decision, signed off (or sent back) by a second person."""

    request = models.ForeignKey(DataRequest, on_delete=models.CASCADE, related_name="decisions")
    outcome = models.CharField(_("outcome"), max_length=30, choices=DecisionOutcome.choices)
    reasons = models.TextField(_("reasons"), blank=True)
    provisions = models.ManyToManyField(LegalProvision, blank=True, verbose_name=_("provisions relied on"))
    letter = models.TextField(_("decision letter"))
    proposed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    proposed_at = models.DateTimeField(_("proposed at"))
    signed_off_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    signed_off_at = models.DateTimeField(_("signed off at"), null=True, blank=True)
    returned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    returned_at = models.DateTimeField(_("sent back at"), null=True, blank=True)
    return_reason = models.TextField(_("why it was sent back"), blank=True)
    history = HistoricalRecords(m2m_fields=[provisions])

    class Meta:
        ordering = ["proposed_at", "pk"]
        verbose_name = _("decision")
        verbose_name_plural = _("decisions")
        constraints = [
            models.CheckConstraint(
                name="decision_sign_off_fields_paired",
                condition=Q(signed_off_by__isnull=True, signed_off_at__isnull=True)
                | Q(signed_off_by__isnull=False, signed_off_at__isnull=False),
            ),
            models.CheckConstraint(
                name="decision_four_eyes", condition=Q(signed_off_by__isnull=True) | ~Q(signed_off_by=F("proposed_by"))
            ),
            models.CheckConstraint(
                name="decision_signed_or_returned_not_both",
                condition=Q(signed_off_at__isnull=True) | Q(returned_at__isnull=True),
            ),
            models.CheckConstraint(
                name="decision_return_fields_paired",
                condition=Q(returned_at__isnull=True, returned_by__isnull=True, return_reason="")
                | (Q(returned_at__isnull=False, returned_by__isnull=False) & ~Q(return_reason="")),
            ),
            models.UniqueConstraint(
                fields=["request"],
                condition=Q(signed_off_at__isnull=True, returned_at__isnull=True),
                name="decision_one_pending_per_request",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.request} – {self.get_outcome_display()}"

    @property
    def is_pending(self) -> bool:
        return self.signed_off_at is None and self.returned_at is None


class ReviewOutcome(models.TextChoices):
    PENDING = "pending", _("Pending before the Commission")
    UPHELD = "upheld", _("Decision upheld")
    CHANGED = "changed", _("Decision changed")
    WITHDRAWN = "withdrawn", _("Withdrawn by the requester")
    SETTLED = "settled", _("Settled")


class ReviewRequest(models.Model):
    """The requester asked the Commission d'accès à l'information to review the answer (Access Act ss. 135, 137).

    Recorded by the requester or by staff; staff then track what the agency sent the Commission and the outcome.
    """

    request = models.ForeignKey(DataRequest, on_delete=models.CASCADE, related_name="review_requests")
    requested_on = models.DateField(_("review requested on"))
    cai_file_number = models.CharField(_("Commission file number"), max_length=50, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(_("recorded at"))
    sent_file = models.BooleanField(_("the case file sent"), default=False)
    sent_decision = models.BooleanField(_("the decision sent"), default=False)
    sent_tables = models.BooleanField(_("the tables released sent"), default=False)
    sent_on = models.DateField(_("sent to the Commission on"), null=True, blank=True)
    outcome = models.CharField(
        _("outcome"), max_length=20, choices=ReviewOutcome.choices, default=ReviewOutcome.PENDING
    )
    outcome_on = models.DateField(_("outcome on"), null=True, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["requested_on", "pk"]
        verbose_name = _("review request")
        verbose_name_plural = _("review requests")
        constraints = [
            models.CheckConstraint(
                name="review_outcome_dated",
                condition=Q(outcome=ReviewOutcome.PENDING, outcome_on__isnull=True)
                | (~Q(outcome=ReviewOutcome.PENDING) & Q(outcome_on__isnull=False)),
            ),
            models.CheckConstraint(
                name="review_sent_dated",
                condition=Q(sent_on__isnull=True) | Q(sent_file=True) | Q(sent_decision=True) | Q(sent_tables=True),
            ),
            models.UniqueConstraint(
                fields=["request"], condition=Q(outcome=ReviewOutcome.PENDING), name="review_one_open_per_request"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.request} – {self.get_outcome_display()}"

    @property
    def is_open(self) -> bool:
        return self.outcome == ReviewOutcome.PENDING


class Amendment(models.Model):
    """A change to a table that a signed decision approved: proposed by the officer, signed off by a lead.

    Once a decision is signed, a table's scope changes only through an amendment
    (``services.amendments``), whatever the cause: a checker's return, a failed
    run, a requester's change asked in a message. The table keeps its approved
    scope until a second person signs the amendment; its letter then tells the
    requester what changed and why (Access Act ss. 47, 50).
    """

    request = models.ForeignKey(DataRequest, on_delete=models.CASCADE, related_name="amendments")
    specification = models.ForeignKey(
        TableSpecification, on_delete=models.CASCADE, related_name="amendments", verbose_name=_("table")
    )
    #: The scope approved until now, and the scope proposed (catalogue codes, as ``TableSpecification`` holds).
    dimensions_before = models.JSONField(_("dimensions approved"), default=list)
    filters_before = models.JSONField(_("filters approved"), default=dict, blank=True)
    dimensions = models.JSONField(_("dimensions proposed"), default=list)
    filters = models.JSONField(_("filters proposed"), default=dict, blank=True)
    reason = models.TextField(_("reason"))
    letter = models.TextField(_("amendment letter"))
    proposed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    proposed_at = models.DateTimeField(_("proposed at"))
    signed_off_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    signed_off_at = models.DateTimeField(_("signed off at"), null=True, blank=True)
    returned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    returned_at = models.DateTimeField(_("sent back at"), null=True, blank=True)
    return_reason = models.TextField(_("why it was sent back"), blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["proposed_at", "pk"]
        verbose_name = _("amendment")
        verbose_name_plural = _("amendments")
        constraints = [
            models.CheckConstraint(
                name="amendment_sign_off_fields_paired",
                condition=Q(signed_off_by__isnull=True, signed_off_at__isnull=True)
                | Q(signed_off_by__isnull=False, signed_off_at__isnull=False),
            ),
            models.CheckConstraint(
                name="amendment_four_eyes", condition=Q(signed_off_by__isnull=True) | ~Q(signed_off_by=F("proposed_by"))
            ),
            models.CheckConstraint(
                name="amendment_signed_or_returned_not_both",
                condition=Q(signed_off_at__isnull=True) | Q(returned_at__isnull=True),
            ),
            models.CheckConstraint(
                name="amendment_return_fields_paired",
                condition=Q(returned_at__isnull=True, returned_by__isnull=True, return_reason="")
                | (Q(returned_at__isnull=False, returned_by__isnull=False) & ~Q(return_reason="")),
            ),
            models.UniqueConstraint(
                fields=["specification"],
                condition=Q(signed_off_at__isnull=True, returned_at__isnull=True),
                name="amendment_one_pending_per_table",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.request} – {_('amendment')} {self.pk}"

    @property
    def is_pending(self) -> bool:
        return self.signed_off_at is None and self.returned_at is None


class Message(models.Model):
    """A message to or from the requester, or an internal note (never shown to the requester)."""

    request = models.ForeignKey(DataRequest, on_delete=models.CASCADE, related_name="messages")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    body = models.TextField(_("message"))
    is_internal = models.BooleanField(_("internal note"), default=False)
    created_at = models.DateTimeField(_("written at"))
    history = HistoricalRecords()

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = _("message")
        verbose_name_plural = _("messages")

    def __str__(self) -> str:
        return f"{self.request} – {self.created_at:%Y-%m-%d %H:%M}"


# --- The calendar: the days on which a delay does not expire (Interpretation Act, I-16) ------------


class HolidaySource(models.TextChoices):
    LIBRARY = "library", _("holidays library")
    INTERPRETATION_ACT = "i16_s61_23", _("Interpretation Act (I-16), s. 61(23)")
    STAFF = "staff", _("added by staff")


class Holiday(models.Model):
    """A holiday (I-16 s. 61(23)): a delay that expires on it runs to the next working day (I-16 s. 52).

    Sundays are holidays too, but in code (``clock.is_holiday``), not as rows. Seeded from the ``holidays``
    library and the Act's own list (``requests_app/holiday_data.py``); the access lead adds or corrects days
    (a day proclaimed, say) in the admin, and each change recomputes the open cases' due dates.
    """

    date = models.DateField(_("date"), unique=True)
    name_fr = models.CharField(_("name (French)"), max_length=100)
    name_en = models.CharField(_("name (English)"), max_length=100, blank=True)
    source = models.CharField(_("source"), max_length=20, choices=HolidaySource.choices, default=HolidaySource.STAFF)
    history = HistoricalRecords()

    class Meta:
        ordering = ["date"]
        verbose_name = _("holiday")
        verbose_name_plural = _("holidays")

    def __str__(self) -> str:
        return f"{self.date.isoformat()} {self.name}"

    @property
    def name(self) -> str:
        return pick(self, "name")


# --- Notifications: the e-mail outbox (requests_app/notifications/) ---------------


class NotificationStatus(models.TextChoices):
    PENDING = "pending", _("To send")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")


class Notification(models.Model):
    """One e-mail to one person about one event of a case: the transactional outbox.

    A row is written in the same transaction as the event it tells of, so an
    event that is rolled back tells no one, and one that commits is told even
    if the broker or the mail server is down at that moment: a task sends the
    row after the commit, the periodic sweep catches up on what was left. The
    unique ``idempotency_key`` (event, case, occurrence, notice, recipient)
    makes a second recording of the same event, or a second delivery of the
    task, a no-op.

    ``context`` holds the few primitives the message needs, frozen at the
    event (reference, due date, the consultation or decision concerned):
    never health data, never the requester's details. The message is rendered
    when it is sent, in ``language`` (the recipient's at the event).
    """

    event = models.CharField(_("event"), max_length=40)
    notice = models.CharField(_("notice"), max_length=40, help_text=_("Which message of the event: its template."))
    request = models.ForeignKey(
        DataRequest, on_delete=models.PROTECT, related_name="notifications", verbose_name=_("request")
    )
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="notifications", verbose_name=_("recipient")
    )
    language = models.CharField(_("language"), max_length=2)
    context = models.JSONField(_("context"), default=dict)
    idempotency_key = models.CharField(_("idempotency key"), max_length=200, unique=True)
    status = models.CharField(
        _("status"), max_length=10, choices=NotificationStatus.choices, default=NotificationStatus.PENDING
    )
    subject = models.CharField(_("subject"), max_length=200, blank=True, help_text=_("As sent."))
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)
    next_attempt_at = models.DateTimeField(_("next attempt at"))
    created_at = models.DateTimeField(_("recorded at"), auto_now_add=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        permissions = [("retry_notification", _("Can send a pending or failed e-mail again now"))]
        indexes = [models.Index(fields=["status", "next_attempt_at"])]
        constraints = [
            models.CheckConstraint(
                name="notification_sent_fields_paired",
                condition=Q(status="sent", sent_at__isnull=False) | (~Q(status="sent") & Q(sent_at__isnull=True)),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.notice} → {self.recipient_id} ({self.request_id})"
