"""The privacy officers' queues: counts, membership, filters, CSV export, bulk assignment, workload."""

import csv
import io
import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from portal.roles import Role
from requests_app import clock, selectors, services
from requests_app.models import DataRequest, RequesterCategory, Status
from tests import factories
from tests.requests_app.pages import client_for, text

QUEUE = reverse("workspace:queue")


@pytest.fixture
def lead(db):
    return factories.make_user(role=Role.ACCESS_LEAD, first_name="Léa", last_name="Lead")


@pytest.fixture
def officer(db):
    return factories.make_user(role=Role.PRIVACY_OFFICER, first_name="Olivier", last_name="Officer")


@pytest.fixture
def lead_client(lead):
    return client_for(lead)


def days_ago(days: int):
    return timezone.now() - timedelta(days=days)


def filed(requester, dataset, *, now=None, title=None, organisation=None, category=None, officer=None, lead=None):
    """A filed case with the given content, received at ``now``; assigned to ``officer`` when given."""
    case = factories.make_request(requester=requester, dataset=dataset, status=Status.DRAFT)
    if title:
        services.request_update_draft(case=case, actor=requester, step="project", values={"title": title})
    profile = {"organisation": organisation, "requester_category": category}
    profile = {name: value for name, value in profile.items() if value}
    if profile:
        services.request_update_draft(case=case, actor=requester, step="profile", values=profile)
    case = services.request_submit(case=case, actor=requester, now=now)
    if officer is not None:
        case = services.case_assign(
            case=case, actor=lead or factories.make_user(role=Role.ACCESS_LEAD), officer=officer
        )
    return case


def counts(response) -> dict[str, int]:
    return {name: int(n) for name, n in re.findall(r'data-queue="(\w+)">(\d+)<', text(response))}


def references(response) -> list[str]:
    return re.findall(r'href="/workspace/cases/\d+/">(DA-\d{4}-\d{5})</a>', text(response))


@pytest.fixture
def board(requester, dataset, officer, lead):
    """One case per queue, received at dates chosen against today's clock."""
    return {
        "unassigned": filed(requester, dataset, title="Unassigned case"),
        "mine": filed(requester, dataset, title="Fresh case", officer=officer, lead=lead),
        "overdue": filed(requester, dataset, now=days_ago(25), title="Late case", officer=officer, lead=lead),
        "due_soon": filed(requester, dataset, now=days_ago(17), title="Close case", officer=officer, lead=lead),
        "awaiting": factories.make_request(
            requester=requester, dataset=dataset, status=Status.AWAITING_REQUESTER, officer=officer, now=days_ago(30)
        ),
        "elsewhere": filed(
            requester, dataset, title="Someone else's", officer=factories.make_user(role=Role.PRIVACY_OFFICER)
        ),
    }


# --- Access ------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["queue", "export", "workload"])
def test_workspace_pages_are_403_for_a_requester(requester_client, name):
    assert requester_client.get(reverse(f"workspace:{name}")).status_code == 403


def test_workspace_requires_login(client):
    response = client.get(QUEUE)
    assert response.status_code == 302
    assert "/accounts/login/" in response.url


@pytest.mark.parametrize("role", [Role.PRIVACY_OFFICER, Role.AUDITOR, Role.OUTPUT_CHECKER, Role.DATA_CUSTODIAN])
def test_workspace_queue_opens_for_every_staff_role(db, role):
    assert client_for(factories.make_user(role=role)).get(QUEUE).status_code == 200


@pytest.mark.parametrize("role", [Role.PRIVACY_OFFICER, Role.AUDITOR])
def test_workload_and_bulk_assignment_are_403_for_non_leads(db, role):
    client = client_for(factories.make_user(role=role))
    assert client.get(reverse("workspace:workload")).status_code == 403
    assert client.post(reverse("workspace:bulk_assign"), {"cases": ["1"]}).status_code == 403


# --- Queues ------------------------------------------------------------------------------


def test_queue_counts_for_the_lead_cover_every_filed_case(board, lead_client):
    response = lead_client.get(QUEUE)

    assert counts(response) == {
        "mine": 0,
        "unassigned": 1,
        "due_soon": 1,
        "overdue": 1,
        "awaiting_requester": 1,
        "sign_off": 0,
        "all": 6,
    }


def test_queue_counts_for_an_officer_cover_only_their_cases(board, officer):
    response = client_for(officer).get(QUEUE)

    assert counts(response) == {
        "mine": 4,
        "unassigned": 0,
        "due_soon": 1,
        "overdue": 1,
        "awaiting_requester": 1,
        "all": 4,
    }
    assert "sign_off" not in counts(response)


def test_queue_counts_are_one_aggregate_query(board, lead):
    lead.has_perm("requests_app.view_datarequest")  # load the permission cache first
    with CaptureQueriesContext(connection) as queries:
        selectors.queue_counts(lead, now=timezone.now(), names=["mine", "overdue", "due_soon", "all"])

    aggregates = [query["sql"] for query in queries if "COUNT(" in query["sql"]]
    assert len(aggregates) == 1
    assert "FILTER" in aggregates[0]


@pytest.mark.parametrize(
    ("queue", "expected"),
    [
        ("unassigned", ["unassigned"]),
        ("overdue", ["overdue"]),
        ("due_soon", ["due_soon"]),
        ("awaiting_requester", ["awaiting"]),
    ],
)
def test_queue_lists_its_cases_only(board, lead_client, queue, expected):
    response = lead_client.get(QUEUE, {"queue": queue})

    assert references(response) == [board[name].reference for name in expected]


def test_my_cases_is_the_officers_default_queue(board, officer):
    response = client_for(officer).get(QUEUE)

    assert set(references(response)) == {board[name].reference for name in ("mine", "overdue", "due_soon", "awaiting")}


def test_queue_rows_show_due_badges_and_days_left(board, lead_client):
    page = text(lead_client.get(QUEUE, {"queue": "all"}))

    # Received 25 and 17 days ago: 5 days late and 3 left, less late or more left when the 20th day was a
    # Sunday or a holiday (I-16 s. 52; at most two days, a Sunday before a Monday holiday): through the rule.
    today = clock.local_date(timezone.now())
    late = (today - clock.local_date(board["overdue"].due_at)).days
    left = (clock.local_date(board["due_soon"].due_at) - today).days
    assert 3 <= late <= 5 and 3 <= left <= 5
    assert 'class="badge badge-overdue"' in page
    assert f"{late} days late" in page
    assert 'class="badge badge-due-soon"' in page
    assert f"{left} days left" in page
    assert "Clock stopped" in page


def test_an_unknown_queue_falls_back_to_the_default(board, lead_client):
    response = lead_client.get(QUEUE, {"queue": "everything"})
    assert response.status_code == 200
    assert response.context["queue"] == "mine"


# --- Filters, search, sort, pages ---------------------------------------------------------


@pytest.fixture
def varied(requester, dataset, officer, lead):
    other_dataset = factories.make_catalogue()
    return {
        "montreal": filed(
            requester,
            dataset,
            now=days_ago(10),
            title="Diabetes in Montréal",
            organisation="Université de Montréal",
            category=RequesterCategory.RESEARCHER,
            officer=officer,
            lead=lead,
        ),
        "press": filed(
            requester,
            dataset,
            now=days_ago(2),
            title="Wait times",
            organisation="La Presse",
            category=RequesterCategory.JOURNALIST,
        ),
        "ministry": filed(
            requester,
            other_dataset,
            now=days_ago(6),
            title="Drug costs",
            organisation="Ministère",
            category=RequesterCategory.PUBLIC_BODY,
        ),
        "other_dataset": other_dataset,
    }


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"status": Status.RECEIVED}, {"press", "ministry"}),
        ({"requester_category": RequesterCategory.JOURNALIST}, {"press"}),
        ({"search": "presse"}, {"press"}),
        ({"search": "diabetes"}, {"montreal"}),
        ({"search": "DA-"}, {"montreal", "press", "ministry"}),
        ({"received_from": (timezone.localdate() - timedelta(days=7)).isoformat()}, {"press", "ministry"}),
        ({"received_to": (timezone.localdate() - timedelta(days=7)).isoformat()}, {"montreal"}),
        (
            # Due in 10 and 14 days (the press case in 18), or up to two days later when the 20th day is a
            # Sunday or a holiday (I-16 s. 52): the range ends at 16 so the filter holds whatever today is.
            {
                "due_from": (timezone.localdate() + timedelta(days=10)).isoformat(),
                "due_to": (timezone.localdate() + timedelta(days=16)).isoformat(),
            },
            {"montreal", "ministry"},
        ),
    ],
)
def test_queue_filters_and_search(varied, lead_client, params, expected):
    response = lead_client.get(QUEUE, {"queue": "all", **params})

    assert set(references(response)) == {varied[name].reference for name in expected}


def test_queue_filters_by_dataset_and_officer(varied, lead_client, officer):
    by_dataset = lead_client.get(QUEUE, {"queue": "all", "dataset": varied["other_dataset"].pk})
    by_officer = lead_client.get(QUEUE, {"queue": "all", "officer": officer.pk})

    assert references(by_dataset) == [varied["ministry"].reference]
    assert references(by_officer) == [varied["montreal"].reference]


def test_queue_reference_search_is_case_insensitive(varied, lead_client):
    reference = varied["press"].reference
    response = lead_client.get(QUEUE, {"queue": "all", "search": reference.lower()})
    assert references(response) == [reference]


def test_queue_sorts_by_due_date_ascending_by_default(varied, lead_client):
    response = lead_client.get(QUEUE, {"queue": "all"})
    assert references(response) == [varied[name].reference for name in ("montreal", "ministry", "press")]


def test_queue_sorts_by_received_date_newest_first(varied, lead_client):
    response = lead_client.get(QUEUE, {"queue": "all", "sort": "-received"})
    assert references(response) == [varied[name].reference for name in ("press", "ministry", "montreal")]


def test_queue_reports_a_bad_date_and_ignores_it(varied, lead_client):
    response = lead_client.get(QUEUE, {"queue": "all", "received_from": "yesterday"})

    assert response.status_code == 200
    assert 'id="id_received_from-error"' in text(response)
    assert len(references(response)) == 3


def test_queue_pages_hold_25_cases(requester, dataset, lead_client):
    for _ in range(27):
        filed(requester, dataset)

    first = lead_client.get(QUEUE, {"queue": "unassigned"})
    second = lead_client.get(QUEUE, {"queue": "unassigned", "page": 2})

    assert len(references(first)) == 25
    assert len(references(second)) == 2
    assert not set(references(first)) & set(references(second))
    assert "queue=unassigned&amp;page=2" in text(first)


def _queue_queries(client, user) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(QUEUE, {"queue": "all"})
    assert response.status_code == 200
    return len(queries)


def test_queue_page_issues_the_same_queries_for_3_or_30_cases(
    requester, dataset, lead, lead_client, officer, django_assert_max_num_queries
):
    def add(number):
        for index in range(number):
            filed(requester, dataset, officer=officer if index % 2 else None, lead=lead)

    add(3)
    small = _queue_queries(lead_client, lead)
    with django_assert_max_num_queries(small):
        lead_client.get(QUEUE, {"queue": "all"})
    add(27)
    with django_assert_max_num_queries(small):
        response = lead_client.get(QUEUE, {"queue": "all"})
    assert len(references(response)) == 25
    assert _queue_queries(lead_client, lead) == small


# --- CSV export ----------------------------------------------------------------------------


def export(client, **params) -> list[list[str]]:
    response = client.get(reverse("workspace:export"), params)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))


def test_csv_export_has_the_filtered_view_with_every_column(varied, lead_client, officer):
    rows = export(lead_client, queue="all", search="Diabetes")
    case = DataRequest.objects.get(pk=varied["montreal"].pk)

    assert rows[0] == [
        "Reference",
        "Title",
        "Organisation",
        "Requester category",
        "Status",
        "Received",
        "Due",
        "Assigned officer",
        "Overdue",
    ]
    assert rows[1:] == [
        [
            case.reference,
            "Diabetes in Montréal",
            "Université de Montréal",
            "Researcher",
            "Under review",
            timezone.localtime(case.received_at).date().isoformat(),
            timezone.localtime(case.due_at).date().isoformat(),
            officer.email,
            "no",
        ]
    ]


def test_csv_export_covers_every_page_and_flags_overdue(requester, dataset, lead_client):
    for _ in range(26):
        filed(requester, dataset)
    # 24 days ago: 4 days overdue, still overdue if the 20th day was a Sunday or a holiday (I-16 s. 52).
    late = filed(requester, dataset, now=days_ago(24))

    rows = export(lead_client, queue="unassigned")

    assert len(rows) == 1 + 27
    assert [row[-1] for row in rows if row[0] == late.reference] == ["yes"]


def test_csv_export_neutralises_spreadsheet_formulas(requester, dataset, lead_client):
    filed(requester, dataset, title='=HYPERLINK("http://evil.example","x")', organisation="+1-800 Acme")
    filed(requester, dataset, title="@SUM(A1)", organisation="-2 Corp")

    rows = export(lead_client, queue="unassigned", sort="received")

    assert [row[1] for row in rows[1:]] == ['\'=HYPERLINK("http://evil.example","x")', "'@SUM(A1)"]
    assert [row[2] for row in rows[1:]] == ["'+1-800 Acme", "'-2 Corp"]


def test_csv_export_is_limited_to_what_the_user_may_view(board, officer):
    rows = export(client_for(officer), queue="all")
    assert {row[0] for row in rows[1:]} == {
        board[name].reference for name in ("mine", "overdue", "due_soon", "awaiting")
    }


# --- Bulk assignment ------------------------------------------------------------------------


def test_bulk_assignment_assigns_each_ticked_case(requester, dataset, lead_client, officer):
    first, second, untouched = (filed(requester, dataset) for _ in range(3))

    response = lead_client.post(
        reverse("workspace:bulk_assign"),
        {
            "cases": [first.pk, second.pk],
            "officer": officer.pk,
            f"seen_status_{first.pk}": Status.RECEIVED,
            f"seen_status_{second.pk}": Status.RECEIVED,
            "query": "queue=unassigned",
        },
        follow=True,
    )

    assert response.redirect_chain[-1][0] == f"{QUEUE}?queue=unassigned"
    for case in (first, second):
        case.refresh_from_db()
        assert (case.status, case.assigned_to) == (Status.UNDER_REVIEW, officer)
        assert f"{case.reference} is assigned to" in text(response)
    untouched.refresh_from_db()
    assert untouched.status == Status.RECEIVED


def test_bulk_assignment_reports_a_stale_case_and_assigns_the_others(requester, dataset, lead, lead_client, officer):
    fresh, stale = filed(requester, dataset), filed(requester, dataset)
    services.case_assign(case=stale, actor=lead, officer=factories.make_user(role=Role.PRIVACY_OFFICER))

    response = lead_client.post(
        reverse("workspace:bulk_assign"),
        {
            "cases": [fresh.pk, stale.pk],
            "officer": officer.pk,
            f"seen_status_{fresh.pk}": Status.RECEIVED,
            f"seen_status_{stale.pk}": Status.RECEIVED,
        },
        follow=True,
    )

    page = text(response)
    assert f"{fresh.reference} is assigned to" in page
    assert f"{stale.reference}: This request was changed by someone else" in page
    stale.refresh_from_db()
    assert stale.assigned_to != officer


def test_bulk_assignment_without_a_case_or_officer_says_so(lead_client, officer):
    response = lead_client.post(reverse("workspace:bulk_assign"), {"officer": officer.pk}, follow=True)
    assert "Tick at least one case to assign." in text(response)


def test_bulk_assignment_refuses_a_non_officer(requester, dataset, lead_client):
    case = filed(requester, dataset)
    auditor = factories.make_user(role=Role.AUDITOR)

    response = lead_client.post(
        reverse("workspace:bulk_assign"),
        {"cases": [case.pk], "officer": auditor.pk, f"seen_status_{case.pk}": Status.RECEIVED},
        follow=True,
    )

    assert "Officer: choose a privacy officer or an access lead from the list." in text(response)
    case.refresh_from_db()
    assert case.status == Status.RECEIVED


def test_queue_offers_bulk_assignment_to_the_lead_only(board, lead_client, officer):
    assert 'id="bulk-assign"' in text(lead_client.get(QUEUE, {"queue": "unassigned"}))
    assert 'id="bulk-assign"' not in text(client_for(officer).get(QUEUE))


# --- Workload ---------------------------------------------------------------------------------


def workload_row(response, user) -> list[int]:
    row = re.search(rf'<tr data-officer="{re.escape(user.email)}">(.*?)</tr>', text(response), re.S)
    assert row, f"{user.email} is not in the workload"
    return [int(n) for n in re.findall(r'class="numeric"[^>]*>(?:<span[^>]*>)?(\d+)', row.group(1))]


def test_workload_counts_undecided_overdue_and_due_soon_per_officer(board, lead, lead_client, officer):
    idle = factories.make_user(role=Role.PRIVACY_OFFICER)

    response = lead_client.get(reverse("workspace:workload"))

    assert workload_row(response, officer) == [4, 1, 1]
    assert workload_row(response, idle) == [0, 0, 0]
    assert workload_row(response, lead) == [0, 0, 0]


def test_workload_is_one_query(board, lead):
    with CaptureQueriesContext(connection) as queries:
        rows = list(selectors.officer_workload(now=timezone.now()))
    assert len(queries) == 1
    assert len(rows) >= 3
