"""The Celery application.

Configuration lives in Django settings under the ``CELERY_`` namespace (see
``portal/settings.py``), so the worker and the web process read one source.
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

app = Celery("portal")
app.config_from_object("django.conf:settings", namespace="CELERY")
# Production's tasks live in a package of requests_app, which autodiscovery would not look into by itself.
app.autodiscover_tasks()
app.autodiscover_tasks(["requests_app.production"])
