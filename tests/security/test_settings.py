"""Production settings pass ``check --deploy``, and refuse the embedded mode's defaults; every answer carries the
security headers and the CSP."""

import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth.hashers import get_hasher
from django.test import Client
from django.urls import reverse

BASE_DIR = Path(settings.BASE_DIR)

#: Variables each test sets itself: those that loosen the production defaults (the browser tests set
#: DJANGO_ALLOW_ASYNC_UNSAFE) and those production requires. None may leak in from the test run.
_SET_BY_THE_TEST = re.compile(
    r"^(DEBUG|SECURE_.*|SECRET_KEY|DEMO_MFA_BYPASS_CODE|VAR_DIR|DJANGO_ALLOW_ASYNC_UNSAFE"
    r"|DATABASE_URL|WAREHOUSE_URL|REDIS_URL|EMAIL_URL|PORTAL_BASE_URL|ALLOWED_HOSTS)$"
)

#: A complete production environment (``check`` connects to none of these services).
PRODUCTION = {
    "DATABASE_URL": "postgres://portal:db-password@db.internal:5432/portal",
    "WAREHOUSE_URL": "postgres://stats_reader:warehouse-password@warehouse.internal:5432/warehouse",
    "REDIS_URL": "redis://redis.internal:6379/0",
    "EMAIL_URL": "smtp+tls://portal:mail-password@smtp.agence.example:587",
    "PORTAL_BASE_URL": "https://portail.agence.example",
    "ALLOWED_HOSTS": "portail.agence.example",
}
REQUIRED = ["SECRET_KEY", *PRODUCTION]


def manage(*args: str, tmp_path: Path, **changes: str | None) -> subprocess.CompletedProcess:
    """``manage.py`` in a process of its own, with production's environment: DEBUG off, a real secret key,
    every service of ``PRODUCTION``; ``changes`` override them (``None`` leaves a variable unset)."""
    env = {name: value for name, value in os.environ.items() if not _SET_BY_THE_TEST.match(name)}
    env.update(DEBUG="0", SECRET_KEY=secrets.token_urlsafe(64), VAR_DIR=str(tmp_path / "var"), **PRODUCTION)
    env.update(changes)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=BASE_DIR,
        env={name: value for name, value in env.items() if value is not None},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def refused(result: subprocess.CompletedProcess) -> list[str]:
    """The variables production's start-up refused, in its order; fails the test if it started."""
    assert result.returncode != 0, result.stdout + result.stderr
    assert "Production (DEBUG=0) refuses to start on demo defaults" in result.stderr, result.stderr
    return re.findall(r"^- ([A-Z_]+) ", result.stderr, flags=re.MULTILINE)


def test_production_settings_pass_check_deploy_without_any_warning(tmp_path):
    result = manage("check", "--deploy", "--fail-level", "WARNING", tmp_path=tmp_path)

    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "WARNING" not in output and "?:" not in output, output
    assert "System check identified no issues" in output


def test_production_runs_on_the_services_it_is_given(tmp_path):
    shown = [
        "EMAIL_BACKEND",
        "EMAIL_HOST",
        "PORTAL_BASE_URL",
        "CELERY_BROKER_URL",
        "CACHES['default']['BACKEND']",
        "DATABASES['warehouse']['ENGINE']",
        "ALLOWED_HOSTS",
    ]
    code = "from django.conf import settings\n" + "".join(f"print(settings.{value})\n" for value in shown)

    result = manage("shell", "--verbosity=0", "--command", code, tmp_path=tmp_path)

    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "django.core.mail.backends.smtp.EmailBackend",
        "smtp.agence.example",
        "https://portail.agence.example",
        "redis://redis.internal:6379/0",
        "portal.cache.ResilientRedisCache",
        "django.db.backends.postgresql",
        "['portail.agence.example']",
    ]


@pytest.mark.parametrize("name", REQUIRED)
def test_production_refuses_to_start_without(name, tmp_path):
    result = manage("check", tmp_path=tmp_path, **{name: None})

    assert refused(result) == [name]
    assert f"- {name} is not set: " in result.stderr


def test_production_refuses_a_blank_variable_as_unset(tmp_path):
    assert refused(manage("check", tmp_path=tmp_path, ALLOWED_HOSTS=" ")) == ["ALLOWED_HOSTS"]


@pytest.mark.parametrize("name", ["DATABASE_URL", "WAREHOUSE_URL"])
def test_production_refuses_sqlite(name, tmp_path):
    result = manage("check", tmp_path=tmp_path, **{name: f"sqlite:///{tmp_path / 'portal.sqlite3'}"})

    assert refused(result) == [name]
    assert f"- {name} points at SQLite" in result.stderr


def test_production_refuses_the_tests_in_process_clickhouse_as_warehouse(tmp_path):
    result = manage("check", tmp_path=tmp_path, WAREHOUSE_URL=f"chdb://{tmp_path / 'chdb'}")

    assert refused(result) == ["WAREHOUSE_URL"]
    assert "- WAREHOUSE_URL points at chdb://, the tests' in-process ClickHouse" in result.stderr


@pytest.mark.parametrize(
    "url",
    [
        "clickhouse://stats_reader:secret@warehouse.internal:8123/stats",
        "clickhouses://stats_reader:secret@ch.internal/stats",
    ],
)
def test_production_accepts_a_clickhouse_warehouse(url, tmp_path):
    result = manage("check", "--deploy", "--fail-level", "WARNING", tmp_path=tmp_path, WAREHOUSE_URL=url)

    assert result.returncode == 0, result.stdout + result.stderr


def test_production_accepts_a_duckdb_warehouse_file(tmp_path):
    url = f"duckdb://{tmp_path / 'warehouse.duckdb'}"
    result = manage("check", "--deploy", "--fail-level", "WARNING", tmp_path=tmp_path, WAREHOUSE_URL=url)

    assert result.returncode == 0, result.stdout + result.stderr


def test_production_refuses_another_database_engine_without_showing_its_password(tmp_path):
    result = manage("check", tmp_path=tmp_path, WAREHOUSE_URL="mysql://stats:hunter2@warehouse.internal/stats")

    assert refused(result) == ["WAREHOUSE_URL"]
    assert "- WAREHOUSE_URL points at mysql://: production keeps the health data in PostgreSQL" in result.stderr
    assert "hunter2" not in result.stderr


@pytest.mark.parametrize("url", ["consolemail://", "memorymail://", "filemail:///tmp/mail", "dummymail://"])
def test_production_refuses_e_mail_that_is_not_sent(url, tmp_path):
    result = manage("check", tmp_path=tmp_path, EMAIL_URL=url)

    assert refused(result) == ["EMAIL_URL"]
    assert f"- EMAIL_URL uses {url.split(':')[0]}://, which does not send e-mail" in result.stderr


@pytest.mark.parametrize("hosts", ["portail.agence.example,testserver", "TestServer"])
def test_production_refuses_testserver_among_allowed_hosts(hosts, tmp_path):
    result = manage("check", tmp_path=tmp_path, ALLOWED_HOSTS=hosts)

    assert refused(result) == ["ALLOWED_HOSTS"]
    assert "- ALLOWED_HOSTS includes testserver" in result.stderr


@pytest.mark.parametrize("address", ["portail.agence.example", "ftp://portail.agence.example", "https://"])
def test_production_refuses_a_portal_base_url_that_is_not_an_absolute_address(address, tmp_path):
    result = manage("check", tmp_path=tmp_path, PORTAL_BASE_URL=address)

    assert refused(result) == ["PORTAL_BASE_URL"]


def test_production_names_every_missing_variable_at_once(tmp_path):
    result = manage("check", tmp_path=tmp_path, **dict.fromkeys(REQUIRED))

    assert refused(result) == REQUIRED


def test_the_embedded_mode_starts_without_any_of_them(tmp_path):
    result = manage("check", tmp_path=tmp_path, DEBUG="1", **dict.fromkeys(REQUIRED))

    assert result.returncode == 0, result.stderr
    assert "System check identified no issues" in result.stdout


def test_private_files_inside_the_static_root_stop_start_up(tmp_path):
    result = manage("check", tmp_path=tmp_path, PRIVATE_FILES_ROOT=str(tmp_path / "var" / "static" / "private"))

    assert result.returncode != 0
    assert "PRIVATE_FILES_ROOT" in result.stderr


@pytest.mark.production_hasher
def test_passwords_are_hashed_with_argon2():
    assert settings.PASSWORD_HASHERS[0] == "django.contrib.auth.hashers.Argon2PasswordHasher"
    assert get_hasher().algorithm == "argon2"


@pytest.mark.production_hasher
def test_new_password_is_stored_as_argon2(requester):
    assert requester.password.startswith("argon2$")


def _policy(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    directives = {}
    for part in header.split(";"):
        name, *values = part.split()
        directives[name] = values
    return directives


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/", "/accounts/login/", "/transparency/"])
def test_pages_carry_a_content_security_policy_without_inline_script(path):
    response = Client().get(path, follow=True)

    policy = _policy(response)
    assert policy["default-src"] == ["'self'"]
    assert policy["script-src"] == ["'self'"]
    assert policy["style-src"] == ["'self'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["form-action"] == ["'self'"]
    assert policy["object-src"] == ["'none'"]
    assert "'unsafe-inline'" not in response["Content-Security-Policy"]
    assert "'unsafe-eval'" not in response["Content-Security-Policy"]


@pytest.mark.django_db
def test_pages_carry_the_security_headers():
    response = Client().get(reverse("account_login"))

    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"


@pytest.mark.django_db
def test_https_request_gets_hsts_and_secure_cookies_in_production(settings):
    settings.SECURE_HSTS_SECONDS = 31_536_000
    settings.SESSION_COOKIE_SECURE = settings.CSRF_COOKIE_SECURE = True

    response = Client().get(reverse("account_login"), secure=True)

    assert response["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
    cookie = response.cookies[settings.CSRF_COOKIE_NAME]
    assert cookie["secure"] and cookie["httponly"] and cookie["samesite"] == "Lax"


@pytest.mark.django_db
def test_plain_http_is_redirected_to_https_in_production(settings):
    settings.SECURE_SSL_REDIRECT = True

    response = Client().get(reverse("account_login"))

    assert response.status_code == 301
    assert response["Location"].startswith("https://")
    # The load balancer's probe is answered over plain HTTP.
    assert Client().get("/healthz").status_code != 301


def _served_templates():
    """Every template a browser receives (e-mails are read in mail clients, under no CSP)."""
    for path in sorted((BASE_DIR / "templates").rglob("*.html")):
        if "emails" not in path.relative_to(BASE_DIR / "templates").parts:
            yield path


def test_templates_hold_no_inline_script_style_or_event_handler():
    offending = []
    for path in _served_templates():
        html = path.read_text()
        for pattern in (
            r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>",
            r"<style\b",
            r"\sstyle=",
            r"\son[a-z]+=",
            r"javascript:",
        ):
            offending += [f"{path.relative_to(BASE_DIR)}: {match}" for match in re.findall(pattern, html)]
    assert offending == []
