"""The public register in real Chromium: a table released by a checker appears in /publications/ once its
business days have passed, naming no requester and no member of staff, axe-clean; someone else asks for the
same table from there and finds it in a new draft."""

from datetime import timedelta
from pathlib import Path

import pytest

from portal.roles import Role
from requests_app import clock
from requests_app.models import DataRequest, Status
from requests_app.production.models import TableJob
from requests_app.states import JobState
from tests import factories
from tests.e2e.axe import assert_accessible
from tests.e2e.conftest import new_page
from tests.e2e.journeys import Person

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.django_db(transaction=True, databases=["default", "warehouse"]),
    pytest.mark.usefixtures("reference_data", "warehouse"),
]


def test_a_released_table_is_published_after_its_delay_and_can_be_asked_for_again(
    browser, live_server, mail_server, settings
):
    settings.PUBLICATION_DELAY_WORKING_DAYS = 3
    requester_user = factories.make_user(language="fr", first_name="Élise", last_name="Gagnon")
    checker_user = factories.make_user(role=Role.OUTPUT_CHECKER, language="fr", first_name="Luc", last_name="Côté")
    case = factories.make_request(requester=requester_user, status=Status.OUTPUT_CHECKING)
    job = case.table_jobs.get()

    checker = Person(browser, live_server.url, language="fr", name="register-checker")
    checker.sign_in_staff(checker_user)
    checker.go(f"/outputs/{job.pk}/")
    checker.release()
    job.refresh_from_db()
    assert job.state == JobState.RELEASED

    public = Person(browser, live_server.url, language="en", name="register-public")
    public.go("/publications/")
    assert "0 tables" in public.text(), "released today: not public before its three business days"
    response = public.page.goto(f"{live_server.url}/publications/{job.pk}/")
    assert response is not None and response.status == 404

    # Three business days later (the calendar's own count), the table is public.
    today = clock.local_date(job.released_at)
    days_back = (today - clock.last_day_published(today, 3)).days
    TableJob.objects.filter(pk=job.pk).update(released_at=job.released_at - timedelta(days=days_back))
    public.go("/publications/")
    public.snap("register")
    public.page.locator("#register-results a").first.click()
    public.page.wait_for_selector("#register-provenance")
    public.snap("publication")
    # axe-core is injected as a script: its page bypasses the portal's Content-Security-Policy.
    checked = new_page(browser, locale="en-CA")
    for path, name in (("/publications/", "register-list"), (f"/publications/{job.pk}/", "register-detail")):
        checked.goto(f"{live_server.url}{path}")
        assert_accessible(checked, name)
    checked.context.close()
    shown = public.text()
    with public.page.expect_download() as download:
        public.page.locator("#register-download").click()
    csv_text = Path(download.value.path()).read_text(encoding="utf-8")
    case = DataRequest.objects.select_related("assigned_to").get(pk=case.pk)
    for identity in (
        requester_user.email,
        requester_user.get_full_name(),
        case.contact_name,
        case.organisation,
        case.title,
        case.reference,
        case.assigned_to.email,
        case.assigned_to.get_full_name(),
        checker_user.email,
        checker_user.get_full_name(),
    ):
        if identity:
            assert identity not in shown and identity not in csv_text, identity

    # Someone else asks for the same table: a draft holding it.
    someone = factories.make_user(language="en", email="someone.else@example.org")
    public.sign_in(someone.email)
    public.go(f"/publications/{job.pk}/")
    public.submit("#request-same")
    draft = DataRequest.objects.get(requester=someone)
    assert draft.status == Status.DRAFT
    assert public.page.url.endswith(f"/requests/{draft.pk}/profile/")
    assert "same table" in public.text()
    public.go(f"/requests/{draft.pk}/data/")
    table = draft.specifications.get()
    assert (table.dataset_id, table.measure_id, table.dimensions) == (
        job.table.dataset_id,
        job.table.measure_id,
        job.specification["dimensions"],
    )
    assert "Already published" in public.text()
    public.snap("draft-from-publication")
