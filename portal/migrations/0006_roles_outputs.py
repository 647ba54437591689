"""Role permissions for the outputs: checking and releasing tables, reading their history and downloads."""

import importlib

from django.db import migrations

ROLE_PERMISSIONS = {
    "output_checker": ["stats_app.view_tablejob", "stats_app.check_tablejob"],
    "access_lead": ["stats_app.view_tablejob", "stats_app.view_outputdownload"],
    "auditor": ["stats_app.view_tablejob", "stats_app.view_historicaltablejob", "stats_app.view_outputdownload"],
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
        ("portal", "0005_roles_review"),
        ("stats_app", "0004_table_jobs"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
