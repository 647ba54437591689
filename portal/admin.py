"""The admin: accounts, and the base classes the apps' admins share.

The admin's login is allauth's (``portal/urls.py``), so staff reach it only
after their second factor; ``portal.middleware.StaffMFAMiddleware`` holds
anyone with ``is_staff`` to MFA, and Django refuses the admin to anyone
without ``is_staff`` (requesters never get it: ``portal.adapters``).
"""

from allauth.mfa.models import Authenticator
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm
from django.contrib.auth.forms import UserChangeForm as DjangoUserChangeForm
from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST
from simple_history.admin import SimpleHistoryAdmin

from portal import trail
from portal.models import AccessLog, ApiToken, AuditEvent, AuditVerification, User


class HistoryAdmin(SimpleHistoryAdmin):
    """SimpleHistoryAdmin that never lets a view-only user revert an object.

    simple-history's "history form" view saves the historical version on any
    POST by someone who may merely *view* the history; reverting is a change
    and needs the change permission.
    """

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        if request.method == "POST" and not self.has_change_permission(request):
            raise PermissionDenied
        return super().history_form_view(request, object_id, version_id, extra_context)


class ReadOnlyAdminMixin:
    """Shown in the admin, changed only through the services (``requests_app.services``)."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def revert_disabled(self, request, obj=None):
        return True

    def get_readonly_fields(self, request, obj=None):
        if self.fields:
            return self.fields
        return [field.name for field in self.model._meta.fields]


class ReadOnlyInline(ReadOnlyAdminMixin, admin.TabularInline):
    extra = 0
    max_num = 0
    can_delete = False
    show_change_link = True


class UserCreationForm(AdminUserCreationForm):
    class Meta(AdminUserCreationForm.Meta):
        model = User
        fields = ("email",)

    def clean_email(self):
        # The manager lower-cases addresses; so must the admin, or two accounts
        # could differ only by case.
        return User.objects.normalize_email(self.cleaned_data["email"]).lower()


class UserChangeForm(DjangoUserChangeForm):
    class Meta(DjangoUserChangeForm.Meta):
        model = User
        fields = "__all__"
        field_classes = {}

    def clean_email(self):
        return User.objects.normalize_email(self.cleaned_data["email"]).lower()


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    """Accounts log in with their e-mail address; roles are groups."""

    form = UserChangeForm
    add_form = UserCreationForm
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        (_("Personal info"), {"fields": ("first_name", "last_name", "language")}),
        (_("Role"), {"fields": ("groups", "custodian")}),
        (
            _("Permissions"),
            {
                "fields": ("is_active", "is_staff", "is_superuser", "user_permissions"),
                "description": _(
                    "“Staff status” opens the administration (for access leads, for example). "
                    "Every role but requester, and everyone with staff status, must use "
                    "two-factor authentication."
                ),
            },
        ),
        (_("Important dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": ("email", "usable_password", "password1", "password2"),
            },
        ),
    )
    list_display = (
        "email",
        "first_name",
        "last_name",
        "roles",
        "language",
        "custodian",
        "is_staff",
        "is_active",
        "has_second_factor",
    )
    list_filter = ("groups", "language", "custodian", "is_staff", "is_superuser", "is_active")
    search_fields = ("email", "first_name", "last_name", "custodian__code", "custodian__name_fr", "custodian__name_en")
    ordering = ("email",)
    list_select_related = ("custodian",)
    autocomplete_fields = ("custodian",)
    readonly_fields = ("last_login", "date_joined")

    def get_queryset(self, request):
        has_totp = Authenticator.objects.filter(user=OuterRef("pk"), type=Authenticator.Type.TOTP)
        return super().get_queryset(request).prefetch_related("groups").annotate(totp_enrolled=Exists(has_totp))

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        if not request.user.is_superuser:
            # Only a superuser makes superusers or hands out permissions one by one.
            readonly += ["is_superuser", "user_permissions"]
        return readonly

    @admin.display(description=_("roles"))
    def roles(self, user: User) -> str:
        return ", ".join(sorted(group.name for group in user.groups.all()))

    @admin.display(description=_("two-factor"), boolean=True, ordering="totp_enrolled")
    def has_second_factor(self, user: User) -> bool:
        return user.totp_enrolled


@admin.register(AccessLog)
class AccessLogAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """The reads of protected data, for auditors: nobody adds, changes or deletes a row."""

    list_display = ("at", "user", "view_name", "object_type", "object_id", "client_ip")
    list_filter = ("view_name", "object_type")
    search_fields = ("user__email", "object_id", "path", "client_ip")
    date_hierarchy = "at"
    list_select_related = ("user",)
    fields = ("at", "user", "view_name", "object_type", "object_id", "path", "client_ip", "user_agent")


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """The audit trail, for auditors: the events, the last verification of their chain, and a button to verify."""

    list_display = ("sequence", "occurred_at", "event_label", "actor_id", "target_type", "target_id", "case_id")
    list_filter = ("event_type", "target_type")
    search_fields = ("=target_id", "=case_id", "=actor_id", "hash")
    date_hierarchy = "occurred_at"
    change_list_template = "admin/portal/auditevent/change_list.html"

    @admin.display(description=_("event"), ordering="event_type")
    def event_label(self, event: AuditEvent) -> str:
        try:
            return trail.EventType(event.event_type).label
        except ValueError:
            return event.event_type

    def get_urls(self):
        verify = self.admin_site.admin_view(require_POST(self.verify_view))
        return [path("verify/", verify, name="portal_auditevent_verify"), *super().get_urls()]

    def changelist_view(self, request, extra_context=None):
        extra_context = {
            **(extra_context or {}),
            "last_verification": AuditVerification.objects.select_related("by").first(),
            "may_verify": request.user.has_perm("portal.verify_auditevent"),
        }
        return super().changelist_view(request, extra_context)

    def verify_view(self, request) -> TemplateResponse:
        if not request.user.has_perm("portal.verify_auditevent"):
            raise PermissionDenied
        result = trail.verify(by=request.user)
        if result.intact:
            verified = _("The audit trail holds: %(events)s events verified.") % {"events": result.events}
            messages.success(request, verified)
        else:
            messages.error(
                request,
                _("The audit trail is broken at event #%(sequence)s: %(problem)s.")
                % {"sequence": result.first_broken, "problem": result.problem},
            )
        return redirect("admin:portal_auditevent_changelist")


@admin.register(AuditVerification)
class AuditVerificationAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("at", "by", "events", "intact", "first_broken", "problem")
    list_filter = ("intact",)
    list_select_related = ("by",)


@admin.register(ApiToken)
class ApiTokenAdmin(HistoryAdmin):
    """Read only: a token is made and revoked by its owner on the profile page (``portal.tokens``)."""

    list_display = ("name", "user", "prefix", "scope", "created_at", "expires_at", "revoked_at", "last_used_at")
    list_filter = ("scope",)
    search_fields = ("user__email", "name", "prefix")
    readonly_fields = list_display

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
