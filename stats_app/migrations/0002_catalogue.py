"""Load the agency's starting catalogue (stats_app/catalogue_data.py)."""

from django.db import migrations

from stats_app import catalogue_data


def load_catalogue(apps, schema_editor):
    catalogue_data.load(apps)


class Migration(migrations.Migration):
    dependencies = [("stats_app", "0001_initial")]

    operations = [migrations.RunPython(load_catalogue, migrations.RunPython.noop)]
