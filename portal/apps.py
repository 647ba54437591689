from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PortalConfig(AppConfig):
    name = "portal"
    verbose_name = _("Accounts")

    def ready(self):
        from django.contrib.auth.signals import user_logged_in

        from portal.middleware import staff_session_started

        user_logged_in.connect(staff_session_started, dispatch_uid="portal_staff_session_started")
