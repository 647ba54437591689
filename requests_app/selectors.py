"""Reads of cases, filtered by permission in SQL."""

from requests_app.permissions import requests_visible_to


def my_requests(user):
    """The requester's own requests, newest first."""
    return requests_visible_to(user).filter(requester=user).order_by("-created_at")
