"""Suppress-then-round (NHS England, OpenSAFELY) and random rounding (Statistics Canada), for counts."""

import dataclasses
import statistics

import pytest

from stats_app.disclosure import TOTAL, Policy, audit, protect
from stats_app.disclosure.rounding_rules import round_half_up

from .tables import count_table, dimension, keys, persons_table

SEX = dimension("sex", "F", "M")
YEAR = dimension("year", "2022", "2023", additive=False)
ROUNDED = Policy(method="suppress_then_round", threshold=5, rounding_base=5)
RANDOM = Policy(method="random_rounding", rounding_base=5, seed="job-42")


@pytest.mark.parametrize(
    ("value", "base", "rounded"),
    [(0, 5, 0), (7, 5, 5), (8, 5, 10), (10, 5, 10), (12, 5, 10), (13, 5, 15), (15, 10, 20), (25, 10, 30), (6, 4, 8)],
)
def test_round_half_up_edges(value, base, rounded):
    assert round_half_up(value, base) == rounded


@pytest.mark.parametrize(
    ("count", "published"),
    [(0, 0), (1, None), (5, None), (6, None), (7, None), (8, 10), (12, 10), (13, 15), (100, 100)],
)
def test_suppress_then_round_finest_cell_edges(count, published):
    # 6 and 7 would round to 5, inside [1, t]: redacted as well.
    table = count_table([SEX], {("F",): count, ("M",): 40})
    assert protect(table, ROUNDED).published[("F",)] == published


def test_suppress_then_round_zero_redacted_when_zeros_are_not_published():
    table = count_table([SEX], {("F",): 0, ("M",): 40})
    protected = protect(table, dataclasses.replace(ROUNDED, publish_zeros=False))
    assert protected.published[("F",)] is None
    assert protected.report.suppressed_by_rule["zeros"] == 1


def test_suppress_then_round_margin_is_the_sum_of_rounded_cells():
    table = count_table([SEX], {("F",): 8, ("M",): 13})
    protected = protect(table, ROUNDED)
    # 8 → 10 and 13 → 15 give 25, although 21 itself would round to 20.
    assert protected.published == {("F",): 10, ("M",): 15, (TOTAL,): 25}
    assert protected.report.audit_passed


def test_suppress_then_round_margin_counts_redacted_cells_as_nothing():
    table = count_table([SEX], {("F",): 3, ("M",): 23})
    assert protect(table, ROUNDED).published == {("F",): None, ("M",): 25, (TOTAL,): 25}


def test_suppress_then_round_distinct_person_margin_is_its_own_rounded_value():
    # 8 persons in 2022, 9 in 2023, 12 distinct over both years (5 came back).
    table = persons_table([YEAR], [(3, [["2022"]]), (5, [["2022", "2023"]]), (4, [["2023"]])])
    assert [table.cell(key).value for key in keys(table)] == [8, 9, 12]
    assert protect(table, ROUNDED).published == {("2022",): 10, ("2023",): 10, (TOTAL,): 10}


def test_suppress_then_round_mixes_summed_and_own_margins():
    groups = [(9, [["2022"], ["F"]]), (6, [["2022", "2023"], ["F"]]), (30, [["2023"], ["M"]]), (3, [["2022"], ["M"]])]
    table = persons_table([YEAR, SEX], groups)
    protected = protect(table, ROUNDED)
    published = protected.published
    # Along sex (additive) margins are sums of published cells; across years they are own values.
    assert published[("2022", TOTAL)] == published[("2022", "F")] + (published[("2022", "M")] or 0)
    assert published[(TOTAL, "F")] == round_half_up(table.cell((TOTAL, "F")).value, 5)
    assert published[(TOTAL, TOTAL)] == round_half_up(table.cell((TOTAL, TOTAL)).value, 5)
    assert protected.report.audit_passed


def test_suppress_then_round_report():
    protected = protect(count_table([SEX], {("F",): 3, ("M",): 23}), ROUNDED)
    report = protected.report
    assert report.method == "suppress_then_round"
    assert report.parameters == {"threshold": 5, "publish_zeros": True, "rounding_base": 5}
    assert report.suppressed == 1
    assert report.smallest_published_count == 25


def test_audit_suppress_then_round_catches_a_margin_that_is_not_the_sum():
    protected = protect(count_table([SEX], {("F",): 8, ("M",): 13}), ROUNDED)
    protected.published[(TOTAL,)] = 20
    result = audit(protected, ROUNDED)
    assert not result.passed
    assert any("not the sum" in problem for problem in result.problems)


def test_audit_suppress_then_round_catches_a_count_at_the_threshold():
    protected = protect(count_table([SEX], {("F",): 8, ("M",): 13}), ROUNDED)
    protected.published[("F",)] = 5
    protected.published[(TOTAL,)] = 20
    assert not audit(protected, ROUNDED).passed


def test_random_rounding_keeps_multiples_of_the_base():
    table = count_table([dimension("region", "a", "b", "c")], {("a",): 0, ("b",): 5, ("c",): 10})
    assert protect(table, RANDOM).published == {("a",): 0, ("b",): 5, ("c",): 10, (TOTAL,): 15}


def many_cells(value: int, cells: int = 2000):
    region = dimension("region", *(f"r{index}" for index in range(cells)))
    return count_table([region], {(f"r{index}",): value for index in range(cells)})


def test_random_rounding_goes_to_a_neighbouring_multiple():
    table = many_cells(7, cells=200)
    published = protect(table, RANDOM).published
    assert {published[key] for key in keys(table) if key != (TOTAL,)} == {5, 10}


def test_random_rounding_is_unbiased():
    table = many_cells(2)
    published = protect(table, RANDOM).published
    values = [published[key] for key in keys(table) if key != (TOTAL,)]
    # Up to 5 with probability 2/5, down to 0 otherwise: the mean stays 2 (standard error about 0.05).
    assert abs(statistics.mean(values) - 2) < 0.25
    assert 0.3 < values.count(5) / len(values) < 0.5


def test_random_rounding_same_seed_same_output():
    table = many_cells(3, cells=50)
    assert protect(table, RANDOM).published == protect(table, RANDOM).published


def test_random_rounding_other_seed_other_draws():
    table = many_cells(3, cells=50)
    other = dataclasses.replace(RANDOM, seed="job-43")
    assert protect(table, RANDOM).published != protect(table, other).published


def test_random_rounding_draw_of_a_cell_ignores_the_other_cells():
    before = count_table([SEX], {("F",): 7, ("M",): 12})
    after = count_table([SEX], {("F",): 7, ("M",): 31})
    assert protect(before, RANDOM).published[("F",)] == protect(after, RANDOM).published[("F",)]


def test_random_rounding_report_keeps_the_seed_secret():
    report = protect(count_table([SEX], {("F",): 7, ("M",): 12}), RANDOM).report
    assert report.parameters == {"rounding_base": 5}
    assert "job-42" not in repr(report)
    assert report.suppressed == 0
    assert report.audit_passed


def test_audit_random_rounding_catches_a_value_too_far():
    protected = protect(count_table([SEX], {("F",): 7, ("M",): 12}), RANDOM)
    protected.published[("F",)] = 15
    result = audit(protected, RANDOM)
    assert not result.passed


def test_audit_random_rounding_catches_an_unrounded_value():
    protected = protect(count_table([SEX], {("F",): 7, ("M",): 12}), RANDOM)
    protected.published[("F",)] = 7
    assert not audit(protected, RANDOM).passed
