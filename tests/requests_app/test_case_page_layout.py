"""The staff's case page reads top-down: "On this page" first, then the summary and the statutory clock, the
request itself, the work on the case (actions, checklist, consultations, decision, tables, messages), and the
history last; every entry of "On this page" leads to a section that is there."""

import re

import pytest
from django.urls import reverse

from portal.roles import Role
from requests_app.models import Status
from tests import factories
from tests.requests_app.pages import client_for, text

pytestmark = pytest.mark.django_db


@pytest.fixture
def page():
    officer = factories.make_user(role=Role.PRIVACY_OFFICER)
    case = factories.make_request(status=Status.UNDER_REVIEW, officer=officer)
    return text(client_for(officer).get(reverse("workspace:case", kwargs={"pk": case.pk})))


def test_the_summary_and_clock_come_first_then_the_request_then_the_actions_then_the_history(page):
    order = [
        'id="case-nav-title"',
        'id="case-summary"',
        'id="clock-title"',
        'id="case-request"',
        'id="content-requester"',
        'id="content-data"',
        'id="case-work"',
        'id="actions-title"',
        'id="checklist-title"',
        'id="decision-title"',
        'id="messages-title"',
        'id="history-title"',
    ]
    positions = [page.index(marker) for marker in order]
    found_order = [marker for _, marker in sorted(zip(positions, order, strict=True))]
    assert positions == sorted(positions), found_order


def test_every_entry_on_this_page_leads_to_a_section_of_the_page(page):
    start = page.index('id="case-nav-title"')
    navigation = page[start : page.index("</nav>", start)]
    targets = re.findall(r'href="#([^"]+)"', navigation)
    assert len(targets) >= 12
    missing = [target for target in targets if f'id="{target}"' not in page]
    assert missing == []
