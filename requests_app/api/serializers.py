"""What the API reads and writes. Input is checked again by the pages' own forms and services
(``views``); these classes describe the shapes, for clients and for the OpenAPI schema."""

from django.conf import settings
from django.urls import reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from requests_app.models import (
    Accommodation,
    AttachmentKind,
    EthicsApproval,
    LegalBasis,
    RequesterCategory,
)
from requests_app.states import JobState, Status
from stats_app.models import MeasureKind
from stats_app.outputs import FILE_NAMES

# --- The catalogue ------------------------------------------------------------------


class CategorySerializer(serializers.Serializer):
    code = serializers.CharField()
    label = serializers.CharField()


class DimensionSerializer(serializers.Serializer):
    code = serializers.CharField()
    label = serializers.CharField()
    categories = CategorySerializer(many=True, source="categories.all")


class MeasureSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    kind = serializers.ChoiceField(choices=MeasureKind.choices)


class DatasetSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    description = serializers.CharField()
    custodian = serializers.CharField(source="custodian.name")
    measures = MeasureSerializer(many=True, source="measures.all")
    dimensions = DimensionSerializer(many=True, source="dimensions.all")
    max_dimensions = serializers.SerializerMethodField()

    def get_max_dimensions(self, dataset) -> int:
        return settings.SPECIFICATION_MAX_DIMENSIONS


# --- A request, as its requester reads it -------------------------------------------


PROFILE_FIELDS = (
    "contact_name",
    "organisation",
    "position",
    "phone",
    "requester_category",
    "accommodation",
    "accommodation_details",
)
PROJECT_FIELDS = (
    "title",
    "purpose",
    "public_interest",
    "intended_publication",
    "use_starts_on",
    "use_ends_on",
    "legal_basis",
    "legal_basis_details",
    "ethics_approval",
    "ethics_reference",
)
DECLARATION_FIELDS = ("declares_no_reidentification", "declares_source_citation")
DRAFT_FIELDS = (*PROFILE_FIELDS, *PROJECT_FIELDS, *DECLARATION_FIELDS)


def _blank_choice(choices):
    return [("", ""), *choices]


class DraftSerializer(serializers.Serializer):
    """The fields of a draft (intake steps 1, 2 and 5). Every field is optional until submission."""

    contact_name = serializers.CharField(required=False, allow_blank=True, max_length=200)
    organisation = serializers.CharField(required=False, allow_blank=True, max_length=200)
    position = serializers.CharField(required=False, allow_blank=True, max_length=200)
    phone = serializers.CharField(required=False, allow_blank=True, max_length=40)
    requester_category = serializers.ChoiceField(
        choices=_blank_choice(RequesterCategory.choices), required=False, allow_blank=True
    )
    accommodation = serializers.ChoiceField(
        choices=_blank_choice(Accommodation.choices), required=False, allow_blank=True
    )
    accommodation_details = serializers.CharField(required=False, allow_blank=True, max_length=2000)
    title = serializers.CharField(required=False, allow_blank=True, max_length=200)
    purpose = serializers.CharField(required=False, allow_blank=True)
    public_interest = serializers.CharField(required=False, allow_blank=True)
    intended_publication = serializers.CharField(required=False, allow_blank=True)
    use_starts_on = serializers.DateField(required=False, allow_null=True)
    use_ends_on = serializers.DateField(required=False, allow_null=True)
    legal_basis = serializers.ChoiceField(choices=_blank_choice(LegalBasis.choices), required=False, allow_blank=True)
    legal_basis_details = serializers.CharField(required=False, allow_blank=True)
    ethics_approval = serializers.ChoiceField(
        choices=_blank_choice(EthicsApproval.choices), required=False, allow_blank=True
    )
    ethics_reference = serializers.CharField(required=False, allow_blank=True, max_length=200)
    declares_no_reidentification = serializers.BooleanField(required=False)
    declares_source_citation = serializers.BooleanField(required=False)


class TableSerializer(serializers.Serializer):
    """A table of the request, with its catalogue codes and their labels."""

    id = serializers.IntegerField(source="specification.pk")
    dataset = serializers.CharField(source="specification.dataset.code")
    dataset_name = serializers.CharField(source="dataset")
    measure = serializers.CharField(source="specification.measure.code")
    measure_name = serializers.CharField(source="measure")
    dimensions = serializers.ListField(child=serializers.CharField(), source="specification.dimensions")
    dimension_labels = serializers.ListField(child=serializers.CharField(), source="dimensions")
    filters = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()), source="specification.filters"
    )


class TableInputSerializer(serializers.Serializer):
    dataset = serializers.CharField(help_text="A dataset's code, from /api/v1/catalogue/datasets/.")
    measure = serializers.CharField(help_text="A measure's code, from the dataset.")
    dimensions = serializers.ListField(child=serializers.CharField(), required=False, default=list)
    filters = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        required=False,
        default=dict,
        help_text="Dimension code -> the category codes to keep; a dimension left out keeps every category.",
    )


class DocumentSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    kind = serializers.ChoiceField(choices=AttachmentKind.choices)
    name = serializers.CharField(source="original_name")
    content_type = serializers.CharField()
    size = serializers.IntegerField()
    sha256 = serializers.CharField()
    uploaded_at = serializers.DateTimeField()


class DocumentInputSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=AttachmentKind.choices)
    file = serializers.FileField()


class MessageSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    created_at = serializers.DateTimeField()
    #: The requester sees who wrote: themselves or the agency, never which staff member.
    from_requester = serializers.SerializerMethodField()
    body = serializers.CharField()
    documents = DocumentSerializer(many=True, source="documents.all")

    def get_from_requester(self, message) -> bool:
        return message.author_id == message.request.requester_id


class MessageInputSerializer(serializers.Serializer):
    body = serializers.CharField()
    document = serializers.FileField(required=False)


class ClarificationSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    question = serializers.CharField()
    asked_at = serializers.DateTimeField()
    requested_document = serializers.CharField()
    answer = serializers.CharField()
    answered_at = serializers.DateTimeField(allow_null=True)
    documents = DocumentSerializer(many=True, source="documents.all")


class ClarificationAnswerInputSerializer(serializers.Serializer):
    answer = serializers.CharField()
    document = serializers.FileField(required=False)


class WithdrawInputSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=2000)


class LetterSerializer(serializers.Serializer):
    """A signed decision or amendment: the letter the requester receives."""

    outcome = serializers.CharField(required=False)
    signed_off_at = serializers.DateTimeField()
    letter = serializers.CharField()


class TimelineSerializer(serializers.Serializer):
    at = serializers.DateTimeField()
    status = serializers.ChoiceField(choices=Status.choices)
    status_label = serializers.CharField()
    reason = serializers.CharField()


OUTPUT_PROGRESS = ("being_produced", "being_checked", "released")


class OutputFileSerializer(serializers.Serializer):
    name = serializers.ChoiceField(choices=[(name, name) for name in FILE_NAMES])
    url = serializers.CharField()


class OutputSerializer(serializers.Serializer):
    """A table's production, as the requester's page shows it: progress, and the files once released."""

    id = serializers.IntegerField(source="pk")
    table = serializers.IntegerField(source="table_id")
    progress = serializers.SerializerMethodField()
    files = serializers.SerializerMethodField()

    @extend_schema_field(serializers.ChoiceField(choices=[(name, name) for name in OUTPUT_PROGRESS]))
    def get_progress(self, job) -> str:
        if job.state == JobState.RELEASED:
            return "released"
        if job.state in (JobState.READY_FOR_CHECKING, JobState.RETURNED):
            return "being_checked"
        return "being_produced"

    @extend_schema_field(OutputFileSerializer(many=True))
    def get_files(self, job):
        if job.state != JobState.RELEASED:
            return []
        return [
            {
                "name": name,
                "url": reverse("api:output-file", kwargs={"pk": job.request_id, "job_pk": job.pk, "file_name": name}),
            }
            for name in job.files
        ]


class DueSerializer(serializers.Serializer):
    overdue = serializers.BooleanField()
    due_soon = serializers.BooleanField()
    paused = serializers.BooleanField()
    days_left = serializers.IntegerField(allow_null=True)


class RequestSummarySerializer(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    reference = serializers.CharField(allow_null=True)
    status = serializers.ChoiceField(choices=Status.choices)
    status_label = serializers.CharField(source="get_status_display")
    title = serializers.CharField()
    created_at = serializers.DateTimeField()
    received_at = serializers.DateTimeField(allow_null=True)
    due_at = serializers.DateTimeField(allow_null=True)


class RequestDetailSerializer(RequestSummarySerializer, DraftSerializer):
    """Everything the requester's page of the request shows, nothing of the agency's internal records."""

    language = serializers.CharField()
    extension_days = serializers.IntegerField()
    extension_notice = serializers.CharField()
    acknowledgement = serializers.CharField()
    withdrawn_at = serializers.DateTimeField(allow_null=True)
    withdrawal_reason = serializers.CharField()
    due = DueSerializer(allow_null=True)
    tables = TableSerializer(many=True)
    documents = DocumentSerializer(many=True)
    messages = MessageSerializer(many=True)
    clarifications = ClarificationSerializer(many=True)
    decision = LetterSerializer(allow_null=True)
    amendments = LetterSerializer(many=True)
    timeline = TimelineSerializer(many=True)
    outputs = OutputSerializer(many=True)
    submission_problems = serializers.DictField(child=serializers.ListField(child=serializers.CharField()))
    can_edit = serializers.BooleanField()
    can_delete = serializers.BooleanField()
    can_withdraw = serializers.BooleanField()
    can_write = serializers.BooleanField()
    can_answer = serializers.BooleanField()


class SubmissionProblemsSerializer(serializers.Serializer):
    """Why a draft cannot be submitted yet: the intake step, and what is missing there (as on the review page)."""

    detail = serializers.CharField()
    submission_problems = serializers.DictField(child=serializers.ListField(child=serializers.CharField()))


class ErrorSerializer(serializers.Serializer):
    detail = serializers.CharField()


# --- Staff queues -----------------------------------------------------------------


class QueueCaseSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    reference = serializers.CharField(allow_null=True)
    status = serializers.ChoiceField(choices=Status.choices)
    title = serializers.CharField()
    organisation = serializers.CharField()
    requester_category = serializers.CharField()
    assigned_to = serializers.CharField(source="assigned_to.email", allow_null=True, default=None)
    received_at = serializers.DateTimeField(allow_null=True)
    due_at = serializers.DateTimeField(allow_null=True)


class OutputQueueSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    request = serializers.CharField(source="request.reference", allow_null=True)
    state = serializers.ChoiceField(choices=JobState.choices)
    dataset = serializers.CharField(source="table.dataset.code")
    measure = serializers.CharField(source="table.measure.code")
    finished_at = serializers.DateTimeField(allow_null=True)


# --- The public register ------------------------------------------------------------


class LabelledSerializer(serializers.Serializer):
    code = serializers.CharField()
    label = serializers.CharField()


class PublicationFilterSerializer(serializers.Serializer):
    dimension = LabelledSerializer()
    categories = LabelledSerializer(many=True)


class PublicationDecisionSerializer(serializers.Serializer):
    outcome = serializers.CharField()
    outcome_label = serializers.CharField()
    decided_on = serializers.DateField()
    legal_basis = serializers.ListField(child=serializers.CharField())


class PublicationProvenanceSerializer(serializers.Serializer):
    data_snapshot = serializers.JSONField(allow_null=True)
    data_version = serializers.CharField(allow_blank=True)
    method = serializers.CharField()
    parameters = serializers.JSONField()
    cells = serializers.IntegerField()
    suppressed = serializers.IntegerField()


class PublicationSerializer(serializers.Serializer):
    """A published table: labels, the anonymised decision, provenance and the released CSV. Never the
    requester, the request's title or reference, nor any member of staff."""

    id = serializers.IntegerField()
    dataset = LabelledSerializer()
    measure = LabelledSerializer()
    dimensions = LabelledSerializer(many=True)
    filters = PublicationFilterSerializer(many=True)
    published_on = serializers.DateField()
    decision = PublicationDecisionSerializer(allow_null=True)
    provenance = PublicationProvenanceSerializer(allow_null=True)
    csv_sha256 = serializers.CharField(allow_blank=True)
    csv = serializers.URLField()
    page = serializers.URLField()
