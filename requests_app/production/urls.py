"""Outputs, mounted at ``/outputs/`` (namespace ``outputs``)."""

from django.urls import path

from requests_app.production import views

app_name = "outputs"

urlpatterns = [
    path("", views.output_queue, name="queue"),
    path("<int:pk>/", views.output_detail, name="detail"),
    path("<int:pk>/release/", views.output_release, name="release"),
    path("<int:pk>/return/", views.output_return, name="return"),
    path("<int:pk>/notes/", views.job_note_add, name="note"),
    path("<int:pk>/run-again/", views.job_rerun, name="rerun"),
    path("<int:pk>/files/<str:file_name>", views.output_download, name="download"),
    path("<int:pk>/text/", views.output_text, name="text"),
]
