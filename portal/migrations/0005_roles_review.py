"""Role permissions for the review: criteria, provisions, consultations, decisions, messages."""

import importlib

from django.db import migrations

REVIEW = ["legalprovision", "legalcriterion", "criterionassessment", "consultation", "decision", "message"]
HISTORY = [f"historical{model}" for model in REVIEW]

ROLE_PERMISSIONS = {
    "privacy_officer": ["requests_app.view_legalprovision", "requests_app.view_legalcriterion"],
    "access_lead": ["requests_app.sign_off_datarequest"]
    + [f"requests_app.view_{model}" for model in REVIEW]
    + [
        f"requests_app.{action}_{model}"
        for model in ("legalprovision", "legalcriterion")
        for action in ("add", "change")
    ],
    "auditor": [f"requests_app.view_{model}" for model in REVIEW + HISTORY],
}


def grant_roles(apps):
    """Add this migration's permissions to the role groups (idempotent)."""
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for role, names in ROLE_PERMISSIONS.items():
        group = Group.objects.get(name=role)
        for name in names:
            app_label, codename = name.split(".")
            group.permissions.add(Permission.objects.get(content_type__app_label=app_label, codename=codename))


def forwards(apps, schema_editor):
    importlib.import_module("portal.migrations.0003_roles").create_permissions_now(apps)
    grant_roles(apps)


class Migration(migrations.Migration):
    dependencies = [
        ("portal", "0004_roles_assignment_clock"),
        ("requests_app", "0004_legal_data"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
