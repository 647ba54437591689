"""DESIGN §4: requesters choose from the catalogue, which holds no identifying attribute."""

import pytest
from django.core.exceptions import ValidationError

from stats_app.catalogue import validate_specification
from stats_app.models import IDENTIFYING_CODES, Category, Dataset, Dimension


def test_demo_catalogue_offers_the_three_datasets(db):
    datasets = {dataset.code: dataset for dataset in Dataset.objects.select_related("custodian")}

    assert set(datasets) == {"medical_services", "prescription_drugs", "hospital_stays"}
    assert set(datasets["medical_services"].measures.values_list("code", flat=True)) == {
        "services",
        "persons",
        "amount_paid",
    }
    assert set(datasets["prescription_drugs"].measures.values_list("code", flat=True)) == {
        "claims",
        "persons",
        "amount_paid",
    }
    assert set(datasets["hospital_stays"].measures.values_list("code", flat=True)) == {"stays", "persons"}
    assert not datasets["medical_services"].needs_custodian_consent
    assert datasets["hospital_stays"].needs_custodian_consent


def test_regions_are_the_eighteen_health_regions_with_official_codes(db):
    codes = list(Category.objects.filter(dimension__code="region").values_list("code", flat=True))

    assert codes == [f"{number:02d}" for number in range(1, 19)]
    assert Category.objects.get(dimension__code="region", code="06").label_fr == "Montréal"


def test_catalogue_holds_no_identifying_attribute(db):
    dimension_codes = set(Dimension.objects.values_list("code", flat=True))

    assert not dimension_codes & IDENTIFYING_CODES


@pytest.mark.parametrize("code", ["postal_code", "insurance_number", "date_of_birth", "name", "address"])
def test_an_identifying_attribute_cannot_become_a_dimension(db, code):
    with pytest.raises(ValidationError) as error:
        Dimension(code=code, label_fr=code, label_en=code).full_clean()
    assert "code" in error.value.message_dict


def test_valid_specification_resolves_to_catalogue_rows(db):
    resolved = validate_specification(
        dataset="medical_services",
        measure="persons",
        dimensions=["year", "region", "sex"],
        filters={"year": ["2023", "2022"]},
    )

    assert resolved.dataset.code == "medical_services"
    assert resolved.dimension_codes == ["year", "region", "sex"]
    assert resolved.filters == {"year": ("2022", "2023")}


@pytest.mark.parametrize(
    ("spec", "field"),
    [
        ({"dataset": "patients", "measure": "persons", "dimensions": []}, "dataset"),
        ({"dataset": "medical_services", "measure": "claims", "dimensions": []}, "measure"),
        ({"dataset": "medical_services", "measure": "persons", "dimensions": ["drug_class"]}, "dimensions"),
        ({"dataset": "medical_services", "measure": "persons", "dimensions": ["postal_code"]}, "dimensions"),
        (
            {
                "dataset": "medical_services",
                "measure": "persons",
                "dimensions": ["year", "region", "sex", "age_group", "specialty"],
            },
            "dimensions",
        ),
        ({"dataset": "medical_services", "measure": "persons", "dimensions": ["year", "year"]}, "dimensions"),
        ({"dataset": "medical_services", "measure": "persons", "dimensions": "year"}, "dimensions"),
        (
            {"dataset": "medical_services", "measure": "persons", "dimensions": ["year"], "filters": {"year": []}},
            "filters",
        ),
        (
            {
                "dataset": "medical_services",
                "measure": "persons",
                "dimensions": ["year"],
                "filters": {"year": ["1890"]},
            },
            "filters",
        ),
        (
            {
                "dataset": "medical_services",
                "measure": "persons",
                "dimensions": ["year"],
                "filters": {"region": ["06"]},
            },
            "filters",
        ),
        ({"dataset": "medical_services", "measure": "persons", "dimensions": ["year"], "filters": ["year"]}, "filters"),
        (
            {"dataset": "medical_services", "measure": "persons", "dimensions": ["year"], "filters": {"year": "2022"}},
            "filters",
        ),
        ({"dataset": "medical_services", "measure": "persons", "dimensions": [{"sql": "nam"}]}, "dimensions"),
        ({"dataset": ["medical_services"], "measure": "persons", "dimensions": []}, "dataset"),
    ],
)
def test_specification_outside_the_catalogue_is_refused_on_the_right_field(db, spec, field):
    with pytest.raises(ValidationError) as error:
        validate_specification(**spec)
    assert field in error.value.message_dict


def test_an_inactive_dataset_is_not_offered(db):
    Dataset.objects.filter(code="medical_services").update(is_active=False)

    with pytest.raises(ValidationError) as error:
        validate_specification(dataset="medical_services", measure="persons", dimensions=["year"])
    assert "dataset" in error.value.message_dict


def test_labels_follow_the_active_language(db):
    from django.utils import translation

    category = Category.objects.get(dimension__code="region", code="18")
    with translation.override("en"):
        assert category.label == "Cree Territory of James Bay"
    with translation.override("fr"):
        assert category.label == "Terres-Cries-de-la-Baie-James"
