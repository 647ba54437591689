"""``python manage.py audit_verify``: recompute the audit trail's hash chain; name the first broken link."""

from django.core.management.base import BaseCommand, CommandError

from portal import trail


class Command(BaseCommand):
    help = "Recompute the audit trail's hash chain and record the verification; fail naming the first broken link."

    def handle(self, *args, **options):
        result = trail.verify()
        if not result.intact:
            raise CommandError(f"The audit trail is broken at event #{result.first_broken}: {result.problem}.")
        head = f", newest #{result.head_sequence} {result.head_hash[:12]}…" if result.head_sequence else ""
        self.stdout.write(f"The audit trail holds: {result.events} events{head}.")
