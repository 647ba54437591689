"""The Celery application.

Configuration lives in Django settings under the ``CELERY_`` namespace (see
``portal/settings.py``), so the worker and the web process read one source.
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

app = Celery("portal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
