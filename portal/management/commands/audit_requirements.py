"""Audit the pinned requirements for known vulnerabilities (``make lint``).

Runs ``pip-audit`` on ``requirements.txt`` as pinned (no resolution, no pip) and
fails on any known vulnerability. pip-audit skips, and does not fail on, a
package the advisory service does not answer for; when it answers for none
(the service cannot be reached from this machine), this command says so loudly
with a WARNING instead of a reassuring "no known vulnerabilities", and passes:
it cannot audit, but it does not pretend to have.
"""

import json
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError


@dataclass
class AuditSummary:
    audited: list[str] = field(default_factory=list)
    #: "name version: advisory (fixed in ...)" per vulnerability.
    vulnerabilities: list[str] = field(default_factory=list)
    #: name -> why pip-audit could not audit it.
    skipped: dict[str, str] = field(default_factory=dict)

    @property
    def nothing_audited(self) -> bool:
        return not self.audited and bool(self.skipped)


def summarise(report: dict) -> AuditSummary:
    """Read pip-audit's JSON report."""
    summary = AuditSummary()
    for dependency in report.get("dependencies", []):
        name = dependency["name"]
        if "skip_reason" in dependency:
            summary.skipped[name] = dependency["skip_reason"]
            continue
        summary.audited.append(name)
        for vulnerability in dependency.get("vulns", []):
            fixed = ", ".join(vulnerability.get("fix_versions") or []) or "no fixed version"
            summary.vulnerabilities.append(
                f"{name} {dependency.get('version', '?')}: {vulnerability['id']} (fixed in {fixed})"
            )
    return summary


class Command(BaseCommand):
    help = "Fail on any known vulnerability of the pinned requirements (pip-audit)."

    def add_arguments(self, parser):
        parser.add_argument("--requirements", default=str(Path(settings.BASE_DIR) / "requirements.txt"))
        parser.add_argument("--service", default="pypi", choices=["pypi", "osv"], help="advisory service")

    def handle(self, *args, requirements: str, service: str, **options):
        command = [
            sys.executable,
            "-m",
            "pip_audit",
            "--requirement",
            requirements,
            "--no-deps",
            "--disable-pip",
            "--vulnerability-service",
            service,
            "--format",
            "json",
            "--progress-spinner",
            "off",
        ]
        result = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603
        try:
            report = json.loads(result.stdout)
        except json.JSONDecodeError:
            raise CommandError(f"pip-audit failed (exit {result.returncode}):\n{result.stderr.strip()}") from None
        summary = summarise(report)
        if summary.vulnerabilities:
            raise CommandError(
                f"{len(summary.vulnerabilities)} known vulnerabilities in {requirements}:\n  "
                + "\n  ".join(summary.vulnerabilities)
            )
        if summary.nothing_audited:
            self.stderr.write(
                self.style.WARNING(
                    f"WARNING: the advisory service ({service}) could not be reached or answered for none of the "
                    f"{len(summary.skipped)} requirements: NOTHING WAS AUDITED. "
                    f"First reason: {next(iter(summary.skipped.values()))}"
                )
            )
            return
        if summary.skipped:
            self.stderr.write(
                self.style.WARNING(
                    f"WARNING: {len(summary.skipped)} requirements could not be audited: "
                    + ", ".join(sorted(summary.skipped))
                )
            )
        self.stdout.write(f"{len(summary.audited)} requirements audited: no known vulnerability.")
