"""``python manage.py rerun_release JOB_ID --out DIR``: make a released table again and compare its checksum.

Provenance you can replay: the table is recomputed from the specification,
policy and linked tables recorded in the release ledger, into ``DIR``, and its
``table.csv`` compared with the one released. When the warehouse has been
reloaded since (another data version), or a table it was protected against is
no longer in the ledger, the command says so: a difference is then expected.
Nothing is recorded. Exits non-zero when the checksums differ.
"""

from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from stats_app import ledger, outputs, pipeline
from stats_app.catalogue import validate_specification
from stats_app.warehouse import schema


class Command(BaseCommand):
    help = "Recompute a released table from its recorded specification and policy; tell whether the checksums match."

    def add_arguments(self, parser):
        parser.add_argument("job_id", type=int, help="The table job whose release to replay.")
        parser.add_argument("--out", type=Path, required=True, help="A new or empty folder for the replayed files.")

    def handle(self, *args, job_id: int, out: Path, **options):
        entry = ledger.job_entry(job_id)
        if entry is None:
            raise CommandError(f"Table job {job_id} has no release in the ledger: only released tables are replayed.")
        out = out.resolve()
        if out.exists() and (not out.is_dir() or any(out.iterdir())):
            raise CommandError(f"{out} is not a new or empty folder; choose another one.")
        try:
            specification = validate_specification(**entry.specification)
        except ValidationError as error:
            lines = [f"{field}: {message}" for field, messages in error.message_dict.items() for message in messages]
            raise CommandError("The catalogue no longer allows this table:\n  " + "\n  ".join(lines)) from error

        now = schema.snapshot(using="warehouse") or {}
        if now.get("dataset_version", "") != entry.data_version:
            self.stdout.write(
                f"The warehouse has changed since the release: it was {entry.data_version or 'empty'},"
                f" it is now {now.get('dataset_version') or 'empty'}. The tables will differ."
            )
        linked, missing = ledger.linked_as_made(entry)
        for label in missing:
            self.stdout.write(f"No longer in the ledger (returned or run again before release): {label}.")
        policy = ledger.policy_from(
            entry.parameters, entry.method, seed=pipeline.rounding_seed(specification, entry.data_snapshot)
        )
        try:
            result = pipeline.build_table(
                specification,
                out,
                language=entry.language or settings.LANGUAGE_CODE,
                replay=pipeline.Replay(policy=policy, linked=linked),
            )
        except pipeline.TableRefused as error:
            raise CommandError(f"The table cannot be made again: {error}") from error
        replayed = result.files[outputs.CSV_NAME]["sha256"]
        self.stdout.write(f"Released  table.csv sha256 {entry.csv_sha256}\nReplayed  table.csv sha256 {replayed}")
        if replayed != entry.csv_sha256:
            raise CommandError(f"The checksums differ: the replayed table in {out} is not the one released.")
        self.stdout.write(f"The checksums match: {entry.label} is reproduced exactly.")
