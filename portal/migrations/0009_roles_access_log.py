"""Role permissions for the access log: auditors read it; nobody writes it by hand (portal.audit does)."""

import importlib

from django.db import migrations

ROLE_PERMISSIONS = {
    "auditor": ["portal.view_accesslog"],
}


ROLES = importlib.import_module("portal.migrations.0003_roles")


def grant_roles(apps):
    """Add this migration's permissions to the role groups (idempotent)."""
    ROLES.grant(apps, ROLE_PERMISSIONS)


def forwards(apps, schema_editor):
    ROLES.create_permissions_now(apps)
    grant_roles(apps)


class Migration(migrations.Migration):
    dependencies = [("portal", "0008_access_log")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
