import pytest
from django.test import Client

from portal.roles import Role
from requests_app.models import Status
from tests import factories


def english(user):
    """Pages in English, the language of the msgids the assertions read."""
    type(user).objects.filter(pk=user.pk).update(language="en")
    user.language = "en"
    return user


def client_for(user, **defaults) -> Client:
    client = Client(**defaults)
    client.force_login(english(user))
    return client


@pytest.fixture
def officer(db):
    return factories.make_user(role=Role.PRIVACY_OFFICER)


@pytest.fixture
def filed_case(db, requester, officer):
    """A request under review: the requester's own, assigned to ``officer``."""
    return factories.make_request(requester=requester, officer=officer, status=Status.UNDER_REVIEW)
