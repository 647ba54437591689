"""The files a requester downloads: ``table.csv``, ``legend.csv``, ``table.xlsx`` and ``table.json``.

The contract (kept exactly): the CSV has one column per dimension, in the
specification's order, named by the dimension code and holding category codes
or ``Total``; then, in the same order, one ``<code>_label`` column per
dimension holding the categories' labels in the requester's language; then
``value`` and ``flag``. ``legend.csv``, in the same language, says what each
column, code and flag means. Every key of the table is a row:
every combination of the filtered categories, zeros included, and every
margin down to the grand total. A suppressed cell has an empty ``value`` and
the flag ``x``, whichever rule hid it.

Files are written into a temporary folder beside their destination and moved
into place with one rename, so a reader (or a worker that died) never sees
half a table.
"""

import csv
import hashlib
import json
import os
import re
import shutil
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import xlsxwriter

from stats_app.disclosure import TOTAL, Key, ProtectedTable

CSV_NAME = "table.csv"
LEGEND_NAME = "legend.csv"
XLSX_NAME = "table.xlsx"
JSON_NAME = "table.json"
#: In the order the pages list them.
FILE_NAMES = (CSV_NAME, LEGEND_NAME, XLSX_NAME, JSON_NAME)
CONTENT_TYPES = {
    CSV_NAME: "text/csv; charset=utf-8",
    LEGEND_NAME: "text/csv; charset=utf-8",
    XLSX_NAME: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    JSON_NAME: "application/json",
}
#: The suffix of the CSV's label column of a dimension (``region`` → ``region_label``).
LABEL_SUFFIX = "_label"
SUPPRESSED_FLAG = "x"
#: A published value as ``format_value`` writes it: counts as whole numbers, amounts with exactly two decimals.
_VALUE_PATTERNS = {"count": re.compile(r"[0-9]+"), "amount": re.compile(r"-?[0-9]+\.[0-9]{2}")}


class UnsafeOutputError(Exception):
    """An output was about to carry a column that is not a catalogue dimension: nothing is written."""


@dataclass(frozen=True)
class Labels:
    """Texts of the files in the requester's language."""

    title: str
    measure: str
    #: dimension code -> (dimension label, {category code: category label})
    dimensions: Mapping[str, tuple[str, Mapping[str, str]]]
    total: str
    value: str
    flag: str
    flag_note: str
    about_sheet: str
    table_sheet: str
    #: The legend's column names, what a label column holds (``%(dimension)s``), what the flag ``x`` means.
    legend_header: tuple[str, str, str]
    label_column: str
    suppressed: str

    def category(self, dimension: str, code: str) -> str:
        """A category's label, ``Total`` in words."""
        return self.total if code == TOTAL else self.dimensions[dimension][1].get(code, code)


def format_value(value: int | None, kind: str) -> str:
    """Counts as integers, amounts (held in cents) with two decimals; empty when suppressed."""
    if value is None:
        return ""
    if kind == "amount":
        sign = "-" if value < 0 else ""
        cents = abs(value)
        return f"{sign}{cents // 100}.{cents % 100:02d}"
    return str(value)


def parse_value(text: str, kind: str) -> int:
    """Read back a published value written by ``format_value`` (amounts into cents); ``ValueError`` otherwise.

    Strict on purpose: "1,234", "1 234", "12.5" or "1e3" would each be a guess
    about what was published.
    """
    if not _VALUE_PATTERNS["amount" if kind == "amount" else "count"].fullmatch(text):
        raise ValueError(text)
    if kind != "amount":
        return int(text)
    units, cents = text.lstrip("-").split(".")
    return (-1 if text.startswith("-") else 1) * (int(units) * 100 + int(cents))


def rows(protected: ProtectedTable) -> Iterator[tuple[Key, int | None]]:
    for key in protected.table.keys():  # noqa: SIM118 (a Table, not a dict)
        yield key, protected.published[key]


def check_columns(protected: ProtectedTable, *, allowed: frozenset[str]) -> None:
    """The last guard: refuse any column that is not one of the dataset's catalogue dimensions."""
    for dimension in protected.table.dimensions:
        if dimension.code not in allowed:
            raise UnsafeOutputError(f"“{dimension.code}” is not a catalogue dimension of this dataset.")
        if TOTAL in dimension.categories:
            raise UnsafeOutputError(f"“{TOTAL}” cannot be a category of “{dimension.code}”.")
    if set(protected.published) != set(protected.table.keys()):
        raise UnsafeOutputError("The protected table does not hold exactly the cells of its specification.")


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 16), b""):
            digest.update(block)
    return digest.hexdigest()


def _write_csv(path: Path, protected: ProtectedTable, labels: Labels) -> None:
    kind = protected.table.kind
    codes = [dimension.code for dimension in protected.table.dimensions]
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow([*codes, *(code + LABEL_SUFFIX for code in codes), "value", "flag"])
        for key, value in rows(protected):
            named = [labels.category(code, category) for code, category in zip(codes, key, strict=True)]
            writer.writerow([*key, *named, format_value(value, kind), SUPPRESSED_FLAG if value is None else ""])


def _write_legend(path: Path, protected: ProtectedTable, labels: Labels) -> None:
    """What each column of ``table.csv``, each code and the flag mean, in the labels' language."""
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(labels.legend_header)
        for dimension in protected.table.dimensions:
            name, _categories = labels.dimensions[dimension.code]
            writer.writerow([dimension.code, "", name])
            for code in (*dimension.categories, TOTAL):
                writer.writerow([dimension.code, code, labels.category(dimension.code, code)])
        for dimension in protected.table.dimensions:
            name, _categories = labels.dimensions[dimension.code]
            writer.writerow([dimension.code + LABEL_SUFFIX, "", labels.label_column % {"dimension": name}])
        writer.writerow(["value", "", labels.measure])
        writer.writerow(["flag", SUPPRESSED_FLAG, labels.suppressed])


def _write_xlsx(path: Path, protected: ProtectedTable, labels: Labels, about: list[tuple[str, str]], created) -> None:
    # No cell is ever a formula: texts are written with write_string, numbers with write_number.
    workbook = xlsxwriter.Workbook(
        str(path), {"strings_to_formulas": False, "strings_to_numbers": False, "strings_to_urls": False}
    )
    workbook.set_properties({"title": labels.title, "created": created})
    bold = workbook.add_format({"bold": True})
    amount = workbook.add_format({"num_format": "#,##0.00"})
    count = workbook.add_format({"num_format": "#,##0"})
    sheet = workbook.add_worksheet(labels.table_sheet[:31])
    sheet.write_string(0, 0, labels.title, bold)
    sheet.write_string(1, 0, labels.measure)
    sheet.write_string(2, 0, labels.flag_note)
    header_row = 4
    column = 0
    for dimension in protected.table.dimensions:
        dimension_label, _ = labels.dimensions[dimension.code]
        sheet.write_string(header_row, column, dimension.code, bold)
        sheet.write_string(header_row, column + 1, dimension_label, bold)
        column += 2
    sheet.write_string(header_row, column, labels.value, bold)
    sheet.write_string(header_row, column + 1, labels.flag, bold)
    kind = protected.table.kind
    for offset, (key, value) in enumerate(rows(protected), start=1):
        row = header_row + offset
        for index, (dimension, code) in enumerate(zip(protected.table.dimensions, key, strict=True)):
            sheet.write_string(row, 2 * index, code)
            sheet.write_string(row, 2 * index + 1, labels.category(dimension.code, code))
        if value is None:
            sheet.write_blank(row, column, None)
            sheet.write_string(row, column + 1, SUPPRESSED_FLAG)
        elif kind == "amount":
            sheet.write_number(row, column, value / 100, amount)
        else:
            sheet.write_number(row, column, value, count)
    sheet.freeze_panes(header_row + 1, 0)
    about_sheet = workbook.add_worksheet(labels.about_sheet[:31])
    for row, (name, text) in enumerate(about):
        about_sheet.write_string(row, 0, name, bold)
        about_sheet.write_string(row, 1, text)
    about_sheet.set_column(0, 0, 34)
    about_sheet.set_column(1, 1, 80)
    workbook.close()


def write_outputs(
    *,
    protected: ProtectedTable,
    allowed_columns: frozenset[str],
    labels: Labels,
    about: list[tuple[str, str]],
    metadata: dict,
    destination: Path,
    created,
) -> dict[str, dict]:
    """Write the four files into ``destination`` atomically; return ``{file name: {"sha256", "size"}}``.

    ``metadata`` goes into ``table.json`` with the checksums of the other three
    files. A ``destination`` left by a worker that died after moving its files
    into place is replaced by this run's identical files.
    """
    check_columns(protected, allowed=allowed_columns)
    destination.parent.mkdir(parents=True, exist_ok=True)
    # A worker killed while writing leaves its temporary folder behind. The job's lock makes this run the
    # only writer of ``destination``, so any such folder is dead and goes.
    for stale in destination.parent.glob(f".{destination.name}.*.tmp"):
        shutil.rmtree(stale, ignore_errors=True)
    temporary = destination.parent / f".{destination.name}.{uuid.uuid4().hex}.tmp"
    temporary.mkdir()
    try:
        _write_csv(temporary / CSV_NAME, protected, labels)
        _write_legend(temporary / LEGEND_NAME, protected, labels)
        _write_xlsx(temporary / XLSX_NAME, protected, labels, about, created)
        files = {
            name: {"sha256": _sha256(temporary / name), "size": (temporary / name).stat().st_size}
            for name in (CSV_NAME, LEGEND_NAME, XLSX_NAME)
        }
        document = {**metadata, "files": {name: info["sha256"] for name, info in files.items()}}
        (temporary / JSON_NAME).write_text(
            json.dumps(document, indent=2, ensure_ascii=False, default=str), encoding="utf-8"
        )
        files[JSON_NAME] = {"sha256": _sha256(temporary / JSON_NAME), "size": (temporary / JSON_NAME).stat().st_size}
        for name in FILE_NAMES:
            with (temporary / name).open("rb") as handle:
                os.fsync(handle.fileno())
        if destination.exists():
            shutil.rmtree(destination)
        os.rename(temporary, destination)
    except BaseException:
        shutil.rmtree(temporary, ignore_errors=True)
        raise
    return files


@dataclass(frozen=True)
class ReleasedDocument:
    """``table.json`` with its release's provenance added, ready to replace the file (``write``)."""

    path: Path
    content: bytes

    @property
    def info(self) -> dict:
        return {"sha256": hashlib.sha256(self.content).hexdigest(), "size": len(self.content)}

    def write(self) -> None:
        """Replace the file in one rename: a reader sees the old document or the new one, never half."""
        temporary = self.path.with_name(f".{self.path.name}.{uuid.uuid4().hex}.tmp")
        with temporary.open("wb") as handle:
            handle.write(self.content)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, self.path)


def with_release(folder: Path, release: dict) -> ReleasedDocument:
    """``table.json`` of the output in ``folder`` with ``release`` (checker, time, references) added.

    The CSV and the XLSX are not touched: their checksums, and the ledger's, stay valid.
    """
    path = folder / JSON_NAME
    document = json.loads(path.read_text(encoding="utf-8"))
    document["release"] = release
    content = json.dumps(document, indent=2, ensure_ascii=False, default=str).encode("utf-8")
    return ReleasedDocument(path=path, content=content)
