"""Role permissions for the audit trail: auditors read it and verify it; nobody writes it by hand (portal.trail does)."""

import importlib

from django.db import migrations

ROLE_PERMISSIONS = {
    "auditor": ["portal.view_auditevent", "portal.verify_auditevent", "portal.view_auditverification"],
}


ROLES = importlib.import_module("portal.migrations.0003_roles")


def grant_roles(apps):
    """Add this migration's permissions to the role groups (idempotent)."""
    ROLES.grant(apps, ROLE_PERMISSIONS)


def forwards(apps, schema_editor):
    ROLES.create_permissions_now(apps)
    grant_roles(apps)


class Migration(migrations.Migration):
    dependencies = [("portal", "0011_audit_trail")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
