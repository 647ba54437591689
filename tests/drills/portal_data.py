"""The PostgreSQL-restart drill's data, made and checked in a process pointed at the drill's own cluster.

``python -m tests.drills.portal_data prepare OUT.json`` (after ``manage.py migrate``) makes requesters
with drafts ready to submit, staff with cases to browse, and writes their session cookies and the drafts'
ids. ``python -m tests.drills.portal_data check`` prints, as JSON, every inconsistency it finds: a case
that breaks a model check or constraint, a filed case without its reference, clock or notice of receipt,
a history that disagrees with the case, a submission recorded twice or without its e-mails.
"""

import json
import sys

import django

django.setup()

from django.conf import settings  # noqa: E402 - needs the apps loaded
from django.core.exceptions import ValidationError  # noqa: E402
from django.test import Client  # noqa: E402

from portal.roles import Role  # noqa: E402
from requests_app.models import DataRequest, Notification, Status  # noqa: E402
from tests import factories  # noqa: E402


def _session(user) -> str:
    client = Client()
    client.force_login(user)
    return client.cookies[settings.SESSION_COOKIE_NAME].value


def prepare(path: str, *, requesters: int = 10, drafts_each: int = 4, staff: int = 3) -> None:
    """Four drafts each: the portal lets one person submit five an hour (``POST_RATE_LIMITS``)."""
    dataset = factories.make_catalogue()
    people = []
    for _ in range(requesters):
        requester = factories.make_user(role=Role.REQUESTER)
        drafts = [factories.make_request(requester=requester, status=Status.DRAFT, dataset=dataset).pk]
        drafts += [
            factories.make_request(requester=requester, status=Status.DRAFT, dataset=dataset).pk
            for _ in range(drafts_each - 1)
        ]
        people.append({"session": _session(requester), "drafts": drafts})
    officer = factories.make_user(role=Role.PRIVACY_OFFICER)
    cases = [factories.make_request(status=Status.UNDER_REVIEW, dataset=dataset, officer=officer).pk for _ in range(3)]
    cases.append(factories.make_request(status=Status.RECEIVED, dataset=dataset).pk)
    # Leads, who see every case (an officer sees only theirs: another case answers 404, rightly).
    staff_sessions = [_session(factories.make_user(role=Role.ACCESS_LEAD)) for _ in range(staff)]
    with open(path, "w", encoding="utf-8") as output:
        json.dump(
            {
                "cookie": settings.SESSION_COOKIE_NAME,
                "requesters": people,
                "staff": staff_sessions,
                "cases": cases,
            },
            output,
        )


def check() -> dict:
    problems = []
    counts = dict.fromkeys(Status.values, 0)
    for case in DataRequest.objects.all():
        counts[case.status] += 1
        try:
            case.full_clean()  # fields, and every CheckConstraint and UniqueConstraint of the model
        except ValidationError as error:
            problems.append(f"case {case.pk}: {error.messages}")
        last = case.history.order_by("-history_id").first()
        if last is None or last.status != case.status:
            problems.append(f"case {case.pk}: history ends at {last and last.status}, the case is {case.status}")
        submitted = case.history.filter(history_change_reason__startswith="request.submitted").count()
        if case.status == Status.DRAFT:
            if case.reference or case.received_at or submitted:
                problems.append(f"case {case.pk}: a draft with a reference, a receipt or a submission")
            continue
        if not (case.reference and case.received_at and case.due_at and case.acknowledgement):
            problems.append(f"case {case.pk}: filed without its reference, clock or notice of receipt")
        if submitted != 1:
            problems.append(f"case {case.pk}: submitted {submitted} times in the history")
        if not Notification.objects.filter(request=case, notice="acknowledgement").exists():
            problems.append(f"case {case.pk}: filed without its acknowledgement e-mail in the outbox")
    return {"problems": problems, "counts": {key: value for key, value in counts.items() if value}}


if __name__ == "__main__":
    if sys.argv[1] == "prepare":
        prepare(sys.argv[2])
    else:
        print(json.dumps(check()))
