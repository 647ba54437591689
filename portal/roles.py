"""The people of DESIGN §2, as Django groups.

A role is a group with model-level permissions, listed in one table below
(``ROLE_PERMISSIONS``, applied by a migration and by ``manage.py sync_roles``);
"own" and "assigned" rules are object permissions held in django-guardian's
direct foreign-key tables.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    REQUESTER = "requester", _("Requester")
    PRIVACY_OFFICER = "privacy_officer", _("Privacy officer")
    ACCESS_LEAD = "access_lead", _("Access lead")
    DATA_CUSTODIAN = "data_custodian", _("Data custodian")
    OUTPUT_CHECKER = "output_checker", _("Output checker")
    AUDITOR = "auditor", _("Auditor")


#: Every role but the requester works for the agency or a data owner and must
#: use multi-factor authentication.
STAFF_ROLES = frozenset(Role) - {Role.REQUESTER}


_CATALOGUE = ["custodian", "dataset", "measure", "dimension", "category"]
_REVIEW = [
    "legalprovision",
    "legalcriterion",
    "criterionassessment",
    "consultation",
    "decision",
    "amendment",
    "message",
]
_CASE = ["datarequest", "tablespecification", "attachment", "clarification"]
_LEGAL = ["legalprovision", "legalcriterion"]

#: What each role may do on *every* object of a kind: the one table of the roles' model permissions,
#: applied by migration ``portal 0013_roles_table`` and by ``python manage.py sync_roles`` (which also
#: removes whatever a group holds beyond it). "Own" and "assigned" rules are object permissions
#: (django-guardian), granted case by case.
ROLE_PERMISSIONS: dict[Role, list[str]] = {
    Role.REQUESTER: [],
    Role.PRIVACY_OFFICER: [f"stats_app.view_{model}" for model in _CATALOGUE]
    + ["requests_app.view_legalprovision", "requests_app.view_legalcriterion", "requests_app.view_holiday"]
    + ["requests_app.view_publicationwithholding", "requests_app.add_publicationwithholding"]
    # Review by the Commission (ss. 135, 137): on the cases they work (``permissions.user_can_update_review``).
    + [f"requests_app.{action}_reviewrequest" for action in ("view", "add", "change")],
    Role.ACCESS_LEAD: [
        "requests_app.view_datarequest",
        "requests_app.change_datarequest",
        "requests_app.assign_datarequest",
        "requests_app.sign_off_datarequest",
        "requests_app.view_tablespecification",
        "requests_app.view_attachment",
        "requests_app.view_clarification",
        "requests_app.view_tablejob",
        "requests_app.view_jobnote",
        "requests_app.view_outputdownload",
        # The outbox: what was sent, what waits, what failed, and sending again.
        "requests_app.view_notification",
        "requests_app.retry_notification",
        "portal.view_user",
    ]
    + [f"requests_app.view_{model}" for model in _REVIEW]
    + [
        f"requests_app.{action}_{model}"
        for model in ("legalprovision", "legalcriterion")
        for action in ("add", "change")
    ]
    + [f"stats_app.{action}_{model}" for model in _CATALOGUE for action in ("view", "add", "change")]
    # A dataset's disclosure settings: one lead proposes, another decides (``stats_app.governance``).
    + [
        "stats_app.view_disclosuresettingschange",
        "stats_app.add_disclosuresettingschange",
        "stats_app.decide_disclosuresettingschange",
    ]
    # The holiday calendar (I-16): the lead keeps it; each change recomputes the open cases' due dates.
    + [f"requests_app.{action}_holiday" for action in ("view", "add", "change", "delete")]
    # The public register: a lead withholds a released table, or decides another's withholding.
    + [f"requests_app.{action}_publicationwithholding" for action in ("view", "add", "decide")]
    # Review by the Commission (ss. 135, 137): a lead records and tracks it on every case.
    + [f"requests_app.{action}_reviewrequest" for action in ("view", "add", "change")],
    Role.DATA_CUSTODIAN: [],
    Role.OUTPUT_CHECKER: [f"stats_app.view_{model}" for model in _CATALOGUE]
    + ["requests_app.view_tablejob", "requests_app.check_tablejob", "requests_app.view_holiday"],
    Role.AUDITOR: [f"requests_app.view_{model}" for model in _CASE + _REVIEW]
    + [f"requests_app.view_historical{model}" for model in _CASE + _REVIEW]
    + [
        "requests_app.view_tablejob",
        "requests_app.view_historicaltablejob",
        "requests_app.view_jobnote",
        "requests_app.view_historicaljobnote",
        "requests_app.view_holiday",
        "requests_app.view_historicalholiday",
        "requests_app.view_publicationwithholding",
        "requests_app.view_historicalpublicationwithholding",
        "requests_app.view_reviewrequest",
        "requests_app.view_historicalreviewrequest",
        "requests_app.view_outputdownload",
        "requests_app.view_notification",
        "portal.view_user",
        "portal.view_accesslog",
        "portal.view_auditevent",
        "portal.verify_auditevent",
        "portal.view_auditverification",
    ]
    + [f"stats_app.view_{model}" for model in _CATALOGUE]
    + ["stats_app.view_disclosuresettingschange", "stats_app.view_historicaldisclosuresettingschange"],
}


def apply_roles(apps=None) -> dict[str, tuple[set[str], set[str]]]:
    """Make each role's group hold exactly its permissions of ``ROLE_PERMISSIONS``; return what changed.

    ``apps`` is a migration's app registry (a permission whose model a later migration creates is skipped:
    that migration applies the table again), or ``None`` for the running project's. The result maps a role to
    (permissions added, permissions removed); a role that already matched is absent.
    """
    in_migration = apps is not None
    if apps is None:
        from django.apps import apps
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    # Every permission by its label, read once (the tests' flushed databases run this before each test).
    by_label = {
        f"{app_label}.{codename}": pk
        for pk, app_label, codename in Permission.objects.values_list("pk", "content_type__app_label", "codename")
    }
    label_of = {pk: label for label, pk in by_label.items()}
    changes = {}
    for role, names in ROLE_PERMISSIONS.items():
        group, _created = Group.objects.get_or_create(name=role.value)
        missing = [name for name in names if name not in by_label]
        if missing and not in_migration:
            raise LookupError(f"ROLE_PERMISSIONS names {missing[0]}, which does not exist.")
        # In a migration, a permission whose model a later migration creates is skipped: that one applies it.
        wanted = {by_label[name] for name in names if name in by_label}
        held = set(group.permissions.values_list("pk", flat=True))
        if wanted != held:
            group.permissions.set(wanted)
            changes[role.value] = ({label_of[pk] for pk in wanted - held}, {label_of[pk] for pk in held - wanted})
    return changes
