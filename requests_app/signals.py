"""Keep a custodian's representatives in its group whenever an account is saved."""

from django.conf import settings
from django.db.models.signals import post_save
from django.dispatch import receiver

from requests_app.permissions import sync_custodian_group


@receiver(post_save, sender=settings.AUTH_USER_MODEL, dispatch_uid="sync_custodian_group")
def _user_saved(sender, instance, raw=False, **kwargs):
    if not raw:
        sync_custodian_group(instance)
