"""The portal's Celery app with the outbox's clock compressed, for drills that wait for retries and sweeps.

``celery -A tests.drills.drill_app worker -B`` runs the real tasks and the real
beat schedule entry of the sweep, with minutes turned into seconds: the task's
backoff (``RETRY_FIRST_DELAY``, ``RETRY_MAX_DELAY``), the sweep's grace period
(``SWEEP_AFTER``) and the sweep's period. Nothing else differs from production.
"""

import os
from datetime import timedelta

import django

from portal.celery import app

django.setup()

from requests_app.notifications import outbox  # noqa: E402 - needs the apps loaded

# The outbox module reads these (the package only re-exports them).
outbox.RETRY_FIRST_DELAY = timedelta(seconds=float(os.environ.get("DRILL_RETRY_FIRST_SECONDS", "1")))
outbox.RETRY_MAX_DELAY = timedelta(seconds=float(os.environ.get("DRILL_RETRY_MAX_SECONDS", "4")))
outbox.SWEEP_AFTER = timedelta(seconds=float(os.environ.get("DRILL_SWEEP_AFTER_SECONDS", "3")))
app.conf.beat_schedule = {
    "notifications-sweep-outbox": {
        "task": "requests_app.tasks.sweep_outbox",
        "schedule": float(os.environ.get("DRILL_SWEEP_EVERY_SECONDS", "1")),
    },
}

__all__ = ["app"]
