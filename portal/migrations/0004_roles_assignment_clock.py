"""Role permissions for assignment and clarifications."""

import importlib

from django.db import migrations

ROLE_PERMISSIONS = {
    "access_lead": ["requests_app.assign_datarequest", "requests_app.view_clarification"],
    "auditor": ["requests_app.view_clarification", "requests_app.view_historicalclarification"],
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
        ("portal", "0003_roles"),
        ("requests_app", "0002_assignment_clock"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
