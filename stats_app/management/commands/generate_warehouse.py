"""Fill a database with the synthetic warehouse: ``manage.py generate_warehouse --persons N --seed S``."""

from django.core.management.base import BaseCommand, CommandError
from django.db import connections

from stats_app.warehouse.generate import WarehouseExists, generate


class Command(BaseCommand):
    help = (
        "Generate the synthetic health-data warehouse (persons, medical services, drug claims, hospital stays). "
        "The same persons and seed always give the same rows."
    )

    def add_arguments(self, parser):
        parser.add_argument("--persons", type=int, required=True, help="Insured persons to generate.")
        parser.add_argument("--seed", type=int, required=True, help="Seed of the random streams.")
        parser.add_argument("--using", default="warehouse", help="Database alias (default: warehouse).")
        parser.add_argument("--replace", action="store_true", help="Replace a warehouse already loaded.")

    def handle(self, *args, persons, seed, using, replace, **options):
        if using not in connections:
            raise CommandError(f"No database alias “{using}”.")
        if persons < 1 or seed < 0:
            raise CommandError("--persons must be at least 1 and --seed non-negative.")
        try:
            loaded = generate(persons=persons, seed=seed, using=using, replace=replace, stdout=self.stdout)
        except WarehouseExists as error:
            raise CommandError(f"{error} (--replace)") from error
        self.stdout.write(
            self.style.SUCCESS(
                f"Warehouse {loaded['dataset_version']} loaded into “{using}”: "
                f"{loaded['persons']} persons, {loaded['medical_service_rows']} medical services, "
                f"{loaded['drug_claim_rows']} drug claims, {loaded['hospital_stay_rows']} hospital stays."
            )
        )
