"""The warehouse's engines: one small interface over PostgreSQL, DuckDB and ClickHouse.

The statistics code never opens a database itself: it asks ``engine_for(using)``
for the warehouse's ``Engine`` and hands it statements built from the registry
(``schema.REGISTRY``) with ``%s`` parameters. An engine

- runs one statement and streams its rows back (``rows``), read-only;
- says which tables exist (``table_names``), from which ``schema.snapshot``
  reads the metadata of the load;
- loads the synthetic data (``writing``: a transaction where the engine has
  one, and a bulk loader per table);
- renders a statement in its dialect (``render``, with sqlglot), for reading.

Engines, chosen from ``WAREHOUSE_URL``'s scheme (``from_url``):

- ``postgres://…``: PostgreSQL through Django's ``warehouse`` connection, as before;
- ``duckdb:///path/file.duckdb``: DuckDB, embedded (the default, under ``var/``),
  opened read-only for every read, with ``memory_limit``, ``threads`` and
  ``temp_directory`` from the settings (``WAREHOUSE_DUCKDB``);
- ``clickhouse://user:password@host:8123/database`` (``clickhouses://`` for TLS):
  a ClickHouse server or cluster through clickhouse-connect;
- ``chdb:///path``: ClickHouse in-process (chDB), the same SQL as a server gets,
  for the tests only: chdb is a test package, so its engine lives in
  ``tests/chdb_engine.py`` and joins ``EXTRA_ENGINES`` when the tests load it.

Parameters never become SQL text: PostgreSQL and DuckDB bind them, ClickHouse
receives them as typed server-side parameters (``{p0:String}``).
"""

from __future__ import annotations

import contextlib
import os
import re
import tempfile
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import parse_qsl, unquote, urlsplit

from django.conf import settings

#: Schemes of ``WAREHOUSE_URL`` -> engine name.
SCHEMES = {
    "postgres": "postgresql",
    "postgresql": "postgresql",
    "pgsql": "postgresql",
    "psql": "postgresql",
    "duckdb": "duckdb",
    "clickhouse": "clickhouse",
    "clickhouses": "clickhouse",
    "chdb": "chdb",
}
#: Rows fetched at a time while streaming.
FETCH_ROWS = 10_000
#: ClickHouse's settings for every table computation: margins as NULL (told apart by GROUPING()), and exact
#: distinct counts (``COUNT(DISTINCT)`` as ``uniqExact``, never an approximate ``uniq``).
CLICKHOUSE_SETTINGS = {
    "group_by_use_nulls": 1,
    "count_distinct_implementation": "uniqExact",
    "join_use_nulls": 1,
}

_TOKENS = re.compile(r"%(s|%)")
_captures: list[list[tuple[str, str, list]]] = []


@contextmanager
def captured_statements() -> Iterator[list[tuple[str, str, list]]]:
    """Every read any engine runs during the block, as (alias, SQL as sent, parameters) (for tests and audits)."""
    captured: list[tuple[str, str, list]] = []
    _captures.append(captured)
    try:
        yield captured
    finally:
        _captures.remove(captured)


def record_statement(alias: str, statement: str, params) -> None:
    for captured in _captures:
        captured.append((alias, statement, list(params.values()) if isinstance(params, dict) else list(params)))


def engine_name(url: str) -> str | None:
    """The engine ``url`` names, or None for a scheme no engine serves."""
    return SCHEMES.get(urlsplit(url).scheme.lower())


def _bound(statement: str, params: Sequence, placeholder) -> tuple[str, list]:
    """``statement`` with each ``%s`` replaced by ``placeholder(index, value)`` and ``%%`` by ``%``."""
    params = list(params)
    values = iter(enumerate(params))
    used = 0

    def replace(match: re.Match) -> str:
        nonlocal used
        if match.group(1) == "%":
            return "%"
        try:
            index, value = next(values)
        except StopIteration:
            raise ValueError("More %s than parameters.") from None
        used += 1
        return placeholder(index, value)

    text = _TOKENS.sub(replace, statement)
    if used != len(params):
        raise ValueError("More parameters than %s.")
    return text, params


class Engine:
    """What the statistics code needs of a warehouse. Subclasses: one per engine."""

    #: The key of ``schema.COLUMN_TYPES`` and of the SQL variants in ``query``.
    name: str = ""
    #: sqlglot's name for the dialect.
    dialect: str = ""

    def __init__(self, alias: str):
        self.alias = alias

    def rows(self, statement: str, params: Sequence = ()) -> Iterator[tuple]:
        """The rows of one read-only statement, streamed."""
        raise NotImplementedError

    def table_names(self) -> set[str]:
        raise NotImplementedError

    @contextmanager
    def writing(self) -> Iterator[Writer]:
        """A writer for a load; on PostgreSQL and DuckDB one transaction (a failed load leaves the old one)."""
        raise NotImplementedError
        yield

    def ping(self) -> None:
        """Raise when the warehouse cannot be reached."""
        list(self.rows("SELECT 1"))

    def render(self, statement: str) -> str:
        """``statement`` (written for PostgreSQL) in this engine's dialect, for reading and comparing."""
        import sqlglot

        return sqlglot.transpile(statement, read="postgres", write=self.dialect)[0]

    def close(self) -> None:
        """Let go of any open handle (the next call opens again)."""


class Writer:
    """Statements and bulk loads inside ``Engine.writing``."""

    def execute(self, statement: str, params: Sequence = ()) -> None:
        raise NotImplementedError

    @contextmanager
    def table(self, table: str, columns: dict[str, str]):
        """A function writing a chunk of rows (one numpy array per column) into ``table``.

        ``columns``: the columns written, in order, each with its type in this engine's SQL.
        """
        raise NotImplementedError
        yield


# --- PostgreSQL, through Django ------------------------------------------------------------------------------------


class PostgresEngine(Engine):
    name = "postgresql"
    dialect = "postgres"
    #: Memory PostgreSQL may use per sort or hash while computing a table (the server default, 4 MB, spills).
    work_mem = "64MB"

    @property
    def connection(self):
        from django.db import connections

        connection = connections[self.alias]
        if connection.vendor != "postgresql":
            raise NotImplementedError(
                f"The warehouse runs on PostgreSQL, DuckDB or ClickHouse, not {connection.vendor}."
            )
        return connection

    @contextmanager
    def cursor(self, *, read_only: bool = True):
        """A cursor inside a transaction that may use ``work_mem`` and, if ``read_only``, only read.

        Both settings last until that transaction ends (the caller's, when there is one).
        """
        from django.db import transaction

        connection = self.connection
        with transaction.atomic(using=self.alias), connection.cursor() as cursor:
            if read_only:
                cursor.execute("SET LOCAL transaction_read_only = on")
            cursor.execute(f"SET LOCAL work_mem = '{self.work_mem}'")
            yield cursor

    def rows(self, statement, params=()):
        record_statement(self.alias, statement, params)
        with self.cursor() as cursor:
            cursor.execute(statement, list(params))
            while batch := cursor.fetchmany(FETCH_ROWS):
                yield from batch

    def table_names(self):
        connection = self.connection
        with connection.cursor() as cursor:
            return set(connection.introspection.table_names(cursor))

    @contextmanager
    def writing(self):
        from django.db import transaction

        with transaction.atomic(using=self.alias), self.connection.cursor() as cursor:
            yield _PostgresWriter(cursor)


def _copy_text(columns: list) -> str:
    """Rows as tab-separated text (the generated values hold no tab, newline or backslash)."""
    import numpy as np

    string = np.dtypes.StringDType()
    line = columns[0].astype(string)
    for column in columns[1:]:
        line = np.strings.add(np.strings.add(line, "\t"), column.astype(string))
    return "".join(np.strings.add(line, "\n").tolist())


class _PostgresWriter(Writer):
    """COPY per table; a background thread sends while the next chunk is generated."""

    def __init__(self, cursor):
        self.cursor = cursor

    def execute(self, statement, params=()):
        self.cursor.execute(statement, list(params))

    @contextmanager
    def table(self, table, columns):
        from psycopg.copy import QueuedLibpqWriter  # only PostgreSQL deployments need psycopg

        statement = f"COPY {table} ({', '.join(columns)}) FROM STDIN"
        raw_cursor = self.cursor.cursor  # psycopg's own, under Django's wrapper
        with raw_cursor.copy(statement, writer=QueuedLibpqWriter(raw_cursor)) as copy:
            yield lambda arrays: copy.write(_copy_text(arrays))


# --- DuckDB, embedded ----------------------------------------------------------------------------------------------


def duckdb_config() -> dict[str, str]:
    """``memory_limit``, ``threads`` and ``temp_directory`` from the settings (``WAREHOUSE_DUCKDB``)."""
    configured = dict(getattr(settings, "WAREHOUSE_DUCKDB", {}))
    config = {
        "memory_limit": str(configured.get("memory_limit") or "2GB"),
        "threads": str(configured.get("threads") or 2),
    }
    temp_directory = configured.get("temp_directory") or str(Path(settings.VAR_DIR) / "duckdb-tmp")
    config["temp_directory"] = str(temp_directory)
    return config


class DuckDBEngine(Engine):
    """A DuckDB file: opened read-only for every read, read-write only while ``writing``."""

    name = "duckdb"
    dialect = "duckdb"

    def __init__(self, alias: str, path: str | os.PathLike):
        super().__init__(alias)
        self.path = Path(path)
        self._lock = threading.Lock()

    def _connect(self, *, read_only: bool):
        import duckdb

        config = duckdb_config()
        Path(config["temp_directory"]).mkdir(parents=True, exist_ok=True)
        if not read_only:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        return duckdb.connect(str(self.path), read_only=read_only, config=config)

    @staticmethod
    def _placeholder(_index, _value) -> str:
        return "?"

    def rows(self, statement, params=()):
        text, values = _bound(statement, params, self._placeholder)
        record_statement(self.alias, text, values)
        connection = self._connect(read_only=True)
        try:
            cursor = connection.execute(text, values)
            while batch := cursor.fetchmany(FETCH_ROWS):
                yield from batch
        finally:
            connection.close()

    def table_names(self):
        if not self.path.exists():
            return set()
        return {name for (name,) in self.rows("SELECT table_name FROM information_schema.tables")}

    def ping(self):
        if self.path.exists():
            super().ping()
        elif not self.path.parent.is_dir():
            raise FileNotFoundError(self.path.parent)

    @contextmanager
    def writing(self):
        with self._lock:
            connection = self._connect(read_only=False)
            try:
                connection.execute("BEGIN TRANSACTION")
                yield _DuckDBWriter(connection)
                connection.execute("COMMIT")
            except BaseException:
                with contextlib.suppress(Exception):
                    connection.execute("ROLLBACK")
                raise
            finally:
                connection.close()


def quoted_path(path: Path) -> str:
    """A path of ours as an SQL string literal's content (DuckDB takes no parameter for a file name)."""
    return str(path).replace("'", "''")


class _DuckDBWriter(Writer):
    """Chunks go through a tab-separated file that DuckDB's CSV reader loads (no pandas, no row by row)."""

    def __init__(self, connection):
        self.connection = connection

    def execute(self, statement, params=()):
        text, values = _bound(statement, params, DuckDBEngine._placeholder)
        self.connection.execute(text, values)

    @contextmanager
    def table(self, table, columns):
        with tempfile.TemporaryDirectory(prefix="warehouse-load-") as directory:
            path = Path(directory) / "chunk.tsv"
            names = ", ".join(columns)
            types = "{" + ", ".join(f"'{name}': '{kind}'" for name, kind in columns.items()) + "}"

            def write(arrays) -> None:
                path.write_text(_copy_text(arrays), encoding="utf-8")
                self.connection.execute(
                    f"INSERT INTO {table} ({names}) SELECT * FROM read_csv('{quoted_path(path)}', "  # noqa: S608
                    f"delim = '\t', header = false, quote = '', escape = '', "
                    f"columns = {types})"
                )

            yield write


# --- ClickHouse: a server or cluster (clickhouse-connect), or in-process (chDB) -------------------------------------


def _clickhouse_placeholder(index: int, value) -> str:
    if isinstance(value, bool):
        return f"{{p{index}:Bool}}"
    if isinstance(value, int):
        return f"{{p{index}:Int64}}"
    if isinstance(value, str):
        return f"{{p{index}:String}}"
    raise TypeError(f"No ClickHouse parameter type for {type(value).__name__}.")


def clickhouse_bound(statement: str, params: Sequence) -> tuple[str, dict]:
    text, values = _bound(statement, params, _clickhouse_placeholder)
    return text, {f"p{index}": value for index, value in enumerate(values)}


class ClickHouseSQLEngine(Engine):
    """What every ClickHouse shares, whatever carries the statements: the SQL, the settings, typed parameters."""

    dialect = "clickhouse"
    name = "clickhouse"

    def table_names(self):
        return {table for (table,) in self.rows("SHOW TABLES")}

    @contextmanager
    def writing(self):
        # ClickHouse has no transaction: a load drops and rebuilds the tables (see README, the cluster recipe).
        yield _ClickHouseWriter(self)

    def command(self, statement: str, params: Sequence = ()) -> None:
        raise NotImplementedError

    def insert_text(self, table: str, columns: dict[str, str], text: str) -> None:
        raise NotImplementedError


class _ClickHouseWriter(Writer):
    def __init__(self, engine: ClickHouseSQLEngine):
        self.engine = engine

    def execute(self, statement, params=()):
        self.engine.command(statement, params)

    @contextmanager
    def table(self, table, columns):
        yield lambda arrays: self.engine.insert_text(table, columns, _copy_text(arrays))


class ClickHouseEngine(ClickHouseSQLEngine):
    """A ClickHouse server (or a cluster's entry point) through clickhouse-connect, over HTTP(S)."""

    def __init__(self, alias: str, url: str):
        super().__init__(alias)
        parts = urlsplit(url)
        options = dict(parse_qsl(parts.query))
        self.connect_args = {
            "host": parts.hostname or "localhost",
            "port": parts.port or (8443 if parts.scheme == "clickhouses" else 8123),
            "username": unquote(parts.username or "default"),
            "password": unquote(parts.password or ""),
            "database": parts.path.lstrip("/") or "default",
            "secure": parts.scheme == "clickhouses",
            **options,
        }
        self._client = None

    @property
    def client(self):
        if self._client is None:
            import clickhouse_connect

            self._client = clickhouse_connect.get_client(**self.connect_args, settings=CLICKHOUSE_SETTINGS)
        return self._client

    def rows(self, statement, params=()):
        text, values = clickhouse_bound(statement, params)
        record_statement(self.alias, text, values)
        with self.client.query_rows_stream(text, parameters=values, settings={"readonly": 2}) as stream:
            yield from (tuple(row) for row in stream)

    def command(self, statement, params=()):
        text, values = clickhouse_bound(statement, params)
        self.client.command(text, parameters=values)

    def insert_text(self, table, columns, text):
        self.client.raw_insert(table, list(columns), insert_block=text.encode(), fmt="TabSeparated")

    def close(self):
        if self._client is not None:
            self._client.close()
            self._client = None


# --- Which engine --------------------------------------------------------------------------------------------------


#: Engines added at run time, by engine name: the tests' chDB (``tests/chdb_engine.py``). Each takes (alias, url).
EXTRA_ENGINES: dict[str, Callable[[str, str], Engine]] = {}


def from_url(alias: str, url: str) -> Engine:
    """The engine ``url`` names, for the alias ``alias``."""
    name = engine_name(url)
    parts = urlsplit(url)
    if name in EXTRA_ENGINES:
        return EXTRA_ENGINES[name](alias, url)
    if name == "duckdb":
        return DuckDBEngine(alias, unquote(parts.path))
    if name == "chdb":
        raise NotImplementedError(
            "chdb:// is the tests' in-process ClickHouse (tests/chdb_engine.py), not a warehouse."
        )
    if name == "clickhouse":
        return ClickHouseEngine(alias, url)
    if name == "postgresql":
        return PostgresEngine(alias)
    raise NotImplementedError(f"No warehouse engine for {parts.scheme}:// (PostgreSQL, DuckDB or ClickHouse).")


_engines: dict[str, Engine] = {}
_engines_lock = threading.Lock()


def engine_for(using: str = "warehouse") -> Engine:
    """The engine of the warehouse ``using``: a registered alias, a Django database alias, or the settings'."""
    from django.db import connections

    with _engines_lock:
        if using in _engines:
            return _engines[using]
        if using in connections.settings:
            return PostgresEngine(using)
        if using == "warehouse" and getattr(settings, "WAREHOUSE_URL", ""):
            _engines[using] = from_url(using, settings.WAREHOUSE_URL)
            return _engines[using]
    raise KeyError(f"No warehouse “{using}”.")


def register(alias: str, url: str) -> Engine:
    """Make ``alias`` name the warehouse at ``url`` (tests, benchmarks, a second warehouse)."""
    engine = from_url(alias, url)
    with _engines_lock:
        _engines[alias] = engine
    return engine


def unregister(alias: str) -> None:
    with _engines_lock:
        engine = _engines.pop(alias, None)
    if engine is not None:
        engine.close()


@contextmanager
def registered(alias: str, url: str) -> Iterator[Engine]:
    """``register`` for the duration of the block."""
    engine = register(alias, url)
    try:
        yield engine
    finally:
        unregister(alias)


def exists(using: str) -> bool:
    try:
        engine_for(using)
    except KeyError:
        return False
    return True


def transient_errors() -> tuple[type[BaseException], ...]:
    """The engines' errors worth another try: a DuckDB file locked while a load rewrites it, a ClickHouse server
    briefly unreachable. (PostgreSQL's are Django's ``OperationalError`` and ``InterfaceError``.)"""
    import duckdb
    from clickhouse_connect.driver.exceptions import OperationalError as ClickHouseUnreachable

    return (duckdb.IOException, ClickHouseUnreachable)
