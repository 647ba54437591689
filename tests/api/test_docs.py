"""The interactive documentation is served from the portal's own static files, never from a CDN."""

import re

import pytest
from django.urls import reverse
from rest_framework.test import APIClient


@pytest.mark.django_db
def test_docs_load_nothing_from_another_host():
    for name in ("api:docs",):
        response = APIClient().get(reverse(name))
        assert response.status_code == 200
        page = response.content.decode()
        sources = re.findall(r'(?:src|href)="([^"]+)"', page)
        assert sources, name
        assert all(not source.startswith(("http:", "https:", "//")) for source in sources), sources
    schema = APIClient().get(reverse("api:schema"), HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert schema.status_code == 200
    assert "/api/v1/requests/" in schema.content.decode()
