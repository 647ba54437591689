"""The roles' permissions again from their table: leads read the outbox and send e-mails again, auditors read it."""

import importlib

from django.db import migrations

from portal.roles import apply_roles

ROLES = importlib.import_module("portal.migrations.0003_roles")


def forwards(apps, schema_editor):
    ROLES.create_permissions_now(apps)
    apply_roles(apps)


class Migration(migrations.Migration):
    dependencies = [
        ("portal", "0013_roles_table"),
        ("requests_app", "0010_notification_retry"),
        ("stats_app", "0006_production_moved"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
