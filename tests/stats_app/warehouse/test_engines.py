"""The warehouse engines: chosen by WAREHOUSE_URL, the same tables cell for cell, ClickHouse's exact settings."""

import json
from io import StringIO

import pytest
from django.core.management import call_command

from stats_app.catalogue_data import AGE_GROUPS, REGIONS, SEXES, SPECIALTIES, YEARS
from stats_app.warehouse import engines
from stats_app.warehouse.query import compute_table, raw_group_by_sql
from stats_app.warehouse.schema import snapshot
from tests.chdb_engine import ChDBEngine
from tests.stats_app.warehouse.conftest import READS_WAREHOUSES, checksum, fetch
from tests.warehouse_fixtures import ENGINES

ALL_REGIONS = tuple(code for code, *_labels in REGIONS)
ALL_AGE_GROUPS = tuple(code for code, *_labels in AGE_GROUPS)
ALL_SEXES = tuple(code for code, *_labels in SEXES)
ALL_SPECIALTIES = tuple(code for code, *_labels in SPECIALTIES)

#: The tables of the hidden specification's kind: distinct persons over four dimensions with every margin, and an
#: amount with its per-person largest contributions.
TABLES = [
    pytest.param(
        "medical_services",
        "distinct_persons",
        [("year", tuple(YEARS)), ("region", ALL_REGIONS), ("age_group", ALL_AGE_GROUPS), ("sex", ALL_SEXES)],
        2,
        id="persons-by-year-region-age-sex",
    ),
    pytest.param(
        "medical_services",
        "amount",
        [("year", ("2021", "2022", "2023")), ("region", ALL_REGIONS), ("specialty", ALL_SPECIALTIES)],
        3,
        id="amount-by-year-region-specialty",
    ),
]


@pytest.mark.parametrize(
    ("url", "engine"),
    [
        ("postgres://stats@warehouse.internal:5432/stats", engines.PostgresEngine),
        ("duckdb:///srv/portal/var/warehouse.duckdb", engines.DuckDBEngine),
        ("clickhouse://stats:secret@warehouse.internal:8123/stats", engines.ClickHouseEngine),
        ("clickhouses://stats:secret@warehouse.internal/stats", engines.ClickHouseEngine),
        ("chdb:///tmp/warehouse", ChDBEngine),
    ],
)
def test_the_url_scheme_chooses_the_engine(url, engine):
    assert type(engines.from_url("somewhere", url)) is engine


def test_a_url_no_engine_serves_is_refused():
    with pytest.raises(NotImplementedError, match="sqlite://"):
        engines.from_url("somewhere", "sqlite:///var/warehouse.sqlite3")


def test_a_clickhouse_url_gives_the_client_its_parts_without_opening_a_connection():
    engine = engines.from_url("somewhere", "clickhouses://stats:s%40cret@ch.internal/health?connect_timeout=5")

    assert engine.connect_args == {
        "host": "ch.internal",
        "port": 8443,
        "username": "stats",
        "password": "s@cret",
        "database": "health",
        "secure": True,
        "connect_timeout": "5",
    }


@READS_WAREHOUSES
@pytest.mark.parametrize(("dataset", "measure_kind", "dimensions", "top_n"), TABLES)
def test_every_engine_computes_the_same_cells(
    warehouse, duckdb_warehouse, chdb_warehouse, dataset, measure_kind, dimensions, top_n
):
    tables = [
        compute_table(dataset=dataset, measure_kind=measure_kind, dimensions=dimensions, top_n=top_n, using=alias)
        for alias in ENGINES
    ]

    assert len(tables[0].cells) > 500
    for table in tables[1:]:
        assert table.cells == tables[0].cells
        assert table.dimensions == tables[0].dimensions


@READS_WAREHOUSES
def test_every_engine_builds_the_same_protected_table(warehouse, duckdb_warehouse, chdb_warehouse, tmp_path):
    spec = tmp_path / "spec.json"
    spec.write_text(
        json.dumps(
            {"dataset": "medical_services", "measure": "persons", "dimensions": ["year", "region", "age_group", "sex"]}
        )
    )
    files = []
    for alias in ENGINES:
        out = tmp_path / alias
        call_command(
            "build_table", str(spec), "--out", str(out), "--warehouse", alias, "--language", "en", stdout=StringIO()
        )
        files.append((out / "table.csv").read_bytes())

    assert files[1] == files[0]
    assert files[2] == files[0]


def test_clickhouse_groups_with_nulls_and_counts_distinct_exactly(chdb_warehouse):
    assert fetch(
        chdb_warehouse,
        "SELECT getSetting('group_by_use_nulls'), getSetting('count_distinct_implementation')",
    ) == [(True, "uniqExact")]


def test_a_clickhouse_margin_is_null_and_told_apart_by_grouping(chdb_warehouse):
    rows = fetch(
        chdb_warehouse,
        "SELECT GROUPING(sex) AS margin, sex, COUNT(DISTINCT person_key) FROM medical_service "
        "GROUP BY GROUPING SETS ((sex), ()) ORDER BY margin, sex",
    )

    assert [(margin, sex) for margin, sex, _persons in rows] == [(0, "F"), (0, "M"), (1, None)]
    assert rows[2][2] == rows[0][2] + rows[1][2]  # sex partitions persons: the margin is the sum


def test_parameters_never_become_sql_text_on_clickhouse():
    statement, params = engines.clickhouse_bound(
        "SELECT x FROM t WHERE a IN (%s, %s) AND b %% 2 = %s", ["'; --", "x", 0]
    )

    assert statement == "SELECT x FROM t WHERE a IN ({p0:String}, {p1:String}) AND b % 2 = {p2:Int64}"
    assert params == {"p0": "'; --", "p1": "x", "p2": 0}
    with pytest.raises(ValueError, match="parameters"):
        engines.clickhouse_bound("SELECT %s", [])


@pytest.mark.parametrize("engine", ["duckdb", "clickhouse"])
def test_a_registry_statement_renders_in_each_dialect(engine):
    statement, _params = raw_group_by_sql(
        dataset="medical_services", measure_kind="distinct_persons", dimensions=[("year", ("2022", "2023"))]
    )
    rendered = engines.from_url(
        "somewhere", {"duckdb": "duckdb:///x", "clickhouse": "clickhouse://h/d"}[engine]
    ).render(statement)

    assert "COUNT(DISTINCT person_key)" in rendered
    assert "medical_service" in rendered


def test_duckdb_exports_and_imports_parquet(duckdb_warehouse, tmp_path):
    stdout = StringIO()
    call_command("generate_warehouse", "--using", duckdb_warehouse, "--export-parquet", str(tmp_path), stdout=stdout)
    with engines.registered("parquet_copy", f"duckdb://{tmp_path / 'copy.duckdb'}"):
        call_command("generate_warehouse", "--using", "parquet_copy", "--import-parquet", str(tmp_path), stdout=stdout)

        assert checksum("parquet_copy") == checksum(duckdb_warehouse)
        assert snapshot("parquet_copy") == snapshot(duckdb_warehouse)
    assert "5 Parquet files written" in stdout.getvalue()


#: A process that opens a DuckDB file for writing and keeps it, as ``generate_warehouse`` does while it loads.
HOLD_WRITE_LOCK = (
    "import sys, time, duckdb; held = duckdb.connect(sys.argv[1]); print('ready', flush=True); time.sleep(60)"
)


def test_a_duckdb_file_locked_by_a_load_is_an_error_the_table_job_tries_again(tmp_path):
    """While another process writes the embedded warehouse (``generate_warehouse``), a worker cannot open it: the
    job is retried with backoff instead of failing."""
    import subprocess
    import sys

    import duckdb

    from requests_app.production.tasks import TRANSIENT_ERRORS

    path = tmp_path / "warehouse.duckdb"
    duckdb.connect(str(path)).execute("CREATE TABLE t (x INTEGER)").close()
    writer = subprocess.Popen(
        [sys.executable, "-c", HOLD_WRITE_LOCK, str(path)],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert writer.stdout.readline().strip() == "ready"
        with pytest.raises(Exception) as locked:
            list(engines.from_url("locked", f"duckdb://{path}").rows("SELECT x FROM t", []))
        assert isinstance(locked.value, TRANSIENT_ERRORS), type(locked.value)
    finally:
        writer.kill()
        writer.wait()
