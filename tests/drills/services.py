"""Private Redis and PostgreSQL servers that a drill may stop, kill and restart.

The shared servers on 5432 and 6379 serve other people's tests: a drill never
touches them. Each helper starts a server of its own on a free port, in a
temporary folder, and removes it afterwards.
"""

import os
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

import psycopg
import redis

from tests.smtp_sink import free_port

PG_BIN = Path(os.environ.get("DRILL_PG_BIN", "/usr/lib/postgresql/15/bin"))
REDIS_SERVER = shutil.which("redis-server") or "/usr/bin/redis-server"


def _wait(condition, *, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    raise RuntimeError(f"Timed out after {timeout} s waiting for {what}.")


class PrivateRedis:
    """A ``redis-server`` subprocess with no persistence, which the drill stops and starts on the same port."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    def url(self, db: int = 0) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    def is_up(self) -> bool:
        try:
            return bool(redis.Redis(port=self.port, socket_connect_timeout=0.5).ping())
        except redis.RedisError:
            return False

    def start(self) -> None:
        log = (self.folder / "redis.log").open("a")
        command = [REDIS_SERVER, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
        command += ["--daemonize", "no", "--dir", str(self.folder)]
        self.process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        _wait(self.is_up, timeout=10, what=f"Redis on port {self.port}")

    def stop(self, sig: int = signal.SIGKILL) -> None:
        """Stop the server (SIGKILL by default: a crash, nothing flushed)."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(sig)
            self.process.wait(timeout=10)
        self.process = None


@contextmanager
def private_redis() -> Iterator[PrivateRedis]:
    """A Redis server of the drill's own, started; stopped and removed afterwards."""
    folder = Path(tempfile.mkdtemp(prefix="drill-redis-"))
    server = PrivateRedis(folder)
    server.start()
    try:
        yield server
    finally:
        server.stop()
        shutil.rmtree(folder, ignore_errors=True)


class PrivatePostgres:
    """A PostgreSQL cluster of the drill's own (``initdb`` in a temporary folder, trust authentication).

    PostgreSQL refuses to run as root: when the drill runs as root, the cluster
    belongs to the ``postgres`` system user and its commands run through ``runuser``.
    """

    def __init__(self, folder: Path):
        self.folder = folder
        self.data = folder / "data"
        self.log = folder / "postgres.log"
        self.port = free_port()
        self.as_user = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []

    def _run(self, *command: str, check: bool = True) -> subprocess.CompletedProcess:
        return subprocess.run([*self.as_user, *command], capture_output=True, text=True, check=check, timeout=120)

    def init(self) -> None:
        if self.as_user:
            shutil.chown(self.folder, user="postgres")
        self._run(str(PG_BIN / "initdb"), "-D", str(self.data), "-U", "postgres", "--auth=trust", "-N", "-E", "UTF8")

    def pg_ctl(self, action: str, *extra: str) -> None:
        options = f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=60"
        self._run(
            str(PG_BIN / "pg_ctl"), action, "-D", str(self.data), "-o", options, "-l", str(self.log), "-w", *extra
        )

    def start(self) -> None:
        self.pg_ctl("start")

    def restart(self, mode: str = "fast") -> None:
        self.pg_ctl("restart", "-m", mode)

    def stop(self, mode: str = "fast") -> None:
        self.pg_ctl("stop", "-m", mode)

    def url(self, database: str = "postgres") -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{database}"

    def create_database(self, name: str) -> str:
        with psycopg.connect(self.url(), autocommit=True) as connection:
            connection.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def is_up(self) -> bool:
        try:
            with psycopg.connect(self.url(), connect_timeout=1) as connection:
                connection.execute("SELECT 1")
            return True
        except psycopg.Error:
            return False


@contextmanager
def private_postgres() -> Iterator[PrivatePostgres]:
    """A PostgreSQL cluster of the drill's own, started; stopped and removed afterwards."""
    folder = Path(tempfile.mkdtemp(prefix="drill-pg-"))
    cluster = PrivatePostgres(folder)
    try:
        cluster.init()
        cluster.start()
        yield cluster
    finally:
        with suppress(subprocess.SubprocessError, OSError):
            cluster.pg_ctl("stop", "-m", "immediate")
        shutil.rmtree(folder, ignore_errors=True)
