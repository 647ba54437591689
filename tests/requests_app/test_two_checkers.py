"""Two independent checkers (after airlock's two reviews), when the dataset's governed setting asks for them.

With one check (every dataset until its leads decide otherwise), the checker who
checks releases, as before. With two, the first check of a run is kept and
releases nothing; the second, by another checker who did not see the first,
releases. Either may return the table; a new run needs two new checks; nobody who
worked on the case checks it.
"""

import html

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.test import Client
from django.urls import reverse

from portal.models import AuditEvent
from portal.roles import Role
from requests_app.models import Notification, Status
from requests_app.production import jobs
from requests_app.production.models import JobReview
from requests_app.states import JobState
from stats_app import governance
from stats_app.models import Dataset, IndependentChecks
from tests import factories
from tests.requests_app.pages import client_for, text

pytestmark = [pytest.mark.django_db(databases=["default", "warehouse"]), pytest.mark.usefixtures("warehouse")]


def needs_two_checks(dataset: Dataset) -> None:
    """The dataset's leads set it to two independent checks: one proposes, another approves."""
    proposer, approver = (factories.make_user(role=Role.ACCESS_LEAD) for _ in range(2))
    values = {**governance.current_settings(dataset), "independent_checks": IndependentChecks.TWO}
    change = governance.propose(dataset=dataset, actor=proposer, values=values, reason="Sensitive registry.")
    governance.decide(change=change, actor=approver, approve=True)


@pytest.fixture
def officer():
    return factories.make_user(role=Role.PRIVACY_OFFICER)


@pytest.fixture
def checkers():
    return [factories.make_user(role=Role.OUTPUT_CHECKER) for _ in range(3)]


@pytest.fixture
def job(officer):
    case = factories.make_request(status=Status.OUTPUT_CHECKING, officer=officer)
    return case.table_jobs.select_related("table__dataset").get()


@pytest.fixture
def two_checks_job(job):
    needs_two_checks(job.table.dataset)
    return job


def check(job, checker):
    return jobs.output_release(job=job, actor=checker, attested=jobs.CHECKLIST)


def events(job, event_type: str):
    return AuditEvent.objects.filter(event_type=event_type, target_type="requests_app.tablejob", target_id=str(job.pk))


def test_every_dataset_starts_with_one_check_and_the_setting_is_governed(job):
    dataset = job.table.dataset
    assert dataset.independent_checks == IndependentChecks.ONE
    assert "independent_checks" in governance.current_settings(dataset)

    needs_two_checks(dataset)

    dataset.refresh_from_db()
    assert dataset.independent_checks == IndependentChecks.TWO
    assert dataset.settings_changes.get().changed_fields() == ["independent_checks"]


def test_with_one_check_the_checker_releases_as_before(job, checkers):
    released = check(job, checkers[0])

    assert released.state == JobState.RELEASED and released.checked_by == checkers[0]
    assert JobReview.objects.get(job=job).checker == checkers[0]
    assert not events(job, "output.reviewed").exists()
    assert events(job, "output.released").get().payload["checks_needed"] == 1


def test_with_two_checks_the_first_check_releases_nothing_and_sends_no_mail(two_checks_job, checkers):
    mails = Notification.objects.count()

    checked = check(two_checks_job, checkers[0])

    assert checked.state == JobState.READY_FOR_CHECKING and checked.released_at is None
    assert checked.request.status == Status.OUTPUT_CHECKING
    review = JobReview.objects.get(job=two_checks_job)
    assert (review.checker, review.run, review.attested) == (checkers[0], 1, sorted(jobs.CHECKLIST))
    assert review.history.count() == 1
    event = events(two_checks_job, "output.reviewed").get()
    assert event.payload["checks_done"] == 1 and event.payload["checks_needed"] == 2
    assert event.payload["review"] == review.pk
    # The checkers were told once that this run awaits them; the queue shows the check done.
    assert Notification.objects.count() == mails


def test_the_first_check_needs_the_whole_checklist_too(two_checks_job, checkers):
    with pytest.raises(ValidationError):
        jobs.output_release(job=two_checks_job, actor=checkers[0], attested=set(jobs.CHECKLIST[:1]))

    assert not JobReview.objects.exists()


def test_the_same_checker_cannot_give_both_checks(two_checks_job, checkers):
    check(two_checks_job, checkers[0])

    with pytest.raises(PermissionDenied):
        check(two_checks_job, checkers[0])

    two_checks_job.refresh_from_db()
    assert two_checks_job.state == JobState.READY_FOR_CHECKING
    # The database holds the rule too: one check per checker and run.
    with pytest.raises(IntegrityError), transaction.atomic():
        JobReview.objects.create(job=two_checks_job, run=1, checker=checkers[0], reviewed_at=two_checks_job.queued_at)


def test_a_second_checker_releases(two_checks_job, checkers):
    check(two_checks_job, checkers[0])

    released = check(two_checks_job, checkers[1])

    assert released.state == JobState.RELEASED and released.checked_by == checkers[1]
    assert set(JobReview.objects.filter(job=two_checks_job, run=1).values_list("checker", flat=True)) == {
        checkers[0].pk,
        checkers[1].pk,
    }
    assert events(two_checks_job, "output.released").get().payload["checks_done"] == 2
    released.request.refresh_from_db()
    assert released.request.status == Status.CLOSED


@pytest.mark.parametrize("who_returns", ["first, at once", "first, after their check", "second"])
def test_either_checker_may_return_the_table(two_checks_job, checkers, who_returns):
    if who_returns != "first, at once":
        check(two_checks_job, checkers[0])
    returner = checkers[1] if who_returns == "second" else checkers[0]

    returned = jobs.output_return(job=two_checks_job, actor=returner, reason="Region 10 is almost all suppressed.")

    assert returned.state == JobState.RETURNED and returned.checked_by == returner
    assert returned.released_at is None


def test_a_new_run_needs_two_new_checks(two_checks_job, checkers, officer):
    check(two_checks_job, checkers[0])
    jobs.output_return(job=two_checks_job, actor=checkers[1], reason="Check the filters.")
    jobs.job_rerun(job=two_checks_job, actor=officer)
    jobs.job_run(job_id=two_checks_job.pk, run=2)

    # The first run's check counts for nothing: the same checker checks again, and nothing is released.
    again = check(two_checks_job, checkers[0])
    assert again.state == JobState.READY_FOR_CHECKING and again.run == 2
    released = check(two_checks_job, checkers[2])

    assert released.state == JobState.RELEASED
    assert JobReview.objects.filter(job=two_checks_job, run=2).count() == 2
    assert JobReview.objects.filter(job=two_checks_job, run=1).count() == 1


def test_someone_who_worked_on_the_case_cannot_check_it(two_checks_job, officer):
    officer.groups.add(factories.Group.objects.get(name=Role.OUTPUT_CHECKER))

    with pytest.raises(PermissionDenied):
        check(two_checks_job, officer)

    assert not JobReview.objects.exists()


def detail_page(job, user, language="en") -> str:
    if language == "en":
        client = client_for(user)
    else:
        type(user).objects.filter(pk=user.pk).update(language=language)
        client = Client()
        client.force_login(user)
    return html.unescape(text(client.get(reverse("outputs:detail", kwargs={"pk": job.pk}))))


def test_the_page_says_how_many_checks_are_done_in_english_and_in_french(two_checks_job, checkers):
    assert "This dataset needs two independent checks: 0 of 2 done." in detail_page(two_checks_job, checkers[0])
    check(two_checks_job, checkers[0])

    english = detail_page(two_checks_job, checkers[1])
    french = detail_page(two_checks_job, checkers[1], language="fr")

    assert "This dataset needs two independent checks: 1 of 2 done." in english
    assert "Ce jeu de données exige deux vérifications indépendantes (faites : 1 sur 2)." in french
    assert "Release to the requester" in english
    first = detail_page(two_checks_job, checkers[0])
    assert 'id="checked-by-me"' in first and 'id="release-form"' not in first and 'id="return-form"' in first


def test_the_second_checker_does_not_see_the_first_check_nor_its_notes(two_checks_job, checkers):
    jobs.job_note_add(job=two_checks_job, actor=checkers[0], body="Region 10 looks thin; I let it pass.")
    check(two_checks_job, checkers[0])

    second = detail_page(two_checks_job, checkers[1])

    assert "Region 10 looks thin" not in second
    assert 'id="notes-hidden"' in second
    name = checkers[0].get_full_name() or checkers[0].email
    assert name not in second
    # Once the table has left the checkers, the notes are everyone's again.
    check(two_checks_job, checkers[1])
    assert "Region 10 looks thin" in detail_page(two_checks_job, checkers[2])


def test_the_queue_shows_the_checks_done(two_checks_job, checkers):
    check(two_checks_job, checkers[0])

    queue = text(client_for(checkers[1]).get(reverse("outputs:queue")))

    assert "1 of 2 checks done" in queue


def test_a_first_check_on_the_page_says_another_checker_must_follow(two_checks_job, checkers):
    response = client_for(checkers[0]).post(
        reverse("outputs:release", kwargs={"pk": two_checks_job.pk}), {"attest": list(jobs.CHECKLIST)}, follow=True
    )

    assert "Your check is recorded. Another output checker must check this table" in text(response)
    two_checks_job.refresh_from_db()
    assert two_checks_job.state == JobState.READY_FOR_CHECKING
