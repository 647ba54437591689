"""A real Celery worker process for tests: Redis as broker, the test databases, the test's private folder.

The test that uses it must commit what the worker reads (a transactional test,
with the ``reference_data`` fixture), since the worker is another process.
"""

import os
import signal
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

from django.conf import settings
from django.db import connections

from portal.celery import app

ROOT = Path(__file__).resolve().parents[1]
CELERY = Path(sys.executable).with_name("celery")


def database_url(alias: str) -> str:
    database = connections[alias].settings_dict
    if database["ENGINE"] != "django.db.backends.postgresql":
        raise RuntimeError("The worker tests need PostgreSQL (make test sets DATABASE_URL and WAREHOUSE_URL).")
    host = database["HOST"] or "127.0.0.1"
    port = database["PORT"] or 5432
    user = database["USER"] or "postgres"
    return f"postgres://{user}@{host}:{port}/{database['NAME']}"


def wait_for(condition, *, timeout: float = 60, every: float = 0.2, message: str = "condition"):
    """Poll ``condition`` until it returns something truthy; fail the test after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = condition()
        if result:
            return result
        time.sleep(every)
    raise AssertionError(f"Timed out after {timeout} s waiting for {message}.")


def pool_children(pid: int) -> list[int]:
    """The worker's pool processes (Linux: the kernel lists a process's children)."""
    return [int(child) for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]


@contextmanager
def running_worker(private_root: Path, *, log: Path, extra_env: dict[str, str] | None = None, purge: bool = True):
    """Start ``celery worker`` (prefork, one process) on the test databases; stop it afterwards.

    ``extra_env`` adds or overrides environment variables (e.g. ``EMAIL_URL`` of an SMTP sink).
    ``purge=False`` keeps the messages already queued (the test queued them for this worker, and purged the
    earlier ones itself with ``app.control.purge()``). Yields the worker's main process; its pool child runs
    the tasks.
    """
    if not settings.CELERY_BROKER_URL.startswith("redis://"):
        raise RuntimeError("The worker tests need Redis (make test sets REDIS_URL).")
    if purge:
        app.control.purge()  # messages left by earlier tests name rows that no longer exist
    env = {
        **os.environ,
        "DEBUG": "0",
        "SECRET_KEY": settings.SECRET_KEY,
        "DATABASE_URL": database_url("default"),
        "WAREHOUSE_URL": database_url("warehouse"),
        "REDIS_URL": settings.CELERY_BROKER_URL,
        "PRIVATE_FILES_ROOT": str(private_root),
        "CONN_MAX_AGE": "0",
        **(extra_env or {}),
    }
    command = [str(CELERY), "-A", "portal", "worker", "--pool=prefork", "--concurrency=1", "--loglevel=INFO"]
    with worker_process(command, env=env, log=log) as process:
        yield process


@contextmanager
def worker_process(command: list[str], *, env: dict[str, str], log: Path):
    """Start a ``celery worker`` command, wait until it is ready, stop its process group afterwards."""
    with log.open("w") as output:
        process = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT, start_new_session=True
        )
        try:
            wait_for(lambda: "ready." in log.read_text() or process.poll() is not None, message="the worker to start")
            if process.poll() is not None:
                raise RuntimeError(f"The worker stopped at start-up:\n{log.read_text()[-3000:]}")
            yield process
        finally:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
