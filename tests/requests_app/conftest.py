import pytest

from tests.requests_app.pages import speak_english


@pytest.fixture(autouse=True)
def _pages_render_in_english(request):
    """The requester's pages render in English, the language of the msgids the assertions use."""
    if "requester" in request.fixturenames:
        speak_english(request.getfixturevalue("requester"))
