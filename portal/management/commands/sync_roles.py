"""``python manage.py sync_roles``: make the role groups hold exactly ``portal.roles.ROLE_PERMISSIONS``."""

from django.apps import apps
from django.contrib.auth.management import create_permissions
from django.core.management.base import BaseCommand

from portal.roles import apply_roles


class Command(BaseCommand):
    help = "Give each role's group exactly the permissions of portal.roles.ROLE_PERMISSIONS; say what changed."

    def handle(self, *args, **options):
        for app_config in apps.get_app_configs():
            create_permissions(app_config, verbosity=0)
        changes = apply_roles()
        if not changes:
            self.stdout.write("Every role already holds exactly its permissions.")
        for role, (added, removed) in sorted(changes.items()):
            for name in sorted(added):
                self.stdout.write(f"{role}: + {name}")
            for name in sorted(removed):
                self.stdout.write(f"{role}: - {name}")
