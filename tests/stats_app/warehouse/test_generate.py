"""The synthetic warehouse: reproducible, realistic, and with something to leak."""

import re
import unicodedata
from datetime import date

import numpy as np
import pytest
from django.core.management import CommandError, call_command

from stats_app.catalogue_data import AGE_GROUPS
from stats_app.warehouse import generate as generator
from stats_app.warehouse import synthetic_data
from stats_app.warehouse.generate import WarehouseExists, generate
from stats_app.warehouse.schema import existing_tables
from tests.stats_app.warehouse.conftest import READS_WAREHOUSES, checksum, fetch

pytestmark = pytest.mark.django_db(databases=["default", "warehouse"])


def test_generate_same_seed_gives_identical_data(scratch_warehouse):
    first, second = scratch_warehouse("first"), scratch_warehouse("second")
    generate(persons=400, seed=11, using=first)
    generate(persons=400, seed=11, using=second)

    assert checksum(first) == checksum(second)


def test_generate_output_is_pinned_for_its_version(scratch_warehouse):
    # The seed must keep meaning the same rows. A change here is a change of the data: bump GENERATOR_VERSION.
    alias = scratch_warehouse("pinned")
    loaded = generate(persons=400, seed=11, using=alias)

    assert loaded["generator_version"] == "1"
    assert (loaded["medical_service_rows"], loaded["drug_claim_rows"], loaded["hospital_stay_rows"]) == (
        4024,
        2131,
        244,
    )
    assert fetch(
        alias,
        "SELECT (SELECT SUM(amount_paid_cents) FROM medical_service), (SELECT SUM(amount_paid_cents) FROM drug_claim), "
        "(SELECT SUM(length_of_stay_days) FROM hospital_stay), "
        "(SELECT insurance_number FROM insured_person WHERE person_key = 1), "
        "(SELECT postal_code FROM insured_person WHERE person_key = 400)",
    ) == [(39899524, 14187082, 1963, "ROYR73601677", "G1V 9V6")]


def test_generate_different_seeds_differ(scratch_warehouse):
    first, second = scratch_warehouse("first"), scratch_warehouse("second")
    generate(persons=400, seed=11, using=first)
    generate(persons=400, seed=12, using=second)

    assert checksum(first) != checksum(second)


@READS_WAREHOUSES
def test_generate_result_does_not_depend_on_the_engine(warehouse, database):
    assert checksum("warehouse") == checksum(database)


def test_generate_result_does_not_depend_on_the_chunk_size(scratch_warehouse, monkeypatch):
    monkeypatch.setattr(generator, "BLOCK_PERSONS", 300)  # several blocks without thousands of persons
    one_block_per_chunk, all_in_one_chunk = scratch_warehouse("small_chunks"), scratch_warehouse("one_chunk")
    generate(persons=1000, seed=5, using=one_block_per_chunk, chunk_persons=300)
    generate(persons=1000, seed=5, using=all_in_one_chunk, chunk_persons=10_000)

    assert checksum(one_block_per_chunk) == checksum(all_in_one_chunk)


def test_generate_refuses_to_overwrite_unless_asked(scratch_warehouse):
    alias = scratch_warehouse("target")
    generate(persons=50, seed=1, using=alias)

    with pytest.raises(WarehouseExists):
        generate(persons=60, seed=2, using=alias, replace=False)
    assert fetch(alias, "SELECT COUNT(*) FROM insured_person")[0][0] == 50

    generate(persons=60, seed=2, using=alias, replace=True)
    assert fetch(alias, "SELECT COUNT(*) FROM insured_person")[0][0] == 60


def test_generate_row_counts_scale_with_persons(scratch_warehouse):
    small, large = scratch_warehouse("small"), scratch_warehouse("large")
    small_snapshot = generate(persons=1000, seed=3, using=small)
    large_snapshot = generate(persons=4000, seed=3, using=large)

    for table in ("medical_service", "drug_claim", "hospital_stay"):
        ratio = large_snapshot[f"{table}_rows"] / small_snapshot[f"{table}_rows"]
        assert 3.3 < ratio < 4.8, (table, ratio)
    assert 8.5 < large_snapshot["medical_service_rows"] / 4000 < 11.5  # about ten services per person


def test_generate_command_loads_and_replaces_on_request(scratch_warehouse, capsys):
    alias = scratch_warehouse("command")
    call_command("generate_warehouse", "--persons", "200", "--seed", "9", "--using", alias)
    assert "200 persons" in capsys.readouterr().out

    with pytest.raises(CommandError, match="--replace"):
        call_command("generate_warehouse", "--persons", "300", "--seed", "9", "--using", alias)

    call_command("generate_warehouse", "--persons", "300", "--seed", "9", "--using", alias, "--replace")
    assert fetch(alias, "SELECT persons FROM warehouse_snapshot") == [(300,)]
    assert existing_tables(alias) == {
        "insured_person",
        "medical_service",
        "drug_claim",
        "hospital_stay",
        "warehouse_snapshot",
    }


def _letters(name: str, length: int) -> str:
    plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().upper()
    return ("".join(character for character in plain if character.isalpha()) + "XXX")[:length]


def test_insurance_numbers_follow_the_agency_format(database):
    persons = fetch(database, "SELECT insurance_number, first_name, last_name, date_of_birth, sex FROM insured_person")

    assert len(persons) == 3000
    for number, first_name, last_name, born, sex in persons:
        assert re.fullmatch(r"[A-Z]{4}\d{8}", number), number
        assert number[:4] == _letters(last_name, 3) + _letters(first_name, 1)
        month = born.month + (50 if sex == "F" else 0)
        assert number[4:10] == f"{born.year % 100:02d}{month:02d}{born.day:02d}", (number, born, sex)


def test_postal_codes_are_canadian_and_match_the_region(database):
    persons = fetch(database, "SELECT postal_code, region, city FROM insured_person")

    for postal_code, region, city in persons:
        assert re.fullmatch(r"[A-Z]\d[A-Z] \d[A-Z]\d", postal_code), postal_code
        assert postal_code[0] == synthetic_data.POSTAL_LETTER_BY_REGION[region], (postal_code, region)
        assert city in {name for name, _areas in synthetic_data.CITIES_BY_REGION[region]}


def test_region_shares_follow_the_population():
    persons = [generator.person_block(seed=1, block=block, persons=200_000) for block in range(20)]
    regions = np.concatenate([block.region for block in persons])
    weights = np.array(list(synthetic_data.REGION_POPULATION.values()))

    observed = np.bincount(regions, minlength=18) / len(regions)
    assert np.abs(observed - weights / weights.sum()).max() < 0.004
    assert observed[list(synthetic_data.REGION_POPULATION).index("06")] > 0.23  # Montréal, about a quarter


def test_age_and_sex_follow_a_pyramid():
    persons = generator.person_block(seed=1, block=0, persons=10_000)
    age = (np.datetime64("2025-12-31") - persons.birth).astype(int) / 365.2425

    assert 38 < age.mean() < 46
    assert 0.15 < (age < 18).mean() < 0.25
    assert 0.48 < persons.woman.mean() < 0.54
    assert persons.woman[age >= 80].mean() > 0.55  # women outlive men


def test_events_happen_after_birth_within_the_period_with_the_right_age_group(database):
    bounds = [int(code.split("-")[0].rstrip("+")) for code, *_labels in AGE_GROUPS]
    for table, when in [
        ("medical_service", "service_date"),
        ("drug_claim", "claim_date"),
        ("hospital_stay", "admission_date"),
    ]:
        rows = fetch(
            database,
            f"SELECT e.{when}, e.year, e.age_group, e.sex, p.date_of_birth, p.sex "  # noqa: S608 - constant names
            f"FROM {table} e JOIN insured_person p USING (person_key) ORDER BY 1 LIMIT 2000",
        )
        assert rows
        for happened, year, age_group, sex, born, person_sex in rows:
            assert date(2019, 1, 1) <= happened <= date(2025, 12, 31)
            assert happened >= born and year == str(happened.year) and sex == person_sex
            age = happened.year - born.year - ((happened.month, happened.day) < (born.month, born.day))
            expected = [code for code, *_labels in AGE_GROUPS][sum(age >= bound for bound in bounds[1:])]
            assert age_group == expected, (table, happened, born, age_group)


def test_amounts_are_skewed_with_a_few_exceptional_ones(database):
    amounts = np.array([amount for (amount,) in fetch(database, "SELECT amount_paid_cents FROM medical_service")])

    assert amounts.min() >= 100
    assert amounts.mean() > np.median(amounts) * 1.2  # right-skewed
    assert amounts.max() > 40 * np.median(amounts)  # something for the dominance rules to catch


def test_hospital_stays_last_at_least_a_day(database):
    shortest, longest, mental = fetch(
        database,
        "SELECT MIN(length_of_stay_days), MAX(length_of_stay_days), "
        "AVG(CASE WHEN diagnosis_chapter = '05' THEN length_of_stay_days END) FROM hospital_stay",
    )[0]

    assert shortest >= 1 and longest <= 365
    assert mental > 8  # mental-health stays are long


def test_small_regions_yield_small_counts(database):
    rows = fetch(
        database,
        "SELECT region, year, COUNT(DISTINCT person_key) FROM medical_service "
        "WHERE region IN ('10', '17', '18') GROUP BY region, year",
    )

    assert rows
    assert all(0 < persons < 15 for _region, _year, persons in rows)
    assert any(persons < 5 for _region, _year, persons in rows)
