"""Drill: PostgreSQL restarted under load (``make drills`` only: about a minute, timing-dependent).

gunicorn (2 workers) serves the portal from a PostgreSQL cluster of the drill's
own; requesters submit their drafts and staff browse the workspace from
threads while the cluster is restarted (``pg_ctl stop -m fast``, 3 s down, ``start``). During the
restart the portal answers with its own error page, quickly, never a traceback
nor a hang; afterwards it recovers by itself; and no case is corrupted.
"""

import json
import os
import re
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests
from django.conf import settings

from tests.drills.services import private_postgres, private_redis
from tests.smtp_sink import free_port
from tests.worker import ROOT, wait_for

pytestmark = [pytest.mark.drill, pytest.mark.slow_drill]

#: Seconds of load before the restart, and after it; seconds the cluster stays down.
BEFORE, AFTER = 8, 12
DOWN_SECONDS = 3
#: No answer may take longer than this (a hang), even during the restart.
ANSWER_TIMEOUT = 10
#: Once the cluster is back, every request succeeds within this many seconds.
RECOVERY_SECONDS = 5
CSRF_TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
LEAKS = ("Traceback", "OperationalError", "psycopg", "InterfaceError", 'File "/')


@dataclass
class Answer:
    at: float
    who: str
    path: str
    status: int  # 0: no answer (refused, reset, timed out)
    seconds: float
    body: str = ""


def _run(command: list[str], env: dict, **options) -> subprocess.CompletedProcess:
    return subprocess.run(command, cwd=ROOT, env=env, check=True, capture_output=True, text=True, **options)


class Load:
    """Requesters submitting their drafts (a form page, then the POST) and staff browsing, in threads."""

    def __init__(self, base: str, data: dict):
        self.base = base
        self.data = data
        self.answers: list[Answer] = []
        self.stop = threading.Event()
        self.started = time.monotonic()
        self._lock = threading.Lock()

    def _get(self, session: requests.Session, who: str, path: str, method: str = "GET", **options) -> Answer:
        began = time.monotonic()
        try:
            response = session.request(
                method, self.base + path, timeout=ANSWER_TIMEOUT, allow_redirects=False, **options
            )
            answer = Answer(began - self.started, who, path, response.status_code, time.monotonic() - began)
            answer.body = response.text if response.status_code >= 500 else ""
            answer.page = response.text
        except requests.RequestException as error:
            answer = Answer(began - self.started, who, path, 0, time.monotonic() - began, body=type(error).__name__)
            answer.page = ""
        with self._lock:
            self.answers.append(answer)
        return answer

    def _session(self, cookie: str) -> requests.Session:
        session = requests.Session()
        session.cookies.set(self.data["cookie"], cookie)
        return session

    def requester(self, index: int, person: dict) -> None:
        session = self._session(person["session"])
        drafts = list(person["drafts"])
        while not self.stop.is_set() and drafts:
            pk = drafts[0]
            page = self._get(session, f"requester {index}", f"/requests/{pk}/review/")
            token = CSRF_TOKEN.search(page.page)
            if page.status == 200 and token:
                posted = self._get(
                    session,
                    f"requester {index}",
                    f"/requests/{pk}/submit/",
                    method="POST",
                    data={"csrfmiddlewaretoken": token.group(1)},
                    headers={"Referer": f"{self.base}/requests/{pk}/review/"},
                )
                if posted.status == 302:
                    self._get(session, f"requester {index}", f"/requests/{pk}/acknowledgement/")
                    drafts.pop(0)
            elif page.status == 302:  # submitted already (the POST's answer was lost): the review page moves on
                drafts.pop(0)
            self._get(session, f"requester {index}", "/requests/")
            time.sleep(2)  # the drafts last past the restart, so that some are submitted during it

    def staff(self, index: int, cookie: str) -> None:
        session = self._session(cookie)
        cases = self.data["cases"]
        turn = 0
        while not self.stop.is_set():
            self._get(session, f"staff {index}", "/workspace/?queue=all")
            self._get(session, f"staff {index}", f"/workspace/cases/{cases[turn % len(cases)]}/")
            turn += 1
            time.sleep(0.3)

    def run(self) -> list[threading.Thread]:
        threads = [
            threading.Thread(target=self.requester, args=item, daemon=True)
            for item in enumerate(self.data["requesters"])
        ]
        threads += [
            threading.Thread(target=self.staff, args=item, daemon=True) for item in enumerate(self.data["staff"])
        ]
        for thread in threads:
            thread.start()
        return threads


def test_postgres_restarted_under_load_the_portal_fails_cleanly_recovers_alone_and_corrupts_nothing(tmp_path):
    with private_postgres() as cluster, private_redis() as broker:
        # EMAIL_URL, PORTAL_BASE_URL and ALLOWED_HOSTS are the test run's: no worker runs here, notices stay queued.
        env = {
            **os.environ,
            "DEBUG": "0",
            "SECRET_KEY": settings.SECRET_KEY,
            "SECURE_COOKIES": "0",
            "DATABASE_URL": cluster.create_database("portal"),
            "WAREHOUSE_URL": cluster.create_database("warehouse"),
            "REDIS_URL": broker.url(0),
            "PRIVATE_FILES_ROOT": str(tmp_path / "private"),
            "LOG_LEVEL": "WARNING",
        }
        _run([sys.executable, "manage.py", "migrate", "--noinput", "-v0"], env)
        data_file = tmp_path / "load.json"
        _run([sys.executable, "-m", "tests.drills.portal_data", "prepare", str(data_file)], env)
        data = json.loads(data_file.read_text())

        port = free_port()
        base = f"http://127.0.0.1:{port}"
        gunicorn = Path(sys.executable).with_name("gunicorn")
        command = [str(gunicorn), "portal.wsgi:application", f"--bind=127.0.0.1:{port}", "--workers=2"]
        command += ["--threads=4", "--worker-class=gthread", "--timeout=30", "--keep-alive=30"]
        with (tmp_path / "gunicorn.log").open("w") as log:
            server = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
            try:
                wait_for(lambda: _healthy(base), timeout=60, message="gunicorn")
                load = Load(base, data)
                threads = load.run()
                time.sleep(BEFORE)
                restart_began = time.monotonic() - load.started
                # pg_ctl restart -m fast takes a fraction of a second here: stop, stay down a while, start.
                cluster.stop("fast")
                time.sleep(DOWN_SECONDS)
                cluster.start()
                restart_ended = time.monotonic() - load.started
                time.sleep(AFTER)
                load.stop.set()
                for thread in threads:
                    thread.join(timeout=ANSWER_TIMEOUT + 5)
                healthz = requests.get(f"{base}/healthz", timeout=5)
            finally:
                server.terminate()
                server.wait(timeout=30)
        report = json.loads(_run([sys.executable, "-m", "tests.drills.portal_data", "check"], env).stdout)

    answers = sorted(load.answers, key=lambda answer: answer.at)
    failures = [answer for answer in answers if answer.status == 0 or answer.status >= 500]
    # The portal's answers during the restart: its own error page, never a traceback; never a hang.
    assert all(answer.seconds < ANSWER_TIMEOUT for answer in answers), "a request hung"
    for answer in failures:
        assert answer.status in (0, 500, 503), answer
        assert not any(leak in answer.body for leak in LEAKS), answer.body[:2000]
        if answer.status:
            assert "The portal had a problem" in answer.body or "Le portail" in answer.body, answer.body[:500]
    # Failures only around the restart; then the portal recovers by itself.
    assert all(restart_began - 1 <= answer.at <= restart_ended + RECOVERY_SECONDS for answer in failures), [
        (round(answer.at, 2), answer.path, answer.status) for answer in failures
    ]
    after = [answer for answer in answers if answer.at > restart_ended + RECOVERY_SECONDS]
    assert after and all(answer.status in (200, 302) for answer in after), [
        (round(answer.at, 2), answer.who, answer.path, answer.status)
        for answer in after
        if answer.status not in (200, 302)
    ]
    assert healthz.status_code == 200
    # Nothing corrupted, nothing half-submitted.
    assert report["problems"] == []
    submitted = report["counts"].get("received", 0) - 1  # one received case was made by the preparation
    assert submitted > 0
    last_failure = max((answer.at for answer in failures), default=restart_ended)
    print(
        f"\npostgres restart under load: {len(answers)} requests, {len(failures)} failed cleanly "
        f"({sorted({answer.status for answer in failures})}; {sum(a.path.endswith('/submit/') for a in failures)} "
        f"of them submissions), restart took {restart_ended - restart_began:.1f} s, "
        f"last failure {max(0.0, last_failure - restart_ended):.1f} s after the cluster was back, "
        f"slowest answer {max(answer.seconds for answer in answers):.1f} s, {submitted} drafts submitted, "
        f"cases {report['counts']}"
    )


def _healthy(base: str) -> bool:
    try:
        return requests.get(f"{base}/healthz", timeout=2).status_code == 200
    except requests.RequestException:
        return False
