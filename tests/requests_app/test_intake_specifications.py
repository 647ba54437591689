"""Step 3: table specifications, chosen without JavaScript and checked against the catalogue."""

import pytest
from django.test import Client

from requests_app.models import Status, TableSpecification
from stats_app.models import Dimension, Measure
from tests import factories
from tests.requests_app.pages import (
    assert_checked,
    client_for,
    complete_draft,
    field_error,
    new_draft,
    summary_links,
    text,
    url,
)


@pytest.fixture
def dims(dataset) -> list[str]:
    """The dataset's dimension codes, in the order the form shows them: age, region, sex, specialty, year."""
    return factories.dimension_codes(dataset)


def post_table(client: Client, case, dataset, **values):
    return client.post(url("specification_new", case), {"dataset": dataset.code, **values})


# --- Choosing the dataset ------------------------------------------------------------------


def test_data_step_offers_the_active_datasets(requester_client, case, dataset):
    inactive = factories.make_catalogue()
    inactive.is_active = False
    inactive.save()
    page = text(requester_client.get(url("data", case)))
    assert f'<option value="{dataset.code}">' in page
    assert f'value="{inactive.code}"' not in page
    assert "No table yet." in page


def test_new_table_without_dataset_asks_for_one(requester_client, case):
    response = requester_client.get(url("specification_new", case))
    assert response.status_code == 200
    assert field_error(response, "id_dataset") == "Dataset: choose the dataset the table comes from."


def test_new_table_with_unknown_dataset_code_is_a_form_error(requester_client, case):
    response = requester_client.get(url("specification_new", case), {"dataset": "nope'; drop table x;--"})
    assert response.status_code == 200
    assert field_error(response, "id_dataset").startswith("Dataset: this dataset is not in the catalogue")
    assert summary_links(response) == ["id_dataset"]


def test_new_table_with_inactive_dataset_is_refused(requester_client, case, dataset):
    dataset.is_active = False
    dataset.save()
    response = post_table(requester_client, case, dataset, measure="persons")
    assert response.status_code == 200
    assert "not in the catalogue" in field_error(response, "id_dataset")
    assert not TableSpecification.objects.exists()


def test_table_form_shows_the_datasets_measures_dimensions_and_categories(requester_client, case, dataset, dims):
    page = text(requester_client.get(url("specification_new", case), {"dataset": dataset.code}))
    assert 'type="radio" name="measure" value="persons"' in page
    assert 'type="radio" name="measure" value="services"' in page
    for code in dims:
        assert f'type="checkbox" name="dimensions" value="{code}"' in page
        assert f'name="filter_{code}"' in page
    assert f'name="categories_{dims[0]}" value="18-64"' in page
    assert f'<input type="hidden" name="dataset" value="{dataset.code}">' in page


# --- Saving a table ------------------------------------------------------------------------


def test_table_with_filter_is_saved(requester_client, case, dataset, dims):
    age, region = dims[0], dims[1]
    response = post_table(
        requester_client,
        case,
        dataset,
        measure="services",
        dimensions=[age, region],
        **{f"filter_{region}": "on", f"categories_{region}": ["06", "01"]},
    )
    assert response.status_code == 302
    assert response.url == url("data", case)
    spec = case.specifications.get()
    assert spec.dataset == dataset
    assert spec.measure.code == "services"
    assert spec.dimensions == [age, region]
    assert spec.filters == {region: ["01", "06"]}


def test_table_without_filter_keeps_every_category(requester_client, case, dataset, dims):
    response = post_table(requester_client, case, dataset, measure="persons", dimensions=[dims[2]])
    assert response.status_code == 302
    assert case.specifications.get().filters == {}


def test_categories_ticked_without_the_filter_box_still_filter(requester_client, case, dataset, dims):
    sex = dims[2]
    response = post_table(
        requester_client, case, dataset, measure="persons", dimensions=[sex], **{f"categories_{sex}": ["F"]}
    )
    assert response.status_code == 302
    assert case.specifications.get().filters == {sex: ["F"]}


def test_table_with_unknown_dimension_is_refused_and_keeps_the_rest(requester_client, case, dataset, dims):
    response = post_table(requester_client, case, dataset, measure="services", dimensions=[dims[0], "postal_code"])
    assert response.status_code == 200
    message = field_error(response, "id_dimensions")
    assert message.startswith("Dimensions: “postal_code” is not a dimension of this dataset")
    assert summary_links(response) == ["id_dimensions"]
    assert_checked(response, "measure", "services")
    assert_checked(response, "dimensions", dims[0])
    assert not TableSpecification.objects.exists()


def test_table_with_dimension_of_another_dataset_is_refused(requester_client, case, dataset):
    elsewhere = factories.dimension_codes(factories.make_catalogue())[0]
    response = post_table(requester_client, case, dataset, measure="persons", dimensions=[elsewhere])
    assert response.status_code == 200
    assert "is not a dimension of this dataset" in field_error(response, "id_dimensions")


def test_table_with_unknown_category_is_refused(requester_client, case, dataset, dims):
    region = dims[1]
    response = post_table(
        requester_client,
        case,
        dataset,
        measure="persons",
        dimensions=[region],
        **{f"filter_{region}": "on", f"categories_{region}": ["06", "99"]},
    )
    assert response.status_code == 200
    message = field_error(response, f"id_categories_{region}")
    assert message.startswith(f"Categories of “{region}”: “99” is not one of them")
    assert_checked(response, "measure", "persons")
    assert_checked(response, "dimensions", region)
    assert not TableSpecification.objects.exists()


def test_table_with_more_than_four_dimensions_is_refused(requester_client, case, dataset, dims):
    assert len(dims) == 5
    response = post_table(requester_client, case, dataset, measure="persons", dimensions=dims)
    assert response.status_code == 200
    assert field_error(response, "id_dimensions") == "Dimensions: choose at most 4 (you chose 5). Untick some."
    for code in dims:
        assert_checked(response, "dimensions", code)
    assert not TableSpecification.objects.exists()


def test_table_with_more_dimensions_than_the_setting_allows_is_refused(requester_client, case, dataset, dims, settings):
    settings.SPECIFICATION_MAX_DIMENSIONS = 2
    response = post_table(requester_client, case, dataset, measure="persons", dimensions=dims[:3])
    assert response.status_code == 200
    assert "at most 2" in field_error(response, "id_dimensions")


def test_table_with_an_empty_filter_is_refused(requester_client, case, dataset, dims):
    year = dims[4]
    response = post_table(
        requester_client, case, dataset, measure="persons", dimensions=[year], **{f"filter_{year}": "on"}
    )
    assert response.status_code == 200
    message = field_error(response, f"id_categories_{year}")
    assert message.startswith(f"Filter on “{year}”: tick at least one category")
    assert summary_links(response) == [f"id_categories_{year}"]
    assert f'name="filter_{year}" id="id_filter_{year}" checked' in text(response)
    assert_checked(response, "dimensions", year)
    assert not TableSpecification.objects.exists()


def test_table_filtering_a_dimension_it_does_not_include_is_refused(requester_client, case, dataset, dims):
    age, sex = dims[0], dims[2]
    response = post_table(
        requester_client,
        case,
        dataset,
        measure="persons",
        dimensions=[age],
        **{f"filter_{sex}": "on", f"categories_{sex}": ["M"]},
    )
    assert response.status_code == 200
    assert field_error(response, f"id_categories_{sex}").startswith(f"Filter on “{sex}”: tick “{sex}” under Dimensions")
    assert_checked(response, f"categories_{sex}", "M")


def test_table_with_measure_of_another_dataset_is_refused(requester_client, case, dataset, dims):
    other = factories.make_catalogue()
    Measure.objects.create(dataset=other, code="amount_paid", name_fr="Montant", name_en="Amount", kind="amount")
    response = post_table(requester_client, case, dataset, measure="amount_paid", dimensions=[dims[0]])
    assert response.status_code == 200
    assert field_error(response, "id_measure").startswith("Measure: this measure does not belong to the chosen dataset")
    assert_checked(response, "dimensions", dims[0])
    assert not TableSpecification.objects.exists()


def test_table_without_measure_is_refused(requester_client, case, dataset, dims):
    response = post_table(requester_client, case, dataset, dimensions=[dims[0]])
    assert response.status_code == 200
    assert field_error(response, "id_measure") == "Measure: choose what the table counts or sums."
    assert_checked(response, "dimensions", dims[0])


def test_table_post_without_dataset_is_refused(requester_client, case, dims):
    response = requester_client.post(url("specification_new", case), {"measure": "persons", "dimensions": dims[:1]})
    assert response.status_code == 200
    assert "Dataset: choose" in field_error(response, "id_dataset")
    assert not TableSpecification.objects.exists()


def test_data_step_continue_without_a_table_is_refused(requester_client, case):
    response = requester_client.post(url("data", case), {"action": "continue"})
    assert response.status_code == 200
    assert "Add at least one table" in text(response)
    assert summary_links(response) == ["id_dataset"]


def test_data_step_save_draft_without_a_table_stays(requester_client, case):
    response = requester_client.post(url("data", case), {"action": "save"})
    assert response.status_code == 302
    assert response.url == url("data", case)


# --- Existing tables ------------------------------------------------------------------------


def test_tables_are_listed_with_edit_and_remove(requester, requester_client, dataset):
    case = complete_draft(requester, dataset)
    spec = case.specifications.get()
    page = text(requester_client.get(url("data", case)))
    assert url("specification_edit", case, specification_pk=spec.pk) in page
    assert url("specification_delete", case, specification_pk=spec.pk) in page


def test_table_edit_shows_the_saved_choices_and_updates(requester, requester_client, dataset, dims):
    case = complete_draft(requester, dataset)
    spec = case.specifications.get()
    edit = url("specification_edit", case, specification_pk=spec.pk)
    response = requester_client.get(edit)
    assert_checked(response, "measure", "persons")
    assert_checked(response, "dimensions", dims[0])
    assert_checked(response, "dimensions", dims[1])

    response = requester_client.post(
        edit, {"measure": "services", "dimensions": [dims[1]], f"filter_{dims[1]}": "on", f"categories_{dims[1]}": "02"}
    )
    assert response.status_code == 302
    spec.refresh_from_db()
    assert (spec.measure.code, spec.dimensions, spec.filters) == ("services", [dims[1]], {dims[1]: ["02"]})
    assert case.specifications.count() == 1


def test_table_edit_error_keeps_the_typed_values(requester, requester_client, dataset, dims):
    case = complete_draft(requester, dataset)
    spec = case.specifications.get()
    response = requester_client.post(
        url("specification_edit", case, specification_pk=spec.pk),
        {"measure": "services", "dimensions": [dims[3]], f"filter_{dims[3]}": "on"},
    )
    assert response.status_code == 200
    assert "tick at least one category" in field_error(response, f"id_categories_{dims[3]}")
    assert_checked(response, "measure", "services")
    spec.refresh_from_db()
    assert spec.measure.code == "persons"


def test_table_remove_deletes_it(requester, requester_client, dataset):
    case = complete_draft(requester, dataset)
    spec = case.specifications.get()
    response = requester_client.post(url("specification_delete", case, specification_pk=spec.pk))
    assert response.status_code == 302
    assert not case.specifications.exists()
    record = TableSpecification.history.filter(id=spec.pk).latest("history_date")
    assert record.history_type == "-"
    assert record.history_user_id == requester.pk


def test_table_remove_by_get_is_not_allowed(requester, requester_client, dataset):
    case = complete_draft(requester, dataset)
    spec = case.specifications.get()
    assert requester_client.get(url("specification_delete", case, specification_pk=spec.pk)).status_code == 405
    assert case.specifications.exists()


def test_table_of_another_request_cannot_be_edited_or_removed(requester, requester_client, other_requester, dataset):
    mine = new_draft(requester_client)
    theirs = complete_draft(other_requester, dataset)
    spec = theirs.specifications.get()
    # Their table through my case, and their case directly: both unknown to me.
    for target in (mine, theirs):
        assert requester_client.get(url("specification_edit", target, specification_pk=spec.pk)).status_code == 404
        assert requester_client.post(url("specification_delete", target, specification_pk=spec.pk)).status_code == 404
    assert theirs.specifications.count() == 1


def test_tables_show_catalogue_labels_in_the_active_language(requester, requester_client, dataset, dims):
    dataset.name_fr, dataset.name_en = "Services médicaux", "Medical services"
    dataset.save()
    Dimension.objects.filter(code=dims[0]).update(label_fr="Groupe d'âge", label_en="Age group")
    Measure.objects.filter(dataset=dataset, code="persons").update(name_fr="Personnes", name_en="Persons")
    case = complete_draft(requester, dataset)
    english = text(requester_client.get(url("detail", case)))
    assert "Medical services" in english and "Persons" in english and "Age group" in english

    french = client_for(requester)
    type(requester).objects.filter(pk=requester.pk).update(language="fr")
    page = text(french.get(url("detail", case)))
    assert "Services médicaux" in page and "Personnes" in page and "Groupe d&#x27;âge" in page


def test_filters_show_category_labels(requester, requester_client, dataset, dims):
    case = complete_draft(requester, dataset)
    spec = case.specifications.get()
    region = dims[1]
    dataset.dimensions.get(code=region).categories.filter(code="06").update(label_en="Montréal")
    requester_client.post(
        url("specification_edit", case, specification_pk=spec.pk),
        {"measure": "persons", "dimensions": [region], f"filter_{region}": "on", f"categories_{region}": "06"},
    )
    page = text(requester_client.get(url("review", case)))
    assert f"{region}: Montréal" in page


def test_submitted_request_has_its_tables_on_the_detail_page(requester, requester_client, dataset):
    case = factories.make_request(requester=requester, dataset=dataset)
    assert case.status == Status.RECEIVED
    page = text(requester_client.get(url("detail", case)))
    assert "Services (test)" in page
    assert url("specification_edit", case, specification_pk=case.specifications.get().pk) not in page
