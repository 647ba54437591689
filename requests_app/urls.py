from django.urls import path

from requests_app import views

app_name = "requests_app"

urlpatterns = [
    path("", views.request_list, name="list"),
    path("new/", views.request_create, name="create"),
    path("<int:pk>/", views.request_detail, name="detail"),
    # The intake steps of a draft.
    path("<int:pk>/profile/", views.step_edit, {"step": "profile"}, name="profile"),
    path("<int:pk>/project/", views.step_edit, {"step": "project"}, name="project"),
    path("<int:pk>/data/", views.data_step, name="data"),
    path("<int:pk>/data/tables/new/", views.specification_new, name="specification_new"),
    path("<int:pk>/data/tables/<int:specification_pk>/", views.specification_edit, name="specification_edit"),
    path(
        "<int:pk>/data/tables/<int:specification_pk>/delete/",
        views.specification_delete,
        name="specification_delete",
    ),
    path("<int:pk>/attachments/", views.attachments_step, name="attachments"),
    path("<int:pk>/attachments/<int:attachment_pk>/", views.attachment_download, name="attachment_download"),
    path("<int:pk>/attachments/<int:attachment_pk>/delete/", views.attachment_delete, name="attachment_delete"),
    path("<int:pk>/declarations/", views.step_edit, {"step": "declarations"}, name="declarations"),
    path("<int:pk>/review/", views.review, name="review"),
    path("<int:pk>/submit/", views.submit, name="submit"),
    path("<int:pk>/acknowledgement/", views.acknowledgement, name="acknowledgement"),
    # A draft is deleted; a submitted request is withdrawn.
    path("<int:pk>/delete/", views.request_delete, name="delete"),
    path("<int:pk>/withdraw/", views.request_withdraw, name="withdraw"),
    # The answer to the agency's open question.
    path("<int:pk>/clarification/", views.clarification_answer, name="clarification_answer"),
    # Messages between the requester and the agency.
    path("<int:pk>/messages/", views.message_post, name="message"),
    path("<int:pk>/cai-review/", views.review_record, name="review_record"),
]
