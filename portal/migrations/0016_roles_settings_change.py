"""The roles' permissions again from their table: leads propose and decide changes to disclosure settings."""

import importlib

from django.db import migrations

from portal.roles import apply_roles

ROLES = importlib.import_module("portal.migrations.0003_roles")


def forwards(apps, schema_editor):
    ROLES.create_permissions_now(apps)
    apply_roles(apps)


class Migration(migrations.Migration):
    dependencies = [
        ("portal", "0015_roles_amendment"),
        ("stats_app", "0007_disclosure_settings_change"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
