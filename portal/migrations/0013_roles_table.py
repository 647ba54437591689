"""The roles' permissions from their one table in code, ``portal.roles.ROLE_PERMISSIONS``.

The earlier role migrations (0003–0006, 0009, 0010, 0012) granted them piece by piece; from here on a change
to the table is applied by a migration calling ``apply_roles`` again, or at once by ``manage.py sync_roles``.
"""

import importlib

from django.db import migrations

from portal.roles import apply_roles

ROLES = importlib.import_module("portal.migrations.0003_roles")


def forwards(apps, schema_editor):
    ROLES.create_permissions_now(apps)
    apply_roles(apps)


class Migration(migrations.Migration):
    dependencies = [
        ("portal", "0012_roles_audit_trail"),
        ("requests_app", "0009_criterion_not_applicable"),
        ("stats_app", "0006_production_moved"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
