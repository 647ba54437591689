"""The warehouse's tables and its registry: what a table computation may name, and nothing identifying."""

import re

import pytest

from stats_app.catalogue_data import DATASETS, DIMENSIONS
from stats_app.models import IDENTIFYING_CODES, MeasureKind
from stats_app.warehouse.schema import (
    IDENTIFYING_COLUMNS,
    REGISTRY,
    TABLES_BY_NAME,
    create_table_statements,
    index_statements,
    registry_expressions,
    snapshot,
)
from tests.stats_app.warehouse.conftest import fetch

IDENTIFYING = IDENTIFYING_CODES | IDENTIFYING_COLUMNS


def words(text: str) -> set[str]:
    return set(re.findall(r"[a-z_][a-z0-9_]*", text.lower()))


def test_registry_has_no_identifying_column():
    for expression in registry_expressions():
        assert not words(expression) & IDENTIFYING, expression


def test_identifying_columns_are_all_in_the_person_table_only():
    person_columns = set(TABLES_BY_NAME["insured_person"].column_names)

    assert person_columns > IDENTIFYING_COLUMNS
    for name, table in TABLES_BY_NAME.items():
        if name != "insured_person":
            assert not set(table.column_names) & IDENTIFYING, name


def test_registry_offers_exactly_the_catalogue_datasets_dimensions_and_measures():
    for dataset in DATASETS:
        fact = REGISTRY[dataset["code"]]
        assert set(fact.dimensions) == set(dataset["dimensions"])
        assert set(fact.measures) == {kind for *_names, kind in dataset["measures"]}
        assert set(fact.measures) <= set(MeasureKind.values)
        columns = set(TABLES_BY_NAME[fact.table].column_names)
        assert {dimension.column for dimension in fact.dimensions.values()} <= columns
        assert fact.person_column in columns
        assert (fact.amount_column is None) == ("amount" not in fact.measures)
    assert set(REGISTRY) == {dataset["code"] for dataset in DATASETS}


def test_registry_says_only_sex_partitions_persons():
    for fact in REGISTRY.values():
        partitioning = {code for code, dimension in fact.dimensions.items() if dimension.partitions_persons}
        assert partitioning == {"sex"}


def test_registry_cannot_be_changed_at_run_time():
    with pytest.raises(TypeError):
        REGISTRY["insured_person"] = REGISTRY["medical_services"]
    with pytest.raises(TypeError):
        REGISTRY["medical_services"].dimensions["last_name"] = REGISTRY["medical_services"].dimensions["year"]


@pytest.mark.parametrize("vendor", ["postgresql", "duckdb", "clickhouse"])
def test_schema_statements_exist_for_every_engine(vendor):
    tables = create_table_statements(vendor)
    indexes = index_statements(vendor)

    assert len(tables) == len(TABLES_BY_NAME)
    if vendor == "postgresql":
        assert any("medical_service_year_idx" in statement for statement in indexes)
        assert not any(statement.endswith("(sex)") for statement in indexes)
        assert 'COLLATE "C"' in " ".join(tables)
        assert sum("FOREIGN KEY" in statement for statement in indexes) == 3
    else:
        assert indexes == []  # columnar engines scan with zone maps


def test_clickhouse_fact_tables_are_merge_trees_ordered_by_the_person_hash():
    statements = {statement.split()[2]: statement for statement in create_table_statements("clickhouse")}

    for table in ("medical_service", "drug_claim", "hospital_stay"):
        assert "ENGINE = MergeTree ORDER BY (cityHash64(person_key), " in statements[table], statements[table]
    assert "uniq(" not in " ".join(statements.values())


@pytest.mark.django_db(databases=["default", "warehouse"])
def test_dimension_columns_hold_exactly_catalogue_codes(database):
    for fact in REGISTRY.values():
        for code, dimension in fact.dimensions.items():
            categories = {category for category, *_labels in DIMENSIONS[code][2]}
            statement = f"SELECT DISTINCT {dimension.column} FROM {fact.table}"  # noqa: S608 - registry names
            stored = {value for (value,) in fetch(database, statement)}
            assert stored <= categories, (fact.table, code, stored - categories)


@pytest.mark.django_db(databases=["default", "warehouse"])
def test_snapshot_describes_the_load(warehouse, database):
    loaded = snapshot(database)

    assert {**loaded, "loaded_at": None} == {**warehouse, "loaded_at": None}
    assert loaded["seed"] == 20261128 and loaded["persons"] == 3000
    assert loaded["snapshot_date"] == "2026-01-31"
    assert loaded["dataset_version"] == "synthetic-v1-seed20261128-persons3000"
    for table in ("medical_service", "drug_claim", "hospital_stay"):
        assert loaded[f"{table}_rows"] == fetch(database, f"SELECT COUNT(*) FROM {table}")[0][0]  # noqa: S608


def test_snapshot_is_none_without_a_warehouse(scratch_warehouse):
    assert snapshot(scratch_warehouse("empty")) is None


@pytest.mark.django_db(databases=["default", "warehouse"])
def test_indexes_serve_selective_filters(warehouse):
    plan = "\n".join(
        row[0]
        for row in fetch(
            "warehouse",
            "EXPLAIN SELECT region, COUNT(*) FROM medical_service WHERE region IN ('17', '18') GROUP BY region",
        )
    )

    assert "medical_service_region_idx" in plan
