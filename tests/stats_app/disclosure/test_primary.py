"""Primary suppression: which cells may never be published, whatever else is."""

import pytest

from stats_app.disclosure import TOTAL, CellStats, Policy, Table, protect
from stats_app.disclosure.primary import primary_rule

from .tables import amount_table, count_table, dimension

SEX = dimension("sex", "F", "M")


@pytest.mark.parametrize(
    ("count", "rule"),
    [(0, None), (1, "threshold"), (4, "threshold"), (5, None), (6, None)],
)
def test_count_threshold_edges(count, rule):
    assert primary_rule(CellStats(count, count), "count", Policy(threshold=5)) == rule


def test_count_zero_suppressed_when_zeros_are_not_published():
    assert primary_rule(CellStats(0, 0), "count", Policy(publish_zeros=False)) == "zeros"


def test_count_threshold_follows_the_dataset():
    assert primary_rule(CellStats(9, 9), "count", Policy(threshold=10)) == "threshold"
    assert primary_rule(CellStats(10, 10), "count", Policy(threshold=10)) is None


def test_protect_zero_cells_published_when_allowed():
    table = count_table([SEX], {("F",): 0, ("M",): 12})
    protected = protect(table, Policy(publish_zeros=True))
    assert protected.published == {("F",): 0, ("M",): 12, (TOTAL,): 12}


def test_protect_zero_cells_hidden_when_not_allowed():
    table = count_table([dimension("region", "north", "south", "east")], {("north",): 0, ("south",): 12, ("east",): 30})
    protected = protect(table, Policy(publish_zeros=False))
    assert protected.published[("north",)] is None
    assert protected.report.suppressed_by_rule["zeros"] == 1
    assert protected.report.audit_passed


def test_protect_margin_below_threshold_is_suppressed_too():
    table = count_table([SEX], {("F",): 1, ("M",): 2})
    protected = protect(table, Policy())
    assert protected.published == {("F",): None, ("M",): None, (TOTAL,): None}
    assert protected.report.suppressed_by_rule["threshold"] == 3


def test_amount_frequency_rule_counts_contributors_not_cents():
    policy = Policy(threshold=5)
    assert primary_rule(CellStats(10_000_000, 4, (3_000_000, 3_000_000)), "amount", policy) == "threshold"
    assert primary_rule(CellStats(500, 5, (100, 100)), "amount", policy) is None


def test_amount_dominance_exactly_at_k_is_published():
    policy = Policy(dominance_n=2, dominance_k=85, p_percent=0)
    # The two largest give exactly 85 % of the cell: not more than k %.
    assert primary_rule(CellStats(10_000, 10, (5_000, 3_500)), "amount", policy) is None
    assert primary_rule(CellStats(10_000, 10, (5_000, 3_501)), "amount", policy) == "dominance"


def test_amount_dominance_by_one_contributor():
    policy = Policy(dominance_n=1, dominance_k=60, p_percent=0)
    assert primary_rule(CellStats(10_000, 10, (6_001, 100)), "amount", policy) == "dominance"
    assert primary_rule(CellStats(10_000, 10, (6_000, 100)), "amount", policy) is None


def test_amount_p_percent_catches_what_dominance_lets_through():
    # x1 = 6 000, x2 = 3 800: the others give 200, less than 10 % of x1; the largest alone is 60 %.
    policy = Policy(dominance_n=1, dominance_k=85, p_percent=10)
    assert primary_rule(CellStats(10_000, 10, (6_000, 3_800)), "amount", policy) == "p_percent"


def test_amount_p_percent_exactly_at_p_is_published():
    # The others give 600, exactly 10 % of x1 = 6 000.
    policy = Policy(dominance_n=1, dominance_k=100, p_percent=10)
    assert primary_rule(CellStats(10_000, 10, (6_000, 3_400)), "amount", policy) is None
    assert primary_rule(CellStats(10_000, 10, (6_000, 3_401)), "amount", policy) == "p_percent"


def test_amount_zero_cell_without_contributor_follows_zero_policy():
    assert primary_rule(CellStats(0, 0), "amount", Policy(publish_zeros=True)) is None
    assert primary_rule(CellStats(0, 0), "amount", Policy(publish_zeros=False)) == "zeros"


def test_amount_zero_paid_to_many_is_published():
    assert primary_rule(CellStats(0, 12, (0, 0)), "amount", Policy(publish_zeros=False)) is None


def test_report_counts_a_cell_for_its_first_rule_only():
    # 3 contributors, one of whom dominates: counted for "threshold", not for "dominance".
    region = dimension("region", "north", "south", "east", "west")
    persons = [(("north",), 90_000), (("north",), 500), (("north",), 400)]
    persons += [((name,), 20_000 + 1_000 * index) for name in ("south", "east", "west") for index in range(8)]
    protected = protect(amount_table([region], persons), Policy())
    rules = protected.report.suppressed_by_rule
    assert rules["threshold"] == 1
    assert rules["dominance"] == 0
    assert set(rules) == {"threshold", "zeros", "dominance", "p_percent", "secondary"}


def test_report_lists_only_the_rules_that_ran_for_counts():
    protected = protect(count_table([SEX], {("F",): 10, ("M",): 12}), Policy())
    assert set(protected.report.suppressed_by_rule) == {"threshold", "zeros", "secondary"}


def test_report_never_names_a_cell():
    region = dimension("region", "region-north", "region-south", "region-east")
    table = count_table([region, SEX], {("region-north", "F"): 2, ("region-south", "M"): 40, ("region-east", "F"): 33})
    report = protect(table, Policy()).report
    text = repr(report)
    assert "region-" not in text
    assert report.suppressed > 0


def test_table_without_cells_is_all_zero():
    table = Table(dimensions=(SEX,), kind="count")
    protected = protect(table, Policy())
    assert protected.published == {("F",): 0, ("M",): 0, (TOTAL,): 0}
    assert protected.report.smallest_published_count is None
