"""The roles' permissions again from their table: leads withhold released tables from the public register and
decide one another's withholdings; officers may withhold; auditors read them and their history."""

import importlib

from django.db import migrations

from portal.roles import apply_roles

ROLES = importlib.import_module("portal.migrations.0003_roles")


def forwards(apps, schema_editor):
    ROLES.create_permissions_now(apps)
    apply_roles(apps)


class Migration(migrations.Migration):
    dependencies = [
        ("portal", "0019_api_token"),
        ("requests_app", "0017_publication_withholding"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
