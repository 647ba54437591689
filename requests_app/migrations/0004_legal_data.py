"""Load the starting legal provisions and review criteria (requests_app/legal_data.py)."""

from django.db import migrations

from requests_app import legal_data


def load(apps, schema_editor):
    legal_data.load(apps)


class Migration(migrations.Migration):
    dependencies = [("requests_app", "0003_review")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
