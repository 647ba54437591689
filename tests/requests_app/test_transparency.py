"""The public transparency page (issue 5): its figures, its small counts, its charts and its languages."""

import dataclasses
import re
import xml.etree.ElementTree as ET
from datetime import datetime, timedelta
from html import unescape
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from portal import charts
from portal.roles import Role
from requests_app import services, transparency
from requests_app.models import LegalProvision, RequesterCategory, Status
from requests_app.transparency import Shown
from tests import factories

MONTREAL = ZoneInfo("America/Montreal")
YEAR = 2025
SVG = "{http://www.w3.org/2000/svg}"


def at(month: int, day: int, hour: int = 10, minute: int = 0) -> datetime:
    return datetime(YEAR, month, day, hour, minute, tzinfo=MONTREAL)


class Agency:
    """Files and decides cases through the services, at the times a test says."""

    def __init__(self):
        self.officer = factories.make_user(role=Role.PRIVACY_OFFICER)
        self.lead = factories.make_user(role=Role.ACCESS_LEAD)
        self.requester = factories.make_user()

    def file(self, *, category: str, received: datetime, datasets):
        requester = self.requester
        case = factories.make_request(requester=requester, status=Status.DRAFT, dataset=datasets[0])
        for dataset in datasets[1:]:
            services.specification_save(
                case=case,
                actor=requester,
                dataset=dataset,
                measure="persons",
                dimensions=factories.dimension_codes(dataset)[:2],
                filters={},
            )
        services.request_update_draft(
            case=case, actor=requester, step="profile", values={**factories.PROFILE, "requester_category": category}
        )
        return services.request_submit(case=case, actor=requester, now=received)

    def assign(self, case):
        return services.case_assign(case=case, actor=self.lead, officer=self.officer, now=case.received_at)

    def extend(self, case, *, on: datetime):
        return services.deadline_extend(case=case, actor=self.officer, days=10, notice="More time needed.", now=on)

    def decide(self, case, *, outcome: str, signed: datetime):
        proposed = signed - timedelta(hours=1)
        if outcome != "refused":
            for criterion in services.criteria_for(case):
                services.criterion_assess(
                    case=case, actor=self.officer, criterion=criterion, outcome="met", now=proposed
                )
        provisions = [] if outcome == "approved" else [LegalProvision.objects.get(code="r221_research")]
        services.decision_propose(
            case=case,
            actor=self.officer,
            outcome=outcome,
            reasons="" if outcome == "approved" else "Part of the data is nominative.",
            provisions=provisions,
            now=proposed,
        )
        return services.decision_sign_off(case=case, actor=self.lead, now=signed)


@pytest.fixture
def agency(db):
    return Agency()


@pytest.fixture
def services_data(db):
    return factories.make_catalogue()


@pytest.fixture
def drugs_data(db):
    dataset = factories.make_catalogue()
    dataset.name_en = dataset.name_fr = "Drugs (test)"
    dataset.save()
    return dataset


@pytest.fixture
def year_of_cases(agency, services_data, drugs_data):
    """A known year, 2025 in Montréal time.

    Received: January 7 (6 researchers on Jan. 10, one more at 23:30 on Jan. 31, which is
    February in UTC), February 3 (journalists), March 8 (public bodies asking for both datasets).
    Decided: 5 approvals in 2, 5, 10, 10 and 19 days, a refusal in 35 days (late), two partial
    approvals in 17 and 29 days (the second after a 10-day extension, on time): median 13.5 days,
    7 of 8 within the delay. One journalist withdrew. A draft asks for the services too.
    """
    january = [
        agency.file(category=RequesterCategory.RESEARCHER, received=at(1, 10), datasets=[services_data])
        for _ in range(6)
    ]
    agency.file(category=RequesterCategory.RESEARCHER, received=at(1, 31, 23, 30), datasets=[services_data])
    february = [
        agency.file(category=RequesterCategory.JOURNALIST, received=at(2, 3), datasets=[drugs_data]) for _ in range(3)
    ]
    march = [
        agency.file(category=RequesterCategory.PUBLIC_BODY, received=at(3, 3), datasets=[services_data, drugs_data])
        for _ in range(8)
    ]
    factories.make_request(status=Status.DRAFT, dataset=services_data)

    for case, day in zip(january[:5], (12, 15, 20, 20, 29), strict=True):
        agency.decide(agency.assign(case), outcome="approved", signed=at(1, day))
    agency.decide(agency.assign(january[5]), outcome="refused", signed=at(2, 14))
    agency.decide(agency.assign(march[0]), outcome="partially_approved", signed=at(3, 20))
    extended = agency.extend(agency.assign(march[1]), on=at(3, 10))
    agency.decide(extended, outcome="partially_approved", signed=at(4, 1))
    services.request_withdraw(case=february[0], actor=february[0].requester, reason="Found elsewhere.", now=at(2, 20))
    return {"services": services_data, "drugs": drugs_data}


def figures_of(year: int = YEAR) -> transparency.Figures:
    return transparency.compute_figures(transparency.period_for(year, now=datetime(2026, 2, 1, tzinfo=MONTREAL)))


# --- The figures ---------------------------------------------------------------------------------


def test_figures_count_received_requests_per_month_in_montreal_time(year_of_cases):
    figures = figures_of()

    counts = [count for _month, count in figures.received_by_month]
    assert counts == [7, 3, 8] + [0] * 9
    assert figures.received == 18
    assert [month.month for month, _count in figures.received_by_month] == list(range(1, 13))


def test_figures_count_requests_by_category_and_by_dataset(year_of_cases):
    figures = figures_of()

    by_category = {code: count for code, _label, count in figures.received_by_category}
    assert by_category == {
        "researcher": 7,
        "journalist": 3,
        "public_body": 8,
        "private_company": 0,
        "citizen": 0,
        "elected_official": 0,
        "other": 0,
    }
    by_dataset = {code: count for code, _label, count in figures.received_by_dataset}
    # The draft's table is not counted; a request with both datasets counts once in each.
    assert by_dataset[year_of_cases["services"].code] == 15
    assert by_dataset[year_of_cases["drugs"].code] == 11


def test_figures_count_decisions_delays_extensions_and_withdrawals(year_of_cases):
    figures = figures_of()

    assert figures.decisions == 8
    assert {code: count for code, _label, count in figures.decisions_by_outcome} == {
        "approved": 5,
        "partially_approved": 2,
        "refused": 1,
    }
    assert figures.days_to_decision == {2: 1, 5: 1, 10: 2, 17: 1, 19: 1, 29: 1, 35: 1}
    assert figures.median_days_to_decision == 13.5
    assert figures.answered_within_delay == 7
    assert figures.extensions_used == 1
    assert figures.withdrawn == 1


def test_figures_of_another_year_are_empty(year_of_cases):
    figures = figures_of(2024)

    assert figures.received == 0
    assert figures.decisions == 0
    assert figures.median_days_to_decision is None


def test_a_decision_signed_after_the_due_date_is_not_within_the_delay(agency, services_data):
    case = agency.file(category=RequesterCategory.CITIZEN, received=at(5, 1), datasets=[services_data])
    agency.decide(agency.assign(case), outcome="refused", signed=case.due_at + timedelta(minutes=1))
    other = agency.file(category=RequesterCategory.CITIZEN, received=at(5, 1), datasets=[services_data])
    agency.decide(agency.assign(other), outcome="refused", signed=other.due_at)

    figures = figures_of()

    assert (figures.decisions, figures.answered_within_delay) == (2, 1)


def test_median_of_histogram_takes_the_middle_value_or_the_mean_of_the_two_middle_values():
    assert transparency.median_of_histogram({}) is None
    assert transparency.median_of_histogram({4: 1}) == 4
    assert transparency.median_of_histogram({1: 1, 3: 1, 100: 1}) == 3
    assert transparency.median_of_histogram({1: 2, 3: 1, 9: 1}) == 2
    assert transparency.median_of_histogram({10: 3, 11: 3}) == 10.5


# --- Small counts ---------------------------------------------------------------------------------
# The page's own rule ("< 5" for a small count, a second cell "hidden") is gone: the disclosure engine protects
# the page (test_transparency_disclosure.py solves the attacker's programs). These tests pin what it shows.


def test_published_figures_hide_small_counts_and_what_would_reveal_them(year_of_cases):
    published = transparency.publish(figures_of(), threshold=5)

    months = [(cell.shown, cell.value) for _key, _label, cell in published.by_month.rows]
    # February's 3 is hidden, and so is January: with the total, January would give February away.
    assert months[:3] == [(Shown.HIDDEN, None), (Shown.HIDDEN, None), (Shown.VALUE, 8)]
    assert months[3:] == [(Shown.VALUE, 0)] * 9
    categories = {key: (cell.shown, cell.value) for key, _label, cell in published.by_category.rows}
    assert categories["journalist"] == (Shown.HIDDEN, None)
    assert categories["researcher"] == (Shown.HIDDEN, None)
    assert categories["public_body"] == (Shown.VALUE, 8)
    assert published.by_category.total.value == 18
    # 5 approved, 2 partial, 1 refused: the 5 is hidden too, else 8 − 5 would bound the others to [0, 3].
    assert {key: cell.shown for key, _label, cell in published.by_outcome.rows} == dict.fromkeys(
        ["approved", "partially_approved", "refused"], Shown.HIDDEN
    )
    assert published.decisions.value == 8
    assert published.median_days_to_decision.value == 13.5
    # 87.5 % of 8 decisions would say that exactly one was late.
    assert published.share_within_delay.value is None
    assert transparency.publish(figures_of(), threshold=1).share_within_delay.value == 87.5
    assert published.extensions_used.shown == Shown.HIDDEN
    assert published.withdrawn.shown == Shown.HIDDEN


def test_a_median_and_a_share_over_fewer_than_seven_decisions_are_hidden(year_of_cases):
    figures = figures_of()
    assert transparency.MINIMUM_CASES_FOR_STATISTICS == 7
    six = dataclasses.replace(
        figures,
        decisions=6,
        answered_within_delay=6,
        decisions_by_outcome=[("approved", "Approved", 6), ("partially_approved", "", 0), ("refused", "", 0)],
        days_to_decision={2: 1, 5: 1, 10: 2, 17: 1, 19: 1},
    )

    published = transparency.publish(six, threshold=1)

    assert published.decisions.value == 6
    assert published.median_days_to_decision.value is None
    assert published.share_within_delay.value is None
    assert transparency.publish(figures, threshold=1).median_days_to_decision.value == 13.5


def test_a_share_is_published_when_neither_late_nor_on_time_decisions_are_a_small_count(year_of_cases):
    figures = dataclasses.replace(
        figures_of(),
        decisions=10,
        answered_within_delay=5,
        decisions_by_outcome=[("approved", "Approved", 10), ("partially_approved", "", 0), ("refused", "", 0)],
    )

    assert transparency.publish(figures, threshold=5).share_within_delay.value == 50.0
    assert transparency.publish(figures, threshold=6).share_within_delay.value is None


# --- The page -------------------------------------------------------------------------------------


def page(client: Client, language: str = "en", **query):
    return client.get(reverse("transparency"), query, HTTP_ACCEPT_LANGUAGE=language)


def table_rows(html: str, caption_start: str) -> dict[str, str]:
    """The rows of the table whose caption starts with ``caption_start``: row header -> cell text."""
    table = re.search(rf"<table[^>]*>\s*<caption>{re.escape(caption_start)}.*?</table>", html, re.S)
    assert table, f"no table {caption_start!r}"
    rows = re.findall(r'<th scope="row">(.*?)</th><td class="numeric">(.*?)</td>', table.group(0), re.S)
    return {
        unescape(label): unescape(re.sub(r"<[^>]+>", "", cell.split("</span><span")[0])).strip() for label, cell in rows
    }


def test_the_page_is_public_and_shows_the_year_in_english(client, year_of_cases):
    response = page(client, year=YEAR)

    assert response.status_code == 200
    html = response.content.decode()
    assert '<html lang="en">' in html
    assert 'href="/static/css/transparency.css"' in html
    months = table_rows(html, "Requests received per month")
    assert months["January 2025"] == "hidden"
    assert months["February 2025"] == "hidden"
    assert months["March 2025"] == "8"
    assert months["Total received"] == "18"
    assert "&lt; 5" not in html, "a small count looks like any other hidden count"
    assert "13.5" in html
    assert "87.5%" not in html, "one late decision out of 8 would be a small count"


def test_a_count_of_three_is_hidden_and_the_total_cannot_reveal_it(client, year_of_cases):
    html = page(client, year=YEAR).content.decode()

    categories = table_rows(html, "Requests received by category of requester")
    assert categories["Journalist"] == "hidden"
    assert "3" not in categories.values()
    total = int(categories.pop("Total received"))
    shown = sum(int(text) for text in categories.values() if text.isdigit())
    hidden = [text for text in categories.values() if not text.isdigit()]
    assert hidden == ["hidden", "hidden"]
    # The total leaves 10 for the two hidden cells: the 3 may be anything from 0 to 10, at least 5 wide.
    assert total - shown >= 5


def test_the_page_is_in_french_by_default_with_french_numbers_and_months(client, year_of_cases):
    response = page(client, language="fr", year=YEAR)

    html = response.content.decode()
    assert response.status_code == 200
    assert '<html lang="fr">' in html
    assert "janvier 2025" in html
    assert "13,5" in html
    months = table_rows(html, "Demandes reçues par mois")
    assert months["février 2025"] == "masqué"


def test_a_withheld_breakdown_says_so_and_keeps_its_total(client, agency, services_data):
    """Three requests in a year: their total is hidden, so no breakdown of it can be shown."""
    for month in (2, 2, 5):
        agency.file(category=RequesterCategory.CITIZEN, received=at(month, 3), datasets=[services_data])

    html = page(client, year=YEAR).content.decode()

    months = html.split('id="months-title"')[1].split("</section>")[0]
    assert "Too few requests to show this breakdown" in months
    assert "<table" not in months and "<svg" not in months
    assert "Total received: <span" in unescape(months) and "hidden" in months


@pytest.mark.parametrize(
    ("year", "message"),
    [
        ("abc", "Enter a year as four digits"),
        ("20 25", "Enter a year as four digits"),
        ("1999", "Figures exist from 2025 to"),
        ("99999999999999999999", "Figures exist from 2025 to"),
    ],
)
def test_a_bad_year_gets_a_clear_message_not_a_server_error(client, agency, services_data, year, message):
    agency.file(category=RequesterCategory.CITIZEN, received=at(6, 2), datasets=[services_data])

    response = page(client, year=year)

    assert response.status_code == 400
    html = unescape(response.content.decode())
    assert "There is a problem" in html
    assert message in html
    assert "<svg" not in html


@pytest.mark.parametrize("language", ["en", "fr"])
def test_the_current_year_answers_400_until_it_has_ended(client, agency, services_data, language):
    """A running year grows day by day: two showings of it would differ by the requests of the days between."""
    this_year = datetime.now(tz=MONTREAL).year
    agency.file(category=RequesterCategory.CITIZEN, received=at(6, 2), datasets=[services_data])

    response = page(client, language=language, year=this_year)

    assert response.status_code == 400
    html = unescape(response.content.decode())
    assert "<svg" not in html
    if language == "en":  # the French text comes with the catalogue (/tmp/transp-fr.json until merged)
        assert f"The figures for {this_year} are published once the year has ended." in html
        assert f"Choose a year from 2025 to {this_year - 1}." in html
    with pytest.raises(transparency.PeriodNotClosed):
        transparency.published_figures(year=this_year, now=datetime.now(tz=MONTREAL))


def test_without_a_year_the_page_shows_the_last_closed_year(client, db):
    # It showed the current year until the page published closed years only.
    response = page(client)

    assert response.status_code == 200
    assert f"Requests received per month, {datetime.now(tz=MONTREAL).year - 1}" in response.content.decode()


def test_the_page_costs_the_same_queries_with_more_cases(client, agency, services_data, django_assert_max_num_queries):
    agency.file(category=RequesterCategory.CITIZEN, received=at(6, 2), datasets=[services_data])
    with CaptureQueriesContext(connection) as few:
        assert page(client, year=YEAR).status_code == 200
    for month in range(1, 13):
        case = agency.file(
            category=RequesterCategory.OTHER, received=at(month, 2), datasets=[factories.make_catalogue()]
        )
        agency.decide(agency.assign(case), outcome="refused", signed=at(month, 5))

    with django_assert_max_num_queries(len(few.captured_queries)):
        assert page(client, year=YEAR).status_code == 200
    assert len(few.captured_queries) <= 8


# --- The charts -----------------------------------------------------------------------------------


def parse_svg(markup: str) -> ET.Element:
    """Parse the portal's own markup as XML: it fails on anything not well-formed."""
    return ET.fromstring(markup)  # noqa: S314 - the test's own server output, not untrusted input


def _svgs(html: str) -> list[ET.Element]:
    return [parse_svg(markup) for markup in re.findall(r"<svg.*?</svg>", html, re.S)]


def test_the_charts_are_well_formed_svg_named_and_described(client, year_of_cases):
    svgs = _svgs(page(client, year=YEAR).content.decode())

    assert len(svgs) == 4  # months, categories, datasets, outcomes
    for svg in svgs:
        assert svg.get("role") == "img"
        ids = {element.get("id") for element in svg.iter() if element.get("id")}
        title_id, desc_id = svg.get("aria-labelledby").split()
        assert {title_id, desc_id} <= ids
        assert svg.find(f"{SVG}title").text
        assert not [element for element in svg.iter() if element.tag in (f"{SVG}script", f"{SVG}image")]
        assert not [
            value
            for element in svg.iter()
            for value in element.attrib.values()
            if "http" in value and value != "http://www.w3.org/2000/svg"
        ]
    months = svgs[0]
    texts = [text.text for text in months.iter(f"{SVG}text")]
    assert "hidden" in texts and "8" in texts
    assert any("url(#" in (rect.get("fill") or "") for rect in months.iter(f"{SVG}rect"))


def test_a_chart_escapes_its_labels_and_draws_a_hatched_bar():
    with translation.override("en"):
        markup = charts.horizontal_bar_chart(
            chart_id="c",
            title='Tom & Jerry <"quoted">',
            description="A test.",
            bars=[
                charts.Bar(label="A very long label that has to be broken over lines", value=1200, text="1,200"),
                charts.Bar(label="<small>", value=5, text="< 5", hatched=True),
                charts.Bar(label="unknown", value=None, text="hidden", hatched=True),
            ],
        )
    svg = parse_svg(markup)

    assert svg.find(f"{SVG}title").text == 'Tom & Jerry <"quoted">'
    labels = ["".join(text.itertext()) for text in svg.iter(f"{SVG}text")]
    assert "<small>" in labels and "< 5" in labels
    assert len(list(svg.iter(f"{SVG}tspan"))) >= 4
    hatched = [rect for rect in svg.iter(f"{SVG}rect") if rect.get("fill") == "url(#c-hatch)"]
    assert len(hatched) == 2


def test_a_bar_chart_of_nothing_is_still_a_chart():
    svg = parse_svg(charts.bar_chart(chart_id="empty", title="Nothing", description="No bars.", bars=[]))

    assert svg.get("role") == "img"


def test_accommodations_asked_for_are_counted_and_a_small_count_is_hidden(year_of_cases):
    """Access Act s. 47 (1.1°): the page counts the requests with an accommodation, like every count,
    without a small number."""
    from requests_app.models import Accommodation, DataRequest

    received = DataRequest.objects.exclude(status=Status.DRAFT).order_by("pk")
    DataRequest.objects.filter(pk__in=list(received.values_list("pk", flat=True)[:3])).update(
        accommodation=Accommodation.FORMAT
    )
    assert figures_of().accommodations == 3
    assert transparency.publish(figures_of(), threshold=5).accommodations.shown == Shown.HIDDEN
    DataRequest.objects.filter(pk__in=list(received.values_list("pk", flat=True)[:6])).update(
        accommodation=Accommodation.ASSISTANCE
    )
    published = transparency.publish(figures_of(), threshold=5).accommodations
    assert (published.shown, published.value) == (Shown.VALUE, 6)


def test_reviews_asked_of_the_commission_are_counted_in_the_year_they_were_asked(year_of_cases):
    """Access Act ss. 135, 137: the page counts the reviews asked in the year, without a small number; a
    review asked the next year counts there."""
    from datetime import date

    from requests_app.models import DataRequest, ReviewRequest

    filed = list(DataRequest.objects.exclude(status=Status.DRAFT).order_by("pk")[:7])
    for case in filed[:6]:
        ReviewRequest.objects.create(
            request=case, requested_on=date(YEAR, 5, 2), recorded_by=case.requester, recorded_at=at(5, 2)
        )
    ReviewRequest.objects.create(
        request=filed[6], requested_on=date(YEAR + 1, 1, 3), recorded_by=filed[6].requester, recorded_at=at(5, 2)
    )
    assert figures_of().reviews == 6
    published = transparency.publish(figures_of(), threshold=5).reviews
    assert (published.shown, published.value) == (Shown.VALUE, 6)
    assert transparency.publish(figures_of(), threshold=7).reviews.shown == Shown.HIDDEN
