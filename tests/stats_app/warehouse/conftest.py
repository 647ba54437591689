"""Helpers shared by the warehouse tests; the warehouses themselves are in tests/warehouse_fixtures.py."""

import contextlib
import hashlib

import pytest

from stats_app.warehouse import engines
from tests.warehouse_fixtures import CHDB_ALIAS, DUCKDB_ALIAS, ENGINES

#: Every engine's warehouse, for tests that must hold on each.
ALL_ENGINES = ENGINES
#: The mark of tests that read them (only PostgreSQL's is a Django database).
READS_WAREHOUSES = pytest.mark.django_db(databases=["default", "warehouse"])

__all__ = ["ALL_ENGINES", "CHDB_ALIAS", "DUCKDB_ALIAS", "READS_WAREHOUSES", "checksum", "fetch"]


@pytest.fixture
def database(warehouse_engine) -> str:
    """Each warehouse in turn: PostgreSQL (the test database of ``warehouse``), DuckDB, then chDB."""
    return warehouse_engine


#: The embedded engines a test can make fresh warehouses on (a fresh PostgreSQL database each would be slow).
SCRATCH_URLS = {"duckdb": "duckdb://{path}.duckdb", "chdb": "chdb://{path}"}


@pytest.fixture(params=list(SCRATCH_URLS))
def scratch_warehouse(request, tmp_path):
    """Fresh warehouses for generator tests, on DuckDB then chDB: ``scratch_warehouse("name")`` returns an alias."""
    with contextlib.ExitStack() as stack:

        def make(name: str) -> str:
            alias = f"scratch_{name}"
            url = SCRATCH_URLS[request.param].format(path=tmp_path / name)
            stack.enter_context(engines.registered(alias, url))
            return alias

        yield make


def fetch(using: str, statement: str, params=()) -> list[tuple]:
    return list(engines.engine_for(using).rows(statement, params))


def checksum(using: str) -> str:
    """A digest of every row of every warehouse table, in key order, independent of the engine."""
    digest = hashlib.sha256()
    for table, key in [
        ("insured_person", "person_key"),
        ("medical_service", "service_id"),
        ("drug_claim", "claim_id"),
        ("hospital_stay", "stay_id"),
    ]:
        for row in fetch(using, f"SELECT * FROM {table} ORDER BY {key}"):  # noqa: S608 - constant names
            digest.update(repr(tuple(str(value) for value in row)).encode())
    return digest.hexdigest()
