"""The roles' permissions again from their table: the lead keeps the holiday calendar, other staff read it."""

import importlib

from django.db import migrations

from portal.roles import apply_roles

ROLES = importlib.import_module("portal.migrations.0003_roles")


def forwards(apps, schema_editor):
    ROLES.create_permissions_now(apps)
    apply_roles(apps)


class Migration(migrations.Migration):
    dependencies = [
        ("portal", "0017_roles_job_notes"),
        ("requests_app", "0016_holiday_data"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
