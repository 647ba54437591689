"""Fill the warehouse with synthetic data: ``manage.py generate_warehouse --persons N --seed S``.

On DuckDB, ``--export-parquet DIR`` writes every table as ``DIR/<table>.parquet`` (after the load, or alone
for the warehouse as it is), and ``--import-parquet DIR`` loads such files instead of generating.
"""

from django.core.management.base import BaseCommand, CommandError

from stats_app.warehouse import engines
from stats_app.warehouse import generate as generator
from stats_app.warehouse.generate import WarehouseExists, generate
from stats_app.warehouse.schema import snapshot


class Command(BaseCommand):
    help = (
        "Generate the synthetic health-data warehouse (persons, medical services, drug claims, hospital stays). "
        "The same persons and seed always give the same rows."
    )

    def add_arguments(self, parser):
        parser.add_argument("--persons", type=int, help="Insured persons to generate.")
        parser.add_argument("--seed", type=int, help="Seed of the random streams.")
        parser.add_argument("--using", default="warehouse", help="Warehouse alias (default: warehouse).")
        parser.add_argument("--replace", action="store_true", help="Replace a warehouse already loaded.")
        parser.add_argument("--export-parquet", metavar="DIR", help="DuckDB: write every table to DIR as Parquet.")
        parser.add_argument("--import-parquet", metavar="DIR", help="DuckDB: load the tables from DIR's Parquet.")

    def handle(self, *args, persons, seed, using, replace, export_parquet, import_parquet, **options):
        if not engines.exists(using):
            raise CommandError(f"No warehouse alias “{using}”.")
        if (export_parquet or import_parquet) and engines.engine_for(using).name != "duckdb":
            raise CommandError("Parquet import and export need a DuckDB warehouse (duckdb:///…).")
        export_only = export_parquet and not import_parquet and persons is None and seed is None
        if not (import_parquet or export_only) and (persons is None or seed is None or persons < 1 or seed < 0):
            raise CommandError("--persons must be at least 1 and --seed non-negative.")
        try:
            if import_parquet:
                loaded = generator.import_parquet(import_parquet, using=using, replace=replace)
            elif export_only:
                loaded = snapshot(using)
                if loaded is None:
                    raise CommandError(f"The warehouse “{using}” holds no data to export.")
            else:
                loaded = generate(persons=persons, seed=seed, using=using, replace=replace, stdout=self.stdout)
        except WarehouseExists as error:
            raise CommandError(f"{error} (--replace)") from error
        if export_parquet:
            written = generator.export_parquet(export_parquet, using=using)
            self.stdout.write(f"{len(written)} Parquet files written into {export_parquet}.")
        self.stdout.write(
            self.style.SUCCESS(
                f"Warehouse {loaded['dataset_version']} loaded into “{using}”: "
                f"{loaded['persons']} persons, {loaded['medical_service_rows']} medical services, "
                f"{loaded['drug_claim_rows']} drug claims, {loaded['hospital_stay_rows']} hospital stays."
            )
        )
