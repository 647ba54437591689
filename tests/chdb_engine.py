"""``chdb:///path``: the warehouse on chDB, ClickHouse in this process, for the tests (no server in CI).

The SQL, the settings and the typed parameters are the app's own
(``engines.ClickHouseSQLEngine``, which a production ClickHouse server gets
through clickhouse-connect); only the transport differs. chdb is a test package
(requirements-dev.txt), so this engine lives here and joins
``engines.EXTRA_ENGINES`` when the test run imports this module.
"""

import json
import os
import tempfile
import threading
from datetime import date
from pathlib import Path
from urllib.parse import unquote, urlsplit

from chdb import session

from stats_app.warehouse import engines


class ChDBEngine(engines.ClickHouseSQLEngine):
    """ClickHouse in this process (chDB), on a directory: one chDB session per process, shared."""

    _session = None
    _session_path: str | None = None
    _session_lock = threading.RLock()

    def __init__(self, alias: str, path: str | os.PathLike):
        super().__init__(alias)
        self.path = str(path)

    def _query(self, statement: str, params: dict | None = None, fmt: str = "JSONCompact"):
        cls = ChDBEngine
        with cls._session_lock:
            if cls._session is None or cls._session_path != self.path:
                if cls._session is not None:
                    cls._session.close()
                Path(self.path).mkdir(parents=True, exist_ok=True)
                cls._session = session.Session(self.path)
                cls._session_path = self.path
                for name, value in {
                    **engines.CLICKHOUSE_SETTINGS,
                    "output_format_json_quote_64bit_integers": 0,
                }.items():
                    cls._session.query(f"SET {name} = {value!r}", "TabSeparated")
            result = cls._session.query(statement, fmt, params=params or {})
            if hasattr(result, "error_message") and result.error_message():
                raise RuntimeError(result.error_message())
            return result

    def rows(self, statement, params=()):
        text, values = engines.clickhouse_bound(statement, params)
        engines.record_statement(self.alias, text, values)
        result = self._query(text, values)
        data = result.bytes() if hasattr(result, "bytes") else bytes(result)
        if not data:
            return
        answer = json.loads(data)
        dates = [
            index
            for index, column in enumerate(answer["meta"])
            if column["type"] in ("Date", "Date32", "Nullable(Date)", "Nullable(Date32)")
        ]
        for row in answer["data"]:
            for index in dates:
                if row[index] is not None:
                    row[index] = date.fromisoformat(row[index])
            yield tuple(row)

    def command(self, statement, params=()):
        text, values = engines.clickhouse_bound(statement, params)
        self._query(text, values, fmt="TabSeparated")

    def insert_text(self, table, columns, text):
        with tempfile.TemporaryDirectory(prefix="warehouse-load-") as directory:
            path = Path(directory) / "chunk.tsv"
            path.write_text(text, encoding="utf-8")
            structure = ", ".join(f"{name} {kind}" for name, kind in columns.items())
            self._query(
                f"INSERT INTO {table} ({', '.join(columns)}) "  # noqa: S608 - constant names
                f"SELECT * FROM file({{path:String}}, 'TabSeparated', {{structure:String}})",
                {"path": str(path), "structure": structure},
                fmt="TabSeparated",
            )

    def close(self):
        cls = ChDBEngine
        with cls._session_lock:
            if cls._session is not None and cls._session_path == self.path:
                cls._session.close()
                cls._session = None
                cls._session_path = None


engines.EXTRA_ENGINES["chdb"] = lambda alias, url: ChDBEngine(alias, unquote(urlsplit(url).path))
