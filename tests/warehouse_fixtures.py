"""The synthetic warehouse the statistics tests read, generated once per run.

Tests that read it ask for the ``warehouse`` fixture and mark themselves
``@pytest.mark.django_db(databases=["default", "warehouse"])``; tests that must
hold on every engine ask for ``warehouse_engine`` instead, which gives in turn
the alias of the PostgreSQL warehouse, of the same data on DuckDB and on chDB
(in-process ClickHouse): the same persons, the same seed, the same rows. pytest-django
then creates the test database of the ``warehouse`` alias with the others (no
model is migrated into it; the fixture creates it itself should no collected
test name the alias). The warehouse is generated outside any test transaction
and committed, so that a Celery worker in another process, pointed at the same
test database, reads the same rows.
"""

import pytest
from django.conf import settings
from django.db import connections

from stats_app.warehouse import engines
from stats_app.warehouse.generate import GENERATOR_VERSION, generate
from stats_app.warehouse.schema import snapshot
from tests import chdb_engine  # noqa: F401 - makes chdb:// an engine

WAREHOUSE_ALIAS = "warehouse"
DUCKDB_ALIAS = "warehouse_duckdb"
CHDB_ALIAS = "warehouse_chdb"
#: Every engine's warehouse alias, for tests that must hold on each.
ENGINES = [WAREHOUSE_ALIAS, DUCKDB_ALIAS, CHDB_ALIAS]
ENGINE_IDS = ["postgresql", "duckdb", "chdb"]
WAREHOUSE_PERSONS = 3_000
WAREHOUSE_SEED = 20261128

#: The configured (non-test) database name, read before pytest-django swaps in the test database.
_CONFIGURED_NAME = settings.DATABASES[WAREHOUSE_ALIAS]["NAME"]


@pytest.fixture(scope="session")
def warehouse(request, django_db_setup, django_db_blocker, django_db_keepdb) -> dict:
    """The test warehouse (3 000 persons, seed 20261128), committed; returns its snapshot."""
    connection = connections[WAREHOUSE_ALIAS]
    with django_db_blocker.unblock():
        if connection.settings_dict["NAME"] == _CONFIGURED_NAME:
            # No collected test named the alias, so pytest-django left the real database in place.
            original_name = connection.settings_dict["NAME"]
            connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False, keepdb=django_db_keepdb)

            def destroy() -> None:
                with django_db_blocker.unblock():
                    connection.creation.destroy_test_db(original_name, verbosity=0, keepdb=django_db_keepdb)

            request.addfinalizer(destroy)
        loaded = snapshot(WAREHOUSE_ALIAS)
        wanted = (WAREHOUSE_SEED, WAREHOUSE_PERSONS, GENERATOR_VERSION)
        if loaded is None or (loaded["seed"], loaded["persons"], loaded["generator_version"]) != wanted:
            loaded = generate(persons=WAREHOUSE_PERSONS, seed=WAREHOUSE_SEED, using=WAREHOUSE_ALIAS, replace=True)
    return loaded


def _generated(alias: str, url: str):
    engines.register(alias, url)
    generate(persons=WAREHOUSE_PERSONS, seed=WAREHOUSE_SEED, using=alias)
    return alias


@pytest.fixture(scope="session")
def duckdb_warehouse(tmp_path_factory):
    """The test warehouse generated again, same persons and seed, in a DuckDB file; returns its alias."""
    path = tmp_path_factory.mktemp("duckdb") / "warehouse.duckdb"
    yield _generated(DUCKDB_ALIAS, f"duckdb://{path}")
    engines.unregister(DUCKDB_ALIAS)


@pytest.fixture(scope="session")
def chdb_warehouse(tmp_path_factory):
    """The test warehouse generated again in chDB, the ClickHouse a server runs, in this process; returns its alias."""
    path = tmp_path_factory.mktemp("chdb") / "warehouse"
    yield _generated(CHDB_ALIAS, f"chdb://{path}")
    engines.unregister(CHDB_ALIAS)


@pytest.fixture(params=ENGINES, ids=ENGINE_IDS)
def warehouse_engine(request, warehouse) -> str:
    """Each warehouse in turn (PostgreSQL, DuckDB, chDB), the same data in each; returns its alias."""
    if request.param == DUCKDB_ALIAS:
        request.getfixturevalue("duckdb_warehouse")
    elif request.param == CHDB_ALIAS:
        request.getfixturevalue("chdb_warehouse")
    return request.param
