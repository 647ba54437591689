"""The roles' permissions again from their table: officers (on the cases they work) and leads record and track a
review asked of the Commission d'accès à l'information (Access Act ss. 135, 137); auditors read them and their
history."""

import importlib

from django.db import migrations

from portal.roles import apply_roles

ROLES = importlib.import_module("portal.migrations.0003_roles")


def forwards(apps, schema_editor):
    ROLES.create_permissions_now(apps)
    apply_roles(apps)


class Migration(migrations.Migration):
    dependencies = [
        ("portal", "0020_roles_withholding"),
        ("requests_app", "0019_review_request"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
