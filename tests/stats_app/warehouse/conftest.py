"""A second warehouse on SQLite (the embedded mode), and helpers shared by the warehouse tests."""

import contextlib
import hashlib
from collections.abc import Iterator

import pytest
from django.db import connections

from stats_app.warehouse.generate import generate
from tests.warehouse_fixtures import WAREHOUSE_PERSONS, WAREHOUSE_SEED

SQLITE_ALIAS = "warehouse_sqlite"
#: Both warehouses, for tests that must hold on either engine.
BOTH = ["warehouse", SQLITE_ALIAS]
#: The mark of tests that read them.
READS_WAREHOUSES = pytest.mark.django_db(databases=["default", "warehouse", SQLITE_ALIAS])


@contextlib.contextmanager
def sqlite_alias(alias: str, path) -> Iterator[str]:
    """A database alias on the SQLite file ``path`` for the duration of the block."""
    configured = connections.configure_settings(
        {
            "default": {"ENGINE": "django.db.backends.dummy"},
            alias: {"ENGINE": "django.db.backends.sqlite3", "NAME": str(path)},
        }
    )
    connections.settings[alias] = configured[alias]
    try:
        yield alias
    finally:
        connections[alias].close()
        del connections[alias]
        del connections.settings[alias]


@pytest.fixture(scope="session")
def sqlite_warehouse(tmp_path_factory, django_db_blocker) -> str:
    """The test warehouse generated again, same persons and seed, on a SQLite file; returns its alias."""
    path = tmp_path_factory.mktemp("warehouse") / "warehouse.sqlite3"
    with sqlite_alias(SQLITE_ALIAS, path), django_db_blocker.unblock():
        generate(persons=WAREHOUSE_PERSONS, seed=WAREHOUSE_SEED, using=SQLITE_ALIAS)
        yield SQLITE_ALIAS


@pytest.fixture
def scratch_sqlite(tmp_path, django_db_blocker):
    """Fresh SQLite databases for generator tests: ``scratch_sqlite("name")`` returns an alias."""
    with contextlib.ExitStack() as stack:
        stack.enter_context(django_db_blocker.unblock())

        def make(name: str) -> str:
            return stack.enter_context(sqlite_alias(f"scratch_{name}", tmp_path / f"{name}.sqlite3"))

        yield make


@pytest.fixture(params=BOTH)
def database(request, warehouse, sqlite_warehouse) -> str:
    """Each warehouse in turn: PostgreSQL (the test database of ``warehouse``), then SQLite."""
    return request.param


def fetch(using: str, statement: str, params=()) -> list[tuple]:
    with connections[using].cursor() as cursor:
        cursor.execute(statement, params)
        return cursor.fetchall()


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
