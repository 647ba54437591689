"""The public register of releases (Regulation respecting the distribution of information, A-2.1, r. 2,
s. 4 par. 8): a public body publishes the documents it sent in answer to an access request, with the
anonymised decision, within a few working days of sending them.
"""

import csv
import io
from datetime import date, datetime, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from portal import trail
from portal.models import AuditEvent
from portal.roles import Role
from requests_app import clock, register, services
from requests_app.models import DataRequest, Holiday, Status
from requests_app.production.jobs import output_folder
from requests_app.production.models import PublicationWithholding, TableJob
from requests_app.states import JobState
from tests import factories
from tests.requests_app.pages import client_for, text

pytestmark = [pytest.mark.django_db(databases=["default", "warehouse"]), pytest.mark.usefixtures("warehouse")]


def anonymous() -> Client:
    return Client(headers={"accept-language": "en"})


@pytest.fixture
def checker():
    return factories.make_user(role=Role.OUTPUT_CHECKER, first_name="Camille", last_name="Checker")


@pytest.fixture
def released(checker):
    """A case with two tables, the first released by ``checker``."""
    requester = factories.make_user(first_name="Renée", last_name="Requester", email="renee@example.org")
    case = factories.make_request(status=Status.RELEASED, requester=requester, checker=checker)
    return case, case.table_jobs.get(state=JobState.RELEASED)


def released_on(job: TableJob, day: date) -> TableJob:
    moment = timezone.make_aware(datetime.combine(day, datetime.min.time())) + timedelta(hours=10)
    TableJob.objects.filter(pk=job.pk).update(released_at=moment)
    job.refresh_from_db()
    return job


def detail_url(job) -> str:
    return reverse("register:detail", kwargs={"pk": job.pk})


def test_a_released_table_enters_the_register_once_its_working_days_have_passed(released, settings):
    """Five working days by default: a table released today is not public yet; one whose five business
    days have passed is, for anyone, without signing in."""
    settings.PUBLICATION_DELAY_WORKING_DAYS = 5
    _case, job = released
    today = clock.local_date(timezone.now())
    assert anonymous().get(detail_url(job)).status_code == 404
    assert "register-results" not in text(anonymous().get(reverse("register:list")))

    last_public_day = clock.last_day_published(today, 5)
    assert (
        clock.business_days_after(last_public_day, 5)
        <= today
        < clock.business_days_after(last_public_day + timedelta(days=1), 5)
    )
    released_on(job, last_public_day + timedelta(days=1))
    assert anonymous().get(detail_url(job)).status_code == 404

    released_on(job, last_public_day)
    page = anonymous().get(detail_url(job))
    assert page.status_code == 200
    assert register.published_on(job.released_at) <= today
    listing = text(anonymous().get(reverse("register:list")))
    assert "Number of services" in listing or "Distinct persons" in listing


def test_working_days_leave_out_weekends_and_holidays():
    """Business days, not calendar days: a release on Friday 19 June 2026 counts Monday 22, Tuesday 23,
    then Thursday 25 (24 June is the Fête nationale, a holiday of the calendar)."""
    Holiday.objects.get_or_create(date=date(2026, 6, 24), defaults={"name_fr": "Fête nationale", "name_en": "Fête"})
    assert clock.business_days_after(date(2026, 6, 19), 1) == date(2026, 6, 22)
    assert clock.business_days_after(date(2026, 6, 19), 3) == date(2026, 6, 25)
    assert clock.last_day_published(date(2026, 6, 25), 3) == date(2026, 6, 21)  # Friday 19, Saturday and Sunday


def test_the_register_names_no_requester_and_no_member_of_staff(released, checker, settings):
    """The anonymised decision: its outcome, date and legal basis; never who asked, what they called their
    project, or who reviewed, signed or checked."""
    settings.PUBLICATION_DELAY_WORKING_DAYS = 0
    case, job = released
    case = DataRequest.objects.select_related("requester", "assigned_to").get(pk=case.pk)
    pages = [
        text(anonymous().get(reverse("register:list"))),
        text(anonymous().get(detail_url(job))),
        anonymous().get(reverse("register:feed")).content.decode(),
        b"".join(anonymous().get(reverse("register:download", kwargs={"pk": job.pk})).streaming_content).decode(),
        b"".join(anonymous().get(reverse("register:legend", kwargs={"pk": job.pk})).streaming_content).decode(),
    ]
    identities = [
        case.requester.email,
        case.requester.get_full_name(),
        case.contact_name,
        case.organisation,
        case.title,
        case.reference,
        case.assigned_to.email,
        checker.email,
        checker.get_full_name(),
    ]
    for identity in filter(None, identities):
        for page in pages:
            assert identity not in page, identity
    detail = pages[1]
    assert "Approved" in detail and "Provenance" in detail
    assert job.files["table.csv"]["sha256"] in detail


def test_the_csv_is_the_released_file_itself(released, settings):
    settings.PUBLICATION_DELAY_WORKING_DAYS = 0
    _case, job = released
    response = anonymous().get(reverse("register:download", kwargs={"pk": job.pk}))
    body = b"".join(response.streaming_content)
    rows = list(csv.reader(io.StringIO(body.decode())))
    assert rows[0][: len(job.specification["dimensions"])] == job.specification["dimensions"]
    import hashlib

    assert hashlib.sha256(body).hexdigest() == job.files["table.csv"]["sha256"]


def test_the_legend_is_public_beside_the_table(released, settings):
    """What each column and code means, in the table's language; the released legend.csv itself."""
    settings.PUBLICATION_DELAY_WORKING_DAYS = 0
    _case, job = released
    assert reverse("register:legend", kwargs={"pk": job.pk}) in anonymous().get(detail_url(job)).content.decode()
    response = anonymous().get(reverse("register:legend", kwargs={"pk": job.pk}))
    body = b"".join(response.streaming_content)
    assert response.status_code == 200 and body == (output_folder(job) / "legend.csv").read_bytes()
    columns = {row[0] for row in list(csv.reader(io.StringIO(body.decode())))[1:]}
    assert set(job.specification["dimensions"]) <= columns


def test_a_table_not_released_is_not_in_the_register(settings):
    settings.PUBLICATION_DELAY_WORKING_DAYS = 0
    case = factories.make_request(status=Status.OUTPUT_CHECKING)
    job = case.table_jobs.get()
    assert anonymous().get(detail_url(job)).status_code == 404
    assert anonymous().get(reverse("register:download", kwargs={"pk": job.pk})).status_code == 404
    assert anonymous().get(reverse("register:legend", kwargs={"pk": job.pk})).status_code == 404


def test_search_by_dataset_dimension_year_and_region(released, settings):
    settings.PUBLICATION_DELAY_WORKING_DAYS = 0
    _case, job = released
    shown = job.specification["dimensions"][0]
    found = register.search(register.Search(dataset="medical_services", dimension=shown))
    assert [item.pk for item in found] == [job.pk]
    assert register.search(register.Search(dataset="hospital_stays")) == []
    # A table restricted to some years counts no other year.
    TableJob.objects.filter(pk=job.pk).update(specification={**job.specification, "filters": {"year": ["2022"]}})
    assert [item.pk for item in register.search(register.Search(year="2022"))] == [job.pk]
    assert register.search(register.Search(year="2021")) == []
    # Words match the labels, in any order.
    assert register.search(register.Search(text="medical")) != []
    assert register.search(register.Search(text="medical nothing-like-this")) == []


def test_an_unknown_filter_value_is_named_and_nothing_breaks(released, settings):
    settings.PUBLICATION_DELAY_WORKING_DAYS = 0
    response = anonymous().get(reverse("register:list"), {"dataset": "no-such-dataset", "q": "kept words"})
    assert response.status_code == 200
    page = text(response)
    assert "Choose one of the listed values" in page
    assert 'value="kept words"' in response.content.decode()


def test_the_feed_lists_the_published_tables(released, settings):
    settings.PUBLICATION_DELAY_WORKING_DAYS = 0
    _case, job = released
    feed = anonymous().get(reverse("register:feed"))
    assert feed["Content-Type"].startswith("application/atom+xml")
    assert detail_url(job) in feed.content.decode()


def test_request_this_same_table_starts_a_draft_holding_it(released, settings):
    settings.PUBLICATION_DELAY_WORKING_DAYS = 0
    _case, job = released
    someone = factories.make_user(email="someone@example.org")
    response = client_for(someone).post(reverse("register:request", kwargs={"pk": job.pk}))
    draft = DataRequest.objects.get(requester=someone)
    assert draft.status == Status.DRAFT
    assert response.status_code == 302 and response["Location"] == reverse(
        "requests_app:profile", kwargs={"pk": draft.pk}
    )
    table = draft.specifications.get()
    assert (table.dataset, table.measure, table.dimensions) == (
        job.table.dataset,
        job.table.measure,
        job.specification["dimensions"],
    )


def test_request_this_same_table_needs_a_requesters_account(released, settings):
    settings.PUBLICATION_DELAY_WORKING_DAYS = 0
    _case, job = released
    url = reverse("register:request", kwargs={"pk": job.pk})
    assert reverse("account_login") in anonymous().post(url)["Location"]
    auditor = factories.make_user(role=Role.AUDITOR, is_staff=True)
    response = client_for(auditor).post(url, follow=True)
    assert "Staff accounts do not file requests" in text(response)
    assert not DataRequest.objects.filter(requester=auditor).exists()


def test_a_draft_is_shown_the_published_tables_that_already_answer_it(released, settings):
    """Search before you ask: while a requester builds a table, published tables holding it are proposed,
    on the tables' step and again before sending."""
    settings.PUBLICATION_DELAY_WORKING_DAYS = 0
    _case, job = released
    someone = factories.make_user(email="builder@example.org")
    draft = factories.make_request(status=Status.DRAFT, requester=someone, dataset=job.table.dataset)
    asked = draft.specifications.get(measure=job.table.measure)  # the same measure, the same dimensions
    client = client_for(someone)
    for step in ("data", "review"):
        page = client.get(reverse(f"requests_app:{step}", kwargs={"pk": draft.pk}))
        assert "Already published" in text(page), step
        assert detail_url(job) in page.content.decode()
    # One dimension more than the published table holds: it answers nothing.
    spare = next(code for code in factories.dimension_codes(job.table.dataset) if code not in asked.dimensions)
    asked.dimensions = [*asked.dimensions, spare]
    asked.save()
    assert register.matching([asked]) == []
    # Fewer dimensions, within the published table's: it still answers.
    asked.dimensions = asked.dimensions[:1]
    asked.save()
    assert [item.pk for _spec, items in register.matching([asked]) for item in items] == [job.pk]


# --- Withholding (A-2.1, r. 2, s. 4 par. 8: the regulation's exceptions), under four eyes -------------------------


@pytest.fixture
def leads():
    return [factories.make_user(role=Role.ACCESS_LEAD, is_staff=True) for _ in range(2)]


def test_a_withheld_table_leaves_the_register_at_once_and_a_second_lead_decides(released, leads, settings):
    """Withheld on an exception with a reason, the table is gone from the register before anyone decides;
    confirmed by another lead, it stays out; the same lead cannot decide their own withholding."""
    settings.PUBLICATION_DELAY_WORKING_DAYS = 0
    _case, job = released
    first, second = leads
    withholding = services.withholding_propose(
        job=job, actor=first, ground=PublicationWithholding.Ground.THIRD_PARTY, reason="An owner's commercial data."
    )
    assert anonymous().get(detail_url(job)).status_code == 404
    assert register.search(register.Search()) == []
    with pytest.raises(ValidationError, match="another lead"):
        services.withholding_decide(withholding=withholding, actor=first, confirm=True)
    services.withholding_decide(withholding=withholding, actor=second, confirm=True)
    withholding.refresh_from_db()
    assert (withholding.outcome, withholding.decided_by) == (PublicationWithholding.Outcome.CONFIRMED, second)
    assert anonymous().get(detail_url(job)).status_code == 404
    events = AuditEvent.objects.filter(target_type="requests_app.publicationwithholding").order_by("sequence")
    assert [event.event_type for event in events] == [
        trail.EventType.WITHHOLDING_PROPOSED,
        trail.EventType.WITHHOLDING_CONFIRMED,
    ]
    assert withholding.history.count() == 2


def test_a_withholding_lifted_with_a_reason_publishes_the_table(released, leads, settings):
    settings.PUBLICATION_DELAY_WORKING_DAYS = 0
    _case, job = released
    first, second = leads
    withholding = services.withholding_propose(
        job=job, actor=first, ground=PublicationWithholding.Ground.PERSONAL, reason="Small region."
    )
    with pytest.raises(ValidationError) as missing:
        services.withholding_decide(withholding=withholding, actor=second, confirm=False, reason=" ")
    assert "decision_reason" in missing.value.message_dict
    services.withholding_decide(withholding=withholding, actor=second, confirm=False, reason="Aggregates only.")
    assert anonymous().get(detail_url(job)).status_code == 200


def test_a_withholding_needs_a_ground_a_reason_and_a_released_table(released, leads):
    _case, job = released
    with pytest.raises(ValidationError) as refused:
        services.withholding_propose(job=job, actor=leads[0], ground="whim", reason="")
    assert set(refused.value.message_dict) == {"ground", "reason"}
    unreleased = TableJob.objects.exclude(pk=job.pk).get(request=job.request)
    with pytest.raises(ValidationError) as refused:
        services.withholding_propose(job=unreleased, actor=leads[0], ground="personal", reason="Why not.")
    assert "job" in refused.value.message_dict
    requester = job.request.requester
    with pytest.raises(PermissionDenied):
        services.withholding_propose(job=job, actor=requester, ground="personal", reason="Mine.")


def test_the_database_holds_the_four_eyes_rule(released, leads):
    _case, job = released
    withholding = services.withholding_propose(job=job, actor=leads[0], ground="personal", reason="Small region.")
    withholding.outcome, withholding.decided_by, withholding.decided_at = "confirmed", leads[0], timezone.now()
    with pytest.raises(IntegrityError), transaction.atomic():
        withholding.save()


def test_leads_withhold_and_decide_in_the_admin(released, leads, settings):
    settings.PUBLICATION_DELAY_WORKING_DAYS = 0
    _case, job = released
    first, second = leads
    add = client_for(first).post(
        reverse("admin:requests_app_publicationwithholding_add"),
        {"job": job.pk, "ground": "third_party", "reason": "An owner's commercial data."},
    )
    assert add.status_code == 302, text(add)
    withholding = PublicationWithholding.objects.get(job=job)
    assert withholding.proposed_by == first
    change_url = reverse("admin:requests_app_publicationwithholding_change", args=[withholding.pk])
    assert client_for(first).post(change_url, {"confirm": "1"}).status_code == 403  # not their own
    refused = client_for(second).post(change_url, {"confirm": "0", "decision_reason": ""})
    assert "Say why the table may be published after all." in text(refused)
    assert (
        client_for(second).post(change_url, {"confirm": "0", "decision_reason": "Aggregates only."}).status_code == 302
    )
    withholding.refresh_from_db()
    assert withholding.outcome == PublicationWithholding.Outcome.LIFTED


def test_a_table_reads_as_plain_text_one_labelled_value_per_line(released, settings):
    """An accessible format (Access Act s. 47, 1.1°): each line names its categories, for a screen reader."""
    settings.PUBLICATION_DELAY_WORKING_DAYS = 0
    case, job = released
    public = anonymous().get(reverse("register:text", kwargs={"pk": job.pk}))
    assert public["Content-Type"].startswith("text/plain")
    lines = public.content.decode().splitlines()
    rows = list(csv.reader(io.StringIO(job_csv(job))))[1:]
    assert len(lines) == 3 + len(rows)
    assert all(line.count(": ") == len(job.specification["dimensions"]) + 1 for line in lines[3:])
    assert any(line.endswith(": suppressed") for line in lines[3:]) == any(row[-1] == "x" for row in rows)
    # The requester gets the same rendering of their own table, logged as a download of its CSV.
    mine = client_for(case.requester).get(reverse("outputs:text", kwargs={"pk": job.pk}))
    assert mine.status_code == 200 and mine.content.decode().splitlines()[3:] == lines[3:]
    assert job.downloads.filter(user=case.requester, file_name="table.csv").exists()
    stranger = client_for(factories.make_user())
    assert stranger.get(reverse("outputs:text", kwargs={"pk": job.pk})).status_code == 404


def job_csv(job) -> str:
    return b"".join(anonymous().get(reverse("register:download", kwargs={"pk": job.pk})).streaming_content).decode()
