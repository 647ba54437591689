"""The web load run: the portal under gunicorn on loopback, driven by locust (``locustfile.py``).

``prepare_sessions`` signs the load's people in, in the bench database
(sessions made by Django's test client, as a login would make them; staff
accounts have TOTP enrolled, which is what ``StaffMFAMiddleware`` asks for).
``run`` starts gunicorn (2 workers), runs locust headless, stops gunicorn and
returns locust's figures.
"""

import csv
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib.auth.models import Group
from django.db import transaction
from django.test import Client

from portal.models import User
from portal.roles import Role
from requests_app.models import DataRequest, Notification
from tests.bench.management.commands.generate_cases import LEADS, bench_email

LOCUSTFILE = Path(__file__).with_name("locustfile.py")


def _session(user) -> dict:
    client = Client()
    client.force_login(user)
    return {
        "email": user.email,
        "cookie_name": settings.SESSION_COOKIE_NAME,
        "session": client.cookies[settings.SESSION_COOKIE_NAME].value,
    }


def _load_requesters(count: int) -> list[User]:
    """The requesters of the load run (``bench-load-NNNNN@bench.example``), without the cases of a previous run."""
    emails = [bench_email("load", number) for number in range(1, count + 1)]
    existing = {user.email: user for user in User.objects.filter(email__in=emails)}
    group = Group.objects.get(name=Role.REQUESTER.value)
    for email in emails:
        if email not in existing:
            user = User.objects.create_user(email=email, first_name="Ada", last_name="Charge", language="fr")
            user.groups.add(group)
            EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
            existing[email] = user
    with transaction.atomic():
        Notification.objects.filter(request__requester__in=existing.values()).delete()
        DataRequest.objects.filter(requester__in=existing.values()).delete()
    return [existing[email] for email in emails]


def prepare_sessions(*, staff: int, requesters: int, path: Path) -> None:
    """Write the load's session cookies to ``path``: officers and leads (``staff``), and ``requesters``."""
    leads = min(LEADS, max(1, staff // 6))
    people = [User.objects.get(email=bench_email("lead", n)) for n in range(1, leads + 1)]
    people += [User.objects.get(email=bench_email("officer", n)) for n in range(1, staff - leads + 1)]
    sessions = {
        "staff": [_session(user) for user in people],
        "requesters": [_session(user) for user in _load_requesters(requesters)],
    }
    path.write_text(json.dumps(sessions), encoding="utf-8")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_until_up(url: str, process: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError("gunicorn stopped while starting: see var/bench/gunicorn.log")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 - our loopback server
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    raise RuntimeError(f"gunicorn did not answer {url} within {timeout} s")


def _figures(prefix: Path) -> dict:
    """Locust's summary: every request together, and each kind of request."""
    with open(f"{prefix}_stats.csv", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))

    def figures(row: dict) -> dict:
        return {
            "requests": int(row["Request Count"]),
            "errors": int(row["Failure Count"]),
            "rps": round(float(row["Requests/s"]), 1),
            "p50_ms": float(row["50%"]),
            "p95_ms": float(row["95%"]),
            "p99_ms": float(row["99%"]),
        }

    return {
        "all": next(figures(row) for row in rows if row["Name"] == "Aggregated"),
        "by_request": {row["Name"]: figures(row) for row in rows if row["Name"] != "Aggregated"},
    }


def run(*, staff: int, requesters: int, seconds: int, workers: int, threads: int, folder: Path) -> dict:
    folder.mkdir(parents=True, exist_ok=True)
    sessions = folder / "sessions.json"
    prepare_sessions(staff=staff, requesters=requesters, path=sessions)
    port = _free_port()
    host = f"http://127.0.0.1:{port}"
    env = {**os.environ, "DEBUG": "0", "LOG_LEVEL": "WARNING"}
    venv_bin = Path(sys.executable).parent
    with open(folder / "gunicorn.log", "w", encoding="utf-8") as log:
        server = subprocess.Popen(
            [
                str(venv_bin / "gunicorn"),
                "portal.wsgi:application",
                f"--bind=127.0.0.1:{port}",
                f"--workers={workers}",
                f"--threads={threads}",
                "--worker-class=gthread",
                "--log-level=warning",
                # Longer than the load's pauses: the client never reuses a connection the server is closing.
                "--keep-alive=30",
            ],
            cwd=settings.BASE_DIR,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            _wait_until_up(f"{host}/healthz", server)
            prefix = folder / "locust"
            locust = subprocess.run(
                [
                    str(venv_bin / "locust"),
                    f"--locustfile={LOCUSTFILE}",
                    "--headless",
                    f"--users={staff + requesters}",
                    f"--spawn-rate={staff + requesters}",
                    f"--run-time={seconds}s",
                    f"--host={host}",
                    f"--csv={prefix}",
                    "--only-summary",
                    "--stop-timeout=10",
                    "--loglevel=WARNING",
                ],
                cwd=settings.BASE_DIR,
                env={**env, "BENCH_SESSIONS": str(sessions)},
                capture_output=True,
                text=True,
                check=False,
            )
            (folder / "locust.log").write_text(locust.stdout + locust.stderr, encoding="utf-8")
        finally:
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=30)
    result = _figures(prefix)
    submitted = DataRequest.objects.filter(requester__email__startswith="bench-load-").exclude(status="draft")
    result.update(
        {
            "seconds": seconds,
            "staff_users": staff,
            "requester_users": requesters,
            "gunicorn": f"{workers} workers × {threads} threads (gthread)",
            "requests_submitted": submitted.count(),
        }
    )
    return result
