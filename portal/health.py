"""Reachability of the services the portal depends on, for ``/healthz``."""

from django.conf import settings
from django.db import connections


def _database(alias: str) -> dict:
    try:
        with connections[alias].cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as error:  # noqa: BLE001 - any failure means "down", reported as such
        return {"ok": False, "error": type(error).__name__}
    return {"ok": True}


def _broker() -> dict:
    if not settings.REDIS_URL:
        return {"ok": True, "mode": "embedded"}
    import redis

    try:
        redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=2, socket_timeout=2).ping()
    except redis.RedisError as error:
        return {"ok": False, "mode": "redis", "error": type(error).__name__}
    return {"ok": True, "mode": "redis"}


def _warehouse() -> dict:
    from stats_app.warehouse.engines import engine_for

    try:
        engine = engine_for("warehouse")
        engine.ping()
    except Exception as error:  # noqa: BLE001 - any failure means "down", reported as such
        return {"ok": False, "error": type(error).__name__}
    return {"ok": True, "engine": engine.name}


def check_services() -> dict:
    return {"database": _database("default"), "broker": _broker(), "warehouse": _warehouse()}
