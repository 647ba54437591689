"""Properties of every protection, on random tables of one to four dimensions.

Counts come from groups of identical persons, so that distinct-person margins
(``additive=False``) are consistent by construction; small groups are common,
so small cells are too. Amounts come from persons with one payment each.
"""

import math

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from stats_app.disclosure import TOTAL, Policy, audit, protect
from stats_app.disclosure.table import TableDimension

from .tables import amount_table, attacker_interval, keys, persons_table, required_width, width

#: No example database: the runs leave nothing behind in the working tree (like ``-p no:cacheprovider``).
PROPERTY_SETTINGS = {"deadline": None, "database": None, "suppress_health_check": [HealthCheck.too_slow]}


@st.composite
def dimensions(draw, *, flags: bool):
    """One to four dimensions of two to four categories; ``flags``: random ``additive`` flags."""
    count = draw(st.integers(1, 4))
    # At most 81 cells with the margins, so that the tests' own attacker programs stay quick.
    most = {1: 4, 2: 4, 3: 3, 4: 2}[count]
    return [
        TableDimension(
            code=f"d{index}",
            categories=tuple(f"c{category}" for category in range(draw(st.integers(2, most)))),
            additive=draw(st.booleans()) if flags else True,
        )
        for index in range(count)
    ]


@st.composite
def count_tables(draw):
    table_dimensions = draw(dimensions(flags=True))

    def categories(dimension):
        if dimension.additive:
            return [draw(st.sampled_from(dimension.categories))]
        return sorted(draw(st.sets(st.sampled_from(dimension.categories), min_size=1)))

    groups = [
        (
            draw(st.one_of(st.integers(1, 4), st.integers(5, 60))),
            [categories(dimension) for dimension in table_dimensions],
        )
        for _ in range(draw(st.integers(0, 14)))
    ]
    return persons_table(table_dimensions, groups)


@st.composite
def amount_tables(draw):
    table_dimensions = draw(dimensions(flags=False))
    persons = [
        (
            [draw(st.sampled_from(dimension.categories)) for dimension in table_dimensions],
            draw(st.one_of(st.integers(0, 2_000), st.integers(10_000, 5_000_000))),
        )
        for _ in range(draw(st.integers(0, 30)))
    ]
    return amount_table(table_dimensions, persons)


policies = st.builds(
    Policy,
    threshold=st.sampled_from([3, 5]),
    publish_zeros=st.booleans(),
    protection_level=st.sampled_from([None, 8]),
)


def assert_suppression_properties(table, policy):
    protected = protect(table, policy)
    published = protected.published
    assert list(published) == keys(table)
    for key, value in published.items():
        if value is None:
            continue
        stats = table.cell(key)
        assert value == stats.value, "protection never changes a published value"
        if table.kind == "count":
            assert not 1 <= value < policy.threshold
            assert policy.publish_zeros or value != 0
        else:
            assert not 1 <= stats.contributors < policy.threshold
            assert policy.publish_zeros or stats.contributors > 0 or value != 0
            assert 100 * sum(stats.top[: policy.dominance_n]) <= policy.dominance_k * value
            first, second = ([*stats.top, 0, 0])[:2]
            assert 100 * (value - first - second) >= policy.p_percent * first
    for relation in table.relations():
        parent = published[relation.parent]
        if parent is None:
            continue
        parts = [table.cell(child).value for child in relation.children]
        if relation.additive:
            assert parent == sum(parts)
        else:
            assert max(parts) <= parent <= sum(parts)
    for key, value in published.items():
        if value is None:
            required = required_width(table, key, policy)
            interval_width = width(attacker_interval(table, published, key))
            assert interval_width >= required * (1 - 1e-6), (key, interval_width, required)
    again = protect(table, policy)
    assert again.published == published
    assert again.report == protected.report
    result = audit(protected, policy)
    assert result.passed, result.problems
    assert protected.report.audit_passed
    assert protected.report.suppressed == sum(value is None for value in published.values())
    assert sum(protected.report.suppressed_by_rule.values()) == protected.report.suppressed


@settings(max_examples=40, **PROPERTY_SETTINGS)
@given(table=count_tables(), policy=policies)
def test_suppression_protects_random_count_tables(table, policy):
    assert_suppression_properties(table, policy)


@settings(max_examples=30, **PROPERTY_SETTINGS)
@given(table=amount_tables(), policy=policies)
def test_suppression_protects_random_amount_tables(table, policy):
    assert_suppression_properties(table, policy)


def is_sum_of_finest(table, key):
    totals = [index for index, entry in enumerate(key) if entry == TOTAL]
    return bool(totals) and all(table.dimensions[index].additive for index in totals)


@settings(max_examples=60, **PROPERTY_SETTINGS)
@given(table=count_tables(), policy=policies, base=st.sampled_from([3, 5, 10]))
def test_suppress_then_round_properties(table, policy, base):
    policy = Policy(
        method="suppress_then_round", threshold=policy.threshold, publish_zeros=policy.publish_zeros, rounding_base=base
    )
    protected = protect(table, policy)
    published = protected.published
    finest = [key for key in keys(table) if TOTAL not in key]
    for key, value in published.items():
        if value is None:
            continue
        assert not 1 <= value <= policy.threshold
        assert value % base == 0
        if is_sum_of_finest(table, key):
            under = [
                cell for cell in finest if all(entry in (TOTAL, part) for entry, part in zip(key, cell, strict=True))
            ]
            assert value == sum(published[cell] or 0 for cell in under)
        else:
            true = table.cell(key).value
            assert value == math.floor(true / base + 0.5) * base
            assert true == 0 or true > policy.threshold
    assert protect(table, policy).published == published
    assert audit(protected, policy).passed


@settings(max_examples=60, **PROPERTY_SETTINGS)
@given(table=count_tables(), base=st.sampled_from([3, 5, 10]), seed=st.integers(0, 10**6).map(str))
def test_random_rounding_properties(table, base, seed):
    policy = Policy(method="random_rounding", rounding_base=base, seed=seed)
    protected = protect(table, policy)
    for key, value in protected.published.items():
        true = table.cell(key).value
        assert value % base == 0
        assert abs(value - true) < base
        if true % base == 0:
            assert value == true
    assert protect(table, policy).published == protected.published
    assert audit(protected, policy).passed
