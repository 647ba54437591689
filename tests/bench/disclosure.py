"""Disclosure control in memory, for ``bench --part linked``: a sparse 4-D table, alone and linked.

A synthetic dataset of insured persons and their medical services, computed
with numpy (no warehouse): five years × 18 regions × 10 age groups × 2 sexes,
plus a specialty the tables filter on. Counts of distinct persons are not
additive along year, region and age group (a person has services in several),
only along sex, as in the warehouse.

1. *single*: ``protect`` on the sparse 4-D table (3 762 cells, about 900 of them
   1 to 4 persons): the secondary suppression and its audit, the case the
   issue measured at 48 s of CPU and more;
2. *linked*: a new 4-D table of the same shape on a denser part of the dataset
   (about 3 000 cells), protected with ``protect_linked`` against 10, 50 and 200
   released tables of the dataset: sub-tables over 2 or 3 of its dimensions,
   tables over subsets of regions or of age groups, filter variants on
   specialty, events tables on the same cells, and tables of other years whose
   populations do not meet the new table's. Each released table was protected
   alone, as a table imported from before the portal would be.
"""

from __future__ import annotations

import itertools
import random
import time

import numpy as np

from stats_app.disclosure import TOTAL, CellStats, Policy, Table, TableDimension, protect
from stats_app.disclosure.linked import LinkedRefusal, LinkedTable, protect_linked

YEARS = tuple(str(year) for year in range(2016, 2024))  # the dataset: 8 years; the 4-D tables show 5
REGIONS = tuple(f"{number:02}" for number in range(1, 19))
AGE_GROUPS = tuple(f"{low}-{low + 9}" for low in range(0, 100, 10))
SEXES = ("F", "M")
SPECIALTIES = tuple(f"S{number}" for number in range(1, 9))
UNIVERSE = {"year": YEARS, "region": REGIONS, "age_group": AGE_GROUPS, "sex": SEXES, "specialty": SPECIALTIES}
ORDER = tuple(UNIVERSE)
TABLE_YEARS = YEARS[4:]  # the new table of the linked case: 4 years × 18 regions × 10 age groups × sex
POLICY = Policy()  # threshold 5, protection level 5: the datasets' default
PERSONS = "distinct_persons"
EVENTS = "events"
#: Insured persons behind the sparse 4-D table (3 762 cells, 907 of them 1 to 4 persons) and behind the new
#: table of the linked case.
SPARSE_PERSONS = 5_400
LINKED_PERSONS = 10_000


class Microdata:
    """Events (one row per service) as integer codes per dimension, with the person they belong to."""

    def __init__(self, *, persons: int, seed: int, small_regions: int = 6) -> None:
        rng = np.random.default_rng(seed)
        # Regions are of very different sizes (a few large cities, small remote regions), so that the
        # small regions make the table sparse.
        weights = np.array([12.0] * (len(REGIONS) - small_regions) + [0.6] * small_regions)
        home = rng.choice(len(REGIONS), size=persons, p=weights / weights.sum())
        age = rng.choice(len(AGE_GROUPS), size=persons, p=_age_weights())
        sex = rng.integers(0, len(SEXES), size=persons)
        services = rng.geometric(0.3, size=persons)  # 1 or more services each, about 3.3 on average
        person = np.repeat(np.arange(persons), services)
        count = len(person)
        year = rng.integers(0, len(YEARS), size=count)
        moved = rng.random(count) < 0.08  # a service outside one's home region
        region = np.where(moved, rng.integers(0, len(REGIONS), size=count), home[person])
        # A person's age group moves up over the years for some.
        older = np.minimum(age[person] + (rng.random(count) < year / (2.0 * len(YEARS))), len(AGE_GROUPS) - 1)
        self.person = person
        self.codes = {
            "year": year,
            "region": region,
            "age_group": older,
            "sex": sex[person],
            "specialty": rng.choice(len(SPECIALTIES), size=count, p=_specialty_weights()),
        }

    def table(self, dimensions: list[TableDimension], measure: str, filters: dict[str, tuple[str, ...]]) -> Table:
        """The table of ``measure`` by ``dimensions`` (their categories are the domains), with every margin."""
        keep = np.ones(len(self.person), dtype=bool)
        domains = {dimension.code: dimension.categories for dimension in dimensions} | filters
        for code, categories in domains.items():
            wanted = np.array([UNIVERSE[code].index(category) for category in categories])
            keep &= np.isin(self.codes[code], wanted)
        person = self.person[keep]
        codes = [self.codes[dimension.code][keep] for dimension in dimensions]
        table = Table(dimensions=tuple(dimensions), kind="count")
        cells: dict[tuple, CellStats] = {}
        for mask in itertools.product((False, True), repeat=len(dimensions)):
            # A TOTAL along a dimension: every event of the domain, code -1.
            columns = [np.full_like(column, -1) if total else column for column, total in zip(codes, mask, strict=True)]
            rows = np.stack([*columns, person], axis=1) if measure == PERSONS else np.stack(columns, axis=1)
            if measure == PERSONS:
                rows = np.unique(rows, axis=0)[:, :-1]
            if not len(rows):
                continue
            keys, counts = np.unique(rows, axis=0, return_counts=True)
            for key, value in zip(keys.tolist(), counts.tolist(), strict=True):
                cell = tuple(
                    TOTAL if code < 0 else UNIVERSE[dimension.code][code]
                    for dimension, code in zip(dimensions, key, strict=True)
                )
                cells[cell] = CellStats(value=value, contributors=value)
        table.cells = cells
        return table


def _age_weights() -> np.ndarray:
    weights = np.array([6.0, 5, 5, 6, 7, 8, 9, 8, 4, 1])
    return weights / weights.sum()


def _specialty_weights() -> np.ndarray:
    weights = np.array([30.0, 20, 15, 10, 10, 8, 5, 2])
    return weights / weights.sum()


def dimension(code: str, categories: tuple[str, ...] | None = None) -> TableDimension:
    return TableDimension(code=code, categories=categories or UNIVERSE[code], additive=code == "sex")


def four_dimensions(years: tuple[str, ...] = TABLE_YEARS, regions: tuple[str, ...] = REGIONS) -> list[TableDimension]:
    return [dimension("year", years), dimension("region", regions), dimension("age_group"), dimension("sex")]


def small_cells(table: Table) -> int:
    return sum(1 for key in table.keys() if 1 <= table.cell(key).value < POLICY.threshold)  # noqa: SIM118


def single(*, persons: int, seed: int) -> dict:
    """``protect`` on the sparse 4-D table: time, cells, suppressed cells and their total value."""
    data = Microdata(persons=persons, seed=seed)
    table = data.table(four_dimensions(years=YEARS[3:]), PERSONS, {})
    started, cpu = time.perf_counter(), time.process_time()
    protected = protect(table, POLICY)
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    report = protected.report
    return {
        "persons": persons,
        "cells": report.cells,
        "small_cells": small_cells(table),
        "seconds": round(elapsed, 2),
        "cpu_seconds": round(cpu, 2),
        "suppressed": report.suppressed,
        "suppressed_by_rule": report.suppressed_by_rule,
        # Information loss: what the suppressed cells count, in all (the engine's cost, without widths).
        "suppressed_value": sum(table.cell(key).value for key, value in protected.published.items() if value is None),
        "audit_passed": report.audit_passed,
    }


def released_tables(data: Microdata, count: int, *, seed: int) -> list[LinkedTable]:
    """``count`` released tables of the dataset, each protected alone, of the kinds the module names."""
    rng = random.Random(seed)
    kinds = ["margins", "regions", "ages", "specialty", "events", "elsewhere"]
    tables = []
    for number in range(count):
        kind = kinds[number % len(kinds)]
        filters: dict[str, tuple[str, ...]] = {}
        measure = PERSONS
        if kind == "margins":  # 2 or 3 of the new table's dimensions, some over fewer years
            codes = rng.sample(["year", "region", "age_group", "sex"], rng.choice([2, 3]))
            dimensions = [dimension(code, TABLE_YEARS if code == "year" else None) for code in codes]
            if "year" not in codes:
                filters["year"] = TABLE_YEARS
        elif kind == "regions":  # the regions of one part of the province
            start = rng.randrange(0, 12)
            regions = REGIONS[start : start + rng.randint(3, 7)]
            dimensions = [dimension("year", TABLE_YEARS), dimension("region", regions), dimension("sex")]
            filters["age_group"] = AGE_GROUPS[rng.randrange(0, 5) :]
        elif kind == "ages":  # a table by age group over part of the province
            start = rng.randrange(0, 6)
            dimensions = [dimension("year", TABLE_YEARS), dimension("age_group")]
            filters["region"] = REGIONS[start : start + rng.randint(8, 12)]
        elif kind == "specialty":  # one specialty's patients: nested in the new table along specialty
            dimensions = [dimension("year", TABLE_YEARS), dimension("region")]
            filters["specialty"] = tuple(rng.sample(SPECIALTIES[:4], rng.randint(1, 2)))
        elif kind == "events":
            measure = EVENTS
            codes = rng.sample(["year", "region", "age_group", "sex"], 2)
            dimensions = [dimension(code, TABLE_YEARS if code == "year" else None) for code in codes]
            dimensions = [TableDimension(d.code, d.categories, additive=True) for d in dimensions]
            if "year" not in codes:
                filters["year"] = TABLE_YEARS
        else:  # years before the new table's: no population in common
            dimensions = [dimension("year", YEARS[: rng.randint(1, 3)]), dimension("region"), dimension("sex")]
        table = data.table(dimensions, measure, filters)
        published = protect(table, POLICY).published
        tables.append(
            LinkedTable(
                reference=f"R-{number + 1:03}",
                label=f"R-{number + 1:03} ({kind})",
                measure=measure,
                dimensions=table.dimensions,
                cells={key: (table.cell(key), published[key]) for key in table.keys()},  # noqa: SIM118
                fixed={code: frozenset(categories) for code, categories in filters.items()},
            )
        )
    return tables


def linked(*, persons: int, seed: int, counts: list[int]) -> dict:
    """``protect_linked`` of the new 4-D table against the first 10, 50, 200 released tables."""
    data = Microdata(persons=persons, seed=seed, small_regions=2)
    table = data.table(four_dimensions(), PERSONS, {})
    released = released_tables(data, max(counts), seed=seed)
    alone = protect(table, POLICY)
    rows = []
    for count in counts:
        started, cpu = time.perf_counter(), time.process_time()
        try:
            protected, linkage = protect_linked(
                table, POLICY, measure=PERSONS, universe=UNIVERSE, linked=released[:count]
            )
        except LinkedRefusal as refusal:
            rows.append({"linked_tables": count, "refused": str(refusal)[:200]})
            continue
        elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
        rows.append(
            {
                "linked_tables": count,
                "tables_in_program": len(linkage.tables),
                "nodes": linkage.nodes,
                "derived": linkage.derived,
                "cells": protected.report.cells,
                "suppressed_alone": alone.report.suppressed,
                "extra_suppressed": linkage.extra_suppressed,
                "seconds": round(elapsed, 2),
                "cpu_seconds": round(cpu, 2),
                "audit_passed": protected.report.audit_passed,
            }
        )
    return {"persons": persons, "cells": alone.report.cells, "small_cells": small_cells(table), "cases": rows}
