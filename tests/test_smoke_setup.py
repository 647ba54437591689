from requests_app.models import Status
from tests import factories


def test_make_request_reaches_received_with_reference(db):
    case = factories.make_request(status=Status.RECEIVED)
    assert case.status == Status.RECEIVED
    assert case.reference.startswith("DA-")
