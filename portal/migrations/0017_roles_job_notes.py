"""The roles' permissions again from their table: leads and auditors read the checkers' notes on tables."""

import importlib

from django.db import migrations

from portal.roles import apply_roles

ROLES = importlib.import_module("portal.migrations.0003_roles")


def forwards(apps, schema_editor):
    ROLES.create_permissions_now(apps)
    apply_roles(apps)


class Migration(migrations.Migration):
    dependencies = [
        ("portal", "0016_roles_settings_change"),
        ("requests_app", "0014_job_notes"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
