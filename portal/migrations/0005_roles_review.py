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


ROLES = importlib.import_module("portal.migrations.0003_roles")


def grant_roles(apps):
    """Add this migration's permissions to the role groups (idempotent)."""
    ROLES.grant(apps, ROLE_PERMISSIONS)


def forwards(apps, schema_editor):
    ROLES.create_permissions_now(apps)
    grant_roles(apps)


class Migration(migrations.Migration):
    dependencies = [
        ("portal", "0004_roles_assignment_clock"),
        ("requests_app", "0004_legal_data"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
