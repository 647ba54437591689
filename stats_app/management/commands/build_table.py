"""``python manage.py build_table SPEC.json --out DIR``: the job pipeline, synchronously.

For statisticians and audits: the very same code as a table job (catalogue
validation, computation in the warehouse, disclosure control, audit, files),
without a case or a worker. The table is protected against the release ledger
(every table of its dataset and data released or being checked); ``--release``
also records it there once its files are written. A specification the catalogue
refuses, or a table that cannot be made safe, stops here with the reason and a
non-zero exit, and nothing is written.
"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone, translation

from stats_app import outputs, pipeline
from stats_app.management.specfile import read_specification
from stats_app.models import LedgerEntry


class Command(BaseCommand):
    help = "Build one protected table from a specification file (JSON) into a folder."

    def add_arguments(self, parser):
        parser.add_argument("spec", type=Path, help="SPEC.json: dataset, measure, dimensions and optional filters.")
        parser.add_argument("--out", type=Path, required=True, help="Folder to write table.csv/.xlsx/.json into.")
        parser.add_argument(
            "--language", choices=["fr", "en"], default="fr", help="Language of the XLSX labels and of the messages."
        )
        parser.add_argument(
            "--warehouse", default="warehouse", help="The warehouse alias to compute in (default: warehouse)."
        )
        parser.add_argument(
            "--release",
            action="store_true",
            help="Record the table in the release ledger once its files are written: later tables of the dataset"
            " are protected against it.",
        )

    def handle(self, *args, language: str, **options):
        with translation.override(language):
            self._build(language=language, **options)

    def _build(self, *, spec: Path, out: Path, language: str, release: bool, warehouse: str, **options):
        specification = read_specification(spec)
        out = out.resolve()
        if out.exists() and (not out.is_dir() or {path.name for path in out.iterdir()} - set(outputs.FILE_NAMES)):
            raise CommandError(
                f"{out} holds other files; choose a new or empty folder (its content would be replaced)."
            )
        try:
            result = pipeline.build_table(
                specification,
                out,
                language=language,
                using=warehouse,
                release=pipeline.Release(
                    source=LedgerEntry.Source.COMMAND, source_reference=str(out), released_at=timezone.now()
                )
                if release
                else None,
            )
        except pipeline.TableRefused as error:
            raise CommandError(str(error)) from error
        summary = result.summary
        self.stdout.write(
            f"{summary['cells']} cells, {summary['suppressed']} suppressed "
            f"({summary['method']}); files in {result.destination}:"
        )
        for name, info in result.files.items():
            self.stdout.write(f"  {name}  {info['size']} bytes  sha256 {info['sha256']}")
        if summary["linked_tables"]:
            self.stdout.write(
                f"Protected against {len(summary['linked_tables'])} linked tables:"
                f" {summary['linked_extra_suppressed']} more cells suppressed."
            )
        if result.entry:
            self.stdout.write(f"Recorded in the release ledger: {result.entry.label}")
