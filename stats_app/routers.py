"""Keep the warehouse apart: no Django model lives there and nothing migrates it.

The warehouse is read by raw, catalogue-resolved SQL from the statistics code
only, through its engine (``stats_app.warehouse.engines``); on PostgreSQL that is
Django's ``connections["warehouse"]``, which this router keeps out of migrations.
"""

WAREHOUSE_ALIAS = "warehouse"


class WarehouseRouter:
    def db_for_read(self, model, **hints):
        return "default"

    def db_for_write(self, model, **hints):
        return "default"

    def allow_relation(self, obj1, obj2, **hints):
        return None

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db != WAREHOUSE_ALIAS
