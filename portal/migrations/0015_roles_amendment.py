"""The roles' permissions again from their table: leads and auditors read amendments and their history."""

import importlib

from django.db import migrations

from portal.roles import apply_roles

ROLES = importlib.import_module("portal.migrations.0003_roles")


def forwards(apps, schema_editor):
    ROLES.create_permissions_now(apps)
    apply_roles(apps)


class Migration(migrations.Migration):
    dependencies = [
        ("portal", "0014_roles_outbox"),
        ("requests_app", "0011_amendment"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
