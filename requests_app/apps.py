from importlib import import_module

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RequestsAppConfig(AppConfig):
    name = "requests_app"
    verbose_name = _("Data-access requests")

    def import_models(self) -> None:
        """Django imports ``requests_app.models``; production's models live in their own package.

        Imported here rather than from ``models.py``, so that the case's models do not import production
        (which imports them): no circle between the two.
        """
        super().import_models()
        import_module(f"{self.name}.production.models")

    def ready(self) -> None:
        from requests_app import signals  # noqa: F401  (connects the receivers)
