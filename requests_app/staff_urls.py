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
    path("cases/<int:pk>/accommodation/", staff_views.accommodation_decide, name="accommodation"),
    path("cases/<int:pk>/checklist/", staff_views.checklist_save, name="checklist"),
    path("cases/<int:pk>/consultations/", staff_views.consultation_open, name="consultation_open"),
    path("cases/<int:pk>/decision/", staff_views.decision_propose, name="decision_propose"),
    path("cases/<int:pk>/decision/sign-off/", staff_views.decision_sign_off, name="decision_sign_off"),
    path("cases/<int:pk>/decision/return/", staff_views.decision_return, name="decision_return"),
    path("cases/<int:pk>/messages/", staff_views.message_post, name="message"),
    path("cases/<int:pk>/cai-review/", staff_views.review_record, name="review_record"),
    path("cases/<int:pk>/cai-review/<int:review_pk>/", staff_views.review_update, name="review_update"),
    path(
        "cases/<int:pk>/tables/<int:specification_pk>/adjust/",
        staff_views.specification_adjust,
        name="specification_adjust",
    ),
    path(
        "cases/<int:pk>/amendments/<int:amendment_pk>/sign-off/",
        staff_views.amendment_sign_off,
        name="amendment_sign_off",
    ),
    path(
        "cases/<int:pk>/amendments/<int:amendment_pk>/return/",
        staff_views.amendment_return,
        name="amendment_return",
    ),
]
