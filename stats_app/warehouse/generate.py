"""A synthetic, realistic and reproducible warehouse (DESIGN §4, "The warehouse").

Persons are drawn by health region (population shares), age and sex
(Québec's pyramid); each gets names, an address, a postal code and an
insurance number, so that the guarantees are tested on data that has something
to leak. Their medical services, drug claims and hospital stays over 2019-2025
follow their age, sex and a personal frailty; amounts are log-normal with a few
exceptional ones for the dominance rules to catch.

Reproducibility: randomness comes in fixed blocks of ``BLOCK_PERSONS`` persons,
each block and year with its own ``numpy`` PCG64 stream derived from the seed.
The data therefore depends only on (seed, persons, ``GENERATOR_VERSION``), never
on the loading chunk size or the database. Memory stays bounded by one chunk.

Loading goes through the warehouse's engine (``engines``), chunk by chunk as
tab-separated text built from numpy arrays: PostgreSQL gets ``COPY``, then the
indexes, foreign keys and ``ANALYZE``; DuckDB reads each chunk with its CSV
reader; ClickHouse takes it as ``TabSeparated``. Each fact table is written
year after year, so ``year`` follows the physical order. On PostgreSQL and
DuckDB everything happens in one transaction: a failed load leaves the
previous warehouse in place (ClickHouse has no transaction).
"""

from __future__ import annotations

import time
import unicodedata
from dataclasses import dataclass
from datetime import date
from enum import IntEnum
from pathlib import Path

import numpy as np
from django.utils import timezone

from stats_app.warehouse import synthetic_data as data
from stats_app.warehouse.engines import engine_for, quoted_path
from stats_app.warehouse.schema import (
    SNAPSHOT_TABLE,
    TABLES,
    TABLES_BY_NAME,
    column_types,
    create_table_statements,
    drop_table_statements,
    existing_tables,
    index_statements,
    snapshot,
)

#: Bump whenever a change below or in ``synthetic_data`` changes the generated rows.
GENERATOR_VERSION = "1"
#: The unit of randomness. Part of the data's definition: changing it changes the rows.
BLOCK_PERSONS = 10_000
YEARS = tuple(range(2019, 2026))
PERIOD_END = np.datetime64("2025-12-31")
#: The date the synthetic data stands as of (its extraction date), written into every output's metadata.
SNAPSHOT_DATE = date(2026, 1, 31)

_STRING = np.dtypes.StringDType()
_DAYS_PER_YEAR = 365.2425


class WarehouseExists(Exception):
    """The database already holds a warehouse and ``replace`` was not asked for."""


class _Stream(IntEnum):
    PERSONS = 0
    IDENTITIES = 1
    MEDICAL = 2
    DRUGS = 3
    HOSPITAL = 4


def _rng(seed: int, *key: int) -> np.random.Generator:
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed, spawn_key=key)))


def _strings(values) -> np.ndarray:
    return np.array(list(values), dtype=_STRING)


def _normalised(weights) -> np.ndarray:
    weights = np.asarray(weights, dtype=float)
    return weights / weights.sum(axis=-1, keepdims=True)


# --- Reference arrays, derived once from synthetic_data ----------------------------------------------------------

REGION_CODES = _strings(data.REGION_POPULATION)
_REGION_WEIGHTS = _normalised(list(data.REGION_POPULATION.values()))
_REFERRAL_WEIGHTS = _normalised(
    [population * data.REFERRAL_ATTRACTION.get(code, 1.0) for code, population in data.REGION_POPULATION.items()]
)
AGE_GROUP_CODES = _strings(["0-17", "18-34", "35-49", "50-64", "65-74", "75+"])
_AGE_BOUNDS = np.array(data.AGE_GROUP_BOUNDS)
#: Probability of each single age 0..99 (each five-year group split evenly).
_AGE_WEIGHTS = _normalised(np.repeat(data.AGE_PYRAMID, 5))
SEX_CODES = _strings(["M", "F"])  # indexed by "is a woman"
YEAR_CODES = {year: str(year) for year in YEARS}


def _women_share(age: np.ndarray) -> np.ndarray:
    """Women outlive men: their share rises from 49 % before 55 to about 69 % at 90 and over."""
    return 0.49 + np.clip((age - 55) * 0.0057, 0, 0.2)


def _by_group_and_sex(rates, women_factors) -> np.ndarray:
    """A (6 age groups, 2 sexes) array: men's rate, women's rate."""
    rates = np.asarray(rates, dtype=float)
    return np.stack([rates, rates * np.asarray(women_factors)], axis=1)


def _expected_per_person(rates: np.ndarray) -> float:
    """Mean events per person over the period for yearly ``rates`` by (group, sex), under the pyramid."""
    ages_at_end = np.arange(100)
    women = _women_share(ages_at_end)
    total = np.zeros(100)
    for year in YEARS:
        age = ages_at_end - (YEARS[-1] - year)
        group = np.searchsorted(_AGE_BOUNDS, np.maximum(age, 0), side="right")
        total += np.where(age >= 0, women * rates[group, 1] + (1 - women) * rates[group, 0], 0)
    return float((_AGE_WEIGHTS * total).sum())


def _scaled(rates: np.ndarray, target_per_person: float) -> np.ndarray:
    return rates * (target_per_person / _expected_per_person(rates))


_MEDICAL_RATES = _scaled(
    _by_group_and_sex(data.MEDICAL_USE_BY_AGE, data.MEDICAL_USE_WOMEN), data.MEDICAL_SERVICES_PER_PERSON
)
_DRUG_RATES = _scaled(_by_group_and_sex(data.DRUG_USE_BY_AGE, data.DRUG_USE_WOMEN), data.DRUG_CLAIMS_PER_PERSON)
_HOSPITAL_RATES = _by_group_and_sex(data.HOSPITAL_RATE_BY_AGE, data.HOSPITAL_RATE_WOMEN)


def _category_table(profiles: dict, weights_index: int, women_only: set[str], men_factor: dict | None = None):
    """Codes, and cumulative probabilities by (age group, sex) for drawing one of them."""
    codes = list(profiles)
    weights = np.array([profiles[code][weights_index] for code in codes], dtype=float).T  # (group, code)
    men = weights.copy()
    for position, code in enumerate(codes):
        if code in women_only:
            men[:, position] = 0
        men[:, position] *= (men_factor or {}).get(code, 1.0)
    by_sex = np.stack([_normalised(men), _normalised(weights)], axis=1)  # (group, sex, code)
    cumulative = by_sex.cumsum(axis=-1)
    cumulative[..., -1] = 1.0
    return _strings(codes), cumulative


SPECIALTY_CODES, _SPECIALTY_CUMULATIVE = _category_table(data.SPECIALTIES, 2, data.SPECIALTIES_WOMEN_ONLY)
_SPECIALTY_MEDIAN = np.array([profile[0] for profile in data.SPECIALTIES.values()], dtype=float)
_SPECIALTY_SIGMA = np.array([profile[1] for profile in data.SPECIALTIES.values()])
#: Act codes: five digits, a block of ``ACTS_PER_SPECIALTY`` per specialty; the first acts are the most billed.
_ACT_CODES = _strings(
    f"{(position + 1) * 1000 + act * 7 + 10:05d}"
    for position in range(len(data.SPECIALTIES))
    for act in range(data.ACTS_PER_SPECIALTY)
)
_ACT_CUMULATIVE = _normalised(1 / np.arange(1, data.ACTS_PER_SPECIALTY + 1)).cumsum()
_ACT_CUMULATIVE[-1] = 1.0

DRUG_CLASS_CODES, _DRUG_CLASS_CUMULATIVE = _category_table(data.DRUG_CLASSES, 2, set(), {"G": 0.3})
_DRUG_MEDIAN = np.array([profile[0] for profile in data.DRUG_CLASSES.values()], dtype=float)
_DRUG_SIGMA = np.array([profile[1] for profile in data.DRUG_CLASSES.values()])

CHAPTER_CODES, _CHAPTER_CUMULATIVE = _category_table(data.DIAGNOSIS_CHAPTERS, 1, data.CHAPTERS_WOMEN_ONLY)
_COVID_CHAPTER_CUMULATIVE = _category_table(
    {
        code: (stay, [weight * data.COVID_YEARS_CHAPTER_22_FACTOR if code == "22" else weight for weight in weights])
        for code, (stay, weights) in data.DIAGNOSIS_CHAPTERS.items()
    },
    1,
    data.CHAPTERS_WOMEN_ONLY,
)[1]
_CHAPTER_MEAN_STAY = np.array([profile[0] for profile in data.DIAGNOSIS_CHAPTERS.values()], dtype=float)


def _insurance_letters(name: str, length: int) -> str:
    """Upper-case letters of a name without accents or punctuation, padded with X (``St-Pierre`` -> ``STP``)."""
    plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    letters = "".join(character for character in plain.upper() if character.isalpha())
    return (letters + "XXX")[:length]


_LAST_NAMES = [
    *data.LAST_NAMES,
    *(name for region in sorted(data.LAST_NAMES_BY_REGION) for name in data.LAST_NAMES_BY_REGION[region]),
]
LAST_NAME_VALUES = _strings(_LAST_NAMES)
_LAST_NAME_LETTERS = _strings(_insurance_letters(name, 3) for name in _LAST_NAMES)
_LAST_NAME_CUMULATIVE = _normalised(1 / (np.arange(len(data.LAST_NAMES)) + 5)).cumsum()
_LAST_NAME_CUMULATIVE[-1] = 1.0


def _regional_name_ranges() -> dict[int, tuple[int, int]]:
    """Region index -> (first index, count) of the region's own surnames in ``_LAST_NAMES``."""
    ranges, offset = {}, len(data.LAST_NAMES)
    for region in sorted(data.LAST_NAMES_BY_REGION):
        size = len(data.LAST_NAMES_BY_REGION[region])
        ranges[list(data.REGION_POPULATION).index(region)] = (offset, size)
        offset += size
    return ranges


_REGIONAL_NAMES = _regional_name_ranges()
FIRST_NAME_VALUES = _strings([*data.FIRST_NAMES_MEN, *data.FIRST_NAMES_WOMEN])
_FIRST_NAME_LETTERS = _strings(_insurance_letters(name, 1) for name in FIRST_NAME_VALUES.tolist())
_STREETS = _strings(f"{kind} {name}" for kind in data.STREET_TYPES for name in data.STREET_NAMES)

# Addresses: every (region, city, forward sortation area) triple; a person picks one within their region.
_places = [
    (region_index, city, area)
    for region_index, region in enumerate(data.REGION_POPULATION)
    for city, areas in data.CITIES_BY_REGION[region]
    for area in areas
]
_PLACE_CITY = _strings(place[1] for place in _places)
_PLACE_AREA = _strings(place[2] for place in _places)
_PLACE_IS_FULL_CODE = np.array([len(place[2]) == 7 for place in _places])
_PLACE_FIRST = np.searchsorted([place[0] for place in _places], np.arange(len(REGION_CODES)))
_PLACE_COUNT = np.bincount([place[0] for place in _places], minlength=len(REGION_CODES))
_POSTAL_LETTERS = _strings(data.POSTAL_LETTERS)
_DIGITS = _strings("0123456789")


# --- Persons -------------------------------------------------------------------------------------------------------


@dataclass
class Persons:
    """One block of persons: what their events depend on."""

    key: np.ndarray  # int64, 1-based
    birth: np.ndarray  # datetime64[D]
    woman: np.ndarray  # bool
    region: np.ndarray  # index into REGION_CODES
    frailty: dict[str, np.ndarray]

    def __len__(self) -> int:
        return len(self.key)


def _blocks(persons: int) -> range:
    return range((persons + BLOCK_PERSONS - 1) // BLOCK_PERSONS)


def person_block(seed: int, block: int, persons: int) -> Persons:
    """Block ``block`` of a warehouse of ``persons`` persons: ages by the pyramid, sex, home region, frailties."""
    first = block * BLOCK_PERSONS
    count = min(BLOCK_PERSONS, persons - first)
    rng = _rng(seed, _Stream.PERSONS, block)
    age = rng.choice(100, size=count, p=_AGE_WEIGHTS)
    days_before_end = np.floor((age + rng.random(count)) * _DAYS_PER_YEAR).astype(np.int64)
    woman = rng.random(count) < _women_share(age)
    region = rng.choice(len(REGION_CODES), size=count, p=_REGION_WEIGHTS)
    frailty = {kind: rng.gamma(shape, 1 / shape, size=count) for kind, shape in data.FRAILTY_SHAPE.items()}
    return Persons(
        key=np.arange(first + 1, first + count + 1, dtype=np.int64),
        birth=PERIOD_END - days_before_end,
        woman=woman,
        region=region,
        frailty=frailty,
    )


def _date_parts(days: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    years = days.astype("datetime64[Y]").astype(np.int64) + 1970
    months = days.astype("datetime64[M]")
    day = (days - months).astype(np.int64) + 1
    return years, months.astype(np.int64) % 12 + 1, day


def _age_at(birth: np.ndarray, when: np.ndarray) -> np.ndarray:
    """Age in whole years on ``when``."""
    birth_year, birth_month, birth_day = _date_parts(birth)
    year, month, day = _date_parts(when)
    before_birthday = (month < birth_month) | ((month == birth_month) & (day < birth_day))
    return year - birth_year - before_birthday


def identity_columns(seed: int, block: int, persons: Persons) -> dict[str, np.ndarray]:
    """The identifying columns of ``insured_person`` for one block, in table order."""
    rng = _rng(seed, _Stream.IDENTITIES, block)
    count = len(persons)
    last = np.searchsorted(_LAST_NAME_CUMULATIVE, rng.random(count), side="right")
    regional_draw = rng.random(count)
    regional_pick = rng.random(count)
    for region_index, (offset, size) in _REGIONAL_NAMES.items():
        local = (persons.region == region_index) & (regional_draw < 0.85)
        last[local] = offset + (regional_pick[local] * size).astype(np.int64)
    first = rng.random(count)
    first_index = np.where(
        persons.woman,
        len(data.FIRST_NAMES_MEN) + (first * len(data.FIRST_NAMES_WOMEN)).astype(np.int64),
        (first * len(data.FIRST_NAMES_MEN)).astype(np.int64),
    )
    year, month, day = _date_parts(persons.birth)
    administrative = rng.integers(0, 100, size=count)
    digits = (((year % 100) * 100 + month + 50 * persons.woman) * 100 + day) * 100 + administrative
    insurance_number = np.strings.add(
        np.strings.add(_LAST_NAME_LETTERS[last], _FIRST_NAME_LETTERS[first_index]),
        np.strings.zfill(digits.astype(_STRING), 8),
    )
    street_number = rng.integers(1, 10_000, size=count)
    street = rng.integers(0, len(_STREETS), size=count)
    place = _PLACE_FIRST[persons.region] + (rng.random(count) * _PLACE_COUNT[persons.region]).astype(np.int64)
    unit = rng.integers(0, [10, len(_POSTAL_LETTERS), 10], size=(count, 3))
    local_code = np.strings.add(np.strings.add(_DIGITS[unit[:, 0]], _POSTAL_LETTERS[unit[:, 1]]), _DIGITS[unit[:, 2]])
    postal_code = np.where(
        _PLACE_IS_FULL_CODE[place],
        _PLACE_AREA[place],
        np.strings.add(np.strings.add(_PLACE_AREA[place], " "), local_code),
    )
    return {
        "insurance_number": insurance_number,
        "first_name": FIRST_NAME_VALUES[first_index],
        "last_name": LAST_NAME_VALUES[last],
        "date_of_birth": persons.birth,
        "sex": SEX_CODES[persons.woman.astype(np.int64)],
        "street_address": np.strings.add(np.strings.add(street_number.astype(_STRING), " "), _STREETS[street]),
        "city": _PLACE_CITY[place],
        "postal_code": postal_code.astype(_STRING),
        "region": REGION_CODES[persons.region],
    }


# --- Events --------------------------------------------------------------------------------------------------------


@dataclass
class _Exposure:
    """Who is alive in the year, from when, and their age group at mid-year."""

    start: np.ndarray  # datetime64[D]
    days: np.ndarray  # days covered in the year
    share: np.ndarray  # share of the year covered
    group: np.ndarray  # age group at mid-year
    first_year_of_life: np.ndarray  # bool


def _exposure(persons: Persons, year: int) -> _Exposure:
    year_start = np.datetime64(f"{year}-01-01")
    year_end = np.datetime64(f"{year}-12-31")
    start = np.maximum(year_start, persons.birth)
    days = np.maximum((year_end - start).astype(np.int64) + 1, 0)
    share = days / ((year_end - year_start).astype(np.int64) + 1)
    age = _age_at(persons.birth, np.full(len(persons), np.datetime64(f"{year}-07-01")))
    return _Exposure(
        start=start,
        days=days,
        share=share,
        group=np.searchsorted(_AGE_BOUNDS, np.maximum(age, 0), side="right"),
        first_year_of_life=age < 1,
    )


def _draw(cumulative: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """One index per row of ``cumulative`` (rows x categories) with those probabilities."""
    return (rng.random(len(cumulative))[:, None] >= cumulative).sum(axis=1).clip(max=cumulative.shape[1] - 1)


def _events(rng, persons: Persons, exposure: _Exposure, rate: np.ndarray, year: int, region_kind: str) -> dict:
    """Columns shared by every kind of event: who, when, where, age group, sex."""
    count = rng.poisson(rate * exposure.share)
    who = np.repeat(np.arange(len(persons)), count)
    when = exposure.start[who] + (rng.random(len(who)) * exposure.days[who]).astype(np.int64)
    home = rng.random(len(who)) < data.HOME_REGION_SHARE[region_kind]
    referral = rng.choice(len(REGION_CODES), size=len(who), p=_REFERRAL_WEIGHTS)
    group = np.searchsorted(_AGE_BOUNDS, _age_at(persons.birth[who], when), side="right")
    woman = persons.woman[who]
    return {
        "who": who,
        "group": group,
        "woman": woman,
        "person_key": persons.key[who],
        "date": when,
        "year": np.full(len(who), YEAR_CODES[year], dtype=_STRING),
        "region": REGION_CODES[np.where(home, persons.region[who], referral)],
        "age_group": AGE_GROUP_CODES[group],
        "sex": SEX_CODES[woman.astype(np.int64)],
    }


def _amounts(rng, median: np.ndarray, sigma: np.ndarray) -> np.ndarray:
    """Log-normal amounts in cents, a few of them exceptional (20 to 150 times larger)."""
    amount = median * np.exp(sigma * rng.standard_normal(len(median)))
    exceptional = rng.random(len(median)) < data.EXCEPTIONAL_AMOUNT_SHARE
    amount[exceptional] *= np.exp(rng.uniform(np.log(20), np.log(150), size=int(exceptional.sum())))
    return np.maximum(np.rint(amount), 100).astype(np.int64)


def medical_services(seed: int, block: int, year: int, persons: Persons) -> dict[str, np.ndarray]:
    rng = _rng(seed, _Stream.MEDICAL, block, year)
    exposure = _exposure(persons, year)
    rate = _MEDICAL_RATES[exposure.group, persons.woman.astype(np.int64)] * persons.frailty["medical"]
    events = _events(rng, persons, exposure, rate, year, "medical")
    specialty = _draw(_SPECIALTY_CUMULATIVE[events["group"], events["woman"].astype(np.int64)], rng)
    act = np.searchsorted(_ACT_CUMULATIVE, rng.random(len(specialty)), side="right")
    return {
        "person_key": events["person_key"],
        "service_date": events["date"],
        "year": events["year"],
        "act_code": _ACT_CODES[specialty * data.ACTS_PER_SPECIALTY + act],
        "specialty": SPECIALTY_CODES[specialty],
        "region": events["region"],
        "age_group": events["age_group"],
        "sex": events["sex"],
        "amount_paid_cents": _amounts(rng, _SPECIALTY_MEDIAN[specialty], _SPECIALTY_SIGMA[specialty]),
    }


def drug_claims(seed: int, block: int, year: int, persons: Persons) -> dict[str, np.ndarray]:
    rng = _rng(seed, _Stream.DRUGS, block, year)
    exposure = _exposure(persons, year)
    rate = _DRUG_RATES[exposure.group, persons.woman.astype(np.int64)] * persons.frailty["drug"]
    events = _events(rng, persons, exposure, rate, year, "drug")
    drug_class = _draw(_DRUG_CLASS_CUMULATIVE[events["group"], events["woman"].astype(np.int64)], rng)
    return {
        "person_key": events["person_key"],
        "claim_date": events["date"],
        "year": events["year"],
        "drug_class": DRUG_CLASS_CODES[drug_class],
        "region": events["region"],
        "age_group": events["age_group"],
        "sex": events["sex"],
        "amount_paid_cents": _amounts(rng, _DRUG_MEDIAN[drug_class], _DRUG_SIGMA[drug_class]),
    }


def hospital_stays(seed: int, block: int, year: int, persons: Persons) -> dict[str, np.ndarray]:
    rng = _rng(seed, _Stream.HOSPITAL, block, year)
    exposure = _exposure(persons, year)
    rate = np.where(
        exposure.first_year_of_life,
        data.HOSPITAL_RATE_FIRST_YEAR,
        _HOSPITAL_RATES[exposure.group, persons.woman.astype(np.int64)],
    )
    events = _events(rng, persons, exposure, rate * persons.frailty["hospital"], year, "hospital")
    cumulative = _COVID_CHAPTER_CUMULATIVE if year in data.COVID_YEARS else _CHAPTER_CUMULATIVE
    chapter = _draw(cumulative[events["group"], events["woman"].astype(np.int64)], rng)
    mean_stay = _CHAPTER_MEAN_STAY[chapter] * np.where(events["group"] >= 4, 1.4, 1.0)
    sigma = 0.8
    stay = np.exp(np.log(mean_stay) - sigma**2 / 2 + sigma * rng.standard_normal(len(chapter)))
    return {
        "person_key": events["person_key"],
        "admission_date": events["date"],
        "year": events["year"],
        "diagnosis_chapter": CHAPTER_CODES[chapter],
        "length_of_stay_days": np.clip(np.rint(stay), 1, 365).astype(np.int64),
        "region": events["region"],
        "age_group": events["age_group"],
        "sex": events["sex"],
    }


#: Fact table -> row generator for one (block, year).
FACT_GENERATORS = {
    "medical_service": medical_services,
    "drug_claim": drug_claims,
    "hospital_stay": hospital_stays,
}


# --- Loading -------------------------------------------------------------------------------------------------------


def _chunks(persons: int, chunk_persons: int) -> list[range]:
    """Consecutive runs of blocks, about ``chunk_persons`` persons each."""
    blocks_per_chunk = max(1, chunk_persons // BLOCK_PERSONS)
    blocks = _blocks(persons)
    return [blocks[start : start + blocks_per_chunk] for start in range(0, len(blocks), blocks_per_chunk)]


def _concatenated(parts: list[dict[str, np.ndarray]]) -> dict[str, np.ndarray]:
    return {name: np.concatenate([part[name] for part in parts]) for name in parts[0]}


def generate(
    *,
    persons: int,
    seed: int,
    using: str = "warehouse",
    replace: bool = True,
    stdout=None,
    chunk_persons: int = 100_000,
) -> dict:
    """Create and fill the synthetic warehouse ``using`` (an alias of ``engines.engine_for``); return its ``snapshot``.

    The rows depend only on ``persons`` and ``seed`` (and ``GENERATOR_VERSION``).
    Raises ``WarehouseExists`` when the tables exist and ``replace`` is false.
    ``chunk_persons`` bounds memory; it does not change the data.
    """
    if persons < 1:
        raise ValueError("A warehouse needs at least one person.")
    if seed < 0:
        raise ValueError("The seed is a non-negative integer.")
    engine = engine_for(using)
    vendor = engine.name
    started = time.monotonic()

    def report(message: str) -> None:
        if stdout is not None:
            stdout.write(f"[{time.monotonic() - started:7.1f} s] {message}\n")

    chunks = _chunks(persons, chunk_persons)
    if existing_tables(using) and not replace:
        raise WarehouseExists(f"The database “{using}” already holds a warehouse; ask to replace it.")
    with engine.writing() as loader:
        for statement in drop_table_statements(vendor):
            loader.execute(statement)
        for statement in create_table_statements(vendor):
            loader.execute(statement)

        person_columns = TABLES_BY_NAME["insured_person"].column_names
        with loader.table("insured_person", column_types(vendor, "insured_person", person_columns)) as write:
            for chunk in chunks:
                parts = []
                for block in chunk:
                    block_persons = person_block(seed, block, persons)
                    parts.append({"person_key": block_persons.key, **identity_columns(seed, block, block_persons)})
                rows = _concatenated(parts)
                write([rows[name] for name in person_columns])
        report(f"insured_person: {persons} rows")

        counts = {}
        for table, rows_for in FACT_GENERATORS.items():
            key, *columns = TABLES_BY_NAME[table].column_names
            count = 0
            with loader.table(table, column_types(vendor, table, [key, *columns])) as write:
                for year in YEARS:
                    for chunk in chunks:
                        parts = [rows_for(seed, block, year, person_block(seed, block, persons)) for block in chunk]
                        rows = _concatenated(parts)
                        size = len(rows["person_key"])
                        if size:
                            identifiers = np.arange(count + 1, count + size + 1, dtype=np.int64)
                            write([identifiers, *(rows[name] for name in columns)])
                            count += size
            counts[table] = count
            report(f"{table}: {count} rows")

        if vendor == "postgresql":
            loader.execute("SET LOCAL maintenance_work_mem = '512MB'")
        for statement in index_statements(vendor):
            loader.execute(statement)
        report("indexes and keys")

        snapshot_columns = TABLES_BY_NAME[SNAPSHOT_TABLE].column_names
        loader.execute(
            f"INSERT INTO {SNAPSHOT_TABLE} ({', '.join(snapshot_columns)}) "  # noqa: S608 - constant identifiers
            f"VALUES ({', '.join(['%s'] * len(snapshot_columns))})",
            [
                SNAPSHOT_DATE.isoformat(),
                timezone.now().isoformat(),
                seed,
                persons,
                counts["medical_service"],
                counts["drug_claim"],
                counts["hospital_stay"],
                GENERATOR_VERSION,
                f"synthetic-v{GENERATOR_VERSION}-seed{seed}-persons{persons}",
            ],
        )
        if vendor != "clickhouse":
            for table in TABLES_BY_NAME:
                loader.execute(f"ANALYZE {table}")
            report("analysed")
    engine.close()
    return snapshot(using)


# --- Parquet (DuckDB) ----------------------------------------------------------------------------------------------


def _duckdb(using: str):
    engine = engine_for(using)
    if engine.name != "duckdb":
        raise NotImplementedError(f"Parquet import and export need a DuckDB warehouse, not {engine.name}.")
    return engine


def export_parquet(directory, *, using: str = "warehouse") -> list[Path]:
    """Every warehouse table of the DuckDB warehouse ``using`` as ``directory/<table>.parquet``."""
    engine = _duckdb(using)
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for table in TABLES:
        path = directory / f"{table.name}.parquet"
        list(engine.rows(f"COPY {table.name} TO '{quoted_path(path)}' (FORMAT parquet)"))
        written.append(path)
    return written


def import_parquet(directory, *, using: str = "warehouse", replace: bool = True) -> dict:
    """Load the DuckDB warehouse ``using`` from ``directory/<table>.parquet`` (as ``export_parquet`` wrote them).

    One transaction, like ``generate``; returns the loaded ``snapshot``.
    """
    engine = _duckdb(using)
    if existing_tables(using) and not replace:
        raise WarehouseExists(f"The database “{using}” already holds a warehouse; ask to replace it.")
    directory = Path(directory)
    with engine.writing() as writer:
        for statement in drop_table_statements(engine.name):
            writer.execute(statement)
        for statement in create_table_statements(engine.name):
            writer.execute(statement)
        for table in TABLES:
            names = ", ".join(table.column_names)
            path = quoted_path(directory / f"{table.name}.parquet")
            writer.execute(f"INSERT INTO {table.name} ({names}) SELECT {names} FROM read_parquet('{path}')")  # noqa: S608
    return snapshot(using)
