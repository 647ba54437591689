import pytest

from tests.requests_app.pages import new_draft, speak_english


@pytest.fixture(autouse=True)
def _pages_render_in_english(request):
    """The requester's pages render in English, the language of the msgids the assertions use."""
    if "requester" in request.fixturenames:
        speak_english(request.getfixturevalue("requester"))


@pytest.fixture
def case(requester_client):
    """A new draft, opened through the "New request" button."""
    return new_draft(requester_client)
