"""Helpers for the requester's pages: URLs, posts, and reading what a page shows."""

import re
from html import unescape

from django.test import Client
from django.urls import reverse
from django.utils.html import escape

from requests_app.models import DataRequest, Status
from tests import factories


def speak_english(user):
    type(user).objects.filter(pk=user.pk).update(language="en")
    user.language = "en"
    return user


def client_for(user) -> Client:
    client = Client()
    client.force_login(speak_english(user))
    return client


def url(name: str, case=None, **kwargs) -> str:
    if case is not None:
        kwargs["pk"] = case.pk
    return reverse(f"requests_app:{name}", kwargs=kwargs or None)


def profile_post(action: str = "continue", **overrides) -> dict:
    return {**{k: str(v) for k, v in factories.PROFILE.items()}, "action": action, **overrides}


def project_post(action: str = "continue", **overrides) -> dict:
    values = {k: (v.isoformat() if hasattr(v, "isoformat") else str(v)) for k, v in factories.PROJECT.items()}
    return {**values, "action": action, **overrides}


def text(response) -> str:
    return response.content.decode()


def assert_kept(response, value: str) -> None:
    """``value`` is shown again in the page, as the browser would display it."""
    assert escape(value) in text(response), f"{value!r} was lost"


def assert_checked(response, name: str, value: str) -> None:
    pattern = rf'<input[^>]*name="{re.escape(name)}"[^>]*value="{re.escape(value)}"[^>]*checked'
    assert re.search(pattern, text(response)), f"{name}={value} is not ticked any more"


def field_error(response, field_id: str) -> str:
    """The text of the error paragraph of ``field_id``; fails when there is none."""
    match = re.search(rf'<p class="field-error" id="{re.escape(field_id)}-error">(.*?)</p>', text(response), re.S)
    assert match, f"no error shown for {field_id}"
    return unescape(match.group(1))


def summary_links(response) -> list[str]:
    summary = re.search(r'<div class="error-summary" role="alert".*?</div>', text(response), re.S)
    assert summary, "no error summary"
    return re.findall(r'href="#([^"]+)"', summary.group(0))


def new_draft(client) -> DataRequest:
    response = client.post(url("create"))
    assert response.status_code == 302
    return DataRequest.objects.get(pk=int(response.url.strip("/").split("/")[-2]))


def complete_draft(requester, dataset) -> DataRequest:
    return factories.make_request(requester=requester, status=Status.DRAFT, dataset=dataset)
