"""Fuzzing (hypothesis): no input to a form or to the specification parser yields a 500, and no draft is lost.

Each test posts arbitrary values (any Unicode, control characters, NUL bytes,
huge texts, lists where one value is expected, unknown and identifying codes)
through Django's test client as the signed-in user, so a crash anywhere in
the view, the form, the service or the template fails the test.
"""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from requests_app import forms
from requests_app.models import DataRequest, DecisionOutcome, LegalProvision, Status, TableSpecification
from stats_app.catalogue import ResolvedSpecification, validate_specification
from stats_app.models import IDENTIFYING_CODES, Category, Measure
from tests import factories
from tests.security.conftest import client_for

pytestmark = pytest.mark.django_db

FUZZ = hypothesis_settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)

SPECIAL_TEXTS = [
    "",
    " ",
    "\x00",
    "a\x00b",
    "\r\n\t\x0b\x0c",
    "\x1b[31m",
    "x" * 20_000,
    "é" * 10_001,
    "🙂" * 300,
    "\u202eevil\u202c",
    "\ufeff",
    "<script>alert(1)</script>",
    "'; DROP TABLE requests_app_datarequest; --",
    "{{ request }}{% debug %}",
    "%s%n%x",
    "2026-02-30",
    "0000-00-00",
    "9999-12-31",
    "-1",
    "1e309",
    "NaN",
    "None",
    "[]",
]
#: Any text a browser (or a script) can send: every code point but the lone surrogates UTF-8 cannot carry.
any_text = st.one_of(
    st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=200),
    st.sampled_from(SPECIAL_TEXTS),
)


def near(valid: list[str]):
    """A valid value, or one a character away from it (a NUL, a space, a letter's case)."""
    return st.one_of(
        st.sampled_from(valid),
        st.tuples(st.sampled_from(valid), st.sampled_from(["\x00", " ", "\u00a0", "\u0301"])).map("".join),
        st.sampled_from(valid).map(str.upper),
    )


def value_or(valid: list[str]):
    """A valid value, a near miss, any text, or several values where one is expected."""
    one = st.one_of(near(valid), any_text)
    return st.one_of(one, st.lists(one, max_size=3))


def post_data(fields: dict) -> st.SearchStrategy[dict]:
    """Some of ``fields`` (name -> strategy), each present or left out."""
    return st.fixed_dictionaries({}, optional=fields)


@pytest.fixture(autouse=True)
def _no_post_rate_limits(settings):
    settings.POST_RATE_LIMITS = {}


@pytest.fixture
def draft(requester, dataset):
    return factories.make_request(requester=requester, dataset=dataset, status=Status.DRAFT)


def _step_fields(form_class) -> dict:
    fields = {}
    for name, field in form_class.base_fields.items():
        choices = [str(value) for value, _label in getattr(field, "choices", [])]
        if isinstance(field, forms.forms.BooleanField):
            choices = ["on", "true", "false", "1", "0"]
        if isinstance(field, forms.forms.DateField):
            choices = ["2026-01-01", "2027-12-31"]
        fields[name] = value_or(choices) if choices else any_text
    fields["action"] = value_or(["save", "continue"])
    return fields


@pytest.mark.parametrize("step", sorted(forms.STEP_FORMS))
def test_intake_step_never_fails_and_an_invalid_post_keeps_the_draft(step, requester, draft):
    form_class = forms.STEP_FORMS[step]
    client = client_for(requester)
    url = reverse(f"requests_app:{step}", kwargs={"pk": draft.pk})

    @FUZZ
    @given(data=post_data(_step_fields(form_class)))
    def post(data):
        saved = form_class.initial_from(DataRequest.objects.get(pk=draft.pk))

        response = client.post(url, data)

        assert response.status_code in (200, 302)
        case = DataRequest.objects.get(pk=draft.pk)
        assert case.status == Status.DRAFT
        if response.status_code == 200:
            # Shown again with its errors: nothing saved before is changed or wiped.
            assert form_class.initial_from(case) == saved

    post()


def _specification_fields(dataset) -> dict:
    dimensions = list(dataset.dimensions.order_by("code").values_list("code", flat=True))
    codes = dimensions + sorted(IDENTIFYING_CODES)[:8] + ["unknown", ""]
    categories = list(Category.objects.filter(dimension__datasets=dataset).values_list("code", flat=True))
    fields = {
        "dataset": value_or([dataset.code, "unknown_dataset"]),
        "measure": value_or(list(dataset.measures.values_list("code", flat=True))),
        "dimensions": st.lists(st.one_of(near(codes), any_text), max_size=6),
    }
    for code in [*dimensions, "postal_code", "health_insurance_number"]:
        fields[forms.filter_field_name(code)] = value_or(["on", ""])
        fields[forms.categories_field_name(code)] = st.lists(
            st.one_of(near([*categories, "unknown"]), any_text), max_size=4
        )
    return fields


def _as_saved(specification: TableSpecification) -> tuple:
    return (specification.measure_id, list(specification.dimensions), dict(specification.filters or {}))


def test_table_specification_form_never_fails_and_saves_only_catalogue_tables(requester, draft, dataset):
    client = client_for(requester)
    url = reverse("requests_app:specification_new", kwargs={"pk": draft.pk})

    @FUZZ
    @given(data=post_data(_specification_fields(dataset)))
    def post(data):
        before = set(draft.specifications.values_list("pk", flat=True))

        response = client.post(url, data)

        assert response.status_code in (200, 302)
        assert DataRequest.objects.filter(pk=draft.pk, status=Status.DRAFT).exists()
        added = draft.specifications.exclude(pk__in=before)
        if response.status_code == 200:
            assert not added.exists()
        for specification in added:
            assert not set(specification.dimensions) & IDENTIFYING_CODES
            validate_specification(
                dataset=specification.dataset,
                measure=specification.measure,
                dimensions=specification.dimensions,
                filters=specification.filters,
            )

    post()


def test_table_edit_with_invalid_input_keeps_the_saved_table(requester, draft, dataset):
    client = client_for(requester)
    specification = draft.specifications.get()
    url = reverse("requests_app:specification_edit", kwargs={"pk": draft.pk, "specification_pk": specification.pk})

    @FUZZ
    @given(data=post_data(_specification_fields(dataset)))
    def post(data):
        saved = _as_saved(TableSpecification.objects.get(pk=specification.pk))

        response = client.post(url, data)

        assert response.status_code in (200, 302)
        if response.status_code == 200:
            assert _as_saved(TableSpecification.objects.get(pk=specification.pk)) == saved

    post()


#: Any JSON-like value: what ``build_table SPEC.json`` or a crafted call could hand the parser.
json_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True), any_text),
    lambda children: st.one_of(st.lists(children, max_size=4), st.dictionaries(any_text, children, max_size=4)),
    max_leaves=12,
)


def test_specification_parser_rejects_bad_input_with_validation_error_only(dataset):
    dimensions = list(dataset.dimensions.order_by("code").values_list("code", flat=True))
    codes = st.one_of(near([*dimensions, *sorted(IDENTIFYING_CODES), "unknown"]), any_text)
    categories = st.lists(
        st.one_of(near(list(Category.objects.values_list("code", flat=True)[:20])), any_text), max_size=4
    )
    measures = list(Measure.objects.all()[:5])

    @FUZZ
    @given(
        dataset_value=st.one_of(st.just(dataset), near([dataset.code]), json_values),
        measure=st.one_of(st.sampled_from(measures), near(["persons", "services"]), json_values),
        dimension_codes=st.one_of(st.lists(codes, max_size=6), json_values),
        filters=st.one_of(st.dictionaries(codes, st.one_of(categories, json_values), max_size=4), json_values),
    )
    def parse(dataset_value, measure, dimension_codes, filters):
        try:
            resolved = validate_specification(
                dataset=dataset_value, measure=measure, dimensions=dimension_codes, filters=filters
            )
        except ValidationError:
            return
        assert isinstance(resolved, ResolvedSpecification)
        assert not set(resolved.dimension_codes) & IDENTIFYING_CODES

    parse()


# --- Staff forms ------------------------------------------------------------------------------------


@pytest.fixture
def case_under_review(officer, dataset):
    return factories.make_request(officer=officer, dataset=dataset, status=Status.UNDER_REVIEW)


def test_clarification_form_never_fails(officer, case_under_review):
    client = client_for(officer)
    url = reverse("workspace:clarification_ask", kwargs={"pk": case_under_review.pk})

    @FUZZ
    @given(data=post_data({"question": any_text, "action": any_text}))
    def post(data):
        response = client.post(url, data)

        assert response.status_code in (200, 302, 400, 403)
        assert DataRequest.objects.filter(pk=case_under_review.pk).exists()

    post()


def test_decision_form_never_fails(officer, case_under_review):
    client = client_for(officer)
    url = reverse("workspace:decision_propose", kwargs={"pk": case_under_review.pk})
    provisions = [str(pk) for pk in LegalProvision.objects.values_list("pk", flat=True)[:5]]

    @FUZZ
    @given(
        data=post_data(
            {
                "decision-outcome": value_or(list(DecisionOutcome.values)),
                "decision-reasons": any_text,
                "decision-provisions": st.lists(st.one_of(st.sampled_from([*provisions, "0", "-1"]), any_text)),
            }
        )
    )
    def post(data):
        response = client.post(url, data)

        assert response.status_code in (200, 302, 400, 403)
        assert DataRequest.objects.filter(pk=case_under_review.pk).exists()

    post()
