"""``manage.py import_release TABLE.csv --spec SPEC.json --released-at DATE``: a table published before the portal.

The attacker holds every table ever published from a dataset, including those
published before the portal existed (DESIGN §4, "Linked tables"). This command
puts such a table into the release ledger, so that every later table of its
dataset is protected against it.

TABLE.csv is in the portal's own format (``stats_app.outputs``): one column per
dimension of the specification, in its order, holding category codes or
``Total``, then ``value`` and ``flag``; a suppressed cell has an empty value and
the flag ``x``. Every cell of the table has exactly one row. The file is read
whole and checked before anything else: any problem stops the command with the
line and the column, and nothing is recorded.

The ledger keeps what was *published* (the file's values) beside the
warehouse's values, contributors and largest contributions for the same cells,
computed now: the truth the joint protection needs. The two may differ
(historical data, rounding); the command says how many cells do.

``--reference`` names the original publication (a report and its table
number); it is kept as the entry's decision reference: there was no portal
request, and the publication is what decided the release.
"""

import csv
import hashlib
import io
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone, translation

from stats_app import ledger, outputs, pipeline
from stats_app.catalogue import ResolvedSpecification
from stats_app.disclosure import TOTAL, DisclosureReport, Key, ProtectedTable, Table, TableDimension
from stats_app.management.specfile import read_specification
from stats_app.models import LedgerEntry
from stats_app.warehouse import query, schema

#: How many problems of a bad file are listed (the rest are counted).
SHOWN_PROBLEMS = 10
#: Kept with the entry instead of the rules' parameters: no rule of the portal made this table.
IMPORT_PARAMETERS = {"note": "Published before the portal: the protection it had is not known."}


@dataclass(frozen=True)
class PublishedTable:
    """What TABLE.csv says was published: every key's value (``None`` when suppressed) and its line."""

    published: dict[Key, int | None]
    lines: dict[Key, int]
    sha256: str


class Command(BaseCommand):
    help = "Record in the release ledger a table published before the portal, from its CSV and specification."

    def add_arguments(self, parser):
        parser.add_argument("table", type=Path, help="TABLE.csv in the portal's format: dimensions, value, flag.")
        parser.add_argument("--spec", type=Path, required=True, help="SPEC.json the table was made with.")
        parser.add_argument(
            "--released-at", required=True, help="The date the table was published (YYYY-MM-DD), not in the future."
        )
        parser.add_argument(
            "--reference", default="", help="The original publication's reference (at most 60 characters)."
        )
        parser.add_argument("--language", choices=["fr", "en"], default="fr", help="Language of the messages.")

    def handle(self, *args, language: str, **options):
        with translation.override(language):
            self._import(**options)

    def _import(self, *, table: Path, spec: Path, released_at: str, reference: str, **options):
        specification = read_specification(spec)
        released = _release_time(released_at)
        if len(reference) > LedgerEntry._meta.get_field("decision_reference").max_length:
            raise CommandError("--reference: at most 60 characters.")
        domains = pipeline.domains(specification)
        published = read_published(table, specification, domains)
        dataset = specification.dataset
        snapshot = schema.snapshot()
        if snapshot is None:
            raise CommandError("The warehouse holds no data: load it before importing a table.")
        try:
            computed = query.compute_table(
                dataset=dataset.code,
                measure_kind=specification.measure.kind,
                dimensions=domains,
                top_n=max(dataset.dominance_n, 2),
            )
        except query.UnknownExpression as error:
            raise CommandError(str(error)) from error
        protected = _as_published(computed, published, dataset.disclosure_policy)
        with ledger.dataset_lock(dataset):
            earlier = LedgerEntry.objects.filter(dataset=dataset, csv_sha256=published.sha256).first()
            if earlier is not None:
                raise CommandError(f"{table.name} is already in the ledger: entry {earlier.label}.")
            entry = ledger.record(
                specification=specification,
                protected=protected,
                snapshot=snapshot,
                released_at=released,
                source=LedgerEntry.Source.IMPORT,
                source_reference=table.name,
                csv_sha256=published.sha256,
                decision_reference=reference,
            )
        self.stdout.write(
            f"Recorded ledger entry #{entry.pk}: {entry.cells} cells, {entry.suppressed} suppressed, "
            f"released {released:%Y-%m-%d}, data version {entry.data_version or '(none)'}."
        )
        self._warn_of_differences(computed, published, specification)

    def _warn_of_differences(self, computed: Table, published: PublishedTable, specification) -> None:
        differing = [
            key for key, value in published.published.items() if value is not None and value != computed.cell(key).value
        ]
        if not differing:
            return
        first = min(differing, key=published.lines.__getitem__)
        kind = computed.kind
        self.stdout.write(
            self.style.WARNING(
                f"Warning: {len(differing)} of {sum(v is not None for v in published.published.values())} "
                f"published values differ from the warehouse's "
                f"(first on line {published.lines[first]}, {_describe(specification, first)}: published "
                f"{outputs.format_value(published.published[first], kind)}, warehouse "
                f"{outputs.format_value(computed.cell(first).value, kind)}). The ledger keeps the published values."
            )
        )


def _release_time(text: str) -> datetime:
    """Midnight, local time, of the publication date: a historical release has a day, not an hour."""
    try:
        day = date.fromisoformat(text)
    except ValueError as error:
        raise CommandError(f"--released-at: “{text}” is not a date (YYYY-MM-DD).") from error
    if day > timezone.localdate():
        raise CommandError(f"--released-at: {day} is in the future; a table imported here was already published.")
    return timezone.make_aware(datetime.combine(day, time()))


def _describe(specification: ResolvedSpecification, key: Key) -> str:
    return ", ".join(
        f"{dimension.code} {entry}" for dimension, entry in zip(specification.dimensions, key, strict=True)
    )


def read_published(
    path: Path, specification: ResolvedSpecification, domains: list[tuple[str, tuple[str, ...]]]
) -> PublishedTable:
    """Every cell of TABLE.csv, checked against the specification's table; ``CommandError`` listing what is wrong."""
    try:
        content = path.read_bytes()
    except OSError as error:
        raise CommandError(f"Cannot read {path}: {error.strerror}.") from error
    try:
        text = content.decode("utf-8-sig")  # a spreadsheet may have saved it with a byte-order mark
    except UnicodeDecodeError as error:
        raise CommandError(f"{path.name} is not UTF-8 text (byte {error.start}).") from error
    reader = csv.reader(io.StringIO(text, newline=""))
    codes = [code for code, _ in domains]
    expected = [*codes, "value", "flag"]
    # The portal's own CSV also names each category in words, after the codes (``outputs.LABEL_SUFFIX``).
    labelled = [*codes, *(code + outputs.LABEL_SUFFIX for code in codes), "value", "flag"]
    try:
        header = next(reader, None)
        if header is None:
            raise CommandError(f"{path.name} is empty: the first line names the columns {', '.join(expected)}.")
        if header not in (expected, labelled):
            raise CommandError(
                f"{path.name}, line 1: the columns are {', '.join(header)}; the specification's table has "
                f"{', '.join(expected)} (its dimensions in order, then value and flag; label columns"
                f" {', '.join(labelled[len(codes) : -2])} may follow the dimensions)."
            )
        sha256 = hashlib.sha256(content).hexdigest()
        return _read_rows(reader, path, specification, domains, sha256, width=len(header))
    except csv.Error as error:
        raise CommandError(f"{path.name}, line {reader.line_num}: not readable as CSV ({error}).") from error


def _read_rows(reader, path: Path, specification, domains, sha256: str, *, width: int) -> PublishedTable:
    kind = "amount" if specification.measure.kind == "amount" else "count"
    catalogue = {
        dimension.code: set(dimension.categories.values_list("code", flat=True))
        for dimension in specification.dimensions
    }
    published: dict[Key, int | None] = {}
    lines: dict[Key, int] = {}
    problems: list[str] = []
    for row in reader:
        line = reader.line_num
        if not row:
            continue
        if len(row) != width:
            problems.append(f"line {line}: {len(row)} columns; the table has {width}.")
            continue
        key = tuple(row[: len(domains)])
        key_problems = [
            _category_problem(line, code, entry, domain, catalogue[code])
            for (code, domain), entry in zip(domains, key, strict=True)
            if entry != TOTAL and entry not in domain
        ]
        value, value_problem = _cell_value(line, row[-2], row[-1], kind)
        problems += key_problems + [value_problem] * bool(value_problem)
        if key_problems:
            continue
        if key in lines:
            problems.append(f"line {line}: the cell {_describe(specification, key)} is already on line {lines[key]}.")
            continue
        published[key], lines[key] = value, line
    shape = Table(dimensions=tuple(TableDimension(code, categories) for code, categories in domains), kind=kind)
    missing = [key for key in shape.keys() if key not in lines]  # noqa: SIM118 (a Table, not a dict)
    if missing:
        examples = "; ".join(_describe(specification, key) for key in missing[:3])
        problems.append(f"no row for {len(missing)} of the table's cells, e.g. {examples}.")
    if problems:
        more = f"\n  … and {len(problems) - SHOWN_PROBLEMS} more." if len(problems) > SHOWN_PROBLEMS else ""
        raise CommandError(
            f"{path.name} is not the table of this specification; nothing was recorded:\n  "
            + "\n  ".join(problems[:SHOWN_PROBLEMS])
            + more
        )
    return PublishedTable(published=published, lines=lines, sha256=sha256)


def _category_problem(line: int, code: str, entry: str, domain: tuple[str, ...], catalogue: set[str]) -> str:
    if entry in catalogue:
        return f"line {line}, column {code}: “{entry}” is outside the specification's filter on {code}."
    return f"line {line}, column {code}: “{entry}” is not a category of {code} (nor {TOTAL})."


def _cell_value(line: int, value: str, flag: str, kind: str) -> tuple[int | None, str]:
    """The published value of one row, or the problem with it."""
    if flag not in ("", outputs.SUPPRESSED_FLAG):
        return (
            None,
            f"line {line}, column flag: “{flag}”; the flag is empty, or {outputs.SUPPRESSED_FLAG} when suppressed.",
        )
    if flag == outputs.SUPPRESSED_FLAG:
        if value:
            return None, f"line {line}, column value: “{value}” in a suppressed cell (flag x); it must be empty."
        return None, ""
    if not value:
        return None, f"line {line}, column value: empty, but the flag is not x (a suppressed cell has the flag x)."
    try:
        return outputs.parse_value(value, kind), ""
    except ValueError:
        wanted = "an amount with two decimals, e.g. 1234.50" if kind == "amount" else "a whole number of 0 or more"
        return None, f"line {line}, column value: “{value}” is not a number as the portal writes it ({wanted})."


def _as_published(computed: Table, published: PublishedTable, method: str) -> ProtectedTable:
    """The warehouse's table with the file's values as its published ones: what the ledger records."""
    values = {key: published.published[key] for key in computed.keys()}  # noqa: SIM118 (a Table, not a dict)
    shown = [value for value in values.values() if value is not None]
    report = DisclosureReport(
        method=method,
        parameters=IMPORT_PARAMETERS,
        suppressed_by_rule={},
        cells=len(values),
        suppressed=len(values) - len(shown),
        smallest_published_count=None if computed.kind == "amount" else min((v for v in shown if v > 0), default=None),
        audit_passed=False,  # never audited by the portal: it was published before
    )
    return ProtectedTable(table=computed, published=values, report=report)
