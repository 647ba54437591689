"""Seed the calendar: the Québec holidays of 2020–2035 (requests_app/holiday_data.py)."""

from django.db import migrations

from requests_app import holiday_data


def load(apps, schema_editor):
    holiday_data.load(apps)


class Migration(migrations.Migration):
    dependencies = [("requests_app", "0015_holidays")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
