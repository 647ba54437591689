"""The transparency page against an attacker who holds every year it has shown (issue 11, point 5).

The attacker here is written in the test, independently of the disclosure
engine: it reads the page as a visitor does (the HTML of every closed year),
writes down what any reader knows (months and categories add up to the
requests received; each dataset counts at most the requests received, and
every request asks for at least one; outcomes, and on-time plus late
decisions, add up to the decisions; a share gives the on-time decisions) and
solves linear programs (scipy's HiGHS) for the lowest and highest value of
every hidden count. Every hidden count whose true value is 1 to threshold − 1
must keep an interval at least as wide as the protection level (the threshold).

The years were chosen so that the page's former rule leaked: it showed a small
count as "< 5" (so the reader knew it lay in [1, 4]) and hid a single second
cell, sized for that knowledge; it also showed the running year, whose figures
grow from one showing to the next.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from html import unescape
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse
from django.utils import translation
from django.utils.formats import date_format
from scipy.optimize import linprog

from portal.roles import Role
from requests_app import services, transparency
from requests_app.models import LegalProvision, RequesterCategory, Status
from tests import factories

MONTREAL = ZoneInfo("America/Montreal")
THRESHOLD = 5
YEARS = (2024, 2025)


def at(year: int, month: int, day: int, hour: int = 10) -> datetime:
    return datetime(year, month, day, hour, tzinfo=MONTREAL)


class Agency:
    """Files and decides cases through the services, at the times a test says."""

    def __init__(self):
        self.officer = factories.make_user(role=Role.PRIVACY_OFFICER)
        self.lead = factories.make_user(role=Role.ACCESS_LEAD)
        self.requester = factories.make_user()

    def file(self, *, category: str, received: datetime, datasets):
        case = factories.make_request(requester=self.requester, status=Status.DRAFT, dataset=datasets[0])
        for dataset in datasets[1:]:
            services.specification_save(
                case=case,
                actor=self.requester,
                dataset=dataset,
                measure="persons",
                dimensions=factories.dimension_codes(dataset)[:2],
                filters={},
            )
        services.request_update_draft(
            case=case,
            actor=self.requester,
            step="profile",
            values={**factories.PROFILE, "requester_category": category},
        )
        return services.request_submit(case=case, actor=self.requester, now=received)

    def decide(self, case, *, outcome: str, after_days: int):
        case = services.case_assign(case=case, actor=self.lead, officer=self.officer, now=case.received_at)
        signed = case.received_at + timedelta(days=after_days)
        proposed = signed - timedelta(hours=1)
        if outcome != "refused":
            for criterion in services.criteria_for(case):
                services.criterion_assess(
                    case=case, actor=self.officer, criterion=criterion, outcome="met", now=proposed
                )
        services.decision_propose(
            case=case,
            actor=self.officer,
            outcome=outcome,
            reasons="" if outcome == "approved" else "Part of the data is nominative.",
            provisions=[] if outcome == "approved" else [LegalProvision.objects.get(code="r221_research")],
            now=proposed,
        )
        return services.decision_sign_off(case=case, actor=self.lead, now=signed)

    def extend(self, case, *, on: datetime):
        case = services.case_assign(case=case, actor=self.lead, officer=self.officer, now=case.received_at)
        return services.deadline_extend(case=case, actor=self.officer, days=10, notice="More time needed.", now=on)


@pytest.fixture
def two_years(db):
    """2024 and 2025, each with small counts the former rule showed as "< 5".

    2024: 14 requests (January 6, March 2, June 6), 12 researchers and 2 journalists (the category of 2
    that the total minus the researchers gives back); services asked by 12, drugs by 3 (one asks for
    both); 9 decisions: 6 approved, 2 refused, 1 partially approved, one of them late (35 days); 2
    extensions; 1 withdrawal. 2025: 18 requests (January 7, February 3, March 8) from researchers (7),
    journalists (3) and public bodies (8); 6 decisions (5 approved, 1 refused), under the 7 a median needs.
    """
    agency = Agency()
    services_data, drugs_data = factories.make_catalogue(), factories.make_catalogue()
    services_data.name_en = services_data.name_fr = "Medical services (test)"
    drugs_data.name_en = drugs_data.name_fr = "Drugs (test)"
    services_data.save()
    drugs_data.save()

    def file(category, received, datasets=(services_data,)):
        return agency.file(category=category, received=received, datasets=list(datasets))

    researcher, journalist, public = (
        RequesterCategory.RESEARCHER,
        RequesterCategory.JOURNALIST,
        RequesterCategory.PUBLIC_BODY,
    )
    january = [file(researcher, at(2024, 1, 8)) for _ in range(4)] + [
        file(researcher, at(2024, 1, 9), (drugs_data,)),
        file(researcher, at(2024, 1, 9), (services_data, drugs_data)),
    ]
    march = [file(journalist, at(2024, 3, 4)), file(journalist, at(2024, 3, 5), (drugs_data,))]
    june = [file(researcher, at(2024, 6, 3)) for _ in range(6)]
    for case, outcome, days in zip(
        [*january, *june[:3]],
        ["approved"] * 4 + ["refused", "approved", "partially_approved", "approved", "refused"],
        [5, 9, 12, 15, 35, 18, 10, 7, 14],
        strict=True,
    ):
        agency.decide(case, outcome=outcome, after_days=days)
    for case in june[3:5]:
        agency.extend(case, on=at(2024, 6, 20))
    services.request_withdraw(case=march[0], actor=march[0].requester, reason="Found elsewhere.", now=at(2024, 4, 1))

    later = (
        [file(researcher, at(2025, 1, 10)) for _ in range(7)]
        + [file(journalist, at(2025, 2, 3), (drugs_data,)) for _ in range(3)]
        + [file(public, at(2025, 3, 3), (services_data, drugs_data)) for _ in range(8)]
    )
    for case, outcome in zip(later[:6], ["approved"] * 5 + ["refused"], strict=True):
        agency.decide(case, outcome=outcome, after_days=6)
    services.request_withdraw(case=later[7], actor=later[7].requester, reason="Found elsewhere.", now=at(2025, 2, 9))
    return {"services": services_data, "drugs": drugs_data}


# --- What the page shows, read as a visitor reads it ----------------------------------------------


def page(client: Client, year: int, language: str = "en") -> str:
    response = client.get(reverse("transparency"), {"year": year}, HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 200
    return response.content.decode()


def _text(cell_html: str) -> str:
    return unescape(re.sub(r"<[^>]+>", "", cell_html.split("</span><span")[0])).strip()


def table_rows(html: str, caption_start: str) -> dict[str, str] | None:
    """Row header -> cell text of the table whose caption starts so; ``None`` when the breakdown is withheld."""
    table = re.search(rf"<table[^>]*>\s*<caption>{re.escape(caption_start)}.*?</table>", html, re.S)
    if table is None:
        return None
    rows = re.findall(r'<th scope="row">(.*?)</th><td class="numeric">(.*?)</td>', table.group(0), re.S)
    return {unescape(label): _text(cell) for label, cell in rows}


def key_figures(html: str) -> dict[str, str]:
    return {
        unescape(label): _text(value)
        for label, value in re.findall(
            r"<dt>(.*?)</dt>\s*<dd>(.*?)</dd>", html.split("key-figures-title", 1)[1].split("</dl>", 1)[0], re.S
        )
    }


# --- The attacker ---------------------------------------------------------------------------------


@dataclass
class AttackerProgram:
    """Non-negative unknowns for what the page hides, constants for what it shows, and the reader's relations."""

    names: list[str] = field(default_factory=list)
    bounds: list[tuple[float, float | None]] = field(default_factory=list)
    equalities: list[tuple[dict[int, float], float]] = field(default_factory=list)
    inequalities: list[tuple[dict[int, float], float]] = field(default_factory=list)  # row · x <= bound
    #: Unknown name -> its true value, for the hidden counts.
    truth: dict[str, int] = field(default_factory=dict)

    def count(self, name: str, shown: str, true_value: int) -> int:
        """A count as the page shows it: a number is a constant, "hidden" an unknown at least 0."""
        index = len(self.names)
        self.names.append(name)
        digits = shown.replace(",", "").replace("\u202f", "").replace("\xa0", "")
        if digits.isdigit():
            assert int(digits) == true_value, f"{name}: the page shows {shown}, the truth is {true_value}"
            self.bounds.append((int(digits), int(digits)))
        else:
            assert shown in ("hidden", "masqué"), f"{name}: {shown!r}"
            self.bounds.append((0, None))
            self.truth[name] = true_value
        return index

    def unknown(self, name: str, true_value: int) -> int:
        """A count the page never prints but a reader can reason about (late decisions)."""
        return self.count(name, "hidden", true_value)

    def sum_is(self, parts: list[int], total: int) -> None:
        self.equalities.append(({**dict.fromkeys(parts, 1.0), total: -1.0}, 0.0))

    def at_most(self, smaller: int, larger: int) -> None:
        self.inequalities.append(({smaller: 1.0, larger: -1.0}, 0.0))

    def at_most_sum(self, total: int, parts: list[int]) -> None:
        self.inequalities.append(({total: 1.0, **dict.fromkeys(parts, -1.0)}, 0.0))

    def narrow(self, name: str, low: float, high: float) -> None:
        """What a reader also knows of one unknown (what the former "< 5" said, for instance)."""
        index = self.names.index(name)
        self.bounds[index] = (low, high)

    def _matrix(self, rows):
        matrix = np.zeros((len(rows), len(self.names)))
        for number, (row, _bound) in enumerate(rows):
            for index, coefficient in row.items():
                matrix[number, index] += coefficient
        return matrix, np.array([bound for _row, bound in rows])

    def interval(self, name: str) -> tuple[float, float]:
        index = self.names.index(name)
        a_eq, b_eq = self._matrix(self.equalities)
        a_ub, b_ub = self._matrix(self.inequalities) if self.inequalities else (None, None)
        ends = []
        for sign in (1.0, -1.0):
            objective = np.zeros(len(self.names))
            objective[index] = sign
            result = linprog(objective, A_ub=a_ub, b_ub=b_ub, A_eq=a_eq, b_eq=b_eq, bounds=self.bounds, method="highs")
            if result.status == 3:  # unbounded: the attacker cannot bound it from above
                ends.append(math.inf)
                continue
            assert result.status == 0, f"{name}: {result.message}"
            ends.append(sign * result.fun)
        return ends[0], ends[1]

    def narrowed_small_counts(self, level: int = THRESHOLD) -> dict[str, tuple[float, float]]:
        """Every hidden count of 1 to threshold − 1 whose interval is narrower than ``level``."""
        narrowed = {}
        for name, value in self.truth.items():
            if 1 <= value < THRESHOLD:
                low, high = self.interval(name)
                if high - low < level - 1e-6:
                    narrowed[name] = (low, high)
        return narrowed


def read_year(attacker: AttackerProgram, html: str, figures: transparency.Figures) -> None:
    """Add to ``attacker`` what a reader of one year's page knows; ``figures`` give the truth of each count."""
    year = figures.period.year
    keys = key_figures(html)
    received = attacker.count(f"{year} received", keys["Requests received"], figures.received)
    decisions = attacker.count(f"{year} decisions", keys["Decisions signed"], figures.decisions)
    attacker.count(f"{year} extended", keys["Requests whose delay was extended"], figures.extensions_used)
    attacker.count(f"{year} withdrawn", keys["Requests withdrawn by the requester"], figures.withdrawn)

    months = table_rows(html, "Requests received per month")
    if months is not None:
        cells = [
            attacker.count(f"{year} {label}", months[label], count)
            for month, count in figures.received_by_month
            if (label := date_format(month, "YEAR_MONTH_FORMAT"))
        ]
        attacker.sum_is(cells, received)
    categories = table_rows(html, "Requests received by category of requester")
    if categories is not None:
        # A category the page leaves out is a published zero.
        cells = [
            attacker.count(f"{year} {label}", categories[label], count)
            for _code, label, count in figures.received_by_category
            if label in categories
        ]
        attacker.sum_is(cells, received)
    datasets = table_rows(html, "Requests received by dataset asked for")
    if datasets is not None:
        cells = [
            attacker.count(f"{year} {name}", datasets[name], count)
            for _code, name, count in figures.received_by_dataset
            if name in datasets
        ]
        for cell in cells:  # a dataset is asked by some of the requests received; each request asks for one
            attacker.at_most(cell, received)
        attacker.at_most_sum(received, cells)
    outcomes = table_rows(html, "Decisions by outcome")
    if outcomes is not None:
        cells = [
            attacker.count(f"{year} {label}", outcomes[label], count)
            for _code, label, count in figures.decisions_by_outcome
        ]
        attacker.sum_is(cells, decisions)
    on_time = attacker.unknown(f"{year} on time", figures.answered_within_delay)
    late = attacker.unknown(f"{year} late", figures.decisions - figures.answered_within_delay)
    attacker.sum_is([on_time, late], decisions)
    share = keys["Decisions signed within the legal delay"]
    if share.endswith("%"):
        # Rounded down to one decimal: on time / decisions lies in [share, share + 0.1) %.
        percent = float(share[:-1])
        attacker.inequalities.append(({on_time: -100.0, decisions: percent}, 0.0))
        attacker.inequalities.append(({on_time: 100.0, decisions: -(percent + 0.1)}, 0.0))


def attacker_of(client: Client, years=YEARS) -> AttackerProgram:
    """One program over every closed year the page shows."""
    attacker = AttackerProgram()
    now = datetime.now(tz=MONTREAL)
    with translation.override("en"):
        for year in years:
            figures = transparency.compute_figures(transparency.period_for(year, now=now))
            read_year(attacker, page(client, year), figures)
    return attacker


# --- The tests ------------------------------------------------------------------------------------


def test_the_years_hold_small_counts_the_page_hides(client, two_years):
    figures = {
        year: transparency.compute_figures(transparency.period_for(year, now=datetime.now(tz=MONTREAL)))
        for year in YEARS
    }
    assert figures[2024].received == 14
    assert {code: n for code, _label, n in figures[2024].received_by_category if n} == {
        "researcher": 12,
        "journalist": 2,
    }
    assert [n for _month, n in figures[2024].received_by_month if n] == [6, 2, 6]
    assert {name: n for _code, name, n in figures[2024].received_by_dataset if n} == {
        "Drugs (test)": 3,
        "Medical services (test)": 12,
    }
    assert (figures[2024].decisions, figures[2024].answered_within_delay) == (9, 8)
    assert (figures[2024].extensions_used, figures[2024].withdrawn) == (2, 1)
    assert (figures[2025].received, figures[2025].decisions, figures[2025].withdrawn) == (18, 6, 1)

    attacker = attacker_of(client)

    small = {name: value for name, value in attacker.truth.items() if 1 <= value < THRESHOLD}
    assert {"2024 Journalist", "2024 March 2024", "2024 Drugs (test)", "2024 late", "2024 extended"} <= set(small)
    assert {"2025 Journalist", "2025 February 2025", "2025 Refused", "2025 withdrawn"} <= set(small)


def test_no_hidden_small_count_can_be_narrowed_across_every_year_shown(client, two_years):
    attacker = attacker_of(client)

    assert attacker.narrowed_small_counts() == {}
    # Each hidden small count keeps at least the protection level, the journalists' 2 of 2024 included.
    low, high = attacker.interval("2024 Journalist")
    assert high - low >= THRESHOLD


def test_the_former_rule_would_fail_the_same_attacker(client, two_years):
    """What the former page said of a small count ("< 5": from 1 to 4) is enough to fail the audit."""
    attacker = attacker_of(client)
    for name, value in attacker.truth.items():
        if 1 <= value < THRESHOLD:
            attacker.narrow(name, 1, THRESHOLD - 1)

    narrowed = attacker.narrowed_small_counts()

    assert narrowed["2024 Journalist"] == (1, 4)
    assert "2025 February 2025" in narrowed


def test_the_attacker_recovers_a_small_count_the_page_would_leave_alone_beside_its_total(client, two_years):
    """Publishing the researchers of 2024 beside the total would give the journalists' 2 by subtraction."""
    attacker = attacker_of(client)
    researchers = attacker.names.index("2024 Researcher")
    attacker.bounds[researchers] = (12, 12)

    assert attacker.interval("2024 Journalist") == pytest.approx((2, 2))
    assert "2024 Journalist" in attacker.narrowed_small_counts()


def test_a_year_shows_the_same_figures_again_after_later_years_have_closed(two_years, db):
    """2024 as shown in 2025 (the only closed year then) and as shown in 2027, after 2025 and 2026 closed."""
    first = transparency.published_figures(year=2024, now=at(2025, 3, 1))
    cache.clear()  # solved again from the data, not read back from the memo
    again = transparency.published_figures(year=2024, now=at(2027, 2, 1))
    remembered = transparency.published_figures(year=2024, now=at(2027, 2, 1))

    assert again == first
    assert remembered == first
    later = transparency.published_figures(year=2025, now=at(2027, 2, 1))
    cache.clear()
    assert transparency.published_figures(year=2025, now=at(2026, 1, 2)) == later


def test_a_hidden_count_and_a_median_under_seven_decisions_read_hidden_in_english_and_masque_in_french(
    client, two_years
):
    english, french = page(client, 2025), page(client, 2025, language="fr")

    assert table_rows(english, "Requests received per month")["February 2025"] == "hidden"
    assert table_rows(french, "Demandes reçues par mois")["février 2025"] == "masqué"
    assert key_figures(english)["Median days from receipt to decision"] == "hidden"  # 6 decisions
    assert key_figures(french)["Nombre médian de jours entre la réception et la décision"] == "masqué"
    # 2024 had 9 decisions: its median is shown.
    assert key_figures(page(client, 2024))["Median days from receipt to decision"] == "12"


def test_a_year_of_three_requests_after_a_year_of_seven_withholds_its_breakdowns_and_leaks_nothing(client, db):
    agency, dataset = Agency(), factories.make_catalogue()
    for month in (1, 1, 1, 1, 4, 4, 9):
        agency.file(category=RequesterCategory.RESEARCHER, received=at(2024, month, 8), datasets=[dataset])
    for category in (RequesterCategory.JOURNALIST, RequesterCategory.JOURNALIST, RequesterCategory.CITIZEN):
        agency.file(category=category, received=at(2025, 2, 3), datasets=[dataset])

    attacker = attacker_of(client)

    assert key_figures(page(client, 2025))["Requests received"] == "hidden"
    assert table_rows(page(client, 2025), "Requests received per month") is None  # withheld
    assert {"2025 received", "2024 April 2024", "2024 September 2024"} <= set(attacker.truth)
    assert attacker.narrowed_small_counts() == {}
