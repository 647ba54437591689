"""The privacy officers' workspace, mounted at ``/workspace/`` (namespace ``workspace``)."""

from django.urls import path

from requests_app import staff_views

app_name = "workspace"

urlpatterns = [
    path("", staff_views.queue, name="queue"),
    path("export.csv", staff_views.export_csv, name="export"),
    path("assign/", staff_views.bulk_assign, name="bulk_assign"),
    path("workload/", staff_views.workload, name="workload"),
    path("cases/<int:pk>/", staff_views.case_detail, name="case"),
    path("cases/<int:pk>/assign/", staff_views.case_assign, name="assign"),
    path("cases/<int:pk>/clarifications/", staff_views.clarification_ask, name="clarification_ask"),
    path("cases/<int:pk>/extension/", staff_views.deadline_extend, name="extend"),
]
