"""``manage.py build_table SPEC.json --out DIR``: the job's pipeline for statisticians, and its refusals."""

import csv
import json
import re
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import translation
from django.utils.translation import gettext as _

from stats_app.disclosure import TOTAL
from stats_app.models import IDENTIFYING_CODES, Category, Dataset, Dimension
from stats_app.warehouse import engines
from stats_app.warehouse.schema import IDENTIFYING_COLUMNS

# Every table is built from each warehouse in turn: PostgreSQL, DuckDB, chDB (tests/warehouse_fixtures.py).
pytestmark = [pytest.mark.django_db(databases=["default", "warehouse"]), pytest.mark.usefixtures("warehouse_engine")]

#: Attributes that identify someone, as the catalogue and the warehouse name them: none may reach SQL.
IDENTIFYING = IDENTIFYING_CODES | IDENTIFYING_COLUMNS

EXAMPLE = {
    "dataset": "medical_services",
    "measure": "persons",
    "dimensions": ["year", "region", "sex"],
    "filters": {"year": ["2022", "2023"]},
}


@pytest.fixture
def build(warehouse_engine):
    def build(tmp_path, spec, *, out: str = "out", language: str = "en") -> str:
        """Run the command on ``spec`` (JSON, or raw text) into ``tmp_path/out``; return what it printed."""
        path = tmp_path / "spec.json"
        path.write_text(spec if isinstance(spec, str) else json.dumps(spec), encoding="utf-8")
        stdout = StringIO()
        call_command(
            "build_table",
            str(path),
            "--out",
            str(tmp_path / out),
            "--language",
            language,
            "--warehouse",
            warehouse_engine,
            stdout=stdout,
        )
        return stdout.getvalue()

    return build


def test_the_example_of_the_issue_builds_the_four_files(tmp_path, build):
    printed = build(tmp_path, EXAMPLE)

    out = tmp_path / "out"
    assert sorted(path.name for path in out.iterdir()) == ["legend.csv", "table.csv", "table.json", "table.xlsx"]
    rows = list(csv.DictReader((out / "table.csv").open(encoding="utf-8")))
    assert list(rows[0]) == ["year", "region", "sex", "year_label", "region_label", "sex_label", "value", "flag"]
    # 2 years and 18 regions and 2 sexes, each with its Total.
    assert len(rows) == 3 * 19 * 3
    assert {row["year"] for row in rows} == {"2022", "2023", TOTAL}
    metadata = json.loads((out / "table.json").read_text(encoding="utf-8"))
    assert metadata["specification"] == EXAMPLE
    assert metadata["suppressed_cells"] == sum(1 for row in rows if row["flag"] == "x")
    assert set(metadata["files"]) == {"table.csv", "legend.csv", "table.xlsx"}
    assert "sha256" in printed


def test_the_same_specification_gives_the_same_table(tmp_path, build):
    build(tmp_path, EXAMPLE, out="first")
    build(tmp_path, EXAMPLE, out="second")

    assert (tmp_path / "first/table.csv").read_bytes() == (tmp_path / "second/table.csv").read_bytes()


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ({**EXAMPLE, "dimensions": ["year", "last_name"]}, "dimensions: Not a dimension of this dataset: last_name"),
        ({**EXAMPLE, "dimensions": ["postal_code"]}, "Not a dimension of this dataset: postal_code"),
        ({**EXAMPLE, "dimensions": ["insurance_number"]}, "Not a dimension of this dataset: insurance_number"),
        ({**EXAMPLE, "dimensions": ['region"; DROP TABLE insured_person; --']}, "Not a dimension of this dataset"),
        ({**EXAMPLE, "measure": "person_id"}, "measure: This measure does not belong"),
        ({**EXAMPLE, "dataset": "insured_person"}, "dataset: This dataset is not in the catalogue"),
        ({**EXAMPLE, "filters": {"date_of_birth": ["1970-01-01"]}}, "filters: A filter on “date_of_birth”"),
        ({**EXAMPLE, "filters": {"year": ["2022' OR 1=1 --"]}}, "Not a category of “year”"),
        ({**EXAMPLE, "sql": "SELECT * FROM insured_person"}, "Unknown keys in the specification: sql"),
        ({"dataset": "medical_services"}, "The specification lacks: dimensions, measure"),
        ([1, 2], "must be a JSON object"),
        ("{not json", "is not valid JSON"),
    ],
)
def test_a_specification_the_catalogue_does_not_allow_is_refused_with_a_message(tmp_path, build, spec, message):
    with engines.captured_statements() as warehouse_queries, pytest.raises(CommandError) as error:
        build(tmp_path, spec)

    assert message in str(error.value)
    assert warehouse_queries == []
    assert not (tmp_path / "out").exists()


def test_no_identifying_column_reaches_sql_or_the_files(tmp_path, build):
    dataset = Dataset.objects.get(code="medical_services")
    dimensions = list(dataset.dimensions.values_list("code", flat=True))[:3]

    with engines.captured_statements() as warehouse_queries:
        build(tmp_path, {"dataset": "medical_services", "measure": "amount_paid", "dimensions": dimensions})

    statements = " ".join(sql.lower() for _alias, sql, _params in warehouse_queries)
    assert re.search(r"\bmedical_service\b", statements)
    for column in IDENTIFYING:
        assert not re.search(rf"\b{column}\b", statements), column
    header = (tmp_path / "out/table.csv").read_text(encoding="utf-8").splitlines()[0].split(",")
    assert header == [*dimensions, *(f"{code}_label" for code in dimensions), "value", "flag"]
    legend = list(csv.reader((tmp_path / "out/legend.csv").open(encoding="utf-8")))
    assert not {line[0] for line in legend[1:]} & IDENTIFYING


def test_an_existing_folder_with_other_files_is_never_overwritten(tmp_path, build):
    out = tmp_path / "out"
    out.mkdir()
    (out / "thesis.docx").write_text("precious")

    with pytest.raises(CommandError, match="holds other files"):
        build(tmp_path, EXAMPLE)
    assert (out / "thesis.docx").read_text() == "precious"


@pytest.mark.parametrize("language", ["fr", "en"])
def test_the_csv_names_every_category_in_the_requesters_language(tmp_path, build, language):
    build(tmp_path, EXAMPLE, language=language)

    rows = list(csv.DictReader((tmp_path / "out/table.csv").open(encoding="utf-8")))
    with translation.override(language):
        regions = {category.code: category.label for category in Category.objects.filter(dimension__code="region")}
        total = str(_("Total"))
    for row in rows:
        assert row["region_label"] == (total if row["region"] == TOTAL else regions[row["region"]])
    assert {row["sex_label"] for row in rows if row["sex"] == TOTAL} == {total}


@pytest.mark.parametrize("language", ["fr", "en"])
def test_the_legend_says_what_every_column_code_and_flag_means(tmp_path, build, language):
    build(tmp_path, EXAMPLE, language=language)

    legend = list(csv.reader((tmp_path / "out/legend.csv").open(encoding="utf-8")))
    header, lines = legend[0], legend[1:]
    table_header = next(csv.reader((tmp_path / "out/table.csv").open(encoding="utf-8")))
    with translation.override(language):
        assert header == [str(_("Column")), str(_("Code")), str(_("Meaning"))]
        region = Dimension.objects.get(code="region")
        assert ["region", "", region.label] in lines
        for category in region.categories.all():
            assert ["region", category.code, category.label] in lines
        assert ["year", "2022", "2022"] in lines and ["year", "2021", "2021"] not in lines  # the filter's years only
        assert ["flag", "x", str(_("Value suppressed to protect confidentiality."))] in lines
    # Every column of the table is explained, and nothing else.
    assert {line[0] for line in lines} == set(table_header)
