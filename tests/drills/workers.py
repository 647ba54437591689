"""A real Celery worker for the drills: the portal's tasks, the outbox's clock in seconds, the drill's broker."""

import os
from contextlib import contextmanager
from pathlib import Path

from django.conf import settings

from portal.celery import app
from tests.worker import CELERY, database_url, worker_process


def forget_broker_connections() -> None:
    """Celery keeps a pool of broker connections per process: drop it so the next publish connects anew."""
    app._pool = None
    app.amqp._producer_pool = None


@contextmanager
def drill_worker(*, broker_url: str, log: Path, beat: bool = False, extra_env: dict[str, str] | None = None):
    """A real ``celery worker`` (prefork, one child) of ``tests.drills.drill_app`` on ``broker_url`` and the
    test databases, with the outbox's clock in seconds; ``beat`` embeds beat, which sweeps the outbox every second.
    Yields the main process; stops it afterwards."""
    env = {
        **os.environ,
        "DEBUG": "0",
        "SECRET_KEY": settings.SECRET_KEY,
        "DATABASE_URL": database_url("default"),
        "WAREHOUSE_URL": database_url("warehouse"),
        "REDIS_URL": broker_url,
        "PRIVATE_FILES_ROOT": str(settings.PRIVATE_FILES_ROOT),
        "CONN_MAX_AGE": "0",
        **(extra_env or {}),
    }
    command = [str(CELERY), "-A", "tests.drills.drill_app", "worker", "--pool=prefork", "--concurrency=1"]
    command += ["--loglevel=INFO", "--without-gossip", "--without-mingle", "--without-heartbeat"]
    if beat:
        command += ["--beat", "--scheduler=celery.beat:PersistentScheduler", f"--schedule={log.parent / 'beat'}"]
    with worker_process(command, env=env, log=log) as process:
        yield process
