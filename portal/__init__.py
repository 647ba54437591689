"""The portal project: settings, URLs, Celery app, and the accounts it serves."""

from portal.celery import app as celery_app

__all__ = ("celery_app",)
