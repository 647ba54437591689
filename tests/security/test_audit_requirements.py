"""``make lint``'s audit of the pinned requirements: fails on a vulnerability, never passes silently."""

import json
import subprocess

import pytest
from django.core.management import CommandError, call_command

from portal.management.commands import audit_requirements

VULNERABLE = {
    "dependencies": [
        {"name": "django", "version": "5.2.0", "vulns": [{"id": "PYSEC-0000-1", "fix_versions": ["5.2.1"]}]},
        {"name": "whitenoise", "version": "6.12.0", "vulns": []},
    ],
    "fixes": [],
}
UNREACHABLE = {
    "dependencies": [
        {"name": "django", "skip_reason": "Dependency not found on PyPI and could not be audited: django (5.2.19)"},
        {"name": "whitenoise", "skip_reason": "Dependency not found on PyPI and could not be audited"},
    ],
    "fixes": [],
}
CLEAN = {"dependencies": [{"name": "django", "version": "5.2.19", "vulns": []}], "fixes": []}


@pytest.fixture
def pip_audit_answers(monkeypatch):
    """pip-audit's JSON report, as if the advisory service had answered this."""

    def answer(report: dict, returncode: int = 0) -> None:
        def run(command, **kwargs):
            assert "--no-deps" in command and "--disable-pip" in command
            return subprocess.CompletedProcess(command, returncode, stdout=json.dumps(report), stderr="")

        monkeypatch.setattr(audit_requirements.subprocess, "run", run)

    return answer


def test_summary_lists_each_vulnerability_with_its_fix():
    summary = audit_requirements.summarise(VULNERABLE)

    assert summary.vulnerabilities == ["django 5.2.0: PYSEC-0000-1 (fixed in 5.2.1)"]
    assert summary.audited == ["django", "whitenoise"]


def test_a_vulnerability_fails_the_audit(pip_audit_answers):
    pip_audit_answers(VULNERABLE, returncode=1)

    with pytest.raises(CommandError, match="PYSEC-0000-1"):
        call_command("audit_requirements")


def test_unreachable_service_warns_that_nothing_was_audited(pip_audit_answers, capsys):
    pip_audit_answers(UNREACHABLE)

    call_command("audit_requirements")

    assert "NOTHING WAS AUDITED" in capsys.readouterr().err


def test_clean_report_says_how_many_were_audited(pip_audit_answers, capsys):
    pip_audit_answers(CLEAN)

    call_command("audit_requirements")

    assert "1 requirements audited: no known vulnerability." in capsys.readouterr().out


def test_pip_audit_failure_fails_the_audit(monkeypatch):
    monkeypatch.setattr(
        audit_requirements.subprocess,
        "run",
        lambda command, **kwargs: subprocess.CompletedProcess(command, 2, stdout="", stderr="boom"),
    )

    with pytest.raises(CommandError, match="boom"):
        call_command("audit_requirements")
