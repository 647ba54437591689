"""The warehouse's tables, their indexes, and the registry of what a table may be computed from.

No Django model lives in the warehouse (``stats_app.routers`` never migrates it):
the tables are created by ``generate`` from the definitions below, on
PostgreSQL, DuckDB or ClickHouse (``engines``).

Dimension columns hold exactly the catalogue's category codes, as text: ``year``
is ``'2022'``, ``region`` is ``'06'``, ``age_group`` is ``'18-34'``, ``sex`` is
``'F'``, and so on. Nothing maps codes to and from the database, so a category
staff add to the catalogue simply has no rows yet. On PostgreSQL those columns
use the ``"C"`` collation: grouping and sorting compare bytes, which is what
codes need and several times faster than a linguistic collation. On ClickHouse
they are ``LowCardinality(String)``, and the fact tables are ``MergeTree``
tables ordered by a hash of the person (``cityHash64(person_key)``): the key a
cluster shards them by behind a ``Distributed`` table (README, the cluster
recipe), so that each person's rows live on one shard and per-shard exact
distinct counts add up.

The **registry** is the only source of SQL identifiers for the table
computation: a dataset code names a fact table, a measure kind an aggregate, a
dimension code a column. Identifying columns (names, address, postal code, date
of birth, insurance number) live only in ``insured_person`` and appear nowhere
in the registry, so no table specification can reach them. Persons are counted
through ``person_key``, an internal pseudonymous key that is never a dimension
and never leaves the database.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from stats_app.warehouse.engines import engine_for

PERSON_TABLE = "insured_person"
SNAPSHOT_TABLE = "warehouse_snapshot"
#: The pseudonymous key every fact row carries: counted, never grouped by or shown.
PERSON_KEY = "person_key"

#: Columns of ``insured_person`` that identify a person. None may appear in the registry.
IDENTIFYING_COLUMNS = frozenset(
    {"insurance_number", "first_name", "last_name", "date_of_birth", "street_address", "city", "postal_code"}
)


@dataclass(frozen=True)
class Column:
    name: str
    #: A key of ``COLUMN_TYPES[vendor]``.
    kind: str
    #: An SQL CHECK condition on the column, valid on every engine ("" for none).
    check: str = ""


COLUMN_TYPES = {
    "postgresql": {
        "key": "bigint PRIMARY KEY",
        "bigint": "bigint",
        "integer": "integer",
        "date": "date",
        "code": 'text COLLATE "C"',
        "text": "text",
        "timestamp": "timestamptz",
    },
    # DuckDB: no key index (an ART index slows the load and serves no GROUP BY); the load time as ISO text.
    "duckdb": {
        "key": "BIGINT",
        "bigint": "BIGINT",
        "integer": "INTEGER",
        "date": "DATE",
        "code": "VARCHAR",
        "text": "VARCHAR",
        "timestamp": "VARCHAR",
    },
    "clickhouse": {
        "key": "Int64",
        "bigint": "Int64",
        "integer": "Int32",
        "date": "Date32",  # Date starts in 1970: births are older
        "code": "LowCardinality(String)",
        "text": "String",
        "timestamp": "String",
    },
}
#: ClickHouse's table engines: the fact tables ordered by the person hash they are sharded by on a cluster.
CLICKHOUSE_PERSON_HASH = f"cityHash64({PERSON_KEY})"


@dataclass(frozen=True)
class WarehouseTable:
    name: str
    columns: tuple[Column, ...]
    #: Columns indexed one by one, after the load (see ``index_statements``).
    indexed: tuple[str, ...] = ()
    #: Whether ``person_key`` references ``insured_person``.
    references_persons: bool = False

    @property
    def column_names(self) -> list[str]:
        return [column.name for column in self.columns]


_SEX = Column("sex", "code", "sex IN ('F', 'M')")
_YEAR = Column("year", "code")
_REGION = Column("region", "code")
_AGE_GROUP = Column("age_group", "code")
_PERSON = Column(PERSON_KEY, "bigint")

# Indexes: a GROUP BY over a large part of a fact table is a sequential scan
# feeding a hash aggregate whatever the indexes; they serve the selective
# filters. Fact rows are loaded year after year, so ``year`` follows the
# physical order (correlation ~1 after ANALYZE) and a filter on a few years
# reads only their contiguous pages through the ``year`` index. The other
# dimension columns are spread over every page: their single-column indexes help
# only for rare categories (the small regions 10, 17, 18, a rare class or
# chapter), and PostgreSQL combines them with the year index (BitmapAnd), which
# covers any combination of filters where composite indexes would cover one.
# ``sex`` is never selective and has no index.
TABLES: tuple[WarehouseTable, ...] = (
    WarehouseTable(
        PERSON_TABLE,
        (
            Column(PERSON_KEY, "key"),
            Column("insurance_number", "text"),
            Column("first_name", "text"),
            Column("last_name", "text"),
            Column("date_of_birth", "date"),
            _SEX,
            Column("street_address", "text"),
            Column("city", "text"),
            Column("postal_code", "text"),
            _REGION,
        ),
    ),
    WarehouseTable(
        "medical_service",
        (
            Column("service_id", "key"),
            _PERSON,
            Column("service_date", "date"),
            _YEAR,
            Column("act_code", "code"),
            Column("specialty", "code"),
            _REGION,
            _AGE_GROUP,
            _SEX,
            Column("amount_paid_cents", "bigint", "amount_paid_cents >= 0"),
        ),
        indexed=("year", "region", "age_group", "specialty"),
        references_persons=True,
    ),
    WarehouseTable(
        "drug_claim",
        (
            Column("claim_id", "key"),
            _PERSON,
            Column("claim_date", "date"),
            _YEAR,
            Column("drug_class", "code"),
            _REGION,
            _AGE_GROUP,
            _SEX,
            Column("amount_paid_cents", "bigint", "amount_paid_cents >= 0"),
        ),
        indexed=("year", "region", "age_group", "drug_class"),
        references_persons=True,
    ),
    WarehouseTable(
        "hospital_stay",
        (
            Column("stay_id", "key"),
            _PERSON,
            Column("admission_date", "date"),
            _YEAR,
            Column("diagnosis_chapter", "code"),
            Column("length_of_stay_days", "integer", "length_of_stay_days >= 1"),
            _REGION,
            _AGE_GROUP,
            _SEX,
        ),
        indexed=("year", "region", "age_group", "diagnosis_chapter"),
        references_persons=True,
    ),
    WarehouseTable(
        SNAPSHOT_TABLE,
        (
            Column("snapshot_date", "date"),
            Column("loaded_at", "timestamp"),
            Column("seed", "bigint"),
            Column("persons", "bigint"),
            Column("medical_service_rows", "bigint"),
            Column("drug_claim_rows", "bigint"),
            Column("hospital_stay_rows", "bigint"),
            Column("generator_version", "text"),
            Column("dataset_version", "text"),
        ),
    ),
)
TABLES_BY_NAME = MappingProxyType({table.name: table for table in TABLES})


def _clickhouse_order(table: WarehouseTable) -> str:
    key = table.columns[0].name
    if table.references_persons:
        return f"ORDER BY ({CLICKHOUSE_PERSON_HASH}, {key})"
    if table.columns[0].kind == "key":
        return f"ORDER BY {key}"
    return "ORDER BY tuple()"


def column_types(vendor: str, table: str, names: list[str]) -> dict[str, str]:
    """``names`` of ``table``'s columns, each with its type on ``vendor`` (for the bulk loaders)."""
    kinds = {column.name: column.kind for column in TABLES_BY_NAME[table].columns}
    return {name: COLUMN_TYPES[vendor][kinds[name]].split()[0] for name in names}


def create_table_statements(vendor: str) -> list[str]:
    """CREATE TABLE statements, without indexes or foreign keys on PostgreSQL (added after the load)."""
    types = COLUMN_TYPES[vendor]
    statements = []
    for table in TABLES:
        lines = []
        for column in table.columns:
            if vendor == "clickhouse":
                lines.append(f"{column.name} {types[column.kind]}")
                if column.check:
                    lines.append(f"CONSTRAINT {column.name}_check CHECK {column.check}")
                continue
            check = f" CHECK ({column.check})" if column.check else ""
            lines.append(f"{column.name} {types[column.kind]} NOT NULL{check}")
        suffix = f" ENGINE = MergeTree {_clickhouse_order(table)}" if vendor == "clickhouse" else ""
        statements.append(f"CREATE TABLE {table.name} (\n    " + ",\n    ".join(lines) + "\n)" + suffix)
    return statements


def index_statements(vendor: str) -> list[str]:
    """PostgreSQL's indexes and foreign keys, built once the rows are in: far faster than maintaining them.

    DuckDB and ClickHouse scan columns with min/max zone maps and need none.
    """
    if vendor != "postgresql":
        return []
    statements = []
    for table in TABLES:
        if table.references_persons:
            statements.append(
                f"ALTER TABLE {table.name} ADD CONSTRAINT {table.name}_{PERSON_KEY}_fk "
                f"FOREIGN KEY ({PERSON_KEY}) REFERENCES {PERSON_TABLE} ({PERSON_KEY})"
            )
        statements.extend(
            f"CREATE INDEX {table.name}_{column}_idx ON {table.name} ({column})" for column in table.indexed
        )
    return statements


def drop_table_statements(vendor: str) -> list[str]:
    cascade = " CASCADE" if vendor == "postgresql" else ""
    return [f"DROP TABLE IF EXISTS {table.name}{cascade}" for table in reversed(TABLES)]


def existing_tables(using: str = "warehouse") -> set[str]:
    """The warehouse tables present in the warehouse ``using``."""
    return engine_for(using).table_names() & set(TABLES_BY_NAME)


def snapshot(using: str = "warehouse") -> dict | None:
    """What the loaded warehouse is: the metadata every output carries, or ``None`` when nothing is loaded.

    Keys: ``snapshot_date`` (ISO date the data stands as of), ``loaded_at`` (ISO
    timestamp), ``seed``, ``persons``, ``medical_service_rows``,
    ``drug_claim_rows``, ``hospital_stay_rows``, ``generator_version``,
    ``dataset_version`` (one label naming generator, seed and size).
    """
    if SNAPSHOT_TABLE not in existing_tables(using):
        return None
    columns = TABLES_BY_NAME[SNAPSHOT_TABLE].column_names
    statement = f"SELECT {', '.join(columns)} FROM {SNAPSHOT_TABLE}"  # noqa: S608 - constant identifiers
    rows = list(engine_for(using).rows(statement))
    if not rows:
        return None
    row = rows[0]
    values = dict(zip(columns, row, strict=True))
    for name in ("snapshot_date", "loaded_at"):
        if not isinstance(values[name], str):
            values[name] = values[name].isoformat()
    for name in ("seed", "persons", "medical_service_rows", "drug_claim_rows", "hospital_stay_rows"):
        values[name] = int(values[name])
    return values


# --- The registry ------------------------------------------------------------------------------------------------


class UnknownExpression(LookupError):
    """A dataset, dimension or measure kind the registry does not offer: nothing was run."""


@dataclass(frozen=True)
class DimensionColumn:
    column: str
    #: True when each person falls in exactly one category across the whole table (so distinct counts add up).
    partitions_persons: bool


@dataclass(frozen=True)
class FactTable:
    table: str
    person_column: str
    #: The column summed by the ``amount`` measure, or None when the dataset has no amount.
    amount_column: str | None
    #: Measure kind -> the aggregate computing it over the rows of a cell.
    measures: Mapping[str, str]
    #: Dimension code -> column.
    dimensions: Mapping[str, DimensionColumn]


def _fact_table(table: str, *, amount_column: str | None, specific_dimension: str) -> FactTable:
    measures = {"distinct_persons": f"COUNT(DISTINCT {PERSON_KEY})", "events": "COUNT(*)"}
    if amount_column:
        measures["amount"] = f"SUM({amount_column})"
    dimensions = {
        "year": DimensionColumn("year", partitions_persons=False),
        "region": DimensionColumn("region", partitions_persons=False),  # where the service was given
        "age_group": DimensionColumn("age_group", partitions_persons=False),  # a person ages over the years
        "sex": DimensionColumn("sex", partitions_persons=True),  # fixed per person
        specific_dimension: DimensionColumn(specific_dimension, partitions_persons=False),
    }
    return FactTable(
        table=table,
        person_column=PERSON_KEY,
        amount_column=amount_column,
        measures=MappingProxyType(measures),
        dimensions=MappingProxyType(dimensions),
    )


#: Dataset code -> fact table: every identifier the table computation may put in SQL.
REGISTRY: Mapping[str, FactTable] = MappingProxyType(
    {
        "medical_services": _fact_table(
            "medical_service", amount_column="amount_paid_cents", specific_dimension="specialty"
        ),
        "prescription_drugs": _fact_table(
            "drug_claim", amount_column="amount_paid_cents", specific_dimension="drug_class"
        ),
        "hospital_stays": _fact_table("hospital_stay", amount_column=None, specific_dimension="diagnosis_chapter"),
    }
)


def registry_expressions() -> list[str]:
    """Every identifier and expression the registry can put into SQL (for the safety checks)."""
    expressions = []
    for fact in REGISTRY.values():
        expressions += [fact.table, fact.person_column, *fact.measures.values()]
        if fact.amount_column:
            expressions.append(fact.amount_column)
        expressions += [dimension.column for dimension in fact.dimensions.values()]
    return expressions
