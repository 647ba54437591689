"""The data custodian's pages, mounted at ``/consultations/`` (namespace ``consultations``)."""

from django.urls import path

from requests_app import custodian_views

app_name = "consultations"

urlpatterns = [
    path("", custodian_views.consultation_list, name="list"),
    path("<int:pk>/", custodian_views.consultation_detail, name="detail"),
]
