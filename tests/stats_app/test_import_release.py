"""``manage.py import_release TABLE.csv --spec SPEC.json``: a table published before the portal enters the ledger."""

import csv
import hashlib
import json
from datetime import date
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import connections
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from stats_app import ledger, outputs, pipeline
from stats_app.disclosure import TableDimension
from stats_app.disclosure.linked import protect_linked
from stats_app.models import Dataset, LedgerEntry
from stats_app.warehouse import query

pytestmark = [pytest.mark.django_db(databases=["default", "warehouse"]), pytest.mark.usefixtures("warehouse")]

#: A small table for the refusals: 3 × 3 rows, header on line 1, (2022, F) on line 2.
SMALL = {
    "dataset": "medical_services",
    "measure": "persons",
    "dimensions": ["year", "sex"],
    "filters": {"year": ["2022", "2023"]},
}
EXAMPLE = {**SMALL, "dimensions": ["year", "region", "sex"]}
AMOUNTS = {"dataset": "medical_services", "measure": "amount_paid", "dimensions": ["sex", "year"]}


def write_spec(tmp_path: Path, spec) -> Path:
    path = tmp_path / "spec.json"
    path.write_text(spec if isinstance(spec, str) else json.dumps(spec), encoding="utf-8")
    return path


def published_csv(tmp_path: Path, spec: dict, *, labelled: bool = False) -> Path:
    """The table as it was published before the portal: build_table's table.csv, moved out of its folder, in the
    codes-only layout (the dimensions, value, flag); ``labelled`` keeps the portal's label columns."""
    call_command(
        "build_table", str(write_spec(tmp_path, spec)), "--out", str(tmp_path / "out"), "--language", "en",
        stdout=StringIO(),
    )  # fmt: skip
    table = (tmp_path / "out" / "table.csv").rename(tmp_path / "rapport-2019-tableau-4.csv")
    if not labelled:
        rows = list(csv.reader(table.open(encoding="utf-8")))
        dimensions = (len(rows[0]) - 2) // 2
        with table.open("w", encoding="utf-8", newline="") as handle:
            csv.writer(handle, lineterminator="\n").writerows(row[:dimensions] + row[-2:] for row in rows)
    return table


def import_release(tmp_path: Path, table: Path, spec=SMALL, *options: str) -> str:
    stdout = StringIO()
    arguments = ["--released-at", "2020-03-01", *options] if "--released-at" not in options else list(options)
    call_command(
        "import_release", str(table), "--spec", str(write_spec(tmp_path, spec)), "--language", "en", *arguments,
        stdout=stdout,
    )  # fmt: skip
    return stdout.getvalue()


def csv_rows(path: Path) -> list[dict]:
    return list(csv.DictReader(path.open(encoding="utf-8")))


def test_a_published_table_is_recorded_with_its_values_populations_and_source(tmp_path, warehouse):
    table = published_csv(tmp_path, EXAMPLE)
    rows = csv_rows(table)

    printed = import_release(tmp_path, table, EXAMPLE, "--reference", "Rapport annuel 2019, tableau 4")

    entry = LedgerEntry.objects.get()
    suppressed = sum(1 for row in rows if row["flag"] == "x")
    assert suppressed > 0
    assert (entry.cells, entry.suppressed) == (len(rows), suppressed)
    assert f"Recorded ledger entry #{entry.pk}: {len(rows)} cells, {suppressed} suppressed" in printed
    assert "differ" not in printed
    assert entry.source == LedgerEntry.Source.IMPORT
    assert entry.source_reference == "rapport-2019-tableau-4.csv"
    assert entry.decision_reference == "Rapport annuel 2019, tableau 4"
    assert entry.request_reference == ""
    assert entry.csv_sha256 == hashlib.sha256(table.read_bytes()).hexdigest()
    assert timezone.localtime(entry.released_at).date() == date(2020, 3, 1)
    assert entry.data_version == warehouse["dataset_version"]
    assert entry.specification == EXAMPLE
    cells = {tuple(cell.key): cell for cell in entry.ledger_cells.all()}
    for row in rows:
        cell = cells[(row["year"], row["region"], row["sex"])]
        assert outputs.format_value(cell.published, "count") == row["value"]
    grand_total = cells[("Total", "Total", "Total")]
    assert grand_total.population["year"] == ["2022", "2023"]
    assert grand_total.population["sex"] == ["F", "M"]
    assert cells[("2022", "01", "F")].population["region"] == ["01"]


def test_the_warehouse_values_are_kept_beside_the_published_ones(tmp_path):
    """The joint protection needs the truth: values, contributors and largest contributions, computed again."""
    table = published_csv(tmp_path, AMOUNTS)
    rows = csv_rows(table)

    import_release(tmp_path, table, AMOUNTS)

    entry = LedgerEntry.objects.get()
    dataset = Dataset.objects.get(code="medical_services")
    domains = [("sex", ("F", "M")), ("year", tuple(str(year) for year in range(2019, 2026)))]
    truth = query.compute_table(
        dataset="medical_services", measure_kind="amount", dimensions=domains, top_n=max(dataset.dominance_n, 2)
    )
    cells = {tuple(cell.key): cell for cell in entry.ledger_cells.all()}
    assert len(cells) == len(rows) == 3 * 8
    for row in rows:
        cell = cells[(row["sex"], row["year"])]
        stats = truth.cell((row["sex"], row["year"]))
        assert (cell.value, cell.contributors, tuple(cell.top)) == (stats.value, stats.contributors, stats.top)
        assert outputs.format_value(cell.published, "amount") == row["value"]
    assert any(cell.published is not None and cell.published % 100 for cell in cells.values())  # cents kept


def test_a_published_value_that_differs_from_the_warehouse_is_recorded_as_published_with_a_warning(tmp_path):
    table = published_csv(tmp_path, SMALL)
    lines = table.read_text(encoding="utf-8").splitlines()
    year, sex, value, flag = lines[1].split(",")
    assert (year, sex, flag) == ("2022", "F", "")
    lines[1] = f"2022,F,{int(value) + 3},"
    table.write_text("\n".join(lines) + "\n", encoding="utf-8")

    printed = import_release(tmp_path, table)

    assert "Warning: 1 of 9 published values differ from the warehouse's" in printed
    assert f"line 2, year 2022, sex F: published {int(value) + 3}, warehouse {value}" in printed
    cell = LedgerEntry.objects.get().ledger_cells.get(position=0)
    assert (cell.key, cell.published, cell.value) == (["2022", "F"], int(value) + 3, int(value))


def test_an_imported_table_is_linked_to_later_tables_of_its_data(tmp_path, warehouse):
    import_release(tmp_path, published_csv(tmp_path, SMALL))
    entry = LedgerEntry.objects.get()
    dataset = Dataset.objects.get(code="medical_services")
    version = warehouse["dataset_version"]

    linked = ledger.linked_tables(dataset, data_version=version, dimensions=(TableDimension("year", ("2023",)),))
    assert [table.reference for table in linked] == [f"ledger-{entry.pk}"]
    assert linked[0].cells[("2022", "F")][1] == entry.ledger_cells.get(key=["2022", "F"]).published
    # A later table by year is protected jointly with it: its cells are the imported table's margins by year.
    later = query.compute_table(
        dataset="medical_services", measure_kind="distinct_persons", dimensions=[("year", ("2022", "2023"))]
    )
    protected, linkage = protect_linked(
        later, pipeline.policy_for(dataset, seed=""), measure="distinct_persons", universe=ledger.universe(dataset),
        linked=linked,
    )  # fmt: skip
    assert linkage.tables == [f"ledger-{entry.pk}"]
    assert protected.published[("2022",)] == entry.ledger_cells.get(key=["2022", "Total"]).published
    # A table on other years, or on other data, cannot meet it.
    assert ledger.linked_tables(dataset, data_version=version, dimensions=(TableDimension("year", ("2019",)),)) == []
    assert ledger.linked_tables(dataset, data_version="another version", dimensions=()) == []


def test_a_file_saved_by_a_spreadsheet_with_a_byte_order_mark_and_crlf_is_read(tmp_path):
    table = published_csv(tmp_path, SMALL)
    table.write_bytes(b"\xef\xbb\xbf" + table.read_bytes().replace(b"\n", b"\r\n"))

    import_release(tmp_path, table)

    assert LedgerEntry.objects.get().cells == 9


def edit_line(number: int, text: str):
    def edit(lines: list[str]) -> list[str]:
        lines[number - 1] = text
        return lines

    return edit


def edit_cell(number: int, value: str, flag: str = ""):
    def edit(lines: list[str]) -> list[str]:
        year, sex, *_ = lines[number - 1].split(",")
        lines[number - 1] = f"{year},{sex},{value},{flag}"
        return lines

    return edit


def duplicate_line_2(lines: list[str]) -> list[str]:
    lines[2] = lines[1]
    return lines


def drop_line_5(lines: list[str]) -> list[str]:
    del lines[4]
    return lines


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (edit_line(1, "year,sex,valeur,flag"), "line 1: the columns are year, sex, valeur, flag; the specification"),
        (edit_line(1, "sex,year,value,flag"), "line 1: the columns are sex, year, value, flag"),
        (edit_line(2, "2022,X,10,"), "line 2, column sex: “X” is not a category of sex (nor Total)."),
        (edit_line(2, "2019,F,10,"), "line 2, column year: “2019” is outside the specification's filter on year."),
        (edit_line(2, "2022,F,10"), "line 2: 3 columns; the table has 4."),
        (duplicate_line_2, "line 3: the cell year 2022, sex F is already on line 2."),
        (drop_line_5, "no row for 1 of the table's cells, e.g. year 2023, sex F."),
        (edit_cell(2, "12.5"), "line 2, column value: “12.5” is not a number as the portal writes it (a whole"),
        (edit_cell(3, "1,234"), "line 3: 5 columns; the table has 4."),
        (edit_cell(3, '"1,234"'), "line 3, column value: “1,234” is not a number"),
        (edit_cell(2, "-3"), "line 2, column value: “-3” is not a number"),
        (edit_cell(2, "many"), "line 2, column value: “many” is not a number"),
        (edit_cell(2, "12", "x"), "line 2, column value: “12” in a suppressed cell (flag x); it must be empty."),
        (edit_cell(2, ""), "line 2, column value: empty, but the flag is not x"),
        (edit_cell(2, "", "X"), "line 2, column flag: “X”; the flag is empty, or x when suppressed."),
        (lambda lines: [], "is empty: the first line names the columns year, sex, value, flag."),
    ],
)
def test_a_table_that_is_not_the_specification_s_is_refused_naming_line_and_column(tmp_path, edit, message):
    table = published_csv(tmp_path, SMALL)
    table.write_text("".join(line + "\n" for line in edit(table.read_text(encoding="utf-8").splitlines())))

    with CaptureQueriesContext(connections["warehouse"]) as warehouse_queries, pytest.raises(CommandError) as error:
        import_release(tmp_path, table)

    assert message in str(error.value)
    assert len(warehouse_queries) == 0
    assert not LedgerEntry.objects.exists()


def test_every_problem_of_a_file_is_listed_up_to_ten(tmp_path):
    table = published_csv(tmp_path, SMALL)
    lines = table.read_text(encoding="utf-8").splitlines()
    table.write_text("\n".join([lines[0], *(f"2022,F,bad{n}," for n in range(12))]) + "\n", encoding="utf-8")

    with pytest.raises(CommandError) as error:
        import_release(tmp_path, table)

    message = str(error.value)
    assert "nothing was recorded" in message
    # 12 bad values, 11 repeats of the key (2022, F), and the 8 other cells missing (one problem).
    assert "line 2, column value: “bad0”" in message and "line 7, column value: “bad5”" in message
    assert "line 3: the cell year 2022, sex F is already on line 2." in message
    assert "bad6" not in message and "… and 14 more." in message
    assert not LedgerEntry.objects.exists()


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("12.5", "“12.5” is not a number as the portal writes it (an amount with two decimals, e.g. 1234.50)."),
        ("12", "“12” is not a number"),
        ("12.500", "“12.500” is not a number"),
        ("1 234.50", "“1 234.50” is not a number"),
    ],
)
def test_amounts_have_two_decimals(tmp_path, value, message):
    table = published_csv(tmp_path, AMOUNTS)
    lines = table.read_text(encoding="utf-8").splitlines()
    sex, year, *_ = lines[1].split(",")
    lines[1] = f"{sex},{year},{value},"
    table.write_text("\n".join(lines) + "\n", encoding="utf-8")

    with pytest.raises(CommandError, match="line 2, column value: ") as error:
        import_release(tmp_path, table, AMOUNTS)

    assert message in str(error.value)
    assert not LedgerEntry.objects.exists()


def test_a_file_that_is_not_utf8_or_not_there_is_refused(tmp_path):
    table = tmp_path / "table.csv"
    table.write_bytes("year,sex,value,flag\n2022,F,10,\n".encode("utf-16"))
    with pytest.raises(CommandError, match=r"table\.csv is not UTF-8 text"):
        import_release(tmp_path, table)
    with pytest.raises(CommandError, match=r"Cannot read .*missing\.csv: No such file"):
        import_release(tmp_path, tmp_path / "missing.csv")
    assert not LedgerEntry.objects.exists()


@pytest.mark.parametrize(
    ("spec", "options", "message"),
    [
        ({**SMALL, "sql": "SELECT 1"}, (), "Unknown keys in the specification: sql"),
        ({**SMALL, "dimensions": ["year", "last_name"]}, (), "dimensions: Not a dimension of this dataset: last_name"),
        ("{not json", (), "is not valid JSON"),
        (SMALL, ("--released-at", "01/03/2020"), "--released-at: “01/03/2020” is not a date (YYYY-MM-DD)."),
        (SMALL, ("--released-at", "2999-01-01"), "--released-at: 2999-01-01 is in the future"),
        (SMALL, ("--reference", "x" * 61), "--reference: at most 60 characters."),
    ],
)
def test_a_bad_specification_or_option_is_refused_before_the_file_is_read(tmp_path, spec, options, message):
    table = published_csv(tmp_path, SMALL)

    with CaptureQueriesContext(connections["warehouse"]) as warehouse_queries, pytest.raises(CommandError) as error:
        import_release(tmp_path, table, spec, *options)

    assert message in str(error.value)
    assert len(warehouse_queries) == 0
    assert not LedgerEntry.objects.exists()


def test_the_same_file_is_imported_once(tmp_path):
    table = published_csv(tmp_path, SMALL)
    import_release(tmp_path, table)
    entry = LedgerEntry.objects.get()

    with pytest.raises(CommandError, match=rf"rapport-2019-tableau-4.csv is already in the ledger: entry #{entry.pk} "):
        import_release(tmp_path, table, SMALL, "--released-at", "2021-01-01")
    assert LedgerEntry.objects.count() == 1


def test_a_table_in_the_portals_own_layout_with_its_label_columns_is_imported(tmp_path):
    table = published_csv(tmp_path, SMALL, labelled=True)
    assert next(csv.reader(table.open(encoding="utf-8")))[2:4] == ["year_label", "sex_label"]

    import_release(tmp_path, table)

    entry = LedgerEntry.objects.get()
    published = {tuple(cell.key): cell.published for cell in entry.ledger_cells.all()}
    again = tmp_path / "again"
    again.mkdir()
    rows = list(csv.reader(published_csv(again, SMALL).open(encoding="utf-8")))[1:]
    assert published == {(row[0], row[1]): (int(row[2]) if row[2] else None) for row in rows}
