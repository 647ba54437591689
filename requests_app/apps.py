from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RequestsAppConfig(AppConfig):
    name = "requests_app"
    verbose_name = _("Data-access requests")

    def ready(self) -> None:
        from requests_app import signals  # noqa: F401  (connects the receivers)
