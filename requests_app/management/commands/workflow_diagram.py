"""Print the case's state diagram (Mermaid), generated from requests_app.workflow.TRANSITIONS."""

from django.core.management.base import BaseCommand

from requests_app.workflow import mermaid_diagram


class Command(BaseCommand):
    help = "Print the state diagram of a case as Mermaid, from the workflow table."

    def handle(self, *args, **options):
        self.stdout.write(mermaid_diagram())
