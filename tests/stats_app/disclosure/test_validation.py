"""Impossible inputs are refused, not protected."""

import pytest

from stats_app.disclosure import TOTAL, CellStats, DisclosureError, Policy, Table, audit, protect

from .tables import count_table, dimension

SEX = dimension("sex", "F", "M")
YEAR = dimension("year", "2022", "2023", additive=False)


def test_protect_refuses_a_negative_count():
    table = Table((SEX,), "count", {("F",): CellStats(-1, 0), ("M",): CellStats(5, 5), (TOTAL,): CellStats(4, 5)})
    with pytest.raises(DisclosureError):
        protect(table, Policy())


def test_protect_refuses_an_unknown_method():
    with pytest.raises(DisclosureError, match="Unknown disclosure method"):
        protect(count_table([SEX], {("F",): 10, ("M",): 10}), Policy(method="blur"))


@pytest.mark.parametrize(
    "policy",
    [Policy(threshold=0), Policy(rounding_base=0), Policy(dominance_k=101), Policy(p_percent=-1)],
)
def test_protect_refuses_parameters_out_of_range(policy):
    with pytest.raises(DisclosureError):
        protect(count_table([SEX], {("F",): 10, ("M",): 10}), policy)


def test_protect_refuses_a_margin_that_is_not_the_sum_of_its_parts():
    table = Table((SEX,), "count", {("F",): CellStats(10, 10), ("M",): CellStats(10, 10), (TOTAL,): CellStats(21, 21)})
    with pytest.raises(DisclosureError, match="not the sum"):
        protect(table, Policy())


def test_protect_refuses_a_distinct_person_margin_above_the_sum():
    cells = {("2022",): CellStats(10, 10), ("2023",): CellStats(10, 10), (TOTAL,): CellStats(21, 21)}
    with pytest.raises(DisclosureError, match="largest part, sum of parts"):
        protect(Table((YEAR,), "count", cells), Policy())


def test_protect_refuses_a_distinct_person_margin_below_a_part():
    cells = {("2022",): CellStats(10, 10), ("2023",): CellStats(12, 12), (TOTAL,): CellStats(11, 11)}
    with pytest.raises(DisclosureError):
        protect(Table((YEAR,), "count", cells), Policy())


def test_protect_refuses_an_amount_without_its_largest_contributions():
    cells = {
        ("F",): CellStats(1000, 10),
        ("M",): CellStats(1000, 10, (300, 200)),
        (TOTAL,): CellStats(2000, 20, (300, 200)),
    }
    with pytest.raises(DisclosureError, match="largest contributions"):
        protect(Table((SEX,), "amount", cells), Policy())


def test_protect_refuses_a_cell_outside_the_table():
    table = count_table([SEX], {("F",): 10, ("M",): 10})
    table.cells[("X",)] = CellStats(3, 3)
    with pytest.raises(DisclosureError, match="outside the table"):
        protect(table, Policy())


def test_audit_reports_an_impossible_table_as_a_problem():
    protected = protect(count_table([SEX], {("F",): 10, ("M",): 10}), Policy())
    protected.table.cells[(TOTAL,)] = CellStats(25, 25)
    result = audit(protected, Policy())
    assert not result.passed
    assert result.problems


def test_audit_refuses_a_publication_missing_cells():
    protected = protect(count_table([SEX], {("F",): 10, ("M",): 10}), Policy())
    del protected.published[("F",)]
    assert not audit(protected, Policy()).passed
