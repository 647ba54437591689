"""The portal project: settings, URLs, Celery app, and the accounts it serves."""

from portal.celery import app as celery_app

#: Written into every output's metadata (``table.json``).
__version__ = "0.4.0"

__all__ = ("__version__", "celery_app")
