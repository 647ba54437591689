"""The outputs' role permissions under their new label: production moved into requests_app.

``stats_app.0006_production_moved`` relabelled the content types, so the groups
already hold these permissions; granting them by their new names keeps the
roles' table readable (and is what the tests replay after a flush). The access
log names the table jobs by their new label too.
"""

import importlib

from django.db import migrations

ROLE_PERMISSIONS = {
    "output_checker": ["requests_app.view_tablejob", "requests_app.check_tablejob"],
    "access_lead": ["requests_app.view_tablejob", "requests_app.view_outputdownload"],
    "auditor": [
        "requests_app.view_tablejob",
        "requests_app.view_historicaltablejob",
        "requests_app.view_outputdownload",
    ],
}


ROLES = importlib.import_module("portal.migrations.0003_roles")


def grant_roles(apps):
    """Add this migration's permissions to the role groups (idempotent)."""
    ROLES.grant(apps, ROLE_PERMISSIONS)


def relabel_access_log(apps, *, source: str, target: str) -> None:
    AccessLog = apps.get_model("portal", "AccessLog")
    AccessLog.objects.filter(object_type=f"{source}.tablejob").update(object_type=f"{target}.tablejob")


def forwards(apps, schema_editor):
    ROLES.create_permissions_now(apps)
    grant_roles(apps)
    relabel_access_log(apps, source="stats_app", target="requests_app")


def backwards(apps, schema_editor):
    relabel_access_log(apps, source="requests_app", target="stats_app")


class Migration(migrations.Migration):
    dependencies = [
        ("portal", "0009_roles_access_log"),
        ("stats_app", "0006_production_moved"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
