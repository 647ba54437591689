"""Compute a table with all its margins in the warehouse (DESIGN §4, "The job", step 1).

The database does the work: one statement per table, whose result has one row
per non-empty cell (and, for amounts, at most ``top_n`` more rows per cell), so
memory stays flat however large the warehouse grows. No microdata row reaches
Python.

Only registry identifiers (``schema.REGISTRY``) are written into the SQL; the
categories kept are query parameters. A dataset, measure kind or dimension the
registry does not offer raises ``UnknownExpression`` before any SQL runs. The
``WHERE`` clause keeps every dimension within its domain, so each margin totals
exactly the categories of the table.

Margins: every subset of the dimensions is a margin set, and one statement
groups them all with ``GROUPING SETS`` (``GROUPING()`` tells them apart),
except for amounts on PostgreSQL, where one ``GROUP BY`` per set under ``UNION
ALL`` measured faster. The same SQL runs on PostgreSQL, DuckDB and ClickHouse
(``engines``; ClickHouse with ``group_by_use_nulls=1`` so that a totalled
dimension is NULL, and ``COUNT(DISTINCT)`` as the exact ``uniqExact``). By
measure:

- events: the finest cells are counted once, then added up into the margins;
- distinct persons: counted afresh within every margin (``COUNT(DISTINCT)``),
  since a person may fall in several cells of a margin;
- amounts: each person's sum within every cell and margin, from which the total,
  the number of contributing persons and the ``top_n`` largest per-person sums
  (ranked by a window function) follow. See ``_amount_sql`` for how the ranking
  avoids sorting every per-person sum.

Benchmark (PostgreSQL 15 on 2 cores; medical services by year, region, age
group and specialty: 16 margin sets, about 10 700 cells), against the plain
single ``GROUP BY`` of the finest cells (``raw_group_by``):

    rows   measure            raw GROUP BY   compute_table
    1 M    events                  0.3 s       0.3 s  (grouping sets)
    1 M    distinct persons        1.4 s       6.0 s  (grouping sets; union 8.1 s)
    1 M    amount                  0.3 s      14 s    (union; grouping sets 16 s)
    10 M   events                  3.5 s       3.5 s
    10 M   distinct persons       11 s        50 s
    10 M   amount                  2.7 s     330 s    (union; grouping sets 366 s)

Distinct persons and amounts need every (margin cell, person) pair: about 6.6
per fact row with four dimensions, which no single GROUP BY computes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.conf import settings

from stats_app.disclosure.table import TOTAL, CellStats, Table, TableDimension
from stats_app.warehouse.engines import PostgresEngine, engine_for
from stats_app.warehouse.schema import REGISTRY, FactTable, UnknownExpression

__all__ = ["UnknownExpression", "compute_table", "raw_cube_sql", "raw_group_by", "raw_group_by_sql"]

#: Memory PostgreSQL may use per sort or hash while computing a table (the server default, 4 MB, spills to disk).
WORK_MEM = PostgresEngine.work_mem

#: How the margins are grouped: "grouping_sets" or "union" (both on every engine).
STRATEGIES = ("grouping_sets", "union")


@dataclass(frozen=True)
class _Plan:
    """A specification checked against the registry: only registry identifiers from here on."""

    fact: FactTable
    measure_kind: str
    columns: tuple[str, ...]
    domains: tuple[tuple[str, ...], ...]
    table_dimensions: tuple[TableDimension, ...]

    @property
    def masks(self) -> list[int]:
        """Every margin set as a ``GROUPING()`` bit mask: bit ``k - 1 - i`` set when dimension ``i`` is totalled."""
        return list(range(2 ** len(self.columns)))

    def where(self) -> tuple[str, list[str]]:
        clauses, params = [], []
        for column, domain in zip(self.columns, self.domains, strict=True):
            clauses.append(f"{column} IN ({', '.join(['%s'] * len(domain))})")
            params.extend(domain)
        return (" WHERE " + " AND ".join(clauses) if clauses else ""), params


def _plan(dataset: str, measure_kind: str, dimensions: Sequence[tuple[str, tuple[str, ...]]]) -> _Plan:
    fact = REGISTRY.get(dataset) if isinstance(dataset, str) else None
    if fact is None:
        raise UnknownExpression(f"No dataset “{dataset}” in the warehouse registry.")
    if not isinstance(measure_kind, str) or measure_kind not in fact.measures:
        raise UnknownExpression(f"The dataset “{dataset}” offers no measure of kind “{measure_kind}”.")
    codes, domains = [], []
    for entry in dimensions:
        code, domain = (entry, None) if isinstance(entry, str) else (*entry, None)[:2]
        if not isinstance(code, str) or code not in fact.dimensions:
            raise UnknownExpression(f"The dataset “{dataset}” has no dimension “{code}”.")
        codes.append(code)
        domains.append(domain)
    if len(set(codes)) != len(codes):
        raise ValueError("Each dimension may appear only once.")
    limit = getattr(settings, "SPECIFICATION_MAX_DIMENSIONS", 4)
    if len(codes) > limit:
        raise ValueError(f"At most {limit} dimensions.")
    for index, (code, domain) in enumerate(zip(codes, domains, strict=True)):
        if isinstance(domain, str) or not isinstance(domain, Sequence) or not domain:
            raise ValueError(f"The domain of “{code}” must be a non-empty list of category codes.")
        domain = tuple(domain)
        if not all(isinstance(category, str) and category for category in domain):
            raise ValueError(f"The categories of “{code}” must be codes (non-empty text).")
        if len(set(domain)) != len(domain) or TOTAL in domain:
            raise ValueError(f"The domain of “{code}” repeats a category or contains “{TOTAL}”.")
        domains[index] = domain
    counts_persons = measure_kind == "distinct_persons"
    return _Plan(
        fact=fact,
        measure_kind=measure_kind,
        columns=tuple(fact.dimensions[code].column for code in codes),
        domains=tuple(domains),
        table_dimensions=tuple(
            TableDimension(code, domain, additive=fact.dimensions[code].partitions_persons if counts_persons else True)
            for code, domain in zip(codes, domains, strict=True)
        ),
    )


# --- SQL -----------------------------------------------------------------------------------------------------------
#
# Every statement returns rows (margin mask, d0, ..., d{k-1}, then figures),
# where d{i} is NULL when dimension i is totalled (the dimension columns are
# NOT NULL, so NULL only ever means a margin; the mask says it anyway).

#: Amounts: one person in this many (by key) is used to bound each cell's top contributions from below.
SAMPLE_MODULUS = 16


def _aliases(plan: _Plan) -> list[str]:
    return [f"d{index}" for index in range(len(plan.columns))]


def _margins(
    plan: _Plan, strategy: str, *, source: str, columns: Sequence[str], where: str, figures: Sequence[str], extra=()
) -> tuple[str, int]:
    """``SELECT margin, d0.., figures FROM source where`` for every margin set, grouped also by ``extra``.

    ``columns`` are the dimensions' names in ``source``. Returns the SQL and how
    many times it repeats ``where`` (its parameters are needed that many times).
    """
    aliases = _aliases(plan)
    size = len(columns)

    def grouped(mask: int) -> list[str]:
        return [column for index, column in enumerate(columns) if not mask >> (size - 1 - index) & 1]

    if strategy == "grouping_sets":
        margin = f"GROUPING({', '.join(columns)})" if columns else "0"
        outputs = [f"{column} AS {alias}" for column, alias in zip(columns, aliases, strict=True)]
        sets = ", ".join(f"({', '.join([*grouped(mask), *extra])})" for mask in plan.masks)
        select = ", ".join([f"{margin} AS margin", *outputs, *figures])
        return f"SELECT {select} FROM {source}{where} GROUP BY GROUPING SETS ({sets})", 1  # noqa: S608
    branches = []
    for mask in plan.masks:
        kept = grouped(mask)
        outputs = [
            f"{column} AS {alias}" if column in kept else f"NULL AS {alias}"
            for column, alias in zip(columns, aliases, strict=True)
        ]
        group_by = f" GROUP BY {', '.join([*kept, *extra])}" if kept or extra else ""
        select = ", ".join([f"{mask} AS margin", *outputs, *figures])
        branches.append(f"SELECT {select} FROM {source}{where}{group_by}")  # noqa: S608 - registry identifiers only
    return " UNION ALL ".join(branches), len(branches)


def _count_sql(plan: _Plan, strategy: str) -> tuple[str, list]:
    """Rows (margin, d0.., value) for a count."""
    where, params = plan.where()
    table = plan.fact.table
    aggregate = plan.fact.measures[plan.measure_kind]
    if plan.measure_kind == "distinct_persons":
        # Persons are counted afresh within every margin: a margin is not the sum of its cells.
        statement, repeats = _margins(
            plan, strategy, source=table, columns=plan.columns, where=where, figures=[f"{aggregate} AS value"]
        )
        return statement, params * repeats
    # Events add up: count the finest cells once, then add them up into the margins.
    aliases = _aliases(plan)
    outputs = ", ".join([*(f"{c} AS {a}" for c, a in zip(plan.columns, aliases, strict=True)), f"{aggregate} AS value"])
    group_by = f" GROUP BY {', '.join(plan.columns)}" if plan.columns else ""
    rollup, _ = _margins(plan, strategy, source="finest", columns=aliases, where="", figures=["SUM(value) AS value"])
    return f"WITH finest AS (SELECT {outputs} FROM {table}{where}{group_by}) {rollup}", params  # noqa: S608


def _amount_sql(plan: _Plan, strategy: str, top_n: int, *, with_floors: bool) -> tuple[str, list]:
    """Rows (margin, d0.., total, contributors, rank, amount) for an amount.

    Every cell and margin gets its total and the number of persons contributing,
    and its ``top_n`` largest per-person sums with their rank (1..top_n), on the
    same rows or (``with_floors``) on separate ones where the other figures are
    NULL.

    Ranking every per-person sum means sorting them all, several per fact row.
    ``with_floors`` (PostgreSQL, DuckDB) first ranks a sample of the persons: a cell's
    ``top_n``-th largest sum among them is a floor its ``top_n``-th largest sum
    overall cannot be below (a subset's n-th largest never exceeds the whole
    set's), so only the sums from the floor up are ranked. The result is the
    same, exactly (DuckDB at 1 M rows: 0.7 s instead of 1.5 s ranking them all).
    ClickHouse keeps each cell's ``top_n`` largest sums as it aggregates instead
    (``_clickhouse_amount_sql``).
    """
    where, params = plan.where()
    fact = plan.fact
    per_person, repeats = _margins(
        plan,
        strategy,
        source=fact.table,
        columns=plan.columns,
        where=where,
        figures=[f"{fact.person_column} AS contributor", f"SUM({fact.amount_column}) AS amount"],
        extra=(fact.person_column,),
    )
    params = params * repeats
    cell = ", ".join(["margin", *_aliases(plan)])
    ranking = f"ROW_NUMBER() OVER (PARTITION BY {cell} ORDER BY amount DESC) AS rank"
    if not with_floors:
        statement = (
            f"WITH per_person AS ({per_person}) "  # noqa: S608 - registry identifiers only
            f"SELECT {cell}, total, contributors, rank, amount FROM ("
            f"SELECT {cell}, amount, {ranking}, SUM(amount) OVER (PARTITION BY {cell}) AS total, "
            f"COUNT(*) OVER (PARTITION BY {cell}) AS contributors FROM per_person) ranked WHERE rank <= %s"
        )
        return statement, [*params, top_n]
    same_cell = " AND ".join(
        ["floors.margin = per_person.margin"]
        + [f"COALESCE(floors.{alias}, '') = COALESCE(per_person.{alias}, '')" for alias in _aliases(plan)]
    )
    candidates = ", ".join(["per_person.margin", *(f"per_person.{alias}" for alias in _aliases(plan))])
    statement = (
        f"WITH per_person AS ({per_person}), "  # noqa: S608 - registry identifiers only
        f"floors AS (SELECT {cell}, amount AS floor FROM ("
        f"SELECT {cell}, amount, {ranking} FROM per_person WHERE contributor %% {SAMPLE_MODULUS} = 0) sampled "
        f"WHERE rank = %s), "
        f"candidates AS (SELECT {candidates}, per_person.amount FROM per_person "
        f"LEFT JOIN floors ON {same_cell} WHERE floors.floor IS NULL OR per_person.amount >= floors.floor), "
        f"ranked AS (SELECT {cell}, amount, {ranking} FROM candidates) "
        f"SELECT {cell}, SUM(amount) AS total, COUNT(*) AS contributors, NULL AS rank, NULL AS amount "
        f"FROM per_person GROUP BY {cell} "
        f"UNION ALL SELECT {cell}, NULL, NULL, rank, amount FROM ranked WHERE rank <= %s"
    )
    return statement, [*params, top_n, top_n]


def _clickhouse_amount_sql(plan: _Plan, strategy: str, top_n: int) -> tuple[str, list]:
    """Rows (margin, d0.., total, contributors, rank, amount) for an amount, on ClickHouse: one row per rank.

    Each cell's ``top_n`` largest per-person sums come from ``groupArraySorted(top_n)`` of the negated sums,
    exact and in memory bounded by ``top_n`` per cell (``topK`` would be approximate; a window over every
    per-person sum took 60 s and 9.7 GB at 10 M rows). Every cell has a contributor, so every cell has rows.
    """
    where, params = plan.where()
    fact = plan.fact
    per_person, repeats = _margins(
        plan,
        strategy,
        source=fact.table,
        columns=plan.columns,
        where=where,
        figures=[f"SUM({fact.amount_column}) AS amount"],
        extra=(fact.person_column,),
    )
    cell = ", ".join(["margin", *_aliases(plan)])
    statement = (
        f"SELECT {cell}, total, contributors, rank, -tops[rank] AS amount FROM ("  # noqa: S608 - registry only
        f"SELECT {cell}, SUM(amount) AS total, COUNT(*) AS contributors, "
        f"groupArraySorted({int(top_n)})(-amount) AS tops FROM ({per_person}) per_person GROUP BY {cell}"
        f") cells ARRAY JOIN arrayEnumerate(tops) AS rank"
    )
    return statement, params * repeats


def _key(plan: _Plan, mask: int, values: Sequence) -> tuple[str, ...]:
    size = len(plan.columns)
    return tuple(TOTAL if mask >> (size - 1 - index) & 1 else values[index] for index in range(size))


def _default_strategy(engine: str, measure_kind: str) -> str:
    """The faster on each engine (see the benchmark above)."""
    if engine == "postgresql" and measure_kind == "amount":
        return "union"
    return "grouping_sets"


def compute_table(
    *,
    dataset: str,
    measure_kind: str,
    dimensions: Sequence[tuple[str, tuple[str, ...]]],
    top_n: int = 2,
    using: str = "warehouse",
    strategy: str | None = None,
) -> Table:
    """The table of ``measure_kind`` over ``dataset`` by ``dimensions``, with every margin.

    ``dimensions``: ordered (dimension code, categories kept) pairs, the
    categories in catalogue order. Cells are keyed by one entry per dimension, a
    category or ``TOTAL``; empty cells are left out. Counts carry
    ``contributors`` equal to the count (events) or the persons counted;
    amounts (in cents) carry the distinct contributing persons and the
    ``top_n`` (at least 2) largest per-person sums, descending.
    ``strategy`` ("grouping_sets" or "union") defaults to the engine's best.
    ``using`` names the warehouse (``engines.engine_for``). Rows stream from
    the engine: one per cell (amounts: a few per cell), never microdata.

    Raises ``UnknownExpression`` for anything the registry does not offer,
    ``ValueError`` for a malformed request; nothing runs in either case.
    """
    plan = _plan(dataset, measure_kind, dimensions)
    if isinstance(top_n, bool) or not isinstance(top_n, int) or top_n < 2:
        raise ValueError("top_n must be an integer of at least 2.")
    engine = engine_for(using)
    strategy = strategy or _default_strategy(engine.name, measure_kind)
    if strategy not in STRATEGIES:
        raise ValueError(f"No strategy “{strategy}” on {engine.name}.")

    if measure_kind == "amount":
        if engine.name == "clickhouse":
            statement, params = _clickhouse_amount_sql(plan, strategy, top_n)
        else:
            statement, params = _amount_sql(plan, strategy, top_n, with_floors=True)
    else:
        statement, params = _count_sql(plan, strategy)

    size = len(plan.columns)
    cells: dict[tuple[str, ...], CellStats] = {}
    rows = engine.rows(statement, params)
    if measure_kind == "amount":
        totals: dict[tuple[str, ...], tuple[int, int]] = {}
        tops: dict[tuple[str, ...], list[tuple[int, int]]] = {}
        for row in rows:
            key = _key(plan, row[0], row[1 : 1 + size])
            total, contributors, rank, amount = row[1 + size :]
            if total is not None:
                totals[key] = (int(total), int(contributors))
            if rank is not None:
                tops.setdefault(key, []).append((int(rank), int(amount)))
        for key, (total, contributors) in totals.items():
            top = tuple(amount for _rank, amount in sorted(tops.get(key, [])))
            cells[key] = CellStats(value=total, contributors=contributors, top=top)
    else:
        for row in rows:
            if row[-1]:
                value = int(row[-1])
                cells[_key(plan, row[0], row[1 : 1 + size])] = CellStats(value=value, contributors=value)
    return Table(
        dimensions=plan.table_dimensions,
        kind="amount" if measure_kind == "amount" else "count",
        cells=cells,
    )


def raw_group_by_sql(
    *, dataset: str, measure_kind: str, dimensions: Sequence[tuple[str, tuple[str, ...]]]
) -> tuple[str, list]:
    """The plain single ``GROUP BY`` of the finest cells of the same table (no margin, no contributors)."""
    plan = _plan(dataset, measure_kind, dimensions)
    where, params = plan.where()
    select = ", ".join([*plan.columns, plan.fact.measures[measure_kind]])
    group_by = f" GROUP BY {', '.join(plan.columns)}" if plan.columns else ""
    return f"SELECT {select} FROM {plan.fact.table}{where}{group_by}", params  # noqa: S608 - registry only


def raw_cube_sql(
    *, dataset: str, measure_kind: str, dimensions: Sequence[tuple[str, tuple[str, ...]]]
) -> tuple[str, list]:
    """The engine's own single ``GROUP BY CUBE`` of the same table: every margin, no contributors' ranking.

    The benchmark's yardstick for ``compute_table`` (amounts: the total and the distinct contributing
    persons of each cell, without the largest contributions).
    """
    plan = _plan(dataset, measure_kind, dimensions)
    where, params = plan.where()
    fact = plan.fact
    figures = [fact.measures[measure_kind]]
    if measure_kind == "amount":
        figures.append(fact.measures["distinct_persons"])
    select = ", ".join([*plan.columns, *figures])
    group_by = f" GROUP BY CUBE ({', '.join(plan.columns)})" if plan.columns else ""
    return f"SELECT {select} FROM {fact.table}{where}{group_by}", params  # noqa: S608 - registry only


def raw_group_by(
    *, dataset: str, measure_kind: str, dimensions: Sequence[tuple[str, tuple[str, ...]]], using: str = "warehouse"
) -> int:
    """Run ``raw_group_by_sql`` (the benchmark's baseline); return the number of cells."""
    statement, params = raw_group_by_sql(dataset=dataset, measure_kind=measure_kind, dimensions=dimensions)
    return sum(1 for _row in engine_for(using).rows(statement, params))
