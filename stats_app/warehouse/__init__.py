"""The health-data warehouse: its schema, a synthetic generator, and tables computed in the database.

``schema`` defines the tables and the registry of expressions a table may use,
``generate`` fills a synthetic warehouse, ``query.compute_table`` computes a
table with all its margins. Everything goes through ``engines.engine_for(using)``
(PostgreSQL, DuckDB or ClickHouse, from ``WAREHOUSE_URL``), by default the
``warehouse`` alias.
"""
