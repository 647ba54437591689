from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class StatsAppConfig(AppConfig):
    name = "stats_app"
    verbose_name = _("Statistics catalogue")
