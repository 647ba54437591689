"""Suppress-then-round never leaves a redacted count pinned inside [1, t − 1] by the published rounded values.

The attacks are solved by the tests' own integer attacker (``tables.rounding_attacker_ranges``),
not by ``stats_app.disclosure.pinning``.
"""

import dataclasses
import random

import pytest

from stats_app.disclosure import TOTAL, DisclosureReport, Policy, ProtectedTable, audit, protect
from stats_app.disclosure.pinning import largest_redacted, pinned_cells, published_range
from stats_app.disclosure.rounding import round_and_redact, suppress_then_round
from stats_app.disclosure.rounding_rules import redaction_rule, round_half_up

from .tables import dimension, is_sum_of_finest, persons_table, pinned_by_rounding, suppressed

ROUNDED = Policy(method="suppress_then_round", threshold=5, rounding_base=5)
YEAR = dimension("year", "2022", "2023", additive=False)
REGION = dimension("region", "01", "02", "03", additive=False)
SEX = dimension("sex", "F", "M")

#: Distinct persons of hospital stays: (how many, the years, the regions, the sex). A person counts once in a
#: margin across years or regions, so those margins are rounded on their own and bound their parts.
STAYS = [
    (36, ["2022"], ["02"], "F"),
    (4, ["2022", "2023"], ["02"], "F"),
    (36, ["2023"], ["01", "03"], "F"),
    (1, ["2022", "2023"], ["01", "03"], "M"),
    (1, ["2022"], ["01"], "F"),
    (31, ["2022"], ["01", "02"], "F"),
    (16, ["2022", "2023"], ["03"], "F"),
    (3, ["2022", "2023"], ["03"], "M"),
]


def stays_table():
    groups = [(size, [years, regions, [sex]]) for size, years, regions, sex in STAYS]
    return persons_table([YEAR, REGION, SEX], groups)


@pytest.mark.parametrize("base", [3, 4, 5, 10])
@pytest.mark.parametrize("threshold", [3, 5, 10])
@pytest.mark.parametrize("publish_zeros", [True, False])
def test_published_range_is_every_count_published_so(base, threshold, publish_zeros):
    policy = Policy(method="suppress_then_round", threshold=threshold, rounding_base=base, publish_zeros=publish_zeros)
    hidden = [count for count in range(200) if redaction_rule(count, policy) is not None]
    assert largest_redacted(policy) == max(hidden)
    shown = [count for count in range(200) if redaction_rule(count, policy) is None]
    for value in sorted({round_half_up(count, base) for count in shown if count < 150}):
        counts = [count for count in shown if round_half_up(count, base) == value]
        bounds = published_range(value, policy)
        assert counts == list(range(bounds.low, bounds.high + 1))


def test_rule_alone_leaves_five_stays_cells_pinned_inside_one_to_four():
    table = stays_table()
    published, redacted = round_and_redact(table, ROUNDED)
    # (Total, 01, Total) 69 persons is published 70, (Total, 01, F) 68 is published 70 too: the men of
    # region 01 over both years are at most 72 − 68 = 4, and the cells under them fewer still.
    pinned = pinned_by_rounding(table, published, ROUNDED, secondary=False)
    assert pinned == {
        ("2022", "01", "M"): (1, 4),
        ("2022", "03", "M"): (1, 4),
        ("2022", TOTAL, "M"): (1, 4),
        ("2023", "01", "M"): (1, 4),
        (TOTAL, "01", "M"): (1, 4),
    }
    assert "secondary" not in redacted
    assert set(pinned_cells(table, published, ROUNDED, secondary=False)) == set(pinned)


def test_suppress_then_round_leaves_no_stays_cell_pinned():
    table = stays_table()
    published, redacted = suppress_then_round(table, ROUNDED)
    assert redacted["secondary"] > 0
    assert pinned_by_rounding(table, published, ROUNDED, secondary=True) == {}
    rule_alone, _ = round_and_redact(table, ROUNDED)
    assert suppressed(rule_alone) < suppressed(published)
    for key in suppressed(published) - suppressed(rule_alone):
        assert redaction_rule(table.cell(key).value, ROUNDED) is None
        assert table.cell(key).value > 0


def test_protect_reports_the_extra_redactions_and_passes_its_audit():
    protected = protect(stays_table(), ROUNDED)
    report = protected.report
    assert report.audit_passed
    assert report.suppressed_by_rule["secondary"] > 0
    assert sum(report.suppressed_by_rule.values()) == report.suppressed


def rule_alone_protected(table, policy):
    published, redacted = round_and_redact(table, policy)
    report = DisclosureReport(
        method="suppress_then_round",
        parameters={},
        suppressed_by_rule=redacted,
        cells=len(published),
        suppressed=len(suppressed(published)),
        smallest_published_count=None,
        audit_passed=False,
    )
    return ProtectedTable(table=table, published=published, report=report)


def test_audit_refuses_the_rule_alone_naming_the_pinned_cells():
    result = audit(rule_alone_protected(stays_table(), ROUNDED), ROUNDED)
    assert not result.passed
    narrowed = [problem for problem in result.problems if "can be narrowed to [1, 4]" in problem]
    assert len(narrowed) == 5
    assert any(problem.startswith(repr((TOTAL, "01", "M"))) for problem in narrowed)
    # The notes name no cell: a code and numbers only.
    assert all(
        isinstance(value, int | float | None) for note in result.notes for key, value in note.items() if key != "note"
    )


def test_audit_refuses_a_zero_redacted_when_zeros_are_published():
    table = persons_table([SEX], [(3, [["F"]]), (40, [["F"]])])
    protected = rule_alone_protected(table, ROUNDED)
    protected.published[("M",)] = None
    protected.published[(TOTAL,)] = 45
    result = audit(protected, ROUNDED)
    assert not result.passed
    assert any(problem.startswith(repr(("M",))) for problem in result.problems)


def test_a_table_nothing_pins_is_published_as_the_rule_alone_would():
    table = persons_table(
        [YEAR, SEX], [(3, [["2022"], ["F"]]), (40, [["2022", "2023"], ["M"]]), (12, [["2023"], ["F"]])]
    )
    assert suppress_then_round(table, ROUNDED) == round_and_redact(table, ROUNDED)
    assert "secondary" not in suppress_then_round(table, ROUNDED)[1]


def random_persons_table(rng: random.Random):
    """A year × region × sex table of 2 × 2 × 2 categories: distinct persons, many of them in small groups."""
    years, regions = ("2022", "2023"), ("01", "02")
    table_dimensions = [
        dimension("year", *years, additive=False),
        dimension("region", *regions, additive=False),
        dimension("sex", "F", "M"),
    ]
    groups = []
    for _ in range(rng.randint(1, 10)):
        size = rng.choice([rng.randint(1, 4), rng.randint(5, 40)])
        groups.append(
            (
                size,
                [
                    sorted(rng.sample(years, rng.randint(1, 2))),
                    sorted(rng.sample(regions, rng.randint(1, 2))),
                    [rng.choice("FM")],
                ],
            )
        )
    return persons_table(table_dimensions, groups)


def test_suppress_then_round_pins_no_cell_of_random_tables():
    rng = random.Random(2026)
    pinned_before = 0
    for number in range(150):
        table = random_persons_table(rng)
        policy = ROUNDED if number % 2 else dataclasses.replace(ROUNDED, publish_zeros=False)
        rule_alone, _ = round_and_redact(table, policy)
        pinned_before += bool(pinned_cells(table, rule_alone, policy, secondary=False))
        published, redacted = suppress_then_round(table, policy)
        secondary = redacted.get("secondary", 0) > 0
        assert pinned_by_rounding(table, published, policy, secondary=secondary) == {}, table.cells
        for key, value in published.items():
            if value is not None and not is_sum_of_finest(table, key):
                assert value == round_half_up(table.cell(key).value, policy.rounding_base)
    # The sample holds tables the rule alone leaves pinned, or this test would prove nothing.
    assert pinned_before > 10
