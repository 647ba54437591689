"""The runtime contract: /healthz, settings from the environment, roles as groups."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.contrib.auth.models import Group

from portal.roles import Role

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.django_db(databases=["default", "warehouse"])
def test_healthz_reports_every_service_up(client):
    response = client.get("/healthz")

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["database"]["ok"] and body["warehouse"]["ok"]
    assert body["broker"] == {"ok": True, "mode": "redis"}


@pytest.mark.django_db(databases=["default", "warehouse"])
def test_healthz_answers_503_when_the_broker_is_unreachable(client, settings):
    settings.REDIS_URL = "redis://127.0.0.1:9/0"  # nothing listens on the discard port

    response = client.get("/healthz")

    assert response.status_code == 503
    assert response.json()["broker"]["ok"] is False


@pytest.mark.django_db(databases=["default", "warehouse"])
def test_healthz_reports_embedded_mode_without_redis(client, settings):
    settings.REDIS_URL = ""

    assert client.get("/healthz").json()["broker"] == {"ok": True, "mode": "embedded"}


def _start_django(env_overrides: dict) -> subprocess.CompletedProcess:
    env = {key: value for key, value in os.environ.items() if key not in {"SECRET_KEY", "DEBUG"}}
    env.update(env_overrides)
    return subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        cwd=ROOT,
        env={**env, "DJANGO_SETTINGS_MODULE": "portal.settings"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_production_refuses_to_start_without_secret_key():
    result = _start_django({"DEBUG": "0"})

    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_development_starts_without_secret_key():
    assert _start_django({"DEBUG": "1"}).returncode == 0


def test_every_role_exists_as_a_group(db):
    assert set(Group.objects.values_list("name", flat=True)) >= {role.value for role in Role}


def test_auditor_may_read_but_not_change_cases(db):
    auditor = Group.objects.get(name=Role.AUDITOR)
    codenames = set(auditor.permissions.values_list("codename", flat=True))

    assert "view_datarequest" in codenames
    # Verifying the audit trail is the auditor's one act: it appends a verification record and changes nothing else.
    assert {name for name in codenames if not name.startswith("view_")} == {"verify_auditevent"}
