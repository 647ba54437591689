"""Role permissions for assignment and clarifications."""

import importlib

from django.db import migrations

ROLE_PERMISSIONS = {
    "access_lead": ["requests_app.assign_datarequest", "requests_app.view_clarification"],
    "auditor": ["requests_app.view_clarification", "requests_app.view_historicalclarification"],
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
        ("portal", "0003_roles"),
        ("requests_app", "0002_assignment_clock"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
