"""Production settings pass ``check --deploy``; every answer carries the security headers and the CSP."""

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

#: Variables that loosen the production defaults (the browser tests set DJANGO_ALLOW_ASYNC_UNSAFE): none may
#: leak into the production-like run.
_LOOSENERS = re.compile(
    r"^(DEBUG|SECURE_.*|SECRET_KEY|DEMO_MFA_BYPASS_CODE|ALLOWED_HOSTS|VAR_DIR|DJANGO_ALLOW_ASYNC_UNSAFE)$"
)


def manage(*args: str, tmp_path: Path, **extra_env: str) -> subprocess.CompletedProcess:
    """``manage.py`` in a process of its own, with production's environment: DEBUG off, a real secret key."""
    env = {name: value for name, value in os.environ.items() if not _LOOSENERS.match(name)}
    env.update(DEBUG="0", SECRET_KEY=secrets.token_urlsafe(64), VAR_DIR=str(tmp_path / "var"), **extra_env)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_production_settings_pass_check_deploy_without_any_warning(tmp_path):
    result = manage("check", "--deploy", "--fail-level", "WARNING", tmp_path=tmp_path)

    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "WARNING" not in output and "?:" not in output, output
    assert "System check identified no issues" in output


def test_private_files_inside_the_static_root_stop_start_up(tmp_path):
    result = manage("check", tmp_path=tmp_path, PRIVATE_FILES_ROOT=str(tmp_path / "var" / "static" / "private"))

    assert result.returncode != 0
    assert "PRIVATE_FILES_ROOT" in result.stderr


def test_passwords_are_hashed_with_argon2():
    assert settings.PASSWORD_HASHERS[0] == "django.contrib.auth.hashers.Argon2PasswordHasher"
    assert get_hasher().algorithm == "argon2"


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
