"""The roles of DESIGN §2 as groups, with their model-level permissions.

Object rules ("own", "assigned") are granted per case through guardian; what a
role may do on *every* object of a kind is listed here.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

CATALOGUE = ["custodian", "dataset", "measure", "dimension", "category"]

ROLE_PERMISSIONS = {
    "requester": [],
    "privacy_officer": [f"stats_app.view_{model}" for model in CATALOGUE],
    "access_lead": [
        "requests_app.view_datarequest",
        "requests_app.change_datarequest",
        "requests_app.view_tablespecification",
        "requests_app.view_attachment",
        "portal.view_user",
    ]
    + [f"stats_app.{action}_{model}" for model in CATALOGUE for action in ("view", "add", "change")],
    "data_custodian": [],
    "output_checker": [f"stats_app.view_{model}" for model in CATALOGUE],
    "auditor": [
        "requests_app.view_datarequest",
        "requests_app.view_tablespecification",
        "requests_app.view_attachment",
        "requests_app.view_historicaldatarequest",
        "requests_app.view_historicaltablespecification",
        "requests_app.view_historicalattachment",
        "portal.view_user",
    ]
    + [f"stats_app.view_{model}" for model in CATALOGUE],
}


def create_permissions_now(apps):
    """Permissions are normally created after all migrations; the roles need them now."""
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None


def create_roles(apps, schema_editor):
    create_permissions_now(apps)
    grant_roles(apps)


def grant(apps, role_permissions: dict[str, list[str]]) -> None:
    """Create the role groups if needed and give them these permissions (idempotent)."""
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for role, names in role_permissions.items():
        group, _ = Group.objects.get_or_create(name=role)
        for name in names:
            app_label, codename = name.split(".")
            group.permissions.add(Permission.objects.get(content_type__app_label=app_label, codename=codename))


def grant_roles(apps):
    grant(apps, ROLE_PERMISSIONS)


def remove_roles(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=ROLE_PERMISSIONS).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("portal", "0002_initial"),
        ("requests_app", "0001_initial"),
        ("stats_app", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [migrations.RunPython(create_roles, remove_roles)]
