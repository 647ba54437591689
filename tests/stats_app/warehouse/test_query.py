"""compute_table: every cell and margin equals a plain, independent SQL count; nothing else can be asked."""

import random
import re

import duckdb
import pytest
from django.db import connections
from django.test.utils import CaptureQueriesContext

from stats_app.catalogue_data import AGE_GROUPS, DIAGNOSIS_CHAPTERS, DRUG_CLASSES, REGIONS, SEXES, SPECIALTIES, YEARS
from stats_app.disclosure.table import TOTAL, ZERO, CellStats
from stats_app.models import IDENTIFYING_CODES
from stats_app.warehouse import engines, query
from stats_app.warehouse.query import UnknownExpression, compute_table, raw_cube_sql, raw_group_by, raw_group_by_sql
from stats_app.warehouse.schema import IDENTIFYING_COLUMNS
from tests.stats_app.warehouse.conftest import READS_WAREHOUSES, fetch

ALL_YEARS = tuple(YEARS)
ALL_REGIONS = tuple(code for code, *_labels in REGIONS)
ALL_AGE_GROUPS = tuple(code for code, *_labels in AGE_GROUPS)
ALL_SEXES = tuple(code for code, *_labels in SEXES)
ALL_SPECIALTIES = tuple(code for code, *_labels in SPECIALTIES)
ALL_DRUG_CLASSES = tuple(code for code, *_labels in DRUG_CLASSES)
ALL_CHAPTERS = tuple(code for code, *_labels in DIAGNOSIS_CHAPTERS)

#: Written out plainly, independently of the registry.
FACT_TABLES = {
    "medical_services": "medical_service",
    "prescription_drugs": "drug_claim",
    "hospital_stays": "hospital_stay",
}

SPECIFICATIONS = [
    pytest.param("medical_services", "events", [("year", ALL_YEARS)], id="services-by-year"),
    pytest.param(
        "medical_services",
        "distinct_persons",
        [("year", ALL_YEARS), ("region", ("06", "10", "17", "18"))],
        id="persons-by-year-and-some-regions",
    ),
    pytest.param(
        "medical_services",
        "amount",
        [("year", ("2020", "2021")), ("sex", ALL_SEXES), ("specialty", ALL_SPECIALTIES)],
        id="amount-by-two-years-sex-specialty",
    ),
    pytest.param(
        "prescription_drugs",
        "distinct_persons",
        [("region", ALL_REGIONS), ("age_group", ALL_AGE_GROUPS), ("sex", ALL_SEXES), ("drug_class", ALL_DRUG_CLASSES)],
        id="persons-by-four-dimensions",
    ),
    pytest.param(
        "prescription_drugs",
        "amount",
        [
            ("year", ALL_YEARS),
            ("region", ("03", "06", "10")),
            ("age_group", ALL_AGE_GROUPS),
            ("drug_class", ("C", "L", "N")),
        ],
        id="amount-by-four-dimensions-filtered",
    ),
    pytest.param(
        "hospital_stays",
        "events",
        [
            ("diagnosis_chapter", ALL_CHAPTERS),
            ("age_group", ALL_AGE_GROUPS),
            ("sex", ALL_SEXES),
            ("year", ("2020", "2022")),
        ],
        id="stays-by-four-dimensions-filtered",
    ),
    pytest.param("hospital_stays", "distinct_persons", [("region", ALL_REGIONS), ("year", ALL_YEARS)], id="inpatients"),
    pytest.param("prescription_drugs", "events", [], id="claims-grand-total"),
    pytest.param("medical_services", "amount", [], id="amount-grand-total"),
]


def independent_cell(using, dataset, measure_kind, dimensions, key, top_n=2) -> CellStats:
    """One cell computed on its own: a plain WHERE per dimension, a plain aggregate."""
    clauses, params = [], []
    for (code, domain), entry in zip(dimensions, key, strict=True):
        if entry == TOTAL:
            clauses.append(f"{code} IN ({', '.join(['%s'] * len(domain))})")
            params.extend(domain)
        else:
            clauses.append(f"{code} = %s")
            params.append(entry)
    where = f" WHERE {' AND '.join(clauses)}" if clauses else ""
    table = FACT_TABLES[dataset]
    if measure_kind == "events":
        (value,) = fetch(using, f"SELECT COUNT(*) FROM {table}{where}", params)[0]  # noqa: S608 - test constants
        return CellStats(value, value) if value else ZERO
    if measure_kind == "distinct_persons":
        (value,) = fetch(using, f"SELECT COUNT(DISTINCT person_key) FROM {table}{where}", params)[0]  # noqa: S608
        return CellStats(value, value) if value else ZERO
    total, persons = fetch(
        using,
        f"SELECT SUM(amount_paid_cents), COUNT(DISTINCT person_key) FROM {table}{where}",  # noqa: S608
        params,
    )[0]
    if not persons:
        return ZERO
    top = fetch(
        using,
        f"SELECT SUM(amount_paid_cents) AS person_total FROM {table}{where} "  # noqa: S608 - test constants
        f"GROUP BY person_key ORDER BY person_total DESC LIMIT %s",
        [*params, top_n],
    )
    return CellStats(int(total), persons, tuple(int(amount) for (amount,) in top))


def sample_of_keys(table, per_level=4) -> list[tuple[str, ...]]:
    """A few keys of every margin level (which dimensions are totalled), the grand total always."""
    levels: dict[tuple[bool, ...], list] = {}
    for key in table.keys():  # noqa: SIM118 - a Table, not a dict
        levels.setdefault(tuple(entry == TOTAL for entry in key), []).append(key)
    chooser = random.Random(20261128)
    sample = []
    for keys in levels.values():
        non_empty = [key for key in keys if key in table.cells]
        empty = [key for key in keys if key not in table.cells]
        sample += chooser.sample(non_empty, min(per_level - 1, len(non_empty))) + empty[:1]
    return sample


@READS_WAREHOUSES
@pytest.mark.parametrize(("dataset", "measure_kind", "dimensions"), SPECIFICATIONS)
def test_compute_table_cells_and_margins_equal_independent_sql(database, dataset, measure_kind, dimensions):
    table = compute_table(dataset=dataset, measure_kind=measure_kind, dimensions=dimensions, using=database)

    assert table.kind == ("amount" if measure_kind == "amount" else "count")
    assert [(dimension.code, dimension.categories) for dimension in table.dimensions] == dimensions
    assert set(table.cells) <= set(table.keys())
    keys = sample_of_keys(table)
    assert (TOTAL,) * len(dimensions) in keys
    for key in keys:
        assert table.cell(key) == independent_cell(database, dataset, measure_kind, dimensions, key), key


@READS_WAREHOUSES
@pytest.mark.parametrize(("dataset", "measure_kind", "dimensions"), SPECIFICATIONS)
def test_compute_table_relations_hold_over_the_whole_table(database, dataset, measure_kind, dimensions):
    table = compute_table(dataset=dataset, measure_kind=measure_kind, dimensions=dimensions, using=database)

    for relation in table.relations():
        parent = table.cell(relation.parent).value
        parts = [table.cell(child).value for child in relation.children]
        if relation.additive:
            assert parent == sum(parts), relation
        else:
            assert max(parts) <= parent <= sum(parts), relation
    for cell in table.cells.values():
        assert cell.value > 0 and cell.contributors > 0
        if table.kind == "count":
            assert cell.contributors == cell.value and cell.top == ()
        else:
            assert list(cell.top) == sorted(cell.top, reverse=True)
            assert len(cell.top) == min(2, cell.contributors) and sum(cell.top) <= cell.value


@READS_WAREHOUSES
def test_distinct_person_margins_across_years_are_smaller_than_the_sum_of_their_parts(database):
    dimensions = [("year", ALL_YEARS), ("sex", ALL_SEXES)]
    table = compute_table(
        dataset="medical_services", measure_kind="distinct_persons", dimensions=dimensions, using=database
    )

    assert [dimension.additive for dimension in table.dimensions] == [False, True]
    for sex in (*ALL_SEXES, TOTAL):
        margin = table.cell((TOTAL, sex)).value
        parts = [table.cell((year, sex)).value for year in ALL_YEARS]
        assert max(parts) <= margin < sum(parts)
        assert table.cell((TOTAL, sex)) == independent_cell(
            database, "medical_services", "distinct_persons", dimensions, (TOTAL, sex)
        )
    for year in (*ALL_YEARS, TOTAL):  # along sex, which partitions persons, they add up
        assert table.cell((year, TOTAL)).value == sum(table.cell((year, sex)).value for sex in ALL_SEXES)


@READS_WAREHOUSES
def test_compute_table_amount_gives_as_many_top_contributions_as_asked(database):
    dimensions = [("region", ALL_REGIONS), ("specialty", ("cardiology", "general_surgery", "psychiatry"))]
    table = compute_table(
        dataset="medical_services", measure_kind="amount", dimensions=dimensions, top_n=4, using=database
    )

    keys = [*sample_of_keys(table, per_level=6), ("10", TOTAL), ("17", TOTAL), ("18", TOTAL)]
    for key in keys:
        expected = independent_cell(database, "medical_services", "amount", dimensions, key, top_n=4)
        assert table.cell(key) == expected, key
    assert len(table.cell((TOTAL, TOTAL)).top) == 4


@READS_WAREHOUSES
@pytest.mark.parametrize(("dataset", "measure_kind", "dimensions"), SPECIFICATIONS)
def test_compute_table_is_the_same_on_every_engine(warehouse, database, dataset, measure_kind, dimensions):
    on_postgresql = compute_table(dataset=dataset, measure_kind=measure_kind, dimensions=dimensions)
    on_engine = compute_table(dataset=dataset, measure_kind=measure_kind, dimensions=dimensions, using=database)

    assert on_postgresql == on_engine


@READS_WAREHOUSES
@pytest.mark.parametrize("measure_kind", ["events", "distinct_persons", "amount"])
def test_compute_table_strategies_agree_on_every_engine(database, measure_kind):
    dimensions = [("year", ("2019", "2025")), ("age_group", ALL_AGE_GROUPS), ("sex", ALL_SEXES)]
    tables = [
        compute_table(
            dataset="medical_services",
            measure_kind=measure_kind,
            dimensions=dimensions,
            strategy=strategy,
            using=database,
        )
        for strategy in query.STRATEGIES
    ]

    assert tables[0] == tables[1]


@READS_WAREHOUSES
def test_raw_group_by_counts_the_finest_cells(database):
    dimensions = [("year", ALL_YEARS), ("region", ALL_REGIONS), ("age_group", ALL_AGE_GROUPS), ("sex", ALL_SEXES)]
    table = compute_table(dataset="medical_services", measure_kind="events", dimensions=dimensions, using=database)

    finest = [key for key in table.cells if TOTAL not in key]
    assert raw_group_by(
        dataset="medical_services", measure_kind="events", dimensions=dimensions, using=database
    ) == len(finest)


# --- Safety ---------------------------------------------------------------------------------------------------------

IDENTIFYING = IDENTIFYING_CODES | IDENTIFYING_COLUMNS


def mentions_identifying(statement: str) -> set[str]:
    return set(re.findall(r"[a-z_][a-z0-9_]*", statement.lower())) & IDENTIFYING


@pytest.mark.django_db(databases=["default", "warehouse"])
@pytest.mark.parametrize(
    "code",
    [
        "last_name",
        "first_name",
        "postal_code",
        "insurance_number",
        "date_of_birth",
        "street_address",
        "city",
        "person_id",
        "person_key",
        "amount_paid_cents",
        "service_date",
        "region; DROP TABLE insured_person",
        '"region"',
        "REGION",
        "region ",
        "drug_class",  # a dimension, but not of this dataset
    ],
)
def test_compute_table_refuses_an_unknown_or_identifying_dimension_before_any_sql(database, code):
    with engines.captured_statements() as captured, pytest.raises(UnknownExpression):
        compute_table(
            dataset="medical_services",
            measure_kind="events",
            dimensions=[("year", ALL_YEARS), (code, ("x",))],
            using=database,
        )

    assert captured == []


@pytest.mark.django_db(databases=["default", "warehouse"])
@pytest.mark.parametrize(
    ("dataset", "measure_kind"),
    [
        ("insured_person", "events"),
        ("medical_service", "events"),
        ("medical_services; --", "events"),
        ("hospital_stays", "amount"),  # stays have no amount
        ("medical_services", "COUNT(*)"),
        ("medical_services", "sum"),
        ("medical_services", "persons"),  # a measure code, not a kind
    ],
)
def test_compute_table_refuses_an_unknown_dataset_or_measure_before_any_sql(database, dataset, measure_kind):
    with engines.captured_statements() as captured, pytest.raises(UnknownExpression):
        compute_table(dataset=dataset, measure_kind=measure_kind, dimensions=[("year", ALL_YEARS)], using=database)

    assert captured == []


@pytest.mark.django_db(databases=["default", "warehouse"])
@pytest.mark.parametrize(
    ("dimensions", "top_n"),
    [
        ([("year", ALL_YEARS), ("year", ALL_YEARS)], 2),
        ([("year", ())], 2),
        ([("year", (TOTAL,))], 2),
        ([("year", "2019")], 2),
        ([("year", ("2019", "2019"))], 2),
        ([("year", ("",))], 2),
        ([("year", (2019,))], 2),
        ([(code, ALL_YEARS) for code in ("year", "region", "age_group", "sex", "specialty")], 2),
        ([("year", ALL_YEARS)], 1),
    ],
)
def test_compute_table_refuses_a_malformed_request_before_any_sql(database, dimensions, top_n):
    with engines.captured_statements() as captured, pytest.raises(ValueError):
        compute_table(
            dataset="medical_services", measure_kind="amount", dimensions=dimensions, top_n=top_n, using=database
        )

    assert captured == []


@pytest.mark.django_db(databases=["default", "warehouse"])
@pytest.mark.parametrize(("dataset", "measure_kind", "dimensions"), SPECIFICATIONS)
def test_executed_sql_names_no_identifying_column_and_carries_categories_as_parameters(
    warehouse, dataset, measure_kind, dimensions
):
    templates = []

    def record(execute, sql, params, many, context):
        templates.append((sql, params))
        return execute(sql, params, many, context)

    connection = connections["warehouse"]
    with CaptureQueriesContext(connection) as captured, connection.execute_wrapper(record):
        compute_table(dataset=dataset, measure_kind=measure_kind, dimensions=dimensions)
        raw_group_by(dataset=dataset, measure_kind=measure_kind, dimensions=dimensions)

    assert captured.captured_queries
    for executed in captured.captured_queries:
        assert not mentions_identifying(executed["sql"]), executed["sql"]
    categories = {category for _code, domain in dimensions for category in domain}
    for sql, params in templates:
        assert not mentions_identifying(sql)
        # No literal but the memory setting and the empty text standing for a margin in joins.
        assert set(re.findall(r"'[^']*'", sql)) <= {f"'{query.WORK_MEM}'", "''"}, sql
        if " IN (" in sql:
            assert categories <= set(params)


@pytest.mark.django_db(databases=["default", "warehouse"])
@pytest.mark.parametrize(
    "category", ["06'; DROP TABLE insured_person; --", "06\\'; DROP TABLE insured_person; --", "{p0:String}"]
)
def test_category_values_cannot_inject_sql(database, category):
    table = compute_table(
        dataset="medical_services", measure_kind="events", dimensions=[("region", (category, "06"))], using=database
    )

    assert table.cell(("06",)).value > 0
    assert table.cell((category,)).value == 0
    assert fetch(database, "SELECT COUNT(*) FROM insured_person")[0][0] == 3000


@pytest.mark.django_db(databases=["default", "warehouse"])
@pytest.mark.parametrize(("dataset", "measure_kind", "dimensions"), SPECIFICATIONS)
def test_every_engine_receives_registry_identifiers_and_the_categories_as_parameters(
    database, dataset, measure_kind, dimensions
):
    with engines.captured_statements() as captured:
        compute_table(dataset=dataset, measure_kind=measure_kind, dimensions=dimensions, using=database)
        raw_group_by(dataset=dataset, measure_kind=measure_kind, dimensions=dimensions, using=database)

    assert captured
    categories = {category for _code, domain in dimensions for category in domain}
    for _alias, sql, params in captured:
        assert not mentions_identifying(sql), sql
        assert set(re.findall(r"'[^']*'", sql)) <= {"''"}, sql
        assert categories <= set(params)


def test_duckdb_reads_open_the_file_read_only(duckdb_warehouse):
    with pytest.raises(duckdb.Error, match="read-only"):
        fetch(duckdb_warehouse, "DELETE FROM insured_person")

    assert fetch(duckdb_warehouse, "SELECT COUNT(*) FROM insured_person")[0][0] == 3000


def test_raw_group_by_sql_is_built_from_registry_identifiers_only():
    statement, params = raw_group_by_sql(
        dataset="prescription_drugs", measure_kind="distinct_persons", dimensions=[("drug_class", ("C", "N"))]
    )

    assert statement == (
        "SELECT drug_class, COUNT(DISTINCT person_key) FROM drug_claim WHERE drug_class IN (%s, %s) GROUP BY drug_class"
    )
    assert params == ["C", "N"]
    with pytest.raises(UnknownExpression):
        raw_group_by_sql(dataset="prescription_drugs", measure_kind="events", dimensions=[("postal_code", ("H2X",))])


@pytest.mark.django_db(databases=["default", "warehouse"])
def test_compute_table_only_reads(warehouse):
    with CaptureQueriesContext(connections["warehouse"]) as captured:
        compute_table(dataset="medical_services", measure_kind="amount", dimensions=[("sex", ALL_SEXES)])

    statements = [executed["sql"].lstrip().split()[0].upper() for executed in captured.captured_queries]
    assert set(statements) <= {"SAVEPOINT", "RELEASE", "SET", "WITH", "SELECT"}
    assert any("transaction_read_only" in executed["sql"] for executed in captured.captured_queries)


@READS_WAREHOUSES
def test_the_engines_own_cube_counts_the_same_persons_as_compute_table(database):
    dimensions = [("year", ("2022", "2023")), ("region", ALL_REGIONS), ("sex", ALL_SEXES)]
    table = compute_table(
        dataset="medical_services", measure_kind="distinct_persons", dimensions=dimensions, using=database
    )
    statement, params = raw_cube_sql(dataset="medical_services", measure_kind="distinct_persons", dimensions=dimensions)

    cube = {
        tuple(TOTAL if value is None else value for value in values): persons
        for *values, persons in fetch(database, statement, params)
    }
    assert cube == {key: cell.value for key, cell in table.cells.items()}
