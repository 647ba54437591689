"""The catalogue in the admin: staff with the catalogue permissions edit it; every change is kept.

A dataset's disclosure settings are the exception: once it exists, they are
read-only here and change through a proposal another lead approves
(``stats_app.governance``; the pages below).
"""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _

from portal.admin import HistoryAdmin
from stats_app import governance
from stats_app.models import (
    DISCLOSURE_SETTINGS,
    Category,
    Custodian,
    Dataset,
    Dimension,
    DisclosureSettingsChange,
    Measure,
)


class MeasureInline(admin.TabularInline):
    model = Measure
    extra = 0
    fields = ("code", "name_fr", "name_en", "kind")


class CategoryInline(admin.TabularInline):
    model = Category
    extra = 0
    fields = ("code", "label_fr", "label_en", "order")


@admin.register(Custodian)
class CustodianAdmin(HistoryAdmin):
    list_display = ("code", "name_fr", "name_en", "is_agency", "contact_email")
    list_filter = ("is_agency",)
    search_fields = ("code", "name_fr", "name_en", "contact_email")


class DatasetForm(forms.ModelForm):
    """A new dataset's settings start at or above the agency's floors."""

    def clean(self):
        data = super().clean()
        if self.instance.pk is None:
            # A field that did not clean has its own error already; the floors speak of the others.
            for name, message in governance.floor_errors(data).items():
                if name in data:
                    self.add_error(name, message)
        return data


class SettingsProposalForm(forms.Form):
    """The governed settings as they should become, and why."""

    reason = forms.CharField(
        label=_("Reason"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Why the change is needed. The lead who decides reads it; it stays in the dataset's history."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        fields = forms.fields_for_model(Dataset, fields=DISCLOSURE_SETTINGS)
        self.fields = {**fields, **self.fields}

    def add_domain_error(self, error: ValidationError) -> None:
        if hasattr(error, "error_dict"):
            for name, messages_ in error.message_dict.items():
                self.add_error(name if name in self.fields else None, messages_)
        else:
            self.add_error(None, error)


class SettingsDecisionForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("Decision"),
        choices=[("approve", _("Approve: the dataset takes these settings now")), ("reject", _("Reject"))],
        widget=forms.RadioSelect,
    )
    rejection_reason = forms.CharField(
        label=_("Reason for the rejection"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Required to reject. The proposer reads it."),
    )

    def clean(self):
        data = super().clean()
        if data.get("decision") == "reject" and not data.get("rejection_reason", "").strip():
            self.add_error("rejection_reason", _("Say why the change is rejected; the proposer will read it."))
        return data


@admin.register(Dataset)
class DatasetAdmin(HistoryAdmin):
    list_display = ("code", "name_fr", "name_en", "custodian", "is_active", "disclosure_policy", "threshold")
    list_filter = ("is_active", "custodian", "disclosure_policy")
    search_fields = ("code", "name_fr", "name_en", "custodian__code", "custodian__name_fr", "custodian__name_en")
    list_select_related = ("custodian",)
    filter_horizontal = ("dimensions",)
    inlines = [MeasureInline]
    form = DatasetForm
    change_form_template = "admin/stats_app/dataset/change_form.html"
    fieldsets = (
        (None, {"fields": ("code", "name_fr", "name_en", "description_fr", "description_en", "custodian")}),
        (_("Offer"), {"fields": ("is_active", "dimensions")}),
        (
            _("Disclosure control"),
            {
                "fields": (
                    "disclosure_policy",
                    "threshold",
                    "publish_zeros",
                    "dominance_n",
                    "dominance_k",
                    "p_percent",
                    "protection_level",
                    "rounding_base",
                    "independent_checks",
                ),
                "description": _(
                    "Once the dataset exists, these change only through a proposal that another lead approves."
                ),
            },
        ),
    )

    def get_readonly_fields(self, request, obj=None):
        governed = DISCLOSURE_SETTINGS if obj is not None else ()
        return (*super().get_readonly_fields(request, obj), *governed)

    def save_model(self, request, obj, form, change):
        if change:
            stored = Dataset.objects.get(pk=obj.pk)
            if any(getattr(stored, name) != getattr(obj, name) for name in DISCLOSURE_SETTINGS):
                raise PermissionDenied
        super().save_model(request, obj, form, change)

    def get_urls(self):
        propose = self.admin_site.admin_view(self.propose_view)
        return [
            path("<int:dataset_pk>/propose-settings/", propose, name="stats_app_dataset_propose_settings"),
            *super().get_urls(),
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        pending = DisclosureSettingsChange.objects.filter(
            dataset_id=object_id, outcome=DisclosureSettingsChange.Outcome.PENDING
        ).first()
        extra_context = {
            **(extra_context or {}),
            "pending_settings_change": pending,
            "may_propose_settings": governance.may_propose(request.user) and pending is None,
        }
        return super().change_view(request, object_id, form_url, extra_context)

    def propose_view(self, request, dataset_pk: int) -> TemplateResponse:
        """A lead proposes new disclosure settings for one dataset; the form starts from the current ones."""
        if not governance.may_propose(request.user):
            raise PermissionDenied
        dataset = get_object_or_404(Dataset, pk=dataset_pk)
        form = SettingsProposalForm(request.POST or None, initial=governance.current_settings(dataset))
        if request.method == "POST" and form.is_valid():
            values = {name: form.cleaned_data[name] for name in DISCLOSURE_SETTINGS}
            try:
                change = governance.propose(
                    dataset=dataset, actor=request.user, values=values, reason=form.cleaned_data["reason"]
                )
            except ValidationError as error:
                form.add_domain_error(error)
            else:
                messages.success(request, _("Proposal recorded. Another lead must approve it before it applies."))
                return redirect("admin:stats_app_disclosuresettingschange_change", change.pk)
        context = {
            **self.admin_site.each_context(request),
            "title": _("Propose a change to the disclosure settings of %(dataset)s") % {"dataset": dataset},
            "opts": self.model._meta,
            "dataset": dataset,
            "form": form,
        }
        return TemplateResponse(request, "admin/stats_app/dataset/propose_settings.html", context)


@admin.register(Measure)
class MeasureAdmin(HistoryAdmin):
    list_display = ("code", "name_fr", "name_en", "dataset", "kind")
    list_filter = ("kind", "dataset")
    search_fields = ("code", "name_fr", "name_en", "dataset__code")
    list_select_related = ("dataset",)


@admin.register(Dimension)
class DimensionAdmin(HistoryAdmin):
    list_display = ("code", "label_fr", "label_en")
    search_fields = ("code", "label_fr", "label_en")
    inlines = [CategoryInline]


@admin.register(Category)
class CategoryAdmin(HistoryAdmin):
    list_display = ("dimension", "code", "label_fr", "label_en", "order")
    list_filter = ("dimension",)
    search_fields = ("code", "label_fr", "label_en", "dimension__code")
    list_select_related = ("dimension",)
    ordering = ("dimension__code", "order", "code")


@admin.register(DisclosureSettingsChange)
class DisclosureSettingsChangeAdmin(HistoryAdmin):
    """Proposals to change a dataset's disclosure settings: read here, decided by another lead."""

    list_display = ("dataset", "settings_changed", "proposed_by", "proposed_at", "outcome", "decided_by")
    list_filter = ("outcome", "dataset")
    list_select_related = ("dataset", "proposed_by", "decided_by")
    fields = ("dataset", "reason", "proposed_by", "proposed_at", "outcome", "decided_by", "decided_at")
    readonly_fields = fields
    change_form_template = "admin/stats_app/disclosuresettingschange/change_form.html"

    def has_add_permission(self, request, obj=None):
        return False  # Proposals start from the dataset's page (DatasetAdmin.propose_view).

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=_("settings"))
    def settings_changed(self, change: DisclosureSettingsChange) -> str:
        return ", ".join(str(Dataset._meta.get_field(name).verbose_name) for name in change.changed_fields())

    def get_urls(self):
        decide = self.admin_site.admin_view(self.decide_view)
        return [
            path("<int:change_pk>/decide/", decide, name="stats_app_disclosuresettingschange_decide"),
            *super().get_urls(),
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        change = get_object_or_404(DisclosureSettingsChange, pk=object_id)
        extra_context = {**(extra_context or {}), **self._decision_context(request, change)}
        return super().change_view(request, object_id, form_url, extra_context)

    def _decision_context(self, request, change: DisclosureSettingsChange, form=None) -> dict:
        rows = [
            {
                "label": Dataset._meta.get_field(name).verbose_name,
                "current": change.current.get(name),
                "proposed": change.proposed.get(name),
                "changed": change.current.get(name) != change.proposed.get(name),
            }
            for name in DISCLOSURE_SETTINGS
        ]
        may_decide = governance.may_decide(request.user, change)
        return {
            "settings_rows": rows,
            "change": change,
            "may_decide": may_decide,
            "decision_form": form or (SettingsDecisionForm() if may_decide else None),
            "decide_url": reverse("admin:stats_app_disclosuresettingschange_decide", args=[change.pk]),
        }

    def decide_view(self, request, change_pk: int):
        change = get_object_or_404(DisclosureSettingsChange, pk=change_pk)
        if request.method != "POST" or not request.user.has_perm(governance.DECIDE):
            raise PermissionDenied
        form = SettingsDecisionForm(request.POST)
        if form.is_valid():
            try:
                governance.decide(
                    change=change,
                    actor=request.user,
                    approve=form.cleaned_data["decision"] == "approve",
                    rejection_reason=form.cleaned_data["rejection_reason"],
                )
            except ValidationError as error:
                for message in error.messages:
                    form.add_error(None, message)
            else:
                done = (
                    _("Approved: the dataset's settings are changed.")
                    if form.cleaned_data["decision"] == "approve"
                    else _("Rejected: the dataset's settings are unchanged.")
                )
                messages.success(request, done)
                return redirect("admin:stats_app_disclosuresettingschange_change", change.pk)
        context = {
            **self.admin_site.each_context(request),
            **self._decision_context(request, change, form),
            "title": _("Decide on a change to disclosure settings"),
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/stats_app/disclosuresettingschange/decide.html", context)
