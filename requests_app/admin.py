"""Cases in the admin: read only.

A case changes only through ``requests_app.services`` (the workflow checks who
may do what and records why), so the admin shows cases, their tables, their
documents and their full history, and changes nothing: no add, no edit, no
delete, no revert. The status is never a form field here.

django-guardian's ``GuardedModelAdminMixin`` is deliberately not used: its
object-permission editor would let staff hand out rights on a case around the
assignment service; who holds rights is shown read-only instead.
"""

from django import forms
from django.contrib import admin
from django.utils.html import format_html_join
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from guardian.shortcuts import get_users_with_perms

from portal.admin import HistoryAdmin, ReadOnlyAdminMixin, ReadOnlyInline
from requests_app import notifications, permissions, register, services
from requests_app.models import (
    Amendment,
    Attachment,
    Clarification,
    Consultation,
    CriterionAssessment,
    DataRequest,
    Decision,
    Holiday,
    LegalCriterion,
    LegalProvision,
    Message,
    Notification,
    ReviewRequest,
    TableSpecification,
)
from requests_app.production import admin as production_admin  # noqa: F401 (registers its pages)
from requests_app.production.models import PublicationWithholding, TableJob
from requests_app.services import STEP_FIELDS
from requests_app.states import JobState

SPECIFICATION_FIELDS = ("dataset", "measure", "dimensions", "filters", "created_at", "updated_at")
# The stored file is not shown: downloads go through the portal's logged, permission-checked view.
ATTACHMENT_FIELDS = ("kind", "original_name", "content_type", "size", "sha256", "uploaded_by", "uploaded_at")


class TableSpecificationInline(ReadOnlyInline):
    model = TableSpecification
    fields = SPECIFICATION_FIELDS


class AttachmentInline(ReadOnlyInline):
    model = Attachment
    fields = ATTACHMENT_FIELDS


@admin.register(DataRequest)
class DataRequestAdmin(ReadOnlyAdminMixin, HistoryAdmin):
    list_display = ("reference", "title", "requester", "organisation", "status", "received_at", "due_at")
    list_filter = ("status", "requester_category", "legal_basis", "ethics_approval", "language")
    search_fields = ("reference", "title", "organisation", "contact_name", "requester__email")
    list_select_related = ("requester",)
    date_hierarchy = "created_at"
    inlines = [TableSpecificationInline, AttachmentInline]
    fieldsets = (
        (
            _("Case"),
            {
                "fields": (
                    "reference",
                    "status",
                    "requester",
                    "language",
                    "received_at",
                    "due_at",
                    "acknowledgement",
                    "withdrawn_at",
                    "withdrawal_reason",
                    "created_at",
                    "updated_at",
                    "holders_of_rights",
                )
            },
        ),
        (_("Requester"), {"fields": STEP_FIELDS["profile"]}),
        (_("Project"), {"fields": STEP_FIELDS["project"]}),
        (_("Declarations"), {"fields": STEP_FIELDS["declarations"]}),
    )

    def get_readonly_fields(self, request, obj=None):
        return [*(field.name for field in self.model._meta.fields if field.name != "id"), "holders_of_rights"]

    @admin.display(description=_("people holding rights on this case"))
    def holders_of_rights(self, case: DataRequest) -> str:
        holders = get_users_with_perms(case, attach_perms=True, with_group_users=False)
        if not holders:
            return "—"
        return format_html_join(
            "", "<div>{} — {}</div>", ((user.email, ", ".join(sorted(perms))) for user, perms in holders.items())
        )


@admin.register(TableSpecification)
class TableSpecificationAdmin(ReadOnlyAdminMixin, HistoryAdmin):
    list_display = ("__str__", "request", "dataset", "measure", "created_at")
    list_filter = ("dataset",)
    search_fields = ("request__reference", "dataset__code", "measure__code")
    list_select_related = ("request", "dataset", "measure")
    fields = ("request", *SPECIFICATION_FIELDS)


@admin.register(Attachment)
class AttachmentAdmin(ReadOnlyAdminMixin, HistoryAdmin):
    list_display = ("original_name", "request", "kind", "size", "uploaded_by", "uploaded_at")
    list_filter = ("kind",)
    search_fields = ("original_name", "request__reference", "sha256")
    list_select_related = ("request", "uploaded_by")
    fields = ("request", *ATTACHMENT_FIELDS)


# --- The Act, as data: editable by the access lead, with history ---------------------


@admin.register(LegalProvision)
class LegalProvisionAdmin(HistoryAdmin):
    list_display = ("code", "act", "section", "is_active")
    list_filter = ("act", "is_active")
    search_fields = ("code", "section", "summary_fr", "summary_en")


@admin.register(LegalCriterion)
class LegalCriterionAdmin(HistoryAdmin):
    list_display = ("code", "order", "mandatory", "provision", "only_for_external_data", "is_active")
    list_filter = ("mandatory", "is_active", "only_for_external_data")
    list_editable = ("order",)
    search_fields = ("code", "text_fr", "text_en")
    filter_horizontal = ("datasets",)
    list_select_related = ("provision",)


@admin.register(Holiday)
class HolidayAdmin(HistoryAdmin):
    """The holidays a delay does not expire on (I-16 ss. 52 and 61(23); Sundays are in code, not here).

    Saved and deleted through ``services.holiday_save`` / ``holiday_delete``, so each change moves the open
    cases' due dates with a line in their history. A revert from the history page is a save, and does too.
    """

    list_display = ("date", "name_fr", "name_en", "source")
    list_filter = ("source",)
    search_fields = ("name_fr", "name_en")
    date_hierarchy = "date"

    def save_model(self, request, obj, form, change):
        moved = services.holiday_save(holiday=obj, actor=request.user)
        self._tell_moved(request, moved)

    def delete_model(self, request, obj):
        moved = services.holiday_delete(holiday=obj, actor=request.user)
        self._tell_moved(request, moved)

    def delete_queryset(self, request, queryset):
        for holiday in queryset:
            self.delete_model(request, holiday)

    def _tell_moved(self, request, moved) -> None:
        if moved:
            self.message_user(
                request,
                ngettext(
                    "The due date of %(count)d open case was recomputed.",
                    "The due dates of %(count)d open cases were recomputed.",
                    len(moved),
                )
                % {"count": len(moved)},
            )


# --- Review records: read only, changed through the services ----------------------------


# A review by the Commission is read here, with its history; it is written on the case pages, through the services.
@admin.register(Amendment, Clarification, CriterionAssessment, Consultation, Decision, Message, ReviewRequest)
class ReviewRecordAdmin(ReadOnlyAdminMixin, HistoryAdmin):
    list_display = ("__str__",)
    search_fields = ("request__reference",)


# --- The notification outbox: read only, written by requests_app.notifications -------------


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """What was sent to whom, or is waiting, or failed (with the last error): for support and audit."""

    list_display = ("created_at", "notice", "request", "recipient", "language", "status", "attempts", "sent_at")
    list_filter = ("status", "notice", "event", "language")
    search_fields = ("request__reference", "recipient__email", "idempotency_key")
    list_select_related = ("request", "recipient")
    date_hierarchy = "created_at"
    actions = ["send_again_now"]

    @admin.action(description=_("Send the selected e-mails again now"), permissions=["retry"])
    def send_again_now(self, request, queryset):
        count = notifications.retry_now(queryset.values_list("pk", flat=True))
        self.message_user(
            request,
            ngettext("%(count)d e-mail is queued again.", "%(count)d e-mails are queued again.", count)
            % {"count": count},
        )

    def has_retry_permission(self, request) -> bool:
        return request.user.has_perm("requests_app.retry_notification")


# --- The public register: withholding a released table (four eyes) -------------------------------------------
class WithholdingForm(forms.ModelForm):
    """Withhold a released table: which one, on which exception, why."""

    class Meta:
        model = PublicationWithholding
        fields = ("job", "ground", "reason")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["job"].queryset = (
            TableJob.objects.filter(state=JobState.RELEASED)
            .exclude(withholdings__outcome__in=register.WITHHELD)
            .select_related("request", "table__dataset", "table__measure")
        )


class WithholdingDecisionForm(forms.ModelForm):
    """The second person's decision: confirm, or lift with a reason."""

    confirm = forms.TypedChoiceField(
        label=_("Decision"),
        choices=[("1", _("Confirm: keep it out of the register")), ("0", _("Lift: publish it"))],
        coerce=lambda value: value == "1",
        widget=forms.RadioSelect,
    )

    class Meta:
        model = PublicationWithholding
        fields = ("decision_reason",)

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("confirm") is False and not (cleaned.get("decision_reason") or "").strip():
            self.add_error("decision_reason", _("Say why the table may be published after all."))
        return cleaned


@admin.register(PublicationWithholding)
class PublicationWithholdingAdmin(HistoryAdmin):
    """Released tables kept out of the public register: one person withholds, another lead decides
    (``services.withholding_propose`` / ``withholding_decide``)."""

    list_display = ("job", "ground", "outcome", "proposed_by", "proposed_at", "decided_by", "decided_at")
    list_filter = ("outcome", "ground")
    list_select_related = ("job__request", "job__table", "proposed_by", "decided_by")
    DECIDED = ("job", "ground", "reason", "proposed_by", "proposed_at", "outcome", "decided_by", "decided_at")

    def has_add_permission(self, request):
        return permissions.user_can_withhold(request.user)

    def has_change_permission(self, request, obj=None):
        if obj is None:
            return request.user.has_perm(permissions.DECIDE_WITHHOLDING)
        return permissions.user_can_decide_withholding(request.user, obj)

    def has_delete_permission(self, request, obj=None):
        return False

    def get_form(self, request, obj=None, change=False, **kwargs):
        kwargs["form"] = WithholdingForm if obj is None else WithholdingDecisionForm
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fields(self, request, obj=None):
        if obj is None:
            return ("job", "ground", "reason")
        if permissions.user_can_decide_withholding(request.user, obj):
            return (*self.DECIDED, "confirm", "decision_reason")
        return (*self.DECIDED, "decision_reason")

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return ()
        if permissions.user_can_decide_withholding(request.user, obj):
            return self.DECIDED
        return (*self.DECIDED, "decision_reason")

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        if change:
            services.withholding_decide(
                withholding=obj, actor=request.user, confirm=data["confirm"], reason=data.get("decision_reason", "")
            )
            return
        made = services.withholding_propose(
            job=data["job"], actor=request.user, ground=data["ground"], reason=data["reason"]
        )
        obj.pk, obj.proposed_by, obj.proposed_at = made.pk, made.proposed_by, made.proposed_at
